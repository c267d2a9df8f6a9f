/*
 * zstd_fse_encode.c - the FSE stage of the Zstandard encoder (RFC 8878
 * section 4.1): choose a table log, normalise symbol counts to a power of
 * two, write the table description (the "NCount" header), build the
 * encoding table, and estimate the bit cost of a distribution.
 * The bit writer and the per-symbol encoder are inline in zstd_enc.h.
 */
#include "lib/zstd_enc.h"
#include "lib/zstd_fse.h"

#define FSE_MIN_LOG 5

/* Table log: big enough for the alphabet, small enough for the data. */
unsigned zenc_fse_table_log(unsigned max_log, size_t total, unsigned max_sym)
{
	unsigned log = max_log;
	unsigned max_bits_src = zstd_highbit32((uint32_t)(total - 1)) - 2;
	unsigned min_bits_src = zstd_highbit32((uint32_t)total) + 1;
	unsigned min_bits_sym = zstd_highbit32(max_sym) + 2;
	unsigned min_bits = min_bits_src < min_bits_sym ? min_bits_src : min_bits_sym;

	if (total > 1 && max_bits_src < log)
		log = max_bits_src;
	if (min_bits > log)
		log = min_bits;
	if (log < FSE_MIN_LOG)
		log = FSE_MIN_LOG;
	if (log > max_log)
		log = max_log;
	return log;
}

/* Scale counts so they sum to 2^log; rare symbols get -1 ("less than 1"). */
int zenc_fse_normalize(int16_t *norm, unsigned log, const uint32_t *count, size_t total,
		       unsigned max_sym)
{
	static const uint32_t rtb[8] = {0, 473195, 504333, 520860, 550000, 700000, 750000, 830000};
	unsigned scale = 62 - log;
	uint64_t step = ((uint64_t)1 << 62) / total;
	uint64_t vstep = (uint64_t)1 << (scale - 20);
	int left = 1 << log;
	uint32_t low = (uint32_t)(total >> log);
	unsigned largest = 0;
	int16_t largest_p = 0;

	for (unsigned s = 0; s <= max_sym; s++) {
		if (count[s] == 0) {
			norm[s] = 0;
			continue;
		}
		if (count[s] <= low) {
			norm[s] = -1;
			left--;
			continue;
		}
		uint64_t scaled = (uint64_t)count[s] * step;
		int16_t p = (int16_t)(scaled >> scale);
		if (p < 8) {
			uint64_t rest = vstep * rtb[p];
			p += (scaled - ((uint64_t)p << scale)) > rest;
		}
		if (p > largest_p) {
			largest_p = p;
			largest = s;
		}
		norm[s] = p;
		left -= p;
	}
	if (-left < (norm[largest] >> 1)) {
		norm[largest] = (int16_t)(norm[largest] + left);
		return 0;
	}
	/* Rare: the largest cannot absorb the error; move slots one by one. */
	while (left < 0) {
		unsigned best = 0;
		for (unsigned s = 0; s <= max_sym; s++)
			if (norm[s] > norm[best])
				best = s;
		if (norm[best] <= 1)
			return -1;
		norm[best]--;
		left++;
	}
	while (left > 0) {
		norm[largest]++;
		left--;
	}
	return 0;
}

/* Move whole bytes of the header's bit buffer out; -1 if out of room. */
static int put_bytes(uint8_t **out, uint8_t *end, uint64_t *bits, unsigned *n)
{
	while (*n >= 8) {
		if (*out >= end)
			return -1;
		*(*out)++ = (uint8_t)*bits;
		*bits >>= 8;
		*n -= 8;
	}
	return 0;
}

