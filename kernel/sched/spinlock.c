/* Test-and-set spinlocks with interrupt disabling and holder tracking. */
#include "sched/spinlock.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/panic.h"

void spin_init(struct spinlock *lk, const char *name)
{
    lk->locked = 0;
    lk->name = name;
    lk->cpu = -1;
    lk->pc = 0;
}

int spin_holding(struct spinlock *lk)
{
    return lk->locked && lk->cpu == cpu_id();
}

void spin_lock(struct spinlock *lk)
{
    push_off();
    if (spin_holding(lk))
        panic("spin_lock: CPU%d already holds %s", cpu_id(), lk->name);
    while (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE)) {
        while (lk->locked) /* spin on a plain read: no bus-locked traffic */
            cpu_relax();
    }
    lk->cpu = cpu_id();
    lk->pc = __builtin_return_address(0);
}

int spin_trylock(struct spinlock *lk)
{
    push_off();
    if (__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE)) {
        pop_off();
        return 0;
    }
    lk->cpu = cpu_id();
    lk->pc = __builtin_return_address(0);
    return 1;
}

void spin_unlock(struct spinlock *lk)
{
    if (!spin_holding(lk))
        panic("spin_unlock: %s not held by CPU%d", lk->name, cpu_id());
    lk->cpu = -1;
    lk->pc = 0;
    __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
    pop_off();
}

void push_off(void)
{
    int was_on = (read_rflags() & RFLAGS_IF) != 0;
    cli();
    struct cpu *c = this_cpu();
    if (c->ncli == 0)
        c->intena = was_on;
    c->ncli++;
}

void pop_off(void)
{
    struct cpu *c = this_cpu();
    if (read_rflags() & RFLAGS_IF)
        panic("pop_off: interrupts are on");
    if (c->ncli < 1)
        panic("pop_off: unbalanced");
    if (--c->ncli == 0 && c->intena)
        sti();
}
