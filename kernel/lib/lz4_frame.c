/*
 * LZ4 frame encoder: frame descriptor, data blocks (compressed, or stored
 * raw when compression does not pay), block and content checksums (XXH32),
 * end mark. Works block at a time over a caller's window (lz4_cstream_*);
 * lz4_frame_compress() is the one-shot wrapper the file system uses.
 * Also owns the error strings.
 */
#include "lib/lz4_internal.h"

static const char *const error_names[LZ4_ERR_COUNT] = {
    [LZ4_OK] = "success",
    [LZ4_ERR_DST_TOO_SMALL] = "output buffer too small",
    [LZ4_ERR_CORRUPT] = "corrupt compressed block",
    [LZ4_ERR_BAD_MAGIC] = "not an LZ4 frame (bad magic number)",
    [LZ4_ERR_BAD_HEADER] = "bad or unsupported LZ4 frame header",
    [LZ4_ERR_HEADER_CHECKSUM] = "frame header checksum mismatch",
    [LZ4_ERR_BLOCK_CHECKSUM] = "block checksum mismatch",
    [LZ4_ERR_CONTENT_CHECKSUM] = "content checksum mismatch",
    [LZ4_ERR_CONTENT_SIZE] = "decoded size differs from the frame's content size",
    [LZ4_ERR_TRUNCATED] = "input is truncated",
    [LZ4_ERR_PARAM] = "invalid argument",
    [LZ4_ERR_DICT] = "frame needs a dictionary (not supported)",
};

const char *lz4_error_name(long err)
{
    if (err <= -LZ4_ERR_COUNT || err >= LZ4_ERR_COUNT)
        return "unknown error";
    if (err < 0)
        err = -err;
    return error_names[err];
}

size_t lz4_block_size_of_id(int id)
{
    if (id < 4 || id > 7)
        return 0;
    return (size_t)1 << (8 + 2 * id);
}

static const struct lz4_frame_params default_params = {
    .level = 0,
    .block_size_id = 4,
    .content_checksum = true,
    .content_size = true,
};

size_t lz4_frame_bound(size_t src_len, const struct lz4_frame_params *p)
{
    int id = p && p->block_size_id ? p->block_size_id : 4;
    size_t bmax = lz4_block_size_of_id(id) ? lz4_block_size_of_id(id) : 65536;
    size_t blocks = src_len / bmax + 1;

    /* header + (size word + block checksum) per block + end mark + checksum */
    return LZ4_MAX_HEADER + src_len + blocks * 8 + 8;
}

/* Start a frame: settle the parameters, reset the tables, write the header. */
long lz4_cstream_begin(void *workspace, void *dst, size_t dst_cap, const struct lz4_frame_params *p,
                       uint64_t content_size)
{
    struct lz4_cctx *c = workspace;
    uint8_t *d = dst, *q;

    if (!c || !dst)
        return -LZ4_ERR_PARAM;
    c->p = p ? *p : default_params;
    if (!c->p.block_size_id)
        c->p.block_size_id = 4;
    c->block_max = lz4_block_size_of_id(c->p.block_size_id);
    if (!c->block_max)
        return -LZ4_ERR_PARAM;
    if (c->p.level > LZ4_LEVEL_MAX)
        c->p.level = LZ4_LEVEL_MAX;
    if (c->p.level >= LZ4_LEVEL_HC_MIN)
        lz4_hc_reset(&c->t.hc, 0, 0);
    else
        __builtin_memset(c->t.fast, 0, sizeof(c->t.fast));
    c->started = false;
    c->low = 0;
    xxh32_reset(&c->xxh, 0);

    if (dst_cap < LZ4_MAX_HEADER)
        return -LZ4_ERR_DST_TOO_SMALL;
    lz4_wr32(d, LZ4_MAGIC);
    d[4] = (uint8_t)(0x40 | (!c->p.linked << 5) | (c->p.block_checksum << 4) |
                     (c->p.content_size << 3) | (c->p.content_checksum << 2));
    d[5] = (uint8_t)(c->p.block_size_id << 4);
    q = d + 6;
    if (c->p.content_size) {
        lz4_wr64(q, content_size);
        q += 8;
    }
    *q = (uint8_t)(xxh32(d + 4, (size_t)(q - d - 4), 0) >> 8);
    return (long)(q + 1 - d);
}

