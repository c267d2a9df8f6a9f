/*
 * MFS super block: mount (which believes nothing on the disk until it has
 * checked it), statfs, sync and unmount.
 *
 * A mounted file system is marked DIRTY on disk (with mount_count and
 * mount_time) and CLEAN again at unmount, each through the journal. Mount
 * checks every bitmap block against its CRC in the superblock and pins the
 * bitmaps and the superblock in the buffer cache; alloc.c logs the
 * superblock (checksums and exact free counts) with every bitmap change.
 */
#include "fs/mfs/mfs.h"
#include <stdarg.h>
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "fs/bcache.h"
#include "fs/journal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define MFS_STATFS_MAGIC 0x4d465331u

static const struct super_operations mfs_sops;
static uint32_t next_dev = 0xfe00; /* st_dev of MFS mounts: far from ramfs's small numbers */

int mfs_corrupt(struct mfs_sb *s, const char *what, uint64_t where)
{
    kprintf("mfs: %s: %s %lu\n", blk_name(s->dev), what, (unsigned long)where);
    return -EIO;
}

int mfs_corruptf(struct mfs_sb *s, const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kprintf("mfs: %s: %s\n", blk_name(s->dev), line);
    return -EIO;
}

/* Print why the superblock is refused (one sentence) and return -EUCLEAN. */
__attribute__((format(printf, 2, 3))) static int refuse(struct blkdev *d, const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kprintf("mfs: %s: refusing to mount: %s\n", blk_name(d), line);
    return -EUCLEAN;
}

struct region {
    const char *name;
    uint32_t start, blocks;
};

/* Every field of the superblock, checked against the others and the disk: 0 or -EUCLEAN. */
static int check_super(struct blkdev *d, const struct mfs_super *sb)
{
    if (sb->magic != MFS_MAGIC)
        return refuse(d, "the superblock magic is 0x%x, not 0x%x: this is not an MFS file system", sb->magic,
                      MFS_MAGIC);
    if (sb->checksum != mfs_super_checksum(sb))
        return refuse(d, "the superblock checksum is 0x%x but its contents sum to 0x%x", sb->checksum,
                      mfs_super_checksum(sb));
    if (sb->version != MFS_VERSION)
        return refuse(d, "the superblock says format version %u; this kernel knows version %u", sb->version,
                      MFS_VERSION);
    if (sb->block_size != MFS_BLOCK_SIZE)
        return refuse(d, "the superblock says blocks are %u bytes; MFS blocks are %u", sb->block_size, MFS_BLOCK_SIZE);
    if (sb->inode_size != sizeof(struct mfs_inode))
        return refuse(d, "the superblock says inodes are %u bytes; MFS inodes are %u", sb->inode_size,
                      (unsigned)sizeof(struct mfs_inode));
    if (sb->feature_incompat & ~MFS_FEAT_INCOMPAT_KNOWN)
        return refuse(d, "the superblock has incompatible features 0x%x that this kernel does not know",
                      sb->feature_incompat & ~MFS_FEAT_INCOMPAT_KNOWN);
    uint64_t disk_blocks = blk_sectors(d) / MFS_SECTORS_PER_BLOCK;
    if (sb->total_blocks > disk_blocks)
        return refuse(d, "the superblock says the file system has %u blocks, but the disk holds only %lu",
                      sb->total_blocks, (unsigned long)disk_blocks);
    if (sb->total_blocks > MFS_MAX_BLOCKS)
        return refuse(d, "the superblock says the file system has %u blocks, more than MFS addresses (%u)",
                      sb->total_blocks, MFS_MAX_BLOCKS);
    if (sb->inode_count < 2)
        return refuse(d, "the superblock says there are %u inodes, too few for a root directory", sb->inode_count);
    if (sb->root_ino != MFS_ROOT_INO)
        return refuse(d, "the superblock says the root is inode %u, not %u", sb->root_ino, MFS_ROOT_INO);
    if (sb->journal_blocks < 2)
        return refuse(d, "the superblock says the journal has %u blocks; it needs a header and a log block",
                      sb->journal_blocks);
    if ((uint64_t)sb->ibitmap_blocks + sb->bbitmap_blocks > MFS_BITMAP_CRC_MAX)
        return refuse(d, "the superblock says the bitmaps have %u + %u blocks; it has checksums for only %u",
                      sb->ibitmap_blocks, sb->bbitmap_blocks, MFS_BITMAP_CRC_MAX);
    if (sb->state != MFS_STATE_CLEAN && sb->state != MFS_STATE_DIRTY)
        return refuse(d, "the superblock state is %u, neither clean (1) nor dirty (2)", sb->state);

    /* The regions follow each other, in order, after the superblock and inside the file system. */
    struct region r[] = {
        {"journal", sb->journal_start, sb->journal_blocks},
        {"inode bitmap", sb->ibitmap_start, sb->ibitmap_blocks},
        {"block bitmap", sb->bbitmap_start, sb->bbitmap_blocks},
        {"inode table", sb->itable_start, sb->itable_blocks},
    };
    uint64_t end = 1; /* block 0 is the superblock */
    for (unsigned i = 0; i < sizeof r / sizeof r[0]; i++) {
        if (r[i].start >= sb->total_blocks)
            return refuse(d, "the superblock says the %s starts at block %u, past the end of the disk (%u blocks)",
                          r[i].name, r[i].start, sb->total_blocks);
        if (r[i].start < end)
            return refuse(d, "the superblock says the %s starts at block %u, inside the region before it (which ends at %lu)",
                          r[i].name, r[i].start, (unsigned long)end);
        if (r[i].blocks == 0 || (uint64_t)r[i].start + r[i].blocks > sb->total_blocks)
            return refuse(d, "the superblock says the %s has %u blocks from block %u, which does not fit a %u-block disk",
                          r[i].name, r[i].blocks, r[i].start, sb->total_blocks);
        end = (uint64_t)r[i].start + r[i].blocks;
    }
    if (sb->data_start < end || sb->data_start >= sb->total_blocks)
        return refuse(d, "the superblock says data starts at block %u, outside %lu..%u", sb->data_start,
                      (unsigned long)end, sb->total_blocks - 1);
    if ((uint64_t)sb->ibitmap_blocks * MFS_BLOCK_SIZE * 8 < sb->inode_count)
        return refuse(d, "the superblock's inode bitmap (%u blocks) is too small for %u inodes", sb->ibitmap_blocks,
                      sb->inode_count);
    if ((uint64_t)sb->bbitmap_blocks * MFS_BLOCK_SIZE * 8 < sb->total_blocks)
        return refuse(d, "the superblock's block bitmap (%u blocks) is too small for %u blocks", sb->bbitmap_blocks,
                      sb->total_blocks);
    if ((uint64_t)sb->itable_blocks * MFS_INODES_PER_BLOCK < sb->inode_count)
        return refuse(d, "the superblock's inode table (%u blocks) is too small for %u inodes", sb->itable_blocks,
                      sb->inode_count);
    return 0;
}

