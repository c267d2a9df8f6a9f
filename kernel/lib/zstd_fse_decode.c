/*
 * zstd_fse_decode.c - FSE decode tables (RFC 8878 4.1.1): each state gets
 * its symbol from the shared spread, plus the number of bits to read and
 * the baseline of the next state.  Sequence tables store the value
 * baseline and extra bits of the symbol so decoding needs one lookup.
 */
#include "lib/zstd.h"
#include "lib/zstd_common.h"
#include "lib/zstd_fse.h"

#define MAX_SYMBOL 63   /* zstd tables: weights (12) and sequence codes (52) */

/* Spread, then number each symbol's states in order: a symbol with count
 * c owning its (c+j)-th state reads log - highbit(c+j) bits, and the next
 * state starts at ((c+j) << nbits) - table size. */
static int spread_and_number(uint8_t *symbols, uint16_t *next, const int16_t *norm,
                             unsigned max_symbol, unsigned table_log)
{
    if (table_log > ZSTD_FSE_MAX_LOG || max_symbol > MAX_SYMBOL)
        return -ZSTD_E_FSE;
    int err = zstd_fse_spread(norm, max_symbol, table_log, symbols);
    if (err)
        return err;
    for (unsigned s = 0; s <= max_symbol; s++)
        next[s] = norm[s] == -1 ? 1 : (uint16_t)(norm[s] > 0 ? norm[s] : 0);
    return 0;
}

/* Generic table, used for the FSE-compressed Huffman weights. */
int zstd_fse_build_dtable(struct zstd_fse_cell *dt, const int16_t *norm,
                          unsigned max_symbol, unsigned table_log)
{
    uint8_t symbols[1u << ZSTD_FSE_MAX_LOG];
    uint16_t next[MAX_SYMBOL + 1];
    unsigned size = 1u << table_log;
    int err = spread_and_number(symbols, next, norm, max_symbol, table_log);
    if (err)
        return err;
    for (unsigned i = 0; i < size; i++) {
        unsigned x = next[symbols[i]]++;
        unsigned nb = table_log - zstd_highbit32(x);
        dt[i].symbol = symbols[i];
        dt[i].nbits = (uint8_t)nb;
        dt[i].new_state = (uint16_t)((x << nb) - size);
    }
    return 0;
}

/* Sequence table: literal length, match length or offset codes. */
int zstd_fse_build_seq_dtable(struct zstd_seq_cell *dt, const int16_t *norm,
                              unsigned max_symbol, unsigned table_log,
                              const uint32_t *vbase, const uint8_t *vbits)
{
    uint8_t symbols[1u << ZSTD_FSE_MAX_LOG];
    uint16_t next[MAX_SYMBOL + 1];
    unsigned size = 1u << table_log;
    int err = spread_and_number(symbols, next, norm, max_symbol, table_log);
    if (err)
        return err;
    for (unsigned i = 0; i < size; i++) {
        unsigned s = symbols[i];
        unsigned x = next[s]++;
        unsigned nb = table_log - zstd_highbit32(x);
        dt[i].nbits = (uint8_t)nb;
        dt[i].new_state = (uint16_t)((x << nb) - size);
        dt[i].extra_bits = vbits ? vbits[s] : (uint8_t)s;
        dt[i].base = vbase ? vbase[s] : (1u << s);
    }
    return 0;
}

void zstd_fse_build_seq_rle(struct zstd_seq_cell *dt, unsigned symbol,
                            const uint32_t *vbase, const uint8_t *vbits)
{
    dt[0].new_state = 0;
    dt[0].nbits = 0;
    dt[0].extra_bits = vbits ? vbits[symbol] : (uint8_t)symbol;
    dt[0].base = vbase ? vbase[symbol] : (1u << symbol);
}
