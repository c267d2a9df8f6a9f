/*
 * MFS block mapping: logical block of a file -> disk block, through the
 * inode's 12 direct pointers, one indirect block (1024 pointers) and one
 * double-indirect block (1024 indirect blocks).
 *
 * Every pointer read from the disk is range-checked before it is followed
 * (a bad one is -EIO, never a read of the superblock or past the disk).
 * Data pointers may carry flags in their top bits (compressed clusters:
 * file.c's business); this file keeps them intact and strips them only to
 * find the block. Indirect blocks are metadata and go through the journal;
 * data blocks never do (ordered mode: the caller writes them first).
 *
 * Callers hold inode->lock (file contents) or vfs_lock (directories) and
 * are inside a journal operation when they allocate, set or truncate.
 */
#include "fs/mfs/mfs.h"
#include "drivers/blkdev.h"
#include "fs/bcache.h"
#include "fs/journal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define OP_SET 3 /* beside MFS_BMAP_READ / ALLOC / ALLOC_UNINIT */
#define PTRS MFS_PTRS_PER_BLOCK

static void *zero_block; /* one block of zeros in the direct map, for MFS_BMAP_ALLOC */

/* A block of zeros for DMA, allocated once. */
static void *zeros(void)
{
    if (!zero_block) {
        void *z = kzalloc(MFS_BLOCK_SIZE);
        void *expected = 0;
        if (z && !__atomic_compare_exchange_n(&zero_block, &expected, z, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            kfree(z);
    }
    return zero_block;
}

/* A new block for inode near its last one, counted in its blocks. */
static int alloc_block(struct inode *inode, uint32_t *out)
{
    struct mfs_inode_info *mi = MFS_I(inode);
    int err = mfs_balloc(MFS_SB(inode->sb), mi->alloc_goal, out);
    if (err)
        return err;
    mi->alloc_goal = *out + 1;
    mi->d.blocks++;
    inode->blocks = mi->d.blocks * MFS_SECTORS_PER_BLOCK; /* st_blocks */
    return 0;
}

/* A new indirect block, zeroed and logged. */
static int alloc_indirect(struct inode *inode, uint32_t *out)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    int err = alloc_block(inode, out);
    if (err)
        return err;
    struct buf *b;
    if ((err = bget_zero(s->dev, *out, &b)) != 0)
        return err; /* the block stays allocated: fsck reclaims it */
    journal_write(s->journal, b);
    brelse(b);
    return 0;
}

/*
 * The one walk behind mfs_bmap and mfs_bmap_set: find the slot of lblk
 * (allocating indirect blocks when op may fill it), then read, fill or set it.
 */
static int walk(struct inode *inode, uint64_t lblk, int op, uint32_t val, uint32_t *out)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_inode *d = &MFS_I(inode)->d;
    uint32_t idx[2];
    int depth;
    uint32_t *slot;
    if (lblk < MFS_NDIRECT) {
        depth = 0, slot = &d->ptr[lblk];
    } else if (lblk < MFS_NDIRECT + PTRS) {
        depth = 1, slot = &d->ptr[MFS_IND], idx[0] = (uint32_t)(lblk - MFS_NDIRECT);
    } else if (lblk < MFS_MAX_FILE_BLOCKS) {
        uint64_t x = lblk - MFS_NDIRECT - PTRS;
        depth = 2, slot = &d->ptr[MFS_DIND], idx[0] = (uint32_t)(x / PTRS), idx[1] = (uint32_t)(x % PTRS);
    } else {
        return -EFBIG;
    }
    int fills = op == MFS_BMAP_ALLOC || op == MFS_BMAP_ALLOC_UNINIT || (op == OP_SET && val != 0);
    struct buf *b = 0; /* the indirect block holding slot; 0: slot is in the inode */
    int inode_dirty = 0, err = 0;
    for (int level = 0; level < depth; level++) {
        uint32_t p = *slot;
        struct buf *next;
        if (!p) {
            if (!fills) { /* a hole all the way down */
                *out = 0;
                goto done;
            }
            if ((err = alloc_indirect(inode, &p)) != 0)
                goto done;
            *slot = p;
            inode_dirty = 1; /* its blocks count changed in any case */
            if (b)
                journal_write(s->journal, b);
        } else if ((p & MFS_BP_FLAGS) || !mfs_block_valid(s, p)) {
            err = mfs_corruptf(s, "inode %u has an indirect pointer to block 0x%x, outside the data area",
                               MFS_I(inode)->ino, p);
            goto done;
        }
        if ((err = bread(s->dev, p, &next)) != 0)
            goto done;
        if (b)
            brelse(b);
        b = next;
        slot = (uint32_t *)b->data + idx[level];
    }
    uint32_t raw = *slot;
    if (raw && !mfs_block_valid(s, raw)) {
        err = mfs_corruptf(s, "inode %u maps block %lu to block 0x%x, outside the data area", MFS_I(inode)->ino,
                           (unsigned long)lblk, raw);
        goto done;
    }
    *out = raw;
    if (op == MFS_BMAP_READ || (op != OP_SET && raw))
        goto done;
    if (op == OP_SET) {
        *slot = val;
    } else {
        uint32_t nb;
        if ((err = alloc_block(inode, &nb)) != 0)
            goto done;
        if (op == MFS_BMAP_ALLOC) {
            void *z = zeros();
            err = z ? blk_rw(s->dev, BLK_WRITE, (uint64_t)nb * MFS_SECTORS_PER_BLOCK, z, MFS_BLOCK_SIZE) : -ENOMEM;
            if (err) {
                mfs_bfree(s, nb);
                MFS_I(inode)->d.blocks--;
                inode->blocks = MFS_I(inode)->d.blocks * MFS_SECTORS_PER_BLOCK;
                goto done;
            }
        }
        *slot = nb;
        *out = nb;
        inode_dirty = 1;
    }
    if (b)
        journal_write(s->journal, b);
    else
        inode_dirty = 1;
done:
    if (b)
        brelse(b);
    if (inode_dirty) {
        int e = mfs_iupdate(inode);
        if (!err)
            err = e;
    }
    return err;
}

