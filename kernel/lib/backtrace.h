/* Frame-pointer backtraces (the kernel is built with -fno-omit-frame-pointer). */
#pragma once
#include <stdint.h>

/* Print "backtrace:" and one "  #i addr func+0xoff" line per frame. */
void backtrace_print(uint64_t rip, uint64_t rbp);
