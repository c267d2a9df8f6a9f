/*
 * Zstandard rows of the codec bench (tools/codec/bench.c): ours (kernel/lib,
 * built with the kernel's flags) beside libzstd at levels 1, 3 and 19.
 * Each unit is one standard frame; ours rows compress with our encoder
 * and decompress with our decoder, libzstd rows use libzstd both ways.
 * Shared by helpers ZENC (encoder rows) and ZDEC (decoder side: the
 * "ours-dec" rows decode libzstd's frames with our decoder).
 */
#include <zstd.h>

#include "lib/zstd.h"
#include "bench.h"

static size_t ours_bound(size_t n)
{
	return zstd_compress_bound(n);
}

static size_t ours_cws(size_t unit, int level)
{
	return zstd_compress_workspace_size(level, unit);
}

/* The workspace was sized for the whole unit; n <= unit needs no more. */
static long ours_c(void *dst, size_t cap, const void *src, size_t n, void *ws, int level)
{
	return zstd_compress(dst, cap, src, n, level, ws, zstd_compress_workspace_size(level, n));
}

static size_t ours_dws(size_t unit)
{
	(void)unit;
	return zstd_decompress_workspace_size();
}

static long ours_d(void *dst, size_t cap, const void *src, size_t n, void *ws)
{
	return zstd_decompress(dst, cap, src, n, ws, zstd_decompress_workspace_size());
}

static size_t lib_bound(size_t n)
{
	return ZSTD_compressBound(n);
}

static long lib_c(void *dst, size_t cap, const void *src, size_t n, void *ws, int level)
{
	(void)ws;
	size_t r = ZSTD_compress(dst, cap, src, n, level);
	return ZSTD_isError(r) ? -1 : (long)r;
}

/* One reused context: ZSTD_decompress() would allocate one per call, which
 * dominates at 4 KiB units and flatters our (allocation-free) decoder. */
static long lib_d(void *dst, size_t cap, const void *src, size_t n, void *ws)
{
	static ZSTD_DCtx *dctx;
	(void)ws;
	if (!dctx)
		dctx = ZSTD_createDCtx();
	size_t r = ZSTD_decompressDCtx(dctx, dst, cap, src, n);
	return ZSTD_isError(r) ? -1 : (long)r;
}

const struct bench_codec bench_zstd_rows[] = {
	{ "ours zstd -1", ours_bound, ours_cws, ours_c, ours_d, ours_dws, 1 },
	{ "libzstd -1", lib_bound, NULL, lib_c, lib_d, NULL, 1 },
	{ "ours zstd -3", ours_bound, ours_cws, ours_c, ours_d, ours_dws, 3 },
	{ "libzstd -3", lib_bound, NULL, lib_c, lib_d, NULL, 3 },
	{ "ours zstd -19", ours_bound, ours_cws, ours_c, ours_d, ours_dws, 19 },
	{ "libzstd -19", lib_bound, NULL, lib_c, lib_d, NULL, 19 },
	/* Decoder rows (helper ZDEC): libzstd's frames, decoded by ours, so the
	 * decompress column compares the decoders on identical input. */
	{ "ours-dec libzstd -1", lib_bound, NULL, lib_c, ours_d, ours_dws, 1 },
	{ "ours-dec libzstd -3", lib_bound, NULL, lib_c, ours_d, ours_dws, 3 },
	{ "ours-dec libzstd -19", lib_bound, NULL, lib_c, ours_d, ours_dws, 19 },
};
const size_t bench_zstd_nrows = sizeof(bench_zstd_rows) / sizeof(bench_zstd_rows[0]);
