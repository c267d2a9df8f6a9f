/*
 * Opening and closing, descriptor duplication, fcntl, pipes and ioctl.
 */
#include "sys/sys_fs.h"
#include "fs/fdtable.h"
#include "fs/pipe.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "proc/process.h"
#include "sched/sched.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_DUPFD_CLOEXEC 1030
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#define F_UNLCK 2
#define FD_CLOEXEC 1
#define O_LARGEFILE 0100000
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451

static struct fdtable *files(void)
{
    struct process *p = current_proc();
    return p ? p->files : 0;
}

long sys_openat(int dirfd, uaddr_t upath, int flags, int mode)
{
    struct fdtable *t = files();
    if (!t)
        return -EBADF;
    int err;
    char *path = getname(upath, &err);
    if (!path)
        return err;
    struct dentry *base;
    struct file *f;
    if ((err = at_base(dirfd, path, &base)) == 0) {
        err = vfs_open_at(base, path, flags, mode, &f);
        dentry_put(base);
    }
    putname(path);
    if (err)
        return err;
    int fd = fd_install(t, f, 0, (flags & O_CLOEXEC) != 0);
    if (fd < 0)
        file_close(f);
    return fd;
}

long sys_open(uaddr_t path, int flags, int mode)
{
    return sys_openat(AT_FDCWD, path, flags, mode);
}

long sys_creat(uaddr_t path, int mode)
{
    return sys_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_close(int fd)
{
    struct fdtable *t = files();
    return t ? fd_close(t, fd) : -EBADF;
}

/* dup and F_DUPFD: the lowest free descriptor >= min_fd. */
static long dup_from(int fd, int min_fd, int cloexec)
{
    struct fdtable *t = files();
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int r = fd_install(t, f, min_fd, cloexec);
    if (r < 0)
        file_close(f);
    return r;
}

long sys_dup(int fd)
{
    return dup_from(fd, 0, 0);
}

long sys_dup3(int oldfd, int newfd, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    struct file *f = fget(oldfd);
    if (!f)
        return -EBADF;
    if (newfd < 0 || newfd >= NR_OPEN) {
        file_close(f);
        return -EBADF;
    }
    return fd_replace(files(), newfd, f, (flags & O_CLOEXEC) != 0);
}

long sys_dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) {
        struct file *f = fget(oldfd);
        if (!f)
            return -EBADF;
        file_close(f);
        return newfd;
    }
    return sys_dup3(oldfd, newfd, 0);
}

long sys_fcntl(int fd, int cmd, unsigned long arg)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        r = arg >= NR_OPEN ? -EINVAL : dup_from(fd, (int)arg, cmd == F_DUPFD_CLOEXEC);
        break;
    case F_GETFD:
        r = fd_get_cloexec(files(), fd);
        break;
    case F_SETFD:
        r = fd_set_cloexec(files(), fd, (arg & FD_CLOEXEC) != 0);
        break;
    case F_GETFL:
        r = (long)(f->flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH)) | O_LARGEFILE;
        break;
    case F_SETFL:
        mutex_lock(&f->lock);
        f->flags = (f->flags & ~(unsigned)O_SETFL_MASK) | ((unsigned)arg & O_SETFL_MASK);
        mutex_unlock(&f->lock);
        r = 0;
        break;
    case F_GETLK: { /* no lock is ever kept, so none conflicts: the range is unlocked */
        short type = F_UNLCK;
        r = copy_to_user(arg, &type, sizeof type) ? -EFAULT : 0;
        break;
    }
    case F_SETLK:
    case F_SETLKW:
        r = 0; /* advisory locks are accepted and not enforced */
        break;
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
        r = S_ISFIFO(f->inode->mode) ? PIPE_SIZE : -EBADF;
        break;
    default:
        r = -EINVAL;
    }
    file_close(f);
    return r;
}

long sys_pipe2(uaddr_t ufds, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */))
        return -EINVAL;
    struct fdtable *t = files();
    if (!t)
        return -EBADF;
    struct file *r, *w;
    int err = pipe_create(&r, &w, flags);
    if (err)
        return err;
    int cloexec = (flags & O_CLOEXEC) != 0;
    int fds[2] = { fd_install(t, r, 0, cloexec), -1 };
    if (fds[0] < 0) {
        file_close(r);
        file_close(w);
        return fds[0];
    }
    fds[1] = fd_install(t, w, 0, cloexec);
    if (fds[1] < 0) {
        file_close(w);
        fd_close(t, fds[0]);
        return fds[1];
    }
    if (copy_to_user(ufds, fds, sizeof fds)) {
        fd_close(t, fds[0]);
        fd_close(t, fds[1]);
        return -EFAULT;
    }
    return 0;
}

long sys_pipe(uaddr_t fds)
{
    return sys_pipe2(fds, 0);
}

long sys_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r;
    int v;
    switch (cmd) {
    case FIOCLEX:
    case FIONCLEX:
        r = fd_set_cloexec(files(), fd, cmd == FIOCLEX);
        break;
    case FIONBIO:
        if (copy_from_user(&v, arg, sizeof v)) {
            r = -EFAULT;
            break;
        }
        mutex_lock(&f->lock);
        f->flags = v ? f->flags | O_NONBLOCK : f->flags & ~(unsigned)O_NONBLOCK;
        mutex_unlock(&f->lock);
        r = 0;
        break;
    default:
        r = f->f_op && f->f_op->ioctl ? f->f_op->ioctl(f, cmd, arg) : -ENOTTY;
    }
    file_close(f);
    return r;
}
