/*
 * Leaving the machine. Under QEMU the isa-debug-exit device turns a value v
 * written to port 0xf4 into QEMU's exit status (v << 1) | 1, which graders read.
 */
#pragma once

enum exit_code {
    EXIT_PASS = 0x10,  /* QEMU exits 33: tests passed, or a normal power-off */
    EXIT_FAIL = 0x11,  /* QEMU exits 35: a test failed */
    EXIT_PANIC = 0x12, /* QEMU exits 37: the kernel panicked */
};

__attribute__((noreturn)) void qemu_exit(enum exit_code code);
