/*
 * test_fs_powerloss: the workload and the checker of tools/powerloss.py.
 *   test_fs_powerloss run DIR SEED [OPS]   create, write, append, truncate,
 *       rename and delete files f0..f7 in DIR forever (or OPS operations),
 *       printing `begin ...` before each operation and, once it is durable
 *       (fsync of the file and of DIR), `synced NAME LEN CKSUM GEN` or
 *       `gone NAME`. QEMU is killed at a random moment.
 *   test_fs_powerloss check DIR            after the next boot: one line per
 *       file, `file NAME LEN CKSUM GEN valid`, `... garbage@OFFSET`, or
 *       `... zeros@FROM-TO` (zeros there, the generation's pattern elsewhere).
 *   test_fs_powerloss                       (the host) run 300 operations in
 *       a scratch directory, then check that every file is what was synced.
 * A file's content is a pure function of its generation GEN (a number each
 * write gets) and its length: 8-byte words, word 0 = "PLOS" << 32 | GEN, word
 * k a hash of (GEN, k). So the checker can tell any valid state from garbage
 * (zeros, another file's blocks, stale data) without knowing the history;
 * tools/powerloss.py knows the history from the console and decides which
 * (GEN, LEN) each file may have.
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
#include <unistd.h>

#define SLOTS 8
#define MAX_LEN (320 * 1024)
#define MAGIC 0x504c4f53ULL   /* "PLOS" */

static unsigned char data[MAX_LEN];
static int dirfd_ = -1;

static uint64_t mix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t word_of(uint32_t gen, uint64_t k)
{
    return k == 0 ? (MAGIC << 32) | gen : mix(((uint64_t)gen << 32) ^ k);
}

/* The content of generation gen, bytes [0, len). */
static void content(uint32_t gen, size_t len)
{
    for (size_t i = 0; i < len; i += 8) {
        uint64_t w = word_of(gen, i / 8);
        for (size_t b = 0; b < 8 && i + b < len; b++)
            data[i + b] = (unsigned char)(w >> (8 * b));
    }
}

static uint32_t cksum(const unsigned char *p, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    line[n++] = '\n';
    if (write(1, line, n) != n)
        _exit(3);
}

static void die(const char *what, const char *name)
{
    say("FAIL %s %s: %s", what, name, t_errname(errno));
    _exit(1);
}

static uint64_t rng;
static uint32_t next_rand(void)
{
    rng = mix(rng);
    return (uint32_t)(rng >> 17);
}

struct slot {
    int exists;
    uint32_t gen;
    size_t len;
};
static struct slot slots[SLOTS];
static uint32_t next_gen = 1;

static size_t random_len(void)
{
    uint32_t r = next_rand() % 100;
    if (r < 70)
        return next_rand() % 20000;
    if (r < 95)
        return 20000 + next_rand() % 180000;
    return 200000 + next_rand() % (MAX_LEN - 200000);
}

static void sync_dir(void)
{
    if (fsync(dirfd_) < 0)
        die("fsync", "directory");
}

static void write_all(int fd, const unsigned char *p, size_t len, const char *name)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len > 65536 ? 65536 : len);
        if (w <= 0)
            die("write", name);
        p += w;
        len -= w;
    }
}

static void report_synced(int s)
{
    content(slots[s].gen, slots[s].len);
    say("synced f%d %zu %08x %u", s, slots[s].len, cksum(data, slots[s].len), slots[s].gen);
}

