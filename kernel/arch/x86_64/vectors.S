/*
 * The 256 interrupt entry points. Each pushes a zero where the CPU pushes
 * no error code, then its vector number, and joins trap_common, which saves
 * the general registers (struct trapframe in trap.h) and calls trap().
 * Coming from user mode we also swap GS so %gs:0 is this CPU's struct cpu.
 */
#include "arch/x86_64/trapframe_asm.h"

    .text
.macro VECTOR n
    .align 16
vector\n:
    .if (\n == 8 || (\n >= 10 && \n <= 14) || \n == 17 || \n == 21 || \n == 29 || \n == 30)
    .else
    pushq $0
    .endif
    pushq $\n
    jmp trap_common
.endm

    .altmacro
    .set i, 0
    .rept 256
    VECTOR %i
    .set i, i + 1
    .endr

trap_common:
    testb $3, 24(%rsp)          /* CS of the interrupted code: user? */
    jz 1f
    swapgs
1:  PUSH_REGS
    cld
    movq %rsp, %rdi
    /* Make the saved rip/rbp the first frame of a backtrace. */
    pushq 136(%rsp)
    pushq %rbp
    movq %rsp, %rbp
    call trap
    addq $16, %rsp
    .globl trap_return
trap_return:
    POP_REGS
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              /* vector and error code */
    iretq

    .section .rodata
    .align 8
    .globl vector_table
vector_table:
.macro VECTOR_ADDR n
    .quad vector\n
.endm
    .set i, 0
    .rept 256
    VECTOR_ADDR %i
    .set i, i + 1
    .endr
