/*
 * System calls: the Linux x86_64 numbers and calling convention (number in
 * rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax, -errno on
 * error). The table is built from kernel/sys/table_*.inc.
 */
#pragma once
#include <stdint.h>

#define SYSCALL_VECTOR 0x100 /* trapframe->vector of a system call */
#define NSYSCALLS 512

struct trapframe;

typedef long (*syscall_fn)(long, long, long, long, long, long);

struct syscall_entry {
    const char *name;
    syscall_fn fn;
};

void syscall_init(void);          /* per CPU: the MSRs of the syscall instruction */
void syscall_dispatch(struct trapframe *tf);
/* The work on every return to user mode: signals, kills, preemption. */
void return_to_user(struct trapframe *tf);
