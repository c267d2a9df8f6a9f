/*
 * Looking at files without opening them: the stat family (Linux's x86_64
 * struct stat), getdents64, access, readlink and statfs.
 */
#include "sys/sys_fs.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"

/* Linux x86_64 struct stat: 144 bytes. */
struct stat_k {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    int64_t st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
    int64_t unused[3];
};
_Static_assert(sizeof(struct stat_k) == 144, "struct stat must match Linux x86_64");

static int fill_stat(struct inode *ino, uaddr_t ust)
{
    struct stat_k st;
    memset(&st, 0, sizeof st);
    st.st_dev = ino->sb ? ino->sb->dev : 0;
    st.st_ino = ino->ino;
    st.st_nlink = ino->nlink;
    st.st_mode = ino->mode;
    st.st_uid = ino->uid;
    st.st_gid = ino->gid;
    st.st_rdev = ino->rdev;
    st.st_size = S_ISREG(ino->mode) || S_ISDIR(ino->mode) ? (int64_t)ino->size : 0;
    st.st_blksize = 4096;
    /* A file system that counts its blocks knows about holes; otherwise assume every page is there. */
    if (ino->sb && ino->sb->counts_blocks)
        st.st_blocks = (int64_t)ino->blocks;
    else
        st.st_blocks = (int64_t)((ino->size + 4095) / 4096 * 8);
    st.st_atime = ino->atime.sec;
    st.st_atime_nsec = ino->atime.nsec;
    st.st_mtime = ino->mtime.sec;
    st.st_mtime_nsec = ino->mtime.nsec;
    st.st_ctime = ino->ctime.sec;
    st.st_ctime_nsec = ino->ctime.nsec;
    return copy_to_user(ust, &st, sizeof st) ? -EFAULT : 0;
}

/* Resolve a user path for a *at() call into a dentry with a reference. */
static int lookup_at(int dirfd, uaddr_t upath, int flags, int empty_ok, struct dentry **out)
{
    int err;
    char *path = getname(upath, &err);
    if (!path)
        return err;
    if (!path[0] && empty_ok) {
        putname(path);
        if (dirfd == AT_FDCWD) {
            *out = current_cwd();
            return 0;
        }
        struct file *f = fget(dirfd);
        if (!f)
            return -EBADF;
        if (f->dentry) {
            dentry_get(f->dentry);
            *out = f->dentry;
        } else {
            err = -ENOENT; /* a pipe: fstat covers it */
        }
        file_close(f);
        return err;
    }
    struct dentry *base;
    if ((err = at_base(dirfd, path, &base)) == 0) {
        err = resolve_path(base, path, flags, out);
        dentry_put(base);
    }
    putname(path);
    return err;
}

long sys_newfstatat(int dirfd, uaddr_t upath, uaddr_t st, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    if (flags & AT_EMPTY_PATH) { /* fstat through a path "" (pipes have no dentry) */
        char c;
        if (copy_from_user(&c, upath, 1))
            return -EFAULT;
        if (c == 0 && dirfd != AT_FDCWD)
            return sys_fstat(dirfd, st);
    }
    struct dentry *d;
    int err = lookup_at(dirfd, upath, (flags & AT_SYMLINK_NOFOLLOW) ? LOOKUP_NOFOLLOW : 0,
                        (flags & AT_EMPTY_PATH) != 0, &d);
    if (err)
        return err;
    err = fill_stat(d->inode, st);
    dentry_put(d);
    return err;
}

long sys_stat(uaddr_t path, uaddr_t st)
{
    return sys_newfstatat(AT_FDCWD, path, st, 0);
}

long sys_lstat(uaddr_t path, uaddr_t st)
{
    return sys_newfstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

long sys_fstat(int fd, uaddr_t st)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err = fill_stat(f->inode, st);
    file_close(f);
    return err;
}

