/*
 * libFuzzer target: compress the input with parameters taken from its first
 * bytes (level -8..12, block size id, linked, checksums, content size) as a
 * frame and as a raw block, decompress with the one-shot, streaming and
 * block decoders, and require the original bytes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lz4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void *ws;
    static uint8_t *sbuf;
    struct lz4_frame_params p;
    struct lz4_dctx d;

    if (size < 2)
        return 0;
    p.level = (int)(data[0] % 21) - 8;
    p.block_size_id = 4 + (data[1] & 3);
    p.linked = data[1] & 4;
    p.content_checksum = data[1] & 8;
    p.block_checksum = data[1] & 16;
    p.content_size = data[1] & 32;
    data += 2, size -= 2;
    if (!ws)
        ws = malloc(lz4_compress_workspace_size(LZ4_LEVEL_MAX));
    if (!sbuf)
        sbuf = malloc(lz4_dctx_buffer_size());

    uint8_t *src = malloc(size + 1), *out = malloc(size + 1);
    size_t cap = lz4_frame_bound(size, &p);
    uint8_t *c = malloc(cap);
    memcpy(src, data, size);
    long r = lz4_frame_compress(c, cap, src, size, &p, ws);
    if (r < 0)
        abort();
    if (lz4_frame_decompress(out, size, c, (size_t)r) != (long)size || memcmp(out, src, size))
        abort();
    lz4_dctx_init(&d, sbuf, lz4_dctx_buffer_size());
    size_t sl = (size_t)r, dl = size;
    if (lz4_dctx_decompress(&d, out, &dl, c, &sl) != 0 || dl != size || sl != (size_t)r ||
        memcmp(out, src, size))
        abort();
    free(c);

    cap = lz4_block_bound(size);
    c = malloc(cap);
    r = lz4_block_compress(c, cap, src, size, p.level, ws);
    if (r < 0 || lz4_block_decompress(out, size, c, (size_t)r, 0) != (long)size ||
        memcmp(out, src, size))
        abort();
    free(c), free(src), free(out);
    return 0;
}
