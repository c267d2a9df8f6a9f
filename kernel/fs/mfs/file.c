/*
 * MFS regular files: read and write through the page cache, truncate,
 * fsync. Compressed files (comp_alg != 0) keep their data in clusters:
 * cluster.c reads and rewrites those; this file decides which to touch.
 *
 * Write-through (until lab 9c): a write copies into the cache pages, sends
 * the data blocks straight to the disk (never through the journal), then
 * ends the journal operation that allocated them and updated the inode, so
 * the data is on disk before the metadata that points at it (ordered mode)
 * and before write() returns. Big writes are cut into several operations.
 *
 * Lock: inode->lock (a sleep lock) serialises the file's contents, size and
 * block map; we take it in every entry point. Lock order: inode->lock,
 * then a journal operation, then cluster.c's buffers.
 */
#include "fs/mfs/mfs.h"
#include "drivers/blkdev.h"
#include "fs/journal.h"
#include "fs/mfs/cluster.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/page_cache.h"

#define PAGE 4096u
#define READAHEAD_PAGES 64          /* pages read at once on a miss (256 KiB: one full request) */
#define OP_BLOCKS_MAX 1024          /* data blocks per journal operation (4 MiB) */
#define MAX_BYTES (MFS_MAX_FILE_BLOCKS * MFS_BLOCK_SIZE)

static int is_compressed(struct inode *inode) { return MFS_I(inode)->d.comp_alg != MFS_COMP_NONE; }

/* ---- reading pages ---- */

/* Zero the part of pg past the end of the file (the disk may hold anything there). */
static void zero_past_eof(struct inode *inode, struct cached_page *pg)
{
    uint64_t start = pg->index * PAGE;
    if (start + PAGE <= inode->size)
        return;
    uint64_t keep = inode->size > start ? inode->size - start : 0;
    memset((char *)page_data(pg) + keep, 0, PAGE - keep);
}

/* page_cache_ops.readpages for uncompressed files: one request per run of consecutive blocks. */
static int plain_readpages(struct inode *inode, struct cached_page **pages, int n)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_io io;
    mfs_io_init(&io, s->dev);
    int err = 0;
    for (int i = 0; i < n && !err; i++) {
        uint32_t p;
        if (pages[i]->index * PAGE >= inode->size) {
            p = 0;
        } else if ((err = mfs_bmap(inode, pages[i]->index, MFS_BMAP_READ, &p)) != 0) {
            break;
        } else if (p & MFS_BP_FLAGS) {
            err = mfs_corruptf(s, "inode %u block %lu: a frame pointer in an uncompressed file",
                               MFS_I(inode)->ino, (unsigned long)pages[i]->index);
            break;
        }
        if (p)
            mfs_io_add(&io, 0, MFS_BP_BLOCK(p), pages[i]->frame);
        else
            memset(page_data(pages[i]), 0, PAGE);
    }
    int e = mfs_io_finish(&io);
    if (err || e)
        return err ? err : e;
    for (int i = 0; i < n; i++) {
        zero_past_eof(inode, pages[i]);
        pages[i]->uptodate = 1;
    }
    return 0;
}

static int mfs_readpages(struct inode *inode, struct cached_page **pages, int n)
{
    if (is_compressed(inode))
        return mfs_cluster_readpages(inode, pages, n);
    return plain_readpages(inode, pages, n);
}

/* Lab 9c: write one dirty page back. Until then pages are never dirty. */
static int mfs_writepage(struct inode *inode, struct cached_page *pg)
{
    (void)inode;
    (void)pg;
    return -EIO;
}

static const struct page_cache_ops mfs_page_ops = {
    .readpages = mfs_readpages,
    .writepage = mfs_writepage,
};

/*
 * Make page index uptodate in the cache, reading it together with up to
 * `ahead` following missing pages (readahead) in one batch.
 */
static int fill_pages(struct inode *inode, uint64_t index, uint64_t ahead)
{
    struct cached_page *batch[READAHEAD_PAGES];
    uint64_t last_page = inode->size ? (inode->size - 1) / PAGE : 0;
    int n = 0, err = 0;
    for (uint64_t i = index; n < READAHEAD_PAGES && i <= index + ahead; i++) {
        if (i > index && i > last_page)
            break;
        struct cached_page *pg;
        if ((err = page_cache_grab(inode, i, &pg)) != 0)
            break;
        if (pg->uptodate) { /* the run of missing pages ends here */
            page_cache_put(pg);
            break;
        }
        batch[n++] = pg;
    }
    if (n && !err)
        err = mfs_readpages(inode, batch, n);
    for (int i = 0; i < n; i++)
        page_cache_put(batch[i]);
    return err;
}

