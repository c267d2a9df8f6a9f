/*
 * zstd_common.h - Zstandard format constants shared by the decoder and the
 * encoder (RFC 8878): magic numbers, frame and block limits, the literal
 * length / match length code tables, offset code rules and the predefined
 * FSE distributions.  Tables are defined in zstd_common.c.
 */
#ifndef KEEL_LIB_ZSTD_COMMON_H
#define KEEL_LIB_ZSTD_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Frames */
#define ZSTD_MAGIC            0xFD2FB528u
#define ZSTD_SKIPPABLE_MAGIC  0x184D2A50u  /* low 4 bits are free */
#define ZSTD_SKIPPABLE_MASK   0xFFFFFFF0u
#define ZSTD_FRAME_HEADER_MIN 6            /* magic + descriptor + 1 */
#define ZSTD_FRAME_HEADER_MAX 18           /* magic + FHD + WD + dict 4 + FCS 8 */
#define ZSTD_WINDOWLOG_MIN    10
#define ZSTD_WINDOWLOG_ABSMAX 41           /* what a descriptor can express */
#define ZSTD_CHECKSUM_SIZE    4

/* Blocks */
#define ZSTD_BLOCK_HEADER_SIZE 3
#define ZSTD_BLOCK_MAX         (128u * 1024)  /* Block_Maximum_Size */
enum zstd_block_type {
    ZSTD_BLOCK_RAW = 0,
    ZSTD_BLOCK_RLE = 1,
    ZSTD_BLOCK_COMPRESSED = 2,
    ZSTD_BLOCK_RESERVED = 3
};

/* Literals section */
enum zstd_lit_type {
    ZSTD_LIT_RAW = 0,
    ZSTD_LIT_RLE = 1,
    ZSTD_LIT_COMPRESSED = 2,
    ZSTD_LIT_TREELESS = 3
};
#define ZSTD_HUF_MAX_BITS     11   /* longest Huffman code */
#define ZSTD_HUF_MAX_SYMBOLS  256
#define ZSTD_HUF_WEIGHT_FSE_LOG_MAX 6  /* FSE log of compressed weights */

/* Sequences section: symbol compression modes */
enum zstd_seq_mode {
    ZSTD_SEQ_PREDEFINED = 0,
    ZSTD_SEQ_RLE = 1,
    ZSTD_SEQ_FSE = 2,
    ZSTD_SEQ_REPEAT = 3
};
#define ZSTD_LL_MAX_CODE  35
#define ZSTD_ML_MAX_CODE  52
#define ZSTD_OF_MAX_CODE  31
#define ZSTD_LL_MAX_LOG   9
#define ZSTD_ML_MAX_LOG   9
#define ZSTD_OF_MAX_LOG   8
#define ZSTD_LL_DEFAULT_LOG 6
#define ZSTD_ML_DEFAULT_LOG 6
#define ZSTD_OF_DEFAULT_LOG 5
#define ZSTD_MIN_MATCH    3
#define ZSTD_LONG_SEQ_FLAG 0x7F00  /* nbSeq byte0 == 255: 0x7F00 + 2 bytes */

/* Offsets: Offset_Value = (1 << code) + code extra bits; values 1..3 are
 * repeat offsets, Offset_Value - 3 is a real offset otherwise. */
#define ZSTD_REP_NUM 3
#define ZSTD_REP_INIT {1, 4, 8}

/* Literal length code -> baseline and number of extra bits. */
extern const uint32_t zstd_ll_base[ZSTD_LL_MAX_CODE + 1];
extern const uint8_t  zstd_ll_bits[ZSTD_LL_MAX_CODE + 1];
/* Match length code -> baseline (includes the +3 minimum) and extra bits. */
extern const uint32_t zstd_ml_base[ZSTD_ML_MAX_CODE + 1];
extern const uint8_t  zstd_ml_bits[ZSTD_ML_MAX_CODE + 1];

/* Predefined normalized distributions (-1 = "less than 1" probability). */
extern const int16_t zstd_ll_default_norm[ZSTD_LL_MAX_CODE + 1];
extern const int16_t zstd_ml_default_norm[ZSTD_ML_MAX_CODE + 1];
#define ZSTD_OF_DEFAULT_MAX 28   /* predefined offset table covers codes 0..28 */
extern const int16_t zstd_of_default_norm[ZSTD_OF_DEFAULT_MAX + 1];

/* Code of a literal length / match length (ml = match length - 3). */
unsigned zstd_ll_code(uint32_t lit_len);
unsigned zstd_ml_code(uint32_t ml_minus3);

/* Index of the highest set bit of v (v != 0). */
static inline unsigned zstd_highbit32(uint32_t v)
{
    return 31u - (unsigned)__builtin_clz(v);
}

static inline uint16_t zstd_read_le16(const void *p)
{
    uint16_t v;
    __builtin_memcpy(&v, p, 2);
    return v;
}

static inline uint32_t zstd_read_le24(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16);
}

static inline uint32_t zstd_read_le32(const void *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v;
}

static inline uint64_t zstd_read_le64(const void *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

#endif
