/*
 * kcodec: host command-line front end to Keel's own LZ4 and Zstandard codecs
 * (the very sources in kernel/lib/), so frames can be checked against the
 * standard `lz4` and `zstd` tools from a shell:
 *
 *   kcodec -z|-d --lz4[=LEVEL]|--zstd[=LEVEL] [IN [OUT]]
 *
 * IN and OUT default to stdin/stdout; '-' also means stdin/stdout.
 * Exit status 0 on success; otherwise one line "kcodec: <file>: <problem>"
 * on stderr and exit status 1.
 *
 * Memory: both LZ4 directions stream. Compression reads one block at a time
 * into a window of 64 KiB history + one 4 MiB block (linked blocks, content
 * checksum, like `lz4`'s defaults); decompression feeds 64 KiB input chunks
 * to the incremental decoder (about 8 MiB of buffers), so input size is not
 * limited by memory and frames without a stored content size are fine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lz4.h"
#include "lib/zstd.h"

#define CHUNK (64 * 1024)

static const char *in_name = "<stdin>", *out_name = "<stdout>";

/* Print the one-line error and exit 1. */
static void die(const char *file, const char *what)
{
    fprintf(stderr, "kcodec: %s: %s\n", file, what);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die(in_name, "out of memory");
    return p;
}

/* Read up to n bytes, retrying short reads; returns the count (< n at EOF). */
static size_t read_full(FILE *f, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        size_t r = fread((char *)buf + got, 1, n - got, f);
        if (r == 0) {
            if (ferror(f))
                die(in_name, strerror(errno));
            break;
        }
        got += r;
    }
    return got;
}

static void write_all(FILE *f, const void *buf, size_t n)
{
    if (n && fwrite(buf, 1, n, f) != n)
        die(out_name, strerror(errno));
}

/* LZ4 compression: one frame, blocks read one at a time into the window. */
static void lz4_compress_stream(FILE *in, FILE *out, int level)
{
    struct lz4_frame_params p = {
        .level = level,
        .block_size_id = 7,
        .linked = true,
        .content_checksum = true,
    };
    size_t bmax = lz4_block_size_of_id(p.block_size_id);
    size_t cap = lz4_frame_bound(bmax, &p);
    uint8_t *win = xmalloc(LZ4_WINDOW + bmax), *obuf = xmalloc(cap);
    void *ws = xmalloc(lz4_compress_workspace_size(level));
    long r = lz4_cstream_begin(ws, obuf, cap, &p, 0);

    if (r < 0)
        die(in_name, lz4_error_name(r));
    write_all(out, obuf, (size_t)r);
    for (;;) {
        size_t n = read_full(in, win + LZ4_WINDOW, bmax);
        if (n == 0)
            break;
        r = lz4_cstream_block(ws, obuf, cap, win, LZ4_WINDOW, LZ4_WINDOW + n);
        if (r < 0)
            die(in_name, lz4_error_name(r));
        write_all(out, obuf, (size_t)r);
        if (n < bmax)
            break;
        /* keep the last 64 KiB as history; the block slot is reused */
        memmove(win, win + bmax, LZ4_WINDOW);
        lz4_cstream_slide(ws, bmax);
    }
    r = lz4_cstream_end(ws, obuf, cap);
    if (r < 0)
        die(in_name, lz4_error_name(r));
    write_all(out, obuf, (size_t)r);
    free(win), free(obuf), free(ws);
}

/* LZ4 decompression: every frame in the input, fed in 64 KiB chunks. */
static void lz4_decompress_stream(FILE *in, FILE *out)
{
    struct lz4_dctx d;
    uint8_t *buf = xmalloc(lz4_dctx_buffer_size());
    uint8_t *ibuf = xmalloc(CHUNK), *obuf = xmalloc(CHUNK);
    size_t total_in = 0;
    long r = 0;

    lz4_dctx_init(&d, buf, lz4_dctx_buffer_size());
    for (;;) {
        size_t n = read_full(in, ibuf, CHUNK), off = 0, dl;
        total_in += n;
        do {
            size_t sl = n - off;
            dl = CHUNK;
            r = lz4_dctx_decompress(&d, obuf, &dl, ibuf + off, &sl);
            if (r < 0)
                die(in_name, lz4_error_name(r));
            off += sl;
            write_all(out, obuf, dl);
        } while (off < n || dl == CHUNK);
        if (n < CHUNK)
            break;
    }
    if (total_in == 0)
        die(in_name, "empty input (no LZ4 frame)");
    if (r != 0)
        die(in_name, lz4_error_name(-LZ4_ERR_TRUNCATED));
    free(buf), free(ibuf), free(obuf);
}

