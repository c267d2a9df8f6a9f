/*
 * zstd_huf_decode.c - Zstandard Huffman literals (RFC 8878 4.2): reading
 * the table description (direct 4-bit weights or FSE-compressed weights),
 * building a single-lookup decode table, and decoding 1 or 4 streams.
 */
#include "lib/zstd.h"
#include "lib/zstd_bitstream.h"
#include "lib/zstd_decompress.h"

/* FSE-compressed weights: two interleaved states share one backward
 * stream, alternating until the stream is exhausted. Returns the count. */
static long read_fse_weights(uint8_t *w, const uint8_t *src, size_t len)
{
    int16_t norm[ZSTD_HUF_MAX_BITS + 2];
    struct zstd_fse_cell dt[1u << ZSTD_HUF_WEIGHT_FSE_LOG_MAX];
    unsigned max = ZSTD_HUF_MAX_BITS + 1, log;
    long c = zstd_fse_read_ncount(norm, &max, &log, ZSTD_HUF_WEIGHT_FSE_LOG_MAX, src, len);
    if (c < 0)
        return c == -ZSTD_E_SRC_TRUNCATED ? -ZSTD_E_HUFFMAN : c;
    if (zstd_fse_build_dtable(dt, norm, max, log))
        return -ZSTD_E_HUFFMAN;
    struct zstd_bits b;
    if ((size_t)c >= len || zstd_bits_init(&b, src + c, len - (size_t)c))
        return -ZSTD_E_HUFFMAN;
    unsigned s1 = (unsigned)zstd_bits_read(&b, log);
    unsigned s2 = (unsigned)zstd_bits_read(&b, log);
    size_t n = 0;
    const size_t cap = ZSTD_HUF_MAX_SYMBOLS - 1;
    for (;;) {
        if (n + 2 > cap)
            return -ZSTD_E_HUFFMAN;
        w[n++] = dt[s1].symbol;
        s1 = dt[s1].new_state + (unsigned)zstd_bits_read(&b, dt[s1].nbits);
        if (zstd_bits_reload(&b) < 0) {
            w[n++] = dt[s2].symbol;
            break;
        }
        if (n + 2 > cap)
            return -ZSTD_E_HUFFMAN;
        w[n++] = dt[s2].symbol;
        s2 = dt[s2].new_state + (unsigned)zstd_bits_read(&b, dt[s2].nbits);
        if (zstd_bits_reload(&b) < 0) {
            w[n++] = dt[s1].symbol;
            break;
        }
    }
    return (long)n;
}

/* Weights -> decode table.  The last symbol's weight is implied: it fills
 * the code space up to the next power of two.  Codes are handed out by
 * increasing weight, symbols ascending, so each weight w owns a run of
 * 2^(w-1) cells reading log + 1 - w bits. */
static int build_table(struct zstd_dctx *dc, uint8_t *w, size_t n)
{
    uint32_t count[ZSTD_HUF_MAX_BITS + 2] = {0};
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (w[i] > ZSTD_HUF_MAX_BITS)
            return -ZSTD_E_HUFFMAN;
        if (w[i])
            total += 1u << (w[i] - 1);
    }
    if (total == 0)
        return -ZSTD_E_HUFFMAN;
    unsigned log = zstd_highbit32(total) + 1;
    if (log > ZSTD_HUF_MAX_BITS)
        return -ZSTD_E_HUFFMAN;
    uint32_t rest = (1u << log) - total;
    if (rest & (rest - 1))
        return -ZSTD_E_HUFFMAN;
    w[n++] = (uint8_t)(zstd_highbit32(rest) + 1);
    for (size_t i = 0; i < n; i++)
        count[w[i]]++;
    uint32_t start[ZSTD_HUF_MAX_BITS + 2];
    uint32_t pos = 0;
    for (unsigned k = 1; k <= log; k++) {
        start[k] = pos;
        pos += count[k] << (k - 1);
    }
    for (size_t s = 0; s < n; s++) {
        unsigned k = w[s];
        if (!k)
            continue;
        struct zstd_huf_cell cell = { (uint8_t)s, (uint8_t)(log + 1 - k) };
        struct zstd_huf_cell *t = dc->huf_table + start[k];
        uint32_t len = 1u << (k - 1);
        start[k] += len;
        if (len < 4) {
            for (uint32_t j = 0; j < len; j++)
                t[j] = cell;
            continue;
        }
        uint16_t one;   /* runs of 4+ cells: four cells per 8-byte store */
        __builtin_memcpy(&one, &cell, 2);
        uint64_t four = one * 0x0001000100010001ull;
        for (uint32_t j = 0; j < len; j += 4)
            __builtin_memcpy(t + j, &four, 8);
    }
    dc->huf_log = log;
    dc->have_huf = 1;
    return 0;
}

