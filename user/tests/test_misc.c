/*
 * test_misc: the small calls. Clocks (monotonic never goes back, realtime
 * agrees with gettimeofday, nanosleep sleeps at least as asked and reports
 * the rest when interrupted), uname, getrandom, identities (pid, ppid, tid,
 * uid/gid pairs), process groups and sessions (setpgid, setsid, getsid and
 * their errors), prlimit64, sched_yield, and terminal ioctls when fd 0 is a
 * terminal (ENOTTY on a pipe otherwise).
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long ms_between(struct timespec a, struct timespec b)
{
    return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static void test_clocks(void)
{
    struct timespec a, b;
    int ok = 1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 10000 && ok; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        ok = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
        ok = ok && b.tv_nsec >= 0 && b.tv_nsec < 1000000000;
        a = b;
    }
    t_check("clock-monotonic-never-back", ok, "went from %ld.%09ld back", (long)a.tv_sec, a.tv_nsec);
    struct timeval tv;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    gettimeofday(&tv, NULL);
    long diff = (tv.tv_sec - rt.tv_sec) * 1000 + (tv.tv_usec / 1000 - rt.tv_nsec / 1000000);
    t_check("gettimeofday-matches-realtime", diff >= 0 && diff < 1000 && tv.tv_usec < 1000000, "differ by %ld ms",
            diff);
    t_check("realtime-after-2020", rt.tv_sec > 1577836800, "realtime is %ld (the RTC not read?)", (long)rt.tv_sec);

    struct timespec req = {0, 100 * 1000000}, start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int r = nanosleep(&req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    long ms = ms_between(start, end);
    t_check("nanosleep-100ms", r == 0 && ms >= 100 && ms < 5000, "slept %ld ms", ms);
    clock_gettime(CLOCK_MONOTONIC, &start);
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    ms = ms_between(start, end);
    t_check("clock_nanosleep-100ms", r == 0 && ms >= 100 && ms < 5000, "slept %ld ms (returned %d)", ms, r);
    struct timespec bad = {0, 1000000000};
    errno = 0;
    t_errno("nanosleep-bad-nsec-einval", nanosleep(&bad, NULL), EINVAL);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* A child interrupts our 2 s sleep after 100 ms: EINTR and the time left. */
static void test_nanosleep_interrupted(void)
{
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        t_msleep(100);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct timespec req = {2, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    int e = errno;
    waitpid(pid, NULL, 0);
    t_check("nanosleep-eintr-remaining", r == -1 && e == EINTR && rem.tv_sec <= 2 && (rem.tv_sec > 0 || rem.tv_nsec > 0),
            "returned %d (%s), %ld.%09ld left", r, t_errname(e), (long)rem.tv_sec, rem.tv_nsec);
    signal(SIGUSR1, SIG_DFL);
}

static void test_uname_random(void)
{
    struct utsname u;
    int r = uname(&u);
    t_check("uname", r == 0 && u.sysname[0] && u.release[0] && !strcmp(u.machine, "x86_64"),
            "sysname \"%s\" machine \"%s\"", u.sysname, u.machine);
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    ssize_t na = getrandom(a, sizeof a, 0), nb = getrandom(b, sizeof b, 0);
    t_check("getrandom", na == 64 && nb == 64 && memcmp(a, b, sizeof a) != 0, "returned %zd and %zd", na, nb);
}

static void test_ids(void)
{
    pid_t pid = getpid();
    t_check("gettid-is-pid", syscall(SYS_gettid) == pid, "gettid %ld, pid %d", syscall(SYS_gettid), (int)pid);
    t_check("uid-gid-consistent", getuid() == geteuid() && getgid() == getegid(), "uid %d/%d gid %d/%d",
            (int)getuid(), (int)geteuid(), (int)getgid(), (int)getegid());
    int p[2];
    if (pipe(p) < 0)
        return;
    pid_t child = fork();
    if (child == 0) {
        pid_t me = getpid(), pp = getppid();
        if (write(p[1], &me, sizeof me) < 0 || write(p[1], &pp, sizeof pp) < 0)
            _exit(1);
        _exit(0);
    }
    pid_t got_me = 0, got_pp = 0;
    if (read(p[0], &got_me, sizeof got_me) != sizeof got_me || read(p[0], &got_pp, sizeof got_pp) != sizeof got_pp)
        got_me = -1;
    waitpid(child, NULL, 0);
    close(p[0]);
    close(p[1]);
    t_check("child-pid-and-ppid", got_me == child && got_pp == pid, "child says pid %d ppid %d (want %d %d)",
            (int)got_me, (int)got_pp, (int)child, (int)pid);
}

/* In a child: a new session, a new group, and the rules around them. */
static void test_sessions(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pid_t me = getpid();
        if (setsid() != me)
            _exit(1);
        if (getsid(0) != me || getpgid(0) != me || getpgrp() != me)
            _exit(2);
        if (setsid() != -1 || errno != EPERM)
            _exit(3);           /* already a group leader */
        if (setpgid(0, 0) != -1 || errno != EPERM)
            _exit(4);           /* a session leader cannot move, not even into its own group */
        pid_t g = fork();
        if (g == 0) {
            if (getsid(0) != me || getpgid(0) != me)
                _exit(10);
            if (setpgid(0, 0) != 0 || getpgid(0) != getpid())
                _exit(11);      /* a new group in the same session */
            if (getsid(0) != me)
                _exit(12);
            _exit(0);
        }
        int st;
        waitpid(g, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st))
            _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 20);
        if (setpgid(99999, 0) != -1 || errno != ESRCH)
            _exit(5);
        _exit(0);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    t_check("setsid-setpgid-getsid", WIFEXITED(st) && WEXITSTATUS(st) == 0, "child: %s (see the numbered checks)",
            t_status(st));
    errno = 0;
    t_errno("getpgid-missing-esrch", getpgid(99999), ESRCH);
    t_errno("getsid-missing-esrch", getsid(99999), ESRCH);
}

