/*
 * Per-CPU data. Each CPU's GS base points at its struct cpu, whose first
 * field points back at itself, so this_cpu() is one load from %gs:0 and
 * stays right even if the caller migrates to another CPU afterwards
 * (callers that care disable interrupts first).
 */
#pragma once
#include <stdint.h>

struct task;
struct context;
struct mm;

#define MAX_CPUS 16

struct cpu {
    struct cpu *self;        /* %gs:0, must stay first */
    uint64_t syscall_rsp;    /* %gs:8, kernel stack for syscall entry (user-space issue) */
    uint64_t user_rsp_save;  /* %gs:16, scratch for syscall entry */
    int id;                  /* 0 .. ncpu-1; 0 is the bootstrap CPU */
    uint32_t apic_id;
    int ncli;                /* depth of push_off() nesting */
    int intena;              /* were interrupts on before the first push_off()? */
    volatile int online;
    volatile uint64_t ticks;          /* LAPIC timer interrupts taken */
    volatile uint64_t ipi_test_count; /* IPI_TEST vectors taken (ktest ipi) */
    uint64_t stack_top;               /* this CPU's boot/idle stack */
    struct task *current;             /* the task running here, NULL in the scheduler */
    struct context *sched_ctx;        /* the scheduler loop, switched to by sched() */
    struct mm *loaded_mm;             /* whose page table CR3 holds (NULL: the kernel's) */
    volatile int idle;                /* halted in the scheduler, waiting for work */
};

extern struct cpu cpus[MAX_CPUS];
extern int ncpu;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(c));
    return c;
}

static inline int cpu_id(void) { return this_cpu()->id; }

/* Point GS base at c (done once per CPU while it starts). */
void percpu_install(struct cpu *c);
