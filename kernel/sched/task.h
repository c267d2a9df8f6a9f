/*
 * struct task: the schedulable thread. A process (proc/process.h) owns one
 * or more tasks; a kernel thread is a task of the kernel process.
 */
#pragma once
#include <stdint.h>
#include "lib/uaccess.h"
#include "mm/memlayout.h"

struct process;
struct trapframe;

enum task_state {
    TASK_RUNNABLE, /* on the run queue */
    TASK_RUNNING,  /* on a CPU */
    TASK_SLEEPING, /* waiting for wake_ns (polling waits and sleeps) */
    TASK_DEAD,     /* exited; the scheduler frees it once it has switched away */
};

/* Callee-saved registers of a task switched out in switch.S. */
struct context {
    uint64_t r15, r14, r13, r12, rbx, rbp, rip;
};

struct task {
    int tid;
    struct process *proc;
    enum task_state state;
    const char *block_reason;   /* what it waits for, for /proc and debugging */
    struct context *ctx;
    vaddr_t kstack_top;         /* the trapframe of a user task sits right below */
    struct trapframe *tf;       /* saved user registers (user tasks) */
    uint64_t fs_base;           /* arch_prctl(ARCH_SET_FS): TLS */
    int cpu;                    /* where it last ran */
    uint64_t wake_ns;           /* TASK_SLEEPING: runnable at the first tick after time_ns() reaches this */
    int woken_by_timer;         /* the last wake-up came from wake_ns passing, not from a waker */
    uint64_t utime, stime;      /* ticks spent in user and kernel mode */
    uint64_t start_time;        /* ticks since boot at creation */
    uint64_t sig_blocked;       /* blocked signal mask (bit n-1 = signal n) */
    uint64_t sig_pending;       /* signals sent to this thread */
    uint64_t saved_blocked;     /* rt_sigsuspend: the mask to restore after the handler */
    int restore_blocked;
    uint64_t fault_addr;        /* si_addr of a pending SIGSEGV/SIGBUS/SIGILL/SIGFPE */
    int fault_code;             /* its si_code */
    uaddr_t clear_child_tid;    /* set_tid_address / CLONE_CHILD_CLEARTID */
    uaddr_t set_child_tid;      /* CLONE_CHILD_SETTID: written by the child at its start */
    int exit_code;
    int kill_requested;         /* another thread exec'd or called exit_group */
    uint8_t *fpu;               /* fxsave area (512 bytes, 16-aligned): user FP/SSE registers */
    struct task *rq_next;       /* run queue link */
    struct task *thread_next;   /* next task of the same process */
    struct task *all_next;      /* list of every task (for sleepers and /proc) */
};

/* A task of p with a kernel stack and an FPU area (not yet runnable); NULL if out of memory. */
struct task *task_alloc(struct process *p);
/* Make t start at entry (which must release rq_lock first) when first scheduled. */
void task_set_entry(struct task *t, void (*entry)(void));
/* The process every kernel thread belongs to (pid 0). */
struct process *kernel_process(void);
