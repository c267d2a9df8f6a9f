/*
 * The generic block layer: a table of disks (virtio-blk, RAM disks) behind
 * one API. blk_submit checks every request before a driver sees it, so a
 * bad sector number or length from a corrupt file system is -EINVAL here
 * and never reaches the device. Completion: the driver calls blk_complete,
 * which sets r->done and wakes the task that submitted r.
 *
 * Locks: table_lock protects the table of disks. Counters are updated with
 * atomic adds (blk_complete runs in interrupt context on any CPU).
 */
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "drivers/virtio_blk.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "arch/x86_64/time.h"

static struct spinlock table_lock = SPINLOCK_INIT("blkdev");
static struct blkdev *table[BLK_MAX_DEVICES];

int blk_register(struct blkdev *d)
{
    spin_lock(&table_lock);
    for (int i = 0; i < BLK_MAX_DEVICES; i++) {
        if (!table[i]) {
            table[i] = d;
            spin_unlock(&table_lock);
            return 0;
        }
    }
    spin_unlock(&table_lock);
    return -ENOSPC;
}

void blk_unregister(struct blkdev *d)
{
    spin_lock(&table_lock);
    for (int i = 0; i < BLK_MAX_DEVICES; i++)
        if (table[i] == d)
            table[i] = 0;
    spin_unlock(&table_lock);
}

struct blkdev *blk_get(int index)
{
    if (index < 0 || index >= BLK_MAX_DEVICES)
        return 0;
    return table[index];
}

struct blkdev *blk_by_name(const char *name)
{
    struct blkdev *found = 0;
    spin_lock(&table_lock);
    for (int i = 0; i < BLK_MAX_DEVICES && !found; i++)
        if (table[i] && strcmp(table[i]->name, name) == 0)
            found = table[i];
    spin_unlock(&table_lock);
    return found;
}

const char *blk_name(struct blkdev *d) { return d->name; }
uint64_t blk_sectors(struct blkdev *d) { return d->sectors; }
int blk_read_only(struct blkdev *d) { return d->read_only; }

/* Is [pa, pa + len) ordinary RAM the device may read or write? */
static int dma_range_ok(paddr_t pa, uint64_t len)
{
    return pa + len > pa && pa + len <= pmm_top();
}

/* 0 if r is a request d can carry, else the errno to return. */
static int check_request(struct blkdev *d, struct blk_request *r)
{
    if (r->op == BLK_FLUSH)
        return r->nseg == 0 ? 0 : -EINVAL;
    if (r->op != BLK_READ && r->op != BLK_WRITE)
        return -EINVAL;
    if (r->nseg < 1 || r->nseg > BLK_MAX_SEGS)
        return -EINVAL;
    uint64_t bytes = 0;
    for (int i = 0; i < r->nseg; i++) {
        uint32_t len = r->seg[i].len;
        if (len == 0 || len % BLK_SECTOR_SIZE != 0 || !dma_range_ok(r->seg[i].pa, len))
            return -EINVAL;
        bytes += len;
    }
    uint64_t count = bytes / BLK_SECTOR_SIZE;
    if (r->sector >= d->sectors || count > d->sectors - r->sector)
        return -EINVAL;
    if (r->op == BLK_WRITE && d->read_only)
        return -EROFS;
    return 0;
}

int blk_submit(struct blkdev *d, struct blk_request *r)
{
    int err = check_request(d, r);
    if (err)
        return err;
    r->status = 0;
    r->waiter = current_task(); /* before the device can finish: blk_complete reads it */
    r->dev = d;
    __atomic_store_n(&r->done, 0, __ATOMIC_SEQ_CST);
    if (r->op == BLK_FLUSH && !d->has_flush) {
        blk_complete(d, r, 0); /* no write cache: every write is already durable */
        return 0;
    }
    return d->ops->submit(d, r);
}

void blk_complete(struct blkdev *d, struct blk_request *r, int status)
{
    struct blk_stats *s = &d->stats;
    uint64_t sectors = 0;
    for (int i = 0; i < r->nseg; i++)
        sectors += r->seg[i].len / BLK_SECTOR_SIZE;
    __atomic_fetch_add(&s->requests, 1, __ATOMIC_RELAXED);
    if (r->op == BLK_READ) {
        __atomic_fetch_add(&s->reads, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&s->sectors_read, sectors, __ATOMIC_RELAXED);
    } else if (r->op == BLK_WRITE) {
        __atomic_fetch_add(&s->writes, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&s->sectors_written, sectors, __ATOMIC_RELAXED);
    } else {
        __atomic_fetch_add(&s->flushes, 1, __ATOMIC_RELAXED);
    }
    if (status)
        __atomic_fetch_add(&s->errors, 1, __ATOMIC_RELAXED);

    /* Read what we need from r first: once done is set, the waiter may free it. */
    struct task *waiter = r->waiter;
    void (*end_io)(struct blk_request *) = r->end_io;
    r->status = status;
    if (end_io) {
        __atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
        end_io(r);
        if (waiter)
            sched_wake_sleeper(waiter);
    } else {
        sched_wake_flag(&r->done, waiter);
    }
}

