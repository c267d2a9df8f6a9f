/*
 * Changing a file's attributes: chmod and chown in all their forms.
 * Until lab 9d every caller is root, so both always succeed on an
 * existing file; the inode's mode, uid and gid are under vfs_lock.
 */
#include "sys/sys_fs.h"
#include "fs/vfs.h"
#include "lib/errno.h"

static struct dentry *find_at(int dirfd, uaddr_t upath, int *err)
{
    char *path = getname(upath, err);
    if (!path)
        return 0;
    struct dentry *base, *d = 0;
    if ((*err = at_base(dirfd, path, &base)) == 0) {
        *err = resolve_path(base, path, 0, &d);
        dentry_put(base);
    }
    putname(path);
    return *err ? 0 : d;
}

static void set_mode(struct inode *ino, int mode)
{
    spin_lock(&vfs_lock);
    ino->mode = (ino->mode & S_IFMT) | ((uint32_t)mode & 07777);
    spin_unlock(&vfs_lock);
    inode_touch(ino, 0, 0, 1);
}

/* -1 leaves an id unchanged. */
static void set_owner(struct inode *ino, int uid, int gid)
{
    spin_lock(&vfs_lock);
    if (uid != -1)
        ino->uid = (uint32_t)uid;
    if (gid != -1)
        ino->gid = (uint32_t)gid;
    spin_unlock(&vfs_lock);
    inode_touch(ino, 0, 0, 1);
}

long sys_fchmodat(int dirfd, uaddr_t path, int mode)
{
    int err;
    struct dentry *d = find_at(dirfd, path, &err);
    if (!d)
        return err;
    set_mode(d->inode, mode);
    dentry_put(d);
    return 0;
}

long sys_chmod(uaddr_t path, int mode)
{
    return sys_fchmodat(AT_FDCWD, path, mode);
}

long sys_fchmod(int fd, int mode)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    set_mode(f->inode, mode);
    file_close(f);
    return 0;
}

long sys_fchownat(int dirfd, uaddr_t path, int uid, int gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    int err;
    struct dentry *d = find_at(dirfd, path, &err);
    if (!d)
        return err;
    set_owner(d->inode, uid, gid);
    dentry_put(d);
    return 0;
}

long sys_chown(uaddr_t path, int uid, int gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

long sys_lchown(uaddr_t path, int uid, int gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(int fd, int uid, int gid)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    set_owner(f->inode, uid, gid);
    file_close(f);
    return 0;
}
