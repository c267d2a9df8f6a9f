/*
 * zstd_fse.c - the FSE table description reader and the symbol spreading
 * rule, shared by the Zstandard decoder and encoder (RFC 8878 4.1.1).
 */
#include "lib/zstd.h"
#include "lib/zstd_common.h"
#include "lib/zstd_fse.h"

/* Up to 32 bits of src starting at bit position pos, zero past the end. */
static uint32_t peek_bits(const uint8_t *src, size_t src_len, size_t pos)
{
    size_t byte = pos >> 3;
    uint64_t v = 0;
    if (byte + 8 <= src_len) {
        v = zstd_read_le64(src + byte);
    } else {
        for (size_t i = 0; i < 8 && byte + i < src_len; i++)
            v |= (uint64_t)src[byte + i] << (8 * i);
    }
    return (uint32_t)(v >> (pos & 7));
}

/* The description is a forward little-endian bitstream of variable-size
 * counts; "remaining" probability points decide each field's width. */
long zstd_fse_read_ncount(int16_t *norm, unsigned *max_symbol, unsigned *table_log,
                          unsigned max_log, const uint8_t *src, size_t src_len)
{
    if (src_len < 1)
        return -ZSTD_E_SRC_TRUNCATED;
    unsigned log = (src[0] & 15) + 5;
    if (log > max_log)
        return -ZSTD_E_FSE;
    size_t pos = 4;
    int remaining = (1 << log) + 1;
    int threshold = 1 << log;
    unsigned nbits = log + 1;
    unsigned sym = 0, max = *max_symbol;

    while (remaining > 1) {
        if (sym > max)
            return -ZSTD_E_FSE;
        if (pos > src_len * 8)
            return -ZSTD_E_SRC_TRUNCATED;
        uint32_t bits = peek_bits(src, src_len, pos);
        int maxv = 2 * threshold - 1 - remaining;
        int value;
        if ((int)(bits & (uint32_t)(threshold - 1)) < maxv) {
            value = (int)(bits & (uint32_t)(threshold - 1));
            pos += nbits - 1;
        } else {
            value = (int)(bits & (uint32_t)(2 * threshold - 1));
            if (value >= threshold)
                value -= maxv;
            pos += nbits;
        }
        int count = value - 1;
        remaining -= count < 0 ? -count : count;
        norm[sym++] = (int16_t)count;
        if (count == 0) {
            /* 2-bit repeat flags: each adds up to 3 more zero counts. */
            for (;;) {
                if (pos > src_len * 8)
                    return -ZSTD_E_SRC_TRUNCATED;
                unsigned rep = peek_bits(src, src_len, pos) & 3;
                pos += 2;
                if (sym + rep > max + 1)
                    return -ZSTD_E_FSE;
                for (unsigned i = 0; i < rep; i++)
                    norm[sym++] = 0;
                if (rep != 3)
                    break;
            }
        }
        while (remaining < threshold && threshold > 1) {
            nbits--;
            threshold >>= 1;
        }
    }
    if (remaining != 1 || pos > src_len * 8)
        return -ZSTD_E_FSE;
    *max_symbol = sym - 1;
    *table_log = log;
    return (long)((pos + 7) >> 3);
}

/* Symbols with normal counts are scattered with a fixed odd step so that
 * each symbol's states spread over the table; "-1" symbols sit at the end. */
int zstd_fse_spread(const int16_t *norm, unsigned max_symbol, unsigned table_log,
                    uint8_t *symbols)
{
    unsigned size = 1u << table_log, mask = size - 1;
    unsigned high = size - 1;
    unsigned step = (size >> 1) + (size >> 3) + 3;
    unsigned total = 0;

    for (unsigned s = 0; s <= max_symbol; s++) {
        if (norm[s] == -1) {
            symbols[high--] = (uint8_t)s;
            total++;
        } else if (norm[s] > 0) {
            total += (unsigned)norm[s];
        } else if (norm[s] < -1) {
            return -ZSTD_E_FSE;
        }
        if (total > size)
            return -ZSTD_E_FSE;
    }
    if (total != size)
        return -ZSTD_E_FSE;
    unsigned pos = 0;
    for (unsigned s = 0; s <= max_symbol; s++) {
        for (int i = 0; i < norm[s]; i++) {
            symbols[pos] = (uint8_t)s;
            do
                pos = (pos + step) & mask;
            while (pos > high);
        }
    }
    return pos == 0 ? 0 : -ZSTD_E_FSE;
}
