/*
 * Signal delivery on the way back to user mode, and rt_sigreturn.
 * A handled signal gets Linux's x86-64 rt_sigframe on the user stack:
 * a return address (the SA_RESTORER trampoline, musl's __restore_rt), a
 * ucontext with every register and the old mask, a siginfo, and the FP
 * state; the handler runs as handler(sig, &info, &uc). rt_sigreturn puts
 * it all back, checking what user space may have changed.
 */
#include "signal/signal.h"
#include "proc/process.h"
#include "proc/proc_internal.h"
#include "sched/sched.h"
#include "sys/syscall.h"
#include "sys/sys_proc.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"

#define SA_NOCLDSTOP 0x00000001
#define SA_SIGINFO 0x00000004
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define RFLAGS_USER_MASK 0x40DD5ul /* CF PF AF ZF SF TF DF OF AC: what a handler may change */

void fpu_save(void *area);
void fpu_restore(const void *area);

struct sigcontext_k {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* user address of the fxsave area */
    uint64_t reserved1[8];
};

struct ucontext_k {
    uint64_t flags, link;
    uint64_t ss_sp;
    int32_t ss_flags, pad;
    uint64_t ss_size;
    struct sigcontext_k mc;
    uint64_t sigmask;
};

struct rt_sigframe {
    uint64_t pretcode;
    struct ucontext_k uc;
    int32_t info[32]; /* siginfo_t */
};

enum { ACT_TERM, ACT_CORE, ACT_IGNORE };

static int default_action(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case 23: /* SIGURG */
    case SIGWINCH:
    case SIGSTOP: /* Keel has no job-control stops: stop signals are ignored */
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return ACT_IGNORE;
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case 24: /* SIGXCPU */
    case 25: /* SIGXFSZ */
    case SIGSYS:
        return ACT_CORE;
    default:
        return ACT_TERM;
    }
}

/* Take the next deliverable signal off the pending masks (0 if none), with its origin. */
static int dequeue_signal(struct task *t, struct sig_origin *origin)
{
    struct process *p = t->proc;
    spin_lock(&p->lock);
    uint64_t pending = (t->sig_pending | p->sig_pending) & ~t->sig_blocked;
    int sig = 0;
    if (pending) {
        sig = (pending & SIGBIT(SIGKILL)) ? SIGKILL : __builtin_ctzl(pending) + 1;
        if (t->sig_pending & SIGBIT(sig))
            t->sig_pending &= ~SIGBIT(sig);
        else
            p->sig_pending &= ~SIGBIT(sig);
        *origin = p->sig_origin[sig - 1];
    }
    spin_unlock(&p->lock);
    return sig;
}

/* Build the frame and point tf at the handler: 0, or -EFAULT if the stack is bad. */
static int setup_frame(struct trapframe *tf, int sig, const struct sigaction_k *act, uint64_t old_mask,
                       const struct sig_origin *origin)
{
    struct task *t = current_task();
    uint64_t sp = tf->rsp - 128; /* skip the red zone */
    uint64_t fp_addr = (sp - 512) & ~63ul;
    uint64_t frame_addr = ((fp_addr - sizeof(struct rt_sigframe)) & ~15ul) - 8;
    struct rt_sigframe f;
    memset(&f, 0, sizeof f);
    f.pretcode = act->restorer;
    struct sigcontext_k *mc = &f.uc.mc;
    mc->r8 = tf->r8, mc->r9 = tf->r9, mc->r10 = tf->r10, mc->r11 = tf->r11;
    mc->r12 = tf->r12, mc->r13 = tf->r13, mc->r14 = tf->r14, mc->r15 = tf->r15;
    mc->rdi = tf->rdi, mc->rsi = tf->rsi, mc->rbp = tf->rbp, mc->rbx = tf->rbx;
    mc->rdx = tf->rdx, mc->rax = tf->rax, mc->rcx = tf->rcx, mc->rsp = tf->rsp;
    mc->rip = tf->rip, mc->eflags = tf->rflags;
    mc->cs = tf->cs, mc->ss = tf->ss;
    mc->trapno = tf->vector < 32 ? tf->vector : 0;
    mc->err = tf->vector < 32 ? tf->error : 0;
    mc->oldmask = old_mask;
    mc->fpstate = fp_addr;
    f.uc.ss_flags = 2; /* SS_DISABLE */
    f.uc.sigmask = old_mask;
    f.info[0] = sig;
    int fault = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
    if (fault && t->fault_addr) {
        f.info[2] = t->fault_code;
        memcpy(&f.info[4], &t->fault_addr, 8);
        mc->cr2 = t->fault_addr;
        t->fault_addr = 0;
    } else {
        f.info[2] = origin->code;
        f.info[4] = origin->pid;
        f.info[5] = origin->uid;
        f.info[6] = origin->status;
    }
    uint8_t fx[512] __attribute__((aligned(16)));
    fpu_save(fx); /* the user's live FP registers */
    if (copy_to_user(fp_addr, fx, sizeof fx) < 0 || copy_to_user(frame_addr, &f, sizeof f) < 0)
        return -EFAULT;
    tf->rdi = sig;
    tf->rsi = frame_addr + __builtin_offsetof(struct rt_sigframe, info);
    tf->rdx = frame_addr + __builtin_offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rsp = frame_addr;
    tf->rip = act->handler;
    tf->rflags &= ~((1ul << 8) | (1ul << 10)); /* the handler starts with TF and DF clear */
    return 0;
}

