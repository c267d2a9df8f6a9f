/*
 * Unpacking the initial root: a "newc" cpio archive (magic 070701, the
 * format of `cpio -H newc`) from a boot module, into the ramfs root.
 * Directories and regular files are created with their modes; missing
 * parent directories are made on the way; hard links (entries sharing an
 * inode number) become links; named pipes are made; symlinks and devices
 * are skipped until lab 9d. A malformed archive is reported in a sentence
 * and returns -EINVAL.
 */
#include "fs/vfs.h"
#include "drivers/console.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define HEADER_SIZE 110
#define MAX_LINKS 64

struct cpio_entry {
    uint32_t ino, mode, nlink, mtime;
    uint32_t filesize, namesize;
    const char *name;
    const uint8_t *data;
};

/* A multiply-linked file seen earlier in the archive. */
struct hardlink {
    uint32_t ino;
    char *path;
};

/* Eight hex digits of a header field, or -1. */
static int64_t hex8(const char *s)
{
    int64_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Parse the entry at off: 0 and the offset of the next entry, or a sentence in *why. */
static int parse(const uint8_t *a, size_t len, size_t off, struct cpio_entry *e, size_t *next, const char **why)
{
    if (len - off < HEADER_SIZE) {
        *why = "the archive ends inside a header";
        return -EINVAL;
    }
    const char *h = (const char *)a + off;
    if (memcmp(h, "070701", 6) != 0) {
        *why = memcmp(h, "070707", 6) == 0 ? "it is an old binary/odc cpio archive, not newc (use cpio -H newc)"
                                           : "an entry does not start with the newc magic 070701";
        return -EINVAL;
    }
    int64_t f[13];
    for (int i = 0; i < 13; i++)
        if ((f[i] = hex8(h + 6 + 8 * i)) < 0) {
            *why = "a header field is not hexadecimal";
            return -EINVAL;
        }
    e->ino = (uint32_t)f[0];
    e->mode = (uint32_t)f[1];
    e->nlink = (uint32_t)f[4];
    e->mtime = (uint32_t)f[5];
    e->filesize = (uint32_t)f[6];
    e->namesize = (uint32_t)f[11];
    size_t name_off = off + HEADER_SIZE;
    if (e->namesize == 0 || e->namesize > len - name_off) {
        *why = "a file name runs past the end of the archive";
        return -EINVAL;
    }
    e->name = (const char *)a + name_off;
    if (e->name[e->namesize - 1] != 0) {
        *why = "a file name is not NUL-terminated";
        return -EINVAL;
    }
    size_t data_off = (name_off + e->namesize + 3) & ~(size_t)3;
    if (data_off > len || e->filesize > len - data_off) {
        *why = "a file's data runs past the end of the archive";
        return -EINVAL;
    }
    e->data = a + data_off;
    *next = (data_off + e->filesize + 3) & ~(size_t)3;
    return 0;
}

/* mkdir -p for the directories above path (path is modified and restored). */
static void make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        vfs_mkdir(0, path, 0755);
        *p = '/';
    }
}

/* Write a whole regular file's contents. */
static int write_file(struct inode *ino, const uint8_t *data, size_t n)
{
    struct file *f = file_alloc(0, ino, O_WRONLY);
    if (!f)
        return -ENOMEM;
    long w = n ? file_pwrite(f, data, n, 0) : 0;
    file_close(f);
    return w == (long)n ? 0 : (w < 0 ? (int)w : -ENOSPC);
}

