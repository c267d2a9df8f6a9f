/*
 * ktest journal: the journal on a RAM disk. Operations commit and reach
 * their homes; a transaction whose install was lost (a power cut after the
 * commit point) is replayed by the next journal_open; a torn header, a log
 * block that never made it and a nonsense header are handled; a write error
 * puts the journal in its error state; a header whose log blocks did not
 * all arrive is ignored; replaying an installed transaction (twice)
 * changes nothing; with more than one CPU, several
 * kernel tasks share one commit (group commit).
 * ktest journal_bench (manual) prints the commit latency on the RAM disk.
 */
#include "fs/journal.h"
#include "fs/bcache.h"
#include "fs/bcache_test.h"
#include "fs/mfs/mfs_format.h"
#include "drivers/console.h"
#include "drivers/ramdisk.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "test/ktest.h"

#define DISK_BLOCKS 1024
#define JSTART 1
#define JBLOCKS 161 /* a header and 160 log blocks: room for 5 ops at once */
#define HOME 200   /* test blocks live at HOME.. */

static uint8_t page[MFS_BLOCK_SIZE] __attribute__((aligned(4096)));

static int disk_block(struct blkdev *d, enum blk_op op, uint64_t block)
{
    return blk_rw(d, op, block * 8, page, MFS_BLOCK_SIZE);
}

/* An empty journal header, as mkfs.mfs writes it. */
static int format_journal(struct blkdev *d)
{
    struct mfs_journal_header *h = (void *)page;
    memset(page, 0, sizeof page);
    h->magic = MFS_JOURNAL_MAGIC;
    h->checksum = mfs_journal_checksum(h);
    return disk_block(d, BLK_WRITE, JSTART);
}

/* The first word of block `block` on the disk itself (0xffffffff if unreadable). */
static uint32_t disk_word(struct blkdev *d, uint64_t block)
{
    if (disk_block(d, BLK_READ, block))
        return 0xffffffffu;
    return ((uint32_t *)page)[0];
}

/* One operation setting the first word of blocks HOME+first .. +n-1 to tag+i. */
static int logged_op(struct journal *j, struct blkdev *d, int first, int n, uint32_t tag)
{
    journal_begin(j);
    for (int i = 0; i < n; i++) {
        struct buf *b;
        if (bread(d, HOME + first + i, &b) == 0) {
            ((uint32_t *)b->data)[0] = tag + (uint32_t)i;
            journal_write(j, b);
            journal_write(j, b); /* a repeat is absorbed */
            brelse(b);
        }
    }
    return journal_end(j);
}

/* Is the header on disk whole (magic, checksum)? Its count and sequence. */
static int header_on_disk(struct blkdev *d, uint32_t *count, uint64_t *seq)
{
    struct mfs_journal_header *h = (void *)page;
    if (disk_block(d, BLK_READ, JSTART))
        return 0;
    *count = h->count;
    *seq = h->sequence;
    return h->magic == MFS_JOURNAL_MAGIC && h->checksum == mfs_journal_checksum(h);
}

/* Is the header on disk clean (count 0, checksum right)? */
static int header_clean(struct blkdev *d, uint64_t *seq)
{
    uint32_t count = 0;
    return header_on_disk(d, &count, seq) && count == 0;
}

