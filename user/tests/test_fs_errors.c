/*
 * test_fs_errors: the file system's error paths.
 *   test_fs_errors [DIR [DEVICE MOUNTPOINT]]
 * In DIR (default $TMPDIR or /tmp): ENAMETOOLONG for 256-byte names (255
 * is fine), EBADF/EINVAL of fsync and fdatasync, sane statfs numbers.
 * With DEVICE (a small MFS disk, /dev/vdb) mounted on MOUNTPOINT via
 * mount(2): fill it until write fails with ENOSPC, check that what was
 * written before is intact, that creating files until the inodes run out
 * fails with ENOSPC, that freeing space makes writes work again, and unmount.
 * (On the host, without a device, only the first part runs.)
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

static void test_names(void)
{
    char name[300];
    memset(name, 'n', 255);
    name[255] = 0;
    int fd = open(name, O_WRONLY | O_CREAT, 0644);
    t_check("name-255-ok", fd >= 0, "%s", t_errname(errno));
    close(fd);
    struct stat st;
    t_check("name-255-stat", stat(name, &st) == 0, "%s", t_errname(errno));
    unlink(name);
    name[255] = 'n';
    name[256] = 0;
    t_errno("name-256-create-enametoolong", open(name, O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
    t_errno("name-256-stat-enametoolong", stat(name, &st), ENAMETOOLONG);
    t_errno("name-256-mkdir-enametoolong", mkdir(name, 0755), ENAMETOOLONG);
    fd = open("short", O_WRONLY | O_CREAT, 0644);
    close(fd);
    t_errno("name-256-link-enametoolong", link("short", name), ENAMETOOLONG);
    t_errno("name-256-rename-enametoolong", rename("short", name), ENAMETOOLONG);
    unlink("short");
    static char path[5000];
    for (int i = 0; i < 4200; i += 2)
        path[i] = 'p', path[i + 1] = '/';
    path[4200] = 0;
    t_errno("path-4200-enametoolong", stat(path, &st), ENAMETOOLONG);
}

static void test_fsync_errors(void)
{
    t_errno("fsync-minus-1-ebadf", fsync(-1), EBADF);
    t_errno("fsync-closed-ebadf", fsync(999), EBADF);
    t_errno("fdatasync-minus-1-ebadf", fdatasync(-1), EBADF);
    t_errno("fdatasync-closed-ebadf", fdatasync(999), EBADF);
    int p[2];
    pipe(p);
    t_errno("fsync-pipe-einval", fsync(p[0]), EINVAL);
    t_errno("fdatasync-pipe-einval", fdatasync(p[1]), EINVAL);
    close(p[0]);
    close(p[1]);
}

static void test_statfs(void)
{
    struct statfs a, b;
    int r = statfs(".", &a);
    t_check("statfs", r == 0, "%s", t_errname(errno));
    t_check("statfs-sane", a.f_bsize >= 512 && a.f_blocks > 0 && a.f_bfree <= a.f_blocks &&
            a.f_bavail <= a.f_bfree && a.f_files > 0 && a.f_ffree <= a.f_files && a.f_namelen == 255,
            "bsize %ld blocks %ld bfree %ld bavail %ld files %ld ffree %ld namelen %ld", (long)a.f_bsize,
            (long)a.f_blocks, (long)a.f_bfree, (long)a.f_bavail, (long)a.f_files, (long)a.f_ffree,
            (long)a.f_namelen);
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    t_check("fstatfs-matches", fstatfs(fd, &b) == 0 && b.f_type == a.f_type && b.f_blocks == a.f_blocks &&
            b.f_bsize == a.f_bsize, "%s", t_errname(errno));
    close(fd);
    t_errno("statfs-missing-enoent", statfs("nonesuch", &b), ENOENT);
    t_errno("fstatfs-bad-fd-ebadf", fstatfs(-1, &b), EBADF);
}

static void fill_pattern(char *buf, size_t len, int seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(i * 31 + seed);
}

/* On a small disk: fill it, check ENOSPC and that nothing earlier was lost. */
static void test_enospc(const char *dev, const char *mnt)
{
    mkdir(mnt, 0755);
    if (!t_check("mount", mount(dev, mnt, "mfs", 0, NULL) == 0, "mount %s on %s: %s", dev, mnt,
                 t_errname(errno)))
        return;
    if (chdir(mnt) < 0)
        return;
    static char keep[65536], chunk[65536], back[65536];
    fill_pattern(keep, sizeof keep, 1);
    int fd = open("keep", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t w = write(fd, keep, sizeof keep);
    fsync(fd);
    close(fd);
    t_check("enospc-keep-written", w == (ssize_t)sizeof keep, "wrote %zd", w);

    fd = open("fill", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    fill_pattern(chunk, sizeof chunk, 2);
    long total = 0;
    int err = 0;
    for (int i = 0; i < 100000; i++) {
        w = write(fd, chunk, sizeof chunk);
        if (w < 0) {
            err = errno;
            break;
        }
        total += w;
        if (w < (ssize_t)sizeof chunk) {   /* a short write; the next one must fail */
            w = write(fd, chunk, sizeof chunk);
            err = w < 0 ? errno : 0;
            break;
        }
    }
    t_check("enospc-write", err == ENOSPC, "after %ld bytes: %s", total, err ? t_errname(err) : "no error");
    t_check("enospc-fsync-after", fsync(fd) == 0, "%s", t_errname(errno));
    struct stat st;
    fstat(fd, &st);
    t_check("enospc-size-is-what-was-written", st.st_size == total, "size %ld, wrote %ld", (long)st.st_size,
            total);
    close(fd);
    /* Everything before the failure is there. */
    fd = open("fill", O_RDONLY);
    long bad = -1;
    for (long off = 0; off + (long)sizeof chunk <= total && bad < 0; off += sizeof chunk)
        if (pread(fd, back, sizeof back, off) != (ssize_t)sizeof back || memcmp(back, chunk, sizeof back))
            bad = off;
    close(fd);
    t_check("enospc-fill-intact", bad < 0, "wrong data at offset %ld", bad);
    fd = open("keep", O_RDONLY);
    ssize_t r = read(fd, back, sizeof back);
    close(fd);
    t_check("enospc-keep-intact", r == (ssize_t)sizeof keep && !memcmp(back, keep, sizeof keep), "read %zd", r);
    /* Linux writes what fits (a short write) before ENOSPC; top off with
     * single blocks in case the kernel refused a write that partly fitted. */
    fd = open("topoff", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int extra = 0;
    while (extra < 4096 && write(fd, chunk, 4096) == 4096)
        extra++;
    close(fd);
    if (extra)
        t_note("%d more 4 KiB blocks fitted after the first ENOSPC (Linux would have written them "
               "as a short write)", extra);
    /* (not mkdir: an empty MFS directory needs an inode but no block) */
    fd = open("newfile", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    t_errno("enospc-new-file-write", fd < 0 ? -1 : write(fd, chunk, 4096), ENOSPC);
    close(fd);
    unlink("newfile");
    unlink("topoff");
    struct statfs sf;
    statfs(".", &sf);
    t_check("enospc-statfs-full", sf.f_bavail == 0 || sf.f_bavail < 4, "f_bavail %ld", (long)sf.f_bavail);

    t_check("enospc-unlink-frees", unlink("fill") == 0, "%s", t_errname(errno));
    fd = open("again", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    w = write(fd, chunk, sizeof chunk);
    close(fd);
    t_check("enospc-write-after-free", w == (ssize_t)sizeof chunk, "wrote %zd: %s", w, t_errname(errno));
    unlink("again");

    /* Inodes: create empty files until the table is full. */
    int n = 0;
    err = 0;
    for (n = 0; n < 200000; n++) {
        char name[32];
        snprintf(name, sizeof name, "i%d", n);
        fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            err = errno;
            break;
        }
        close(fd);
    }
    t_check("enospc-inodes", err == ENOSPC, "after %d files: %s", n, err ? t_errname(err) : "no error");
    statfs(".", &sf);
    t_check("enospc-inodes-statfs", sf.f_ffree == 0, "f_ffree %ld", (long)sf.f_ffree);
    int bad_unlink = 0;
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "i%d", i);
        bad_unlink += unlink(name) < 0;
    }
    t_check("enospc-inodes-unlink", bad_unlink == 0, "%d unlinks failed", bad_unlink);
    fd = open("keep", O_RDONLY);
    r = read(fd, back, sizeof back);
    close(fd);
    t_check("enospc-keep-intact-at-end", r == (ssize_t)sizeof keep && !memcmp(back, keep, sizeof keep),
            "read %zd", r);
    chdir("/");
    t_check("umount", umount2(mnt, 0) == 0, "%s", t_errname(errno));
}

int main(int argc, char **argv)
{
    t_begin("test_fs_errors");
    if (argc > 1)
        setenv("TMPDIR", argv[1], 1);
    if (!t_scratch())
        return t_end();
    test_names();
    test_fsync_errors();
    test_statfs();
    t_scratch_cleanup();
    if (argc > 3)
        test_enospc(argv[2], argv[3]);
    else
        t_note("no DEVICE MOUNTPOINT: the ENOSPC part did not run");
    return t_end();
}
