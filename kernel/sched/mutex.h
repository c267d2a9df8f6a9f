/*
 * Sleeping locks for code that may wait a long time or for other CPUs
 * (address spaces, TLB shootdowns): interrupts stay on while we wait, so
 * the holder can still take IPIs. Until lab 9c a waiter yields the CPU
 * instead of sleeping on a wait queue.
 */
#pragma once
#include <stdint.h>

struct mutex {
    volatile uint32_t locked;
    const char *name;
    struct task *owner;
};

#define MUTEX_INIT(n) { 0, (n), 0 }

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);
int mutex_held(struct mutex *m);
