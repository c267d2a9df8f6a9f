/*
 * mfslib: image access, inodes, block mapping, directories and cluster
 * codecs for the MFS host tools. Nothing here trusts the image: every block
 * number and length read from it is checked before it is used.
 */
#include "mfslib.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

int mfs_open(struct mfs_img *img, const char *path, enum mfs_open_mode mode)
{
    memset(img, 0, sizeof(*img));
    img->path = path;
    img->fd = open(path, mode == MFS_OPEN_RW ? O_RDWR : O_RDONLY);
    if (img->fd < 0) {
        fprintf(stderr, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(img->fd, &st) < 0 || st.st_size < (off_t)MFS_BLOCK_SIZE) {
        fprintf(stderr, "%s: too small to hold an MFS superblock\n", path);
        close(img->fd);
        return -1;
    }
    img->len = (size_t)st.st_size;
    int prot = mode == MFS_OPEN_RO ? PROT_READ : PROT_READ | PROT_WRITE;
    int flags = mode == MFS_OPEN_RW ? MAP_SHARED : MAP_PRIVATE;
    img->base = mmap(NULL, img->len, prot, flags, img->fd, 0);
    if (img->base == MAP_FAILED) {
        fprintf(stderr, "%s: cannot map: %s\n", path, strerror(errno));
        close(img->fd);
        return -1;
    }
    img->sb = (struct mfs_super *)img->base;
    return 0;
}

void mfs_close(struct mfs_img *img)
{
    if (img->base && img->base != MAP_FAILED) {
        msync(img->base, img->len, MS_SYNC);
        munmap(img->base, img->len);
    }
    if (img->fd >= 0)
        close(img->fd);
    img->base = NULL;
    img->fd = -1;
}

static uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint32_t mfs_bitmap_count(const struct mfs_super *s)
{
    return s->ibitmap_blocks + s->bbitmap_blocks;
}

uint32_t mfs_bitmap_block_no(const struct mfs_super *s, uint32_t i)
{
    return i < s->ibitmap_blocks ? s->ibitmap_start + i : s->bbitmap_start + (i - s->ibitmap_blocks);
}

uint32_t mfs_bitmap_block_crc(const struct mfs_img *img, uint32_t i)
{
    const uint8_t *b = mfs_block(img, mfs_bitmap_block_no(img->sb, i));
    return b ? mfs_crc32c(0, b, MFS_BLOCK_SIZE) : 0;
}

void mfs_bitmaps_seal(struct mfs_img *img)
{
    uint32_t n = mfs_bitmap_count(img->sb);
    for (uint32_t i = 0; i < n && i < MFS_BITMAP_CRC_MAX; i++)
        img->sb->bitmap_crc[i] = mfs_bitmap_block_crc(img, i);
}

const char *mfs_super_problem(const struct mfs_img *img)
{
    const struct mfs_super *s = img->sb;
    if (s->magic != MFS_MAGIC)
        return "bad magic (not an MFS image)";
    if (s->checksum != mfs_super_checksum(s))
        return "bad superblock checksum";
    if (s->version != MFS_VERSION)
        return "unknown version";
    if (s->block_size != MFS_BLOCK_SIZE)
        return "block_size is not 4096";
    if (s->inode_size != sizeof(struct mfs_inode))
        return "inode_size is not 256";
    if (s->feature_incompat & ~MFS_FEAT_INCOMPAT_KNOWN)
        return "unknown incompatible features";
    if (s->total_blocks > MFS_MAX_BLOCKS || s->total_blocks < 8)
        return "total_blocks out of range";
    if ((uint64_t)s->total_blocks * MFS_BLOCK_SIZE > img->len)
        return "total_blocks is larger than the image";
    if (s->inode_count < 2)
        return "inode_count out of range";
    if (s->journal_start < 1 || s->journal_blocks < 2 ||
        s->ibitmap_start != s->journal_start + s->journal_blocks ||
        s->bbitmap_start != s->ibitmap_start + s->ibitmap_blocks ||
        s->itable_start != s->bbitmap_start + s->bbitmap_blocks ||
        s->data_start != s->itable_start + s->itable_blocks)
        return "the regions (journal, bitmaps, inode table, data) do not follow each other";
    if ((uint64_t)s->journal_start + s->journal_blocks > s->total_blocks ||
        (uint64_t)s->data_start >= s->total_blocks)
        return "data_start is beyond the end of the file system";
    if ((uint64_t)s->ibitmap_blocks * MFS_BLOCK_SIZE * 8 < s->inode_count ||
        s->ibitmap_blocks != div_up(s->inode_count, MFS_BLOCK_SIZE * 8))
        return "ibitmap_blocks does not match inode_count";
    if (s->bbitmap_blocks != div_up(s->total_blocks, MFS_BLOCK_SIZE * 8))
        return "bbitmap_blocks does not match total_blocks";
    if ((uint64_t)s->ibitmap_blocks + s->bbitmap_blocks > MFS_BITMAP_CRC_MAX)
        return "the bitmaps have more blocks than the superblock has checksums for";
    if (s->itable_blocks != div_up(s->inode_count, MFS_INODES_PER_BLOCK))
        return "itable_blocks does not match inode_count";
    if (s->root_ino != MFS_ROOT_INO)
        return "root_ino is not 1";
    if (s->state != MFS_STATE_CLEAN && s->state != MFS_STATE_DIRTY)
        return "unknown state";
    return NULL;
}

uint8_t *mfs_block(const struct mfs_img *img, uint32_t b)
{
    if (b >= img->sb->total_blocks || ((uint64_t)b + 1) * MFS_BLOCK_SIZE > img->len)
        return NULL;
    return img->base + (uint64_t)b * MFS_BLOCK_SIZE;
}

int mfs_data_block_ok(const struct mfs_img *img, uint32_t b)
{
    return b >= img->sb->data_start && b < img->sb->total_blocks;
}

struct mfs_inode *mfs_inode_at(const struct mfs_img *img, uint32_t ino)
{
    if (ino == 0 || ino >= img->sb->inode_count)
        return NULL;
    uint8_t *blk = mfs_block(img, img->sb->itable_start + ino / MFS_INODES_PER_BLOCK);
    if (!blk)
        return NULL;
    return (struct mfs_inode *)(blk + (ino % MFS_INODES_PER_BLOCK) * sizeof(struct mfs_inode));
}

void mfs_inode_seal(uint32_t ino, struct mfs_inode *d) { d->checksum = mfs_inode_checksum(ino, d); }

int mfs_inode_checksum_ok(uint32_t ino, const struct mfs_inode *d)
{
    return d->checksum == mfs_inode_checksum(ino, d);
}

uint32_t *mfs_bmap_slot(const struct mfs_img *img, struct mfs_inode *d, uint64_t lblk, int *err)
{
    *err = 0;
    if (lblk < MFS_NDIRECT)
        return &d->ptr[lblk];
    lblk -= MFS_NDIRECT;
    uint32_t ind;
    if (lblk < MFS_PTRS_PER_BLOCK) {
        ind = d->ptr[MFS_IND];
    } else {
        lblk -= MFS_PTRS_PER_BLOCK;
        if (lblk >= (uint64_t)MFS_PTRS_PER_BLOCK * MFS_PTRS_PER_BLOCK) {
            *err = 1;
            return NULL;
        }
        uint32_t dind = d->ptr[MFS_DIND];
        if (dind == 0)
            return NULL;
        if (!mfs_data_block_ok(img, dind)) {
            *err = 1;
            return NULL;
        }
        ind = ((uint32_t *)mfs_block(img, dind))[lblk / MFS_PTRS_PER_BLOCK];
        lblk %= MFS_PTRS_PER_BLOCK;
    }
    if (ind == 0)
        return NULL;
    if (!mfs_data_block_ok(img, ind)) {
        *err = 1;
        return NULL;
    }
    return &((uint32_t *)mfs_block(img, ind))[lblk];
}

int mfs_is_compressed(const struct mfs_inode *d)
{
    return (d->mode & S_IFMT) == S_IFREG && d->comp_alg != MFS_COMP_NONE;
}

uint32_t mfs_cluster_blocks(const struct mfs_inode *d)
{
    if (!mfs_is_compressed(d) || d->cluster_shift < MFS_CLUSTER_SHIFT_MIN ||
        d->cluster_shift > MFS_CLUSTER_SHIFT_MAX)
        return 1;
    return 1u << (d->cluster_shift - MFS_BLOCK_SHIFT);
}

/* ---- codecs ---- */

static long rle_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t cap)
{
    struct mfs_rle_header h;
    if (srclen < sizeof(h))
        return -1;
    memcpy(&h, src, sizeof(h));
    if (h.magic != MFS_RLE_MAGIC || h.length > cap)
        return -1;
    size_t in = sizeof(h), out = 0;
    while (out < h.length) {
        if (in >= srclen)
            return -1;
        uint8_t c = src[in++];
        if (c < 128) {
            size_t n = (size_t)c + 1;
            if (n > srclen - in || n > h.length - out)
                return -1;
            memcpy(dst + out, src + in, n);
            in += n;
            out += n;
        } else {
            size_t n = (size_t)c - 125;
            if (in >= srclen || n > h.length - out)
                return -1;
            memset(dst + out, src[in++], n);
            out += n;
        }
    }
    /* What follows must be skippable frames only (the padding). */
    while (in < srclen) {
        uint32_t magic, size;
        if (srclen - in < 8)
            return -1;
        memcpy(&magic, src + in, 4);
        memcpy(&size, src + in + 4, 4);
        if ((magic & 0xfffffff0u) != MFS_SKIPPABLE_MAGIC || size > srclen - in - 8)
            return -1;
        in += 8 + (size_t)size;
    }
    return (long)out;
}

