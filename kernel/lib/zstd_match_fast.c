/*
 * zstd_match_fast.c - the fastest match finder (levels 1-2): one hash table
 * slot per hash of the next min_match bytes, the last position seen there
 * is the only candidate. A repeat-offset check at the next position comes
 * first; on incompressible data the step grows with the distance from the
 * last match.
 */
#include "lib/zstd_enc.h"

/* Sequences of src[start, end) into c->ss. */
void zenc_match_fast(struct zenc_ctx *c, size_t start, size_t end)
{
	const uint8_t *src = c->src, *iend = src + end;
	const unsigned mls = c->p.min_match, hlog = c->p.hash_log;
	uint32_t *hash = c->hash;
	uint32_t *rep = c->ss.rep;
	size_t ip = start ? start : 1, anchor = start;
	size_t ilimit = end > ZENC_HASH_READ ? end - ZENC_HASH_READ : 0;

	if (end - start < 16)
		ilimit = 0;
	while (ip < ilimit) {
		const uint8_t *p = src + ip;
		uint32_t h = zenc_hash(p, mls, hlog);
		size_t cand = hash[h];
		size_t low = ip > c->window ? ip - c->window : 0;
		size_t len = 0, off = 0, mpos = ip;

		hash[h] = (uint32_t)ip;
		if (ip + 1 >= rep[0] && zenc_read32(p + 1) == zenc_read32(p + 1 - rep[0])) {
			mpos = ip + 1;
			off = rep[0];
			len = 4 + zenc_count(p + 5, p + 5 - off, iend);
		} else if (cand >= low && cand < ip && zenc_read32(src + cand) == zenc_read32(p)) {
			off = ip - cand;
			len = 4 + zenc_count(p + 4, src + cand + 4, iend);
			while (mpos > anchor && mpos > off && src[mpos - 1] == src[mpos - 1 - off]) {
				mpos--;
				len++;
			}
		} else {
			ip += 1 + ((ip - anchor) >> 7);
			continue;
		}
		zenc_store_seq(&c->ss, src + anchor, (uint32_t)(mpos - anchor), (uint32_t)off,
			       (uint32_t)len);
		ip = mpos + len;
		anchor = ip;
		if (ip < ilimit) /* fill in a position inside the match */
			hash[zenc_hash(src + ip - 2, mls, hlog)] = (uint32_t)(ip - 2);
		/* an immediate second repeat offset */
		while (ip < ilimit && ip >= rep[1] && zenc_read32(src + ip) == zenc_read32(src + ip - rep[1])) {
			len = 4 + zenc_count(src + ip + 4, src + ip + 4 - rep[1], iend);
			hash[zenc_hash(src + ip, mls, hlog)] = (uint32_t)ip;
			zenc_store_seq(&c->ss, src + anchor, 0, rep[1], (uint32_t)len);
			ip += len;
			anchor = ip;
		}
	}
	zenc_store_last_lits(&c->ss, src + anchor, end - anchor);
}
