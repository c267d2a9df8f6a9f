/* Just enough ACPI to find the CPUs and the IOAPIC: RSDP -> RSDT/XSDT -> MADT. */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

#define ACPI_MAX_IOAPICS 4

struct madt_info {
    int ncpus;
    uint32_t apic_ids[64];        /* enabled processors, as listed */
    paddr_t lapic_base;
    int nioapics;
    struct {
        uint32_t id;
        paddr_t base;
        uint32_t gsi_base;
    } ioapics[ACPI_MAX_IOAPICS];
    uint32_t isa_gsi[16];         /* ISA IRQ -> global system interrupt */
    uint16_t isa_flags[16];       /* polarity/trigger overrides (MPS INTI flags) */
};

extern struct madt_info madt;

/* Find and parse the MADT; returns 0, or -1 with a message if there is none. */
int acpi_init(paddr_t rsdp_hint);
