/* Yielding mutexes (see mutex.h). Must not be taken with a spinlock held. */
#include "sched/mutex.h"
#include "sched/sched.h"
#include "lib/panic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"

void mutex_init(struct mutex *m, const char *name)
{
    m->locked = 0;
    m->name = name;
    m->owner = 0;
}

void mutex_lock(struct mutex *m)
{
    struct task *me = current_task();
    if (me && m->owner == me)
        panic("mutex_lock: %s already held by this task", m->name);
    /* Waiting for a mutex may sleep; sleeping with a spinlock held deadlocks. */
    if (me && this_cpu()->ncli > 0)
        panic("mutex_lock: %s taken with a spinlock held (or interrupts pushed off)", m->name);
    while (__atomic_exchange_n(&m->locked, 1, __ATOMIC_ACQUIRE)) {
        if (me)
            yield();
        else
            cpu_relax();
    }
    m->owner = me;
}

void mutex_unlock(struct mutex *m)
{
    m->owner = 0;
    __atomic_store_n(&m->locked, 0, __ATOMIC_RELEASE);
}

int mutex_held(struct mutex *m)
{
    return m->locked && m->owner == current_task();
}
