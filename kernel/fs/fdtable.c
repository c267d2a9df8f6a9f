/*
 * Descriptor tables (see fs/fdtable.h). Files are closed outside t->lock,
 * because a last close may run a file's release operation.
 */
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define CLOEXEC_BIT(fd) (1ull << ((fd) % 64))

struct fdtable *fdtable_new(void)
{
    struct fdtable *t = kzalloc(sizeof *t);
    if (!t)
        return 0;
    t->refcount = 1;
    spin_init(&t->lock, "fdtable");
    return t;
}

/* fork: the child gets its own table pointing at the same open files. */
struct fdtable *fdtable_copy(struct fdtable *t)
{
    struct fdtable *n = fdtable_new();
    if (!n)
        return 0;
    spin_lock(&t->lock);
    for (int i = 0; i < NR_OPEN; i++)
        if (t->fd[i])
            n->fd[i] = file_dup(t->fd[i]);
    memcpy(n->cloexec, t->cloexec, sizeof n->cloexec);
    spin_unlock(&t->lock);
    return n;
}

void fdtable_get(struct fdtable *t)
{
    __atomic_add_fetch(&t->refcount, 1, __ATOMIC_SEQ_CST);
}

void fdtable_put(struct fdtable *t)
{
    if (!t || __atomic_sub_fetch(&t->refcount, 1, __ATOMIC_SEQ_CST) != 0)
        return;
    for (int i = 0; i < NR_OPEN; i++)
        if (t->fd[i])
            file_close(t->fd[i]);
    kfree(t);
}

void fdtable_close_on_exec(struct fdtable *t)
{
    for (int i = 0; i < NR_OPEN; i++) {
        spin_lock(&t->lock);
        struct file *f = 0;
        if (t->fd[i] && (t->cloexec[i / 64] & CLOEXEC_BIT(i))) {
            f = t->fd[i];
            t->fd[i] = 0;
            t->cloexec[i / 64] &= ~CLOEXEC_BIT(i);
        }
        spin_unlock(&t->lock);
        if (f)
            file_close(f);
    }
}

static void set_cloexec_locked(struct fdtable *t, int fd, int on)
{
    if (on)
        t->cloexec[fd / 64] |= CLOEXEC_BIT(fd);
    else
        t->cloexec[fd / 64] &= ~CLOEXEC_BIT(fd);
}

int fd_install(struct fdtable *t, struct file *f, int min_fd, int cloexec)
{
    if (min_fd < 0)
        min_fd = 0;
    spin_lock(&t->lock);
    for (int i = min_fd; i < NR_OPEN; i++)
        if (!t->fd[i]) {
            t->fd[i] = f;
            set_cloexec_locked(t, i, cloexec);
            spin_unlock(&t->lock);
            return i;
        }
    spin_unlock(&t->lock);
    return -EMFILE;
}

struct file *fd_get(struct fdtable *t, int fd)
{
    if (!t || fd < 0 || fd >= NR_OPEN)
        return 0;
    spin_lock(&t->lock);
    struct file *f = t->fd[fd];
    if (f)
        file_dup(f);
    spin_unlock(&t->lock);
    return f;
}

int fd_close(struct fdtable *t, int fd)
{
    if (fd < 0 || fd >= NR_OPEN)
        return -EBADF;
    spin_lock(&t->lock);
    struct file *f = t->fd[fd];
    t->fd[fd] = 0;
    set_cloexec_locked(t, fd, 0);
    spin_unlock(&t->lock);
    if (!f)
        return -EBADF;
    file_close(f);
    return 0;
}

int fd_replace(struct fdtable *t, int newfd, struct file *f, int cloexec)
{
    if (newfd < 0 || newfd >= NR_OPEN)
        return -EBADF;
    spin_lock(&t->lock);
    struct file *old = t->fd[newfd];
    t->fd[newfd] = f;
    set_cloexec_locked(t, newfd, cloexec);
    spin_unlock(&t->lock);
    if (old)
        file_close(old);
    return newfd;
}

int fd_get_cloexec(struct fdtable *t, int fd)
{
    spin_lock(&t->lock);
    int r = fd >= 0 && fd < NR_OPEN && t->fd[fd] ? !!(t->cloexec[fd / 64] & CLOEXEC_BIT(fd)) : -EBADF;
    spin_unlock(&t->lock);
    return r;
}

int fd_set_cloexec(struct fdtable *t, int fd, int on)
{
    spin_lock(&t->lock);
    int r = -EBADF;
    if (fd >= 0 && fd < NR_OPEN && t->fd[fd]) {
        set_cloexec_locked(t, fd, on);
        r = 0;
    }
    spin_unlock(&t->lock);
    return r;
}

/* ---- tests ---- */
#include "test/ktest.h"

KTEST(fdtable_dup)
{
    vfs_init();
    struct file *f;
    KT_CHECK(vfs_open("/dev/null", O_RDWR, 0, &f) == 0, "cannot open /dev/null");
    struct fdtable *t = fdtable_new();
    KT_CHECK(t, "fdtable_new failed");
    for (int i = 0; i < 3; i++)
        KT_CHECK(fd_install(t, file_dup(f), 0, 0) == i, "fd %d was not the lowest free", i);
    KT_CHECK(fd_close(t, 1) == 0 && fd_close(t, 1) == -EBADF, "closing fd 1 twice");
    KT_CHECK(fd_install(t, file_dup(f), 0, 1) == 1, "the freed fd 1 is not reused");
    KT_CHECK(fd_install(t, file_dup(f), 10, 0) == 10, "min_fd 10 not honoured");
    KT_CHECK(fd_get_cloexec(t, 1) == 1 && fd_get_cloexec(t, 0) == 0, "close-on-exec flags");
    KT_CHECK(fd_replace(t, 2, file_dup(f), 1) == 2 && fd_get_cloexec(t, 2) == 1, "dup3 with O_CLOEXEC");
    struct fdtable *c = fdtable_copy(t);
    KT_CHECK(c && c->fd[0] == f && c->fd[10] == f && fd_get_cloexec(c, 2) == 1, "the copy differs");
    fdtable_close_on_exec(c);
    KT_CHECK(!c->fd[1] && !c->fd[2] && c->fd[0] && c->fd[10], "close-on-exec closed the wrong fds");
    fdtable_put(c);
    int n = 0, fd;
    while ((fd = fd_install(t, file_dup(f), 0, 0)) >= 0)
        n++;
    file_close(f); /* the reference of the failed install */
    KT_CHECK(fd == -EMFILE && n == NR_OPEN - 4, "%d more fds before %d", n, fd);
    KT_CHECK(fd_get(t, NR_OPEN) == 0 && fd_get(t, -1) == 0, "out-of-range fds");
    fdtable_put(t);
    KT_CHECK(f->refcount == 1, "%d references left after the tables went", f->refcount);
    file_close(f);
    return KT_OK;
}
