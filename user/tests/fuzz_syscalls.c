/*
 * fuzz_syscalls SEED COUNT [-v | -vv] [-b N] [-j N] [-t N]: COUNT system calls, chosen and argued by a
 * seeded generator, so a crash is reproducible from its seed.
 *
 * Calls come from a list of ones that are safe for the machine running the
 * fuzzer (never exit, kill, reboot, clone, settimeofday...), with arguments
 * drawn per kind: file descriptors, valid and bad pointers (NULL, 1, kernel
 * and non-canonical addresses, unmapped pages, a buffer's last bytes),
 * lengths up to absurd ones, paths from a small pool inside the scratch
 * directory, flags. Anything that could block forever is bounded (pipes are
 * non-blocking, waits get WNOHANG, sleeps and timeouts are tiny). Forks are
 * bounded and the children exit at once.
 *
 * The calls run in batches of 1000, each in a child process with its fds
 * 0-2 on /dev/null, so a batch that ruins its own address space (munmap,
 * a garbage signal handler) just ends; the parent counts how batches ended,
 * kills one that hangs, and prints `fuzz_syscalls: N calls, seed S, survived`.
 * -v tells how each batch ended, -vv also prints every call before making
 * it, -b N starts at batch N: `fuzz_syscalls S 1000 -vv -b N -j 1` replays
 * one (with -t 1; threads interleave differently each run). -j N runs N
 * batches at once (default 2) and -t N splits each batch among N threads of
 * its process (default 2), so several CPUs call into the kernel together.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { BATCH = 1000, REGION_PAGES = 16, MAX_FORKS = 3, HANG_SECONDS = 30 };

/* ---- the generator: splitmix64, one stream per batch ---- */

static __thread uint64_t rng;          /* each thread draws from its own stream */

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return next() % n;
}

/* ---- the batch child's world ---- */

static unsigned char *region;           /* REGION_PAGES pages the calls may clobber, unmap, protect */
static char names[8][64];               /* random path names: outside region, so always writable */
static uint64_t iovs[16][8];            /* iovec arrays, likewise */
static uintptr_t unmapped_page;
static struct timespec tiny_ts_storage = {0, 1000};
static struct timespec *const tiny_ts = &tiny_ts_storage;  /* outside region: calls cannot enlarge it */
static int forks_left;                 /* shared by the batch's threads */
static int threads = 2;                /* -t N: threads per batch */
static int workers_done;
static int trace_fd = -1;               /* -vv: each call on stderr, before it runs */
static int verbose;                     /* -v: how each batch ended */
enum { TRACE_FD = 200 };                /* above the batch's fd limit: calls cannot close it */

static const char *const paths[] = {
    "f0", "f1", "f2", "d0", "d0/f3", "d0/d1", "new", "d0/new", ".", "f0/x", "",
};  /* relative only, never "..": as root on the host, unlink("/dev/null") would be real */

enum kind {
    K_NONE, K_FD, K_BUF, K_LEN, K_PATH, K_FLAGS, K_INT, K_MODE, K_SIG, K_PID, K_WHENCE, K_TS,
    K_CLOCK, K_IOV, K_ADDR, K_BADPTR, K_SIZE8,
};

static uintptr_t bad_pointer(void)
{
    static const uintptr_t bad[] = {0, 1, 0x0000800000000000ul, 0xffff800000000000ul, 0xffffffff80000000ul,
                                    0xfffffffffffff000ul, 0xffff888000000000ul, 0x7ffffffff000ul};
    uint64_t i = below(sizeof bad / sizeof bad[0] + 2);
    if (i == sizeof bad / sizeof bad[0])
        return unmapped_page + below(4096);
    if (i > sizeof bad / sizeof bad[0])
        return next();
    return bad[i];
}

static uintptr_t buffer_pointer(void)
{
    switch (below(6)) {
    case 0:
        return bad_pointer();
    case 1:
        return (uintptr_t)region + REGION_PAGES * 4096 - below(64); /* runs off the end */
    default:
        return (uintptr_t)region + below(REGION_PAGES * 4096);
    }
}

