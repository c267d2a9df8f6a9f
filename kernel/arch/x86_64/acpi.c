/*
 * ACPI table discovery. The RSDP comes from the boot loader (multiboot2) or
 * from a scan of the BIOS areas (multiboot1). Checksums are verified so a
 * garbage table is reported, not trusted.
 */
#include "arch/x86_64/acpi.h"
#include "drivers/console.h"
#include "lib/string.h"

struct madt_info madt;

struct sdt_header {
    char sig[4];
    uint32_t length;
    uint8_t revision, checksum;
    char oem[6], oem_table[8];
    uint32_t oem_rev, creator, creator_rev;
} __attribute__((packed));

static int checksum_ok(const void *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static paddr_t scan_rsdp(paddr_t start, paddr_t end)
{
    for (paddr_t p = start; p < end; p += 16)
        if (memcmp(phys_to_virt(p), "RSD PTR ", 8) == 0 && checksum_ok(phys_to_virt(p), 20))
            return p;
    return 0;
}

static paddr_t find_rsdp(void)
{
    paddr_t ebda = (paddr_t)(*(uint16_t *)phys_to_virt(0x40E)) << 4;
    paddr_t p = ebda ? scan_rsdp(ebda, ebda + 1024) : 0;
    return p ? p : scan_rsdp(0xE0000, 0x100000);
}

/* The table with signature sig, from the RSDT (4-byte) or XSDT (8-byte) list. */
static const struct sdt_header *find_table(paddr_t rsdp, const char *sig)
{
    const uint8_t *r = phys_to_virt(rsdp);
    uint32_t rsdt = *(const uint32_t *)(r + 16);
    uint64_t xsdt = r[15] >= 2 ? *(const uint64_t *)(r + 24) : 0;
    paddr_t root = xsdt ? xsdt : rsdt;
    int width = xsdt ? 8 : 4;
    const struct sdt_header *h = phys_to_virt(root);
    if (!checksum_ok(h, h->length))
        return 0;
    int n = (h->length - sizeof *h) / width;
    for (int i = 0; i < n; i++) {
        uint64_t addr = 0;
        memcpy(&addr, (const uint8_t *)(h + 1) + i * width, width);
        const struct sdt_header *t = phys_to_virt(addr);
        if (memcmp(t->sig, sig, 4) == 0 && checksum_ok(t, t->length))
            return t;
    }
    return 0;
}

static void parse_madt(const struct sdt_header *h)
{
    const uint8_t *p = (const uint8_t *)h + 44, *end = (const uint8_t *)h + h->length;
    madt.lapic_base = *(const uint32_t *)((const uint8_t *)h + 36);
    for (int i = 0; i < 16; i++)
        madt.isa_gsi[i] = i;
    for (; p + 2 <= end && p[1] >= 2; p += p[1]) {
        switch (p[0]) {
        case 0: /* processor local APIC: enabled (bit 0) */
            if ((p[4] & 1) && madt.ncpus < 64)
                madt.apic_ids[madt.ncpus++] = p[3];
            break;
        case 1: /* IOAPIC */
            if (madt.nioapics < ACPI_MAX_IOAPICS) {
                madt.ioapics[madt.nioapics].id = p[2];
                madt.ioapics[madt.nioapics].base = *(const uint32_t *)(p + 4);
                madt.ioapics[madt.nioapics].gsi_base = *(const uint32_t *)(p + 8);
                madt.nioapics++;
            }
            break;
        case 2: /* interrupt source override */
            if (p[3] < 16) {
                madt.isa_gsi[p[3]] = *(const uint32_t *)(p + 4);
                madt.isa_flags[p[3]] = *(const uint16_t *)(p + 8);
            }
            break;
        case 5: /* 64-bit local APIC address override */
            madt.lapic_base = *(const uint64_t *)(p + 4);
            break;
        }
    }
}

int acpi_init(paddr_t rsdp_hint)
{
    paddr_t rsdp = rsdp_hint ? rsdp_hint : find_rsdp();
    if (!rsdp) {
        kprintf("acpi: no RSDP found; running on one CPU without an IOAPIC\n");
        return -1;
    }
    const struct sdt_header *m = find_table(rsdp, "APIC");
    if (!m) {
        kprintf("acpi: no valid MADT; running on one CPU without an IOAPIC\n");
        return -1;
    }
    parse_madt(m);
    return 0;
}
