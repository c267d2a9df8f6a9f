/*
 * ktest bcache: the buffer cache on a RAM disk. One copy per block, LRU
 * recycling under a small limit, pinned buffers survive recycling, -EIO
 * from a failing device, -EBUSY when invalidating a device in use.
 * Also the fault-injecting device (bcache_test.h) the journal test shares.
 */
#include "fs/bcache.h"
#include "fs/bcache_test.h"
#include "drivers/ramdisk.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "test/ktest.h"

static int faultdisk_submit(struct blkdev *d, struct blk_request *r)
{
    struct faultdisk *f = d->priv;
    if (r->op == BLK_READ && f->read_delay_us)
        udelay(f->read_delay_us);
    if (r->op == BLK_READ && f->fail_reads) {
        blk_complete(d, r, -EIO);
        return 0;
    }
    if (r->op == BLK_WRITE && f->writes_left >= 0) {
        if (f->writes_left == 0) {
            blk_complete(d, r, f->mode == FAULT_FAIL ? -EIO : 0);
            return 0;
        }
        f->writes_left--;
    }
    /* The inner device completes r (and wakes its submitter) itself. */
    return f->inner->ops->submit(f->inner, r);
}

static const struct blkdev_ops faultdisk_ops = {.submit = faultdisk_submit};

void faultdisk_init(struct faultdisk *f, struct blkdev *inner)
{
    memset(f, 0, sizeof *f);
    strlcpy(f->dev.name, "faultdisk", sizeof f->dev.name);
    f->dev.sectors = inner->sectors;
    f->dev.has_flush = inner->has_flush;
    f->dev.ops = &faultdisk_ops;
    f->dev.priv = f;
    f->inner = inner;
    f->writes_left = -1;
}

/* Reads the device has done: a cache hit adds none. */
static uint64_t device_reads(struct blkdev *d)
{
    struct blk_stats s;
    blk_get_stats(d, &s);
    return s.reads;
}

/* Stamp each block of the first n blocks of d with its number, straight to the disk. */
static int stamp_blocks(struct blkdev *d, int n, uint8_t *page)
{
    for (int i = 0; i < n; i++) {
        memset(page, 0, BCACHE_BLOCK_SIZE);
        ((uint32_t *)page)[0] = 0xb10c0000u + (uint32_t)i;
        if (blk_rw(d, BLK_WRITE, (uint64_t)i * 8, page, BCACHE_BLOCK_SIZE))
            return -EIO;
    }
    return 0;
}

static const char *bcache_checks(struct blkdev *rd, uint8_t *page)
{
    struct buf *b, *b2;
    KT_CHECK(stamp_blocks(rd, 256, page) == 0, "stamping the RAM disk failed");

    /* One copy per block: a second bread finds the same buffer, no new read. */
    uint64_t count0 = bcache_count();
    KT_CHECK(bread(rd, 5, &b) == 0, "bread of block 5 failed");
    KT_CHECK(((uint32_t *)b->data)[0] == 0xb10c0005u, "block 5 holds %x", ((uint32_t *)b->data)[0]);
    brelse(b);
    uint64_t reads = device_reads(rd);
    KT_CHECK(bread(rd, 5, &b2) == 0 && b2 == b, "a second bread of block 5 gave another buffer");
    KT_CHECK(device_reads(rd) == reads, "a cached block was read from the device again");
    brelse(b2);
    KT_CHECK(bcache_count() == count0 + 1, "one block cached twice (%lu buffers)", bcache_count() - count0);

    /* bget_zero + bwrite reach the disk. */
    KT_CHECK(bget_zero(rd, 7, &b) == 0, "bget_zero failed");
    KT_CHECK(b->data[0] == 0 && b->data[4095] == 0 && b->valid, "bget_zero did not give zeros");
    memset(b->data, 0x5a, BCACHE_BLOCK_SIZE);
    KT_CHECK(bwrite(b) == 0, "bwrite failed");
    brelse(b);
    KT_CHECK(blk_rw(rd, BLK_READ, 7 * 8, page, BCACHE_BLOCK_SIZE) == 0 && page[0] == 0x5a && page[4095] == 0x5a,
             "bwrite did not reach the disk");

    /* Out of range: -EIO, nothing read. */
    KT_CHECK(bread(rd, 256, &b) == -EIO && b == 0, "bread past the end of the disk did not fail with -EIO");

    /* Pin block 100 with an unwritten change, then churn the cache under a small limit. */
    KT_CHECK(bread(rd, 100, &b) == 0, "bread of block 100 failed");
    ((uint32_t *)b->data)[1] = 0xfeedbeef; /* in memory only */
    bpin(b);
    brelse(b);
    uint64_t limit = bcache_count() + 16;
    uint64_t old_limit = bcache_set_limit(limit);
    const char *why = KT_OK;
    for (int i = 0; i < 64 && !why; i++) {
        if (bread(rd, (uint64_t)i, &b) != 0)
            why = "bread failed while churning the cache";
        else if (((uint32_t *)b->data)[0] != 0xb10c0000u + (uint32_t)i && i != 7)
            why = "a recycled buffer returned another block's data";
        else
            brelse(b);
        if (!why && bcache_count() > limit)
            why = "the cache grew past its limit";
    }
    if (!why) {
        reads = device_reads(rd);
        if (bread(rd, 63, &b) != 0)
            why = "bread of block 63 failed";
        else {
            brelse(b);
            if (device_reads(rd) != reads)
                why = "the most recently used block was recycled";
        }
    }
    if (!why) {
        reads = device_reads(rd);
        if (bread(rd, 0, &b) != 0)
            why = "bread of block 0 failed";
        else {
            brelse(b);
            if (device_reads(rd) == reads)
                why = "the least recently used block was not recycled";
        }
    }
    if (!why) {
        if (bread(rd, 100, &b) != 0)
            why = "bread of pinned block 100 failed";
        else {
            if (((uint32_t *)b->data)[1] != 0xfeedbeef)
                why = "a pinned buffer was recycled (its change is gone)";
            bunpin(b);
            brelse(b);
        }
    }
    bcache_set_limit(old_limit);
    if (why)
        return why;

    /* Invalidate refuses while a block is in use. */
    KT_CHECK(bread(rd, 1, &b) == 0, "bread of block 1 failed");
    int busy = bcache_invalidate(rd);
    brelse(b);
    KT_CHECK(busy == -EBUSY, "bcache_invalidate of a device in use returned %d", busy);
    return KT_OK;
}

