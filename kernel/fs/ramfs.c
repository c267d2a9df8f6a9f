/*
 * ramfs: the super block, inodes and directories. A directory is a list of
 * (name, inode) in creation order; regular files live in ramfs_file.c.
 * Locks: directory lists and nlink are under vfs_lock (the VFS holds it
 * around every inode_operations call, so refcounts are touched directly
 * here); file pages and size are under inode->lock.
 */
#include "fs/ramfs.h"
#include "fs/ramfs_internal.h"
#include "fs/pipe.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"

static const struct inode_operations ramfs_dir_iops;
static const struct file_operations ramfs_dir_fops;
static const struct super_operations ramfs_sops;

static uint32_t next_dev = 1;

static struct ramfs_dirent *find(struct inode *dir, const char *name)
{
    struct ramfs_dir *d = dir->priv;
    for (struct ramfs_dirent *e = d->head; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return 0;
}

/* Append name -> inode to dir (the inode's nlink is the caller's business). */
static int add_entry(struct inode *dir, const char *name, struct inode *inode)
{
    struct ramfs_dir *d = dir->priv;
    struct ramfs_dirent *e = kzalloc(sizeof *e);
    size_t len = strlen(name);
    char *copy = kmalloc(len + 1);
    if (!e || !copy) {
        kfree(e);
        kfree(copy);
        return -ENOSPC;
    }
    memcpy(copy, name, len + 1);
    e->name = copy;
    e->inode = inode;
    e->cookie = d->next_cookie++;
    struct ramfs_dirent **pp = &d->head;
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    inode_touch(dir, 0, 1, 1);
    return 0;
}

static struct ramfs_dirent *remove_entry(struct inode *dir, const char *name)
{
    struct ramfs_dir *d = dir->priv;
    for (struct ramfs_dirent **pp = &d->head; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->name, name) == 0) {
            struct ramfs_dirent *e = *pp;
            *pp = e->next;
            inode_touch(dir, 0, 1, 1);
            return e;
        }
    return 0;
}

/* A new inode of this file system with its type's operations: a directory, a named pipe, or a regular file. */
static struct inode *ramfs_inode(struct super_block *sb, uint32_t mode)
{
    struct inode *ino = inode_alloc(sb, mode);
    if (!ino)
        return 0;
    if (S_ISDIR(mode)) {
        struct ramfs_dir *d = kzalloc(sizeof *d);
        if (!d) {
            kfree(ino);
            return 0;
        }
        d->next_cookie = 2; /* 0 and 1 are . and .. */
        ino->priv = d;
        ino->i_op = &ramfs_dir_iops;
        ino->f_op = &ramfs_dir_fops;
    } else if (S_ISFIFO(mode)) {
        ino->f_op = &fifo_fops; /* the ring comes with the first open (fs/pipe.c) */
    } else {
        struct ramfs_file *f = kzalloc(sizeof *f);
        if (!f) {
            kfree(ino);
            return 0;
        }
        ino->priv = f;
        ino->i_op = &ramfs_file_iops;
        ino->f_op = &ramfs_file_fops;
    }
    return ino;
}

struct super_block *ramfs_new(void)
{
    struct super_block *sb = kzalloc(sizeof *sb);
    if (!sb)
        return 0;
    sb->dev = __atomic_fetch_add(&next_dev, 1, __ATOMIC_SEQ_CST);
    sb->type = "ramfs";
    sb->s_op = &ramfs_sops;
    struct inode *root = ramfs_inode(sb, S_IFDIR | 0755);
    if (!root) {
        kfree(sb);
        return 0;
    }
    root->nlink = 2;
    sb->root = dentry_alloc(0, "/", root);
    if (!sb->root) {
        inode_put(root);
        kfree(sb);
        return 0;
    }
    sb->root->refcount = 1; /* the super block's own reference */
    return sb;
}

/* ---- directory operations (vfs_lock held) ---- */

static int ramfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
    struct ramfs_dirent *e = find(dir, name);
    if (!e)
        return -ENOENT;
    e->inode->refcount++;
    *out = e->inode;
    return 0;
}

