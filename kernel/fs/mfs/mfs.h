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
 * and inode->lock around a file's contents; alloc_lock protects the bitmaps
 * and the in-memory superblock, and is taken before a bitmap's or the
 * superblock's buffer lock; the buffer cache locks each block between bread
 * and brelse. Every change
 * to metadata happens between journal_begin and journal_end.
 */
#pragma once
#include <stdint.h>
#include "fs/mfs/mfs_format.h"
#include "sched/mutex.h"
#include "sched/spinlock.h"

struct blkdev;
struct journal;
struct inode;
struct super_block;
struct buf;

#ifndef EUCLEAN
#define EUCLEAN 117 /* Linux's "structure needs cleaning": a corrupt file system */
#endif

#define MFS_ICACHE_BUCKETS 256

struct mfs_inode_info;

struct mfs_sb {
    struct super_block *vfs;      /* the VFS's super block (vfs->priv == this) */
    struct blkdev *dev;
    struct mfs_super disk;        /* the superblock as read at mount, kept up to date (alloc_lock) */
    struct buf *super_buf;        /* block 0, pinned in the cache from mount to unmount */
    struct buf *bitmap_buf[MFS_BITMAP_CRC_MAX]; /* the bitmap blocks checked at mount, pinned */
    struct journal *journal;
    struct mutex alloc_lock;      /* bitmaps, free counts, the pending-free set, the goals */
    uint32_t block_goal;          /* where the next block search starts */
    uint32_t inode_goal;          /* where the next inode search starts */
    /*
     * Blocks freed by the running transaction: their bitmap bits are clear
     * (in the same transaction as the pointer that went away), but they are
     * not handed out again until the journal's commit hook empties the set.
     * An open-addressing hash set of pending_cap slots (0 = empty slot).
     */
    uint32_t *pending_free;
    uint32_t pending_count, pending_cap;
    /*
     * One bit per block: a directory block whose names passed the check
     * since mount (they change only through dir.c, which keeps them valid),
     * so names in 10,000-entry directories are not re-scanned byte by byte
     * on every lookup; lengths and inode numbers are checked on every read
     * all the same. mfs_bfree clears the bit. Bits are set and tested under
     * vfs_lock (directory operations) and cleared under alloc_lock; a lost
     * race only costs one more check.
     */
    uint8_t *dir_checked;
    struct spinlock icache_lock;  /* the inode cache's hash chains */
    struct mfs_inode_info *icache[MFS_ICACHE_BUCKETS];
    int read_only;                /* after a bitmap failed its checksum: no allocation, no writes */
};

/* The MFS part of a VFS inode (inode->priv). */
struct mfs_inode_info {
    struct mfs_inode d;           /* the on-disk inode, kept in memory */
    uint32_t ino;
    struct inode *vfs;            /* the VFS inode whose priv this is */
    struct mfs_inode_info *hash_next; /* icache chain (icache_lock) */
    uint32_t dir_hint;            /* directories: the first block that may have room (vfs_lock) */
    uint32_t alloc_goal;          /* where this file's next block is looked for (its last one + 1) */
};

#define MFS_SB(vfs_sb) ((struct mfs_sb *)(vfs_sb)->priv)
#define MFS_I(vfs_inode) ((struct mfs_inode_info *)(vfs_inode)->priv)

