/*
 * PIT channel 2 as a one-shot stopwatch: its gate is bit 0 of port 0x61
 * and its output can be read back in bit 5, so we can wait for a known
 * interval without interrupts. Everything else is derived from the TSC.
 */
#include "arch/x86_64/time.h"
#include "arch/x86_64/cpu.h"

#define PIT_HZ 1193182

static uint64_t khz;
static uint64_t tsc_start;

void pit_wait_ms(int ms)
{
    while (ms > 0) {
        int chunk = ms > 50 ? 50 : ms; /* the 16-bit counter holds at most ~54 ms */
        uint32_t count = PIT_HZ * chunk / 1000;
        outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
        outb(0x43, 0xB0);                       /* channel 2, lo/hi, mode 0 */
        outb(0x42, count & 0xFF);
        outb(0x42, count >> 8);
        uint8_t g = inb(0x61); /* restart the count: gate low then high */
        outb(0x61, g & ~1);
        outb(0x61, g | 1);
        while (!(inb(0x61) & 0x20))
            cpu_relax();
        ms -= chunk;
    }
}

/* Best of three 10 ms windows: a vCPU descheduled by the host can only
 * make a window look longer, never shorter. */
void tsc_calibrate(void)
{
    uint64_t best = ~0ul;
    for (int i = 0; i < 3; i++) {
        uint64_t t0 = rdtsc();
        pit_wait_ms(10);
        uint64_t d = rdtsc() - t0;
        if (d < best)
            best = d;
    }
    khz = best / 10;
    if (khz == 0)
        khz = 1000000; /* a TSC that does not tick: pretend 1 GHz rather than divide by zero */
    tsc_start = rdtsc();
}

uint64_t tsc_khz(void) { return khz; }

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + us * khz / 1000;
    while (rdtsc() < end)
        cpu_relax();
}

uint64_t time_ns(void)
{
    uint64_t d = rdtsc() - tsc_start; /* split so the product cannot overflow */
    return d / khz * 1000000 + d % khz * 1000000 / khz;
}
