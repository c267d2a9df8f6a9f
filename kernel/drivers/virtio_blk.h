/*
 * virtio-blk disks (virtio_blk.c): found on the PCI bus at boot and
 * registered with the block layer as vda, vdb, ... in PCI order.
 */
#pragma once

/* Find, start and register every virtio-blk disk (from blk_init). */
void virtio_blk_init(void);
/* For the ktests: make d's device stop (on) or resume (off) interrupting on
 * completions, as if its interrupts were lost. */
struct blkdev;
void virtio_blk_mute_interrupts(struct blkdev *d, int on);
