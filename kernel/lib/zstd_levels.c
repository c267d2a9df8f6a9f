/*
 * zstd_levels.c - the Zstandard encoder's compression levels 1..22 and the
 * layout of its workspace (the encoder never allocates: everything below
 * lives in the caller's buffer).
 *
 * Level table (before fitting to the input; W = window log, H = hash log,
 * C = chain log (double fast: the short-match table), S = log2 of chain candidates tried, M = min match (3: the
 * optimal parser also looks up 3-byte matches), T = target length: a match
 * this long ends the search). Workspace in MiB from
 * zstd_compress_workspace_size() for a 4 KiB / 64 KiB / 16 MiB input:
 *
 *   lvl  finder         W  H  C  S  M    T      4K    64K   16M
 *    1   fast hash     19 14  -  -  6    -    0.07   0.45   0.82
 *    2   fast hash     20 16  -  -  5    -    0.07   0.64   1.01
 *    3   double fast   21 17 16  -  5    -    0.08   1.14   1.51
 *    4   greedy chain  21 18 18  2  5   16    0.08   1.14   2.76
 *    5   lazy chain    21 18 19  2  5   16    0.08   1.14   3.76
 *    6   lazy chain    21 19 19  3  5   32    0.08   1.14   4.76
 *    7   lazy2 chain   21 19 20  3  5   32    0.08   1.14   6.76
 *    8   lazy2 chain   22 20 21  4  5   48    0.08   1.14  12.76
 *    9   lazy2 chain   22 20 21  5  5   64    0.08   1.14  12.76
 *   10   lazy2 chain   22 21 22  5  5   64    0.08   1.14  24.76
 *   11   lazy2 chain   22 21 22  6  5   96    0.08   1.14  24.76
 *   12   lazy2 chain   22 22 22  6  5  128    0.08   1.14  32.76
 *   13   lazy2 chain   22 22 22  7  4  128    0.08   1.14  32.76
 *   14   lazy2 chain   22 22 22  8  4  192    0.08   1.14  32.76
 *   15   lazy2 chain   22 22 22  9  4  256    0.08   1.14  32.76
 *   16   optimal       22 22 22  5  4   48    0.20   1.26  32.88
 *   17   optimal       23 22 23  5  4   64    0.20   1.26  48.88
 *   18   optimal       23 22 23  6  3   64    0.22   1.51  49.13
 *   19   optimal (2p)  23 22 23  7  3  256    0.22   1.51  49.13
 *   20   optimal (2p)  23 22 23  8  3  256    0.22   1.51  49.13
 *   21   optimal (2p)  23 22 23  9  3  512    0.22   1.51  49.13
 *   22   optimal (2p)  23 22 23 10  3  999    0.22   1.51  49.13
 *   (2p: the first block is parsed twice, the first time to learn prices)
 *
 * Workspace = context + entropy tables (~40 KiB) + literal and sequence
 * buffers (~6 bytes per byte of the largest block, <= 128 KiB) + 4 << H
 * (hash) + 4 << C (chain) + 256 KiB (3-byte hash, M = 3) + ~120 KiB (the
 * optimal parser's nodes). The window is capped at 2^23 = ZSTD_WINDOW_MAX
 * so our own decoder accepts every frame; W, H and C shrink to fit small
 * inputs. The largest figure is under 50 MiB (levels 17-22, inputs > 8 MiB).
 */
#include "lib/zstd_enc.h"

static const struct zenc_params levels[ZENC_LEVELS + 1] = {
	/* strategy      W   H   C   S  M    T  2pass block (set per input) */
	{ZENC_FAST, 19, 14, 0, 0, 6, 0, 0, 0},
	{ZENC_FAST, 19, 14, 0, 0, 6, 0, 0, 0},
	{ZENC_FAST, 20, 16, 0, 0, 5, 0, 0, 0},
	{ZENC_DFAST, 21, 17, 16, 0, 5, 0, 0, 0},
	{ZENC_GREEDY, 21, 18, 18, 2, 5, 16, 0, 0},
	{ZENC_LAZY, 21, 18, 19, 2, 5, 16, 0, 0},
	{ZENC_LAZY, 21, 19, 19, 3, 5, 32, 0, 0},
	{ZENC_LAZY2, 21, 19, 20, 3, 5, 32, 0, 0},
	{ZENC_LAZY2, 22, 20, 21, 4, 5, 48, 0, 0},
	{ZENC_LAZY2, 22, 20, 21, 5, 5, 64, 0, 0},
	{ZENC_LAZY2, 22, 21, 22, 5, 5, 64, 0, 0},
	{ZENC_LAZY2, 22, 21, 22, 6, 5, 96, 0, 0},
	{ZENC_LAZY2, 22, 22, 22, 6, 5, 128, 0, 0},
	{ZENC_LAZY2, 22, 22, 22, 7, 4, 128, 0, 0},
	{ZENC_LAZY2, 22, 22, 22, 8, 4, 192, 0, 0},
	{ZENC_LAZY2, 22, 22, 22, 9, 4, 256, 0, 0},
	{ZENC_OPT, 22, 22, 22, 5, 4, 48, 0, 0},
	{ZENC_OPT, 23, 22, 23, 5, 4, 64, 0, 0},
	{ZENC_OPT, 23, 22, 23, 6, 3, 64, 0, 0},
	{ZENC_OPT, 23, 22, 23, 7, 3, 256, 1, 0},
	{ZENC_OPT, 23, 22, 23, 8, 3, 256, 1, 0},
	{ZENC_OPT, 23, 22, 23, 9, 3, 512, 1, 0},
	{ZENC_OPT, 23, 22, 23, 10, 3, 999, 1, 0},
};

