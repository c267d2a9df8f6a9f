/*
 * Interrupts and exceptions. Every vector enters through vectors.S, which
 * saves the registers in a struct trapframe and calls trap().
 */
#pragma once
#include <stdint.h>

/* Vector numbers. */
#define T_PAGE_FAULT    14
#define T_IRQ0          0x20   /* IOAPIC IRQ n arrives at T_IRQ0 + n */
#define IRQ_COM1        4
#define T_TIMER         0x30   /* LAPIC timer */
#define T_VIRTIO_BLK    0x40   /* 0x40..0x4F: virtio-blk MSI-X, one vector per disk */
#define T_TLB_SHOOTDOWN 0xF0   /* lab 9a */
#define T_CALL_FUNCTION 0xF1   /* run a function on other CPUs (smp_call_others) */
#define T_RESCHEDULE    0xF2
#define T_STOP          0xF3   /* a panicking CPU stops the others */
#define T_IPI_TEST      0xF4   /* counts arrivals (ktest ipi) */
#define T_SPURIOUS      0xFF

struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct trapframe *tf);

void idt_init(void);       /* build the table, once */
void idt_load(void);       /* load it, on every CPU */
/* Route vector v to fn (device IRQs and IPIs). */
void trap_register(int vector, irq_handler_t fn);
void trap(struct trapframe *tf);
