/*
 * zstd_match_dfast.c - the "double fast" match finder (level 3, the default
 * level): two one-slot hash tables, one on the next 8 bytes (long matches,
 * c->hash) and one on the next min_match bytes (short ones, reusing the
 * c->chain array as a plain table). A long candidate is preferred; a short
 * one is taken unless the next position has a long one. Only a few
 * positions inside each match are added to the tables, which is what makes
 * this finder about twice as fast as a hash chain at a similar ratio.
 */
#include "lib/zstd_enc.h"

/* Remember pos in both tables. */
static void put_both(struct zenc_ctx *c, size_t pos, unsigned mls, unsigned slog)
{
	c->hash[zenc_hash(c->src + pos, 8, c->p.hash_log)] = (uint32_t)pos;
	c->chain[zenc_hash(c->src + pos, mls, slog)] = (uint32_t)pos;
}

/* Sequences of src[start, end) into c->ss. */
void zenc_match_dfast(struct zenc_ctx *c, size_t start, size_t end)
{
	const uint8_t *src = c->src, *iend = src + end;
	const unsigned mls = c->p.min_match, hlog = c->p.hash_log, slog = c->p.chain_log;
	uint32_t *hl = c->hash, *hs = c->chain;
	uint32_t *rep = c->ss.rep;
	size_t ip = start ? start : 1, anchor = start;
	size_t ilimit = end - start >= 16 ? end - ZENC_HASH_READ : 0;

	while (ip < ilimit) {
		const uint8_t *p = src + ip;
		uint32_t h8 = zenc_hash(p, 8, hlog), h5 = zenc_hash(p, mls, slog);
		size_t cl = hl[h8], cs = hs[h5];
		size_t low = ip > c->window ? ip - c->window : 0;
		size_t len, off, mpos = ip;

		hl[h8] = hs[h5] = (uint32_t)ip;
		if (ip + 1 >= rep[0] && zenc_read32(p + 1) == zenc_read32(p + 1 - rep[0])) {
			mpos = ip + 1;
			off = rep[0];
			len = 4 + zenc_count(p + 5, p + 5 - off, iend);
			goto store;
		}
		if (cl >= low && cl < ip && zenc_read64(src + cl) == zenc_read64(p)) {
			off = ip - cl;
			len = 8 + zenc_count(p + 8, src + cl + 8, iend);
		} else if (cs >= low && cs < ip && zenc_read32(src + cs) == zenc_read32(p)) {
			uint32_t h8n = zenc_hash(p + 1, 8, hlog);
			size_t cn = hl[h8n];
			hl[h8n] = (uint32_t)(ip + 1);
			if (cn >= low && cn < ip + 1 && zenc_read64(src + cn) == zenc_read64(p + 1)) {
				mpos = ip + 1;
				off = ip + 1 - cn;
				len = 8 + zenc_count(p + 9, src + cn + 8, iend);
			} else {
				off = ip - cs;
				len = 4 + zenc_count(p + 4, src + cs + 4, iend);
			}
		} else {
			ip += 1 + ((ip - anchor) >> 8);
			continue;
		}
		while (mpos > anchor && mpos > off && src[mpos - 1] == src[mpos - 1 - off]) {
			mpos--;
			len++;
		}
store:
		zenc_store_seq(&c->ss, src + anchor, (uint32_t)(mpos - anchor), (uint32_t)off,
			       (uint32_t)len);
		size_t first = ip;
		ip = anchor = mpos + len;
		if (ip < ilimit) { /* a few positions from inside the match */
			put_both(c, first + 2, mls, slog);
			hl[zenc_hash(src + ip - 2, 8, hlog)] = (uint32_t)(ip - 2);
			hs[zenc_hash(src + ip - 1, mls, slog)] = (uint32_t)(ip - 1);
		}
		while (ip < ilimit && ip >= rep[1] && zenc_read32(src + ip) == zenc_read32(src + ip - rep[1])) {
			len = 4 + zenc_count(src + ip + 4, src + ip + 4 - rep[1], iend);
			put_both(c, ip, mls, slog);
			zenc_store_seq(&c->ss, src + anchor, 0, rep[1], (uint32_t)len);
			ip = anchor = ip + len;
		}
	}
	zenc_store_last_lits(&c->ss, src + anchor, end - anchor);
}
