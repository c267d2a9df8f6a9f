/*
 * ktests of the block layer: the API checks (blk_test_api, also run on
 * vda by the virtio_blk ktest) on a RAM disk.
 */
#include "drivers/blkdev.h"
#include "drivers/blkdev_test.h"
#include "drivers/ramdisk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "sched/task.h"
#include "test/ktest.h"

#define AREA_SECTORS 256                         /* the scratch area at the end of the disk */
#define AREA_BYTES (AREA_SECTORS * BLK_SECTOR_SIZE)
#define NPAGES 32                                /* pages in use at once (= the area) */
#define INFLIGHT 32
#define MANY 128                                 /* half-page requests at once: more than a queue holds */

/* Pages for the tests, freed by put_pages; pages[i] is the direct-map address. */
static paddr_t pa[NPAGES];
static paddr_t pa2[NPAGES];

static void fill(void *page, uint32_t seed, size_t bytes)
{
    uint32_t *w = page;
    for (size_t i = 0; i < bytes / 4; i++)
        w[i] = seed * 0x9E3779B1u + (uint32_t)i * 2654435761u + 1;
}

static void put_pages(void)
{
    for (int i = 0; i < NPAGES; i++) {
        if (pa[i])
            pmm_free(pa[i]);
        if (pa2[i])
            pmm_free(pa2[i]);
        pa[i] = pa2[i] = 0;
    }
}

static int get_pages(void)
{
    for (int i = 0; i < NPAGES; i++) {
        pa[i] = pmm_alloc();
        pa2[i] = pmm_alloc();
        if (!pa[i] || !pa2[i])
            return -ENOMEM;
    }
    return 0;
}

static void count_end_io(struct blk_request *r)
{
    __atomic_fetch_add((int *)r->priv, 1, __ATOMIC_RELAXED);
}

/* One request over pages p[0..n) (one page each) at sector; submitted and waited for. */
static int rw_pages(struct blkdev *d, enum blk_op op, uint64_t sector, paddr_t *p, int n, struct blk_request *r)
{
    memset(r, 0, sizeof *r);
    r->op = op;
    r->sector = sector;
    r->nseg = n;
    for (int i = 0; i < n; i++) {
        r->seg[i].pa = p[i];
        r->seg[i].len = PAGE_SIZE;
    }
    int err = blk_submit(d, r);
    return err ? err : blk_wait(r);
}

