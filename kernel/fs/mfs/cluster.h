/*
 * What fs/mfs/file.c, cluster.c and codec.c share about file data: frames
 * and compressed clusters (the format is in mfs_format.h), and the page
 * cache glue. Private to MFS's regular files.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct inode;
struct cached_page;

/* ---- codec.c (mfs_encode/mfs_decode are in mfs.h) ---- */
/*
 * Append the skippable frame that pads frame_len bytes of frame to whole
 * blocks (at least 8 bytes of padding: a frame that ends on a block boundary
 * takes one more block). The padded length, or 0 if it exceeds cap.
 */
size_t mfs_frame_pad(void *frame, size_t frame_len, size_t cap);
/* "none", "rle", "lz4", "zstd" */
const char *mfs_comp_name(int alg);

/* ---- data_io.c: file data straight to and from the disk, never through the journal ---- */
#include "mm/memlayout.h"

struct blkdev;
struct blk_request;

#define MFS_IO_INFLIGHT 16  /* requests in flight at once (16 x 256 KiB = 4 MiB) */

/*
 * A batch of 4 KiB block transfers: consecutive blocks in the same
 * direction are coalesced into one multi-segment request (up to
 * BLK_MAX_SEGS pages), and up to MFS_IO_INFLIGHT requests are in flight.
 * The pages must stay allocated until mfs_io_finish returns.
 */
struct mfs_io {
    struct blkdev *dev;
    struct blk_request *cur;        /* being built, not yet submitted */
    struct blk_request *inflight[MFS_IO_INFLIGHT];
    int ninflight;
    uint64_t requests;              /* submitted so far */
    int err;                        /* the first error */
};
void mfs_io_init(struct mfs_io *io, struct blkdev *dev);
/* Read or write (write != 0) disk block `block` from/to the 4 KiB of physical memory at pa. */
void mfs_io_add(struct mfs_io *io, int write, uint32_t block, paddr_t pa);
/* Submit what is pending and wait for everything: 0 or the first error (-EIO, -ENOMEM). */
int mfs_io_finish(struct mfs_io *io);

/* ---- cluster.c: compressed files ---- */
/* The cluster size of a compressed file, in bytes. */
uint64_t mfs_cluster_bytes(struct inode *inode);
/* page_cache_ops.readpages for compressed files: decodes whole clusters. */
int mfs_cluster_readpages(struct inode *inode, struct cached_page **pages, int n);
/*
 * Rewrite cluster c (inside a journal operation, inode->lock held): copy
 * len bytes of buf to file offset pos (inside the cluster; len may be 0),
 * then store the cluster's first min(cluster, new_size - start) bytes in
 * newly allocated blocks (a frame, or raw if that saves no block) and free
 * the old ones. On error (-ENOSPC, -EIO) the cluster on disk and in the page
 * cache is as it was. The caller sets inode->size to new_size afterwards.
 */
int mfs_cluster_write(struct inode *inode, uint64_t c, const void *buf, uint64_t pos, size_t len, uint64_t new_size);
/* Is cluster c a hole (no blocks)? 1, 0, or a negative errno. */
int mfs_cluster_is_hole(struct inode *inode, uint64_t c);
