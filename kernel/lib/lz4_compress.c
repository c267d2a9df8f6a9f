/*
 * LZ4 fast block compressor: one 16 KiB hash table of recent positions,
 * greedy matching, and liblz4's skip heuristic -- the longer no
 * match is found, the bigger the step, scaled by the acceleration knob.
 * Also owns the workspace sizes and the one-block entry point.
 */
#include "lib/lz4_internal.h"

#define SKIP_TRIGGER   6
#define SMALL_HASH_LOG (LZ4_FAST_HASH_LOG + 1)   /* 8192 x u16: the same 16 KiB */
#define SMALL_LIMIT    (65536 + LZ4_MFLIMIT - 1) /* every stored offset fits u16 */

/*
 * Two table layouts, as liblz4: inputs under 64 KiB store u16 offsets in
 * 8192 slots keyed by a hash of 4 bytes; larger windows store u32 offsets
 * in 4096 slots keyed by a hash of 5 bytes.
 */
static inline uint32_t hash_at(const uint8_t *p, bool small)
{
    if (small)
        return (lz4_rd32(p) * 2654435761U) >> (32 - SMALL_HASH_LOG);
    return (uint32_t)(((lz4_rd64(p) << 24) * 889523592379ULL) >> (64 - LZ4_FAST_HASH_LOG));
}

static inline size_t get_pos(const void *table, uint32_t h, bool small)
{
    return small ? ((const uint16_t *)table)[h] : ((const uint32_t *)table)[h];
}

static inline void put_pos(void *table, uint32_t h, size_t pos, bool small)
{
    if (small)
        ((uint16_t *)table)[h] = (uint16_t)pos;
    else
        ((uint32_t *)table)[h] = (uint32_t)pos;
}

/* Is the table entry m (an offset) a usable match for position cur? */
static inline bool usable(const uint8_t *base, size_t low, size_t m, size_t cur)
{
    return m >= low && cur - m - 1 < LZ4_MAX_DISTANCE && lz4_rd32(base + m) == lz4_rd32(base + cur);
}

/* Greedy hash-table matcher over base[start, end); see lz4_internal.h. */
static inline __attribute__((always_inline)) long
compress_generic(void *table, const uint8_t *base, size_t low, size_t start, size_t end,
                 uint8_t *dst, size_t cap, int accel, const bool small)
{
    const uint8_t *ip = base + start, *anchor = ip;
    const uint8_t *iend = base + end;
    const uint8_t *mflimit, *matchlimit;
    uint8_t *op = dst, *oend = dst + cap;

    if (end - start < LZ4_MFLIMIT + 1)
        goto last;
    mflimit = iend - LZ4_MFLIMIT;         /* last match start */
    matchlimit = iend - LZ4_LASTLITERALS; /* last match byte + 1 */

    put_pos(table, hash_at(ip, small), start, small);
    ip++;
    uint32_t fwd_h = hash_at(ip, small);

    for (;;) {
        const uint8_t *match;
        const uint8_t *fwd = ip;
        unsigned step = 1, attempts = (unsigned)accel << SKIP_TRIGGER;
        size_t m, cur;

        /* find a match, stepping faster the longer we search */
        do {
            uint32_t h = fwd_h;
            ip = fwd;
            fwd += step;
            step = attempts++ >> SKIP_TRIGGER;
            if (fwd > mflimit + 1)
                goto last;
            m = get_pos(table, h, small);
            cur = (size_t)(ip - base);
            fwd_h = hash_at(fwd, small);
            put_pos(table, h, cur, small);
        } while (!usable(base, low, m, cur));
        match = base + m;

        /* extend backwards over equal literals */
        while (ip > anchor && match > base + low && ip[-1] == match[-1])
            ip--, match--;

        for (;;) {
            size_t mlen =
                    LZ4_MINMATCH + lz4_count(ip + LZ4_MINMATCH, match + LZ4_MINMATCH, matchlimit);
            op = lz4_put_sequence(op, oend, anchor, (size_t)(ip - anchor), (size_t)(ip - match),
                                  mlen);
            if (!op)
                return -LZ4_ERR_DST_TOO_SMALL;
            ip += mlen;
            anchor = ip;
            if (ip > mflimit)
                goto last;
            put_pos(table, hash_at(ip - 2, small), (size_t)(ip - 2 - base), small);

            /* a match right here? then emit it with no literals */
            uint32_t h = hash_at(ip, small);
            m = get_pos(table, h, small);
            cur = (size_t)(ip - base);
            put_pos(table, h, cur, small);
            if (!usable(base, low, m, cur))
                break;
            match = base + m;
        }
        ip++;
        fwd_h = hash_at(ip, small);
    }
last:
    op = lz4_put_last(op, oend, anchor, (size_t)(iend - anchor));
    if (!op)
        return -LZ4_ERR_DST_TOO_SMALL;
    return (long)(op - dst);
}

/* Pick the table layout: u16 when every offset from base fits in 16 bits. */
long lz4_fast_compress_range(uint32_t *table, const uint8_t *base, size_t low, size_t start,
                             size_t end, uint8_t *dst, size_t cap, int accel, bool fresh)
{
    if (accel < 1)
        accel = 1;
    if (fresh && end < SMALL_LIMIT) {
        __builtin_memset(table, 0, sizeof(uint32_t) << LZ4_FAST_HASH_LOG);
        return compress_generic(table, base, low, start, end, dst, cap, accel, true);
    }
    if (fresh)
        __builtin_memset(table, 0, sizeof(uint32_t) << LZ4_FAST_HASH_LOG);
    return compress_generic(table, base, low, start, end, dst, cap, accel, false);
}

size_t lz4_block_bound(size_t n)
{
    return n + n / 255 + 16;
}

size_t lz4_compress_workspace_size(int level)
{
    if (level >= LZ4_LEVEL_HC_MIN)
        return sizeof(struct lz4_cctx);
    return __builtin_offsetof(struct lz4_cctx, t) + sizeof(uint32_t) * (1u << LZ4_FAST_HASH_LOG);
}

/* Compress one independent block at any level into dst. */
long lz4_block_compress(void *dst, size_t dst_cap, const void *src, size_t src_len, int level,
                        void *workspace)
{
    struct lz4_cctx *c = workspace;

    if (!dst || !workspace || (!src && src_len) || src_len > 0x7E000000)
        return -LZ4_ERR_PARAM;
    if (src_len == 0) {
        if (dst_cap < 1)
            return -LZ4_ERR_DST_TOO_SMALL;
        *(uint8_t *)dst = 0;
        return 1;
    }
    if (level > LZ4_LEVEL_MAX)
        level = LZ4_LEVEL_MAX;
    if (level >= LZ4_LEVEL_HC_MIN) {
        lz4_hc_reset(&c->t.hc, 0, src_len);
        return lz4_hc_compress_range(&c->t.hc, src, 0, 0, src_len, dst, dst_cap, level);
    }
    return lz4_fast_compress_range(c->t.fast, src, 0, 0, src_len, dst, dst_cap,
                                   level < 0 ? 1 - level : 1, true);
}
