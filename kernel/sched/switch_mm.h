/* Loading a task's address space on this CPU (lab 9a, 9A.4). */
#pragma once
#include <stdint.h>

struct mm;

/* Make next (NULL: the kernel's table) the address space of this CPU. */
void switch_address_space(struct mm *prev, struct mm *next);

/* How often CR3 was written, and how often the write was skipped. */
extern volatile uint64_t cr3_switches, cr3_skips;