int mfs_bmap(struct inode *inode, uint64_t lblk, int alloc, uint32_t *ptr)
{
    if (alloc != MFS_BMAP_READ && alloc != MFS_BMAP_ALLOC && alloc != MFS_BMAP_ALLOC_UNINIT)
        return -EINVAL;
    return walk(inode, lblk, alloc, 0, ptr);
}

int mfs_bmap_set(struct inode *inode, uint64_t lblk, uint32_t ptr, uint32_t *old)
{
    uint32_t ignored;
    return walk(inode, lblk, OP_SET, ptr, old ? old : &ignored);
}

/* Free the pointer in *slot and everything under it (level 0: a data block) that lies at or after first. */
static int free_tree(struct inode *inode, uint32_t *slot, int level, uint64_t base, uint64_t first, int *changed)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_inode *d = &MFS_I(inode)->d;
    uint32_t p = *slot;
    if (!p)
        return 0;
    if ((level > 0 && (p & MFS_BP_FLAGS)) || !mfs_block_valid(s, p))
        return mfs_corruptf(s, "inode %u points at block 0x%x, outside the data area; its blocks are kept",
                            MFS_I(inode)->ino, p);
    uint64_t child_span = level == 2 ? PTRS : 1;
    if (level > 0) {
        struct buf *b;
        int err = bread(s->dev, p, &b), dirty = 0, used = 0;
        if (err)
            return err;
        uint32_t *e = (uint32_t *)b->data;
        for (uint32_t i = 0; i < PTRS && !err; i++) {
            uint64_t cbase = base + i * child_span;
            if (cbase + child_span > first)
                err = free_tree(inode, &e[i], level - 1, cbase, first, &dirty);
            used |= e[i] != 0;
        }
        if (err || used) {
            if (dirty)
                journal_write(s->journal, b);
            brelse(b);
            return err;
        }
        brelse(b); /* empty now: freed below, so its new contents need not be logged */
    } else if (base < first) {
        return 0;
    }
    mfs_bfree(s, MFS_BP_BLOCK(p));
    if (d->blocks)
        d->blocks--;
    *slot = 0;
    *changed = 1;
    return 0;
}

int mfs_bmap_truncate(struct inode *inode, uint64_t first)
{
    struct mfs_inode *d = &MFS_I(inode)->d;
    int changed = 0, err = 0;
    for (uint64_t i = first; i < MFS_NDIRECT && !err; i++)
        err = free_tree(inode, &d->ptr[i], 0, i, first, &changed);
    if (!err && first < MFS_NDIRECT + PTRS)
        err = free_tree(inode, &d->ptr[MFS_IND], 1, MFS_NDIRECT, first, &changed);
    if (!err)
        err = free_tree(inode, &d->ptr[MFS_DIND], 2, MFS_NDIRECT + PTRS, first, &changed);
    if (changed) {
        int e = mfs_iupdate(inode);
        if (!err)
            err = e;
    }
    return err;
}
