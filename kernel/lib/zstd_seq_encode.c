/*
 * zstd_seq_encode.c - the sequences section of a compressed block (RFC 8878
 * 3.1.1.3.2): the sequence count, a compression mode per symbol type
 * (literal length, offset, match length: predefined, RLE or a fresh FSE
 * table, whichever is cheapest), the table descriptions, and the
 * interleaved FSE bitstream with each sequence's extra bits.
 */
#include "lib/zstd_enc.h"

/* One symbol type: its codes, limits and predefined distribution. */
struct seq_kind {
	const uint8_t *codes;
	unsigned max_code, max_log;
	const int16_t *def_norm;
	unsigned def_max, def_log;
};

/* Pick and prepare the mode of one symbol type: fills t, writes any table
 * description at dst. Returns the mode, or -1 if dst is too small. */
static int choose_mode(struct zenc_entropy *e, struct zenc_fse_ctab *t, uint8_t *dst,
		       size_t cap, size_t *used, const struct seq_kind *k, size_t n)
{
	unsigned max_sym = 0;
	size_t best_cost, cost;
	int mode = ZSTD_SEQ_PREDEFINED;

	__builtin_memset(e->count, 0, (k->max_code + 1) * sizeof(e->count[0]));
	for (size_t i = 0; i < n; i++)
		e->count[k->codes[i]]++;
	for (unsigned s = 0; s <= k->max_code; s++)
		if (e->count[s])
			max_sym = s;
	*used = 0;
	if (e->count[max_sym] == n) { /* RLE: one byte, no bits per symbol */
		best_cost = 8 << 8;
		mode = ZSTD_SEQ_RLE;
	} else {
		best_cost = (size_t)-1;
	}
	if (max_sym <= k->def_max) {
		cost = zenc_fse_bits_cost(k->def_norm, k->def_log, e->count, max_sym);
		if (cost < best_cost) {
			best_cost = cost;
			mode = ZSTD_SEQ_PREDEFINED;
		}
	}
	size_t hsize = 0;
	unsigned log = 0;
	if (mode != ZSTD_SEQ_RLE && n > 1) {
		log = zenc_fse_table_log(k->max_log, n, max_sym);
		if (!zenc_fse_normalize(e->norm, log, e->count, n, max_sym))
			hsize = zenc_fse_write_ncount(dst, cap, e->norm, max_sym, log);
		if (hsize) {
			cost = zenc_fse_bits_cost(e->norm, log, e->count, max_sym) + (hsize << 11);
			if (cost < best_cost) {
				best_cost = cost;
				mode = ZSTD_SEQ_FSE;
			}
		}
	}
	if (best_cost == (size_t)-1)
		return -1;
	if (mode == ZSTD_SEQ_RLE) {
		if (cap < 1)
			return -1;
		dst[0] = (uint8_t)max_sym;
		*used = 1;
		/* a 1-state table: the symbol costs 0 bits */
		t->log = 0;
		t->state[0] = 1;
		t->sym[max_sym].nbits = (uint32_t)-1;
		t->sym[max_sym].find = -1;
	} else if (mode == ZSTD_SEQ_FSE) {
		*used = hsize;
		zenc_fse_build(t, e->spread, e->norm, max_sym, log);
	} else {
		zenc_fse_build(t, e->spread, k->def_norm, k->def_max, k->def_log);
	}
	return mode;
}

