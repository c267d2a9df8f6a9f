/*
 * The virtio 1.0 PCI transport ("modern" devices): find the common,
 * notify, ISR and device-specific register blocks through the vendor
 * capabilities, negotiate features, set up virtqueues and route each
 * queue's interrupt through MSI-X. Device drivers (virtio_blk.c) build
 * on it; the split ring itself belongs to the driver.
 */
#pragma once
#include <stdint.h>
#include "drivers/pci.h"

#define VIRTIO_VENDOR 0x1AF4
#define VIRTIO_F_VERSION_1 (1ull << 32)

/* The common configuration block (virtio 1.0, 4.1.4.3). */
struct virtio_common_cfg {
    uint32_t device_feature_select;
    uint32_t device_feature;
    uint32_t driver_feature_select;
    uint32_t driver_feature;
    uint16_t msix_config;
    uint16_t num_queues;
    uint8_t device_status;
    uint8_t config_generation;
    uint16_t queue_select;
    uint16_t queue_size;
    uint16_t queue_msix_vector;
    uint16_t queue_enable;
    uint16_t queue_notify_off;
    uint32_t queue_desc_lo, queue_desc_hi;
    uint32_t queue_driver_lo, queue_driver_hi;
    uint32_t queue_device_lo, queue_device_hi;
};
_Static_assert(sizeof(struct virtio_common_cfg) == 56, "virtio common config layout");

struct virtio_pci {
    struct pci_dev pci;
    volatile struct virtio_common_cfg *common;
    volatile uint8_t *notify_base;
    uint32_t notify_len, notify_mult;
    volatile uint8_t *isr;
    volatile uint8_t *device_cfg;         /* the device-specific block (virtio_blk_config) */
    volatile uint32_t *msix_table;        /* 4 words per entry */
    int msix_entries;
};

/* Map the device's register blocks; 0, or -ENODEV with a message if they are missing. */
int virtio_pci_probe(struct virtio_pci *v, const struct pci_dev *d, const char *name);
/* Reset, then offer the features in wanted the device has (VERSION_1 must be
 * among them); *got = what was accepted. 0, or -ENODEV (device status FAILED). */
int virtio_pci_negotiate(struct virtio_pci *v, uint64_t wanted, uint64_t *got);
/* The largest size the device allows for queue q (0: no such queue). */
uint16_t virtio_pci_queue_max(struct virtio_pci *v, int q);
/*
 * Give queue q its ring (size entries at physical addresses desc, avail,
 * used), interrupting through MSI-X entry msix (which must already be
 * routed), and enable it. Returns the queue's notify register, or NULL.
 */
volatile uint16_t *virtio_pci_queue_enable(struct virtio_pci *v, int q, uint16_t size, paddr_t desc, paddr_t avail,
                                           paddr_t used, int msix);
/* Point MSI-X entry at vector on the CPU with apic_id; 0, or -ENODEV without MSI-X. */
int virtio_pci_msix_route(struct virtio_pci *v, int entry, int vector, uint32_t apic_id);
/* Tell the device the driver is ready (DRIVER_OK), or has given up (FAILED). */
void virtio_pci_driver_ok(struct virtio_pci *v);
void virtio_pci_fail(struct virtio_pci *v);
