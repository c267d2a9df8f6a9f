/*
 * Stand-ins for the process and signal functions the file layer calls,
 * for builds where those subsystems are not linked in yet. Every one is
 * weak: the real definition, wherever it lives, replaces it at link time.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/time.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "signal/signal.h"

__attribute__((weak)) struct task *current_task(void)
{
    return 0;
}

__attribute__((weak)) struct process *current_proc(void)
{
    return 0;
}

__attribute__((weak)) int signal_pending(void)
{
    return 0;
}

__attribute__((weak)) int signal_send_task(struct task *t, int sig)
{
    (void)t, (void)sig;
    return 0;
}

__attribute__((weak)) int signal_send_pgrp(int pgid, int sig)
{
    (void)pgid, (void)sig;
    return 0;
}

/* Without a scheduler, waiting means halting until the next interrupt. */
__attribute__((weak)) void yield_poll(const char *reason)
{
    (void)reason;
    sti_hlt();
}

/* Time stamps count from boot until the clock code exports the wall clock. */
__attribute__((weak)) uint64_t clock_realtime_ns(void)
{
    return time_ns();
}