static void test_limits(void)
{
    struct rlimit rl;
    int r = getrlimit(RLIMIT_NOFILE, &rl);
    t_check("prlimit-nofile", r == 0 && rl.rlim_cur >= 64 && rl.rlim_cur <= rl.rlim_max, "cur %ld max %ld",
            (long)rl.rlim_cur, (long)rl.rlim_max);
    r = getrlimit(RLIMIT_STACK, &rl);
    t_check("prlimit-stack", r == 0 && rl.rlim_cur >= 65536, "cur %ld", (long)rl.rlim_cur);
    t_check("sched_yield", sched_yield() == 0, "%s", t_errname(errno));
}

static void test_tty(void)
{
    int p[2];
    if (pipe(p) == 0) {
        struct termios tio;
        errno = 0;
        t_errno("tcgetattr-pipe-enotty", tcgetattr(p[0], &tio), ENOTTY);
        close(p[0]);
        close(p[1]);
    }
    if (!isatty(0)) {
        t_ok("tty-ioctls-skipped-fd0-not-a-terminal");
        return;
    }
    struct termios tio, back;
    int r = tcgetattr(0, &tio);
    t_check("tcgetattr", r == 0 && (tio.c_lflag & ICANON), "r=%d lflag %#x", r, tio.c_lflag);
    struct termios raw = tio;
    raw.c_lflag &= ~(ICANON | ECHO);
    r = tcsetattr(0, TCSANOW, &raw);
    tcgetattr(0, &back);
    t_check("tcsetattr-raw", r == 0 && !(back.c_lflag & ICANON) && !(back.c_lflag & ECHO), "lflag %#x",
            back.c_lflag);
    tcsetattr(0, TCSANOW, &tio);
    struct winsize ws;
    t_check("tiocgwinsz", ioctl(0, TIOCGWINSZ, &ws) == 0, "%s", t_errname(errno));
    pid_t fg = tcgetpgrp(0);
    t_check("tcgetpgrp", fg > 0 || (fg == -1 && errno == ENOTTY), "returned %d (%s)", (int)fg, t_errname(errno));
}

int main(void)
{
    t_begin("test_misc");
    test_clocks();
    test_nanosleep_interrupted();
    test_uname_random();
    test_ids();
    test_sessions();
    test_limits();
    test_tty();
    return t_end();
}
