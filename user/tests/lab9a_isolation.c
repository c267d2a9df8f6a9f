/*
 * lab9a_isolation: every process has its own address space (lab 9a,
 * checkpoints 9A.3 and 9A.5).
 *
 * fork gives the child a copy: writes of the child to its stack, heap, an
 * mmap'd page and global data do not show in the parent, and the parent's
 * later writes do not show in the child. exec replaces the whole table: a
 * page mapped before exec is gone in the new program (touching it is a
 * SIGSEGV). A process cannot reach another's memory: an address that holds
 * data in one process is unmapped, or holds other data, in another.
 *
 *   lab9a_isolation                 every case
 *   lab9a_isolation fork            only the fork cases
 *   lab9a_isolation exec            only the exec and cross-process cases
 *   lab9a_isolation probe ADDR      (internal) exit 0 if ADDR is unmapped here
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096ul
#define FIXED_A 0x5a5a00000000ul  /* far from anything the loader or mmap picks */
#define FIXED_B 0x5b5b00000000ul

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static volatile long global_value = 1;
static const char *self_path;

/* Exit 0 if reading addr kills a child with SIGSEGV, 3 if it reads fine. */
static int read_in_child(uintptr_t addr, long *seen)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        long v = *(volatile long *)addr;
        ssize_t w = write(fds[1], &v, sizeof v);
        (void)w;
        _exit(3);
    }
    close(fds[1]);
    long v = 0;
    if (read(fds[0], &v, sizeof v) == (ssize_t)sizeof v && seen)
        *seen = v;
    close(fds[0]);
    int st = -1;
    waitpid(pid, &st, 0);
    return st;
}

static void test_fork(void)
{
    volatile long stack_value = 1;
    volatile long *heap = malloc(64 * 1024);   /* large enough to be mmap'd by musl */
    volatile long *small = malloc(32);          /* brk heap */
    volatile long *map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!heap || !small || map == MAP_FAILED) {
        t_fail("fork-setup", "malloc/mmap failed");
        return;
    }
    heap[0] = small[0] = map[0] = 1;
    global_value = 1;
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) {
        t_fail("fork-setup", "pipe: %s", t_errname(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        /* child: write everything, let the parent look, then check the parent's writes do not show */
        stack_value = 2, heap[0] = 2, small[0] = 2, map[0] = 2, global_value = 2;
        char c = 'w';
        if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(10);
        int bad = 0;
        if (stack_value != 2) bad |= 1;
        if (heap[0] != 2) bad |= 2;
        if (small[0] != 2) bad |= 4;
        if (map[0] != 2) bad |= 8;
        if (global_value != 2) bad |= 16;
        _exit(bad);
    }
    char c;
    if (pid < 0 || read(to_parent[0], &c, 1) != 1) {
        t_fail("fork-setup", "fork or the child's first message failed");
        return;
    }
    t_check("fork-child-stack-private", stack_value == 1, "the child's stack write shows in the parent");
    t_check("fork-child-heap-private", heap[0] == 1 && small[0] == 1, "the child's heap writes show in the parent "
            "(mmap'd %ld, brk %ld)", (long)heap[0], (long)small[0]);
    t_check("fork-child-mmap-private", map[0] == 1, "the child's write to an mmap'd page shows in the parent");
    t_check("fork-child-global-private", global_value == 1, "the child's write to a global shows in the parent");
    stack_value = 3, heap[0] = 3, small[0] = 3, map[0] = 3, global_value = 3;
    ssize_t w = write(to_child[1], "g", 1);
    (void)w;
    int st = -1;
    waitpid(pid, &st, 0);
    t_check("fork-parent-writes-private", WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "child: %s (bits: 1 stack, 2 mmap'd heap, 4 brk heap, 8 mmap, 16 global, 10 pipe)", t_status(st));
    close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
    munmap((void *)map, PAGE);
    free((void *)heap);
    free((void *)small);
}

static void test_exec(void)
{
    long *a = mmap((void *)FIXED_A, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
    if (a != (long *)FIXED_A) {
        t_fail("exec-setup", "mmap at %#lx gave %p (%s)", FIXED_A, (void *)a, t_errname(errno));
        return;
    }
    a[0] = 0x1a9a;
    long seen = 0;
    int st = read_in_child(FIXED_A, &seen);
    t_check("fork-child-sees-copy", WIFEXITED(st) && WEXITSTATUS(st) == 3 && seen == 0x1a9a,
            "a forked child reading %#lx: %s, value %#lx", FIXED_A, t_status(st), (unsigned long)seen);

    /* exec: the new program's table holds only its own image */
    char arg[32];
    snprintf(arg, sizeof arg, "%#lx", FIXED_A);
    pid_t pid = fork();
    if (pid == 0) {
        execl(self_path, self_path, "probe", arg, (char *)NULL);
        _exit(20);
    }
    st = -1;
    waitpid(pid, &st, 0);
    t_check("exec-replaces-table", WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "the exec'd program %s touching %s (mapped before exec): %s (exit 3: it read the old page; "
            "20: exec failed)", self_path, arg, t_status(st));

    /* another process's memory: the child maps B, the parent cannot see it */
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent))
        return;
    pid = fork();
    if (pid == 0) {
        long *b = mmap((void *)FIXED_B, PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (b != (long *)FIXED_B)
            _exit(30);
        b[0] = 0x5ec4e7;
        char c = 'm';
        if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(31);
        _exit(b[0] == 0x5ec4e7 ? 0 : 32);
    }
    char c;
    if (read(to_parent[0], &c, 1) != 1) {
        t_fail("other-process-unmapped", "the child could not map %#lx", FIXED_B);
        return;
    }
    seen = 0;
    st = read_in_child(FIXED_B, &seen);
    t_check("other-process-unmapped", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
            "a process reading %#lx, mapped only by another process: %s (value %#lx)", FIXED_B, t_status(st),
            (unsigned long)seen);
    long *b = mmap((void *)FIXED_B, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
    t_check("other-process-own-data", b == (long *)FIXED_B && b[0] == 0,
            "mapping %#lx here too gave %p holding %#lx (the other process's data?)", FIXED_B, (void *)b,
            b == (long *)FIXED_B ? (unsigned long)b[0] : 0ul);
    if (b == (long *)FIXED_B) {
        b[0] = 0xbad;
        munmap(b, PAGE);
    }
    ssize_t w = write(to_child[1], "g", 1);
    (void)w;
    waitpid(pid, &st, 0);
    t_check("other-process-data-kept", WIFEXITED(st) && WEXITSTATUS(st) == 0,
            "the other process's page changed or it failed: %s", t_status(st));
    close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
    munmap(a, PAGE);
}

int main(int argc, char **argv)
{
    self_path = argv[0];
    if (argc == 3 && !strcmp(argv[1], "probe")) {
        int st = read_in_child(strtoul(argv[2], NULL, 0), NULL);
        return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : 3;
    }
    t_begin("lab9a_isolation");
    const char *mode = argc > 1 ? argv[1] : "all";
    if (strcmp(mode, "exec"))
        test_fork();
    if (strcmp(mode, "fork"))
        test_exec();
    return t_end();
}
