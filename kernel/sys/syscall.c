/*
 * Syscall dispatch. Unknown numbers return -ENOSYS and are logged once
 * each, so a student sees which call a program needed.
 */
#include "sys/syscall.h"
#include "sys/sys_proc.h"
#include "sys/sys_fs.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "drivers/console.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "signal/signal.h"
#include "lib/errno.h"

#define SYSCALL(nr, fn) [nr] = { #fn, (syscall_fn)(void (*)(void))fn },
static const struct syscall_entry table[NSYSCALLS] = {
#include "sys/table_proc.inc"
#include "sys/table_fs.inc"
};

void syscall_entry(void);

void syscall_init(void)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    /* syscall loads CS = 0x08, SS = 0x10; sysret would use 0x18 + 16/8 (we return with iretq) */
    wrmsr(MSR_STAR, ((uint64_t)0x18 << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, 0x47700); /* clear TF, IF, DF, AC, NT on entry */
}

static void log_unknown(long nr)
{
    static uint8_t logged[NSYSCALLS / 8 + 1];
    long bit = nr >= 0 && nr < NSYSCALLS ? nr : NSYSCALLS;
    if (__atomic_fetch_or(&logged[bit / 8], 1 << (bit % 8), __ATOMIC_RELAXED) & (1 << (bit % 8)))
        return;
    struct process *p = current_proc();
    kprintf("syscall: %s (pid %d) called unimplemented system call %ld; returning ENOSYS\n", p ? p->name : "?",
            p ? p->pid : 0, nr);
}

void syscall_dispatch(struct trapframe *tf)
{
    long nr = (long)tf->rax;
    long ret;
    if (nr >= 0 && nr < NSYSCALLS && table[nr].fn) {
        ret = table[nr].fn(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
    } else {
        log_unknown(nr);
        ret = -ENOSYS;
    }
    /* rt_sigreturn and a successful execve rewrite the whole frame: keep their rax.
     * -ERESTARTSYS stays in rax: signal delivery turns it into -EINTR or a restart. */
    if (nr != SYS_rt_sigreturn && !((nr == SYS_execve || nr == SYS_execveat) && ret == 0))
        tf->rax = ret;
    return_to_user(tf);
}
