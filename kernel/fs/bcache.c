/*
 * The buffer cache: one struct buf per cached 4 KiB block, found by
 * (device, block number) in a hash table, so every task that reads a block
 * shares one copy of it.
 *
 * Locks:
 *   - bcache.lock (a spinlock) protects the hash chains, the LRU list, and
 *     each buffer's dev, blockno, refcount and pins. Never held across I/O.
 *   - b->lock (a sleep lock) is held by the one user of a buffer between
 *     bread()/bget_zero() and brelse(); it protects b->data and b->valid.
 *     Reading a block from disk happens under it, so two tasks asking for the
 *     same uncached block wait for one read instead of doing two.
 *
 * The LRU list holds exactly the buffers with refcount == 0 and pins == 0,
 * least recently released first. Once the cache holds `limit` buffers, a new
 * block takes the least recently used of them instead of a new page.
 */
#include "fs/bcache.h"
#include "drivers/blkdev.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/spinlock.h"

#define SECTORS_PER_BLOCK (BCACHE_BLOCK_SIZE / BLK_SECTOR_SIZE)
#define NBUCKETS 1024            /* hash chains; a power of two */
#define DEFAULT_LIMIT 2048       /* 8 MiB of cached metadata */

static struct {
    struct spinlock lock;
    struct buf *hash[NBUCKETS];
    struct buf lru;              /* list head: lru.lru_next is the least recently used */
    uint64_t count;              /* buffers allocated */
    uint64_t limit;              /* recycle instead of growing past this */
} bcache = {
    .lock = SPINLOCK_INIT("bcache"),
    .lru = {.lru_prev = &bcache.lru, .lru_next = &bcache.lru},
};

static unsigned bucket_of(struct blkdev *d, uint64_t blockno)
{
    uint64_t h = (uint64_t)(uintptr_t)d * 0x9E3779B97F4A7C15ull ^ blockno * 0xC2B2AE3D27D4EB4Full;
    return (unsigned)(h >> 32) & (NBUCKETS - 1);
}

/* The cache's size limit: DEFAULT_LIMIT, or an eighth of RAM if that is less. */
static uint64_t current_limit(void)
{
    if (!bcache.limit) {
        uint64_t eighth = pmm_total_count() / 8;
        bcache.limit = eighth < DEFAULT_LIMIT ? (eighth ? eighth : 1) : DEFAULT_LIMIT;
    }
    return bcache.limit;
}

static void lru_remove(struct buf *b)
{
    b->lru_prev->lru_next = b->lru_next;
    b->lru_next->lru_prev = b->lru_prev;
    b->lru_prev = b->lru_next = 0;
}

static void lru_append(struct buf *b)
{
    b->lru_prev = bcache.lru.lru_prev;
    b->lru_next = &bcache.lru;
    bcache.lru.lru_prev->lru_next = b;
    bcache.lru.lru_prev = b;
}

static int on_lru(struct buf *b)
{
    return b->lru_next != 0;
}

static void hash_insert(struct buf *b)
{
    unsigned h = bucket_of(b->dev, b->blockno);
    b->hash_next = bcache.hash[h];
    bcache.hash[h] = b;
}

static void hash_remove(struct buf *b)
{
    struct buf **pp = &bcache.hash[bucket_of(b->dev, b->blockno)];
    while (*pp && *pp != b)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = b->hash_next;
    b->hash_next = 0;
}

static struct buf *hash_find(struct blkdev *d, uint64_t blockno)
{
    for (struct buf *b = bcache.hash[bucket_of(d, blockno)]; b; b = b->hash_next)
        if (b->dev == d && b->blockno == blockno)
            return b;
    return 0;
}

/* Take the least recently used idle buffer out of the cache (lock held), or NULL. */
static struct buf *take_lru_victim(void)
{
    struct buf *b = bcache.lru.lru_next;
    if (b == &bcache.lru)
        return 0;
    lru_remove(b);
    hash_remove(b);
    return b;
}

static void free_buf(struct buf *b)
{
    pmm_free(virt_to_phys(b->data));
    kfree(b);
}

/* Free idle buffers while the cache is over its limit (lock held); returns them in *list. */
static struct buf *trim_locked(struct buf *list)
{
    while (bcache.count > current_limit()) {
        struct buf *b = take_lru_victim();
        if (!b)
            break;
        bcache.count--;
        b->hash_next = list;
        list = b;
    }
    return list;
}

static void free_list(struct buf *list)
{
    while (list) {
        struct buf *next = list->hash_next;
        free_buf(list);
        list = next;
    }
}

static struct buf *alloc_buf(void)
{
    struct buf *b = kzalloc(sizeof *b);
    if (!b)
        return 0;
    paddr_t pa = pmm_alloc();
    if (!pa) {
        kfree(b);
        return 0;
    }
    b->data = phys_to_virt(pa);
    mutex_init(&b->lock, "buf");
    return b;
}

/*
 * The buffer for (d, blockno), referenced and locked; its data is whatever
 * the cache had (b->valid says whether that is the disk's contents).
 * NULL when memory is exhausted and nothing can be recycled.
 */
