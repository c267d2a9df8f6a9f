/*
 * The scheduler. One FIFO run queue for all CPUs; each CPU runs scheduler()
 * on its own stack, picks the first runnable task and switches to it; the
 * task comes back through sched() when it yields, sleeps or dies.
 *
 * Lock: rq_lock protects the run queue, the all-tasks list and every
 * task's state. A task switches to the scheduler holding rq_lock and the
 * scheduler releases it (xv6's hand-over), so no CPU can pick a task whose
 * registers are still being saved.
 */
#include "sched/sched.h"
#include "sched/switch_mm.h"
#include "sched/spinlock.h"
#include "proc/process.h"
#include "mm/kernel_vm.h"
#include "mm/kmalloc.h"
#include "mm/vm.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "arch/x86_64/time.h"
#include "drivers/console.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "signal/signal.h"

void swtch(struct context **save, struct context *load);
void fpu_save(void *area);
void fpu_restore(const void *area);
void task_free(struct task *t); /* proc/process.c */

volatile uint64_t ticks;
struct spinlock rq_lock = SPINLOCK_INIT("runqueue");
static struct task *rq_head, *rq_tail;
struct task *all_tasks; /* every task not yet freed, linked by all_next */

struct task *current_task(void)
{
    push_off();
    struct task *t = this_cpu()->current;
    pop_off();
    return t;
}

struct process *current_proc(void)
{
    struct task *t = current_task();
    return t ? t->proc : NULL;
}

/* Wake one halted CPU, if any, to run newly runnable work. */
static void kick_idle_cpu(void)
{
    for (int i = 0; i < ncpu; i++) {
        if (cpus[i].idle && i != cpu_id()) {
            lapic_send_ipi(cpus[i].apic_id, T_RESCHEDULE);
            return;
        }
    }
}

/* Append t to the run queue (rq_lock held). */
static void rq_push(struct task *t)
{
    t->state = TASK_RUNNABLE;
    t->rq_next = NULL;
    if (rq_tail)
        rq_tail->rq_next = t;
    else
        rq_head = t;
    rq_tail = t;
    kick_idle_cpu();
}

static struct task *rq_pop(void)
{
    struct task *t = rq_head;
    if (t) {
        rq_head = t->rq_next;
        if (!rq_head)
            rq_tail = NULL;
    }
    return t;
}

void sched_add(struct task *t)
{
    spin_lock(&rq_lock);
    t->all_next = all_tasks;
    all_tasks = t;
    rq_push(t);
    spin_unlock(&rq_lock);
}

/* Unlink a dead task from all_tasks (rq_lock held). */
static void forget_task(struct task *t)
{
    for (struct task **pp = &all_tasks; *pp; pp = &(*pp)->all_next) {
        if (*pp == t) {
            *pp = t->all_next;
            return;
        }
    }
}

/*
 * Make mm this CPU's address space (NULL: the kernel's). A CPU holds a
 * reference on the mm in its CR3, so an address space is never freed while
 * some CPU, even an idle one, still walks its page table.
 */
void cpu_load_mm(struct mm *mm)
{
    push_off();
    struct cpu *c = this_cpu();
    struct mm *old = c->loaded_mm;
    if (mm != old) {
        if (mm)
            mm_get(mm);
        switch_address_space(old, mm);
        c->loaded_mm = mm;
        if (old)
            mm_put(old);
    } else {
        switch_address_space(old, mm); /* counts the skipped CR3 write */
    }
    pop_off();
}

/* Everything a CPU needs to run t: stacks for traps and syscalls, TLS, CR3, FPU. */
static void load_task(struct cpu *c, struct task *t)
{
    cpu_load_mm(t->proc ? t->proc->mm : NULL);
    tss_set_kernel_stack(c, t->kstack_top);
    c->syscall_rsp = t->kstack_top;
    wrmsr(MSR_FS_BASE, t->fs_base);
    if (t->fpu)
        fpu_restore(t->fpu);
}

void scheduler(void)
{
    struct cpu *c = this_cpu();
    c->current = NULL;
    for (;;) {
        cli();
        spin_lock(&rq_lock);
        struct task *t = rq_pop();
        if (!t) {
            c->idle = 1;
            spin_unlock(&rq_lock);
            if (c->loaded_mm) /* an idle CPU lets go of the last address space it ran */
                cpu_load_mm(NULL);
            sti_hlt(); /* a timer tick or a reschedule IPI wakes us */
            c->idle = 0;
            continue;
        }
        t->state = TASK_RUNNING;
        t->cpu = c->id;
        c->current = t;
        load_task(c, t);
        swtch(&c->sched_ctx, t->ctx);
        /* t gave the CPU back, with rq_lock held. */
        c->current = NULL;
        if (t->fpu && t->state != TASK_DEAD)
            fpu_save(t->fpu);
        if (t->state == TASK_DEAD) {
            forget_task(t);
            spin_unlock(&rq_lock);
            task_free(t);
            continue;
        }
        spin_unlock(&rq_lock);
    }
}

/* Switch to this CPU's scheduler; rq_lock held and our state already set. */
static void sched(void)
{
    struct cpu *c = this_cpu();
    if (!spin_holding(&rq_lock) || c->ncli != 1)
        panic("sched: must hold only rq_lock (ncli %d)", c->ncli);
    struct task *t = c->current;
    if (t->state == TASK_RUNNING)
        panic("sched: task %d still running", t->tid);
    int intena = c->intena;
    swtch(&t->ctx, c->sched_ctx);
    this_cpu()->intena = intena; /* we may be on another CPU now */
}

