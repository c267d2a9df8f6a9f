/*
 * test_zstd_dec.c - host tests of Keel's Zstandard decoder (kernel/lib/
 * zstd_frame.c and friends), built with ASan+UBSan.  Frames come from
 * libzstd (every level, with and without checksum / content size,
 * streaming, several frames, skippable frames) and from the `zstd` CLI;
 * each decodes one-shot into an exact-size buffer and through the
 * streaming API in random pieces.  Then bad input: truncations, bit flips,
 * random bytes, oversized windows, dictionaries, checksum mismatches,
 * short output buffers.  One line per group, then a total.
 * Usage: test_zstd_dec CORPUS_DIR TMP_DIR   (ZD_QUICK=1: skip the slow groups)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/zstd.h"
#include "lib/zstd_decompress.h"

static int passed, failed, g_pass, g_fail;
static const char *corpus, *tmpdir;
static void *ws, *dws;
static size_t ws_size, dws_size;
static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void check(int ok, const char *what, const char *detail)
{
    if (ok) {
        g_pass++;
        return;
    }
    g_fail++;
    if (g_fail <= 5)
        printf("  FAIL %s %s\n", what, detail ? detail : "");
}

static void group_end(const char *name)
{
    printf("zstd-dec: %-28s %5d passed, %d failed\n", name, g_pass, g_fail);
    passed += g_pass;
    failed += g_fail;
    g_pass = g_fail = 0;
}

struct buf {
    unsigned char *p;
    size_t n;
};

static struct buf read_file(const char *path)
{
    struct buf b = { NULL, 0 };
    FILE *f = fopen(path, "rb");
    if (!f) {
        printf("zstd-dec: cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    b.n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.p = malloc(b.n ? b.n : 1);
    if (b.n && fread(b.p, 1, b.n, f) != b.n)
        exit(2);
    fclose(f);
    return b;
}

static struct buf corpus_file(const char *name, size_t max)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", corpus, name);
    struct buf b = read_file(path);
    if (b.n > max)
        b.n = max;
    return b;
}

/* libzstd frame with the given level and flags. */
static struct buf lib_compress(const struct buf *in, int level, int checksum, int csize)
{
    struct buf c;
    size_t cap = ZSTD_compressBound(in->n);
    c.p = malloc(cap);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, checksum);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, csize);
    c.n = ZSTD_compress2(cc, c.p, cap, in->p, in->n);
    if (ZSTD_isError(c.n)) {
        printf("zstd-dec: libzstd failed: %s\n", ZSTD_getErrorName(c.n));
        exit(2);
    }
    ZSTD_freeCCtx(cc);
    return c;
}

/* One-shot decode into an exact-size heap buffer (ASan sees any overrun). */
static long decode_exact(const struct buf *c, size_t cap, unsigned char **out)
{
    unsigned char *d = malloc(cap ? cap : 1);
    long r = zstd_decompress(d, cap, c->p, c->n, ws, ws_size);
    if (out)
        *out = d;
    else
        free(d);
    return r;
}

/* Streaming decode in random-size pieces (max_piece bytes at most). */
static long decode_stream(const unsigned char *src, size_t n, unsigned char *dst, size_t cap,
                          size_t max_piece, long *last)
{
    struct zstd_dstream *ds = zstd_dstream_init(dws, dws_size);
    size_t ip = 0, op = 0;
    long r = 1;
    if (!ds)
        return -1000;
    for (int guard = 0; guard < 10000000; guard++) {
        size_t ie = ip + 1 + next_rand() % max_piece, oe = op + 1 + next_rand() % max_piece;
        if (ie > n)
            ie = n;
        if (oe > cap)
            oe = cap;
        size_t ip0 = ip, op0 = op;
        r = zstd_dstream_decompress(ds, dst, oe, &op, src, ie, &ip);
        if (r < 0)
            break;
        if (ip == n && r == 0)
            break;   /* complete */
        if (ip == n && op == op0 && ip == ip0 && (op < oe || oe == cap))
            break;   /* no progress possible: truncated or output full */
    }
    if (last)
        *last = r;
    return r < 0 ? r : (long)op;
}

