/*
 * lab9a_shootdown: TLB shootdown (lab 9a, checkpoints 9A.6 and 9A.7).
 *
 * A thread reads and writes a page in a loop, bumping a sequence counter
 * after each access that succeeded; another thread munmaps the page (or
 * mprotects it read-only). Once munmap returns, no access may succeed any
 * more: the counter may move by at most the one access already in flight,
 * right after the call and 100 ms later, and the loop thread must have
 * taken its SIGSEGV. With -smp 4 the two threads run on different CPUs, so
 * a kernel that flushes only its own TLB leaves the loop reading a stale
 * translation (of a freed frame).
 *
 *   lab9a_shootdown                  munmap and mprotect cases, a 1 s stress
 *   lab9a_shootdown single           only a single-threaded munmap loop
 *                                    (the kernel must send no shootdown IPI)
 *   lab9a_shootdown wide N           N munmaps of 512 pages with a sibling
 *                                    thread spinning (at most 1 IPI per munmap)
 *   lab9a_shootdown stress SECONDS   8 threads map, touch, check, unmap
 *
 * The IPI counts are not visible from user space: run the program as init
 * and read the kernel's power-off line (the grader does).
 */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ul

static __thread sigjmp_buf *fault_jump; /* where a SIGSEGV of this thread goes */
static __thread volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    if (fault_jump)
        siglongjmp(*fault_jump, 1);
    /* not expected: a fault outside a guarded access */
    char msg[160];
    int n = snprintf(msg, sizeof msg, "FAIL unexpected-sigsegv: signal %d at %p (code %d) outside a guarded access\n",
                     sig, si->si_addr, si->si_code);
    ssize_t r = write(1, msg, n);
    (void)r;
    _exit(1);
}

static void install_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- munmap / mprotect while another thread uses the page ---------------- */

struct loop {
    volatile uint32_t *page;
    int write_only_check;      /* mprotect case: only writes must fault */
    volatile uint64_t seq;     /* successful accesses */
    volatile int faulted;      /* the loop took its SIGSEGV */
    volatile uintptr_t where;  /* si_addr of that fault */
    volatile int stop;
};

static void *loop_thread(void *arg)
{
    struct loop *l = arg;
    sigjmp_buf jb;
    fault_jump = &jb;
    if (sigsetjmp(jb, 1)) {
        l->where = fault_addr;
        __atomic_store_n(&l->faulted, 1, __ATOMIC_SEQ_CST);
        fault_jump = NULL;
        return NULL;
    }
    while (!l->stop) {
        uint32_t v = l->page[0];
        l->page[1] = v + 1;
        l->page[0] = v + 1;
        __atomic_add_fetch(&l->seq, 1, __ATOMIC_SEQ_CST);
    }
    fault_jump = NULL;
    return NULL;
}

static void race_case(const char *name, int use_mprotect)
{
    struct loop l;
    memset(&l, 0, sizeof l);
    void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        t_fail(name, "mmap: %s", t_errname(errno));
        return;
    }
    l.page = p;
    l.page[0] = 1;
    pthread_t th;
    if (pthread_create(&th, NULL, loop_thread, &l) != 0) {
        t_fail(name, "pthread_create failed");
        return;
    }
    /* Let the loop run a while so that its CPU has the translation cached. */
    uint64_t t0 = now_ns();
    while (__atomic_load_n(&l.seq, __ATOMIC_SEQ_CST) < 20000 && now_ns() - t0 < 5000000000ull)
        ;
    uint64_t before = __atomic_load_n(&l.seq, __ATOMIC_SEQ_CST);
    int r = use_mprotect ? mprotect(p, PAGE, PROT_READ) : munmap(p, PAGE);
    uint64_t s1 = __atomic_load_n(&l.seq, __ATOMIC_SEQ_CST);
    t_msleep(100);
    uint64_t s2 = __atomic_load_n(&l.seq, __ATOMIC_SEQ_CST);
    int faulted = __atomic_load_n(&l.faulted, __ATOMIC_SEQ_CST);
    l.stop = 1;
    pthread_join(th, NULL);
    if (r != 0) {
        t_fail(name, "%s returned %d (%s)", use_mprotect ? "mprotect" : "munmap", r, t_errname(errno));
    } else if (before < 1000) {
        t_fail(name, "the loop thread made only %llu accesses in 5 s before the call", (unsigned long long)before);
    } else {
        /* s1 may include the one access in flight when the call took effect. */
        t_check(name, s2 <= s1 + 1 && faulted && l.where >= (uintptr_t)p && l.where < (uintptr_t)p + PAGE,
                "after %s returned the other thread still made %llu successful accesses in 100 ms "
                "(stale TLB entry on its CPU: was the change shot down on every CPU using the address space?); "
                "faulted %d at %#lx",
                use_mprotect ? "mprotect(PROT_READ)" : "munmap", (unsigned long long)(s2 - s1), faulted,
                (unsigned long)l.where);
    }
    if (use_mprotect) {
        t_check("mprotect-still-readable", l.page[0] >= 1, "the page is no longer readable");
        munmap(p, PAGE);
    }
}

/* ---- IPIs only where needed ------------------------------------------------ */

static void single_threaded(int rounds)
{
    int ok = 1;
    for (int i = 0; i < rounds && ok; i++) {
        char *p = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ok = p != MAP_FAILED;
        for (size_t o = 0; ok && o < 64 * PAGE; o += PAGE)
            p[o] = (char)i;
        ok = ok && mprotect(p, 64 * PAGE, PROT_READ) == 0 && munmap(p, 64 * PAGE) == 0;
    }
    t_check("single-threaded-munmap", ok, "mmap/mprotect/munmap failed: %s", t_errname(errno));
    t_note("single: %d rounds of mmap, mprotect and munmap, one thread", rounds);
}

