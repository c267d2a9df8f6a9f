/*
 * zstd_frame.c - Zstandard frames (RFC 8878 3.1): the frame header in all
 * its forms, skippable frames, the block loop of the one-shot decoder
 * (several frames back to back), the XXH64 content checksum, and
 * zstd_frame_content_size().  In one-shot decoding the window is the
 * output buffer itself: a match may reach back to the frame's first byte.
 */
#include <limits.h>
#include "lib/zstd.h"
#include "lib/xxhash.h"
#include "lib/zstd_decompress.h"

long zstd_frame_header_size(const uint8_t *src, size_t len)
{
    if (len < 5)
        return -ZSTD_E_SRC_TRUNCATED;
    unsigned fhd = src[4];
    unsigned fcs_flag = fhd >> 6, single = (fhd >> 5) & 1, did = fhd & 3;
    static const uint8_t did_size[4] = { 0, 1, 2, 4 };
    static const uint8_t fcs_size[4] = { 0, 2, 4, 8 };
    size_t n = 5 + !single + did_size[did] + fcs_size[fcs_flag];
    if (fcs_flag == 0 && single)
        n += 1;
    return (long)n;
}

long zstd_parse_frame_header(struct zstd_frame_header *fh, const uint8_t *src, size_t len)
{
    if (len < 4)
        return -ZSTD_E_SRC_TRUNCATED;
    if (zstd_read_le32(src) != ZSTD_MAGIC)
        return -ZSTD_E_BAD_MAGIC;
    long hs = zstd_frame_header_size(src, len);
    if (hs < 0)
        return hs;
    if ((size_t)hs > len)
        return -ZSTD_E_SRC_TRUNCATED;
    unsigned fhd = src[4];
    if (fhd & 0x08)
        return -ZSTD_E_FRAME_HEADER;   /* reserved bit */
    const uint8_t *p = src + 5;
    fh->single_segment = (fhd >> 5) & 1;
    fh->checksum = (fhd >> 2) & 1;
    fh->header_size = (uint32_t)hs;
    fh->window_size = 0;
    if (!fh->single_segment) {
        unsigned exp = *p >> 3, mant = *p & 7;
        uint64_t base = 1ull << (ZSTD_WINDOWLOG_MIN + exp);
        fh->window_size = base + (base >> 3) * mant;
        p++;
    }
    switch (fhd & 3) {
    case 0: fh->dict_id = 0; break;
    case 1: fh->dict_id = *p; p += 1; break;
    case 2: fh->dict_id = zstd_read_le16(p); p += 2; break;
    default: fh->dict_id = zstd_read_le32(p); p += 4; break;
    }
    switch (fhd >> 6) {
    case 0: fh->content_size = fh->single_segment ? *p : ZSTD_CONTENT_UNKNOWN; break;
    case 1: fh->content_size = zstd_read_le16(p) + 256u; break;
    case 2: fh->content_size = zstd_read_le32(p); break;
    default: fh->content_size = zstd_read_le64(p); break;
    }
    if (fh->single_segment)
        fh->window_size = fh->content_size;
    if (fh->dict_id != 0)
        return -ZSTD_E_DICTIONARY;
    return hs;
}

long zstd_frame_content_size(const void *src, size_t len)
{
    struct zstd_frame_header fh;
    const uint8_t *s = src;
    if (len >= 4 && (zstd_read_le32(s) & ZSTD_SKIPPABLE_MASK) == ZSTD_SKIPPABLE_MAGIC)
        return 0;
    long err = zstd_parse_frame_header(&fh, s, len);
    if (err < 0 && err != -ZSTD_E_DICTIONARY)
        return err;
    if (fh.content_size == ZSTD_CONTENT_UNKNOWN)
        return -1;
    if (fh.content_size > (uint64_t)LONG_MAX)
        return -ZSTD_E_SRC_TOO_LARGE;
    return (long)fh.content_size;
}

size_t zstd_decompress_workspace_size(void)
{
    return sizeof(struct zstd_dctx) + 8;
}

