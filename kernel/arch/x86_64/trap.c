/*
 * trap(): dispatch an interrupt to its registered handler, or report a CPU
 * exception. Exceptions in user mode belong to the signal code (user-space
 * issue); in the kernel they are bugs: print everything a student needs to
 * find it (registers, CR2, a symbolized backtrace) and stop.
 */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "drivers/console.h"
#include "lib/panic.h"

static irq_handler_t handlers[256];

static const char *exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

void trap_register(int vector, irq_handler_t fn)
{
    handlers[vector] = fn;
}

static void explain_page_fault(uint64_t err, uint64_t cr2)
{
    kprintf("page fault: %s of %s address 0x%lx by %s code%s%s\n", err & 2 ? "write" : "read",
            err & 1 ? "a protected" : "an unmapped", cr2, err & 4 ? "user" : "kernel",
            err & 16 ? " (instruction fetch)" : "", err & 8 ? " (reserved bit set)" : "");
}

static __attribute__((noreturn)) void kernel_exception(struct trapframe *tf)
{
    static volatile int depth[MAX_CPUS];
    uint64_t cr2 = read_cr2();
    console_lock_for_panic();
    if (depth[cpu_id()]++ > 0) { /* faulted while reporting a fault: give up quietly */
        console_write_unlocked("keel: fault inside the panic report\n");
        panic_finish(tf->rip, 0, 0);
    }
    const char *name = tf->vector < 32 && exception_names[tf->vector] ? exception_names[tf->vector] : "interrupt";
    kprintf("trap: %s (vector %lu) error code 0x%lx on CPU %d\n", name, tf->vector, tf->error, cpu_id());
    if (tf->vector == T_PAGE_FAULT)
        explain_page_fault(tf->error, cr2);
    kprintf("  rip %016lx  cs %04lx  rflags %08lx  rsp %016lx  ss %04lx\n", tf->rip, tf->cs, tf->rflags, tf->rsp,
            tf->ss);
    kprintf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
    kprintf("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->r8);
    kprintf("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", tf->r9, tf->r10, tf->r11, tf->r12);
    kprintf("  r13 %016lx  r14 %016lx  r15 %016lx\n", tf->r13, tf->r14, tf->r15);
    kprintf("  cr2 %016lx  cr3 %016lx  cr0 %08lx  cr4 %08lx\n", cr2, read_cr3(), read_cr0(), read_cr4());
    panic_finish(tf->rip, tf->rbp, tf->rsp);
}

void trap(struct trapframe *tf)
{
    if (tf->vector < 32) {
        if (tf->vector == 2 && handlers[2]) { /* NMI */
            handlers[2](tf);
            return;
        }
        kernel_exception(tf); /* user-mode faults: signals, in the user-space issue */
    }
    if (handlers[tf->vector]) {
        handlers[tf->vector](tf);
    } else if (tf->vector != T_SPURIOUS) {
        kprintf("trap: unexpected interrupt vector %lu on CPU %d; ignored\n", tf->vector, cpu_id());
        lapic_eoi();
    }
}
