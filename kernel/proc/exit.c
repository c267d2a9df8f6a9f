/*
 * Ending threads and processes, and waiting for children. A process ends
 * when its last thread does: it drops its resources, becomes a zombie that
 * keeps only its exit status, gives its children to init, and tells its
 * parent (SIGCHLD). wait4/waitid reap zombies; until lab 9c they poll.
 */
#include "proc/process.h"
#include "proc/proc_internal.h"
#include "proc/futex.h"
#include "sched/sched.h"
#include "sched/switch_mm.h"
#include "sys/sys_proc.h"
#include "mm/kmalloc.h"
#include "mm/vm.h"
#include "mm/refcount.h"
#include "mm/tlb.h"
#include "fs/fdtable.h"
#include "fs/fs_struct.h"
#include "signal/signal.h"
#include "arch/x86_64/percpu.h"
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "fs/vfs.h"
#include "drivers/power.h"
#include "lib/errno.h"

#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000
#define P_ALL 0
#define P_PID 1
#define P_PGID 2

void process_add_thread(struct process *p, struct task *t)
{
    spin_lock(&p->lock);
    t->thread_next = p->threads;
    p->threads = t;
    p->nthreads++;
    spin_unlock(&p->lock);
}

void vfork_release(struct process *p)
{
    __atomic_store_n(&p->vfork_parent_waiting, 0, __ATOMIC_RELEASE);
}

void process_release_resources(struct process *p)
{
    if (p->mm) {
        if (current_proc() == p)
            cpu_load_mm(NULL); /* leave the table: other CPUs drop theirs when they switch */
        mm_put(p->mm);
        p->mm = NULL;
    }
    if (p->files) {
        fdtable_put(p->files);
        p->files = NULL;
    }
    if (p->fs) {
        fs_struct_put(p->fs);
        p->fs = NULL;
    }
    if (p->sighand) {
        if (__atomic_sub_fetch(&p->sighand->refcount, 1, __ATOMIC_ACQ_REL) == 0)
            kfree(p->sighand);
        p->sighand = NULL;
    }
}

/* Unlink p from its parent's child list (table locked). */
static void unlink_child(struct process *p)
{
    if (!p->parent)
        return;
    for (struct process **pp = &p->parent->children; *pp; pp = &(*pp)->sibling) {
        if (*pp == p) {
            *pp = p->sibling;
            break;
        }
    }
}

void process_abandon(struct process *p)
{
    process_release_resources(p);
    spin_lock(&proc_table_lock);
    unlink_child(p);
    process_free(p);
    spin_unlock(&proc_table_lock);
}

/* Does the parent want no zombies (SIGCHLD ignored or SA_NOCLDWAIT)? */
static int parent_discards_children(struct process *parent)
{
    if (!parent->sighand)
        return 0;
    struct sigaction_k *a = &parent->sighand->action[SIGCHLD - 1];
    return a->handler == 1 || (a->flags & 2 /* SA_NOCLDWAIT */);
}

/* Processes other than init not yet ended (orphans still running), for the power-off report. */
static int live_processes(void)
{
    int n = 0, slot = 0;
    spin_lock(&proc_table_lock);
    for (struct process *q; (q = proc_next(&slot));)
        n += q->state == PROC_ALIVE && q->pid != 1;
    spin_unlock(&proc_table_lock);
    return n;
}

/* The last thread is gone: turn p into a zombie (or free it) and tell the parent. */
static void process_finish(struct process *p)
{
    vfork_release(p);
    process_release_resources(p);
    if (p->pid == 1) {
        int st = p->exit_status;
        int code = (st & 0x7F) ? 128 + (st & 0x7F) : (st >> 8) & 0xFF;
        int others = live_processes();
        vfs_shutdown(others); /* disk file systems clean before the power goes */
        kprintf("keel: cr3 switches %lu, cr3 skips %lu, tlb shootdown IPIs %lu\n", cr3_switches, cr3_skips,
                tlb_ipis_sent);
        kprintf("keel: %lu user frames still allocated at power-off (other processes alive: %d)\n",
                user_frames, others);
        if (late_wakeups)
            kprintf("keel: %lu sleeps found their flag set only at the timer's recheck (a lost wake-up)\n",
                    late_wakeups);
        blk_report(); /* before the last line: keel-run stops reading there */
        kprintf("keel: init exited with status %d\n", code);
        qemu_exit(code == 0 ? EXIT_PASS : EXIT_FAIL);
    }
    spin_lock(&proc_table_lock);
    struct process *init = proc_find(1);
    while (p->children) { /* orphans go to init */
        struct process *c = p->children;
        p->children = c->sibling;
        c->parent = init;
        if (init) {
            c->sibling = init->children;
            init->children = c;
            if (c->state == PROC_ZOMBIE)
                signal_send_info(init, SIGCHLD, 1, c->pid, 0);
        }
    }
    struct process *parent = p->parent;
    if (parent && parent_discards_children(parent)) {
        unlink_child(p);
        process_free(p);
    } else {
        p->state = PROC_ZOMBIE;
        int st = p->exit_status, killed = (st & 0x7F) != 0;
        if (parent && p->exit_signal) /* CLD_KILLED (2) or CLD_EXITED (1) */
            signal_send_info(parent, p->exit_signal, killed ? 2 : 1, p->pid, killed ? st & 0x7F : (st >> 8) & 0xFF);
    }
    spin_unlock(&proc_table_lock);
}

