/*
 * test_badptr: every system call that takes a pointer, given bad ones:
 * NULL, 1, the first non-canonical address, the start of the kernel half,
 * the kernel image's -2 GiB region, the top of memory, and an unmapped user
 * page. Each must fail with EFAULT (never crash the kernel or the caller).
 * Raw syscall() is used throughout: libc wrappers (and the host's vDSO)
 * would touch the pointers themselves. One line per system call.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT 0   /* musl ships no <linux/futex.h> */
#define NBAD 7
static uintptr_t bad[NBAD] = {
    0, 1, 0x0000800000000000ul, 0xffff800000000000ul, 0xffffffff80000000ul, 0xfffffffffffff000ul,
    0 /* an unmapped user page, filled in main */
};
static const char *bad_name[NBAD] = {"NULL", "1", "0x800000000000", "0xffff800000000000", "0xffffffff80000000",
                                     "0xfffffffffffff000", "unmapped"};

static int file_fd, dir_fd;

/* A system call whose pointer argument is varied; returns its raw result. */
typedef long (*call_fn)(void *p);

/* Runs fn with each bad pointer; ok if all give EFAULT. NULL is skipped where it means "none". */
static void check_efault(const char *name, call_fn fn, int null_ok)
{
    for (int i = null_ok ? 1 : 0; i < NBAD; i++) {
        errno = 0;
        long r = fn((void *)bad[i]);
        if (r != -1 || errno != EFAULT) {
            if (r == -1)
                t_fail(name, "pointer %s gave %s, not EFAULT", bad_name[i], t_errname(errno));
            else
                t_fail(name, "pointer %s succeeded (%ld), not EFAULT", bad_name[i], r);
            return;
        }
    }
    t_ok(name);
}

static long c_read(void *p) { lseek(file_fd, 0, SEEK_SET); return syscall(SYS_read, file_fd, p, 16); }
static long c_write(void *p) { return syscall(SYS_write, file_fd, p, 16); }
static long c_pread(void *p) { return syscall(SYS_pread64, file_fd, p, 16, 0); }
static long c_pwrite(void *p) { return syscall(SYS_pwrite64, file_fd, p, 16, 0); }
static long c_open(void *p) { return syscall(SYS_open, p, O_RDONLY); }
static long c_openat(void *p) { return syscall(SYS_openat, AT_FDCWD, p, O_RDONLY); }
static long c_creat(void *p) { return syscall(SYS_open, p, O_WRONLY | O_CREAT, 0644); }
static long c_stat_path(void *p) { struct stat st; return syscall(SYS_stat, p, &st); }
static long c_stat_buf(void *p) { return syscall(SYS_stat, ".", p); }
static long c_lstat_buf(void *p) { return syscall(SYS_lstat, ".", p); }
static long c_fstat(void *p) { return syscall(SYS_fstat, file_fd, p); }
static long c_newfstatat(void *p) { return syscall(SYS_newfstatat, AT_FDCWD, ".", p, 0); }
static long c_pipe(void *p) { return syscall(SYS_pipe, p); }
static long c_pipe2(void *p) { return syscall(SYS_pipe2, p, 0); }
static long c_clock_gettime(void *p) { return syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p); }
static long c_clock_realtime(void *p) { return syscall(SYS_clock_gettime, CLOCK_REALTIME, p); }
static long c_gettimeofday(void *p) { return syscall(SYS_gettimeofday, p, NULL); }
static long c_uname(void *p) { return syscall(SYS_uname, p); }
static long c_getcwd(void *p) { return syscall(SYS_getcwd, p, 256); }
static long c_chdir(void *p) { return syscall(SYS_chdir, p); }
static long c_mkdir(void *p) { return syscall(SYS_mkdir, p, 0755); }
static long c_rmdir(void *p) { return syscall(SYS_rmdir, p); }
static long c_unlink(void *p) { return syscall(SYS_unlink, p); }
static long c_rename_from(void *p) { return syscall(SYS_rename, p, "newname"); }
static long c_rename_to(void *p) { return syscall(SYS_rename, "file", p); }
static long c_link(void *p) { return syscall(SYS_link, "file", p); }
static long c_nanosleep(void *p) { return syscall(SYS_nanosleep, p, NULL); }
static long c_sigaction_new(void *p) { return syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8); }
static long c_sigaction_old(void *p) { return syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8); }
static long c_sigprocmask_new(void *p) { return syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8); }
static long c_sigprocmask_old(void *p) { return syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8); }
static long c_getdents64(void *p) { lseek(dir_fd, 0, SEEK_SET); return syscall(SYS_getdents64, dir_fd, p, 4096); }
static long c_getrandom(void *p) { return syscall(SYS_getrandom, p, 16, 0); }
static long c_poll(void *p) { return syscall(SYS_poll, p, 1, 0); }
static long c_readv_iov(void *p) { return syscall(SYS_readv, file_fd, p, 1); }
static long c_writev_base(void *p) { struct iovec v = {p, 16}; return syscall(SYS_writev, file_fd, &v, 1); }
static long c_readv_base(void *p) { lseek(file_fd, 0, SEEK_SET); struct iovec v = {p, 16}; return syscall(SYS_readv, file_fd, &v, 1); }
static long c_execve_path(void *p) { char *argv[] = {"x", NULL}; return syscall(SYS_execve, p, argv, NULL); }
/* A real program, so that EFAULT is the only possible error (Linux versions differ in what they check first). */
static char self[4096];
static long c_execve_argv(void *p) { return syscall(SYS_execve, self, p, NULL); }
static long c_execve_arg(void *p) { char *argv[] = {"x", p, NULL}; return syscall(SYS_execve, self, argv, NULL); }
static long c_prlimit_old(void *p) { return syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p); }
static long c_futex_wait(void *p) { return syscall(SYS_futex, p, FUTEX_WAIT, 0, NULL, NULL, 0); }
static long c_arch_prctl_get(void *p) { return syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, p); }
static long c_sigpending(void *p) { return syscall(SYS_rt_sigpending, p, 8); }
static long c_times(void *p) { return syscall(SYS_getrusage, RUSAGE_SELF, p); }
static long c_unlinkat(void *p) { return syscall(SYS_unlinkat, AT_FDCWD, p, 0); }
static long c_mkdirat(void *p) { return syscall(SYS_mkdirat, AT_FDCWD, p, 0755); }
static long c_renameat(void *p) { return syscall(SYS_renameat, AT_FDCWD, p, AT_FDCWD, "x"); }
static long c_ppoll_ts(void *p) { struct pollfd f = {file_fd, POLLIN, 0}; return syscall(SYS_ppoll, &f, 1, p, NULL, 8); }
static long c_clock_nanosleep(void *p) { return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL); }

