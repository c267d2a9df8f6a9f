/*
 * Spinlocks that disable interrupts while held (xv6's discipline): a lock
 * taken by an interrupt handler can never be held by code that handler
 * interrupted on the same CPU. The holder's CPU and return address are
 * recorded for deadlock reports.
 */
#pragma once
#include <stdint.h>

struct spinlock {
    volatile uint32_t locked;
    const char *name;
    int cpu;          /* holder, -1 when free */
    void *pc;         /* where the holder took it */
};

#define SPINLOCK_INIT(n) { 0, (n), -1, 0 }

void spin_init(struct spinlock *lk, const char *name);
void spin_lock(struct spinlock *lk);
int spin_trylock(struct spinlock *lk);
void spin_unlock(struct spinlock *lk);
int spin_holding(struct spinlock *lk);

/* Nestable interrupt disabling: pop_off() re-enables only at the outermost level. */
void push_off(void);
void pop_off(void);
