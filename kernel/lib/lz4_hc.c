/*
 * LZ4 high-compression block compressor: every position goes into a hash
 * table (32 Ki heads) and a chain table (64 Ki distances, one per position
 * in the 64 KiB window); the level sets how many chain links are tried and
 * whether the next one or two positions are checked for a longer match
 * before committing (lazy matching).
 */
#include "lib/lz4_internal.h"

struct hc_match {
	size_t len, off;
};

static inline uint32_t hc_hash(const uint8_t *p)
{
	return (lz4_rd32(p) * 2654435761U) >> (32 - LZ4_HC_HASH_LOG);
}

void lz4_hc_reset(struct lz4_hc_tables *t, size_t start)
{
	__builtin_memset(t->hash, 0, sizeof(t->hash));
	__builtin_memset(t->chain, 0, sizeof(t->chain));
	t->next = start;
}

/* Link every position in [t->next, target) into its hash chain. */
static void insert_upto(struct lz4_hc_tables *t, const uint8_t *base, size_t target)
{
	for (size_t p = t->next; p < target; p++) {
		uint32_t h = hc_hash(base + p);
		size_t prev = t->hash[h];
		size_t d = prev < p ? p - prev : 0;

		t->chain[p & (LZ4_HC_CHAIN_SIZE - 1)] = (uint16_t)(d > 65535 ? 65535 : d);
		t->hash[h] = (uint32_t)p;
	}
	if (target > t->next)
		t->next = target;
}

// Longest match at base+cur longer than best->len, trying `tries` candidates.
static bool find_longer(struct lz4_hc_tables *t, const uint8_t *base, size_t low, size_t cur,
			const uint8_t *limit, unsigned tries, struct hc_match *best)
{
	const uint8_t *ip = base + cur;
	size_t m, blen = best->len;
	bool found = false;

	insert_upto(t, base, cur);
	m = t->hash[hc_hash(ip)];
	while (tries--) {
		if (m < low || m >= cur || cur - m > LZ4_MAX_DISTANCE)
			break;
		const uint8_t *mp = base + m;
		if (mp[blen] == ip[blen] && lz4_rd32(mp) == lz4_rd32(ip)) {
			size_t len = LZ4_MINMATCH + lz4_count(ip + LZ4_MINMATCH, mp + LZ4_MINMATCH, limit);
			if (len > blen) {
				blen = len;
				best->len = len;
				best->off = cur - m;
				found = true;
				if (ip + len >= limit)
					break;
			}
		}
		size_t d = t->chain[m & (LZ4_HC_CHAIN_SIZE - 1)];
		if (d == 0 || d > m)
			break;
		m -= d;
	}
	return found;
}

// Hash-chain matcher with lazy evaluation over base[start, end).
long lz4_hc_compress_range(struct lz4_hc_tables *t, const uint8_t *base, size_t low,
			   size_t start, size_t end, uint8_t *dst, size_t cap, int level)
{
	const uint8_t *ip = base + start, *anchor = ip, *iend = base + end;
	const uint8_t *mflimit, *matchlimit;
	uint8_t *op = dst, *oend = dst + cap;
	unsigned tries, lazy;

	if (level < LZ4_LEVEL_HC_MIN)
		level = LZ4_LEVEL_HC_MIN;
	if (level > LZ4_LEVEL_MAX)
		level = LZ4_LEVEL_MAX;
	tries = level >= 12 ? 4096 : 1u << (level - 1);
	lazy = level >= 6 ? 2 : 1;
	if (t->next < low || t->next > start)
		t->next = low;
	if (end - start < LZ4_MFLIMIT + 1)
		goto last;
	mflimit = iend - LZ4_MFLIMIT;
	matchlimit = iend - LZ4_LASTLITERALS;

	while (ip <= mflimit) {
		struct hc_match cur = { LZ4_MINMATCH - 1, 0 };

		if (!find_longer(t, base, low, (size_t)(ip - base), matchlimit, tries, &cur)) {
			ip++;
			continue;
		}
		/* lazy: would starting 1 (or 2) bytes later give a longer match? */
		for (;;) {
			struct hc_match next = cur;
			unsigned k;
			for (k = 1; k <= lazy && ip + k <= mflimit; k++) {
				next.len = cur.len + k - 1;
				if (find_longer(t, base, low, (size_t)(ip + k - base), matchlimit, tries,
						&next))
					break;
			}
			if (k > lazy || ip + k > mflimit)
				break;
			ip += k;
			cur = next;
		}
		op = lz4_put_sequence(op, oend, anchor, (size_t)(ip - anchor), cur.off, cur.len);
		if (!op)
			return -LZ4_ERR_DST_TOO_SMALL;
		ip += cur.len;
		anchor = ip;
	}
last:
	op = lz4_put_last(op, oend, anchor, (size_t)(iend - anchor));
	if (!op)
		return -LZ4_ERR_DST_TOO_SMALL;
	return (long)(op - dst);
}