/* A system call interrupted with -ERESTARTSYS: restart it or make it fail with EINTR. */
static void fix_interrupted_syscall(struct trapframe *tf, int handler_restarts)
{
    if (tf->vector != SYSCALL_VECTOR || (long)tf->rax != -ERESTARTSYS)
        return;
    if (handler_restarts) {
        tf->rax = tf->error; /* the syscall number */
        tf->rip -= 2;        /* back onto the syscall instruction */
    } else {
        tf->rax = -EINTR;
    }
}

void signal_deliver(struct trapframe *tf)
{
    struct task *t = current_task();
    if (t->kill_requested)
        task_exit();
    struct process *p = t->proc;
    for (;;) {
        struct sig_origin origin = { 0, 0, 0, 0 };
        int sig = dequeue_signal(t, &origin);
        if (!sig)
            break;
        spin_lock(&p->sighand->lock);
        struct sigaction_k act = p->sighand->action[sig - 1];
        if (act.handler > 1 && (act.flags & SA_RESETHAND))
            p->sighand->action[sig - 1].handler = 0;
        spin_unlock(&p->sighand->lock);
        if (sig == SIGKILL || act.handler == 0) {
            int what = default_action(sig);
            if (sig == SIGKILL)
                what = ACT_TERM;
            if (what == ACT_IGNORE)
                continue;
            process_exit_group(sig); /* Keel writes no core files: no WCOREDUMP bit */
        }
        if (act.handler == 1) /* SIG_IGN */
            continue;
        fix_interrupted_syscall(tf, (act.flags & SA_RESTART) != 0);
        uint64_t old_mask = t->restore_blocked ? t->saved_blocked : t->sig_blocked;
        t->restore_blocked = 0;
        if (setup_frame(tf, sig, &act, old_mask, &origin) < 0)
            process_exit_group(SIGSEGV); /* no stack to run the handler on */
        t->sig_blocked |= act.mask | ((act.flags & SA_NODEFER) ? 0 : SIGBIT(sig));
        t->sig_blocked &= ~UNBLOCKABLE;
        return;
    }
    fix_interrupted_syscall(tf, 1); /* no handler ran: the call restarts */
    if (t->restore_blocked) {
        t->sig_blocked = t->saved_blocked;
        t->restore_blocked = 0;
    }
}

void return_to_user(struct trapframe *tf)
{
    if ((tf->cs & 3) == 0)
        return;
    signal_deliver(tf);
}

long sys_rt_sigreturn(void)
{
    struct task *t = current_task();
    struct trapframe *tf = t->tf;
    uint64_t frame_addr = tf->rsp - 8; /* the handler's `ret` popped pretcode */
    struct rt_sigframe f;
    uint8_t fx[512] __attribute__((aligned(16)));
    if (copy_from_user(&f, frame_addr, sizeof f) < 0)
        process_exit_group(SIGSEGV);
    struct sigcontext_k *mc = &f.uc.mc;
    if (mc->rip > USER_LIMIT || mc->rsp > USER_LIMIT) /* iretq would fault on a kernel address */
        process_exit_group(SIGSEGV);
    tf->r8 = mc->r8, tf->r9 = mc->r9, tf->r10 = mc->r10, tf->r11 = mc->r11;
    tf->r12 = mc->r12, tf->r13 = mc->r13, tf->r14 = mc->r14, tf->r15 = mc->r15;
    tf->rdi = mc->rdi, tf->rsi = mc->rsi, tf->rbp = mc->rbp, tf->rbx = mc->rbx;
    tf->rdx = mc->rdx, tf->rax = mc->rax, tf->rcx = mc->rcx, tf->rsp = mc->rsp, tf->rip = mc->rip;
    tf->rflags = (tf->rflags & ~RFLAGS_USER_MASK) | (mc->eflags & RFLAGS_USER_MASK);
    tf->cs = SEL_UCODE;
    tf->ss = SEL_UDATA;
    tf->vector = 0; /* not a syscall frame any more: no restart logic on the way out */
    if (mc->fpstate && copy_from_user(fx, mc->fpstate, sizeof fx) == 0) {
        uint32_t mxcsr;
        memcpy(&mxcsr, fx + 24, 4);
        mxcsr &= 0xFFBF; /* reserved MXCSR bits would make fxrstor fault in the kernel */
        memcpy(fx + 24, &mxcsr, 4);
        fpu_restore(fx);
    }
    t->sig_blocked = f.uc.sigmask & ~UNBLOCKABLE;
    return 0;
}

void signal_fault(int sig, int code, uint64_t addr)
{
    struct task *t = current_task();
    struct process *p = t->proc;
    /* A fault cannot be ignored or blocked: that would re-run the faulting instruction forever. */
    spin_lock(&p->sighand->lock);
    if (p->sighand->action[sig - 1].handler == 1 || (t->sig_blocked & SIGBIT(sig)))
        p->sighand->action[sig - 1].handler = 0;
    spin_unlock(&p->sighand->lock);
    t->sig_blocked &= ~SIGBIT(sig);
    t->fault_addr = addr;
    t->fault_code = code;
    signal_send_task(t, sig);
}
