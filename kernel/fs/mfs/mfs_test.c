/*
 * ktests of the MFS metadata layer on a RAM disk: a tiny mkfs (no host
 * tool needed), then mount, create, look up, link, rename (with and
 * without a victim, across directories), unlink, readdir, block mapping,
 * ENOSPC and ENAMETOOLONG, remount (the changes persist), and refusals of
 * corrupt superblocks and directory blocks. mfs_manyfiles (manual) times
 * 10,000 creations in one directory.
 */
#include "fs/mfs/mfs.h"
#include "arch/x86_64/time.h"
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "drivers/ramdisk.h"
#include "fs/bcache.h"
#include "fs/journal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "test/ktest.h"

#define JOURNAL_BLOCKS 80

static void set_bit(uint8_t *map, uint32_t bit)
{
    map[bit / 8] |= (uint8_t)(1u << (bit & 7));
}

/* Write one block of buf at block n. */
static int put_block(struct blkdev *d, uint32_t n, void *buf)
{
    return blk_rw(d, BLK_WRITE, (uint64_t)n * MFS_SECTORS_PER_BLOCK, buf, MFS_BLOCK_SIZE);
}

/* A fresh MFS of total blocks and inodes on d: an empty root and a clean journal. */
int mfs_test_mkfs(struct blkdev *d, uint32_t total, uint32_t inodes)
{
    uint8_t *blk = kzalloc(MFS_BLOCK_SIZE);
    if (!blk)
        return -ENOMEM;
    struct mfs_super sb = {0};
    sb.magic = MFS_MAGIC;
    sb.version = MFS_VERSION;
    sb.block_size = MFS_BLOCK_SIZE;
    sb.inode_size = sizeof(struct mfs_inode);
    sb.total_blocks = total;
    sb.inode_count = inodes;
    sb.journal_start = 1, sb.journal_blocks = JOURNAL_BLOCKS;
    sb.ibitmap_start = sb.journal_start + sb.journal_blocks;
    sb.ibitmap_blocks = (inodes + MFS_BLOCK_SIZE * 8 - 1) / (MFS_BLOCK_SIZE * 8);
    sb.bbitmap_start = sb.ibitmap_start + sb.ibitmap_blocks;
    sb.bbitmap_blocks = (total + MFS_BLOCK_SIZE * 8 - 1) / (MFS_BLOCK_SIZE * 8);
    sb.itable_start = sb.bbitmap_start + sb.bbitmap_blocks;
    sb.itable_blocks = (uint32_t)((inodes + MFS_INODES_PER_BLOCK - 1) / MFS_INODES_PER_BLOCK);
    sb.data_start = sb.itable_start + sb.itable_blocks;
    sb.root_ino = MFS_ROOT_INO;
    sb.free_blocks = total - sb.data_start;
    sb.free_inodes = inodes - 2;
    sb.state = MFS_STATE_CLEAN;
    memcpy(sb.label, "ktest", 5);
    int err = 0;

    memset(blk, 0, MFS_BLOCK_SIZE); /* the journal header: nothing to replay */
    struct mfs_journal_header *h = (struct mfs_journal_header *)blk;
    h->magic = MFS_JOURNAL_MAGIC;
    h->checksum = mfs_journal_checksum(h);
    err |= put_block(d, sb.journal_start, blk);

    for (uint32_t i = 0; i < sb.ibitmap_blocks; i++) {
        memset(blk, 0, MFS_BLOCK_SIZE);
        if (i == 0) {
            set_bit(blk, 0);
            set_bit(blk, MFS_ROOT_INO);
        }
        sb.bitmap_crc[i] = mfs_crc32c(0, blk, MFS_BLOCK_SIZE);
        err |= put_block(d, sb.ibitmap_start + i, blk);
    }
    for (uint32_t i = 0; i < sb.bbitmap_blocks; i++) {
        memset(blk, 0, MFS_BLOCK_SIZE);
        for (uint32_t b = 0; b < MFS_BLOCK_SIZE * 8; b++)
            if (i * MFS_BLOCK_SIZE * 8 + b < sb.data_start)
                set_bit(blk, b);
        sb.bitmap_crc[sb.ibitmap_blocks + i] = mfs_crc32c(0, blk, MFS_BLOCK_SIZE);
        err |= put_block(d, sb.bbitmap_start + i, blk);
    }
    for (uint32_t i = 0; i < sb.itable_blocks; i++) {
        memset(blk, 0, MFS_BLOCK_SIZE);
        if (i == 0) {
            struct mfs_inode *root = (struct mfs_inode *)blk + MFS_ROOT_INO;
            root->mode = S_IFDIR | 0755;
            root->nlink = 2;
            root->parent = MFS_ROOT_INO;
            root->checksum = mfs_inode_checksum(MFS_ROOT_INO, root);
        }
        err |= put_block(d, sb.itable_start + i, blk);
    }
    /* The superblock last: it holds the bitmaps' checksums. */
    sb.checksum = mfs_super_checksum(&sb);
    memset(blk, 0, MFS_BLOCK_SIZE);
    memcpy(blk, &sb, sizeof sb);
    err |= put_block(d, 0, blk);
    kfree(blk);
    return err ? -EIO : 0;
}