static uint64_t length(void)
{
    static const uint64_t lens[] = {0, 1, 8, 64, 4096, 65536, 1ul << 20, 1ul << 40, (uint64_t)-1, 0x7fffffff};
    return below(3) ? below(8192) : lens[below(sizeof lens / sizeof lens[0])];
}

/* A path: from the pool, random bytes without '/', or a bad pointer. */
static uintptr_t path_arg(void)
{
    uint64_t r = below(10);
    if (r < 7)
        return (uintptr_t)paths[below(sizeof paths / sizeof paths[0])];
    if (r < 9) {
        char *s = names[below(8)];
        size_t n = 1 + below(40);
        for (size_t i = 0; i < n; i++) {
            char c = (char)(1 + below(255));
            s[i] = c == '/' ? '_' : c;
        }
        s[n] = 0;
        if (!strcmp(s, "..") || !strcmp(s, "."))
            s[0] = 'x';
        return (uintptr_t)s;
    }
    return bad_pointer();
}

static uintptr_t iov_arg(void)
{
    if (below(4) == 0)
        return bad_pointer();
    struct { uintptr_t base; uint64_t len; } *iov = (void *)iovs[below(16)];
    for (int i = 0; i < 4; i++) {
        iov[i].base = buffer_pointer();
        iov[i].len = below(4) ? below(512) : length();
    }
    return (uintptr_t)iov;
}

static uint64_t arg(enum kind k)
{
    switch (k) {
    case K_NONE: return 0;
    case K_FD: return below(8) == 0 ? (uint64_t)(int)next() : below(16) - (below(8) == 0);
    case K_BUF: return buffer_pointer();
    case K_LEN: return length();
    case K_PATH: return path_arg();
    case K_FLAGS: return below(2) ? below(4) : (below(2) ? (uint32_t)next() : next());
    case K_INT: return below(2) ? below(16) : next();
    case K_MODE: return below(010000);
    case K_SIG: return below(70);
    case K_PID: { uint64_t r = below(4); return r == 0 ? 0 : r == 1 ? (uint64_t)getpid() : r == 2 ? 99999 : next(); }
    case K_WHENCE: return below(6);
    case K_TS: return below(4) ? (uintptr_t)tiny_ts : bad_pointer() | 1;   /* never NULL: no forever */
    case K_CLOCK: return below(3) ? below(8) : next();
    case K_IOV: return iov_arg();
    case K_ADDR: return below(3) ? (uintptr_t)region + below(REGION_PAGES) * 4096 : bad_pointer();
    case K_BADPTR: { uintptr_t p; do p = bad_pointer(); while (!p); return p; }
    case K_SIZE8: return below(4) ? 8 : next();
    }
    return 0;
}

struct call {
    long nr;
    enum kind k[6];
};

