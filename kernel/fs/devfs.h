/* devfs: the device files of /dev. */
#pragma once
#include <stdint.h>

struct super_block;
struct file_operations;

struct super_block *devfs_new(void);   /* with console, tty, null, zero */
/* Add a character device (call before or after mounting): 0 or -ENOMEM. */
int devfs_register(const char *name, uint32_t major, uint32_t minor, const struct file_operations *fops);
/* The disk behind a /dev block node (vda, vdb...), or NULL if inode is not one. */
struct inode;
struct blkdev;
struct blkdev *devfs_blkdev(struct inode *inode);