/* ---- super.c ---- */
/* Mount the MFS on d: the VFS super block, or a negative errno after printing one sentence why. */
int mfs_mount(struct blkdev *d, struct super_block **out);
/* Report corruption found at run time: prints "mfs: vda: <what> <where>", returns -EIO. */
int mfs_corrupt(struct mfs_sb *s, const char *what, uint64_t where);
/* The same with a formatted sentence: mfs_corruptf(s, "inode %u is corrupt (%s)", ino, why). */
int mfs_corruptf(struct mfs_sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log the superblock, with the current free counts and bitmap checksums (inside an operation). */
int mfs_write_super(struct mfs_sb *s);
/* The same with alloc_lock already held (alloc.c, after each bitmap change). */
int mfs_log_super_locked(struct mfs_sb *s);

/* ---- alloc.c (callers are inside a journal operation) ---- */
/* A free block at or after goal (next fit), marked in use: 0 or -ENOSPC / -EIO. */
int mfs_balloc(struct mfs_sb *s, uint32_t goal, uint32_t *out);
/* Mark block free; it is reusable only after the running transaction commits. */
void mfs_bfree(struct mfs_sb *s, uint32_t block);
int mfs_ialloc(struct mfs_sb *s, uint32_t *out);                  /* -ENOSPC */
void mfs_ifree(struct mfs_sb *s, uint32_t ino);
/* Count the free bits of both bitmaps into s->disk (mount; corrects damaged counts). 0 or -EIO. */
int mfs_count_free(struct mfs_sb *s);
/* Build the table that lets a bitmap change patch its block's CRC (once, before the first mount). */
void mfs_crc_patch_init(void);
/* The journal's commit hook: blocks freed so far may be reused. */
void mfs_release_pending(void *arg);

/* ---- inode.c ---- */
/* The VFS inode for ino with a new reference (one in-memory inode per ino). -EIO if corrupt. */
int mfs_iget(struct mfs_sb *s, uint32_t ino, struct inode **out);
/*
 * Copy the VFS inode's mode, ids, nlink, size, times and rdev into the
 * in-memory mfs_inode and log its inode-table block (inside an operation).
 */
int mfs_iupdate(struct inode *inode);
/* A new inode of the given mode (inside an operation): allocated, initialised and logged. */
int mfs_inew(struct mfs_sb *s, struct inode *dir, uint32_t mode, struct inode **out);
/* Give the inode back: free its blocks and its number (evict_inode, inside an operation). */
int mfs_ifree_inode(struct inode *inode);
/*
 * After a crash: free every inode that is in use with no links left (its
 * last name went, its freeing did not commit). The number freed, or -EIO.
 */
int mfs_free_orphans(struct mfs_sb *s);
/* Drop an evicted inode from the cache and free its MFS part. */
void mfs_iforget(struct inode *inode);
/* Free every cached inode nobody uses (unmount). */
void mfs_icache_drop_unused(struct mfs_sb *s);

/* ---- bmap.c (inside an operation when alloc or set is used) ---- */
#define MFS_BMAP_READ 0          /* look up only */
#define MFS_BMAP_ALLOC 1         /* fill a hole with a block zeroed on disk */
#define MFS_BMAP_ALLOC_UNINIT 2  /* fill a hole with a block the caller overwrites whole before the
                                    operation ends (file data: saves writing zeros first) */
/*
 * The raw pointer for logical block lblk (flags included; 0 = hole). With
 * an ALLOC mode, a hole gets a new block (and indirect blocks as needed);
 * the inode's blocks count and the inode itself are updated.
 */
int mfs_bmap(struct inode *inode, uint64_t lblk, int alloc, uint32_t *ptr);
/*
 * Set the pointer for lblk to ptr (0 makes a hole), returning the old one in
 * *old; frees nothing. Indirect blocks are allocated as needed (and counted
 * in the inode's blocks); data blocks the caller allocates or frees with
 * mfs_balloc / mfs_bfree it accounts for itself in MFS_I(inode)->d.blocks.
 */
int mfs_bmap_set(struct inode *inode, uint64_t lblk, uint32_t ptr, uint32_t *old);
/* Free every block at or after logical block first (and indirect blocks left empty). */
int mfs_bmap_truncate(struct inode *inode, uint64_t first);
/* Is p (a pointer read from disk, flags ignored) a data block of this file system? */
int mfs_block_valid(struct mfs_sb *s, uint32_t p);

/* ---- dir.c ---- */
extern const struct inode_operations mfs_dir_iops;
extern const struct file_operations mfs_dir_fops;
int mfs_dir_check_block(struct mfs_sb *s, const uint8_t *block); /* 0, or -EIO with a message */

/* ---- mfs_test.c ---- */
/* Make a fresh MFS (empty root, clean journal) on d, for tests without the host tools. */
int mfs_test_mkfs(struct blkdev *d, uint32_t total_blocks, uint32_t inodes);

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
