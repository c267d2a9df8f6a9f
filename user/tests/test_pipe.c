/*
 * test_pipe: pipes between processes. EOF once every writer is closed (the
 * child's copies too), EPIPE with SIGPIPE ignored and death by SIGPIPE when
 * not, 1 MiB through a pipe intact in odd-sized pieces, writes of at most
 * PIPE_BUF bytes never interleaved, pipe2 flags, poll readiness.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int child_status(pid_t pid)
{
    int st = -1;
    waitpid(pid, &st, 0);
    return st;
}

static void test_basic(void)
{
    int p[2];
    if (pipe(p) < 0) {
        t_fail("pipe-create", "%s", t_errname(errno));
        return;
    }
    ssize_t w = write(p[1], "hello", 5);
    char buf[16] = {0};
    ssize_t r = read(p[0], buf, sizeof buf);
    t_check("pipe-read-what-was-written", w == 5 && r == 5 && !memcmp(buf, "hello", 5), "w=%zd r=%zd", w, r);
    struct stat st;
    t_check("pipe-fstat-fifo", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), "mode 0%o", st.st_mode);
    t_errno("pipe-read-end-not-writable", write(p[0], "x", 1), EBADF);
    t_errno("pipe-write-end-not-readable", read(p[1], buf, 1), EBADF);
    t_errno("pipe-no-lseek", lseek(p[0], 0, SEEK_SET), ESPIPE);
    close(p[1]);
    r = read(p[0], buf, sizeof buf);
    t_check("pipe-eof-after-close", r == 0, "read returned %zd", r);
    close(p[0]);
}

/* The child writes and exits; EOF comes only after the child's copy is gone too. */
static void test_eof_across_fork(void)
{
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        t_msleep(30);
        _exit(write(p[1], "abc", 3) == 3 ? 0 : 1);
    }
    close(p[1]);
    char buf[8];
    ssize_t total = 0, r;
    while ((r = read(p[0], buf, sizeof buf)) > 0)
        total += r;
    t_check("pipe-eof-after-child-exit", r == 0 && total == 3, "r=%zd total=%zd", r, total);
    close(p[0]);
    child_status(pid);
}

static volatile sig_atomic_t got_sigpipe;
static void on_sigpipe(int sig)
{
    (void)sig;
    got_sigpipe++;
}

static void test_epipe(void)
{
    int p[2];
    if (pipe(p) < 0)
        return;
    close(p[0]);
    struct sigaction sa = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &sa, &old);
    errno = 0;
    t_errno("pipe-epipe-sigpipe-ignored", write(p[1], "x", 1), EPIPE);
    sa.sa_handler = on_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);
    ssize_t w = write(p[1], "x", 1);
    int e = errno;
    t_check("pipe-sigpipe-handler", w == -1 && e == EPIPE && got_sigpipe == 1, "write %zd (%s), handler ran %d times",
            w, t_errname(e), (int)got_sigpipe);
    sigaction(SIGPIPE, &old, NULL);
    close(p[1]);

    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        close(p[0]);
        t_msleep(20);
        ssize_t n = write(p[1], "x", 1);
        _exit(n < 0 ? 2 : 3);
    }
    close(p[0]);
    close(p[1]);
    int st = child_status(pid);
    t_check("pipe-sigpipe-kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE, "child: %s", t_status(st));
}

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* 1 MiB of a known pseudo-random stream, written and read in varying sizes. */
static void test_one_mib(void)
{
    enum { SIZE = 1 << 20 };
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        unsigned char *data = malloc(SIZE);
        uint64_t s = 88172645463325252ull;
        for (int i = 0; i < SIZE; i++)
            data[i] = next_random(&s);
        size_t off = 0, chunk = 1;
        while (off < SIZE) {
            size_t n = chunk < SIZE - off ? chunk : SIZE - off;
            ssize_t w = write(p[1], data + off, n);
            if (w <= 0)
                _exit(1);
            off += w;
            chunk = chunk * 3 % 70001 + 1;
        }
        _exit(0);
    }
    close(p[1]);
    unsigned char *got = malloc(SIZE + 1);
    size_t total = 0, chunk = 7;
    ssize_t r;
    while (total <= SIZE && (r = read(p[0], got + total, chunk < SIZE + 1 - total ? chunk : SIZE + 1 - total)) > 0) {
        total += r;
        chunk = chunk * 5 % 90001 + 1;
    }
    close(p[0]);
    int st = child_status(pid);
    uint64_t s = 88172645463325252ull;
    size_t bad = SIZE;
    for (size_t i = 0; i < SIZE && i < total; i++)
        if (got[i] != (unsigned char)next_random(&s)) {
            bad = i;
            break;
        }
    t_check("pipe-1mib-intact", total == SIZE && bad == SIZE && WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "read %zu bytes, first difference at %zu, writer %s", total, bad == SIZE ? total : bad, t_status(st));
    free(got);
}