static int ramfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
    if (find(dir, name))
        return -EEXIST;
    struct inode *ino = ramfs_inode(dir->sb, mode);
    if (!ino)
        return -ENOSPC;
    int err = add_entry(dir, name, ino);
    if (err) {
        ino->refcount = 0;
        dir->sb->s_op->evict_inode(ino);
        kfree(ino);
        return err;
    }
    if (S_ISDIR(mode)) {
        ino->nlink = 2;
        dir->nlink++;
    } else {
        ino->nlink = 1;
    }
    *out = ino;
    return 0;
}

static int ramfs_link(struct inode *dir, const char *name, struct inode *target)
{
    if (find(dir, name))
        return -EEXIST;
    int err = add_entry(dir, name, target);
    if (err)
        return err;
    target->nlink++;
    inode_touch(target, 0, 0, 1);
    return 0;
}

static int ramfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    struct ramfs_dirent *e = remove_entry(dir, name);
    if (!e)
        return -ENOENT;
    kfree(e->name);
    kfree(e);
    if (S_ISDIR(victim->mode)) {
        victim->nlink = 0;
        dir->nlink--;
    } else {
        victim->nlink--;
    }
    inode_touch(victim, 0, 0, 1);
    return 0;
}

static int ramfs_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir, const char *new_name,
                        struct inode *victim)
{
    /* ramfs is never on disk, so replacing in two steps is atomic enough: vfs_lock is held. */
    if (victim) {
        int err = ramfs_unlink(new_dir, new_name, victim);
        if (err)
            return err;
    }
    struct ramfs_dirent *e = remove_entry(old_dir, old_name);
    if (!e)
        return -ENOENT;
    size_t len = strlen(new_name);
    char *copy = kmalloc(len + 1);
    if (!copy) {
        struct ramfs_dir *d = old_dir->priv;
        e->next = d->head; /* put it back */
        d->head = e;
        return -ENOSPC;
    }
    memcpy(copy, new_name, len + 1);
    kfree(e->name);
    e->name = copy;
    struct ramfs_dir *nd = new_dir->priv;
    e->cookie = nd->next_cookie++;
    e->next = 0;
    struct ramfs_dirent **pp = &nd->head;
    while (*pp)
        pp = &(*pp)->next;
    *pp = e;
    if (S_ISDIR(e->inode->mode) && old_dir != new_dir) {
        old_dir->nlink--;
        new_dir->nlink++;
    }
    inode_touch(new_dir, 0, 1, 1);
    inode_touch(e->inode, 0, 0, 1);
    return 0;
}

static int ramfs_is_empty(struct inode *dir)
{
    return ((struct ramfs_dir *)dir->priv)->head == 0;
}

static int ramfs_readdir(struct inode *dir, uint64_t *pos, char *name, uint64_t *ino, int *type)
{
    struct ramfs_dir *d = dir->priv;
    for (struct ramfs_dirent *e = d->head; e; e = e->next)
        if (e->cookie >= *pos) {
            strlcpy(name, e->name, NAME_MAX + 1);
            *ino = e->inode->ino;
            *type = mode_to_dtype(e->inode->mode);
            *pos = e->cookie + 1;
            return 0;
        }
    return 1;
}

/* The last reference to an unlinked inode is gone: give back its memory. */
static void ramfs_evict(struct inode *inode)
{
    if (S_ISDIR(inode->mode)) {
        struct ramfs_dir *d = inode->priv;
        while (d && d->head) {
            struct ramfs_dirent *e = d->head;
            d->head = e->next;
            kfree(e->name);
            kfree(e);
        }
        kfree(d);
    } else if (inode->priv) {
        ramfs_file_evict(inode);
    }
    inode->priv = 0;
}

static const struct inode_operations ramfs_dir_iops = {
    .lookup = ramfs_lookup,
    .create = ramfs_create,
    .link = ramfs_link,
    .unlink = ramfs_unlink,
    .rename = ramfs_rename,
    .is_empty = ramfs_is_empty,
    .readdir = ramfs_readdir,
};
static const struct file_operations ramfs_dir_fops = {0}; /* poll(2)'s default (ready) is right for directories */
static const struct super_operations ramfs_sops = {
    .evict_inode = ramfs_evict,
};

