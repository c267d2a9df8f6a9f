/*
 * Building the initial tree: a ramfs root (or MFS from a disk, chosen by
 * proc/init.c), devfs on /dev, a second ramfs on /tmp. Safe to call more than once (ktests call it before any boot
 * code does).
 */
#include "fs/devfs.h"
#include "fs/ramfs.h"
#include "fs/vfs.h"
#include "drivers/console.h"
#include "lib/errno.h"
#include "lib/panic.h"

static int vfs_ready;

/* Make the directory path and mount sb on it. */
static void mount_on(const char *path, struct super_block *sb)
{
    struct dentry *d;
    int err = vfs_mkdir(0, path, 0755);
    if (err == 0 || err == -EEXIST)
        err = resolve_path(0, path, LOOKUP_DIRECTORY, &d);
    if (err == 0) {
        err = vfs_mount(sb, d);
        dentry_put(d);
    }
    if (err)
        kprintf("vfs: cannot mount %s on %s: %s\n", sb->type, path, errno_name(err));
}

void vfs_init(void)
{
    vfs_init_root(0, 0);
}

int vfs_init_root(struct super_block *root, struct blkdev *bdev)
{
    if (__atomic_exchange_n(&vfs_ready, 1, __ATOMIC_SEQ_CST))
        return -EBUSY;
    if (!root)
        root = ramfs_new();
    struct super_block *dev = devfs_new();
    struct super_block *tmp = ramfs_new();
    if (!root || !dev || !tmp)
        panic("vfs: out of memory while building the root file system");
    if (vfs_mount_dev(root, 0, bdev))
        panic("vfs: cannot mount the root file system");
    mount_on("/dev", dev);
    mount_on("/tmp", tmp);
    struct dentry *t;
    if (resolve_path(0, "/tmp", 0, &t) == 0) {
        t->inode->mode = S_IFDIR | 01777;
        dentry_put(t);
    }
    return 0;
}
