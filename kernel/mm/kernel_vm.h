/*
 * The kernel's own address space: the direct map, the kernel image with
 * per-section permissions, kernel stacks with guard pages, and device
 * registers. Every process page table (lab 9a) shares its upper half.
 */
#pragma once
#include <stddef.h>
#include "mm/memlayout.h"

extern paddr_t kernel_pml4;

/* Build the kernel page table and switch this CPU to it. */
void kvm_init(void);
/* Switch an application processor to the kernel page table. */
void kvm_load(void);
/* Map device registers at pa uncached; returns their virtual address. */
void *ioremap(paddr_t pa, size_t size);
/* A 16 KiB kernel stack below an unmapped guard page; returns its top (0 if out of memory). */
vaddr_t kstack_alloc(void);
/* Give a stack back for reuse (it stays mapped). */
void kstack_free(vaddr_t top);

#define KSTACK_SIZE (16 * 1024ul)
