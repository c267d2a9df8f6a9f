/*
 * Context switch between kernel stacks, and the ways into user mode.
 *
 * swtch(struct context **save, struct context *load): push the callee-saved
 * registers on the current stack, store the stack pointer in *save, load
 * the other context's stack and pop its registers. The caller-saved ones
 * are already saved by the C calling convention.
 */
    .text
    .globl swtch
swtch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* enter_user(struct trapframe *tf): leave the kernel through tf (never returns). */
    .globl enter_user
enter_user:
    cli
    movq %rdi, %rsp
    jmp trap_return

/* fpu_save(void *area) / fpu_restore(const void *area): the user FP/SSE state. */
    .globl fpu_save
fpu_save:
    fxsave64 (%rdi)
    ret
    .globl fpu_restore
fpu_restore:
    fxrstor64 (%rdi)
    ret

/* run_on_stack(uint64_t top, void (*fn)(void)): continue on another stack (fn never returns). */
    .globl run_on_stack
run_on_stack:
    movq %rdi, %rsp
    xorl %ebp, %ebp
    call *%rsi
    ud2
