/*
 * struct fs_struct: a process's root, current directory and umask
 * (process->fs), shared by CLONE_FS threads. Lock: fs->lock protects
 * root, cwd and umask; the dentries hold a reference each.
 */
#pragma once
#include "sched/spinlock.h"

struct dentry;

struct fs_struct {
    int refcount;   /* atomic */
    struct spinlock lock;
    struct dentry *root, *cwd;
    int umask;
};

struct fs_struct *fs_struct_new(void);   /* cwd = root = /, umask 022 */
struct fs_struct *fs_struct_copy(struct fs_struct *fs);
void fs_struct_get(struct fs_struct *fs);
void fs_struct_put(struct fs_struct *fs);
/* Replace the cwd (d's reference is taken over). */
void fs_struct_set_cwd(struct fs_struct *fs, struct dentry *d);
