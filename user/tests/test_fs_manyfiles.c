/*
 * test_fs_manyfiles: 10,000 files in one directory: create, stat each,
 * count them with readdir (every name exactly once), look up missing and
 * existing names, unlink half and count again, unlink the rest, rmdir.
 *   test_fs_manyfiles [DIR [COUNT]]   DIR: where to work (default $TMPDIR or /tmp)
 * A directory this size spans many blocks: it checks block-spanning lookup,
 * insertion into freed slots, and readdir across block boundaries.
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void name_of(char *buf, size_t len, int i)
{
    /* Names of varying length, so entries do not all have one size. */
    snprintf(buf, len, "file-%d%.*s", i, i % 23, "-abcdefghijklmnopqrstuvw");
}

/* Seconds since the previous call: each phase's time, for a slow directory. */
static double phase_seconds(void)
{
    static struct timespec last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double s = (now.tv_sec - last.tv_sec) + (now.tv_nsec - last.tv_nsec) / 1e9;
    last = now;
    return s;
}

/* Number of entries besides . and ..; seen[i] counts name i; -1 on error. */
static long count_entries(const char *dir, unsigned char *seen, int count, int *strays)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    *strays = 0;
    memset(seen, 0, count);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n++;
        int i;
        char want[64];
        if (sscanf(e->d_name, "file-%d", &i) == 1 && i >= 0 && i < count) {
            name_of(want, sizeof want, i);
            if (!strcmp(want, e->d_name) && seen[i] < 255) {
                seen[i]++;
                continue;
            }
        }
        (*strays)++;
    }
    closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    t_begin("test_fs_manyfiles");
    if (argc > 1)
        setenv("TMPDIR", argv[1], 1);
    int count = argc > 2 ? atoi(argv[2]) : 10000;
    if (count < 10)
        count = 10;
    if (!t_scratch())
        return t_end();
    unsigned char *seen = malloc(count);
    char name[64], path[96];
    mkdir("d", 0755);
    phase_seconds();

    int failed_at = -1, err = 0;
    for (int i = 0; i < count && failed_at < 0; i++) {
        name_of(name, sizeof name, i);
        snprintf(path, sizeof path, "d/%s", name);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || write(fd, name, strlen(name)) != (ssize_t)strlen(name))
            failed_at = i, err = errno;
        if (fd >= 0)
            close(fd);
    }
    t_check("create-all", failed_at < 0, "file %d: %s", failed_at, t_errname(err));
    t_note("create %d files: %.1f s", count, phase_seconds());

    failed_at = -1;
    for (int i = 0; i < count && failed_at < 0; i++) {
        struct stat st;
        name_of(name, sizeof name, i);
        snprintf(path, sizeof path, "d/%s", name);
        if (stat(path, &st) < 0 || st.st_size != (off_t)strlen(name) || !S_ISREG(st.st_mode))
            failed_at = i;
    }
    t_check("stat-all", failed_at < 0, "file %d missing or wrong size", failed_at);
    t_note("stat %d files: %.1f s", count, phase_seconds());

    int strays;
    long n = count_entries("d", seen, count, &strays);
    int missing = 0, twice = 0;
    for (int i = 0; i < count; i++)
        missing += seen[i] == 0, twice += seen[i] > 1;
    t_check("readdir-count", n == count && !missing && !twice && !strays,
            "%ld entries: %d missing, %d listed twice, %d unknown", n, missing, twice, strays);

    struct stat st;
    t_errno("lookup-missing-enoent", stat("d/file-nonesuch", &st), ENOENT);
    name_of(name, sizeof name, count / 2);
    snprintf(path, sizeof path, "d/%s", name);
    t_errno("create-existing-eexist", open(path, O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    char content[64] = {0};
    int fd = open(path, O_RDONLY);
    ssize_t r = read(fd, content, sizeof content - 1);
    close(fd);
    t_check("read-one", r == (ssize_t)strlen(name) && !strcmp(content, name), "read %zd \"%s\"", r, content);

    failed_at = -1;
    for (int i = 0; i < count && failed_at < 0; i += 2) {
        name_of(name, sizeof name, i);
        snprintf(path, sizeof path, "d/%s", name);
        if (unlink(path) < 0)
            failed_at = i, err = errno;
    }
    t_check("unlink-half", failed_at < 0, "file %d: %s", failed_at, t_errname(err));
    t_note("readdir, unlink %d files: %.1f s", count / 2, phase_seconds());
    n = count_entries("d", seen, count, &strays);
    int wrong = 0;
    for (int i = 0; i < count; i++)
        wrong += seen[i] != (i % 2);
    t_check("readdir-after-unlink-half", n == count / 2 && !wrong && !strays,
            "%ld entries, %d wrong, %d unknown", n, wrong, strays);
    name_of(name, sizeof name, 0);
    snprintf(path, sizeof path, "d/%s", name);
    t_errno("stat-unlinked-enoent", stat(path, &st), ENOENT);
    t_errno("rmdir-nonempty-enotempty", rmdir("d"), ENOTEMPTY);

    /* Reuse freed slots: recreate the first 100 removed names. */
    failed_at = -1;
    for (int i = 0; i < 200 && i < count && failed_at < 0; i += 2) {
        name_of(name, sizeof name, i);
        snprintf(path, sizeof path, "d/%s", name);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            failed_at = i, err = errno;
        close(fd);
        if (fd >= 0 && unlink(path) < 0)
            failed_at = i, err = errno;
    }
    t_check("recreate-in-freed-slots", failed_at < 0, "file %d: %s", failed_at, t_errname(err));

    failed_at = -1;
    for (int i = 1; i < count && failed_at < 0; i += 2) {
        name_of(name, sizeof name, i);
        snprintf(path, sizeof path, "d/%s", name);
        if (unlink(path) < 0)
            failed_at = i, err = errno;
    }
    t_check("unlink-rest", failed_at < 0, "file %d: %s", failed_at, t_errname(err));
    t_note("readdir, recreate 100, unlink %d files: %.1f s", count / 2, phase_seconds());
    n = count_entries("d", seen, count, &strays);
    t_check("readdir-empty", n == 0, "%ld entries left", n);
    t_check("rmdir", rmdir("d") == 0, "%s", t_errname(errno));
    free(seen);
    t_scratch_cleanup();
    return t_end();
}
