/*
 * Lab 9a, checkpoint 9A.4: the CR3 part of a context switch. Writing CR3
 * flushes every non-global TLB entry, so it is skipped when the next task
 * uses the table already loaded (threads of one process, or the same
 * process again). Each mm records the CPUs that have it loaded, for the TLB
 * shootdown of 9A.7. Called with interrupts off.
 */
#include "sched/switch_mm.h"
#include "mm/kernel_vm.h"
#include "mm/vm.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"

volatile uint64_t cr3_switches, cr3_skips;

void switch_address_space(struct mm *prev, struct mm *next)
{
    uint64_t me = 1ul << cpu_id();
    paddr_t cr3 = next ? next->pml4 : kernel_pml4;
    if (next)
        __atomic_or_fetch(&next->cpus_loaded, me, __ATOMIC_SEQ_CST);
    if (read_cr3() != cr3) {
        write_cr3(cr3);
        __atomic_add_fetch(&cr3_switches, 1, __ATOMIC_RELAXED);
    } else {
        __atomic_add_fetch(&cr3_skips, 1, __ATOMIC_RELAXED);
    }
    /* Only after CR3 changed can this CPU no longer hold prev's entries. */
    if (prev && prev != next)
        __atomic_and_fetch(&prev->cpus_loaded, ~me, __ATOMIC_SEQ_CST);
}