#define C(nr, ...) {nr, {__VA_ARGS__}}
static const struct call calls[] = {
    C(SYS_read, K_FD, K_BUF, K_LEN), C(SYS_write, K_FD, K_BUF, K_LEN),
    C(SYS_readv, K_FD, K_IOV, K_INT), C(SYS_writev, K_FD, K_IOV, K_INT),
    C(SYS_pread64, K_FD, K_BUF, K_LEN, K_INT), C(SYS_pwrite64, K_FD, K_BUF, K_LEN, K_INT),
    C(SYS_open, K_PATH, K_FLAGS, K_MODE), C(SYS_openat, K_FD, K_PATH, K_FLAGS, K_MODE),
    C(SYS_close, K_FD), C(SYS_lseek, K_FD, K_INT, K_WHENCE),
    C(SYS_stat, K_PATH, K_BUF), C(SYS_lstat, K_PATH, K_BUF), C(SYS_fstat, K_FD, K_BUF),
    C(SYS_newfstatat, K_FD, K_PATH, K_BUF, K_FLAGS), C(SYS_getdents64, K_FD, K_BUF, K_LEN),
    C(SYS_dup, K_FD), C(SYS_dup2, K_FD, K_FD), C(SYS_dup3, K_FD, K_FD, K_FLAGS),
    C(SYS_pipe, K_BUF), C(SYS_pipe2, K_BUF, K_FLAGS), C(SYS_fcntl, K_FD, K_INT, K_INT),
    C(SYS_ioctl, K_FD, K_INT, K_BUF), C(SYS_brk, K_ADDR),
    C(SYS_mmap, K_ADDR, K_LEN, K_FLAGS, K_FLAGS, K_FD, K_INT), C(SYS_munmap, K_ADDR, K_LEN),
    C(SYS_mprotect, K_ADDR, K_LEN, K_FLAGS), C(SYS_fork), C(SYS_execve, K_BADPTR, K_BUF, K_BUF),
    C(SYS_wait4, K_PID, K_BUF, K_FLAGS, K_BUF), C(SYS_waitid, K_INT, K_PID, K_BUF, K_FLAGS, K_BUF),
    C(SYS_rt_sigaction, K_SIG, K_BUF, K_BUF, K_SIZE8), C(SYS_rt_sigprocmask, K_INT, K_BUF, K_BUF, K_SIZE8),
    C(SYS_rt_sigpending, K_BUF, K_SIZE8), C(SYS_getpid), C(SYS_getppid), C(SYS_gettid),
    C(SYS_set_tid_address, K_BUF), C(SYS_arch_prctl, K_INT, K_BUF), C(SYS_uname, K_BUF),
    C(SYS_clock_gettime, K_CLOCK, K_BUF), C(SYS_gettimeofday, K_BUF, K_BUF),
    C(SYS_nanosleep, K_TS, K_BUF), C(SYS_clock_nanosleep, K_CLOCK, K_FLAGS, K_TS, K_BUF),
    C(SYS_getrandom, K_BUF, K_LEN, K_FLAGS), C(SYS_sched_yield), C(SYS_getcwd, K_BUF, K_LEN),
    C(SYS_fchdir, K_FD), C(SYS_mkdir, K_PATH, K_MODE), C(SYS_mkdirat, K_FD, K_PATH, K_MODE),
    C(SYS_rmdir, K_PATH), C(SYS_unlink, K_PATH), C(SYS_unlinkat, K_FD, K_PATH, K_FLAGS),
    C(SYS_rename, K_PATH, K_PATH), C(SYS_renameat, K_FD, K_PATH, K_FD, K_PATH), C(SYS_link, K_PATH, K_PATH),
    C(SYS_umask, K_MODE), C(SYS_setpgid, K_PID, K_PID), C(SYS_getpgid, K_PID), C(SYS_setsid),
    C(SYS_getsid, K_PID), C(SYS_getuid), C(SYS_geteuid), C(SYS_getgid), C(SYS_getegid),
    C(SYS_prlimit64, K_NONE, K_INT, K_BUF, K_BUF), C(SYS_poll, K_BUF, K_INT, K_INT),
    C(SYS_ppoll, K_BUF, K_INT, K_TS, K_BUF, K_SIZE8), C(SYS_futex, K_BUF, K_INT, K_INT, K_TS, K_BUF, K_INT),
    C(SYS_ftruncate, K_FD, K_LEN), C(SYS_access, K_PATH, K_INT), C(SYS_readlink, K_PATH, K_BUF, K_LEN),
    C(SYS_chmod, K_PATH, K_MODE), C(SYS_getrusage, K_INT, K_BUF), C(SYS_times, K_BUF),
    C(SYS_getpgrp), C(SYS_sched_getaffinity, K_NONE, K_LEN, K_BUF),
    C(600, K_INT, K_INT, K_INT), C(999, K_BUF, K_BUF), C(-1), C(0x7fffffff, K_INT),
};

