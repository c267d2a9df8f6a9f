/*
 * zstd_enc.h - private interface between the stages of Keel's Zstandard
 * encoder (not for other users; the public API is zstd.h).
 *
 *   zstd_compress.c     frame header, blocks, checksum, raw/RLE fallback
 *   zstd_levels.c       the level table and the workspace layout
 *   zstd_seqstore.c     sequence store and repeat-offset coding
 *   zstd_match_fast.c   hash-table match finder (levels 1-2)
 *   zstd_match_dfast.c  two hash tables, long and short matches (level 3)
 *   zstd_match_chain.c  hash-chain greedy/lazy/lazy2 (levels 4-15)
 *   zstd_match_opt.c    price-based optimal parser (levels 16-22)
 *   zstd_opt_price.c    the statistics and bit prices the parser uses
 *   zstd_huf_encode.c   Huffman literals section
 *   zstd_fse_encode.c   FSE normalisation, table header, encoding tables
 *   zstd_seq_encode.c   sequences section
 *
 * Positions are 32-bit indexes into the whole source buffer, which stays
 * readable for the whole frame and serves as the match history.
 */
#ifndef KEEL_LIB_ZSTD_ENC_H
#define KEEL_LIB_ZSTD_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/zstd_common.h"

#define ZENC_WINDOW_LOG_MAX 23 /* = ZSTD_WINDOW_MAX: what our decoder accepts */
#define ZENC_OPT_NUM 4096      /* positions one optimal-parser pass looks at */
#define ZENC_LEVELS 22
#define ZENC_HASH_READ 8 /* hashing reads 8 bytes: stop this far from the end */

enum zenc_strategy { ZENC_FAST, ZENC_DFAST, ZENC_GREEDY, ZENC_LAZY, ZENC_LAZY2, ZENC_OPT };

/* One level's match-finder parameters (see the table in zstd_levels.c). */
struct zenc_params {
	uint8_t strategy;
	uint8_t window_log;
	uint8_t hash_log;
	uint8_t chain_log;  /* 0: no chain table */
	uint8_t search_log; /* 2^search_log chain candidates per position */
	uint8_t min_match;  /* 3: the optimal parser also looks for 3-byte matches */
	uint16_t target_len; /* a match this long is taken at once */
	uint8_t two_pass;    /* optimal parser: parse the first block twice */
	uint32_t block_size; /* largest block: min(input, 128 KiB), sizes the buffers */
};

struct zenc_seq {
	uint32_t lit_len;
	uint32_t match_len;
	uint32_t off_value; /* Offset_Value: 1..3 repeat, else offset + 3 */
};

/* Sequences and literals of the block being compressed. */
struct zenc_seqstore {
	struct zenc_seq *seqs;
	size_t nb_seq;
	uint8_t *lits;
	size_t nb_lits;
	uint32_t rep[3]; /* repeat offsets after the last stored sequence */
};

/* A backward bit stream writer (FSE and Huffman streams). */
struct zenc_bits {
	uint64_t acc;
	unsigned n;
	uint8_t *p, *start, *end;
	int overflow;
};

/* FSE encoding table for one distribution. */
struct zenc_fse_ctab {
	unsigned log;
	uint16_t state[1 << ZSTD_LL_MAX_LOG];
	struct {
		int32_t find;   /* deltaFindState */
		uint32_t nbits; /* deltaNbBits */
	} sym[ZSTD_ML_MAX_CODE + 1];
};

/* Huffman code of each literal byte. */
struct zenc_huf_ctab {
	uint16_t code[256];
	uint8_t nbits[256];
	unsigned max_bits;
};

/* Scratch space of the entropy stages (lives in the workspace). */
struct zenc_entropy {
	struct zenc_fse_ctab ll, ml, of, wt;
	struct zenc_huf_ctab huf;
	uint32_t count[256];
	uint32_t wcount[16];
	int16_t norm[256];
	uint8_t weights[256];
	uint8_t spread[1 << ZSTD_LL_MAX_LOG];
	uint8_t *llc, *mlc, *ofc; /* codes of each sequence (block_size / 3 + 1 each) */
	uint32_t hnode_count[512]; /* Huffman tree building */
	uint16_t hnode_parent[512];
	uint16_t hnode_sym[256];
};