static const char *commit_checks(struct blkdev *rd)
{
    struct journal *j;
    int replayed = -1;
    KT_CHECK(format_journal(rd) == 0, "formatting the journal failed");
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0, "journal_open of an empty journal failed");
    KT_CHECK(replayed == 0, "an empty journal replayed %d blocks", replayed);
    KT_CHECK(logged_op(j, rd, 0, 3, 0xa000) == 0, "an operation's commit failed");
    KT_CHECK(logged_op(j, rd, 1, 3, 0xb000) == 0, "a second operation's commit failed");
    struct journal_stats st;
    journal_get_stats(j, &st);
    KT_CHECK(st.commits == 2 && st.blocks_logged == 6, "%lu commits of %lu blocks, expected 2 of 6", st.commits,
             st.blocks_logged);
    KT_CHECK(disk_word(rd, HOME) == 0xa000 && disk_word(rd, HOME + 1) == 0xb000 && disk_word(rd, HOME + 3) == 0xb002,
             "the committed blocks are not at home on the disk");
    /* The last transaction stays in the header after its install (no flush, no clearing). */
    uint64_t seq = 0;
    uint32_t count = 0;
    KT_CHECK(header_on_disk(rd, &count, &seq) && count == 3 && seq == 2,
             "the header after two commits holds %u blocks of transaction %lu, expected 3 of 2", count, seq);
    KT_CHECK(journal_sync(j) == 0, "journal_sync with nothing logged failed");
    KT_CHECK(journal_close(j) == 0, "journal_close failed");
    KT_CHECK(header_clean(rd, &seq) && seq == 2, "the header is not clean after journal_close (sequence %lu)", seq);
    return KT_OK;
}

/* A power cut after the commit point: the install's writes never reach the disk. */
static const char *replay_checks(struct blkdev *rd)
{
    static struct faultdisk f;
    struct journal *j;
    int replayed = -1;
    faultdisk_init(&f, rd);
    KT_CHECK(journal_open(&f.dev, JSTART, JBLOCKS, &j, 0) == 0, "journal_open on the fault disk failed");
    f.mode = FAULT_DROP;
    f.writes_left = 1; /* the header and the log: one request */
    int err = logged_op(j, &f.dev, 10, 5, 0xc000);
    KT_CHECK(err == 0, "the op failed with %d although the device said every write worked", err);
    KT_CHECK(disk_word(rd, HOME + 10) != 0xc000, "the install was not dropped");
    journal_close(j);
    KT_CHECK(bcache_invalidate(&f.dev) == 0, "the fault disk's buffers are still in use");

    /* The next mount replays it. */
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0, "journal_open after the crash failed");
    KT_CHECK(replayed == 5, "replayed %d blocks, expected 5", replayed);
    for (int i = 0; i < 5; i++)
        KT_CHECK(disk_word(rd, HOME + 10 + i) == 0xc000u + (uint32_t)i, "block %d was not replayed", HOME + 10 + i);
    struct buf *b;
    KT_CHECK(bread(rd, HOME + 12, &b) == 0, "bread after the replay failed");
    uint32_t cached = ((uint32_t *)b->data)[0];
    brelse(b);
    KT_CHECK(cached == 0xc002, "the cache holds %x for a replayed block", cached);
    uint64_t seq;
    KT_CHECK(header_clean(rd, &seq), "the header is not clean after the replay");
    KT_CHECK(journal_close(j) == 0, "journal_close failed");
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0 && replayed == 0,
             "a second open replayed again (%d)", replayed);
    journal_close(j);
    return KT_OK;
}

/* Write a header listing home[0] = home with the given log block CRC, checksummed or torn. */
static int write_header(struct blkdev *d, uint32_t home, uint32_t crc, int torn, uint32_t magic)
{
    struct mfs_journal_header *h = (void *)page;
    memset(page, 0, sizeof page);
    h->magic = magic;
    h->count = 1;
    h->sequence = 77;
    h->home[0] = home;
    h->block_crc[0] = crc;
    h->checksum = mfs_journal_checksum(h) ^ (torn ? 1u : 0u);
    return disk_block(d, BLK_WRITE, JSTART);
}