/* Blocks of one frame into dst[op..cap); returns the new op or -err. */
static long decode_frame(struct zstd_dctx *dc, uint8_t *dst, size_t cap, size_t op,
                         const uint8_t *src, size_t len, size_t *used)
{
    struct zstd_frame_header fh;
    long hs = zstd_parse_frame_header(&fh, src, len);
    if (hs < 0)
        return hs;
    if (!fh.single_segment && fh.window_size > ZSTD_WINDOW_MAX)
        return -ZSTD_E_WINDOW_TOO_LARGE;
    long too_big = -ZSTD_E_DST_TOO_SMALL;   /* what running out of room means */
    if (fh.content_size != ZSTD_CONTENT_UNKNOWN) {
        if (fh.content_size > cap - op)
            return -ZSTD_E_DST_TOO_SMALL;
        cap = op + (size_t)fh.content_size;   /* fast copies stay inside the frame */
        too_big = -ZSTD_E_CONTENT_SIZE;
    }
    size_t ip = (size_t)hs, start = op;
    zstd_dctx_reset(dc);
    for (;;) {
        if (len - ip < ZSTD_BLOCK_HEADER_SIZE)
            return -ZSTD_E_SRC_TRUNCATED;
        uint32_t bh = zstd_read_le24(src + ip);
        ip += ZSTD_BLOCK_HEADER_SIZE;
        size_t size = bh >> 3;
        unsigned type = (bh >> 1) & 3;
        if (size > ZSTD_BLOCK_MAX)
            return -ZSTD_E_BLOCK_SIZE;
        if (type == ZSTD_BLOCK_RLE) {
            if (len - ip < 1)
                return -ZSTD_E_SRC_TRUNCATED;
            if (size > cap - op)
                return too_big;
            __builtin_memset(dst + op, src[ip], size);
            op += size;
            ip += 1;
        } else if (type == ZSTD_BLOCK_RESERVED) {
            return -ZSTD_E_BLOCK_TYPE;
        } else if (len - ip < size) {
            return -ZSTD_E_SRC_TRUNCATED;
        } else if (type == ZSTD_BLOCK_RAW) {
            if (size > cap - op)
                return too_big;
            __builtin_memcpy(dst + op, src + ip, size);
            op += size;
            ip += size;
        } else {
            long n = zstd_decode_block(dc, dst + op, cap - op, dst + start, src + ip, size);
            if (n < 0)
                return n == -ZSTD_E_DST_TOO_SMALL ? too_big : n;
            op += (size_t)n;
            ip += size;
        }
        if (bh & 1)
            break;
    }
    if (fh.content_size != ZSTD_CONTENT_UNKNOWN && fh.content_size != op - start)
        return -ZSTD_E_CONTENT_SIZE;
    if (fh.checksum) {
        if (len - ip < ZSTD_CHECKSUM_SIZE)
            return -ZSTD_E_SRC_TRUNCATED;
        uint32_t want = zstd_read_le32(src + ip);
        if ((uint32_t)xxh64(dst + start, op - start, 0) != want)
            return -ZSTD_E_CHECKSUM;
        ip += ZSTD_CHECKSUM_SIZE;
    }
    *used = ip;
    return (long)op;
}

long zstd_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                     void *workspace, size_t ws_size)
{
    uintptr_t a = ((uintptr_t)workspace + 7) & ~(uintptr_t)7;
    if (!workspace || ws_size < zstd_decompress_workspace_size())
        return -ZSTD_E_WORKSPACE;
    struct zstd_dctx *dc = (struct zstd_dctx *)a;
    static uint8_t none[1];   /* stands in for NULL buffers of size 0 */
    if ((!dst && dst_cap) || (!src && src_len))
        return -ZSTD_E_GENERIC;
    if (!dst)
        dst = none, dst_cap = 0;
    const uint8_t *s = src ? src : none;
    size_t ip = 0, op = 0;
    if (dst_cap > (size_t)LONG_MAX)
        dst_cap = (size_t)LONG_MAX;
    while (ip < src_len) {
        size_t left = src_len - ip;
        if (left < 4)
            return -ZSTD_E_SRC_TRUNCATED;
        uint32_t magic = zstd_read_le32(s + ip);
        if ((magic & ZSTD_SKIPPABLE_MASK) == ZSTD_SKIPPABLE_MAGIC) {
            if (left < 8)
                return -ZSTD_E_SRC_TRUNCATED;
            size_t skip = zstd_read_le32(s + ip + 4);
            if (left - 8 < skip)
                return -ZSTD_E_SRC_TRUNCATED;
            ip += 8 + skip;
            continue;
        }
        size_t used = 0;
        long r = decode_frame(dc, dst, dst_cap, op, s + ip, left, &used);
        if (r < 0)
            return r;
        op = (size_t)r;
        ip += used;
    }
    return (long)op;
}
