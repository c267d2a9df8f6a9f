/*
 * Lab 9a, checkpoints 9A.6-9A.7: TLB shootdown.
 *
 * A request names a range and counts acknowledgements. The initiator
 * flushes locally, sends vector T_TLB_SHOOTDOWN to every other CPU that has
 * the address space loaded (mm->cpus_loaded, kept by switch_address_space),
 * and spins with interrupts on until all have flushed, so two CPUs shooting
 * at each other both make progress. Lock: shootdown_lock serialises
 * requests (one in flight); it is a mutex, never held with interrupts off.
 */
#include "mm/tlb.h"
#include "mm/vm.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "sched/mutex.h"
#include "sched/spinlock.h"

volatile uint64_t tlb_ipis_sent;

struct shootdown_request {
    vaddr_t start, end;
    volatile int acks; /* CPUs that have flushed */
};

static struct shootdown_request request;
static struct mutex shootdown_lock = MUTEX_INIT("tlb.shootdown");

static void handle_tlb_shootdown_ipi(struct trapframe *tf)
{
    (void)tf;
    tlb_flush_local(request.start, request.end);
    __atomic_add_fetch(&request.acks, 1, __ATOMIC_RELEASE);
    lapic_eoi();
}

void tlb_init(void)
{
    trap_register(T_TLB_SHOOTDOWN, handle_tlb_shootdown_ipi);
}

static void wait_for_acks(struct shootdown_request *r, int target)
{
    while (__atomic_load_n(&r->acks, __ATOMIC_ACQUIRE) < target)
        cpu_relax();
}

void tlb_shootdown(struct mm *mm, vaddr_t start, vaddr_t end)
{
    mutex_lock(&shootdown_lock);
    push_off(); /* stay on this CPU while we decide who else needs the IPI */
    int me = cpu_id();
    tlb_flush_local(start, end);
    request.start = start;
    request.end = end;
    __atomic_store_n(&request.acks, 0, __ATOMIC_RELEASE);
    int targets = 0;
    uint64_t loaded = mm ? __atomic_load_n(&mm->cpus_loaded, __ATOMIC_ACQUIRE) : ~0ul;
    for (int i = 0; i < ncpu; i++) {
        if (i == me || !(loaded & (1ul << i)))
            continue;
        lapic_send_ipi(cpus[i].apic_id, T_TLB_SHOOTDOWN);
        targets++;
    }
    __atomic_add_fetch(&tlb_ipis_sent, targets, __ATOMIC_RELAXED);
    pop_off();
    wait_for_acks(&request, targets); /* interrupts on: we can be shot at meanwhile */
    mutex_unlock(&shootdown_lock);
}
