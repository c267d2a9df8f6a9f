/* Frame-pointer backtraces (the kernel is built with -fno-omit-frame-pointer). */
#pragma once
#include <stdint.h>

/* Print "backtrace:" and one "  #i addr func+0xoff" line per frame, starting
 * at rip with the frame chain at rbp; rsp (0 if unknown) finds a leaf's caller. */
void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp);