/* Log the superblock (inside an operation, alloc_lock held), with the counts and checksums as they are now. */
int mfs_log_super_locked(struct mfs_sb *s)
{
    struct buf *b;
    int err = bread(s->dev, 0, &b); /* pinned since mount: no disk read */
    if (err)
        return err;
    s->disk.checksum = journal_crc32c(&s->disk, offsetof(struct mfs_super, checksum)); /* = mfs_super_checksum */
    memcpy(b->data, &s->disk, sizeof s->disk);
    journal_write(s->journal, b);
    brelse(b);
    return 0;
}

int mfs_write_super(struct mfs_sb *s)
{
    mutex_lock(&s->alloc_lock);
    int err = mfs_log_super_locked(s);
    mutex_unlock(&s->alloc_lock);
    return err;
}

/* Give back the pins mount took on the superblock and the bitmaps. */
static void unpin_metadata(struct mfs_sb *s)
{
    for (int i = 0; i < MFS_BITMAP_CRC_MAX; i++)
        if (s->bitmap_buf[i]) {
            bunpin(s->bitmap_buf[i]);
            s->bitmap_buf[i] = 0;
        }
    if (s->super_buf) {
        bunpin(s->super_buf);
        s->super_buf = 0;
    }
}

/*
 * Check every bitmap block against its CRC in the superblock and pin it
 * (and the superblock) in the cache, so the allocator only ever sees
 * checked bitmaps: 0, -EIO or -EUCLEAN after printing why.
 */
static int load_bitmaps(struct mfs_sb *s)
{
    struct buf *b;
    int err = bread(s->dev, 0, &b);
    if (err)
        return err;
    bpin(b);
    s->super_buf = b;
    brelse(b);
    uint32_t n = s->disk.ibitmap_blocks + s->disk.bbitmap_blocks;
    for (uint32_t i = 0; i < n; i++) {
        int inodes = i < s->disk.ibitmap_blocks;
        uint32_t k = inodes ? i : i - s->disk.ibitmap_blocks;
        uint32_t block = (inodes ? s->disk.ibitmap_start : s->disk.bbitmap_start) + k;
        if ((err = bread(s->dev, block, &b)) != 0)
            return err;
        uint32_t crc = journal_crc32c(b->data, MFS_BLOCK_SIZE);
        if (crc != s->disk.bitmap_crc[i]) {
            brelse(b);
            return refuse(s->dev, "%s bitmap block %u does not match its checksum (0x%x, the superblock says 0x%x)",
                          inodes ? "inode" : "block", k, crc, s->disk.bitmap_crc[i]);
        }
        bpin(b);
        s->bitmap_buf[i] = b;
        brelse(b);
    }
    return 0;
}

