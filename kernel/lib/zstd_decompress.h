/*
 * zstd_decompress.h - internals shared by the Zstandard decoder's stages
 * (not a public API).  struct zstd_dctx is the decoder workspace: entropy
 * tables that persist from block to block within a frame, the repeat
 * offsets, and the literal buffer of the current block.
 *   zstd_frame.c     frame headers, the one-shot frame loop
 *   zstd_block.c     one block: raw, RLE or compressed
 *   zstd_literals.c  the literals section
 *   zstd_huf_decode.c Huffman tables and 1/4-stream decoding
 *   zstd_sequences.c the sequences section: tables, decoding, execution
 *   zstd_predefined.c prebuilt tables of the predefined distributions
 *   zstd_dstream.c   the streaming decoder
 */
#ifndef KEEL_LIB_ZSTD_DECOMPRESS_H
#define KEEL_LIB_ZSTD_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include "lib/zstd_common.h"
#include "lib/zstd_fse.h"

#define ZSTD_CONTENT_UNKNOWN UINT64_MAX
#define ZSTD_WILDCOPY_SLACK 32   /* bytes the fast copies may run past */

struct zstd_frame_header {
    uint64_t content_size;   /* ZSTD_CONTENT_UNKNOWN if absent */
    uint64_t window_size;
    uint32_t dict_id;
    uint32_t header_size;    /* bytes, magic included */
    uint8_t checksum;        /* content checksum follows the last block */
    uint8_t single_segment;
};

struct zstd_huf_cell {
    uint8_t symbol;
    uint8_t nbits;
};

struct zstd_dctx {
    struct zstd_seq_cell ll_table[1u << ZSTD_LL_MAX_LOG];
    struct zstd_seq_cell ml_table[1u << ZSTD_ML_MAX_LOG];
    struct zstd_seq_cell of_table[1u << ZSTD_OF_MAX_LOG];
    const struct zstd_seq_cell *ll_dt, *ml_dt, *of_dt;  /* tables in use */
    unsigned ll_log, ml_log, of_log;
    uint8_t have_ll, have_ml, have_of, have_huf;   /* tables valid for reuse */
    struct zstd_huf_cell huf_table[1u << ZSTD_HUF_MAX_BITS];
    unsigned huf_log;
    uint32_t rep[ZSTD_REP_NUM];
    const uint8_t *ext_end;      /* older history segment (streaming only) */
    size_t ext_len;
    const uint8_t *lit;          /* literals of the current block */
    size_t lit_size;
    uint8_t lit_buf[ZSTD_BLOCK_MAX + ZSTD_WILDCOPY_SLACK];
};

/* Decode tables of the predefined distributions (zstd_predefined.c). */
extern const struct zstd_seq_cell zstd_ll_predefined[1u << ZSTD_LL_DEFAULT_LOG];
extern const struct zstd_seq_cell zstd_ml_predefined[1u << ZSTD_ML_DEFAULT_LOG];
extern const struct zstd_seq_cell zstd_of_predefined[1u << ZSTD_OF_DEFAULT_LOG];

/* Forget the tables, repeat offsets and older history: a new frame starts. */
void zstd_dctx_reset(struct zstd_dctx *dc);

/* Bytes of frame header that src (len >= 5) announces, or -err. */
long zstd_frame_header_size(const uint8_t *src, size_t len);
/* Parse a zstd frame header (not skippable). Returns its size or -err. */
long zstd_parse_frame_header(struct zstd_frame_header *fh, const uint8_t *src, size_t len);

/* Decode one compressed block src[0..len) to dst[0..cap); history is
 * [prefix, dst), preceded by dc->ext_len bytes ending at dc->ext_end.
 * Returns the decoded size or -err. */
long zstd_decode_block(struct zstd_dctx *dc, uint8_t *dst, size_t cap,
                       const uint8_t *prefix, const uint8_t *src, size_t len);

/* Literals section: sets dc->lit / dc->lit_size. Returns bytes read or -err. */
long zstd_decode_literals(struct zstd_dctx *dc, const uint8_t *src, size_t len);

/* Huffman table description -> dc->huf_table. Returns bytes read or -err. */
long zstd_huf_read_table(struct zstd_dctx *dc, const uint8_t *src, size_t len);
/* Decode n literals from a 1- or 4-stream Huffman payload. Returns 0 or -err. */
int zstd_huf_decode(const struct zstd_dctx *dc, uint8_t *dst, size_t n,
                    const uint8_t *src, size_t len, int four_streams);

/* Sequences section + execution (uses dc->lit). Returns output size or -err. */
long zstd_decode_sequences(struct zstd_dctx *dc, uint8_t *dst, size_t cap,
                           const uint8_t *prefix, const uint8_t *src, size_t len);

#endif
