/*
 * LZ4 tests (make lz4-check), built with ASan+UBSan around kernel/lib's
 * xxhash and lz4 sources: xxHash vectors, round trips on the shared corpus
 * in every LZ4 mode, compatibility both ways with liblz4 and the `lz4` CLI
 * (and kcodec), and bad input (truncations, bit flips, random bytes,
 * checksum mismatches) that must give an error, never a crash.
 *
 *   test_lz4 CORPUS_DIR KCODEC TMP_DIR
 *
 * Prints one line per group and "lz4: N passed, N failed"; exit 1 on failure.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <lz4.h>
#include <lz4frame.h>
#include <lz4hc.h>

#include "lib/lz4.h"

static const char *corpus, *kcodec, *tmp;
static int passed, failed, g_passed, g_failed;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        g_passed++;
        return;
    }
    g_failed++;
    if (g_failed <= 10) {
        va_start(ap, fmt);
        printf("  FAIL: ");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
}

static void group_end(const char *name)
{
    printf("lz4: %-28s %5d passed, %d failed (cpu %.1fs)\n", name, g_passed, g_failed,
           (double)clock() / CLOCKS_PER_SEC);
    passed += g_passed, failed += g_failed;
    g_passed = g_failed = 0;
    fflush(stdout);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc(*n ? *n : 1);
    if (*n && fread(b, 1, *n, f) != *n)
        *n = 0;
    fclose(f);
    return b;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n) {
        printf("lz4: cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Our streaming decoder, fed in ichunk pieces with ochunk output space. */
static long stream_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, size_t ichunk,
                          size_t ochunk)
{
    static uint8_t *buf;
    struct lz4_dctx d;
    size_t in = 0, out = 0;
    long r = 1;

    if (!buf)
        buf = malloc(lz4_dctx_buffer_size());
    lz4_dctx_init(&d, buf, lz4_dctx_buffer_size());
    for (;;) {
        size_t sl = n - in < ichunk ? n - in : ichunk;
        size_t dl = cap - out < ochunk ? cap - out : ochunk;
        r = lz4_dctx_decompress(&d, dst + out, &dl, src + in, &sl);
        if (r < 0)
            return r;
        in += sl, out += dl;
        if (sl == 0 && dl == 0)
            break;
    }
    if (in < n)
        return -LZ4_ERR_DST_TOO_SMALL;
    return r == 0 ? (long)out : -LZ4_ERR_TRUNCATED;
}

/* liblz4's frame decoder as the oracle. */
static long lib_decode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap)
{
    LZ4F_dctx *dc;
    size_t in = 0, out = 0, r = 1;

    LZ4F_createDecompressionContext(&dc, LZ4F_VERSION);
    while (in < n) {
        size_t sl = n - in, dl = cap - out;
        r = LZ4F_decompress(dc, dst + out, &dl, src + in, &sl, NULL);
        if (LZ4F_isError(r) || (sl == 0 && dl == 0))
            break;
        in += sl, out += dl;
    }
    LZ4F_freeDecompressionContext(dc);
    return LZ4F_isError(r) || r != 0 ? -1 : (long)out;
}

