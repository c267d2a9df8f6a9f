/*
 * zstd_huf_encode.c - the literals section of a compressed block (RFC 8878
 * 3.1.1.3.1): raw, RLE, or Huffman-coded with a fresh table. Builds a
 * Huffman code limited to 11 bits, describes it by weights (FSE-compressed
 * or 4-bit direct), and codes the literals in 1 stream (< 256 bytes) or 4.
 */
#include "lib/zstd_enc.h"

#define HUF_LOG_MAX ZSTD_HUF_MAX_BITS
#define HUF_MIN_LITS 64 /* below this, raw literals are as good */

/* Raw literals: a 1-3 byte header and the bytes themselves. */
static size_t write_raw(uint8_t *dst, size_t cap, const uint8_t *lits, size_t n)
{
	size_t h = n < 32 ? 1 : n < 4096 ? 2 : 3;
	if (cap < h + n)
		return 0;
	if (h == 1) {
		dst[0] = (uint8_t)(ZSTD_LIT_RAW | (n << 3));
	} else if (h == 2) {
		uint32_t v = ZSTD_LIT_RAW | (1 << 2) | ((uint32_t)n << 4);
		dst[0] = (uint8_t)v;
		dst[1] = (uint8_t)(v >> 8);
	} else {
		uint32_t v = ZSTD_LIT_RAW | (3 << 2) | ((uint32_t)n << 4);
		dst[0] = (uint8_t)v;
		dst[1] = (uint8_t)(v >> 8);
		dst[2] = (uint8_t)(v >> 16);
	}
	__builtin_memcpy(dst + h, lits, n);
	return h + n;
}

/* RLE literals: the header and the one repeated byte. */
static size_t write_rle(uint8_t *dst, size_t cap, uint8_t byte, size_t n)
{
	size_t h = n < 32 ? 1 : n < 4096 ? 2 : 3;
	uint32_t v = n < 32 ? ZSTD_LIT_RLE | (uint32_t)(n << 3)
			    : ZSTD_LIT_RLE | ((h == 2 ? 1u : 3u) << 2) | ((uint32_t)n << 4);
	if (cap < h + 1)
		return 0;
	for (size_t i = 0; i < h; i++)
		dst[i] = (uint8_t)(v >> (8 * i));
	dst[h] = byte;
	return h + 1;
}

/* Code lengths of a Huffman tree over the symbols present (>= 2 of them),
 * built with the two-queue method on leaves sorted by count. */
static void huf_lengths(struct zenc_entropy *e, unsigned max_sym, uint8_t *len)
{
	uint32_t *cnt = e->hnode_count;
	uint16_t *parent = e->hnode_parent, *sym = e->hnode_sym;
	uint8_t depth[512];
	unsigned k = 0;

	for (unsigned s = 0; s <= max_sym; s++) {
		len[s] = 0;
		if (!e->count[s])
			continue;
		unsigned i = k++;
		while (i > 0 && cnt[i - 1] > e->count[s]) { /* insertion sort, ascending */
			cnt[i] = cnt[i - 1];
			sym[i] = sym[i - 1];
			i--;
		}
		cnt[i] = e->count[s];
		sym[i] = (uint16_t)s;
	}
	unsigned leaf = 0, node = k, next = k;
	for (; next < 2 * k - 1; next++) {
		unsigned pick[2];
		for (int j = 0; j < 2; j++) {
			if (leaf < k && (node >= next || cnt[leaf] <= cnt[node]))
				pick[j] = leaf++;
			else
				pick[j] = node++;
		}
		cnt[next] = cnt[pick[0]] + cnt[pick[1]];
		parent[pick[0]] = parent[pick[1]] = (uint16_t)next;
	}
	depth[2 * k - 2] = 0;
	for (int i = (int)(2 * k) - 3; i >= 0; i--) {
		unsigned d = depth[parent[i]] + 1u;
		depth[i] = (uint8_t)(d > 255 ? 255 : d);
	}
	for (unsigned i = 0; i < k; i++)
		len[sym[i]] = depth[i];
}

/* Limit lengths to HUF_LOG_MAX keeping the code complete (Kraft sum = 1);
 * e->hnode_sym[] still lists the symbols by ascending count. */
