/*
 * MFS in memory: what the files of fs/mfs/ share. The on-disk structures
 * are in mfs_format.h; this header is the kernel's view of them.
 *
 *   super.c   mount (checking every superblock field), unmount, statfs, sync
 *   alloc.c   block and inode bitmaps
 *   inode.c   the inode cache: load (checksum and range checks), update, evict
 *   bmap.c    logical block -> disk block through direct/indirect pointers
 *   dir.c     directory entries: lookup, create, link, unlink, rename, readdir
 *   file.c    regular files: read/write through the page cache, truncate, fsync
 *   codec.c   compressed clusters (rle, lz4, zstd) in and out of frames
 *
 * Locks: the VFS holds vfs_lock (a sleep lock) around directory operations
 * and inode->lock around a file's contents; alloc_lock protects the bitmaps;
 * the buffer cache locks each block between bread and brelse. Every change
 * to metadata happens between journal_begin and journal_end.
 */
#pragma once
#include <stdint.h>
#include "fs/mfs/mfs_format.h"
#include "sched/mutex.h"

struct blkdev;
struct journal;
struct inode;
struct super_block;
struct buf;

struct mfs_sb {
    struct super_block *vfs;      /* the VFS's super block (vfs->priv == this) */
    struct blkdev *dev;
    struct mfs_super disk;        /* the superblock as read at mount (kept up to date) */
    struct journal *journal;
    struct mutex alloc_lock;      /* bitmaps, free counts, the pending-free list */
    uint32_t block_goal;          /* where the next block search starts */
    uint32_t *pending_free;       /* blocks freed by the running transaction: reusable after commit */
    uint32_t pending_count, pending_cap;
    int read_only;                /* mounted read-only after an error */
};

/* The MFS part of a VFS inode (inode->priv). */
struct mfs_inode_info {
    struct mfs_inode d;           /* the on-disk inode, kept in memory */
    uint32_t ino;
};

#define MFS_SB(vfs_sb) ((struct mfs_sb *)(vfs_sb)->priv)
#define MFS_I(vfs_inode) ((struct mfs_inode_info *)(vfs_inode)->priv)

/* ---- super.c ---- */
/* Mount the MFS on d: the VFS super block, or a negative errno after printing one sentence why. */
int mfs_mount(struct blkdev *d, struct super_block **out);
/* Report corruption found at run time: prints one line, returns -EIO. */
int mfs_corrupt(struct mfs_sb *s, const char *what, uint64_t where);

/* ---- alloc.c (callers are inside a journal operation) ---- */
int mfs_balloc(struct mfs_sb *s, uint32_t goal, uint32_t *out);   /* -ENOSPC */
void mfs_bfree(struct mfs_sb *s, uint32_t block);                 /* reusable after commit */
int mfs_ialloc(struct mfs_sb *s, uint32_t *out);                  /* -ENOSPC */
void mfs_ifree(struct mfs_sb *s, uint32_t ino);

/* ---- inode.c ---- */
/* The VFS inode for ino with a new reference (one in-memory inode per ino). -EIO if corrupt. */
int mfs_iget(struct mfs_sb *s, uint32_t ino, struct inode **out);
/* Write the in-memory copy of the inode into the journal (inside an operation). */
int mfs_iupdate(struct inode *inode);

/* ---- bmap.c (inside an operation when alloc or set is used) ---- */
/*
 * The raw pointer for logical block lblk (flags included; 0 = hole). With
 * alloc, a hole gets a new zeroed block (and indirect blocks as needed).
 */
int mfs_bmap(struct inode *inode, uint64_t lblk, int alloc, uint32_t *ptr);
/* Set the pointer for lblk to ptr (0 makes a hole), returning the old one in *old; frees nothing. */
int mfs_bmap_set(struct inode *inode, uint64_t lblk, uint32_t ptr, uint32_t *old);
/* Free every block at or after logical block first (and indirect blocks left empty). */
int mfs_bmap_truncate(struct inode *inode, uint64_t first);

/* ---- dir.c ---- */
extern const struct inode_operations mfs_dir_iops;
int mfs_dir_check_block(struct mfs_sb *s, const uint8_t *block); /* 0, or -EIO with a message */

/* ---- file.c ---- */
extern const struct inode_operations mfs_file_iops;
extern const struct file_operations mfs_file_fops;
/* Free a regular file's pages from the page cache (eviction). */
void mfs_file_evict(struct inode *inode);

/* ---- codec.c ---- */
/*
 * Encode len bytes of src as a frame of algorithm alg (MFS_COMP_*) at level
 * into dst (capacity cap). The frame's length, or 0 if it would not fit.
 */
size_t mfs_encode(int alg, int level, const void *src, size_t len, void *dst, size_t cap);
/* Decode a frame (followed by padding) into dst, which must receive exactly len bytes. 0 or -EIO. */
int mfs_decode(int alg, const void *src, size_t srclen, void *dst, size_t len);
