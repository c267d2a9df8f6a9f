/*
 * testlib: the output format shared by every user test.
 *
 * A test prints one line per case, `ok <name>` or `FAIL <name>: <why>`, then
 * `<prog>: N passed, N failed`, and exits 0 iff nothing failed. Lines are
 * written with write(2), never buffered, so a fork never prints one twice.
 * The tests check Linux semantics: each must pass on the host Linux too.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

void t_begin(const char *prog);
int t_end(void);                    /* prints the summary; the exit status */
void t_ok(const char *name);
void t_fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* ok if cond, else FAIL with the formatted reason; returns cond. */
int t_check(const char *name, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* ok if ret == -1 and errno == want, else FAIL saying what happened. */
int t_errno(const char *name, long ret, int want);
/* "ENOENT" for ENOENT; "errno 123" for names it does not know. */
const char *t_errname(int e);
/* A fresh empty directory for the test under $TMPDIR or /tmp; chdir()s there. */
const char *t_scratch(void);
/* Removes the scratch directory and everything in it. */
void t_scratch_cleanup(void);
/* Describes a wait status: "exit 3", "signal 9". */
const char *t_status(int status);
/* Sleeps for ms milliseconds with nanosleep. */
void t_msleep(long ms);
/* Creates or truncates path and writes text: 0, or -1 with errno set. */
int t_write_file(const char *path, const char *text);
/* The whole file (up to len - 1 bytes) as a string in buf; "" if it cannot be read. */
const char *t_read_file(const char *path, char *buf, size_t len);
/* A line of diagnostics, not counted: `# ...`. */
void t_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