/* ---- ZSTD BRANCH (compress): helper ZENC wires the encoder in here. ---- */
/* The whole input becomes one frame (zstd_compress is one-shot): read it
 * all, then compress with a workspace sized for this level and input. */
static void zstd_compress_stream(FILE *in, FILE *out, int level)
{
    size_t cap = 1 << 20, n = 0;
    unsigned char *src = xmalloc(cap);

    for (;;) {
        n += read_full(in, src + n, cap - n);
        if (n < cap)
            break;
        cap *= 2;
        src = realloc(src, cap);
        if (!src)
            die(in_name, "out of memory");
    }
    size_t dcap = zstd_compress_bound(n), ws_size = zstd_compress_workspace_size(level, n);
    unsigned char *dst = xmalloc(dcap), *ws = xmalloc(ws_size);
    long r = zstd_compress(dst, dcap, src, n, level, ws, ws_size);
    if (r < 0)
        die(in_name, zstd_error_name(r));
    write_all(out, dst, (size_t)r);
    free(src), free(dst), free(ws);
}

/* ---- ZSTD BRANCH (decompress): helper ZDEC wires the decoder in here. ---- */
/* Every frame in the input through the streaming decoder, 64 KiB at a
 * time; its workspace holds windows up to ZSTD_WINDOW_MAX (8 MiB). */
static void zstd_decompress_stream(FILE *in, FILE *out)
{
    size_t ws_size = zstd_dstream_workspace_size(ZSTD_WINDOW_MAX);
    uint8_t *ws = xmalloc(ws_size);
    uint8_t *ibuf = xmalloc(CHUNK), *obuf = xmalloc(CHUNK);
    struct zstd_dstream *ds = zstd_dstream_init(ws, ws_size);
    size_t total_in = 0;
    long r = 0;

    for (;;) {
        size_t n = read_full(in, ibuf, CHUNK), off = 0, op;
        total_in += n;
        do {
            op = 0;
            r = zstd_dstream_decompress(ds, obuf, CHUNK, &op, ibuf, n, &off);
            if (r < 0)
                die(in_name, zstd_error_name(r));
            write_all(out, obuf, op);
        } while (off < n || op == CHUNK);
        if (n < CHUNK)
            break;
    }
    if (total_in == 0)
        die(in_name, "empty input (no zstd frame)");
    if (r != 0)
        die(in_name, zstd_error_name(-ZSTD_E_SRC_TRUNCATED));
    free(ws), free(ibuf), free(obuf);
}

static void usage(void)
{
    fprintf(stderr, "kcodec: usage: kcodec -z|-d --lz4[=LEVEL]|--zstd[=LEVEL] [IN [OUT]]\n");
    exit(1);
}

/* Parse "=LEVEL" after a codec option; dflt when absent. */
static int parse_level(const char *s, int dflt)
{
    char *end;
    long v;

    if (*s == '\0')
        return dflt;
    if (*s != '=')
        usage();
    v = strtol(s + 1, &end, 10);
    if (end == s + 1 || *end || v < -1000 || v > 1000)
        die(s + 1, "bad compression level");
    return (int)v;
}

int main(int argc, char **argv)
{
    int mode = 0, codec = 0, level = 0, nfiles = 0;
    const char *files[2] = { NULL, NULL };
    FILE *in = stdin, *out = stdout;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-z") || !strcmp(a, "-d"))
            mode = a[1];
        else if (!strncmp(a, "--lz4", 5))
            codec = 'l', level = parse_level(a + 5, 0);
        else if (!strncmp(a, "--zstd", 6))
            codec = 's', level = parse_level(a + 6, ZSTD_LEVEL_DEFAULT);
        else if (a[0] == '-' && a[1] != '\0')
            usage();
        else if (nfiles < 2)
            files[nfiles++] = a;
        else
            usage();
    }
    if (!mode || !codec)
        usage();
    if (files[0] && strcmp(files[0], "-")) {
        in_name = files[0];
        in = fopen(in_name, "rb");
        if (!in)
            die(in_name, strerror(errno));
    }
    if (files[1] && strcmp(files[1], "-")) {
        out_name = files[1];
        out = fopen(out_name, "wb");
        if (!out)
            die(out_name, strerror(errno));
    }
    if (codec == 'l' && mode == 'z')
        lz4_compress_stream(in, out, level);
    else if (codec == 'l')
        lz4_decompress_stream(in, out);
    else if (mode == 'z')
        zstd_compress_stream(in, out, level);
    else
        zstd_decompress_stream(in, out);
    if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
        die(out_name, strerror(errno));
    return 0;
}