int blk_wait(struct blk_request *r)
{
    struct task *me = current_task();
    if (r->waiter == me) {
        /* A request normally ends within milliseconds. One that has not
         * after BLK_STALL_NS lost its interrupt or its notification: poll
         * the device rather than hang (and count it for the report). */
        for (int stalls = 1; sleep_on_flag_until(&r->done, "disk", time_ns() + BLK_STALL_NS) == -ETIMEDOUT;
             stalls++) {
            __atomic_fetch_add(&r->dev->stats.stalls, 1, __ATOMIC_RELAXED);
            if (r->dev->ops->poll)
                r->dev->ops->poll(r->dev);
            if (stalls == 10)
                kprintf("blk: %s: a %s of sector %lu has not completed in 10 s, even polled\n", r->dev->name,
                        r->op == BLK_READ ? "read" : r->op == BLK_WRITE ? "write" : "flush",
                        (unsigned long)r->sector);
        }
    } else {
        /* Submitted by another task: the wake-up goes there, so poll. */
        while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE))
            yield_poll("disk");
    }
    return r->status;
}

/* Is [va, va + len) in the direct map or the kernel image, where virt_to_phys works? */
static int dma_buffer_ok(const void *buf, size_t len)
{
    uint64_t va = (uint64_t)buf;
    if (va + len < va)
        return 0;
    if (va >= KERNEL_BASE && va + len <= KERNEL_BASE + pmm_top())
        return 1;
    extern char _end[];
    return va >= KERNEL_VMA && va + len <= (uint64_t)_end;
}

int blk_rw(struct blkdev *d, enum blk_op op, uint64_t sector, void *buf, size_t bytes)
{
    if ((op != BLK_READ && op != BLK_WRITE) || bytes == 0 || bytes % BLK_SECTOR_SIZE != 0 ||
        !dma_buffer_ok(buf, bytes))
        return -EINVAL;
    struct blk_request *r = kmalloc(sizeof *r);
    if (!r)
        return -ENOMEM;
    int err = 0;
    char *p = buf;
    /* The direct map and the kernel image are physically contiguous: buf is one piece. */
    while (bytes > 0 && err == 0) {
        size_t chunk = bytes < BLK_MAX_SEGS * PAGE_SIZE ? bytes : BLK_MAX_SEGS * PAGE_SIZE;
        memset(r, 0, sizeof *r);
        r->op = op;
        r->sector = sector;
        r->nseg = 1;
        r->seg[0].pa = virt_to_phys(p);
        r->seg[0].len = chunk;
        err = blk_submit(d, r);
        if (err == 0)
            err = blk_wait(r);
        p += chunk;
        bytes -= chunk;
        sector += chunk / BLK_SECTOR_SIZE;
    }
    kfree(r);
    return err;
}

int blk_flush(struct blkdev *d)
{
    struct blk_request *r = kzalloc(sizeof *r);
    if (!r)
        return -ENOMEM;
    r->op = BLK_FLUSH;
    int err = blk_submit(d, r);
    if (err == 0)
        err = blk_wait(r);
    kfree(r);
    return err;
}

void blk_get_stats(struct blkdev *d, struct blk_stats *out)
{
    struct blk_stats *s = &d->stats;
    out->requests = __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
    out->reads = __atomic_load_n(&s->reads, __ATOMIC_RELAXED);
    out->writes = __atomic_load_n(&s->writes, __ATOMIC_RELAXED);
    out->flushes = __atomic_load_n(&s->flushes, __ATOMIC_RELAXED);
    out->sectors_read = __atomic_load_n(&s->sectors_read, __ATOMIC_RELAXED);
    out->sectors_written = __atomic_load_n(&s->sectors_written, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
    out->stalls = __atomic_load_n(&s->stalls, __ATOMIC_RELAXED);
}

void blk_report(void)
{
    for (int i = 0; i < BLK_MAX_DEVICES; i++) {
        struct blkdev *d = table[i];
        if (!d)
            continue;
        struct blk_stats s;
        blk_get_stats(d, &s);
        kprintf("blk: %s: %lu requests (%lu reads, %lu writes, %lu flushes), %lu sectors written, %lu errors\n",
                d->name, s.requests, s.reads, s.writes, s.flushes, s.sectors_written, s.errors);
        if (s.stalls)
            kprintf("blk: %s: %lu waits found no completion after %llu s and polled the device\n", d->name,
                    s.stalls, BLK_STALL_NS / 1000000000ull);
    }
}

void blk_init(void)
{
    virtio_blk_init();
}
