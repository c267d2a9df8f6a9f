/*
 * zstd_opt_price.c - the price model of the optimal parser: symbol
 * frequencies (literal bytes, literal-length, match-length and offset
 * codes) turned into approximate bit costs, -log2(freq / total). Literal
 * statistics start from the first block's bytes, sequence statistics from
 * a typical shape; both then follow what the parser emits.
 */
#include "lib/zstd_opt.h"

/* Typical first-block shapes: short literal runs, small offset codes. */
static const uint8_t ll_start[ZSTD_LL_MAX_CODE + 1] = {4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const uint8_t of_start[ZSTD_OF_MAX_CODE + 1] = {6, 2, 1, 1, 2, 3, 4, 4, 4, 3, 2,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
						       1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* Start of a block: literal frequencies from its bytes; sequence
 * frequencies either initialised or decayed from the previous block. */
void opt_stats_block(struct zenc_opt *o, const uint8_t *src, size_t len)
{
	if (!o->started) {
		for (unsigned s = 0; s < 256; s++)
			o->lit_freq[s] = 0;
		for (size_t i = 0; i < len; i++)
			o->lit_freq[src[i]]++;
		for (unsigned s = 0; s < 256; s++)
			o->lit_freq[s] = 1 + (o->lit_freq[s] >> 4);
	} else {
		for (unsigned s = 0; s < 256; s++)
			o->lit_freq[s] = 1 + (o->lit_freq[s] >> 2);
	}
	for (unsigned s = 0; s <= ZSTD_LL_MAX_CODE; s++)
		o->ll_freq[s] = o->started ? 1 + (o->ll_freq[s] >> 2) : ll_start[s];
	for (unsigned s = 0; s <= ZSTD_ML_MAX_CODE; s++)
		o->ml_freq[s] = o->started ? 1 + (o->ml_freq[s] >> 2) : 1;
	for (unsigned s = 0; s <= ZSTD_OF_MAX_CODE; s++)
		o->of_freq[s] = o->started ? 1 + (o->of_freq[s] >> 2) : of_start[s];
	o->started = 1;
	opt_prices(o);
}

/* Count the codes of sequences just emitted. */
void opt_stats_add(struct zenc_opt *o, const struct zenc_seq *seqs, size_t n,
		   const uint8_t *lits, size_t nlits)
{
	for (size_t i = 0; i < nlits; i++)
		o->lit_freq[lits[i]] += 2;
	for (size_t i = 0; i < n; i++) {
		o->ll_freq[zstd_ll_code(seqs[i].lit_len)] += 2;
		o->ml_freq[zstd_ml_code(seqs[i].match_len - ZSTD_MIN_MATCH)] += 2;
		o->of_freq[zstd_highbit32(seqs[i].off_value)] += 2;
	}
}

/* -log2(f / sum) for every symbol of one table. */
static void table_prices(uint32_t *price, const uint32_t *freq, unsigned n)
{
	uint32_t sum = 0;
	for (unsigned s = 0; s < n; s++)
		sum += freq[s];
	uint32_t lsum = zenc_log2_fp8(sum);
	for (unsigned s = 0; s < n; s++)
		price[s] = lsum - zenc_log2_fp8(freq[s]);
}

/* Refresh all price tables from the frequencies. */
void opt_prices(struct zenc_opt *o)
{
	table_prices(o->lit_price, o->lit_freq, 256);
	table_prices(o->ll_price, o->ll_freq, ZSTD_LL_MAX_CODE + 1);
	table_prices(o->ml_price, o->ml_freq, ZSTD_ML_MAX_CODE + 1);
	table_prices(o->of_price, o->of_freq, ZSTD_OF_MAX_CODE + 1);
}
