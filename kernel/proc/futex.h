/* Fast user-space mutexes: the kernel half of musl's locks and pthread_join. */
#pragma once
#include <stdint.h>
#include "lib/uaccess.h"

struct mm;

/* Wake up to n waiters on (mm, uaddr); returns how many were woken. */
int futex_wake(struct mm *mm, uaddr_t uaddr, int n);
