/*
 * Block devices: what the buffer cache, the page cache and MFS use to talk
 * to a disk, whatever the driver behind it (virtio-blk today). A request is
 * a run of contiguous 512-byte sectors carried by up to BLK_MAX_SEGS pieces
 * of physical memory, so writeback (lab 9c) can send many pages in one
 * request. Completion is interrupt-driven: the submitter sleeps in
 * blk_wait() and the device's interrupt wakes it.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include "mm/memlayout.h"

#define BLK_SECTOR_SIZE 512
#define BLK_MAX_SEGS 64      /* 64 pages: 256 KiB in one request */
#define BLK_STALL_NS 1000000000ull /* blk_wait polls the device after 1 s without completion */

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH };

struct blk_seg {
    paddr_t pa;              /* physically contiguous piece of the transfer */
    uint32_t len;            /* bytes, a multiple of 512 */
};

struct task;
struct blkdev;

struct blk_request {
    enum blk_op op;
    uint64_t sector;         /* first sector (ignored by BLK_FLUSH) */
    int nseg;                /* 0 for BLK_FLUSH */
    struct blk_seg seg[BLK_MAX_SEGS];
    /* Filled by the driver. */
    volatile int done;       /* set (release) when the device has finished */
    int status;              /* 0, or -EIO */
    /* Optional: called in interrupt context when done (no sleeping, no mutexes). */
    void (*end_io)(struct blk_request *r);
    void *priv;
    struct task *waiter;     /* blk_wait's sleeper (driver-private) */
    struct blkdev *dev;      /* where it was submitted (driver-private) */
};

/* A disk, by index (0 = vda, the first virtio disk) or name ("vda"); NULL if absent. */
struct blkdev *blk_get(int index);
struct blkdev *blk_by_name(const char *name);
const char *blk_name(struct blkdev *d);
uint64_t blk_sectors(struct blkdev *d);   /* capacity */
int blk_read_only(struct blkdev *d);

/*
 * Queue r (may sleep until the device has room: no spinlock may be held).
 * 0, or -EINVAL for a bad request (no segment or more than BLK_MAX_SEGS,
 * a segment of 0 bytes or not a multiple of 512 or outside RAM, sectors
 * beyond the disk, a FLUSH carrying data), -EROFS for a write to a
 * read-only disk; a refused request never reaches the device. The task
 * that submits r is the one blk_complete wakes; it must not exit before
 * r is done.
 */
int blk_submit(struct blkdev *d, struct blk_request *r);
/* Sleep until r is done; its status. Another task than the submitter may
 * wait too (it polls each tick instead of being woken). */
int blk_wait(struct blk_request *r);

/*
 * Synchronous helpers. buf must be in the direct map (kmalloc or pmm
 * memory) or the kernel image, not a kernel stack; bytes a multiple of
 * 512. Big transfers go as requests of up to 256 KiB. 0, -EIO, or
 * -EINVAL / -EROFS / -ENOMEM as blk_submit and kmalloc say.
 */
int blk_rw(struct blkdev *d, enum blk_op op, uint64_t sector, void *buf, size_t bytes);
/* Make every completed write durable (virtio's FLUSH). */
int blk_flush(struct blkdev *d);

/* Counters since boot, for `make bench` and the power-off report. */
struct blk_stats {
    uint64_t requests;       /* read + write + flush requests completed */
    uint64_t reads, writes, flushes;
    uint64_t sectors_read, sectors_written;
    uint64_t errors;
    uint64_t stalls;         /* waits that found no completion after BLK_STALL_NS and polled */
};
void blk_get_stats(struct blkdev *d, struct blk_stats *out);
/* Print one line per disk with its counters (the power-off report). */
void blk_report(void);

/* Find and start the disks (called once at boot, after interrupts are set up). */
void blk_init(void);

/*
 * For drivers (virtio_blk.c, ramdisk.c). blk_submit checks a request
 * against the device (op, segments, lengths, bounds, read-only) before it
 * reaches ops->submit, so a driver sees only well-formed requests. The
 * driver calls blk_complete() once per request, from any context.
 */
#define BLK_NAME_MAX 16
#define BLK_MAX_DEVICES 16

struct blkdev_ops {
    /* Queue r (well-formed); may sleep for room. 0, or a negative errno. */
    int (*submit)(struct blkdev *d, struct blk_request *r);
    /* Optional: complete what the device has finished without waiting for
     * its interrupt, and remind it of queued work (a stalled wait's fallback). */
    void (*poll)(struct blkdev *d);
};

struct blkdev {
    char name[BLK_NAME_MAX];    /* "vda", "vdb", ... or a RAM disk's name */
    uint64_t sectors;           /* capacity in 512-byte sectors */
    int read_only;
    int has_flush;              /* 0: the device has no cache, a flush completes at once */
    const struct blkdev_ops *ops;
    void *priv;                 /* the driver's */
    struct blk_stats stats;     /* updated atomically by blk_complete */
};

/* Add d to the table (blk_get/blk_by_name/blk_report); 0, or -ENOSPC. */
int blk_register(struct blkdev *d);
void blk_unregister(struct blkdev *d);
/*
 * r has finished with status (0 or -EIO): count it, set r->status and
 * r->done, call r->end_io, wake the submitter. r must not be touched after.
 * A request with end_io belongs to end_io, not to whoever sees done first.
 */
void blk_complete(struct blkdev *d, struct blk_request *r, int status);
