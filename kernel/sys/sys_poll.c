/*
 * poll and ppoll. Until lab 9c there are no wait queues: ask every file
 * whether it is ready, and if none is, sleep a tick and ask again, until
 * the timeout or a signal.
 */
#include "sys/sys_fs.h"
#include "arch/x86_64/time.h"
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "signal/signal.h"

struct pollfd_k {
    int fd;
    short events, revents;
};

struct timespec_u {
    int64_t sec, nsec;
};

/* One pass over the set: how many entries have something to report. */
static int poll_once(struct pollfd_k *pfd, unsigned nfds)
{
    int ready = 0;
    for (unsigned i = 0; i < nfds; i++) {
        pfd[i].revents = 0;
        if (pfd[i].fd < 0)
            continue;
        struct file *f = fget(pfd[i].fd);
        int mask;
        if (!f) {
            mask = POLLNVAL;
        } else {
            mask = f->f_op && f->f_op->poll ? f->f_op->poll(f) : POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
            file_close(f);
        }
        pfd[i].revents = (short)(mask & (pfd[i].events | POLLERR | POLLHUP | POLLNVAL));
        if (pfd[i].revents)
            ready++;
    }
    return ready;
}

/* The common body: timeout_ns < 0 waits for ever. */
static long do_poll(uaddr_t ufds, unsigned nfds, int64_t timeout_ns)
{
    if (nfds > NR_OPEN)
        return -EINVAL;
    struct pollfd_k *pfd = kmalloc((nfds ? nfds : 1) * sizeof *pfd);
    if (!pfd)
        return -ENOMEM;
    long ret;
    if (copy_from_user(pfd, ufds, nfds * sizeof *pfd)) {
        ret = -EFAULT;
        goto out;
    }
    uint64_t deadline = timeout_ns < 0 ? 0 : time_ns() + (uint64_t)timeout_ns;
    for (;;) {
        ret = poll_once(pfd, nfds);
        if (ret || timeout_ns == 0 || (timeout_ns > 0 && time_ns() >= deadline))
            break;
        if (signal_pending()) {
            ret = -EINTR;
            break;
        }
        yield_poll("poll");
    }
    if (ret >= 0 && copy_to_user(ufds, pfd, nfds * sizeof *pfd))
        ret = -EFAULT;
out:
    kfree(pfd);
    return ret;
}

long sys_poll(uaddr_t fds, unsigned nfds, int timeout_ms)
{
    return do_poll(fds, nfds, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* ppoll: poll with a timespec and a signal mask in force while waiting. */
long sys_ppoll(uaddr_t fds, unsigned nfds, uaddr_t tsp, uaddr_t sigmask, size_t sigsetsize)
{
    int64_t timeout = -1;
    if (tsp) {
        struct timespec_u ts;
        if (copy_from_user(&ts, tsp, sizeof ts))
            return -EFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -EINVAL;
        timeout = ts.sec > 1000000000 ? (int64_t)1 << 62 : ts.sec * 1000000000 + ts.nsec;
    }
    struct task *t = current_task();
    if (sigmask && t) {
        uint64_t mask;
        if (sigsetsize != 8)
            return -EINVAL;
        if (copy_from_user(&mask, sigmask, sizeof mask))
            return -EFAULT;
        t->saved_blocked = t->sig_blocked;
        t->sig_blocked = mask & ~UNBLOCKABLE;
        t->restore_blocked = 1; /* signal delivery puts the old mask back after the handler */
    }
    long r = do_poll(fds, nfds, timeout);
    if (sigmask && t && r != -EINTR) {
        t->sig_blocked = t->saved_blocked;
        t->restore_blocked = 0;
    }
    return r;
}
