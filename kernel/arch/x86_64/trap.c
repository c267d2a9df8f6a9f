/*
 * trap(): dispatch an interrupt to its registered handler, or handle a CPU
 * exception. User-mode page faults are demand paging or SIGSEGV, other
 * user exceptions become signals; in the kernel they are bugs: print
 * everything a student needs to find it (registers, CR2, a symbolized
 * backtrace) and stop.
 */
#include "arch/x86_64/trap.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/percpu.h"
#include "drivers/console.h"
#include "lib/panic.h"
#include "lib/uaccess.h"
#include "lib/errno.h"
#include "mm/vm.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "signal/signal.h"
#include "sys/syscall.h"

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

/* A page fault: demand paging for user addresses, then the exception table. */
static int handle_page_fault(struct trapframe *tf)
{
    uint64_t addr = read_cr2();
    int user = (tf->cs & 3) != 0;
    struct process *p = current_proc();
    if (addr <= USER_LIMIT && p && p->mm && (user || ex_table_fixup(tf->rip))) {
        if (tf->rflags & RFLAGS_IF)
            sti(); /* paging in may wait for the address space's lock */
        int err = vm_handle_fault(p->mm, addr, (tf->error & 2) != 0, (tf->error & 16) != 0);
        cli();
        if (err == 0)
            return 1;
        if (err == -EIO && user) {
            signal_fault(SIGBUS, 2 /* BUS_ADRERR */, addr);
            return 1;
        }
    }
    if (user) {
        signal_fault(SIGSEGV, (tf->error & 1) ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */, addr);
        return 1;
    }
    uint64_t fixup = ex_table_fixup(tf->rip);
    if (fixup) { /* a bad user pointer inside copy_from_user and friends: -EFAULT */
        tf->rip = fixup;
        return 1;
    }
    return 0;
}

/* A CPU exception in user mode becomes a signal, as on Linux. */
static void user_exception(struct trapframe *tf)
{
    switch (tf->vector) {
    case 0:  signal_fault(SIGFPE, 1 /* FPE_INTDIV */, tf->rip); break;
    case 1:
    case 3:  signal_fault(SIGTRAP, 0x80, tf->rip); break;
    case 6:  signal_fault(SIGILL, 2 /* ILL_ILLOPN */, tf->rip); break;
    case 16:
    case 19: signal_fault(SIGFPE, 0, tf->rip); break;
    case 17: signal_fault(SIGBUS, 1 /* BUS_ADRALN */, tf->rip); break;
    default: signal_fault(SIGSEGV, 0x80 /* SI_KERNEL */, 0); break;
    }
}

void trap(struct trapframe *tf)
{
    int user = (tf->cs & 3) != 0;
    if (tf->vector < 32) {
        if (tf->vector == 2 && handlers[2]) { /* NMI */
            handlers[2](tf);
            return;
        }
        if (tf->vector == T_PAGE_FAULT && handle_page_fault(tf)) {
            /* handled: demand paging, a signal, or an exception-table fixup */
        } else if (user) {
            user_exception(tf);
        } else {
            kernel_exception(tf);
        }
    } else if (handlers[tf->vector]) {
        handlers[tf->vector](tf);
    } else if (tf->vector != T_SPURIOUS) {
        kprintf("trap: unexpected interrupt vector %lu on CPU %d; ignored\n", tf->vector, cpu_id());
        lapic_eoi();
    }
    if (user)
        return_to_user(tf);
}