/* The uptodate page index with a reference, read (with readahead) if needed. */
static int get_page(struct inode *inode, uint64_t index, uint64_t ahead, struct cached_page **out)
{
    for (int tries = 0; tries < 3; tries++) {
        struct cached_page *pg = page_cache_lookup(inode, index);
        if (pg && pg->uptodate) {
            *out = pg;
            return 0;
        }
        if (pg)
            page_cache_put(pg);
        int err = fill_pages(inode, index, ahead);
        if (err)
            return err;
    }
    /* Evicted between filling and looking (a tiny cache): read it alone. */
    return page_cache_get(inode, index, out);
}

static long mfs_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct inode *inode = f->inode;
    int err = page_cache_attach(inode, &mfs_page_ops);
    if (err)
        return err;
    mutex_lock(&inode->lock);
    if (off >= inode->size)
        n = 0;
    else if (n > inode->size - off)
        n = inode->size - off;
    size_t done = 0;
    while (done < n) {
        uint64_t pos = off + done;
        uint64_t index = pos / PAGE, in = pos % PAGE;
        size_t chunk = PAGE - in < n - done ? PAGE - in : n - done;
        uint64_t pages_left = (off + n - 1) / PAGE - index;
        struct cached_page *pg;
        if ((err = get_page(inode, index, pages_left > READAHEAD_PAGES ? pages_left : READAHEAD_PAGES, &pg)) != 0)
            break;
        memcpy((char *)buf + done, (char *)page_data(pg) + in, chunk);
        page_cache_put(pg);
        done += chunk;
    }
    if (done)
        inode_touch(inode, 1, 0, 0);
    mutex_unlock(&inode->lock);
    return done ? (long)done : err;
}

/* ---- writing ---- */

/*
 * Write the block under the page holding the old end of file again with
 * zeros past that end (the page cache zeroes them on read), so that growing
 * the file never exposes whatever the disk held there. Inside an operation.
 */
static int zero_tail_block(struct inode *inode)
{
    if (inode->size % PAGE == 0)
        return 0;
    uint64_t index = inode->size / PAGE;
    uint32_t p;
    int err = mfs_bmap(inode, index, MFS_BMAP_READ, &p);
    if (err || !p)
        return err;
    struct cached_page *pg;
    if ((err = get_page(inode, index, 0, &pg)) != 0)
        return err;
    zero_past_eof(inode, pg);
    struct mfs_io io;
    mfs_io_init(&io, MFS_SB(inode->sb)->dev);
    mfs_io_add(&io, 1, MFS_BP_BLOCK(p), pg->frame);
    err = mfs_io_finish(&io);
    page_cache_put(pg);
    return err;
}

/*
 * One journal operation's worth of an uncompressed write: [pos, pos + len)
 * with len within OP_BLOCKS_MAX pages. *written is what reached the disk.
 */
static int write_plain_op(struct inode *inode, const char *buf, uint64_t pos, size_t len,
                          struct cached_page **pages, size_t *written)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    int npages = 0, err = 0;
    size_t done = 0;
    struct mfs_io io;
    mfs_io_init(&io, s->dev);
    while (done < len) {
        uint64_t at = pos + done, index = at / PAGE, in = at % PAGE;
        size_t chunk = PAGE - in < len - done ? PAGE - in : len - done;
        struct cached_page *pg;
        /* A page written whole, or past the end of file, needs no read. */
        int whole = chunk == PAGE || index * PAGE >= inode->size;
        err = whole ? page_cache_grab(inode, index, &pg) : get_page(inode, index, 0, &pg);
        if (err)
            break;
        uint32_t p;
        if ((err = mfs_bmap(inode, index, MFS_BMAP_ALLOC_UNINIT, &p)) != 0) {
            page_cache_put(pg);
            break;
        }
        if (p & MFS_BP_FLAGS) {
            page_cache_put(pg);
            err = mfs_corruptf(s, "inode %u block %lu: a frame pointer in an uncompressed file",
                               MFS_I(inode)->ino, (unsigned long)index);
            break;
        }
        if (!pg->uptodate && chunk != PAGE)
            memset(page_data(pg), 0, PAGE); /* past the end of file: zeros around the data */
        memcpy((char *)page_data(pg) + in, buf + done, chunk);
        pg->uptodate = 1;
        mfs_io_add(&io, 1, MFS_BP_BLOCK(p), pg->frame);
        pages[npages++] = pg;
        done += chunk;
    }
    int e = mfs_io_finish(&io);
    for (int i = 0; i < npages; i++) {
        if (e)
            pages[i]->uptodate = 0; /* the disk may not hold it: read it again */
        page_cache_put(pages[i]);
    }
    if (e) {
        /* Nothing of this operation is known to be on disk; its blocks stay allocated (inside the size or not). */
        *written = 0;
        return e;
    }
    *written = done;
    return err;
}

