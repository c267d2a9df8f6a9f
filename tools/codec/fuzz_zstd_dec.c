/*
 * fuzz_zstd_dec.c - libFuzzer target for Keel's Zstandard decoder: any
 * input through the one-shot decoder (exact-size output buffer, so ASan
 * sees any overrun) and through the streaming decoder in pieces whose
 * sizes come from the input; when both succeed they must agree.  libzstd
 * is the oracle: whatever it decodes, ours must decode to the same bytes
 * (unless ours refuses by design: window above 8 MiB, dictionary, a
 * legacy format's magic number, or bit streams that do not end exactly).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "lib/zstd.h"

#define FUZZ_WINDOW (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void *ws, *dws;
    static size_t ws_size, dws_size;
    if (!ws) {
        ws_size = zstd_decompress_workspace_size();
        ws = malloc(ws_size);
        dws_size = zstd_dstream_workspace_size(FUZZ_WINDOW);
        dws = malloc(dws_size);
    }
    long csize = zstd_frame_content_size(data, size);
    size_t cap = csize >= 0 && csize <= (4 << 20) ? (size_t)csize + (size & 7) : (64u << 10);
    uint8_t *one = malloc(cap ? cap : 1);
    long r1 = zstd_decompress(one, cap, data, size, ws, ws_size);

    uint8_t *two = malloc(cap ? cap : 1);
    struct zstd_dstream *ds = zstd_dstream_init(dws, dws_size);
    size_t ip = 0, op = 0, step = 1 + (size ? data[size - 1] % 64 : 0);
    long r2 = 1;
    for (int guard = 0; guard < 1000000 && ds; guard++) {
        size_t ie = ip + step < size ? ip + step : size;
        size_t oe = op + 3 * step < cap ? op + 3 * step : cap;
        size_t ip0 = ip, op0 = op;
        r2 = zstd_dstream_decompress(ds, two, oe, &op, data, ie, &ip);
        if (r2 < 0 || (ip == size && r2 == 0))
            break;
        if (ip == size && ip == ip0 && op == op0 && (op < oe || oe == cap))
            break;
    }
    /* The streaming decoder accepts windows up to FUZZ_WINDOW only. */
    if (r1 >= 0 && r2 == 0 && ((size_t)r1 != op || memcmp(one, two, op) != 0))
        __builtin_trap();
    static ZSTD_DCtx *dctx;
    if (!dctx)
        dctx = ZSTD_createDCtx();
    size_t r3 = ZSTD_decompressDCtx(dctx, two, cap, data, size);
    /* libzstd does not insist that Huffman streams (fast loop) and the
     * sequence stream (it tolerates an over-read) end exactly on their
     * first bit; ours refuses such corrupt frames. */
    int refused_by_design = r1 == -ZSTD_E_WINDOW_TOO_LARGE || r1 == -ZSTD_E_DICTIONARY ||
                            r1 == -ZSTD_E_BAD_MAGIC || r1 == -ZSTD_E_HUFFMAN ||
                            r1 == -ZSTD_E_SEQUENCES;
    if (!ZSTD_isError(r3) && !refused_by_design &&
        (r1 < 0 || (size_t)r1 != r3 || memcmp(one, two, r3) != 0))
        __builtin_trap();
    free(one);
    free(two);
    return 0;
}
