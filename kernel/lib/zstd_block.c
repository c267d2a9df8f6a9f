/*
 * zstd_block.c - one compressed block (RFC 8878 3.1.1.3): a literals
 * section followed by a sequences section.  Raw and RLE blocks are simple
 * enough that the frame loops copy them themselves.
 */
#include "lib/zstd.h"
#include "lib/zstd_decompress.h"

long zstd_decode_block(struct zstd_dctx *dc, uint8_t *dst, size_t cap,
                       const uint8_t *prefix, const uint8_t *src, size_t len)
{
    if (len > ZSTD_BLOCK_MAX)
        return -ZSTD_E_BLOCK_SIZE;
    long used = zstd_decode_literals(dc, src, len);
    if (used < 0)
        return used;
    long n = zstd_decode_sequences(dc, dst, cap, prefix, src + used, len - (size_t)used);
    if (n > (long)ZSTD_BLOCK_MAX)
        return -ZSTD_E_BLOCK_SIZE;
    return n;
}

/* Fresh frame: no tables to repeat, repeat offsets back to 1, 4, 8. */
void zstd_dctx_reset(struct zstd_dctx *dc)
{
    static const uint32_t rep[ZSTD_REP_NUM] = ZSTD_REP_INIT;
    dc->have_ll = dc->have_ml = dc->have_of = dc->have_huf = 0;
    dc->rep[0] = rep[0];
    dc->rep[1] = rep[1];
    dc->rep[2] = rep[2];
    dc->ext_end = NULL;
    dc->ext_len = 0;
}