/* Keeps a call from blocking forever or from reaching outside the batch child. */
static void tame(long nr, uint64_t a[6])
{
    switch (nr) {
    case SYS_fcntl: {
        static const uint64_t cmds[] = {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, 12345};
        a[1] = cmds[below(sizeof cmds / sizeof cmds[0])];
        if (a[1] == F_SETFL)
            a[2] |= O_NONBLOCK;
        break;
    }
    case SYS_ioctl: {
        static const uint64_t cmds[] = {0x5401 /* TCGETS */, 0x5402 /* TCSETS */, 0x5413 /* TIOCGWINSZ */,
                                        0x540f /* TIOCGPGRP */, 0x5410 /* TIOCSPGRP */, 0x541b /* FIONREAD */,
                                        0x12345678};
        a[1] = cmds[below(sizeof cmds / sizeof cmds[0])];
        break;
    }
    case SYS_pipe2:
        a[1] |= O_NONBLOCK;
        break;
    case SYS_mmap:
        a[3] &= ~(uint64_t)(0x8000 | 0x2000 | 0x40000 | 0x100 | 0x100000);   /* POPULATE LOCKED HUGETLB GROWSDOWN FIXED_NOREPLACE */
        if ((a[3] & MAP_FIXED) && (a[0] < (uintptr_t)region || a[0] >= (uintptr_t)region + REGION_PAGES * 4096))
            a[3] &= ~(uint64_t)MAP_FIXED;
        if ((a[3] & MAP_FIXED) && a[1] > (uintptr_t)region + REGION_PAGES * 4096 - a[0])
            a[1] = (uintptr_t)region + REGION_PAGES * 4096 - a[0];   /* never over the guard or beyond */
        if (a[1] > (64ul << 20) && a[1] < (1ul << 40))
            a[1] = 64ul << 20;
        break;
    case SYS_munmap:
    case SYS_mprotect:
        if (a[0] >= (uintptr_t)region && a[0] < (uintptr_t)region + REGION_PAGES * 4096 &&
            a[1] > (uintptr_t)region + REGION_PAGES * 4096 - a[0])
            a[1] = (uintptr_t)region + REGION_PAGES * 4096 - a[0];   /* only the region, never the program */
        if (a[0] < (uintptr_t)region || a[0] >= (uintptr_t)region + REGION_PAGES * 4096)
            a[0] = bad_pointer() | 0xfff;   /* never our own code or stack */
        break;
    case SYS_wait4:
        a[2] |= WNOHANG;
        break;
    case SYS_waitid:
        a[3] |= WNOHANG;
        a[0] = below(4);
        break;
    case SYS_prlimit64:
        a[0] = 0;
        a[1] = below(16);
        if (a[1] == RLIMIT_CPU || a[1] == RLIMIT_STACK)
            a[2] = 0;                       /* do not lower these */
        break;
    case SYS_arch_prctl:
        a[0] = below(2) ? 0x1003 /* GET_FS */ : 0x1004 /* GET_GS */;
        break;
    case SYS_futex: {
        static const uint64_t ops[] = {0, 1, 9, 10, 128, 129, 137, 138, 77};   /* WAIT WAKE *_BITSET, private */
        a[1] = ops[below(sizeof ops / sizeof ops[0])];
        a[3] = arg(K_TS);
        if (a[1] % 128 == 9)
            a[5] = 0xffffffff;
        break;
    }
    case SYS_poll:
        a[1] = below(8);
        a[2] = below(3);                    /* at most 2 ms */
        break;
    case SYS_ppoll:
        a[1] = below(8);
        break;
    case SYS_clock_nanosleep: {
        /* Not the CPU-time clocks: a sleeping process's CPU time never advances. */
        static const uint64_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, 99, (uint64_t)-1};
        a[0] = clocks[below(sizeof clocks / sizeof clocks[0])];
        a[1] &= 1;                          /* TIMER_ABSTIME or not; tiny either way */
        break;
    }
    case SYS_getrandom:
        a[2] = (a[2] & 7) | 1;              /* GRND_NONBLOCK */
        break;
    case SYS_rt_sigaction:
        if (a[0] == SIGALRM || a[0] == SIGVTALRM)
            a[1] = 0;
        break;
    case SYS_setsid:
    case SYS_setpgid:
        break;
    }
}

/* A fresh pipe must not block its reader: we hold the write end ourselves. */
static void after(long nr, uint64_t a[6], long r)
{
    if ((nr == SYS_pipe || nr == SYS_pipe2) && r == 0 && a[0] >= (uintptr_t)region &&
        a[0] + 8 <= (uintptr_t)region + REGION_PAGES * 4096) {
        int fds[2];
        memcpy(fds, (void *)a[0], sizeof fds);
        for (int i = 0; i < 2; i++) {
            int fl = fcntl(fds[i], F_GETFL);
            if (fl >= 0)
                fcntl(fds[i], F_SETFL, fl | O_NONBLOCK);
        }
    }
}

