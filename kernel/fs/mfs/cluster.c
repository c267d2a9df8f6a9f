/*
 * Compressed files: each cluster (16..256 KiB) is a hole, raw blocks, or
 * one frame in k whole blocks (mfs_format.h). Reads decode the whole
 * cluster into its pages; writes rewrite the whole cluster into newly
 * allocated blocks and free the old ones in the same journal operation, so
 * a crash leaves either the old cluster or the new one, never a mix.
 *
 * Lock: cluster_lock protects the two cluster-sized buffers (the decoded
 * bytes and the frame) shared by every compressed file. It is taken inside
 * inode->lock and inside a journal operation, never around either.
 */
#include "fs/mfs/mfs.h"
#include "drivers/blkdev.h"
#include "fs/mfs/cluster.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page_cache.h"

#define PAGE 4096u
#define CLUSTER_MAX (1u << MFS_CLUSTER_SHIFT_MAX)
#define BLOCKS_MAX (CLUSTER_MAX / PAGE)

static struct mutex cluster_lock = MUTEX_INIT("mfs_cluster");
static uint8_t *plain_buf, *frame_buf; /* CLUSTER_MAX bytes each, physically contiguous */

/* The shared buffers, allocated on first use (cluster_lock held). 0 or -ENOMEM. */
static int buffers(void)
{
    if (!plain_buf)
        plain_buf = kmalloc(CLUSTER_MAX);
    if (!frame_buf)
        frame_buf = kmalloc(CLUSTER_MAX);
    return plain_buf && frame_buf ? 0 : -ENOMEM;
}

uint64_t mfs_cluster_bytes(struct inode *inode)
{
    int shift = MFS_I(inode)->d.cluster_shift;
    if (shift < MFS_CLUSTER_SHIFT_MIN || shift > MFS_CLUSTER_SHIFT_MAX)
        shift = MFS_CLUSTER_SHIFT_DEFAULT; /* inode.c refuses such inodes; be safe anyway */
    return (uint64_t)1 << shift;
}

/* The decoded length of cluster c for a file of the given size (0 past the end). */
static uint64_t cluster_len(struct inode *inode, uint64_t c, uint64_t size)
{
    uint64_t cs = mfs_cluster_bytes(inode), start = c * cs;
    if (size <= start)
        return 0;
    return size - start < cs ? size - start : cs;
}

/* The B block pointers of cluster c. */
static int cluster_ptrs(struct inode *inode, uint64_t c, uint32_t *ptrs, uint64_t B)
{
    for (uint64_t i = 0; i < B; i++) {
        uint64_t lblk = c * B + i;
        ptrs[i] = 0;
        if (lblk >= MFS_MAX_FILE_BLOCKS)
            continue;
        int err = mfs_bmap(inode, lblk, MFS_BMAP_READ, &ptrs[i]);
        if (err)
            return err;
    }
    return 0;
}

int mfs_cluster_is_hole(struct inode *inode, uint64_t c)
{
    uint64_t B = mfs_cluster_bytes(inode) / PAGE;
    uint32_t ptrs[BLOCKS_MAX];
    int err = cluster_ptrs(inode, c, ptrs, B);
    if (err)
        return err;
    for (uint64_t i = 0; i < B; i++)
        if (ptrs[i])
            return 0;
    return 1;
}

