/*
 * Whole file systems: mount(2), umount2(2), and the calls that make data
 * durable: fsync, fdatasync, sync, syncfs. Until lab 9c every write goes
 * through to the disk before it returns, so these mostly flush the
 * journal and the disk's cache; they still check their arguments as Linux.
 */
#include "sys/sys_fs.h"
#include "drivers/blkdev.h"
#include "fs/devfs.h"
#include "fs/ramfs.h"
#include "fs/vfs.h"
#include "fs/mfs/mfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "sched/sched.h"


/* mount(2) flags (Linux's values). */
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_SYNCHRONOUS 16
#define MS_MANDLOCK 64
#define MS_DIRSYNC 128
#define MS_NOATIME 1024
#define MS_NODIRATIME 2048
#define MS_SILENT 32768
#define MS_RELATIME (1 << 21)
#define MS_STRICTATIME (1 << 24)
#define MS_LAZYTIME (1 << 25)
#define MS_MGC_VAL 0xC0ED0000ul /* old programs put this magic in the high half */
#define MS_MGC_MSK 0xffff0000ul
/* Flags that change nothing here (no setuid, no device restrictions, times always kept). */
#define MS_HARMLESS (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK | MS_DIRSYNC | MS_NOATIME | \
                     MS_NODIRATIME | MS_SILENT | MS_RELATIME | MS_STRICTATIME | MS_LAZYTIME)

/* umount2(2) flags. */
#define MNT_FORCE 1
#define MNT_DETACH 2
#define MNT_EXPIRE 4
#define UMOUNT_NOFOLLOW 8

static int is_root(void)
{
    struct process *p = current_proc();
    return !p || p->euid == 0;
}

/* A string argument of mount(2) (source, type), or NULL for a NULL pointer. */
static char *get_arg(uaddr_t u, int *err)
{
    *err = 0;
    return u ? getname(u, err) : 0;
}

/* The disk a source path names: a devfs block node. */
static int find_disk(const char *source, struct blkdev **out)
{
    if (!source || !*source)
        return -ENOENT;
    struct dentry *d;
    int err = resolve_path(0, source, 0, &d);
    if (err)
        return err;
    if (!S_ISBLK(d->inode->mode))
        err = -ENOTBLK;
    else if (!(*out = devfs_blkdev(d->inode)))
        err = -ENXIO;
    dentry_put(d);
    return err;
}

/* A new super block of type fstype read from source (mount_lock held). */
static int make_sb(const char *fstype, const char *source, struct super_block **sb, struct blkdev **bdev)
{
    *bdev = 0;
    if (strcmp(fstype, "tmpfs") == 0 || strcmp(fstype, "ramfs") == 0) {
        if (!(*sb = ramfs_new()))
            return -ENOMEM;
        (*sb)->type = fstype[0] == 't' ? "tmpfs" : "ramfs"; /* statfs tells them apart as Linux does */
        return 0;
    }
    if (strcmp(fstype, "devfs") == 0 || strcmp(fstype, "devtmpfs") == 0) {
        return (*sb = devfs_new()) ? 0 : -ENOMEM; /* one devfs, so at most one mount of it */
    }
    if (strcmp(fstype, "mfs") != 0)
        return -ENODEV;
    int err = find_disk(source, bdev);
    if (err)
        return err;
    mutex_lock(&vfs_lock);
    int busy = vfs_bdev_mounted(*bdev);
    mutex_unlock(&vfs_lock);
    if (busy)
        return -EBUSY;
    return mfs_mount(*bdev, sb);
}

