/*
 * Per-process root, cwd and umask (see fs/fs_struct.h for the locking).
 */
#include "fs/fs_struct.h"
#include "fs/vfs.h"
#include "mm/kmalloc.h"

struct fs_struct *fs_struct_new(void)
{
    struct fs_struct *fs = kzalloc(sizeof *fs);
    if (!fs)
        return 0;
    fs->refcount = 1;
    spin_init(&fs->lock, "fs_struct");
    fs->root = vfs_root();
    fs->cwd = vfs_root();
    dentry_get(fs->root);
    dentry_get(fs->cwd);
    fs->umask = 022;
    return fs;
}

/* fork without CLONE_FS: the child starts where the parent is. */
struct fs_struct *fs_struct_copy(struct fs_struct *fs)
{
    struct fs_struct *n = kzalloc(sizeof *n);
    if (!n)
        return 0;
    n->refcount = 1;
    spin_init(&n->lock, "fs_struct");
    mutex_lock(&vfs_lock); /* order: vfs_lock (a sleep lock) before the fs->lock spinlock */
    spin_lock(&fs->lock);
    n->root = fs->root;
    n->cwd = fs->cwd;
    n->umask = fs->umask;
    dentry_get_locked(n->root);
    dentry_get_locked(n->cwd);
    spin_unlock(&fs->lock);
    mutex_unlock(&vfs_lock);
    return n;
}

void fs_struct_get(struct fs_struct *fs)
{
    __atomic_add_fetch(&fs->refcount, 1, __ATOMIC_SEQ_CST);
}

void fs_struct_put(struct fs_struct *fs)
{
    if (!fs || __atomic_sub_fetch(&fs->refcount, 1, __ATOMIC_SEQ_CST) != 0)
        return;
    dentry_put(fs->root);
    dentry_put(fs->cwd);
    kfree(fs);
}

void fs_struct_set_cwd(struct fs_struct *fs, struct dentry *d)
{
    spin_lock(&fs->lock);
    struct dentry *old = fs->cwd;
    fs->cwd = d;
    spin_unlock(&fs->lock);
    dentry_put(old);
}
