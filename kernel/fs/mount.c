/*
 * The mount table: which file system sits on which directory. Each super
 * block is mounted at most once, so a dentry alone says where it is.
 * Lock: vfs_lock protects the table, sb->mnt and dentry->mounted.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"

#define MAX_MOUNTS 16

static struct mount *mounts[MAX_MOUNTS];
static struct mount *root_mount;

/* Put sb on mountpoint (NULL: make it the root). */
int vfs_mount(struct super_block *sb, struct dentry *mountpoint)
{
    struct mount *m = kzalloc(sizeof *m);
    if (!m)
        return -ENOMEM;
    mutex_lock(&vfs_lock);
    int err = 0, slot = -1;
    for (int i = 0; i < MAX_MOUNTS; i++)
        if (!mounts[i]) {
            slot = i;
            break;
        }
    if (slot < 0)
        err = -ENOMEM;
    else if (sb->mnt)
        err = -EBUSY;
    else if (mountpoint && (!S_ISDIR(mountpoint->inode->mode) || mountpoint->dead))
        err = -ENOTDIR;
    else if (mountpoint && mountpoint->mounted)
        err = -EBUSY;
    else if (!mountpoint && root_mount)
        err = -EBUSY;
    if (err) {
        mutex_unlock(&vfs_lock);
        kfree(m);
        return err;
    }
    m->sb = sb;
    m->mountpoint = mountpoint;
    sb->mnt = m;
    if (mountpoint) {
        m->parent = mountpoint->sb->mnt;
        mountpoint->mounted = m;
        mountpoint->refcount++;
    } else {
        root_mount = m;
    }
    mounts[slot] = m;
    mutex_unlock(&vfs_lock);
    return 0;
}

struct dentry *vfs_root(void)
{
    return root_mount ? root_mount->sb->root : 0;
}

/* Going down into a directory that has file systems stacked on it. */
struct dentry *mount_follow_down(struct dentry *d)
{
    while (d->mounted)
        d = d->mounted->sb->root;
    return d;
}

/* '..' from the root of a mounted file system starts at its mount point. */
struct dentry *mount_follow_up(struct dentry *d)
{
    while (d->parent == d && d->sb && d->sb->mnt && d->sb->mnt->mountpoint)
        d = d->sb->mnt->mountpoint;
    return d;
}