static const char *const files[] = {
    "text-licenses", "source-elf.h",  "binary-bash",       "random-1m",     "edge-empty",
    "edge-1byte",    "edge-zeros-1m", "edge-pattern3-16m", "edge-b64k_0",   "edge-b64k_1",
    "edge-b64k_2",   "edge-b256k_0",  "edge-b256k_1",      "edge-b256k_2",  "edge-b1024k_0",
    "edge-b1024k_1", "edge-b1024k_2", "edge-b4096k_0",     "edge-b4096k_1", "edge-b4096k_2",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

struct mode {
    struct lz4_frame_params p;
    bool big; /* also run on inputs > 2 MiB */
};
static const struct mode modes[] = {
    { { 0, 4, false, true, false, true }, false },  { { 0, 7, true, true, true, false }, true },
    { { -1, 5, true, false, false, true }, false }, { { -8, 6, false, true, true, false }, false },
    { { 1, 5, false, false, true, true }, false },  { { 3, 4, true, true, false, false }, false },
    { { 6, 6, false, false, false, true }, false }, { { 9, 7, true, true, true, true }, true },
    { { 12, 4, true, false, true, false }, false },
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static void *ws;

static void test_xxhash(void)
{
    struct xxh32_state s32;
    struct xxh64_state s64;
    uint8_t buf[300];

    check(xxh32("", 0, 0) == 0x02CC5D05U, "xxh32 empty");
    check(xxh32("abc", 3, 0) == 0x32D153FFU, "xxh32 abc");
    check(xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL, "xxh64 empty");
    check(xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL, "xxh64 abc");
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rnd();
    for (size_t n = 0; n <= sizeof(buf); n += 7) {
        xxh32_reset(&s32, (uint32_t)n);
        xxh64_reset(&s64, n);
        for (size_t k = 0; k < n; k += 5) {
            xxh32_update(&s32, buf + k, n - k < 5 ? n - k : 5);
            xxh64_update(&s64, buf + k, n - k < 5 ? n - k : 5);
        }
        check(xxh32_digest(&s32) == xxh32(buf, n, (uint32_t)n), "xxh32 stream %zu", n);
        check(xxh64_digest(&s64) == xxh64(buf, n, n), "xxh64 stream %zu", n);
    }
    group_end("xxhash");
}

/* Every mode on every corpus file: ours->ours (one-shot and streaming), ours->liblz4. */
static void test_roundtrip(void)
{
    for (size_t f = 0; f < NFILES; f++) {
        char path[512];
        size_t n;
        snprintf(path, sizeof(path), "%s/%s", corpus, files[f]);
        uint8_t *src = read_file(path, &n);
        check(src != NULL, "missing corpus file %s", path);
        if (!src)
            continue;
        for (size_t m = 0; m < NMODES; m++) {
            const struct lz4_frame_params *p = &modes[m].p;
            if (n > (2u << 20) && !modes[m].big)
                continue;
            size_t cap = lz4_frame_bound(n, p);
            uint8_t *c = malloc(cap), *d = malloc(n + 1);
            long r = lz4_frame_compress(c, cap, src, n, p, ws);
            check(r > 0, "%s mode %zu: compress: %s", files[f], m, lz4_error_name(r));
            if (r > 0) {
                long k = lz4_frame_decompress(d, n, c, (size_t)r);
                check(k == (long)n && !memcmp(d, src, n), "%s mode %zu: decode %ld", files[f], m,
                      k);
                if (n > 0) {
                    k = lz4_frame_decompress(d, n - 1, c, (size_t)r);
                    check(k == -LZ4_ERR_DST_TOO_SMALL, "%s mode %zu: short dst %ld", files[f], m,
                          k);
                }
                memset(d, 0, n);
                k = stream_decode(c, (size_t)r, d, n + 1, 7777 + m, 5000 + 999 * m);
                check(k == (long)n && !memcmp(d, src, n), "%s mode %zu: stream %ld", files[f], m,
                      k);
                memset(d, 0, n);
                k = lib_decode(c, (size_t)r, d, n + 1);
                check(k == (long)n && !memcmp(d, src, n), "%s mode %zu: liblz4 %ld", files[f], m,
                      k);
            }
            free(c), free(d);
        }
        free(src);
    }
    group_end("round trips (+liblz4 frames)");
}

/* Raw blocks both ways: ours -> LZ4_decompress_safe, liblz4 -> ours. */
static void test_blocks(void)
{
    static const int levels[] = { 0, -4, 4, 9 };

    for (size_t f = 0; f < NFILES; f++) {
        char path[512];
        size_t n;
        snprintf(path, sizeof(path), "%s/%s", corpus, files[f]);
        uint8_t *src = read_file(path, &n);
        if (!src || n > (2u << 20)) {
            free(src);
            continue;
        }
        size_t cap = lz4_block_bound(n);
        uint8_t *c = malloc(cap), *d = malloc(n ? n : 1);
        for (size_t l = 0; l < 4; l++) {
            long r = lz4_block_compress(c, cap, src, n, levels[l], ws);
            int k = r > 0 ? LZ4_decompress_safe((char *)c, (char *)d, (int)r, (int)n) : -1;
            check(k == (int)n && !memcmp(d, src, n), "%s block level %d -> liblz4: %d", files[f],
                  levels[l], k);
        }
        int r = LZ4_compress_default((char *)src, (char *)c, (int)n, (int)cap);
        long k = lz4_block_decompress(d, n, c, (size_t)r, 0);
        check(k == (long)n && !memcmp(d, src, n), "%s liblz4 block -> ours: %ld", files[f], k);
        r = LZ4_compress_HC((char *)src, (char *)c, (int)n, (int)cap, 9);
        k = lz4_block_decompress(d, n, c, (size_t)r, 0);
        check(k == (long)n && !memcmp(d, src, n), "%s liblz4 HC block -> ours: %ld", files[f], k);
        free(src), free(c), free(d);
    }

    /* output depends only on the input, not on what the workspace held */
    for (int level = 0; level <= 9; level += 9) {
        size_t tn, sn;
        char path[512];
        snprintf(path, sizeof(path), "%s/text-licenses", corpus);
        uint8_t *text = read_file(path, &tn);
        snprintf(path, sizeof(path), "%s/source-elf.h", corpus);
        uint8_t *srcf = read_file(path, &sn);
        if (!text || !srcf)
            break;
        size_t cap = lz4_block_bound(tn) + lz4_block_bound(sn);
        uint8_t *c1 = malloc(cap), *c2 = malloc(cap);
        long r1 = lz4_block_compress(c1, cap, text, tn, level, ws);
        (void)lz4_block_compress(c2, cap, srcf, sn, level, ws);
        (void)lz4_block_compress(c2, cap, srcf + 1000, 3000, level, ws);
        long r2 = lz4_block_compress(c2, cap, text, tn, level, ws);
        check(r1 > 0 && r1 == r2 && !memcmp(c1, c2, (size_t)r1), "level %d not deterministic",
              level);
        free(c1), free(c2), free(text), free(srcf);
    }
    group_end("blocks both ways (liblz4)");
}

static int run(const char *cmd)
{
    return system(cmd);
}

/* Does `path` decode (ours one-shot, ours streaming, kcodec) to `want`? */
static void check_frame_file(const char *path, const uint8_t *want, size_t n, const char *what)
{
    size_t cn, kn;
    uint8_t *c = read_file(path, &cn), *d = malloc(n + 1);
    char cmd[2048], out[512];

    check(c != NULL, "%s: no frame", what);
    if (!c)
        return;
    long k = lz4_frame_decompress(d, n, c, cn);
    check(k == (long)n && !memcmp(d, want, n), "%s: ours one-shot %ld", what, k);
    k = stream_decode(c, cn, d, n + 1, 4096, 65536);
    check(k == (long)n && !memcmp(d, want, n), "%s: ours stream %ld", what, k);
    snprintf(out, sizeof(out), "%s/kc.out", tmp);
    snprintf(cmd, sizeof(cmd), "%s -d --lz4 %s %s", kcodec, path, out);
    int rc = run(cmd);
    uint8_t *kd = read_file(out, &kn);
    check(rc == 0 && kd && kn == n && !memcmp(kd, want, n), "%s: kcodec -d", what);
    free(kd), free(c), free(d);
}

/* Frames made by the lz4 CLI decode with ours; ours decode with lz4 -d. */
static void test_cli(void)
{
    static const char *const opts[] = {
        "",    "-BD",      "--content-size",        "-9", "-B4", "--no-frame-crc", "-BX -B5",
        "-12", "--fast=4", "-B6 -BD --content-size"
    };
    static const char *const inputs[] = { "text-licenses", "binary-bash", "edge-b4096k_2" };
    static const int levels[] = { 0, -3, 9 };
    char cmd[4096], path[512], fr[512], out[512];
    size_t n, on;

    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", corpus, inputs[i]);
        uint8_t *src = read_file(path, &n);
        if (!src)
            continue;
        for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
            if (i == 2 && o % 3)
                continue;
            snprintf(fr, sizeof(fr), "%s/cli.lz4", tmp);
            snprintf(cmd, sizeof(cmd), "lz4 -q -f %s %s %s", opts[o], path, fr);
            check(run(cmd) == 0, "lz4 %s failed", opts[o]);
            char what[256];
            snprintf(what, sizeof(what), "lz4 %s %s", opts[o], inputs[i]);
            check_frame_file(fr, src, n, what);
        }
        /* ours -> lz4 -d, through kcodec */
        for (size_t l = 0; l < 3; l++) {
            snprintf(fr, sizeof(fr), "%s/kc.lz4", tmp);
            snprintf(out, sizeof(out), "%s/kc.dec", tmp);
            snprintf(cmd, sizeof(cmd), "%s -z --lz4=%d %s %s && lz4 -q -d -f %s %s", kcodec,
                     levels[l], path, fr, fr, out);
            int rc = run(cmd);
            uint8_t *d = read_file(out, &on);
            check(rc == 0 && d && on == n && !memcmp(d, src, n), "kcodec -z --lz4=%d %s -> lz4 -d",
                  levels[l], inputs[i]);
            free(d);
        }
        free(src);
    }
    /* our one-shot frames in several modes -> lz4 -d */
    snprintf(path, sizeof(path), "%s/source-elf.h", corpus);
    uint8_t *src = read_file(path, &n);
    for (size_t m = 0; src && m < NMODES; m++) {
        size_t cap = lz4_frame_bound(n, &modes[m].p);
        uint8_t *c = malloc(cap);
        long r = lz4_frame_compress(c, cap, src, n, &modes[m].p, ws);
        snprintf(fr, sizeof(fr), "%s/ours.lz4", tmp);
        snprintf(out, sizeof(out), "%s/ours.dec", tmp);
        write_file(fr, c, r > 0 ? (size_t)r : 0);
        snprintf(cmd, sizeof(cmd), "lz4 -q -d -f %s %s", fr, out);
        int rc = run(cmd);
        uint8_t *d = read_file(out, &on);
        check(rc == 0 && d && on == n && !memcmp(d, src, n), "mode %zu -> lz4 -d", m);
        free(c), free(d);
    }
    free(src);
    /* concatenated frames with a skippable frame between them */
    snprintf(fr, sizeof(fr), "%s/cat.lz4", tmp);
    snprintf(out, sizeof(out), "%s/cat.raw", tmp);
    snprintf(cmd, sizeof(cmd),
             "{ lz4 -q -c %s/text-licenses; printf '\\132\\052\\115\\030\\003\\000\\000\\000abc';"
             " lz4 -q -c -BD -9 %s/source-elf.h; lz4 -q -c %s/edge-empty; } > %s &&"
             " cat %s/text-licenses %s/source-elf.h > %s",
             corpus, corpus, corpus, fr, corpus, corpus, out);
    check(run(cmd) == 0, "building concatenated frames");
    src = read_file(out, &n);
    if (src)
        check_frame_file(fr, src, n, "concatenated frames");
    free(src);
    group_end("lz4 CLI / kcodec both ways");
}