/* ---- tests ---- */
#include "test/ktest.h"

static long kt_write(const char *path, int flags, const char *s)
{
    struct file *f;
    int err = vfs_open(path, flags, 0644, &f);
    if (err)
        return err;
    long n = file_write(f, s, strlen(s));
    file_close(f);
    return n;
}

static long kt_read(const char *path, char *buf, size_t n)
{
    struct file *f;
    int err = vfs_open(path, O_RDONLY, 0, &f);
    if (err)
        return err;
    long r = file_read(f, buf, n - 1);
    file_close(f);
    buf[r > 0 ? r : 0] = 0;
    return r;
}

KTEST(ramfs_files)
{
    vfs_init();
    char buf[64];
    KT_CHECK(vfs_mkdir(0, "/kt_ramfs", 0755) == 0, "mkdir /kt_ramfs failed");
    KT_CHECK(kt_write("/kt_ramfs/a", O_CREAT | O_WRONLY, "hello") == 5, "write failed");
    KT_CHECK(kt_read("/kt_ramfs/a", buf, sizeof buf) == 5 && strcmp(buf, "hello") == 0, "read back '%s'", buf);
    KT_CHECK(kt_write("/kt_ramfs/a", O_WRONLY | O_APPEND, " world") == 6, "append failed");
    KT_CHECK(kt_read("/kt_ramfs/a", buf, sizeof buf) == 11 && strcmp(buf, "hello world") == 0, "after append '%s'", buf);
    KT_CHECK(kt_write("/kt_ramfs/a", O_WRONLY | O_TRUNC, "X") == 1, "O_TRUNC write failed");
    KT_CHECK(kt_read("/kt_ramfs/a", buf, sizeof buf) == 1 && strcmp(buf, "X") == 0, "after O_TRUNC '%s'", buf);

    /* A sparse file reads zeros in the hole and spans pages. */
    struct file *f;
    KT_CHECK(vfs_open("/kt_ramfs/sparse", O_CREAT | O_RDWR, 0600, &f) == 0, "cannot create sparse");
    KT_CHECK(file_pwrite(f, "end", 3, 3 * 4096 + 10) == 3, "pwrite past a hole failed");
    KT_CHECK(f->inode->size == 3 * 4096 + 13, "size %lu after the pwrite", (unsigned long)f->inode->size);
    char z[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
    KT_CHECK(file_pread(f, z, 8, 4096) == 8 && z[0] == 0 && z[7] == 0, "a hole does not read as zeros");
    KT_CHECK(file_pread(f, buf, 10, 3 * 4096 + 10) == 3 && memcmp(buf, "end", 3) == 0, "short read at the end");
    KT_CHECK(file_pread(f, buf, 10, 1 << 20) == 0, "a read past the end is not 0");
    file_close(f);

    /* Hard links share the inode; an unlinked open file stays readable. */
    KT_CHECK(vfs_link(0, "/kt_ramfs/a", 0, "/kt_ramfs/b") == 0, "link failed");
    KT_CHECK(vfs_link(0, "/kt_ramfs/a", 0, "/kt_ramfs/b") == -EEXIST, "link over a name is not EEXIST");
    KT_CHECK(vfs_link(0, "/kt_ramfs", 0, "/kt_ramfs/d") == -EPERM, "link of a directory is not EPERM");
    KT_CHECK(vfs_link(0, "/kt_ramfs/a", 0, "/tmp/kt_b") == -EXDEV, "link across mounts is not EXDEV");
    KT_CHECK(vfs_open("/kt_ramfs/b", O_RDONLY, 0, &f) == 0, "cannot open the link");
    KT_CHECK(f->inode->nlink == 2, "nlink %u after link", f->inode->nlink);
    KT_CHECK(vfs_unlink(0, "/kt_ramfs/a") == 0 && vfs_unlink(0, "/kt_ramfs/b") == 0, "unlink failed");
    KT_CHECK(f->inode->nlink == 0, "nlink %u after both unlinks", f->inode->nlink);
    KT_CHECK(file_pread(f, buf, 10, 0) == 1 && buf[0] == 'X', "an unlinked open file is not readable");
    file_close(f);
    KT_CHECK(vfs_open("/kt_ramfs/b", O_RDONLY, 0, &f) == -ENOENT, "an unlinked name still opens");

    /* rename: replaces, refuses cycles, EXDEV, type mismatches, non-empty targets. */
    kt_write("/kt_ramfs/x", O_CREAT | O_WRONLY, "xx");
    kt_write("/kt_ramfs/y", O_CREAT | O_WRONLY, "yyy");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/x", 0, "/kt_ramfs/y") == 0, "rename over a file failed");
    KT_CHECK(kt_read("/kt_ramfs/y", buf, sizeof buf) == 2, "the renamed file has the wrong contents");
    KT_CHECK(kt_read("/kt_ramfs/x", buf, sizeof buf) == -ENOENT, "the old name survived the rename");
    KT_CHECK(vfs_mkdir(0, "/kt_ramfs/d1", 0755) == 0 && vfs_mkdir(0, "/kt_ramfs/d1/sub", 0755) == 0, "mkdir d1");
    KT_CHECK(vfs_mkdir(0, "/kt_ramfs/d2", 0755) == 0, "mkdir d2");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/d1", 0, "/kt_ramfs/d1/sub/in") == -EINVAL, "a directory moved into itself");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/d1", 0, "/kt_ramfs/y") == -ENOTDIR, "dir over file is not ENOTDIR");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/y", 0, "/kt_ramfs/d1") == -EISDIR, "file over dir is not EISDIR");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/d2", 0, "/kt_ramfs/d1") == -ENOTEMPTY, "dir over non-empty dir");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/y", 0, "/tmp/y") == -EXDEV, "rename across mounts is not EXDEV");
    KT_CHECK(vfs_rename(0, "/kt_ramfs/d1", 0, "/kt_ramfs/d2") == 0, "dir over empty dir failed");
    struct dentry *d;
    KT_CHECK(resolve_path(0, "/kt_ramfs/d2/sub/..", 0, &d) == 0, "cannot walk the moved directory");
    KT_CHECK(strcmp(d->name, "d2") == 0, "'..' of the moved directory is '%s'", d->name);
    KT_CHECK(d->inode->nlink == 3, "the moved directory has nlink %u", d->inode->nlink);
    dentry_put(d);
    KT_CHECK(vfs_rename(0, "/kt_ramfs/y", 0, "/kt_ramfs/d2/sub/y2") == 0, "rename into a subdirectory");
    KT_CHECK(kt_read("/kt_ramfs/d2/sub/y2", buf, sizeof buf) == 2, "the moved file has the wrong contents");

    KT_CHECK(vfs_unlink(0, "/kt_ramfs/d2/sub/y2") == 0, "cleanup unlink y2");
    KT_CHECK(vfs_rmdir(0, "/kt_ramfs/d2/sub") == 0, "cleanup rmdir sub");
    KT_CHECK(vfs_rmdir(0, "/kt_ramfs/d2") == 0, "cleanup rmdir d2");
    KT_CHECK(vfs_unlink(0, "/kt_ramfs/sparse") == 0, "cleanup unlink sparse");

    /* The pages of an unlinked file come back when its last reference goes. */
    static char page[4096];
    for (int round = 0; round < 2; round++) { /* the first round warms up kmalloc's caches */
        uint64_t frames = pmm_free_count();
        KT_CHECK(vfs_open("/kt_ramfs/big", O_CREAT | O_RDWR, 0600, &f) == 0, "cannot create big");
        for (int i = 0; i < 10; i++)
            KT_CHECK(file_write(f, page, sizeof page) == sizeof page, "write %d of big failed", i);
        KT_CHECK(vfs_unlink(0, "/kt_ramfs/big") == 0, "unlink big failed");
        KT_CHECK(pmm_free_count() + 10 <= frames, "the pages went before the last close");
        file_close(f);
        KT_CHECK(round == 0 || pmm_free_count() == frames, "%ld frames leaked", (long)(frames - pmm_free_count()));
    }
    KT_CHECK(vfs_rmdir(0, "/kt_ramfs") == 0, "cleanup rmdir /kt_ramfs");
    return KT_OK;
}
