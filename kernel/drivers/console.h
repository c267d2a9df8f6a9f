/*
 * The kernel console on the serial port. kprintf() is safe on every CPU at
 * once: each call is formatted first and written under one lock, so lines
 * from different CPUs never mix.
 */
#pragma once
#include <stdarg.h>

void console_init(void);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* Write text without formatting or locking: panic paths only. */
void console_write_unlocked(const char *s);
/* Take the console for a multi-line report (panic): other CPUs wait. */
void console_lock_for_panic(void);

/* Input side: bytes from the UART interrupt go to the handler set here (the
 * tty once user space runs), or else to a ring read by console_getc(). */
void console_set_input_handler(void (*handler)(char c));
void console_input(char c);
int console_getc(void); /* -1 when nothing is waiting */
