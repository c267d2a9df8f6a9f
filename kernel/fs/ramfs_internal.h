/*
 * What the two halves of ramfs share: ramfs.c (the super block and the
 * directories) and ramfs_file.c (the contents of regular files).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "mm/memlayout.h"

struct inode;
struct file;

struct ramfs_dirent {
    char *name;
    struct inode *inode;
    uint64_t cookie;        /* getdents64 position: grows with each new entry */
    struct ramfs_dirent *next;
};

struct ramfs_dir {
    struct ramfs_dirent *head;
    uint64_t next_cookie;
};

struct ramfs_file {
    paddr_t *pages;         /* page i holds bytes [i*4096, (i+1)*4096); 0 = hole */
    size_t cap;             /* entries in pages */
};

#define RAMFS_MAX_SIZE (1ull << 32) /* 4 GiB: far more than memory, small enough for the page array */

extern const struct inode_operations ramfs_file_iops;
extern const struct file_operations ramfs_file_fops;
/* Free a regular file's pages (its last reference and last name are gone). */
void ramfs_file_evict(struct inode *inode);
