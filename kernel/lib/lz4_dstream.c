/*
 * Incremental LZ4 frame decoder for streams (the kcodec tool): a state
 * machine fed arbitrary input chunks. It gathers each header and block in
 * the caller's buffer, laid out as
 *   [ 64 KiB history | decoded block (block max) | compressed block + 4 ]
 * decodes the block after the history (linked blocks refer back into it),
 * then hands the decoded bytes out as the caller's output space allows.
 */
#include "lib/lz4_internal.h"

size_t lz4_dctx_buffer_size(void)
{
    return LZ4_WINDOW + 2 * lz4_block_size_of_id(7) + 4;
}

void lz4_dctx_init(struct lz4_dctx *d, void *buf, size_t buf_len)
{
    __builtin_memset(d, 0, sizeof(*d));
    d->buf = buf;
    d->buf_len = buf_len;
    d->stage = LZ4D_MAGIC;
    d->need = 4;
}

/* Move to `stage`, which first gathers `need` bytes. */
static void expect(struct lz4_dctx *d, enum lz4_dstage stage, size_t need)
{
    d->stage = stage;
    d->have = 0;
    d->need = need;
}

/* Copy input into dest until `need` bytes are there; true when complete. */
static bool gather(struct lz4_dctx *d, uint8_t *dest, const uint8_t **ip, const uint8_t *iend)
{
    size_t take = d->need - d->have;

    if (take > (size_t)(iend - *ip))
        take = (size_t)(iend - *ip);
    __builtin_memcpy(dest + d->have, *ip, take);
    d->have += take;
    *ip += take;
    return d->have == d->need;
}

static struct lz4_frame_info info_of(const struct lz4_dctx *d)
{
    struct lz4_frame_info fi = {
        .block_max = d->block_max,
        .linked = d->linked,
        .block_sum = d->block_sum,
        .content_sum = d->content_sum,
        .has_size = d->has_size,
        .content_size = d->content_size,
    };
    return fi;
}

/* The header is gathered: check it and set up for the frame's blocks. */
static long start_frame(struct lz4_dctx *d)
{
    struct lz4_frame_info fi;
    long r = lz4_parse_header(d->hdr, &fi);

    if (r < 0)
        return r;
    if (LZ4_WINDOW + 2 * fi.block_max + 4 > d->buf_len)
        return -LZ4_ERR_PARAM;
    d->block_max = fi.block_max;
    d->linked = fi.linked;
    d->block_sum = fi.block_sum;
    d->content_sum = fi.content_sum;
    d->has_size = fi.has_size;
    d->content_size = fi.content_size;
    d->hist = 0;
    d->produced = 0;
    xxh32_reset(&d->xxh, 0);
    expect(d, LZ4D_BLOCK_SIZE, 4);
    return 0;
}

/* A block is gathered: verify its checksum and decode it after the history. */
static long decode_gathered(struct lz4_dctx *d)
{
    struct lz4_frame_info fi = info_of(d);
    uint8_t *in = d->buf + LZ4_WINDOW + d->block_max;
    size_t size = d->block_word & 0x7FFFFFFFU;
    long r;

    if (d->block_sum && xxh32(in, size, 0) != lz4_rd32(in + size))
        return -LZ4_ERR_BLOCK_CHECKSUM;
    r = lz4_decode_block(d->buf + LZ4_WINDOW, d->block_max, in, d->block_word, d->hist, &fi);
    if (r < 0)
        return r;
    if (d->content_sum)
        xxh32_update(&d->xxh, d->buf + LZ4_WINDOW, (size_t)r);
    d->produced += (size_t)r;
    d->out_pos = LZ4_WINDOW;
    d->out_end = LZ4_WINDOW + (size_t)r;
    d->stage = LZ4D_FLUSH;
    return 0;
}

/* The block is handed out: keep its last 64 KiB as history. */
static void keep_history(struct lz4_dctx *d)
{
    size_t n = d->out_end - LZ4_WINDOW, keep = d->hist + n;

    if (keep > LZ4_WINDOW)
        keep = LZ4_WINDOW;
    if (d->linked)
        __builtin_memmove(d->buf + LZ4_WINDOW - keep, d->buf + d->out_end - keep, keep);
    d->hist = keep;
    expect(d, LZ4D_BLOCK_SIZE, 4);
}

static long end_frame(struct lz4_dctx *d)
{
    if (d->has_size && d->content_size != d->produced)
        return -LZ4_ERR_CONTENT_SIZE;
    expect(d, LZ4D_MAGIC, 4);
    return 0;
}

