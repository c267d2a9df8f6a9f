/*
 * The x86_64 four-level page-table walker, over any PML4 given by its
 * physical address: walk, map, unmap, protect, translate. Page-table pages
 * are reached through the direct map. Callers flush the TLB (mm/tlb).
 */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

typedef uint64_t pte_t;

#define PTE_PRESENT  (1ul << 0)
#define PTE_WRITABLE (1ul << 1)
#define PTE_USER     (1ul << 2)
#define PTE_PWT      (1ul << 3)
#define PTE_PCD      (1ul << 4)
#define PTE_ACCESSED (1ul << 5)
#define PTE_DIRTY    (1ul << 6)
#define PTE_HUGE     (1ul << 7)  /* 2 MiB (PD) or 1 GiB (PDPT) page */
#define PTE_GLOBAL   (1ul << 8)
#define PTE_COW      (1ul << 9)  /* available to software: copy-on-write (lab 9b) */
#define PTE_PROTNONE (1ul << 10) /* available: a frame kept while mprotect(PROT_NONE) hides it */
#define PTE_NX       (1ul << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ul
#define PTE_FLAGS_MASK (~PTE_ADDR_MASK)

#define PML4_INDEX(va) (((va) >> 39) & 511)
#define PDPT_INDEX(va) (((va) >> 30) & 511)
#define PD_INDEX(va)   (((va) >> 21) & 511)
#define PT_INDEX(va)   (((va) >> 12) & 511)

/* PTE_NX if the CPU supports no-execute (EFER.NXE on), else 0. */
extern uint64_t pte_nx;

static inline pte_t *pt_entries(paddr_t table) { return (pte_t *)phys_to_virt(table); }

/* The 4 KiB leaf entry for va, creating missing tables if create is set.
 * NULL if a table is missing (and !create), memory ran out, or a huge page covers va. */
pte_t *paging_walk(paddr_t pml4, vaddr_t va, int create);
/* Map one 4 KiB page: 0, -ENOMEM, or -EEXIST if va is already mapped. */
int paging_map(paddr_t pml4, vaddr_t va, paddr_t pa, uint64_t flags);
/* Remove va's mapping (present or PROT_NONE); returns its frame, or 0 if none. */
paddr_t paging_unmap(paddr_t pml4, vaddr_t va);
/* Replace va's flags (keeping its frame): 0, or -ENOENT if not mapped. */
int paging_protect(paddr_t pml4, vaddr_t va, uint64_t flags);
/* The first page at or after va (below end) whose page table exists: lets
 * loops over huge, mostly empty ranges skip what was never mapped. */
vaddr_t paging_next_table(paddr_t pml4, vaddr_t va, vaddr_t end);
/* The physical address va maps to (huge pages included): 0, or -ENOENT. */
int paging_translate(paddr_t pml4, vaddr_t va, paddr_t *pa, uint64_t *flags);