/* New content through a temporary file and a rename over the old one. */
static void op_write(int s)
{
    char name[16], tmp[16];
    snprintf(name, sizeof name, "f%d", s);
    snprintf(tmp, sizeof tmp, "f%d.tmp", s);
    uint32_t gen = next_gen++;
    size_t len = random_len();
    say("begin write %s %u %zu", name, gen, len);
    int fd = openat(dirfd_, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("create", tmp);
    content(gen, len);
    write_all(fd, data, len, tmp);
    if (fsync(fd) < 0)
        die("fsync", tmp);
    close(fd);
    if (renameat(dirfd_, tmp, dirfd_, name) < 0)
        die("rename", tmp);
    sync_dir();
    slots[s] = (struct slot){1, gen, len};
    report_synced(s);
}

static void op_append(int s)
{
    char name[16];
    snprintf(name, sizeof name, "f%d", s);
    size_t old = slots[s].len, len = old + next_rand() % 50000;
    if (len > MAX_LEN)
        len = MAX_LEN;
    say("begin append %s %u %zu %zu", name, slots[s].gen, old, len);
    int fd = openat(dirfd_, name, O_WRONLY | O_APPEND);
    if (fd < 0)
        die("open", name);
    content(slots[s].gen, len);
    write_all(fd, data + old, len - old, name);
    if (fdatasync(fd) < 0)
        die("fdatasync", name);
    close(fd);
    slots[s].len = len;
    report_synced(s);
}

static void op_truncate(int s)
{
    char name[16];
    snprintf(name, sizeof name, "f%d", s);
    size_t old = slots[s].len, len = old ? next_rand() % old : 0;
    say("begin truncate %s %u %zu %zu", name, slots[s].gen, old, len);
    int fd = openat(dirfd_, name, O_WRONLY);
    if (fd < 0)
        die("open", name);
    if (ftruncate(fd, len) < 0)
        die("ftruncate", name);
    if (fsync(fd) < 0)
        die("fsync", name);
    close(fd);
    slots[s].len = len;
    report_synced(s);
}

static void op_rename(int s, int t)
{
    char from[16], to[16];
    snprintf(from, sizeof from, "f%d", s);
    snprintf(to, sizeof to, "f%d", t);
    say("begin rename %s %s", from, to);
    if (renameat(dirfd_, from, dirfd_, to) < 0)
        die("rename", from);
    sync_dir();
    slots[t] = slots[s];
    slots[s].exists = 0;
    report_synced(t);
    say("gone %s", from);
}

static void op_delete(int s)
{
    char name[16];
    snprintf(name, sizeof name, "f%d", s);
    say("begin delete %s", name);
    if (unlinkat(dirfd_, name, 0) < 0)
        die("unlink", name);
    sync_dir();
    slots[s].exists = 0;
    say("gone %s", name);
}

static void one_op(void)
{
    int s = next_rand() % SLOTS;
    uint32_t r = next_rand() % 100;
    if (!slots[s].exists || r < 40)
        op_write(s);
    else if (r < 60)
        op_append(s);
    else if (r < 70)
        op_truncate(s);
    else if (r < 85)
        op_rename(s, (s + 1 + next_rand() % (SLOTS - 1)) % SLOTS);
    else
        op_delete(s);
}

static void open_dir(const char *dir)
{
    mkdir(dir, 0755);
    dirfd_ = open(dir, O_RDONLY | O_DIRECTORY);
    if (dirfd_ < 0)
        die("open", dir);
}

static void run(const char *dir, uint64_t seed, long ops)
{
    open_dir(dir);
    rng = seed;
    next_gen = (uint32_t)(seed % 1000) * 100000 + 1;
    say("workload: seed %llu in %s", (unsigned long long)seed, dir);
    for (long i = 0; ops < 0 || i < ops; i++)
        one_op();
}

/* One line per directory entry; returns how many are not valid. */
static int check(const char *dir, int quiet)
{
    static unsigned char back[MAX_LEN + 1];
    DIR *d = opendir(dir);
    if (!d)
        die("opendir", dir);
    int bad = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        int fd = openat(dirfd(d), e->d_name, O_RDONLY);
        if (fd < 0) {
            say("file %s error %s", e->d_name, t_errname(errno));
            bad++;
            continue;
        }
        size_t len = 0;
        ssize_t r;
        while (len <= MAX_LEN && (r = read(fd, back + len, MAX_LEN + 1 - len)) > 0)
            len += r;
        int err = r < 0 ? errno : 0;
        close(fd);
        if (err) {
            say("file %s error %s", e->d_name, t_errname(err));
            bad++;
            continue;
        }
        uint32_t gen = 0;
        for (size_t b = 0; b < 4 && b < len; b++)
            gen |= (uint32_t)back[b] << (8 * b);
        content(gen, len);
        long off = -1;
        for (size_t i = 0; i < len && off < 0; i++)
            if (back[i] != data[i])
                off = (long)i;
        if (off >= 0)
            bad++;
        if (!quiet || off >= 0) {
            if (off < 0)
                say("file %s %zu %08x %u valid", e->d_name, len, cksum(back, len), gen);
            else {
                /*
                 * Zeros from off to z and the pattern after them: what a truncate
                 * in flight may leave (the new last block's tail zeroed under the
                 * old size); powerloss.py decides whether that was allowed.
                 */
                size_t z = off;
                while (z < len && back[z] == 0)
                    z++;
                int rest_ok = !memcmp(back + z, data + z, len - z);
                if (rest_ok)
                    say("file %s %zu %08x %u zeros@%ld-%zu", e->d_name, len, cksum(back, len), gen, off, z);
                else
                    say("file %s %zu %08x %u garbage@%ld", e->d_name, len, cksum(back, len), gen, off);
            }
        }
    }
    closedir(d);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc > 3 && !strcmp(argv[1], "run")) {
        run(argv[2], strtoull(argv[3], NULL, 0), argc > 4 ? atol(argv[4]) : -1);
        return 0;
    }
    if (argc > 2 && !strcmp(argv[1], "check")) {
        int bad = check(argv[2], 0);
        say("check: %d bad", bad);
        return bad ? 1 : 0;
    }
    /* The host: a short run, then every slot must be exactly as synced. */
    t_begin("test_fs_powerloss");
    if (!t_scratch())
        return t_end();
    int out = dup(1);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);          /* the workload's lines are for the harness */
    run(".", 7, 300);
    dup2(out, 1);
    t_check("workload-files-valid", check(".", 1) == 0, "some file is not a valid pattern state");
    int wrong = 0;
    for (int s = 0; s < SLOTS; s++) {
        char name[16];
        struct stat st;
        snprintf(name, sizeof name, "f%d", s);
        int there = fstatat(dirfd_, name, &st, 0) == 0;
        wrong += there != slots[s].exists || (there && (size_t)st.st_size != slots[s].len);
    }
    t_check("workload-state-matches", wrong == 0, "%d slots differ from the synced state", wrong);
    t_scratch_cleanup();
    return t_end();
}
