/* Starting the other CPUs, and asking them to run a function. */
#pragma once
#include <stdint.h>

/* Start every CPU the MADT lists (with INIT-SIPI-SIPI); prints how many came up. */
void smp_init(void);
/* Run fn(arg) on every other online CPU (in interrupt context) and wait;
 * 0, or -ETIMEDOUT if some CPU did not answer within timeout_ms. */
int smp_call_others(void (*fn)(void *), void *arg, uint64_t timeout_ms);
/* The same, with this CPU running fn(arg) at the same time as the others. */
int smp_call_all(void (*fn)(void *), void *arg, uint64_t timeout_ms);
/* Switch on the CPU protection features the bootstrap CPU found (per CPU). */
void cpu_enable_features(void);
