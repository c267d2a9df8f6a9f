/*
 * LZ4 frame decoder. lz4_frame_decompress() decodes whole frames straight
 * into the caller's buffer (linked blocks use the output just written as
 * their history, so no workspace); lz4_dctx_* is the incremental decoder for
 * streams, which gathers each block in a caller-provided buffer. Both accept
 * skippable frames and several frames back to back.
 */
#include "lib/lz4_internal.h"

#include <limits.h>

bool lz4_is_skippable(uint32_t magic)
{
    return (magic & 0xFFFFFFF0U) == LZ4_SKIPPABLE_MAGIC;
}

size_t lz4_header_len(uint8_t flg)
{
    return 4 + 2 + ((flg & 0x08) ? 8 : 0) + ((flg & 0x01) ? 4 : 0) + 1;
}

/* Parse a frame header of exactly lz4_header_len(p[4]) bytes starting at the magic. */
long lz4_parse_header(const uint8_t *p, struct lz4_frame_info *fi)
{
    uint8_t flg = p[4], bd = p[5];
    size_t len = lz4_header_len(flg);

    if ((flg >> 6) != 1 || (flg & 0x02) || (bd & 0x8F))
        return -LZ4_ERR_BAD_HEADER;
    fi->block_max = lz4_block_size_of_id(bd >> 4);
    if (!fi->block_max)
        return -LZ4_ERR_BAD_HEADER;
    if (((xxh32(p + 4, len - 5, 0) >> 8) & 0xFF) != p[len - 1])
        return -LZ4_ERR_HEADER_CHECKSUM;
    if (flg & 0x01)
        return -LZ4_ERR_DICT;
    fi->linked = !(flg & 0x20);
    fi->block_sum = flg & 0x10;
    fi->has_size = flg & 0x08;
    fi->content_sum = flg & 0x04;
    fi->content_size = fi->has_size ? lz4_rd64(p + 6) : 0;
    return (long)len;
}

/* Decode one data block (raw or compressed) into op; returns its size. */
long lz4_decode_block(uint8_t *op, size_t room, const uint8_t *ip, uint32_t word, size_t hist,
                      const struct lz4_frame_info *fi)
{
    size_t size = word & 0x7FFFFFFFU;
    long r;

    if (word >> 31) {
        if (size > room)
            return -LZ4_ERR_DST_TOO_SMALL;
        __builtin_memcpy(op, ip, size);
        return (long)size;
    }
    r = lz4_block_decompress(op, room, ip, size, fi->linked ? hist : 0);
    if (r > (long)fi->block_max)
        return -LZ4_ERR_CORRUPT;
    return r;
}

/* Decode one frame whose header starts at *ipp; advances *ipp past it. */
static long decode_frame(uint8_t *dst, size_t cap, const uint8_t **ipp, const uint8_t *iend)
{
    const uint8_t *ip = *ipp;
    struct lz4_frame_info fi;
    struct xxh32_state xs;
    size_t out = 0;
    long r;

    if (iend - ip < 7 || (size_t)(iend - ip) < lz4_header_len(ip[4]))
        return -LZ4_ERR_TRUNCATED;
    r = lz4_parse_header(ip, &fi);
    if (r < 0)
        return r;
    ip += r;
    xxh32_reset(&xs, 0);
    for (;;) {
        if (iend - ip < 4)
            return -LZ4_ERR_TRUNCATED;
        uint32_t word = lz4_rd32(ip);
        size_t size = word & 0x7FFFFFFFU, sum = fi.block_sum ? 4 : 0;
        ip += 4;
        if (word == 0)
            break;
        if (size > fi.block_max)
            return -LZ4_ERR_CORRUPT;
        if (size + sum > (size_t)(iend - ip))
            return -LZ4_ERR_TRUNCATED;
        if (sum && xxh32(ip, size, 0) != lz4_rd32(ip + size))
            return -LZ4_ERR_BLOCK_CHECKSUM;
        r = lz4_decode_block(dst + out, cap - out, ip, word, out < LZ4_WINDOW ? out : LZ4_WINDOW,
                             &fi);
        if (r < 0)
            return r;
        if (fi.content_sum)
            xxh32_update(&xs, dst + out, (size_t)r);
        out += (size_t)r;
        ip += size + sum;
    }
    if (fi.content_sum) {
        if (iend - ip < 4)
            return -LZ4_ERR_TRUNCATED;
        if (lz4_rd32(ip) != xxh32_digest(&xs))
            return -LZ4_ERR_CONTENT_CHECKSUM;
        ip += 4;
    }
    if (fi.has_size && fi.content_size != out)
        return -LZ4_ERR_CONTENT_SIZE;
    *ipp = ip;
    return (long)out;
}

/* Decode all frames in src back to back; skippable frames are skipped. */
long lz4_frame_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len)
{
    const uint8_t *ip, *iend;
    uint8_t *op = dst;
    size_t out = 0;

    if (!src || !dst || src_len > (size_t)LONG_MAX)
        return -LZ4_ERR_PARAM;
    if (src_len == 0)
        return -LZ4_ERR_TRUNCATED;
    if (dst_cap > (size_t)LONG_MAX)
        dst_cap = (size_t)LONG_MAX;
    ip = src;
    iend = ip + src_len;
    while (ip < iend) {
        if (iend - ip < 4)
            return -LZ4_ERR_TRUNCATED;
        uint32_t magic = lz4_rd32(ip);
        if (lz4_is_skippable(magic)) {
            if (iend - ip < 8)
                return -LZ4_ERR_TRUNCATED;
            uint32_t n = lz4_rd32(ip + 4);
            if (n > (size_t)(iend - ip) - 8)
                return -LZ4_ERR_TRUNCATED;
            ip += 8 + (size_t)n;
            continue;
        }
        if (magic != LZ4_MAGIC)
            return -LZ4_ERR_BAD_MAGIC;
        long r = decode_frame(op + out, dst_cap - out, &ip, iend);
        if (r < 0)
            return r;
        out += (size_t)r;
    }
    return (long)out;
}

/* Read the first frame's header: lets a caller size the output buffer. */
long lz4_frame_content_size(const void *src, size_t src_len, uint64_t *size)
{
    const uint8_t *p = src;
    struct lz4_frame_info fi;
    long r;

    if (!src || !size)
        return -LZ4_ERR_PARAM;
    if (src_len < 7 || src_len < lz4_header_len(p[4]))
        return -LZ4_ERR_TRUNCATED;
    if (lz4_rd32(p) != LZ4_MAGIC)
        return -LZ4_ERR_BAD_MAGIC;
    r = lz4_parse_header(p, &fi);
    if (r < 0)
        return r;
    *size = fi.content_size;
    return fi.has_size;
}