/* Decode c both ways and compare with orig. */
static void expect_same(const struct buf *c, const struct buf *orig, const char *what)
{
    unsigned char *d;
    char detail[128];
    long r = decode_exact(c, orig->n, &d);
    snprintf(detail, sizeof detail, "one-shot r=%ld %s", r, r < 0 ? zstd_error_name(r) : "");
    check(r == (long)orig->n && memcmp(d, orig->p, orig->n) == 0, what, detail);
    free(d);
    if (zstd_frame_content_size(c->p, c->n) >= 0 && orig->n < (1u << 20)) {
        /* a roomier buffer: nothing past the content may change */
        d = malloc(orig->n + 64);
        memset(d, 0xEE, orig->n + 64);
        r = zstd_decompress(d, orig->n + 64, c->p, c->n, ws, ws_size);
        int clean = 1;
        for (size_t k = orig->n; k < orig->n + 64; k++)
            clean &= d[k] == 0xEE;
        check(r == (long)orig->n && clean, what, "bytes past the content changed");
        free(d);
    }
    unsigned char *s = malloc(orig->n + 1);
    long last;
    r = decode_stream(c->p, c->n, s, orig->n + 1, 1 + next_rand() % 200000, &last);
    snprintf(detail, sizeof detail, "stream r=%ld last=%ld %s", r, last,
             r < 0 ? zstd_error_name(r) : "");
    check(r == (long)orig->n && last == 0 && memcmp(s, orig->p, orig->n) == 0, what, detail);
    free(s);
}

static void free_buf(struct buf *b)
{
    free(b->p);
    b->p = NULL;
}

static const char *small_files[] = { "text-licenses", "source-elf.h", "edge-empty", "edge-1byte",
                                     "edge-b64k_0", "edge-b128k_1", "edge-b128k_2" };
static const char *big_files[] = { "binary-bash", "random-1m", "edge-zeros-1m",
                                   "edge-pattern3-16m", "edge-b4096k_2" };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Every level, the four checksum / content-size combinations in turn. */
static void test_levels(void)
{
    char what[128];
    for (size_t f = 0; f < NELEM(small_files); f++) {
        struct buf in = corpus_file(small_files[f], SIZE_MAX);
        for (int level = 1; level <= 22; level++) {
            int ck = level & 1, cs = (level >> 1) & 1;
            struct buf c = lib_compress(&in, level, ck, cs);
            snprintf(what, sizeof what, "%s level %d ck=%d cs=%d", small_files[f], level, ck, cs);
            expect_same(&c, &in, what);
            free_buf(&c);
        }
        free_buf(&in);
    }
    group_end("libzstd levels 1-22");
    static const int levels[] = { 1, 3, 9, 19 };
    for (size_t f = 0; f < NELEM(big_files); f++) {
        struct buf in = corpus_file(big_files[f], SIZE_MAX);
        for (size_t l = 0; l < NELEM(levels); l++) {
            if (levels[l] == 19 && in.n > (4u << 20))
                continue;
            struct buf c = lib_compress(&in, levels[l], 1, 1);
            snprintf(what, sizeof what, "%s level %d", big_files[f], levels[l]);
            expect_same(&c, &in, what);
            free_buf(&c);
        }
        free_buf(&in);
    }
    group_end("libzstd big files");
}

/* ZSTD_compressStream: no content size, blocks cut by flushes. */
static struct buf lib_stream(const struct buf *in, int level, size_t piece, int flush)
{
    struct buf c;
    size_t cap = ZSTD_compressBound(in->n) + 4096 + in->n / 64;
    c.p = malloc(cap);
    ZSTD_CStream *cs = ZSTD_createCStream();
    ZSTD_initCStream(cs, level);
    ZSTD_outBuffer ob = { c.p, cap, 0 };
    for (size_t pos = 0; pos < in->n; pos += piece) {
        size_t n = in->n - pos < piece ? in->n - pos : piece;
        ZSTD_inBuffer ib = { in->p + pos, n, 0 };
        while (ib.pos < ib.size)
            ZSTD_compressStream(cs, &ob, &ib);
        if (flush)
            ZSTD_flushStream(cs, &ob);
    }
    while (ZSTD_endStream(cs, &ob))
        ;
    ZSTD_freeCStream(cs);
    c.n = ob.pos;
    return c;
}

