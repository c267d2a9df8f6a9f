/*
 * The scheduler: one run queue shared by all CPUs (a task runs wherever a
 * CPU is free, which spreads load by itself), round-robin with a 10 ms
 * slice from the LAPIC timer, and an idle loop that halts each CPU.
 * Until lab 9c brings wait queues, "blocking" means yield_poll(): sleep
 * until the next timer tick, then look again.
 */
#pragma once
#include <stdint.h>
#include "sched/task.h"

extern volatile uint64_t ticks; /* timer ticks since boot (TIMER_HZ per second) */

/* The task running on this CPU (NULL in the idle loop before any task). */
struct task *current_task(void);
struct process *current_proc(void);

void sched_init(void);
/* Become this CPU's scheduler loop; never returns. */
__attribute__((noreturn)) void scheduler(void);
/* Make a new task runnable. */
void sched_add(struct task *t);
/* Give up the CPU; we stay runnable. */
void yield(void);
/* The polling fallback for blocking: sleep until the next tick. */
void yield_poll(const char *reason);
/*
 * Sleep, uninterruptibly, until *flag becomes nonzero. The waker calls
 * sched_wake_flag(flag, task), which may run in an interrupt handler. The
 * flag is tested under the run-queue lock, so a wake-up between the test
 * and the sleep is not lost.
 */
void sleep_on_flag(volatile int *flag, const char *reason);
/* The same, giving up when time_ns() reaches deadline: 0, or -ETIMEDOUT. */
int sleep_on_flag_until(volatile int *flag, const char *reason, uint64_t deadline);
/* Set *flag and wake t (NULL: nobody) if it sleeps. */
struct task;
void sched_wake_flag(volatile int *flag, struct task *t);
/* Sleeps that found their flag set only when the timer looked again (a lost wake-up). */
extern volatile uint64_t late_wakeups;
/* Sleep until time_ns() reaches deadline (returns early with -EINTR on a signal).
 * Deadlines use the same clock as clock_gettime, so sleeps and clocks agree. */
int sleep_until_ns(uint64_t deadline);
/* Load mm (NULL: the kernel's table) on this CPU, keeping a reference while loaded. */
struct mm;
void cpu_load_mm(struct mm *mm);
/* A signal arrived for t: if it sleeps, make it runnable now so it sees it. */
void sched_wake_sleeper(struct task *t);
/* Called by a dying task: switch away for good (the reaper frees the stack). */
__attribute__((noreturn)) void sched_exit_current(void);
/* From the timer interrupt: account time, wake sleepers, preempt user code. */
void sched_tick(struct trapframe *tf);
