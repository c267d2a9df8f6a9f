/* Helpers shared by the files of proc/ (fork, exec, exit, init). */
#pragma once
#include "proc/process.h"

struct trapframe;

/* Drop the process's mm, files, fs and signal handlers (NULL-safe). */
void process_release_resources(struct process *p);
/* Undo a half-made child: release, unlink from its parent, free. */
void process_abandon(struct process *p);
/* Link t into p's thread list. */
void process_add_thread(struct process *p, struct task *t);
/* Wake a vfork parent waiting for p (p exec'd or exited). */
void vfork_release(struct process *p);
/* Leave the kernel through tf (switch.S). */
__attribute__((noreturn)) void enter_user(struct trapframe *tf);
/* The end of a thread: clear_child_tid, leave the process, maybe end it. */
__attribute__((noreturn)) void task_exit(void);
/* End the whole process with a wait status (exit_group and fatal signals). */
__attribute__((noreturn)) void process_exit_group(int status);
/* The kernel's side of execve, for init and for sys_execve: 0 or -errno. */
int do_execve(const char *path, char *const kargv[], char *const kenvp[]);
