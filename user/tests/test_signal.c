/*
 * test_signal: delivery, masks and the signal frame. A handler runs before
 * kill() returns to the sender-self; SA_SIGINFO fields; a blocked signal
 * stays pending until unblocked; the handler's own signal is masked while
 * it runs; rt_sigreturn restores every register the interrupted code had
 * (after a syscall and when interrupted asynchronously); SIGCHLD; EINTR and
 * SA_RESTART on a blocking read; faults become SIGSEGV/SIGFPE/SIGILL with
 * si_addr; error cases of kill and sigaction.
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static volatile int last_signo, last_code, last_pid, mask_had_self, child_status_seen;

static void on_signal(int sig)
{
    hits++;
    last_signo = sig;
}

static void on_siginfo(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    last_signo = sig;
    last_code = si->si_code;
    last_pid = si->si_pid;
    if (sig == SIGCHLD)
        child_status_seen = si->si_status;
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    mask_had_self = sigismember(&now, sig);
}

static void handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa = {.sa_handler = fn, .sa_flags = flags};
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void handle_info(int sig, int flags)
{
    struct sigaction sa = {.sa_sigaction = on_siginfo, .sa_flags = SA_SIGINFO | flags};
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void test_handler_runs(void)
{
    handle(SIGUSR1, on_signal, 0);
    hits = 0;
    kill(getpid(), SIGUSR1);
    t_check("signal-handler-runs", hits == 1 && last_signo == SIGUSR1, "hits %d signo %d", (int)hits, last_signo);
    handle_info(SIGUSR1, 0);
    hits = 0;
    kill(getpid(), SIGUSR1);
    t_check("signal-siginfo", hits == 1 && last_code == SI_USER && last_pid == getpid(), "code %d pid %d", last_code,
            last_pid);
    t_check("signal-masked-in-handler", mask_had_self, "the signal was not blocked while its handler ran");
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    t_check("signal-mask-restored", !sigismember(&now, SIGUSR1), "SIGUSR1 still blocked after the handler");
    handle(SIGUSR2, SIG_IGN, 0);
    kill(getpid(), SIGUSR2);
    t_ok("signal-ignored");
    handle(SIGUSR2, SIG_DFL, 0);
}

static void test_mask(void)
{
    handle(SIGUSR1, on_signal, 0);
    sigset_t block, old, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    hits = 0;
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    sigpending(&pending);
    t_check("sigprocmask-blocks", hits == 0 && sigismember(&pending, SIGUSR1), "hits %d", (int)hits);
    sigprocmask(SIG_SETMASK, &old, NULL);
    t_check("sigprocmask-unblock-delivers-once", hits == 1, "hits %d (standard signals do not queue)", (int)hits);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    sigset_t now;
    sigprocmask(SIG_SETMASK, &old, &now);
    t_check("sigkill-cannot-be-blocked", !sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP),
            "SIGKILL or SIGSTOP is in the mask");
}

/*
 * Registers across a signal delivered on the way out of a syscall: the
 * kernel may clobber only rax, rcx and r11; the handler clobbers more.
 */
static void clobbering_handler(int sig)
{
    hits++;
    (void)sig;
    __asm__ volatile("mov $-1, %%rdi\n mov $-1, %%rsi\n mov $-1, %%rdx\n mov $-1, %%r8\n"
                     "mov $-1, %%r9\n mov $-1, %%r10\n mov $-1, %%rbx\n mov $-1, %%r12\n"
                     "mov $-1, %%r13\n mov $-1, %%r14\n mov $-1, %%r15\n"
                     ::: "rdi", "rsi", "rdx", "r8", "r9", "r10", "rbx", "r12", "r13", "r14", "r15", "memory");
}