long zstd_huf_read_table(struct zstd_dctx *dc, const uint8_t *src, size_t len)
{
    uint8_t w[ZSTD_HUF_MAX_SYMBOLS];
    long n;
    size_t used;
    if (len < 1)
        return -ZSTD_E_HUFFMAN;
    unsigned h = src[0];
    if (h < 128) {
        if (h == 0 || 1 + (size_t)h > len)
            return -ZSTD_E_HUFFMAN;
        n = read_fse_weights(w, src + 1, h);
        if (n < 0)
            return n;
        used = 1 + h;
    } else {
        n = h - 127;
        used = 1 + ((size_t)n + 1) / 2;
        if (used > len)
            return -ZSTD_E_HUFFMAN;
        for (long i = 0; i < n; i++) {
            uint8_t byte = src[1 + i / 2];
            w[i] = (i & 1) ? (byte & 15) : (byte >> 4);
        }
    }
    int err = build_table(dc, w, (size_t)n);
    return err ? err : (long)used;
}

static inline uint8_t huf_symbol(const struct zstd_huf_cell *t, unsigned log,
                                 struct zstd_bits *b)
{
    struct zstd_huf_cell c = t[zstd_bits_peek(b, log)];
    b->consumed += c.nbits;
    return c.symbol;
}

/* One stream, careful about its ends; the stream must be used exactly. */
static int decode_stream(const struct zstd_dctx *dc, uint8_t *op, uint8_t *oend,
                         struct zstd_bits *b)
{
    const struct zstd_huf_cell *t = dc->huf_table;
    unsigned log = dc->huf_log;
    while (oend - op >= 4) {
        if (zstd_bits_reload(b) < 0)
            return -ZSTD_E_HUFFMAN;
        op[0] = huf_symbol(t, log, b);
        op[1] = huf_symbol(t, log, b);
        op[2] = huf_symbol(t, log, b);
        op[3] = huf_symbol(t, log, b);
        op += 4;
    }
    while (op < oend) {
        if (zstd_bits_reload(b) < 0)
            return -ZSTD_E_HUFFMAN;
        *op++ = huf_symbol(t, log, b);
    }
    zstd_bits_reload(b);
    return zstd_bits_finished(b) ? 0 : -ZSTD_E_HUFFMAN;
}

/* Four streams in lockstep while all have 8+ bytes left, five symbols
 * each per refill (5 * 11 bits <= 57), then each finishes alone. */
static int decode_four(const struct zstd_dctx *dc, uint8_t *dst, size_t n,
                       const uint8_t *src, size_t len)
{
    if (len < 10)
        return -ZSTD_E_HUFFMAN;
    size_t l1 = zstd_read_le16(src), l2 = zstd_read_le16(src + 2);
    size_t l3 = zstd_read_le16(src + 4);
    if (l1 + l2 + l3 + 6 >= len)
        return -ZSTD_E_HUFFMAN;
    size_t l4 = len - 6 - l1 - l2 - l3;
    size_t seg = (n + 3) / 4;
    if (3 * seg > n)
        return -ZSTD_E_HUFFMAN;
    struct zstd_bits b[4];
    const uint8_t *p = src + 6;
    if (zstd_bits_init(&b[0], p, l1) || zstd_bits_init(&b[1], p + l1, l2) ||
        zstd_bits_init(&b[2], p + l1 + l2, l3) || zstd_bits_init(&b[3], p + l1 + l2 + l3, l4))
        return -ZSTD_E_HUFFMAN;
    uint8_t *op[4] = { dst, dst + seg, dst + 2 * seg, dst + 3 * seg };
    uint8_t *oend[4] = { dst + seg, dst + 2 * seg, dst + 3 * seg, dst + n };
    const struct zstd_huf_cell *t = dc->huf_table;
    unsigned log = dc->huf_log;

    while (oend[3] - op[3] >= 5 && oend[0] - op[0] >= 5) {
        int ok = (zstd_bits_reload(&b[0]) == 1) & (zstd_bits_reload(&b[1]) == 1) &
                 (zstd_bits_reload(&b[2]) == 1) & (zstd_bits_reload(&b[3]) == 1);
        if (!ok)
            break;
        for (int k = 0; k < 5; k++) {
            op[0][k] = huf_symbol(t, log, &b[0]);
            op[1][k] = huf_symbol(t, log, &b[1]);
            op[2][k] = huf_symbol(t, log, &b[2]);
            op[3][k] = huf_symbol(t, log, &b[3]);
        }
        op[0] += 5;
        op[1] += 5;
        op[2] += 5;
        op[3] += 5;
    }
    for (int i = 0; i < 4; i++) {
        int err = decode_stream(dc, op[i], oend[i], &b[i]);
        if (err)
            return err;
    }
    return 0;
}

int zstd_huf_decode(const struct zstd_dctx *dc, uint8_t *dst, size_t n,
                    const uint8_t *src, size_t len, int four_streams)
{
    if (four_streams)
        return decode_four(dc, dst, n, src, len);
    struct zstd_bits b;
    if (zstd_bits_init(&b, src, len))
        return -ZSTD_E_HUFFMAN;
    return decode_stream(dc, dst, dst + n, &b);
}
