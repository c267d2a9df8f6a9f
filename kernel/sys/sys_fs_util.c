/*
 * Helpers shared by the file system calls: descriptors of the calling
 * process, user paths copied into kernel buffers, and the starting
 * directory of *at() calls.
 */
#include "sys/sys_fs.h"
#include "fs/fdtable.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "sched/sched.h"

struct file *fget(int fd)
{
    struct process *p = current_proc();
    return p ? fd_get(p->files, fd) : 0;
}

/* Paths are at most PATH_MAX bytes with the NUL: ENAMETOOLONG beyond, EFAULT on a bad pointer. */
char *getname(uaddr_t upath, int *err)
{
    char *buf = kmalloc(PATH_MAX);
    if (!buf) {
        *err = -ENOMEM;
        return 0;
    }
    long n = strncpy_from_user(buf, upath, PATH_MAX);
    if (n < 0) {
        kfree(buf);
        *err = (int)n;
        return 0;
    }
    *err = 0;
    return buf;
}

void putname(char *name)
{
    kfree(name);
}

int at_base(int dirfd, const char *path, struct dentry **base)
{
    *base = 0;
    if (path[0] == '/' || dirfd == AT_FDCWD)
        return 0;
    struct file *f = fget(dirfd);
    if (!f)
        return -EBADF;
    int err = 0;
    if (!f->dentry || !S_ISDIR(f->inode->mode))
        err = -ENOTDIR;
    else
        dentry_get(*base = f->dentry);
    file_close(f);
    return err;
}