static void test_sigreturn_after_syscall(void)
{
    handle(SIGUSR1, clobbering_handler, 0);
    hits = 0;
    uint64_t out[11];
    long pid = getpid();
    __asm__ volatile(
        "sub $128, %%rsp\n" /* step over the red zone */
        "push %%rbx\n push %%r12\n push %%r13\n push %%r14\n push %%r15\n push %%rbp\n"
        "push %[out]\n"
        "mov %[pid], %%rdi\n mov %[sig], %%rsi\n"
        "mov $0x1111, %%rdx\n mov $0x2222, %%r10\n mov $0x3333, %%r8\n mov $0x4444, %%r9\n"
        "mov $0x5555, %%rbx\n mov $0x6666, %%r12\n mov $0x7777, %%r13\n mov $0x8888, %%r14\n"
        "mov $0x9999, %%r15\n"
        "mov %[nr], %%eax\n syscall\n"
        "pop %%rax\n"
        "mov %%rdi, 0(%%rax)\n mov %%rsi, 8(%%rax)\n mov %%rdx, 16(%%rax)\n mov %%r10, 24(%%rax)\n"
        "mov %%r8, 32(%%rax)\n mov %%r9, 40(%%rax)\n mov %%rbx, 48(%%rax)\n mov %%r12, 56(%%rax)\n"
        "mov %%r13, 64(%%rax)\n mov %%r14, 72(%%rax)\n mov %%r15, 80(%%rax)\n"
        "pop %%rbp\n pop %%r15\n pop %%r14\n pop %%r13\n pop %%r12\n pop %%rbx\n"
        "add $128, %%rsp\n"
        :
        : [out] "r"(out), [pid] "r"(pid), [sig] "i"(SIGUSR1), [nr] "i"(SYS_kill)
        : "rax", "rcx", "r11", "rdi", "rsi", "rdx", "r8", "r9", "r10", "memory");
    uint64_t want[11] = {(uint64_t)pid, SIGUSR1, 0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666, 0x7777, 0x8888, 0x9999};
    static const char *names[11] = {"rdi", "rsi", "rdx", "r10", "r8", "r9", "rbx", "r12", "r13", "r14", "r15"};
    int bad = -1;
    for (int i = 0; i < 11; i++)
        if (out[i] != want[i] && bad < 0)
            bad = i;
    t_check("sigreturn-restores-registers-syscall", hits == 1 && bad < 0, "hits %d, %s = %#lx", (int)hits,
            bad >= 0 ? names[bad] : "-", bad >= 0 ? (unsigned long)out[bad] : 0ul);
}

/*
 * Registers across signals that interrupt a busy loop: a child keeps
 * sending SIGUSR1 while the loop checks its registers on every iteration.
 */
static int busy_loop_with_registers(long iterations)
{
    long bad;
    __asm__ volatile(
        "sub $128, %%rsp\n" /* step over the red zone */
        "push %%rbx\n push %%r12\n push %%r13\n push %%r14\n push %%r15\n"
        "mov $0x5555, %%rbx\n mov $0x6666, %%r12\n mov $0x7777, %%r13\n mov $0x8888, %%r14\n"
        "mov $0x9999, %%r15\n mov $0x1111, %%rdi\n mov $0x2222, %%rsi\n mov $0x3333, %%r8\n"
        "mov $0x4444, %%r9\n mov $0xaaaa, %%r10\n mov $0xbbbb, %%r11\n mov $0xcccc, %%rdx\n"
        "xor %%rax, %%rax\n"
        "1:\n"
        "cmp $0x5555, %%rbx\n jne 2f\n cmp $0x6666, %%r12\n jne 2f\n cmp $0x7777, %%r13\n jne 2f\n"
        "cmp $0x8888, %%r14\n jne 2f\n cmp $0x9999, %%r15\n jne 2f\n cmp $0x1111, %%rdi\n jne 2f\n"
        "cmp $0x2222, %%rsi\n jne 2f\n cmp $0x3333, %%r8\n jne 2f\n cmp $0x4444, %%r9\n jne 2f\n"
        "cmp $0xaaaa, %%r10\n jne 2f\n cmp $0xbbbb, %%r11\n jne 2f\n cmp $0xcccc, %%rdx\n jne 2f\n"
        "dec %%rcx\n jnz 1b\n"
        "jmp 3f\n"
        "2: mov $1, %%rax\n"
        "3:\n"
        "pop %%r15\n pop %%r14\n pop %%r13\n pop %%r12\n pop %%rbx\n"
        "add $128, %%rsp\n"
        : "=a"(bad), "+c"(iterations)
        :
        : "rdi", "rsi", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
    return (int)bad;
}

static void test_sigreturn_async(void)
{
    handle(SIGUSR1, clobbering_handler, 0);
    hits = 0;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 400; i++) {
            kill(parent, SIGUSR1);
            t_msleep(5);
        }
        _exit(0);
    }
    int bad = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        bad |= busy_loop_with_registers(2000000);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (hits < 20 && !bad && now.tv_sec - start.tv_sec < 20);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    t_check("sigreturn-restores-registers-async", !bad && hits >= 1, "a register changed: %d, %d signals arrived",
            bad, (int)hits);
}

static void test_sigchld(void)
{
    handle_info(SIGCHLD, SA_RESTART);
    hits = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(17);
    int st;
    waitpid(pid, &st, 0);
    t_check("sigchld-on-exit", hits >= 1 && last_signo == SIGCHLD && last_pid == pid && last_code == CLD_EXITED &&
                                   child_status_seen == 17,
            "hits %d signo %d pid %d code %d status %d", (int)hits, last_signo, last_pid, last_code,
            child_status_seen);
    handle(SIGCHLD, SIG_DFL, 0);
}

