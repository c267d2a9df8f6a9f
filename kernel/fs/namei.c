/*
 * Path resolution: from the root or a starting directory, one component at
 * a time, with ".", "..", repeated and trailing slashes, and mount points
 * crossed both ways ('..' at a mounted root goes to the parent mount).
 * The walk holds vfs_lock (a sleep lock: MFS lookups read the disk) and returns
 * dentries with a reference. Symlinks do not exist yet (lab 9d).
 */
#include "fs/vfs.h"
#include "fs/fs_struct.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "mm/kmalloc.h"

/* A referenced dentry from the calling process's fs_struct (its root or its
 * cwd), or / before there are processes. */
static struct dentry *current_fs_dentry(int want_root)
{
    struct process *p = current_proc();
    struct dentry *d;
    mutex_lock(&vfs_lock); /* before fs->lock: a spinlock holder must not wait for the sleep lock */
    if (p && p->fs) {
        spin_lock(&p->fs->lock);
        d = want_root ? p->fs->root : p->fs->cwd;
        dentry_get_locked(d);
        spin_unlock(&p->fs->lock);
    } else {
        d = vfs_root();
        dentry_get_locked(d);
    }
    mutex_unlock(&vfs_lock);
    return d;
}

/* The cwd of the calling process, or / before there are processes. */
struct dentry *current_cwd(void)
{
    return current_fs_dentry(0);
}

struct dentry *current_root(void)
{
    return current_fs_dentry(1);
}

int current_umask(void)
{
    struct process *p = current_proc();
    return p && p->fs ? p->fs->umask : 022;
}

/* One step of "..": stay at the process root, climb out of mounted roots. */
static struct dentry *dotdot(struct dentry *cur, struct dentry *root)
{
    if (cur == root)
        return cur;
    cur = mount_follow_up(cur);
    if (cur == root)
        return cur;
    return cur->parent;
}

/*
 * Walk path from cur. With np, stop before the last component and describe
 * it there; otherwise return the final dentry in *out. Both with a reference.
 */
static int walk_locked(struct dentry *root, struct dentry *cur, const char *path, int flags, struct nameparts *np,
                       struct dentry **out)
{
    if (strnlen(path, PATH_MAX) >= PATH_MAX)
        return -ENAMETOOLONG;
    if (*path == 0)
        return -ENOENT;
    if (*path == '/')
        cur = root;
    cur->refcount++;
    const char *p = path;
    int trailing = 0, err;
    char name[NAME_MAX + 1];
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - p);
        if (len > NAME_MAX) {
            err = -ENAMETOOLONG;
            goto fail;
        }
        memcpy(name, p, len);
        name[len] = 0;
        const char *rest = e;
        while (*rest == '/')
            rest++;
        trailing = *e == '/';
        if (!S_ISDIR(cur->inode->mode)) {
            err = -ENOTDIR;
            goto fail;
        }
        if (!*rest && np) {
            np->parent = cur;
            memcpy(np->last, name, len + 1);
            np->type = strcmp(name, ".") == 0 ? LAST_DOT : strcmp(name, "..") == 0 ? LAST_DOTDOT : LAST_NORM;
            np->trailing_slash = trailing;
            return 0;
        }
        struct dentry *next;
        if (strcmp(name, ".") == 0) {
            next = cur;
        } else if (strcmp(name, "..") == 0) {
            next = dotdot(cur, root);
        } else {
            err = dentry_lookup(cur, name, &next);
            if (err)
                goto fail;
            dentry_put_locked(next); /* still held by the tree */
            next = mount_follow_down(next);
        }
        next->refcount++;
        dentry_put_locked(cur);
        cur = next;
        p = e;
    }
    if (np) { /* "/" alone: the root names itself */
        np->parent = cur;
        strlcpy(np->last, ".", sizeof np->last);
        np->type = LAST_DOT;
        np->trailing_slash = 1;
        return 0;
    }
    if ((trailing || (flags & LOOKUP_DIRECTORY)) && !S_ISDIR(cur->inode->mode)) {
        err = -ENOTDIR;
        goto fail;
    }
    *out = cur;
    return 0;
fail:
    dentry_put_locked(cur);
    return err;
}

/* Resolve path (relative to base, or to the cwd when base is NULL). */
int resolve_path(struct dentry *base, const char *path, int flags, struct dentry **out)
{
    struct dentry *root = current_root();
    struct dentry *start = base ? base : current_cwd();
    mutex_lock(&vfs_lock);
    int err = walk_locked(root, start, path, flags, 0, out);
    if (!base)
        dentry_put_locked(start);
    dentry_put_locked(root);
    mutex_unlock(&vfs_lock);
    return err;
}

/* Resolve the directory that holds the last component of path. */
int resolve_parent(struct dentry *base, const char *path, struct nameparts *np)
{
    struct dentry *root = current_root();
    struct dentry *start = base ? base : current_cwd();
    mutex_lock(&vfs_lock);
    int err = walk_locked(root, start, path, 0, np, 0);
    if (!base)
        dentry_put_locked(start);
    dentry_put_locked(root);
    mutex_unlock(&vfs_lock);
    return err;
}

/* ---- tests ---- */
#include "test/ktest.h"