static long lz4_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t cap)
{
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return -1;
    size_t in = 0, out = 0, hint = 1;
    while (in < srclen) {
        size_t dsz = cap - out, ssz = srclen - in;
        hint = LZ4F_decompress(dctx, dst + out, &dsz, src + in, &ssz, NULL);
        if (LZ4F_isError(hint) || (ssz == 0 && dsz == 0)) {
            hint = 1;
            break;
        }
        in += ssz;
        out += dsz;
    }
    LZ4F_freeDecompressionContext(dctx);
    /* hint == 0: the last frame ended exactly at the end of the input. */
    return hint == 0 && in == srclen ? (long)out : -1;
}

long mfs_decode_frame(int alg, const uint8_t *src, size_t srclen, uint8_t *dst, size_t cap)
{
    switch (alg) {
    case MFS_COMP_RLE:
        return rle_decode(src, srclen, dst, cap);
    case MFS_COMP_LZ4:
        return lz4_decode(src, srclen, dst, cap);
    case MFS_COMP_ZSTD: {
        size_t r = ZSTD_decompress(dst, cap, src, srclen);
        return ZSTD_isError(r) ? -1 : (long)r;
    }
    default:
        return -1;
    }
}

static size_t rle_encode(const uint8_t *src, size_t len, uint8_t *dst)
{
    struct mfs_rle_header h = {MFS_RLE_MAGIC, (uint32_t)len};
    memcpy(dst, &h, sizeof(h));
    size_t out = sizeof(h), i = 0, lit_start = 0;
    while (i <= len) {
        size_t run = 1;
        while (i < len && i + run < len && src[i + run] == src[i] && run < 130)
            run++;
        if (i == len || run >= 3) {
            /* Flush pending literals in pieces of at most 128. */
            while (lit_start < i) {
                size_t n = i - lit_start < 128 ? i - lit_start : 128;
                dst[out++] = (uint8_t)(n - 1);
                memcpy(dst + out, src + lit_start, n);
                out += n;
                lit_start += n;
            }
            if (i == len)
                break;
            dst[out++] = (uint8_t)(run + 125);
            dst[out++] = src[i];
            i += run;
            lit_start = i;
        } else {
            i++;
        }
    }
    return out;
}