static volatile int spin_stop;
static volatile uint64_t spin_count;

static void *spinner(void *arg)
{
    volatile char *p = arg;
    while (!spin_stop) {
        (void)p[0];
        __atomic_add_fetch(&spin_count, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void wide(int rounds)
{
    char *keep = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    keep[0] = 1;
    pthread_t th;
    int ok = pthread_create(&th, NULL, spinner, keep) == 0;
    uint64_t t0 = now_ns();
    while (ok && spin_count < 1000 && now_ns() - t0 < 5000000000ull)
        ;
    for (int i = 0; ok && i < rounds; i++) {
        char *p = mmap(NULL, 512 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ok = p != MAP_FAILED;
        for (size_t o = 0; ok && o < 512 * PAGE; o += PAGE)
            p[o] = 1;
        ok = ok && munmap(p, 512 * PAGE) == 0;
    }
    uint64_t spun = spin_count;
    spin_stop = 1;
    pthread_join(th, NULL);
    t_check("wide-munmap", ok && spun >= 1000, "mmap/munmap failed or the sibling never ran (%llu)",
            (unsigned long long)spun);
    printf("wide: %d munmaps of 512 pages with a sibling thread spinning\n", rounds);
    fflush(stdout);
}

/* ---- stress ------------------------------------------------------------------ */

enum { STRESS_THREADS = 8 };
static volatile int stress_stop;
static char *shared_area;   /* one page each thread reads and writes its own slot of */

struct stress {
    int id;
    uint64_t rounds, stale, bad_fault, no_fault;
};

static void *stress_thread(void *arg)
{
    struct stress *s = arg;
    sigjmp_buf jb;
    unsigned seed = 12345 + s->id;
    while (!stress_stop) {
        size_t pages = 1 + rand_r(&seed) % 16;
        uint32_t tag = ((uint32_t)s->id << 24) ^ (uint32_t)s->rounds;
        uint32_t *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            s->bad_fault++;
            break;
        }
        for (size_t i = 0; i < pages; i++) {
            if (p[i * PAGE / 4] != 0)
                s->stale++; /* fresh anonymous memory must read as zero */
            p[i * PAGE / 4] = tag + i;
        }
        __atomic_add_fetch((uint32_t *)(shared_area + 64 * s->id), 1, __ATOMIC_RELAXED);
        for (size_t i = 0; i < pages; i++)
            if (p[i * PAGE / 4] != tag + i)
                s->stale++; /* someone else's stale translation wrote here */
        if (rand_r(&seed) % 4 == 0) {
            /* no access at all after mprotect(PROT_NONE) returns (the range
             * stays ours, so no other thread can map something there) */
            volatile int faulted = 0;
            mprotect(p, pages * PAGE, PROT_NONE);
            fault_jump = &jb;
            if (sigsetjmp(jb, 1) == 0)
                (void)*(volatile uint32_t *)p;
            else
                faulted = 1;
            fault_jump = NULL;
            if (!faulted)
                s->no_fault++;
        }
        munmap(p, pages * PAGE);
        s->rounds++;
    }
    return NULL;
}

static void stress(int seconds)
{
    struct stress st[STRESS_THREADS];
    pthread_t th[STRESS_THREADS];
    shared_area = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int created = 0;
    for (int i = 0; i < STRESS_THREADS; i++) {
        memset(&st[i], 0, sizeof st[i]);
        st[i].id = i;
        if (pthread_create(&th[i], NULL, stress_thread, &st[i]) == 0)
            created++;
    }
    t_msleep(seconds * 1000l);
    stress_stop = 1;
    uint64_t rounds = 0, stale = 0, bad = 0, nofault = 0;
    for (int i = 0; i < created; i++) {
        pthread_join(th[i], NULL);
        rounds += st[i].rounds;
        stale += st[i].stale;
        bad += st[i].bad_fault;
        nofault += st[i].no_fault;
    }
    t_check("stress", created == STRESS_THREADS && rounds > 0 && stale == 0 && bad == 0 && nofault == 0,
            "%d threads, %llu rounds: %llu stale or wrong values, %llu mmap failures, "
            "%llu PROT_NONE pages still readable",
            created, (unsigned long long)rounds, (unsigned long long)stale, (unsigned long long)bad,
            (unsigned long long)nofault);
    t_note("stress: %d threads, %d s, %llu map/touch/unmap rounds", created, seconds, (unsigned long long)rounds);
    munmap(shared_area, PAGE);
}

int main(int argc, char **argv)
{
    t_begin("lab9a_shootdown");
    install_handler();
    const char *mode = argc > 1 ? argv[1] : "all";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    if (!strcmp(mode, "single")) {
        single_threaded(n > 0 ? n : 50);
    } else if (!strcmp(mode, "wide")) {
        wide(n > 0 ? n : 20);
    } else if (!strcmp(mode, "stress")) {
        stress(n > 0 ? n : 10);
    } else if (!strcmp(mode, "race")) {
        for (int i = 0; i < (n > 0 ? n : 1); i++) {
            race_case("munmap-stops-other-thread", 0);
            race_case("mprotect-stops-other-thread", 1);
        }
    } else {
        race_case("munmap-stops-other-thread", 0);
        race_case("mprotect-stops-other-thread", 1);
        stress(1);
    }
    return t_end();
}
