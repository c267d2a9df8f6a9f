/*
 * Clocks and sleeping. CLOCK_MONOTONIC counts from boot (TSC-based);
 * CLOCK_REALTIME adds the boot time read from the CMOS clock.
 */
#include "sys/sys_proc.h"
#include "sched/sched.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/time.h"
#include "signal/signal.h"
#include "lib/errno.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define TIMER_ABSTIME 1

struct timespec_u {
    int64_t sec, nsec;
};

static uint64_t boot_epoch; /* seconds since 1970 at boot */

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static int bcd(uint8_t v) { return (v & 15) + (v >> 4) * 10; }

/* Read the RTC once (in BCD, the QEMU default) as seconds since the epoch. */
static uint64_t read_rtc(void)
{
    while (cmos(0x0A) & 0x80) /* update in progress */
        ;
    int s = bcd(cmos(0)), mi = bcd(cmos(2)), h = bcd(cmos(4)), d = bcd(cmos(7)), mo = bcd(cmos(8));
    int y = 2000 + bcd(cmos(9));
    static const int before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    uint64_t days = (y - 1970) * 365ul + (y - 1969) / 4 + before[mo - 1] + (d - 1);
    if (mo > 2 && y % 4 == 0)
        days++;
    return days * 86400 + h * 3600 + mi * 60 + s;
}

uint64_t clock_ns(int clock)
{
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        if (!boot_epoch)
            boot_epoch = read_rtc() - time_ns() / 1000000000;
        return boot_epoch * 1000000000 + time_ns();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: {
        struct task *t = current_task();
        return (t->utime + t->stime) * (1000000000 / TIMER_HZ);
    }
    default:
        return time_ns();
    }
}

static int valid_clock(int clock) { return clock >= 0 && clock <= CLOCK_BOOTTIME; }

long sys_clock_gettime(int clock, uaddr_t ts)
{
    if (!valid_clock(clock))
        return -EINVAL;
    uint64_t ns = clock_ns(clock);
    struct timespec_u t = { (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000) };
    return copy_to_user(ts, &t, sizeof t) < 0 ? -EFAULT : 0;
}

long sys_clock_getres(int clock, uaddr_t ts)
{
    if (!valid_clock(clock))
        return -EINVAL;
    struct timespec_u t = { 0, 1 };
    return ts && copy_to_user(ts, &t, sizeof t) < 0 ? -EFAULT : 0;
}

long sys_gettimeofday(uaddr_t tv, uaddr_t tz)
{
    uint64_t ns = clock_ns(CLOCK_REALTIME);
    int64_t t[2] = { (int64_t)(ns / 1000000000), (int64_t)(ns % 1000000000 / 1000) };
    if (tv && copy_to_user(tv, t, sizeof t) < 0)
        return -EFAULT;
    if (tz && clear_user(tz, 8) < 0)
        return -EFAULT;
    return 0;
}

long sys_time(uaddr_t t)
{
    int64_t now = (int64_t)(clock_ns(CLOCK_REALTIME) / 1000000000);
    if (t && copy_to_user(t, &now, sizeof now) < 0)
        return -EFAULT;
    return now;
}

/* Sleep until the clock reads `until` ns; on a signal, report the rest in rem. */
static long sleep_until(int clock, uint64_t until, uaddr_t rem)
{
    uint64_t now = clock_ns(clock);
    if (now >= until)
        return 0;
    if (sleep_until_ns(time_ns() + (until - now)) < 0) {
        now = clock_ns(clock);
        uint64_t left = until > now ? until - now : 0;
        struct timespec_u r = { (int64_t)(left / 1000000000), (int64_t)(left % 1000000000) };
        if (rem && copy_to_user(rem, &r, sizeof r) < 0)
            return -EFAULT;
        return -EINTR;
    }
    return 0;
}

static long read_timespec(uaddr_t req, uint64_t *ns)
{
    struct timespec_u t;
    if (copy_from_user(&t, req, sizeof t) < 0)
        return -EFAULT;
    if (t.sec < 0 || t.nsec < 0 || t.nsec >= 1000000000)
        return -EINVAL;
    *ns = (uint64_t)t.sec * 1000000000 + (uint64_t)t.nsec;
    return 0;
}

long sys_nanosleep(uaddr_t req, uaddr_t rem)
{
    uint64_t ns;
    long err = read_timespec(req, &ns);
    if (err)
        return err;
    return sleep_until(CLOCK_MONOTONIC, clock_ns(CLOCK_MONOTONIC) + ns, rem);
}

long sys_clock_nanosleep(int clock, int flags, uaddr_t req, uaddr_t rem)
{
    if (!valid_clock(clock) || clock == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    uint64_t ns;
    long err = read_timespec(req, &ns);
    if (err)
        return err;
    if (flags & TIMER_ABSTIME)
        return sleep_until(clock, ns, 0);
    return sleep_until(clock, clock_ns(clock) + ns, rem);
}

/* Wall-clock time for file timestamps (fs/inode.c). */
uint64_t clock_realtime_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}
