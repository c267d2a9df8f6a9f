/*
 * MFS on disk: the one header the kernel and the host tools (mkfs.mfs,
 * fsck.mfs, mfs) share. docs/mfs-format.md draws the picture; this file is
 * the truth. Everything is little-endian (x86_64 and the host agree), sizes
 * are fixed-width, and no structure has padding the compiler chooses.
 *
 * Layout, in 4 KiB blocks:
 *
 *   0                superblock (the first 512 bytes used, the rest zero)
 *   journal_start    journal: a header block, then journal_blocks - 1 log blocks
 *   ibitmap_start    inode bitmap   (bit i = inode i in use; inode 0 is never used)
 *   bbitmap_start    block bitmap   (bit b = block b in use; every block before
 *                                    data_start is marked in use)
 *   itable_start     inode table    (MFS_INODES_PER_BLOCK inodes per block)
 *   data_start ...   data blocks: file contents, directory blocks,
 *                    indirect blocks, long symlink targets
 *
 * Checksums: the superblock, every inode and the journal header carry a
 * CRC-32C (mfs_crc32c below) so a corrupted one is refused instead of being
 * believed. The superblock also holds the CRC-32C of every bitmap block
 * (bitmap_crc[]): a damaged bitmap that marks used blocks free would make
 * the allocator hand out blocks that files still own, so it is refused at
 * mount. Directory blocks are checked structurally on every read.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#define MFS_MAGIC 0x3153464du /* "MFS1" */
#define MFS_VERSION 1
#define MFS_BLOCK_SIZE 4096u
#define MFS_BLOCK_SHIFT 12
#define MFS_SECTORS_PER_BLOCK 8 /* 512-byte sectors */
#define MFS_ROOT_INO 1
#define MFS_NAME_MAX 255
#define MFS_MAX_BLOCKS (1u << 28) /* block numbers fit in 28 bits (1 TiB) */
/*
 * Bitmap blocks the superblock can checksum (inode bitmap + block bitmap).
 * One block-bitmap block maps 32768 blocks (128 MiB), so with one
 * inode-bitmap block (up to 32768 inodes) an MFS holds at most
 * 87 * 128 MiB = 10.875 GiB; mkfs.mfs refuses bigger.
 */
#define MFS_BITMAP_CRC_MAX 88

/* Feature flags. An image with an incompat bit the kernel does not know is refused. */
#define MFS_FEAT_INCOMPAT_COMPRESSION 0x1 /* some inodes are compressed */
#define MFS_FEAT_INCOMPAT_KNOWN 0x1

/* Superblock state: set to DIRTY while mounted read-write, CLEAN at unmount. */
#define MFS_STATE_CLEAN 1
#define MFS_STATE_DIRTY 2

struct mfs_super {
    uint32_t magic;            /* MFS_MAGIC */
    uint32_t version;          /* MFS_VERSION */
    uint32_t block_size;       /* MFS_BLOCK_SIZE */
    uint32_t inode_size;       /* sizeof(struct mfs_inode) = 256 */
    uint32_t feature_incompat; /* MFS_FEAT_INCOMPAT_* */
    uint32_t feature_compat;   /* none yet: unknown bits are ignored */
    uint32_t total_blocks;     /* blocks in the file system (image size / 4096) */
    uint32_t inode_count;      /* inodes 0 .. inode_count-1 (0 is reserved) */
    uint32_t journal_start, journal_blocks;
    uint32_t ibitmap_start, ibitmap_blocks;
    uint32_t bbitmap_start, bbitmap_blocks;
    uint32_t itable_start, itable_blocks;
    uint32_t data_start;       /* first data block */
    uint32_t root_ino;         /* MFS_ROOT_INO */
    uint32_t free_blocks;      /* exact: changed in the same transaction as the bitmaps */
    uint32_t free_inodes;
    uint32_t state;            /* MFS_STATE_* */
    uint32_t mount_count;
    uint64_t mkfs_time;        /* seconds since the epoch */
    uint64_t mount_time;
    uint8_t uuid[16];
    char label[32];            /* NUL-padded */
    /*
     * mfs_crc32c of each whole bitmap block: inode-bitmap blocks first, then
     * block-bitmap blocks (mfs_bitmap_crc_index); unused slots are 0. Changed
     * in the same transaction as the bitmap block.
     */
    uint32_t bitmap_crc[MFS_BITMAP_CRC_MAX];
    uint32_t reserved[1];
    uint32_t checksum;         /* mfs_crc32c of the 508 bytes before it */
};
_Static_assert(sizeof(struct mfs_super) == 512, "the superblock is 512 bytes");

/*
 * Inodes. Block pointers address 4 KiB blocks; 0 means a hole (reads as
 * zeros). MFS_NDIRECT direct pointers, then one indirect block (1024
 * pointers), then one double-indirect block: 12 + 1024 + 1024*1024 blocks,
 * just over 4 GiB per file.
 *
 * The top bits of a block pointer are flags; MFS_BP_BLOCK() is the block.
 */
