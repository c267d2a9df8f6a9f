/* Processes, memory, signals, time and identity system calls (Linux x86_64 numbers). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "lib/uaccess.h"

#define SYS_rt_sigreturn 15
#define SYS_execve 59
#define SYS_execveat 322

/* sys_mm.c */
long sys_brk(uaddr_t addr);
long sys_mmap(uaddr_t addr, size_t len, int prot, int flags, int fd, long off);
long sys_munmap(uaddr_t addr, size_t len);
long sys_mprotect(uaddr_t addr, size_t len, int prot);
long sys_madvise(uaddr_t addr, size_t len, int advice);
/* proc/fork.c */
long sys_fork(void);
long sys_vfork(void);
long sys_clone(unsigned long flags, uaddr_t newsp, uaddr_t parent_tid, uaddr_t child_tid, uint64_t tls);
/* proc/exec.c */
long sys_execve(uaddr_t path, uaddr_t argv, uaddr_t envp);
/* proc/exit.c */
long sys_exit(int code);
long sys_exit_group(int code);
long sys_wait4(int pid, uaddr_t status, int options, uaddr_t rusage);
long sys_waitid(int idtype, int id, uaddr_t info, int options, uaddr_t rusage);
/* proc/futex.c */
long sys_futex(uaddr_t uaddr, int op, uint32_t val, uaddr_t timeout, uaddr_t uaddr2, uint32_t val3);
long sys_set_tid_address(uaddr_t tidptr);
long sys_set_robust_list(uaddr_t head, size_t len);
/* signal/signal.c and signal/deliver.c */
long sys_rt_sigaction(int sig, uaddr_t act, uaddr_t oldact, size_t sigsetsize);
long sys_rt_sigprocmask(int how, uaddr_t set, uaddr_t oldset, size_t sigsetsize);
long sys_rt_sigpending(uaddr_t set, size_t sigsetsize);
long sys_rt_sigsuspend(uaddr_t mask, size_t sigsetsize);
long sys_rt_sigreturn(void);
long sys_sigaltstack(uaddr_t ss, uaddr_t old);
long sys_kill(int pid, int sig);
long sys_tkill(int tid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
/* sys_ids.c: identity, groups, sessions */
long sys_getpid(void);
long sys_getppid(void);
long sys_gettid(void);
long sys_getuid(void);
long sys_geteuid(void);
long sys_getgid(void);
long sys_getegid(void);
long sys_setpgid(int pid, int pgid);
long sys_getpgid(int pid);
long sys_getpgrp(void);
long sys_setsid(void);
long sys_getsid(int pid);
long sys_getgroups(int size, uaddr_t list);
long sys_setgroups(int size, uaddr_t list);
/* sys_misc.c */
long sys_uname(uaddr_t buf);
long sys_arch_prctl(int code, uint64_t addr);
long sys_getrandom(uaddr_t buf, size_t len, unsigned flags);
long sys_reboot(int magic1, int magic2, unsigned cmd, uaddr_t arg);
long sys_prlimit64(int pid, int resource, uaddr_t new_limit, uaddr_t old_limit);
long sys_getrlimit(int resource, uaddr_t rlim);
long sys_sched_yield(void);
long sys_getrusage(int who, uaddr_t usage);
long sys_sysinfo(uaddr_t info);
long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5);
/* sys_time.c */
uint64_t clock_ns(int clock); /* CLOCK_REALTIME (0), CLOCK_MONOTONIC (1), ... in ns */
uint64_t clock_realtime_ns(void);
long sys_clock_gettime(int clock, uaddr_t ts);
long sys_clock_getres(int clock, uaddr_t ts);
long sys_gettimeofday(uaddr_t tv, uaddr_t tz);
long sys_nanosleep(uaddr_t req, uaddr_t rem);
long sys_clock_nanosleep(int clock, int flags, uaddr_t req, uaddr_t rem);
long sys_time(uaddr_t t);
