/*
 * test_files: files and directories in a scratch directory under /tmp.
 * open flags (O_CREAT|O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY), read/write/
 * lseek (holes, SEEK_END, negative offsets), pread/pwrite, unlink of an open
 * file, rename (replacing, into itself), link counts, getdents64 (complete,
 * in small pieces, d_type), mkdir/rmdir errors, relative paths and "..",
 * dup/dup2/fcntl (shared offsets, FD_CLOEXEC, F_DUPFD, F_GETFL), umask.
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void test_open_flags(void)
{
    int fd = open("a", O_RDWR | O_CREAT | O_EXCL, 0644);
    t_check("open-creat-excl-creates", fd >= 0, "%s", t_errname(errno));
    close(fd);
    errno = 0;
    t_errno("open-creat-excl-eexist", open("a", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
    t_errno("open-missing-enoent", open("missing", O_RDONLY), ENOENT);
    t_errno("open-missing-dir-enoent", open("nodir/x", O_RDONLY | O_CREAT, 0644), ENOENT);
    t_errno("open-through-file-enotdir", open("a/x", O_RDONLY), ENOTDIR);
    t_errno("open-file-o-directory-enotdir", open("a", O_RDONLY | O_DIRECTORY), ENOTDIR);
    t_errno("open-dir-for-writing-eisdir", open(".", O_WRONLY), EISDIR);
    t_errno("open-empty-path-enoent", open("", O_RDONLY), ENOENT);
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    t_errno("open-long-name-enametoolong", open(longname, O_RDONLY | O_CREAT, 0644), ENAMETOOLONG);

    t_write_file("t", "hello world");
    fd = open("t", O_RDWR | O_TRUNC);
    struct stat st;
    fstat(fd, &st);
    t_check("open-o-trunc", st.st_size == 0, "size %ld", (long)st.st_size);
    close(fd);

    t_write_file("ap", "abc");
    fd = open("ap", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    ssize_t w = write(fd, "def", 3);
    off_t pos = lseek(fd, 0, SEEK_CUR);
    close(fd);
    char buf[64];
    t_check("open-o-append", w == 3 && pos == 6 && !strcmp(t_read_file("ap", buf, sizeof buf), "abcdef"),
            "file \"%s\", offset %ld", buf, (long)pos);
    fd = open("ap", O_RDONLY);
    errno = 0;
    t_errno("write-readonly-fd-ebadf", write(fd, "x", 1), EBADF);
    close(fd);
    t_errno("close-twice-ebadf", close(fd), EBADF);
    t_errno("read-bad-fd-ebadf", read(999, buf, 1), EBADF);
}

static void test_read_write_seek(void)
{
    int fd = open("rw", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[64] = {0};
    ssize_t w = write(fd, "hello world", 11);
    off_t end = lseek(fd, 0, SEEK_END);
    lseek(fd, 6, SEEK_SET);
    ssize_t r = read(fd, buf, sizeof buf);
    t_check("read-after-lseek", w == 11 && end == 11 && r == 5 && !memcmp(buf, "world", 5), "r=%zd \"%s\"", r, buf);
    t_check("read-at-eof-zero", read(fd, buf, 10) == 0, "read past the end returned data");
    t_check("lseek-seek-cur", lseek(fd, -5, SEEK_CUR) == 6, "SEEK_CUR wrong");
    errno = 0;
    t_errno("lseek-negative-einval", lseek(fd, -100, SEEK_SET), EINVAL);
    t_errno("lseek-bad-whence-einval", lseek(fd, 0, 42), EINVAL);

    /* A hole reads as zeros. */
    lseek(fd, 8192, SEEK_SET);
    w = write(fd, "X", 1);
    struct stat st;
    fstat(fd, &st);
    char hole[100];
    memset(hole, 1, sizeof hole);
    ssize_t hr = pread(fd, hole, sizeof hole, 4000);
    int zeros = 1;
    for (int i = 0; i < 100; i++)
        zeros = zeros && hole[i] == 0;
    t_check("write-past-end-leaves-zeros", st.st_size == 8193 && hr == 100 && zeros, "size %ld, pread %zd",
            (long)st.st_size, hr);

    /* pread/pwrite leave the offset alone. */
    lseek(fd, 3, SEEK_SET);
    ssize_t pw = pwrite(fd, "HE", 2, 0);
    ssize_t pr = pread(fd, buf, 5, 0);
    t_check("pread-pwrite-keep-offset", pw == 2 && pr == 5 && !memcmp(buf, "HEllo", 5) && lseek(fd, 0, SEEK_CUR) == 3,
            "pread \"%.5s\", offset %ld", buf, (long)lseek(fd, 0, SEEK_CUR));

    /* A larger file, written and read back in odd pieces. */
    enum { BIG = 300000 };
    char *data = malloc(BIG), *back = malloc(BIG);
    for (int i = 0; i < BIG; i++)
        data[i] = (char)(i * 7 + i / 251);
    ftruncate(fd, 0);
    lseek(fd, 0, SEEK_SET);
    size_t off = 0;
    while (off < BIG) {
        size_t n = (off * 13 + 1000) % 9000 + 1;
        if (n > BIG - off)
            n = BIG - off;
        if (write(fd, data + off, n) != (ssize_t)n)
            break;
        off += n;
    }
    lseek(fd, 0, SEEK_SET);
    size_t got = 0;
    ssize_t n;
    while (got < BIG && (n = read(fd, back + got, BIG - got > 7777 ? 7777 : BIG - got)) > 0)
        got += n;
    t_check("file-300k-roundtrip", off == BIG && got == BIG && !memcmp(data, back, BIG), "wrote %zu, read %zu", off,
            got);
    free(data);
    free(back);
    close(fd);
}

