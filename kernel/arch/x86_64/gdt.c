/* Per-CPU GDT and TSS. */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "mm/kernel_vm.h"
#include "lib/panic.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

static uint64_t gdts[MAX_CPUS][8] __attribute__((aligned(16)));
static struct tss tsses[MAX_CPUS] __attribute__((aligned(16)));

void gdt_init_cpu(struct cpu *c)
{
    uint64_t *g = gdts[c->id];
    struct tss *t = &tsses[c->id];
    g[0] = 0;
    g[1] = 0x00AF9A000000FFFF; /* kernel code, 64-bit */
    g[2] = 0x00CF92000000FFFF; /* kernel data */
    g[3] = 0x00CFFA000000FFFF; /* user code, 32-bit (placeholder) */
    g[4] = 0x00CFF2000000FFFF; /* user data */
    g[5] = 0x00AFFA000000FFFF; /* user code, 64-bit */
    uint64_t base = (uint64_t)t, limit = sizeof *t - 1;
    g[6] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ul << 40) | (((limit >> 16) & 0xF) << 48) |
           (((base >> 24) & 0xFF) << 56);
    g[7] = base >> 32;

    t->iomap_base = sizeof *t; /* no I/O permission bitmap */
    vaddr_t df = kstack_alloc(), nmi = kstack_alloc();
    if (!df || !nmi)
        panic("gdt: out of memory for CPU%d's interrupt stacks", c->id);
    t->ist[IST_DOUBLE_FAULT - 1] = df;
    t->ist[IST_NMI - 1] = nmi;

    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr = { sizeof gdts[0] - 1, (uint64_t)g };
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(gdtr), "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(SEL_TSS)
                     : "rax", "memory");
}

void tss_set_kernel_stack(struct cpu *c, uint64_t rsp0)
{
    tsses[c->id].rsp[0] = rsp0;
}
