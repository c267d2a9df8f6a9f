/*
 * LZ4 high-compression block compressor: every position goes into a hash
 * table (32 Ki heads) and a chain table (64 Ki distances, one per position
 * in the 64 KiB window); the level sets how many chain links are tried and
 * whether the next one or two positions are checked for a longer match
 * before committing (lazy matching).
 */
#include "lib/lz4_internal.h"

struct hc_match {
    size_t len, off;
};

/*
 * Per level: chain links tried at a position, positions looked ahead
 * (lazy), links tried when looking ahead, and the match length that is
 * taken at once. Tuned on the corpus to stay within ~1% of liblz4 HC's
 * ratio at about its speed.
 */
struct hc_level {
    unsigned tries, lazy, lazy_tries;
    size_t nice;
};
static const struct hc_level levels[LZ4_LEVEL_MAX - LZ4_LEVEL_HC_MIN + 1] = {
    { 4, 1, 2, 32 },          /* 3 */
    { 8, 1, 4, 32 },          /* 4 */
    { 16, 1, 8, 32 },         /* 5 */
    { 32, 2, 4, 32 },         /* 6 */
    { 64, 2, 8, 32 },         /* 7 */
    { 128, 2, 16, 32 },       /* 8 */
    { 256, 2, 32, 32 },       /* 9 */
    { 512, 2, 128, 64 },      /* 10 */
    { 1024, 2, 256, 128 },    /* 11 */
    { 4096, 2, 4096, 65536 }, /* 12 */
};

static inline uint32_t hc_hash(const uint8_t *p, unsigned log)
{
    return (lz4_rd32(p) * 2654435761U) >> (32 - log);
}

/*
 * Start over. Only the hash heads are cleared (16 per input byte, at most
 * 32 Ki, so tiny blocks stay cheap); chain entries are written when their
 * position is inserted, and a walk never reaches one that was not.
 */
void lz4_hc_reset(struct lz4_hc_tables *t, size_t start, size_t size_hint)
{
    unsigned log = LZ4_HC_HASH_LOG;

    while (size_hint && log > 10 && ((size_t)1 << (log - 4)) >= size_hint)
        log--;
    t->log = log;
    __builtin_memset(t->hash, 0, sizeof(t->hash[0]) << log);
    t->next = start;
}

/* Link every position in [t->next, target) into its hash chain. */
static void insert_upto(struct lz4_hc_tables *t, const uint8_t *base, size_t target)
{
    for (size_t p = t->next; p < target; p++) {
        uint32_t h = hc_hash(base + p, t->log);
        size_t prev = t->hash[h]; /* position + 1, 0 if none */
        size_t d = prev && prev - 1 < p ? p - (prev - 1) : 0;

        t->chain[p & (LZ4_HC_CHAIN_SIZE - 1)] = (uint16_t)(d > 65535 ? 65535 : d);
        t->hash[h] = (uint32_t)(p + 1);
    }
    if (target > t->next)
        t->next = target;
}

/* Longest match at base+cur longer than best->len, trying `tries` candidates. */
static bool find_longer(struct lz4_hc_tables *t, const uint8_t *base, size_t low, size_t cur,
                        const uint8_t *limit, unsigned tries, struct hc_match *best)
{
    const uint8_t *ip = base + cur;
    size_t m, blen = best->len;
    bool found = false;

    insert_upto(t, base, cur);
    m = t->hash[hc_hash(ip, t->log)];
    if (m-- == 0)
        return false;
    while (tries--) {
        if (m < low || m >= cur || cur - m > LZ4_MAX_DISTANCE)
            break;
        const uint8_t *mp = base + m;
        /* cheap reject: a longer match must also agree on bytes blen-3..blen */
        if (lz4_rd32(mp + blen - 3) == lz4_rd32(ip + blen - 3) && lz4_rd32(mp) == lz4_rd32(ip)) {
            size_t len = LZ4_MINMATCH + lz4_count(ip + LZ4_MINMATCH, mp + LZ4_MINMATCH, limit);
            if (len > blen) {
                blen = len;
                best->len = len;
                best->off = cur - m;
                found = true;
                if (ip + len >= limit)
                    break;
            }
        }
        size_t d = t->chain[m & (LZ4_HC_CHAIN_SIZE - 1)];
        if (d == 0 || d > m)
            break;
        m -= d;
    }
    return found;
}

/* Hash-chain matcher with lazy evaluation over base[start, end). */
long lz4_hc_compress_range(struct lz4_hc_tables *t, const uint8_t *base, size_t low, size_t start,
                           size_t end, uint8_t *dst, size_t cap, int level)
{
    const uint8_t *ip = base + start, *anchor = ip, *iend = base + end;
    const uint8_t *mflimit, *matchlimit;
    uint8_t *op = dst, *oend = dst + cap;
    const struct hc_level *lv;

    if (level < LZ4_LEVEL_HC_MIN)
        level = LZ4_LEVEL_HC_MIN;
    if (level > LZ4_LEVEL_MAX)
        level = LZ4_LEVEL_MAX;
    lv = &levels[level - LZ4_LEVEL_HC_MIN];
    if (t->next < low || t->next > start)
        t->next = low;
    if (end - start < LZ4_MFLIMIT + 1)
        goto last;
    mflimit = iend - LZ4_MFLIMIT;
    matchlimit = iend - LZ4_LASTLITERALS;

    while (ip <= mflimit) {
        struct hc_match cur = { LZ4_MINMATCH - 1, 0 };

        if (!find_longer(t, base, low, (size_t)(ip - base), matchlimit, lv->tries, &cur)) {
            ip++;
            continue;
        }
        /* lazy: would starting 1 (or 2) bytes later give a longer match? */
        for (;;) {
            struct hc_match next = cur;
            unsigned k;
            if (cur.len >= lv->nice)
                break;
            for (k = 1; k <= lv->lazy && ip + k <= mflimit; k++) {
                next.len = cur.len + k - 1;
                if (find_longer(t, base, low, (size_t)(ip + k - base), matchlimit, lv->lazy_tries,
                                &next))
                    break;
            }
            if (k > lv->lazy || ip + k > mflimit)
                break;
            ip += k;
            cur = next;
        }
        op = lz4_put_sequence(op, oend, anchor, (size_t)(ip - anchor), cur.off, cur.len);
        if (!op)
            return -LZ4_ERR_DST_TOO_SMALL;
        ip += cur.len;
        anchor = ip;
    }
last:
    op = lz4_put_last(op, oend, anchor, (size_t)(iend - anchor));
    if (!op)
        return -LZ4_ERR_DST_TOO_SMALL;
    return (long)(op - dst);
}
