/*
 * Operations on names: open (with O_CREAT), mkdir, unlink, rmdir, link,
 * rename, truncate, with Linux's errors for every edge case. Each takes
 * vfs_lock around its lookups and the file system call, which makes them
 * atomic with respect to each other (rename in particular).
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"

/* Look name up in the parent and step onto whatever is mounted there (vfs_lock held). */
static int lookup_locked(struct dentry *dir, const char *name, struct dentry **out)
{
    struct dentry *d;
    int err = dentry_lookup(dir, name, &d);
    if (err)
        return err;
    struct dentry *top = mount_follow_down(d);
    if (top != d) {
        top->refcount++;
        dentry_put_locked(d);
    }
    *out = top;
    return 0;
}

/* Create name in dir (vfs_lock held): the new inode, with a reference. */
static int create_locked(struct dentry *dir, const char *name, uint32_t mode, struct inode **out)
{
    struct inode *di = dir->inode;
    if (dir->dead)
        return -ENOENT;
    if (!di->i_op || !di->i_op->create)
        return -EPERM;
    return di->i_op->create(di, name, mode, out);
}

int vfs_truncate(struct inode *inode, uint64_t size)
{
    if (S_ISDIR(inode->mode))
        return -EISDIR;
    if (!S_ISREG(inode->mode))
        return -EINVAL;
    if (!inode->i_op || !inode->i_op->truncate)
        return -EINVAL;
    return inode->i_op->truncate(inode, size);
}

/* Find or create the file that open(O_CREAT) names. */
static int open_create(struct dentry *base, const char *path, int flags, int mode, struct dentry **out)
{
    struct nameparts np;
    int err = resolve_parent(base, path, &np);
    if (err)
        return err;
    if (np.type != LAST_NORM) {
        dentry_put(np.parent);
        return -EISDIR;
    }
    mutex_lock(&vfs_lock);
    struct dentry *d = 0;
    err = lookup_locked(np.parent, np.last, &d);
    if (err == -ENOENT) {
        struct inode *ino;
        if (np.trailing_slash)
            err = -EISDIR;
        else if ((err = create_locked(np.parent, np.last, S_IFREG | (mode & 07777 & ~current_umask()), &ino)) == 0 &&
                 !(d = dentry_alloc(np.parent, np.last, ino))) {
            inode_put(ino);
            err = -ENOMEM;
        }
    } else if (!err && (flags & O_EXCL)) {
        dentry_put_locked(d);
        err = -EEXIST;
    } else if (!err && np.trailing_slash && !S_ISDIR(d->inode->mode)) {
        dentry_put_locked(d);
        err = -ENOTDIR;
    }
    dentry_put_locked(np.parent);
    mutex_unlock(&vfs_lock);
    *out = d;
    return err;
}

/* open(2) on a kernel path, relative to base (NULL: the cwd). */
int vfs_open_at(struct dentry *base, const char *path, int flags, int mode, struct file **out)
{
    struct dentry *d;
    int err;
    if (flags & O_CREAT)
        err = open_create(base, path, flags, mode, &d);
    else
        err = resolve_path(base, path, (flags & O_DIRECTORY) ? LOOKUP_DIRECTORY : 0, &d);
    if (err)
        return err;
    struct inode *inode = d->inode;
    int acc = flags & O_ACCMODE;
    if (S_ISDIR(inode->mode) && ((flags & O_CREAT) || acc != O_RDONLY) && !(flags & O_PATH))
        err = -EISDIR;
    else if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode))
        err = -ENOTDIR;
    else if (acc == O_ACCMODE && !(flags & O_PATH))
        err = -EINVAL;
    else if ((flags & O_TRUNC) && S_ISREG(inode->mode) && acc != O_RDONLY)
        err = vfs_truncate(inode, 0);
    if (err) {
        dentry_put(d);
        return err;
    }
    struct file *f = file_alloc(d, inode, (unsigned)flags);
    dentry_put(d);
    if (!f)
        return -ENOMEM;
    if (!(flags & O_PATH) && f->f_op && f->f_op->open && (err = f->f_op->open(inode, f)) != 0) {
        file_close(f);
        return err;
    }
    *out = f;
    return 0;
}

