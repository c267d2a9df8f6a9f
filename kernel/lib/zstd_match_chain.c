/*
 * zstd_match_chain.c - hash-chain match finders (levels 4-15): a hash table
 * of the latest position per hash plus a chain linking each position to
 * the previous one with the same hash, searched 2^search_log deep.
 *   greedy: take the best match at the current position;
 *   lazy:   first check whether the next position has a better one;
 *   lazy2:  check the next two positions.
 * "Better" weighs length against the cost of the offset's bits.
 */
#include "lib/zstd_enc.h"

/* Link every position before target into the hash chains (locals: the
 * stores into the tables must not make the compiler reload c->...). */
void zenc_chain_insert(struct zenc_ctx *c, size_t target)
{
	const unsigned mls = zenc_hash_len(&c->p), hlog = c->p.hash_log;
	const uint8_t *src = c->src;
	uint32_t *hash = c->hash, *chain = c->chain;
	const uint32_t mask = c->chain_mask;
	size_t pos = c->next_to_update;

	if (target <= pos)
		return;
	for (; pos < target; pos++) {
		uint32_t h = zenc_hash(src + pos, mls, hlog);
		chain[pos & mask] = hash[h];
		hash[h] = (uint32_t)pos;
	}
	c->next_to_update = (uint32_t)target;
}

/* Longest match for ip within the window and chain depth; 0 if none. */
static size_t zenc_chain_search(struct zenc_ctx *c, size_t ip, size_t end, size_t *off)
{
	const uint8_t *src = c->src, *p = src + ip, *iend = src + end;
	size_t chain_size = (size_t)c->chain_mask + 1;
	size_t min_chain = ip > chain_size ? ip - chain_size : 0;
	size_t low = ip > c->window ? ip - c->window : 0;
	unsigned attempts = 1u << c->p.search_log;
	const uint32_t *chain = c->chain, mask = c->chain_mask;
	const size_t target_len = c->p.target_len;
	size_t best = 0;

	zenc_chain_insert(c, ip);
	size_t cand = c->hash[zenc_hash(p, zenc_hash_len(&c->p), c->p.hash_log)];
	while (cand >= low && cand < ip && attempts--) {
		const uint8_t *m = src + cand;
		if (m[best] == p[best] && zenc_read32(m) == zenc_read32(p)) {
			size_t len = 4 + zenc_count(p + 4, m + 4, iend);
			if (len > best) {
				best = len;
				*off = ip - cand;
				if (len >= target_len || p + len == iend)
					break;
			}
		}
		if (cand <= min_chain)
			break;
		cand = chain[cand & mask];
	}
	return best;
}

/* Length of a repeat-offset match at ip, or 0. */
static size_t rep_match(const struct zenc_ctx *c, size_t ip, size_t end, uint32_t rep)
{
	const uint8_t *p = c->src + ip;
	if (ip < rep || zenc_read32(p) != zenc_read32(p - rep))
		return 0;
	return 4 + zenc_count(p + 4, p + 4 - rep, c->src + end);
}

/* Score of a match: length against the offset's extra bits. */
static long gain(size_t len, size_t off, int mult, int bias)
{
	return (long)len * mult - (long)zstd_highbit32((uint32_t)off + 3) + bias;
}

/* Sequences of src[start, end) into c->ss, greedy, lazy or lazy2. */
void zenc_match_chain(struct zenc_ctx *c, size_t start, size_t end)
{
	const uint8_t *src = c->src;
	const int depth = c->p.strategy - ZENC_GREEDY;
	uint32_t *rep = c->ss.rep;
	size_t ip = start ? start : 1, anchor = start;
	size_t ilimit = end - start >= 16 ? end - ZENC_HASH_READ : 0;

	while (ip < ilimit) {
		size_t len = 0, off = 0, mpos = ip, l2, o2 = 0;

		if ((l2 = rep_match(c, ip + 1, end, rep[0])) != 0) {
			len = l2;
			off = rep[0];
			mpos = ip + 1;
		}
		if (!depth && len)
			goto store;
		if ((l2 = zenc_chain_search(c, ip, end, &o2)) > len) {
			len = l2;
			off = o2;
			mpos = ip;
		}
		if (len < 4) {
			ip += 1 + ((ip - anchor) >> 8);
			continue;
		}
		for (int d = 1; d <= depth && len < c->p.target_len; d++) {
			if (ip + 1 >= ilimit)
				break;
			ip++;
			if ((l2 = rep_match(c, ip, end, rep[0])) >= 4 &&
			    gain(l2, 1, 3, 0) > gain(len, off, 3, 1)) {
				len = l2;
				off = rep[0];
				mpos = ip;
			}
			if ((l2 = zenc_chain_search(c, ip, end, &o2)) >= 4 &&
			    gain(l2, o2, 4, 0) > gain(len, off, 4, d == 1 ? 4 : 7)) {
				len = l2;
				off = o2;
				mpos = ip;
				d = 0; /* found better here: look further again */
			}
		}
		while (mpos > anchor && mpos > off && src[mpos - 1] == src[mpos - 1 - off]) {
			mpos--;
			len++;
		}
store:
		zenc_store_seq(&c->ss, src + anchor, (uint32_t)(mpos - anchor), (uint32_t)off,
			       (uint32_t)len);
		ip = anchor = mpos + len;
		while (ip < ilimit && (l2 = rep_match(c, ip, end, rep[1])) != 0) {
			zenc_store_seq(&c->ss, src + ip, 0, rep[1], (uint32_t)l2);
			ip = anchor = ip + l2;
		}
	}
	zenc_store_last_lits(&c->ss, src + anchor, end - anchor);
}
