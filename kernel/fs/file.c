/*
 * Open files: reference counting, and reading and writing through the
 * file's operations at its offset.
 * Lock: file->lock protects the offset of a seekable file (it is held
 * across the read or write so that concurrent reads see distinct data);
 * stream files (pipes, ttys) block inside their operations without it.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"

/* A new open file on inode (and dentry, if it has a name); takes its own references. */
struct file *file_alloc(struct dentry *d, struct inode *inode, unsigned flags)
{
    struct file *f = kzalloc(sizeof *f);
    if (!f)
        return 0;
    f->refcount = 1;
    mutex_init(&f->lock, "file");
    f->flags = flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_PATH | O_DSYNC | O_SYNC);
    f->inode = inode;
    f->dentry = d;
    f->f_op = inode->f_op;
    mutex_lock(&vfs_lock);
    inode->refcount++;
    if (d)
        d->refcount++;
    mutex_unlock(&vfs_lock);
    return f;
}

struct file *file_dup(struct file *f)
{
    __atomic_add_fetch(&f->refcount, 1, __ATOMIC_SEQ_CST);
    return f;
}

/* Drop a reference; the last one releases the file (a pipe end, say). */
void file_close(struct file *f)
{
    if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_SEQ_CST) != 0)
        return;
    if (f->f_op && f->f_op->release)
        f->f_op->release(f);
    if (f->dentry)
        dentry_put(f->dentry);
    inode_put(f->inode);
    kfree(f);
}

int file_readable(struct file *f)
{
    int acc = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

int file_writable(struct file *f)
{
    int acc = f->flags & O_ACCMODE;
    return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

long file_pread(struct file *f, void *buf, size_t n, uint64_t off)
{
    if (!file_readable(f))
        return -EBADF;
    if (S_ISDIR(f->inode->mode))
        return -EISDIR;
    if (!f->f_op || !f->f_op->read)
        return -EINVAL;
    return f->f_op->read(f, buf, n, off);
}

long file_pwrite(struct file *f, const void *buf, size_t n, uint64_t off)
{
    if (!file_writable(f))
        return -EBADF;
    if (!f->f_op || !f->f_op->write)
        return -EINVAL;
    return f->f_op->write(f, buf, n, off);
}

/* read(2): at the offset, which moves past what was read. */
long file_read(struct file *f, void *buf, size_t n)
{
    if (f->stream)
        return file_pread(f, buf, n, 0);
    mutex_lock(&f->lock);
    long r = file_pread(f, buf, n, f->offset);
    if (r > 0)
        f->offset += (uint64_t)r;
    mutex_unlock(&f->lock);
    return r;
}

/* write(2): at the offset, or at the end with O_APPEND. */
long file_write(struct file *f, const void *buf, size_t n)
{
    if (f->stream)
        return file_pwrite(f, buf, n, 0);
    mutex_lock(&f->lock);
    int append = (f->flags & O_APPEND) && S_ISREG(f->inode->mode);
    long r = file_pwrite(f, buf, n, append ? (uint64_t)-1 : f->offset);
    if (r > 0)
        f->offset = append ? f->inode->size : f->offset + (uint64_t)r;
    mutex_unlock(&f->lock);
    return r;
}

long file_pread_kernel(struct file *f, void *buf, size_t n, uint64_t off)
{
    if (!f->f_op || !f->f_op->read)
        return -EINVAL;
    if (S_ISDIR(f->inode->mode))
        return -EISDIR;
    return f->f_op->read(f, buf, n, off);
}

/* May this file be executed? Root needs one x bit on a regular file. */
int file_exec_check(struct file *f)
{
    if (!S_ISREG(f->inode->mode))
        return -EACCES;
    if (!(f->inode->mode & 0111))
        return -EACCES;
    return 0;
}
