/*
 * The only doors to user memory. A user address is a uaddr_t, not a
 * pointer, so kernel code cannot dereference one by accident. Each call
 * checks the range lies below USER_LIMIT and survives a bad pointer: a
 * fault inside the copy is caught through the exception table and turns
 * into -EFAULT. SMAP is lifted (stac) only for the copy itself.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef uint64_t uaddr_t; /* an address in the current process's user space */

/* 0 on success, -EFAULT if any byte is not accessible. */
int copy_from_user(void *dst, uaddr_t src, size_t n);
int copy_to_user(uaddr_t dst, const void *src, size_t n);
/* Copy a NUL-terminated string of at most max bytes (NUL included):
 * its length, -EFAULT, or -ENAMETOOLONG if no NUL within max. */
long strncpy_from_user(char *dst, uaddr_t src, size_t max);
/* Zero n user bytes: 0 or -EFAULT. */
int clear_user(uaddr_t dst, size_t n);
/* Does [addr, addr+n) lie inside user space (no wrap-around)? */
int user_range_ok(uaddr_t addr, size_t n);

/* Exception table entry: a faulting instruction and where to resume. */
struct ex_entry {
    uint64_t insn, fixup;
};
/* From the page-fault handler: the fixup address for a kernel fault at rip, or 0. */
uint64_t ex_table_fixup(uint64_t rip);
