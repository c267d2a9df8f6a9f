/*
 * TLB shootdown (lab 9a, 9A.6-9A.7). After a user PTE loses a permission
 * or disappears, every CPU that may cache it must flush it before the frame
 * is reused or the system call returns.
 */
#pragma once
#include "mm/memlayout.h"

struct mm;

/* Flush [start, end) of mm on every CPU that has mm loaded, and wait. */
void tlb_shootdown(struct mm *mm, vaddr_t start, vaddr_t end);
/* Flush [start, end) from this CPU's TLB only (the whole TLB past 64 pages). */
void tlb_flush_local(vaddr_t start, vaddr_t end);
/* Set up the shootdown vector (boot). */
void tlb_init(void);

/* Counters the lab's tests read. */
extern volatile uint64_t tlb_ipis_sent;
