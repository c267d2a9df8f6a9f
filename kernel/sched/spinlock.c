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

#include "test/ktest.h"
#include "arch/x86_64/smp.h"

enum { SPIN_ROUNDS = 20000 };
static struct spinlock test_lock = SPINLOCK_INIT("ktest.spinlock");
static volatile uint64_t test_counter;
static volatile int test_inside; /* CPUs inside the critical section right now */
static volatile int test_overlap;

/* A deliberately non-atomic read-modify-write: only the lock keeps it exact. */
static void hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < SPIN_ROUNDS; i++) {
        spin_lock(&test_lock);
        if (__atomic_add_fetch(&test_inside, 1, __ATOMIC_RELAXED) != 1)
            test_overlap = 1;
        uint64_t v = test_counter;
        cpu_relax();
        test_counter = v + 1;
        __atomic_sub_fetch(&test_inside, 1, __ATOMIC_RELAXED);
        spin_unlock(&test_lock);
    }
}

KTEST(spinlock)
{
    test_counter = 0;
    test_overlap = 0;
    int err = smp_call_all(hammer, 0, 20000);
    uint64_t want = (uint64_t)ncpu * SPIN_ROUNDS;
    KT_CHECK(err == 0, "some CPU did not finish its %d rounds within 20 s", SPIN_ROUNDS);
    KT_CHECK(!test_overlap, "two CPUs were inside the critical section at once");
    KT_CHECK(test_counter == want, "counter is %lu, expected %lu (%d CPUs x %d)", test_counter, want, ncpu,
             SPIN_ROUNDS);
    KT_CHECK(!test_lock.locked && test_lock.cpu == -1, "lock left held");
    KT_CHECK(spin_trylock(&test_lock), "trylock of a free lock failed");
    KT_CHECK(spin_holding(&test_lock), "holding() false after trylock");
    spin_unlock(&test_lock);
    return KT_OK;
}
