/*
 * IOAPIC programming through its index/data register pair. All lines start
 * masked; drivers route the ones they use. The legacy 8259 PICs are
 * remapped and masked so they can never deliver a stray vector.
 */
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "mm/kernel_vm.h"
#include "drivers/console.h"

#define REG_VER 0x01
#define REG_TABLE 0x10
#define RED_MASKED (1u << 16)
#define RED_LEVEL (1u << 15)
#define RED_ACTIVE_LOW (1u << 13)

static struct {
    volatile uint32_t *regs;
    uint32_t gsi_base, nlines;
} ioapics[ACPI_MAX_IOAPICS];
static int nioapics;

static uint32_t rd(int i, uint32_t reg)
{
    ioapics[i].regs[0] = reg;
    return ioapics[i].regs[4];
}

static void wr(int i, uint32_t reg, uint32_t v)
{
    ioapics[i].regs[0] = reg;
    ioapics[i].regs[4] = v;
}

static void mask_legacy_pic(void)
{
    outb(0x20, 0x11); outb(0xA0, 0x11); /* init */
    outb(0x21, 0xF0); outb(0xA1, 0xF8); /* vectors 0xF0.., out of harm's way */
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFF); outb(0xA1, 0xFF); /* mask everything */
}

void ioapic_init(void)
{
    mask_legacy_pic();
    for (int i = 0; i < madt.nioapics; i++) {
        ioapics[i].regs = ioremap(madt.ioapics[i].base, 32);
        ioapics[i].gsi_base = madt.ioapics[i].gsi_base;
        ioapics[i].nlines = ((rd(i, REG_VER) >> 16) & 0xFF) + 1;
        for (uint32_t l = 0; l < ioapics[i].nlines; l++) {
            wr(i, REG_TABLE + 2 * l, RED_MASKED);
            wr(i, REG_TABLE + 2 * l + 1, 0);
        }
        nioapics++;
    }
}

int ioapic_route_isa(int irq, int vector, uint32_t apic_id)
{
    uint32_t gsi = madt.isa_gsi[irq];
    uint16_t flags = madt.isa_flags[irq];
    uint32_t low = vector;
    if ((flags & 3) == 3) /* polarity: active low */
        low |= RED_ACTIVE_LOW;
    if (((flags >> 2) & 3) == 3) /* trigger: level */
        low |= RED_LEVEL;
    for (int i = 0; i < nioapics; i++) {
        if (gsi < ioapics[i].gsi_base || gsi >= ioapics[i].gsi_base + ioapics[i].nlines)
            continue;
        uint32_t line = gsi - ioapics[i].gsi_base;
        wr(i, REG_TABLE + 2 * line + 1, apic_id << 24);
        wr(i, REG_TABLE + 2 * line, low);
        return 0;
    }
    kprintf("ioapic: no IOAPIC serves IRQ %d (GSI %u); it stays off\n", irq, gsi);
    return -1;
}