/* wait4 with a bad status pointer on a child that has exited. */
static long c_wait4_status(void *p)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    t_msleep(5);
    long r = syscall(SYS_wait4, pid, p, 0, NULL);
    int e = errno;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    errno = e;
    return r;
}

static long c_wait4_rusage(void *p)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    int st;
    long r = syscall(SYS_wait4, pid, &st, 0, p);
    int e = errno;
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    errno = e;
    return r;
}

static const struct { const char *name; call_fn fn; } calls[] = {
    {"efault-read", c_read}, {"efault-write", c_write}, {"efault-pread64", c_pread},
    {"efault-pwrite64", c_pwrite}, {"efault-open", c_open}, {"efault-openat", c_openat},
    {"efault-open-creat", c_creat}, {"efault-stat-path", c_stat_path}, {"efault-stat-buf", c_stat_buf},
    {"efault-lstat-buf", c_lstat_buf}, {"efault-fstat", c_fstat}, {"efault-newfstatat", c_newfstatat},
    {"efault-pipe", c_pipe}, {"efault-pipe2", c_pipe2}, {"efault-clock_gettime", c_clock_gettime},
    {"efault-clock_gettime-realtime", c_clock_realtime}, {"efault-gettimeofday", c_gettimeofday},
    {"efault-uname", c_uname}, {"efault-getcwd", c_getcwd}, {"efault-chdir", c_chdir},
    {"efault-mkdir", c_mkdir}, {"efault-rmdir", c_rmdir}, {"efault-unlink", c_unlink},
    {"efault-rename-from", c_rename_from}, {"efault-rename-to", c_rename_to}, {"efault-link", c_link},
    {"efault-nanosleep", c_nanosleep}, {"efault-rt_sigaction-new", c_sigaction_new},
    {"efault-rt_sigaction-old", c_sigaction_old}, {"efault-rt_sigprocmask-new", c_sigprocmask_new},
    {"efault-rt_sigprocmask-old", c_sigprocmask_old}, {"efault-rt_sigpending", c_sigpending},
    {"efault-getdents64", c_getdents64}, {"efault-getrandom", c_getrandom}, {"efault-poll", c_poll},
    {"efault-ppoll-timeout", c_ppoll_ts}, {"efault-readv-iov", c_readv_iov}, {"efault-readv-base", c_readv_base},
    {"efault-writev-base", c_writev_base}, {"efault-execve-path", c_execve_path},
    {"efault-execve-argv", c_execve_argv}, {"efault-execve-argv-string", c_execve_arg},
    {"efault-prlimit64", c_prlimit_old}, {"efault-arch_prctl-get-fs", c_arch_prctl_get},
    {"efault-getrusage", c_times}, {"efault-unlinkat", c_unlinkat}, {"efault-mkdirat", c_mkdirat},
    {"efault-renameat", c_renameat}, {"efault-clock_nanosleep", c_clock_nanosleep},
    {"efault-wait4-status", c_wait4_status}, {"efault-wait4-rusage", c_wait4_rusage},
};

