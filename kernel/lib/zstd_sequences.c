/*
 * zstd_sequences.c - the sequences section of a compressed block (RFC 8878
 * 3.1.1.3.2 and 3.1.1.4): the three code tables (predefined, RLE, FSE or
 * repeat), the interleaved backward FSE stream, repeat offsets, and
 * execution: literals then match, bounds-checked against the literal
 * buffer, the history and the output end.  History is [prefix, op), plus,
 * for the streaming decoder after its window buffer wrapped, the older
 * segment dc->ext_end - dc->ext_len .. dc->ext_end that logically precedes
 * prefix.
 */
#include "lib/zstd.h"
#include "lib/zstd_bitstream.h"
#include "lib/zstd_decompress.h"

struct table_kind {
    unsigned max_code, max_log, def_log;
    const struct zstd_seq_cell *predefined;
    const uint32_t *base;
    const uint8_t *bits;
};

static const struct table_kind ll_kind = {
    ZSTD_LL_MAX_CODE, ZSTD_LL_MAX_LOG, ZSTD_LL_DEFAULT_LOG, zstd_ll_predefined,
    zstd_ll_base, zstd_ll_bits,
};
static const struct table_kind ml_kind = {
    ZSTD_ML_MAX_CODE, ZSTD_ML_MAX_LOG, ZSTD_ML_DEFAULT_LOG, zstd_ml_predefined,
    zstd_ml_base, zstd_ml_bits,
};
static const struct table_kind of_kind = {
    ZSTD_OF_MAX_CODE, ZSTD_OF_MAX_LOG, ZSTD_OF_DEFAULT_LOG, zstd_of_predefined,
    NULL, NULL,
};

/* Set up one code table by its mode: *dtp ends up pointing at the table
 * to use (prebuilt for predefined, else built in dt). Returns bytes read. */
static long load_table(const struct zstd_seq_cell **dtp, struct zstd_seq_cell *dt,
                       unsigned *log, uint8_t *have, unsigned mode,
                       const struct table_kind *k, const uint8_t *src, size_t len)
{
    int16_t norm[ZSTD_ML_MAX_CODE + 1];
    unsigned max = k->max_code, tlog;
    long used;
    switch (mode) {
    case ZSTD_SEQ_PREDEFINED:
        *dtp = k->predefined;
        *log = k->def_log;
        *have = 1;
        return 0;
    case ZSTD_SEQ_RLE:
        if (len < 1 || src[0] > k->max_code)
            return -ZSTD_E_SEQUENCES;
        zstd_fse_build_seq_rle(dt, src[0], k->base, k->bits);
        *dtp = dt;
        *log = 0;
        *have = 1;
        return 1;
    case ZSTD_SEQ_FSE:
        used = zstd_fse_read_ncount(norm, &max, &tlog, k->max_log, src, len);
        if (used < 0)
            return -ZSTD_E_FSE;
        if (zstd_fse_build_seq_dtable(dt, norm, max, tlog, k->base, k->bits))
            return -ZSTD_E_FSE;
        *dtp = dt;
        *log = tlog;
        *have = 1;
        return used;
    default:
        return *have ? 0 : -ZSTD_E_SEQUENCES;
    }
}

/* Match starting before prefix: its head comes from the older segment,
 * the rest follows on from prefix at the same distance. Exact copies. */
static int copy_from_ext(const struct zstd_dctx *dc, uint8_t *op, const uint8_t *prefix,
                         size_t off, size_t ml)
{
    size_t back = off - (size_t)(op - prefix);
    if (off == 0 || back > dc->ext_len)
        return -ZSTD_E_OFFSET;
    size_t n = back < ml ? back : ml;
    __builtin_memmove(op, dc->ext_end - back, n);
    const uint8_t *m = prefix;
    for (size_t i = n; i < ml; i++)
        op[i] = *m++;
    return 0;
}

