/*
 * zstd_literals.c - the literals section of a compressed block (RFC 8878
 * 3.1.1.3.1): raw, RLE, Huffman-compressed (1 or 4 streams) and treeless
 * (Huffman with the previous block's table).  Leaves the literals in
 * dc->lit; raw literals are used in place when the sequence copier may
 * safely read ZSTD_WILDCOPY_SLACK bytes past them.
 */
#include "lib/zstd.h"
#include "lib/zstd_decompress.h"

/* Raw and RLE: 5, 12 or 20-bit regenerated size. */
static long raw_or_rle(struct zstd_dctx *dc, const uint8_t *src, size_t len,
                       unsigned type)
{
    unsigned sf = (src[0] >> 2) & 3;
    size_t hs, size;
    if ((sf & 1) == 0) {
        hs = 1;
        size = src[0] >> 3;
    } else if (sf == 1) {
        hs = 2;
        if (len < 2)
            return -ZSTD_E_LITERALS;
        size = (src[0] >> 4) + ((size_t)src[1] << 4);
    } else {
        hs = 3;
        if (len < 3)
            return -ZSTD_E_LITERALS;
        size = (src[0] >> 4) + ((size_t)src[1] << 4) + ((size_t)src[2] << 12);
    }
    if (size > ZSTD_BLOCK_MAX)
        return -ZSTD_E_LITERALS;
    dc->lit_size = size;
    if (type == ZSTD_LIT_RLE) {
        if (len < hs + 1)
            return -ZSTD_E_LITERALS;
        __builtin_memset(dc->lit_buf, src[hs], size);
        dc->lit = dc->lit_buf;
        return (long)(hs + 1);
    }
    if (len - hs < size)
        return -ZSTD_E_LITERALS;
    if (len - hs - size >= ZSTD_WILDCOPY_SLACK) {
        dc->lit = src + hs;
    } else {
        __builtin_memcpy(dc->lit_buf, src + hs, size);
        dc->lit = dc->lit_buf;
    }
    return (long)(hs + size);
}

long zstd_decode_literals(struct zstd_dctx *dc, const uint8_t *src, size_t len)
{
    if (len < 1)
        return -ZSTD_E_LITERALS;
    unsigned type = src[0] & 3, sf = (src[0] >> 2) & 3;
    if (type == ZSTD_LIT_RAW || type == ZSTD_LIT_RLE)
        return raw_or_rle(dc, src, len, type);

    size_t hs = sf < 2 ? 3 : sf == 2 ? 4 : 5;
    if (len < hs)
        return -ZSTD_E_LITERALS;
    uint64_t h = zstd_read_le24(src);
    if (hs >= 4)
        h |= (uint64_t)src[3] << 24;
    if (hs == 5)
        h |= (uint64_t)src[4] << 32;
    unsigned fbits = hs == 3 ? 10 : hs == 4 ? 14 : 18;
    size_t regen = (size_t)(h >> 4) & ((1u << fbits) - 1);
    size_t comp = (size_t)(h >> (4 + fbits)) & ((1u << fbits) - 1);
    if (regen > ZSTD_BLOCK_MAX || regen == 0 || len - hs < comp)
        return -ZSTD_E_LITERALS;
    const uint8_t *p = src + hs;
    size_t n = comp;
    if (type == ZSTD_LIT_COMPRESSED) {
        long t = zstd_huf_read_table(dc, p, n);
        if (t < 0)
            return t;
        p += t;
        n -= (size_t)t;
    } else if (!dc->have_huf) {
        return -ZSTD_E_HUFFMAN;
    }
    int err = zstd_huf_decode(dc, dc->lit_buf, regen, p, n, sf != 0);
    if (err)
        return err;
    dc->lit = dc->lit_buf;
    dc->lit_size = regen;
    return (long)(hs + comp);
}
