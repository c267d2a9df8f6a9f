/*
 * read, write and their positioned and vectored forms, lseek, truncate.
 * Data passes through a kernel bounce buffer of at most RW_CHUNK_FILE bytes, so
 * no lock is ever held while user memory is touched. A regular file is
 * read in as many chunks as asked; a pipe or terminal in one (a read
 * returns what is there).
 */
#include "sys/sys_fs.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"

/* Regular files move up to 1 MiB per file-system call, so a big write is one
 * journal operation with long disk requests; pipes and terminals, or a heap
 * too fragmented for 1 MiB, use 64 KiB. */
#define RW_CHUNK_FILE (1024 * 1024)
#define RW_CHUNK 65536
#define MAX_RW_COUNT 0x7ffff000ul  /* Linux caps one read or write here */
#define IOV_MAX 1024

/* The bounce buffer for count bytes of f, and its size in *chunk. */
static char *bounce_alloc(struct file *f, size_t count, size_t *chunk)
{
    size_t want = S_ISREG(f->inode->mode) ? RW_CHUNK_FILE : RW_CHUNK;
    if (count < want)
        want = count ? count : 1;
    char *kbuf = kmalloc(want);
    if (!kbuf && want > RW_CHUNK) {
        want = RW_CHUNK;
        kbuf = kmalloc(want);
    }
    *chunk = want;
    return kbuf;
}

/* Read into user memory at off (or the file's offset when off < 0). */
static long do_read(struct file *f, uaddr_t buf, size_t count, long off)
{
    if (!file_readable(f))
        return -EBADF;
    if (S_ISDIR(f->inode->mode))
        return -EISDIR;
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    size_t chunk;
    char *kbuf = bounce_alloc(f, count, &chunk);
    if (!kbuf)
        return -ENOMEM;
    int use_offset = off < 0 && !f->stream;
    uint64_t pos = use_offset ? f->offset : (uint64_t)(off < 0 ? 0 : off);
    size_t done = 0;
    long ret = 0;
    do {
        size_t want = count - done < chunk ? count - done : chunk;
        long r = file_pread(f, kbuf, want, pos);
        if (r < 0) {
            ret = r;
            break;
        }
        if (r > 0 && copy_to_user(buf + done, kbuf, (size_t)r)) {
            ret = -EFAULT;
            break;
        }
        done += (size_t)r;
        pos += (uint64_t)r;
        if ((size_t)r < want || f->stream)
            break;
    } while (done < count);
    kfree(kbuf);
    if (use_offset && done) {
        mutex_lock(&f->lock);
        f->offset = pos;
        mutex_unlock(&f->lock);
    }
    return done ? (long)done : ret;
}

/* Write from user memory at off (or the offset, or the end with O_APPEND, when off < 0). */
static long do_write(struct file *f, uaddr_t buf, size_t count, long off)
{
    if (!file_writable(f))
        return -EBADF;
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    size_t chunk;
    char *kbuf = bounce_alloc(f, count, &chunk);
    if (!kbuf)
        return -ENOMEM;
    size_t done = 0;
    long ret = 0;
    do {
        size_t want = count - done < chunk ? count - done : chunk;
        if (copy_from_user(kbuf, buf + done, want)) {
            ret = -EFAULT;
            break;
        }
        long r;
        if (off < 0)
            r = file_write(f, kbuf, want);
        else if ((f->flags & O_APPEND) && S_ISREG(f->inode->mode))
            r = file_pwrite(f, kbuf, want, (uint64_t)-1); /* Linux: pwrite on O_APPEND appends */
        else
            r = file_pwrite(f, kbuf, want, (uint64_t)off + done);
        if (r < 0) {
            ret = r;
            break;
        }
        done += (size_t)r;
        if ((size_t)r < want)
            break;
    } while (done < count);
    kfree(kbuf);
    return done ? (long)done : ret;
}

long sys_read(int fd, uaddr_t buf, size_t count)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = do_read(f, buf, count, -1);
    file_close(f);
    return r;
}

long sys_write(int fd, uaddr_t buf, size_t count)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = do_write(f, buf, count, -1);
    file_close(f);
    return r;
}

long sys_pread64(int fd, uaddr_t buf, size_t count, long off)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = f->stream ? -ESPIPE : off < 0 ? -EINVAL : do_read(f, buf, count, off);
    file_close(f);
    return r;
}

long sys_pwrite64(int fd, uaddr_t buf, size_t count, long off)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = f->stream ? -ESPIPE : off < 0 ? -EINVAL : do_write(f, buf, count, off);
    file_close(f);
    return r;
}

struct iovec_k {
    uaddr_t base;
    size_t len;
};

