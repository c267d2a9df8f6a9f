/*
 * Multiboot1 (QEMU -kernel) and multiboot2 (GRUB) information parsing.
 * Runs on the boot page tables, which map the first 1 GiB at KERNEL_BASE;
 * loaders place their structures well below that.
 */
#include "arch/x86_64/bootinfo.h"
#include "lib/panic.h"
#include "lib/string.h"

#define MB1_BOOT_MAGIC 0x2BADB002
#define MB2_BOOT_MAGIC 0x36D76289

struct bootinfo bootinfo;

static void add_region(paddr_t base, uint64_t len, uint32_t type)
{
    if (bootinfo.nregions < BOOT_MAX_REGIONS)
        bootinfo.regions[bootinfo.nregions++] = (struct mem_region){ base, len, type };
}

static void add_module(paddr_t start, paddr_t end, const char *name)
{
    if (bootinfo.nmodules >= BOOT_MAX_MODULES)
        return;
    struct boot_module *m = &bootinfo.modules[bootinfo.nmodules++];
    m->start = start;
    m->end = end;
    strlcpy(m->name, name ? name : "", sizeof m->name);
}

static void parse_mb1(const uint32_t *mbi)
{
    uint32_t flags = mbi[0];
    bootinfo.loader = "multiboot1";
    if (flags & (1 << 2))
        strlcpy(bootinfo.cmdline, phys_to_virt(mbi[4]), sizeof bootinfo.cmdline);
    if (flags & (1 << 3)) {
        const uint32_t *mod = phys_to_virt(mbi[6]);
        for (uint32_t i = 0; i < mbi[5]; i++, mod += 4)
            add_module(mod[0], mod[1], mod[2] ? phys_to_virt(mod[2]) : "");
    }
    if (flags & (1 << 6)) {
        const uint8_t *p = phys_to_virt(mbi[12]);
        const uint8_t *end = p + mbi[11];
        while (p < end) {
            uint32_t size;
            uint64_t base, len;
            uint32_t type;
            memcpy(&size, p, 4);
            memcpy(&base, p + 4, 8);
            memcpy(&len, p + 12, 8);
            memcpy(&type, p + 20, 4);
            add_region(base, len, type);
            p += size + 4;
        }
    } else if (flags & (1 << 0)) {
        /* Only the old lower/upper sizes: memory above 1 MiB is usable. */
        add_region(0x100000, (uint64_t)mbi[2] * 1024, 1);
    }
}

static void parse_mb2(const uint8_t *mbi)
{
    uint32_t total;
    memcpy(&total, mbi, 4);
    bootinfo.loader = "multiboot2";
    for (const uint8_t *tag = mbi + 8; tag < mbi + total;) {
        uint32_t type, size;
        memcpy(&type, tag, 4);
        memcpy(&size, tag + 4, 4);
        if (type == 0 || size < 8)
            break;
        switch (type) {
        case 1: /* command line */
            strlcpy(bootinfo.cmdline, (const char *)tag + 8, sizeof bootinfo.cmdline);
            break;
        case 3: { /* module */
            uint32_t start, end;
            memcpy(&start, tag + 8, 4);
            memcpy(&end, tag + 12, 4);
            add_module(start, end, (const char *)tag + 16);
            break;
        }
        case 6: { /* memory map */
            uint32_t entry_size;
            memcpy(&entry_size, tag + 8, 4);
            for (const uint8_t *e = tag + 16; entry_size && e + 24 <= tag + size; e += entry_size) {
                uint64_t base, len;
                uint32_t t;
                memcpy(&base, e, 8);
                memcpy(&len, e + 8, 8);
                memcpy(&t, e + 16, 4);
                add_region(base, len, t);
            }
            break;
        }
        case 14: /* ACPI 1.0 RSDP copy */
        case 15: /* ACPI 2.0+ RSDP copy */
            if (!bootinfo.rsdp || type == 15) {
                uint32_t n = size - 8 < sizeof bootinfo.rsdp_copy ? size - 8 : sizeof bootinfo.rsdp_copy;
                memcpy(bootinfo.rsdp_copy, tag + 8, n);
                bootinfo.rsdp = virt_to_phys(bootinfo.rsdp_copy);
            }
            break;
        }
        tag += (size + 7) & ~7u;
    }
}

void bootinfo_parse(uint32_t magic, paddr_t info)
{
    if (magic == MB1_BOOT_MAGIC)
        parse_mb1(phys_to_virt(info));
    else if (magic == MB2_BOOT_MAGIC)
        parse_mb2(phys_to_virt(info));
    else
        panic("boot: unknown boot loader magic 0x%x (need multiboot1 or multiboot2)", magic);
    if (bootinfo.nregions == 0)
        panic("boot: the boot loader gave no memory map");
}