/* Create one archive entry at path (0, 1 if skipped, or -errno); links[] remembers multiply-linked files. */
static int unpack_one(struct cpio_entry *e, char *path, struct hardlink *links, int *nlinks)
{
    uint32_t type = e->mode & S_IFMT;
    make_parents(path);
    if (type == S_IFDIR) {
        int err = vfs_mkdir(0, path, (int)(e->mode & 07777));
        struct dentry *d;
        if (err == -EEXIST && resolve_path(0, path, LOOKUP_DIRECTORY, &d) == 0) {
            d->inode->mode = S_IFDIR | (e->mode & 07777); /* "." comes with the root's mode */
            dentry_put(d);
            err = 0;
        }
        return err;
    }
    if (type == S_IFIFO) {
        vfs_unlink(0, path);
        return vfs_mknod(0, path, e->mode, 0);
    }
    if (type != S_IFREG)
        return 1; /* symlinks and devices: not yet */
    if (e->nlink > 1)
        for (int i = 0; i < *nlinks; i++)
            if (links[i].ino == e->ino) {
                int err = vfs_link(0, links[i].path, 0, path);
                struct dentry *d;
                if (!err && e->filesize && (err = resolve_path(0, path, 0, &d)) == 0) {
                    err = write_file(d->inode, e->data, e->filesize); /* newc stores data with the last name */
                    dentry_put(d);
                }
                return err;
            }
    vfs_unlink(0, path); /* a later entry replaces an earlier one */
    struct inode *ino;
    int err = vfs_mknod(0, path, S_IFREG | (e->mode & 07777), &ino);
    if (err)
        return err;
    ino->mode = S_IFREG | (e->mode & 07777); /* the archive's mode, not the umask's */
    ino->mtime.sec = e->mtime;
    err = write_file(ino, e->data, e->filesize);
    inode_put(ino);
    if (!err && e->nlink > 1 && *nlinks < MAX_LINKS) {
        size_t n = strlen(path) + 1;
        char *copy = kmalloc(n);
        if (copy) {
            memcpy(copy, path, n);
            links[*nlinks].ino = e->ino;
            links[*nlinks].path = copy;
            (*nlinks)++;
        }
    }
    return err;
}

int initrd_unpack(const void *data, size_t len)
{
    const uint8_t *a = data;
    struct hardlink links[MAX_LINKS];
    int nlinks = 0, files = 0, skipped = 0, err = 0;
    char *path = kmalloc(PATH_MAX);
    if (!path)
        return -ENOMEM;
    size_t off = 0;
    const char *why = 0;
    for (;;) {
        struct cpio_entry e;
        size_t next;
        if ((err = parse(a, len, off, &e, &next, &why)) != 0)
            break;
        if (strcmp(e.name, "TRAILER!!!") == 0)
            break;
        const char *name = e.name;
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        while (*name == '/')
            name++;
        if (!*name)
            name = ".";
        if (strlen(name) + 2 > PATH_MAX) {
            why = "a file name is longer than PATH_MAX";
            err = -EINVAL;
            break;
        }
        path[0] = '/';
        strlcpy(path + 1, name, PATH_MAX - 1);
        int r = unpack_one(&e, path, links, &nlinks);
        if (r < 0)
            kprintf("initrd: cannot create %s: %s; skipping it\n", path, errno_name(r));
        else if (r > 0)
            skipped++;
        else
            files++;
        off = next;
    }
    for (int i = 0; i < nlinks; i++)
        kfree(links[i].path);
    kfree(path);
    if (err) {
        kprintf("initrd: the archive is not a valid newc cpio archive: %s (at byte %lu)\n", why, (unsigned long)off);
        return -EINVAL;
    }
    if (skipped)
        kprintf("initrd: unpacked %d entries into /, skipped %d symlinks and special files\n", files, skipped);
    else
        kprintf("initrd: unpacked %d entries into /\n", files);
    return 0;
}

/* ---- tests ---- */
#include "lib/printf.h"
#include "test/ktest.h"