/* Set the on-disk state (and maybe count a mount) in one journal operation. */
static int set_state(struct mfs_sb *s, uint32_t state, int mounting)
{
    journal_begin(s->journal);
    s->disk.state = state;
    if (mounting) {
        struct timespec_k now;
        fs_now(&now);
        s->disk.mount_count++;
        s->disk.mount_time = (uint64_t)now.sec;
    }
    int err = mfs_write_super(s);
    int err2 = journal_end(s->journal);
    return err ? err : err2;
}

int mfs_mount(struct blkdev *d, struct super_block **out)
{
    int err;
    struct mfs_sb *s = 0;
    struct super_block *sb = 0;
    struct inode *root = 0;
    if (blk_sectors(d) < 2 * MFS_SECTORS_PER_BLOCK)
        return refuse(d, "the disk holds %lu sectors, too few for any file system", (unsigned long)blk_sectors(d));
    if (blk_read_only(d)) {
        kprintf("mfs: %s: refusing to mount: the disk is read-only and MFS mounts read-write\n", blk_name(d));
        return -EROFS;
    }

    /* The superblock straight from the disk: nothing is believed (or cached) before it is checked. */
    uint8_t *raw = kmalloc(MFS_BLOCK_SIZE);
    if (!raw)
        return -ENOMEM;
    err = blk_rw(d, BLK_READ, 0, raw, MFS_BLOCK_SIZE);
    if (err) {
        kprintf("mfs: %s: refusing to mount: the superblock cannot be read\n", blk_name(d));
        kfree(raw);
        return -EIO;
    }
    struct mfs_super disk;
    memcpy(&disk, raw, sizeof disk);
    kfree(raw);
    if ((err = check_super(d, &disk)) != 0)
        return err;

    if (!(s = kzalloc(sizeof *s)))
        return -ENOMEM;
    s->dev = d;
    mutex_init(&s->alloc_lock, "mfs_alloc");
    spin_init(&s->icache_lock, "mfs_icache");
    int replayed = 0;
    err = journal_open(d, disk.journal_start, disk.journal_blocks, &s->journal, &replayed);
    if (err) {
        kprintf("mfs: %s: refusing to mount: the journal at block %u cannot be opened (%s)\n", blk_name(d),
                disk.journal_start, errno_name(err));
        kfree(s);
        return err == -ENOMEM ? err : -EUCLEAN;
    }
    if (replayed)
        kprintf("mfs: %s: not cleanly unmounted: replayed the journal's last transaction (%d blocks)\n",
                blk_name(d), replayed);

    /* The replay may have rewritten the superblock: read and check it again. */
    struct buf *b;
    if ((err = bread(d, 0, &b)) != 0) {
        kprintf("mfs: %s: refusing to mount: the superblock cannot be read after the journal replay\n", blk_name(d));
        goto fail;
    }
    memcpy(&s->disk, b->data, sizeof s->disk);
    brelse(b);
    if ((err = check_super(d, &s->disk)) != 0)
        goto fail;
    mfs_crc_patch_init();
    if ((err = load_bitmaps(s)) != 0) {
        if (err == -EIO)
            kprintf("mfs: %s: refusing to mount: a bitmap block cannot be read\n", blk_name(d));
        goto fail;
    }
    if ((err = mfs_count_free(s)) != 0) {
        kprintf("mfs: %s: refusing to mount: a bitmap cannot be read\n", blk_name(d));
        goto fail;
    }
    s->dir_checked = kzalloc(s->disk.total_blocks / 8 + 1); /* NULL: every read is checked */
    s->block_goal = s->disk.data_start;
    s->inode_goal = 1;
    journal_set_commit_hook(s->journal, mfs_release_pending, s);

    err = -ENOMEM;
    if (!(sb = kzalloc(sizeof *sb)))
        goto fail;
    sb->dev = __atomic_fetch_add(&next_dev, 1, __ATOMIC_SEQ_CST);
    sb->type = "mfs";
    sb->counts_blocks = 1;
    sb->s_op = &mfs_sops;
    sb->priv = s;
    s->vfs = sb;
    if (s->disk.state == MFS_STATE_DIRTY) { /* not unmounted: a crash may have left orphans */
        int n = mfs_free_orphans(s);
        if (n < 0) {
            kprintf("mfs: %s: refusing to mount: orphan inodes left by a crash cannot be freed (%s)\n",
                    blk_name(d), errno_name(n));
            err = n == -ENOMEM ? n : -EUCLEAN;
            goto fail;
        }
        if (n > 0)
            kprintf("mfs: %s: freed %d orphan inode%s left by a crash\n", blk_name(d), n, n == 1 ? "" : "s");
    }
    if ((err = mfs_iget(s, s->disk.root_ino, &root)) != 0) {
        kprintf("mfs: %s: refusing to mount: the root directory (inode %u) is unreadable or corrupt\n", blk_name(d),
                s->disk.root_ino);
        goto fail;
    }
    if (!S_ISDIR(root->mode) || MFS_I(root)->d.parent != s->disk.root_ino) {
        kprintf("mfs: %s: refusing to mount: the root inode %u is not a directory that is its own parent\n",
                blk_name(d), s->disk.root_ino);
        err = -EUCLEAN;
        goto fail;
    }
    err = -ENOMEM;
    if (!(sb->root = dentry_alloc(0, "/", root)))
        goto fail;
    sb->root->refcount = 1; /* the super block's own reference */
    root = 0;
    if ((err = set_state(s, MFS_STATE_DIRTY, 1)) != 0) {
        kprintf("mfs: %s: refusing to mount: cannot mark the file system in use (%s)\n", blk_name(d),
                errno_name(err));
        goto fail;
    }
    *out = sb;
    return 0;

fail:
    /* Nothing was written yet except maybe the replay, which is what the disk wanted anyway. */
    if (sb && sb->root)
        kfree(sb->root); /* no children: nothing else was looked up */
    if (root)
        inode_put(root);
    mfs_icache_drop_unused(s);
    journal_close(s->journal);
    unpin_metadata(s);
    bcache_invalidate(d);
    kfree(s->pending_free);
    kfree(s->dir_checked);
    kfree(s);
    kfree(sb);
    return err;
}

