/*
 * zstd_opt.h - private state of the optimal parser (zstd_match_opt.c) and
 * its price model (zstd_opt_price.c). Prices are in 1/256 bit units.
 */
#ifndef KEEL_LIB_ZSTD_OPT_H
#define KEEL_LIB_ZSTD_OPT_H

#include "lib/zstd_enc.h"

#define OPT_INF 0x7FFFFFFFu
#define OPT_MAX_MATCHES 1100 /* > 3 repeats + the deepest chain search (1024) */

/* The cheapest known way to reach one position of the parse window. */
struct opt_node {
	uint32_t price;  /* everything so far, the pending literal run's length included */
	uint32_t litlen; /* literals since the last match */
	uint32_t mlen;   /* 0: reached by a literal; else the match that ends here */
	uint32_t off;    /* that match's real offset */
	uint32_t rep[3]; /* repeat offsets in force here */
};

struct opt_match {
	uint32_t off, len;
};

struct zenc_opt {
	uint32_t lit_freq[256], ll_freq[ZSTD_LL_MAX_CODE + 1];
	uint32_t ml_freq[ZSTD_ML_MAX_CODE + 1], of_freq[ZSTD_OF_MAX_CODE + 1];
	uint32_t lit_price[256], ll_price[ZSTD_LL_MAX_CODE + 1];
	uint32_t ml_price[ZSTD_ML_MAX_CODE + 1], of_price[ZSTD_OF_MAX_CODE + 1];
	int started; /* statistics hold something from an earlier block */
	uint32_t ll0_price; /* price of a literal length of 0 */
	uint32_t min_len;   /* shortest match length tried */
	struct opt_match match[OPT_MAX_MATCHES];
	struct opt_node node[ZENC_OPT_NUM + 1];
};

/* zstd_opt_price.c */
void opt_stats_block(struct zenc_opt *o, const uint8_t *src, size_t len);
void opt_stats_add(struct zenc_opt *o, const struct zenc_seq *seqs, size_t n,
		   const uint8_t *lits, size_t nlits);
void opt_prices(struct zenc_opt *o);

/* Price of a literal run of length n (its code and extra bits). */
static inline uint32_t opt_ll_price(const struct zenc_opt *o, uint32_t n)
{
	unsigned c = zstd_ll_code(n);
	return o->ll_price[c] + ((uint32_t)zstd_ll_bits[c] << 8);
}

/* Price of a match's offset value and length. */
static inline uint32_t opt_match_price(const struct zenc_opt *o, uint32_t off_value, uint32_t len)
{
	unsigned ofc = zstd_highbit32(off_value), mlc = zstd_ml_code(len - ZSTD_MIN_MATCH);
	return o->of_price[ofc] + (ofc << 8) + o->ml_price[mlc] + ((uint32_t)zstd_ml_bits[mlc] << 8);
}

#endif