static const char *bad_header_checks(struct blkdev *rd)
{
    struct journal *j;
    int replayed = -1;
    /* A log block 0 holding 0xd00d, and its CRC. */
    memset(page, 0, sizeof page);
    ((uint32_t *)page)[0] = 0xd00d;
    uint32_t crc = mfs_crc32c(0, page, sizeof page);
    KT_CHECK(disk_block(rd, BLK_WRITE, JSTART + 1) == 0, "writing the log block failed");

    /* Torn header (its checksum fails): nothing committed. */
    KT_CHECK(write_header(rd, HOME + 30, crc, 1, MFS_JOURNAL_MAGIC) == 0, "writing a header failed");
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0, "a torn header was refused");
    KT_CHECK(replayed == 0 && disk_word(rd, HOME + 30) != 0xd00d, "a torn header was replayed");
    uint64_t seq;
    KT_CHECK(header_clean(rd, &seq), "a torn header was not cleared");
    journal_close(j);

    /* A log block whose CRC does not match: the commit point was not reached. */
    KT_CHECK(write_header(rd, HOME + 30, crc ^ 0x100, 0, MFS_JOURNAL_MAGIC) == 0, "writing a header failed");
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0, "a header with a bad block CRC was refused");
    KT_CHECK(replayed == 0 && disk_word(rd, HOME + 30) != 0xd00d, "a log block with a bad CRC was replayed");
    journal_close(j);

    /* The same header with the right CRC is replayed (the check above was the CRC's doing). */
    KT_CHECK(write_header(rd, HOME + 30, crc, 0, MFS_JOURNAL_MAGIC) == 0, "writing a header failed");
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0 && replayed == 1, "a good header was not replayed");
    KT_CHECK(disk_word(rd, HOME + 30) == 0xd00d, "the replayed block is not at home");
    journal_close(j);

    /* Homes outside the device or inside the journal, and a wrong magic: -EUCLEAN, nothing written. */
    uint32_t bad_homes[] = {DISK_BLOCKS, DISK_BLOCKS + 5000, JSTART, JSTART + 3, 0xffffffffu};
    for (unsigned i = 0; i < sizeof bad_homes / sizeof bad_homes[0]; i++) {
        KT_CHECK(write_header(rd, bad_homes[i], crc, 0, MFS_JOURNAL_MAGIC) == 0, "writing a header failed");
        int err = journal_open(rd, JSTART, JBLOCKS, &j, &replayed);
        KT_CHECK(err == -EUCLEAN, "a header with home %u gave %d, not -EUCLEAN", bad_homes[i], err);
    }
    KT_CHECK(write_header(rd, HOME + 31, crc, 0, 0x12345678) == 0, "writing a header failed");
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == -EUCLEAN, "a header with a wrong magic was accepted");
    KT_CHECK(disk_word(rd, HOME + 31) != 0xd00d, "a refused header was replayed");
    KT_CHECK(journal_open(rd, JSTART, 20, &j, &replayed) == -EUCLEAN, "a journal too small for one op was accepted");
    KT_CHECK(journal_open(rd, DISK_BLOCKS - 10, JBLOCKS, &j, &replayed) == -EUCLEAN,
             "a journal past the end of the disk was accepted");
    KT_CHECK(format_journal(rd) == 0, "formatting the journal failed");
    return KT_OK;
}

/* A write error during a commit: -EIO for the op, then every later op fails fast. */
static const char *error_checks(struct blkdev *rd)
{
    static struct faultdisk f;
    struct journal *j;
    faultdisk_init(&f, rd);
    KT_CHECK(journal_open(&f.dev, JSTART, JBLOCKS, &j, 0) == 0, "journal_open on the fault disk failed");
    f.mode = FAULT_FAIL;
    f.writes_left = 0; /* the header and log request fails */
    int err = logged_op(j, &f.dev, 40, 2, 0xe000);
    KT_CHECK(err == -EIO, "a failed commit returned %d, not -EIO", err);
    KT_CHECK(journal_error(j) == -EIO, "the journal is not in its error state");
    f.writes_left = -1;
    err = logged_op(j, &f.dev, 42, 1, 0xe100);
    KT_CHECK(err == -EIO, "an op after the error returned %d, not -EIO", err);
    KT_CHECK(journal_sync(j) == -EIO, "journal_sync after the error did not fail");
    KT_CHECK(journal_close(j) == -EIO, "journal_close after the error did not report it");
    KT_CHECK(bcache_invalidate(&f.dev) == 0, "buffers of the failed transaction are still pinned");
    KT_CHECK(disk_word(rd, HOME + 40) != 0xe000, "a failed transaction reached its home");

    /* The install fails: the op says -EIO, but the transaction is committed, so the next open replays it. */
    faultdisk_init(&f, rd);
    KT_CHECK(journal_open(&f.dev, JSTART, JBLOCKS, &j, 0) == 0, "journal_open on the fault disk failed");
    f.mode = FAULT_FAIL;
    f.writes_left = 1; /* the header and log are written, the install fails */
    err = logged_op(j, &f.dev, 44, 2, 0xe200);
    KT_CHECK(err == -EIO, "a failed install returned %d, not -EIO", err);
    KT_CHECK(journal_close(j) == -EIO, "journal_close after the error did not report it");
    KT_CHECK(bcache_invalidate(&f.dev) == 0, "buffers of the failed install are still pinned");
    int replayed = -1;
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0 && replayed == 2,
             "a transaction committed before its install failed was not replayed (%d)", replayed);
    KT_CHECK(disk_word(rd, HOME + 44) == 0xe200 && disk_word(rd, HOME + 45) == 0xe201,
             "the replayed transaction is not at home");
    journal_close(j);
    return KT_OK;
}

