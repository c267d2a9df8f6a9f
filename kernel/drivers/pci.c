/*
 * PCI configuration access, mechanism #1: write the function's address to
 * port 0xCF8, then read or write its register at 0xCFC. The two steps must
 * not interleave between CPUs: pci_lock makes them one.
 */
#include "drivers/pci.h"
#include "arch/x86_64/cpu.h"
#include "sched/spinlock.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC

static struct spinlock pci_lock = SPINLOCK_INIT("pci");

static uint32_t address(const struct pci_dev *d, uint8_t off)
{
    return 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->slot << 11 | (uint32_t)d->func << 8 | (off & 0xFC);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
    spin_lock(&pci_lock);
    outl(CONFIG_ADDRESS, address(d, off));
    uint32_t v = inl(CONFIG_DATA);
    spin_unlock(&pci_lock);
    return v;
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
    return pci_read32(d, off) >> ((off & 2) * 8);
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
    return pci_read32(d, off) >> ((off & 3) * 8);
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
    spin_lock(&pci_lock);
    outl(CONFIG_ADDRESS, address(d, off));
    outl(CONFIG_DATA, v);
    spin_unlock(&pci_lock);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
    spin_lock(&pci_lock);
    outl(CONFIG_ADDRESS, address(d, off));
    outw(CONFIG_DATA + (off & 2), v);
    spin_unlock(&pci_lock);
}

void pci_scan(void (*fn)(const struct pci_dev *d, void *arg), void *arg)
{
    for (int bus = 0; bus < 256; bus++) {
        for (int slot = 0; slot < 32; slot++) {
            struct pci_dev d = {(uint8_t)bus, (uint8_t)slot, 0, 0, 0};
            if (pci_read16(&d, PCI_VENDOR_ID) == 0xFFFF)
                continue;
            int nfunc = (pci_read8(&d, PCI_HEADER_TYPE) & 0x80) ? 8 : 1;
            for (int func = 0; func < nfunc; func++) {
                d.func = (uint8_t)func;
                uint32_t id = pci_read32(&d, PCI_VENDOR_ID);
                if ((id & 0xFFFF) == 0xFFFF)
                    continue;
                d.vendor = id & 0xFFFF;
                d.device = id >> 16;
                fn(&d, arg);
            }
        }
    }
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from)
{
    if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return 0;
    uint8_t off = from ? pci_read8(d, from + 1) : pci_read8(d, PCI_CAP_PTR);
    /* At most 48 capabilities fit in 192 bytes: a loop in the list ends here. */
    for (int n = 0; n < 48 && off >= 0x40; n++) {
        off &= 0xFC;
        if (pci_read8(d, off) == id)
            return off;
        off = pci_read8(d, off + 1);
    }
    return 0;
}

paddr_t pci_bar_address(const struct pci_dev *d, int bar)
{
    if (bar < 0 || bar > 5)
        return 0;
    uint32_t lo = pci_read32(d, PCI_BAR0 + 4 * bar);
    if (lo & 1)
        return 0; /* I/O space */
    paddr_t pa = lo & ~0xFul;
    if (((lo >> 1) & 3) == 2 && bar < 5)
        pa |= (paddr_t)pci_read32(d, PCI_BAR0 + 4 * (bar + 1)) << 32;
    return pa;
}

void pci_enable_dma(const struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
}
