/*
 * Multiprocessor start-up and cross-CPU function calls.
 * Lock: call_lock serialises smp_call_others(); call.pending counts the
 * CPUs that have not yet run the current function.
 */
#include "arch/x86_64/smp.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "mm/kernel_vm.h"
#include "sched/sched.h"
#include "sys/syscall.h"
#include "sched/spinlock.h"
#include "drivers/console.h"
#include "lib/errno.h"
#include "lib/string.h"

#define TRAMPOLINE 0x8000

extern char trampoline_start[], trampoline_end[];
extern char tramp_cr3[], tramp_efer[], tramp_kernel_cr3[], tramp_stack[], tramp_cpu[];
extern char boot_pml4[];

static uint64_t cr4_features; /* CR4 bits every CPU turns on */

static struct {
    struct spinlock lock;
    void (*fn)(void *);
    void *arg;
    volatile int pending;
} call = { .lock = SPINLOCK_INIT("smp.call") };

void cpu_enable_features(void)
{
    if (!cr4_features) {
        uint32_t a, b, c, d;
        cpuid(0, 0, &a, &b, &c, &d);
        if (a >= 7) {
            cpuid(7, 0, &a, &b, &c, &d);
            if (b & (1u << 7))
                cr4_features |= CR4_SMEP;
            if (b & (1u << 20))
                cr4_features |= CR4_SMAP;
        }
        cr4_features |= CR4_PGE;
    }
    /* FXSAVE/SSE for user programs (OSFXSR, OSXMMEXCPT); the kernel itself never uses them. */
    write_cr4(read_cr4() | cr4_features | (1ul << 9) | (1ul << 10));
    write_cr0((read_cr0() | CR0_WP | (1ul << 1)) & ~((1ul << 2) | (1ul << 3))); /* MP on, EM and TS off */
}

/* Where the trampoline's mailbox field lives once copied to low memory. */
static void *mailbox(char *field)
{
    return (char *)phys_to_virt(TRAMPOLINE) + (field - trampoline_start);
}

void ap_main(struct cpu *c)
{
    percpu_install(c);
    gdt_init_cpu(c);
    idt_load();
    cpu_enable_features();
    lapic_init_cpu();
    syscall_init();
    __atomic_store_n(&c->online, 1, __ATOMIC_RELEASE);
    scheduler();
}

static int start_ap(struct cpu *c)
{
    vaddr_t stack = kstack_alloc();
    if (!stack)
        return -ENOMEM;
    c->stack_top = stack;
    *(uint32_t *)mailbox(tramp_cr3) = (uint32_t)virt_to_phys(boot_pml4);
    *(uint32_t *)mailbox(tramp_efer) = (1u << 8) | (uint32_t)(rdmsr(MSR_EFER) & EFER_NXE);
    *(uint64_t *)mailbox(tramp_kernel_cr3) = kernel_pml4;
    *(uint64_t *)mailbox(tramp_stack) = stack;
    *(uint64_t *)mailbox(tramp_cpu) = (uint64_t)c;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    lapic_send_init(c->apic_id);
    udelay(10000);
    for (int i = 0; i < 2 && !c->online; i++) {
        lapic_send_startup(c->apic_id, TRAMPOLINE);
        udelay(200);
    }
    /* TCG on a loaded host can be slow to schedule a new vCPU: allow 2 s. */
    uint64_t deadline = time_ns() + 2000000000ul;
    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && time_ns() < deadline)
        cpu_relax();
    return c->online ? 0 : -ETIMEDOUT;
}

static void call_function_ipi(struct trapframe *tf)
{
    (void)tf;
    call.fn(call.arg);
    __atomic_sub_fetch(&call.pending, 1, __ATOMIC_RELEASE);
    lapic_eoi();
}

static void ipi_test(struct trapframe *tf)
{
    (void)tf;
    __atomic_add_fetch(&this_cpu()->ipi_test_count, 1, __ATOMIC_RELAXED);
    lapic_eoi();
}

static void stop_ipi(struct trapframe *tf)
{
    (void)tf;
    halt_forever();
}

static void reschedule_ipi(struct trapframe *tf)
{
    (void)tf;
    lapic_eoi(); /* the scheduler (user-space issue) preempts on the way out */
}

void smp_init(void)
{
    trap_register(T_CALL_FUNCTION, call_function_ipi);
    trap_register(T_IPI_TEST, ipi_test);
    trap_register(T_STOP, stop_ipi);
    trap_register(T_RESCHEDULE, reschedule_ipi);
    memcpy(phys_to_virt(TRAMPOLINE), trampoline_start, trampoline_end - trampoline_start);

    for (int i = 0; i < madt.ncpus; i++) {
        uint32_t id = madt.apic_ids[i];
        if (id == cpus[0].apic_id)
            continue;
        if (ncpu == MAX_CPUS) {
            kprintf("smp: ignoring the CPU with APIC id %u: Keel supports %d CPUs\n", id, MAX_CPUS);
            continue;
        }
        struct cpu *c = &cpus[ncpu];
        c->id = ncpu;
        c->apic_id = id;
        int err = start_ap(c);
        if (err < 0) {
            kprintf("smp: the CPU with APIC id %u did not start (%s); continuing without it\n", id,
                    err == -ENOMEM ? "no memory for its stack" : "no answer in 2 s");
            memset(c, 0, sizeof *c);
            continue;
        }
        ncpu++;
    }
    kprintf("smp: %d CPUs online\n", ncpu);
}

