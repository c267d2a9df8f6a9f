/*
 * ktest mfs_codec: each codec round-trips text, zeros and random bytes
 * through a padded frame; garbage, truncated and bit-flipped frames give
 * -EIO (or, without a checksum, other bytes), never a crash; the RLE frame
 * is byte for byte what mfs_format.h specifies.
 */
#include "fs/mfs/mfs.h"
#include "fs/mfs/cluster.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "test/ktest.h"

#define LEN (64 * 1024)
#define CAP (LEN + 2 * MFS_BLOCK_SIZE)

static uint64_t rng = 88172645463325252ull;
static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill(uint8_t *p, size_t n, int kind)
{
    static const char text[] = "The quick brown fox jumps over the lazy dog; MFS keeps clusters in frames. ";
    for (size_t i = 0; i < n; i++)
        p[i] = kind == 0 ? (uint8_t)text[i % (sizeof text - 1)] : kind == 1 ? 0 : (uint8_t)next_random();
}

static const char *round_trips(uint8_t *src, uint8_t *frame, uint8_t *out)
{
    static const size_t lens[] = {1, 100, 4096, 5000, LEN};
    for (int alg = MFS_COMP_RLE; alg <= MFS_COMP_MAX; alg++)
        for (int kind = 0; kind < 3; kind++)
            for (unsigned l = 0; l < sizeof lens / sizeof lens[0]; l++) {
                size_t len = lens[l];
                fill(src, len, kind);
                size_t n = mfs_encode(alg, 0, src, len, frame, CAP);
                KT_CHECK(n > 0, "%s could not encode %lu bytes of kind %d", mfs_comp_name(alg), len, kind);
                size_t padded = mfs_frame_pad(frame, n, CAP);
                KT_CHECK(padded % MFS_BLOCK_SIZE == 0 && padded >= n + 8, "bad padding %lu for %lu", padded, n);
                memset(out, 0xaa, LEN);
                int r = mfs_decode(alg, frame, padded, out, len);
                KT_CHECK(r == 0, "%s: decoding %lu bytes of kind %d gave %d", mfs_comp_name(alg), len, kind, r);
                KT_CHECK(memcmp(src, out, len) == 0, "%s: %lu bytes of kind %d came back different",
                         mfs_comp_name(alg), len, kind);
                KT_CHECK(mfs_decode(alg, frame, padded, out, len - 1) == -EIO,
                         "%s: a wrong length was accepted", mfs_comp_name(alg));
                if (kind == 1 && len == LEN)
                    KT_CHECK(padded <= MFS_BLOCK_SIZE, "%s: 64 KiB of zeros took %lu bytes", mfs_comp_name(alg), n);
            }
    return KT_OK;
}

static const char *garbage(uint8_t *src, uint8_t *frame, uint8_t *out)
{
    for (int alg = MFS_COMP_RLE; alg <= MFS_COMP_MAX; alg++) {
        /* Not a frame at all. */
        fill(frame, CAP, 2);
        KT_CHECK(mfs_decode(alg, frame, 2 * MFS_BLOCK_SIZE, out, LEN) == -EIO, "%s took random bytes",
                 mfs_comp_name(alg));
        memset(frame, 0, 2 * MFS_BLOCK_SIZE);
        KT_CHECK(mfs_decode(alg, frame, 2 * MFS_BLOCK_SIZE, out, LEN) == -EIO, "%s took zeros", mfs_comp_name(alg));
        /* A good frame cut short, and one with a garbage tail instead of padding. */
        fill(src, LEN, 0);
        size_t n = mfs_encode(alg, 0, src, LEN, frame, CAP);
        KT_CHECK(n > 16, "%s could not encode text", mfs_comp_name(alg));
        KT_CHECK(mfs_decode(alg, frame, n / 2, out, LEN) == -EIO, "%s took a truncated frame", mfs_comp_name(alg));
        memset(frame + n, 0x5a, 64);
        KT_CHECK(mfs_decode(alg, frame, n + 64, out, LEN) == -EIO, "%s took a garbage tail", mfs_comp_name(alg));
        /* Bit flips: whatever comes out, nothing crashes and the bounds hold. */
        for (int t = 0; t < 200; t++) {
            n = mfs_encode(alg, 0, src, LEN, frame, CAP);
            for (int k = 0; k < 1 + t % 4; k++)
                frame[next_random() % n] ^= (uint8_t)(1u << (next_random() % 8));
            int r = mfs_decode(alg, frame, n, out, LEN);
            KT_CHECK(r == 0 || r == -EIO, "%s returned %d on a damaged frame", mfs_comp_name(alg), r);
            if (alg != MFS_COMP_RLE && r == 0) /* checksummed: the content must be right */
                KT_CHECK(memcmp(out, src, LEN) == 0, "%s: a damaged frame decoded to wrong data",
                         mfs_comp_name(alg));
        }
    }
    return KT_OK;
}

