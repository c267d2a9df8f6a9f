/*
 * libFuzzer target: arbitrary bytes into the LZ4 decoders -- the one-shot
 * frame decoder, the streaming frame decoder (chunk sizes taken from the
 * input) and the raw block decoder with a history prefix. Any result is
 * fine except a crash or a sanitizer report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lz4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *sbuf;
    struct lz4_dctx d;
    size_t cap, ichunk;

    if (size < 3)
        return 0;
    cap = ((size_t)data[0] << 8 | data[1]) * 4; /* up to 256 KiB */
    ichunk = 1 + data[2] * 17u;
    data += 3, size -= 3;

    /* exact-size copies so ASan sees any overrun */
    uint8_t *src = malloc(size ? size : 1), *dst = malloc(cap + 16);
    memcpy(src, data, size);
    (void)lz4_frame_decompress(dst, cap, src, size);
    (void)lz4_block_decompress(dst + 16, cap, src, size, 16);

    if (!sbuf)
        sbuf = malloc(lz4_dctx_buffer_size());
    lz4_dctx_init(&d, sbuf, lz4_dctx_buffer_size());
    for (size_t in = 0;;) {
        size_t sl = size - in < ichunk ? size - in : ichunk, dl = cap;
        if (lz4_dctx_decompress(&d, dst, &dl, src + in, &sl) < 0)
            break;
        in += sl;
        if (sl == 0 && dl == 0)
            break;
    }
    free(src), free(dst);
    return 0;
}
