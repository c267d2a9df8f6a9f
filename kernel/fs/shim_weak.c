/*
 * A stand-in for what the file layer needs from elsewhere and nobody
 * exports yet: the wall clock, which sys/sys_time.c keeps to itself. It is
 * weak, so a real clock_realtime_ns() replaces it at link time.
 */
#include <stdint.h>
#include "arch/x86_64/time.h"

uint64_t clock_realtime_ns(void);

/* Time stamps count from boot until the clock code exports the wall clock. */
__attribute__((weak)) uint64_t clock_realtime_ns(void)
{
    return time_ns();
}
