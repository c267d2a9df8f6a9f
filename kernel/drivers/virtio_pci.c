/*
 * The virtio 1.0 PCI transport. The device describes where its register
 * blocks live with vendor-specific PCI capabilities (cfg_type, bar,
 * offset, length); each block is mapped uncached with ioremap. Interrupts
 * use MSI-X only: a table entry holds the LAPIC message address and the
 * vector, and each queue names the entry it signals.
 */
#include "drivers/virtio_pci.h"
#include "drivers/console.h"
#include "lib/errno.h"
#include "mm/kernel_vm.h"

/* Capability cfg_type values (virtio 1.0, 4.1.4). */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* Device status bits. */
#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_FAILED 128

#define NO_VECTOR 0xFFFF
#define MSIX_ENABLE (1u << 15)
#define MSIX_FUNCTION_MASK (1u << 14)

/* Map the block a virtio capability at cap describes; NULL if it makes no sense. */
static volatile void *map_cap(const struct pci_dev *d, uint8_t cap, uint32_t *len_out)
{
    uint8_t bar = pci_read8(d, cap + 4);
    uint32_t offset = pci_read32(d, cap + 8);
    uint32_t len = pci_read32(d, cap + 12);
    paddr_t base = pci_bar_address(d, bar);
    if (bar > 5 || base == 0 || len == 0 || len > (1u << 24))
        return 0;
    if (len_out)
        *len_out = len;
    return ioremap(base + offset, len);
}

/* Map the MSI-X table, masked as a whole until an entry is routed. */
static void probe_msix(struct virtio_pci *v)
{
    const struct pci_dev *d = &v->pci;
    uint8_t cap = pci_find_cap(d, PCI_CAP_MSIX, 0);
    if (!cap)
        return;
    uint16_t ctrl = pci_read16(d, cap + 2);
    uint32_t table = pci_read32(d, cap + 4);
    paddr_t base = pci_bar_address(d, table & 7);
    if (!base)
        return;
    v->msix_entries = (ctrl & 0x7FF) + 1;
    v->msix_table = ioremap(base + (table & ~7u), (size_t)v->msix_entries * 16);
    for (int i = 0; i < v->msix_entries; i++)
        v->msix_table[4 * i + 3] = 1; /* masked */
    pci_write16(d, cap + 2, ctrl | MSIX_ENABLE);
}

int virtio_pci_probe(struct virtio_pci *v, const struct pci_dev *d, const char *name)
{
    v->pci = *d;
    pci_enable_dma(d);
    for (uint8_t cap = pci_find_cap(d, PCI_CAP_VENDOR, 0); cap; cap = pci_find_cap(d, PCI_CAP_VENDOR, cap)) {
        uint8_t type = pci_read8(d, cap + 3);
        if (type == CAP_COMMON && !v->common) {
            uint32_t len;
            v->common = map_cap(d, cap, &len);
            if (v->common && len < sizeof(struct virtio_common_cfg))
                v->common = 0;
        } else if (type == CAP_NOTIFY && !v->notify_base) {
            v->notify_base = map_cap(d, cap, &v->notify_len);
            v->notify_mult = pci_read32(d, cap + 16);
        } else if (type == CAP_ISR && !v->isr) {
            v->isr = map_cap(d, cap, 0);
        } else if (type == CAP_DEVICE && !v->device_cfg) {
            v->device_cfg = map_cap(d, cap, 0);
        }
    }
    if (!v->common || !v->notify_base || !v->isr || !v->device_cfg) {
        kprintf("virtio: %s: not a virtio 1.0 device (register blocks missing); ignored\n", name);
        return -ENODEV;
    }
    probe_msix(v);
    return 0;
}

int virtio_pci_negotiate(struct virtio_pci *v, uint64_t wanted, uint64_t *got)
{
    volatile struct virtio_common_cfg *c = v->common;
    c->device_status = 0; /* reset; done when it reads back 0 */
    for (int i = 0; i < 1000000 && c->device_status != 0; i++)
        __asm__ volatile("pause");
    c->device_status = STATUS_ACKNOWLEDGE;
    c->device_status = STATUS_ACKNOWLEDGE | STATUS_DRIVER;
    c->device_feature_select = 0;
    uint64_t offered = c->device_feature;
    c->device_feature_select = 1;
    offered |= (uint64_t)c->device_feature << 32;
    uint64_t accept = offered & wanted;
    if (!(accept & VIRTIO_F_VERSION_1)) {
        virtio_pci_fail(v);
        return -ENODEV;
    }
    c->driver_feature_select = 0;
    c->driver_feature = (uint32_t)accept;
    c->driver_feature_select = 1;
    c->driver_feature = (uint32_t)(accept >> 32);
    c->device_status = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK;
    if (!(c->device_status & STATUS_FEATURES_OK)) {
        virtio_pci_fail(v);
        return -ENODEV;
    }
    *got = accept;
    return 0;
}

uint16_t virtio_pci_queue_max(struct virtio_pci *v, int q)
{
    if (q >= v->common->num_queues)
        return 0;
    v->common->queue_select = (uint16_t)q;
    return v->common->queue_size;
}

volatile uint16_t *virtio_pci_queue_enable(struct virtio_pci *v, int q, uint16_t size, paddr_t desc, paddr_t avail,
                                           paddr_t used, int msix)
{
    volatile struct virtio_common_cfg *c = v->common;
    c->queue_select = (uint16_t)q;
    c->queue_size = size;
    c->queue_desc_lo = (uint32_t)desc;
    c->queue_desc_hi = (uint32_t)(desc >> 32);
    c->queue_driver_lo = (uint32_t)avail;
    c->queue_driver_hi = (uint32_t)(avail >> 32);
    c->queue_device_lo = (uint32_t)used;
    c->queue_device_hi = (uint32_t)(used >> 32);
    c->msix_config = NO_VECTOR;
    c->queue_msix_vector = (uint16_t)msix;
    if (c->queue_msix_vector != msix)
        return 0; /* the device could not take the vector */
    uint64_t off = (uint64_t)c->queue_notify_off * v->notify_mult;
    if (off + 2 > v->notify_len)
        return 0; /* the notify register would lie outside its block */
    c->queue_enable = 1;
    return (volatile uint16_t *)(v->notify_base + off);
}

int virtio_pci_msix_route(struct virtio_pci *v, int entry, int vector, uint32_t apic_id)
{
    if (!v->msix_table || entry >= v->msix_entries)
        return -ENODEV;
    volatile uint32_t *e = &v->msix_table[4 * entry];
    e[0] = 0xFEE00000u | (apic_id << 12); /* fixed delivery, physical destination */
    e[1] = 0;
    e[2] = (uint32_t)vector;              /* edge-triggered */
    e[3] = 0;                             /* unmasked */
    return 0;
}

void virtio_pci_driver_ok(struct virtio_pci *v)
{
    v->common->device_status |= STATUS_DRIVER_OK;
}

void virtio_pci_fail(struct virtio_pci *v)
{
    v->common->device_status |= STATUS_FAILED;
}
