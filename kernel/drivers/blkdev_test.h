/* The block-device API checks shared by the ramdisk and virtio_blk ktests. */
#pragma once

struct blkdev;

/*
 * Exercise d through its last 256 sectors (saved first, restored last):
 * single sectors, a 16-segment request, 32 and 128 requests in flight,
 * a flush, requests the layer must refuse, and (with 2+ CPUs) four
 * kernel tasks doing I/O at once. KT_OK (NULL) or why it failed.
 */
const char *blk_test_api(struct blkdev *d);