/* A child sends SIGUSR1 every 30 ms; the parent blocks in read on an empty pipe. */
static void test_eintr_and_restart(void)
{
    for (int restart = 0; restart <= 1; restart++) {
        int p[2];
        if (pipe(p) < 0)
            return;
        handle(SIGUSR1, on_signal, restart ? SA_RESTART : 0);
        hits = 0;
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0; i < (restart ? 3 : 300); i++) {
                t_msleep(30);
                kill(parent, SIGUSR1);
            }
            t_msleep(30);
            _exit(write(p[1], "z", 1) == 1 ? 0 : 1);
        }
        char c = 0;
        ssize_t r = read(p[0], &c, 1);
        int e = errno;
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (restart)
            t_check("sa-restart-restarts-read", r == 1 && c == 'z' && hits >= 1, "read %zd (%s), %d signals", r,
                    t_errname(e), (int)hits);
        else
            t_check("eintr-interrupts-read", r == -1 && e == EINTR && hits >= 1, "read %zd (%s), %d signals", r,
                    t_errname(e), (int)hits);
        close(p[0]);
        close(p[1]);
    }
}

/* Read through volatile storage so the compiler cannot see the bad addresses. */
static volatile uintptr_t fault_targets[] = {8, 0xffff800000001000ul, 0x1238};

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    (void)uc;
    _exit(sig);
}

/* In a child: a handler that reports si_addr, or the default action. */
static void test_faults(void)
{
    static const struct { const char *name; int sig; int kind; } cases[] = {
        {"sigsegv-null-read", SIGSEGV, 0},  {"sigsegv-kernel-address", SIGSEGV, 1},
        {"sigfpe-divide-by-zero", SIGFPE, 2}, {"sigill-ud2", SIGILL, 3},
        {"sigsegv-write-to-code", SIGSEGV, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int with_handler = 0; with_handler <= 1; with_handler++) {
            int p[2];
            if (pipe(p) < 0)
                return;
            pid_t pid = fork();
            if (pid == 0) {
                if (with_handler) {
                    struct sigaction sa = {.sa_sigaction = on_fault, .sa_flags = SA_SIGINFO};
                    sigaction(cases[i].sig, &sa, NULL);
                }
                volatile int zero = 0;
                switch (cases[i].kind) {
                case 0: zero = *(volatile int *)fault_targets[0]; break;
                case 1: zero = *(volatile int *)fault_targets[1]; break;
                case 2: zero = 5 / zero; break;
                case 3: __asm__ volatile("ud2"); break;
                case 4: *(volatile char *)(uintptr_t)t_ok = 0; break;
                }
                _exit(100);
            }
            close(p[0]);
            close(p[1]);
            int st = -1;
            waitpid(pid, &st, 0);
            char name[80];
            snprintf(name, sizeof name, "%s%s", cases[i].name, with_handler ? "-handler" : "-default");
            if (with_handler)
                t_check(name, WIFEXITED(st) && WEXITSTATUS(st) == cases[i].sig, "child: %s (want exit %d)",
                        t_status(st), cases[i].sig);
            else
                t_check(name, WIFSIGNALED(st) && WTERMSIG(st) == cases[i].sig, "child: %s (want signal %d)",
                        t_status(st), cases[i].sig);
        }
    }
}

static void on_addr(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    _exit(si->si_addr == (void *)0x1238 ? 0 : 1);
}

static void test_si_addr(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = {.sa_sigaction = on_addr, .sa_flags = SA_SIGINFO};
        sigaction(SIGSEGV, &sa, NULL);
        (void)*(volatile int *)fault_targets[2];
        _exit(2);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    t_check("sigsegv-si-addr", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s (exit 1 = wrong si_addr)",
            t_status(st));
}

static void test_errors(void)
{
    errno = 0;
    t_errno("kill-bad-signal-einval", kill(getpid(), 65), EINVAL);
    struct sigaction sa = {.sa_handler = on_signal};
    t_errno("sigaction-sigkill-einval", sigaction(SIGKILL, &sa, NULL), EINVAL);
    t_errno("sigaction-sigstop-einval", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    t_errno("sigaction-zero-einval", syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
    t_check("kill-zero-checks-existence", kill(getpid(), 0) == 0, "%s", t_errname(errno));
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    t_errno("kill-gone-process-esrch", kill(pid, 0), ESRCH);
}

int main(void)
{
    t_begin("test_signal");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    test_handler_runs();
    test_mask();
    test_sigreturn_after_syscall();
    test_sigreturn_async();
    test_sigchld();
    test_eintr_and_restart();
    test_faults();
    test_si_addr();
    test_errors();
    return t_end();
}