static void test_unlink_open(void)
{
    t_write_file("gone", "still here");
    int fd = open("gone", O_RDONLY);
    int r = unlink("gone");
    struct stat st;
    errno = 0;
    int sr = stat("gone", &st);
    int se = errno;
    char buf[32] = {0};
    ssize_t n = read(fd, buf, sizeof buf - 1);
    fstat(fd, &st);
    t_check("unlink-while-open", r == 0 && sr == -1 && se == ENOENT && n == 10 && !strcmp(buf, "still here") &&
                                      st.st_nlink == 0,
            "unlink %d, stat %s, read %zd \"%s\", nlink %ld", r, t_errname(se), n, buf, (long)st.st_nlink);
    close(fd);
    errno = 0;
    t_errno("unlink-missing-enoent", unlink("gone"), ENOENT);
}

static void test_rename_link(void)
{
    char buf[64];
    t_write_file("r1", "one");
    int r = rename("r1", "r2");
    t_check("rename-moves", r == 0 && access("r1", F_OK) < 0 && !strcmp(t_read_file("r2", buf, sizeof buf), "one"),
            "rename %d", r);
    t_write_file("r3", "three");
    r = rename("r3", "r2");
    t_check("rename-replaces", r == 0 && access("r3", F_OK) < 0 && !strcmp(t_read_file("r2", buf, sizeof buf), "three"),
            "rename %d, r2 holds \"%s\"", r, buf);
    mkdir("rd", 0755);
    r = rename("r2", "rd/r2");
    t_check("rename-into-directory", r == 0 && !strcmp(t_read_file("rd/r2", buf, sizeof buf), "three"), "rename %d", r);
    mkdir("rd/sub", 0755);
    errno = 0;
    t_errno("rename-dir-into-itself-einval", rename("rd", "rd/sub/rd"), EINVAL);
    t_errno("rename-missing-enoent", rename("nothing", "x"), ENOENT);

    t_write_file("l1", "linked");
    r = link("l1", "l2");
    struct stat a, b;
    stat("l1", &a);
    stat("l2", &b);
    t_check("link-counts", r == 0 && a.st_nlink == 2 && b.st_nlink == 2 && a.st_ino == b.st_ino,
            "link %d, nlink %ld/%ld, ino %ld/%ld", r, (long)a.st_nlink, (long)b.st_nlink, (long)a.st_ino,
            (long)b.st_ino);
    unlink("l1");
    stat("l2", &b);
    t_check("link-count-after-unlink", b.st_nlink == 1 && !strcmp(t_read_file("l2", buf, sizeof buf), "linked"),
            "nlink %ld", (long)b.st_nlink);
    errno = 0;
    t_errno("link-exists-eexist", link("l2", "l2"), EEXIST);
    struct stat d;
    stat("rd", &d);
    t_check("directory-nlink", d.st_nlink == 3, "rd has nlink %ld (want 3: ., .., sub/..)", (long)d.st_nlink);
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Lists dir with getdents64 and a buffer of bufsize bytes; counts what it sees. */
static int list_dir(const char *dir, size_t bufsize, char names[][16], unsigned char *types, int max, long *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[4096];
    int count = 0;
    *err = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, bufsize);
        if (n < 0) {
            *err = errno;
            break;
        }
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            if (count < max) {
                snprintf(names[count], 16, "%s", e->d_name);
                types[count] = e->d_type;
            }
            count++;
            off += e->d_reclen;
        }
    }
    close(fd);
    return count;
}