#define MFS_NDIRECT 12
#define MFS_PTRS_PER_BLOCK (MFS_BLOCK_SIZE / 4)
#define MFS_IND (MFS_NDIRECT)          /* index of the indirect pointer in ptr[] */
#define MFS_DIND (MFS_NDIRECT + 1)     /* index of the double-indirect pointer */
#define MFS_NPTRS (MFS_NDIRECT + 2)
#define MFS_MAX_FILE_BLOCKS ((uint64_t)MFS_NDIRECT + MFS_PTRS_PER_BLOCK + \
                             (uint64_t)MFS_PTRS_PER_BLOCK * MFS_PTRS_PER_BLOCK)
#define MFS_BP_FRAME 0x80000000u       /* this block holds part of a compressed cluster's frame */
#define MFS_BP_FLAGS 0xf0000000u
#define MFS_BP_BLOCK(p) ((p) & ~MFS_BP_FLAGS)

/*
 * Compression (regular files only). A compressed file is cut into clusters
 * of (1 << cluster_shift) bytes (16 KiB .. 256 KiB; cluster_shift 14..18).
 * The logical blocks of cluster c are c*B .. c*B+B-1 (B = cluster bytes / 4096).
 * A cluster is stored one of three ways:
 *   - a hole: all B pointers are 0 (reads as zeros);
 *   - raw: its pointers are plain block numbers (MFS_BP_FRAME clear), one
 *     per logical block, as in an uncompressed file;
 *   - compressed: the first k < B pointers carry MFS_BP_FRAME and the rest
 *     are 0. Those k blocks, read in order, hold one standard frame (an LZ4
 *     frame, a Zstd frame, or an MFS RLE frame) of the cluster's bytes,
 *     followed by a skippable frame (magic MFS_SKIPPABLE_MAGIC) that pads to
 *     the block boundary. So the k blocks, as a file, decode with `lz4 -d`
 *     or `zstd -d` unchanged. If the padding would be shorter than 8 bytes
 *     (a skippable frame's header), the frame takes one more block.
 * The cluster's decoded length is min(cluster bytes, size - c * cluster bytes).
 * A cluster that would not save at least one block is stored raw.
 */
#define MFS_COMP_NONE 0
#define MFS_COMP_RLE 1  /* the placeholder codec (lab 9d replaces it with the next two) */
#define MFS_COMP_LZ4 2
#define MFS_COMP_ZSTD 3
#define MFS_COMP_MAX 3
#define MFS_CLUSTER_SHIFT_MIN 14
#define MFS_CLUSTER_SHIFT_MAX 18
#define MFS_CLUSTER_SHIFT_DEFAULT 16   /* 64 KiB */
#define MFS_SKIPPABLE_MAGIC 0x184D2A50u /* LZ4 and Zstd both skip frames with magic 0x184D2A5? */

/*
 * The RLE frame (MFS_COMP_RLE): magic, decoded length, then runs until the
 * decoded length is reached. Each run is a control byte c: c < 128 means
 * c + 1 literal bytes follow; c >= 128 means the next byte repeats c - 125
 * times (3 .. 130).
 */
#define MFS_RLE_MAGIC 0x31454c52u /* "RLE1" */
struct mfs_rle_header {
    uint32_t magic;
    uint32_t length;
};

/* Inode flags. */
#define MFS_IFLAG_INLINE_SYMLINK 0x1 /* the symlink target sits in ptr[] (at most 55 bytes) */

struct mfs_inode {
    uint16_t mode;           /* Linux st_mode: type and permission bits; 0 = free inode */
    uint16_t flags;          /* MFS_IFLAG_* */
    uint32_t nlink;
    uint32_t uid, gid;
    uint64_t size;           /* bytes (for compressed files, the decoded size) */
    uint64_t blocks;         /* 4 KiB blocks allocated to this inode (data + indirect) */
    int64_t atime_sec, mtime_sec, ctime_sec;
    uint32_t atime_nsec, mtime_nsec, ctime_nsec;
    uint32_t parent;         /* directories: the inode of '..' (the root names itself) */
    uint32_t rdev;           /* device nodes: Linux's encoded device number */
    uint32_t generation;     /* bumped each time the inode number is reused */
    uint8_t comp_alg;        /* MFS_COMP_*; directories set it to be inherited by new files */
    uint8_t comp_level;      /* Zstd 1..22, LZ4 1 (fast) or 3..12 (HC); 0 = the codec's default */
    uint8_t cluster_shift;   /* log2 of the cluster size (compressed files), else 0 */
    uint8_t reserved8;
    uint32_t ptr[MFS_NPTRS]; /* block pointers, or an inline symlink target (56 bytes) */
    uint32_t reserved[28];
    uint32_t checksum;       /* mfs_crc32c(inode number as 4 bytes LE, then the 252 bytes before this) */
};
_Static_assert(sizeof(struct mfs_inode) == 256, "an inode is 256 bytes");
#define MFS_INODES_PER_BLOCK (MFS_BLOCK_SIZE / sizeof(struct mfs_inode))
#define MFS_INLINE_SYMLINK_MAX (MFS_NPTRS * 4 - 1)

