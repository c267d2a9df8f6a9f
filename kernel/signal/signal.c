/*
 * Sending signals and the system calls that set them up. A signal is a
 * bit in a pending mask: the process's (kill) or one thread's (tgkill,
 * faults). Delivery happens in signal/deliver.c on the way to user mode.
 * Lock: process->lock protects sig_pending of the process and its tasks;
 * sighand->lock protects the actions.
 */
#include "signal/signal.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "sys/sys_proc.h"
#include "lib/errno.h"
#include "lib/string.h"

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

int signal_send_info(struct process *p, int sig, int code, int pid, int status)
{
    if (sig < 1 || sig > NSIG)
        return -EINVAL;
    if (p->state != PROC_ALIVE)
        return 0; /* a zombie takes no more signals */
    spin_lock(&p->lock);
    p->sig_pending |= SIGBIT(sig);
    p->sig_origin[sig - 1] = (struct sig_origin){ code, pid, 0, status };
    for (struct task *t = p->threads; t; t = t->thread_next) /* any of them may take it */
        sched_wake_sleeper(t);
    spin_unlock(&p->lock);
    return 0;
}

/* si_code and si_pid for a signal sent by the running code. */
static void sender(int *code, int *pid)
{
    struct process *self = current_proc();
    *pid = self ? self->pid : 0;
    *code = self && self != kernel_process() ? 0 /* SI_USER */ : 0x80 /* SI_KERNEL */;
}

int signal_send(struct process *p, int sig)
{
    int code, pid;
    sender(&code, &pid);
    return signal_send_info(p, sig, code, pid, 0);
}

int signal_send_task(struct task *t, int sig)
{
    if (sig < 1 || sig > NSIG)
        return -EINVAL;
    int code, pid;
    sender(&code, &pid);
    spin_lock(&t->proc->lock);
    t->sig_pending |= SIGBIT(sig);
    t->proc->sig_origin[sig - 1] = (struct sig_origin){ code == 0 ? -6 /* SI_TKILL */ : code, pid, 0, 0 };
    sched_wake_sleeper(t);
    spin_unlock(&t->proc->lock);
    return 0;
}

int signal_send_pgrp(int pgid, int sig)
{
    int sent = 0, slot = 0;
    spin_lock(&proc_table_lock);
    for (struct process *p; (p = proc_next(&slot));) {
        if (p->pgid == pgid && p->state == PROC_ALIVE && p->pid > 1) {
            signal_send(p, sig);
            sent++;
        }
    }
    spin_unlock(&proc_table_lock);
    return sent ? 0 : -ESRCH;
}

int signal_pending(void)
{
    struct task *t = current_task();
    if (!t || !t->proc || t->proc == kernel_process())
        return 0;
    if (t->kill_requested)
        return 1;
    uint64_t pending = (t->sig_pending | t->proc->sig_pending) & ~t->sig_blocked;
    return pending != 0;
}

long sys_rt_sigaction(int sig, uaddr_t act, uaddr_t oldact, size_t sigsetsize)
{
    if (sigsetsize != 8)
        return -EINVAL;
    if (sig < 1 || sig > NSIG || ((sig == SIGKILL || sig == SIGSTOP) && act))
        return -EINVAL;
    struct sighand *h = current_proc()->sighand;
    struct sigaction_k new, old;
    if (act && copy_from_user(&new, act, sizeof new) < 0)
        return -EFAULT;
    spin_lock(&h->lock);
    old = h->action[sig - 1];
    if (act) {
        new.mask &= ~UNBLOCKABLE;
        h->action[sig - 1] = new;
    }
    spin_unlock(&h->lock);
    if (act && new.handler == 1) { /* SIG_IGN discards what is pending (POSIX) */
        struct process *p = current_proc();
        spin_lock(&p->lock);
        p->sig_pending &= ~SIGBIT(sig);
        for (struct task *t = p->threads; t; t = t->thread_next)
            t->sig_pending &= ~SIGBIT(sig);
        spin_unlock(&p->lock);
    }
    if (oldact && copy_to_user(oldact, &old, sizeof old) < 0)
        return -EFAULT;
    return 0;
}

