/*
 * The process table, pids, and allocating processes and tasks.
 * Lock: proc_table_lock protects the process list, pid allocation, the
 * parent/child/sibling links and process states.
 */
#include "proc/process.h"
#include "sched/sched.h"
#include "mm/kernel_vm.h"
#include "mm/kmalloc.h"
#include "mm/vm.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "lib/string.h"

struct spinlock proc_table_lock = SPINLOCK_INIT("proc_table");
static struct process *procs[MAX_PROCS]; /* by slot; pids are not slot numbers */
static int next_pid = 1;
static int next_tid = 1;
static struct process kernel_proc = { .pid = 0, .name = "kernel", .state = PROC_ALIVE };

struct process *kernel_process(void)
{
    return &kernel_proc;
}

struct process *proc_find(int pid)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] && procs[i]->pid == pid)
            return procs[i];
    return NULL;
}

/* A pid not used by any process, process group or session (table locked). */
int proc_alloc_pid(void)
{
    for (int tries = 0; tries < 32768; tries++) {
        int pid = next_pid++;
        if (next_pid >= 32768)
            next_pid = 2;
        int used = 0;
        for (int i = 0; i < MAX_PROCS && !used; i++)
            used = procs[i] && (procs[i]->pid == pid || procs[i]->pgid == pid || procs[i]->sid == pid);
        if (!used)
            return pid;
    }
    return -EAGAIN;
}

/* A fresh process in the table with a pid (everything else zero), or -errno. */
struct process *process_alloc(int *err)
{
    struct process *p = kzalloc(sizeof *p);
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    spin_init(&p->lock, "process");
    spin_lock(&proc_table_lock);
    int slot = -1;
    for (int i = 0; i < MAX_PROCS && slot < 0; i++)
        if (!procs[i])
            slot = i;
    int pid = slot < 0 ? -EAGAIN : proc_alloc_pid();
    if (pid < 0) {
        spin_unlock(&proc_table_lock);
        kfree(p);
        *err = -EAGAIN;
        return NULL;
    }
    p->pid = pid;
    p->state = PROC_ALIVE;
    procs[slot] = p;
    spin_unlock(&proc_table_lock);
    return p;
}

/* Remove a reaped zombie from the table and free it (table locked). */
void process_free(struct process *p)
{
    for (int i = 0; i < MAX_PROCS; i++)
        if (procs[i] == p)
            procs[i] = NULL;
    kfree(p);
}

/* Iterate the table: the first process with slot >= *i, or NULL (table locked). */
struct process *proc_next(int *i)
{
    for (; *i < MAX_PROCS; (*i)++)
        if (procs[*i])
            return procs[(*i)++];
    return NULL;
}

struct task *task_alloc(struct process *p)
{
    struct task *t = kzalloc(sizeof *t);
    if (!t)
        return NULL;
    t->kstack_top = kstack_alloc();
    t->fpu = kmalloc(512); /* kmalloc's 512-byte class is 512-aligned: fxsave needs 16 */
    if (!t->kstack_top || !t->fpu) {
        if (t->kstack_top)
            kstack_free(t->kstack_top);
        kfree(t->fpu);
        kfree(t);
        return NULL;
    }
    memset(t->fpu, 0, 512);
    ((uint16_t *)t->fpu)[0] = 0x37F;              /* FCW: x87 default */
    ((uint32_t *)t->fpu)[6] = 0x1F80;             /* MXCSR: SSE default */
    t->tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
    t->proc = p;
    t->tf = (struct trapframe *)(t->kstack_top - sizeof(struct trapframe));
    t->start_time = ticks;
    return t;
}

void task_set_entry(struct task *t, void (*entry)(void))
{
    struct context *ctx = (struct context *)((char *)t->tf - sizeof(struct context));
    memset(ctx, 0, sizeof *ctx);
    ctx->rip = (uint64_t)entry;
    t->ctx = ctx;
}

/* Called by the scheduler once a dead task can no longer run. */
void task_free(struct task *t)
{
    kstack_free(t->kstack_top);
    kfree(t->fpu);
    kfree(t);
}