/* Emit win[start, end) as one data block (compressed or raw). */
long lz4_cstream_block(void *workspace, void *dst, size_t dst_cap, const uint8_t *win, size_t start,
                       size_t end)
{
    struct lz4_cctx *c = workspace;
    uint8_t *d = dst;
    size_t n = end - start, sum = c->p.block_checksum ? 4 : 0, low, bcap;
    long r;

    if (end < start || n > c->block_max || end > 0x7F000000)
        return -LZ4_ERR_PARAM;
    if (n == 0)
        return 0;
    if (dst_cap < 4 + sum + 1)
        return -LZ4_ERR_DST_TOO_SMALL;
    if (!c->started || !c->p.linked)
        c->low = start;
    c->started = true;
    low = start - c->low > LZ4_WINDOW ? start - LZ4_WINDOW : c->low;
    bcap = dst_cap - 4 - sum;
    if (bcap > n - 1)
        bcap = n - 1; /* a compressed block must beat the raw one */

    if (c->p.level >= LZ4_LEVEL_HC_MIN)
        r = lz4_hc_compress_range(&c->t.hc, win, low, start, end, d + 4, bcap, c->p.level);
    else if (c->p.linked)
        r = lz4_fast_compress_range(c->t.fast, win, low, start, end, d + 4, bcap,
                                    c->p.level < 0 ? 1 - c->p.level : 1, false);
    else /* independent: offsets from the block start, table cleared */
        r = lz4_fast_compress_range(c->t.fast, win + start, 0, 0, n, d + 4, bcap,
                                    c->p.level < 0 ? 1 - c->p.level : 1, true);
    if (r >= 0) {
        lz4_wr32(d, (uint32_t)r);
    } else {
        if (r != -LZ4_ERR_DST_TOO_SMALL)
            return r;
        if (dst_cap < 4 + n + sum)
            return -LZ4_ERR_DST_TOO_SMALL;
        __builtin_memcpy(d + 4, win + start, n);
        r = (long)n;
        lz4_wr32(d, (uint32_t)n | 0x80000000U);
    }
    if (sum)
        lz4_wr32(d + 4 + r, xxh32(d + 4, (size_t)r, 0));
    if (c->p.content_checksum)
        xxh32_update(&c->xxh, win + start, n);
    return 4 + r + (long)sum;
}

/* The caller moved win[shift..] to win[0..]: rebase every stored offset. */
void lz4_cstream_slide(void *workspace, size_t shift)
{
    struct lz4_cctx *c = workspace;

    if (c->p.level >= LZ4_LEVEL_HC_MIN) {
        for (size_t i = 0; i < ((size_t)1 << c->t.hc.log); i++)
            c->t.hc.hash[i] = c->t.hc.hash[i] > shift ? c->t.hc.hash[i] - (uint32_t)shift : 0;
        c->t.hc.next = c->t.hc.next > shift ? c->t.hc.next - shift : 0;
    } else {
        for (size_t i = 0; i < (1u << LZ4_FAST_HASH_LOG); i++)
            c->t.fast[i] = c->t.fast[i] > shift ? c->t.fast[i] - (uint32_t)shift : 0;
    }
    c->low = c->low > shift ? c->low - shift : 0;
}

/* Finish the frame: end mark and the optional content checksum. */
long lz4_cstream_end(void *workspace, void *dst, size_t dst_cap)
{
    struct lz4_cctx *c = workspace;
    size_t n = c->p.content_checksum ? 8 : 4;

    if (dst_cap < n)
        return -LZ4_ERR_DST_TOO_SMALL;
    lz4_wr32(dst, 0);
    if (c->p.content_checksum)
        lz4_wr32((uint8_t *)dst + 4, xxh32_digest(&c->xxh));
    return (long)n;
}

/* One-shot: the whole input is the window, so linked blocks need no copy. */
long lz4_frame_compress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                        const struct lz4_frame_params *p, void *workspace)
{
    struct lz4_cctx *c = workspace;
    uint8_t *d = dst;
    size_t pos = 0, out;
    long r;

    if (!dst || !workspace || (!src && src_len) || src_len > 0x7F000000)
        return -LZ4_ERR_PARAM;
    r = lz4_cstream_begin(c, d, dst_cap, p, src_len);
    if (r < 0)
        return r;
    out = (size_t)r;
    while (pos < src_len) {
        size_t n = src_len - pos < c->block_max ? src_len - pos : c->block_max;
        r = lz4_cstream_block(c, d + out, dst_cap - out, src, pos, pos + n);
        if (r < 0)
            return r;
        out += (size_t)r;
        pos += n;
    }
    r = lz4_cstream_end(c, d + out, dst_cap - out);
    if (r < 0)
        return r;
    return (long)(out + (size_t)r);
}