static uint8_t saved[MFS_BLOCK_SIZE] __attribute__((aligned(4096)));

/*
 * The header reached the disk but one of its log blocks did not (they go
 * in one request, and the disk may write its parts in any order): the
 * block CRC gives it away and nothing of the transaction is replayed.
 */
static const char *torn_log_checks(struct blkdev *rd)
{
    static struct faultdisk f;
    struct journal *j;
    int replayed = -1;
    faultdisk_init(&f, rd);
    KT_CHECK(journal_open(&f.dev, JSTART, JBLOCKS, &j, 0) == 0, "journal_open on the fault disk failed");
    KT_CHECK(logged_op(j, &f.dev, 60, 4, 0x1000) == 0, "an operation's commit failed");
    KT_CHECK(disk_block(rd, BLK_READ, JSTART + 1 + 2) == 0, "reading log block 2 failed");
    memcpy(saved, page, sizeof saved); /* log block 2 as the first transaction left it */
    f.mode = FAULT_DROP;
    f.writes_left = 1; /* the header and log; the install and journal_close's clean header are lost */
    KT_CHECK(logged_op(j, &f.dev, 60, 4, 0x2000) == 0, "the second operation failed");
    journal_close(j);
    KT_CHECK(bcache_invalidate(&f.dev) == 0, "the fault disk's buffers are still in use");
    memcpy(page, saved, sizeof page);
    KT_CHECK(disk_block(rd, BLK_WRITE, JSTART + 1 + 2) == 0, "undoing log block 2 failed");

    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0, "journal_open after the torn commit failed");
    KT_CHECK(replayed == 0, "a transaction missing a log block replayed %d blocks", replayed);
    for (int i = 0; i < 4; i++)
        KT_CHECK(disk_word(rd, HOME + 60 + i) == 0x1000u + (uint32_t)i,
                 "block %d holds %x: part of a torn transaction was applied", HOME + 60 + i,
                 disk_word(rd, HOME + 60 + i));
    uint64_t seq;
    KT_CHECK(header_clean(rd, &seq), "the torn header was not cleared");
    journal_close(j);
    return KT_OK;
}

/* CRC-32C of every block of the disk but the journal header (which replay rewrites). */
static uint32_t disk_crc(struct blkdev *d)
{
    uint32_t crc = 0;
    for (uint64_t b = 0; b < DISK_BLOCKS; b++) {
        if (b == JSTART)
            continue;
        if (disk_block(d, BLK_READ, b))
            return 0;
        crc = mfs_crc32c_update(crc, page, sizeof page);
    }
    return crc;
}

/*
 * A crash after the install: the header still describes the installed
 * transaction, and replaying it (twice, as after a crash during the first
 * replay) changes nothing. A read-only disk needs no replay at all then,
 * but refuses (-EROFS) a transaction whose homes differ.
 */
