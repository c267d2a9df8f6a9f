/*
 * test_fs_persist: what one boot writes, the next boot reads.
 *   test_fs_persist write DIR    boot one: make DIR/persist and fill it
 *   test_fs_persist check DIR    boot two: everything is there, exactly
 *   test_fs_persist              both phases in a scratch directory (the host)
 * The tree covers what must survive: file data (small, multi-block, sparse),
 * sizes after truncate, modes, mtimes set with utimensat, nested directories,
 * hard links (and their count), a rename that replaced a file, a deleted file
 * that must stay deleted, and 200 files in one directory.
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

#define BIG (3 * 1024 * 1024 + 77)
#define MTIME 1234567890L

static unsigned char buf[BIG];

static void pattern(unsigned char *p, size_t len, unsigned seed)
{
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
}

static int put(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, data, len);
    int s = fsync(fd);
    close(fd);
    return w == (ssize_t)len && s == 0 ? 0 : -1;
}

/* Does path hold exactly len bytes equal to data? */
static int same(const char *path, const void *data, size_t len)
{
    static unsigned char back[BIG + 1];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    size_t got = 0;
    ssize_t r;
    while (got <= len && (r = read(fd, back + got, BIG + 1 - got)) > 0)
        got += r;
    close(fd);
    return got == len && !memcmp(back, data, len);
}

static void phase_write(void)
{
    int bad = 0;
    mkdir("persist", 0755);
    if (chdir("persist") < 0) {
        t_fail("write-chdir", "%s", t_errname(errno));
        return;
    }
    bad += put("hello.txt", "hello, next boot\n", 17, 0644) < 0;
    pattern(buf, BIG, 1);
    bad += put("big.bin", buf, BIG, 0644) < 0;
    /* sparse: 1 MiB hole, then 10 bytes */
    int fd = open("sparse", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    bad += pwrite(fd, "at-the-end", 10, 1 << 20) != 10;
    close(fd);
    pattern(buf, 100000, 2);
    bad += put("truncated", buf, 100000, 0644) < 0;
    bad += truncate("truncated", 5000) < 0;
    bad += put("private", "secret", 6, 0600) < 0;
    bad += chmod("private", 0640) < 0;
    struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};
    bad += utimensat(AT_FDCWD, "hello.txt", ts, 0) < 0;
    bad += mkdir("a", 0755) + mkdir("a/b", 0700) + mkdir("a/b/c", 0755);
    bad += put("a/b/c/deep", "deep file", 9, 0644) < 0;
    bad += link("a/b/c/deep", "a/link-to-deep") < 0;
    bad += put("replaced", "old version", 11, 0644) < 0;
    bad += put("replacement", "new version", 11, 0644) < 0;
    bad += rename("replacement", "replaced") < 0;
    bad += put("deleted", "gone", 4, 0644) < 0;
    bad += unlink("deleted") < 0;
    bad += mkdir("many", 0755);
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "many/n%03d", i);
        bad += put(name, name, strlen(name), 0644) < 0;
    }
    bad += mkdir("removed-dir", 0755) + rmdir("removed-dir");
    sync();
    chdir("..");
    t_check("write", bad == 0, "%d steps failed", bad);
}

static void phase_check(void)
{
    if (!t_check("check-dir", chdir("persist") == 0, "persist/: %s", t_errname(errno)))
        return;
    t_check("small-file", same("hello.txt", "hello, next boot\n", 17), "hello.txt differs");
    pattern(buf, BIG, 1);
    t_check("big-file", same("big.bin", buf, BIG), "big.bin (%d bytes) differs", BIG);
    static unsigned char sp[(1 << 20) + 10];
    memcpy(sp + (1 << 20), "at-the-end", 10);
    t_check("sparse-file", same("sparse", sp, sizeof sp), "sparse differs");
    pattern(buf, 5000, 2);
    t_check("truncated-file", same("truncated", buf, 5000), "truncated differs");
    struct stat st;
    t_check("mode", stat("private", &st) == 0 && (st.st_mode & 07777) == 0640 && S_ISREG(st.st_mode),
            "mode %o", st.st_mode);
    t_check("dir-mode", stat("a/b", &st) == 0 && (st.st_mode & 07777) == 0700 && S_ISDIR(st.st_mode),
            "mode %o", st.st_mode);
    t_check("mtime", stat("hello.txt", &st) == 0 && st.st_mtim.tv_sec == MTIME, "mtime %ld",
            (long)st.st_mtim.tv_sec);
    struct stat s1, s2;
    t_check("hard-link", stat("a/b/c/deep", &s1) == 0 && stat("a/link-to-deep", &s2) == 0 &&
            s1.st_ino == s2.st_ino && s1.st_nlink == 2 && same("a/link-to-deep", "deep file", 9),
            "the two names are not one inode with nlink 2");
    t_check("rename-replaced", same("replaced", "new version", 11) && access("replacement", F_OK) < 0,
            "replaced does not hold the new version, or replacement is still there");
    t_check("deleted-stays-deleted", access("deleted", F_OK) < 0 && access("removed-dir", F_OK) < 0,
            "a deleted file or directory came back");
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        char name[32];
        snprintf(name, sizeof name, "many/n%03d", i);
        bad += !same(name, name, strlen(name));
    }
    t_check("many-files", bad == 0, "%d of 200 files differ", bad);
    t_check("dir-nlink", stat(".", &st) == 0 && st.st_nlink == 4, "persist/ nlink %ld (a, many)",
            (long)st.st_nlink);
    chdir("..");
}

int main(int argc, char **argv)
{
    t_begin("test_fs_persist");
    if (argc > 2) {
        if (chdir(argv[2]) < 0) {
            t_fail("chdir", "%s: %s", argv[2], t_errname(errno));
            return t_end();
        }
        if (!strcmp(argv[1], "write"))
            phase_write();
        else
            phase_check();
        return t_end();
    }
    if (!t_scratch())
        return t_end();
    phase_write();
    phase_check();
    t_scratch_cleanup();
    return t_end();
}
