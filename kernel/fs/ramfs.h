/* ramfs: a file system that lives only in memory (the root, /tmp). */
#pragma once

struct super_block;

struct super_block *ramfs_new(void);   /* a fresh, empty file system with its root dentry */