static int find(char names[][16], int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name))
            return i;
    return -1;
}

static void test_getdents(void)
{
    mkdir("gd", 0755);
    t_write_file("gd/x", "");
    t_write_file("gd/y", "");
    mkdir("gd/z", 0755);
    char names[16][16];
    unsigned char types[16];
    long err;
    int n = list_dir("gd", sizeof(char[4096]), names, types, 16, &err);
    int ix = find(names, n, "x"), iz = find(names, n, "z"), idot = find(names, n, ".");
    int complete = n == 5 && idot >= 0 && find(names, n, "..") >= 0 && ix >= 0 && find(names, n, "y") >= 0 && iz >= 0;
    t_check("getdents64-lists-all", complete && !err, "%d entries, error %s", n, err ? t_errname(err) : "none");
    t_check("getdents64-d-type", complete && (types[ix] == DT_REG || types[ix] == DT_UNKNOWN) &&
                                     (types[iz] == DT_DIR || types[iz] == DT_UNKNOWN) &&
                                     (types[idot] == DT_DIR || types[idot] == DT_UNKNOWN),
            "types x=%d z=%d .=%d", complete ? types[ix] : -1, complete ? types[iz] : -1, complete ? types[idot] : -1);
    /* A buffer that holds one entry at a time: several calls, same result. */
    n = list_dir("gd", 32, names, types, 16, &err);
    t_check("getdents64-small-buffer", n == 5 && !err, "%d entries, error %s", n, err ? t_errname(err) : "none");
    n = list_dir("gd", 8, names, types, 16, &err);
    t_check("getdents64-tiny-buffer-einval", n == 0 && err == EINVAL, "%d entries, error %s", n, t_errname(err));
    int fd = open("gd/x", O_RDONLY);
    char buf[256];
    errno = 0;
    t_errno("getdents64-on-file-enotdir", syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
    close(fd);
    /* The C library's view. */
    DIR *d = opendir("gd");
    int count = 0;
    while (d && readdir(d))
        count++;
    if (d)
        closedir(d);
    t_check("readdir-counts", count == 5, "readdir saw %d entries", count);
}

static void test_dirs(void)
{
    t_check("mkdir", mkdir("m", 0755) == 0, "%s", t_errname(errno));
    errno = 0;
    t_errno("mkdir-exists-eexist", mkdir("m", 0755), EEXIST);
    t_errno("mkdir-missing-parent-enoent", mkdir("nope/m", 0755), ENOENT);
    t_write_file("m/f", "x");
    t_errno("rmdir-not-empty-enotempty", rmdir("m"), ENOTEMPTY);
    t_errno("rmdir-file-enotdir", rmdir("m/f"), ENOTDIR);
    t_errno("unlink-directory-eisdir", unlink("m"), EISDIR);
    t_errno("rmdir-dot-einval", rmdir("m/."), EINVAL);
    unlink("m/f");
    t_check("rmdir-empty", rmdir("m") == 0, "%s", t_errname(errno));
    struct stat st;
    t_errno("rmdir-then-stat-enoent", stat("m", &st), ENOENT);

    /* Relative paths, "." and "..", getcwd. */
    char top[1024], cwd[1024], buf[64];
    if (!getcwd(top, sizeof top))
        top[0] = 0;
    mkdir("p", 0755);
    mkdir("p/q", 0755);
    t_write_file("p/f", "pf");
    int r = chdir("p/q");
    char *c = getcwd(cwd, sizeof cwd);
    size_t tl = strlen(top);
    t_check("chdir-getcwd", r == 0 && c && !strncmp(cwd, top, tl) && !strcmp(cwd + tl, "/p/q"), "cwd %s", cwd);
    t_check("dotdot-path", !strcmp(t_read_file("../f", buf, sizeof buf), "pf") &&
                               !strcmp(t_read_file("./.././q/../f", buf, sizeof buf), "pf"),
            "cannot read ../f");
    r = chdir("../..");
    c = getcwd(cwd, sizeof cwd);
    t_check("chdir-dotdot", r == 0 && c && !strcmp(cwd, top), "cwd %s", cwd);
    int dfd = open("p", O_RDONLY | O_DIRECTORY);
    int fd = openat(dfd, "f", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, 2) : -1;
    t_check("openat-dirfd", n == 2 && !memcmp(buf, "pf", 2), "openat %d", fd);
    close(fd);
    t_check("mkdirat-unlinkat", mkdirat(dfd, "new", 0755) == 0 && unlinkat(dfd, "new", AT_REMOVEDIR) == 0,
            "%s", t_errname(errno));
    t_check("fchdir", fchdir(dfd) == 0 && access("f", F_OK) == 0 && chdir(top) == 0, "%s", t_errname(errno));
    close(dfd);
    t_check("root-dotdot-is-root", chdir("/..") == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd, "/") &&
                                       chdir(top) == 0,
            "cwd %s", cwd);
}