static void test_streams(void)
{
    char what[128];
    static const char *names[] = { "text-licenses", "binary-bash", "edge-pattern3-16m", "edge-empty" };
    for (size_t f = 0; f < NELEM(names); f++) {
        struct buf in = corpus_file(names[f], SIZE_MAX);
        for (int level = 1; level <= 19; level += 6) {
            struct buf c = lib_stream(&in, level, 1000 + next_rand() % 70000, level == 7);
            if (in.n) {
                check(ZSTD_getFrameContentSize(c.p, c.n) == ZSTD_CONTENTSIZE_UNKNOWN,
                      "no content size", names[f]);
                check(zstd_frame_content_size(c.p, c.n) == -1, "our content size", names[f]);
            }
            snprintf(what, sizeof what, "stream %s level %d", names[f], level);
            expect_same(&c, &in, what);
            free_buf(&c);
        }
        free_buf(&in);
    }
    group_end("libzstd streams");
}

/* Frames and skippable frames back to back. */
static void test_multi(void)
{
    struct buf a = corpus_file("text-licenses", SIZE_MAX), b = corpus_file("binary-bash", 300000);
    struct buf e = corpus_file("edge-empty", 0);
    struct buf ca = lib_compress(&a, 3, 1, 1), cb = lib_compress(&b, 19, 0, 0);
    struct buf ce = lib_compress(&e, 1, 1, 1), cs = lib_stream(&a, 5, 40000, 1);
    struct buf all, orig;
    all.p = malloc(ca.n + cb.n + ce.n + cs.n + 200);
    orig.p = malloc(2 * a.n + b.n);
    all.n = orig.n = 0;
    unsigned char skip[8 + 37];
    for (int round = 0; round < 2; round++) {
        all.n = orig.n = 0;
        for (int k = 0; k < 4; k++) {
            const struct buf *c = k == 0 ? &ca : k == 1 ? &cb : k == 2 ? &ce : &cs;
            const struct buf *o = k == 0 ? &a : k == 1 ? &b : k == 2 ? &e : &a;
            if (round == 1) {   /* a skippable frame before each frame */
                uint32_t magic = 0x184D2A50u + k * 5, len = k == 2 ? 0 : 37;
                memcpy(skip, &magic, 4);
                memcpy(skip + 4, &len, 4);
                memset(skip + 8, 0xA5, 37);
                memcpy(all.p + all.n, skip, 8 + len);
                all.n += 8 + len;
            }
            memcpy(all.p + all.n, c->p, c->n);
            all.n += c->n;
            memcpy(orig.p + orig.n, o->p, o->n);
            orig.n += o->n;
        }
        expect_same(&all, &orig, round ? "frames+skippable" : "frames");
    }
    struct buf sk = { skip, 8 + 37 };
    uint32_t len = 37;
    memcpy(skip + 4, &len, 4);
    check(decode_exact(&sk, 0, NULL) == 0, "lone skippable frame", NULL);
    check(zstd_frame_content_size(ca.p, ca.n) == (long)a.n, "content size", NULL);
    check(zstd_frame_content_size(ca.p, 3) < 0, "content size truncated", NULL);
    free(all.p);
    free(orig.p);
    group_end("multiple/skippable frames");
    free_buf(&a), free_buf(&b), free_buf(&e), free_buf(&ca), free_buf(&cb), free_buf(&ce), free_buf(&cs);
}

