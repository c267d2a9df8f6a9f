/*
 * Calls that change names or the current directory: mkdir, mknod, rmdir,
 * unlink, link, rename (and their *at forms), chdir, fchdir, getcwd, umask.
 */
#include "sys/sys_fs.h"
#include "fs/fs_struct.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "sched/sched.h"

/* Copy the path in and find its starting directory: the two steps every *at() call shares. */
static char *path_at(int dirfd, uaddr_t upath, struct dentry **base, int *err)
{
    char *path = getname(upath, err);
    if (!path)
        return 0;
    if ((*err = at_base(dirfd, path, base)) != 0) {
        putname(path);
        return 0;
    }
    return path;
}

static void path_done(char *path, struct dentry *base)
{
    putname(path);
    dentry_put(base);
}

long sys_mkdirat(int dirfd, uaddr_t upath, int mode)
{
    struct dentry *base;
    int err;
    char *path = path_at(dirfd, upath, &base, &err);
    if (!path)
        return err;
    err = vfs_mkdir(base, path, mode);
    path_done(path, base);
    return err;
}

long sys_mkdir(uaddr_t path, int mode)
{
    return sys_mkdirat(AT_FDCWD, path, mode);
}

/* mknod: regular files and named pipes; devices live in devfs only. */
long sys_mknodat(int dirfd, uaddr_t upath, int mode, unsigned dev)
{
    (void)dev;
    uint32_t type = (uint32_t)mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFDIR)
        return -EPERM;
    if (type != S_IFREG && type != S_IFIFO && type != S_IFCHR && type != S_IFBLK && type != S_IFSOCK)
        return -EINVAL;
    struct dentry *base;
    int err;
    char *path = path_at(dirfd, upath, &base, &err);
    if (!path)
        return err;
    if (type == S_IFREG || type == S_IFIFO)
        err = vfs_mknod(base, path, type | ((uint32_t)mode & 07777), 0);
    else
        err = -EPERM; /* no device nodes or sockets outside devfs */
    path_done(path, base);
    return err;
}

long sys_mknod(uaddr_t path, int mode, unsigned dev)
{
    return sys_mknodat(AT_FDCWD, path, mode, dev);
}

long sys_unlinkat(int dirfd, uaddr_t upath, int flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    struct dentry *base;
    int err;
    char *path = path_at(dirfd, upath, &base, &err);
    if (!path)
        return err;
    err = (flags & AT_REMOVEDIR) ? vfs_rmdir(base, path) : vfs_unlink(base, path);
    path_done(path, base);
    return err;
}

long sys_unlink(uaddr_t path)
{
    return sys_unlinkat(AT_FDCWD, path, 0);
}

long sys_rmdir(uaddr_t path)
{
    return sys_unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

long sys_linkat(int olddirfd, uaddr_t uold, int newdirfd, uaddr_t unew, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct dentry *obase, *nbase;
    int err;
    char *oldpath = path_at(olddirfd, uold, &obase, &err);
    if (!oldpath)
        return err;
    char *newpath = path_at(newdirfd, unew, &nbase, &err);
    if (newpath) {
        err = vfs_link(obase, oldpath, nbase, newpath);
        path_done(newpath, nbase);
    }
    path_done(oldpath, obase);
    return err;
}

long sys_link(uaddr_t oldpath, uaddr_t newpath)
{
    return sys_linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_renameat2(int olddirfd, uaddr_t uold, int newdirfd, uaddr_t unew, unsigned flags)
{
    if (flags)
        return -EINVAL; /* RENAME_NOREPLACE and RENAME_EXCHANGE are not supported */
    struct dentry *obase, *nbase;
    int err;
    char *oldpath = path_at(olddirfd, uold, &obase, &err);
    if (!oldpath)
        return err;
    char *newpath = path_at(newdirfd, unew, &nbase, &err);
    if (newpath) {
        err = vfs_rename(obase, oldpath, nbase, newpath);
        path_done(newpath, nbase);
    }
    path_done(oldpath, obase);
    return err;
}

long sys_renameat(int olddirfd, uaddr_t oldpath, int newdirfd, uaddr_t newpath)
{
    return sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

long sys_rename(uaddr_t oldpath, uaddr_t newpath)
{
    return sys_renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

long sys_chdir(uaddr_t upath)
{
    struct process *p = current_proc();
    if (!p || !p->fs)
        return -EINVAL;
    int err;
    char *path = getname(upath, &err);
    if (!path)
        return err;
    struct dentry *d;
    if ((err = resolve_path(0, path, LOOKUP_DIRECTORY, &d)) == 0)
        fs_struct_set_cwd(p->fs, d);
    putname(path);
    return err;
}

long sys_fchdir(int fd)
{
    struct process *p = current_proc();
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err = 0;
    if (!f->dentry || !S_ISDIR(f->inode->mode))
        err = -ENOTDIR;
    else if (!p->fs)
        err = -EINVAL;
    else {
        dentry_get(f->dentry);
        fs_struct_set_cwd(p->fs, f->dentry);
    }
    file_close(f);
    return err;
}

/* Linux's getcwd returns the length with the NUL; ENOENT once the directory is removed. */
long sys_getcwd(uaddr_t buf, size_t size)
{
    char *k = kmalloc(PATH_MAX);
    if (!k)
        return -ENOMEM;
    struct dentry *cwd = current_cwd();
    long n = dentry_path(cwd, k, PATH_MAX);
    dentry_put(cwd);
    if (n >= 0 && (size_t)n + 1 > size)
        n = -ERANGE;
    if (n >= 0 && copy_to_user(buf, k, (size_t)n + 1))
        n = -EFAULT;
    kfree(k);
    return n < 0 ? n : n + 1;
}

long sys_umask(int mask)
{
    struct process *p = current_proc();
    if (!p || !p->fs)
        return 022;
    spin_lock(&p->fs->lock);
    int old = p->fs->umask;
    p->fs->umask = mask & 0777;
    spin_unlock(&p->fs->lock);
    return old;
}
