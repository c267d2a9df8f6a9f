/*
 * First instructions: multiboot headers and the 32-bit entry.
 *
 * GRUB (multiboot2) and QEMU's -kernel (multiboot1, through the a.out kludge
 * so that QEMU accepts this ELF64 file) both jump to _start in 32-bit
 * protected mode with paging off, EAX = the loader's magic, EBX = the
 * physical address of its information structure. We build a temporary page
 * table that maps the first 1 GiB three times (identity, direct map at
 * KERNEL_BASE, kernel image at KERNEL_VMA), switch to long mode and call
 * kmain(magic, info) in the higher half. kernel_vm.c replaces these tables.
 */
#define KERNEL_VMA   0xFFFFFFFF80000000
#define PHYS(x)      ((x) - KERNEL_VMA)

#define MB1_MAGIC    0x1BADB002
#define MB1_FLAGS    ((1 << 1) | (1 << 16))   /* memory map, a.out kludge */
#define MB2_MAGIC    0xE85250D6

    .section .multiboot, "a"
    .align 4
mb1_header:
    .long MB1_MAGIC
    .long MB1_FLAGS
    .long -(MB1_MAGIC + MB1_FLAGS)
    .long mb1_header            /* header_addr (physical: .boot is identity) */
    .long _kernel_start_phys    /* load_addr */
    .long _edata_phys           /* load_end_addr */
    .long _end_phys             /* bss_end_addr: the loader zeroes the rest */
    .long _start                /* entry_addr */

    .align 8
mb2_header:
    .long MB2_MAGIC
    .long 0                     /* architecture: i386 protected mode */
    .long mb2_header_end - mb2_header
    .long -(MB2_MAGIC + 0 + (mb2_header_end - mb2_header))
    /* end tag */
    .short 0
    .short 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    movl %eax, PHYS(boot_magic)
    movl %ebx, PHYS(boot_info)
    movl $PHYS(boot_stack_top), %esp

    /* Long mode available? CPUID 0x80000001 EDX bit 29. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode
    movl %edx, %ebp             /* keep: bit 20 = NX */

    /* One page directory of 2 MiB pages maps the first 1 GiB. */
    movl $PHYS(boot_pd), %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax             /* present, writable, 2 MiB page */
    movl %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b

    movl $(PHYS(boot_pd) + 3), %eax
    movl %eax, PHYS(boot_pdpt_low)              /* 0 .. 1 GiB */
    movl %eax, PHYS(boot_pdpt_high) + 510 * 8   /* KERNEL_VMA .. +1 GiB */
    movl $(PHYS(boot_pdpt_low) + 3), %eax
    movl %eax, PHYS(boot_pml4)                  /* identity */
    movl %eax, PHYS(boot_pml4) + 256 * 8        /* direct map, KERNEL_BASE */
    movl $(PHYS(boot_pdpt_high) + 3), %eax
    movl %eax, PHYS(boot_pml4) + 511 * 8

    movl %cr4, %eax
    orl $(1 << 5), %eax         /* PAE */
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3

    movl $0xC0000080, %ecx      /* EFER */
    rdmsr
    orl $(1 << 8), %eax         /* LME */
    btl $20, %ebp
    jnc 2f
    orl $(1 << 11), %eax        /* NXE */
2:  wrmsr

    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE */
    movl %eax, %cr0

    lgdt boot_gdt_ptr           /* .boot is identity mapped: no PHYS() */
    ljmp $0x08, $long_mode_entry

no_long_mode:
    /* Say why on COM1, then stop: there is nothing else we can do. */
    movl $no_long_mode_msg, %esi
3:  movb (%esi), %al
    testb %al, %al
    jz 4f
    movw $0x3F8, %dx
    outb %al, %dx
    incl %esi
    jmp 3b
4:  hlt
    jmp 4b

    .code64
long_mode_entry:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $higher_half, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .align 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF    /* 0x08: 64-bit kernel code */
    .quad 0x00CF92000000FFFF    /* 0x10: kernel data */
boot_gdt_ptr:
    .short boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
no_long_mode_msg:
    .asciz "keel: this CPU has no 64-bit long mode; cannot boot\r\n"

    .text
higher_half:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl boot_magic(%rip), %edi
    movl boot_info(%rip), %esi
    call kmain
5:  cli
    hlt
    jmp 5b

    .bss
    .align 4096
    .globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096
    .globl boot_stack_top
boot_stack:     .skip 16384
boot_stack_top:
    .align 8
boot_magic:     .skip 4
boot_info:      .skip 4
