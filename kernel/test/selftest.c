/*
 * Deliberately broken tests, run only when named: they show what a kernel
 * bug looks like in the grader's report (used by grading/selftest.py).
 */
#include "test/ktest.h"
#include "lib/panic.h"

/* The address comes from a volatile so the compiler cannot see it is bad. */
static volatile unsigned long bad_address = 0x10;

/* Write through a pointer to unmapped memory: a #PF in kernel mode. */
static __attribute__((noinline)) void poke(unsigned long addr)
{
    *(volatile long *)addr = 42;
}

KTEST_MANUAL(selftest_panic)
{
    poke(bad_address);
    return "the bad write did not fault";
}

KTEST_MANUAL(selftest_assert)
{
    int answer = 41;
    assert(answer == 42);
    return KT_OK;
}

static volatile int keep_going = 1; /* hides the endless recursion from the compiler */

/* Recurse until the kernel stack runs into its guard page: a double fault. */
static __attribute__((noinline)) int recurse(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    return (keep_going ? recurse(depth + 1) : 0) + pad[0];
}

KTEST_MANUAL(selftest_stack_overflow)
{
    recurse(0);
    return "the recursion returned";
}
