/*
 * struct mm: a user address space (its page table and its regions). Shared
 * by the threads of a process and, through vfork/CLONE_VM, by a child that
 * has not exec'd yet, so it is reference counted.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "mm/memlayout.h"
#include "sched/mutex.h"

#define VMA_READ   0x1   /* = PROT_READ */
#define VMA_WRITE  0x2   /* = PROT_WRITE */
#define VMA_EXEC   0x4   /* = PROT_EXEC */
#define VMA_STACK  0x100 /* grows down on faults below it */
#define VMA_HEAP   0x200 /* the brk area */
#define VMA_SIGBUS 0x400 /* file pages past the end of the file: access is SIGBUS */

struct vma {
    vaddr_t start, end; /* [start, end), page aligned */
    int flags;
    struct vma *next;   /* sorted by address */
};

struct mm {
    paddr_t pml4;          /* the page table: lab 9a's per-process table */
    int refcount;
    struct mutex lock;     /* protects the vma list, brk and the page table */
    struct vma *vmas;
    vaddr_t brk_start, brk;
    vaddr_t mmap_base;     /* next mmap search starts below this */
    uint64_t cpus_loaded;  /* bit per CPU that has this table in CR3 (lab 9a) */
};

struct mm *mm_create(void);              /* NULL if out of memory (or lab 9a stubbed) */
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);              /* frees everything at the last reference */
struct mm *mm_fork(struct mm *parent);   /* a copy for fork (lab 9a/9b do the tables) */

/* Add a region and map it: demand-zero pages, allocated on first touch. */
int vm_map_anon(struct mm *mm, vaddr_t start, size_t len, int flags);
int vm_unmap(struct mm *mm, vaddr_t start, size_t len);
int vm_protect(struct mm *mm, vaddr_t start, size_t len, int flags);
/* Add a demand-zero region where nothing is mapped: at start (-EEXIST if
 * taken) or, with start 0, in the highest free range. Its address, or -errno. */
long vm_map_anon_new(struct mm *mm, vaddr_t start, size_t len, int flags);
/* The page-fault path for user addresses: 0 if handled, -EFAULT if not (SIGSEGV),
 * -EIO for a page past the end of its file (SIGBUS). */
int vm_handle_fault(struct mm *mm, vaddr_t addr, int write, int exec);
/* Page-table flags for a region's protection bits. */
uint64_t vm_pte_flags(int flags);
