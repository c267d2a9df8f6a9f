/*
 * Formatting into buffers: %d %i %u %x %X %p %s %c %%, with l/ll/z length
 * modifiers, a field width, '0' padding and '-' left alignment.
 */
#pragma once
#include <stdarg.h>
#include <stddef.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