static const char *replay_twice_checks(struct blkdev *rd)
{
    static struct faultdisk f;
    struct journal *j;
    int replayed = -1;
    faultdisk_init(&f, rd);
    KT_CHECK(journal_open(&f.dev, JSTART, JBLOCKS, &j, 0) == 0, "journal_open on the fault disk failed");
    KT_CHECK(logged_op(j, &f.dev, 70, 3, 0x3000) == 0, "an operation's commit failed");
    f.mode = FAULT_DROP;
    f.writes_left = 0; /* the power goes: journal_close's clean header is lost */
    journal_close(j);
    KT_CHECK(bcache_invalidate(&f.dev) == 0, "the fault disk's buffers are still in use");
    KT_CHECK(disk_block(rd, BLK_READ, JSTART) == 0, "reading the header failed");
    memcpy(saved, page, sizeof saved);
    uint32_t before = disk_crc(rd);

    for (int round = 0; round < 2; round++) {
        memcpy(page, saved, sizeof page);
        KT_CHECK(disk_block(rd, BLK_WRITE, JSTART) == 0, "restoring the header failed");
        KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0 && replayed == 3,
                 "replay %d of an installed transaction: %d blocks", round + 1, replayed);
        journal_close(j);
        KT_CHECK(disk_crc(rd) == before, "replay %d of an installed transaction changed the disk", round + 1);
    }
    KT_CHECK(bcache_invalidate(rd) == 0, "the RAM disk's buffers are still in use");

    /* Read-only: an installed transaction needs nothing; one whose home differs cannot be replayed. */
    memcpy(page, saved, sizeof page);
    KT_CHECK(disk_block(rd, BLK_WRITE, JSTART) == 0, "restoring the header failed");
    rd->read_only = 1;
    int err = journal_open(rd, JSTART, JBLOCKS, &j, &replayed);
    rd->read_only = 0;
    KT_CHECK(err == 0 && replayed == 0, "a read-only open of an installed transaction gave %d (%d replayed)", err,
             replayed);
    rd->read_only = 1;
    journal_close(j);
    rd->read_only = 0;
    memset(page, 0x5a, sizeof page);
    KT_CHECK(disk_block(rd, BLK_WRITE, HOME + 71) == 0, "overwriting a home failed");
    rd->read_only = 1;
    err = journal_open(rd, JSTART, JBLOCKS, &j, &replayed);
    rd->read_only = 0;
    KT_CHECK(err == -EROFS, "a read-only open of a transaction to replay gave %d, not -EROFS", err);
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0 && replayed == 3,
             "the transaction was not replayed read-write (%d)", replayed);
    journal_close(j);
    KT_CHECK(disk_crc(rd) == before, "the replay did not restore the home");
    return KT_OK;
}

/*
 * ---- a disk with a volatile write cache, and power cuts ----
 * Writes are held in the cache (one entry per 4 KiB block, in order) until
 * a FLUSH stores them. When the power goes (before the request numbered
 * `cut_at`), a seeded random subset of the cached blocks reaches the disk,
 * in any order, and everything after is lost. This is what the commit
 * protocol must survive: without its first flush, the previous
 * transaction's installs could be lost while its header is overwritten.
 */
#define CACHE_SLOTS 64

static struct {
    struct blkdev dev;
    struct blkdev *inner;
    int nslots;
    uint64_t block[CACHE_SLOTS];
    uint8_t *data[CACHE_SLOTS];  /* pmm pages */
    int requests, cut_at;        /* cut_at < 0: no power cut */
    int powered_off, overflow;
    uint64_t rng;
} cd;

static uint32_t cd_random(void)
{
    cd.rng = cd.rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(cd.rng >> 33);
}

static void cd_store(int slot)
{
    blk_rw(cd.inner, BLK_WRITE, cd.block[slot] * 8, cd.data[slot], MFS_BLOCK_SIZE);
}

static void cd_power_cut(void)
{
    for (int i = 0; i < cd.nslots; i++) /* the slot order is the write order: a later copy wins */
        if (cd_random() & 1)
            cd_store(i);
    cd.nslots = 0;
    cd.powered_off = 1;
}