/* Read cluster c (len decoded bytes) into plain_buf (cluster_lock held). 0 or -EIO. */
static int load_cluster(struct inode *inode, uint64_t c, uint64_t len)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_inode *d = &MFS_I(inode)->d;
    uint64_t B = mfs_cluster_bytes(inode) / PAGE;
    uint32_t ptrs[BLOCKS_MAX];
    int err = cluster_ptrs(inode, c, ptrs, B);
    if (err)
        return err;
    uint64_t k = 0;
    while (k < B && (ptrs[k] & MFS_BP_FRAME))
        k++;
    for (uint64_t i = k; i < B; i++)
        if ((ptrs[i] & MFS_BP_FLAGS) || (k && ptrs[i]))
            return mfs_corruptf(s, "inode %u cluster %lu: its block pointers mix a frame and raw blocks",
                                MFS_I(inode)->ino, (unsigned long)c);
    struct mfs_io io;
    mfs_io_init(&io, s->dev);
    if (k == 0) { /* raw or a hole: block by block, zeros for holes and past the end */
        uint64_t n = (len + PAGE - 1) / PAGE;
        for (uint64_t i = 0; i < n; i++)
            if (ptrs[i])
                mfs_io_add(&io, 0, MFS_BP_BLOCK(ptrs[i]), virt_to_phys(plain_buf + i * PAGE));
            else
                memset(plain_buf + i * PAGE, 0, PAGE);
        if ((err = mfs_io_finish(&io)) != 0)
            return err;
        memset(plain_buf + len, 0, B * PAGE - len);
        return 0;
    }
    if (k == B)
        return mfs_corruptf(s, "inode %u cluster %lu: a frame as long as the raw cluster", MFS_I(inode)->ino,
                            (unsigned long)c);
    for (uint64_t i = 0; i < k; i++)
        mfs_io_add(&io, 0, MFS_BP_BLOCK(ptrs[i]), virt_to_phys(frame_buf + i * PAGE));
    if ((err = mfs_io_finish(&io)) != 0)
        return err;
    if (mfs_decode(d->comp_alg, frame_buf, k * PAGE, plain_buf, len) != 0)
        return mfs_corruptf(s, "inode %u cluster %lu: bad %s frame", MFS_I(inode)->ino, (unsigned long)c,
                            mfs_comp_name(d->comp_alg));
    memset(plain_buf + len, 0, B * PAGE - len);
    return 0;
}

/*
 * Decode the cluster holding page index into every page of it that is not
 * uptodate yet, up to the end of file (or index, if that is further).
 */
static int fill_cluster(struct inode *inode, uint64_t index)
{
    uint64_t B = mfs_cluster_bytes(inode) / PAGE, c = index / B;
    uint64_t want = (cluster_len(inode, c, inode->size) + PAGE - 1) / PAGE;
    if (want < index - c * B + 1)
        want = index - c * B + 1;
    struct cached_page *pages[BLOCKS_MAX];
    int err = 0;
    uint64_t n = 0;
    for (; n < want; n++)
        if ((err = page_cache_grab(inode, c * B + n, &pages[n])) != 0)
            break;
    if (!err) {
        mutex_lock(&cluster_lock);
        if ((err = buffers()) == 0)
            err = load_cluster(inode, c, cluster_len(inode, c, inode->size));
        for (uint64_t i = 0; i < n && !err; i++)
            if (!pages[i]->uptodate) {
                memcpy(page_data(pages[i]), plain_buf + i * PAGE, PAGE);
                pages[i]->uptodate = 1;
            }
        mutex_unlock(&cluster_lock);
    }
    for (uint64_t i = 0; i < n; i++)
        page_cache_put(pages[i]);
    return err;
}

int mfs_cluster_readpages(struct inode *inode, struct cached_page **pages, int n)
{
    for (int i = 0; i < n; i++) {
        if (pages[i]->uptodate) /* filled with an earlier page's cluster */
            continue;
        int err = fill_cluster(inode, pages[i]->index);
        if (err)
            return err;
    }
    return 0;
}

/* Put back pointers[0..n) of cluster c (undoing a half-done switch). */
static void restore_ptrs(struct inode *inode, uint64_t c, uint64_t B, const uint32_t *old, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (mfs_bmap_set(inode, c * B + i, old[i], 0) != 0)
            mfs_corruptf(MFS_SB(inode->sb), "inode %u cluster %lu could not be restored after an error",
                         MFS_I(inode)->ino, (unsigned long)c);
}

