/*
 * Compressed clusters in and out of frames (the formats are in
 * mfs_format.h): MFS's own RLE frame, LZ4 frames (lib/lz4) and Zstd frames
 * (lib/zstd), plus the skippable frame that pads a cluster's frame to whole
 * blocks so the blocks decode with `lz4 -d` / `zstd -d` as they are.
 *
 * The codecs allocate nothing; their workspaces (up to a few hundred KiB)
 * are made once, grown when a bigger level asks for more, and shared:
 * enc_lock protects the encoder's, dec_lock the decoder's.
 */
#include "fs/mfs/mfs.h"
#include "fs/mfs/cluster.h"
#include "lib/errno.h"
#include "lib/lz4.h"
#include "lib/string.h"
#include "lib/zstd.h"
#include "mm/kmalloc.h"

static struct mutex enc_lock = MUTEX_INIT("mfs_encode");
static struct mutex dec_lock = MUTEX_INIT("mfs_decode");
static void *enc_ws, *dec_ws;
static size_t enc_ws_size, dec_ws_size;

/* Make *ws at least size bytes (its lock held). 0 or -ENOMEM. */
static int workspace(void **ws, size_t *have, size_t size)
{
    if (*have >= size)
        return 0;
    kfree(*ws);
    *have = 0;
    if (!(*ws = kmalloc(size)))
        return -ENOMEM;
    *have = size;
    return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- RLE ---- */

/* Emit n (1..128) literal bytes. */
static size_t rle_literals(uint8_t *dst, size_t out, size_t cap, const uint8_t *src, size_t n)
{
    if (out + 1 + n > cap)
        return 0;
    dst[out] = (uint8_t)(n - 1);
    memcpy(dst + out + 1, src, n);
    return out + 1 + n;
}

/* The RLE frame of src, or 0 if it does not fit in cap. */
static size_t rle_encode(const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    if (cap < sizeof(struct mfs_rle_header) || len > 0xffffffffu)
        return 0;
    put_le32(dst, MFS_RLE_MAGIC);
    put_le32(dst + 4, (uint32_t)len);
    size_t out = sizeof(struct mfs_rle_header), i = 0, lit = 0; /* literals are src[lit..i) */
    while (i < len) {
        size_t run = 1;
        while (i + run < len && run < 130 && src[i + run] == src[i])
            run++;
        if (run < 3) {
            i += run;
            while (i - lit >= 128) { /* a full literal piece */
                if (!(out = rle_literals(dst, out, cap, src + lit, 128)))
                    return 0;
                lit += 128;
            }
            continue;
        }
        if (i > lit && !(out = rle_literals(dst, out, cap, src + lit, i - lit)))
            return 0;
        if (out + 2 > cap)
            return 0;
        dst[out++] = (uint8_t)(run + 125);
        dst[out++] = src[i];
        i += run;
        lit = i;
    }
    if (i > lit && !(out = rle_literals(dst, out, cap, src + lit, i - lit)))
        return 0;
    return out;
}

/* Decode an RLE frame and the padding after it into exactly len bytes. 0 or -EIO. */
static int rle_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t len)
{
    if (srclen < sizeof(struct mfs_rle_header) || get_le32(src) != MFS_RLE_MAGIC || get_le32(src + 4) != len)
        return -EIO;
    size_t in = sizeof(struct mfs_rle_header), out = 0;
    while (out < len) {
        if (in >= srclen)
            return -EIO;
        uint8_t c = src[in++];
        if (c < 128) {
            size_t n = (size_t)c + 1;
            if (n > srclen - in || n > len - out)
                return -EIO;
            memcpy(dst + out, src + in, n);
            in += n;
            out += n;
        } else {
            size_t n = (size_t)c - 125;
            if (in >= srclen || n > len - out)
                return -EIO;
            memset(dst + out, src[in++], n);
            out += n;
        }
    }
    /* Only skippable frames may follow (the padding). */
    while (in < srclen) {
        if (srclen - in < 8 || (get_le32(src + in) & 0xfffffff0u) != MFS_SKIPPABLE_MAGIC)
            return -EIO;
        uint32_t size = get_le32(src + in + 4);
        if (size > srclen - in - 8)
            return -EIO;
        in += 8 + (size_t)size;
    }
    return 0;
}

/* ---- the interface ---- */

size_t mfs_encode(int alg, int level, const void *src, size_t len, void *dst, size_t cap)
{
    if (alg == MFS_COMP_RLE)
        return rle_encode(src, len, dst, cap);
    long r = -1;
    mutex_lock(&enc_lock);
    if (alg == MFS_COMP_LZ4) {
        struct lz4_frame_params p = {
            .level = level > LZ4_LEVEL_MAX ? LZ4_LEVEL_MAX : level, /* 0 = fast */
            .block_size_id = 5,    /* 256 KiB: a whole cluster in one block */
            .content_checksum = true,
            .content_size = true,
        };
        if (workspace(&enc_ws, &enc_ws_size, lz4_compress_workspace_size(p.level)) == 0)
            r = lz4_frame_compress(dst, cap, src, len, &p, enc_ws);
    } else if (alg == MFS_COMP_ZSTD) {
        if (level < ZSTD_LEVEL_MIN || level > ZSTD_LEVEL_MAX)
            level = ZSTD_LEVEL_DEFAULT;
        size_t need = zstd_compress_workspace_size(level, len);
        if (workspace(&enc_ws, &enc_ws_size, need) == 0)
            r = zstd_compress(dst, cap, src, len, level, enc_ws, enc_ws_size);
    }
    mutex_unlock(&enc_lock);
    return r > 0 ? (size_t)r : 0;
}

int mfs_decode(int alg, const void *src, size_t srclen, void *dst, size_t len)
{
    if (alg == MFS_COMP_RLE)
        return rle_decode(src, srclen, dst, len);
    long r = -1;
    if (alg == MFS_COMP_LZ4) {
        r = lz4_frame_decompress(dst, len, src, srclen); /* no workspace */
    } else if (alg == MFS_COMP_ZSTD) {
        mutex_lock(&dec_lock);
        if (workspace(&dec_ws, &dec_ws_size, zstd_decompress_workspace_size()) == 0)
            r = zstd_decompress(dst, len, src, srclen, dec_ws, dec_ws_size);
        mutex_unlock(&dec_lock);
    }
    return r >= 0 && (size_t)r == len ? 0 : -EIO;
}

size_t mfs_frame_pad(void *frame, size_t frame_len, size_t cap)
{
    size_t padded = (frame_len + 8 + MFS_BLOCK_SIZE - 1) / MFS_BLOCK_SIZE * MFS_BLOCK_SIZE;
    if (padded > cap)
        return 0;
    uint8_t *p = (uint8_t *)frame + frame_len;
    put_le32(p, MFS_SKIPPABLE_MAGIC);
    put_le32(p + 4, (uint32_t)(padded - frame_len - 8));
    memset(p + 8, 0, padded - frame_len - 8);
    return padded;
}

const char *mfs_comp_name(int alg)
{
    static const char *const names[] = {"none", "rle", "lz4", "zstd"};
    return alg >= 0 && alg <= MFS_COMP_MAX ? names[alg] : "unknown";
}
