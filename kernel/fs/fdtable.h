/*
 * The per-process descriptor table (process->files), shared by CLONE_FILES
 * threads. NR_OPEN descriptors per process (Linux's default RLIMIT_NOFILE
 * soft limit); the lowest free number is always handed out first.
 * Lock: t->lock protects fd[] and cloexec[].
 */
#pragma once
#include <stdint.h>
#include "sched/spinlock.h"

struct file;

#define NR_OPEN 1024

struct fdtable {
    int refcount;   /* atomic */
    struct spinlock lock;
    struct file *fd[NR_OPEN];
    uint64_t cloexec[NR_OPEN / 64];
};

struct fdtable *fdtable_new(void);
struct fdtable *fdtable_copy(struct fdtable *t);   /* fork without CLONE_FILES */
void fdtable_get(struct fdtable *t);               /* CLONE_FILES */
void fdtable_put(struct fdtable *t);               /* closes everything at the last reference */
void fdtable_close_on_exec(struct fdtable *t);
/* Install f (its reference is taken over) at the lowest free fd >= min_fd: the fd or -EMFILE. */
int fd_install(struct fdtable *t, struct file *f, int min_fd, int cloexec);
/* The file at fd with a new reference, or NULL (EBADF). */
struct file *fd_get(struct fdtable *t, int fd);
/* Close fd: 0 or -EBADF. */
int fd_close(struct fdtable *t, int fd);
/* dup2/dup3: put f at newfd, closing what was there (f's reference is taken over). */
int fd_replace(struct fdtable *t, int newfd, struct file *f, int cloexec);
int fd_get_cloexec(struct fdtable *t, int fd);
int fd_set_cloexec(struct fdtable *t, int fd, int on);
