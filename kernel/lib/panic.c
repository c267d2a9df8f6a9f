/*
 * panic(): print the message and a symbolized backtrace, stop the other
 * CPUs, and leave QEMU with the "panic" exit code so a grader sees it.
 */
#include "lib/panic.h"
#include "lib/backtrace.h"
#include "drivers/console.h"
#include "drivers/power.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include <stdarg.h>

void panic(const char *fmt, ...)
{
    cli();
    console_lock_for_panic();
    va_list ap;
    va_start(ap, fmt);
    kprintf("panic: ");
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
    /* -1: a call to a noreturn function may be the last instruction of its caller */
    panic_finish((uint64_t)__builtin_return_address(0) - 1, *(uint64_t *)__builtin_frame_address(0), 0);
}

void panic_finish(uint64_t rip, uint64_t rbp, uint64_t rsp)
{
    backtrace_print(rip, rbp, rsp);
    lapic_stop_other_cpus();
    kprintf("keel: stopped (panic)\n");
    qemu_exit(EXIT_PANIC);
}
