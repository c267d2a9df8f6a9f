/*
 * testlib: result lines, errno names, a scratch directory per test.
 * Counters are per process: a forked child must report through its exit
 * status, never by calling t_ok/t_fail itself.
 */
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *prog_name = "test";
static int passed, failed;
static char scratch_dir[512];

/* One whole line in one write(2), so lines of concurrent processes never mix. */
static void emit(const char *prefix, const char *name, const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s%s", prefix, name);
    if (fmt && n < (int)sizeof line - 3) {
        n += snprintf(line + n, sizeof line - n, ": ");
        if (n < (int)sizeof line)
            n += vsnprintf(line + n, sizeof line - n, fmt, ap);
    }
    if (n > (int)sizeof line - 2)
        n = sizeof line - 2;
    line[n++] = '\n';
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = write(1, line + off, n - off);
        if (w <= 0 && errno != EINTR)
            break;
        if (w > 0)
            off += w;
    }
}

void t_begin(const char *prog)
{
    prog_name = prog;
}

int t_end(void)
{
    char line[256];
    int n = snprintf(line, sizeof line, "%s: %d passed, %d failed\n", prog_name, passed, failed);
    if (write(1, line, n) < 0)
        return 1;
    return failed ? 1 : 0;
}

void t_ok(const char *name)
{
    va_list ap = {0};
    passed++;
    emit("ok ", name, NULL, ap);
}

void t_fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    failed++;
    va_start(ap, fmt);
    emit("FAIL ", name, fmt, ap);
    va_end(ap);
}

int t_check(const char *name, int cond, const char *fmt, ...)
{
    va_list ap;
    if (cond) {
        t_ok(name);
        return 1;
    }
    failed++;
    va_start(ap, fmt);
    emit("FAIL ", name, fmt, ap);
    va_end(ap);
    return 0;
}

int t_errno(const char *name, long ret, int want)
{
    int e = errno;
    if (ret == -1 && e == want) {
        t_ok(name);
        return 1;
    }
    if (ret == -1)
        t_fail(name, "expected %s, got %s", t_errname(want), t_errname(e));
    else
        t_fail(name, "expected %s, got success (%ld)", t_errname(want), ret);
    return 0;
}

const char *t_errname(int e)
{
    static const struct { int e; const char *s; } names[] = {
        {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EINTR, "EINTR"},
        {EIO, "EIO"}, {ENXIO, "ENXIO"}, {E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"},
        {EBADF, "EBADF"}, {ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
        {EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
        {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
        {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOTTY, "ENOTTY"},
        {ETXTBSY, "ETXTBSY"}, {EFBIG, "EFBIG"}, {ENOSPC, "ENOSPC"}, {ESPIPE, "ESPIPE"},
        {EROFS, "EROFS"}, {EMLINK, "EMLINK"}, {EPIPE, "EPIPE"}, {ERANGE, "ERANGE"},
        {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"},
        {ELOOP, "ELOOP"}, {ETIMEDOUT, "ETIMEDOUT"}, {EOVERFLOW, "EOVERFLOW"},
        {ELIBBAD, "ELIBBAD"}, {EOPNOTSUPP, "EOPNOTSUPP"},
    };
    static char buf[32];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == e)
            return names[i].s;
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
}

const char *t_scratch(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(scratch_dir, sizeof scratch_dir, "%s/%s.%d", base, prog_name, (int)getpid());
    if (mkdir(scratch_dir, 0755) < 0 && errno != EEXIST) {
        t_fail("scratch", "mkdir %s: %s", scratch_dir, t_errname(errno));
        return NULL;
    }
    if (chdir(scratch_dir) < 0) {
        t_fail("scratch", "chdir %s: %s", scratch_dir, t_errname(errno));
        return NULL;
    }
    return scratch_dir;
}

/* Depth-first removal; the tree is small and made by the test itself. */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0755);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                remove_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

void t_scratch_cleanup(void)
{
    if (!scratch_dir[0])
        return;
    if (chdir("/") == 0)
        remove_tree(scratch_dir);
    scratch_dir[0] = 0;
}

const char *t_status(int status)
{
    static char buf[48];
    if (WIFEXITED(status))
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "signal %d", WTERMSIG(status));
    else
        snprintf(buf, sizeof buf, "status 0x%x", status);
    return buf;
}

void t_msleep(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int t_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

const char *t_read_file(const char *path, char *buf, size_t len)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
    return buf;
}

void t_note(const char *fmt, ...)
{
    char text[900];
    va_list ap, none = {0};
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    emit("# ", text, NULL, none);
}