/* An uncompressed write: operations of at most OP_BLOCKS_MAX blocks, each committed before the next. */
static long write_plain(struct inode *inode, const char *buf, uint64_t off, size_t n)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    uint64_t op_bytes = (uint64_t)OP_BLOCKS_MAX * PAGE;
    /* Each block allocated may dirty its own bitmap block: keep the operation within its log budget. */
    if (s->disk.bbitmap_blocks > JOURNAL_MAX_OP_BLOCKS - 8)
        op_bytes = (uint64_t)(JOURNAL_MAX_OP_BLOCKS - 8) * PAGE;
    size_t done = 0;
    int err = 0;
    if (off > inode->size) {
        journal_begin(s->journal);
        err = zero_tail_block(inode);
        int e = journal_end(s->journal);
        if (err || e)
            return err ? err : e;
    }
    struct cached_page **pages = kmalloc(OP_BLOCKS_MAX * sizeof *pages);
    if (!pages)
        return -ENOMEM;
    while (done < n && !err) {
        uint64_t pos = off + done;
        uint64_t end = (pos / op_bytes + 1) * op_bytes; /* operations end on aligned boundaries */
        size_t len = end - pos < n - done ? end - pos : n - done;
        size_t written = 0;
        journal_begin(s->journal);
        err = write_plain_op(inode, buf + done, pos, len, pages, &written);
        if (written) {
            done += written;
            if (pos + written > inode->size)
                inode->size = pos + written;
            inode_touch(inode, 0, 1, 1);
        }
        int e = mfs_iupdate(inode);
        int e2 = journal_end(s->journal);
        if (!err)
            err = e ? e : e2;
        if (err && e2)
            done = 0; /* the commit failed: nothing of this write is known to be durable */
    }
    kfree(pages);
    return done ? (long)done : err;
}

/* A compressed write: each touched cluster is rewritten; a few clusters per operation. */
static long write_compressed(struct inode *inode, const char *buf, uint64_t off, size_t n)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    uint64_t cs = mfs_cluster_bytes(inode);
    int per_op = (int)(1024 * 1024 / cs); /* about 1 MiB of clusters per operation */
    if (s->disk.bbitmap_blocks > 4 || per_op < 1)
        per_op = 1;
    size_t done = 0;
    int err = 0;
    /* The old last cluster's decoded length grows with the file: store it again at full length first. */
    if (off > inode->size && inode->size % cs && off / cs != inode->size / cs) {
        uint64_t c = inode->size / cs, grown = (c + 1) * cs;
        journal_begin(s->journal);
        int hole = mfs_cluster_is_hole(inode, c);
        err = hole < 0 ? hole : hole ? 0 : mfs_cluster_write(inode, c, 0, 0, 0, grown);
        if (!err) {
            inode->size = grown;
            inode_touch(inode, 0, 1, 1);
            err = mfs_iupdate(inode);
        }
        int e = journal_end(s->journal);
        if (err || e)
            return err ? err : e;
    }
    while (done < n && !err) {
        journal_begin(s->journal);
        uint64_t size = inode->size;
        for (int k = 0; k < per_op && done < n && !err; k++) {
            uint64_t pos = off + done, c = pos / cs;
            size_t len = (c + 1) * cs - pos < n - done ? (c + 1) * cs - pos : n - done;
            uint64_t new_size = pos + len > size ? pos + len : size;
            if ((err = mfs_cluster_write(inode, c, buf + done, pos, len, new_size)) != 0)
                break;
            size = new_size;
            done += len;
        }
        if (size != inode->size || done) {
            inode->size = size;
            inode_touch(inode, 0, 1, 1);
        }
        int e = mfs_iupdate(inode);
        int e2 = journal_end(s->journal);
        if (!err)
            err = e ? e : e2;
    }
    return done ? (long)done : err;
}

