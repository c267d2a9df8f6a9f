/*
 * The page cache: file data in 4 KiB pages, indexed per inode by page
 * number (inode->pages). read/write copy through these pages, lab 9b's mmap
 * maps the same frames, and lab 9c writes dirty ones back. It is generic: a
 * file system plugs in with a struct page_cache_ops (MFS: fs/mfs/file.c).
 *
 * Who protects what:
 *   - pc_lock (a spinlock in page_cache.c) protects every index, the global
 *     LRU list, the page count and each page's refcount, dirty and
 *     in_index fields. It is never held while sleeping.
 *   - A page's contents and its uptodate flag belong to the file system,
 *     which serialises them with its own per-inode sleep lock (inode->lock):
 *     whoever holds a page reference under that lock may fill it and then
 *     set uptodate.
 * A page with references, or dirty, is never evicted; clean unreferenced
 * pages are evicted least recently used first when the cache holds more
 * than its limit (a quarter of RAM) or when page_cache_reclaim() asks.
 *
 * Write-back: until lab 9c, MFS writes through (the data is on disk before
 * write() returns), so its pages are always clean. Lab 9c fills in the
 * dirty side: write() only copies and calls page_mark_dirty(), and a
 * flusher thread (and fsync/sync) calls page_cache_writeback().
 */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

struct inode;
struct cached_page;

/* What a file system provides to fill and clean its pages. */
struct page_cache_ops {
    /*
     * Read pages[0..n) (consecutive page indexes of inode, none uptodate,
     * each referenced by the caller) from the disk and set their uptodate
     * flags; a hole reads as zeros. 0 or a negative errno (-EIO). Called
     * with the file system's inode lock held.
     */
    int (*readpages)(struct inode *inode, struct cached_page **pages, int n);
    /*
     * Write one dirty page to the disk (lab 9c: writeback and eviction of
     * dirty pages). 0 or a negative errno; the page stays dirty on error.
     */
    int (*writepage)(struct inode *inode, struct cached_page *pg);
};

struct cached_page {
    struct inode *inode;           /* owner (stays set after removal, for debugging) */
    uint64_t index;                /* page number in the file: bytes index*4096 .. +4095 */
    paddr_t frame;                 /* the 4 KiB of data */
    int refcount;                  /* pc_lock: users (0 = only the cache holds it) */
    uint8_t uptodate;              /* the frame holds the file's data (inode lock) */
    uint8_t dirty;                 /* pc_lock: newer than the disk; never evicted */
    uint8_t in_index;              /* pc_lock: still findable (0 after truncate/drop) */
    struct cached_page *lru_prev, *lru_next; /* pc_lock: the global LRU, newest first */
};

static inline void *page_data(struct cached_page *pg) { return phys_to_virt(pg->frame); }

/*
 * Give inode a page index served by ops (idempotent; file systems call it
 * when a file is opened). 0 or -ENOMEM.
 */
int page_cache_attach(struct inode *inode, const struct page_cache_ops *ops);

/* The cached page index of inode with a new reference, or NULL if it is not cached. */
struct cached_page *page_cache_lookup(struct inode *inode, uint64_t index);

/*
 * The page index of inode with a new reference, created (not uptodate, its
 * frame not cleared) if it was not cached: for callers that fill pages
 * themselves (whole-page writes, compressed clusters, readahead).
 * 0 or -ENOMEM (after trying to reclaim).
 */
int page_cache_grab(struct inode *inode, uint64_t index, struct cached_page **out);

/* Like page_cache_grab, then read it through ops->readpages if it is not uptodate. */
int page_cache_get(struct inode *inode, uint64_t index, struct cached_page **out);

/* Drop a reference. A page left unreferenced and not uptodate (a failed read) is freed. */
void page_cache_put(struct cached_page *pg);

/*
 * The page's contents are newer than the disk (lab 9c: write() and mmap'd
 * stores). Dirty pages are never evicted; page_cache_writeback cleans them.
 */
void page_mark_dirty(struct cached_page *pg);

/*
 * Write every dirty page of inode back through ops->writepage, in index
 * order: fsync and lab 9c's flusher call it. 0 or the first error.
 * (Until lab 9c nothing is dirty and this returns at once.)
 */
int page_cache_writeback(struct inode *inode);

/*
 * Forget every page at or after from_index (truncate): their data is
 * discarded, dirty or not. Referenced pages leave the index at once and are
 * freed at their last page_cache_put.
 */
void page_cache_truncate(struct inode *inode, uint64_t from_index);

/* Forget all pages of inode and free its index (the inode leaves memory). */
void page_cache_drop_inode(struct inode *inode);

/*
 * Evict up to n clean unreferenced pages, least recently used first (memory
 * pressure: call it when pmm_alloc fails). The number evicted.
 */
uint64_t page_cache_reclaim(uint64_t n);

struct page_cache_stats {
    uint64_t pages;                /* cached right now */
    uint64_t limit;                /* eviction starts above this many */
    uint64_t hits, misses;         /* page_cache_lookup/grab found it or not */
    uint64_t evictions;
};
void page_cache_get_stats(struct page_cache_stats *out);
/* Change the limit (0 = the default, a quarter of RAM); returns the old one. For tests. */
uint64_t page_cache_set_limit(uint64_t pages);
