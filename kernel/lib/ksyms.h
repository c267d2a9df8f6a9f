/*
 * The kernel's own symbol table, generated at link time by tools/gen-ksyms.sh
 * from the function symbols of a first link, so a backtrace can say
 * "kmain+0x2a" without any host tool.
 */
#pragma once
#include <stdint.h>

struct ksym {
    uint64_t addr;
    const char *name;
};

/* The function containing addr, and addr's offset into it; NULL if none. */
const char *ksym_lookup(uint64_t addr, uint64_t *offset);
