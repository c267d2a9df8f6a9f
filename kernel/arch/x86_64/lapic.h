/*
 * The local APIC of each CPU: its id, end-of-interrupt, the per-CPU timer
 * and inter-processor interrupts.
 */
#pragma once
#include <stdint.h>
#include "mm/memlayout.h"

#define TIMER_HZ 100

void lapic_init(paddr_t base);   /* once, on the bootstrap CPU: map the registers */
void lapic_init_cpu(void);       /* on every CPU: enable, and start its timer once calibrated */
uint32_t lapic_id(void);
void lapic_eoi(void);
/* Measure the timer against the PIT (bootstrap CPU, before the APs start). */
void lapic_timer_calibrate(void);
int lapic_ready(void);

void lapic_send_ipi(uint32_t apic_id, int vector);
void lapic_send_ipi_others(int vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, paddr_t trampoline);
/* From a panic: stop every other CPU (no-op before SMP is up). */
void lapic_stop_other_cpus(void);
