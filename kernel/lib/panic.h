/* Stopping the machine when the kernel finds itself in an impossible state. */
#pragma once
#include <stdint.h>

struct trapframe;

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* The panic tail shared with the trap handler: backtrace from rip (frame
 * chain at rbp, stack at rsp or 0), stop the machine. */
__attribute__((noreturn)) void panic_finish(uint64_t rip, uint64_t rbp, uint64_t rsp);

#define assert(cond)                                                             \
    do {                                                                         \
        if (!(cond))                                                             \
            panic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__);   \
    } while (0)
