/*
 * xxHash: XXH32 and XXH64, one-shot and streaming (see xxhash.h).
 * Inputs are read little-endian with unaligned loads through
 * __builtin_memcpy; the streaming state buffers a partial stripe.
 */
#include "lib/xxhash.h"

#define P32_1 0x9E3779B1U
#define P32_2 0x85EBCA77U
#define P32_3 0xC2B2AE3DU
#define P32_4 0x27D4EB2FU
#define P32_5 0x165667B1U

#define P64_1 0x9E3779B185EBCA87ULL
#define P64_2 0xC2B2AE3D27D4EB4FULL
#define P64_3 0x165667B19E3779F9ULL
#define P64_4 0x85EBCA77C2B2AE63ULL
#define P64_5 0x27D4EB2F165667C5ULL

static inline uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, 4);
    return v; /* x86_64 is little-endian, as the spec reads */
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
    return v;
}

static inline uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static inline uint64_t rotl64(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* ---------------- XXH32 ---------------- */

static inline uint32_t round32(uint32_t acc, uint32_t in)
{
    acc += in * P32_2;
    acc = rotl32(acc, 13);
    return acc * P32_1;
}

static void init32(uint32_t v[4], uint32_t seed)
{
    v[0] = seed + P32_1 + P32_2;
    v[1] = seed + P32_2;
    v[2] = seed;
    v[3] = seed - P32_1;
}

/* Consume whole 16-byte stripes; returns the number of bytes used. */
static size_t stripes32(uint32_t v[4], const uint8_t *p, size_t n)
{
    const uint8_t *start = p, *end = p + (n & ~(size_t)15);
    uint32_t a = v[0], b = v[1], c = v[2], d = v[3];

    for (; p < end; p += 16) {
        a = round32(a, rd32(p));
        b = round32(b, rd32(p + 4));
        c = round32(c, rd32(p + 8));
        d = round32(d, rd32(p + 12));
    }
    v[0] = a, v[1] = b, v[2] = c, v[3] = d;
    return (size_t)(p - start);
}

/* Mix the remaining < 16 bytes and avalanche (spec steps 4-6). */
static uint32_t finish32(uint32_t h, const uint8_t *p, size_t n)
{
    for (; n >= 4; n -= 4, p += 4)
        h = rotl32(h + rd32(p) * P32_3, 17) * P32_4;
    for (; n > 0; n--, p++)
        h = rotl32(h + *p * P32_5, 11) * P32_1;
    h ^= h >> 15;
    h *= P32_2;
    h ^= h >> 13;
    h *= P32_3;
    h ^= h >> 16;
    return h;
}

static uint32_t merge32(const uint32_t v[4], uint32_t seed, uint64_t total)
{
    uint32_t h;

    if (total >= 16)
        h = rotl32(v[0], 1) + rotl32(v[1], 7) + rotl32(v[2], 12) + rotl32(v[3], 18);
    else
        h = seed + P32_5;
    return h + (uint32_t)total;
}

uint32_t xxh32(const void *src, size_t n, uint32_t seed)
{
    const uint8_t *p = src;
    uint32_t v[4];
    size_t used;

    init32(v, seed);
    used = stripes32(v, p, n);
    return finish32(merge32(v, seed, n), p + used, n - used);
}

void xxh32_reset(struct xxh32_state *s, uint32_t seed)
{
    __builtin_memset(s, 0, sizeof(*s));
    s->seed = seed;
    init32(s->v, seed);
}

void xxh32_update(struct xxh32_state *s, const void *src, size_t n)
{
    const uint8_t *p = src;

    s->total_len += n;
    if (s->buf_len) {
        size_t take = 16 - s->buf_len;
        if (take > n)
            take = n;
        __builtin_memcpy(s->buf + s->buf_len, p, take);
        s->buf_len += (uint32_t)take;
        p += take, n -= take;
        if (s->buf_len < 16)
            return;
        stripes32(s->v, s->buf, 16);
        s->buf_len = 0;
    }
    size_t used = stripes32(s->v, p, n);
    __builtin_memcpy(s->buf, p + used, n - used);
    s->buf_len = (uint32_t)(n - used);
}

uint32_t xxh32_digest(const struct xxh32_state *s)
{
    return finish32(merge32(s->v, s->seed, s->total_len), s->buf, s->buf_len);
}

/* ---------------- XXH64 ---------------- */

static inline uint64_t round64(uint64_t acc, uint64_t in)
{
    acc += in * P64_2;
    acc = rotl64(acc, 31);
    return acc * P64_1;
}

static inline uint64_t merge_round64(uint64_t h, uint64_t v)
{
    h ^= round64(0, v);
    return h * P64_1 + P64_4;
}

static void init64(uint64_t v[4], uint64_t seed)
{
    v[0] = seed + P64_1 + P64_2;
    v[1] = seed + P64_2;
    v[2] = seed;
    v[3] = seed - P64_1;
}

/* Consume whole 32-byte stripes; returns the number of bytes used. */
static size_t stripes64(uint64_t v[4], const uint8_t *p, size_t n)
{
    const uint8_t *start = p, *end = p + (n & ~(size_t)31);
    uint64_t a = v[0], b = v[1], c = v[2], d = v[3];

    for (; p < end; p += 32) {
        a = round64(a, rd64(p));
        b = round64(b, rd64(p + 8));
        c = round64(c, rd64(p + 16));
        d = round64(d, rd64(p + 24));
    }
    v[0] = a, v[1] = b, v[2] = c, v[3] = d;
    return (size_t)(p - start);
}

static uint64_t merge64(const uint64_t v[4], uint64_t seed, uint64_t total)
{
    uint64_t h;

    if (total >= 32) {
        h = rotl64(v[0], 1) + rotl64(v[1], 7) + rotl64(v[2], 12) + rotl64(v[3], 18);
        h = merge_round64(h, v[0]);
        h = merge_round64(h, v[1]);
        h = merge_round64(h, v[2]);
        h = merge_round64(h, v[3]);
    } else {
        h = seed + P64_5;
    }
    return h + total;
}

/* Mix the remaining < 32 bytes and avalanche. */
static uint64_t finish64(uint64_t h, const uint8_t *p, size_t n)
{
    for (; n >= 8; n -= 8, p += 8)
        h = rotl64(h ^ round64(0, rd64(p)), 27) * P64_1 + P64_4;
    if (n >= 4) {
        h = rotl64(h ^ ((uint64_t)rd32(p) * P64_1), 23) * P64_2 + P64_3;
        p += 4, n -= 4;
    }
    for (; n > 0; n--, p++)
        h = rotl64(h ^ (*p * P64_5), 11) * P64_1;
    h ^= h >> 33;
    h *= P64_2;
    h ^= h >> 29;
    h *= P64_3;
    h ^= h >> 32;
    return h;
}

uint64_t xxh64(const void *src, size_t n, uint64_t seed)
{
    const uint8_t *p = src;
    uint64_t v[4];
    size_t used;

    init64(v, seed);
    used = stripes64(v, p, n);
    return finish64(merge64(v, seed, n), p + used, n - used);
}

void xxh64_reset(struct xxh64_state *s, uint64_t seed)
{
    __builtin_memset(s, 0, sizeof(*s));
    s->seed = seed;
    init64(s->v, seed);
}

void xxh64_update(struct xxh64_state *s, const void *src, size_t n)
{
    const uint8_t *p = src;

    s->total_len += n;
    if (s->buf_len) {
        size_t take = 32 - s->buf_len;
        if (take > n)
            take = n;
        __builtin_memcpy(s->buf + s->buf_len, p, take);
        s->buf_len += (uint32_t)take;
        p += take, n -= take;
        if (s->buf_len < 32)
            return;
        stripes64(s->v, s->buf, 32);
        s->buf_len = 0;
    }
    size_t used = stripes64(s->v, p, n);
    __builtin_memcpy(s->buf, p + used, n - used);
    s->buf_len = (uint32_t)(n - used);
}

uint64_t xxh64_digest(const struct xxh64_state *s)
{
    return finish64(merge64(s->v, s->seed, s->total_len), s->buf, s->buf_len);
}