struct zenc_opt;

/* The whole encoder state; lives at the start of the workspace. */
struct zenc_ctx {
	struct zenc_params p;
	const uint8_t *src;
	size_t src_len;
	uint32_t window; /* largest offset allowed */
	uint32_t *hash;
	uint32_t *chain;
	uint32_t hash_mask, chain_mask;
	uint32_t next_to_update; /* first position not yet in the tables */
	uint32_t *hash3;         /* optimal parser, min_match 3: 3-byte hash table */
	uint32_t next3;          /* first position not yet in hash3 */
	uint8_t hash3_log;
	struct zenc_seqstore ss;
	struct zenc_entropy *ent;
	struct zenc_opt *opt;
};

/* Bytes hashed by the hash/chain tables (3-byte matches use hash3). */
static inline unsigned zenc_hash_len(const struct zenc_params *p)
{
	return p->min_match < 4 ? 4 : p->min_match;
}

#define ZENC_HASH3_LOG 16

/* zstd_match_opt.c: bytes of its private state */
size_t zenc_opt_size(void);

/* zstd_match_chain.c: link every position before target into the hash chains. */
void zenc_chain_insert(struct zenc_ctx *c, size_t target);

/* zstd_levels.c */
void zenc_level_params(struct zenc_params *p, int level, size_t src_len);
size_t zenc_workspace_size(const struct zenc_params *p);
struct zenc_ctx *zenc_init(const struct zenc_params *p, const void *src, size_t src_len,
			   void *ws, size_t ws_size);

/* zstd_seqstore.c */
void zenc_store_reset(struct zenc_seqstore *ss);
void zenc_store_seq(struct zenc_seqstore *ss, const uint8_t *lit, uint32_t lit_len,
		    uint32_t offset, uint32_t match_len);
void zenc_store_last_lits(struct zenc_seqstore *ss, const uint8_t *lit, size_t n);
uint32_t zenc_off_value(const uint32_t rep[3], uint32_t offset, uint32_t lit_len);
void zenc_rep_update(uint32_t rep[3], uint32_t off_value, uint32_t lit_len);

/* Match finders: fill ctx->ss with the sequences of src[start, end). */
void zenc_match_fast(struct zenc_ctx *c, size_t start, size_t end);
void zenc_match_dfast(struct zenc_ctx *c, size_t start, size_t end);
void zenc_match_chain(struct zenc_ctx *c, size_t start, size_t end);
void zenc_match_opt(struct zenc_ctx *c, size_t start, size_t end);

/* zstd_huf_encode.c: literals section; returns its size or 0 if it does not fit. */
size_t zenc_literals(struct zenc_entropy *e, uint8_t *dst, size_t cap, const uint8_t *lits,
		     size_t n);

/* zstd_seq_encode.c: sequences section; returns its size or 0 if it does not fit. */
size_t zenc_sequences(struct zenc_entropy *e, uint8_t *dst, size_t cap,
		      const struct zenc_seq *seqs, size_t nb_seq);

/* zstd_fse_encode.c */
unsigned zenc_fse_table_log(unsigned max_log, size_t total, unsigned max_sym);
int zenc_fse_normalize(int16_t *norm, unsigned log, const uint32_t *count, size_t total,
		       unsigned max_sym);
size_t zenc_fse_write_ncount(uint8_t *dst, size_t cap, const int16_t *norm, unsigned max_sym,
			     unsigned log);
void zenc_fse_build(struct zenc_fse_ctab *t, uint8_t *spread, const int16_t *norm,
		    unsigned max_sym, unsigned log);
void zenc_fse_init_state(const struct zenc_fse_ctab *t, uint32_t *state, unsigned sym);
size_t zenc_fse_bits_cost(const int16_t *norm, unsigned log, const uint32_t *count,
			  unsigned max_sym);