/* statx comes with lab 9d's metadata work; libcs fall back to newfstatat. */
long sys_statx(int dirfd, uaddr_t path, int flags, unsigned mask, uaddr_t buf)
{
    (void)dirfd, (void)path, (void)flags, (void)mask, (void)buf;
    return -ENOSYS;
}

/* Linux's struct linux_dirent64 header; the name follows, records are 8-byte aligned. */
struct dirent64_k {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
} __attribute__((packed));

/* Append one record to buf if it fits: its size, or 0 when full. */
static size_t put_dirent(char *buf, size_t room, const char *name, uint64_t ino, int type, uint64_t next)
{
    size_t len = strlen(name);
    size_t reclen = (sizeof(struct dirent64_k) + len + 1 + 7) & ~(size_t)7;
    if (reclen > room)
        return 0;
    struct dirent64_k *d = (struct dirent64_k *)buf;
    memset(buf, 0, reclen);
    d->d_ino = ino;
    d->d_off = (int64_t)next;
    d->d_reclen = (uint16_t)reclen;
    d->d_type = (uint8_t)type;
    memcpy(d->d_name, name, len + 1);
    return reclen;
}

/* Entries from the file's position: "." is 0, ".." is 1, the file system's from 2 on. */
long sys_getdents64(int fd, uaddr_t dirp, size_t count)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long ret;
    struct inode *dir = f->inode;
    char *buf = 0;
    if (!S_ISDIR(dir->mode) || !f->dentry) {
        ret = -ENOTDIR;
        goto out;
    }
    if (count > 65536)
        count = 65536;
    if (!(buf = kmalloc(count ? count : 1))) {
        ret = -ENOMEM;
        goto out;
    }
    char name[NAME_MAX + 1];
    size_t used = 0;
    int full = 0, read_err = 0;
    mutex_lock(&f->lock);
    uint64_t pos = f->offset;
    mutex_lock(&vfs_lock);
    struct dentry *d = f->dentry;
    for (;;) {
        uint64_t ino, next = pos;
        int type;
        if (pos == 0) {
            strlcpy(name, ".", sizeof name);
            ino = dir->ino, type = DT_DIR, next = 1;
        } else if (pos == 1) {
            struct dentry *up = mount_follow_up(d);
            strlcpy(name, "..", sizeof name);
            ino = up->parent->inode->ino, type = DT_DIR, next = 2;
        } else if (d->dead || !dir->i_op || !dir->i_op->readdir) {
            break;
        } else {
            int r = dir->i_op->readdir(dir, &next, name, &ino, &type);
            if (r < 0)
                read_err = r; /* reported now if nothing was gathered, else by the next call */
            if (r)
                break;
        }
        size_t n = put_dirent(buf + used, count - used, name, ino, type, next);
        if (!n) {
            full = 1;
            break;
        }
        used += n;
        pos = next;
    }
    mutex_unlock(&vfs_lock);
    mutex_unlock(&f->lock); /* never hold vfs or file locks while touching user memory: a fault there may need them */
    if (used == 0 && full) {
        ret = -EINVAL; /* the buffer cannot hold the next entry */
        goto out;
    }
    if (used == 0 && read_err) {
        ret = read_err; /* a directory block could not be read (-EIO) */
        goto out;
    }
    if (used && copy_to_user(dirp, buf, used)) {
        ret = -EFAULT;
        goto out;
    }
    mutex_lock(&f->lock);
    f->offset = pos;
    mutex_unlock(&f->lock);
    ret = (long)used;
out:
    kfree(buf);
    file_close(f);
    return ret;
}

long sys_faccessat2(int dirfd, uaddr_t upath, int mode, int flags)
{
    if (mode & ~7)
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct dentry *d;
    int err = lookup_at(dirfd, upath, (flags & AT_SYMLINK_NOFOLLOW) ? LOOKUP_NOFOLLOW : 0,
                        (flags & AT_EMPTY_PATH) != 0, &d);
    if (err)
        return err;
    /* Root may do anything but execute a file without any x bit. */
    if ((mode & 1) && !S_ISDIR(d->inode->mode) && !(d->inode->mode & 0111))
        err = -EACCES;
    dentry_put(d);
    return err;
}

