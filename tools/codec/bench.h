/*
 * One row of the codec bench (tools/codec/bench.c): a codec at one level.
 * Compress and decompress return the output size or a negative error; each
 * gets its own workspace of cws_size()/dws_size() bytes (NULL: none needed).
 */
#ifndef KEEL_TOOLS_CODEC_BENCH_H
#define KEEL_TOOLS_CODEC_BENCH_H

#include <stddef.h>

struct bench_codec {
    const char *name; /* e.g. "ours zstd -3", "libzstd -3" */
    size_t (*bound)(size_t n);
    size_t (*cws_size)(size_t unit, int level);
    long (*compress)(void *dst, size_t cap, const void *src, size_t n, void *ws, int level);
    long (*decompress)(void *dst, size_t cap, const void *src, size_t n, void *ws);
    size_t (*dws_size)(size_t unit);
    int level;
};

/* Defined by tools/codec/bench_zstd.c (optional). */
extern const struct bench_codec bench_zstd_rows[];
extern const size_t bench_zstd_nrows;

#endif
