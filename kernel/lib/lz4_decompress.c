/*
 * LZ4 block decompressor. Bounds-checked: every length is checked against
 * the input and output ends before it is used, and match distances against
 * the start of the history, so no input can make it read or write outside
 * [src, src+src_len) and [dst-prefix_len, dst+dst_cap). Copies run 8 bytes at
 * a time ("wild copies") only where the checks leave that much room.
 */
#include "lib/lz4_internal.h"

static inline void copy8(uint8_t *d, const uint8_t *s)
{
    lz4_wr64(d, lz4_rd64(s));
}

/* Read a length's extension bytes; false if the input ends first. */
static inline bool get_len(const uint8_t **ipp, const uint8_t *iend, size_t *len)
{
    const uint8_t *ip = *ipp;
    unsigned b;

    do {
        if (ip >= iend)
            return false;
        b = *ip++;
        *len += b;
    } while (b == 255);
    *ipp = ip;
    return true;
}

/* Copy an overlapping match of ml bytes at distance off; room = oend - op. */
static inline void copy_match(uint8_t *op, size_t off, size_t ml, size_t room)
{
    const uint8_t *m = op - off;
    uint8_t *oe = op + ml;

    if (ml + 16 <= room) {
        if (off < 8) {
            /* spread the pattern until it is >= 8 bytes long */
            static const uint8_t span[8] = { 0, 8, 8, 9, 8, 10, 12, 14 };
            for (int i = 0; i < 8; i++)
                op[i] = m[i];
            op += 8;
            m = op - span[off];
        } else if (off >= 16) {
            do {
                uint64_t a = lz4_rd64(m), b = lz4_rd64(m + 8);
                lz4_wr64(op, a);
                lz4_wr64(op + 8, b);
                op += 16, m += 16;
            } while (op < oe);
            return;
        }
        while (op < oe) {
            copy8(op, m);
            op += 8, m += 8;
        }
        return;
    }
    while (op < oe)
        *op++ = *m++;
}

/* Decode one block; see lz4.h. Lengths are checked before every copy. */
long lz4_block_decompress(void *dst, size_t dst_cap, const void *src, size_t src_len,
                          size_t prefix_len)
{
    const uint8_t *ip, *iend, *lowest;
    uint8_t *op, *oend;

    if (!src || !dst || src_len == 0)
        return -LZ4_ERR_CORRUPT;
    ip = src, iend = ip + src_len;
    op = dst, oend = op + dst_cap;
    lowest = op - prefix_len;
    for (;;) {
        unsigned token = *ip++;
        size_t lit = token >> 4, ml, off;

        /*
         * Shortcut for the common short sequence (as liblz4): < 15
         * literals and a match of < 19 bytes at distance >= 8, far from
         * both ends, copied with fixed-size unconditional moves.
         */
        if (lit < 15 && (size_t)(iend - ip) >= 18 && (size_t)(oend - op) >= 40) {
            copy8(op, ip);
            copy8(op + 8, ip + 8);
            op += lit;
            ip += lit;
            off = lz4_rd16(ip);
            ml = token & 15;
            if (ml < 15 && off >= 8 && off <= (size_t)(op - lowest)) {
                const uint8_t *m = op - off;
                ip += 2;
                copy8(op, m);
                copy8(op + 8, m + 8);
                copy8(op + 16, m + 16);
                op += ml + LZ4_MINMATCH;
                continue;
            }
            goto match; /* ip is at the offset, at least 4 bytes from iend */
        }

        if (lit == 15 && !get_len(&ip, iend, &lit))
            return -LZ4_ERR_CORRUPT;
        if (lit > (size_t)(iend - ip))
            return -LZ4_ERR_CORRUPT;
        if (lit > (size_t)(oend - op))
            return -LZ4_ERR_DST_TOO_SMALL;
        if (lit + 16 <= (size_t)(iend - ip) && lit + 16 <= (size_t)(oend - op)) {
            /* wild copy: may write up to 15 bytes past the literals */
            uint8_t *d = op, *e = op + lit;
            const uint8_t *s = ip;
            do {
                copy8(d, s);
                copy8(d + 8, s + 8);
                d += 16, s += 16;
            } while (d < e);
        } else {
            __builtin_memmove(op, ip, lit);
        }
        ip += lit;
        op += lit;
        if (ip == iend)
            return (long)(op - (uint8_t *)dst);

    match:
        if (iend - ip < 2)
            return -LZ4_ERR_CORRUPT;
        off = lz4_rd16(ip);
        ip += 2;
        ml = token & 15;
        if (ml == 15 && !get_len(&ip, iend, &ml))
            return -LZ4_ERR_CORRUPT;
        ml += LZ4_MINMATCH;
        if (off == 0 || off > (size_t)(op - lowest))
            return -LZ4_ERR_CORRUPT;
        if (ml > (size_t)(oend - op))
            return -LZ4_ERR_DST_TOO_SMALL;
        copy_match(op, off, ml, (size_t)(oend - op));
        op += ml;
        if (ip >= iend) /* a block must end with literals */
            return -LZ4_ERR_CORRUPT;
    }
}
