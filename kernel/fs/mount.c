/*
 * The mount table: which file system sits on which directory. Each super
 * block is mounted at most once, so a dentry alone says where it is.
 * Locks: mount_lock (a sleep lock) serialises mount, unmount and sync of
 * whole file systems, which read and write disks; vfs_lock protects the
 * table, sb->mnt and dentry->mounted. Order: mount_lock before vfs_lock.
 */
#include "fs/vfs.h"
#include "drivers/console.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"

#define MAX_MOUNTS 16

static struct mount *mounts[MAX_MOUNTS];
static struct mount *root_mount;
struct mutex mount_lock = MUTEX_INIT("mount");

/* Put sb on mountpoint (NULL: make it the root); bdev is the disk it was read from (NULL: memory). */
int vfs_mount_dev(struct super_block *sb, struct dentry *mountpoint, struct blkdev *bdev)
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
    else if (sb->mnt || (bdev && vfs_bdev_mounted(bdev)))
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
    m->bdev = bdev;
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

int vfs_mount(struct super_block *sb, struct dentry *mountpoint)
{
    return vfs_mount_dev(sb, mountpoint, 0);
}

/* Is a file system from this disk mounted anywhere? (vfs_lock held) */
int vfs_bdev_mounted(struct blkdev *bdev)
{
    for (int i = 0; i < MAX_MOUNTS; i++)
        if (mounts[i] && mounts[i]->bdev == bdev)
            return 1;
    return 0;
}

/* The next mounted super block after *slot (vfs_lock held), or NULL. */
static struct super_block *next_sb(int *slot)
{
    while (*slot < MAX_MOUNTS) {
        struct mount *m = mounts[(*slot)++];
        if (m)
            return m->sb;
    }
    return 0;
}

/*
 * Is anything below root in use (an open file, a cwd, a path being walked,
 * a name unlinked while open) or mounted on? A dentry that only the tree
 * holds has one reference for the tree (the root: the super block's) plus
 * one per cached child; root may have `extra` more (the caller's). vfs_lock held.
 */
static int tree_busy(struct dentry *root, int extra)
{
    struct dentry *d = root;
    for (;;) {
        int expect = 1 + (d == root ? extra : 0);
        for (struct dentry *c = d->children; c; c = c->sibling)
            expect++;
        if (d->mounted || d->refcount != expect)
            return 1;
        if (d->children) {
            d = d->children;
            continue;
        }
        while (d != root && !d->sibling)
            d = d->parent;
        if (d == root)
            return 0;
        d = d->sibling;
    }
}

/* Free every dentry of an idle tree, leaves first (vfs_lock held, tree_busy said no). */
static void tree_free(struct dentry *root)
{
    while (root->children) {
        struct dentry *d = root->children;
        while (d->children)
            d = d->children;
        d->parent->children = d->sibling; /* d is the first child of its parent */
        d->parent->refcount--;
        inode_put(d->inode);
        kfree(d);
    }
    inode_put(root->inode);
    kfree(root);
}

/*
 * Unmount the file system whose root is root (the caller holds `extra`
 * references to root and keeps them only on failure): -EINVAL if root is
 * not the root of a mount, -EBUSY if it is "/" or in use. On success the
 * file system's put_super has run and the super block is freed.
 * Caller holds mount_lock.
 */
int vfs_umount(struct dentry *root, int extra)
{
    mutex_lock(&vfs_lock);
    struct super_block *sb = root->sb;
    struct mount *m = sb ? sb->mnt : 0;
    int err = 0;
    if (root->parent != root || !m || sb->root != root)
        err = -EINVAL;
    else if (m == root_mount || tree_busy(root, extra))
        err = -EBUSY;
    if (err) {
        mutex_unlock(&vfs_lock);
        return err;
    }
    for (int i = 0; i < MAX_MOUNTS; i++)
        if (mounts[i] == m)
            mounts[i] = 0;
    m->mountpoint->mounted = 0;
    dentry_put_locked(m->mountpoint);
    sb->mnt = 0;
    sb->root = 0;
    tree_free(root);
    mutex_unlock(&vfs_lock);
    kfree(m);
    /* Nothing can reach sb any more: write back and free without vfs_lock. */
    if (sb->s_op && sb->s_op->put_super && (err = sb->s_op->put_super(sb)) != 0)
        kprintf("vfs: unmounting %s: %s\n", sb->type, errno_name(err));
    if (sb->s_op && sb->s_op->put_super)
        kfree(sb); /* a memory file system without put_super keeps its contents (they leak) */
    return 0;
}

/* A disk file system that was read but never mounted: put_super and free it. */
void vfs_discard_sb(struct super_block *sb)
{
    struct dentry *root = sb->root;
    sb->root = 0;
    if (root) {
        inode_put(root->inode);
        kfree(root);
    }
    if (sb->s_op && sb->s_op->put_super)
        sb->s_op->put_super(sb);
    kfree(sb);
}

/* Call sync_fs on every mounted file system that has one: 0 or the first error. */
int vfs_sync_all(void)
{
    int first = 0;
    mutex_lock(&mount_lock); /* super blocks stay mounted while we sync them */
    for (int slot = 0;;) {
        mutex_lock(&vfs_lock);
        struct super_block *sb = next_sb(&slot);
        mutex_unlock(&vfs_lock);
        if (!sb)
            break;
        if (sb->s_op && sb->s_op->sync_fs) {
            int err = sb->s_op->sync_fs(sb);
            if (err && !first)
                first = err;
        }
    }
    mutex_unlock(&mount_lock);
    return first;
}

/*
 * Power-off: make every disk file system clean. When no other process is
 * left nobody can touch them again, so put_super runs on each in place
 * (the dentry tree stays: memory is about to vanish); otherwise they are
 * only synced, and their next mount finds them still marked in use.
 */
void vfs_shutdown(int others_alive)
{
    mutex_lock(&mount_lock);
    for (int slot = 0;;) {
        mutex_lock(&vfs_lock);
        struct super_block *sb = next_sb(&slot);
        mutex_unlock(&vfs_lock);
        if (!sb)
            break;
        if (!sb->s_op || !sb->s_op->put_super)
            continue;
        int err;
        if (others_alive) {
            err = sb->s_op->sync_fs ? sb->s_op->sync_fs(sb) : 0;
            kprintf("vfs: %s synced but left mounted: %d processes still running\n", sb->type, others_alive);
        } else {
            err = sb->s_op->put_super(sb);
        }
        if (err)
            kprintf("vfs: %s at power-off: %s\n", sb->type, errno_name(err));
    }
    mutex_unlock(&mount_lock);
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
