/*
 * test_fs_big: one big file (100 MiB by default) with a verifiable pattern:
 * sequential write, fsync, read back, random preads, a partial overwrite,
 * a sparse file whose holes read as zeros, truncate down and up.
 *   test_fs_big [DIR [MIB]]     DIR: where to work (default $TMPDIR or /tmp)
 * Each 8-byte word of the file holds a hash of its index, so a block written
 * at the wrong place, or not at all, is caught wherever it lands.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024L * 1024)

static uint64_t word_at(uint64_t index)
{
    uint64_t z = index + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The pattern's bytes [off, off+len). */
static void fill(unsigned char *buf, off_t off, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint64_t w = word_at((uint64_t)(off + i) / 8);
        size_t b = (off + i) % 8;
        for (; b < 8 && i < len; b++, i++)
            buf[i] = (unsigned char)(w >> (8 * b));
    }
}

/* Where buf differs from the pattern at off, or -1. */
static long mismatch(const unsigned char *buf, off_t off, size_t len)
{
    static unsigned char want[MIB];
    for (size_t done = 0; done < len; done += MIB) {
        size_t n = len - done < MIB ? len - done : MIB;
        fill(want, off + done, n);
        if (memcmp(buf + done, want, n))
            for (size_t i = 0; i < n; i++)
                if (buf[done + i] != want[i])
                    return (long)(off + done + i);
    }
    return -1;
}

static int all_zero(const unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i])
            return 0;
    return 1;
}

static unsigned char buf[MIB];

static void test_big(long mib)
{
    int fd = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (!t_check("big-create", fd >= 0, "%s", t_errname(errno)))
        return;
    long bad = -1;
    for (long i = 0; i < mib && bad < 0; i++) {
        fill(buf, i * MIB, MIB);
        ssize_t w = write(fd, buf, MIB);
        if (w != MIB)
            bad = i, t_note("write of MiB %ld returned %zd (%s)", i, w, t_errname(errno));
    }
    t_check("big-write", bad < 0, "write failed at MiB %ld", bad);
    t_check("big-fsync", fsync(fd) == 0, "%s", t_errname(errno));
    struct stat st;
    fstat(fd, &st);
    t_check("big-size", st.st_size == mib * MIB, "size %ld, expected %ld", (long)st.st_size, mib * MIB);
    t_check("big-blocks", st.st_blocks * 512 >= mib * MIB, "st_blocks %ld for %ld MiB",
            (long)st.st_blocks, mib);

    lseek(fd, 0, SEEK_SET);
    long where = -1, i;
    for (i = 0; i < mib && where < 0; i++) {
        ssize_t r = read(fd, buf, MIB);
        if (r != MIB) {
            t_note("read of MiB %ld returned %zd (%s)", i, r, t_errname(errno));
            where = i * MIB;
            break;
        }
        where = mismatch(buf, i * MIB, MIB);
    }
    t_check("big-read-back", where < 0, "first wrong byte at offset %ld", where);
    t_check("big-read-eof", read(fd, buf, 1) == 0, "read past the end returned data");

    /* Unaligned preads all over the file. */
    uint64_t seed = 42;
    where = -1;
    for (int k = 0; k < 500 && where < 0; k++) {
        seed = word_at(seed);
        size_t len = 1 + seed % 9000;
        off_t off = (off_t)((seed >> 20) % (uint64_t)(mib * MIB - len));
        ssize_t r = pread(fd, buf, len, off);
        where = r != (ssize_t)len ? off : mismatch(buf, off, len);
    }
    t_check("big-random-preads", where < 0, "wrong bytes at offset %ld", where);

    /* Overwrite 10 bytes inside a block: the neighbours must survive. */
    off_t mid = 5000;
    pwrite(fd, "0123456789", 10, mid);
    memset(buf, 0, 8192);
    pread(fd, buf, 8192, 0);
    int ok = !memcmp(buf + mid, "0123456789", 10) && mismatch(buf, 0, mid) < 0 &&
             mismatch(buf + mid + 10, mid + 10, 8192 - mid - 10) < 0;
    t_check("big-partial-overwrite", ok, "the bytes around the overwrite changed");
    fill(buf, mid, 10);
    pwrite(fd, buf, 10, mid);
    close(fd);

    /* A fresh descriptor sees the same bytes. */
    fd = open("big", O_RDONLY);
    ssize_t r = pread(fd, buf, MIB, (mib - 1) * MIB);
    t_check("big-reopen-last-mib", r == MIB && mismatch(buf, (mib - 1) * MIB, MIB) < 0,
            "read %zd bytes", r);
    close(fd);

    /* Truncate down to an odd size, then up again: the new tail reads as zeros. */
    off_t half = mib / 2 * MIB + 123;
    t_check("big-truncate-down", truncate("big", half) == 0, "%s", t_errname(errno));
    stat("big", &st);
    t_check("big-truncate-size", st.st_size == half, "size %ld", (long)st.st_size);
    fd = open("big", O_RDWR);
    r = pread(fd, buf, 4096, half - 100);
    t_check("big-truncate-tail", r == 100 && mismatch(buf, half - 100, 100) < 0, "read %zd", r);
    t_check("big-truncate-up", ftruncate(fd, half + 10000) == 0, "%s", t_errname(errno));
    r = pread(fd, buf, 20000, half - 100);
    t_check("big-truncate-up-zeros", r == 10100 && mismatch(buf, half - 100, 100) < 0 &&
            all_zero(buf + 100, 10000), "read %zd, or the extension is not zeros", r);
    t_check("big-truncate-zero", ftruncate(fd, 0) == 0 && fstat(fd, &st) == 0 && st.st_size == 0 &&
            st.st_blocks == 0, "size %ld blocks %ld", (long)st.st_size, (long)st.st_blocks);
    close(fd);
    t_check("big-unlink", unlink("big") == 0, "%s", t_errname(errno));
}