/* Run fn on the other CPUs, and on this one too if include_self, then wait for them. */
static int call_cpus(void (*fn)(void *), void *arg, uint64_t timeout_ms, int include_self)
{
    if (ncpu == 1) {
        if (include_self)
            fn(arg);
        return 0;
    }
    while (!spin_trylock(&call.lock)) /* not spin_lock: keep taking IPIs while we wait */
        cpu_relax();
    if (call.pending > 0) { /* an earlier call timed out and a CPU may still be in it */
        spin_unlock(&call.lock);
        return -EBUSY;
    }
    call.fn = fn;
    call.arg = arg;
    __atomic_store_n(&call.pending, ncpu - 1, __ATOMIC_RELEASE);
    lapic_send_ipi_others(T_CALL_FUNCTION);
    if (include_self)
        fn(arg);
    uint64_t deadline = time_ns() + timeout_ms * 1000000;
    while (__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE) > 0 && time_ns() < deadline)
        cpu_relax();
    int err = call.pending > 0 ? -ETIMEDOUT : 0;
    spin_unlock(&call.lock);
    return err;
}

int smp_call_others(void (*fn)(void *), void *arg, uint64_t timeout_ms)
{
    return call_cpus(fn, arg, timeout_ms, 0);
}

int smp_call_all(void (*fn)(void *), void *arg, uint64_t timeout_ms)
{
    return call_cpus(fn, arg, timeout_ms, 1);
}

#include "test/ktest.h"

static void mark_cpu(void *arg)
{
    ((volatile int *)arg)[cpu_id()]++;
}

/* Wait until CPU i has taken `want` test IPIs in all (5 s at most). */
static int wait_ipi_count(int i, uint64_t want)
{
    uint64_t deadline = time_ns() + 5000000000ul;
    while (cpus[i].ipi_test_count < want && time_ns() < deadline)
        cpu_relax();
    return cpus[i].ipi_test_count == want;
}

/*
 * Directed IPIs reach exactly their target; a broadcast reaches every other
 * CPU. Each IPI is awaited before the next: a LAPIC keeps one pending bit per
 * vector, so IPIs sent faster than the target takes them merge into one.
 */
KTEST(ipi)
{
    int me = cpu_id();
    for (int i = 0; i < ncpu; i++) {
        if (i == me)
            continue;
        uint64_t others[MAX_CPUS];
        for (int j = 0; j < ncpu; j++)
            others[j] = cpus[j].ipi_test_count;
        for (int k = 0; k < 3; k++) {
            uint64_t before = cpus[i].ipi_test_count;
            lapic_send_ipi(cpus[i].apic_id, T_IPI_TEST);
            KT_CHECK(wait_ipi_count(i, before + 1), "CPU%d did not take IPI %d of 3 within 5 s", i, k + 1);
        }
        for (int j = 0; j < ncpu; j++)
            KT_CHECK(j == i || cpus[j].ipi_test_count == others[j], "CPU%d took an IPI meant for CPU%d", j, i);
    }
    uint64_t before[MAX_CPUS];
    for (int i = 0; i < ncpu; i++)
        before[i] = cpus[i].ipi_test_count;
    lapic_send_ipi_others(T_IPI_TEST);
    for (int i = 0; i < ncpu; i++) {
        uint64_t want = before[i] + (i == me ? 0 : 1);
        KT_CHECK(wait_ipi_count(i, want), "CPU%d took %lu broadcast test IPIs, expected %lu", i,
                 cpus[i].ipi_test_count - before[i], want - before[i]);
    }
    KT_CHECK(cpus[me].ipi_test_count == before[me], "the sender took its own all-but-self broadcast");
    /* The function-call path used by the other tests. */
    static volatile int ran[MAX_CPUS];
    for (int i = 0; i < ncpu; i++)
        ran[i] = 0;
    KT_CHECK(smp_call_all(mark_cpu, (void *)ran, 5000) == 0, "smp_call_all timed out");
    for (int i = 0; i < ncpu; i++)
        KT_CHECK(ran[i] == 1, "CPU%d ran the cross-call %d times", i, ran[i]);
    return KT_OK;
}

/* Every CPU's LAPIC timer ticks at about TIMER_HZ. */
KTEST(timer)
{
    uint64_t before[MAX_CPUS];
    for (int i = 0; i < ncpu; i++)
        before[i] = cpus[i].ticks;
    uint64_t t0 = time_ns();
    while (time_ns() - t0 < 200000000ul) /* 200 ms */
        sti_hlt();
    for (int i = 0; i < ncpu; i++)
        KT_CHECK(cpus[i].ticks > before[i], "CPU%d's timer did not tick in 200 ms", i);
    return KT_OK;
}