static const char *bcache_eio_checks(struct blkdev *rd)
{
    static struct faultdisk f;
    struct buf *b;
    faultdisk_init(&f, rd);
    f.fail_reads = 1;
    KT_CHECK(bread(&f.dev, 3, &b) == -EIO && b == 0, "a failing read did not give -EIO");
    KT_CHECK(bread(&f.dev, 3, &b) == -EIO, "a second failing read did not give -EIO");
    f.fail_reads = 0;
    KT_CHECK(bread(&f.dev, 3, &b) == 0, "bread after the device recovered failed");
    KT_CHECK(((uint32_t *)b->data)[0] == 0xb10c0003u, "block 3 holds %x after a failed read", ((uint32_t *)b->data)[0]);
    f.mode = FAULT_FAIL;
    f.writes_left = 0;
    KT_CHECK(bwrite(b) == -EIO, "a failing write did not give -EIO");
    brelse(b);
    KT_CHECK(bcache_invalidate(&f.dev) == 0, "bcache_invalidate of the fault disk failed");
    return KT_OK;
}

/* ---- two tasks bread the same uncached block: one read, one buffer ---- */

#define RACERS 2
extern struct spinlock rq_lock;
static struct {
    struct faultdisk f;
    volatile int ready, go, finished;
    struct buf *seen[RACERS];
    volatile int result[RACERS];
} race;

static void racer_task(void)
{
    spin_unlock(&rq_lock); /* a new task starts with the run-queue lock held */
    int id = __atomic_fetch_add(&race.ready, 1, __ATOMIC_ACQ_REL);
    while (!__atomic_load_n(&race.go, __ATOMIC_ACQUIRE))
        yield();
    struct buf *b;
    race.result[id] = bread(&race.f.dev, 9, &b);
    if (race.result[id] == 0) {
        race.seen[id] = b;
        if (((uint32_t *)b->data)[0] != 0xb10c0009u)
            race.result[id] = -1;
        brelse(b);
    }
    __atomic_fetch_add(&race.finished, 1, __ATOMIC_RELEASE);
    sched_exit_current();
}

static const char *bcache_race_checks(struct blkdev *rd)
{
    if (ncpu < 2)
        return KT_OK; /* the tasks would only run once this test returns */
    faultdisk_init(&race.f, rd);
    race.f.read_delay_us = 20000; /* the first reader is still reading when the second arrives */
    race.ready = race.go = race.finished = 0;
    for (int i = 0; i < RACERS; i++) {
        struct task *t = task_alloc(kernel_process());
        KT_CHECK(t, "no memory for a kernel task");
        task_set_entry(t, racer_task);
        sched_add(t);
    }
    uint64_t deadline = time_ns() + 30000000000ull;
    while (race.ready < RACERS && time_ns() < deadline)
        __asm__ volatile("pause");
    uint64_t reads = device_reads(rd);
    __atomic_store_n(&race.go, 1, __ATOMIC_RELEASE);
    while (race.finished < RACERS && time_ns() < deadline)
        __asm__ volatile("pause");
    KT_CHECK(race.finished == RACERS, "only %d of %d reader tasks finished in 30 s", race.finished, RACERS);
    for (int i = 0; i < RACERS; i++)
        KT_CHECK(race.result[i] == 0, "reader %d: bread gave %d (or the wrong data)", i, race.result[i]);
    KT_CHECK(race.seen[0] == race.seen[1], "two tasks got two buffers for one block");
    KT_CHECK(device_reads(rd) - reads == 1, "two tasks reading one block made %lu device reads",
             device_reads(rd) - reads);
    KT_CHECK(bcache_invalidate(&race.f.dev) == 0, "the race's buffers are still in use");
    return KT_OK;
}

KTEST(bcache)
{
    struct blkdev *rd = ramdisk_create("bcache-test", 1 << 20); /* 256 blocks */
    KT_CHECK(rd, "no memory for a 1 MiB RAM disk");
    /* Scratch for direct disk I/O, in the kernel image (blk_rw accepts it). */
    static uint8_t page[BCACHE_BLOCK_SIZE] __attribute__((aligned(4096)));
    const char *why;
    why = bcache_checks(rd, page);
    if (!why)
        why = bcache_eio_checks(rd);
    if (!why)
        why = bcache_race_checks(rd);
    int err = bcache_invalidate(rd);
    ramdisk_destroy(rd);
    if (why)
        return why;
    KT_CHECK(err == 0, "bcache_invalidate after the test returned %d", err);
    return KT_OK;
}
