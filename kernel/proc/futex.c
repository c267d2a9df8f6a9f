/*
 * futex WAIT and WAKE. A waiter is a record on the waiter list keyed by
 * (address space, user address); WAKE marks records woken. Until lab 9c's
 * wait queues a waiter polls its record once per tick (yield_poll).
 * Lock: futex_lock protects the waiter list and every record's woken flag.
 */
#include "proc/futex.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "sys/sys_proc.h"
#include "signal/signal.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/time.h"
#include "lib/errno.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

struct waiter {
    struct mm *mm;
    uaddr_t uaddr;
    volatile int woken;
    struct waiter *next;
};

static struct spinlock futex_lock = SPINLOCK_INIT("futex");
static struct waiter *waiters;

int futex_wake(struct mm *mm, uaddr_t uaddr, int n)
{
    int woken = 0;
    spin_lock(&futex_lock);
    for (struct waiter *w = waiters; w && woken < n; w = w->next) {
        if (w->mm == mm && w->uaddr == uaddr && !w->woken) {
            w->woken = 1;
            woken++;
        }
    }
    spin_unlock(&futex_lock);
    return woken;
}

/*
 * Wake up to nwake waiters on uaddr and move up to nmove more to wait on
 * uaddr2 instead (musl's condition variables hand waiters over to the mutex
 * this way). With cmp, *uaddr must still hold val3 (-EAGAIN otherwise).
 */
static long futex_requeue(struct mm *mm, uaddr_t uaddr, int nwake, int nmove, uaddr_t uaddr2, int cmp,
                          uint32_t val3)
{
    if (nwake < 0 || nmove < 0 || (uaddr2 & 3))
        return -EINVAL;
    long done = 0;
    spin_lock(&futex_lock);
    if (cmp) {
        uint32_t cur;
        spin_unlock(&futex_lock); /* copy_from_user may fault in a page: not under a spinlock */
        if (copy_from_user(&cur, uaddr, sizeof cur) < 0)
            return -EFAULT;
        if (cur != val3)
            return -EAGAIN;
        spin_lock(&futex_lock);
    }
    for (struct waiter *w = waiters; w; w = w->next) {
        if (w->mm != mm || w->uaddr != uaddr || w->woken)
            continue;
        if (nwake > 0) {
            w->woken = 1;
            nwake--;
            done++;
        } else if (nmove > 0) {
            w->uaddr = uaddr2;
            nmove--;
            done++;
        } else {
            break;
        }
    }
    spin_unlock(&futex_lock);
    return done;
}

static void remove_waiter(struct waiter *me)
{
    for (struct waiter **pp = &waiters; *pp; pp = &(*pp)->next) {
        if (*pp == me) {
            *pp = me->next;
            return;
        }
    }
}

/* Sleep while *uaddr == val, until woken, a signal, or the deadline (time_ns; 0 = none). */
static long futex_wait(uaddr_t uaddr, uint32_t val, uint64_t deadline)
{
    struct mm *mm = current_proc()->mm;
    struct waiter me = { mm, uaddr, 0, NULL };
    uint32_t cur;
    /* Queue first, then read the word: a WAKE after our read cannot be missed. */
    spin_lock(&futex_lock);
    me.next = waiters;
    waiters = &me;
    spin_unlock(&futex_lock);
    long ret = 0;
    if (copy_from_user(&cur, uaddr, sizeof cur) < 0)
        ret = -EFAULT;
    else if (cur != val)
        ret = -EAGAIN;
    while (ret == 0 && !me.woken) {
        if (deadline && time_ns() >= deadline)
            ret = -ETIMEDOUT;
        else if (signal_pending())
            ret = -EINTR;
        else
            yield_poll("futex");
    }
    spin_lock(&futex_lock);
    remove_waiter(&me);
    if (me.woken)
        ret = 0;
    spin_unlock(&futex_lock);
    return ret;
}

/* A timeout as a time_ns() deadline: relative, or absolute on `clock` (FUTEX_WAIT_BITSET). */
static long timeout_to_deadline(uaddr_t ts, int absolute, int clock, uint64_t *deadline)
{
    int64_t t[2];
    if (copy_from_user(t, ts, sizeof t) < 0)
        return -EFAULT;
    if (t[0] < 0 || t[1] < 0 || t[1] >= 1000000000)
        return -EINVAL;
    uint64_t ns = (uint64_t)t[0] * 1000000000 + (uint64_t)t[1];
    if (absolute) {
        uint64_t now = clock_ns(clock);
        ns = ns > now ? ns - now : 0;
    }
    *deadline = time_ns() + ns;
    if (*deadline == 0)
        *deadline = 1;
    return 0;
}

long sys_futex(uaddr_t uaddr, int op, uint32_t val, uaddr_t timeout, uaddr_t uaddr2, uint32_t val3)
{
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if (uaddr & 3)
        return -EINVAL;
    struct mm *mm = current_proc()->mm;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        if (cmd == FUTEX_WAIT_BITSET && val3 == 0)
            return -EINVAL;
        uint64_t deadline = 0;
        if (timeout) {
            long err = timeout_to_deadline(timeout, cmd == FUTEX_WAIT_BITSET,
                                           (op & FUTEX_CLOCK_REALTIME) ? 0 : 1, &deadline);
            if (err)
                return err;
        }
        return futex_wait(uaddr, val, deadline);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        /* the timeout argument carries the requeue count for these */
        return futex_requeue(mm, uaddr, (int)val, (int)timeout, uaddr2, cmd == FUTEX_CMP_REQUEUE, val3);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        if (cmd == FUTEX_WAKE_BITSET && val3 == 0)
            return -EINVAL;
        return futex_wake(mm, uaddr, (int)val);
    default:
        return -ENOSYS;
    }
}

long sys_set_tid_address(uaddr_t tidptr)
{
    struct task *t = current_task();
    t->clear_child_tid = tidptr;
    return t->tid;
}

long sys_set_robust_list(uaddr_t head, size_t len)
{
    (void)head;
    return len == 24 ? 0 : -EINVAL; /* accepted; robust futexes are not cleaned up at exit */
}
