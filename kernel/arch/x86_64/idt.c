/* The interrupt descriptor table: 256 interrupt gates into vectors.S. */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/gdt.h"

struct gate {
    uint16_t off0;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off1;
    uint32_t off2;
    uint32_t zero;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));
extern const uint64_t vector_table[256];

static void set_gate(int v, uint64_t fn, int ist, int dpl)
{
    idt[v] = (struct gate){
        .off0 = fn & 0xFFFF,
        .sel = SEL_KCODE,
        .ist = ist,
        .type = 0x8E | (dpl << 5), /* present, 64-bit interrupt gate: IF cleared on entry */
        .off1 = (fn >> 16) & 0xFFFF,
        .off2 = fn >> 32,
    };
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        set_gate(v, vector_table[v], 0, 0);
    set_gate(8, vector_table[8], IST_DOUBLE_FAULT, 0);
    set_gate(2, vector_table[2], IST_NMI, 0);
    set_gate(3, vector_table[3], 0, 3); /* int3 allowed from user mode */
}

void idt_load(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" ::"m"(idtr));
}