/*
 * Decode damaged input (ASan/UBSan watch for any stray access). If `want`
 * is given, the frame is checksummed, so a successful decode must give it.
 */
static bool decode_damaged(const uint8_t *frame, size_t n, size_t cap, const uint8_t *want,
                           size_t want_len)
{
    uint8_t *c = malloc(n ? n : 1), *d = malloc(cap ? cap : 1);
    bool ok = true;

    memcpy(c, frame, n);
    long r = lz4_frame_decompress(d, cap, c, n);
    if (want && r >= 0)
        ok = r == (long)want_len && !memcmp(d, want, want_len);
    r = stream_decode(c, n, d, cap, 1 + rnd() % 3000, 1 + rnd() % 70000);
    if (want && r >= 0)
        ok = ok && r == (long)want_len && !memcmp(d, want, want_len);
    free(c), free(d);
    return ok;
}

static long compress_alloc(const uint8_t *src, size_t n, const struct lz4_frame_params *p,
                           uint8_t **out)
{
    size_t cap = lz4_frame_bound(n, p);
    *out = malloc(cap);
    return lz4_frame_compress(*out, cap, src, n, p, ws);
}

/* Truncations, bit flips, random bytes and checksum mismatches -> errors. */
static void test_bad_input(void)
{
    size_t tn, bn;
    char path[512];
    snprintf(path, sizeof(path), "%s/text-licenses", corpus);
    uint8_t *text = read_file(path, &tn);
    snprintf(path, sizeof(path), "%s/binary-bash", corpus);
    uint8_t *bin = read_file(path, &bn);
    if (!text || !bin) {
        check(0, "corpus missing");
        return;
    }
    /* three frames: small text, multi-block linked, raw+compressed blocks */
    size_t mn = 140000; /* three 64 KiB blocks: text, zeros, text */
    uint8_t *mix = calloc(mn, 1);
    memcpy(mix, text, 20000);
    memcpy(mix + 125000, text + 30000, 15000);
    struct lz4_frame_params p1 = { 0, 4, true, true, true, true };
    struct lz4_frame_params p2 = { 9, 4, true, true, false, false };
    struct lz4_frame_params p3 = { 0, 4, false, false, true, true };
    uint8_t *f[3];
    long fl[3];
    size_t fn[3] = { 12000, mn, 70000 };
    fl[0] = compress_alloc(text, fn[0], &p1, &f[0]);
    fl[1] = compress_alloc(mix, fn[1], &p2, &f[1]);
    fl[2] = compress_alloc(bin, fn[2], &p3, &f[2]);
    for (int i = 0; i < 3; i++) {
        check(fl[i] > 0, "bad-input frame %d", i);
        if (fl[i] <= 0)
            return;
    }

    for (int i = 0; i < 3; i++) {
        uint8_t *d = malloc(fn[i]);
        for (long t = 0; t < fl[i]; t++) {
            uint8_t *c = malloc(t ? (size_t)t : 1);
            memcpy(c, f[i], (size_t)t);
            long r = lz4_frame_decompress(d, fn[i], c, (size_t)t);
            long s = stream_decode(c, (size_t)t, d, fn[i], 1 + (size_t)t % 999, 65536);
            /* (no input at all is a clean end for the streaming decoder) */
            check(r < 0 && (t == 0 || s < 0), "frame %d cut at %ld decoded: %ld %ld", i, t, r, s);
            free(c);
        }
        free(d);
    }
    printf("  (frames of %ld, %ld, %ld bytes cut at every point)\n", fl[0], fl[1], fl[2]);
    group_end("truncations");

    for (int it = 0; it < 3000; it++) {
        int i = it % 3;
        uint8_t *c = malloc((size_t)fl[i]);
        memcpy(c, f[i], (size_t)fl[i]);
        for (int k = 1 + (int)(rnd() % 3); k > 0; k--) {
            /* half the flips hit the header and first block's control bytes */
            size_t pos = rnd() % 2 ? rnd() % 40 : rnd() % (size_t)fl[i];
            c[pos % (size_t)fl[i]] ^= (uint8_t)(1u << (rnd() % 8));
        }
        /* frames 0 and 2 carry checksums: damage must not pass silently */
        const uint8_t *want = i == 0 ? text : i == 2 ? bin : NULL;
        check(decode_damaged(c, (size_t)fl[i], fn[i] + rnd() % 100, want, fn[i]),
              "bit flips in frame %d decoded to wrong data", i);
        free(c);
    }
    group_end("bit flips");

    for (int it = 0; it < 3000; it++) {
        size_t n = 1 + rnd() % 3000;
        uint8_t *c = malloc(n + 7);
        for (size_t k = 0; k < n + 7; k++)
            c[k] = (uint8_t)rnd();
        if (it % 2) { /* a valid header, then garbage blocks */
            memcpy(c, f[it % 3], 7);
            c[7] = (uint8_t)(rnd() % 64), c[8] = (uint8_t)(rnd() % 2);
            c[9] = 0, c[10] = (uint8_t)(rnd() % 2 ? 0x80 : 0);
        }
        decode_damaged(c, n, 1 + rnd() % 100000, NULL, 0);
        /* raw block decoding with a history prefix of 100 bytes */
        size_t cap = rnd() % 70000;
        uint8_t *d = malloc(100 + cap + 1);
        long r = lz4_block_decompress(d + 100, cap, c, n, 100);
        check(r <= (long)cap, "random block decoded past its buffer");
        free(d), free(c);
    }
    group_end("random bytes");

    uint8_t *c = malloc((size_t)fl[0]), *d = malloc(fn[0]);
    memcpy(c, f[0], (size_t)fl[0]);
    c[fl[0] - 1] ^= 1;
    long r = lz4_frame_decompress(d, fn[0], c, (size_t)fl[0]);
    check(r == -LZ4_ERR_CONTENT_CHECKSUM, "content checksum: %ld", r);
    check(stream_decode(c, (size_t)fl[0], d, fn[0], 100, 100) == -LZ4_ERR_CONTENT_CHECKSUM,
          "content checksum (stream)");
    memcpy(c, f[0], (size_t)fl[0]);
    /* the first block's checksum follows its data: header 15 + 4 + size */
    uint32_t bsz;
    memcpy(&bsz, c + 15, 4);
    c[15 + 4 + (bsz & 0x7FFFFFFF)] ^= 0x10;
    r = lz4_frame_decompress(d, fn[0], c, (size_t)fl[0]);
    check(r == -LZ4_ERR_BLOCK_CHECKSUM, "block checksum: %ld", r);
    check(stream_decode(c, (size_t)fl[0], d, fn[0], 100, 100) == -LZ4_ERR_BLOCK_CHECKSUM,
          "block checksum (stream)");
    memcpy(c, f[0], (size_t)fl[0]);
    c[14] ^= 1;
    r = lz4_frame_decompress(d, fn[0], c, (size_t)fl[0]);
    check(r == -LZ4_ERR_HEADER_CHECKSUM, "header checksum: %ld", r);
    memcpy(c, f[0], (size_t)fl[0]);
    c[6] ^= 1; /* content size field */
    c[14] = (uint8_t)(xxh32(c + 4, 10, 0) >> 8);
    r = lz4_frame_decompress(d, fn[0], c, (size_t)fl[0]);
    check(r == -LZ4_ERR_CONTENT_SIZE, "content size: %ld", r);
    memcpy(c, f[0], (size_t)fl[0]);
    c[0] ^= 1;
    r = lz4_frame_decompress(d, fn[0], c, (size_t)fl[0]);
    check(r == -LZ4_ERR_BAD_MAGIC, "bad magic: %ld", r);
    check(lz4_frame_decompress(d, fn[0], c, 0) < 0, "empty input");
    uint64_t cs = 0;
    check(lz4_frame_content_size(f[0], (size_t)fl[0], &cs) == 1 && cs == fn[0], "content size");
    check(lz4_frame_content_size(f[1], (size_t)fl[1], &cs) == 0, "no content size");
    check(lz4_frame_content_size(f[1], 5, &cs) == -LZ4_ERR_TRUNCATED, "content size, short");
    free(c), free(d);
    group_end("checksums and header errors");

    for (int i = 0; i < 3; i++)
        free(f[i]);
    free(mix), free(text), free(bin);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: test_lz4 CORPUS_DIR KCODEC TMP_DIR\n");
        return 2;
    }
    corpus = argv[1], kcodec = argv[2], tmp = argv[3];
    mkdir(tmp, 0755);
    ws = malloc(lz4_compress_workspace_size(LZ4_LEVEL_MAX));
    test_xxhash();
    test_roundtrip();
    test_blocks();
    test_cli();
    test_bad_input();
    free(ws);
    printf("lz4: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
