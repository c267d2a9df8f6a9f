/*
 * Changing a file's attributes: chmod, chown and utimensat in all their forms.
 * Until lab 9d every caller is root, so both always succeed on an
 * existing file; the inode's mode, uid, gid and times are under vfs_lock.
 * A disk file system stores the change at once (s_op->write_inode).
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

/* The attributes changed in memory: have the file system store them (vfs_lock held). */
static int write_inode_locked(struct inode *ino)
{
    struct super_block *sb = ino->sb;
    return sb && sb->s_op && sb->s_op->write_inode ? sb->s_op->write_inode(ino) : 0;
}

static int set_mode(struct inode *ino, int mode)
{
    mutex_lock(&vfs_lock);
    ino->mode = (ino->mode & S_IFMT) | ((uint32_t)mode & 07777);
    inode_touch(ino, 0, 0, 1);
    int err = write_inode_locked(ino);
    mutex_unlock(&vfs_lock);
    return err;
}

/* -1 leaves an id unchanged. */
static int set_owner(struct inode *ino, int uid, int gid)
{
    mutex_lock(&vfs_lock);
    if (uid != -1)
        ino->uid = (uint32_t)uid;
    if (gid != -1)
        ino->gid = (uint32_t)gid;
    inode_touch(ino, 0, 0, 1);
    int err = write_inode_locked(ino);
    mutex_unlock(&vfs_lock);
    return err;
}

long sys_fchmodat(int dirfd, uaddr_t path, int mode)
{
    int err;
    struct dentry *d = find_at(dirfd, path, &err);
    if (!d)
        return err;
    err = set_mode(d->inode, mode);
    dentry_put(d);
    return err;
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
    int err = set_mode(f->inode, mode);
    file_close(f);
    return err;
}

long sys_fchownat(int dirfd, uaddr_t path, int uid, int gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    int err;
    struct dentry *d = find_at(dirfd, path, &err);
    if (!d)
        return err;
    err = set_owner(d->inode, uid, gid);
    dentry_put(d);
    return err;
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
    int err = set_owner(f->inode, uid, gid);
    file_close(f);
    return err;
}

#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

struct timespec_u {
    int64_t sec, nsec;
};

/* One of utimensat's two times: UTIME_NOW, UTIME_OMIT or a valid timespec. */
static int pick_time(const struct timespec_u *t, const struct timespec_k *now, struct timespec_k *out, int *set)
{
    *set = 1;
    if (!t || t->nsec == UTIME_NOW) {
        *out = *now;
        return 0;
    }
    if (t->nsec == UTIME_OMIT) {
        *set = 0;
        return 0;
    }
    if (t->nsec < 0 || t->nsec >= 1000000000)
        return -EINVAL;
    out->sec = t->sec;
    out->nsec = t->nsec;
    return 0;
}

/* utimensat: a NULL path means dirfd itself (futimens). */
long sys_utimensat(int dirfd, uaddr_t upath, uaddr_t utimes, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct timespec_u t[2];
    if (utimes && copy_from_user(t, utimes, sizeof t))
        return -EFAULT;
    struct timespec_k now, at, mt;
    fs_now(&now);
    int set_a, set_m;
    int err = pick_time(utimes ? &t[0] : 0, &now, &at, &set_a);
    if (!err)
        err = pick_time(utimes ? &t[1] : 0, &now, &mt, &set_m);
    if (err)
        return err;
    struct inode *ino;
    struct dentry *d = 0;
    struct file *f = 0;
    if (!upath) {
        if (dirfd == AT_FDCWD)
            return -EFAULT;
        if (!(f = fget(dirfd)))
            return -EBADF;
        ino = f->inode;
    } else {
        if (!(d = find_at(dirfd, upath, &err)))
            return err;
        ino = d->inode;
    }
    mutex_lock(&vfs_lock);
    if (set_a)
        ino->atime = at;
    if (set_m)
        ino->mtime = mt;
    ino->ctime = now;
    err = write_inode_locked(ino);
    mutex_unlock(&vfs_lock);
    if (f)
        file_close(f);
    dentry_put(d);
    return err;
}