/* Approximate log2(x) in 1/256 bit units (x >= 1), integer only. */
static inline uint32_t zenc_log2_fp8(uint32_t x)
{
	unsigned hb = zstd_highbit32(x);
	uint32_t frac = hb >= 8 ? (x >> (hb - 8)) & 255 : (x << (8 - hb)) & 255;
	return (hb << 8) + frac;
}

static inline uint32_t zenc_read32(const uint8_t *p)
{
	uint32_t v;
	__builtin_memcpy(&v, p, 4);
	return v;
}

static inline uint64_t zenc_read64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

/* Hash of the first mls (4..8) bytes at p into hlog bits. */
static inline uint32_t zenc_hash(const uint8_t *p, unsigned mls, unsigned hlog)
{
	if (mls == 4)
		return (zenc_read32(p) * 2654435761u) >> (32 - hlog);
	return (uint32_t)(((zenc_read64(p) << (64 - 8 * mls)) * 0xCF1BBCDCB7A56463ull) >>
			  (64 - hlog));
}

/* Length of the common prefix of a and b, a being the later one, a < end. */
static inline size_t zenc_count(const uint8_t *a, const uint8_t *b, const uint8_t *end)
{
	const uint8_t *start = a;
	while (end - a >= 8) {
		uint64_t x = zenc_read64(a) ^ zenc_read64(b);
		if (x)
			return (size_t)(a - start) + ((unsigned)__builtin_ctzll(x) >> 3);
		a += 8;
		b += 8;
	}
	while (a < end && *a == *b) {
		a++;
		b++;
	}
	return (size_t)(a - start);
}

/* Bit writer (inline: it is the inner loop of every entropy stage). */
static inline void zenc_bits_init(struct zenc_bits *b, uint8_t *dst, size_t cap)
{
	b->acc = 0;
	b->n = 0;
	b->p = b->start = dst;
	b->end = dst + cap;
	b->overflow = 0;
}

/* Append the low nb bits of v (nb <= 32; at most 56 bits pending). */
static inline void zenc_bits_add(struct zenc_bits *b, uint64_t v, unsigned nb)
{
	b->acc |= (v & ((1ull << nb) - 1)) << b->n;
	b->n += nb;
}

/* Move the whole pending bytes to the output. */
static inline void zenc_bits_flush(struct zenc_bits *b)
{
	unsigned nbytes = b->n >> 3;
	if (b->end - b->p >= 8) {
		__builtin_memcpy(b->p, &b->acc, 8);
		b->p += nbytes;
	} else {
		for (unsigned i = 0; i < nbytes; i++) {
			if (b->p >= b->end) {
				b->overflow = 1;
				break;
			}
			*b->p++ = (uint8_t)(b->acc >> (8 * i));
		}
	}
	b->acc = nbytes ? b->acc >> (8 * nbytes) : b->acc;
	b->n &= 7;
}

/* Write the end mark and the last partial byte; size written or 0. */
static inline size_t zenc_bits_close(struct zenc_bits *b)
{
	zenc_bits_add(b, 1, 1);
	zenc_bits_flush(b);
	if (b->n) {
		if (b->p >= b->end)
			return 0;
		*b->p++ = (uint8_t)b->acc;
	}
	if (b->overflow)
		return 0;
	return (size_t)(b->p - b->start);
}

/* FSE: encode one symbol (its state transition bits). */
static inline void zenc_fse_encode(struct zenc_bits *b, const struct zenc_fse_ctab *t,
				   uint32_t *state, unsigned sym)
{
	uint32_t nb = (*state + t->sym[sym].nbits) >> 16;
	zenc_bits_add(b, *state, nb);
	*state = t->state[(int32_t)(*state >> nb) + t->sym[sym].find];
}

/* FSE: write the final state. */
static inline void zenc_fse_flush_state(struct zenc_bits *b, const struct zenc_fse_ctab *t,
					uint32_t state)
{
	zenc_bits_add(b, state, t->log);
	zenc_bits_flush(b);
}

#endif
