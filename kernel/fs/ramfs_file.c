/*
 * ramfs regular files: an array of physical pages that grows on write (a
 * page never written is a hole and reads as zeros), cut back on truncate.
 * Lock: inode->lock protects the page array and the size.
 */
#include "fs/ramfs_internal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"

static void free_pages_from(struct ramfs_file *rf, size_t first)
{
    for (size_t i = first; i < rf->cap; i++)
        if (rf->pages[i]) {
            pmm_free(rf->pages[i]);
            rf->pages[i] = 0;
        }
}

/* Make room for page index idx in the page array. */
static int grow(struct ramfs_file *rf, size_t idx)
{
    if (idx < rf->cap)
        return 0;
    size_t cap = rf->cap ? rf->cap : 8;
    while (cap <= idx)
        cap *= 2;
    paddr_t *pages = kzalloc(cap * sizeof *pages);
    if (!pages)
        return -ENOSPC;
    if (rf->pages)
        memcpy(pages, rf->pages, rf->cap * sizeof *pages);
    kfree(rf->pages);
    rf->pages = pages;
    rf->cap = cap;
    return 0;
}

static int ramfs_truncate(struct inode *inode, uint64_t size)
{
    struct ramfs_file *rf = inode->priv;
    if (size > RAMFS_MAX_SIZE)
        return -EFBIG;
    mutex_lock(&inode->lock);
    if (size < inode->size) {
        size_t keep = (size + PAGE_SIZE - 1) / PAGE_SIZE;
        free_pages_from(rf, keep);
        if ((size % PAGE_SIZE) && keep - 1 < rf->cap && rf->pages[keep - 1]) {
            char *p = phys_to_virt(rf->pages[keep - 1]);
            memset(p + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
        }
    }
    inode->size = size;
    inode_touch(inode, 0, 1, 1);
    mutex_unlock(&inode->lock);
    return 0;
}

static long ramfs_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    struct inode *inode = f->inode;
    struct ramfs_file *rf = inode->priv;
    mutex_lock(&inode->lock);
    if (off >= inode->size)
        n = 0;
    else if (n > inode->size - off)
        n = inode->size - off;
    size_t done = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t idx = pos / PAGE_SIZE, in = pos % PAGE_SIZE;
        size_t chunk = PAGE_SIZE - in < n - done ? PAGE_SIZE - in : n - done;
        if (idx < rf->cap && rf->pages[idx])
            memcpy((char *)buf + done, (char *)phys_to_virt(rf->pages[idx]) + in, chunk);
        else
            memset((char *)buf + done, 0, chunk);
        done += chunk;
    }
    inode_touch(inode, 1, 0, 0);
    mutex_unlock(&inode->lock);
    return (long)n;
}

/* Write at off, or at the end when off is (uint64_t)-1 (O_APPEND). */
static long ramfs_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    struct inode *inode = f->inode;
    struct ramfs_file *rf = inode->priv;
    mutex_lock(&inode->lock);
    if (off == (uint64_t)-1)
        off = inode->size;
    if (off >= RAMFS_MAX_SIZE || n > RAMFS_MAX_SIZE - off) {
        mutex_unlock(&inode->lock);
        return -EFBIG;
    }
    size_t done = 0;
    long err = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t idx = pos / PAGE_SIZE, in = pos % PAGE_SIZE;
        size_t chunk = PAGE_SIZE - in < n - done ? PAGE_SIZE - in : n - done;
        if ((err = grow(rf, idx)) != 0)
            break;
        if (!rf->pages[idx] && !(rf->pages[idx] = pmm_alloc_zeroed())) {
            err = -ENOSPC;
            break;
        }
        memcpy((char *)phys_to_virt(rf->pages[idx]) + in, (const char *)buf + done, chunk);
        done += chunk;
    }
    if (off + done > inode->size)
        inode->size = off + done;
    if (done)
        inode_touch(inode, 0, 1, 1);
    mutex_unlock(&inode->lock);
    return done ? (long)done : err;
}

void ramfs_file_evict(struct inode *inode)
{
    struct ramfs_file *rf = inode->priv;
    free_pages_from(rf, 0);
    kfree(rf->pages);
    kfree(rf);
}

const struct inode_operations ramfs_file_iops = {
    .truncate = ramfs_truncate,
};
const struct file_operations ramfs_file_fops = {
    .read = ramfs_read,
    .write = ramfs_write,
};