/* The checks proper, on an area saved by the caller. */
static const char *api_checks(struct blkdev *d, uint64_t base, struct blk_request *reqs)
{
    struct blk_request *r = &reqs[0];
    char *sec = phys_to_virt(pa[0]);
    char *back = phys_to_virt(pa2[0]);
    struct blk_stats before, after;
    blk_get_stats(d, &before);

    /* Single sector, via blk_rw. */
    fill(sec, 7, BLK_SECTOR_SIZE);
    KT_CHECK(blk_rw(d, BLK_WRITE, base + 3, sec, BLK_SECTOR_SIZE) == 0, "%s: one-sector write failed", d->name);
    memset(back, 0, BLK_SECTOR_SIZE);
    KT_CHECK(blk_rw(d, BLK_READ, base + 3, back, BLK_SECTOR_SIZE) == 0, "%s: one-sector read failed", d->name);
    KT_CHECK(memcmp(sec, back, BLK_SECTOR_SIZE) == 0, "%s: sector %lu read back differs", d->name, base + 3);

    /* 16 scattered pages in one request each way. */
    for (int i = 0; i < 16; i++)
        fill(phys_to_virt(pa[i]), 100 + i, PAGE_SIZE);
    KT_CHECK(rw_pages(d, BLK_WRITE, base + 8, pa, 16, r) == 0, "%s: 16-segment write failed", d->name);
    for (int i = 0; i < 16; i++)
        memset(phys_to_virt(pa2[i]), 0, PAGE_SIZE);
    KT_CHECK(rw_pages(d, BLK_READ, base + 8, pa2, 16, r) == 0, "%s: 16-segment read failed", d->name);
    for (int i = 0; i < 16; i++)
        KT_CHECK(memcmp(phys_to_virt(pa[i]), phys_to_virt(pa2[i]), PAGE_SIZE) == 0,
                 "%s: page %d of the 16-segment request read back differs", d->name, i);

    /* INFLIGHT one-page writes at once, then INFLIGHT reads at once; end_io counts them. */
    int ended = 0;
    for (int i = 0; i < INFLIGHT; i++) {
        fill(phys_to_virt(pa[i]), 1000 + i, PAGE_SIZE);
        memset(&reqs[i], 0, sizeof reqs[i]);
        reqs[i].op = BLK_WRITE;
        reqs[i].sector = base + (uint64_t)i * (PAGE_SIZE / BLK_SECTOR_SIZE);
        reqs[i].nseg = 1;
        reqs[i].seg[0].pa = pa[i];
        reqs[i].seg[0].len = PAGE_SIZE;
        reqs[i].end_io = count_end_io;
        reqs[i].priv = &ended;
        KT_CHECK(blk_submit(d, &reqs[i]) == 0, "%s: write %d of %d in flight refused", d->name, i, INFLIGHT);
    }
    for (int i = 0; i < INFLIGHT; i++)
        KT_CHECK(blk_wait(&reqs[i]) == 0, "%s: write %d of %d in flight failed", d->name, i, INFLIGHT);
    for (int i = 0; i < INFLIGHT; i++) {
        memset(phys_to_virt(pa2[i]), 0, PAGE_SIZE);
        memset(&reqs[i], 0, sizeof reqs[i]);
        reqs[i].op = BLK_READ;
        reqs[i].sector = base + (uint64_t)i * (PAGE_SIZE / BLK_SECTOR_SIZE);
        reqs[i].nseg = 1;
        reqs[i].seg[0].pa = pa2[i];
        reqs[i].seg[0].len = PAGE_SIZE;
        KT_CHECK(blk_submit(d, &reqs[i]) == 0, "%s: read %d of %d in flight refused", d->name, i, INFLIGHT);
    }
    for (int i = 0; i < INFLIGHT; i++)
        KT_CHECK(blk_wait(&reqs[i]) == 0, "%s: read %d of %d in flight failed", d->name, i, INFLIGHT);
    KT_CHECK(__atomic_load_n(&ended, __ATOMIC_ACQUIRE) == INFLIGHT, "%s: end_io ran %d times for %d requests",
             d->name, ended, INFLIGHT);
    for (int i = 0; i < INFLIGHT; i++)
        KT_CHECK(memcmp(phys_to_virt(pa[i]), phys_to_virt(pa2[i]), PAGE_SIZE) == 0,
                 "%s: page %d of the requests in flight read back differs", d->name, i);

    /* MANY half-page writes at once: submitters sleep until completions free room. */
    for (int i = 0; i < MANY; i++) {
        fill(phys_to_virt(pa[i / 8]) + (i % 8) * 512, 5000 + i, 512);
        memset(&reqs[i], 0, sizeof reqs[i]);
        reqs[i].op = BLK_WRITE;
        reqs[i].sector = base + 2 * (uint64_t)i;
        reqs[i].nseg = 2; /* two pieces: one sector each */
        reqs[i].seg[0].pa = pa[i / 8] + (i % 8) * 512;
        reqs[i].seg[0].len = 512;
        reqs[i].seg[1].pa = pa2[i / 8] + (i % 8) * 512;
        reqs[i].seg[1].len = 512;
        KT_CHECK(blk_submit(d, &reqs[i]) == 0, "%s: write %d of %d at once refused", d->name, i, MANY);
    }
    for (int i = 0; i < MANY; i++)
        KT_CHECK(blk_wait(&reqs[i]) == 0, "%s: write %d of %d at once failed", d->name, i, MANY);
    KT_CHECK(blk_rw(d, BLK_READ, base, phys_to_virt(pa2[NPAGES - 1]), PAGE_SIZE) == 0, "%s: read failed", d->name);
    char *first = phys_to_virt(pa2[NPAGES - 1]);
    KT_CHECK(memcmp(first, phys_to_virt(pa[0]), 512) == 0 && memcmp(first + 512, phys_to_virt(pa2[0]), 512) == 0,
             "%s: the first of %d requests at once read back differs", d->name, MANY);

    KT_CHECK(blk_flush(d) == 0, "%s: flush failed", d->name);

    /* Requests the layer must refuse without touching the device. */
    uint64_t n = blk_sectors(d);
    KT_CHECK(blk_rw(d, BLK_READ, n - 1, back, 2 * BLK_SECTOR_SIZE) == -EINVAL,
             "%s: a read across the end of the disk was not refused", d->name);
    KT_CHECK(blk_rw(d, BLK_WRITE, n, back, BLK_SECTOR_SIZE) == -EINVAL, "%s: a write past the end was not refused",
             d->name);
    KT_CHECK(blk_rw(d, BLK_READ, UINT64_MAX, back, BLK_SECTOR_SIZE) == -EINVAL,
             "%s: sector 2^64-1 was not refused", d->name);
    KT_CHECK(blk_rw(d, BLK_READ, 0, back, 0) == -EINVAL, "%s: a zero-length read was not refused", d->name);
    KT_CHECK(blk_rw(d, BLK_READ, 0, back, 100) == -EINVAL, "%s: a 100-byte read was not refused", d->name);
    memset(r, 0, sizeof *r);
    r->op = BLK_READ;
    r->nseg = 1;
    r->seg[0].pa = pa2[0];
    r->seg[0].len = 0;
    KT_CHECK(blk_submit(d, r) == -EINVAL, "%s: a zero-length segment was not refused", d->name);
    r->seg[0].len = 1000;
    KT_CHECK(blk_submit(d, r) == -EINVAL, "%s: a 1000-byte segment was not refused", d->name);
    r->seg[0].len = BLK_SECTOR_SIZE;
    r->nseg = BLK_MAX_SEGS + 1;
    KT_CHECK(blk_submit(d, r) == -EINVAL, "%s: %d segments were not refused", d->name, BLK_MAX_SEGS + 1);
    r->nseg = 1;
    r->op = BLK_FLUSH;
    KT_CHECK(blk_submit(d, r) == -EINVAL, "%s: a flush carrying data was not refused", d->name);

    blk_get_stats(d, &after);
    /* 2 + 2 + 2 * INFLIGHT + MANY + 1 transfers and 1 flush; the refused ones are not counted. */
    int expected = 6 + 2 * INFLIGHT + MANY;
    KT_CHECK(after.requests - before.requests == (uint64_t)expected, "%s: %lu requests counted, expected %d", d->name,
             after.requests - before.requests, expected);
    KT_CHECK(after.flushes - before.flushes == 1, "%s: %lu flushes counted", d->name, after.flushes - before.flushes);
    KT_CHECK(after.errors == before.errors, "%s: %lu errors counted", d->name, after.errors - before.errors);
    return KT_OK;
}