/* Literals then match, exact byte copies: used near the output end. */
static int exec_careful(const struct zstd_dctx *dc, uint8_t **opp, uint8_t *oend,
                        const uint8_t **litp, const uint8_t *prefix, size_t ll, size_t ml,
                        size_t off)
{
    uint8_t *op = *opp;
    if (ll + ml > (size_t)(oend - op))
        return -ZSTD_E_DST_TOO_SMALL;
    __builtin_memmove(op, *litp, ll);
    op += ll;
    *litp += ll;
    *opp = op + ml;
    if (off > (size_t)(op - prefix) || off == 0)
        return copy_from_ext(dc, op, prefix, off, ml);
    const uint8_t *m = op - off;
    for (size_t i = 0; i < ml; i++)
        op[i] = m[i];
    return 0;
}

static inline void copy8(uint8_t *d, const uint8_t *s)
{
    __builtin_memcpy(d, s, 8);
}

static inline void copy16(uint8_t *d, const uint8_t *s)
{
    __builtin_memcpy(d, s, 8);
    __builtin_memcpy(d + 8, s + 8, 8);
}

/* Match copy that may write up to 15 bytes past op + ml.  Short offsets
 * first lay down a few bytes one at a time, then copy 8 at a time from a
 * distance d >= 8 that is a multiple of the offset (same pattern). */
static inline void copy_match(uint8_t *op, size_t off, size_t ml)
{
    uint8_t *end = op + ml;
    const uint8_t *m = op - off;
    if (off >= 16) {
        do {
            copy16(op, m);
            op += 16;
            m += 16;
        } while (op < end);
        return;
    }
    if (off < 8) {
        static const uint8_t dist[8] = { 0, 8, 8, 9, 8, 10, 12, 14 };
        size_t d = dist[off];
        for (size_t i = 0; i < d; i++)
            op[i] = m[i];
        op += d;
        m = op - d;
    }
    while (op < end) {
        copy8(op, m);
        op += 8;
        m += 8;
    }
}

/* Decode the interleaved FSE stream and run each sequence as it appears. */
static long run_sequences(struct zstd_dctx *dc, uint8_t *dst, size_t cap,
                          const uint8_t *prefix, const uint8_t *src, size_t len,
                          size_t nseq)
{
    struct zstd_bits b;
    if (zstd_bits_init(&b, src, len))
        return -ZSTD_E_SEQUENCES;
    const struct zstd_seq_cell *llt = dc->ll_dt, *mlt = dc->ml_dt, *oft = dc->of_dt;
    size_t lls = (size_t)zstd_bits_read(&b, dc->ll_log);
    size_t ofs = (size_t)zstd_bits_read(&b, dc->of_log);
    size_t mls = (size_t)zstd_bits_read(&b, dc->ml_log);
    uint32_t rep0 = dc->rep[0], rep1 = dc->rep[1], rep2 = dc->rep[2];
    uint8_t *op = dst, *const oend = dst + cap;
    const uint8_t *lit = dc->lit, *const lit_end = dc->lit + dc->lit_size;

    for (size_t i = 0; i < nseq; i++) {
        if (zstd_bits_reload(&b) < 0)
            return -ZSTD_E_SEQUENCES;
        const struct zstd_seq_cell llc = llt[lls], mlc = mlt[mls], ofc = oft[ofs];
        size_t offv = ofc.base + (size_t)zstd_bits_read(&b, ofc.extra_bits);
        size_t ml = mlc.base + (size_t)zstd_bits_read(&b, mlc.extra_bits);
        if (ofc.extra_bits + mlc.extra_bits + llc.extra_bits > 31)
            zstd_bits_reload(&b);
        size_t ll = llc.base + (size_t)zstd_bits_read(&b, llc.extra_bits);
        if (i + 1 < nseq) {
            lls = llc.new_state + (size_t)zstd_bits_read(&b, llc.nbits);
            mls = mlc.new_state + (size_t)zstd_bits_read(&b, mlc.nbits);
            ofs = ofc.new_state + (size_t)zstd_bits_read(&b, ofc.nbits);
        }
        size_t off;
        if (offv > 3) {
            off = offv - 3;
            rep2 = rep1;
            rep1 = rep0;
            rep0 = (uint32_t)off;
        } else {
            size_t idx = offv - 1 + (ll == 0);
            if (idx == 0) {
                off = rep0;
            } else {
                off = idx == 1 ? rep1 : idx == 2 ? rep2 : (size_t)rep0 - 1;
                if (idx != 1)
                    rep2 = rep1;
                rep1 = rep0;
                rep0 = (uint32_t)off;
            }
        }
        if (ll > (size_t)(lit_end - lit))
            return -ZSTD_E_SEQUENCES;
        if ((size_t)(oend - op) < ll + ml + ZSTD_WILDCOPY_SLACK) {
            int err = exec_careful(dc, &op, oend, &lit, prefix, ll, ml, off);
            if (err)
                return err;
            continue;
        }
        uint8_t *lend = op + ll;
        const uint8_t *l = lit;
        copy16(op, l);
        if (ll > 16) {
            uint8_t *o = op + 16;
            l += 16;
            do {
                copy16(o, l);
                o += 16;
                l += 16;
            } while (o < lend);
        }
        lit += ll;
        op = lend;
        if (off > (size_t)(op - prefix) || off == 0) {
            int err = copy_from_ext(dc, op, prefix, off, ml);
            if (err)
                return err;
        } else {
            copy_match(op, off, ml);
        }
        op += ml;
    }
    if (!zstd_bits_finished(&b))
        return -ZSTD_E_SEQUENCES;
    size_t rest = (size_t)(lit_end - lit);
    if (rest > (size_t)(oend - op))
        return -ZSTD_E_DST_TOO_SMALL;
    __builtin_memmove(op, lit, rest);
    op += rest;
    dc->rep[0] = rep0;
    dc->rep[1] = rep1;
    dc->rep[2] = rep2;
    return op - dst;
}