/* ---- helpers that call the operations as the VFS would (no other task touches this file system) ---- */

static struct inode *look(struct inode *dir, const char *name)
{
    struct inode *i = 0;
    return dir->i_op->lookup(dir, name, &i) == 0 ? i : 0;
}

static int make(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
    struct inode *i;
    int err = dir->i_op->create(dir, name, mode, &i);
    if (err)
        return err;
    if (out)
        *out = i;
    else
        inode_put(i);
    return 0;
}

static void unmount(struct super_block *sb)
{
    dentry_put(sb->root);
    sb->s_op->put_super(sb);
    kfree(sb);
}

static int count_entries(struct inode *dir, const char *want, int *found)
{
    uint64_t pos = 2, ino;
    char name[NAME_MAX + 1];
    int type, n = 0;
    *found = 0;
    while (dir->i_op->readdir(dir, &pos, name, &ino, &type) == 0) {
        n++;
        if (want && strcmp(name, want) == 0)
            *found = 1;
    }
    return n;
}

KTEST(mfs_basic)
{
    struct blkdev *d = ramdisk_create("mfst", 4 << 20);
    KT_CHECK(d, "no memory for a 4 MiB RAM disk");
    KT_CHECK(mfs_test_mkfs(d, 1024, 64) == 0, "mkfs failed");
    struct super_block *sb;
    int err = mfs_mount(d, &sb);
    KT_CHECK(err == 0, "mount of a fresh image: %s", errno_name(err));
    KT_CHECK(strcmp(sb->type, "mfs") == 0, "type %s", sb->type);
    struct inode *root = sb->root->inode, *a, *dir, *x, *i;
    struct kstatfs st0, st;
    sb->s_op->statfs(sb, &st0);
    KT_CHECK(st0.type == 0x4d465331 && st0.ffree == 62, "statfs type %lx ffree %lu", (unsigned long)st0.type,
             (unsigned long)st0.ffree);

    KT_CHECK(make(root, "a", S_IFREG | 0644, &a) == 0, "create a");
    KT_CHECK(make(root, "dir", S_IFDIR | 0755, &dir) == 0, "mkdir dir");
    KT_CHECK(root->nlink == 3 && dir->nlink == 2, "nlink root %u dir %u", root->nlink, dir->nlink);
    KT_CHECK((i = look(root, "a")) == a, "lookup a gives another inode");
    inode_put(i);
    KT_CHECK(look(root, "b") == 0, "lookup of a missing name succeeded");
    KT_CHECK(make(dir, "x", S_IFREG | 0600, &x) == 0, "create dir/x");
    KT_CHECK(root->i_op->link(root, "y", x) == 0 && x->nlink == 2, "link y: nlink %u", x->nlink);

    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    KT_CHECK(make(root, longname, S_IFREG | 0644, 0) == -ENAMETOOLONG, "a 256-byte name is not ENAMETOOLONG");
    longname[255] = 0;
    KT_CHECK(make(root, longname, S_IFREG | 0644, 0) == 0, "a 255-byte name is refused");

    /* Block mapping: a hole, an allocation past the indirect block, truncate gives everything back. */
    uint32_t p;
    KT_CHECK(mfs_bmap(a, 3, MFS_BMAP_READ, &p) == 0 && p == 0, "a new file is not all holes");
    journal_begin(MFS_SB(sb)->journal);
    err = mfs_bmap(a, 0, MFS_BMAP_ALLOC, &p);
    uint32_t p2 = 0, p3 = 0;
    if (!err)
        err = mfs_bmap(a, 1, MFS_BMAP_ALLOC, &p2);
    if (!err)
        err = mfs_bmap(a, 12 + 1024 + 5, MFS_BMAP_ALLOC_UNINIT, &p3);
    journal_end(MFS_SB(sb)->journal);
    KT_CHECK(err == 0 && p && p2 == p + 1 && p3, "bmap alloc: %s, blocks %u %u %u", errno_name(err), p, p2, p3);
    KT_CHECK(MFS_I(a)->d.blocks == 5, "blocks %lu after 3 data + 2 indirect", (unsigned long)MFS_I(a)->d.blocks);
    KT_CHECK(mfs_bmap(a, 12 + 1024 + 5, MFS_BMAP_READ, &p) == 0 && p == p3, "bmap reads %u, not %u", p, p3);
    journal_begin(MFS_SB(sb)->journal);
    err = mfs_bmap_truncate(a, 1);
    journal_end(MFS_SB(sb)->journal);
    KT_CHECK(err == 0 && MFS_I(a)->d.blocks == 1 && !MFS_I(a)->d.ptr[MFS_DIND], "truncate: %s, blocks %lu",
             errno_name(err), (unsigned long)MFS_I(a)->d.blocks);

    /* rename: move without a victim, then over a victim, then a directory across directories. */
    KT_CHECK(root->i_op->rename(root, "a", dir, "b", 0) == 0, "rename a -> dir/b");
    KT_CHECK(look(root, "a") == 0 && (i = look(dir, "b")) == a, "after rename the names are wrong");
    inode_put(i);
    struct inode *c;
    KT_CHECK(make(root, "c", S_IFREG | 0644, &c) == 0, "create c");
    KT_CHECK(root->i_op->rename(root, "c", dir, "b", a) == 0, "rename c over dir/b");
    KT_CHECK(a->nlink == 0 && (i = look(dir, "b")) == c, "rename over a victim: victim nlink %u", a->nlink);
    inode_put(i);
    inode_put(a); /* the last reference: evicted, its block freed */
    KT_CHECK(make(dir, "sub", S_IFDIR | 0755, 0) == 0 && dir->nlink == 3, "mkdir dir/sub: nlink %u", dir->nlink);
    KT_CHECK(root->i_op->rename(dir, "sub", root, "sub2", 0) == 0, "rename dir/sub -> sub2");
    KT_CHECK(dir->nlink == 2 && root->nlink == 4, "nlink after moving a directory: dir %u root %u", dir->nlink,
             root->nlink);
    KT_CHECK(root->i_op->unlink(root, "y", x) == 0 && x->nlink == 1, "unlink y: nlink %u", x->nlink);
    int found, n = count_entries(root, "sub2", &found);
    KT_CHECK(n == 3 && found, "readdir of / found %d entries (want dir, sub2, the long name)", n);
    i = look(root, "sub2");
    KT_CHECK(i && !root->i_op->is_empty(root) && i->i_op->is_empty(i) == 1, "is_empty is wrong");
    inode_put(i);
    inode_put(x);
    inode_put(c);
    inode_put(dir);
    unmount(sb);

    /* Remount: everything is still there, with its link counts. */
    KT_CHECK((err = mfs_mount(d, &sb)) == 0, "remount: %s", errno_name(err));
    root = sb->root->inode;
    KT_CHECK(root->nlink == 4, "root nlink %u after remount", root->nlink);
    KT_CHECK((dir = look(root, "dir")) != 0, "dir is gone after remount");
    KT_CHECK((x = look(dir, "x")) != 0 && x->nlink == 1, "dir/x after remount");
    KT_CHECK((c = look(dir, "b")) != 0 && S_ISREG(c->mode), "dir/b after remount");
    KT_CHECK((i = look(root, "sub2")) != 0 && MFS_I(i)->d.parent == root->ino, "sub2's parent after remount");
    inode_put(i);
    KT_CHECK(look(root, "a") == 0 && look(root, "y") == 0, "removed names came back");

    /* Too many files: ENOSPC, and everything removed gives the inodes back. */
    sb->s_op->statfs(sb, &st0);
    char name[16];
    int made = 0;
    while ((err = make(dir, (ksnprintf(name, sizeof name, "f%d", made), name), S_IFREG | 0644, 0)) == 0)
        made++;
    KT_CHECK(err == -ENOSPC && (uint64_t)made == st0.ffree, "after %d files: %s", made, errno_name(err));
    for (int k = 0; k < made; k++) {
        ksnprintf(name, sizeof name, "f%d", k);
        i = look(dir, name);
        KT_CHECK(i && dir->i_op->unlink(dir, name, i) == 0, "unlink %s", name);
        inode_put(i);
    }
    sb->s_op->statfs(sb, &st);
    KT_CHECK(st.ffree == st0.ffree && st.bfree == st0.bfree, "free inodes %lu/%lu blocks %lu/%lu after cleanup",
             (unsigned long)st.ffree, (unsigned long)st0.ffree, (unsigned long)st.bfree, (unsigned long)st0.bfree);

    /* A corrupt directory entry is -EIO, not a crash. */
    uint32_t blk0;
    KT_CHECK(mfs_bmap(dir, 0, MFS_BMAP_READ, &blk0) == 0 && blk0, "dir has no block");
    inode_put(x);
    inode_put(c);
    inode_put(dir);
    unmount(sb);
    uint8_t *raw = kmalloc(MFS_BLOCK_SIZE);
    KT_CHECK(raw, "no memory");
    blk_rw(d, BLK_READ, (uint64_t)blk0 * 8, raw, MFS_BLOCK_SIZE);
    ((struct mfs_dirent *)raw)->rec_len = 12;
    blk_rw(d, BLK_WRITE, (uint64_t)blk0 * 8, raw, MFS_BLOCK_SIZE);
    KT_CHECK(mfs_mount(d, &sb) == 0, "remount after corrupting a directory");
    dir = look(sb->root->inode, "dir");
    KT_CHECK(dir && dir->i_op->lookup(dir, "x", &i) == -EIO, "a bad rec_len is not EIO");
    inode_put(dir);
    unmount(sb);

    /* Corrupt superblocks are refused with -EUCLEAN. */
    blk_rw(d, BLK_READ, 0, raw, MFS_BLOCK_SIZE);
    struct mfs_super *s = (struct mfs_super *)raw;
    s->itable_start = 9000;
    s->checksum = mfs_super_checksum(s);
    blk_rw(d, BLK_WRITE, 0, raw, MFS_BLOCK_SIZE);
    KT_CHECK(mfs_mount(d, &sb) == -EUCLEAN, "an inode table past the disk was mounted");
    s->magic ^= 1;
    blk_rw(d, BLK_WRITE, 0, raw, MFS_BLOCK_SIZE);
    KT_CHECK(mfs_mount(d, &sb) == -EUCLEAN, "a bad magic was mounted");
    kfree(raw);
    ramdisk_destroy(d);
    return KT_OK;
}

