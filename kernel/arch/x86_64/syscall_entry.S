/*
 * The `syscall` instruction lands here with interrupts off (SFMASK), the
 * user's rip in rcx and rflags in r11, and the user's stack still loaded.
 * We switch to this task's kernel stack (%gs:8, set at every switch), build
 * a struct trapframe exactly like an interrupt's (vector SYSCALL_VECTOR),
 * and leave through trap_return, so signals, fork and exec see one format.
 */
#define SEL_UDATA (0x20 | 3)
#define SEL_UCODE (0x28 | 3)
#define SYSCALL_VECTOR 0x100

#include "arch/x86_64/trapframe_asm.h"

    .text
    .globl syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:16
    movq %gs:8, %rsp
    pushq $SEL_UDATA
    pushq %gs:16
    pushq %r11
    pushq $SEL_UCODE
    pushq %rcx
    pushq %rax                  /* "error code": the syscall number, for restarts */
    pushq $SYSCALL_VECTOR
    PUSH_REGS
    movq %rsp, %rdi
    xorl %ebp, %ebp             /* the backtrace ends here */
    sti
    call syscall_dispatch
    cli
    jmp trap_return