/* Store plain_buf's len bytes (or pages, raw) for cluster c in new blocks and switch the pointers. */
static int store_cluster(struct inode *inode, uint64_t c, uint64_t len, struct cached_page **pages)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_inode_info *mi = MFS_I(inode);
    uint64_t B = mfs_cluster_bytes(inode) / PAGE, raw = (len + PAGE - 1) / PAGE;
    /* A frame is worth it only if, padded, it takes fewer blocks than the raw cluster. */
    size_t padded = 0;
    if (raw > 1) {
        size_t cap = (raw - 1) * PAGE;
        size_t n = mfs_encode(mi->d.comp_alg, mi->d.comp_level, plain_buf, len, frame_buf, cap - 8);
        padded = n ? mfs_frame_pad(frame_buf, n, cap) : 0;
    }
    uint64_t k = padded ? padded / PAGE : raw;
    uint32_t blocks[BLOCKS_MAX], old[BLOCKS_MAX];
    uint64_t got = 0;
    int err = 0;
    for (; got < k; got++) {
        if ((err = mfs_balloc(s, mi->alloc_goal, &blocks[got])) != 0)
            goto undo_alloc;
        mi->alloc_goal = blocks[got] + 1;
    }
    struct mfs_io io;
    mfs_io_init(&io, s->dev);
    for (uint64_t i = 0; i < k; i++)
        mfs_io_add(&io, 1, blocks[i], padded ? virt_to_phys(frame_buf + i * PAGE) : pages[i]->frame);
    if ((err = mfs_io_finish(&io)) != 0)
        goto undo_alloc;
    for (uint64_t i = 0; i < B; i++) {
        uint32_t p = i < k ? blocks[i] | (padded ? MFS_BP_FRAME : 0) : 0;
        if ((err = mfs_bmap_set(inode, c * B + i, p, &old[i])) != 0) {
            restore_ptrs(inode, c, B, old, i);
            goto undo_alloc;
        }
    }
    for (uint64_t i = 0; i < B; i++)
        if (old[i]) {
            mfs_bfree(s, MFS_BP_BLOCK(old[i]));
            if (mi->d.blocks)
                mi->d.blocks--;
        }
    mi->d.blocks += k;
    return 0;

undo_alloc:
    for (uint64_t i = 0; i < got; i++)
        mfs_bfree(s, blocks[i]);
    return err;
}

int mfs_cluster_write(struct inode *inode, uint64_t c, const void *buf, uint64_t pos, size_t len, uint64_t new_size)
{
    uint64_t cs = mfs_cluster_bytes(inode), B = cs / PAGE, start = c * cs;
    uint64_t clen = cluster_len(inode, c, new_size), npages = (clen + PAGE - 1) / PAGE;
    struct cached_page *pages[BLOCKS_MAX];
    uint64_t n = 0;
    int err = 0;
    (void)B;
    /*
     * The cluster's pages as they are now: the first miss inside the file
     * decodes the whole cluster; pages past the end of file are zeros.
     */
    for (; n < npages; n++) {
        uint64_t index = start / PAGE + n;
        if (index * PAGE < inode->size) {
            if ((err = page_cache_get(inode, index, &pages[n])) != 0)
                break;
            continue;
        }
        if ((err = page_cache_grab(inode, index, &pages[n])) != 0)
            break;
        if (!pages[n]->uptodate) {
            memset(page_data(pages[n]), 0, PAGE);
            pages[n]->uptodate = 1;
        }
    }
    if (!err) {
        for (size_t done = 0; done < len;) {
            uint64_t at = pos + done - start, i = at / PAGE, in = at % PAGE;
            size_t chunk = PAGE - in < len - done ? PAGE - in : len - done;
            memcpy((char *)page_data(pages[i]) + in, (const char *)buf + done, chunk);
            done += chunk;
        }
        /* Past the cluster's new end the bytes must be zeros (a shrink leaves old ones in the last page). */
        if (clen % PAGE)
            memset((char *)page_data(pages[npages - 1]) + clen % PAGE, 0, PAGE - clen % PAGE);
        mutex_lock(&cluster_lock);
        if ((err = buffers()) == 0) {
            for (uint64_t i = 0; i < npages; i++)
                memcpy(plain_buf + i * PAGE, page_data(pages[i]), PAGE);
            err = store_cluster(inode, c, clen, pages);
        }
        mutex_unlock(&cluster_lock);
    }
    for (uint64_t i = 0; i < n; i++) {
        if (err)
            pages[i]->uptodate = 0; /* they hold data the disk does not: read them again */
        page_cache_put(pages[i]);
    }
    return err;
}