long zstd_decode_sequences(struct zstd_dctx *dc, uint8_t *dst, size_t cap,
                           const uint8_t *prefix, const uint8_t *src, size_t len)
{
    if (len < 1)
        return -ZSTD_E_SEQUENCES;
    size_t nseq = src[0], hs = 1;
    if (nseq >= 128) {
        if (nseq == 255) {
            if (len < 3)
                return -ZSTD_E_SEQUENCES;
            nseq = zstd_read_le16(src + 1) + (size_t)ZSTD_LONG_SEQ_FLAG;
            hs = 3;
        } else {
            if (len < 2)
                return -ZSTD_E_SEQUENCES;
            nseq = ((nseq - 128) << 8) + src[1];
            hs = 2;
        }
    }
    if (nseq == 0) {
        if (len != hs)
            return -ZSTD_E_SEQUENCES;
        if (dc->lit_size > cap)
            return -ZSTD_E_DST_TOO_SMALL;
        __builtin_memmove(dst, dc->lit, dc->lit_size);
        return (long)dc->lit_size;
    }
    if (len < hs + 1)
        return -ZSTD_E_SEQUENCES;
    unsigned modes = src[hs];   /* bits 1-0 reserved: ignored, as libzstd does */
    size_t pos = hs + 1;
    long used = load_table(&dc->ll_dt, dc->ll_table, &dc->ll_log, &dc->have_ll,
                           modes >> 6, &ll_kind, src + pos, len - pos);
    if (used < 0)
        return used;
    pos += (size_t)used;
    used = load_table(&dc->of_dt, dc->of_table, &dc->of_log, &dc->have_of,
                      (modes >> 4) & 3, &of_kind, src + pos, len - pos);
    if (used < 0)
        return used;
    pos += (size_t)used;
    used = load_table(&dc->ml_dt, dc->ml_table, &dc->ml_log, &dc->have_ml,
                      (modes >> 2) & 3, &ml_kind, src + pos, len - pos);
    if (used < 0)
        return used;
    pos += (size_t)used;
    return run_sequences(dc, dst, cap, prefix, src + pos, len - pos, nseq);
}
