/*
 * zstd_fse.h - FSE (tANS) pieces shared by the Zstandard decoder and encoder:
 * reading a normalized-count table description (RFC 8878 4.1.1), spreading
 * symbols over the states (usable for encode tables too: state i holds
 * symbol symbols[i]), and building decode tables.
 *   zstd_fse.c        : zstd_fse_read_ncount, zstd_fse_spread
 *   zstd_fse_decode.c : zstd_fse_build_dtable, zstd_fse_build_seq_dtable
 */
#ifndef KEEL_LIB_ZSTD_FSE_H
#define KEEL_LIB_ZSTD_FSE_H

#include <stddef.h>
#include <stdint.h>

#define ZSTD_FSE_MAX_LOG 9   /* largest accuracy log of any zstd table */

/* Generic decode cell (Huffman weights). */
struct zstd_fse_cell {
    uint16_t new_state;   /* next state before adding the read bits */
    uint8_t symbol;
    uint8_t nbits;        /* bits to read for the next state */
};

/* Sequence decode cell: symbol already turned into baseline + extra bits. */
struct zstd_seq_cell {
    uint16_t new_state;
    uint8_t nbits;
    uint8_t extra_bits;   /* extra bits of the value (offset: the code) */
    uint32_t base;        /* value baseline (offset: 1 << code) */
};

/* Read a table description from src: fills norm[0..*max_symbol], sets
 * *max_symbol to the last symbol described and *table_log.  Refuses logs
 * above max_log and symbols above the incoming *max_symbol.  Returns the
 * bytes used or -ZSTD_E_FSE / -ZSTD_E_SRC_TRUNCATED. */
long zstd_fse_read_ncount(int16_t *norm, unsigned *max_symbol, unsigned *table_log,
                          unsigned max_log, const uint8_t *src, size_t src_len);

/* Spread symbols 0..max_symbol over 1 << table_log states per RFC 8878
 * 4.1.1 ("-1" symbols at the top).  symbols[] must hold 1 << table_log
 * bytes.  Returns 0, or -ZSTD_E_FSE if the counts do not sum to the table. */
int zstd_fse_spread(const int16_t *norm, unsigned max_symbol, unsigned table_log,
                    uint8_t *symbols);

/* Build a generic decode table of 1 << table_log cells. Returns 0 or -err. */
int zstd_fse_build_dtable(struct zstd_fse_cell *dt, const int16_t *norm,
                          unsigned max_symbol, unsigned table_log);

/* Build a sequence decode table; base/bits map symbol -> value baseline and
 * extra bits (NULL for offsets: base 1 << s, bits s). Returns 0 or -err. */
int zstd_fse_build_seq_dtable(struct zstd_seq_cell *dt, const int16_t *norm,
                              unsigned max_symbol, unsigned table_log,
                              const uint32_t *base, const uint8_t *bits);

/* One-cell table for RLE mode: every sequence uses symbol. */
void zstd_fse_build_seq_rle(struct zstd_seq_cell *dt, unsigned symbol,
                            const uint32_t *base, const uint8_t *bits);

#endif