int vfs_open(const char *path, int flags, int mode, struct file **out)
{
    return vfs_open_at(0, path, flags, mode, out);
}

/* Create a node of the given mode (type bits included; the umask applies). */
int vfs_mknod(struct dentry *base, const char *path, uint32_t mode, struct inode **out)
{
    struct nameparts np;
    int err = resolve_parent(base, path, &np);
    if (err)
        return err;
    if (np.type != LAST_NORM) {
        dentry_put(np.parent);
        return -EEXIST;
    }
    mutex_lock(&vfs_lock);
    struct dentry *d;
    err = lookup_locked(np.parent, np.last, &d);
    if (!err) {
        dentry_put_locked(d);
        err = -EEXIST;
    } else if (err == -ENOENT) {
        if (np.trailing_slash && !S_ISDIR(mode)) {
            err = -ENOENT;
        } else {
            struct inode *ino;
            err = create_locked(np.parent, np.last, (mode & S_IFMT) | (mode & 07777 & ~current_umask()), &ino);
            if (!err) {
                if (out)
                    *out = ino;
                else
                    inode_put(ino);
            }
        }
    }
    dentry_put_locked(np.parent);
    mutex_unlock(&vfs_lock);
    return err;
}

int vfs_mkdir(struct dentry *base, const char *path, int mode)
{
    return vfs_mknod(base, path, S_IFDIR | ((uint32_t)mode & 07777), 0);
}

/* unlink(2) and rmdir(2) share everything but the checks on the victim. */
static int remove_name(struct dentry *base, const char *path, int want_dir)
{
    struct nameparts np;
    int err = resolve_parent(base, path, &np);
    if (err)
        return err;
    if (np.type != LAST_NORM) {
        dentry_put(np.parent);
        if (!want_dir)
            return -EISDIR;
        return np.type == LAST_DOT ? -EINVAL : -ENOTEMPTY;
    }
    mutex_lock(&vfs_lock);
    struct dentry *dir = np.parent, *d;
    err = dentry_lookup(dir, np.last, &d);
    if (err)
        goto out;
    struct inode *victim = d->inode;
    if (!want_dir && S_ISDIR(victim->mode))
        err = -EISDIR;
    else if (!want_dir && np.trailing_slash)
        err = -ENOTDIR;
    else if (want_dir && !S_ISDIR(victim->mode))
        err = -ENOTDIR;
    else if (d->mounted)
        err = -EBUSY;
    else if (want_dir && victim->i_op->is_empty && !victim->i_op->is_empty(victim))
        err = -ENOTEMPTY;
    else if (!dir->inode->i_op || !dir->inode->i_op->unlink)
        err = -EPERM;
    else if ((err = dir->inode->i_op->unlink(dir->inode, np.last, victim)) == 0)
        dentry_drop(d);
    dentry_put_locked(d);
out:
    dentry_put_locked(dir);
    mutex_unlock(&vfs_lock);
    return err;
}

int vfs_unlink(struct dentry *base, const char *path)
{
    return remove_name(base, path, 0);
}

int vfs_rmdir(struct dentry *base, const char *path)
{
    return remove_name(base, path, 1);
}

