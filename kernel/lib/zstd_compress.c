/*
 * zstd_compress.c - the Zstandard encoder's public API and frame layer
 * (RFC 8878 3.1): one frame per call with the content size, a window
 * descriptor (or Single_Segment when the input fits the window), blocks of
 * at most 128 KiB, each emitted compressed, RLE or raw, whichever is
 * smallest, and the XXH64 content checksum.
 */
#include "lib/xxhash.h"
#include "lib/zstd.h"
#include "lib/zstd_enc.h"

#define SRC_MAX ((size_t)1 << 31) /* positions are 32-bit */

/* Worst case: every block raw, plus headers and the checksum. */
size_t zstd_compress_bound(size_t src_len)
{
	return src_len + (src_len >> 8) + 64;
}

static int level_ok(int level)
{
	return level >= ZSTD_LEVEL_MIN && level <= ZSTD_LEVEL_MAX;
}

/* Level 0 or out of range: the default level's figure (zstd_compress refuses
 * out-of-range levels, so this never under-sizes). */
size_t zstd_compress_workspace_size(int level, size_t src_len)
{
	struct zenc_params p;
	if (!level_ok(level))
		level = ZSTD_LEVEL_DEFAULT;
	zenc_level_params(&p, level, src_len);
	return zenc_workspace_size(&p);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Frame header; its size, or 0 if cap is too small. */
static size_t write_frame_header(uint8_t *dst, size_t cap, size_t src_len, unsigned wlog)
{
	int single = src_len <= ((size_t)1 << wlog);
	unsigned fcs_flag, fcs_size;
	size_t pos = 0;

	if (src_len < 256 && single) {
		fcs_flag = 0;
		fcs_size = 1;
	} else if (src_len >= 256 && src_len < 65536 + 256) {
		fcs_flag = 1;
		fcs_size = 2;
	} else if ((uint64_t)src_len <= 0xFFFFFFFFull) {
		fcs_flag = 2;
		fcs_size = 4;
	} else {
		fcs_flag = 3;
		fcs_size = 8;
	}
	if (cap < 4 + 1 + 1 + fcs_size)
		return 0;
	put_le32(dst, ZSTD_MAGIC);
	pos = 4;
	dst[pos++] = (uint8_t)((fcs_flag << 6) | (single << 5) | (1 << 2));
	if (!single)
		dst[pos++] = (uint8_t)((wlog - ZSTD_WINDOWLOG_MIN) << 3);
	uint64_t v = fcs_flag == 1 ? src_len - 256 : src_len;
	for (unsigned i = 0; i < fcs_size; i++)
		dst[pos++] = (uint8_t)(v >> (8 * i));
	return pos;
}

/* Block header: Last_Block, Block_Type, Block_Size (RFC 8878 3.1.1.2). */
static void put_block_header(uint8_t *p, int last, unsigned type, size_t size)
{
	uint32_t v = (uint32_t)last | (type << 1) | ((uint32_t)size << 3);
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
}

/* Literals and sequences of one block; their size, or 0 if not < limit. */
static size_t compress_block_body(struct zenc_ctx *c, uint8_t *dst, size_t limit, size_t start,
				  size_t end)
{
	struct zenc_seqstore *ss = &c->ss;

	zenc_store_reset(ss);
	switch (c->p.strategy) {
	case ZENC_FAST:
		zenc_match_fast(c, start, end);
		break;
	case ZENC_DFAST:
		zenc_match_dfast(c, start, end);
		break;
	case ZENC_OPT:
		zenc_match_opt(c, start, end);
		break;
	default:
		zenc_match_chain(c, start, end);
		break;
	}
	size_t lsz = zenc_literals(c->ent, dst, limit, ss->lits, ss->nb_lits);
	if (!lsz || lsz >= limit)
		return 0;
	size_t ssz = zenc_sequences(c->ent, dst + lsz, limit - lsz, ss->seqs, ss->nb_seq);
	if (!ssz || lsz + ssz >= limit)
		return 0;
	return lsz + ssz;
}

/* One block with its header: compressed, RLE or raw; size or -err. */
static long compress_block(struct zenc_ctx *c, uint8_t *dst, size_t cap, size_t start,
			   size_t end, int last)
{
	const uint8_t *src = c->src + start;
	size_t len = end - start, i = 1;

	if (cap < 3)
		return -ZSTD_E_DST_TOO_SMALL;
	while (i < len && src[i] == src[0])
		i++;
	if (len > 1 && i == len) {
		if (cap < 4)
			return -ZSTD_E_DST_TOO_SMALL;
		put_block_header(dst, last, ZSTD_BLOCK_RLE, len);
		dst[3] = src[0];
		return 4;
	}
	uint32_t rep[3] = {c->ss.rep[0], c->ss.rep[1], c->ss.rep[2]};
	size_t limit = cap - 3 < len ? cap - 3 : len;
	size_t csz = len >= 16 ? compress_block_body(c, dst + 3, limit, start, end) : 0;
	if (csz) {
		put_block_header(dst, last, ZSTD_BLOCK_COMPRESSED, csz);
		return (long)(3 + csz);
	}
	/* raw: the decoder's repeat offsets did not move */
	c->ss.rep[0] = rep[0];
	c->ss.rep[1] = rep[1];
	c->ss.rep[2] = rep[2];
	if (cap < 3 + len)
		return -ZSTD_E_DST_TOO_SMALL;
	put_block_header(dst, last, ZSTD_BLOCK_RAW, len);
	__builtin_memcpy(dst + 3, src, len);
	return (long)(3 + len);
}

/* Compress src into one frame: header, blocks, checksum. */
long zstd_compress(void *dst, size_t dst_cap, const void *src, size_t src_len, int level,
		   void *workspace, size_t ws_size)
{
	uint8_t *out = dst;
	struct zenc_params p;

	if (level == 0)
		level = ZSTD_LEVEL_DEFAULT;
	if (!level_ok(level))
		return -ZSTD_E_LEVEL;
	if (src_len >= SRC_MAX)
		return -ZSTD_E_SRC_TOO_LARGE;
	zenc_level_params(&p, level, src_len);
	struct zenc_ctx *c = zenc_init(&p, src, src_len, workspace, ws_size);
	if (!c)
		return -ZSTD_E_WORKSPACE;
	size_t pos = write_frame_header(out, dst_cap, src_len, p.window_log);
	if (!pos)
		return -ZSTD_E_DST_TOO_SMALL;
	size_t start = 0;
	do {
		size_t end = src_len - start > ZSTD_BLOCK_MAX ? start + ZSTD_BLOCK_MAX : src_len;
		long r = compress_block(c, out + pos, dst_cap - pos, start, end, end == src_len);
		if (r < 0)
			return r;
		pos += (size_t)r;
		start = end;
	} while (start < src_len);
	if (dst_cap - pos < ZSTD_CHECKSUM_SIZE)
		return -ZSTD_E_DST_TOO_SMALL;
	put_le32(out + pos, (uint32_t)xxh64(src, src_len, 0));
	return (long)(pos + ZSTD_CHECKSUM_SIZE);
}
