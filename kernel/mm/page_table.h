/*
 * Per-process page tables (lab 9a, checkpoints 9A.1 and 9A.2): each process
 * has its own PML4 whose upper half (entries 256..511) is shared with the
 * kernel's table and whose lower half maps only that process's memory.
 */
#pragma once
#include "mm/paging.h"

/* 9A.1 */
paddr_t alloc_page_table(void);                       /* a zeroed PML4, or 0 */
void free_page_table(paddr_t pml4);                   /* user tables, user frames, and the PML4 */
int clone_page_table_hierarchy(paddr_t src, paddr_t dst); /* copy the user half: 0 or -ENOMEM */
paddr_t clone_page_table(paddr_t src);                /* kernel half shared, user half copied; 0 on failure */

/* 9A.2 */
void init_kernel_template(void);
void copy_kernel_mappings(paddr_t dst, paddr_t src);  /* PML4 entries 256..511 */
paddr_t alloc_page_table_with_kernel_mappings(void);  /* or 0 */
