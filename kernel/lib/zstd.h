/*
 * zstd.h - public API of Keel's Zstandard codec (RFC 8878), both directions.
 *
 * Decoder (helper ZDEC): kernel/lib/zstd_frame.c, zstd_block.c, zstd_literals.c,
 *   zstd_huf_decode.c, zstd_fse.c, zstd_fse_decode.c, zstd_sequences.c,
 *   zstd_dstream.c.  Encoder (helper ZENC): kernel/lib/zstd_compress*.c.
 * Shared format constants live in zstd_common.h, the shared FSE normalized
 * count reader and symbol spreading in zstd_fse.h.
 *
 * Memory: nothing allocates.  The one-shot decoder needs
 * zstd_decompress_workspace_size() bytes of workspace (145,512 bytes on
 * x86_64: a 128 KiB literal buffer plus the Huffman and FSE tables); its
 * window is the output buffer.  The streaming decoder keeps its window
 * inside its workspace: zstd_dstream_workspace_size(window_max) =
 * window_max + 3 * 128 KiB (two block slots of the window ring, one block
 * input buffer) + the decoder state: 8,927,672 bytes (8.5 MiB) for 8 MiB.
 * The largest window accepted is ZSTD_WINDOW_MAX (8 MiB): frames that
 * declare a larger window are refused with -ZSTD_E_WINDOW_TOO_LARGE, never
 * attempted (single-segment frames, whose window is their content size,
 * are fine one-shot: the output buffer must hold them anyway).  Frames
 * naming a dictionary are refused with -ZSTD_E_DICTIONARY.
 *
 * All functions return a size (>= 0) or a negative enum zstd_error value.
 */
#ifndef KEEL_LIB_ZSTD_H
#define KEEL_LIB_ZSTD_H

#include <stddef.h>
#include <stdint.h>

#define ZSTD_WINDOW_MAX (8u << 20)  /* largest window the decoder accepts */

/* Errors, returned negated. ZENC may append encoder codes before ZSTD_E_COUNT. */
enum zstd_error {
    ZSTD_E_OK = 0,
    ZSTD_E_GENERIC,            /* unspecified failure */
    ZSTD_E_DST_TOO_SMALL,      /* output buffer too small */
    ZSTD_E_SRC_TRUNCATED,      /* input ends inside a frame */
    ZSTD_E_BAD_MAGIC,          /* not a zstd frame */
    ZSTD_E_FRAME_HEADER,       /* malformed frame header */
    ZSTD_E_WINDOW_TOO_LARGE,   /* window above ZSTD_WINDOW_MAX */
    ZSTD_E_DICTIONARY,         /* frame needs a dictionary: unsupported */
    ZSTD_E_BLOCK_TYPE,         /* reserved block type */
    ZSTD_E_BLOCK_SIZE,         /* block larger than allowed */
    ZSTD_E_LITERALS,           /* malformed literals section */
    ZSTD_E_HUFFMAN,            /* malformed Huffman table or stream */
    ZSTD_E_FSE,                /* malformed FSE table description */
    ZSTD_E_SEQUENCES,          /* malformed sequences section */
    ZSTD_E_OFFSET,             /* match offset outside the window */
    ZSTD_E_CHECKSUM,           /* content checksum mismatch */
    ZSTD_E_CONTENT_SIZE,       /* frame size differs from its header */
    ZSTD_E_WORKSPACE,          /* workspace too small */
    ZSTD_E_LEVEL,              /* compression level out of range */
    ZSTD_E_SRC_TOO_LARGE,      /* input too large for this API */
    ZSTD_E_STAGE,              /* streaming API misuse */
    ZSTD_E_COUNT
};

/* One short sentence naming an error (err may be negative or positive). */
const char *zstd_error_name(long err);

/* ---------------------------------------------------------------- decoder */

/* Workspace for zstd_decompress (a constant, about 150 KiB). */
size_t zstd_decompress_workspace_size(void);

/* Decode every frame in src (zstd frames and skippable frames, back to back)
 * into dst. Returns the decoded size (0 for an empty src) or -err.  Bytes of
 * dst past the decoded size are left alone, except (up to 32 of them) after
 * a frame that does not declare its content size. */
long zstd_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                     void *workspace, size_t ws_size);

/* Content size declared by the first frame's header: >= 0, -1 if the header
 * does not say, or -err (truncated / not a frame). */
long zstd_frame_content_size(const void *src, size_t src_len);

/* Streaming decoder. Its state, window and block buffer live in the caller's
 * workspace; frames with windows up to window_max are accepted. */
struct zstd_dstream;
size_t zstd_dstream_workspace_size(size_t window_max);
/* Returns the stream (inside ws) or NULL when ws_size is too small. */
struct zstd_dstream *zstd_dstream_init(void *ws, size_t ws_size);
/* Consume input from src[*src_pos..src_len) and write output to
 * dst[*dst_pos..dst_cap), advancing both positions.  Returns 0 when the
 * input consumed so far ends exactly at a frame boundary with all output
 * flushed, a positive value when more input (or output space) is needed,
 * or -err.  At end of input, a non-zero return means a truncated frame. */
long zstd_dstream_decompress(struct zstd_dstream *ds, void *dst, size_t dst_cap,
                             size_t *dst_pos, const void *src, size_t src_len,
                             size_t *src_pos);

/* ---------------------------------------------------------------- encoder */
/* Implemented by helper ZENC in kernel/lib/zstd_compress*.c. */

#define ZSTD_LEVEL_MIN 1
#define ZSTD_LEVEL_MAX 22
#define ZSTD_LEVEL_DEFAULT 3

/* Worst-case compressed size of src_len bytes. */
size_t zstd_compress_bound(size_t src_len);
/* Workspace needed by zstd_compress at this level for inputs of src_len bytes. */
size_t zstd_compress_workspace_size(int level, size_t src_len);
/* Compress src into one standard frame (with content size and checksum).
 * Returns the frame size or -err. */
long zstd_compress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                   int level, void *workspace, size_t ws_size);

#endif
