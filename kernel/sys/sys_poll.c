/*
 * poll, ppoll, select and pselect6. Until lab 9c there are no wait
 * queues: ask every file whether it is ready, and if none is, sleep a
 * tick and ask again, until the timeout or a signal.
 */
#include "sys/sys_fs.h"
#include "arch/x86_64/time.h"
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
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

/* select and pselect6: fd_set bitmaps turned into one poll pass per tick. */
static long do_select(int nfds, uaddr_t uin, uaddr_t uout, uaddr_t uex, int64_t timeout_ns)
{
    if (nfds < 0 || nfds > NR_OPEN)
        return -EINVAL;
    size_t bytes = (size_t)(nfds + 63) / 64 * 8;
    uint64_t in[NR_OPEN / 64] = { 0 }, out[NR_OPEN / 64] = { 0 }, ex[NR_OPEN / 64] = { 0 };
    if ((uin && copy_from_user(in, uin, bytes)) || (uout && copy_from_user(out, uout, bytes)) ||
        (uex && copy_from_user(ex, uex, bytes)))
        return -EFAULT;
    struct pollfd_k *pfd = kmalloc((size_t)(nfds ? nfds : 1) * sizeof *pfd);
    if (!pfd)
        return -ENOMEM;
    unsigned n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        uint64_t bit = 1ull << (fd % 64);
        short ev = (short)(((in[fd / 64] & bit) ? POLLIN : 0) | ((out[fd / 64] & bit) ? POLLOUT : 0) |
                           ((ex[fd / 64] & bit) ? POLLPRI : 0));
        if (ev)
            pfd[n++] = (struct pollfd_k){ fd, ev, 0 };
    }
    uint64_t deadline = timeout_ns < 0 ? 0 : time_ns() + (uint64_t)timeout_ns;
    long ret;
    for (;;) {
        poll_once(pfd, n);
        ret = 0;
        for (unsigned i = 0; i < n; i++) {
            if (pfd[i].revents & POLLNVAL) {
                ret = -EBADF;
                goto out;
            }
            if (pfd[i].revents & ((pfd[i].events & POLLIN) | POLLHUP | POLLERR))
                ret += (pfd[i].events & POLLIN) != 0;
            if (pfd[i].revents & ((pfd[i].events & POLLOUT) | POLLERR))
                ret += (pfd[i].events & POLLOUT) != 0;
            if (pfd[i].revents & pfd[i].events & POLLPRI)
                ret++;
        }
        if (ret || timeout_ns == 0 || (timeout_ns > 0 && time_ns() >= deadline))
            break;
        if (signal_pending()) {
            ret = -EINTR;
            goto out;
        }
        yield_poll("select");
    }
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    memset(ex, 0, sizeof ex);
    for (unsigned i = 0; i < n; i++) {
        int fd = pfd[i].fd;
        uint64_t bit = 1ull << (fd % 64);
        if ((pfd[i].events & POLLIN) && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
            in[fd / 64] |= bit;
        if ((pfd[i].events & POLLOUT) && (pfd[i].revents & (POLLOUT | POLLERR)))
            out[fd / 64] |= bit;
        if (pfd[i].revents & pfd[i].events & POLLPRI)
            ex[fd / 64] |= bit;
    }
    if ((uin && copy_to_user(uin, in, bytes)) || (uout && copy_to_user(uout, out, bytes)) ||
        (uex && copy_to_user(uex, ex, bytes)))
        ret = -EFAULT;
out:
    kfree(pfd);
    return ret;
}

struct timeval_u {
    int64_t sec, usec;
};

long sys_select(int nfds, uaddr_t in, uaddr_t out, uaddr_t ex, uaddr_t utv)
{
    int64_t timeout = -1;
    if (utv) {
        struct timeval_u tv;
        if (copy_from_user(&tv, utv, sizeof tv))
            return -EFAULT;
        if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000)
            return -EINVAL;
        timeout = tv.sec > 1000000000 ? (int64_t)1 << 62 : tv.sec * 1000000000 + tv.usec * 1000;
    }
    return do_select(nfds, in, out, ex, timeout);
}

/* pselect6's last argument points at { const sigset_t *mask; size_t size; }. */
long sys_pselect6(int nfds, uaddr_t in, uaddr_t out, uaddr_t ex, uaddr_t uts, uaddr_t usig)
{
    int64_t timeout = -1;
    if (uts) {
        struct timespec_u ts;
        if (copy_from_user(&ts, uts, sizeof ts))
            return -EFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -EINVAL;
        timeout = ts.sec > 1000000000 ? (int64_t)1 << 62 : ts.sec * 1000000000 + ts.nsec;
    }
    struct task *t = current_task();
    uint64_t sig[2] = { 0, 0 };
    if (usig && copy_from_user(sig, usig, sizeof sig))
        return -EFAULT;
    uint64_t mask = 0;
    if (sig[0] && t) {
        if (sig[1] != 8)
            return -EINVAL;
        if (copy_from_user(&mask, sig[0], sizeof mask))
            return -EFAULT;
        t->saved_blocked = t->sig_blocked;
        t->sig_blocked = mask & ~UNBLOCKABLE;
        t->restore_blocked = 1;
    }
    long r = do_select(nfds, in, out, ex, timeout);
    if (sig[0] && t && r != -EINTR) {
        t->sig_blocked = t->saved_blocked;
        t->restore_blocked = 0;
    }
    return r;
}