/* ---- super_operations ---- */

/* The last reference to an unlinked inode is gone: free its blocks and its number. */
static void mfs_evict_inode(struct inode *inode)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    if (!inode->priv)
        return;
    if (S_ISREG(inode->mode))
        mfs_file_evict(inode);
    if (inode->nlink == 0) {
        journal_begin(s->journal);
        int err = mfs_ifree_inode(inode);
        int err2 = journal_end(s->journal);
        if (err || err2)
            kprintf("mfs: %s: inode %lu could not be freed (%s); fsck will reclaim it\n", blk_name(s->dev),
                    (unsigned long)inode->ino, errno_name(err ? err : err2));
    }
    mfs_iforget(inode);
}

static int mfs_statfs(struct super_block *sb, struct kstatfs *st)
{
    struct mfs_sb *s = MFS_SB(sb);
    mutex_lock(&s->alloc_lock);
    memset(st, 0, sizeof *st);
    st->type = MFS_STATFS_MAGIC;
    st->bsize = st->frsize = MFS_BLOCK_SIZE;
    st->blocks = s->disk.total_blocks - s->disk.data_start;
    st->bfree = st->bavail = s->disk.free_blocks;
    st->files = s->disk.inode_count - 1;
    st->ffree = s->disk.free_inodes;
    st->namelen = MFS_NAME_MAX;
    mutex_unlock(&s->alloc_lock);
    return 0;
}

static int mfs_write_inode(struct inode *inode)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    journal_begin(s->journal);
    int err = mfs_iupdate(inode);
    int err2 = journal_end(s->journal);
    return err ? err : err2;
}

static int mfs_sync_fs(struct super_block *sb)
{
    struct mfs_sb *s = MFS_SB(sb);
    journal_begin(s->journal);
    int err = mfs_write_super(s);
    int err2 = journal_end(s->journal);
    int err3 = journal_sync(s->journal);
    int err4 = blk_flush(s->dev);
    return err ? err : err2 ? err2 : err3 ? err3 : err4;
}

/* Unmount: everything durable, the state CLEAN, the journal closed and the cache emptied. */
static int mfs_put_super(struct super_block *sb)
{
    struct mfs_sb *s = MFS_SB(sb);
    int err = set_state(s, MFS_STATE_CLEAN, 0);
    int err2 = journal_close(s->journal);
    int err3 = blk_flush(s->dev);
    mfs_icache_drop_unused(s);
    unpin_metadata(s);
    bcache_invalidate(s->dev);
    kfree(s->pending_free);
    kfree(s->dir_checked);
    kfree(s);
    sb->priv = 0;
    return err ? err : err2 ? err2 : err3;
}

static const struct super_operations mfs_sops = {
    .evict_inode = mfs_evict_inode,
    .statfs = mfs_statfs,
    .write_inode = mfs_write_inode,
    .sync_fs = mfs_sync_fs,
    .put_super = mfs_put_super,
};
