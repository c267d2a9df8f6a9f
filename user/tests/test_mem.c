/*
 * test_mem: a process's memory calls. brk grows and shrinks the heap (new
 * memory reads as zero), anonymous mmap gives zeroed, page-aligned memory,
 * MAP_FIXED replaces, munmap and mprotect take effect at once (a child that
 * touches the page dies by SIGSEGV), absurd sizes fail with ENOMEM or
 * EINVAL, and a large mapping is usable page by page (demand paging).
 */
#include "testlib.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096ul

/* Runs fn(arg) in a child; how the child ended. */
static int in_child(void (*fn)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    int st = -1;
    waitpid(pid, &st, 0);
    return st;
}

static void touch_read(void *p) { (void)*(volatile char *)p; }
static void touch_write(void *p) { *(volatile char *)p = 1; }

static void test_brk(void)
{
    uintptr_t start = syscall(SYS_brk, 0);
    uintptr_t grown = syscall(SYS_brk, start + 64 * PAGE);
    int zero = grown == start + 64 * PAGE;
    for (uintptr_t a = start; zero && a < grown; a += 512)
        zero = *(volatile char *)a == 0;
    t_check("brk-grows-zeroed", zero, "brk(%#lx + 64 pages) = %#lx", (unsigned long)start, (unsigned long)grown);
    memset((void *)start, 0x5a, 64 * PAGE);
    uintptr_t shrunk = syscall(SYS_brk, start + PAGE);
    t_check("brk-shrinks", shrunk == start + PAGE, "brk returned %#lx", (unsigned long)shrunk);
    int st = in_child(touch_read, (void *)(start + 8 * PAGE));
    t_check("brk-shrunk-memory-gone", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "child: %s", t_status(st));
    uintptr_t regrown = syscall(SYS_brk, start + 4 * PAGE);
    t_check("brk-regrown-zeroed", regrown == start + 4 * PAGE && *(volatile char *)(start + 2 * PAGE) == 0,
            "old contents came back");
    uintptr_t huge = syscall(SYS_brk, start + (1ul << 46));
    t_check("brk-absurd-fails", huge == start + 4 * PAGE, "brk(+64 TiB) returned %#lx", (unsigned long)huge);
    syscall(SYS_brk, start);
}

static void test_mmap(void)
{
    char *p = mmap(NULL, 10 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int ok = p != MAP_FAILED && ((uintptr_t)p & (PAGE - 1)) == 0;
    for (size_t i = 0; ok && i < 10 * PAGE; i += 256)
        ok = p[i] == 0;
    t_check("mmap-anon-zeroed-aligned", ok, "mmap returned %p", (void *)p);
    if (p == MAP_FAILED)
        return;
    memset(p, 7, 10 * PAGE);
    char *q = mmap(p + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    t_check("mmap-fixed-replaces", q == p + 2 * PAGE && q[0] == 0 && p[PAGE] == 7 && p[3 * PAGE] == 7,
            "MAP_FIXED gave %p", (void *)q);
    int r = munmap(p + 5 * PAGE, PAGE);
    int st = in_child(touch_read, p + 5 * PAGE);
    t_check("munmap-then-sigsegv", r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "child: %s", t_status(st));
    t_check("munmap-neighbours-kept", p[4 * PAGE] == 7 && p[6 * PAGE] == 7, "neighbouring pages changed");
    r = mprotect(p, PAGE, PROT_READ);
    st = in_child(touch_write, p);
    int readable = p[0] == 7;
    t_check("mprotect-readonly", r == 0 && readable && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
            "mprotect %d, child writing: %s", r, t_status(st));
    r = mprotect(p, PAGE, PROT_NONE);
    st = in_child(touch_read, p);
    t_check("mprotect-none", r == 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "child reading: %s", t_status(st));
    mprotect(p, PAGE, PROT_READ | PROT_WRITE);
    p[0] = 9;
    t_check("mprotect-restored", p[0] == 9, "cannot write after PROT_READ|PROT_WRITE");
    munmap(p, 10 * PAGE);
    errno = 0;
    t_errno("munmap-unaligned-einval", munmap(p + 1, PAGE), EINVAL);
    t_errno("mmap-zero-length-einval", (long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    /* 128 TiB is more than the user half holds: ENOMEM whatever the overcommit policy. */
    t_errno("mmap-128tib-enomem",
            (long)mmap(NULL, 1ul << 47, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
    t_errno("mmap-no-type-einval", (long)mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
}

/* 32 MiB touched one byte per page, then checked: memory comes on demand and stays. */
static void test_large(void)
{
    size_t size = 32ul << 20;
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        t_fail("mmap-32mib", "%s", t_errname(errno));
        return;
    }
    for (size_t i = 0; i < size; i += PAGE)
        p[i] = (unsigned char)(i / PAGE);
    size_t bad = 0;
    for (size_t i = 0; i < size; i += PAGE)
        bad += p[i] != (unsigned char)(i / PAGE);
    t_check("mmap-32mib", bad == 0, "%zu pages lost their byte", bad);
    /* After fork both sides change their own copy. */
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < size; i += 64 * PAGE)
            p[i] ^= 0xff;
        size_t wrong = 0;
        for (size_t i = 0; i < size; i += 64 * PAGE)
            wrong += p[i] != (unsigned char)~(i / PAGE);
        _exit(wrong ? 1 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    bad = 0;
    for (size_t i = 0; i < size; i += PAGE)
        bad += p[i] != (unsigned char)(i / PAGE);
    t_check("mmap-32mib-after-fork", WIFEXITED(st) && WEXITSTATUS(st) == 0 && bad == 0, "child %s, %zu pages changed",
            t_status(st), bad);
    munmap(p, size);
}

/* Many small mappings made and freed: nothing leaks into the next round. */
static void test_churn(void)
{
    int ok = 1;
    for (int round = 0; round < 200 && ok; round++) {
        char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ok = p != MAP_FAILED && p[0] == 0 && p[2 * PAGE] == 0;
        if (ok) {
            p[0] = p[2 * PAGE] = 1;
            ok = munmap(p, 3 * PAGE) == 0;
        }
    }
    t_check("mmap-munmap-200-rounds", ok, "a mapping was not fresh or munmap failed");
}

int main(void)
{
    t_begin("test_mem");
    test_brk();
    test_mmap();
    test_large();
    test_churn();
    return t_end();
}
