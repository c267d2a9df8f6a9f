/*
 * The 256 interrupt entry points. Each pushes a zero where the CPU pushes
 * no error code, then its vector number, and joins trap_common, which saves
 * the general registers (struct trapframe in trap.h) and calls trap().
 * Coming from user mode we also swap GS so %gs:0 is this CPU's struct cpu.
 */
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
1:  pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
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
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
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
