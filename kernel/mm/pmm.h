/*
 * The physical frame allocator: one bit per 4 KiB frame of RAM.
 * Frames are not cleared; callers that need zeros use pmm_alloc_zeroed().
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "mm/memlayout.h"

void pmm_init(void);
/* One frame, or 0 when memory is exhausted. */
paddr_t pmm_alloc(void);
paddr_t pmm_alloc_zeroed(void);
/* n physically contiguous frames (for DMA), or 0. */
paddr_t pmm_alloc_contig(size_t n);
void pmm_free(paddr_t pa);
void pmm_free_contig(paddr_t pa, size_t n);

uint64_t pmm_free_count(void);   /* frames free right now */
uint64_t pmm_total_count(void);  /* frames managed */
paddr_t pmm_top(void);           /* end of the highest usable RAM */
