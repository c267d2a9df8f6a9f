/*
 * test_fs_links: hard links and link counts: link/unlink and st_nlink, the
 * errors of link(2), a directory's count (2 + subdirectories), 100 links to
 * one file, and a file unlinked while open: its data stays readable and
 * writable through the descriptor (also in a child), and its blocks are freed
 * only at the last close.
 *   test_fs_links [DIR]     DIR: where to work (default $TMPDIR or /tmp)
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

static nlink_t nlink_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_nlink : 0;
}

static void test_link(void)
{
    int fd = open("a", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "shared", 6);
    close(fd);
    t_check("new-file-nlink-1", nlink_of("a") == 1, "nlink %ld", (long)nlink_of("a"));
    t_check("link", link("a", "b") == 0, "%s", t_errname(errno));
    struct stat sa, sb;
    stat("a", &sa);
    stat("b", &sb);
    t_check("link-same-inode", sa.st_ino == sb.st_ino && sa.st_nlink == 2 && sb.st_nlink == 2,
            "ino %ld/%ld nlink %ld/%ld", (long)sa.st_ino, (long)sb.st_ino, (long)sa.st_nlink,
            (long)sb.st_nlink);
    mkdir("dir", 0755);
    t_check("link-other-dir", link("a", "dir/c") == 0 && nlink_of("a") == 3, "nlink %ld",
            (long)nlink_of("a"));
    unlink("a");
    char buf[16] = {0};
    fd = open("b", O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    t_check("unlink-one-name", nlink_of("b") == 2 && !strcmp(buf, "shared"), "nlink %ld, \"%s\"",
            (long)nlink_of("b"), buf);
    t_errno("link-existing-eexist", link("b", "dir/c"), EEXIST);
    t_errno("link-missing-enoent", link("nonesuch", "x"), ENOENT);
    t_errno("link-directory-eperm", link("dir", "dir2"), EPERM);
    t_errno("link-into-missing-dir-enoent", link("b", "nodir/x"), ENOENT);
    unlink("b");
    unlink("dir/c");

    int bad = 0;
    fd = open("many", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    close(fd);
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "many.%d", i);
        bad += link("many", name) < 0;
    }
    t_check("hundred-links", bad == 0 && nlink_of("many") == 101, "%d failed, nlink %ld", bad,
            (long)nlink_of("many"));
    for (int i = 0; i < 100; i++) {
        char name[32];
        snprintf(name, sizeof name, "many.%d", i);
        bad += unlink(name) < 0;
    }
    t_check("hundred-unlinks", bad == 0 && nlink_of("many") == 1, "%d failed, nlink %ld", bad,
            (long)nlink_of("many"));
    unlink("many");
}

static void test_dir_nlink(void)
{
    mkdir("top", 0755);
    t_check("dir-nlink-2", nlink_of("top") == 2, "nlink %ld", (long)nlink_of("top"));
    mkdir("top/s1", 0755);
    mkdir("top/s2", 0755);
    int fd = open("top/file", O_WRONLY | O_CREAT, 0644);
    close(fd);
    t_check("dir-nlink-subdirs", nlink_of("top") == 4, "nlink %ld with 2 subdirectories and a file",
            (long)nlink_of("top"));
    rmdir("top/s1");
    t_check("dir-nlink-after-rmdir", nlink_of("top") == 3, "nlink %ld", (long)nlink_of("top"));
    rmdir("top/s2");
    unlink("top/file");
    rmdir("top");
}

static long free_blocks(void)
{
    struct statfs sf;
    return statfs(".", &sf) == 0 ? (long)sf.f_bfree : -1;
}

static void test_unlink_open(void)
{
    enum { SIZE = 4 << 20 };
    static char data[SIZE], back[SIZE];
    for (int i = 0; i < SIZE; i++)
        data[i] = (char)(i * 7 + i / 4096);
    int fd = open("victim", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ssize_t w = write(fd, data, SIZE);
    fsync(fd);
    t_check("unlink-open-write", w == SIZE, "wrote %zd", w);
    t_check("unlink-open-unlink", unlink("victim") == 0, "%s", t_errname(errno));
    struct stat st;
    fstat(fd, &st);
    t_check("unlink-open-nlink-0", st.st_nlink == 0 && st.st_size == SIZE, "nlink %ld size %ld",
            (long)st.st_nlink, (long)st.st_size);
    t_check("unlink-open-name-gone", access("victim", F_OK) < 0 && errno == ENOENT, "still there");
    ssize_t r = pread(fd, back, SIZE, 0);
    t_check("unlink-open-read", r == SIZE && !memcmp(back, data, SIZE), "read %zd", r);
    t_check("unlink-open-write-more", pwrite(fd, "tail", 4, SIZE) == 4, "%s", t_errname(errno));
    pid_t pid = fork();
    if (pid == 0) {
        char b[8] = {0};
        _exit(pread(fd, b, 4, SIZE) == 4 && !memcmp(b, "tail", 4) ? 0 : 1);
    }
    int status;
    waitpid(pid, &status, 0);
    t_check("unlink-open-child-reads", WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s",
            t_status(status));
    long before = free_blocks();
    close(fd);
    long after = free_blocks();
    struct statfs sf;
    statfs(".", &sf);
    long want = (long)(SIZE / 2 / (sf.f_bsize ? sf.f_bsize : 4096));
    t_check("unlink-open-freed-at-close", after - before >= want,
            "free blocks %ld before the last close, %ld after (expected +%ld)", before, after, want);
}

int main(int argc, char **argv)
{
    t_begin("test_fs_links");
    if (argc > 1)
        setenv("TMPDIR", argv[1], 1);
    if (!t_scratch())
        return t_end();
    test_link();
    test_dir_nlink();
    test_unlink_open();
    t_scratch_cleanup();
    return t_end();
}
