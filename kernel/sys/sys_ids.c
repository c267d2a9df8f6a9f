/*
 * Who am I: process, thread, group and session ids, and user ids (always
 * root until lab 9d brings UIDs and their permission checks).
 */
#include "sys/sys_proc.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "lib/errno.h"

long sys_getpid(void) { return current_proc()->pid; }
long sys_gettid(void) { return current_task()->tid; }
long sys_getuid(void) { return current_proc()->uid; }
long sys_geteuid(void) { return current_proc()->euid; }
long sys_getgid(void) { return current_proc()->gid; }
long sys_getegid(void) { return current_proc()->egid; }

long sys_getppid(void)
{
    spin_lock(&proc_table_lock);
    struct process *parent = current_proc()->parent;
    long ppid = parent ? parent->pid : 0;
    spin_unlock(&proc_table_lock);
    return ppid;
}

long sys_getpgid(int pid)
{
    if (pid < 0)
        return -ESRCH;
    spin_lock(&proc_table_lock);
    struct process *p = pid ? proc_find(pid) : current_proc();
    long r = p ? p->pgid : -ESRCH;
    spin_unlock(&proc_table_lock);
    return r;
}

long sys_getpgrp(void) { return current_proc()->pgid; }

long sys_getsid(int pid)
{
    if (pid < 0)
        return -ESRCH;
    spin_lock(&proc_table_lock);
    struct process *p = pid ? proc_find(pid) : current_proc();
    long r = p ? p->sid : -ESRCH;
    spin_unlock(&proc_table_lock);
    return r;
}

/* Linux's rules: the caller or one of its children, in the caller's session. */
long sys_setpgid(int pid, int pgid)
{
    struct process *self = current_proc();
    if (pgid < 0)
        return -EINVAL;
    spin_lock(&proc_table_lock);
    struct process *p = pid ? proc_find(pid) : self;
    long err = 0;
    if (!p || (p != self && p->parent != self))
        err = -ESRCH;
    else if (p->sid != self->sid || p->pid == p->sid)
        err = -EPERM; /* another session, or a session leader */
    if (!err) {
        int target = pgid ? pgid : p->pid;
        if (target != p->pid) { /* joining a group: it must exist in our session */
            int ok = 0, slot = 0;
            for (struct process *q; (q = proc_next(&slot));)
                ok |= q->pgid == target && q->sid == self->sid;
            if (!ok)
                err = -EPERM;
        }
        if (!err)
            p->pgid = target;
    }
    spin_unlock(&proc_table_lock);
    return err;
}

long sys_setsid(void)
{
    struct process *self = current_proc();
    spin_lock(&proc_table_lock);
    int leader = 0, slot = 0;
    for (struct process *q; (q = proc_next(&slot));)
        leader |= q->pgid == self->pid;
    long r = -EPERM; /* already a group leader: Linux refuses */
    if (!leader) {
        self->sid = self->pgid = self->pid;
        r = self->pid;
    }
    spin_unlock(&proc_table_lock);
    return r;
}

/* Supplementary groups: none until lab 9d brings users and groups. */
long sys_getgroups(int size, uaddr_t list)
{
    (void)list;
    return size < 0 ? -EINVAL : 0;
}

long sys_setgroups(int size, uaddr_t list)
{
    (void)list;
    if (size < 0 || size > 65536)
        return -EINVAL;
    return current_proc()->euid == 0 ? 0 : -EPERM;
}
