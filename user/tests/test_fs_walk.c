/*
 * test_fs_walk: walk a whole tree the way a careful program would (lstat,
 * readdir, read every file), then create, write, read back and remove one
 * file; tools/test-corrupt.py runs it on corrupted images.
 *   test_fs_walk [ROOT [PROBE_DIR]]   (default / and /home; no arguments on
 *                                      the host: a small tree of its own)
 * It passes iff every failing call failed with EIO (or, for the probe file,
 * ENOSPC/EROFS: a damaged file system may refuse writes), and nothing it read
 * was nonsense: names are non-empty without '/', file types are real types,
 * sizes are not negative, read() never returns more than st_size promised
 * beyond a growing file. /dev and /proc are skipped (devices block or never end).
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 24          /* a directory cycle must not walk forever */
#define MAX_ENTRIES 50000

static long dirs, files, bytes, entries, eio, other_errors, nonsense;
static char buf[65536];

static void error(const char *op, const char *path, int err)
{
    if (err == EIO) {
        eio++;
        t_note("EIO: %s %s", op, path);
    } else {
        other_errors++;
        t_note("unexpected error: %s %s: %s", op, path, t_errname(err));
    }
}

static void walk(const char *path, int depth);

static void visit(const char *path, int depth)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        error("lstat", path, errno);
        return;
    }
    mode_t type = st.st_mode & S_IFMT;
    if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFCHR && type != S_IFBLK &&
        type != S_IFIFO && type != S_IFSOCK) {
        nonsense++;
        t_note("nonsense: %s has mode %o", path, st.st_mode);
        return;
    }
    if (st.st_size < 0 || st.st_nlink == 0) {
        nonsense++;
        t_note("nonsense: %s size %ld nlink %ld", path, (long)st.st_size, (long)st.st_nlink);
    }
    if (type == S_IFDIR) {
        walk(path, depth + 1);
        return;
    }
    if (type == S_IFLNK) {
        char target[4096];
        if (readlink(path, target, sizeof target) < 0)
            error("readlink", path, errno);
        return;
    }
    if (type != S_IFREG)
        return;
    files++;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        error("open", path, errno);
        return;
    }
    long total = 0;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        total += r;
    if (r < 0)
        error("read", path, errno);
    else if (total != st.st_size) {
        nonsense++;
        t_note("nonsense: %s: read %ld bytes, st_size %ld", path, total, (long)st.st_size);
    }
    bytes += total;
    close(fd);
}

static void walk(const char *path, int depth)
{
    if (depth > MAX_DEPTH) {
        t_note("deeper than %d levels at %s (a directory cycle?): not descending", MAX_DEPTH, path);
        return;
    }
    if (!strcmp(path, "/dev") || !strcmp(path, "/proc"))
        return;
    DIR *d = opendir(path);
    if (!d) {
        error("opendir", path, errno);
        return;
    }
    dirs++;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL && entries < MAX_ENTRIES) {
        entries++;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (!e->d_name[0] || strchr(e->d_name, '/') || strlen(e->d_name) > 255) {
            nonsense++;
            t_note("nonsense: a name in %s: \"%.40s\"", path, e->d_name);
            continue;
        }
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", e->d_name);
        visit(sub, depth);
        errno = 0;
    }
    if (errno && e == NULL)
        error("readdir", path, errno);
    closedir(d);
}

/* Create, write, read back, remove: on a damaged file system the write may be refused. */
static void probe(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/walk-probe.%d", dir, (int)getpid());
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 13 + 1);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        t_check("probe-create", e == EIO || e == ENOSPC || e == EROFS, "%s", t_errname(e));
        return;
    }
    ssize_t w = write(fd, buf, sizeof buf);
    int e = errno;
    if (w < 0)
        t_check("probe-write", e == EIO || e == ENOSPC || e == EROFS, "%s", t_errname(e));
    else {
        static char back[sizeof buf];
        ssize_t r = pread(fd, back, sizeof back, 0);
        t_check("probe-read-back", r == w && !memcmp(back, buf, w), "wrote %zd, read %zd", w, r);
        int s = fsync(fd);
        t_check("probe-fsync", s == 0 || errno == EIO, "%s", t_errname(errno));
    }
    close(fd);
    if (unlink(path) < 0)
        t_check("probe-unlink", errno == EIO, "%s", t_errname(errno));
}

int main(int argc, char **argv)
{
    t_begin("test_fs_walk");
    const char *root = argc > 1 ? argv[1] : NULL;
    const char *probe_dir = argc > 2 ? argv[2] : "/home";
    if (!root) {
        const char *s = t_scratch();
        if (!s)
            return t_end();
        mkdir("a", 0755);
        mkdir("a/b", 0755);
        int fd = open("a/b/f", O_WRONLY | O_CREAT, 0644);
        write(fd, "walk me", 7);
        close(fd);
        symlink("a/b/f", "link");
        root = s;
        probe_dir = s;
    }
    walk(root, 0);
    t_note("walk: %ld directories, %ld files, %ld bytes, %ld EIO", dirs, files, bytes, eio);
    t_check("walk-found-something", dirs > 0 && (files > 0 || eio > 0), "%ld directories, %ld files", dirs,
            files);
    t_check("walk-errors-are-eio", other_errors == 0, "%ld calls failed with something else than EIO",
            other_errors);
    t_check("walk-no-nonsense", nonsense == 0, "%ld results were nonsense", nonsense);
    probe(probe_dir);
    if (argc <= 1)
        t_scratch_cleanup();
    return t_end();
}
