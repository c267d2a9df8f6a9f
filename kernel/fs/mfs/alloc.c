/*
 * MFS allocation: the block and inode bitmaps, read and changed through the
 * buffer cache and logged in the journal by the operation that calls us.
 *
 * Blocks are handed out next-fit from a goal (the file's last block, or
 * where the previous search stopped), so a file written sequentially gets
 * contiguous blocks and lab 9c's writeback can send them in one request.
 *
 * A freed block goes back to the bitmap in the same transaction that drops
 * the pointer to it, but it is not reused until that transaction commits:
 * otherwise a crash could leave the old file (its removal not committed)
 * pointing at the new file's data. The pending set remembers such blocks
 * and the journal's commit hook empties it.
 *
 * The free counts in s->disk are recomputed from the bitmaps at mount and
 * kept in memory; super.c writes them with the superblock at mount, sync
 * and unmount (they are hints: fsck recomputes them anyway).
 *
 * Lock: s->alloc_lock (a sleep lock: bread may sleep under it) protects
 * the bitmaps, the free counts, the goals and the pending set.
 */
#include "fs/mfs/mfs.h"
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "fs/bcache.h"
#include "fs/journal.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define BITS_PER_BLOCK (MFS_BLOCK_SIZE * 8)

/* ---- the pending-free set (alloc_lock held) ---- */

static uint32_t pending_slot(uint32_t block, uint32_t cap)
{
    return (block * 2654435761u) & (cap - 1);
}

static int pending_contains(struct mfs_sb *s, uint32_t block)
{
    if (!s->pending_count)
        return 0;
    for (uint32_t i = pending_slot(block, s->pending_cap);; i = (i + 1) & (s->pending_cap - 1)) {
        if (s->pending_free[i] == block)
            return 1;
        if (s->pending_free[i] == 0)
            return 0;
    }
}

static void pending_put(uint32_t *set, uint32_t cap, uint32_t block)
{
    uint32_t i = pending_slot(block, cap);
    while (set[i] && set[i] != block)
        i = (i + 1) & (cap - 1);
    set[i] = block;
}

/* Remember block as freed by the running transaction; -ENOMEM if the set cannot grow. */
static int pending_add(struct mfs_sb *s, uint32_t block)
{
    if ((s->pending_count + 1) * 2 > s->pending_cap) { /* keep the set at most half full */
        uint32_t cap = s->pending_cap ? s->pending_cap * 2 : 256;
        uint32_t *set = kzalloc(cap * sizeof *set);
        if (!set)
            return -ENOMEM;
        for (uint32_t i = 0; i < s->pending_cap; i++)
            if (s->pending_free[i])
                pending_put(set, cap, s->pending_free[i]);
        kfree(s->pending_free);
        s->pending_free = set;
        s->pending_cap = cap;
    }
    pending_put(s->pending_free, s->pending_cap, block);
    s->pending_count++;
    return 0;
}

void mfs_release_pending(void *arg)
{
    struct mfs_sb *s = arg;
    mutex_lock(&s->alloc_lock);
    if (s->pending_count)
        memset(s->pending_free, 0, s->pending_cap * sizeof *s->pending_free);
    s->pending_count = 0;
    mutex_unlock(&s->alloc_lock);
}

/* ---- bitmaps ---- */

/*
 * Find a clear bit in [from, to) of the bitmap starting at block start that
 * ok() accepts, set it, log the block: the bit number, or -ENOSPC / -EIO.
 */
static int64_t bitmap_take(struct mfs_sb *s, uint32_t start, uint32_t from, uint32_t to, int is_block)
{
    uint32_t bit = from;
    while (bit < to) {
        struct buf *b;
        int err = bread(s->dev, start + bit / BITS_PER_BLOCK, &b);
        if (err)
            return err;
        uint32_t end = (bit / BITS_PER_BLOCK + 1) * BITS_PER_BLOCK;
        if (end > to)
            end = to;
        for (; bit < end; bit++) {
            uint32_t in = bit % BITS_PER_BLOCK;
            if ((in & 7) == 0 && b->data[in / 8] == 0xff && bit + 8 <= end) {
                bit += 7; /* a full byte: skip it */
                continue;
            }
            if (b->data[in / 8] & (1u << (in & 7)))
                continue;
            if (is_block && pending_contains(s, bit))
                continue;
            b->data[in / 8] |= (uint8_t)(1u << (in & 7));
            journal_write(s->journal, b);
            brelse(b);
            return bit;
        }
        brelse(b);
    }
    return -ENOSPC;
}

/* Clear bit in the bitmap at start: 1 if it was set, 0 if it was already clear, or -EIO. */
static int bitmap_clear(struct mfs_sb *s, uint32_t start, uint32_t bit)
{
    struct buf *b;
    int err = bread(s->dev, start + bit / BITS_PER_BLOCK, &b);
    if (err)
        return err;
    uint32_t in = bit % BITS_PER_BLOCK;
    int was = (b->data[in / 8] >> (in & 7)) & 1;
    if (was) {
        b->data[in / 8] &= (uint8_t)~(1u << (in & 7));
        journal_write(s->journal, b);
    }
    brelse(b);
    return was;
}