static void setup_batch_child(void)
{
    if (trace_fd >= 0)
        trace_fd = dup2(2, TRACE_FD);
    for (int fd = 0; fd < 256; fd++)
        if (fd != trace_fd)
            close(fd);
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    /* PROT_NONE guard pages on both sides: a buffer that runs off the region
     * faults (EFAULT) instead of landing in whatever the kernel mapped next,
     * such as a thread's stack. */
    unsigned char *guarded = mmap(NULL, (REGION_PAGES + 2) * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guarded == MAP_FAILED)
        _exit(90);
    region = guarded + 4096;
    if (mprotect(region, REGION_PAGES * 4096, PROT_READ | PROT_WRITE) < 0)
        _exit(90);
    for (size_t i = 0; i < REGION_PAGES * 4096; i += 8) {
        uint64_t v = next();
        memcpy(region + i, &v, 8);
    }
    void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, 4096);
    unmapped_page = (uintptr_t)hole;
    mkdir("d0", 0755);
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "f%d", i);
        int fd = open(name, O_RDWR | O_CREAT, 0644);
        if (fd >= 0 && write(fd, "some bytes\n", 11) < 0)
            _exit(91);
    }
    int p[2];
    if (pipe2(p, O_NONBLOCK) < 0)
        _exit(92);
    open(".", O_RDONLY | O_DIRECTORY);
    open("d0", O_RDONLY | O_DIRECTORY);
    open("/dev/zero", O_RDONLY);
    struct rlimit fsize = {16 << 20, 16 << 20}, nofile = {64, 64};
    setrlimit(RLIMIT_FSIZE, &fsize);
    setrlimit(RLIMIT_NOFILE, &nofile);
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    forks_left = MAX_FORKS;
}

/* n calls from the stream seeded by (seed, batch, thread k). */
static void fuzz_stream(uint64_t seed, uint64_t batch, long n, int k)
{
    rng = seed * 0x100000001b3ull + batch + ((uint64_t)k << 40);
    for (long i = 0; i < n; i++) {
        const struct call *c = &calls[below(sizeof calls / sizeof calls[0])];
        uint64_t a[6];
        for (int j = 0; j < 6; j++)
            a[j] = arg(c->k[j]);
        tame(c->nr, a);
        if (c->nr == SYS_fork && __atomic_fetch_sub(&forks_left, 1, __ATOMIC_RELAXED) <= 0)
            continue;
        if (trace_fd >= 0)
            dprintf(trace_fd, "batch %lu thread %d call %ld: syscall(%ld, %#lx, %#lx, %#lx, %#lx, %#lx, %#lx)\n",
                    (unsigned long)batch, k, i, c->nr, (unsigned long)a[0], (unsigned long)a[1],
                    (unsigned long)a[2], (unsigned long)a[3], (unsigned long)a[4], (unsigned long)a[5]);
        long r = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (c->nr == SYS_fork && r == 0)
            syscall(SYS_exit_group, 0);
        after(c->nr, a, r);
    }
}

struct stream {
    uint64_t seed, batch;
    long n;
    int k;
};

