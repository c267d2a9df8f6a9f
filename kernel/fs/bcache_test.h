/*
 * A fault-injecting block device for the bcache and journal ktests: it
 * passes requests to an inner device (a RAM disk) until told to fail reads,
 * or until its budget of writes runs out; then writes fail with -EIO, or are
 * silently dropped (a power cut: the kernel thinks they happened).
 */
#pragma once
#include <stdint.h>
#include "drivers/blkdev.h"

enum faultdisk_mode { FAULT_FAIL, FAULT_DROP };

struct faultdisk {
    struct blkdev dev;           /* what the code under test uses */
    struct blkdev *inner;
    volatile int fail_reads;
    volatile int64_t writes_left; /* < 0: unlimited */
    enum faultdisk_mode mode;
    volatile uint32_t read_delay_us; /* a slow disk: widen race windows */
};

/* Wrap inner (not registered in the disk table). */
void faultdisk_init(struct faultdisk *f, struct blkdev *inner);
