/*
 * RAM disks: a block device backed by physical pages, behind the same API
 * as virtio-blk (drivers/blkdev.h). Requests complete inside blk_submit,
 * so tests of the buffer cache and MFS can run without a disk attached.
 */
#pragma once
#include <stdint.h>

struct blkdev;

/* A zero-filled RAM disk of bytes (rounded up to whole pages), registered
 * under name so blk_by_name finds it; NULL if out of memory. */
struct blkdev *ramdisk_create(const char *name, uint64_t bytes);
/* Unregister d and give its pages back (no request may be in flight). */
void ramdisk_destroy(struct blkdev *d);
