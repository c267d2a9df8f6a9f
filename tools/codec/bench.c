/*
 * Shared codec bench driver (make codec-bench). For each data kind (text,
 * source, binary, random: files of the shared corpus) and each unit (4 KiB,
 * 64 KiB, whole file; every unit is compressed on its own, as the file
 * system does) it prints the ratio and the compress/decompress MB/s of
 * every codec row, ours (built with the kernel's flags) beside the reference
 * library on the same data in the same run; the last three columns give
 * ours as a multiple of the reference (ratio, compress and decompress speed).
 *
 *   bench CORPUS_DIR [FILTER]      (FILTER: only rows whose name contains it)
 *   BENCH_MIN_MS=n                 (time per measurement, default 150)
 *
 * Adding rows (Zstd helpers): write tools/codec/bench_zstd.c that defines
 *     const struct bench_codec bench_zstd_rows[];
 *     const size_t bench_zstd_nrows;
 * with one small compress and one decompress function per row (ours at
 * levels 1, 3, 19 beside libzstd's). Both symbols are weak here, so the bench
 * links without that file; lz4.part.mk compiles it in when it exists (set
 * KCODEC_ZSTD_SRCS there so the codec archive carries the zstd objects).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lz4.h>
#include <lz4hc.h>

#include "lib/lz4.h"
#include "bench.h"

extern const struct bench_codec bench_zstd_rows[] __attribute__((weak));
extern const size_t bench_zstd_nrows __attribute__((weak));

/* ---- LZ4 rows: ours (kernel/lib) and liblz4, raw blocks ---- */

static size_t lz4_bound(size_t n)
{
    return lz4_block_bound(n);
}

static size_t ours_lz4_ws(size_t n, int level)
{
    (void)n;
    return lz4_compress_workspace_size(level);
}

static long ours_lz4_c(void *dst, size_t cap, const void *src, size_t n, void *ws, int level)
{
    return lz4_block_compress(dst, cap, src, n, level, ws);
}

static long ours_lz4_d(void *dst, size_t cap, const void *src, size_t n, void *ws)
{
    (void)ws;
    return lz4_block_decompress(dst, cap, src, n, 0);
}

static long lib_lz4_c(void *dst, size_t cap, const void *src, size_t n, void *ws, int level)
{
    (void)ws;
    if (level >= 3)
        return LZ4_compress_HC(src, dst, (int)n, (int)cap, level);
    return LZ4_compress_default(src, dst, (int)n, (int)cap);
}

static long lib_lz4_d(void *dst, size_t cap, const void *src, size_t n, void *ws)
{
    (void)ws;
    return LZ4_decompress_safe(src, dst, (int)n, (int)cap);
}

static const struct bench_codec lz4_rows[] = {
    { "ours lz4 fast", lz4_bound, ours_lz4_ws, ours_lz4_c, ours_lz4_d, NULL, 0 },
    { "liblz4 default", lz4_bound, NULL, lib_lz4_c, lib_lz4_d, NULL, 0 },
    { "ours lz4 HC9", lz4_bound, ours_lz4_ws, ours_lz4_c, ours_lz4_d, NULL, 9 },
    { "liblz4 HC9", lz4_bound, NULL, lib_lz4_c, lib_lz4_d, NULL, 9 },
};

/* ---- driver ---- */

static const struct {
    const char *kind, *file;
} kinds[] = {
    { "text", "text-licenses" },
    { "source", "source-elf.h" },
    { "binary", "binary-bash" },
    { "random", "random-1m" },
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *b;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc(*n + 1);
    if (fread(b, 1, *n, f) != *n)
        *n = 0;
    fclose(f);
    return b;
}

struct unit_job {
    const unsigned char *src;
    size_t n, unit, nunits;
    unsigned char *comp; /* nunits slots of bound(unit) bytes */
    size_t slot;
    size_t *csize;
    unsigned char *out;
};

/* Run all units once through compress (dir 0) or decompress (dir 1). */
static int run_once(const struct bench_codec *c, struct unit_job *j, void *cws, void *dws, int dir)
{
    for (size_t u = 0; u < j->nunits; u++) {
        size_t off = u * j->unit, len = j->n - off < j->unit ? j->n - off : j->unit;
        unsigned char *slot = j->comp + u * j->slot;
        long r;
        if (dir == 0) {
            r = c->compress(slot, j->slot, j->src + off, len, cws, c->level);
            if (r < 0)
                return -1;
            j->csize[u] = (size_t)r;
        } else {
            r = c->decompress(j->out + off, len, slot, j->csize[u], dws);
            if (r != (long)len)
                return -1;
        }
    }
    return 0;
}

/* One row of a table being measured. */
struct row {
    const struct bench_codec *c;
    struct unit_job j;
    void *cws, *dws;
    double best[2], spent[2]; /* per direction: fastest pass, total time */
    int passes[2];
    bool failed;
};

static void row_init(struct row *r, const struct bench_codec *c, const unsigned char *src, size_t n,
                     size_t unit)
{
    size_t u = unit < n ? unit : n;

    memset(r, 0, sizeof(*r));
    r->c = c;
    r->j = (struct unit_job){ .src = src, .n = n, .unit = unit };
    r->j.nunits = (n + unit - 1) / unit;
    /* output slots padded off 4 KiB multiples: no aliasing with the input */
    r->j.slot = ((c->bound(u) + 4095) & ~(size_t)4095) + 2048 + 64;
    r->j.comp = malloc(r->j.nunits * r->j.slot + 1);
    r->j.csize = calloc(r->j.nunits + 1, sizeof(size_t));
    r->j.out = malloc(n + 1);
    r->cws = c->cws_size ? malloc(c->cws_size(u, c->level)) : NULL;
    r->dws = c->dws_size ? malloc(c->dws_size(u)) : NULL;
    r->best[0] = r->best[1] = 1e30;
}

