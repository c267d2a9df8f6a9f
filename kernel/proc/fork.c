/*
 * fork, vfork and clone. A new process gets copies (or, with the CLONE_*
 * flags, shares) of its parent's address space, files, cwd and signal
 * handlers; a new thread (CLONE_THREAD) is just another task of the
 * calling process. The child starts in fork_child_start and returns to
 * user mode with the parent's registers, rax = 0.
 */
#include "proc/process.h"
#include "proc/proc_internal.h"
#include "sched/sched.h"
#include "sys/sys_proc.h"
#include "sys/syscall.h"
#include "mm/kmalloc.h"
#include "mm/vm.h"
#include "fs/fdtable.h"
#include "fs/fs_struct.h"
#include "arch/x86_64/trap.h"
#include "signal/signal.h"
#include "lib/errno.h"
#include "lib/string.h"

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_CHILD_SETTID 0x01000000
#define CLONE_SUPPORTED (0xFF | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_VFORK | CLONE_PARENT | \
                         CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
                         CLONE_DETACHED | CLONE_CHILD_SETTID)

void fpu_save(void *area);
extern struct spinlock rq_lock;

/* First code of a forked task: finish what needs the child's own address space. */
static void fork_child_start(void)
{
    spin_unlock(&rq_lock);
    struct task *t = current_task();
    if (t->set_child_tid) {
        int tid = t->tid;
        copy_to_user(t->set_child_tid, &tid, sizeof tid);
    }
    return_to_user(t->tf);
    enter_user(t->tf);
}

static struct sighand *sighand_copy(struct sighand *from)
{
    struct sighand *h = kmalloc(sizeof *h);
    if (!h)
        return NULL;
    memcpy(h->action, from->action, sizeof h->action);
    h->refcount = 1;
    spin_init(&h->lock, "sighand");
    return h;
}

/* The new process's resources, shared or copied per flags: 0 or -ENOMEM. */
static int copy_resources(struct process *child, struct process *parent, unsigned long flags)
{
    if (flags & CLONE_VM) {
        mm_get(parent->mm);
        child->mm = parent->mm;
    } else if (!(child->mm = mm_fork(parent->mm))) {
        return -ENOMEM;
    }
    if (flags & CLONE_FILES) {
        fdtable_get(parent->files);
        child->files = parent->files;
    } else if (!(child->files = fdtable_copy(parent->files))) {
        return -ENOMEM;
    }
    if (flags & CLONE_FS) {
        fs_struct_get(parent->fs);
        child->fs = parent->fs;
    } else if (!(child->fs = fs_struct_copy(parent->fs))) {
        return -ENOMEM;
    }
    if (flags & CLONE_SIGHAND) {
        __atomic_add_fetch(&parent->sighand->refcount, 1, __ATOMIC_RELAXED);
        child->sighand = parent->sighand;
    } else if (!(child->sighand = sighand_copy(parent->sighand))) {
        return -ENOMEM;
    }
    return 0;
}

/* A new process for clone without CLONE_THREAD; NULL with *err on failure. */
static struct process *new_process(struct process *parent, unsigned long flags, int *err)
{
    struct process *p = process_alloc(err);
    if (!p)
        return NULL;
    memcpy(p->name, parent->name, sizeof p->name);
    p->uid = parent->uid, p->euid = parent->euid, p->suid = parent->suid;
    p->gid = parent->gid, p->egid = parent->egid, p->sgid = parent->sgid;
    p->pgid = parent->pgid;
    p->sid = parent->sid;
    p->exit_signal = flags & 0xFF;
    *err = copy_resources(p, parent, flags);
    if (*err) {
        process_release_resources(p);
        spin_lock(&proc_table_lock);
        process_free(p);
        spin_unlock(&proc_table_lock);
        return NULL;
    }
    spin_lock(&proc_table_lock);
    struct process *up = (flags & CLONE_PARENT) && parent->parent ? parent->parent : parent;
    p->parent = up;
    p->sibling = up->children;
    up->children = p;
    spin_unlock(&proc_table_lock);
    return p;
}

static long do_clone(unsigned long flags, uaddr_t newsp, uaddr_t parent_tid, uaddr_t child_tid, uint64_t tls)
{
    struct task *cur = current_task();
    struct process *parent = cur->proc;
    if (flags & ~(unsigned long)CLONE_SUPPORTED)
        return -EINVAL;
    if (((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND)) || ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM)))
        return -EINVAL;
    int err = 0;
    struct process *p = parent;
    if (!(flags & CLONE_THREAD) && !(p = new_process(parent, flags, &err)))
        return err;
    struct task *t = task_alloc(p);
    if (!t) {
        if (p != parent)
            process_abandon(p);
        return -ENOMEM;
    }
    if (p == parent) {
        spin_lock(&proc_table_lock);
        t->tid = proc_alloc_pid();
        spin_unlock(&proc_table_lock);
    } else {
        t->tid = p->pid;
    }
    *t->tf = *cur->tf;
    t->tf->rax = 0;
    if (newsp)
        t->tf->rsp = newsp;
    t->fs_base = (flags & CLONE_SETTLS) ? tls : cur->fs_base;
    t->sig_blocked = cur->sig_blocked;
    fpu_save(t->fpu); /* the parent's live user FP registers */
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = child_tid;
    if (flags & CLONE_CHILD_SETTID)
        t->set_child_tid = child_tid;
    if (flags & CLONE_PARENT_SETTID)
        copy_to_user(parent_tid, &t->tid, sizeof t->tid);
    int vfork = (flags & CLONE_VFORK) != 0;
    if (vfork)
        p->vfork_parent_waiting = 1;
    process_add_thread(p, t);
    task_set_entry(t, fork_child_start);
    int id = t->tid; /* t may run and exit before sched_add returns */
    sched_add(t);
    /* vfork: the parent sleeps until the child execs or exits (they share memory). */
    while (vfork && __atomic_load_n(&p->vfork_parent_waiting, __ATOMIC_ACQUIRE))
        yield_poll("vfork");
    return id;
}

long sys_clone(unsigned long flags, uaddr_t newsp, uaddr_t parent_tid, uaddr_t child_tid, uint64_t tls)
{
    return do_clone(flags, newsp, parent_tid, child_tid, tls);
}

long sys_fork(void)
{
    return do_clone(SIGCHLD, 0, 0, 0, 0);
}

long sys_vfork(void)
{
    return do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0);
}
