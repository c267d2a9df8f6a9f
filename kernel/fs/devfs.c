/*
 * devfs: one flat directory of devices, each an inode made at registration
 * and kept for good. /dev/null and /dev/zero live here; the terminal's
 * operations come from fs/tty.c; every disk is a block device (/dev/vda...)
 * that mount(2) takes and that reads as the raw disk.
 * Lock: the device table only grows, under vfs_lock.
 */
#include "fs/devfs.h"
#include "drivers/blkdev.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define MAX_DEVICES 32
#define BLK_MAJOR 254 /* Linux gives virtio-blk a dynamic major; 254 is a common one */

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

/* Reading a disk node: the raw sectors, through a bounce page (blk_rw wants direct-map memory). */
static long disk_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct blkdev *d = f->inode->priv;
    uint64_t size = blk_sectors(d) * BLK_SECTOR_SIZE;
    if (off >= size)
        return 0;
    if (n > size - off)
        n = size - off;
    char *page = kmalloc(PAGE_SIZE);
    if (!page)
        return -ENOMEM;
    size_t done = 0;
    long err = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t in = pos % BLK_SECTOR_SIZE;
        size_t len = n - done < PAGE_SIZE - in ? n - done : PAGE_SIZE - in;
        size_t bytes = (in + len + BLK_SECTOR_SIZE - 1) / BLK_SECTOR_SIZE * BLK_SECTOR_SIZE;
        if ((err = blk_rw(d, BLK_READ, pos / BLK_SECTOR_SIZE, page, bytes)) != 0)
            break;
        memcpy((char *)buf + done, page + in, len);
        done += len;
    }
    kfree(page);
    return done ? (long)done : err;
}

static int always_ready(struct file *f)
{
    (void)f;
    return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static const struct file_operations null_fops = { .read = null_read, .write = null_write, .poll = always_ready };
static const struct file_operations zero_fops = { .read = zero_read, .write = null_write, .poll = always_ready };
/* No write: a mounted disk must change only through its file system. */
static const struct file_operations disk_fops = { .read = disk_read, .poll = always_ready };

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
    *type = mode_to_dtype(devices[i].inode->mode);
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

/* A device node of the given mode (S_IFCHR or S_IFBLK and permissions). */
static int add_node(const char *name, uint32_t mode, uint32_t major, uint32_t minor,
                    const struct file_operations *fops, void *priv, uint64_t size)
{
    struct inode *ino = inode_alloc(devfs_sb, mode);
    if (!ino)
        return -ENOMEM;
    ino->nlink = 1;
    ino->rdev = (major << 8) | minor;
    ino->f_op = fops;
    ino->priv = priv;
    ino->size = size;
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

int devfs_register(const char *name, uint32_t major, uint32_t minor, const struct file_operations *fops)
{
    return add_node(name, S_IFCHR | 0666, major, minor, fops, 0, 0);
}

/* The disk behind a devfs block node, or NULL if inode is not one. */
struct blkdev *devfs_blkdev(struct inode *inode)
{
    return inode->sb == devfs_sb && devfs_sb && S_ISBLK(inode->mode) ? inode->priv : 0;
}

/* A node per disk found at boot: vda is (254, 0), vdb (254, 16), as Linux numbers partitions. */
static void register_disks(void)
{
    struct blkdev *d;
    for (int i = 0; i < BLK_MAX_DEVICES; i++)
        if ((d = blk_get(i)) != 0)
            add_node(blk_name(d), S_IFBLK | 0660, BLK_MAJOR, (uint32_t)i * 16, &disk_fops, d,
                     blk_sectors(d) * BLK_SECTOR_SIZE);
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
    register_disks();
    return sb;
}