void task_exit(void)
{
    struct task *t = current_task();
    struct process *p = t->proc;
    if (t->clear_child_tid && p->mm) { /* pthread_join waits on this word */
        int zero = 0;
        if (copy_to_user(t->clear_child_tid, &zero, sizeof zero) == 0)
            futex_wake(p->mm, t->clear_child_tid, 1);
    }
    spin_lock(&p->lock);
    for (struct task **pp = &p->threads; *pp; pp = &(*pp)->thread_next) {
        if (*pp == t) {
            *pp = t->thread_next;
            break;
        }
    }
    int last = --p->nthreads == 0;
    spin_unlock(&p->lock);
    if (last)
        process_finish(p);
    sched_exit_current();
}

void process_exit_group(int status)
{
    struct process *p = current_proc();
    spin_lock(&p->lock);
    if (!p->exiting) { /* the first fatal event decides the status */
        p->exiting = 1;
        p->exit_status = status;
    }
    for (struct task *t = p->threads; t; t = t->thread_next) {
        if (t != current_task()) {
            t->kill_requested = 1;
            sched_wake_sleeper(t);
        }
    }
    spin_unlock(&p->lock);
    task_exit();
}

long sys_exit(int code)
{
    struct process *p = current_proc();
    spin_lock(&p->lock);
    if (!p->exiting)
        p->exit_status = (code & 0xFF) << 8; /* if this is the last thread, this is the status */
    spin_unlock(&p->lock);
    task_exit();
}

long sys_exit_group(int code)
{
    process_exit_group((code & 0xFF) << 8);
}

/* Does child c match wait's pid argument (Linux's rules)? */
static int wait_matches(struct process *self, struct process *c, int pid)
{
    if (pid > 0)
        return c->pid == pid;
    if (pid == 0)
        return c->pgid == self->pgid;
    if (pid < -1)
        return c->pgid == -pid;
    return 1;
}

/*
 * Find a zombie child matching pid; reap it unless keep. Returns its pid
 * with its status, 0 if children exist but none is a zombie, -ECHILD if none.
 */
static int reap(int pid, int keep, int *status)
{
    struct process *self = current_proc();
    spin_lock(&proc_table_lock);
    int found = 0;
    for (struct process *c = self->children; c; c = c->sibling) {
        if (!wait_matches(self, c, pid))
            continue;
        found = 1;
        if (c->state != PROC_ZOMBIE)
            continue;
        int cpid = c->pid;
        *status = c->exit_status;
        if (!keep) {
            unlink_child(c);
            process_free(c);
        }
        spin_unlock(&proc_table_lock);
        return cpid;
    }
    spin_unlock(&proc_table_lock);
    return found ? 0 : -ECHILD;
}

long sys_wait4(int pid, uaddr_t status, int options, uaddr_t rusage)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE))
        return -EINVAL;
    if (status && !user_range_ok(status, sizeof(int)))
        return -EFAULT;
    for (;;) {
        int st = 0;
        int r = reap(pid, 0, &st);
        if (r > 0) {
            if (status && copy_to_user(status, &st, sizeof st) < 0)
                return -EFAULT;
            if (rusage && clear_user(rusage, 144) < 0)
                return -EFAULT;
            return r;
        }
        if (r < 0 || (options & WNOHANG))
            return r;
        if (signal_pending())
            return -ERESTARTSYS;
        yield_poll("wait");
    }
}

long sys_waitid(int idtype, int id, uaddr_t info, int options, uaddr_t rusage)
{
    if (!(options & (WEXITED | WUNTRACED | WCONTINUED)) ||
        (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | __WALL | __WCLONE)))
        return -EINVAL;
    int pid = idtype == P_ALL ? -1 : idtype == P_PID ? id : idtype == P_PGID ? -id : 0;
    if (idtype < P_ALL || idtype > P_PGID || (idtype == P_PID && id <= 0) || (idtype == P_PGID && id <= 0))
        return -EINVAL;
    if (idtype == P_PGID && id == 0)
        pid = 0;
    for (;;) {
        int st = 0;
        int r = reap(pid, (options & WNOWAIT) != 0, &st);
        if (r > 0 || (r == 0 && (options & WNOHANG))) {
            int32_t si[32] = { 0 }; /* siginfo_t: 128 bytes */
            if (r > 0) {
                si[0] = SIGCHLD;
                int killed = (st & 0x7F) != 0;
                si[2] = killed ? ((st & 0x80) ? 3 /* CLD_DUMPED */ : 2 /* CLD_KILLED */) : 1 /* CLD_EXITED */;
                si[4] = r;                                  /* si_pid */
                si[6] = killed ? (st & 0x7F) : (st >> 8) & 0xFF; /* si_status */
            }
            if (info && copy_to_user(info, si, sizeof si) < 0)
                return -EFAULT;
            if (rusage && clear_user(rusage, 144) < 0)
                return -EFAULT;
            return 0;
        }
        if (r < 0)
            return r;
        if (signal_pending())
            return -ERESTARTSYS;
        yield_poll("waitid");
    }
}