static void test_sparse(void)
{
    int fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
    off_t far = 64 * MIB + 100;
    fill(buf, 0, 4096);
    ssize_t a = pwrite(fd, buf, 4096, 0);
    t_check("sparse-lseek-past-end", lseek(fd, far, SEEK_SET) == far, "%s", t_errname(errno));
    fill(buf, far, 4096);
    ssize_t b = write(fd, buf, 4096);
    struct stat st;
    fstat(fd, &st);
    t_check("sparse-size", a == 4096 && b == 4096 && st.st_size == far + 4096, "size %ld",
            (long)st.st_size);
    t_check("sparse-not-allocated", st.st_blocks * 512 < 4 * MIB, "st_blocks %ld for two 4 KiB writes",
            (long)st.st_blocks);
    ssize_t r = pread(fd, buf, MIB, 32 * MIB);
    t_check("sparse-hole-zeros", r == MIB && all_zero(buf, MIB), "read %zd", r);
    r = pread(fd, buf, 8192, far - 4096);
    t_check("sparse-hole-then-data", r == 8192 && all_zero(buf, 4096) && mismatch(buf + 4096, far, 4096) < 0,
            "read %zd", r);
    r = pread(fd, buf, 8192, 0);
    t_check("sparse-data-then-hole", r == 8192 && mismatch(buf, 0, 4096) < 0 && all_zero(buf + 4096, 4096),
            "read %zd", r);
    close(fd);
    unlink("sparse");
}

int main(int argc, char **argv)
{
    t_begin("test_fs_big");
    if (argc > 1)
        setenv("TMPDIR", argv[1], 1);
    long mib = argc > 2 ? atol(argv[2]) : 100;
    if (mib < 2)
        mib = 2;
    if (!t_scratch())
        return t_end();
    test_big(mib);
    test_sparse();
    t_scratch_cleanup();
    return t_end();
}
