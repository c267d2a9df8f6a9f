/*
 * The kernel's virtual address map (see docs/architecture.md).
 *
 *   0x0000000000000000 .. USER_LIMIT           user space (per process, lab 9a)
 *   KERNEL_BASE        .. + physical memory     direct map of all RAM (HHDM)
 *   KSTACK_BASE        .. + 1 TiB               kernel stacks with guard pages
 *   IOREMAP_BASE       .. + 1 TiB               device registers (uncached)
 *   KERNEL_VMA         .. + 2 GiB               the kernel image
 */
#pragma once
#include <stdint.h>

typedef uint64_t paddr_t; /* a physical address */
typedef uint64_t vaddr_t; /* a virtual address */

#define PAGE_SIZE    4096ul
#define PAGE_SHIFT   12
#define PAGE_ROUND_UP(x)   (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
#define PAGE_ROUND_DOWN(x) ((x) & ~(PAGE_SIZE - 1))

#define USER_LIMIT   0x00007FFFFFFFFFFFul
#define KERNEL_BASE  0xFFFF800000000000ul
#define KSTACK_BASE  0xFFFFFE0000000000ul
#define IOREMAP_BASE 0xFFFFFD0000000000ul
#define KERNEL_VMA   0xFFFFFFFF80000000ul

/* Physical memory reached through the direct map. */
static inline void *phys_to_virt(paddr_t pa) { return (void *)(pa + KERNEL_BASE); }
static inline paddr_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)va;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - KERNEL_BASE;
}