/* Frames made by the zstd CLI, from a file and from stdin (no size). */
static void test_cli(void)
{
    static const char *opts[] = { "", "-19", "--no-check", "-1", "--ultra -22", "-T2 -B1048576 -3",
                                  "--fast=3" };
    static const char *names[] = { "text-licenses", "source-elf.h", "binary-bash", "edge-empty",
                                   "edge-b128k_2" };
    char cmd[1024], out[512], what[256];
    for (size_t f = 0; f < NELEM(names); f++) {
        struct buf in = corpus_file(names[f], SIZE_MAX);
        for (size_t o = 0; o < NELEM(opts); o++) {
            for (int stdin_mode = 0; stdin_mode < 2; stdin_mode++) {
                snprintf(out, sizeof out, "%s/cli.zst", tmpdir);
                snprintf(cmd, sizeof cmd, "zstd -q -f -c %s %s%s/%s > %s", opts[o],
                         stdin_mode ? "< " : "", corpus, names[f], out);
                if (system(cmd) != 0) {
                    check(0, "zstd CLI failed:", cmd);
                    continue;
                }
                struct buf c = read_file(out);
                snprintf(what, sizeof what, "zstd %s %s%s", opts[o], stdin_mode ? "< " : "", names[f]);
                if (stdin_mode && strstr(opts[o], "-22") && in.n) {
                    /* no size known: a 128 MiB window, refused by design */
                    long r = decode_exact(&c, in.n, NULL);
                    check(r == -ZSTD_E_WINDOW_TOO_LARGE, what, zstd_error_name(r));
                } else {
                    expect_same(&c, &in, what);
                }
                free_buf(&c);
            }
        }
        free_buf(&in);
    }
    /* The 16 MiB pattern: default level, and -1 from stdin. */
    struct buf in = corpus_file("edge-pattern3-16m", SIZE_MAX);
    snprintf(cmd, sizeof cmd, "zstd -q -f -c < %s/edge-pattern3-16m > %s/cli.zst", corpus, tmpdir);
    snprintf(out, sizeof out, "%s/cli.zst", tmpdir);
    if (system(cmd) == 0) {
        struct buf c = read_file(out);
        expect_same(&c, &in, "zstd < pattern3-16m");
        free_buf(&c);
    }
    free_buf(&in);
    /* --long=27 from stdin: a 128 MiB window, refused. */
    snprintf(cmd, sizeof cmd, "zstd -q -f -c --long=27 < %s/text-licenses > %s/cli.zst", corpus, tmpdir);
    if (system(cmd) == 0) {
        struct buf c = read_file(out);
        long r = decode_exact(&c, 1 << 20, NULL);
        check(r == -ZSTD_E_WINDOW_TOO_LARGE, "--long=27 refused", zstd_error_name(r));
        free_buf(&c);
    }
    group_end("zstd CLI frames");
}

/* A frame header by hand: magic, descriptor, window byte, then blocks. */
static size_t craft(unsigned char *p, unsigned fhd, int wd, const unsigned char *rest, size_t n)
{
    uint32_t magic = 0xFD2FB528u;
    memcpy(p, &magic, 4);
    p[4] = (unsigned char)fhd;
    size_t k = 5;
    if (wd >= 0)
        p[k++] = (unsigned char)wd;
    memcpy(p + k, rest, n);
    return k + n;
}