static void test_fds(void)
{
    t_write_file("fd", "0123456789");
    int fd = open("fd", O_RDONLY);
    int d = dup(fd);
    char c;
    ssize_t n = read(fd, &c, 1);
    n += read(d, &c, 1);
    t_check("dup-shares-offset", d > fd && n == 2 && c == '1', "second read gave '%c'", c);
    int d2 = dup2(fd, 20);
    n = read(d2, &c, 1);
    t_check("dup2-shares-offset", d2 == 20 && n == 1 && c == '2', "dup2 %d, read '%c'", d2, c);
    t_check("dup2-same-fd", dup2(fd, fd) == fd, "dup2(fd, fd) did not return fd");
    errno = 0;
    t_errno("dup2-bad-fd-ebadf", dup2(999, 21), EBADF);
    t_errno("dup3-same-fd-einval", dup3(fd, fd, 0), EINVAL);
    /* dup2 onto an open fd closes it first */
    int other = open("fd", O_RDONLY);
    dup2(fd, other);
    n = read(other, &c, 1);
    t_check("dup2-replaces-open-fd", n == 1 && c == '3', "read '%c'", c);

    t_check("fcntl-cloexec-default-off", fcntl(fd, F_GETFD) == 0, "F_GETFD %d", fcntl(fd, F_GETFD));
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    int dd = dup(fd);
    t_check("fcntl-set-cloexec", fcntl(fd, F_GETFD) == FD_CLOEXEC && fcntl(dd, F_GETFD) == 0,
            "F_GETFD %d, dup's %d (dup clears it)", fcntl(fd, F_GETFD), fcntl(dd, F_GETFD));
    int f5 = fcntl(fd, F_DUPFD, 30);
    int f6 = fcntl(fd, F_DUPFD_CLOEXEC, 30);
    t_check("fcntl-dupfd", f5 == 30 && f6 == 31 && fcntl(f6, F_GETFD) == FD_CLOEXEC, "F_DUPFD gave %d and %d", f5, f6);
    int wa = open("fd", O_WRONLY | O_APPEND);
    int fl = fcntl(wa, F_GETFL);
    t_check("fcntl-getfl", (fl & O_ACCMODE) == O_WRONLY && (fl & O_APPEND), "flags %#x", fl);
    fcntl(wa, F_SETFL, fl & ~O_APPEND);
    t_check("fcntl-setfl-append", !(fcntl(wa, F_GETFL) & O_APPEND), "O_APPEND still set");
    int lowest = open("fd", O_RDONLY);
    close(lowest);
    int again = open("fd", O_RDONLY);
    t_check("open-lowest-free-fd", again == lowest, "got %d then %d", lowest, again);
    close(again);
    close(wa);
    close(f5);
    close(f6);
    close(dd);
    close(other);
    close(d);
    close(d2);
    close(fd);
}

