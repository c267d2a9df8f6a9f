/*
 * Segments. Long mode ignores most of them, but we still need code/data
 * selectors for both privilege levels (in the order syscall/sysret
 * expect) and a TSS per CPU for the kernel stack and the IST stacks.
 */
#pragma once
#include <stdint.h>

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE32 0x18 /* unused; sysret wants user data at STAR+8 and code at STAR+16 */
#define SEL_UDATA (0x20 | 3)
#define SEL_UCODE (0x28 | 3)
#define SEL_TSS 0x30

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2

struct cpu;
/* Load this CPU's GDT and TSS, with fresh IST stacks. */
void gdt_init_cpu(struct cpu *c);
/* The stack the CPU switches to on an interrupt from user mode. */
void tss_set_kernel_stack(struct cpu *c, uint64_t rsp0);