static void test_headers(void)
{
    unsigned char f[64];
    /* one raw last block of 3 bytes "abc" */
    static const unsigned char raw3[] = { 0x19, 0, 0, 'a', 'b', 'c' };
    struct buf c;
    unsigned char out[8];
    c.p = f;
    c.n = craft(f, 0x00, 0x00, raw3, sizeof raw3);   /* 1 KiB window */
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == 3 && !memcmp(out, "abc", 3), "hand frame", NULL);
    c.n = craft(f, 0x00, 0xA0, raw3, sizeof raw3);   /* 2^(10+20) = 1 GiB window */
    long r = zstd_decompress(out, 8, c.p, c.n, ws, ws_size);
    check(r == -ZSTD_E_WINDOW_TOO_LARGE, "1 GiB window (one-shot)", zstd_error_name(r));
    r = decode_stream(c.p, c.n, out, 8, 100, NULL);
    check(r == -ZSTD_E_WINDOW_TOO_LARGE, "1 GiB window (stream)", zstd_error_name(r));
    c.n = craft(f, 0x00, 0xFF, raw3, sizeof raw3);   /* largest descriptor */
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_WINDOW_TOO_LARGE, "max window", NULL);
    c.n = craft(f, 0x00, 0x6F, raw3, sizeof raw3);   /* 2^23 * 15/8: > 8 MiB */
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_WINDOW_TOO_LARGE, "15 MiB window", NULL);
    c.n = craft(f, 0x00, 0x68, raw3, sizeof raw3);   /* exactly 8 MiB: fine */
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == 3, "8 MiB window", NULL);
    /* dictionary id 7 (1 byte) */
    unsigned char dict[sizeof raw3 + 1] = { 7 };
    memcpy(dict + 1, raw3, sizeof raw3);
    c.n = craft(f, 0x01, 0x00, dict, sizeof dict);
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_DICTIONARY, "dictionary refused", NULL);
    dict[0] = 0;   /* dictionary id 0 means none */
    c.n = craft(f, 0x01, 0x00, dict, sizeof dict);
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == 3, "dictionary id 0", NULL);
    /* single segment, 1-byte content size 3 */
    unsigned char ss[sizeof raw3 + 1] = { 3 };
    memcpy(ss + 1, raw3, sizeof raw3);
    c.n = craft(f, 0x20, -1, ss, sizeof ss);
    check(zstd_decompress(out, 3, c.p, c.n, ws, ws_size) == 3, "single segment", NULL);
    check(zstd_frame_content_size(c.p, c.n) == 3, "single segment size", NULL);
    ss[0] = 4;   /* header says 4, frame has 3 */
    c.n = craft(f, 0x20, -1, ss, sizeof ss);
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_CONTENT_SIZE, "content size mismatch", NULL);
    ss[0] = 2;   /* header says 2, frame has 3 */
    c.n = craft(f, 0x20, -1, ss, sizeof ss);
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_CONTENT_SIZE, "content size exceeded", NULL);
    c.n = craft(f, 0x08, 0x00, raw3, sizeof raw3);   /* reserved bit */
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_FRAME_HEADER, "reserved bit", NULL);
    static const unsigned char rsv[] = { 0x07, 0, 0 };   /* reserved block type */
    c.n = craft(f, 0x00, 0x00, rsv, sizeof rsv);
    check(zstd_decompress(out, 8, c.p, c.n, ws, ws_size) == -ZSTD_E_BLOCK_TYPE, "reserved block", NULL);
    check(zstd_decompress(out, 8, "\x28\xb5\x2f\xfe\0\0", 6, ws, ws_size) == -ZSTD_E_BAD_MAGIC, "bad magic", NULL);
    check(zstd_decompress(out, 8, c.p, c.n, ws, 100) == -ZSTD_E_WORKSPACE, "small workspace", NULL);
    check(zstd_dstream_init(dws, 1000) == NULL, "small stream workspace", NULL);
    check(strcmp(zstd_error_name(-ZSTD_E_WINDOW_TOO_LARGE), "zstd: window too large") == 0, "error name", NULL);
    /* NULL buffers of size 0: no frames, or an empty frame */
    static const unsigned char empty_frame[] = { 0x28, 0xB5, 0x2F, 0xFD, 0x20, 0x00, 0x01, 0x00, 0x00 };
    check(zstd_decompress(NULL, 0, NULL, 0, ws, ws_size) == 0, "NULL, no frames", NULL);
    check(zstd_decompress(NULL, 0, empty_frame, sizeof empty_frame, ws, ws_size) == 0, "NULL dst, empty frame", NULL);
    check(zstd_decompress(NULL, 5, empty_frame, sizeof empty_frame, ws, ws_size) < 0, "NULL dst, size 5", NULL);
    size_t ip = 0, op = 0;
    struct zstd_dstream *nds = zstd_dstream_init(dws, dws_size);
    check(zstd_dstream_decompress(nds, NULL, 0, &op, NULL, 0, &ip) == 0, "stream: NULL buffers", NULL);
    check(zstd_dstream_decompress(nds, NULL, 0, &op, empty_frame, sizeof empty_frame, &ip) == 0 &&
          ip == sizeof empty_frame, "stream: empty frame into NULL", NULL);
    /* the prebuilt predefined tables match what the builder makes */
    struct zstd_seq_cell t[64];
    zstd_fse_build_seq_dtable(t, zstd_ll_default_norm, ZSTD_LL_MAX_CODE, 6, zstd_ll_base, zstd_ll_bits);
    check(!memcmp(t, zstd_ll_predefined, sizeof zstd_ll_predefined), "predefined LL table", NULL);
    zstd_fse_build_seq_dtable(t, zstd_ml_default_norm, ZSTD_ML_MAX_CODE, 6, zstd_ml_base, zstd_ml_bits);
    check(!memcmp(t, zstd_ml_predefined, sizeof zstd_ml_predefined), "predefined ML table", NULL);
    zstd_fse_build_seq_dtable(t, zstd_of_default_norm, ZSTD_OF_DEFAULT_MAX, 5, NULL, NULL);
    check(!memcmp(t, zstd_of_predefined, sizeof zstd_of_predefined), "predefined OF table", NULL);
    group_end("frame headers/windows");
}