/* Append one newc entry to the archive being built in buf. */
static size_t kt_entry(char *buf, size_t off, uint32_t ino, uint32_t mode, uint32_t nlink, const char *name,
                       const char *data)
{
    size_t namesize = strlen(name) + 1, size = data ? strlen(data) : 0;
    off += (size_t)ksnprintf(buf + off, 111, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", ino, mode,
                             0, 0, nlink, 1234, (unsigned)size, 0, 0, 0, 0, (unsigned)namesize, 0);
    memcpy(buf + off, name, namesize);
    off += namesize;
    while (off % 4)
        buf[off++] = 0;
    if (size)
        memcpy(buf + off, data, size);
    off += size;
    while (off % 4)
        buf[off++] = 0;
    return off;
}

KTEST(cpio_unpack)
{
    vfs_init();
    char *a = kzalloc(4096);
    size_t n = 0;
    n = kt_entry(a, n, 1, S_IFDIR | 0750, 2, "tmp/kt_cpio", 0);
    n = kt_entry(a, n, 2, S_IFREG | 0755, 1, "./tmp/kt_cpio/hello", "hi\n");
    n = kt_entry(a, n, 3, S_IFREG | 0600, 1, "tmp/kt_cpio/deep/er/file", "deep");
    n = kt_entry(a, n, 4, S_IFREG | 0644, 2, "tmp/kt_cpio/l1", 0);
    n = kt_entry(a, n, 4, S_IFREG | 0644, 2, "tmp/kt_cpio/l2", "linked");
    n = kt_entry(a, n, 5, S_IFLNK | 0777, 1, "tmp/kt_cpio/sym", "hello");
    n = kt_entry(a, n, 0, 0, 1, "TRAILER!!!", 0);
    KT_CHECK(initrd_unpack(a, n) == 0, "a valid archive was refused");
    struct file *f;
    char buf[16] = { 0 };
    KT_CHECK(vfs_open("/tmp/kt_cpio/hello", O_RDONLY, 0, &f) == 0, "hello is missing");
    KT_CHECK(f->inode->mode == (S_IFREG | 0755), "hello has mode %o", f->inode->mode);
    KT_CHECK(file_exec_check(f) == 0, "hello is not executable");
    KT_CHECK(file_pread_kernel(f, buf, sizeof buf, 0) == 3 && strcmp(buf, "hi\n") == 0, "hello reads '%s'", buf);
    file_close(f);
    KT_CHECK(vfs_open("/tmp/kt_cpio/deep/er/file", O_RDONLY, 0, &f) == 0, "a file below missing dirs is missing");
    KT_CHECK(file_exec_check(f) == -EACCES, "a 0600 file is executable");
    file_close(f);
    KT_CHECK(vfs_open("/tmp/kt_cpio/l1", O_RDONLY, 0, &f) == 0, "l1 is missing");
    KT_CHECK(f->inode->nlink == 2 && file_pread_kernel(f, buf, sizeof buf, 0) == 6, "l1 is not linked to l2");
    file_close(f);
    struct dentry *d;
    KT_CHECK(resolve_path(0, "/tmp/kt_cpio", 0, &d) == 0 && d->inode->mode == (S_IFDIR | 0750), "dir mode");
    dentry_put(d);

    /* Broken archives: a wrong magic, a truncated entry, a missing trailer. */
    int saved = a[0];
    a[0] = 'X';
    KT_CHECK(initrd_unpack(a, n) == -EINVAL, "a bad magic was accepted");
    a[0] = (char)saved;
    KT_CHECK(initrd_unpack(a, 150) == -EINVAL, "a truncated archive was accepted");
    KT_CHECK(initrd_unpack(a, 0) == -EINVAL, "an empty archive was accepted");

    const char *names[] = { "hello", "deep/er/file", "deep/er", "deep", "l1", "l2" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[64];
        ksnprintf(path, sizeof path, "/tmp/kt_cpio/%s", names[i]);
        if (vfs_unlink(0, path) != 0)
            KT_CHECK(vfs_rmdir(0, path) == 0, "cleanup of %s", path);
    }
    KT_CHECK(vfs_rmdir(0, "/tmp/kt_cpio") == 0, "cleanup of /tmp/kt_cpio");
    kfree(a);
    return KT_OK;
}