size_t mfs_encode_bound(size_t len)
{
    size_t b = ZSTD_compressBound(len);
    size_t l = LZ4F_compressFrameBound(len, NULL) + 64;
    size_t r = len + len / 128 + 16;
    if (l > b)
        b = l;
    if (r > b)
        b = r;
    return b + 2 * MFS_BLOCK_SIZE;
}

size_t mfs_encode_cluster(int alg, int level, const uint8_t *src, size_t len, uint8_t *dst, size_t cap)
{
    size_t n;
    if (alg == MFS_COMP_RLE) {
        if (cap < len + len / 128 + 16)
            return 0;
        n = rle_encode(src, len, dst);
    } else if (alg == MFS_COMP_LZ4) {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof(prefs));
        prefs.frameInfo.contentSize = len;
        prefs.compressionLevel = level;
        n = LZ4F_compressFrame(dst, cap, src, len, &prefs);
        if (LZ4F_isError(n))
            return 0;
    } else if (alg == MFS_COMP_ZSTD) {
        n = ZSTD_compress(dst, cap, src, len, level ? level : ZSTD_CLEVEL_DEFAULT);
        if (ZSTD_isError(n))
            return 0;
    } else {
        return 0;
    }
    /* Pad with a skippable frame; its 8-byte header must fit. */
    size_t padded = (n + 8 + MFS_BLOCK_SIZE - 1) / MFS_BLOCK_SIZE * MFS_BLOCK_SIZE;
    size_t raw = (len + MFS_BLOCK_SIZE - 1) / MFS_BLOCK_SIZE * MFS_BLOCK_SIZE;
    if (padded >= raw || padded > cap)
        return 0;
    uint32_t magic = MFS_SKIPPABLE_MAGIC, size = (uint32_t)(padded - n - 8);
    memcpy(dst + n, &magic, 4);
    memcpy(dst + n + 4, &size, 4);
    memset(dst + n + 8, 0, size);
    return padded;
}

