/*
 * struct process: what the tasks of one program share (address space,
 * files, signal handlers, identity). Lock: proc_table_lock (proc/process.c)
 * protects the process table, parent/child links and process states.
 */
#pragma once
#include <stdint.h>
#include "sched/spinlock.h"
#include "sched/task.h"

#define NSIG 64
#define MAX_PROCS 1024

struct mm;
struct fdtable;
struct fs_struct;

enum proc_state { PROC_ALIVE, PROC_ZOMBIE };

/* Linux's struct k_sigaction layout as rt_sigaction passes it. */
struct sigaction_k {
    uint64_t handler;  /* SIG_DFL = 0, SIG_IGN = 1, or a user function */
    uint64_t flags;    /* SA_* */
    uint64_t restorer; /* SA_RESTORER: musl's __restore_rt */
    uint64_t mask;
};

/* What a handler's siginfo says about a pending signal (the last send wins). */
struct sig_origin {
    int code;   /* si_code: SI_USER 0, SI_TKILL -6, SI_KERNEL 0x80, CLD_* for SIGCHLD */
    int pid;    /* the sender, or the child for SIGCHLD */
    int uid;
    int status; /* SIGCHLD: the exit code or the signal */
};

struct sighand {
    int refcount;      /* shared by CLONE_SIGHAND threads */
    struct spinlock lock;
    struct sigaction_k action[NSIG];
};

struct process {
    int pid;
    char name[16];               /* the program's name, for ps and /proc */
    enum proc_state state;
    int exit_status;             /* wait4 status word once a zombie */
    struct process *parent;
    struct process *children;    /* first child; siblings linked by sibling */
    struct process *sibling;
    struct task *threads;        /* linked by task->thread_next */
    int nthreads;                /* live threads */

    struct mm *mm;               /* NULL for the kernel process */
    struct fdtable *files;
    struct fs_struct *fs;        /* cwd, root, umask */
    struct sighand *sighand;
    uint64_t sig_pending;        /* signals sent to the whole process */
    struct sig_origin sig_origin[NSIG]; /* siginfo of each pending signal */

    int pgid, sid;
    int uid, euid, suid, gid, egid, sgid; /* all 0 until lab 9d */
    int exit_signal;             /* sent to the parent at exit (SIGCHLD) */
    int exiting;                 /* exit_group or a fatal signal started: exit_status is final */
    volatile int vfork_parent_waiting; /* a vfork parent sleeps until exec or exit clears it */
    struct spinlock lock;        /* threads list, sig_pending */
};

extern struct spinlock proc_table_lock;

struct process *proc_find(int pid);              /* caller holds proc_table_lock */
int proc_alloc_pid(void);                        /* caller holds proc_table_lock */
struct process *process_alloc(int *err);         /* in the table, with a pid */
void process_free(struct process *p);            /* caller holds proc_table_lock */
struct process *proc_next(int *slot);            /* iterate the table (locked) */