/* Write the FSE table description; its size or 0 if cap is too small. */
size_t zenc_fse_write_ncount(uint8_t *dst, size_t cap, const int16_t *norm, unsigned max_sym,
			     unsigned log)
{
	uint8_t *out = dst, *end = dst + cap;
	uint64_t bits = log - FSE_MIN_LOG;
	unsigned nbits_pending = 4;
	int remaining = (1 << log) + 1;
	int threshold = 1 << log;
	unsigned nb = log + 1;
	unsigned sym = 0;
	int prev0 = 0;

	while (sym <= max_sym && remaining > 1) {
		if (prev0) {
			unsigned start = sym;
			while (sym <= max_sym && !norm[sym])
				sym++;
			if (sym > max_sym)
				return 0;
			while (sym >= start + 24) {
				start += 24;
				bits |= (uint64_t)0xFFFF << nbits_pending;
				nbits_pending += 16;
				if (put_bytes(&out, end, &bits, &nbits_pending))
					return 0;
			}
			while (sym >= start + 3) {
				start += 3;
				bits |= (uint64_t)3 << nbits_pending;
				nbits_pending += 2;
			}
			bits |= (uint64_t)(sym - start) << nbits_pending;
			nbits_pending += 2;
		}
		int c = norm[sym++];
		int max = (2 * threshold - 1) - remaining;
		remaining -= c < 0 ? -c : c;
		c++;
		if (c >= threshold)
			c += max;
		bits |= (uint64_t)c << nbits_pending;
		nbits_pending += nb;
		nbits_pending -= (c < max);
		prev0 = (c == 1);
		if (remaining < 1)
			return 0;
		while (remaining < threshold) {
			nb--;
			threshold >>= 1;
		}
		if (put_bytes(&out, end, &bits, &nbits_pending))
			return 0;
	}
	if (remaining != 1)
		return 0;
	if (nbits_pending) {
		if (out >= end)
			return 0;
		*out++ = (uint8_t)bits;
	}
	return (size_t)(out - dst);
}

/* Build the encoding table from the same symbol spread the decoder uses. */
void zenc_fse_build(struct zenc_fse_ctab *t, uint8_t *spread, const int16_t *norm,
		    unsigned max_sym, unsigned log)
{
	unsigned size = 1u << log;
	uint16_t cumul[ZSTD_ML_MAX_CODE + 2];
	int total = 0;

	zstd_fse_spread(norm, max_sym, log, spread);
	cumul[0] = 0;
	for (unsigned s = 1; s <= max_sym + 1; s++)
		cumul[s] = (uint16_t)(cumul[s - 1] + (norm[s - 1] == -1 ? 1 : norm[s - 1]));
	for (unsigned u = 0; u < size; u++)
		t->state[cumul[spread[u]]++] = (uint16_t)(size + u);
	t->log = log;
	for (unsigned s = 0; s <= max_sym; s++) {
		int n = norm[s];
		if (n == 0) {
			t->sym[s].nbits = ((log + 1) << 16) - size;
			t->sym[s].find = 0;
		} else if (n == -1 || n == 1) {
			t->sym[s].nbits = (log << 16) - size;
			t->sym[s].find = total - 1;
			total++;
		} else {
			unsigned max_out = log - zstd_highbit32((uint32_t)n - 1);
			uint32_t min_plus = (uint32_t)n << max_out;
			t->sym[s].nbits = (max_out << 16) - min_plus;
			t->sym[s].find = total - n;
			total += n;
		}
	}
}

/* First state of a stream: the one whose encoding of sym costs fewest bits. */
void zenc_fse_init_state(const struct zenc_fse_ctab *t, uint32_t *state, unsigned sym)
{
	uint32_t nb = (t->sym[sym].nbits + (1 << 15)) >> 16;
	uint32_t v = (nb << 16) - t->sym[sym].nbits;
	*state = t->state[(int32_t)(v >> nb) + t->sym[sym].find];
}

/* Bits (in 1/256 units) that coding these counts with norm would take;
 * (size_t)-1 if a counted symbol has no slot in the table. */
size_t zenc_fse_bits_cost(const int16_t *norm, unsigned log, const uint32_t *count,
			  unsigned max_sym)
{
	size_t cost = 0;
	for (unsigned s = 0; s <= max_sym; s++) {
		if (!count[s])
			continue;
		if (!norm[s])
			return (size_t)-1;
		uint32_t n = norm[s] < 0 ? 1 : (uint32_t)norm[s];
		cost += (size_t)count[s] * ((log << 8) - zenc_log2_fp8(n));
	}
	return cost;
}