static unsigned huf_limit(struct zenc_entropy *e, unsigned k, uint8_t *len)
{
	const uint16_t *sym = e->hnode_sym;
	uint32_t full = 1u << HUF_LOG_MAX, kraft = 0;
	unsigned max_bits = 0;

	for (unsigned i = 0; i < k; i++) {
		if (len[sym[i]] > HUF_LOG_MAX)
			len[sym[i]] = HUF_LOG_MAX;
		kraft += full >> len[sym[i]];
	}
	while (kraft > full) { /* lengthen the rarest of the longest short codes */
		unsigned best = k;
		for (unsigned i = 0; i < k; i++) {
			unsigned l = len[sym[i]];
			if (l < HUF_LOG_MAX && (best == k || l > len[sym[best]]))
				best = i;
		}
		kraft -= full >> (len[sym[best]] + 1);
		len[sym[best]]++;
	}
	while (kraft < full) { /* shorten the most frequent code that still fits */
		uint32_t gap = full - kraft;
		unsigned best = k;
		for (unsigned i = k; i-- > 0;) {
			unsigned l = len[sym[i]];
			if (l > 1 && (full >> l) <= gap) {
				best = i;
				break;
			}
		}
		kraft += full >> len[sym[best]];
		len[sym[best]]--;
	}
	for (unsigned i = 0; i < k; i++)
		if (len[sym[i]] > max_bits)
			max_bits = len[sym[i]];
	return max_bits;
}

/* Canonical codes as the decoder assigns them: by weight, then symbol. */
static void huf_codes(struct zenc_huf_ctab *t, const uint8_t *len, unsigned max_sym)
{
	uint16_t per_rank[HUF_LOG_MAX + 2] = {0}, val[HUF_LOG_MAX + 2];
	uint16_t min = 0;

	for (unsigned s = 0; s <= max_sym; s++)
		per_rank[len[s]]++;
	for (unsigned n = t->max_bits; n > 0; n--) {
		val[n] = min;
		min = (uint16_t)((min + per_rank[n]) >> 1);
	}
	for (unsigned s = 0; s <= max_sym; s++) {
		t->nbits[s] = len[s];
		t->code[s] = len[s] ? val[len[s]]++ : 0;
	}
}

/* Weights of symbols 0..max_sym-1, FSE-compressed with two interleaved
 * states; returns the size or 0 when it does not pay. */
static size_t write_weights_fse(struct zenc_entropy *e, uint8_t *dst, size_t cap, size_t nw)
{
	unsigned max_w = 0;
	uint32_t top = 0;

	__builtin_memset(e->wcount, 0, sizeof(e->wcount));
	for (size_t i = 0; i < nw; i++) {
		e->wcount[e->weights[i]]++;
		if (e->weights[i] > max_w)
			max_w = e->weights[i];
	}
	for (unsigned w = 0; w <= max_w; w++)
		if (e->wcount[w] > top)
			top = e->wcount[w];
	if (top == nw || top == 1 || nw < 2)
		return 0;
	unsigned log = zenc_fse_table_log(ZSTD_HUF_WEIGHT_FSE_LOG_MAX, nw, max_w);
	if (zenc_fse_normalize(e->norm, log, e->wcount, nw, max_w))
		return 0;
	size_t h = zenc_fse_write_ncount(dst, cap, e->norm, max_w, log);
	if (!h)
		return 0;
	zenc_fse_build(&e->wt, e->spread, e->norm, max_w, log);

	struct zenc_bits b;
	uint32_t s1, s2;
	const uint8_t *w = e->weights;
	size_t i = nw;
	zenc_bits_init(&b, dst + h, cap - h);
	if (i & 1) {
		zenc_fse_init_state(&e->wt, &s1, w[--i]);
		zenc_fse_init_state(&e->wt, &s2, w[--i]);
		zenc_fse_encode(&b, &e->wt, &s1, w[--i]);
	} else {
		zenc_fse_init_state(&e->wt, &s2, w[--i]);
		zenc_fse_init_state(&e->wt, &s1, w[--i]);
	}
	while (i > 0) {
		zenc_fse_encode(&b, &e->wt, &s2, w[--i]);
		zenc_fse_encode(&b, &e->wt, &s1, w[--i]);
		zenc_bits_flush(&b);
	}
	zenc_fse_flush_state(&b, &e->wt, s2);
	zenc_fse_flush_state(&b, &e->wt, s1);
	size_t sz = zenc_bits_close(&b);
	return sz ? h + sz : 0;
}

/* The Huffman tree description: header byte then the weights. */
static size_t write_tree(struct zenc_entropy *e, uint8_t *dst, size_t cap, unsigned max_sym)
{
	struct zenc_huf_ctab *t = &e->huf;
	size_t nw = max_sym; /* the last symbol's weight is implied */

	if (cap < 2)
		return 0;
	for (unsigned s = 0; s < max_sym; s++)
		e->weights[s] = (uint8_t)(t->nbits[s] ? t->max_bits + 1 - t->nbits[s] : 0);
	size_t fse = write_weights_fse(e, dst + 1, cap - 1, nw);
	if (fse > 1 && fse < nw / 2 && fse < 128) {
		dst[0] = (uint8_t)fse;
		return fse + 1;
	}
	if (nw > 128 || cap < 1 + (nw + 1) / 2)
		return 0;
	dst[0] = (uint8_t)(127 + nw);
	for (size_t i = 0; i < nw; i += 2) {
		uint8_t lo = i + 1 < nw ? e->weights[i + 1] : 0;
		dst[1 + i / 2] = (uint8_t)((e->weights[i] << 4) | lo);
	}
	return 1 + (nw + 1) / 2;
}

