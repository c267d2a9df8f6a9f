/* The IOAPIC routes device interrupt lines (GSIs) to a CPU and a vector. */
#pragma once
#include <stdint.h>

void ioapic_init(void);
/* Route ISA IRQ irq (after MADT overrides) to vector on the CPU with apic_id. */
int ioapic_route_isa(int irq, int vector, uint32_t apic_id);
