/*
 * xxHash (XXH32 and XXH64), bit-exact with the xxHash specification.
 * XXH32 checksums LZ4 frames (header, blocks, content); XXH64 checksums
 * Zstandard frames. One-shot functions and streaming states; no allocation.
 */
#ifndef KEEL_LIB_XXHASH_H
#define KEEL_LIB_XXHASH_H

#include <stddef.h>
#include <stdint.h>

struct xxh32_state {
    uint64_t total_len;
    uint32_t v[4];
    uint32_t seed;
    uint8_t buf[16];
    uint32_t buf_len;
};

struct xxh64_state {
    uint64_t total_len;
    uint64_t v[4];
    uint64_t seed;
    uint8_t buf[32];
    uint32_t buf_len;
};

uint32_t xxh32(const void *p, size_t n, uint32_t seed);
void xxh32_reset(struct xxh32_state *s, uint32_t seed);
void xxh32_update(struct xxh32_state *s, const void *p, size_t n);
uint32_t xxh32_digest(const struct xxh32_state *s);

uint64_t xxh64(const void *p, size_t n, uint64_t seed);
void xxh64_reset(struct xxh64_state *s, uint64_t seed);
void xxh64_update(struct xxh64_state *s, const void *p, size_t n);
uint64_t xxh64_digest(const struct xxh64_state *s);

#endif
