/*
 * zstd_bitstream.h - the backward bit reader of Zstandard's FSE and Huffman
 * streams (RFC 8878 4.1): the stream is read from its last byte towards its
 * first; the last byte's highest set bit marks where the data starts.
 * Invariant: container holds the 8 bytes at ptr (for a stream shorter than
 * 8 bytes: its bytes, the missing top ones counted as consumed); consumed
 * counts bits already used from its top.  consumed > 64 means the stream
 * was over-read (corrupt input).
 */
#ifndef KEEL_LIB_ZSTD_BITSTREAM_H
#define KEEL_LIB_ZSTD_BITSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include "lib/zstd_common.h"

struct zstd_bits {
    uint64_t container;
    unsigned consumed;
    const uint8_t *ptr;
    const uint8_t *start;
};

/* Start reading src[0..len) from its end. Returns 0 or -1 if malformed. */
static inline int zstd_bits_init(struct zstd_bits *b, const uint8_t *src, size_t len)
{
    if (len < 1 || src[len - 1] == 0)
        return -1;
    b->start = src;
    unsigned pad = 8 - zstd_highbit32(src[len - 1]);
    if (len >= 8) {
        b->ptr = src + len - 8;
        b->container = zstd_read_le64(b->ptr);
        b->consumed = pad;
    } else {
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++)
            v |= (uint64_t)src[i] << (8 * i);
        b->ptr = src;
        b->container = v;   /* top 8 - len bytes empty: count them consumed */
        b->consumed = pad + 8 * (unsigned)(8 - len);
    }
    return 0;
}

/* Top n bits (n <= 56) without consuming them. */
static inline uint64_t zstd_bits_peek(const struct zstd_bits *b, unsigned n)
{
    return ((b->container << (b->consumed & 63)) >> 1) >> (63 - n);
}

static inline uint64_t zstd_bits_read(struct zstd_bits *b, unsigned n)
{
    uint64_t v = zstd_bits_peek(b, n);
    b->consumed += n;
    return v;
}

/* Refill so that at least 57 bits are available while the stream has
 * 8 bytes left.  Returns 1 when the fast (8-byte) zone still holds,
 * 0 near the start of the stream, -1 after an over-read. */
static inline int zstd_bits_reload(struct zstd_bits *b)
{
    if (b->consumed > 64)
        return -1;
    if (b->ptr >= b->start + 8) {
        b->ptr -= b->consumed >> 3;
        b->consumed &= 7;
        b->container = zstd_read_le64(b->ptr);
        return 1;
    }
    if (b->ptr == b->start)
        return 0;
    size_t n = b->consumed >> 3;
    if (n > (size_t)(b->ptr - b->start))
        n = (size_t)(b->ptr - b->start);
    b->ptr -= n;
    b->consumed -= 8 * (unsigned)n;
    b->container = zstd_read_le64(b->ptr);
    return 0;
}

/* True when every bit of the stream has been read exactly. */
static inline int zstd_bits_finished(const struct zstd_bits *b)
{
    return (uint64_t)(b->ptr - b->start) * 8 + 64 == b->consumed;
}

#endif