long sys_faccessat(int dirfd, uaddr_t path, int mode)
{
    return sys_faccessat2(dirfd, path, mode, 0);
}

long sys_access(uaddr_t path, int mode)
{
    return sys_faccessat2(AT_FDCWD, path, mode, 0);
}

/* No symlinks until lab 9d: every existing name is "not a link". */
long sys_readlinkat(int dirfd, uaddr_t upath, uaddr_t buf, int size)
{
    (void)buf;
    struct dentry *d;
    int err = lookup_at(dirfd, upath, LOOKUP_NOFOLLOW, 0, &d);
    if (err)
        return err;
    err = S_ISLNK(d->inode->mode) ? -ENOSYS : -EINVAL;
    if (size <= 0)
        err = -EINVAL;
    dentry_put(d);
    return err;
}

long sys_readlink(uaddr_t path, uaddr_t buf, int size)
{
    return sys_readlinkat(AT_FDCWD, path, buf, size);
}

/* Linux's x86_64 struct statfs: 120 bytes. */
struct statfs_k {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct statfs_k) == 120, "struct statfs must match Linux x86_64");

#define RAMFS_MAGIC 0x858458f6
#define TMPFS_MAGIC 0x01021994 /* also what Linux's devtmpfs reports for /dev */

/* Memory file systems share all of RAM: the frame allocator's counts. */
static void memory_statfs(struct super_block *sb, struct kstatfs *k)
{
    int tmpfs = sb && sb->type && (strcmp(sb->type, "devfs") == 0 || strcmp(sb->type, "tmpfs") == 0);
    k->type = tmpfs ? TMPFS_MAGIC : RAMFS_MAGIC;
    k->bsize = k->frsize = 4096;
    k->blocks = pmm_total_count();
    k->bfree = k->bavail = pmm_free_count();
    k->files = k->blocks;
    k->ffree = k->bfree;
    k->namelen = NAME_MAX;
}

/* The file system's own numbers (s_op->statfs), or those of memory. */
static int fill_statfs(struct inode *ino, uaddr_t ubuf)
{
    struct super_block *sb = ino->sb;
    struct kstatfs k;
    memset(&k, 0, sizeof k);
    if (sb && sb->s_op && sb->s_op->statfs) {
        int err = sb->s_op->statfs(sb, &k);
        if (err)
            return err;
    } else {
        memory_statfs(sb, &k);
    }
    struct statfs_k s;
    memset(&s, 0, sizeof s);
    s.f_type = (int64_t)k.type;
    s.f_bsize = (int64_t)k.bsize;
    s.f_frsize = (int64_t)(k.frsize ? k.frsize : k.bsize);
    s.f_blocks = k.blocks;
    s.f_bfree = k.bfree;
    s.f_bavail = k.bavail;
    s.f_files = k.files;
    s.f_ffree = k.ffree;
    s.f_namelen = (int64_t)(k.namelen ? k.namelen : NAME_MAX);
    s.f_flags = (int64_t)k.flags;
    s.f_fsid[0] = (int32_t)(sb ? sb->dev : 0);
    return copy_to_user(ubuf, &s, sizeof s) ? -EFAULT : 0;
}

long sys_statfs(uaddr_t upath, uaddr_t buf)
{
    struct dentry *d;
    int err = lookup_at(AT_FDCWD, upath, 0, 0, &d);
    if (err)
        return err;
    err = fill_statfs(d->inode, buf);
    dentry_put(d);
    return err;
}

long sys_fstatfs(int fd, uaddr_t buf)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    int err = fill_statfs(f->inode, buf);
    file_close(f);
    return err;
}