/* Has this row been timed enough in direction dir? */
static bool row_done(const struct row *r, int dir, double min_s)
{
    if (r->failed)
        return true;
    return r->spent[dir] >= min_s && (r->passes[dir] >= 3 || r->best[dir] >= min_s / 3);
}

/*
 * Time one direction for every row, round-robin: each round runs one pass
 * of each row that still needs time (at least min_s and 3 passes, or one
 * pass if a pass is that slow). The fastest pass counts. Interleaving the
 * rows puts ours and the reference under the same load on a shared machine.
 */
static void measure_rows(struct row *rows, size_t nrows, int dir, double min_s)
{
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < nrows; i++) {
            struct row *r = &rows[i];
            if (row_done(r, dir, min_s))
                continue;
            more = true;
            double t0 = now();
            if (run_once(r->c, &r->j, r->cws, r->dws, dir) < 0) {
                r->failed = true;
                continue;
            }
            double t = now() - t0;
            r->spent[dir] += t;
            r->passes[dir]++;
            if (t < r->best[dir])
                r->best[dir] = t;
        }
    }
}

/* The reference row an "ours" row is compared with: "ours-dec X" decodes X's
 * frames, so X itself; any other "ours" row, the next library row. -1: none. */
static long find_ref(struct row *rows, size_t nrows, size_t i)
{
    const char *name = rows[i].c->name;
    if (strncmp(name, "ours", 4) != 0)
        return -1;
    for (size_t j = 0; j < nrows; j++) {
        if (strncmp(name, "ours-dec ", 9) == 0 ? strcmp(rows[j].c->name, name + 9) == 0
                                                : j > i && strncmp(rows[j].c->name, "lib", 3) == 0)
            return (long)j;
    }
    return -1;
}

static double row_ratio(const struct row *r, size_t n)
{
    size_t total = 0;
    for (size_t u = 0; u < r->j.nunits; u++)
        total += r->j.csize[u];
    return (double)n / (double)total;
}

/* One table: ratio, compress and decompress speed of each row, round trips
 * verified; "ours" rows also show each figure as a multiple of the reference's. */
static void bench_table(const struct bench_codec **codecs, size_t nrows, const unsigned char *src,
                        size_t n, size_t unit, double min_s)
{
    struct row *rows = calloc(nrows + 1, sizeof(*rows));

    for (size_t i = 0; i < nrows; i++)
        row_init(&rows[i], codecs[i], src, n, unit);
    measure_rows(rows, nrows, 0, min_s);
    measure_rows(rows, nrows, 1, min_s);
    for (size_t i = 0; i < nrows; i++) {
        struct row *r = &rows[i];
        if (r->failed || memcmp(r->j.out, src, n)) {
            printf("  %-20s FAILED (round trip error)\n", r->c->name);
            continue;
        }
        printf("  %-20s %7.3f %10.1f %12.1f", r->c->name, row_ratio(r, n), (double)n / r->best[0] / 1e6,
               (double)n / r->best[1] / 1e6);
        long ref = find_ref(rows, nrows, i);
        if (ref >= 0 && !rows[ref].failed)
            printf("   %15.2fx %5.2fx %7.2fx", row_ratio(r, n) / row_ratio(&rows[ref], n),
                   rows[ref].best[0] / r->best[0], rows[ref].best[1] / r->best[1]);
        printf("\n");
    }
    for (size_t i = 0; i < nrows; i++) {
        struct row *r = &rows[i];
        free(r->j.comp), free(r->j.csize), free(r->j.out), free(r->cws), free(r->dws);
    }
    fflush(stdout);
    free(rows);
}

int main(int argc, char **argv)
{
    const char *filter = argc > 2 ? argv[2] : NULL;
    const char *ms = getenv("BENCH_MIN_MS");
    double min_s = (ms ? atof(ms) : 150) / 1000;
    static const size_t units[] = { 4096, 65536, 0 };
    char path[1024];

    if (argc < 2) {
        fprintf(stderr, "usage: bench CORPUS_DIR [FILTER]\n");
        return 2;
    }
    /* the rows, in table order */
    size_t nz = bench_zstd_rows && &bench_zstd_nrows ? bench_zstd_nrows : 0, nrows = 0;
    size_t nl = sizeof(lz4_rows) / sizeof(lz4_rows[0]);
    const struct bench_codec **rows = calloc(nl + nz + 1, sizeof(*rows));
    for (size_t r = 0; r < nl + nz; r++) {
        const struct bench_codec *c = r < nl ? &lz4_rows[r] : &bench_zstd_rows[r - nl];
        if (!filter || strstr(c->name, filter))
            rows[nrows++] = c;
    }

    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        size_t n;
        snprintf(path, sizeof(path), "%s/%s", argv[1], kinds[k].file);
        unsigned char *src = read_file(path, &n);
        if (!src || !n) {
            fprintf(stderr, "bench: cannot read %s\n", path);
            return 1;
        }
        for (size_t u = 0; u < 3; u++) {
            size_t unit = units[u] ? units[u] : n;
            if (units[u])
                printf("\n%s (%s, %zu bytes), unit %zu KiB\n", kinds[k].kind, kinds[k].file, n,
                       unit / 1024);
            else
                printf("\n%s (%s, %zu bytes), unit whole file\n", kinds[k].kind, kinds[k].file, n);
            printf("  %-20s %7s %10s %12s   %s\n", "codec", "ratio", "comp MB/s", "decomp MB/s",
                   "ours/ref: ratio  comp  decomp");
            bench_table(rows, nrows, src, n, unit, min_s);
        }
        free(src);
    }
    free(rows);
    return 0;
}