/* link(2): a second name for a file (not a directory), on the same file system. */
int vfs_link(struct dentry *obase, const char *oldpath, struct dentry *nbase, const char *newpath)
{
    struct dentry *old;
    int err = resolve_path(obase, oldpath, LOOKUP_NOFOLLOW, &old);
    if (err)
        return err;
    struct nameparts np;
    if ((err = resolve_parent(nbase, newpath, &np)) != 0) {
        dentry_put(old);
        return err;
    }
    mutex_lock(&vfs_lock);
    struct dentry *dir = np.parent, *d;
    if (np.type != LAST_NORM) {
        err = -EEXIST;
    } else if ((err = lookup_locked(dir, np.last, &d)) == 0) {
        dentry_put_locked(d);
        err = -EEXIST;
    } else if (err == -ENOENT) {
        if (S_ISDIR(old->inode->mode))
            err = -EPERM;
        else if (np.trailing_slash)
            err = -ENOENT;
        else if (dir->dead)
            err = -ENOENT;
        else if (old->sb != dir->sb)
            err = -EXDEV;
        else if (!dir->inode->i_op || !dir->inode->i_op->link)
            err = -EPERM;
        else
            err = dir->inode->i_op->link(dir->inode, np.last, old->inode);
    }
    dentry_put_locked(dir);
    dentry_put_locked(old);
    mutex_unlock(&vfs_lock);
    return err;
}

/* The checks of rename(2), in Linux's order, with both parents resolved (vfs_lock held). */
static int rename_locked(struct nameparts *o, struct nameparts *n)
{
    struct dentry *od, *nd = 0;
    if (n->parent->dead)
        return -ENOENT; /* the target directory has been removed */
    int err = dentry_lookup(o->parent, o->last, &od);
    if (err)
        return err;
    int is_dir = S_ISDIR(od->inode->mode);
    if (od->sb != n->parent->sb) {
        err = -EXDEV;
        goto out;
    }
    if (!is_dir && (o->trailing_slash || n->trailing_slash)) {
        err = -ENOTDIR;
        goto out;
    }
    err = dentry_lookup(n->parent, n->last, &nd);
    if (err && err != -ENOENT)
        goto out;
    err = 0;
    if (is_dir && dentry_is_ancestor(od, n->parent)) {
        err = -EINVAL;
        goto out;
    }
    if (nd) {
        if (nd->inode == od->inode)
            goto out; /* two names of one file: nothing to do */
        if (is_dir && !S_ISDIR(nd->inode->mode))
            err = -ENOTDIR;
        else if (!is_dir && S_ISDIR(nd->inode->mode))
            err = -EISDIR;
        else if (nd->mounted || od->mounted)
            err = -EBUSY;
        else if (is_dir && nd->inode->i_op->is_empty && !nd->inode->i_op->is_empty(nd->inode))
            err = -ENOTEMPTY;
        if (err)
            goto out;
    } else if (od->mounted) {
        err = -EBUSY;
        goto out;
    }
    struct inode *odir = o->parent->inode, *ndir = n->parent->inode;
    if (!odir->i_op || !odir->i_op->rename) {
        err = -EPERM;
        goto out;
    }
    /* The file system replaces the target and moves the source in one atomic step. */
    if ((err = odir->i_op->rename(odir, o->last, ndir, n->last, nd ? nd->inode : 0)) == 0) {
        if (nd)
            dentry_drop(nd);
        dentry_move(od, n->parent, n->last);
    }
out:
    if (nd)
        dentry_put_locked(nd);
    dentry_put_locked(od);
    return err;
}

/* rename(2): atomic under vfs_lock, replacing the target. */
int vfs_rename(struct dentry *obase, const char *oldpath, struct dentry *nbase, const char *newpath)
{
    struct nameparts o, n;
    int err = resolve_parent(obase, oldpath, &o);
    if (err)
        return err;
    if ((err = resolve_parent(nbase, newpath, &n)) != 0) {
        dentry_put(o.parent);
        return err;
    }
    mutex_lock(&vfs_lock);
    if (o.type != LAST_NORM || n.type != LAST_NORM)
        err = -EBUSY;
    else
        err = rename_locked(&o, &n);
    dentry_put_locked(o.parent);
    dentry_put_locked(n.parent);
    mutex_unlock(&vfs_lock);
    return err;
}