KTEST(vfs_path)
{
    vfs_init();
    struct dentry *a, *b, *root = vfs_root();
    KT_CHECK(vfs_mkdir(0, "/tmp/kt_path", 0755) == 0, "mkdir /tmp/kt_path failed");
    KT_CHECK(vfs_mkdir(0, "/tmp/kt_path/a", 0755) == 0, "mkdir a failed");
    KT_CHECK(vfs_mkdir(0, "/tmp/kt_path/a/b/", 0755) == 0, "mkdir with a trailing slash failed");
    KT_CHECK(vfs_mkdir(0, "/tmp/kt_path/a/b", 0755) == -EEXIST, "mkdir of an existing directory is not EEXIST");
    KT_CHECK(resolve_path(0, "/tmp/kt_path/a/b", 0, &a) == 0, "cannot resolve /tmp/kt_path/a/b");
    KT_CHECK(resolve_path(0, "//tmp/./kt_path//a/../a/b/.", 0, &b) == 0, "cannot resolve with . and ..");
    KT_CHECK(a == b, "two spellings of one path gave different dentries");
    dentry_put(b);
    char buf[64];
    int n = dentry_path(a, buf, sizeof buf);
    KT_CHECK(n > 0 && strcmp(buf, "/tmp/kt_path/a/b") == 0, "dentry_path gave %d '%s'", n, n > 0 ? buf : "");
    KT_CHECK(dentry_path(a, buf, 8) == -ERANGE, "a short buffer is not ERANGE");
    dentry_put(a);
    KT_CHECK(resolve_path(0, "/tmp/..", 0, &a) == 0 && a == root, "'..' at the /tmp mount root is not /");
    dentry_put(a);
    KT_CHECK(resolve_path(0, "/../..", 0, &a) == 0 && a == root, "'..' at / is not /");
    dentry_put(a);
    KT_CHECK(resolve_path(0, "/dev/null", 0, &a) == 0 && S_ISCHR(a->inode->mode), "/dev/null is missing");
    dentry_put(a);
    struct file *f;
    KT_CHECK(vfs_open("/tmp/kt_path/f", O_CREAT | O_WRONLY, 0644, &f) == 0, "cannot create a file");
    file_close(f);
    KT_CHECK(resolve_path(0, "/tmp/kt_path/nope", 0, &a) == -ENOENT, "a missing name is not ENOENT");
    KT_CHECK(resolve_path(0, "/tmp/kt_path/f/", 0, &a) == -ENOTDIR, "file/ is not ENOTDIR");
    KT_CHECK(resolve_path(0, "/tmp/kt_path/f/x", 0, &a) == -ENOTDIR, "file/x is not ENOTDIR");
    KT_CHECK(resolve_path(0, "", 0, &a) == -ENOENT, "the empty path is not ENOENT");
    KT_CHECK(vfs_open("/tmp/kt_path/g/", O_CREAT | O_WRONLY, 0644, &f) == -EISDIR, "creat name/ is not EISDIR");
    KT_CHECK(vfs_open("/tmp/kt_path/a", O_WRONLY, 0, &f) == -EISDIR, "writing a directory is not EISDIR");
    KT_CHECK(vfs_open("/tmp/kt_path/f", O_RDONLY | O_DIRECTORY, 0, &f) == -ENOTDIR, "O_DIRECTORY on a file");
    KT_CHECK(vfs_open("/tmp/kt_path/f", O_CREAT | O_EXCL | O_RDWR, 0644, &f) == -EEXIST, "O_EXCL is not EEXIST");
    char *longp = kmalloc(PATH_MAX + 8);
    memset(longp, 'x', 300);
    longp[0] = '/';
    longp[300] = 0;
    int e1 = resolve_path(0, longp, 0, &a);
    memset(longp, 'a', PATH_MAX + 4);
    for (int i = 0; i < PATH_MAX + 4; i += 2)
        longp[i] = '/';
    longp[PATH_MAX + 4] = 0;
    int e2 = resolve_path(0, longp, 0, &a);
    kfree(longp);
    KT_CHECK(e1 == -ENAMETOOLONG, "a 299-byte name gave %d, not ENAMETOOLONG", e1);
    KT_CHECK(e2 == -ENAMETOOLONG, "a path of more than 4096 bytes gave %d, not ENAMETOOLONG", e2);
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_path/a") == -ENOTEMPTY, "rmdir of a non-empty directory");
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_path/a/b/.") == -EINVAL, "rmdir of . is not EINVAL");
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_path/f") == -ENOTDIR, "rmdir of a file is not ENOTDIR");
    KT_CHECK(vfs_unlink(0, "/tmp/kt_path/a") == -EISDIR, "unlink of a directory is not EISDIR");
    KT_CHECK(vfs_unlink(0, "/tmp/kt_path/f/") == -ENOTDIR, "unlink of file/ is not ENOTDIR");
    KT_CHECK(vfs_rmdir(0, "/tmp") == -EBUSY, "rmdir of a mount point is not EBUSY");
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_path/a/b/") == 0, "rmdir b/ failed");
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_path/a") == 0, "rmdir a failed");
    KT_CHECK(vfs_unlink(0, "/tmp/kt_path/f") == 0, "unlink f failed");
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_path") == 0, "rmdir /tmp/kt_path failed");
    KT_CHECK(resolve_path(0, "/tmp/kt_path", 0, &a) == -ENOENT, "a removed directory is still found");
    return KT_OK;
}
