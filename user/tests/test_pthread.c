/*
 * test_pthread: musl's pthreads, which need clone with the thread flags,
 * SETTLS (arch_prctl-style FS base per thread), CHILD_CLEARTID + futex wake
 * for join, and futex wait/wake for mutexes and condition variables.
 * 4 threads share a mutex-protected counter, a condvar queue, atomics and
 * one address space; each has its own thread-local storage and tid.
 */
#include "testlib.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { THREADS = 4, INCREMENTS = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long atomic_counter;
static __thread long tls_value = 5;
static __thread char tls_buffer[64];

static void *count_with_mutex(void *arg)
{
    for (int i = 0; i < INCREMENTS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
    }
    return (void *)((intptr_t)arg * 10);
}

static void test_mutex_join(void)
{
    pthread_t t[THREADS];
    counter = atomic_counter = 0;
    int created = 0;
    for (intptr_t i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, count_with_mutex, (void *)i) == 0)
            created++;
    t_check("pthread-create-4", created == THREADS, "%d of %d created", created, THREADS);
    int joined_ok = 1;
    for (intptr_t i = 0; i < created; i++) {
        void *ret = NULL;
        if (pthread_join(t[i], &ret) != 0 || ret != (void *)(i * 10))
            joined_ok = 0;
    }
    t_check("pthread-join-return-values", joined_ok, "a join failed or returned the wrong value");
    t_check("pthread-mutex-counter", counter == (long)created * INCREMENTS, "counter %ld, expected %ld", counter,
            (long)created * INCREMENTS);
    t_check("pthread-atomic-counter", atomic_counter == (long)created * INCREMENTS, "counter %ld, expected %ld",
            atomic_counter, (long)created * INCREMENTS);
}

/* ---- condition variable: a bounded queue, 1 producer, 4 consumers ---- */

enum { ITEMS = 2000, QSIZE = 8 };
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int queue[QSIZE], qhead, qcount, done;
static long consumed_sum, consumed_count;

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (qcount == 0 && !done)
            pthread_cond_wait(&not_empty, &qlock);
        if (qcount == 0 && done) {
            pthread_mutex_unlock(&qlock);
            return NULL;
        }
        int v = queue[qhead];
        qhead = (qhead + 1) % QSIZE;
        qcount--;
        consumed_sum += v;
        consumed_count++;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&qlock);
    }
}

static void test_condvar(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, consumer, NULL);
    for (int v = 1; v <= ITEMS; v++) {
        pthread_mutex_lock(&qlock);
        while (qcount == QSIZE)
            pthread_cond_wait(&not_full, &qlock);
        queue[(qhead + qcount) % QSIZE] = v;
        qcount++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&qlock);
    }
    pthread_mutex_lock(&qlock);
    done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&qlock);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    long want = (long)ITEMS * (ITEMS + 1) / 2;
    t_check("pthread-condvar-queue", consumed_count == ITEMS && consumed_sum == want, "%ld items, sum %ld (want %ld)",
            consumed_count, consumed_sum, want);
}

/* ---- thread-local storage and identity ---- */

struct tls_report {
    int index;
    long initial;
    int kept;
    void *address;
    pid_t tid, pid;
};

static pthread_barrier_t barrier;

static void *tls_worker(void *arg)
{
    struct tls_report *r = arg;
    r->initial = tls_value;             /* the initial image, not another thread's value */
    tls_value = 1000 + r->index;
    memset(tls_buffer, 'a' + r->index, sizeof tls_buffer);
    pthread_barrier_wait(&barrier);     /* everyone has written their own copy */
    for (int i = 0; i < 1000; i++)
        sched_yield();
    int kept = tls_value == 1000 + r->index;
    for (size_t i = 0; i < sizeof tls_buffer; i++)
        kept = kept && tls_buffer[i] == 'a' + r->index;
    r->kept = kept;
    r->address = &tls_value;
    r->tid = syscall(SYS_gettid);
    r->pid = getpid();
    return NULL;
}