/*
 * Directory blocks hold variable-length entries that tile the whole block:
 * the rec_len values of a block add up to exactly 4096. An entry never
 * crosses a block. ino 0 marks an unused entry (only the first entry of a
 * block may be unused; a deleted later entry is merged into the one before
 * it). '.' and '..' are not stored: '..' is the inode's parent field.
 * A valid entry: rec_len >= MFS_DIRENT_LEN(name_len), rec_len % 8 == 0,
 * 1 <= name_len <= 255 when in use, no '/' or NUL in the name, the name is
 * not "." or "..", ino < inode_count, type matches the inode's type.
 * The size of a directory is a multiple of 4096.
 */
struct mfs_dirent {
    uint32_t ino;
    uint16_t rec_len;
    uint8_t name_len;
    uint8_t type;            /* DT_* values of getdents64 */
    char name[];             /* name_len bytes, not NUL-terminated */
};
#define MFS_DIRENT_HEADER 8
#define MFS_DIRENT_LEN(name_len) (((MFS_DIRENT_HEADER + (name_len)) + 7u) & ~7u)

/*
 * The journal (a redo log of whole metadata blocks, as xv6's). Block
 * journal_start is the header; log blocks follow it. A transaction is
 * committed by a flush (the previous transaction's homes and this one's file
 * data become durable), one write of the header (count > 0, a CRC per log
 * block) together with its log blocks, and a flush: the commit point. Then
 * the blocks are written to their homes with no flush, and the header stays
 * as it is until the next commit (unmount leaves count 0). At mount, a
 * header with count > 0 whose checksum and block CRCs all match is replayed
 * (its blocks copied home; replaying an installed transaction rewrites the
 * same bytes); a header or log block that does not match was torn before
 * the commit point and is ignored. File data is not journaled: it is
 * written before the transaction that points at it commits (ordered mode).
 */
#define MFS_JOURNAL_MAGIC 0x4c4e524au /* "JRNL" */
#define MFS_JOURNAL_MAX_BLOCKS 500    /* log blocks one header can list */
struct mfs_journal_header {
    uint32_t magic;
    uint32_t count;          /* log blocks in the committed transaction, 0 = nothing to replay */
    uint64_t sequence;       /* grows by one with each commit */
    uint32_t home[MFS_JOURNAL_MAX_BLOCKS];     /* where log block i belongs */
    uint32_t block_crc[MFS_JOURNAL_MAX_BLOCKS]; /* mfs_crc32c of log block i */
    uint32_t reserved[19];
    uint32_t checksum;       /* mfs_crc32c of the header bytes before it */
};
_Static_assert(sizeof(struct mfs_journal_header) <= MFS_BLOCK_SIZE, "the journal header fits a block");

/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit: small
 * and shared as-is by the kernel and the tools. Callers that checksum a lot
 * (the journal) may build a table from the same polynomial.
 * mfs_crc32c(0, "123456789", 9) == 0xE3069283.
 */
static inline uint32_t mfs_crc32c_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}
static inline uint32_t mfs_crc32c(uint32_t seed, const void *data, size_t len)
{
    return mfs_crc32c_update(seed, data, len);
}

static inline uint32_t mfs_super_checksum(const struct mfs_super *s)
{
    return mfs_crc32c(0, s, offsetof(struct mfs_super, checksum));
}

/* The bitmap_crc[] slot of bitmap block `block`, or -1 if it is not a bitmap block. */
static inline int mfs_bitmap_crc_index(const struct mfs_super *s, uint32_t block)
{
    if (block >= s->ibitmap_start && block - s->ibitmap_start < s->ibitmap_blocks)
        return (int)(block - s->ibitmap_start);
    if (block >= s->bbitmap_start && block - s->bbitmap_start < s->bbitmap_blocks)
        return (int)(s->ibitmap_blocks + (block - s->bbitmap_start));
    return -1;
}

static inline uint32_t mfs_inode_checksum(uint32_t ino, const struct mfs_inode *d)
{
    uint8_t le[4] = {(uint8_t)ino, (uint8_t)(ino >> 8), (uint8_t)(ino >> 16), (uint8_t)(ino >> 24)};
    uint32_t c = mfs_crc32c(0, le, 4);
    return mfs_crc32c_update(c, d, offsetof(struct mfs_inode, checksum));
}

static inline uint32_t mfs_journal_checksum(const struct mfs_journal_header *h)
{
    return mfs_crc32c(0, h, offsetof(struct mfs_journal_header, checksum));
}
