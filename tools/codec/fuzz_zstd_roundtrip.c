/*
 * libFuzzer target: Keel's Zstandard encoder round trip. The first input
 * byte picks the level (1..22); the rest is compressed into one frame,
 * decompressed by our decoder and by libzstd, and must come back intact.
 * The output buffer is sometimes just too small, which must give an error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "lib/zstd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int level = 1 + data[0] % ZSTD_LEVEL_MAX;
	int tight = data[0] >= 0xF0;
	const uint8_t *src = data + 1;
	size_t n = size - 1;
	size_t cap = zstd_compress_bound(n), ws_size = zstd_compress_workspace_size(level, n);
	uint8_t *dst = malloc(cap), *ws = malloc(ws_size), *out = malloc(n + 1);

	long r = zstd_compress(dst, cap, src, n, level, ws, ws_size);
	if (r < 0 || (size_t)r > cap)
		abort();
	if (tight && r > 0) { /* one byte short: an error, never an overflow */
		uint8_t *small = malloc((size_t)r - 1 ? (size_t)r - 1 : 1);
		if (zstd_compress(small, (size_t)r - 1, src, n, level, ws, ws_size) >= 0)
			abort();
		free(small);
	}
	size_t dws = zstd_decompress_workspace_size();
	uint8_t *dw = malloc(dws);
	long d = zstd_decompress(out, n + 1, dst, (size_t)r, dw, dws);
	if (d != (long)n || memcmp(out, src, n))
		abort();
	size_t l = ZSTD_decompress(out, n + 1, dst, (size_t)r);
	if (ZSTD_isError(l) || l != n || memcmp(out, src, n))
		abort();
	free(dst), free(ws), free(out), free(dw);
	return 0;
}
