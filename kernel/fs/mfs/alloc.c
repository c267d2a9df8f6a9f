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
 * Every bitmap change also changes the superblock in the same
 * transaction: the block's CRC-32C in bitmap_crc[] and the free counts,
 * which are therefore exact on disk after any crash. The bitmap blocks are
 * checked against their CRCs at mount and stay pinned in the buffer cache
 * from then on, so the allocator never works from a bitmap it has not
 * checked; one that fails its check makes the file system read-only.
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

/*
 * ---- bitmap checksums ----
 * CRC-32C is linear over GF(2): flipping bits of byte i of a 4096-byte
 * block changes its CRC by the CRC of the flipped bits alone (the byte's
 * register value, byte_crc below) carried through the 4095 - i zero bytes
 * after it, which is a multiplication by x^(8 * (4095 - i)) modulo the
 * polynomial. So a bitmap change costs one multiplication (shift_table
 * holds the powers) instead of checksumming the whole block again.
 * Polynomials are stored reflected, as the CRC register is: bit 31 is x^0.
 */
#define CRC_POLY 0x82F63B78u
#define POLY_ONE 0x80000000u  /* the polynomial 1 */
#define POLY_X8 0x00800000u   /* x^8: the effect of one more zero byte */

static uint32_t shift_table[MFS_BLOCK_SIZE]; /* x^(8k) mod P */
static volatile int shift_ready;

/* a * b modulo the CRC polynomial (reflected). */
static uint32_t poly_mul(uint32_t a, uint32_t b)
{
    uint32_t product = 0;
    for (uint32_t m = POLY_ONE; m; m >>= 1) {
        if (a & m)
            product ^= b;
        b = (b & 1) ? (b >> 1) ^ CRC_POLY : b >> 1; /* b *= x */
    }
    return product;
}

/* The CRC register after one byte v from a zero register. */
static uint32_t byte_crc(uint8_t v)
{
    uint32_t c = v;
    for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (CRC_POLY & (0u - (c & 1u)));
    return c;
}

void mfs_crc_patch_init(void)
{
    if (__atomic_load_n(&shift_ready, __ATOMIC_ACQUIRE))
        return;
    shift_table[0] = POLY_ONE; /* two mounts may both fill it: with the same values */
    for (uint32_t k = 1; k < MFS_BLOCK_SIZE; k++)
        shift_table[k] = poly_mul(shift_table[k - 1], POLY_X8);
    __atomic_store_n(&shift_ready, 1, __ATOMIC_RELEASE);
}

/* The CRC-32C of a block after its byte at off changed by the bits in flipped. */
static uint32_t crc_patch(uint32_t crc, uint32_t off, uint8_t flipped)
{
    return crc ^ poly_mul(shift_table[MFS_BLOCK_SIZE - 1 - off], byte_crc(flipped));
}

/* ---- bitmaps (alloc_lock held) ---- */

/*
 * Bitmap block `block`, known to match its checksum: 0 and *out locked, or
 * -EIO. The blocks checked at mount are pinned, so bread finds the same
 * buffer; any other buffer was read from the disk since and is checked now.
 */
static int bitmap_read(struct mfs_sb *s, uint32_t block, struct buf **out)
{
    int idx = mfs_bitmap_crc_index(&s->disk, block);
    if (s->read_only || idx < 0 || idx >= MFS_BITMAP_CRC_MAX)
        return -EIO;
    int err = bread(s->dev, block, out);
    if (err)
        return err;
    if (*out == s->bitmap_buf[idx])
        return 0;
    uint32_t crc = journal_crc32c((*out)->data, MFS_BLOCK_SIZE);
    if (crc != s->disk.bitmap_crc[idx]) {
        brelse(*out);
        s->read_only = 1;
        return mfs_corruptf(s, "bitmap block %u does not match its checksum (0x%x, the superblock says 0x%x); "
                            "no more allocation: the file system is read-only", block, crc, s->disk.bitmap_crc[idx]);
    }
    return 0;
}

/* Flip the bit of b (a bitmap block) at in, keep its checksum right and log it. */
static void bitmap_flip(struct mfs_sb *s, struct buf *b, uint32_t in)
{
    int idx = mfs_bitmap_crc_index(&s->disk, (uint32_t)b->blockno);
    uint8_t bit = (uint8_t)(1u << (in & 7));
    b->data[in / 8] ^= bit;
    s->disk.bitmap_crc[idx] = crc_patch(s->disk.bitmap_crc[idx], in / 8, bit);
    journal_write(s->journal, b);
}

/*
 * Find a clear bit in [from, to) of the bitmap starting at block start that
 * ok() accepts, set it, log the block: the bit number, or -ENOSPC / -EIO.
 */
static int64_t bitmap_take(struct mfs_sb *s, uint32_t start, uint32_t from, uint32_t to, int is_block)
{
    uint32_t bit = from;
    while (bit < to) {
        struct buf *b;
        int err = bitmap_read(s, start + bit / BITS_PER_BLOCK, &b);
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
            bitmap_flip(s, b, in);
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
    int err = bitmap_read(s, start + bit / BITS_PER_BLOCK, &b);
    if (err)
        return err;
    uint32_t in = bit % BITS_PER_BLOCK;
    int was = (b->data[in / 8] >> (in & 7)) & 1;
    if (was)
        bitmap_flip(s, b, in);
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
        mfs_log_super_locked(s); /* the new bitmap checksum and count, in the same transaction */
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
    if (was == 1) {
        s->disk.free_blocks++;
        mfs_log_super_locked(s);
    }
    if (s->dir_checked) /* whatever the block holds next must be checked again */
        __atomic_and_fetch(&s->dir_checked[block / 8], (uint8_t)~(1u << (block & 7)), __ATOMIC_RELAXED);
    mutex_unlock(&s->alloc_lock);
    if (was == 0)
        mfs_corrupt(s, "a block being freed was already free in the bitmap", block);
    else if (was < 0)
        kprintf("mfs: %s: block %u stays allocated until fsck (the bitmap is unusable)\n", blk_name(s->dev), block);
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
        mfs_log_super_locked(s);
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
    if (was == 1) {
        s->disk.free_inodes++;
        mfs_log_super_locked(s);
    }
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

/* Count the free bits of both bitmaps into s->disk (mount, before anyone allocates). */
int mfs_count_free(struct mfs_sb *s)
{
    int64_t fb = count_clear(s, s->disk.bbitmap_start, s->disk.data_start, s->disk.total_blocks);
    if (fb < 0)
        return (int)fb;
    int64_t fi = count_clear(s, s->disk.ibitmap_start, 1, s->disk.inode_count); /* inode 0 is never used */
    if (fi < 0)
        return (int)fi;
    /* The counts are exact on disk; a difference means the superblock was damaged: the bitmaps win. */
    if (s->disk.free_blocks != fb || s->disk.free_inodes != fi)
        kprintf("mfs: %s: the superblock counts %u free blocks and %u free inodes, the bitmaps %ld and %ld: "
                "corrected\n", blk_name(s->dev), s->disk.free_blocks, s->disk.free_inodes, (long)fb, (long)fi);
    s->disk.free_blocks = (uint32_t)fb;
    s->disk.free_inodes = (uint32_t)fi;
    return 0;
}
