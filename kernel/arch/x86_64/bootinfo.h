/*
 * What the boot loader told us, copied out of its multiboot1 or multiboot2
 * structures early so nothing later depends on where the loader put them.
 */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

#define BOOT_MAX_REGIONS 64
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 1024

struct mem_region {
    paddr_t base;
    uint64_t len;
    uint32_t type; /* 1 = usable RAM, as in both multiboot memory maps */
};

struct boot_module {
    paddr_t start, end;
    char name[64];
};

struct bootinfo {
    const char *loader;        /* "multiboot1" or "multiboot2" */
    char cmdline[BOOT_CMDLINE_MAX];
    int nregions;
    struct mem_region regions[BOOT_MAX_REGIONS];
    int nmodules;
    struct boot_module modules[BOOT_MAX_MODULES];
    paddr_t rsdp;              /* 0 if the loader gave none: search for it */
    uint8_t rsdp_copy[40];     /* multiboot2 hands us a copy; keep it here */
};

extern struct bootinfo bootinfo;

/* Fill bootinfo from the loader's magic and info pointer; panics on neither. */
void bootinfo_parse(uint32_t magic, paddr_t info);