/* 10,000 files in one directory: creations and lookups per second. */
KTEST_MANUAL(mfs_manyfiles)
{
    const int nfiles = 10000;
    struct blkdev *d = ramdisk_create("mfsm", 64 << 20);
    KT_CHECK(d, "no memory for a 64 MiB RAM disk");
    KT_CHECK(mfs_test_mkfs(d, 16384, 16384) == 0, "mkfs failed");
    struct super_block *sb;
    KT_CHECK(mfs_mount(d, &sb) == 0, "mount failed");
    struct inode *root = sb->root->inode, *i;
    char name[32];
    uint64_t t0 = time_ns();
    for (int k = 0; k < nfiles; k++) {
        ksnprintf(name, sizeof name, "file-%05d", k);
        KT_CHECK(root->i_op->lookup(root, name, &i) == -ENOENT, "%s exists before its creation", name);
        KT_CHECK(make(root, name, S_IFREG | 0644, 0) == 0, "create %s failed", name);
    }
    uint64_t t1 = time_ns();
    for (int k = 0; k < nfiles; k++) {
        ksnprintf(name, sizeof name, "file-%05d", k);
        KT_CHECK((i = look(root, name)) != 0, "%s is missing", name);
        inode_put(i);
    }
    uint64_t t2 = time_ns();
    int found, n = count_entries(root, 0, &found);
    KT_CHECK(n == nfiles, "readdir found %d files", n);
    kprintf("mfs_manyfiles: %d creations in %lu ms (%lu files/s), %d lookups in %lu ms, directory of %lu KiB\n",
            nfiles, (unsigned long)((t1 - t0) / 1000000), (unsigned long)(nfiles * 1000000000ull / (t1 - t0 + 1)),
            nfiles, (unsigned long)((t2 - t1) / 1000000), (unsigned long)(root->size / 1024));
    unmount(sb);
    ramdisk_destroy(d);
    return KT_OK;
}

