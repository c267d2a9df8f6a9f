/*
 * PCI configuration space through the legacy 0xCF8/0xCFC ports (fine on
 * QEMU's q35 for the first 256 bytes of each function), a scan of every
 * bus, capability lists and BARs. Just what virtio-blk needs.
 */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_HEADER_TYPE 0x0E
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34

#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAP_LIST (1u << 4)

#define PCI_CAP_MSIX 0x11
#define PCI_CAP_VENDOR 0x09

struct pci_dev {
    uint8_t bus, slot, func;
    uint16_t vendor, device;
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);

/* Call fn for every function present, in bus/slot/function order. */
void pci_scan(void (*fn)(const struct pci_dev *d, void *arg), void *arg);
/* Offset of the next capability with id after the one at offset from
 * (from = 0: search from the start of the list), or 0 if there is none. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from);
/* Physical address of memory BAR bar (64-bit BARs included), 0 if it is
 * an I/O BAR or unassigned. */
paddr_t pci_bar_address(const struct pci_dev *d, int bar);
/* Turn on memory decoding and bus mastering (DMA). */
void pci_enable_dma(const struct pci_dev *d);
