/*
 * Helpers shared by the LZ4 block compressors (fast and HC) and the frame
 * code: unaligned little-endian loads/stores, match counting, sequence
 * emission with output bounds checks, and the compression context layout.
 * Not a public header: only lz4*.c include it.
 */
#ifndef KEEL_LIB_LZ4_INTERNAL_H
#define KEEL_LIB_LZ4_INTERNAL_H

#include "lib/lz4.h"

#define LZ4_MINMATCH     4
#define LZ4_LASTLITERALS 5  /* the last 5 bytes of a block are literals */
#define LZ4_MFLIMIT      12 /* the last match starts >= 12 bytes before the end */
#define LZ4_MAX_DISTANCE 65535

#define LZ4_FAST_HASH_LOG 12 /* 4096 entries: 16 KiB, as liblz4's default */
#define LZ4_HC_HASH_LOG   15
#define LZ4_HC_CHAIN_SIZE 65536

static inline uint16_t lz4_rd16(const uint8_t *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

static inline uint32_t lz4_rd32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static inline uint64_t lz4_rd64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

static inline void lz4_wr16(uint8_t *p, uint16_t v)
{
    __builtin_memcpy(p, &v, 2);
}

static inline void lz4_wr32(uint8_t *p, uint32_t v)
{
    __builtin_memcpy(p, &v, 4);
}

static inline void lz4_wr64(uint8_t *p, uint64_t v)
{
    __builtin_memcpy(p, &v, 8);
}

/* Number of equal bytes at a and b, stopping at limit (a < limit). */
static inline size_t lz4_count(const uint8_t *a, const uint8_t *b, const uint8_t *limit)
{
    const uint8_t *start = a;

    while (a + 8 <= limit) {
        uint64_t x = lz4_rd64(a) ^ lz4_rd64(b);
        if (x)
            return (size_t)(a - start) + (size_t)(__builtin_ctzll(x) >> 3);
        a += 8, b += 8;
    }
    while (a < limit && *a == *b)
        a++, b++;
    return (size_t)(a - start);
}

/* Write a length's extension bytes (len >= 15 already subtracted by caller). */
static inline uint8_t *lz4_put_len(uint8_t *op, size_t len)
{
    while (len >= 255) {
        *op++ = 255;
        len -= 255;
    }
    *op++ = (uint8_t)len;
    return op;
}

/*
 * Emit one sequence: literals [lit, lit+lit_len), then a match of mlen >= 4
 * bytes at distance off. Returns the new op, or NULL if it would pass oend.
 */
static inline uint8_t *lz4_put_sequence(uint8_t *op, uint8_t *oend, const uint8_t *lit,
                                        size_t lit_len, size_t off, size_t mlen)
{
    size_t ml = mlen - LZ4_MINMATCH;
    size_t need = 1 + lit_len / 255 + 1 + lit_len + 2 + ml / 255 + 1;
    uint8_t *token;

    if (need > (size_t)(oend - op))
        return NULL;
    token = op++;
    if (lit_len >= 15) {
        *token = 15 << 4;
        op = lz4_put_len(op, lit_len - 15);
    } else {
        *token = (uint8_t)(lit_len << 4);
    }
    if (op + lit_len + 8 <= oend) {
        uint8_t *e = op + lit_len;
        for (uint8_t *d = op; d < e; d += 8, lit += 8)
            lz4_wr64(d, lz4_rd64(lit));
        op = e;
    } else {
        __builtin_memcpy(op, lit, lit_len);
        op += lit_len;
    }
    lz4_wr16(op, (uint16_t)off);
    op += 2;
    if (ml >= 15) {
        *token |= 15;
        op = lz4_put_len(op, ml - 15);
    } else {
        *token |= (uint8_t)ml;
    }
    return op;
}

/* Emit the final literal-only sequence; NULL if it does not fit. */
static inline uint8_t *lz4_put_last(uint8_t *op, uint8_t *oend, const uint8_t *lit, size_t lit_len)
{
    if (1 + lit_len / 255 + 1 + lit_len > (size_t)(oend - op))
        return NULL;
    if (lit_len >= 15) {
        *op++ = 15 << 4;
        op = lz4_put_len(op, lit_len - 15);
    } else {
        *op++ = (uint8_t)(lit_len << 4);
    }
    __builtin_memcpy(op, lit, lit_len);
    return op + lit_len;
}

struct lz4_hc_tables {
    uint32_t hash[1u << LZ4_HC_HASH_LOG]; /* offset from base + 1; 0 = empty */
    uint16_t chain[LZ4_HC_CHAIN_SIZE];    /* distance to previous same-hash pos */
    size_t next;                          /* first offset not yet inserted */
    unsigned log;                         /* hash bits in use (10..15) */
};

/* The compression context: the whole workspace. */
struct lz4_cctx {
    struct lz4_frame_params p;
    size_t block_max;
    size_t low; /* lowest offset matches may use (stream) */
    bool started;
    struct xxh32_state xxh;
    union {
        uint32_t fast[1u << LZ4_FAST_HASH_LOG];
        struct lz4_hc_tables hc;
    } t;
};

/*
 * Block compressors over a window: compress base[start, end), matches may
 * reach back to base[low]; the tables hold offsets from base and persist
 * between calls (fast: unless `fresh`, which clears the table first and
 * allows the compact layout for inputs under 64 KiB). Return the
 * compressed size or -error.
 */
long lz4_fast_compress_range(uint32_t *table, const uint8_t *base, size_t low, size_t start,
                             size_t end, uint8_t *dst, size_t cap, int accel, bool fresh);
long lz4_hc_compress_range(struct lz4_hc_tables *t, const uint8_t *base, size_t low, size_t start,
                           size_t end, uint8_t *dst, size_t cap, int level);
/* size_hint: the input size of a one-block compression, 0 for a stream */
void lz4_hc_reset(struct lz4_hc_tables *t, size_t start, size_t size_hint);

/* Frame decoding pieces shared by the one-shot and streaming decoders. */
struct lz4_frame_info {
    size_t block_max;
    bool linked, block_sum, content_sum, has_size;
    uint64_t content_size;
};
bool lz4_is_skippable(uint32_t magic);
size_t lz4_header_len(uint8_t flg); /* magic included */
long lz4_parse_header(const uint8_t *p, struct lz4_frame_info *fi);
long lz4_decode_block(uint8_t *op, size_t room, const uint8_t *ip, uint32_t word, size_t hist,
                      const struct lz4_frame_info *fi);

#endif
