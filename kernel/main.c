/*
 * kmain: bring the machine up in dependency order, then do what the kernel
 * command line asks (ktest=...), or offer an echoing console.
 */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "drivers/power.h"
#include "drivers/uart.h"
#include "mm/kernel_vm.h"
#include "mm/pmm.h"
#include "lib/cmdline.h"
#include "mm/page_table.h"
#include "mm/tlb.h"
#include "proc/init.h"
#include "sched/sched.h"
#include "sys/syscall.h"
#include "lib/string.h"
#include "lib/panic.h"
#include "test/ktest.h"

/* The build mode (student, lab-9c, sol), from the Makefile's -DKEEL_MODE=... */
#ifndef KEEL_MODE
#define KEEL_MODE student
#endif
#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

static void timer_interrupt(struct trapframe *tf)
{
    this_cpu()->ticks++;
    lapic_eoi(); /* before sched_tick: it may switch to another task */
    sched_tick(tf);
}

static void com1_interrupt(struct trapframe *tf)
{
    (void)tf;
    uart_intr();
    lapic_eoi();
}

static void report_cpu_features(void)
{
    kprintf("cpu: nx %s, smep %s, smap %s, tsc %lu MHz\n", (rdmsr(MSR_EFER) & EFER_NXE) ? "on" : "off",
            (read_cr4() & CR4_SMEP) ? "on" : "off", (read_cr4() & CR4_SMAP) ? "on" : "off", tsc_khz() / 1000);
}

/* Interrupt-driven console demo: echo each line back; Ctrl-D powers off. */
static __attribute__((noreturn)) void echo_console(void)
{
    char line[128];
    size_t n = 0;
    kprintf("keel: nothing to run; type a line to see it echoed, Ctrl-D powers off\n");
    for (;;) {
        int c = console_getc();
        if (c < 0) {
            sti_hlt(); /* the COM1 interrupt wakes us */
            continue;
        }
        if (c == 4) { /* Ctrl-D */
            kprintf("keel: powering off\n");
            qemu_exit(EXIT_PASS);
        }
        if (c == '\r' || c == '\n') {
            line[n] = 0;
            if (n > 0)
                kprintf("echo: %s\n", line);
            n = 0;
        } else if ((c == 127 || c == 8) && n > 0) {
            n--;
        } else if (c >= ' ' && n < sizeof line - 1) {
            line[n++] = (char)c;
        }
    }
}

void run_on_stack(uint64_t top, void (*fn)(void));
static __attribute__((noreturn)) void kmain_rest(void);

void kmain(uint32_t magic, uint32_t info)
{
    cpus[0].id = 0;
    percpu_install(&cpus[0]);
    console_init();
    kprintf("\nKeel x86_64 (%s) booting\n", STRINGIFY(KEEL_MODE));
    bootinfo_parse(magic, info);
    cmdline_parse(bootinfo.cmdline);

    pmm_init();
    kvm_init();
    /* Leave the boot stack (no guard page below it) for a guarded one, so a
     * stack overflow is a clean double fault rather than silent corruption. */
    vaddr_t stack = kstack_alloc();
    if (!stack)
        panic("boot: no memory for the boot CPU's stack");
    cpus[0].stack_top = stack;
    run_on_stack(stack, kmain_rest);
}

/* The rest of start-up, on the bootstrap CPU's guarded stack. */
static void kmain_rest(void)
{
    gdt_init_cpu(&cpus[0]);
    idt_init();
    idt_load();
    cpu_enable_features();
    tsc_calibrate();
    report_cpu_features();

    int have_acpi = acpi_init(bootinfo.rsdp) == 0;
    lapic_init(have_acpi ? madt.lapic_base : (rdmsr(MSR_APIC_BASE) & ~0xFFFul));
    cpus[0].apic_id = lapic_id();
    trap_register(T_TIMER, timer_interrupt);
    lapic_init_cpu();
    lapic_timer_calibrate();
    if (have_acpi) {
        ioapic_init();
        trap_register(T_IRQ0 + IRQ_COM1, com1_interrupt);
        ioapic_route_isa(IRQ_COM1, T_IRQ0 + IRQ_COM1, cpus[0].apic_id);
        smp_init();
    } else {
        kprintf("smp: 1 CPUs online\n");
    }
    syscall_init();
    tlb_init();
    init_kernel_template();
    sti();
    blk_init(); /* the disks, before a ktest or init uses them */

    if (cmdline.ktest)
        ktest_run(cmdline.ktest);
    if (cmdline.init || bootinfo.nmodules > 0) {
        if (start_init() == 0)
            scheduler();
    }
    echo_console();
}