/* Decode with libzstd and with ours; both must fail or agree exactly. */
static void agree_with_libzstd(const unsigned char *f, size_t n, size_t cap, const char *what,
                               int valid)
{
    unsigned char *a = malloc(cap), *b = malloc(cap);
    size_t ra = ZSTD_decompress(a, cap, f, n);
    long rb = zstd_decompress(b, cap, f, n, ws, ws_size);
    char detail[160];
    snprintf(detail, sizeof detail, "libzstd %s, ours %ld %s",
             ZSTD_isError(ra) ? ZSTD_getErrorName(ra) : "ok", rb, rb < 0 ? zstd_error_name(rb) : "");
    check(valid == !ZSTD_isError(ra), what, detail);
    if (ZSTD_isError(ra))
        check(rb < 0, what, detail);
    else
        check(rb == (long)ra && memcmp(a, b, ra) == 0, what, detail);
    if (!ZSTD_isError(ra)) {
        long r = decode_stream(f, n, b, cap, 1 + next_rand() % 64, NULL);
        check(r == (long)ra && memcmp(a, b, ra) == 0, what, "stream");
    }
    free(a);
    free(b);
}

/* Blocks libzstd rarely writes, built by hand and checked against libzstd:
 * literals-only blocks, RLE literals, RLE code tables, 0x7F00+ sequences. */
static void test_crafted(void)
{
    static unsigned char f[64];
    static const unsigned char hdr[] = { 0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x58 };  /* 2 MiB window */
    size_t n;
#define START() (memcpy(f, hdr, sizeof hdr), n = sizeof hdr)
#define PUT(...) do { static const unsigned char b_[] = { __VA_ARGS__ }; \
        memcpy(f + n, b_, sizeof b_); n += sizeof b_; } while (0)
    /* block header = size << 3 | type << 1 | last.  Compressed block: raw literals "hello", nseq 0 */
    START();
    PUT(0x3D, 0x00, 0x00, 0x28, 'h', 'e', 'l', 'l', 'o', 0x00);
    agree_with_libzstd(f, n, 100, "literals-only block", 1);
    /* RLE literals 'x' x10, one sequence with RLE tables: ll 10, offset 1, ml 20 */
    START();
    PUT(0x45, 0x00, 0x00, 0x51, 'x', 0x01, 0x54, 10, 2, 17, 0x04);
    agree_with_libzstd(f, n, 100, "RLE literals + RLE tables", 1);
    /* same with a 2-byte RLE literal header (size 300) */
    START();
    PUT(0x4D, 0x00, 0x00, 0xC5, 0x12, 'y', 0x01, 0x54, 10, 2, 17, 0x04);
    agree_with_libzstd(f, n, 400, "RLE literals (12-bit size)", 1);
    /* raw block "abcdefgh", then 0x7F05 sequences of ll 0 ml 3 repeat offset */
    START();
    PUT(0x40, 0x00, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
    PUT(0x4D, 0x00, 0x00, 0x00, 0xFF, 0x05, 0x00, 0x54, 0, 0, 0, 0x01);
    agree_with_libzstd(f, n, 200000, "0x7F05 sequences", 1);
    /* RLE table symbol out of range, and a reserved mode bit */
    START();
    PUT(0x45, 0x00, 0x00, 0x51, 'x', 0x01, 0x54, 36, 2, 17, 0x04);
    agree_with_libzstd(f, n, 100, "bad RLE literal length code", 0);
    START();
    PUT(0x45, 0x00, 0x00, 0x51, 'x', 0x01, 0x55, 10, 2, 17, 0x04);
    agree_with_libzstd(f, n, 100, "reserved modes bits (ignored)", 1);
    /* repeat table mode with no previous table */
    START();
    PUT(0x2D, 0x00, 0x00, 0x51, 'x', 0x01, 0xFC, 0x04);
    agree_with_libzstd(f, n, 100, "repeat mode without table", 0);
#undef START
#undef PUT
    group_end("crafted blocks");
}