/* One Huffman stream, symbols coded last to first; size or 0. */
static size_t huf_stream(const struct zenc_huf_ctab *t, uint8_t *dst, size_t cap,
			 const uint8_t *src, size_t n)
{
	struct zenc_bits b;
	size_t i = n;

	zenc_bits_init(&b, dst, cap);
	while (i & 3) {
		i--;
		zenc_bits_add(&b, t->code[src[i]], t->nbits[src[i]]);
	}
	zenc_bits_flush(&b);
	while (i > 0) {
		i -= 4;
		zenc_bits_add(&b, t->code[src[i + 3]], t->nbits[src[i + 3]]);
		zenc_bits_add(&b, t->code[src[i + 2]], t->nbits[src[i + 2]]);
		zenc_bits_add(&b, t->code[src[i + 1]], t->nbits[src[i + 1]]);
		zenc_bits_add(&b, t->code[src[i]], t->nbits[src[i]]);
		zenc_bits_flush(&b);
	}
	return zenc_bits_close(&b);
}

/* Four streams behind a 6-byte jump table; size or 0. */
static size_t huf_4streams(const struct zenc_huf_ctab *t, uint8_t *dst, size_t cap,
			   const uint8_t *src, size_t n)
{
	size_t seg = (n + 3) / 4, pos = 6;

	if (cap < 6)
		return 0;
	for (int i = 0; i < 4; i++) {
		size_t len = i < 3 ? seg : n - 3 * seg;
		size_t sz = huf_stream(t, dst + pos, cap - pos, src + i * seg, len);
		if (!sz || (i < 3 && sz > 0xFFFF))
			return 0;
		if (i < 3) {
			dst[2 * i] = (uint8_t)sz;
			dst[2 * i + 1] = (uint8_t)(sz >> 8);
		}
		pos += sz;
	}
	return pos;
}

/* Huffman-coded literals; total size, or 0 if raw would be as small. */
static size_t write_huf(struct zenc_entropy *e, uint8_t *dst, size_t cap, const uint8_t *lits,
			size_t n, unsigned max_sym)
{
	uint8_t len[256];
	unsigned k = 0;
	size_t lh = n < 1024 ? 3 : n < 16384 ? 4 : 5;
	int single = n < 256;

	for (unsigned s = 0; s <= max_sym; s++)
		k += e->count[s] != 0;
	huf_lengths(e, max_sym, len);
	e->huf.max_bits = huf_limit(e, k, len);
	huf_codes(&e->huf, len, max_sym);
	uint64_t bits = 0;
	for (unsigned s = 0; s <= max_sym; s++)
		bits += (uint64_t)e->count[s] * len[s];
	if (cap <= lh || bits / 8 + lh + 16 >= n) /* cannot beat raw: skip coding */
		return 0;
	size_t limit = cap - lh < n ? cap - lh : n; /* must beat raw */
	size_t th = write_tree(e, dst + lh, limit, max_sym);
	if (!th)
		return 0;
	size_t sz = single ? huf_stream(&e->huf, dst + lh + th, limit - th, lits, n)
			   : huf_4streams(&e->huf, dst + lh + th, limit - th, lits, n);
	if (!sz || th + sz + lh >= n)
		return 0;
	uint64_t csize = th + sz;
	unsigned sf = single ? 0 : lh == 3 ? 1 : lh == 4 ? 2 : 3;
	unsigned field = lh == 3 ? 10 : lh == 4 ? 14 : 18;
	uint64_t v = ZSTD_LIT_COMPRESSED | (sf << 2) | ((uint64_t)n << 4) | (csize << (4 + field));
	for (size_t i = 0; i < lh; i++)
		dst[i] = (uint8_t)(v >> (8 * i));
	return lh + th + sz;
}

/* The literals section: the smallest of raw, RLE and Huffman. */
size_t zenc_literals(struct zenc_entropy *e, uint8_t *dst, size_t cap, const uint8_t *lits,
		     size_t n)
{
	unsigned max_sym = 0;

	if (n == 0)
		return write_raw(dst, cap, lits, 0);
	__builtin_memset(e->count, 0, sizeof(e->count));
	for (size_t i = 0; i < n; i++)
		e->count[lits[i]]++;
	for (unsigned s = 0; s < 256; s++)
		if (e->count[s])
			max_sym = s;
	if (e->count[max_sym] == n)
		return write_rle(dst, cap, lits[0], n);
	if (n >= HUF_MIN_LITS) {
		size_t sz = write_huf(e, dst, cap, lits, n, max_sym);
		if (sz)
			return sz;
	}
	return write_raw(dst, cap, lits, n);
}
