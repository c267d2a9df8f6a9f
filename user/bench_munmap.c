/*
 * bench_munmap: the cost of munmap on 512 touched pages (2 MiB), alone or
 * with a sibling thread spinning on another CPU (which makes every munmap
 * a TLB shootdown). Prints microseconds per call; on Linux also the TLB
 * shootdown interrupts per call from /proc/interrupts. Lab 9a's bench
 * (tools/bench-munmap.sh) runs it on Keel and on the host.
 *
 *   bench_munmap single|sibling [CALLS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define PAGES 512
#define PAGE 4096

static atomic_int stop;

static void *spin(void *arg)
{
    (void)arg;
    while (!atomic_load_explicit(&stop, memory_order_relaxed))
        ;
    return NULL;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* The sum of the "TLB" row of /proc/interrupts (Linux), or -1 if there is none. */
static long tlb_interrupts(void)
{
    FILE *f = fopen("/proc/interrupts", "r");
    if (!f)
        return -1;
    char line[4096];
    long total = -1;
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ')
            p++;
        if (strncmp(p, "TLB:", 4) != 0)
            continue;
        total = 0;
        for (p += 4;;) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            total += v;
            p = end;
        }
    }
    fclose(f);
    return total;
}

int main(int argc, char **argv)
{
    int sibling = argc > 1 && strcmp(argv[1], "sibling") == 0;
    int calls = argc > 2 ? atoi(argv[2]) : 200;
    pthread_t t;
    if (sibling && pthread_create(&t, NULL, spin, NULL) != 0) {
        perror("bench_munmap: pthread_create");
        return 1;
    }
    double total = 0;
    long tlb0 = tlb_interrupts();
    for (int i = 0; i < calls; i++) {
        char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("bench_munmap: mmap");
            return 1;
        }
        for (int k = 0; k < PAGES; k++)
            p[k * PAGE] = (char)k;
        double t0 = now_us();
        if (munmap(p, PAGES * PAGE) != 0) {
            perror("bench_munmap: munmap");
            return 1;
        }
        total += now_us() - t0;
    }
    long tlb1 = tlb_interrupts();
    if (sibling) {
        atomic_store(&stop, 1);
        pthread_join(t, NULL);
    }
    printf("bench_munmap: mode %s calls %d us_per_call %.1f", sibling ? "sibling" : "single", calls, total / calls);
    if (tlb0 >= 0 && tlb1 >= 0)
        printf(" tlb_irqs_per_call %.2f", (double)(tlb1 - tlb0) / calls);
    printf("\n");
    return 0;
}