/* Write at off, or at the end of file when off is (uint64_t)-1 (O_APPEND). */
static long mfs_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    struct inode *inode = f->inode;
    struct mfs_sb *s = MFS_SB(inode->sb);
    int err = page_cache_attach(inode, &mfs_page_ops);
    if (err)
        return err;
    if (s->read_only)
        return -EROFS;
    mutex_lock(&inode->lock);
    if (off == (uint64_t)-1)
        off = inode->size;
    long r;
    if (off >= MAX_BYTES) {
        r = n ? -EFBIG : 0;
    } else {
        if (n > MAX_BYTES - off)
            n = MAX_BYTES - off; /* as Linux: the part below the limit is written */
        r = n == 0 ? 0 : is_compressed(inode) ? write_compressed(inode, buf, off, n) : write_plain(inode, buf, off, n);
    }
    mutex_unlock(&inode->lock);
    if (r > 0 && (f->flags & O_DSYNC)) {
        /* Write-through already committed the metadata; make the data durable too. */
        if (blk_flush(s->dev))
            r = -EIO;
    }
    return r;
}

/* ---- truncate, fsync ---- */

/* Shrink or grow an uncompressed file to size (inside an operation). */
static int truncate_plain(struct inode *inode, uint64_t size)
{
    int err;
    if (size > inode->size)
        return zero_tail_block(inode);
    /* The page that keeps part of its data: zero the rest in the cache and on disk. */
    uint64_t keep = (size + PAGE - 1) / PAGE;
    uint64_t old = inode->size;
    inode->size = size;
    err = zero_tail_block(inode);
    inode->size = old;
    if (err)
        return err;
    page_cache_truncate(inode, keep);
    return mfs_bmap_truncate(inode, keep);
}

/* The same for a compressed file: the cluster holding the new end is stored again, shorter or longer. */
static int truncate_compressed(struct inode *inode, uint64_t size)
{
    uint64_t cs = mfs_cluster_bytes(inode), B = cs / PAGE;
    int err = 0;
    if (size > inode->size) {
        if (inode->size % cs == 0)
            return 0;
        uint64_t c = inode->size / cs;
        int hole = mfs_cluster_is_hole(inode, c);
        if (hole < 0)
            return hole;
        return hole ? 0 : mfs_cluster_write(inode, c, 0, 0, 0, size);
    }
    uint64_t c = size / cs;
    if (size % cs) {
        int hole = mfs_cluster_is_hole(inode, c);
        if (hole < 0)
            return hole;
        if (!hole) {
            /* Zero the cached bytes past the new end, then store the cluster at its new length. */
            if (size % PAGE) {
                struct cached_page *pg;
                if ((err = get_page(inode, size / PAGE, 0, &pg)) != 0)
                    return err;
                memset((char *)page_data(pg) + size % PAGE, 0, PAGE - size % PAGE);
                page_cache_put(pg);
            }
            page_cache_truncate(inode, (size + PAGE - 1) / PAGE);
            if ((err = mfs_cluster_write(inode, c, 0, 0, 0, size)) != 0)
                return err;
        }
        c++;
    }
    page_cache_truncate(inode, (size + PAGE - 1) / PAGE);
    return mfs_bmap_truncate(inode, c * B);
}

static int mfs_truncate(struct inode *inode, uint64_t size)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    if (size > MAX_BYTES)
        return -EFBIG;
    if (s->read_only)
        return -EROFS;
    int err = page_cache_attach(inode, &mfs_page_ops);
    if (err)
        return err;
    mutex_lock(&inode->lock);
    journal_begin(s->journal);
    if (size != inode->size)
        err = is_compressed(inode) ? truncate_compressed(inode, size) : truncate_plain(inode, size);
    if (!err) {
        inode->size = size;
        inode_touch(inode, 0, 1, 1);
        err = mfs_iupdate(inode);
    }
    int e = journal_end(s->journal);
    mutex_unlock(&inode->lock);
    return err ? err : e;
}

static int mfs_fsync(struct file *f, int datasync)
{
    (void)datasync; /* write-through: data and metadata are committed already */
    struct mfs_sb *s = MFS_SB(f->inode->sb);
    int err = page_cache_writeback(f->inode); /* lab 9c: dirty pages; nothing until then */
    int e = journal_sync(s->journal);
    int e2 = blk_flush(s->dev);
    return err ? err : e ? e : e2 ? -EIO : 0;
}

static int mfs_open(struct inode *inode, struct file *f)
{
    (void)f;
    return page_cache_attach(inode, &mfs_page_ops);
}

void mfs_file_evict(struct inode *inode)
{
    page_cache_drop_inode(inode);
}

const struct inode_operations mfs_file_iops = {
    .truncate = mfs_truncate,
};

const struct file_operations mfs_file_fops = {
    .open = mfs_open,
    .read = mfs_read,
    .write = mfs_write,
    .fsync = mfs_fsync,
};