/* mount(2): source on target as fstype (mfs from a disk, tmpfs/ramfs, devfs). */
long sys_mount(uaddr_t usource, uaddr_t utarget, uaddr_t utype, unsigned long flags, uaddr_t data)
{
    (void)data; /* no file system takes options yet */
    int err;
    char *source = 0, *target = 0, *fstype = 0;
    struct dentry *mp = 0;
    if (!(target = getname(utarget, &err)))
        goto out;
    if ((source = get_arg(usource, &err)), err)
        goto out;
    if ((fstype = get_arg(utype, &err)), err)
        goto out;
    if ((err = resolve_path(0, target, LOOKUP_DIRECTORY, &mp)) != 0)
        goto out;
    if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
        flags &= ~MS_MGC_MSK;
    if (!is_root())
        err = -EPERM;
    else if (mp->parent == mp)
        err = -EBUSY; /* something is mounted there already (or it is /) */
    else if (flags & ~(unsigned long)MS_HARMLESS)
        err = -EINVAL; /* read-only, remount, bind, move and propagation are not supported */
    else if (!fstype)
        err = -EINVAL;
    if (err)
        goto out;
    mutex_lock(&mount_lock);
    struct super_block *sb = 0;
    struct blkdev *bdev;
    if ((err = make_sb(fstype, source, &sb, &bdev)) == 0 && (err = vfs_mount_dev(sb, mp, bdev)) != 0 &&
        sb->s_op && sb->s_op->put_super)
        vfs_discard_sb(sb); /* mounted nowhere: give the disk back */
    mutex_unlock(&mount_lock);
out:
    if (mp)
        dentry_put(mp);
    putname(source);
    putname(target);
    putname(fstype);
    return err;
}

/* umount2(2): take the file system mounted at target away. */
long sys_umount2(uaddr_t utarget, int flags)
{
    if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
        return -EINVAL;
    if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
        return -EINVAL;
    int err;
    char *target = getname(utarget, &err);
    if (!target)
        return err;
    struct dentry *d;
    err = resolve_path(0, target, LOOKUP_NOFOLLOW, &d);
    putname(target);
    if (err)
        return err;
    if (!is_root()) {
        dentry_put(d);
        return -EPERM;
    }
    mutex_lock(&mount_lock);
    err = vfs_umount(d, 1); /* MNT_DETACH and MNT_FORCE: still EBUSY while in use */
    mutex_unlock(&mount_lock);
    if (err)
        dentry_put(d);
    return err;
}

/* The regular file or directory fd names, for fsync: EBADF, or EINVAL for what cannot be synced. */
static int sync_target(int fd, struct file **out)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    uint32_t mode = f->inode->mode;
    int err = 0;
    if (f->flags & O_PATH)
        err = -EBADF;
    else if (f->stream || S_ISFIFO(mode) || S_ISCHR(mode) || S_ISSOCK(mode))
        err = -EINVAL; /* pipes, FIFOs, terminals and other character devices: as Linux */
    if (err) {
        file_close(f);
        return err;
    }
    *out = f;
    return 0;
}

static long do_fsync(int fd, int datasync)
{
    struct file *f;
    int err = sync_target(fd, &f);
    if (err)
        return err;
    struct super_block *sb = f->inode->sb;
    if (f->f_op && f->f_op->fsync)
        err = f->f_op->fsync(f, datasync);
    else if (S_ISDIR(f->inode->mode) && sb && sb->s_op && sb->s_op->sync_fs)
        err = sb->s_op->sync_fs(sb); /* a directory's entries live in the journal: commit and flush it */
    file_close(f);
    return err;
}

long sys_fsync(int fd)
{
    return do_fsync(fd, 0);
}

long sys_fdatasync(int fd)
{
    return do_fsync(fd, 1);
}

/* sync(2) never fails. */
long sys_sync(void)
{
    vfs_sync_all();
    return 0;
}

/* syncfs(2): the file system that holds fd. */
long sys_syncfs(int fd)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    struct super_block *sb = f->inode->sb;
    int err = 0;
    mutex_lock(&mount_lock); /* it stays mounted: an open file keeps it busy anyway */
    if (sb && sb->s_op && sb->s_op->sync_fs)
        err = sb->s_op->sync_fs(sb);
    mutex_unlock(&mount_lock);
    file_close(f);
    return err;
}
