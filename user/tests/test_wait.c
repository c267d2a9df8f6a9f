/*
 * test_wait: wait4 and waitid. Status words (exit code, low 8 bits only,
 * death by signal), WNOHANG on a running child, ECHILD with no children or
 * for a pid that is not our child, waiting for one given pid while another
 * child has already exited, NULL status and rusage pointers, waitid's
 * siginfo. A child held running by a pipe exits when we close our end.
 */
#include "testlib.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A child blocked reading a pipe until the parent closes *release. */
static pid_t held_child(int *release, int code)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        char c;
        while (read(p[0], &c, 1) > 0)
            ;
        _exit(code);
    }
    close(p[0]);
    *release = p[1];
    return pid;
}

static void test_exit_codes(void)
{
    static const int codes[] = {0, 1, 42, 255, 256 + 3};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(codes[i]);
        int st = -1;
        pid_t r = wait4(pid, &st, 0, NULL);
        char name[64];
        snprintf(name, sizeof name, "wait-exit-%d", codes[i]);
        t_check(name, r == pid && WIFEXITED(st) && WEXITSTATUS(st) == (codes[i] & 255),
                "wait4 returned %d, %s", (int)r, t_status(st));
    }
}

static void test_signaled(void)
{
    static const int sigs[] = {SIGKILL, SIGTERM, SIGUSR1};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            signal(sigs[i], SIG_DFL);
            kill(getpid(), sigs[i]);
            for (;;)
                pause();
        }
        int st = -1;
        pid_t r = wait4(pid, &st, 0, NULL);
        char name[64];
        snprintf(name, sizeof name, "wait-killed-by-%d", sigs[i]);
        t_check(name, r == pid && WIFSIGNALED(st) && WTERMSIG(st) == sigs[i] && !WIFEXITED(st),
                "%s", t_status(st));
    }
    /* The parent kills a child that is blocked in read. */
    int release;
    pid_t pid = held_child(&release, 0);
    kill(pid, SIGKILL);
    int st = -1;
    pid_t r = waitpid(pid, &st, 0);
    close(release);
    t_check("wait-kill-blocked-child", r == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "%s", t_status(st));
}

static void test_wnohang(void)
{
    int release;
    pid_t pid = held_child(&release, 5);
    int st = -1;
    pid_t r = waitpid(pid, &st, WNOHANG);
    t_check("wait-wnohang-running", r == 0, "waitpid returned %d", (int)r);
    close(release);
    r = waitpid(pid, &st, 0);
    t_check("wait-after-release", r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 5, "%s", t_status(st));
    /* WNOHANG spinning until an exiting child shows up */
    pid = fork();
    if (pid == 0)
        _exit(6);
    int tries = 0;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && tries++ < 100000)
        sched_yield();
    t_check("wait-wnohang-collects", r == pid && WEXITSTATUS(st) == 6, "r=%d after %d tries", (int)r, tries);
}

static void test_echild(void)
{
    int st;
    errno = 0;
    t_errno("wait-no-children-echild", wait4(-1, &st, 0, NULL), ECHILD);
    t_errno("wait-wnohang-no-children-echild", wait4(-1, &st, WNOHANG, NULL), ECHILD);
    t_errno("wait-not-our-child-echild", wait4(getppid() > 1 ? getppid() : 99999, &st, 0, NULL), ECHILD);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    t_errno("wait-twice-echild", waitpid(pid, &st, 0), ECHILD);
}

/* Wait for a given pid while another child exited first; that one stays collectable. */
static void test_specific_pid(void)
{
    int release;
    pid_t slow = held_child(&release, 11);
    pid_t fast = fork();
    if (fast == 0)
        _exit(12);
    t_msleep(20);
    close(release);
    int st = -1;
    pid_t r = waitpid(slow, &st, 0);
    t_check("wait-specific-pid", r == slow && WEXITSTATUS(st) == 11, "got pid %d (slow %d), %s", (int)r,
            (int)slow, t_status(st));
    r = waitpid(-1, &st, 0);
    t_check("wait-other-child-kept", r == fast && WEXITSTATUS(st) == 12, "got pid %d (fast %d), %s", (int)r,
            (int)fast, t_status(st));
}

static void test_null_pointers(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    long r = syscall(SYS_wait4, pid, NULL, 0, NULL);
    t_check("wait-null-status", r == pid, "wait4 returned %ld (%s)", r, t_errname(errno));
    pid = fork();
    if (pid == 0)
        _exit(0);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    int st;
    r = wait4(pid, &st, 0, &ru);
    t_check("wait-rusage", r == pid && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000,
            "wait4 returned %ld, ru_utime.tv_usec %ld", r, (long)ru.ru_utime.tv_usec);
}

static void test_waitid(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(77);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, pid, &si, WEXITED);
    t_check("waitid-exited", r == 0 && si.si_pid == pid && si.si_code == CLD_EXITED && si.si_status == 77 &&
                                 si.si_signo == SIGCHLD,
            "r=%d pid=%d code=%d status=%d", r, (int)si.si_pid, si.si_code, si.si_status);
    pid = fork();
    if (pid == 0) {
        kill(getpid(), SIGKILL);
        pause();
    }
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    t_check("waitid-killed", r == 0 && si.si_pid == pid && si.si_code == CLD_KILLED && si.si_status == SIGKILL,
            "r=%d pid=%d code=%d status=%d", r, (int)si.si_pid, si.si_code, si.si_status);
    /* WNOWAIT leaves the child to be waited for again */
    pid = fork();
    if (pid == 0)
        _exit(3);
    r = waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    int st = -1;
    pid_t again = waitpid(pid, &st, 0);
    t_check("waitid-wnowait", r == 0 && again == pid && WEXITSTATUS(st) == 3, "r=%d again=%d", r, (int)again);
}

/* Many children exiting at once, collected in any order. */
static void test_many(void)
{
    enum { N = 40 };
    int sum = 0;
    for (int i = 0; i < N; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(i);
        if (pid < 0)
            break;
    }
    int st, got = 0;
    pid_t r;
    while ((r = wait(&st)) > 0) {
        got++;
        sum += WEXITSTATUS(st);
    }
    t_check("wait-40-children", got == N && sum == N * (N - 1) / 2 && errno == ECHILD,
            "collected %d, sum %d", got, sum);
}

int main(void)
{
    t_begin("test_wait");
    /* We may be PID 1 on Keel: leftover orphans would be ours. Start clean. */
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    test_exit_codes();
    test_signaled();
    test_wnohang();
    test_echild();
    test_specific_pid();
    test_null_pointers();
    test_waitid();
    test_many();
    return t_end();
}