static int cd_submit(struct blkdev *d, struct blk_request *r)
{
    (void)d;
    if (!cd.powered_off && cd.cut_at >= 0 && cd.requests == cd.cut_at)
        cd_power_cut();
    cd.requests++;
    uint64_t block = r->sector / 8;
    for (int s = 0; s < r->nseg; s++) {
        uint8_t *mem = phys_to_virt(r->seg[s].pa);
        for (uint32_t off = 0; off < r->seg[s].len; off += MFS_BLOCK_SIZE, block++) {
            if (r->op == BLK_READ) {
                blk_rw(cd.inner, BLK_READ, block * 8, mem + off, MFS_BLOCK_SIZE);
                for (int i = 0; i < cd.nslots; i++)
                    if (cd.block[i] == block)
                        memcpy(mem + off, cd.data[i], MFS_BLOCK_SIZE);
            } else if (!cd.powered_off) {
                if (cd.nslots == CACHE_SLOTS) {
                    cd.overflow = 1;
                    continue;
                }
                cd.block[cd.nslots] = block;
                memcpy(cd.data[cd.nslots++], mem + off, MFS_BLOCK_SIZE);
            }
        }
    }
    if (r->op == BLK_FLUSH && !cd.powered_off) {
        for (int i = 0; i < cd.nslots; i++)
            cd_store(i);
        cd.nslots = 0;
    }
    blk_complete(&cd.dev, r, 0);
    return 0;
}

static const struct blkdev_ops cd_ops = {.submit = cd_submit};

#define CUT_BLOCKS 8  /* the ops below rewrite blocks HOME+80 .. +7 */
#define CUT_OPS 6

/* Op k (1..CUT_OPS) stamps k on blocks HOME+80 + (3k + i) % CUT_BLOCKS, i < 3: overlapping sets. */
static int cut_block_of(int k, int i)
{
    return (3 * k + i) % CUT_BLOCKS;
}

/* The value of block b after ops 1..m. */
static uint32_t cut_expected(int m, int b)
{
    uint32_t v = 0;
    for (int k = 1; k <= m; k++)
        for (int i = 0; i < 3; i++)
            if (cut_block_of(k, i) == b)
                v = (uint32_t)k;
    return v;
}

/*
 * Run the ops with the power cut before request cut_at (< 0: none), recover
 * on the RAM disk, and check the blocks hold the state after some op m, m at
 * least the last op that returned before the cut. *requests: requests sent.
 */
static const char *power_cut_run(struct blkdev *rd, int cut_at, uint64_t seed, int *requests)
{
    struct journal *j;
    memset(page, 0, sizeof page);
    for (int b = 0; b < CUT_BLOCKS; b++)
        KT_CHECK(disk_block(rd, BLK_WRITE, HOME + 80 + b) == 0, "clearing a block failed");
    KT_CHECK(format_journal(rd) == 0, "formatting the journal failed");
    cd.nslots = 0;
    cd.requests = 0;
    cd.cut_at = cut_at;
    cd.powered_off = 0;
    cd.rng = seed;
    KT_CHECK(journal_open(&cd.dev, JSTART, JBLOCKS, &j, 0) == 0, "journal_open on the cached disk failed");
    int durable = 0;
    for (int k = 1; k <= CUT_OPS; k++) {
        journal_begin(j);
        for (int i = 0; i < 3; i++) {
            struct buf *b;
            if (bread(&cd.dev, HOME + 80 + cut_block_of(k, i), &b) == 0) {
                ((uint32_t *)b->data)[0] = (uint32_t)k;
                journal_write(j, b);
                brelse(b);
            }
        }
        KT_CHECK(journal_end(j) == 0, "op %d failed", k);
        if (!cd.powered_off)
            durable = k; /* its commit's flush happened before the power went */
    }
    journal_close(j);
    if (!cd.powered_off)
        cd_power_cut(); /* after a clean close nothing should be left in the cache */
    *requests = cd.requests;
    KT_CHECK(!cd.overflow, "the cache model overflowed");
    KT_CHECK(bcache_invalidate(&cd.dev) == 0, "the cached disk's buffers are still in use");

    int replayed;
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, &replayed) == 0, "journal_open after the power cut failed");
    journal_close(j);
    KT_CHECK(bcache_invalidate(rd) == 0, "the RAM disk's buffers are still in use");
    uint32_t got[CUT_BLOCKS];
    for (int b = 0; b < CUT_BLOCKS; b++)
        got[b] = disk_word(rd, HOME + 80 + b);
    for (int m = durable; m <= CUT_OPS; m++) {
        int same = 1;
        for (int b = 0; b < CUT_BLOCKS; b++)
            same &= got[b] == cut_expected(m, b);
        if (same)
            return KT_OK;
    }
    KT_CHECK(0, "power cut before request %d (seed %lu): blocks %u %u %u %u %u %u %u %u are no state after op %d or later",
             cut_at, seed, got[0], got[1], got[2], got[3], got[4], got[5], got[6], got[7], durable);
    return KT_OK;
}

