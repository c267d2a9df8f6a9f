/*
 * zstd_match_opt.c - the optimal parser of the top levels (16-22). From
 * each position it collects every useful match (the repeat offsets, a
 * 3-byte match at short distance on levels with min_match 3, then a
 * hash-chain search keeping only ever-longer matches), and runs a
 * forward shortest-path search over the next positions, pricing literals
 * and matches with zstd_opt_price.c: node[i] holds the cheapest known way
 * to reach position i. The cheapest path is then walked back and stored.
 * The first block of a two-pass level is parsed once to learn statistics
 * and then parsed again with them.
 */
#include "lib/zstd_opt.h"

size_t zenc_opt_size(void)
{
	return sizeof(struct zenc_opt);
}

/* Hash of 3 bytes for the 3-byte match table. */
static uint32_t hash3(const uint8_t *p, unsigned log)
{
	return ((zenc_read32(p) << 8) * 506832829u) >> (32 - log);
}

/* Insert positions up to ip into hash3; the latest one with ip's hash. */
static size_t hash3_find(struct zenc_ctx *c, size_t ip)
{
	for (size_t pos = c->next3; pos < ip; pos++)
		c->hash3[hash3(c->src + pos, c->hash3_log)] = (uint32_t)pos;
	if (ip > c->next3)
		c->next3 = (uint32_t)ip;
	return c->hash3[hash3(c->src + ip, c->hash3_log)];
}

/* Matches at ip, longer and longer: repeats first, then the chain. */
static unsigned collect(struct zenc_ctx *c, struct zenc_opt *o, size_t ip, size_t end,
			const uint32_t rep[3], int ll0)
{
	const uint8_t *src = c->src, *p = src + ip, *iend = src + end;
	size_t chain_size = (size_t)c->chain_mask + 1;
	size_t min_chain = ip > chain_size ? ip - chain_size : 0;
	size_t low = ip > c->window ? ip - c->window : 0;
	unsigned attempts = 1u << c->p.search_log, n = 0;
	size_t best = 3;

	for (int i = 0; i < 4; i++) {
		uint32_t off = i < 3 ? rep[i] : rep[0] - 1;
		if ((i == 3 && !ll0) || off == 0 || off > ip)
			continue;
		if (zenc_read32(p) != zenc_read32(p - off))
			continue;
		size_t len = 4 + zenc_count(p + 4, p + 4 - off, iend);
		if (len > best) {
			o->match[n].off = off;
			o->match[n++].len = (uint32_t)len;
			best = len;
			if (len >= c->p.target_len || p + len == iend)
				return n;
		}
	}
	if (c->hash3 && best < 3 + 1) {
		/* a 3-byte match, worth it only at a short distance */
		size_t m3 = hash3_find(c, ip);
		if (m3 >= low && m3 < ip && ip - m3 < (1u << 18) && p[0] == src[m3] &&
		    p[1] == src[m3 + 1] && p[2] == src[m3 + 2]) {
			size_t len = 3 + zenc_count(p + 3, src + m3 + 3, iend);
			o->match[n].off = (uint32_t)(ip - m3);
			o->match[n++].len = (uint32_t)len;
			best = len;
			if (len >= c->p.target_len || p + len == iend)
				return n;
		}
	}
	zenc_chain_insert(c, ip);
	size_t cand = c->hash[zenc_hash(p, zenc_hash_len(&c->p), c->p.hash_log)];
	while (cand >= low && cand < ip && attempts--) {
		const uint8_t *m = src + cand;
		if (m[best] == p[best] && zenc_read32(m) == zenc_read32(p)) {
			size_t len = 4 + zenc_count(p + 4, m + 4, iend);
			if (len > best) {
				o->match[n].off = (uint32_t)(ip - cand);
				o->match[n++].len = (uint32_t)len;
				best = len;
				if (len >= c->p.target_len || p + len == iend)
					break;
			}
		}
		if (cand <= min_chain)
			break;
		cand = c->chain[cand & c->chain_mask];
	}
	return n;
}

/* Offer node[cur] + match (off, len) as the way to reach cur + len. */
static void relax_match(struct zenc_opt *o, unsigned cur, uint32_t off, uint32_t len,
			unsigned *last)
{
	struct opt_node *from = &o->node[cur], *to = &o->node[cur + len];
	uint32_t ov = zenc_off_value(from->rep, off, from->litlen);
	/* the new node's pending literal run (empty so far) is priced too */
	uint32_t price = from->price + opt_match_price(o, ov, len) + o->ll0_price;

	while (*last < cur + len)
		o->node[++*last].price = OPT_INF;
	if (price >= to->price)
		return;
	to->price = price;
	to->litlen = 0;
	to->mlen = len;
	to->off = off;
	to->rep[0] = from->rep[0];
	to->rep[1] = from->rep[1];
	to->rep[2] = from->rep[2];
	zenc_rep_update(to->rep, ov, from->litlen);
}

/* All lengths of the collected matches from node[cur]. */
static void relax_all(struct zenc_opt *o, unsigned cur, unsigned n, unsigned *last)
{
	uint32_t len = o->min_len;
	for (unsigned i = 0; i < n; i++)
		for (; len <= o->match[i].len; len++)
			relax_match(o, cur, o->match[i].off, len, last);
}

/* Walk the cheapest path back from node[last] and store its sequences;
 * returns the end of the last match (where pending literals start). */
