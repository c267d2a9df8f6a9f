/*
 * The kernel heap. Small requests (<= 2 KiB) come from per-size free lists
 * carved out of whole pages; larger ones get contiguous frames. Freed memory
 * is filled with 0x6b so a use after free shows up as 0x6b6b6b6b6b6b6b6b.
 */
#pragma once
#include <stddef.h>

void *kmalloc(size_t size);  /* NULL when out of memory (or size 0) */
void *kzalloc(size_t size);  /* zeroed */
void kfree(void *p);         /* NULL is fine */