/* Streaming with a small window buffer: the window slides many times. */
static void test_small_windows(void)
{
    static const struct { int wlog; size_t ws_window; const char *file; } cases[] = {
        { 20, 1u << 20, "edge-b4096k_2" }, { 17, 1u << 17, "binary-bash" },
        { 10, 1u << 10, "text-licenses" }, { 20, 1u << 20, "edge-pattern3-16m" },
        { 23, 8u << 20, NULL },
    };
    for (size_t k = 0; k < NELEM(cases); k++) {
        struct buf in;
        if (cases[k].file) {
            in = corpus_file(cases[k].file, SIZE_MAX);
        } else {   /* 12 MiB mixing kinds, with far repeats: an 8 MiB window in use */
            struct buf a = corpus_file("binary-bash", SIZE_MAX), t = corpus_file("random-1m", SIZE_MAX);
            in.n = 12u << 20;
            in.p = malloc(in.n);
            for (size_t pos = 0, i = 0; pos < in.n; i++) {
                const struct buf *src = i % 3 == 1 ? &t : &a;
                size_t n = src->n < in.n - pos ? src->n : in.n - pos;
                memcpy(in.p + pos, src->p, n);
                pos += n;
            }
            free_buf(&a);
            free_buf(&t);
        }
        struct buf c;
        size_t cap = ZSTD_compressBound(in.n);
        c.p = malloc(cap);
        ZSTD_CCtx *cc = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 6);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, cases[k].wlog);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
        ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
        c.n = ZSTD_compress2(cc, c.p, cap, in.p, in.n);
        ZSTD_freeCCtx(cc);
        size_t sz = zstd_dstream_workspace_size(cases[k].ws_window);
        void *save = dws;
        size_t save_n = dws_size;
        dws = malloc(sz);
        dws_size = sz;
        unsigned char *out = malloc(in.n + 1);
        long last;
        long r = decode_stream(c.p, c.n, out, in.n + 1, 1 + next_rand() % 300000, &last);
        check(r == (long)in.n && last == 0 && memcmp(out, in.p, in.n) == 0,
              cases[k].file ? cases[k].file : "12 MiB mix",
              r < 0 ? zstd_error_name(r) : "mismatch");
        if (cases[k].wlog > 10) {   /* one notch smaller: refused */
            free(dws);
            dws_size = zstd_dstream_workspace_size(cases[k].ws_window / 2);
            dws = malloc(dws_size);
            r = decode_stream(c.p, c.n, out, in.n + 1, 100000, NULL);
            check(r == -ZSTD_E_WINDOW_TOO_LARGE, "window above the stream's limit", zstd_error_name(r));
        }
        free(dws);
        dws = save;
        dws_size = save_n;
        free(out);
        free_buf(&c);
        free_buf(&in);
    }
    group_end("stream window sliding");
}