static const char *power_cut_checks(struct blkdev *rd)
{
    memset(&cd, 0, sizeof cd);
    strlcpy(cd.dev.name, "cachedisk", sizeof cd.dev.name);
    cd.dev.sectors = rd->sectors;
    cd.dev.has_flush = 1;
    cd.dev.ops = &cd_ops;
    cd.inner = rd;
    const char *why = KT_OK;
    for (int i = 0; i < CACHE_SLOTS && !why; i++) {
        paddr_t pa = pmm_alloc();
        if (!pa)
            why = "no memory for the cache model";
        else
            cd.data[i] = phys_to_virt(pa);
    }
    int total = 0, n;
    if (!why)
        why = power_cut_run(rd, -1, 1, &total);
    for (int cut = 0; cut <= total && !why; cut++)
        for (uint64_t seed = 1; seed <= 4 && !why; seed++)
            why = power_cut_run(rd, cut, seed * 7919 + (uint64_t)cut, &n);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (cd.data[i])
            pmm_free(virt_to_phys(cd.data[i]));
    return why;
}

/* ---- group commit: kernel tasks on the other CPUs ---- */

#define GROUP_TASKS 3
extern struct spinlock rq_lock;
static struct {
    struct journal *j;
    struct blkdev *d;
    volatile int next_id, begun, finished;
    volatile int result[GROUP_TASKS];
} group;

static void group_task(void)
{
    spin_unlock(&rq_lock); /* a new task starts with the run-queue lock held */
    int id = __atomic_fetch_add(&group.next_id, 1, __ATOMIC_RELAXED);
    struct buf *b;
    journal_begin(group.j);
    if (bread(group.d, HOME + 50 + id, &b) == 0) {
        ((uint32_t *)b->data)[0] = 0xf000u + (uint32_t)id;
        journal_write(group.j, b);
        brelse(b);
    }
    /* Everyone is inside an operation before anyone ends: one transaction for all. */
    __atomic_fetch_add(&group.begun, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&group.begun, __ATOMIC_ACQUIRE) < GROUP_TASKS)
        yield();
    group.result[id] = journal_end(group.j);
    __atomic_fetch_add(&group.finished, 1, __ATOMIC_RELEASE);
    sched_exit_current();
}