/* Visit every name under dir (depth-first): the count, or a negative errno from the first failure. */
static long walk_tree(struct inode *dir, int depth)
{
    uint64_t pos = 2, ino;
    char name[NAME_MAX + 1];
    int type;
    long n = 0;
    while (dir->i_op->readdir(dir, &pos, name, &ino, &type) == 0) {
        struct inode *i;
        int err = dir->i_op->lookup(dir, name, &i);
        if (err) {
            kprintf("mfs_vda: lookup of %s in directory %lu: %s\n", name, (unsigned long)dir->ino, errno_name(err));
            return err;
        }
        n++;
        if (S_ISDIR(i->mode) && depth < 32) {
            long sub = walk_tree(i, depth + 1);
            if (sub < 0) {
                inode_put(i);
                return sub;
            }
            n += sub;
        }
        inode_put(i);
    }
    return n;
}

/*
 * On the first virtio disk (an image from mkfs.mfs): look up everything,
 * then create, link, rename and remove under /d1test, and unmount cleanly
 * so that fsck.mfs can check what the kernel wrote.
 */
KTEST_MANUAL(mfs_vda)
{
    struct blkdev *d = blk_by_name("vda");
    KT_CHECK(d, "no disk vda (boot with an MFS image attached)");
    struct super_block *sb;
    int err = mfs_mount(d, &sb);
    KT_CHECK(err == 0, "mount of vda: %s", errno_name(err));
    struct inode *root = sb->root->inode, *t, *dir2, *f;
    long n = walk_tree(root, 0);
    KT_CHECK(n >= 0, "walking the image failed: %s", errno_name(n));
    kprintf("mfs_vda: %ld names in the image\n", n);
    KT_CHECK(make(root, "d1test", S_IFDIR | 0755, &t) == 0, "mkdir /d1test (run on a fresh image)");
    KT_CHECK(make(t, "sub", S_IFDIR | 0755, &dir2) == 0, "mkdir /d1test/sub");
    char name[32];
    for (int k = 0; k < 300; k++) {
        ksnprintf(name, sizeof name, "file-%03d", k);
        KT_CHECK(make(t, name, S_IFREG | 0644, 0) == 0, "create %s", name);
    }
    KT_CHECK(make(t, "fifo", S_IFIFO | 0644, 0) == 0, "mkfifo");
    for (int k = 0; k < 300; k += 3) {
        ksnprintf(name, sizeof name, "file-%03d", k);
        KT_CHECK((f = look(t, name)) != 0, "lookup %s", name);
        if (k % 2) {
            KT_CHECK(t->i_op->unlink(t, name, f) == 0, "unlink %s", name);
        } else {
            char to[32];
            ksnprintf(to, sizeof to, "moved-%03d", k);
            KT_CHECK(t->i_op->link(dir2, to, f) == 0, "link %s", to);
            ksnprintf(to, sizeof to, "file-%03d", k + 1);
            struct inode *victim = look(t, to);
            KT_CHECK(victim && t->i_op->rename(t, name, t, to, victim) == 0, "rename %s over %s", name, to);
            inode_put(victim);
        }
        inode_put(f);
    }
    KT_CHECK(t->i_op->rename(t, "sub", root, "d1sub", 0) == 0, "move a directory up");
    inode_put(dir2);
    inode_put(t);
    dentry_put(sb->root);
    KT_CHECK((err = sb->s_op->put_super(sb)) == 0, "unmount: %s", errno_name(err));
    kfree(sb);
    return KT_OK;
}