static struct buf *bget(struct blkdev *d, uint64_t blockno)
{
    struct buf *fresh = 0, *b, *extra = 0;
    for (;;) {
        spin_lock(&bcache.lock);
        b = hash_find(d, blockno);
        if (b) {
            if (on_lru(b))
                lru_remove(b);
            b->refcount++;
            break;
        }
        /* Not cached: recycle an idle buffer once at the limit, else use a new one. */
        if (!fresh && bcache.count >= current_limit())
            b = take_lru_victim();
        if (!b && fresh) {
            b = fresh;
            fresh = 0;
            bcache.count++;
        }
        if (b) {
            b->dev = d;
            b->blockno = blockno;
            b->valid = 0;
            b->refcount = 1;
            b->pins = 0;
            hash_insert(b);
            break;
        }
        spin_unlock(&bcache.lock);
        /* Allocate outside the lock, then look again: another task may have added the block. */
        fresh = alloc_buf();
        if (!fresh) {
            spin_lock(&bcache.lock);
            b = take_lru_victim(); /* memory is short: recycle even under the limit */
            if (b) {
                bcache.count--;
                spin_unlock(&bcache.lock);
                fresh = b;
                continue;
            }
            spin_unlock(&bcache.lock);
            return 0;
        }
    }
    extra = trim_locked(0);
    spin_unlock(&bcache.lock);
    if (fresh)
        free_buf(fresh);
    free_list(extra);
    mutex_lock(&b->lock);
    return b;
}

static int block_in_range(struct blkdev *d, uint64_t blockno)
{
    return blockno < blk_sectors(d) / SECTORS_PER_BLOCK;
}

static int rw_block(struct buf *b, enum blk_op op)
{
    int err = blk_rw(b->dev, op, b->blockno * SECTORS_PER_BLOCK, b->data, BCACHE_BLOCK_SIZE);
    return err ? -EIO : 0;
}

int bread(struct blkdev *d, uint64_t blockno, struct buf **out)
{
    *out = 0;
    if (!d || !block_in_range(d, blockno))
        return -EIO; /* a block number from a corrupt disk: the caller's call fails */
    struct buf *b = bget(d, blockno);
    if (!b)
        return -ENOMEM;
    if (!b->valid) {
        if (rw_block(b, BLK_READ) != 0) {
            brelse(b);
            return -EIO;
        }
        b->valid = 1;
    }
    *out = b;
    return 0;
}

int bget_zero(struct blkdev *d, uint64_t blockno, struct buf **out)
{
    *out = 0;
    if (!d || !block_in_range(d, blockno))
        return -EIO;
    struct buf *b = bget(d, blockno);
    if (!b)
        return -ENOMEM;
    memset(b->data, 0, BCACHE_BLOCK_SIZE);
    b->valid = 1;
    *out = b;
    return 0;
}

int bwrite(struct buf *b)
{
    return rw_block(b, BLK_WRITE);
}

void brelse(struct buf *b)
{
    mutex_unlock(&b->lock);
    spin_lock(&bcache.lock);
    if (--b->refcount == 0 && b->pins == 0)
        lru_append(b);
    struct buf *extra = trim_locked(0);
    spin_unlock(&bcache.lock);
    free_list(extra);
}

void bpin(struct buf *b)
{
    spin_lock(&bcache.lock);
    if (on_lru(b))
        lru_remove(b);
    b->pins++;
    spin_unlock(&bcache.lock);
}

void bunpin(struct buf *b)
{
    spin_lock(&bcache.lock);
    if (b->pins > 0 && --b->pins == 0 && b->refcount == 0)
        lru_append(b);
    spin_unlock(&bcache.lock);
}

int bcache_invalidate(struct blkdev *d)
{
    struct buf *list = 0;
    spin_lock(&bcache.lock);
    for (int h = 0; h < NBUCKETS; h++)
        for (struct buf *b = bcache.hash[h]; b; b = b->hash_next)
            if (b->dev == d && (b->refcount > 0 || b->pins > 0)) {
                spin_unlock(&bcache.lock);
                return -EBUSY;
            }
    for (int h = 0; h < NBUCKETS; h++) {
        struct buf **pp = &bcache.hash[h];
        while (*pp) {
            struct buf *b = *pp;
            if (b->dev != d) {
                pp = &b->hash_next;
                continue;
            }
            *pp = b->hash_next;
            lru_remove(b);
            bcache.count--;
            b->hash_next = list;
            list = b;
        }
    }
    spin_unlock(&bcache.lock);
    free_list(list);
    return 0;
}

uint64_t bcache_count(void)
{
    spin_lock(&bcache.lock);
    uint64_t n = bcache.count;
    spin_unlock(&bcache.lock);
    return n;
}

uint64_t bcache_set_limit(uint64_t limit)
{
    spin_lock(&bcache.lock);
    uint64_t old = current_limit();
    bcache.limit = limit ? limit : 1;
    struct buf *extra = trim_locked(0);
    spin_unlock(&bcache.lock);
    free_list(extra);
    return old;
}

uint64_t bcache_shrink(uint64_t n)
{
    struct buf *list = 0;
    uint64_t freed = 0;
    spin_lock(&bcache.lock);
    while (freed < n) {
        struct buf *b = take_lru_victim();
        if (!b)
            break;
        bcache.count--;
        b->hash_next = list;
        list = b;
        freed++;
    }
    spin_unlock(&bcache.lock);
    free_list(list);
    return freed;
}