/* Checksum mismatch, short output, every truncation point. */
static void test_damage(void)
{
    struct buf text = corpus_file("text-licenses", SIZE_MAX);
    struct buf small = { text.p, 6000 };
    struct buf c = lib_compress(&small, 3, 1, 1);
    c.p[c.n - 1] ^= 0x40;
    check(decode_exact(&c, small.n, NULL) == -ZSTD_E_CHECKSUM, "checksum mismatch", NULL);
    unsigned char *sbuf = malloc(small.n);
    check(decode_stream(c.p, c.n, sbuf, small.n, 50, NULL) == -ZSTD_E_CHECKSUM,
          "checksum mismatch (stream)", NULL);
    free(sbuf);
    c.p[c.n - 1] ^= 0x40;
    for (size_t cap = 0; cap < small.n; cap += 1 + cap / 3) {
        long r = decode_exact(&c, cap, NULL);
        check(r == -ZSTD_E_DST_TOO_SMALL, "short output", zstd_error_name(r));
    }
    free_buf(&c);
    group_end("checksum/short output");

    /* Every truncation point of small frames; sampled for a big one. */
    const int levels[] = { 1, 19 };
    unsigned char *out = malloc(text.n);
    for (int l = 0; l < 2; l++) {
        for (int ck = 0; ck < 2; ck++) {
            struct buf cc = lib_compress(&small, levels[l], ck, ck);
            for (size_t cut = 0; cut < cc.n; cut++) {
                struct buf t = { cc.p, cut };
                long r = decode_exact(&t, small.n, NULL);
                check(cut == 0 ? r == 0 : r < 0, "truncated frame decoded", NULL);
                if (cut == 0)
                    continue;   /* no input, no frames: 0 bytes, as libzstd */
                long last = 0;
                r = decode_stream(cc.p, cut, out, small.n, 64, &last);
                check(r < 0 || last != 0, "truncated stream looked complete", NULL);
            }
            free_buf(&cc);
        }
    }
    struct buf big = lib_compress(&text, 3, 1, 1);
    for (size_t cut = 0; cut < big.n; cut += (cut < 64 || cut > big.n - 64) ? 1 : 97) {
        struct buf t = { big.p, cut };
        check(cut == 0 || decode_exact(&t, text.n, NULL) < 0, "truncated big frame decoded", NULL);
    }
    free_buf(&big);
    group_end("truncation points");

    /* Random bit flips, bytes and garbage after a valid header. */
    struct buf base = lib_compress(&small, 9, 1, 1);
    struct buf fl = { malloc(base.n), base.n };
    int errs = 0;
    for (int i = 0; i < 3000; i++) {
        memcpy(fl.p, base.p, base.n);
        int flips = 1 + (int)(next_rand() % 3);
        for (int k = 0; k < flips; k++)
            fl.p[next_rand() % fl.n] ^= (unsigned char)(1u << (next_rand() % 8));
        long r = decode_exact(&fl, small.n, NULL);
        errs += r < 0;
        if (i % 10 == 0) {
            long last;
            decode_stream(fl.p, fl.n, out, small.n, 1 + next_rand() % 300, &last);
        }
        check(1, NULL, NULL);   /* survived */
    }
    check(errs > 2000, "bit flips mostly detected", NULL);
    for (int i = 0; i < 3000; i++) {
        size_t n = 1 + next_rand() % 2000;
        struct buf rnd = { malloc(n), n };
        for (size_t k = 0; k < n; k++)
            rnd.p[k] = (unsigned char)next_rand();
        if (i & 1) {   /* a plausible header, then garbage blocks */
            memcpy(rnd.p, base.p, n < 12 ? n : 12);
        }
        decode_exact(&rnd, 1 + next_rand() % 8000, NULL);
        decode_stream(rnd.p, rnd.n, out, small.n, 1 + next_rand() % 500, NULL);
        check(1, NULL, NULL);
        free_buf(&rnd);
    }
    free_buf(&fl);
    free_buf(&base);
    free(out);
    free_buf(&text);
    group_end("bit flips/random bytes");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_zstd_dec CORPUS_DIR TMP_DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    corpus = argv[1];
    tmpdir = argv[2];
    ws_size = zstd_decompress_workspace_size();
    ws = malloc(ws_size);
    dws_size = zstd_dstream_workspace_size(ZSTD_WINDOW_MAX);
    dws = malloc(dws_size);
    printf("zstd-dec: workspace %zu bytes one-shot, %zu bytes streaming (8 MiB window)\n",
           ws_size, dws_size);
    test_headers();
    if (!getenv("ZD_QUICK")) test_levels();
    test_streams();
    test_multi();
    if (!getenv("ZD_QUICK")) test_cli();
    test_crafted();
    test_small_windows();
    if (!getenv("ZD_QUICK")) test_damage();
    printf("zstd-dec: %d passed, %d failed\n", passed, failed);
    free(ws);
    free(dws);
    return failed ? 1 : 0;
}
