/*
 * The buffer cache: 4 KiB disk blocks of file-system metadata (superblock,
 * bitmaps, inode table, directories, indirect blocks, the journal), kept in
 * memory and shared, so two tasks reading the same block share one copy.
 *
 * A buffer returned by bread()/bget_zero() is locked (a sleep lock: only the
 * caller uses it) and referenced until brelse(). Modified metadata is not
 * written with bwrite() by MFS: it goes through journal_write() so the
 * change is atomic; bwrite() is for the journal itself and for the tools'
 * kind of direct writes. Unreferenced, unpinned buffers are recycled LRU
 * first when the cache is full; a pinned buffer (the journal holds it until
 * its transaction is installed) is never recycled.
 */
#pragma once
#include <stdint.h>
#include "sched/mutex.h"

#define BCACHE_BLOCK_SIZE 4096

struct blkdev;

struct buf {
    struct blkdev *dev;
    uint64_t blockno;          /* in 4 KiB blocks */
    uint8_t *data;             /* BCACHE_BLOCK_SIZE bytes in the direct map (DMA-able) */
    int valid;                 /* data holds the disk's contents (or newer) */
    int refcount;              /* bcache lock */
    int pins;                  /* bcache lock: held by the journal */
    struct mutex lock;         /* the user between bread and brelse */
    struct buf *lru_prev, *lru_next, *hash_next;  /* bcache-private */
};

/* The block, read from disk if not cached: 0 and *out locked, or -EIO / -ENOMEM. */
int bread(struct blkdev *d, uint64_t blockno, struct buf **out);
/* The block without reading it, zero-filled and valid (a newly allocated block). */
int bget_zero(struct blkdev *d, uint64_t blockno, struct buf **out);
/* Write b to its home on disk now (b locked). 0 or -EIO. */
int bwrite(struct buf *b);
/* Unlock and drop the reference. */
void brelse(struct buf *b);
/* Keep b in the cache even when unreferenced (the journal); unpin undoes it. */
void bpin(struct buf *b);
void bunpin(struct buf *b);
/* Forget every cached block of d (unmount); fails with -EBUSY if some are in use. */
int bcache_invalidate(struct blkdev *d);
/* Buffers in the cache, for statistics. */
uint64_t bcache_count(void);
/*
 * The most buffers kept (default 2048 = 8 MiB, or an eighth of RAM if less);
 * past it idle buffers are recycled LRU first. Returns the old limit (tests).
 */
uint64_t bcache_set_limit(uint64_t limit);
/* Free up to n idle (unreferenced, unpinned) buffers: memory pressure. The number freed. */
uint64_t bcache_shrink(uint64_t n);
