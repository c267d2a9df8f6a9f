/*
 * LZ4: block compressor (fast and HC), bounds-checked block decompressor and
 * the LZ4 frame format (https://github.com/lz4/lz4/blob/dev/doc/), compatible
 * with the `lz4` tool and liblz4. Freestanding: no allocation; the caller
 * passes every buffer and workspace.
 *
 * Memory (x86_64):
 *   compress, level <= 2 (fast):  lz4_compress_workspace_size() = 16472 bytes
 *                                 (one 16 KiB hash table + the frame state)
 *   compress, level 3..12 (HC):   262240 bytes (32 Ki-entry hash + 64 Ki chain)
 *   lz4_frame_decompress():       no workspace, under 512 bytes of stack
 *   streaming decoder:            struct lz4_dctx (184 bytes) plus
 *                                 lz4_dctx_buffer_size() = 8454148 bytes
 *                                 (64 KiB history + 2 x 4 MiB block + 4)
 * Every function's stack frame is under 256 bytes.
 * Workspaces must be 8-byte aligned. Errors are negative enum lz4_error values.
 * Decoders never touch memory outside the buffers they are given, but may use
 * dst beyond the decoded bytes (within dst_cap) as scratch for wide copies.
 */
#ifndef KEEL_LIB_LZ4_H
#define KEEL_LIB_LZ4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/xxhash.h"

enum lz4_error {
    LZ4_OK = 0,
    LZ4_ERR_DST_TOO_SMALL,    /* output buffer too small */
    LZ4_ERR_CORRUPT,          /* malformed compressed block */
    LZ4_ERR_BAD_MAGIC,        /* not an LZ4 frame */
    LZ4_ERR_BAD_HEADER,       /* bad or unsupported frame descriptor */
    LZ4_ERR_HEADER_CHECKSUM,  /* frame descriptor checksum mismatch */
    LZ4_ERR_BLOCK_CHECKSUM,   /* block checksum mismatch */
    LZ4_ERR_CONTENT_CHECKSUM, /* content checksum mismatch */
    LZ4_ERR_CONTENT_SIZE,     /* decoded size differs from the header */
    LZ4_ERR_TRUNCATED,        /* input ends inside a frame */
    LZ4_ERR_PARAM,            /* bad argument */
    LZ4_ERR_DICT,             /* frame needs a dictionary (unsupported) */
    LZ4_ERR_COUNT
};

/* One short sentence for an error value (negative or positive). */
const char *lz4_error_name(long err);

#define LZ4_MAGIC           0x184D2204U
#define LZ4_SKIPPABLE_MAGIC 0x184D2A50U /* low 4 bits free: 0x184D2A5x */
#define LZ4_MAX_HEADER      19U
#define LZ4_WINDOW          65536U /* linked blocks see 64 KiB back */

/* ---- blocks ---- */

/* Worst-case compressed size of an n-byte block. */
size_t lz4_block_bound(size_t n);

/* Levels: <= 0 fast with acceleration 1 - level; 1, 2 fast; 3..12 HC. */
#define LZ4_LEVEL_HC_MIN 3
#define LZ4_LEVEL_MAX    12

/* Workspace bytes for compressing at `level` (block and frame functions). */
size_t lz4_compress_workspace_size(int level);

/* Compress one independent block; returns its size or -error. */
long lz4_block_compress(void *dst, size_t dst_cap, const void *src, size_t src_len, int level,
                        void *workspace);

/*
 * Decompress one block into dst; returns the decoded size or -error.
 * The prefix_len bytes just before dst are history that matches may refer to
 * (linked blocks decoded into one contiguous buffer); 0 for none.
 */
long lz4_block_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                          size_t prefix_len);

/* ---- frames ---- */

struct lz4_frame_params {
    int level;             /* as above; 0 = fast default */
    int block_size_id;     /* 4..7 = 64 KiB, 256 KiB, 1 MiB, 4 MiB; 0 = 4 */
    bool linked;           /* blocks may refer to the previous 64 KiB */
    bool content_checksum; /* XXH32 of the whole content after the end mark */
    bool block_checksum;   /* XXH32 of each stored block */
    bool content_size;     /* store the content size in the header */
};
/* NULL params: level 0, 64 KiB independent blocks, content checksum and size. */

size_t lz4_block_size_of_id(int id); /* 0 if id is not 4..7 */

/* Worst-case frame size for src_len bytes. */
size_t lz4_frame_bound(size_t src_len, const struct lz4_frame_params *p);

/* Compress src into one frame; returns its size or -error (src_len < 2 GiB). */
long lz4_frame_compress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                        const struct lz4_frame_params *p, void *workspace);

/*
 * Decompress every frame in src (back-to-back frames give their
 * concatenation; skippable frames are skipped); returns the total decoded
 * size or -error. Needs no workspace: it decodes straight into dst.
 */
long lz4_frame_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len);

/*
 * The content size stored in the header of the LZ4 frame at src: returns 1
 * and sets *size if the header stores it, 0 if not, or -error.
 */
long lz4_frame_content_size(const void *src, size_t src_len, uint64_t *size);

/* ---- streaming encoder (block at a time, used by kcodec) ----
 * The caller keeps input in one window buffer `win` and calls
 * lz4_cstream_block() on consecutive ranges [start, end) of it; in linked mode
 * the 64 KiB before `start` must still hold the previous input. To reuse the
 * buffer, move win[shift..] down to win[0..] and call lz4_cstream_slide(shift)
 * (shift must be a multiple of 64 KiB). The workspace is the cctx.
 */
struct lz4_cctx;
long lz4_cstream_begin(void *workspace, void *dst, size_t dst_cap, const struct lz4_frame_params *p,
                       uint64_t content_size);
long lz4_cstream_block(void *workspace, void *dst, size_t dst_cap, const uint8_t *win, size_t start,
                       size_t end);
void lz4_cstream_slide(void *workspace, size_t shift);
long lz4_cstream_end(void *workspace, void *dst, size_t dst_cap);

/* ---- streaming decoder (used by kcodec) ---- */

enum lz4_dstage {
    LZ4D_MAGIC,
    LZ4D_HEADER,
    LZ4D_SKIP_SIZE,
    LZ4D_SKIP,
    LZ4D_BLOCK_SIZE,
    LZ4D_BLOCK_DATA,
    LZ4D_FLUSH,
    LZ4D_CONTENT_SUM
};

struct lz4_dctx {
    uint8_t *buf; /* caller's buffer: window + decoded + compressed */
    size_t buf_len;
    enum lz4_dstage stage;
    uint8_t hdr[LZ4_MAX_HEADER + 4];
    size_t have, need; /* bytes gathered / wanted for this stage */
    uint64_t skip_left;
    size_t block_max;
    uint32_t block_word;     /* the block's 4-byte size field */
    size_t hist;             /* valid history bytes before the decoded block */
    size_t out_pos, out_end; /* pending output within the decoded block */
    bool linked, block_sum, content_sum, has_size;
    uint64_t content_size, produced;
    struct xxh32_state xxh;
};

/* Buffer bytes the streaming decoder needs for any frame (~8.06 MiB). */
size_t lz4_dctx_buffer_size(void);
void lz4_dctx_init(struct lz4_dctx *d, void *buf, size_t buf_len);
/*
 * Feed *src_len bytes and get up to *dst_len bytes out; both are updated to
 * the amounts consumed/produced. Returns 0 when the input ended cleanly
 * between frames, 1 while a frame is still open, or -error.
 */
long lz4_dctx_decompress(struct lz4_dctx *d, void *dst, size_t *dst_len, const void *src,
                         size_t *src_len);

#endif
