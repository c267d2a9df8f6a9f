/* Mapping a program's pieces into a new address space (lab 9a, 9A.3). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "mm/memlayout.h"

struct mm;
struct file;

/* Map an ELF segment: memsz bytes at va, the first filesz of them read from
 * f at off, the rest zero; flags are VMA_READ/WRITE/EXEC. 0 or -errno. */
int elf_map_segment(struct mm *mm, vaddr_t va, size_t memsz, struct file *f, uint64_t off, size_t filesz,
                    int flags);
/* The user stack: size bytes below top, demand-zero. 0 or -errno. */
int map_user_stack(struct mm *mm, vaddr_t top, size_t size);
