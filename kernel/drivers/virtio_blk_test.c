/*
 * ktests of the virtio-blk driver on vda (the graders attach a scratch
 * disk): the block-layer API checks on its last 256 sectors, which are
 * saved first and restored after, and a timing probe run by hand.
 */
#include "drivers/blkdev.h"
#include "drivers/blkdev_test.h"
#include "drivers/console.h"
#include "drivers/virtio_blk.h"
#include "arch/x86_64/time.h"
#include "mm/kmalloc.h"
#include "test/ktest.h"

#define NO_DISK "no virtio disk: boot with -drive file=IMG,if=none,id=vda,format=raw -device virtio-blk-pci,drive=vda"

KTEST(virtio_blk)
{
    struct blkdev *d = blk_by_name("vda");
    KT_CHECK(d, NO_DISK);
    return blk_test_api(d);
}

/* A completion whose interrupt never comes: blk_wait polls the device after
 * BLK_STALL_NS and still returns the data, and the stall is counted. */
KTEST(virtio_blk_lost_interrupt)
{
    struct blkdev *d = blk_by_name("vda");
    KT_CHECK(d, NO_DISK);
    char *buf = kmalloc(4096);
    KT_CHECK(buf, "out of memory");
    struct blk_stats before, after;
    blk_get_stats(d, &before);
    virtio_blk_mute_interrupts(d, 1);
    uint64_t t0 = time_ns();
    int err = blk_rw(d, BLK_READ, 0, buf, 4096);
    uint64_t waited = time_ns() - t0;
    virtio_blk_mute_interrupts(d, 0);
    blk_get_stats(d, &after);
    KT_CHECK(err == 0, "a read without its interrupt failed (%d)", err);
    KT_CHECK(after.stalls > before.stalls, "a read completed after %lu ms without an interrupt, and no stall was "
             "counted: was the interrupt really muted?", (unsigned long)(waited / 1000000));
    /* Interrupts on again: the next read needs no poll. */
    err = blk_rw(d, BLK_READ, 8, buf, 4096);
    kfree(buf);
    struct blk_stats last;
    blk_get_stats(d, &last);
    KT_CHECK(err == 0 && last.stalls == after.stalls, "with interrupts back on, a read returned %d after %lu stalls",
             err, (unsigned long)(last.stalls - after.stalls));
    return KT_OK;
}

/* Insertion sort, for the medians. */
static void sort(uint64_t *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* How long a 4 KiB read, a 256 KiB write and a flush take (the median of 15 each). */
KTEST_MANUAL(virtio_blk_timing)
{
    enum { RUNS = 15, BIG = 256 * 1024 };
    struct blkdev *d = blk_by_name("vda");
    KT_CHECK(d, NO_DISK);
    KT_CHECK(blk_sectors(d) >= 2 * BIG / BLK_SECTOR_SIZE, "vda is too small");
    uint64_t base = blk_sectors(d) - BIG / BLK_SECTOR_SIZE;
    char *buf = kmalloc(BIG);
    KT_CHECK(buf, "out of memory");
    uint64_t rd[RUNS], wr[RUNS], fl[RUNS];
    int err = blk_rw(d, BLK_READ, base, buf, BIG); /* the area's content, written back unchanged */
    for (int i = 0; i < RUNS && !err; i++) {
        uint64_t t0 = time_ns();
        err = blk_rw(d, BLK_READ, base + 8 * i, buf, 4096);
        uint64_t t1 = time_ns();
        err = err ? err : blk_rw(d, BLK_READ, base, buf, BIG);
        uint64_t t2 = time_ns();
        err = err ? err : blk_rw(d, BLK_WRITE, base, buf, BIG);
        uint64_t t3 = time_ns();
        err = err ? err : blk_flush(d);
        uint64_t t4 = time_ns();
        rd[i] = t1 - t0;
        wr[i] = t3 - t2;
        fl[i] = t4 - t3;
    }
    kfree(buf);
    KT_CHECK(err == 0, "I/O failed (%d)", err);
    sort(rd, RUNS);
    sort(wr, RUNS);
    sort(fl, RUNS);
    kprintf("virtio_blk_timing: 4 KiB read %lu us (min %lu), 256 KiB write %lu us (min %lu), flush %lu us (min %lu)\n",
            rd[RUNS / 2] / 1000, rd[0] / 1000, wr[RUNS / 2] / 1000, wr[0] / 1000, fl[RUNS / 2] / 1000, fl[0] / 1000);
    return KT_OK;
}
