/*
 * RAM disks: one physical page per 8 sectors, found through an array of
 * page addresses. A request is copied at once and completed inside submit
 * (blk_complete sets done and calls end_io before blk_submit returns).
 * No lock: each request touches only its own sectors, and the caller
 * orders overlapping requests, as it must with a real disk.
 */
#include "drivers/ramdisk.h"
#include "drivers/blkdev.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"

struct ramdisk {
    struct blkdev dev;
    uint64_t npages;
    paddr_t *pages;
};

/* Copy len bytes between the disk at byte offset pos and memory at pa. */
static void ramdisk_copy(struct ramdisk *rd, int to_disk, uint64_t pos, paddr_t pa, uint64_t len)
{
    while (len > 0) {
        uint64_t in_page = pos % PAGE_SIZE;
        uint64_t n = PAGE_SIZE - in_page < len ? PAGE_SIZE - in_page : len;
        char *disk = (char *)phys_to_virt(rd->pages[pos / PAGE_SIZE]) + in_page;
        char *mem = phys_to_virt(pa);
        if (to_disk)
            memcpy(disk, mem, n);
        else
            memcpy(mem, disk, n);
        pos += n;
        pa += n;
        len -= n;
    }
}

static int ramdisk_submit(struct blkdev *d, struct blk_request *r)
{
    struct ramdisk *rd = d->priv;
    uint64_t pos = r->sector * BLK_SECTOR_SIZE;
    for (int i = 0; i < r->nseg; i++) {
        ramdisk_copy(rd, r->op == BLK_WRITE, pos, r->seg[i].pa, r->seg[i].len);
        pos += r->seg[i].len;
    }
    blk_complete(d, r, 0);
    return 0;
}

static const struct blkdev_ops ramdisk_ops = {.submit = ramdisk_submit};

static void free_pages(struct ramdisk *rd)
{
    for (uint64_t i = 0; i < rd->npages; i++)
        if (rd->pages[i])
            pmm_free(rd->pages[i]);
    kfree(rd->pages);
    kfree(rd);
}

struct blkdev *ramdisk_create(const char *name, uint64_t bytes)
{
    uint64_t npages = PAGE_ROUND_UP(bytes) / PAGE_SIZE;
    if (npages == 0 || npages > pmm_free_count())
        return 0;
    struct ramdisk *rd = kzalloc(sizeof *rd);
    if (!rd)
        return 0;
    rd->pages = kzalloc(npages * sizeof *rd->pages);
    if (!rd->pages) {
        kfree(rd);
        return 0;
    }
    rd->npages = npages;
    for (uint64_t i = 0; i < npages; i++) {
        rd->pages[i] = pmm_alloc_zeroed();
        if (!rd->pages[i]) {
            free_pages(rd);
            return 0;
        }
    }
    strlcpy(rd->dev.name, name, sizeof rd->dev.name);
    rd->dev.sectors = npages * PAGE_SIZE / BLK_SECTOR_SIZE;
    rd->dev.ops = &ramdisk_ops;
    rd->dev.priv = rd;
    if (blk_register(&rd->dev) < 0) {
        free_pages(rd);
        return 0;
    }
    return &rd->dev;
}

void ramdisk_destroy(struct blkdev *d)
{
    if (!d)
        return;
    blk_unregister(d);
    free_pages(d->priv);
}