static void *worker(void *arg)
{
    struct stream *st = arg;
    fuzz_stream(st->seed, st->batch, st->n, st->k);
    __atomic_add_fetch(&workers_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/*
 * One batch: its calls shared among `threads` threads of one process, so
 * that calls race on one fd table and one address space. The workers are
 * not joined (a fuzzed set_tid_address would break pthread_join): the main
 * thread waits for their counter, then exit_group ends everything.
 */
static void run_batch(uint64_t seed, uint64_t batch, long n)
{
    rng = seed * 0x100000001b3ull + batch;
    setup_batch_child();
    static struct stream streams[8];
    int started = 0;
    for (int k = 1; k < threads && k < 8; k++) {
        streams[k] = (struct stream){seed, batch, n / threads, k};
        pthread_t t;
        if (pthread_create(&t, NULL, worker, &streams[k]) == 0)
            started++;
    }
    fuzz_stream(seed, batch, n - (long)started * (n / threads), 0);
    for (int ms = 0; ms < 20000 && __atomic_load_n(&workers_done, __ATOMIC_ACQUIRE) < started; ms++)
        t_msleep(1);
    /* Collect our own children before leaving. */
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    _exit(0);
}

/* A batch running in a child process. */
struct slot {
    pid_t pid;                          /* 0: free */
    uint64_t batch;
    long calls;
    struct timespec started;
    int killed;
};

struct totals {
    long done, batches, by_signal, hangs;
};

static void finished(struct slot *s, int st, struct totals *tot)
{
    tot->hangs += s->killed;
    if (WIFSIGNALED(st) && !s->killed)
        tot->by_signal++;
    if (verbose)
        t_note("batch %lu: %s%s", (unsigned long)s->batch, t_status(st), s->killed ? " (hung, killed)" : "");
    tot->done += s->calls;
    tot->batches++;
    s->pid = 0;
}

/*
 * Runs the batches, `jobs` at a time (so that several CPUs make calls into
 * the kernel at once), killing any that runs past HANG_SECONDS. waitpid(-1)
 * also reaps orphans, which are ours when we run as PID 1.
 */
static void run_batches(uint64_t seed, uint64_t first, long count, int jobs, struct totals *tot)
{
    struct slot slots[16] = {0};
    long launched = 0;
    uint64_t next_batch = first;
    for (;;) {
        int running = 0;
        for (int i = 0; i < jobs; i++) {
            if (!slots[i].pid && launched < count) {
                long n = count - launched < BATCH ? count - launched : BATCH;
                pid_t pid = fork();
                if (pid == 0)
                    run_batch(seed, next_batch, n);
                if (pid < 0) {
                    t_note("fork failed: %s", t_errname(errno));
                    t_msleep(100);
                    continue;
                }
                slots[i] = (struct slot){.pid = pid, .batch = next_batch++, .calls = n};
                clock_gettime(CLOCK_MONOTONIC, &slots[i].started);
                launched += n;
            }
            running += slots[i].pid != 0;
        }
        if (!running)
            return;
        int st;
        pid_t r;
        while ((r = waitpid(-1, &st, WNOHANG | WUNTRACED)) > 0) {
            for (int i = 0; i < jobs; i++) {
                if (slots[i].pid != r)
                    continue;
                if (WIFSTOPPED(st)) {   /* stopped by a signal it fuzzed itself into: end it */
                    if (verbose)
                        t_note("batch %lu: stopped by signal %d", (unsigned long)slots[i].batch, WSTOPSIG(st));
                    slots[i].killed = 1;
                    kill(r, SIGKILL);
                } else {
                    finished(&slots[i], st, tot);
                }
            }
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (int i = 0; i < jobs; i++) {
            if (slots[i].pid && !slots[i].killed && now.tv_sec - slots[i].started.tv_sec > HANG_SECONDS) {
                slots[i].killed = 1;
                kill(slots[i].pid, SIGKILL);
            }
        }
        t_msleep(2);
    }
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    long count = argc > 2 ? strtol(argv[2], NULL, 0) : 10000;
    uint64_t first = 0;                 /* -b N: start at batch N, to replay one */
    int jobs = 2;                       /* -j N: batches at once */
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else if (!strcmp(argv[i], "-vv"))
            verbose = 1, trace_fd = 2;
        else if (!strcmp(argv[i], "-b") && i + 1 < argc)
            first = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-j") && i + 1 < argc)
            jobs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc)
            threads = atoi(argv[++i]);
    }
    if (jobs < 1 || jobs > 16)
        jobs = jobs < 1 ? 1 : 16;
    if (threads < 1 || threads > 8)
        threads = threads < 1 ? 1 : 8;
    t_begin("fuzz_syscalls");
    if (!t_scratch())
        return 1;
    struct totals tot = {0};
    run_batches(seed, first, count, jobs, &tot);
    t_scratch_cleanup();
    t_note("%ld batches of up to %d calls, %d at a time, %d threads each: %ld ended by a signal (their own "
           "doing), %ld hung and were killed", tot.batches, BATCH, jobs, threads, tot.by_signal, tot.hangs);
    printf("fuzz_syscalls: %ld calls, seed %llu, survived\n", tot.done, (unsigned long long)seed);
    return 0;
}