/* The RLE frame exactly as mfs_format.h lays it out. */
static const char *rle_layout(uint8_t *src, uint8_t *frame, uint8_t *out)
{
    memcpy(src, "aaaaabc", 7);
    size_t n = mfs_encode(MFS_COMP_RLE, 0, src, 7, frame, CAP);
    static const uint8_t want[] = {'R', 'L', 'E', '1', 7, 0, 0, 0, 130, 'a', 1, 'b', 'c'};
    KT_CHECK(n == sizeof want && memcmp(frame, want, n) == 0, "RLE of \"aaaaabc\" is not as specified (%lu bytes)", n);
    size_t padded = mfs_frame_pad(frame, n, CAP);
    KT_CHECK(padded == MFS_BLOCK_SIZE, "padded to %lu", padded);
    static const uint8_t skip[] = {0x50, 0x2a, 0x4d, 0x18};
    KT_CHECK(memcmp(frame + n, skip, 4) == 0, "the padding does not start with the skippable magic");
    uint32_t sz = frame[n + 4] | frame[n + 5] << 8 | frame[n + 6] << 16 | (uint32_t)frame[n + 7] << 24;
    KT_CHECK(sz == MFS_BLOCK_SIZE - n - 8, "skippable frame size %u", sz);
    /* Longest runs and literal pieces: 300 x 'z' then 200 distinct-ish bytes. */
    memset(src, 'z', 300);
    for (int i = 0; i < 200; i++)
        src[300 + i] = (uint8_t)i;
    n = mfs_encode(MFS_COMP_RLE, 0, src, 500, frame, CAP);
    KT_CHECK(frame[8] == 255 && frame[9] == 'z' && frame[10] == 255 && frame[12] == 165 && frame[13] == 'z',
             "runs are not split 130 + 130 + 40");
    KT_CHECK(frame[14] == 127 && frame[14 + 129] == 71 && n == 14 + 129 + 73, "literals not split 128 + 72");
    KT_CHECK(mfs_decode(MFS_COMP_RLE, frame, n, out, 500) == 0 && memcmp(out, src, 500) == 0, "decode");
    /* A frame ending exactly on a block boundary takes a whole extra block of padding. */
    KT_CHECK(mfs_frame_pad(frame, MFS_BLOCK_SIZE, CAP) == 2 * MFS_BLOCK_SIZE, "no room for the skippable header");
    KT_CHECK(mfs_frame_pad(frame, MFS_BLOCK_SIZE - 7, CAP) == 2 * MFS_BLOCK_SIZE, "7 bytes of padding");
    KT_CHECK(mfs_frame_pad(frame, MFS_BLOCK_SIZE - 8, CAP) == MFS_BLOCK_SIZE, "8 bytes of padding");
    return KT_OK;
}

KTEST(mfs_codec)
{
    uint8_t *src = kmalloc(CAP), *frame = kmalloc(CAP), *out = kmalloc(CAP);
    const char *err = "no memory for the buffers";
    if (src && frame && out && !(err = rle_layout(src, frame, out)) && !(err = round_trips(src, frame, out)))
        err = garbage(src, frame, out);
    kfree(src);
    kfree(frame);
    kfree(out);
    return err;
}