/* ---- kernel tasks on other CPUs doing I/O at once (the interrupt lands anywhere) ---- */

#define TASKS 4
#define TASK_PAGES (NPAGES / TASKS) /* each task owns its slice of the area */
#define ROUNDS 16
extern struct spinlock rq_lock;
static struct {
    struct blkdev *d;
    uint64_t base;
    volatile int next_id, finished;
    volatile int failed_round[TASKS]; /* 0, or the round (from 1) that went wrong */
} tt;

/* Task id's rounds: TASK_PAGES one-page writes in flight, one multi-segment read back. */
static int task_rounds(int id, struct blk_request *reqs)
{
    paddr_t *src = &pa[id * TASK_PAGES], *dst = &pa2[id * TASK_PAGES];
    uint64_t first = tt.base + (uint64_t)id * TASK_PAGES * (PAGE_SIZE / BLK_SECTOR_SIZE);
    for (int round = 1; round <= ROUNDS; round++) {
        for (int j = 0; j < TASK_PAGES; j++) {
            struct blk_request *r = &reqs[j];
            fill(phys_to_virt(src[j]), 100000 * id + 100 * round + j, PAGE_SIZE);
            memset(r, 0, sizeof *r);
            r->op = BLK_WRITE;
            r->sector = first + (uint64_t)j * (PAGE_SIZE / BLK_SECTOR_SIZE);
            r->nseg = 1;
            r->seg[0].pa = src[j];
            r->seg[0].len = PAGE_SIZE;
            if (blk_submit(tt.d, r) != 0)
                return round;
        }
        for (int j = 0; j < TASK_PAGES; j++)
            if (blk_wait(&reqs[j]) != 0)
                return round;
        if (round % 4 == 0 && blk_flush(tt.d) != 0)
            return round;
        if (rw_pages(tt.d, BLK_READ, first, dst, TASK_PAGES, &reqs[TASK_PAGES]) != 0)
            return round;
        for (int j = 0; j < TASK_PAGES; j++)
            if (memcmp(phys_to_virt(src[j]), phys_to_virt(dst[j]), PAGE_SIZE) != 0)
                return round;
    }
    return 0;
}

