/*
 * test_fs_walk: walk a whole tree the way a careful program would (lstat,
 * readdir, read every file), then create, write, read back and remove one
 * file; tools/test-corrupt.py runs it on corrupted images.
 *   test_fs_walk [ROOT [PROBE_DIR]]   (default / and /home; no arguments on
 *                                      the host: a small tree of its own)
 *   test_fs_walk --disks MNT DEV...   for each DEV (/dev/vdb ...): mount it
 *                                      (MFS) on MNT, walk MNT, probe MNT/home
 *                                      (or MNT), unmount; one verdict per DEV
 * It passes iff every failing call failed with EIO (or, for the probe file,
 * ENOSPC/EROFS: a damaged file system may refuse writes), and nothing it read
 * was nonsense: names are non-empty without '/', file types are real types,
 * sizes are not negative, read() never returns more than st_size promised
 * beyond a growing file. /dev and /proc are skipped (devices block or never end).
 * With --disks, a DEV may also be refused at mount (EUCLEAN, EIO or EINVAL:
 * the kernel says why in one line), and an accepted one must unmount; the
 * lines `# disk DEV: begin` and `ok disk-DEV` / `FAIL disk-DEV: why` frame
 * each disk so the harness can tell which disk a kernel message belongs to.
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
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

/*
 * Create, write, read back, remove; on a damaged file system the write may be
 * refused. Returns NULL, or what went wrong (a static string).
 */
static const char *probe(const char *dir)
{
    static char why[160];
    char path[512];
    snprintf(path, sizeof path, "%s/walk-probe.%d", dir, (int)getpid());
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 13 + 1);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        int e = errno;
        if (e == EIO || e == ENOSPC || e == EROFS)
            return NULL;
        snprintf(why, sizeof why, "probe create: %s", t_errname(e));
        return why;
    }
    why[0] = 0;
    ssize_t w = write(fd, buf, sizeof buf);
    int e = errno;
    if (w < 0) {
        if (e != EIO && e != ENOSPC && e != EROFS)
            snprintf(why, sizeof why, "probe write: %s", t_errname(e));
    } else {
        static char back[sizeof buf];
        ssize_t r = pread(fd, back, sizeof back, 0);
        if (r != w || memcmp(back, buf, w))
            snprintf(why, sizeof why, "probe read back: wrote %zd, read %zd", w, r);
        else if (fsync(fd) < 0 && errno != EIO)
            snprintf(why, sizeof why, "probe fsync: %s", t_errname(errno));
    }
    close(fd);
    if (unlink(path) < 0 && errno != EIO && !why[0])
        snprintf(why, sizeof why, "probe unlink: %s", t_errname(errno));
    return why[0] ? why : NULL;
}

/* The walk's verdict: NULL if it passed, else why (a static string). */
static const char *walk_verdict(void)
{
    static char why[160];
    if (dirs == 0 || (files == 0 && eio == 0))
        snprintf(why, sizeof why, "found nothing: %ld directories, %ld files", dirs, files);
    else if (other_errors)
        snprintf(why, sizeof why, "%ld calls failed with something else than EIO", other_errors);
    else if (nonsense)
        snprintf(why, sizeof why, "%ld results were nonsense", nonsense);
    else
        return NULL;
    return why;
}

/*
 * Mount DEV on MNT, walk it, probe it, unmount it: one `ok disk-vdX` or
 * `FAIL disk-vdX: why` line. A refusal at mount is an answer too.
 */
static void check_disk(const char *mnt, const char *dev)
{
    const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
    char test[64];
    snprintf(test, sizeof test, "disk-%s", name);
    dirs = files = bytes = entries = eio = other_errors = nonsense = 0;
    t_note("disk %s: begin", name);
    if (mount(dev, mnt, "mfs", 0, NULL) < 0) {
        int e = errno;
        t_note("disk %s: refused: %s", name, t_errname(e));
        t_check(test, e == EUCLEAN || e == EIO || e == EINVAL, "mount refused with %s (not EUCLEAN, EIO or EINVAL)",
                t_errname(e));
        return;
    }
    walk(mnt, 0);
    t_note("disk %s: walk: %ld directories, %ld files, %ld bytes, %ld EIO", name, dirs, files, bytes, eio);
    const char *why = walk_verdict();
    char home[512];
    snprintf(home, sizeof home, "%s/home", mnt);
    struct stat st;
    const char *probe_why = probe(lstat(home, &st) == 0 && S_ISDIR(st.st_mode) ? home : mnt);
    if (!why)
        why = probe_why;
    int u = umount2(mnt, 0);
    int ue = errno;
    if (!why && u < 0) {
        static char uwhy[64];
        snprintf(uwhy, sizeof uwhy, "umount: %s", t_errname(ue));
        why = uwhy;
    }
    t_check(test, why == NULL, "%s", why ? why : "");
}

int main(int argc, char **argv)
{
    t_begin("test_fs_walk");
    if (argc > 2 && !strcmp(argv[1], "--disks")) {
        const char *mnt = argv[2];
        mkdir(mnt, 0755);
        for (int i = 3; i < argc; i++)
            check_disk(mnt, argv[i]);
        return t_end();
    }
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
    const char *why = walk_verdict();
    t_check("walk", why == NULL, "%s", why ? why : "");
    why = probe(probe_dir);
    t_check("probe", why == NULL, "%s", why ? why : "");
    if (argc <= 1)
        t_scratch_cleanup();
    return t_end();
}