/* Two writers of PIPE_BUF-sized records: every record arrives whole. */
static void test_atomic_writes(void)
{
    enum { REC = 512, COUNT = 200 };
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t pids[2];
    for (int k = 0; k < 2; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            close(p[0]);
            char rec[REC];
            memset(rec, 'A' + k, REC);
            for (int i = 0; i < COUNT; i++) {
                ssize_t w = write(p[1], rec, REC);
                if (w != REC)
                    _exit(w < 0 ? 100 + errno % 100 : 1);   /* 1: a short write */
            }
            _exit(0);
        }
    }
    close(p[1]);
    static char all[2 * REC * COUNT + 1];
    size_t total = 0;
    ssize_t r = 0;
    while (total < sizeof all && (r = read(p[0], all + total, sizeof all - total)) > 0)
        total += r;
    int read_errno = r < 0 ? errno : 0;
    close(p[0]);
    int st0 = child_status(pids[0]), st1 = child_status(pids[1]);
    int torn = 0;
    for (size_t i = 0; i + REC <= total; i += REC)
        for (size_t j = 1; j < REC; j++)
            if (all[i + j] != all[i]) {
                torn++;
                break;
            }
    char w0[32], w1[32];
    snprintf(w0, sizeof w0, "%s", t_status(st0));
    snprintf(w1, sizeof w1, "%s", t_status(st1));
    t_check("pipe-buf-writes-atomic", total == 2 * REC * COUNT && torn == 0,
            "read %zu bytes (last read: %s), %d torn records; writers: %s, %s", total,
            read_errno ? t_errname(read_errno) : "0 = EOF", torn, w0, w1);
}

static void test_pipe2_flags(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        t_fail("pipe2", "%s", t_errname(errno));
        return;
    }
    t_check("pipe2-cloexec", fcntl(p[0], F_GETFD) == FD_CLOEXEC && fcntl(p[1], F_GETFD) == FD_CLOEXEC,
            "F_GETFD %d %d", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD));
    char c;
    errno = 0;
    t_errno("pipe2-nonblock-empty-eagain", read(p[0], &c, 1), EAGAIN);
    /* Fill it: a non-blocking writer gets EAGAIN when it is full. */
    static char block[4096];
    size_t total = 0;
    ssize_t w;
    while ((w = write(p[1], block, sizeof block)) > 0 && total < (64u << 20))
        total += w;
    t_check("pipe2-nonblock-full-eagain", w == -1 && errno == EAGAIN && total >= 4096,
            "after %zu bytes write returned %zd (%s)", total, w, t_errname(errno));
    close(p[0]);
    close(p[1]);
    errno = 0;
    t_errno("pipe2-bad-flags", pipe2(p, 0x7fff0000), EINVAL);
}

static void test_poll(void)
{
    int p[2];
    if (pipe(p) < 0)
        return;
    struct pollfd fds[2] = {{.fd = p[0], .events = POLLIN}, {.fd = p[1], .events = POLLOUT}};
    int n = poll(fds, 2, 0);
    t_check("poll-empty-pipe", n == 1 && fds[0].revents == 0 && (fds[1].revents & POLLOUT), "n=%d revents %x %x", n,
            fds[0].revents, fds[1].revents);
    if (write(p[1], "x", 1) != 1)
        t_note("write failed");
    fds[0].revents = fds[1].revents = 0;
    n = poll(fds, 1, 1000);
    t_check("poll-readable", n == 1 && (fds[0].revents & POLLIN), "n=%d revents %x", n, fds[0].revents);
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1)
        t_note("read failed");
    fds[0].revents = 0;
    n = poll(fds, 1, 1000);
    t_check("poll-hup-after-writer-closed", n == 1 && (fds[0].revents & POLLHUP), "n=%d revents %x", n,
            fds[0].revents);
    close(p[0]);

    /* poll blocks until another process writes. */
    if (pipe(p) < 0)
        return;
    pid_t pid = fork();
    if (pid == 0) {
        t_msleep(50);
        _exit(write(p[1], "y", 1) == 1 ? 0 : 1);
    }
    fds[0].fd = p[0];
    fds[0].revents = 0;
    n = poll(fds, 1, 10000);
    t_check("poll-wakes-on-write", n == 1 && (fds[0].revents & POLLIN), "n=%d revents %x", n, fds[0].revents);
    child_status(pid);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    t_begin("test_pipe");
    signal(SIGPIPE, SIG_DFL);
    test_basic();
    test_eof_across_fork();
    test_epipe();
    test_one_mib();
    test_atomic_writes();
    test_pipe2_flags();
    test_poll();
    return t_end();
}
