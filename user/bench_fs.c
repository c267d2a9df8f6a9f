/*
 * bench_fs: the file-system workload of `make bench` (tools/bench-fs.sh),
 * run on Keel's MFS and on the host file system alike.
 *   bench_fs DIR [MIB [FILES]]     (default 64 MiB, 1000 files)
 * Sequential write of a MIB-MiB file in 1 MiB writes plus fsync, sequential
 * read of it back in 1 MiB reads (whatever the page cache still holds), and
 * FILES empty files created in one directory. Prints one line:
 *   bench_fs: write_MBps W read_MBps R creates_per_s C mib M files F
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static char buf[MIB];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fail(const char *what, const char *path)
{
    fprintf(stderr, "bench_fs: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_fs DIR [MIB [FILES]]\n");
        return 2;
    }
    const char *dir = argv[1];
    int mib = argc > 2 ? atoi(argv[2]) : 64;
    int files = argc > 3 ? atoi(argv[3]) : 1000;
    char path[512];
    for (int i = 0; i < MIB; i++)
        buf[i] = (char)(i * 7 + (i >> 12));

    snprintf(path, sizeof path, "%s/bench_fs.dat", dir);
    double t0 = now();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        fail("create", path);
    for (int i = 0; i < mib; i++)
        if (write(fd, buf, MIB) != MIB)
            fail("write", path);
    if (fsync(fd) < 0)
        fail("fsync", path);
    close(fd);
    double write_s = now() - t0;

    t0 = now();
    fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open", path);
    long total = 0;
    ssize_t r;
    while ((r = read(fd, buf, MIB)) > 0)
        total += r;
    close(fd);
    double read_s = now() - t0;
    if (total != (long)mib * MIB)
        fail("read back", path);
    unlink(path);

    snprintf(path, sizeof path, "%s/bench_fs.d", dir);
    mkdir(path, 0755);
    t0 = now();
    for (int i = 0; i < files; i++) {
        char name[600];
        snprintf(name, sizeof name, "%s/f%d", path, i);
        fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0)
            fail("create", name);
        close(fd);
    }
    double create_s = now() - t0;
    for (int i = 0; i < files; i++) {
        char name[600];
        snprintf(name, sizeof name, "%s/f%d", path, i);
        unlink(name);
    }
    rmdir(path);
    printf("bench_fs: write_MBps %.1f read_MBps %.1f creates_per_s %.0f mib %d files %d\n",
           mib * 1.048576 / write_s, mib * 1.048576 / read_s, files / create_s, mib, files);
    return 0;
}
