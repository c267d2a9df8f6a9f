/*
 * The journal: an xv6-style redo log of whole metadata blocks with group
 * commit. Operations bracket their changes with journal_begin/journal_end;
 * every block they modify is recorded once per transaction (repeats are
 * absorbed) and pinned in the buffer cache. When the last outstanding
 * operation ends, it commits the transaction for everyone:
 *
 *   1. FLUSH: the previous transaction's installs (step 4 of its commit)
 *      become durable before its log copy is overwritten, and so does the
 *      file data this transaction's operations wrote (ordered mode);
 *   2. write the header (count, home[], block_crc[], sequence, checksum)
 *      and the log blocks after it in ONE request (the header is block
 *      start, the log starts at start + 1; past BLK_MAX_SEGS blocks, more
 *      requests go in flight together);
 *   3. FLUSH: the commit point. The header and its blocks may reach the
 *      disk in any order, so the header carries a CRC per log block: a
 *      header that arrived without all its blocks is ignored at replay;
 *   4. install: write each block to its home (runs of consecutive homes
 *      merged into one request), with no flush and without clearing the
 *      header: until the next commit's step 1, a crash replays this
 *      transaction again, which rewrites the same bytes (idempotent);
 *   5. unpin the blocks, call the commit hook, wake everyone waiting.
 *
 * Two flushes and 2 + (runs of homes) writes per commit. Step 1 keeps the
 * old protocol's guarantee that a header is only overwritten once the
 * transaction it describes is durable at home. journal_close writes a
 * clean header (count 0) after a last flush, so an unmounted journal is
 * empty; the sequence number tells the tools which transaction is newest.
 *
 * Log and home writes are sent straight from the cached buffers' pages (no
 * copy): while a commit runs no operation is open, so nobody modifies them.
 * Users keep the rule that a logged buffer is only modified inside an
 * operation.
 *
 * Lock: j->lock (a spinlock) protects outstanding, committing, error,
 * nlogged/logged[] and the waiter list. The commit itself runs without it
 * (the `committing` flag keeps new operations out). Waiting is sleep_on_flag:
 * each sleeper puts a struct waiter on j->waiters and the committer sets its
 * flag and wakes it under j->lock; a woken sleeper retakes j->lock before
 * returning, so the waker is done with its waiter by then.
 */
#include "fs/journal.h"
#include "fs/bcache.h"
#include "fs/mfs/mfs_format.h"
#include "drivers/blkdev.h"
#include "arch/x86_64/time.h"
#include "lib/errno.h"
#include "drivers/console.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "sched/spinlock.h"

#define SECTORS_PER_BLOCK (MFS_BLOCK_SIZE / BLK_SECTOR_SIZE)
#define NREQ 8 /* requests in flight at once during a commit */

struct waiter {
    volatile int woken;
    int result;                  /* the commit's status, for operations waiting for it */
    struct task *task;
    struct waiter *next;
};

struct journal {
    struct spinlock lock;
    struct blkdev *dev;
    uint64_t start, nblocks;     /* the journal's area on disk */
    uint64_t dev_blocks;         /* the device's size in blocks */
    int capacity;                /* log blocks: min(nblocks - 1, MFS_JOURNAL_MAX_BLOCKS) */
    int outstanding;             /* operations between begin and end */
    int committing;
    int error;                   /* 0, or -EIO once a commit failed: every later op fails */
    uint64_t sequence;           /* of the last commit */
    int nlogged;
    struct buf **logged;         /* capacity entries */
    struct waiter *waiters;
    void (*hook)(void *arg);
    void *hook_arg;
    struct journal_stats stats;
    struct mfs_journal_header *hdr; /* a page: the header block's image */
    struct blk_request *req;     /* NREQ requests for the commit's I/O */
    uint16_t *order;             /* capacity entries: logged[] sorted by home */
};