/* ---- crash and corruption checks ---- */

static int get_block(struct blkdev *d, uint32_t n, void *buf)
{
    return blk_rw(d, BLK_READ, (uint64_t)n * MFS_SECTORS_PER_BLOCK, buf, MFS_BLOCK_SIZE);
}

/* Clear bits of bitmap block blk that map [from, to) once the block's first bit is base. */
static uint32_t clear_bits(const uint8_t *blk, uint64_t base, uint64_t from, uint64_t to)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < MFS_BLOCK_SIZE * 8; b++)
        if (base + b >= from && base + b < to && !(blk[b / 8] & (1u << (b & 7))))
            n++;
    return n;
}

/* What is wrong on disk: a bitmap block that fails its checksum, or inexact free counts (NULL: nothing). */
static const char *disk_problem(struct blkdev *d)
{
    static char why[120];
    uint8_t *raw = kmalloc(2 * MFS_BLOCK_SIZE);
    if (!raw || get_block(d, 0, raw)) {
        kfree(raw);
        return "the superblock cannot be read";
    }
    struct mfs_super s;
    memcpy(&s, raw, sizeof s);
    uint8_t *blk = raw + MFS_BLOCK_SIZE;
    uint32_t free_inodes = 0, free_blocks = 0;
    why[0] = 0;
    for (uint32_t i = 0; i < s.ibitmap_blocks + s.bbitmap_blocks && !why[0]; i++) {
        int inodes = i < s.ibitmap_blocks;
        uint32_t k = inodes ? i : i - s.ibitmap_blocks;
        if (get_block(d, (inodes ? s.ibitmap_start : s.bbitmap_start) + k, blk) != 0 ||
            mfs_crc32c(0, blk, MFS_BLOCK_SIZE) != s.bitmap_crc[i])
            ksnprintf(why, sizeof why, "%s bitmap block %u does not match its checksum", inodes ? "inode" : "block", k);
        uint64_t base = (uint64_t)k * MFS_BLOCK_SIZE * 8;
        if (inodes)
            free_inodes += clear_bits(blk, base, 1, s.inode_count);
        else
            free_blocks += clear_bits(blk, base, s.data_start, s.total_blocks);
    }
    if (!why[0] && (free_inodes != s.free_inodes || free_blocks != s.free_blocks))
        ksnprintf(why, sizeof why, "the superblock counts %u free inodes and %u free blocks, the bitmaps %u and %u",
                  s.free_inodes, s.free_blocks, free_inodes, free_blocks);
    kfree(raw);
    return why[0] ? why : 0;
}

