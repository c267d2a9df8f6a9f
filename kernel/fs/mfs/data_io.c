/*
 * File data to and from the disk in as few requests as possible: runs of
 * consecutive blocks become one multi-segment request (the bench counts
 * virtio requests per MiB), and several requests are kept in flight.
 * Used by file.c and cluster.c; the caller owns the struct mfs_io, so no
 * lock is needed here.
 */
#include "fs/mfs/cluster.h"
#include "drivers/blkdev.h"
#include "fs/mfs/mfs_format.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"

void mfs_io_init(struct mfs_io *io, struct blkdev *dev)
{
    io->dev = dev;
    io->cur = 0;
    io->ninflight = 0;
    io->requests = 0;
    io->err = 0;
}

/* Wait for the oldest request in flight and free it. */
static void wait_oldest(struct mfs_io *io)
{
    struct blk_request *r = io->inflight[0];
    int st = blk_wait(r);
    if (st && !io->err)
        io->err = st;
    kfree(r);
    for (int i = 1; i < io->ninflight; i++)
        io->inflight[i - 1] = io->inflight[i];
    io->ninflight--;
}

static void submit_cur(struct mfs_io *io)
{
    struct blk_request *r = io->cur;
    if (!r)
        return;
    io->cur = 0;
    if (io->ninflight == MFS_IO_INFLIGHT)
        wait_oldest(io);
    int err = blk_submit(io->dev, r);
    if (err) {
        if (!io->err)
            io->err = err;
        kfree(r);
        return;
    }
    io->inflight[io->ninflight++] = r;
    io->requests++;
}

void mfs_io_add(struct mfs_io *io, int write, uint32_t block, paddr_t pa)
{
    enum blk_op op = write ? BLK_WRITE : BLK_READ;
    uint64_t sector = (uint64_t)block * MFS_SECTORS_PER_BLOCK;
    struct blk_request *r = io->cur;
    if (r && (r->op != op || r->nseg == BLK_MAX_SEGS ||
              r->sector + (uint64_t)r->nseg * MFS_SECTORS_PER_BLOCK != sector))
        submit_cur(io), r = 0;
    if (!r) {
        if (!(r = kzalloc(sizeof *r))) {
            if (!io->err)
                io->err = -ENOMEM;
            return;
        }
        r->op = op;
        r->sector = sector;
        io->cur = r;
    }
    r->seg[r->nseg].pa = pa;
    r->seg[r->nseg].len = MFS_BLOCK_SIZE;
    r->nseg++;
}

int mfs_io_finish(struct mfs_io *io)
{
    submit_cur(io);
    while (io->ninflight)
        wait_oldest(io);
    return io->err;
}
