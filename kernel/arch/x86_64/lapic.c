/*
 * xAPIC in MMIO mode (enough for the up to 16 CPUs Keel supports).
 * The timer runs periodic at TIMER_HZ on every CPU; its rate is measured
 * once on the bootstrap CPU against the PIT and reused by the others,
 * which share the same bus clock.
 */
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "mm/kernel_vm.h"
#include "sched/spinlock.h"

#define REG_ID 0x020
#define REG_TPR 0x080
#define REG_EOI 0x0B0
#define REG_SVR 0x0F0
#define REG_ESR 0x280
#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3E0

#define SVR_ENABLE 0x100
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define ICR_PENDING (1u << 12)
#define ICR_INIT 0x00000500
#define ICR_STARTUP 0x00000600
#define ICR_ASSERT 0x00004000
#define ICR_LEVEL 0x00008000
#define ICR_ALL_BUT_SELF 0x000C0000

static volatile uint32_t *regs;
static uint32_t ticks_per_period; /* timer count for 1/TIMER_HZ s, divide by 16 */
static int smp_started;

static uint32_t rd(int reg) { return regs[reg / 4]; }
static void wr(int reg, uint32_t v)
{
    regs[reg / 4] = v;
    (void)regs[REG_ID / 4]; /* read back: wait for the write to land */
}

void lapic_init(paddr_t base)
{
    regs = ioremap(base, PAGE_SIZE);
}

int lapic_ready(void) { return regs != 0; }

uint32_t lapic_id(void) { return regs ? rd(REG_ID) >> 24 : 0; }

void lapic_eoi(void)
{
    if (regs)
        wr(REG_EOI, 0);
}

void lapic_init_cpu(void)
{
    wr(REG_SVR, SVR_ENABLE | 0xFF);   /* enabled, spurious vector 0xFF */
    wr(REG_LVT_LINT0, LVT_MASKED);
    wr(REG_LVT_LINT1, LVT_MASKED);
    wr(REG_LVT_ERROR, LVT_MASKED);
    wr(REG_ESR, 0);
    wr(REG_ESR, 0);
    wr(REG_TPR, 0);
    wr(REG_TIMER_DIV, 0x3);           /* divide by 16 */
    if (ticks_per_period) {
        wr(REG_LVT_TIMER, LVT_PERIODIC | T_TIMER);
        wr(REG_TIMER_INIT, ticks_per_period);
    } else {
        wr(REG_LVT_TIMER, LVT_MASKED);
    }
    wr(REG_EOI, 0);
}

void lapic_timer_calibrate(void)
{
    wr(REG_TIMER_DIV, 0x3);
    wr(REG_LVT_TIMER, LVT_MASKED);
    wr(REG_TIMER_INIT, 0xFFFFFFFF);
    pit_wait_ms(10);
    uint32_t elapsed = 0xFFFFFFFF - rd(REG_TIMER_CUR);
    wr(REG_TIMER_INIT, 0);
    ticks_per_period = elapsed * 100 / TIMER_HZ; /* 10 ms measured */
    if (ticks_per_period == 0)
        ticks_per_period = 1;
    lapic_init_cpu(); /* start the bootstrap CPU's timer */
}

static void send_icr(uint32_t apic_id, uint32_t lo)
{
    push_off();
    wr(REG_ICR_HI, apic_id << 24);
    wr(REG_ICR_LO, lo);
    while (rd(REG_ICR_LO) & ICR_PENDING)
        cpu_relax();
    pop_off();
}

void lapic_send_ipi(uint32_t apic_id, int vector) { send_icr(apic_id, ICR_ASSERT | vector); }

void lapic_send_ipi_others(int vector)
{
    smp_started = 1;
    send_icr(0, ICR_ALL_BUT_SELF | ICR_ASSERT | vector);
}

void lapic_send_init(uint32_t apic_id)
{
    smp_started = 1;
    send_icr(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
}

void lapic_send_startup(uint32_t apic_id, paddr_t trampoline)
{
    send_icr(apic_id, ICR_STARTUP | (uint32_t)(trampoline >> 12));
}

void lapic_stop_other_cpus(void)
{
    if (regs && smp_started)
        send_icr(0, ICR_ALL_BUT_SELF | ICR_ASSERT | T_STOP);
}
