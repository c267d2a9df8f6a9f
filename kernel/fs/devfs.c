/*
 * devfs: one flat directory of character devices, each an inode made at
 * registration and kept for good. /dev/null and /dev/zero live here; the
 * terminal's operations come from fs/tty.c.
 * Lock: the device table only grows, under vfs_lock.
 */
#include "fs/devfs.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define MAX_DEVICES 16

static struct {
    char name[16];
    struct inode *inode;
} devices[MAX_DEVICES];
static int ndevices;
static struct super_block *devfs_sb;

static long null_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    (void)f, (void)buf, (void)n, (void)off;
    return 0;
}

static long null_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    (void)f, (void)buf, (void)off;
    return (long)n;
}

static long zero_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    (void)f, (void)off;
    memset(buf, 0, n);
    return (long)n;
}

static int always_ready(struct file *f)
{
    (void)f;
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static const struct file_operations null_fops = { .read = null_read, .write = null_write, .poll = always_ready };
static const struct file_operations zero_fops = { .read = zero_read, .write = null_write, .poll = always_ready };

/* ---- the directory (vfs_lock held) ---- */

static int devfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
    (void)dir;
    for (int i = 0; i < ndevices; i++)
        if (strcmp(devices[i].name, name) == 0) {
            devices[i].inode->refcount++;
            *out = devices[i].inode;
            return 0;
        }
    return -ENOENT;
}

static int devfs_readdir(struct inode *dir, uint64_t *pos, char *name, uint64_t *ino, int *type)
{
    (void)dir;
    uint64_t i = *pos < 2 ? 0 : *pos - 2;
    if (i >= (uint64_t)ndevices)
        return 1;
    strlcpy(name, devices[i].name, NAME_MAX + 1);
    *ino = devices[i].inode->ino;
    *type = DT_CHR;
    *pos = i + 3;
    return 0;
}

static int devfs_is_empty(struct inode *dir)
{
    (void)dir;
    return ndevices == 0;
}

static const struct inode_operations devfs_dir_iops = {
    .lookup = devfs_lookup,
    .readdir = devfs_readdir,
    .is_empty = devfs_is_empty,
};
static const struct file_operations devfs_dir_fops = { .poll = always_ready };

int devfs_register(const char *name, uint32_t major, uint32_t minor, const struct file_operations *fops)
{
    struct inode *ino = inode_alloc(devfs_sb, S_IFCHR | 0666);
    if (!ino)
        return -ENOMEM;
    ino->nlink = 1;
    ino->rdev = (major << 8) | minor;
    ino->f_op = fops;
    mutex_lock(&vfs_lock);
    if (ndevices == MAX_DEVICES) {
        mutex_unlock(&vfs_lock);
        kfree(ino);
        return -ENOMEM;
    }
    strlcpy(devices[ndevices].name, name, sizeof devices[ndevices].name);
    devices[ndevices].inode = ino;
    ndevices++;
    ino->refcount--; /* the table keeps it through nlink */
    mutex_unlock(&vfs_lock);
    return 0;
}

struct super_block *devfs_new(void)
{
    if (devfs_sb)
        return devfs_sb;
    struct super_block *sb = kzalloc(sizeof *sb);
    if (!sb)
        return 0;
    sb->dev = 0x50; /* any number that ramfs does not hand out early */
    sb->type = "devfs";
    struct inode *root = inode_alloc(sb, S_IFDIR | 0755);
    if (!root) {
        kfree(sb);
        return 0;
    }
    root->nlink = 2;
    root->i_op = &devfs_dir_iops;
    root->f_op = &devfs_dir_fops;
    sb->root = dentry_alloc(0, "/", root);
    sb->root->refcount = 1;
    devfs_sb = sb;
    devfs_register("console", 5, 1, &tty_fops);
    devfs_register("tty", 5, 0, &tty_fops);
    devfs_register("null", 1, 3, &null_fops);
    devfs_register("zero", 1, 5, &zero_fops);
    return sb;
}
