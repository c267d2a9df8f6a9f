/*
 * test_fs_rename: rename(2) semantics as Linux has them: replacing a file
 * (the target's name never disappears, even for a concurrent reader), moving
 * across directories (a directory's '..' and both parents' link counts
 * follow), a directory onto an empty directory, ENOTEMPTY, EINVAL into its
 * own subdirectory, EISDIR/ENOTDIR, and the no-op of two names of one inode.
 *   test_fs_rename [DIR]     DIR: where to work (default $TMPDIR or /tmp)
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static ino_t ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static nlink_t nlink_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_nlink : 0;
}

static void test_files(void)
{
    char buf[64];
    t_write_file("a", "alpha");
    t_write_file("b", "beta");
    ino_t ia = ino_of("a");
    t_check("replace-file", rename("a", "b") == 0, "%s", t_errname(errno));
    t_check("replace-file-content", !strcmp(t_read_file("b", buf, sizeof buf), "alpha") && ino_of("b") == ia,
            "b holds \"%s\"", buf);
    t_check("replace-file-source-gone", access("a", F_OK) < 0 && errno == ENOENT, "a still exists");

    mkdir("d1", 0755);
    mkdir("d2", 0755);
    t_write_file("d1/x", "moved");
    t_check("across-dirs", rename("d1/x", "d2/y") == 0, "%s", t_errname(errno));
    t_check("across-dirs-content", !strcmp(t_read_file("d2/y", buf, sizeof buf), "moved") &&
            access("d1/x", F_OK) < 0, "d2/y holds \"%s\"", buf);
    t_write_file("d1/z", "other");
    t_check("across-dirs-replace", rename("d2/y", "d1/z") == 0 &&
            !strcmp(t_read_file("d1/z", buf, sizeof buf), "moved"), "d1/z holds \"%s\"", buf);

    /* An open file keeps its data through a rename and a replacement. */
    t_write_file("open1", "kept");
    int fd = open("open1", O_RDONLY);
    t_write_file("open2", "new");
    rename("open2", "open1");
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    t_check("replaced-file-still-open", n == 4 && !strcmp(buf, "kept"), "read \"%s\"", buf);
    close(fd);

    t_check("same-name-noop", rename("b", "b") == 0 && !strcmp(t_read_file("b", buf, sizeof buf), "alpha"),
            "%s", t_errname(errno));
    link("b", "b2");
    t_check("same-inode-noop", rename("b", "b2") == 0, "%s", t_errname(errno));
    t_check("same-inode-both-remain", access("b", F_OK) == 0 && access("b2", F_OK) == 0 && nlink_of("b") == 2,
            "b %s, b2 %s, nlink %ld", access("b", F_OK) ? "gone" : "there",
            access("b2", F_OK) ? "gone" : "there", (long)nlink_of("b"));
    t_errno("missing-source-enoent", rename("nonesuch", "c"), ENOENT);
    t_errno("missing-target-dir-enoent", rename("b", "nodir/c"), ENOENT);
    t_errno("target-through-file-enotdir", rename("b", "b2/c"), ENOTDIR);
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    t_errno("long-name-enametoolong", rename("b", longname), ENAMETOOLONG);
}

static void test_dirs(void)
{
    mkdir("p1", 0755);
    mkdir("p2", 0755);
    mkdir("p1/sub", 0755);
    t_write_file("p1/sub/f", "inside");
    nlink_t n1 = nlink_of("p1"), n2 = nlink_of("p2");
    t_check("dir-across", rename("p1/sub", "p2/sub2") == 0, "%s", t_errname(errno));
    t_check("dir-across-dotdot", ino_of("p2/sub2/..") == ino_of("p2") && ino_of("p2/sub2/f") != 0,
            "'..' of the moved directory is not its new parent");
    t_check("dir-across-nlink", nlink_of("p1") == n1 - 1 && nlink_of("p2") == n2 + 1,
            "parents' nlink %ld,%ld -> %ld,%ld", (long)n1, (long)n2, (long)nlink_of("p1"),
            (long)nlink_of("p2"));

    mkdir("empty", 0755);
    ino_t moved = ino_of("p2/sub2");
    nlink_t np = nlink_of(".");
    t_check("dir-onto-empty-dir", rename("p2/sub2", "empty") == 0, "%s", t_errname(errno));
    t_check("dir-onto-empty-result", ino_of("empty") == moved && ino_of("empty/f") != 0 &&
            access("p2/sub2", F_OK) < 0, "empty is not the moved directory");
    t_check("dir-onto-empty-nlink", nlink_of(".") == np && nlink_of("p2") == n2,
            "nlink of . %ld (was %ld), of p2 %ld (was %ld)", (long)nlink_of("."), (long)np,
            (long)nlink_of("p2"), (long)n2);

    mkdir("full", 0755);
    t_write_file("full/x", "x");
    mkdir("d", 0755);
    t_errno("dir-onto-nonempty-enotempty", rename("d", "full"), ENOTEMPTY);
    mkdir("d/child", 0755);
    t_errno("dir-into-own-subdir-einval", rename("d", "d/child/d"), EINVAL);
    t_errno("dir-into-itself-einval", rename("d", "d/d"), EINVAL);
    t_write_file("file", "f");
    t_errno("dir-onto-file-enotdir", rename("d", "file"), ENOTDIR);
    t_errno("file-onto-dir-eisdir", rename("file", "d"), EISDIR);
    t_check("failed-renames-changed-nothing", ino_of("d/child") && ino_of("full/x") && ino_of("file"),
            "a failed rename moved something");
}

/* A reader that opens the target in a loop while it is replaced: the name
 * must never be missing and every read must be one whole version. */
static void test_atomic_replace(void)
{
    t_write_file("target", "version-000");
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 4000; i++) {
            char buf[32] = {0};
            int fd = open("target", O_RDONLY);
            if (fd < 0)
                _exit(1);
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n != 11 || strncmp(buf, "version-", 8))
                _exit(2);
            if (access("stop", F_OK) == 0)
                _exit(0);
        }
        _exit(0);
    }
    int bad = 0;
    for (int i = 1; i <= 300; i++) {
        char text[32];
        snprintf(text, sizeof text, "version-%03d", i);
        if (t_write_file("target.new", text) < 0 || rename("target.new", "target") < 0)
            bad++;
    }
    t_write_file("stop", "");
    int status;
    waitpid(pid, &status, 0);
    t_check("atomic-replace-writer", bad == 0, "%d renames failed", bad);
    t_check("atomic-replace-reader", WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "reader saw %s", WIFEXITED(status) && WEXITSTATUS(status) == 1 ? "no file (ENOENT)"
            : WIFEXITED(status) && WEXITSTATUS(status) == 2 ? "a partial version" : t_status(status));
}

int main(int argc, char **argv)
{
    t_begin("test_fs_rename");
    if (argc > 1)
        setenv("TMPDIR", argv[1], 1);
    if (!t_scratch())
        return t_end();
    test_files();
    test_dirs();
    test_atomic_replace();
    t_scratch_cleanup();
    return t_end();
}