/* Calls for which NULL is a valid argument ("no timeout", "no old value"...). */
static int null_means_none(const char *name)
{
    static const char *const names[] = {
        "efault-gettimeofday",
        "efault-rt_sigaction-new",
        "efault-rt_sigaction-old",
        "efault-rt_sigprocmask-new",
        "efault-rt_sigprocmask-old",
        "efault-ppoll-timeout",
        "efault-execve-argv",
        "efault-execve-argv-string",
        "efault-prlimit64",
        "efault-wait4-status",
        "efault-wait4-rusage"
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(names[i], name))
            return 1;
    return 0;
}

/* FUTEX_WAIT checks alignment first: the pointer 1 is EINVAL, the others EFAULT. */
static void check_futex(void)
{
    for (int i = 0; i < NBAD; i++) {
        errno = 0;
        long r = c_futex_wait((void *)bad[i]);
        int want = bad[i] % 4 ? EINVAL : EFAULT;
        if (r != -1 || errno != want) {
            t_fail("efault-futex-wait", "pointer %s gave %ld (%s), want %s", bad_name[i], r, t_errname(errno),
                   t_errname(want));
            return;
        }
    }
    t_ok("efault-futex-wait");
}

/* A buffer that runs off the end of a mapping: the call fails or stops short, the kernel survives. */
static void check_partial_buffer(void)
{
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    char *edge = two + 4096 - 8;
    errno = 0;
    long r = syscall(SYS_uname, edge);
    t_errno("efault-uname-straddles-mapping-end", r, EFAULT);
    r = syscall(SYS_open, edge, O_RDONLY); /* "\0\0\0..." then unmapped: an empty name */
    memcpy(edge, "xxxxxxxx", 8);            /* no terminator before the unmapped page */
    r = syscall(SYS_open, edge, O_RDONLY);
    t_errno("efault-path-without-terminator", r, EFAULT);
    munmap(two, 4096);
}

int main(int argc, char **argv)
{
    if (argc != 1)
        return 3;   /* an execve with bad arguments should have failed, not run us */
    t_begin("test_badptr");
    const char *fn = (const char *)getauxval(AT_EXECFN);
    if (fn && fn[0] == '/')
        snprintf(self, sizeof self, "%s", fn);
    else if (!getcwd(self, sizeof self - 300) || (strcat(self, "/"), strcat(self, fn ? fn : argv[0]), 0))
        self[0] = 0;
    if (!t_scratch())
        return t_end();
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page, 4096);
    bad[NBAD - 1] = (uintptr_t)page;
    file_fd = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (write(file_fd, "0123456789abcdef0123456789abcdef", 32) != 32)
        t_note("cannot fill the file");
    dir_fd = open(".", O_RDONLY | O_DIRECTORY);
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        check_efault(calls[i].name, calls[i].fn, null_means_none(calls[i].name));
    check_futex();
    check_partial_buffer();
    t_ok("survived-every-bad-pointer");
    close(file_fd);
    close(dir_fd);
    t_scratch_cleanup();
    return t_end();
}
