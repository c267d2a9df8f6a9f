/* The per-CPU array and the GS base that selects this CPU's entry. */
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/cpu.h"

struct cpu cpus[MAX_CPUS];
int ncpu = 1;

void percpu_install(struct cpu *c)
{
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}
