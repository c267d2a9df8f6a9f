/*
 * mfslib: what mkfs.mfs, fsck.mfs, mfs and corrupt-image share. An image is
 * mapped whole into memory (mmap), so a block is a pointer; the on-disk
 * structures come from the kernel's own header, kernel/fs/mfs/mfs_format.h.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "fs/mfs/mfs_format.h"

struct mfs_img {
    const char *path;
    int fd;
    uint8_t *base;       /* the mapped image */
    size_t len;          /* its length in bytes */
    struct mfs_super *sb;
};

/* How to map an image: read only, private copy-on-write (changes stay in memory), or shared. */
enum mfs_open_mode { MFS_OPEN_RO, MFS_OPEN_PRIVATE, MFS_OPEN_RW };

/* Map IMAGE; returns 0, or -1 after printing why (it cannot be opened or holds no superblock). */
int mfs_open(struct mfs_img *img, const char *path, enum mfs_open_mode mode);
void mfs_close(struct mfs_img *img);

/* A sanity check of the superblock fields the readers rely on: NULL if fine, else why not. */
const char *mfs_super_problem(const struct mfs_img *img);

/* Block b of the image, or NULL when b lies outside the file system or the file. */
uint8_t *mfs_block(const struct mfs_img *img, uint32_t b);
/* Is b a block a file may point at (a data block)? */
int mfs_data_block_ok(const struct mfs_img *img, uint32_t b);

/* Inode ino's slot in the inode table (NULL if ino is out of range). */
struct mfs_inode *mfs_inode_at(const struct mfs_img *img, uint32_t ino);
/* Recompute an inode's checksum after changing it. */
void mfs_inode_seal(uint32_t ino, struct mfs_inode *d);
int mfs_inode_checksum_ok(uint32_t ino, const struct mfs_inode *d);

/*
 * Bitmap checksums: bitmap block i (inode-bitmap blocks first, then
 * block-bitmap blocks, as in bitmap_crc[]) and its CRC as the image holds it.
 */
uint32_t mfs_bitmap_count(const struct mfs_super *s);
uint32_t mfs_bitmap_block_no(const struct mfs_super *s, uint32_t i);
uint32_t mfs_bitmap_block_crc(const struct mfs_img *img, uint32_t i);
/* Store every bitmap block's CRC in the superblock (then reseal the superblock itself). */
void mfs_bitmaps_seal(struct mfs_img *img);

/* Bitmap helpers (bit i of a little-endian bit array). */
static inline int mfs_bit_get(const uint8_t *map, uint64_t i) { return (map[i >> 3] >> (i & 7)) & 1; }
static inline void mfs_bit_set(uint8_t *map, uint64_t i) { map[i >> 3] |= (uint8_t)(1u << (i & 7)); }
static inline void mfs_bit_clear(uint8_t *map, uint64_t i) { map[i >> 3] &= (uint8_t)~(1u << (i & 7)); }

/*
 * The pointer slot of logical block lblk of inode d (NULL if an indirect
 * block on the way is a hole or out of range: *err is set to 1 for the
 * latter). The slot's value may carry MFS_BP_FRAME.
 */
uint32_t *mfs_bmap_slot(const struct mfs_img *img, struct mfs_inode *d, uint64_t lblk, int *err);

/*
 * Read a file's contents (decompressing clusters) into a malloc'd buffer;
 * returns 0, or -1 with *why set to a sentence.
 */
int mfs_read_file(const struct mfs_img *img, struct mfs_inode *d, uint8_t **out, const char **why);

/* Logical blocks per cluster of a compressed inode (1 for an uncompressed one). */
uint32_t mfs_cluster_blocks(const struct mfs_inode *d);
/* Is this a compressed regular file? */
int mfs_is_compressed(const struct mfs_inode *d);

/*
 * Decode one cluster's frame blocks (src, srclen bytes) with alg into dst
 * (cap bytes); returns the decoded length or -1 (the frame is bad, or
 * decodes to more than cap bytes).
 */
long mfs_decode_frame(int alg, const uint8_t *src, size_t srclen, uint8_t *dst, size_t cap);
/*
 * Encode len bytes with alg/level into dst as one frame padded to a whole
 * number of blocks with a skippable frame; returns the padded length (a
 * multiple of 4096), or 0 when the result would not save a block over raw.
 */
size_t mfs_encode_cluster(int alg, int level, const uint8_t *src, size_t len, uint8_t *dst, size_t cap);
/* Bytes dst must hold for mfs_encode_cluster of len bytes. */
size_t mfs_encode_bound(size_t len);

/* Directory entries. */
struct mfs_dirent_view {
    uint32_t ino;
    uint8_t type;
    uint8_t name_len;
    const char *name;   /* not NUL-terminated */
};
/*
 * Call fn for each in-use entry of directory d; stop at the first bad block
 * or entry (returns -1 with *why set) or when fn returns non-zero (returns
 * that value). Returns 0 after the last entry.
 */
int mfs_dir_iterate(const struct mfs_img *img, struct mfs_inode *d,
                    int (*fn)(const struct mfs_dirent_view *e, void *ctx), void *ctx, const char **why);
/* The structural problem of the entry at off in a directory block, or NULL if it is well-formed. */
const char *mfs_dirent_problem(const struct mfs_img *img, const uint8_t *blk, uint32_t off);

/* Resolve an absolute path (symlinks are not followed); 0 and *ino, or -1 with *why. */
int mfs_lookup(const struct mfs_img *img, const char *path, uint32_t *ino, const char **why);

/* DT_* type of a mode, and a name for an algorithm. */
uint8_t mfs_mode_to_dtype(uint16_t mode);
const char *mfs_alg_name(int alg);
/* Frame file extension for `mfs frames`: lz4, zst, rle. */
const char *mfs_alg_ext(int alg);