static void test_umask(void)
{
    mode_t old = umask(022);
    int fd = open("u1", O_WRONLY | O_CREAT, 0777);
    close(fd);
    umask(077);
    fd = open("u2", O_WRONLY | O_CREAT, 0777);
    close(fd);
    mkdir("u3", 0777);
    mode_t prev = umask(old);
    struct stat s1, s2, s3;
    stat("u1", &s1);
    stat("u2", &s2);
    stat("u3", &s3);
    t_check("umask-files", (s1.st_mode & 0777) == 0755 && (s2.st_mode & 0777) == 0700, "modes %o %o",
            s1.st_mode & 0777, s2.st_mode & 0777);
    t_check("umask-mkdir", (s3.st_mode & 0777) == 0700 && S_ISDIR(s3.st_mode), "mode %o", s3.st_mode & 0777);
    t_check("umask-returns-previous", prev == 077, "umask returned %o", prev);
}

static void test_stat(void)
{
    t_write_file("s", "12345");
    struct stat st, lst, fst;
    int fd = open("s", O_RDONLY);
    int r = stat("s", &st) | lstat("s", &lst) | fstat(fd, &fst);
    close(fd);
    t_check("stat-fields", r == 0 && S_ISREG(st.st_mode) && st.st_size == 5 && st.st_ino == fst.st_ino &&
                               st.st_dev == lst.st_dev && st.st_nlink == 1,
            "mode %o size %ld nlink %ld", st.st_mode, (long)st.st_size, (long)st.st_nlink);
    struct stat ds;
    t_check("stat-directory", stat(".", &ds) == 0 && S_ISDIR(ds.st_mode), "mode %o", ds.st_mode);
    struct stat a1, a2;
    int fa = fstatat(AT_FDCWD, "s", &a1, 0);
    int dfd = open(".", O_RDONLY);
    int fb = fstatat(dfd, "s", &a2, 0);
    close(dfd);
    t_check("newfstatat", fa == 0 && fb == 0 && a1.st_ino == a2.st_ino, "%s", t_errname(errno));
}

int main(void)
{
    t_begin("test_files");
    umask(022);
    if (!t_scratch())
        return t_end();
    test_open_flags();
    test_read_write_seek();
    test_unlink_open();
    test_rename_link();
    test_getdents();
    test_dirs();
    test_fds();
    test_umask();
    test_stat();
    t_scratch_cleanup();
    return t_end();
}