/* One step of the state machine; returns 1 to go on, 0 to wait for I/O, or -error. */
static long step(struct lz4_dctx *d, const uint8_t **ip, const uint8_t *iend, uint8_t **op,
                 uint8_t *oend)
{
    uint8_t *in = d->buf + LZ4_WINDOW + d->block_max;
    uint32_t v;
    size_t n;
    long r;

    switch (d->stage) {
    case LZ4D_MAGIC:
        if (!gather(d, d->hdr, ip, iend))
            return 0;
        v = lz4_rd32(d->hdr);
        if (v == LZ4_MAGIC)
            d->stage = LZ4D_HEADER, d->need = 7;
        else if (lz4_is_skippable(v))
            d->stage = LZ4D_SKIP_SIZE, d->need = 8;
        else
            return -LZ4_ERR_BAD_MAGIC;
        return 1;
    case LZ4D_SKIP_SIZE:
        if (!gather(d, d->hdr, ip, iend))
            return 0;
        d->skip_left = lz4_rd32(d->hdr + 4);
        d->stage = LZ4D_SKIP;
        return 1;
    case LZ4D_SKIP:
        n = (size_t)(iend - *ip) < d->skip_left ? (size_t)(iend - *ip) : d->skip_left;
        *ip += n;
        d->skip_left -= n;
        if (d->skip_left)
            return 0;
        expect(d, LZ4D_MAGIC, 4);
        return 1;
    case LZ4D_HEADER:
        if (!gather(d, d->hdr, ip, iend))
            return 0;
        if (d->need < lz4_header_len(d->hdr[4])) {
            d->need = lz4_header_len(d->hdr[4]);
            return 1;
        }
        r = start_frame(d);
        return r < 0 ? r : 1;
    case LZ4D_BLOCK_SIZE:
        if (!gather(d, d->hdr, ip, iend))
            return 0;
        d->block_word = lz4_rd32(d->hdr);
        if (d->block_word == 0) {
            if (d->content_sum)
                expect(d, LZ4D_CONTENT_SUM, 4);
            else if ((r = end_frame(d)) < 0)
                return r;
            return 1;
        }
        if ((d->block_word & 0x7FFFFFFFU) > d->block_max)
            return -LZ4_ERR_CORRUPT;
        expect(d, LZ4D_BLOCK_DATA, (d->block_word & 0x7FFFFFFFU) + (d->block_sum ? 4 : 0));
        return 1;
    case LZ4D_BLOCK_DATA:
        if (!gather(d, in, ip, iend))
            return 0;
        r = decode_gathered(d);
        return r < 0 ? r : 1;
    case LZ4D_FLUSH:
        n = d->out_end - d->out_pos;
        if (n > (size_t)(oend - *op))
            n = (size_t)(oend - *op);
        __builtin_memcpy(*op, d->buf + d->out_pos, n);
        *op += n;
        d->out_pos += n;
        if (d->out_pos < d->out_end)
            return 0;
        keep_history(d);
        return 1;
    case LZ4D_CONTENT_SUM:
        if (!gather(d, d->hdr, ip, iend))
            return 0;
        if (lz4_rd32(d->hdr) != xxh32_digest(&d->xxh))
            return -LZ4_ERR_CONTENT_CHECKSUM;
        r = end_frame(d);
        return r < 0 ? r : 1;
    }
    return -LZ4_ERR_PARAM;
}

/* Feed input, drain output; see lz4.h for the return values. */
long lz4_dctx_decompress(struct lz4_dctx *d, void *dst, size_t *dst_len, const void *src,
                         size_t *src_len)
{
    static uint8_t none[1]; /* stands in for a NULL buffer of length 0 */
    const uint8_t *ip = src ? src : none, *iend = src ? ip + *src_len : ip;
    uint8_t *op = dst, *oend = dst ? op + *dst_len : op;
    long r;

    if (!dst) /* no output space: gather input, never write */
        op = oend = none;
    while ((r = step(d, &ip, iend, &op, oend)) > 0)
        ;
    *src_len = src ? (size_t)(ip - (const uint8_t *)src) : 0;
    *dst_len = dst ? (size_t)(op - (uint8_t *)dst) : 0;
    if (r < 0)
        return r;
    return d->stage == LZ4D_MAGIC && d->have == 0 ? 0 : 1;
}
