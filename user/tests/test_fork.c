/*
 * test_fork: fork and vfork as Linux defines them. The child gets 0, the
 * parent the child's pid; the child's memory (data, heap, stack, mmap) is a
 * copy; open files share their offset; many children can live at once.
 * Children report through their exit status only.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int global_value = 42;

/* Waits for pid; its exit code, or 1000 + signal, or -1. */
static int child_result(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void test_return_values(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        _exit(getppid() == parent && getpid() != parent ? 7 : 1);
    if (!t_check("fork-returns-pid", pid > 0, "fork returned %d", (int)pid))
        return;
    int r = child_result(pid);
    t_check("fork-child-sees-parent", r == 7, "child result %d (7 = getppid ok)", r);
}

static void test_separate_memory(void)
{
    int stack_value = 5;
    char *heap = malloc(1 << 20);
    memset(heap, 'p', 1 << 20);
    char *anon = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    anon[0] = 'a';
    anon[4096] = 'b';
    pid_t pid = fork();
    if (pid == 0) {
        int seen = global_value == 42 && stack_value == 5 && heap[12345] == 'p' && anon[4096] == 'b';
        global_value = 1;
        stack_value = 1;
        memset(heap, 'c', 1 << 20);
        anon[0] = anon[4096] = 'c';
        _exit(seen ? 0 : 1);
    }
    int r = child_result(pid);
    t_check("fork-child-sees-copy", r == 0, "child result %d", r);
    int ok = global_value == 42 && stack_value == 5 && anon[0] == 'a' && anon[4096] == 'b';
    for (int i = 0; i < (1 << 20); i += 4096)
        ok = ok && heap[i] == 'p';
    t_check("fork-parent-memory-unchanged", ok, "the child's writes reached the parent");
    free(heap);
    munmap(anon, 8192);
}

/* The parent writes after the child did: the same file offset is shared. */
static void test_shared_offset(void)
{
    int fd = open("shared", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        t_fail("fork-shares-offset", "open: %s", t_errname(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0)
        _exit(write(fd, "abc", 3) == 3 ? 0 : 1);
    child_result(pid);
    ssize_t w = write(fd, "def", 3);
    char buf[16] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    t_check("fork-shares-offset", w == 3 && n == 6 && !strcmp(buf, "abcdef"),
            "file holds \"%s\" (expected abcdef)", buf);
    close(fd);
}

static void test_many_children(void)
{
    enum { N = 32 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = fork();
        if (pids[i] == 0)
            _exit(i + 1);
        if (pids[i] < 0) {
            t_fail("fork-32-children", "fork %d: %s", i, t_errname(errno));
            while (i-- > 0)
                waitpid(pids[i], NULL, 0);
            return;
        }
    }
    int bad = 0;
    for (int i = N - 1; i >= 0; i--)
        bad += child_result(pids[i]) != i + 1;
    t_check("fork-32-children", bad == 0, "%d children gave a wrong status", bad);
}

/* Grandchildren: a child that forks and waits for its own child. */
static void test_nested(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pid_t g = fork();
        if (g == 0)
            _exit(getppid() != 1 ? 9 : 1);
        int st;
        if (waitpid(g, &st, 0) != g || !WIFEXITED(st))
            _exit(2);
        _exit(WEXITSTATUS(st));
    }
    int r = child_result(pid);
    t_check("fork-grandchild", r == 9, "result %d", r);
}

static void test_vfork(void)
{
    pid_t pid = vfork();
    if (pid == 0)
        _exit(33);
    int r = child_result(pid);
    t_check("vfork-exit-status", r == 33, "result %d", r);
}

/* The raw fork system call, as a program that bypasses libc does it. */
static void test_raw_fork(void)
{
    long pid = syscall(SYS_fork);
    if (pid == 0)
        syscall(SYS_exit, 12);
    int r = pid > 0 ? child_result(pid) : -1;
    t_check("raw-fork-syscall", r == 12, "result %d", r);
}

int main(void)
{
    t_begin("test_fork");
    if (!t_scratch())
        return t_end();
    test_return_values();
    test_separate_memory();
    test_shared_offset();
    test_many_children();
    test_nested();
    test_vfork();
    test_raw_fork();
    t_scratch_cleanup();
    return t_end();
}