/* ---- file contents ---- */

int mfs_read_file(const struct mfs_img *img, struct mfs_inode *d, uint8_t **out, const char **why)
{
    uint64_t size = d->size;
    if (size > MFS_MAX_FILE_BLOCKS * MFS_BLOCK_SIZE || size > ((uint64_t)img->sb->total_blocks << 20)) {
        *why = "size is impossibly large";
        return -1;
    }
    uint8_t *buf = calloc(1, size + 1);
    if (!buf) {
        *why = "out of memory";
        return -1;
    }
    uint32_t cb = mfs_cluster_blocks(d);
    uint64_t cbytes = (uint64_t)cb * MFS_BLOCK_SIZE;
    uint8_t *frame = mfs_is_compressed(d) ? malloc(cbytes) : NULL;
    uint64_t nblocks = (size + MFS_BLOCK_SIZE - 1) / MFS_BLOCK_SIZE;
    for (uint64_t c = 0; c * cb < nblocks; c++) {
        uint64_t first = c * cb;
        uint64_t clen = size - first * MFS_BLOCK_SIZE < cbytes ? size - first * MFS_BLOCK_SIZE : cbytes;
        int err;
        uint32_t *slot = mfs_bmap_slot(img, d, first, &err);
        if (err) {
            *why = "an indirect block pointer is outside the data area";
            goto fail;
        }
        if (mfs_is_compressed(d) && slot && (*slot & MFS_BP_FRAME)) {
            uint32_t k = 0;
            for (; k < cb; k++) {
                uint32_t *s = mfs_bmap_slot(img, d, first + k, &err);
                if (err || !s || !(*s & MFS_BP_FRAME))
                    break;
                uint32_t b = MFS_BP_BLOCK(*s);
                if (!mfs_data_block_ok(img, b)) {
                    *why = "a frame block pointer is outside the data area";
                    goto fail;
                }
                memcpy(frame + (uint64_t)k * MFS_BLOCK_SIZE, mfs_block(img, b), MFS_BLOCK_SIZE);
            }
            if (k == cb) {
                *why = "a compressed cluster has no block to spare (k == cluster blocks)";
                goto fail;
            }
            long n = mfs_decode_frame(d->comp_alg, frame, (size_t)k * MFS_BLOCK_SIZE,
                                      buf + first * MFS_BLOCK_SIZE, clen);
            if (n != (long)clen) {
                *why = "a compressed cluster's frame does not decode to the cluster's length";
                goto fail;
            }
            continue;
        }
        for (uint64_t i = first; i < first + cb && i < nblocks; i++) {
            uint32_t *s = mfs_bmap_slot(img, d, i, &err);
            if (err) {
                *why = "an indirect block pointer is outside the data area";
                goto fail;
            }
            if (!s || *s == 0)
                continue;
            if ((*s & MFS_BP_FLAGS) || !mfs_data_block_ok(img, *s)) {
                *why = "a block pointer is outside the data area";
                goto fail;
            }
            uint64_t n = size - i * MFS_BLOCK_SIZE < MFS_BLOCK_SIZE ? size - i * MFS_BLOCK_SIZE : MFS_BLOCK_SIZE;
            memcpy(buf + i * MFS_BLOCK_SIZE, mfs_block(img, *s), n);
        }
    }
    free(frame);
    *out = buf;
    return 0;
fail:
    free(frame);
    free(buf);
    return -1;
}

/* ---- directories ---- */

uint8_t mfs_mode_to_dtype(uint16_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFIFO: return 1;
    case S_IFCHR: return 2;
    case S_IFDIR: return 4;
    case S_IFBLK: return 6;
    case S_IFREG: return 8;
    case S_IFLNK: return 10;
    case S_IFSOCK: return 12;
    default: return 0;
    }
}

