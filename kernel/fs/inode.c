/*
 * In-memory inodes: allocation, reference counting and timestamps.
 * Lock: vfs_lock protects refcount and nlink; inode->lock the contents.
 * An inode is freed when no dentry or file uses it and no directory names
 * it (refcount == 0 && nlink == 0); ramfs keeps linked inodes in memory.
 */
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

/* The wall clock, from the time system calls (fs/shim_weak.c counts from boot until they export it). */
uint64_t clock_realtime_ns(void);

void fs_now(struct timespec_k *ts)
{
    uint64_t ns = clock_realtime_ns();
    ts->sec = (int64_t)(ns / 1000000000ull);
    ts->nsec = (int64_t)(ns % 1000000000ull);
}

/* A fresh inode of sb with one reference and no links (callable under vfs_lock). */
struct inode *inode_alloc(struct super_block *sb, uint32_t mode)
{
    struct inode *ino = kzalloc(sizeof *ino);
    if (!ino)
        return 0;
    mutex_init(&ino->lock, "inode");
    ino->sb = sb;
    ino->mode = mode;
    ino->refcount = 1;
    ino->ino = __atomic_add_fetch(&sb->next_ino, 1, __ATOMIC_SEQ_CST);
    fs_now(&ino->atime);
    ino->mtime = ino->ctime = ino->atime;
    return ino;
}

void inode_get(struct inode *ino)
{
    mutex_lock(&vfs_lock);
    ino->refcount++;
    mutex_unlock(&vfs_lock);
}

/* Drop a reference, with or without vfs_lock held; the last one of an unlinked inode frees it. */
void inode_put(struct inode *ino)
{
    if (!ino)
        return;
    int holding = mutex_held(&vfs_lock);
    if (!holding)
        mutex_lock(&vfs_lock);
    int gone = --ino->refcount == 0 && ino->nlink == 0;
    if (!holding)
        mutex_unlock(&vfs_lock);
    if (!gone)
        return;
    if (ino->sb && ino->sb->s_op && ino->sb->s_op->evict_inode)
        ino->sb->s_op->evict_inode(ino);
    kfree(ino);
}

void inode_touch(struct inode *ino, int atime, int mtime, int ctime)
{
    struct timespec_k now;
    fs_now(&now);
    if (atime)
        ino->atime = now;
    if (mtime)
        ino->mtime = now;
    if (ctime)
        ino->ctime = now;
}

int mode_to_dtype(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG: return DT_REG;
    case S_IFDIR: return DT_DIR;
    case S_IFCHR: return DT_CHR;
    case S_IFBLK: return DT_BLK;
    case S_IFIFO: return DT_FIFO;
    case S_IFLNK: return DT_LNK;
    default: return DT_UNKNOWN;
    }
}