/* Copy the whole of disk from onto disk to: the state a power loss would leave right now. */
static int snapshot(struct blkdev *from, struct blkdev *to, uint32_t blocks)
{
    uint8_t *blk = kmalloc(MFS_BLOCK_SIZE);
    int err = blk ? 0 : -ENOMEM;
    for (uint32_t b = 0; b < blocks && !err; b++)
        err = get_block(from, b, blk) || put_block(to, b, blk) ? -EIO : 0;
    kfree(blk);
    return err;
}

/*
 * The checks against crashes and corrupt images: bitmap checksums and exact
 * free counts on disk after every operation, a damaged bitmap refused at
 * mount, orphan inodes (unlinked but still open at a crash) freed at the
 * next mount, and a directory entry naming the root refused by lookup.
 */
KTEST(mfs_crash_checks)
{
    const uint32_t blocks = 512;
    struct blkdev *d = ramdisk_create("mfsc", (uint64_t)blocks * MFS_BLOCK_SIZE);
    struct blkdev *crash = ramdisk_create("mfsd", (uint64_t)blocks * MFS_BLOCK_SIZE);
    KT_CHECK(d && crash, "no memory for two 2 MiB RAM disks");
    KT_CHECK(mfs_test_mkfs(d, blocks, 64) == 0, "mkfs failed");
    const char *why = disk_problem(d);
    KT_CHECK(!why, "after mkfs: %s", why);
    struct super_block *sb;
    int err = mfs_mount(d, &sb);
    KT_CHECK(err == 0, "mount: %s", errno_name(err));
    struct inode *root = sb->root->inode, *f, *c;
    struct kstatfs st0, st;

    /* A file with blocks, unlinked while still open: its inode and blocks stay until the last close. */
    KT_CHECK(make(root, "f", S_IFREG | 0644, &f) == 0, "create f");
    sb->s_op->statfs(sb, &st0);
    st0.ffree++; /* what statfs says once f is gone (the root keeps its new directory block) */
    uint32_t p;
    journal_begin(MFS_SB(sb)->journal);
    err = 0;
    for (int k = 0; k < 20 && !err; k++)
        err = mfs_bmap(f, (uint64_t)k, MFS_BMAP_ALLOC, &p);
    err = err ? err : mfs_iupdate(f);
    journal_end(MFS_SB(sb)->journal);
    KT_CHECK(err == 0, "allocating f's blocks: %s", errno_name(err));
    KT_CHECK(f->blocks == 21 * 8, "st_blocks of f is %lu, not 168 (20 data blocks and an indirect one)",
             (unsigned long)f->blocks);
    why = disk_problem(d);
    KT_CHECK(!why, "while mounted, after allocating: %s", why);
    KT_CHECK(root->i_op->unlink(root, "f", f) == 0 && f->nlink == 0, "unlink f");

    /* Power loss now: f is an orphan on the copy. The counts on disk are exact all the same. */
    KT_CHECK(snapshot(d, crash, blocks) == 0, "copying the disk failed");
    why = disk_problem(crash);
    KT_CHECK(!why, "on the crashed copy: %s", why);
    inode_put(f); /* the last close: f is freed on d */
    sb->s_op->statfs(sb, &st);
    KT_CHECK(st.ffree == st0.ffree && st.bfree == st0.bfree, "after the last close: free inodes %lu/%lu blocks %lu/%lu",
             (unsigned long)st.ffree, (unsigned long)st0.ffree, (unsigned long)st.bfree, (unsigned long)st0.bfree);
    unmount(sb);
    why = disk_problem(d);
    KT_CHECK(!why, "after unmount: %s", why);

    /* The crashed copy mounts (it was DIRTY) and frees the orphan. */
    KT_CHECK(mfs_mount(crash, &sb) == 0, "mount of the crashed copy");
    sb->s_op->statfs(sb, &st);
    KT_CHECK(st.ffree == st0.ffree && st.bfree == st0.bfree, "orphan not freed: free inodes %lu/%lu blocks %lu/%lu",
             (unsigned long)st.ffree, (unsigned long)st0.ffree, (unsigned long)st.bfree, (unsigned long)st0.bfree);

    /* A directory entry that names the root: a cycle, -EIO at lookup and not listed by readdir. */
    root = sb->root->inode;
    KT_CHECK(make(root, "c", S_IFDIR | 0755, &c) == 0, "mkdir c");
    inode_put(c);
    uint32_t dblk;
    KT_CHECK(mfs_bmap(root, 0, MFS_BMAP_READ, &dblk) == 0 && dblk, "the root has no block");
    unmount(sb);
    uint8_t *raw = kmalloc(MFS_BLOCK_SIZE);
    KT_CHECK(raw && get_block(crash, dblk, raw) == 0, "reading the root's block");
    struct mfs_dirent *e = 0;
    for (uint32_t off = 0; off < MFS_BLOCK_SIZE; off += ((struct mfs_dirent *)(raw + off))->rec_len) {
        struct mfs_dirent *x = (struct mfs_dirent *)(raw + off);
        if (x->rec_len == 0)
            break;
        if (x->ino && x->name_len == 1 && x->name[0] == 'c')
            e = x;
    }
    KT_CHECK(e, "no entry c in the root's block");
    e->ino = MFS_ROOT_INO;
    put_block(crash, dblk, raw);
    KT_CHECK(mfs_mount(crash, &sb) == 0, "mount with a cycle (found only by lookup)");
    root = sb->root->inode;
    KT_CHECK(root->i_op->lookup(root, "c", &c) == -EIO, "an entry naming the root is not EIO");
    int found;
    count_entries(root, "c", &found);
    KT_CHECK(!found, "readdir lists an entry naming the root");
    unmount(sb);

    /* One flipped bit in the block bitmap: refused at mount, not believed. */
    struct mfs_super s;
    KT_CHECK(get_block(crash, 0, raw) == 0, "reading the superblock");
    memcpy(&s, raw, sizeof s);
    KT_CHECK(get_block(crash, s.bbitmap_start, raw) == 0, "reading the block bitmap");
    raw[s.data_start / 8] ^= 0x01;
    put_block(crash, s.bbitmap_start, raw);
    KT_CHECK(mfs_mount(crash, &sb) == -EUCLEAN, "a block bitmap that fails its checksum was mounted");
    raw[s.data_start / 8] ^= 0x01;
    put_block(crash, s.bbitmap_start, raw);
    KT_CHECK(mfs_mount(crash, &sb) == 0, "the repaired bitmap is refused");
    unmount(sb);
    kfree(raw);
    ramdisk_destroy(crash);
    ramdisk_destroy(d);
    return KT_OK;
}