/* Parameters of a level, shrunk so the tables are no bigger than the input needs. */
void zenc_level_params(struct zenc_params *p, int level, size_t src_len)
{
	unsigned src_log = ZSTD_WINDOWLOG_MIN;

	*p = levels[level];
	while (src_log < ZENC_WINDOW_LOG_MAX && ((size_t)1 << src_log) < src_len)
		src_log++;
	if (p->window_log > ZENC_WINDOW_LOG_MAX)
		p->window_log = ZENC_WINDOW_LOG_MAX;
	if (p->window_log > src_log)
		p->window_log = (uint8_t)src_log;
	if (p->hash_log > p->window_log + 1)
		p->hash_log = (uint8_t)(p->window_log + 1);
	if (p->chain_log > p->window_log)
		p->chain_log = p->window_log;
	p->block_size = src_len < ZSTD_BLOCK_MAX ? (uint32_t)src_len : ZSTD_BLOCK_MAX;
}

static size_t align64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/* Byte offsets of each region of the workspace. */
struct layout {
	size_t ent, codes, seqs, lits, hash, chain, hash3, opt, total;
};

/* Most sequences a block can have: each but the last covers >= 3 bytes. */
static size_t max_seq(const struct zenc_params *p)
{
	return p->block_size / 3 + 1;
}

/* Size of the 3-byte match table: only the optimal parser with M = 3 has one. */
static unsigned hash3_log(const struct zenc_params *p)
{
	if (p->strategy != ZENC_OPT || p->min_match > 3)
		return 0;
	return p->window_log < ZENC_HASH3_LOG ? p->window_log : ZENC_HASH3_LOG;
}

/* Regions in workspace order, each 64-byte aligned. */
static void layout(const struct zenc_params *p, struct layout *l)
{
	l->ent = align64(sizeof(struct zenc_ctx));
	l->codes = l->ent + align64(sizeof(struct zenc_entropy));
	l->seqs = l->codes + align64(3 * max_seq(p));
	l->lits = l->seqs + align64(max_seq(p) * sizeof(struct zenc_seq));
	l->hash = l->lits + align64(p->block_size + 64);
	l->chain = l->hash + align64((size_t)4 << p->hash_log);
	l->hash3 = l->chain + (p->chain_log ? align64((size_t)4 << p->chain_log) : 0);
	l->opt = l->hash3 + (hash3_log(p) ? align64((size_t)4 << hash3_log(p)) : 0);
	l->total = l->opt + (p->strategy == ZENC_OPT ? align64(zenc_opt_size()) : 0);
}

/* Bytes zenc_init needs for these parameters. */
size_t zenc_workspace_size(const struct zenc_params *p)
{
	struct layout l;
	layout(p, &l);
	return l.total + 64; /* room to align the start */
}

/* Carve the workspace and reset the tables; NULL if it is too small. */
struct zenc_ctx *zenc_init(const struct zenc_params *p, const void *src, size_t src_len,
			   void *ws, size_t ws_size)
{
	struct layout l;
	uintptr_t base = ((uintptr_t)ws + 63) & ~(uintptr_t)63;

	layout(p, &l);
	if (!ws || ws_size < l.total + (base - (uintptr_t)ws))
		return NULL;
	uint8_t *b = (uint8_t *)base;
	struct zenc_ctx *c = (struct zenc_ctx *)b;
	__builtin_memset(c, 0, sizeof(*c));
	c->p = *p;
	c->src = src;
	c->src_len = src_len;
	c->window = (uint32_t)1 << p->window_log;
	c->ent = (struct zenc_entropy *)(b + l.ent);
	c->ent->llc = b + l.codes;
	c->ent->mlc = c->ent->llc + max_seq(p);
	c->ent->ofc = c->ent->mlc + max_seq(p);
	c->ss.seqs = (struct zenc_seq *)(b + l.seqs);
	c->ss.lits = b + l.lits;
	c->ss.rep[0] = 1;
	c->ss.rep[1] = 4;
	c->ss.rep[2] = 8;
	c->hash = (uint32_t *)(b + l.hash);
	c->hash_mask = ((uint32_t)1 << p->hash_log) - 1;
	__builtin_memset(c->hash, 0, (size_t)4 << p->hash_log);
	if (p->chain_log) {
		c->chain = (uint32_t *)(b + l.chain);
		c->chain_mask = ((uint32_t)1 << p->chain_log) - 1;
		__builtin_memset(c->chain, 0, (size_t)4 << p->chain_log);
	}
	c->hash3_log = (uint8_t)hash3_log(p);
	if (c->hash3_log) {
		c->hash3 = (uint32_t *)(b + l.hash3);
		__builtin_memset(c->hash3, 0, (size_t)4 << c->hash3_log);
	}
	if (p->strategy == ZENC_OPT)
		c->opt = (struct zenc_opt *)(b + l.opt);
	return c;
}
