/*
 * Time before and besides the LAPIC timer: busy waits measured by the PIT,
 * and a TSC clock calibrated against it.
 */
#pragma once
#include <stdint.h>

/* Busy-wait ms milliseconds on PIT channel 2 (used for calibration). */
void pit_wait_ms(int ms);
/* Measure the TSC rate; after this udelay() and time_ns() work. */
void tsc_calibrate(void);
void udelay(uint64_t us);
uint64_t time_ns(void); /* nanoseconds since tsc_calibrate() */
uint64_t tsc_khz(void);
