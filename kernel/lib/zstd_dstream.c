/*
 * zstd_dstream.c - the streaming Zstandard decoder: input and output in
 * pieces of any size, frames of unknown content size, several frames and
 * skippable frames back to back.  Everything lives in the caller's
 * workspace: the state below, a block-sized input buffer (used only when
 * a block arrives split across calls) and the window buffer.
 * The window buffer holds window_max + 2 block slots and is used as a
 * ring of whole blocks: each block is decoded into the next free slot
 * (BLOCK_MAX + copy slack); when none is left at the end, decoding wraps
 * to the start and the bytes left at the end (old_end) serve as the older
 * history segment (dc.ext_*).  The slot being written never overlaps the
 * window_size bytes before it, so no byte of history ever moves.
 */
#include "lib/zstd.h"
#include "lib/xxhash.h"
#include "lib/zstd_decompress.h"

enum stage {
    ST_MAGIC,        /* collecting a frame's first bytes */
    ST_SKIP_HEADER,  /* skippable frame: magic + size */
    ST_SKIP,         /* skipping its payload */
    ST_HEADER,       /* zstd frame header */
    ST_BLOCK_HEADER,
    ST_BLOCK_BODY,
    ST_CHECKSUM,
};

struct zstd_dstream {
    struct zstd_dctx dc;
    enum stage stage;
    long error;                 /* sticky: once corrupt, always corrupt */
    uint8_t hdr[ZSTD_FRAME_HEADER_MAX];
    size_t hdr_len, hdr_need;
    struct zstd_frame_header fh;
    uint64_t skip_left, produced;
    uint32_t block_header;
    size_t body_len, in_have;
    uint8_t *inbuf;             /* ZSTD_BLOCK_MAX bytes */
    uint8_t *win;               /* win_cap bytes */
    size_t win_cap, window_max;
    size_t win_pos, flush_pos;  /* end of decoded data, end of output given */
    size_t old_end;             /* end of the segment before the last wrap, 0 if none */
    struct xxh64_state xxh;
};

#define WIN_EXTRA (ZSTD_BLOCK_MAX + ZSTD_WILDCOPY_SLACK)

size_t zstd_dstream_workspace_size(size_t window_max)
{
    if (window_max > ZSTD_WINDOW_MAX)
        window_max = ZSTD_WINDOW_MAX;
    if (window_max < (1u << ZSTD_WINDOWLOG_MIN))
        window_max = 1u << ZSTD_WINDOWLOG_MIN;
    return sizeof(struct zstd_dstream) + 8 + ZSTD_BLOCK_MAX + window_max + 2 * WIN_EXTRA;
}

struct zstd_dstream *zstd_dstream_init(void *ws, size_t ws_size)
{
    size_t fixed = sizeof(struct zstd_dstream) + 8 + ZSTD_BLOCK_MAX + 2 * WIN_EXTRA;
    if (!ws || ws_size < fixed + (1u << ZSTD_WINDOWLOG_MIN))
        return NULL;
    struct zstd_dstream *ds = (struct zstd_dstream *)(((uintptr_t)ws + 7) & ~(uintptr_t)7);
    size_t window_max = ws_size - fixed;
    if (window_max > ZSTD_WINDOW_MAX)
        window_max = ZSTD_WINDOW_MAX;
    ds->stage = ST_MAGIC;
    ds->error = 0;
    ds->hdr_len = 0;
    ds->hdr_need = 4;
    ds->inbuf = (uint8_t *)(ds + 1);
    ds->win = ds->inbuf + ZSTD_BLOCK_MAX;
    ds->window_max = window_max;
    ds->win_cap = window_max + 2 * WIN_EXTRA;
    ds->win_pos = ds->flush_pos = ds->old_end = 0;
    return ds;
}

/* Gather ds->hdr_need bytes into ds->hdr. True once they are all there. */
static int gather(struct zstd_dstream *ds, const uint8_t *src, size_t len, size_t *pos)
{
    size_t n = ds->hdr_need - ds->hdr_len;
    if (n > len - *pos)
        n = len - *pos;
    __builtin_memcpy(ds->hdr + ds->hdr_len, src + *pos, n);
    ds->hdr_len += n;
    *pos += n;
    return ds->hdr_len == ds->hdr_need;
}

