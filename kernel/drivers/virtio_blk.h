/*
 * virtio-blk disks (virtio_blk.c): found on the PCI bus at boot and
 * registered with the block layer as vda, vdb, ... in PCI order.
 */
#pragma once

/* Find, start and register every virtio-blk disk (from blk_init). */
void virtio_blk_init(void);
