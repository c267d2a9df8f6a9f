/*
 * What fs/mfs/file.c, cluster.c and codec.c share about file data: frames
 * and compressed clusters (the format is in mfs_format.h), and the page
 * cache glue. Private to MFS's regular files.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct inode;
struct cached_page;

/* ---- codec.c (mfs_encode/mfs_decode are in mfs.h) ---- */
/*
 * Append the skippable frame that pads frame_len bytes of frame to whole
 * blocks (at least 8 bytes of padding: a frame that ends on a block boundary
 * takes one more block). The padded length, or 0 if it exceeds cap.
 */
size_t mfs_frame_pad(void *frame, size_t frame_len, size_t cap);
/* "none", "rle", "lz4", "zstd" */
const char *mfs_comp_name(int alg);
