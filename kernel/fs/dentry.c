/*
 * Dentries: the names of the tree, each with a parent pointer, cached per
 * directory (a child list) in front of the file system's lookup.
 * Lock: vfs_lock protects every field of every dentry.
 * Reference counts: one for being in the tree, one per child dentry, one
 * per user (open file, cwd, a path being resolved). A dentry leaves the
 * tree when its name is unlinked (dentry_drop) and is freed with its last
 * reference, so an open file whose name was removed still works.
 */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

struct mutex vfs_lock = MUTEX_INIT("vfs");

/* A new dentry for inode (its reference is taken over) under parent (NULL: a root).
 * Returned with one user reference besides the tree's. */
struct dentry *dentry_alloc(struct dentry *parent, const char *name, struct inode *inode)
{
    struct dentry *d = kzalloc(sizeof *d);
    if (!d)
        return 0;
    strlcpy(d->name, name, sizeof d->name);
    d->inode = inode;
    d->refcount = 2;
    if (parent) {
        d->parent = parent;
        d->sb = parent->sb;
        parent->refcount++;
        d->sibling = parent->children;
        parent->children = d;
    } else {
        d->parent = d;
        d->sb = inode ? inode->sb : 0;
    }
    return d;
}

struct dentry *dentry_lookup_cached(struct dentry *dir, const char *name)
{
    for (struct dentry *c = dir->children; c; c = c->sibling)
        if (strcmp(c->name, name) == 0)
            return c;
    return 0;
}

/* The child called name of dir, from the cache or the file system, with a reference. */
int dentry_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
    struct dentry *c = dentry_lookup_cached(dir, name);
    if (c) {
        c->refcount++;
        *out = c;
        return 0;
    }
    struct inode *di = dir->inode;
    if (!S_ISDIR(di->mode))
        return -ENOTDIR;
    if (dir->dead || !di->i_op || !di->i_op->lookup)
        return -ENOENT;
    struct inode *ino;
    int err = di->i_op->lookup(di, name, &ino);
    if (err)
        return err;
    c = dentry_alloc(dir, name, ino);
    if (!c) {
        inode_put(ino);
        return -ENOMEM;
    }
    *out = c;
    return 0;
}

void dentry_get_locked(struct dentry *d)
{
    d->refcount++;
}

/* Drop a reference; a dead dentry goes with its last one, then maybe its parent. */
void dentry_put_locked(struct dentry *d)
{
    while (d && --d->refcount == 0) {
        struct dentry *parent = d->parent == d ? 0 : d->parent;
        inode_put(d->inode);
        kfree(d);
        d = parent;
    }
}

void dentry_get(struct dentry *d)
{
    mutex_lock(&vfs_lock);
    d->refcount++;
    mutex_unlock(&vfs_lock);
}

void dentry_put(struct dentry *d)
{
    if (!d)
        return;
    mutex_lock(&vfs_lock);
    dentry_put_locked(d);
    mutex_unlock(&vfs_lock);
}

/* The name is gone from its directory: take the dentry out of the tree. */
void dentry_drop(struct dentry *d)
{
    if (d->dead)
        return;
    struct dentry **pp = &d->parent->children;
    while (*pp && *pp != d)
        pp = &(*pp)->sibling;
    if (*pp)
        *pp = d->sibling;
    d->sibling = 0;
    d->dead = 1;
    dentry_put_locked(d);
}

/* Is anc d itself or one of its ancestors (in the same file system)? */
int dentry_is_ancestor(struct dentry *anc, struct dentry *d)
{
    for (;;) {
        if (d == anc)
            return 1;
        if (d->parent == d)
            return 0;
        d = d->parent;
    }
}

/* Build "/a/b/c" right to left, crossing mount points upwards. */
int dentry_path(struct dentry *d, char *buf, size_t n)
{
    if (n < 2)
        return -ERANGE;
    mutex_lock(&vfs_lock);
    int err = d->dead ? -ENOENT : 0;
    size_t pos = n - 1;
    buf[pos] = 0;
    struct dentry *root = vfs_root();
    while (!err && d != root) {
        if (d->parent == d) { /* the root of a mounted file system */
            struct dentry *up = mount_follow_up(d);
            if (up == d)
                break;
            d = up;
            continue;
        }
        size_t len = strlen(d->name);
        if (len + 1 > pos) {
            err = -ERANGE;
            break;
        }
        pos -= len;
        memcpy(buf + pos, d->name, len);
        buf[--pos] = '/';
        d = d->parent;
    }
    mutex_unlock(&vfs_lock);
    if (err)
        return err;
    if (pos == n - 1)
        buf[--pos] = '/';
    memmove(buf, buf + pos, n - pos);
    return (int)(n - 1 - pos);
}

/* rename: d now lives in dir under name (vfs_lock held, d in the tree). */
void dentry_move(struct dentry *d, struct dentry *dir, const char *name)
{
    struct dentry **pp = &d->parent->children;
    while (*pp && *pp != d)
        pp = &(*pp)->sibling;
    if (*pp)
        *pp = d->sibling;
    struct dentry *old_parent = d->parent;
    strlcpy(d->name, name, sizeof d->name);
    d->parent = dir;
    dir->refcount++;
    d->sibling = dir->children;
    dir->children = d;
    dentry_put_locked(old_parent);
}