/* The interleaved bitstream, sequences coded last to first; size or 0. */
static size_t encode_stream(const struct zenc_entropy *e, uint8_t *dst, size_t cap,
			    const struct zenc_seq *seqs, size_t n)
{
	struct zenc_bits b;
	uint32_t sll, sml, sof;
	size_t i = n - 1;

	zenc_bits_init(&b, dst, cap);
	zenc_fse_init_state(&e->ml, &sml, e->mlc[i]);
	zenc_fse_init_state(&e->of, &sof, e->ofc[i]);
	zenc_fse_init_state(&e->ll, &sll, e->llc[i]);
	for (;;) {
		unsigned llc = e->llc[i], mlc = e->mlc[i], ofc = e->ofc[i];
		unsigned llb = zstd_ll_bits[llc], mlb = zstd_ml_bits[mlc];
		zenc_bits_add(&b, seqs[i].lit_len - zstd_ll_base[llc], llb);
		zenc_bits_add(&b, seqs[i].match_len - zstd_ml_base[mlc], mlb);
		if (llb + mlb + ofc > 30)
			zenc_bits_flush(&b);
		zenc_bits_add(&b, seqs[i].off_value, ofc);
		zenc_bits_flush(&b);
		if (i-- == 0)
			break;
		zenc_fse_encode(&b, &e->of, &sof, e->ofc[i]);
		zenc_fse_encode(&b, &e->ml, &sml, e->mlc[i]);
		zenc_fse_encode(&b, &e->ll, &sll, e->llc[i]);
		llc = e->llc[i];
		mlc = e->mlc[i];
		if (zstd_ll_bits[llc] + zstd_ml_bits[mlc] + e->ofc[i] > 30)
			zenc_bits_flush(&b);
	}
	zenc_fse_flush_state(&b, &e->ml, sml);
	zenc_fse_flush_state(&b, &e->of, sof);
	zenc_fse_flush_state(&b, &e->ll, sll);
	return zenc_bits_close(&b);
}

/* The whole sequences section; its size, or 0 if it does not fit. */
size_t zenc_sequences(struct zenc_entropy *e, uint8_t *dst, size_t cap,
		      const struct zenc_seq *seqs, size_t n)
{
	size_t pos, used;
	int mll, mof, mml;

	if (cap < 4)
		return 0;
	if (n < 128) {
		dst[0] = (uint8_t)n;
		pos = 1;
	} else if (n < ZSTD_LONG_SEQ_FLAG) {
		dst[0] = (uint8_t)((n >> 8) + 0x80);
		dst[1] = (uint8_t)n;
		pos = 2;
	} else {
		dst[0] = 0xFF;
		dst[1] = (uint8_t)(n - ZSTD_LONG_SEQ_FLAG);
		dst[2] = (uint8_t)((n - ZSTD_LONG_SEQ_FLAG) >> 8);
		pos = 3;
	}
	if (n == 0)
		return pos;
	for (size_t i = 0; i < n; i++) {
		e->llc[i] = (uint8_t)zstd_ll_code(seqs[i].lit_len);
		e->mlc[i] = (uint8_t)zstd_ml_code(seqs[i].match_len - ZSTD_MIN_MATCH);
		e->ofc[i] = (uint8_t)zstd_highbit32(seqs[i].off_value);
	}
	size_t modes = pos++;
	const struct seq_kind ll = {e->llc, ZSTD_LL_MAX_CODE, ZSTD_LL_MAX_LOG, zstd_ll_default_norm,
				    ZSTD_LL_MAX_CODE, ZSTD_LL_DEFAULT_LOG};
	const struct seq_kind of = {e->ofc, ZSTD_OF_MAX_CODE, ZSTD_OF_MAX_LOG, zstd_of_default_norm,
				    ZSTD_OF_DEFAULT_MAX, ZSTD_OF_DEFAULT_LOG};
	const struct seq_kind ml = {e->mlc, ZSTD_ML_MAX_CODE, ZSTD_ML_MAX_LOG, zstd_ml_default_norm,
				    ZSTD_ML_MAX_CODE, ZSTD_ML_DEFAULT_LOG};
	if ((mll = choose_mode(e, &e->ll, dst + pos, cap - pos, &used, &ll, n)) < 0)
		return 0;
	pos += used;
	if ((mof = choose_mode(e, &e->of, dst + pos, cap - pos, &used, &of, n)) < 0)
		return 0;
	pos += used;
	if ((mml = choose_mode(e, &e->ml, dst + pos, cap - pos, &used, &ml, n)) < 0)
		return 0;
	pos += used;
	dst[modes] = (uint8_t)((mll << 6) | (mof << 4) | (mml << 2));
	size_t sz = encode_stream(e, dst + pos, cap - pos, seqs, n);
	return sz ? pos + sz : 0;
}
