/*
 * Application-processor start-up code. smp.c copies everything between
 * trampoline_start and trampoline_end to physical TRAMPOLINE (below 1 MiB,
 * where a startup IPI can point) and fills in the mailbox at its end.
 * The AP wakes in 16-bit real mode at TRAMPOLINE, goes through protected
 * mode into long mode on the boot page table (which maps this page 1:1),
 * then jumps to ap_start64 in the kernel proper.
 */
#define TRAMPOLINE 0x8000
#define T(x) ((x) - trampoline_start + TRAMPOLINE)

    .section .rodata
    .code16
    .globl trampoline_start, trampoline_end
    .globl tramp_cr3, tramp_efer, tramp_kernel_cr3, tramp_stack, tramp_cpu
trampoline_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl T(tramp_gdt_ptr)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $T(tramp32)

    .code32
tramp32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax             /* PAE */
    movl %eax, %cr4
    movl T(tramp_cr3), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx          /* EFER: LME, and NXE if the BSP uses it */
    rdmsr
    orl T(tramp_efer), %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax           /* PG, WP, PE */
    movl %eax, %cr0
    ljmpl $0x18, $T(tramp64)

    .code64
tramp64:
    movq T(tramp_cpu), %rdi
    movq T(tramp_stack), %rsi
    movq T(tramp_kernel_cr3), %rdx
    movabsq $ap_start64, %rax
    jmpq *%rax

    .align 8
tramp_gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF        /* 0x08: 32-bit code */
    .quad 0x00CF92000000FFFF        /* 0x10: data */
    .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code */
tramp_gdt_ptr:
    .short tramp_gdt_ptr - tramp_gdt - 1
    .long T(tramp_gdt)

    .align 8                        /* the mailbox, filled in by smp.c */
tramp_cr3:        .long 0
tramp_efer:       .long 0
tramp_kernel_cr3: .quad 0
tramp_stack:      .quad 0
tramp_cpu:        .quad 0
trampoline_end:

    .text
    .globl ap_start64
ap_start64:                         /* rdi = struct cpu *, rsi = stack top, rdx = kernel CR3 */
    movq %rdx, %cr3
    movq %rsi, %rsp
    xorl %ebp, %ebp
    call ap_main
1:  cli
    hlt
    jmp 1b
