/*
 * Signals: sending, the pending check that blocking calls poll, and
 * delivery on the way back to user mode (signal/deliver.c).
 */
#pragma once
#include <stdint.h>

struct process;
struct task;
struct trapframe;

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGWINCH 28
#define SIGSYS 31

#define SIGBIT(sig) (1ul << ((sig) - 1))

/* Queue sig for a process (any thread may take it) / one thread / a group. */
int signal_send(struct process *p, int sig);
/* The same with an explicit siginfo origin (si_code, si_pid, si_status). */
int signal_send_info(struct process *p, int sig, int code, int pid, int status);
int signal_send_task(struct task *t, int sig);
int signal_send_pgrp(int pgid, int sig);
/* Is a signal pending that would interrupt the current task's blocking call? */
int signal_pending(void);
/* Deliver pending signals before returning to user mode with frame tf. */
void signal_deliver(struct trapframe *tf);
/* A fault in user mode: send sig with si_addr = addr (SIGSEGV, SIGBUS...). */
void signal_fault(int sig, int code, uint64_t addr);