void yield(void)
{
    spin_lock(&rq_lock);
    rq_push(current_task());
    sched();
    spin_unlock(&rq_lock);
}

void sched_wake_sleeper(struct task *t)
{
    spin_lock(&rq_lock);
    if (t->state == TASK_SLEEPING)
        rq_push(t);
    spin_unlock(&rq_lock);
}

void sched_wake_flag(volatile int *flag, struct task *t)
{
    /* Under rq_lock: the sleeper tests its flag under this lock, so it cannot
     * see the flag, return and exit (freeing t) before we are done with t. */
    spin_lock(&rq_lock);
    __atomic_store_n(flag, 1, __ATOMIC_RELEASE);
    if (t) {
        if (t->state == TASK_SLEEPING)
            rq_push(t);
        t->woken_by_timer = 0; /* the timer may have been first, but this wake-up was not lost */
    }
    spin_unlock(&rq_lock);
}

/*
 * Sleeping and signals: a sender sets the pending bit, then wakes the
 * sleeper under rq_lock; a sleeper checks for signals under rq_lock before
 * it sleeps. Either the sleeper sees the signal or the sender sees it asleep.
 */
#define SLEEP_RECHECK_NS 50000000ull /* 50 ms */
#define SLEEP_WARN_NS 10000000000ull /* 10 s */
volatile uint64_t late_wakeups;

int sleep_on_flag_until(volatile int *flag, const char *reason, uint64_t deadline)
{
    struct task *t = current_task();
    if (!t) {
        /* Boot, before any task: wait with interrupts on. */
        while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
            if (time_ns() >= deadline)
                return -ETIMEDOUT;
            sti_hlt();
        }
        return 0;
    }
    uint64_t start = time_ns();
    int ret = 0, warned = 0;
    spin_lock(&rq_lock);
    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
        uint64_t now = time_ns();
        if (now >= deadline) {
            ret = -ETIMEDOUT;
            break;
        }
        if (!warned && now - start >= SLEEP_WARN_NS) {
            /* Nothing sleeps this long on purpose here: say who and why. */
            warned = 1;
            spin_unlock(&rq_lock);
            kprintf("keel: task %d has waited %lu s for '%s' (a lost wake-up or a stuck device?)\n", t->tid,
                    (unsigned long)((now - start) / 1000000000ull), reason);
            spin_lock(&rq_lock);
            continue;
        }
        t->state = TASK_SLEEPING;
        t->block_reason = reason;
        /* The waker's sched_wake_flag() ends the sleep; the timer also
         * looks again after SLEEP_RECHECK_NS, so a wake-up that went missing
         * costs a tick instead of the machine (and is counted). */
        uint64_t recheck = now + SLEEP_RECHECK_NS;
        t->wake_ns = recheck < deadline ? recheck : deadline;
        t->woken_by_timer = 0;
        sched();
        t->block_reason = NULL;
        if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) && t->woken_by_timer)
            __atomic_add_fetch(&late_wakeups, 1, __ATOMIC_RELAXED); /* set, but nobody woke us */
    }
    spin_unlock(&rq_lock);
    return ret;
}

void sleep_on_flag(volatile int *flag, const char *reason)
{
    sleep_on_flag_until(flag, reason, UINT64_MAX);
}

void yield_poll(const char *reason)
{
    struct task *t = current_task();
    spin_lock(&rq_lock);
    if (signal_pending()) {
        spin_unlock(&rq_lock);
        return;
    }
    t->state = TASK_SLEEPING;
    t->block_reason = reason;
    t->wake_ns = 0; /* the next tick */
    sched();
    t->block_reason = NULL;
    spin_unlock(&rq_lock);
}

int sleep_until_ns(uint64_t deadline)
{
    struct task *t = current_task();
    while (time_ns() < deadline) {
        spin_lock(&rq_lock);
        if (signal_pending()) {
            spin_unlock(&rq_lock);
            return -EINTR;
        }
        t->state = TASK_SLEEPING;
        t->block_reason = "sleep";
        t->wake_ns = deadline;
        sched();
        t->block_reason = NULL;
        spin_unlock(&rq_lock);
    }
    return 0;
}

void sched_exit_current(void)
{
    spin_lock(&rq_lock);
    current_task()->state = TASK_DEAD;
    sched();
    panic("sched_exit_current: a dead task ran again");
}

/* Make sleepers whose time has come runnable (bootstrap CPU, rq_lock held). */
static void wake_sleepers(void)
{
    uint64_t now = time_ns();
    for (struct task *t = all_tasks; t; t = t->all_next)
        if (t->state == TASK_SLEEPING && t->wake_ns <= now) {
            rq_push(t);
            t->woken_by_timer = 1;
        }
}

void sched_tick(struct trapframe *tf)
{
    struct cpu *c = this_cpu();
    if (c->id == 0) {
        ticks++;
        spin_lock(&rq_lock);
        wake_sleepers();
        spin_unlock(&rq_lock);
    }
    struct task *t = c->current;
    if (!t)
        return;
    int user = (tf->cs & 3) != 0;
    if (user)
        t->utime++;
    else
        t->stime++;
    /* Preempt only user code: kernel code runs until it yields or returns. */
    if (user && rq_head)
        yield();
}