/* readv/writev: one iovec after another, stopping at the first short transfer. */
static long do_rw_vec(int fd, uaddr_t uiov, int iovcnt, int writing)
{
    if (iovcnt < 0 || iovcnt > IOV_MAX)
        return -EINVAL;
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long ret = 0;
    struct iovec_k *iov = kmalloc((size_t)(iovcnt ? iovcnt : 1) * sizeof *iov);
    if (!iov) {
        ret = -ENOMEM;
        goto out;
    }
    if (copy_from_user(iov, uiov, (size_t)iovcnt * sizeof *iov)) {
        ret = -EFAULT;
        goto out;
    }
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].len > 0x7fffffffffffffffull - total) {
            ret = -EINVAL;
            goto out;
        }
        total += iov[i].len;
    }
    if (writing ? !file_writable(f) : !file_readable(f)) {
        ret = -EBADF;
        goto out;
    }
    size_t done = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (!iov[i].len)
            continue;
        long r = writing ? do_write(f, iov[i].base, iov[i].len, -1) : do_read(f, iov[i].base, iov[i].len, -1);
        if (r < 0) {
            ret = done ? (long)done : r;
            goto out;
        }
        done += (size_t)r;
        if ((size_t)r < iov[i].len)
            break;
    }
    ret = (long)done;
out:
    kfree(iov);
    file_close(f);
    return ret;
}

long sys_readv(int fd, uaddr_t iov, int iovcnt)
{
    return do_rw_vec(fd, iov, iovcnt, 0);
}

long sys_writev(int fd, uaddr_t iov, int iovcnt)
{
    return do_rw_vec(fd, iov, iovcnt, 1);
}

long sys_lseek(int fd, long off, int whence)
{
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long ret;
    if (f->stream) {
        ret = -ESPIPE;
    } else {
        mutex_lock(&f->lock);
        long base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (long)f->offset
                  : whence == SEEK_END ? (long)f->inode->size : -1;
        if (base < 0 || whence < 0 || whence > SEEK_END)
            ret = -EINVAL;
        else if ((off > 0 && base > 0x7fffffffffffffffl - off) || base + off < 0)
            ret = -EINVAL;
        else
            f->offset = (uint64_t)(ret = base + off);
        mutex_unlock(&f->lock);
    }
    file_close(f);
    return ret;
}

/* ftruncate(2) in Linux's order: a negative length, then the fd, then a file not open for writing. */
long sys_ftruncate(int fd, long length)
{
    if (length < 0)
        return -EINVAL;
    struct file *f = fget(fd);
    if (!f)
        return -EBADF;
    long r = (f->flags & O_PATH) ? -EBADF : !file_writable(f) ? -EINVAL : vfs_truncate(f->inode, (uint64_t)length);
    file_close(f);
    return r;
}

long sys_truncate(uaddr_t upath, long length)
{
    int err;
    char *path = getname(upath, &err);
    if (!path)
        return err;
    struct dentry *d;
    if (length < 0)
        err = -EINVAL;
    else if ((err = resolve_path(0, path, 0, &d)) == 0) {
        err = vfs_truncate(d->inode, (uint64_t)length);
        dentry_put(d);
    }
    putname(path);
    return err;
}

/* sendfile: copy between two files through a kernel buffer, from *offset or in_fd's offset. */
long sys_sendfile(int out_fd, int in_fd, uaddr_t uoffset, size_t count)
{
    struct file *in = fget(in_fd), *out = fget(out_fd);
    long ret = 0;
    char *kbuf = 0;
    int64_t off = -1;
    if (!in || !out || !file_readable(in) || !file_writable(out)) {
        ret = -EBADF;
        goto done;
    }
    if (uoffset) {
        if (copy_from_user(&off, uoffset, sizeof off)) {
            ret = -EFAULT;
            goto done;
        }
        if (off < 0 || in->stream) {
            ret = in->stream ? -ESPIPE : -EINVAL;
            goto done;
        }
    }
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    if (!(kbuf = kmalloc(RW_CHUNK))) {
        ret = -ENOMEM;
        goto done;
    }
    size_t total = 0;
    while (total < count) {
        size_t want = count - total < RW_CHUNK ? count - total : RW_CHUNK;
        long r = off >= 0 ? file_pread(in, kbuf, want, (uint64_t)off) : file_read(in, kbuf, want);
        if (r <= 0) {
            ret = r;
            break;
        }
        long w = file_write(out, kbuf, (size_t)r);
        if (w < 0) {
            ret = w;
            break;
        }
        total += (size_t)w;
        if (off >= 0)
            off += w;
        if (w < r || (size_t)r < want)
            break;
    }
    if (total)
        ret = (long)total;
    if (uoffset && ret >= 0 && copy_to_user(uoffset, &off, sizeof off))
        ret = -EFAULT;
done:
    kfree(kbuf);
    if (in)
        file_close(in);
    if (out)
        file_close(out);
    return ret;
}