int mfs_balloc(struct mfs_sb *s, uint32_t goal, uint32_t *out)
{
    uint32_t lo = s->disk.data_start, hi = s->disk.total_blocks;
    mutex_lock(&s->alloc_lock);
    if (goal < lo || goal >= hi)
        goal = s->block_goal;
    if (goal < lo || goal >= hi)
        goal = lo;
    int64_t r = bitmap_take(s, s->disk.bbitmap_start, goal, hi, 1);
    if (r == -ENOSPC && goal > lo)
        r = bitmap_take(s, s->disk.bbitmap_start, lo, goal, 1);
    if (r >= 0) {
        s->block_goal = (uint32_t)r + 1;
        if (s->disk.free_blocks)
            s->disk.free_blocks--;
    }
    mutex_unlock(&s->alloc_lock);
    if (r < 0)
        return (int)r;
    if (r < lo || r >= hi) /* cannot happen: the search is bounded; keep the promise anyway */
        return mfs_corrupt(s, "the block allocator found an out-of-range block", (uint64_t)r);
    *out = (uint32_t)r;
    return 0;
}

void mfs_bfree(struct mfs_sb *s, uint32_t block)
{
    if (block < s->disk.data_start || block >= s->disk.total_blocks) {
        mfs_corrupt(s, "asked to free a block outside the data area", block);
        return;
    }
    mutex_lock(&s->alloc_lock);
    if (pending_add(s, block) != 0) {
        /* No memory to remember it: leak the block (fsck gives it back) rather than risk reuse. */
        mutex_unlock(&s->alloc_lock);
        kprintf("mfs: %s: out of memory; block %u stays allocated until fsck\n", blk_name(s->dev), block);
        return;
    }
    int was = bitmap_clear(s, s->disk.bbitmap_start, block);
    if (was == 1)
        s->disk.free_blocks++;
    if (s->dir_checked) /* whatever the block holds next must be checked again */
        __atomic_and_fetch(&s->dir_checked[block / 8], (uint8_t)~(1u << (block & 7)), __ATOMIC_RELAXED);
    mutex_unlock(&s->alloc_lock);
    if (was == 0)
        mfs_corrupt(s, "a block being freed was already free in the bitmap", block);
}

int mfs_ialloc(struct mfs_sb *s, uint32_t *out)
{
    uint32_t hi = s->disk.inode_count;
    mutex_lock(&s->alloc_lock);
    uint32_t goal = s->inode_goal;
    if (goal < 1 || goal >= hi)
        goal = 1;
    int64_t r = bitmap_take(s, s->disk.ibitmap_start, goal, hi, 0);
    if (r == -ENOSPC && goal > 1)
        r = bitmap_take(s, s->disk.ibitmap_start, 1, goal, 0);
    if (r >= 0) {
        s->inode_goal = (uint32_t)r + 1;
        if (s->disk.free_inodes)
            s->disk.free_inodes--;
    }
    mutex_unlock(&s->alloc_lock);
    if (r < 0)
        return (int)r;
    *out = (uint32_t)r;
    return 0;
}

void mfs_ifree(struct mfs_sb *s, uint32_t ino)
{
    if (ino < 1 || ino >= s->disk.inode_count)
        return;
    mutex_lock(&s->alloc_lock);
    int was = bitmap_clear(s, s->disk.ibitmap_start, ino);
    if (was == 1)
        s->disk.free_inodes++;
    if (ino < s->inode_goal)
        s->inode_goal = ino;
    mutex_unlock(&s->alloc_lock);
    if (was == 0)
        mfs_corrupt(s, "an inode being freed was already free in the bitmap", ino);
}

/* Clear bits in [from, to) of the bitmap at start, or -EIO if unreadable. */
static int64_t count_clear(struct mfs_sb *s, uint32_t start, uint32_t from, uint32_t to)
{
    int64_t n = 0;
    struct buf *b = 0;
    for (uint32_t bit = from; bit < to; bit++) {
        if (!b || bit % BITS_PER_BLOCK == 0) {
            if (b)
                brelse(b);
            int err = bread(s->dev, start + bit / BITS_PER_BLOCK, &b);
            if (err)
                return err;
        }
        uint32_t in = bit % BITS_PER_BLOCK;
        if (!(b->data[in / 8] & (1u << (in & 7))))
            n++;
    }
    if (b)
        brelse(b);
    return n;
}

int mfs_count_free(struct mfs_sb *s)
{
    int64_t fb = count_clear(s, s->disk.bbitmap_start, s->disk.data_start, s->disk.total_blocks);
    if (fb < 0)
        return (int)fb;
    int64_t fi = count_clear(s, s->disk.ibitmap_start, 1, s->disk.inode_count); /* inode 0 is never used */
    if (fi < 0)
        return (int)fi;
    s->disk.free_blocks = (uint32_t)fb;
    s->disk.free_inodes = (uint32_t)fi;
    return 0;
}
