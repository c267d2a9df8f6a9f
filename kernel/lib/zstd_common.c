/*
 * zstd_common.c - the Zstandard code tables of zstd_common.h, the
 * length -> code helpers used by the encoder, and zstd_error_name().
 */
#include "lib/zstd.h"
#include "lib/zstd_common.h"

const uint32_t zstd_ll_base[ZSTD_LL_MAX_CODE + 1] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512,
    1024, 2048, 4096, 8192, 16384, 32768, 65536,
};
const uint8_t zstd_ll_bits[ZSTD_LL_MAX_CODE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};
const uint32_t zstd_ml_base[ZSTD_ML_MAX_CODE + 1] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
    35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515,
    1027, 2051, 4099, 8195, 16387, 32771, 65539,
};
const uint8_t zstd_ml_bits[ZSTD_ML_MAX_CODE + 1] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
};

const int16_t zstd_ll_default_norm[ZSTD_LL_MAX_CODE + 1] = {
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
};
const int16_t zstd_ml_default_norm[ZSTD_ML_MAX_CODE + 1] = {
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
    -1, -1, -1, -1, -1,
};
const int16_t zstd_of_default_norm[ZSTD_OF_DEFAULT_MAX + 1] = {
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
};

/* Literal length -> code: direct table below 64, log2 above. */
unsigned zstd_ll_code(uint32_t lit_len)
{
    static const uint8_t small[64] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21,
        22, 22, 22, 22, 22, 22, 22, 22, 23, 23, 23, 23, 23, 23, 23, 23,
        24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24, 24,
    };
    if (lit_len < 64)
        return small[lit_len];
    return zstd_highbit32(lit_len) + 19;
}

/* Match length - 3 -> code: direct table below 128, log2 above. */
unsigned zstd_ml_code(uint32_t ml)
{
    static const uint8_t small[128] = {
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
        32, 32, 33, 33, 34, 34, 35, 35, 36, 36, 36, 36, 37, 37, 37, 37,
        38, 38, 38, 38, 38, 38, 38, 38, 39, 39, 39, 39, 39, 39, 39, 39,
        40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40, 40,
        41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41, 41,
        42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42,
        42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42, 42,
    };
    if (ml < 128)
        return small[ml];
    return zstd_highbit32(ml) + 36;
}

/* A sentence per error code, for kcodec and the kernel log. */
const char *zstd_error_name(long err)
{
    static const char *const names[ZSTD_E_COUNT] = {
        [ZSTD_E_OK] = "no error",
        [ZSTD_E_GENERIC] = "zstd: unspecified error",
        [ZSTD_E_DST_TOO_SMALL] = "zstd: output buffer too small",
        [ZSTD_E_SRC_TRUNCATED] = "zstd: input truncated",
        [ZSTD_E_BAD_MAGIC] = "zstd: not a zstd frame (bad magic number)",
        [ZSTD_E_FRAME_HEADER] = "zstd: malformed frame header",
        [ZSTD_E_WINDOW_TOO_LARGE] = "zstd: window too large",
        [ZSTD_E_DICTIONARY] = "zstd: frame needs a dictionary (unsupported)",
        [ZSTD_E_BLOCK_TYPE] = "zstd: reserved block type",
        [ZSTD_E_BLOCK_SIZE] = "zstd: block too large",
        [ZSTD_E_LITERALS] = "zstd: corrupt literals section",
        [ZSTD_E_HUFFMAN] = "zstd: corrupt Huffman table or stream",
        [ZSTD_E_FSE] = "zstd: corrupt FSE table",
        [ZSTD_E_SEQUENCES] = "zstd: corrupt sequences section",
        [ZSTD_E_OFFSET] = "zstd: match offset beyond the window",
        [ZSTD_E_CHECKSUM] = "zstd: content checksum mismatch",
        [ZSTD_E_CONTENT_SIZE] = "zstd: content size differs from the frame header",
        [ZSTD_E_WORKSPACE] = "zstd: workspace too small",
        [ZSTD_E_LEVEL] = "zstd: compression level out of range",
        [ZSTD_E_SRC_TOO_LARGE] = "zstd: input too large",
        [ZSTD_E_STAGE] = "zstd: streaming call out of order",
    };
    if (err < 0)
        err = -err;
    if (err >= ZSTD_E_COUNT || !names[err])
        return "zstd: unknown error";
    return names[err];
}