/*
 * ---- CRC-32C (the polynomial of mfs_crc32c), slicing by 8 ----
 * crc_table[0] is the classic byte-at-a-time table; crc_table[k][b] is the
 * CRC of byte b followed by k zero bytes, so eight table lookups consume
 * eight bytes at once. About 5 times faster than the bitwise loop under
 * TCG (QEMU emulates SSE 4.2's crc32 instruction slowly, so it is not used).
 */

static uint32_t crc_table[8][256];
static volatile int crc_ready;

static void crc_init(void)
{
    if (__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
        return;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
        crc_table[0][i] = c; /* two CPUs may both fill it: with the same values */
    }
    for (int k = 1; k < 8; k++)
        for (int i = 0; i < 256; i++)
            crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^ crc_table[0][crc_table[k - 1][i] & 0xff];
    __atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

/* mfs_crc32c(0, data, len). */
static uint32_t crc32c_fast(const void *data, size_t len)
{
    const uint8_t *p = data;
    crc_init();
    uint32_t crc = ~0u;
    for (; len >= 8; len -= 8, p += 8) {
        uint32_t lo, hi;
        __builtin_memcpy(&lo, p, 4); /* a plain load, not a call to memcpy */
        __builtin_memcpy(&hi, p + 4, 4);
        lo ^= crc;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
    }
    while (len--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

uint32_t journal_crc32c(const void *data, size_t len)
{
    return crc32c_fast(data, len);
}

/* ---- waiting ---- */

/* Sleep until the committer wakes us (j->lock held; held again on return). The commit's status. */
static int wait_locked(struct journal *j)
{
    struct waiter w = {.woken = 0, .result = 0, .task = current_task(), .next = j->waiters};
    j->waiters = &w;
    spin_unlock(&j->lock);
    sleep_on_flag(&w.woken, "journal");
    spin_lock(&j->lock);
    return w.result;
}

static void wake_all_locked(struct journal *j, int result)
{
    struct waiter *w = j->waiters;
    j->waiters = 0;
    while (w) {
        struct waiter *next = w->next;
        w->result = result;
        sched_wake_flag(&w->woken, w->task);
        w = next;
    }
}

/* ---- I/O: up to NREQ requests in flight ---- */

struct batch {
    struct journal *j;
    int used;
    int err;
};

static void batch_wait(struct batch *bt)
{
    for (int i = 0; i < bt->used; i++)
        if (blk_wait(&bt->j->req[i]) != 0)
            bt->err = -EIO;
    bt->used = 0;
}

/* A fresh request of the batch (waiting for the earlier ones if all are in use). */
static struct blk_request *batch_next(struct batch *bt, enum blk_op op, uint64_t block)
{
    if (bt->used == NREQ)
        batch_wait(bt);
    struct blk_request *r = &bt->j->req[bt->used];
    r->op = op;
    r->sector = block * SECTORS_PER_BLOCK;
    r->nseg = 0;
    r->done = 0;
    r->status = 0;
    r->end_io = 0;
    r->priv = 0;
    r->waiter = 0;
    return r;
}

static void batch_submit(struct batch *bt, struct blk_request *r)
{
    if (blk_submit(bt->j->dev, r) != 0) {
        bt->err = -EIO;
        return;
    }
    bt->used++;
}

static void add_seg(struct blk_request *r, const void *page)
{
    r->seg[r->nseg].pa = virt_to_phys(page);
    r->seg[r->nseg].len = MFS_BLOCK_SIZE;
    r->nseg++;
}

static int write_header(struct journal *j)
{
    return blk_rw(j->dev, BLK_WRITE, j->start * SECTORS_PER_BLOCK, j->hdr, MFS_BLOCK_SIZE) ? -EIO : 0;
}

static int flush(struct journal *j)
{
    return blk_flush(j->dev) ? -EIO : 0;
}

static void seal_header(struct journal *j, uint32_t count);

/*
 * An empty header (count 0), written once every home is durable: flush,
 * write, flush (unmount and the end of a replay).
 */
static int write_clean_header(struct journal *j)
{
    if (flush(j))
        return -EIO;
    memset(j->hdr, 0, MFS_BLOCK_SIZE);
    seal_header(j, 0);
    return write_header(j) || flush(j) ? -EIO : 0;
}

/* Fill the header image for count blocks (home/crc already set for them) and checksum it. */
static void seal_header(struct journal *j, uint32_t count)
{
    struct mfs_journal_header *h = j->hdr;
    h->magic = MFS_JOURNAL_MAGIC;
    h->count = count;
    h->sequence = j->sequence;
    h->checksum = mfs_journal_checksum(h);
}

/* ---- commit ---- */

/* Sort order[0..n) by home block (insertion sort: n <= 500, and runs are often sorted already). */
static void sort_by_home(struct journal *j, int n)
{
    for (int i = 0; i < n; i++)
        j->order[i] = (uint16_t)i;
    for (int i = 1; i < n; i++) {
        uint16_t x = j->order[i];
        uint64_t key = j->logged[x]->blockno;
        int k = i - 1;
        while (k >= 0 && j->logged[j->order[k]]->blockno > key) {
            j->order[k + 1] = j->order[k];
            k--;
        }
        j->order[k + 1] = x;
    }
}

/*
 * Step 2 of a commit: the header (sealed for the n logged blocks) and the
 * log blocks after it, contiguous, BLK_MAX_SEGS blocks per request, all in
 * flight at once.
 */
static int write_header_and_log(struct journal *j, int n)
{
    struct batch bt = {j, 0, 0};
    struct mfs_journal_header *h = j->hdr;
    memset(h, 0, MFS_BLOCK_SIZE);
    for (int i = 0; i < n; i++) {
        struct buf *b = j->logged[i];
        h->home[i] = (uint32_t)b->blockno;
        h->block_crc[i] = crc32c_fast(b->data, MFS_BLOCK_SIZE);
    }
    seal_header(j, (uint32_t)n);
    struct blk_request *r = batch_next(&bt, BLK_WRITE, j->start);
    add_seg(r, h);
    for (int i = 0; i < n;) {
        if (r->nseg == BLK_MAX_SEGS) {
            batch_submit(&bt, r);
            r = batch_next(&bt, BLK_WRITE, j->start + 1 + i);
        }
        add_seg(r, j->logged[i]->data);
        i++;
    }
    batch_submit(&bt, r);
    batch_wait(&bt);
    return bt.err;
}

/* Write each logged block home; runs of consecutive homes share a request. */
static int install(struct journal *j, int n)
{
    struct batch bt = {j, 0, 0};
    sort_by_home(j, n);
    for (int i = 0; i < n;) {
        struct buf *first = j->logged[j->order[i]];
        struct blk_request *r = batch_next(&bt, BLK_WRITE, first->blockno);
        uint64_t next_home = first->blockno;
        while (i < n && r->nseg < BLK_MAX_SEGS && j->logged[j->order[i]]->blockno == next_home) {
            add_seg(r, j->logged[j->order[i]]->data);
            next_home++;
            i++;
        }
        batch_submit(&bt, r);
    }
    batch_wait(&bt);
    return bt.err;
}

/* Make the n logged blocks durable, then install them. Runs without j->lock, with committing set. */
static int commit(struct journal *j, int n)
{
    int err;
    if ((err = flush(j))) /* the last transaction's homes, this one's file data */
        return err;
    j->sequence++;
    if ((err = write_header_and_log(j, n)) || (err = flush(j)))
        return err; /* after that flush, the commit point: a crash replays the transaction */
    return install(j, n);
}

/*
 * Commit the current transaction (j->lock held, no operation open,
 * nlogged > 0); j->lock is held again on return. Wakes every waiter with
 * the result.
 */
static int commit_locked(struct journal *j)
{
    int n = j->nlogged;
    j->committing = 1;
    spin_unlock(&j->lock);

    uint64_t t0 = time_ns();
    int err = commit(j, n);
    for (int i = 0; i < n; i++)
        bunpin(j->logged[i]);
    if (err)
        kprintf("journal: commit of %d blocks failed (I/O error): the file system is now read-only\n", n);
    else if (j->hook)
        j->hook(j->hook_arg); /* still `committing`: no new operation can free blocks meanwhile */

    spin_lock(&j->lock);
    j->stats.commit_ns += time_ns() - t0;
    if (err)
        j->error = err;
    else {
        j->stats.commits++;
        j->stats.blocks_logged += (uint64_t)n;
    }
    j->nlogged = 0;
    j->committing = 0;
    wake_all_locked(j, err);
    return err;
}

/* ---- operations ---- */

void journal_begin(struct journal *j)
{
    spin_lock(&j->lock);
    /* Wait while a commit runs, or if this op's worst case might not fit in the log. */
    while (!j->error && (j->committing || j->nlogged + (j->outstanding + 1) * JOURNAL_MAX_OP_BLOCKS > j->capacity))
        wait_locked(j);
    j->outstanding++;
    j->stats.ops++;
    spin_unlock(&j->lock);
}

void journal_write(struct journal *j, struct buf *b)
{
    spin_lock(&j->lock);
    if (j->error)
        goto out;
    if (b->dev != j->dev || b->blockno >= j->dev_blocks ||
        (b->blockno >= j->start && b->blockno < j->start + j->nblocks)) {
        kprintf("journal: refusing to log block %lu (outside the device or inside the journal)\n",
                (unsigned long)b->blockno);
        j->error = -EIO;
        goto out;
    }
    for (int i = 0; i < j->nlogged; i++)
        if (j->logged[i] == b)
            goto out; /* absorbed: already in this transaction */
    if (j->nlogged == j->capacity) {
        /* Only an operation past JOURNAL_MAX_OP_BLOCKS gets here: a bug, not bad input. */
        kprintf("journal: transaction overflow (%d blocks): an operation logged more than %d\n",
                j->nlogged, JOURNAL_MAX_OP_BLOCKS);
        j->error = -EIO;
        goto out;
    }
    bpin(b);
    j->logged[j->nlogged++] = b;
out:
    spin_unlock(&j->lock);
}

int journal_end(struct journal *j)
{
    int err;
    spin_lock(&j->lock);
    j->outstanding--;
    if (j->error) {
        err = j->error;
        if (j->outstanding == 0 && j->nlogged > 0) {
            /* A failed transaction: release its pins, nothing reaches the disk. */
            for (int i = 0; i < j->nlogged; i++)
                bunpin(j->logged[i]);
            j->nlogged = 0;
        }
        if (j->outstanding == 0)
            wake_all_locked(j, err);
    } else if (j->outstanding > 0)
        err = wait_locked(j); /* the last op to end commits our blocks too */
    else if (j->nlogged > 0)
        err = commit_locked(j);
    else {
        err = 0;
        wake_all_locked(j, 0); /* begins waiting for room */
    }
    spin_unlock(&j->lock);
    return err;
}

int journal_sync(struct journal *j)
{
    int err;
    spin_lock(&j->lock);
    if (j->error)
        err = j->error;
    else if (j->committing)
        err = wait_locked(j); /* no op runs during a commit: it holds all that was logged */
    else if (j->outstanding > 0)
        err = wait_locked(j); /* the commit of the open transaction */
    else if (j->nlogged > 0)
        err = commit_locked(j);
    else {
        spin_unlock(&j->lock);
        return flush(j); /* nothing logged: still make completed data writes durable */
    }
    spin_unlock(&j->lock);
    return err;
}

void journal_set_commit_hook(struct journal *j, void (*hook)(void *arg), void *arg)
{
    spin_lock(&j->lock);
    j->hook = hook;
    j->hook_arg = arg;
    spin_unlock(&j->lock);
}

void journal_get_stats(struct journal *j, struct journal_stats *out)
{
    spin_lock(&j->lock);
    *out = j->stats;
    spin_unlock(&j->lock);
}

int journal_error(struct journal *j)
{
    return __atomic_load_n(&j->error, __ATOMIC_RELAXED);
}

/* ---- open, replay, close ---- */

static void journal_free(struct journal *j)
{
    if (j->hdr)
        pmm_free(virt_to_phys(j->hdr));
    kfree(j->req);
    kfree(j->logged);
    kfree(j->order);
    kfree(j);
}

/* Read log block i into page. */
static int read_log_block(struct journal *j, int i, void *page)
{
    return blk_rw(j->dev, BLK_READ, (j->start + 1 + (uint64_t)i) * SECTORS_PER_BLOCK, page, MFS_BLOCK_SIZE) ? -EIO : 0;
}

/*
 * Did every log block of the transaction in j->hdr (already checked for
 * sense) reach the disk? 1 yes, 0 no (the header arrived without some of
 * them: the commit point was never reached), -EIO.
 */
static int log_intact(struct journal *j, void *page)
{
    struct mfs_journal_header *h = j->hdr;
    for (uint32_t i = 0; i < h->count; i++) {
        if (read_log_block(j, (int)i, page))
            return -EIO;
        if (crc32c_fast(page, MFS_BLOCK_SIZE) != h->block_crc[i])
            return 0;
    }
    return 1;
}

/*
 * Is the intact transaction in j->hdr installed already (every home holds
 * its log block)? Then a read-only disk needs no replay: a header stays
 * committed after its install until the next commit. 1, 0, or -EIO.
 */
static int installed(struct journal *j, void *page, void *home)
{
    struct mfs_journal_header *h = j->hdr;
    for (uint32_t i = 0; i < h->count; i++) {
        if (read_log_block(j, (int)i, page) ||
            blk_rw(j->dev, BLK_READ, (uint64_t)h->home[i] * SECTORS_PER_BLOCK, home, MFS_BLOCK_SIZE))
            return -EIO;
        if (memcmp(page, home, MFS_BLOCK_SIZE) != 0)
            return 0;
    }
    return 1;
}

/*
 * Copy the intact transaction in j->hdr home. Through the buffer cache, so
 * cached copies of the homes stay right. 0 or -EIO / -ENOMEM.
 */
static int replay(struct journal *j, void *page)
{
    struct mfs_journal_header *h = j->hdr;
    for (uint32_t i = 0; i < h->count; i++) {
        struct buf *b;
        if (read_log_block(j, (int)i, page))
            return -EIO;
        if (crc32c_fast(page, MFS_BLOCK_SIZE) != h->block_crc[i])
            return -EIO; /* changed since log_intact read it: the device is not reliable */
        int err = bget_zero(j->dev, h->home[i], &b);
        if (err)
            return err == -ENOMEM ? -ENOMEM : -EIO;
        memcpy(b->data, page, MFS_BLOCK_SIZE);
        err = bwrite(b);
        brelse(b);
        if (err)
            return -EIO;
    }
    return 0;
}

/*
 * A header with count > 0: replay its transaction if all of it reached the
 * disk. 1 replayed, 0 nothing to do (torn, or installed on a read-only
 * disk), -EROFS (must be replayed but the disk is read-only), -EIO, -ENOMEM.
 */
static int recover_committed(struct journal *j)
{
    paddr_t pa = pmm_alloc(), pa2 = pmm_alloc();
    int r = -ENOMEM;
    if (pa && pa2) {
        void *page = phys_to_virt(pa);
        r = log_intact(j, page);
        if (r == 1 && blk_read_only(j->dev)) {
            r = installed(j, page, phys_to_virt(pa2));
            r = r == 1 ? 0 : r == 0 ? -EROFS : r;
        } else if (r == 1 && (r = replay(j, page)) == 0)
            r = 1;
    }
    if (pa)
        pmm_free(pa);
    if (pa2)
        pmm_free(pa2);
    return r;
}

/* Is the (checksummed) header nonsense? Then refuse rather than write over good data. */
static int header_makes_sense(struct journal *j)
{
    struct mfs_journal_header *h = j->hdr;
    if (h->count > (uint32_t)j->capacity)
        return 0;
    for (uint32_t i = 0; i < h->count; i++) {
        uint64_t home = h->home[i];
        if (home >= j->dev_blocks || (home >= j->start && home < j->start + j->nblocks))
            return 0;
    }
    return 1;
}

/* Read the header, replay it if it holds a committed transaction, then leave a clean one. */
static int recover(struct journal *j, int *replayed)
{
    struct mfs_journal_header *h = j->hdr;
    if (blk_rw(j->dev, BLK_READ, j->start * SECTORS_PER_BLOCK, h, MFS_BLOCK_SIZE))
        return -EIO;
    if (h->magic != MFS_JOURNAL_MAGIC)
        return -EUCLEAN;
    int torn = h->checksum != mfs_journal_checksum(h);
    if (!torn && !header_makes_sense(j))
        return -EUCLEAN;
    j->sequence = h->sequence; /* a torn header's sequence is only a starting point */
    if (!torn && h->count == 0)
        return 0; /* clean */

    if (!torn) {
        int done = recover_committed(j);
        if (done < 0)
            return done;
        if (done) {
            j->stats.replays++;
            if (replayed)
                *replayed = (int)h->count;
        }
    }
    if (blk_read_only(j->dev))
        return 0; /* torn, or already installed: nothing to write */
    return write_clean_header(j);
}

int journal_open(struct blkdev *d, uint64_t start, uint64_t nblocks, struct journal **out, int *replayed)
{
    *out = 0;
    if (replayed)
        *replayed = 0;
    crc_init();
    uint64_t dev_blocks = blk_sectors(d) / SECTORS_PER_BLOCK;
    uint64_t capacity = nblocks > 0 ? nblocks - 1 : 0;
    if (capacity > MFS_JOURNAL_MAX_BLOCKS)
        capacity = MFS_JOURNAL_MAX_BLOCKS;
    if (start == 0 || start >= dev_blocks || nblocks > dev_blocks - start || capacity < JOURNAL_MAX_OP_BLOCKS)
        return -EUCLEAN; /* no room for one operation, or outside the device */

    struct journal *j = kzalloc(sizeof *j);
    if (!j)
        return -ENOMEM;
    spin_init(&j->lock, "journal");
    j->dev = d;
    j->start = start;
    j->nblocks = nblocks;
    j->dev_blocks = dev_blocks;
    j->capacity = (int)capacity;
    paddr_t pa = pmm_alloc();
    j->hdr = pa ? phys_to_virt(pa) : 0;
    j->req = kzalloc(NREQ * sizeof *j->req);
    j->logged = kzalloc(capacity * sizeof *j->logged);
    j->order = kzalloc(capacity * sizeof *j->order);
    if (!j->hdr || !j->req || !j->logged || !j->order) {
        journal_free(j);
        return -ENOMEM;
    }
    int err = recover(j, replayed);
    if (err) {
        journal_free(j);
        return err;
    }
    *out = j;
    return 0;
}

int journal_close(struct journal *j)
{
    if (!j)
        return 0;
    int err = journal_sync(j);
    spin_lock(&j->lock);
    int busy = j->outstanding > 0 || j->committing || j->nlogged > 0;
    spin_unlock(&j->lock);
    if (busy)
        return -EBUSY; /* someone is still in an operation: keep the journal */
    if (!j->error && !err && !blk_read_only(j->dev))
        err = write_clean_header(j); /* the last commit is installed: nothing to replay */
    journal_free(j);
    return err;
}