long sys_rt_sigprocmask(int how, uaddr_t set, uaddr_t oldset, size_t sigsetsize)
{
    if (sigsetsize != 8)
        return -EINVAL;
    struct task *t = current_task();
    uint64_t old = t->sig_blocked, new;
    if (set) {
        if (copy_from_user(&new, set, sizeof new) < 0)
            return -EFAULT;
        switch (how) {
        case SIG_BLOCK:
            t->sig_blocked |= new;
            break;
        case SIG_UNBLOCK:
            t->sig_blocked &= ~new;
            break;
        case SIG_SETMASK:
            t->sig_blocked = new;
            break;
        default:
            return -EINVAL;
        }
        t->sig_blocked &= ~UNBLOCKABLE;
    }
    if (oldset && copy_to_user(oldset, &old, sizeof old) < 0)
        return -EFAULT;
    return 0;
}

long sys_rt_sigpending(uaddr_t set, size_t sigsetsize)
{
    if (sigsetsize > 8)
        return -EINVAL;
    struct task *t = current_task();
    uint64_t pending = (t->sig_pending | t->proc->sig_pending) & t->sig_blocked;
    return copy_to_user(set, &pending, sigsetsize) < 0 ? -EFAULT : 0;
}

long sys_rt_sigsuspend(uaddr_t umask, size_t sigsetsize)
{
    if (sigsetsize != 8)
        return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, umask, sizeof mask) < 0)
        return -EFAULT;
    struct task *t = current_task();
    t->saved_blocked = t->sig_blocked; /* restored after the handler runs (deliver.c) */
    t->restore_blocked = 1;
    t->sig_blocked = mask & ~UNBLOCKABLE;
    while (!signal_pending())
        yield_poll("sigsuspend");
    return -EINTR;
}

long sys_sigaltstack(uaddr_t ss, uaddr_t old)
{
    (void)ss;
    if (old) { /* report "disabled": handlers run on the normal stack */
        uint64_t st[3] = { 0, 2 /* SS_DISABLE */, 0 };
        if (copy_to_user(old, st, sizeof st) < 0)
            return -EFAULT;
    }
    return 0;
}

/* May the caller signal p? Everyone may, until lab 9d brings UID checks. */
static int may_signal(struct process *p)
{
    (void)p;
    return 1;
}

long sys_kill(int pid, int sig)
{
    if (sig < 0 || sig > NSIG)
        return -EINVAL;
    struct process *self = current_proc();
    if (pid > 0) {
        spin_lock(&proc_table_lock);
        struct process *p = proc_find(pid);
        int err = !p || p->state != PROC_ALIVE ? -ESRCH : !may_signal(p) ? -EPERM : 0;
        if (!err && sig)
            signal_send(p, sig);
        spin_unlock(&proc_table_lock);
        return err;
    }
    int pgid = pid == 0 ? self->pgid : -pid;
    int found = 0, slot = 0;
    spin_lock(&proc_table_lock);
    for (struct process *p; (p = proc_next(&slot));) {
        if (p->state != PROC_ALIVE || p->pid <= 1 || (pid == -1 ? p == self : p->pgid != pgid))
            continue;
        found++;
        if (sig)
            signal_send(p, sig);
    }
    spin_unlock(&proc_table_lock);
    return found ? 0 : -ESRCH;
}

/* The task with this tid (in process tgid when tgid > 0), table locked. */
static struct task *find_task(int tgid, int tid)
{
    int slot = 0;
    for (struct process *p; (p = proc_next(&slot));) {
        if ((tgid > 0 && p->pid != tgid) || p->state != PROC_ALIVE)
            continue;
        for (struct task *t = p->threads; t; t = t->thread_next)
            if (t->tid == tid)
                return t;
    }
    return NULL;
}

long sys_tgkill(int tgid, int tid, int sig)
{
    if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG)
        return -EINVAL;
    spin_lock(&proc_table_lock);
    struct task *t = find_task(tgid, tid);
    if (t && sig)
        signal_send_task(t, sig);
    spin_unlock(&proc_table_lock);
    return t ? 0 : -ESRCH;
}

long sys_tkill(int tid, int sig)
{
    if (tid <= 0 || sig < 0 || sig > NSIG)
        return -EINVAL;
    spin_lock(&proc_table_lock);
    struct task *t = find_task(0, tid);
    if (t && sig)
        signal_send_task(t, sig);
    spin_unlock(&proc_table_lock);
    return t ? 0 : -ESRCH;
}