static void expect(struct zstd_dstream *ds, enum stage st, size_t need)
{
    ds->stage = st;
    ds->hdr_len = 0;
    ds->hdr_need = need;
}

/* A frame header is complete: check it and start the frame. */
static long start_frame(struct zstd_dstream *ds)
{
    long hs = zstd_parse_frame_header(&ds->fh, ds->hdr, ds->hdr_len);
    if (hs < 0)
        return hs;
    if (ds->fh.window_size > ds->window_max)
        return -ZSTD_E_WINDOW_TOO_LARGE;
    zstd_dctx_reset(&ds->dc);
    xxh64_reset(&ds->xxh, 0);
    ds->produced = 0;
    ds->win_pos = ds->flush_pos = ds->old_end = 0;
    ds->dc.ext_len = 0;
    expect(ds, ST_BLOCK_HEADER, ZSTD_BLOCK_HEADER_SIZE);
    return 0;
}

/* Pick the slot for the next block: wrap to the start when the end of the
 * buffer cannot hold one, and describe the older segment that stays
 * readable behind the slot (everything past the slot, up to old_end). */
static void make_room(struct zstd_dstream *ds)
{
    if (ds->win_cap - ds->win_pos < WIN_EXTRA) {
        ds->old_end = ds->win_pos;
        ds->win_pos = ds->flush_pos = 0;
    }
    size_t slot_end = ds->win_pos + WIN_EXTRA;
    ds->dc.ext_end = ds->win + ds->old_end;
    ds->dc.ext_len = ds->old_end > slot_end ? ds->old_end - slot_end : 0;
}

/* Decode the block whose body is body[0..body_len) into the window. */
static long run_block(struct zstd_dstream *ds, const uint8_t *body)
{
    unsigned type = (ds->block_header >> 1) & 3;
    size_t size = ds->block_header >> 3;
    long n;
    make_room(ds);
    uint8_t *op = ds->win + ds->win_pos;
    if (type == ZSTD_BLOCK_RAW) {
        __builtin_memcpy(op, body, size);
        n = (long)size;
    } else if (type == ZSTD_BLOCK_RLE) {
        __builtin_memset(op, body[0], size);
        n = (long)size;
    } else {
        n = zstd_decode_block(&ds->dc, op, WIN_EXTRA, ds->win, body, ds->body_len);
        if (n < 0)
            return n;
    }
    if (ds->fh.checksum)
        xxh64_update(&ds->xxh, op, (size_t)n);
    ds->win_pos += (size_t)n;
    ds->produced += (uint64_t)n;
    if (ds->fh.content_size != ZSTD_CONTENT_UNKNOWN && ds->produced > ds->fh.content_size)
        return -ZSTD_E_CONTENT_SIZE;
    if (!(ds->block_header & 1)) {
        expect(ds, ST_BLOCK_HEADER, ZSTD_BLOCK_HEADER_SIZE);
        return 0;
    }
    if (ds->fh.content_size != ZSTD_CONTENT_UNKNOWN && ds->produced != ds->fh.content_size)
        return -ZSTD_E_CONTENT_SIZE;
    if (ds->fh.checksum)
        expect(ds, ST_CHECKSUM, ZSTD_CHECKSUM_SIZE);
    else
        expect(ds, ST_MAGIC, 4);
    return 0;
}

/* Block body: straight from src when it is all there, else via inbuf. */
static long take_body(struct zstd_dstream *ds, const uint8_t *src, size_t len, size_t *pos)
{
    size_t avail = len - *pos;
    if (ds->in_have == 0 && avail >= ds->body_len) {
        const uint8_t *body = src + *pos;
        *pos += ds->body_len;
        return run_block(ds, body);
    }
    size_t n = ds->body_len - ds->in_have;
    if (n > avail)
        n = avail;
    __builtin_memcpy(ds->inbuf + ds->in_have, src + *pos, n);
    ds->in_have += n;
    *pos += n;
    if (ds->in_have < ds->body_len)
        return 1;
    ds->in_have = 0;
    return run_block(ds, ds->inbuf);
}

