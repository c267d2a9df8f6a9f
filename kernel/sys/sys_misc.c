/* uname, arch_prctl, getrandom, reboot, resource limits and usage, sched_yield. */
#include "sys/sys_proc.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "mm/pmm.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "drivers/console.h"
#include "drivers/power.h"
#include "lib/errno.h"
#include "lib/string.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define RLIMIT_STACK 3
#define RLIMIT_NOFILE 7
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0ul)

long sys_uname(uaddr_t buf)
{
    char u[6][65];
    memset(u, 0, sizeof u);
    strlcpy(u[0], "Linux", 65); /* programs check for Linux to pick the syscall ABI we speak */
    strlcpy(u[1], "keel", 65);
    strlcpy(u[2], "6.1.0-keel", 65);
    strlcpy(u[3], "#1 SMP Keel", 65);
    strlcpy(u[4], "x86_64", 65);
    strlcpy(u[5], "(none)", 65);
    return copy_to_user(buf, u, sizeof u) < 0 ? -EFAULT : 0;
}

long sys_arch_prctl(int code, uint64_t addr)
{
    struct task *t = current_task();
    switch (code) {
    case ARCH_SET_FS:
        if (addr > USER_LIMIT)
            return -EPERM;
        t->fs_base = addr;
        wrmsr(MSR_FS_BASE, addr);
        return 0;
    case ARCH_GET_FS:
        return copy_to_user(addr, &t->fs_base, sizeof t->fs_base) < 0 ? -EFAULT : 0;
    case ARCH_SET_GS:
    case ARCH_GET_GS:
        return -EINVAL; /* GS belongs to the kernel's per-CPU data */
    default:
        return -EINVAL;
    }
}

/* A xorshift generator seeded from the TSC: not cryptographic, but never blocks. */
long sys_getrandom(uaddr_t buf, size_t len, unsigned flags)
{
    if (flags & ~7u)
        return -EINVAL;
    static uint64_t state;
    if (len > 33554431)
        len = 33554431;
    uint8_t chunk[256];
    for (size_t done = 0; done < len;) {
        size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
        for (size_t i = 0; i < n; i++) {
            uint64_t s = __atomic_load_n(&state, __ATOMIC_RELAXED) ^ rdtsc();
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            __atomic_store_n(&state, s, __ATOMIC_RELAXED);
            chunk[i] = (uint8_t)(s >> 24);
        }
        if (copy_to_user(buf + done, chunk, n) < 0)
            return done ? (long)done : -EFAULT;
        done += n;
    }
    return (long)len;
}

long sys_reboot(int magic1, int magic2, unsigned cmd, uaddr_t arg)
{
    (void)arg;
    if ((unsigned)magic1 != 0xfee1dead || (magic2 != 672274793 && magic2 != 85072278 && magic2 != 369367448 &&
                                           magic2 != 537993216))
        return -EINVAL;
    if (current_proc()->euid != 0)
        return -EPERM;
    if (cmd == 0x4321FEDC /* POWER_OFF */ || cmd == 0xCDEF0123 /* HALT */ || cmd == 0x01234567 /* RESTART */) {
        kprintf("keel: powering off\n");
        qemu_exit(EXIT_PASS);
    }
    return cmd == 0 || cmd == 0x89ABCDEF ? 0 : -EINVAL; /* CAD on/off: accepted */
}

/* Keel's limits are fixed; report them as Linux's defaults would look. */
static void get_limit(int resource, uint64_t lim[2])
{
    lim[0] = lim[1] = RLIM_INFINITY;
    if (resource == RLIMIT_STACK)
        lim[0] = 8ul << 20;
    if (resource == RLIMIT_NOFILE)
        lim[0] = lim[1] = 1024;
}

long sys_prlimit64(int pid, int resource, uaddr_t new_limit, uaddr_t old_limit)
{
    if (resource < 0 || resource >= RLIM_NLIMITS)
        return -EINVAL;
    if (pid != 0 && pid != current_proc()->pid)
        return -ESRCH;
    uint64_t lim[2];
    get_limit(resource, lim);
    if (new_limit) {
        uint64_t want[2];
        if (copy_from_user(want, new_limit, sizeof want) < 0)
            return -EFAULT;
        if (want[0] > want[1])
            return -EINVAL;
        if (want[1] > lim[1])
            return -EPERM; /* raising the hard limit */
    }
    if (old_limit && copy_to_user(old_limit, lim, sizeof lim) < 0)
        return -EFAULT;
    return 0; /* lowering is accepted but not enforced */
}

long sys_getrlimit(int resource, uaddr_t rlim)
{
    return sys_prlimit64(0, resource, 0, rlim);
}

long sys_sched_yield(void)
{
    yield();
    return 0;
}

long sys_getrusage(int who, uaddr_t usage)
{
    if (who != 0 && who != -1 && who != 1)
        return -EINVAL;
    uint64_t ru[18] = { 0 };
    struct task *t = current_task();
    if (who != -1) { /* self or this thread: our ticks; children are not tracked */
        uint64_t tick_us = 1000000 / TIMER_HZ;
        ru[0] = t->utime * tick_us / 1000000, ru[1] = t->utime * tick_us % 1000000;
        ru[2] = t->stime * tick_us / 1000000, ru[3] = t->stime * tick_us % 1000000;
    }
    return copy_to_user(usage, ru, sizeof ru) < 0 ? -EFAULT : 0;
}

long sys_sysinfo(uaddr_t info)
{
    struct {
        int64_t uptime;
        uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
        uint16_t procs, pad;
        uint64_t totalhigh, freehigh;
        uint32_t mem_unit;
        char reserved[4];
    } si;
    memset(&si, 0, sizeof si);
    si.uptime = (int64_t)(ticks / TIMER_HZ);
    si.totalram = pmm_total_count() * PAGE_SIZE;
    si.freeram = pmm_free_count() * PAGE_SIZE;
    si.procs = 1;
    si.mem_unit = 1;
    return copy_to_user(info, &si, sizeof si) < 0 ? -EFAULT : 0;
}

/* prctl: the few options programs use at start-up (busybox names itself). */
long sys_prctl(int option, uint64_t arg2, uint64_t arg3, uint64_t arg4, uint64_t arg5)
{
    (void)arg3, (void)arg4, (void)arg5;
    struct process *p = current_proc();
    switch (option) {
    case 1: /* PR_SET_PDEATHSIG: accepted, not delivered */
        return arg2 <= 64 ? 0 : -EINVAL;
    case 3: /* PR_GET_DUMPABLE */
        return 1;
    case 4: /* PR_SET_DUMPABLE */
        return arg2 <= 1 ? 0 : -EINVAL;
    case 15: { /* PR_SET_NAME */
        char name[16];
        long n = strncpy_from_user(name, arg2, sizeof name);
        if (n == -EFAULT)
            return -EFAULT;
        name[sizeof name - 1] = 0; /* Linux truncates to 15 bytes */
        strlcpy(p->name, name, sizeof p->name);
        return 0;
    }
    case 16: /* PR_GET_NAME */
        return copy_to_user(arg2, p->name, sizeof p->name) < 0 ? -EFAULT : 0;
    default:
        return -EINVAL;
    }
}
