/*
 * test_fs_sync: fsync, fdatasync, sync and syncfs on files and directories:
 * they succeed on regular files (read-only and write-only descriptors too),
 * directories and unlinked-but-open files; data written through one
 * descriptor is seen through another; bad descriptors give EBADF, pipes EINVAL.
 *   test_fs_sync [DIR]     DIR: where to work (default $TMPDIR or /tmp)
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int do_syncfs(int fd)
{
    return (int)syscall(SYS_syncfs, fd);
}

int main(int argc, char **argv)
{
    t_begin("test_fs_sync");
    if (argc > 1)
        setenv("TMPDIR", argv[1], 1);
    if (!t_scratch())
        return t_end();
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(fd, "hello", 5);
    t_check("fsync-file", fsync(fd) == 0, "%s", t_errname(errno));
    t_check("fdatasync-file", fdatasync(fd) == 0, "%s", t_errname(errno));
    int other = open("f", O_RDONLY);
    char buf[16] = {0};
    read(other, buf, sizeof buf - 1);
    t_check("fsync-visible-elsewhere", !strcmp(buf, "hello"), "read \"%s\"", buf);
    t_check("fsync-readonly-fd", fsync(other) == 0, "%s", t_errname(errno));
    t_check("fdatasync-readonly-fd", fdatasync(other) == 0, "%s", t_errname(errno));
    close(other);
    int wo = open("f", O_WRONLY | O_APPEND);
    write(wo, " world", 6);
    t_check("fsync-append", fsync(wo) == 0, "%s", t_errname(errno));
    struct stat st;
    stat("f", &st);
    t_check("fsync-size", st.st_size == 11, "size %ld", (long)st.st_size);
    close(wo);

    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    t_check("fsync-directory", fsync(dfd) == 0, "%s", t_errname(errno));
    t_check("fdatasync-directory", fdatasync(dfd) == 0, "%s", t_errname(errno));
    t_check("syncfs", do_syncfs(dfd) == 0, "%s", t_errname(errno));
    close(dfd);
    t_errno("syncfs-bad-fd-ebadf", do_syncfs(-1), EBADF);

    unlink("f");
    write(fd, "!", 1);
    t_check("fsync-unlinked-open-file", fsync(fd) == 0, "%s", t_errname(errno));
    close(fd);
    t_errno("fsync-after-close-ebadf", fsync(fd), EBADF);
    t_errno("fdatasync-after-close-ebadf", fdatasync(fd), EBADF);

    int p[2];
    pipe(p);
    t_errno("fsync-pipe-einval", fsync(p[1]), EINVAL);
    close(p[0]);
    close(p[1]);

    /* sync(2) returns nothing; it must return, and files made before stay. */
    fd = open("g", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "data", 4);
    close(fd);
    sync();
    t_check("sync", stat("g", &st) == 0 && st.st_size == 4, "after sync: %s", t_errname(errno));
    for (int i = 0; i < 20; i++) {
        fd = open("g", O_WRONLY | O_APPEND);
        write(fd, "x", 1);
        fsync(fd);
        close(fd);
    }
    stat("g", &st);
    t_check("fsync-many-appends", st.st_size == 24, "size %ld", (long)st.st_size);
    unlink("g");
    t_scratch_cleanup();
    return t_end();
}