/* One step of the stage machine: > 0 when it needs more input. */
static long step(struct zstd_dstream *ds, const uint8_t *src, size_t len, size_t *pos)
{
    switch (ds->stage) {
    case ST_MAGIC:
        if (!gather(ds, src, len, pos))
            return 1;
        if ((zstd_read_le32(ds->hdr) & ZSTD_SKIPPABLE_MASK) == ZSTD_SKIPPABLE_MAGIC) {
            ds->stage = ST_SKIP_HEADER;
            ds->hdr_need = 8;
        } else if (zstd_read_le32(ds->hdr) != ZSTD_MAGIC) {
            return -ZSTD_E_BAD_MAGIC;
        } else {
            ds->stage = ST_HEADER;
            ds->hdr_need = 5;
        }
        return 0;
    case ST_SKIP_HEADER:
        if (!gather(ds, src, len, pos))
            return 1;
        ds->skip_left = zstd_read_le32(ds->hdr + 4);
        ds->stage = ST_SKIP;
        return 0;
    case ST_SKIP: {
        size_t n = len - *pos;
        if (n > ds->skip_left)
            n = (size_t)ds->skip_left;
        *pos += n;
        ds->skip_left -= n;
        if (ds->skip_left)
            return 1;
        expect(ds, ST_MAGIC, 4);
        return 0;
    }
    case ST_HEADER:
        if (!gather(ds, src, len, pos))
            return 1;
        if (ds->hdr_need == 5) {
            ds->hdr_need = (size_t)zstd_frame_header_size(ds->hdr, 5);
            return 0;
        }
        return start_frame(ds);
    case ST_BLOCK_HEADER: {
        if (!gather(ds, src, len, pos))
            return 1;
        uint32_t bh = zstd_read_le24(ds->hdr);
        unsigned type = (bh >> 1) & 3;
        if (type == ZSTD_BLOCK_RESERVED)
            return -ZSTD_E_BLOCK_TYPE;
        if ((bh >> 3) > ZSTD_BLOCK_MAX)
            return -ZSTD_E_BLOCK_SIZE;
        ds->block_header = bh;
        ds->body_len = type == ZSTD_BLOCK_RLE ? 1 : bh >> 3;
        ds->in_have = 0;
        ds->stage = ST_BLOCK_BODY;
        return 0;
    }
    case ST_BLOCK_BODY:
        return take_body(ds, src, len, pos);
    case ST_CHECKSUM:
        if (!gather(ds, src, len, pos))
            return 1;
        if (zstd_read_le32(ds->hdr) != (uint32_t)xxh64_digest(&ds->xxh))
            return -ZSTD_E_CHECKSUM;
        expect(ds, ST_MAGIC, 4);
        return 0;
    }
    return -ZSTD_E_STAGE;
}

long zstd_dstream_decompress(struct zstd_dstream *ds, void *dst, size_t dst_cap,
                             size_t *dst_pos, const void *src, size_t src_len,
                             size_t *src_pos)
{
    if (ds->error)
        return ds->error;
    static uint8_t none[1];   /* stands in for NULL buffers of size 0 */
    if (*dst_pos > dst_cap || *src_pos > src_len || (!dst && dst_cap) || (!src && src_len))
        return -ZSTD_E_STAGE;
    if (!dst)
        dst = none;
    if (!src)
        src = none;
    for (;;) {
        size_t pending = ds->win_pos - ds->flush_pos;
        if (pending) {
            size_t n = dst_cap - *dst_pos;
            if (n > pending)
                n = pending;
            __builtin_memcpy((uint8_t *)dst + *dst_pos, ds->win + ds->flush_pos, n);
            *dst_pos += n;
            ds->flush_pos += n;
            if (n < pending)
                return 1;   /* output full */
        }
        long r = step(ds, src, src_len, src_pos);
        if (r < 0) {
            ds->error = r;
            return r;
        }
        if (r > 0) {
            if (ds->win_pos != ds->flush_pos)
                continue;
            return ds->stage == ST_MAGIC && ds->hdr_len == 0 ? 0 : 1;
        }
    }
}