static size_t store_path(struct zenc_ctx *c, struct zenc_opt *o, size_t ip, size_t anchor,
			 unsigned last)
{
	unsigned pos = last, nseq = 0;
	/* reuse match[] as a stack of (start, length) pairs, latest first */
	while (pos > 0) {
		struct opt_node *nd = &o->node[pos];
		if (nd->mlen) {
			o->match[nseq].off = pos - nd->mlen;
			o->match[nseq++].len = pos;
			pos -= nd->mlen;
		} else {
			pos--;
		}
	}
	while (nseq--) {
		unsigned s = o->match[nseq].off, e = o->match[nseq].len;
		size_t mstart = ip + s;
		zenc_store_seq(&c->ss, c->src + anchor, (uint32_t)(mstart - anchor), o->node[e].off,
			       e - s);
		anchor = mstart + (e - s);
	}
	return anchor;
}

/* Store the path to node[cur] plus a match (off, len) taken from there. */
static size_t store_path_then(struct zenc_ctx *c, struct zenc_opt *o, size_t ip, size_t anchor,
			      unsigned cur, uint32_t off, uint32_t len)
{
	anchor = store_path(c, o, ip, anchor, cur);
	zenc_store_seq(&c->ss, c->src + anchor, (uint32_t)(ip + cur - anchor), off, len);
	return ip + cur + len;
}

/* One parse of src[start, end) into c->ss. */
static void parse(struct zenc_ctx *c, struct zenc_opt *o, size_t start, size_t end)
{
	const uint8_t *src = c->src;
	size_t ip = start ? start : 1, anchor = start;
	size_t ilimit = end - start >= 16 ? end - ZENC_HASH_READ : 0;
	const uint32_t sufficient = c->p.target_len;

	opt_stats_block(o, src + start, end - start);
	o->ll0_price = opt_ll_price(o, 0);
	o->min_len = c->hash3 ? 3 : 4;
	while (ip < ilimit) {
		struct opt_node *n0 = &o->node[0];
		uint32_t litlen = (uint32_t)(ip - anchor);
		unsigned nm = collect(c, o, ip, end, c->ss.rep, litlen == 0), last = 0, cur;
		size_t before = c->ss.nb_seq, lits_before = c->ss.nb_lits, next;

		if (!nm) {
			ip++;
			continue;
		}
		n0->price = opt_ll_price(o, litlen);
		n0->litlen = litlen;
		n0->mlen = 0;
		n0->rep[0] = c->ss.rep[0];
		n0->rep[1] = c->ss.rep[1];
		n0->rep[2] = c->ss.rep[2];
		if (o->match[nm - 1].len >= sufficient) {
			next = anchor = store_path_then(c, o, ip, anchor, 0, o->match[nm - 1].off,
							o->match[nm - 1].len);
			goto stored;
		}
		relax_all(o, 0, nm, &last);
		for (cur = 1; cur <= last; cur++) {
			struct opt_node *prev = &o->node[cur - 1], *nd = &o->node[cur];
			uint32_t ll = prev->litlen + 1;
			uint32_t price = prev->price + o->lit_price[src[ip + cur - 1]] +
					 opt_ll_price(o, ll) - opt_ll_price(o, ll - 1);
			if (price <= nd->price) {
				nd->price = price;
				nd->litlen = ll;
				nd->mlen = 0;
				nd->rep[0] = prev->rep[0];
				nd->rep[1] = prev->rep[1];
				nd->rep[2] = prev->rep[2];
			}
			if (ip + cur >= ilimit)
				continue;
			nm = collect(c, o, ip + cur, end, nd->rep, nd->litlen == 0);
			if (!nm)
				continue;
			uint32_t longest = o->match[nm - 1].len;
			if (longest >= sufficient || cur + longest > ZENC_OPT_NUM) {
				/* take it now: the path ends with this match */
				next = anchor = store_path_then(c, o, ip, anchor, cur,
								o->match[nm - 1].off, longest);
				goto stored;
			}
			relax_all(o, cur, nm, &last);
		}
		/* node[last] found nothing further: the path may end in literals */
		anchor = store_path(c, o, ip, anchor, last);
		next = ip + last + 1;
stored:
		opt_stats_add(o, c->ss.seqs + before, c->ss.nb_seq - before, c->ss.lits + lits_before,
			      c->ss.nb_lits - lits_before);
		opt_prices(o);
		o->ll0_price = opt_ll_price(o, 0);
		ip = next;
	}
	zenc_store_last_lits(&c->ss, src + anchor, end - anchor);
}

/* Sequences of src[start, end) into c->ss. */
void zenc_match_opt(struct zenc_ctx *c, size_t start, size_t end)
{
	struct zenc_opt *o = c->opt;

	if (start == 0)
		o->started = 0;
	if (start == 0 && c->p.two_pass && c->p.chain_log) {
		/* learn statistics, then forget the parse and the tables */
		parse(c, o, start, end);
		zenc_store_reset(&c->ss);
		c->ss.rep[0] = 1;
		c->ss.rep[1] = 4;
		c->ss.rep[2] = 8;
		__builtin_memset(c->hash, 0, (size_t)4 << c->p.hash_log);
		__builtin_memset(c->chain, 0, (size_t)4 << c->p.chain_log);
		if (c->hash3)
			__builtin_memset(c->hash3, 0, (size_t)4 << c->hash3_log);
		c->next_to_update = c->next3 = 0;
		o->started = 1;
		parse(c, o, start, end);
		return;
	}
	parse(c, o, start, end);
}