static void test_tls(void)
{
    pthread_t t[THREADS];
    struct tls_report r[THREADS];
    memset(r, 0, sizeof r);
    tls_value = 77;
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        r[i].index = i;
        pthread_create(&t[i], NULL, tls_worker, &r[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    int initial_ok = 1, kept = 1, distinct = 1, same_pid = 1;
    for (int i = 0; i < THREADS; i++) {
        initial_ok = initial_ok && r[i].initial == 5;
        kept = kept && r[i].kept;
        same_pid = same_pid && r[i].pid == getpid();
        distinct = distinct && r[i].address != &tls_value && r[i].tid != getpid();
        for (int j = 0; j < i; j++)
            distinct = distinct && r[i].address != r[j].address && r[i].tid != r[j].tid;
    }
    t_check("tls-initial-value", initial_ok, "a thread did not start with the initial TLS image");
    t_check("tls-private-per-thread", kept && tls_value == 77, "a thread saw another's TLS (main now %ld)", tls_value);
    t_check("threads-distinct-tids-and-tls", distinct, "two threads share a tid or a TLS address");
    t_check("threads-share-pid", same_pid, "getpid differs between threads");
}

/* ---- first touch of one page by every thread at once ---- */

enum { TOUCH_ROUNDS = 200 };
static volatile uint64_t *touch_page;
static pthread_barrier_t touch_barrier;
static uint64_t fallback_page[512];

/* Each round every thread writes its own word of a page nobody has touched
 * yet, released together by a barrier: several threads take the page fault
 * for the same page at once. The ones that lose the race must find the page
 * already mapped and carry on, not get SIGSEGV. */
static void *first_toucher(void *arg)
{
    intptr_t index = (intptr_t)arg;
    long wrong = 0;
    for (int round = 0; round < TOUCH_ROUNDS; round++) {
        pthread_barrier_wait(&touch_barrier); /* main has mapped a fresh page */
        touch_page[index * 8] = round + index;
        pthread_barrier_wait(&touch_barrier); /* everyone has written */
        for (int i = 0; i < THREADS; i++)
            wrong += touch_page[i * 8] != (uint64_t)(round + i);
        pthread_barrier_wait(&touch_barrier); /* main may unmap it */
    }
    return (void *)wrong;
}

static void test_first_touch_race(void)
{
    pthread_t t[THREADS];
    int created = 0, mapped = 1;
    long wrong = 0;
    pthread_barrier_init(&touch_barrier, NULL, THREADS + 1);
    for (intptr_t i = 0; i < THREADS; i++)
        created += pthread_create(&t[i], NULL, first_toucher, (void *)i) == 0;
    if (created != THREADS) {
        t_fail("threads-first-touch-same-page", "only %d of %d threads created", created, THREADS);
        exit(t_end());
    }
    for (int round = 0; round < TOUCH_ROUNDS; round++) {
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        mapped = mapped && p != MAP_FAILED;
        touch_page = p == MAP_FAILED ? fallback_page : p; /* keep the threads in step */
        pthread_barrier_wait(&touch_barrier);
        pthread_barrier_wait(&touch_barrier);
        pthread_barrier_wait(&touch_barrier);
        if (p != MAP_FAILED)
            munmap(p, 4096);
    }
    for (int i = 0; i < THREADS; i++) {
        void *ret = NULL;
        pthread_join(t[i], &ret);
        wrong += (long)ret;
    }
    t_check("threads-first-touch-same-page", mapped && wrong == 0,
            "%d rounds of %d threads writing one fresh page: %s, %ld wrong values", TOUCH_ROUNDS, THREADS,
            mapped ? "every mmap worked" : "an mmap failed", wrong);
}

/* ---- many short threads: exit, CLEARTID and join wakeups ---- */

static void *exit_early(void *arg)
{
    pthread_exit(arg);
}

static void test_many_threads(void)
{
    int ok = 1;
    for (intptr_t i = 0; i < 100 && ok; i++) {
        pthread_t t;
        void *ret = NULL;
        ok = pthread_create(&t, NULL, exit_early, (void *)i) == 0 && pthread_join(t, &ret) == 0 && ret == (void *)i;
    }
    t_check("pthread-100-create-exit-join", ok, "a create, pthread_exit or join went wrong");
}

/* ---- timed waits: futex with a timeout ---- */

static void test_timedwait(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec start, deadline, end;
    clock_gettime(CLOCK_REALTIME, &start);
    deadline = start;
    deadline.tv_nsec += 100 * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    int r = pthread_cond_timedwait(&c, &m, &deadline);
    pthread_mutex_unlock(&m);
    clock_gettime(CLOCK_REALTIME, &end);
    long ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
    t_check("pthread-cond-timedwait-times-out", r == ETIMEDOUT && ms >= 90, "returned %d after %ld ms", r, ms);
}

/* A thread that calls fork: the child has only that thread and can exit cleanly. */
static void *forker(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid == 0)
        _exit(tls_value == 5 ? 4 : 3);
    int st = 0;
    return (void *)(intptr_t)(waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void test_fork_from_thread(void)
{
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, forker, NULL);
    pthread_join(t, &ret);
    t_check("fork-from-thread", ret == (void *)4, "child reported %ld (4 = ok)", (long)(intptr_t)ret);
}

int main(void)
{
    t_begin("test_pthread");
    test_mutex_join();
    test_condvar();
    test_tls();
    test_first_touch_race();
    test_many_threads();
    test_timedwait();
    test_fork_from_thread();
    return t_end();
}