static void io_task(void)
{
    spin_unlock(&rq_lock); /* a new task starts with the run-queue lock held */
    int id = __atomic_fetch_add(&tt.next_id, 1, __ATOMIC_ACQ_REL);
    struct blk_request *reqs = kmalloc((TASK_PAGES + 1) * sizeof *reqs);
    tt.failed_round[id] = reqs ? task_rounds(id, reqs) : -1;
    kfree(reqs);
    __atomic_fetch_add(&tt.finished, 1, __ATOMIC_RELEASE);
    sched_exit_current();
}

static const char *task_checks(struct blkdev *d, uint64_t base)
{
    if (ncpu < 2)
        return KT_OK; /* the tasks would only run once this test returns */
    tt.d = d;
    tt.base = base;
    tt.next_id = tt.finished = 0;
    int started = 0;
    for (; started < TASKS; started++) {
        struct task *t = task_alloc(kernel_process());
        if (!t)
            break;
        task_set_entry(t, io_task);
        sched_add(t);
    }
    uint64_t deadline = time_ns() + 60000000000ull;
    while (tt.finished < started && time_ns() < deadline)
        __asm__ volatile("pause");
    KT_CHECK(started == TASKS, "%s: no memory for %d kernel tasks", d->name, TASKS);
    KT_CHECK(tt.finished == TASKS, "%s: only %d of %d I/O tasks finished in 60 s", d->name, tt.finished, TASKS);
    for (int i = 0; i < TASKS; i++)
        KT_CHECK(tt.failed_round[i] == 0, "%s: I/O task %d failed in round %d of %d", d->name, i,
                 tt.failed_round[i], ROUNDS);
    return KT_OK;
}

const char *blk_test_api(struct blkdev *d)
{
    KT_CHECK(blk_sectors(d) >= 2 * AREA_SECTORS, "%s: %lu sectors is too small to test", d->name, blk_sectors(d));
    KT_CHECK(!blk_read_only(d), "%s is read-only", d->name);
    uint64_t base = blk_sectors(d) - AREA_SECTORS;
    char *saved = kmalloc(AREA_BYTES);
    char *check = kmalloc(AREA_BYTES);
    struct blk_request *reqs = kmalloc(MANY * sizeof *reqs);
    const char *why = "out of memory";
    if (!saved || !check || !reqs || get_pages() < 0)
        goto out;
    why = "cannot save the last 256 sectors";
    if (blk_rw(d, BLK_READ, base, saved, AREA_BYTES) != 0)
        goto out;
    why = api_checks(d, base, reqs);
    if (!why)
        why = task_checks(d, base);
    /* Put back what was there, whatever happened, and check it is there. */
    if (blk_rw(d, BLK_WRITE, base, saved, AREA_BYTES) != 0 || blk_flush(d) != 0 ||
        blk_rw(d, BLK_READ, base, check, AREA_BYTES) != 0 || memcmp(saved, check, AREA_BYTES) != 0)
        why = why ? why : "restoring the last 256 sectors failed";
out:
    put_pages();
    kfree(saved);
    kfree(check);
    kfree(reqs);
    return why;
}

KTEST(ramdisk)
{
    struct blkdev *d = ramdisk_create("ram0", 1 << 20);
    KT_CHECK(d, "cannot create a 1 MiB RAM disk");
    KT_CHECK(blk_by_name("ram0") == d, "blk_by_name does not find the RAM disk");
    KT_CHECK(blk_sectors(d) == 2048, "1 MiB RAM disk has %lu sectors", blk_sectors(d));
    const char *why = blk_test_api(d);
    ramdisk_destroy(d);
    if (why)
        return why;
    KT_CHECK(blk_by_name("ram0") == 0, "the destroyed RAM disk is still registered");
    return KT_OK;
}
