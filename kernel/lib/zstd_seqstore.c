/*
 * zstd_seqstore.c - the sequence store of the Zstandard encoder: the match
 * finders append (literals, offset, match length) triples here, and this
 * file turns each real offset into an Offset_Value, using the repeat
 * offset codes whenever the offset is one of the three recent ones
 * (RFC 8878 3.1.1.5), and keeps the repeat offsets as the decoder will.
 */
#include "lib/zstd_enc.h"

/* Start a new block: no sequences, no literals (repeat offsets carry on). */
void zenc_store_reset(struct zenc_seqstore *ss)
{
	ss->nb_seq = 0;
	ss->nb_lits = 0;
}

/* Offset_Value for a real offset, given the repeat offsets and whether the
 * sequence has literals (with none, the codes shift by one). */
uint32_t zenc_off_value(const uint32_t rep[3], uint32_t offset, uint32_t lit_len)
{
	if (lit_len) {
		if (offset == rep[0])
			return 1;
		if (offset == rep[1])
			return 2;
		if (offset == rep[2])
			return 3;
	} else {
		if (offset == rep[1])
			return 1;
		if (offset == rep[2])
			return 2;
		if (offset == rep[0] - 1)
			return 3;
	}
	return offset + 3;
}

/* Update the repeat offsets exactly as the decoder does after a sequence. */
void zenc_rep_update(uint32_t rep[3], uint32_t off_value, uint32_t lit_len)
{
	uint32_t idx, offset;

	if (off_value > 3) {
		offset = off_value - 3;
	} else {
		idx = off_value - (lit_len ? 1 : 0);
		if (idx == 0)
			return;
		if (idx == 1) {
			uint32_t t = rep[0];
			rep[0] = rep[1];
			rep[1] = t;
			return;
		}
		offset = idx == 2 ? rep[2] : rep[0] - 1;
	}
	rep[2] = rep[1];
	rep[1] = rep[0];
	rep[0] = offset;
}

/* Append one sequence; its literals are copied into the literal buffer. */
void zenc_store_seq(struct zenc_seqstore *ss, const uint8_t *lit, uint32_t lit_len,
		    uint32_t offset, uint32_t match_len)
{
	struct zenc_seq *s = &ss->seqs[ss->nb_seq++];
	__builtin_memcpy(ss->lits + ss->nb_lits, lit, lit_len);
	ss->nb_lits += lit_len;
	s->lit_len = lit_len;
	s->match_len = match_len;
	s->off_value = zenc_off_value(ss->rep, offset, lit_len);
	zenc_rep_update(ss->rep, s->off_value, lit_len);
}

/* The literals after the block's last sequence. */
void zenc_store_last_lits(struct zenc_seqstore *ss, const uint8_t *lit, size_t n)
{
	__builtin_memcpy(ss->lits + ss->nb_lits, lit, n);
	ss->nb_lits += n;
}