const char *mfs_dirent_problem(const struct mfs_img *img, const uint8_t *blk, uint32_t off)
{
    struct mfs_dirent e;
    if (off + MFS_DIRENT_HEADER > MFS_BLOCK_SIZE)
        return "entry header crosses the block end";
    memcpy(&e, blk + off, MFS_DIRENT_HEADER);
    if (e.rec_len < MFS_DIRENT_HEADER || e.rec_len % 8 || off + e.rec_len > MFS_BLOCK_SIZE)
        return "bad rec_len";
    if (e.ino == 0)
        return off == 0 ? NULL : "unused entry that is not the first of its block";
    if (e.name_len == 0 || e.rec_len < MFS_DIRENT_LEN(e.name_len))
        return "bad name_len";
    if (e.ino >= img->sb->inode_count)
        return "inode number out of range";
    const char *name = (const char *)blk + off + MFS_DIRENT_HEADER;
    if (memchr(name, '/', e.name_len) || memchr(name, 0, e.name_len))
        return "name holds '/' or NUL";
    if ((e.name_len == 1 && name[0] == '.') || (e.name_len == 2 && name[0] == '.' && name[1] == '.'))
        return "'.' or '..' stored as an entry";
    return NULL;
}

int mfs_dir_iterate(const struct mfs_img *img, struct mfs_inode *d,
                    int (*fn)(const struct mfs_dirent_view *e, void *ctx), void *ctx, const char **why)
{
    if ((d->mode & S_IFMT) != S_IFDIR) {
        *why = "not a directory";
        return -1;
    }
    uint64_t nblocks = d->size / MFS_BLOCK_SIZE;
    for (uint64_t i = 0; i < nblocks; i++) {
        int err;
        uint32_t *slot = mfs_bmap_slot(img, d, i, &err);
        if (err || !slot || !mfs_data_block_ok(img, *slot)) {
            *why = "a directory block pointer is missing or outside the data area";
            return -1;
        }
        const uint8_t *blk = mfs_block(img, *slot);
        for (uint32_t off = 0; off < MFS_BLOCK_SIZE;) {
            const char *p = mfs_dirent_problem(img, blk, off);
            if (p) {
                *why = p;
                return -1;
            }
            struct mfs_dirent e;
            memcpy(&e, blk + off, MFS_DIRENT_HEADER);
            if (e.ino) {
                struct mfs_dirent_view v = {e.ino, e.type, e.name_len, (const char *)blk + off + 8};
                int r = fn(&v, ctx);
                if (r)
                    return r;
            }
            off += e.rec_len;
        }
    }
    return 0;
}

struct lookup_ctx {
    const char *name;
    size_t len;
    uint32_t ino;
};

static int lookup_fn(const struct mfs_dirent_view *e, void *ctx)
{
    struct lookup_ctx *l = ctx;
    if (e->name_len == l->len && memcmp(e->name, l->name, l->len) == 0) {
        l->ino = e->ino;
        return 1;
    }
    return 0;
}

int mfs_lookup(const struct mfs_img *img, const char *path, uint32_t *ino, const char **why)
{
    uint32_t cur = MFS_ROOT_INO;
    if (path[0] != '/') {
        *why = "the path must be absolute";
        return -1;
    }
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *end = strchrnul(p, '/');
        struct mfs_inode *d = mfs_inode_at(img, cur);
        if (!d || !mfs_inode_checksum_ok(cur, d)) {
            *why = "an inode on the path is corrupt";
            return -1;
        }
        if ((d->mode & S_IFMT) != S_IFDIR) {
            *why = "not a directory";
            return -1;
        }
        if (end - p == 1 && p[0] == '.') {
            p = end;
            continue;
        }
        if (end - p == 2 && p[0] == '.' && p[1] == '.') {
            cur = d->parent;
            p = end;
            continue;
        }
        struct lookup_ctx l = {p, (size_t)(end - p), 0};
        int r = mfs_dir_iterate(img, d, lookup_fn, &l, why);
        if (r < 0)
            return -1;
        if (r == 0) {
            *why = "no such file or directory";
            return -1;
        }
        cur = l.ino;
        p = end;
    }
    struct mfs_inode *d = mfs_inode_at(img, cur);
    if (!d || !mfs_inode_checksum_ok(cur, d) || d->mode == 0) {
        *why = "the inode is corrupt or free";
        return -1;
    }
    *ino = cur;
    return 0;
}

const char *mfs_alg_name(int alg)
{
    static const char *names[] = {"none", "rle", "lz4", "zstd"};
    return alg >= 0 && alg <= MFS_COMP_MAX ? names[alg] : "unknown";
}

const char *mfs_alg_ext(int alg)
{
    static const char *ext[] = {"raw", "rle", "lz4", "zst"};
    return alg >= 0 && alg <= MFS_COMP_MAX ? ext[alg] : "bin";
}