static const char *group_checks(struct blkdev *rd)
{
    if (ncpu < 2)
        return KT_OK; /* the tasks would only run once this test returns: sequential ops cover it */
    struct journal *j;
    KT_CHECK(journal_open(rd, JSTART, JBLOCKS, &j, 0) == 0, "journal_open failed");
    struct journal_stats before, after;
    journal_get_stats(j, &before);
    group.j = j;
    group.d = rd;
    group.next_id = group.begun = group.finished = 0;
    for (int i = 0; i < GROUP_TASKS; i++) {
        struct task *t = task_alloc(kernel_process());
        KT_CHECK(t, "no memory for a kernel task");
        task_set_entry(t, group_task);
        sched_add(t);
    }
    uint64_t deadline = time_ns() + 30000000000ull;
    while (__atomic_load_n(&group.finished, __ATOMIC_ACQUIRE) < GROUP_TASKS && time_ns() < deadline)
        __asm__ volatile("pause");
    KT_CHECK(group.finished == GROUP_TASKS, "only %d of %d tasks finished in 30 s (%d started, %d began)", group.finished,
             GROUP_TASKS, group.next_id, group.begun);
    journal_get_stats(j, &after);
    for (int i = 0; i < GROUP_TASKS; i++) {
        KT_CHECK(group.result[i] == 0, "task %d's op failed with %d", i, group.result[i]);
        KT_CHECK(disk_word(rd, HOME + 50 + i) == 0xf000u + (uint32_t)i, "task %d's block is not at home", i);
    }
    KT_CHECK(after.commits - before.commits == 1, "%d ops made %lu commits, expected 1 (group commit)", GROUP_TASKS,
             after.commits - before.commits);
    KT_CHECK(journal_close(j) == 0, "journal_close failed");
    return KT_OK;
}

KTEST(journal)
{
    for (unsigned i = 0; i < MFS_BLOCK_SIZE; i++)
        page[i] = (uint8_t)(i * 7 + (i >> 5));
    KT_CHECK(journal_crc32c(page, sizeof page) == mfs_crc32c(0, page, sizeof page) &&
                 journal_crc32c("123456789", 9) == 0xE3069283u,
             "the journal's table CRC-32C disagrees with mfs_crc32c");
    struct blkdev *rd = ramdisk_create("journal-test", DISK_BLOCKS * MFS_BLOCK_SIZE);
    KT_CHECK(rd, "no memory for a 4 MiB RAM disk");
    const char *why = commit_checks(rd);
    if (!why)
        why = replay_checks(rd);
    if (!why)
        why = bad_header_checks(rd);
    if (!why)
        why = error_checks(rd);
    if (!why)
        why = torn_log_checks(rd);
    if (!why)
        why = replay_twice_checks(rd);
    if (!why)
        why = power_cut_checks(rd);
    if (!why)
        why = group_checks(rd);
    int err = bcache_invalidate(rd);
    ramdisk_destroy(rd);
    if (why)
        return why;
    KT_CHECK(err == 0, "bcache_invalidate after the test returned %d", err);
    return KT_OK;
}

/* Commit latency on a RAM disk: ops of 1, 4 and 32 blocks. */
KTEST_MANUAL(journal_bench)
{
    struct blkdev *rd = ramdisk_create("journal-bench", DISK_BLOCKS * MFS_BLOCK_SIZE);
    KT_CHECK(rd, "no memory for a 4 MiB RAM disk");
    struct journal *j;
    KT_CHECK(format_journal(rd) == 0 && journal_open(rd, JSTART, JBLOCKS, &j, 0) == 0, "journal_open failed");
    uint64_t t0 = time_ns();
    uint32_t sum = 0;
    for (int r = 0; r < 1000; r++)
        sum += journal_crc32c(page, sizeof page);
    kprintf("journal_bench: CRC-32C of a 4 KiB block: %lu ns (%x)\n", (time_ns() - t0) / 1000, sum);
    t0 = time_ns();
    for (int r = 0; r < 20; r++)
        sum += mfs_crc32c(0, page, sizeof page);
    kprintf("journal_bench: the same with mfs_crc32c (bit by bit): %lu ns (%x)\n", (time_ns() - t0) / 20, sum);
    int sizes[] = {1, 4, 32};
    for (int s = 0; s < 3; s++) {
        int rounds = 200;
        uint64_t t0 = time_ns();
        for (int r = 0; r < rounds; r++)
            KT_CHECK(logged_op(j, rd, 0, sizes[s], (uint32_t)r) == 0, "an op failed");
        uint64_t per = (time_ns() - t0) / (uint64_t)rounds;
        kprintf("journal_bench: ops of %d blocks: %lu us per op (begin..end, durable)\n", sizes[s], per / 1000);
    }
    journal_close(j);
    bcache_invalidate(rd);
    ramdisk_destroy(rd);
    return KT_OK;
}
