/*
 * The copy loops behind lib/uaccess.c. Each instruction that touches user
 * memory has an __ex_table entry: if it faults, trap.c resumes at the
 * fixup, which returns -EFAULT (14) instead of crashing the kernel.
 * SMAP: stac/clac bracket the access (patched to nops when the CPU has no
 * SMAP, see uaccess.c).
 */
#define EFAULT 14

.macro EX_ENTRY insn, fixup
    .pushsection __ex_table, "a"
    .align 8
    .quad \insn, \fixup
    .popsection
.endm

    .text
/* long uaccess_copy(void *dst, const void *src, size_t n): 0 or -EFAULT */
    .globl uaccess_copy
uaccess_copy:
    movq %rdx, %rcx
    .globl uaccess_stac1
uaccess_stac1:
    stac
1:  rep movsb
    .globl uaccess_clac1
uaccess_clac1:
    clac
    xorl %eax, %eax
    ret
2:  clac
    movq $-EFAULT, %rax
    ret
    EX_ENTRY 1b, 2b

/* long uaccess_strncpy(char *dst, const char *usrc, size_t max):
 * length (without NUL), -EFAULT, or max if no NUL in the first max bytes */
    .globl uaccess_strncpy
uaccess_strncpy:
    xorl %eax, %eax
    .globl uaccess_stac2
uaccess_stac2:
    stac
3:  cmpq %rdx, %rax
    je 5f
4:  movb (%rsi,%rax), %cl
    movb %cl, (%rdi,%rax)
    testb %cl, %cl
    jz 5f
    incq %rax
    jmp 3b
5:
    .globl uaccess_clac2
uaccess_clac2:
    clac
    ret
6:  clac
    movq $-EFAULT, %rax
    ret
    EX_ENTRY 4b, 6b

/* long uaccess_clear(void *udst, size_t n): 0 or -EFAULT */
    .globl uaccess_clear
uaccess_clear:
    movq %rsi, %rcx
    xorl %eax, %eax
    .globl uaccess_stac3
uaccess_stac3:
    stac
7:  rep stosb
    .globl uaccess_clac3
uaccess_clac3:
    clac
    ret
8:  clac
    movq $-EFAULT, %rax
    ret
    EX_ENTRY 7b, 8b
