/*
 * MFS inodes: the inode cache (one VFS inode per inode number, found by a
 * hash lookup before the disk is read), loading with every check an inode
 * needs before it is believed, writing through the journal, allocation and
 * freeing.
 *
 * Locks: s->icache_lock (a spinlock, never held across a disk read)
 * protects the hash chains. Reference counts and nlink are the VFS's, under
 * vfs_lock: mfs_iget is called from lookup (vfs_lock held) or while
 * mounting (nobody else can see the file system yet).
 */
#include "fs/mfs/mfs.h"
#include "drivers/blkdev.h"
#include "fs/bcache.h"
#include "fs/journal.h"
#include "fs/pipe.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

static struct mfs_inode_info **bucket(struct mfs_sb *s, uint32_t ino)
{
    return &s->icache[ino % MFS_ICACHE_BUCKETS];
}

static struct mfs_inode_info *icache_find(struct mfs_sb *s, uint32_t ino)
{
    for (struct mfs_inode_info *mi = *bucket(s, ino); mi; mi = mi->hash_next)
        if (mi->ino == ino)
            return mi;
    return 0;
}

static void icache_remove(struct mfs_sb *s, struct mfs_inode_info *mi)
{
    for (struct mfs_inode_info **pp = bucket(s, mi->ino); *pp; pp = &(*pp)->hash_next)
        if (*pp == mi) {
            *pp = mi->hash_next;
            break;
        }
    mi->hash_next = 0;
}

/* The inode-table block holding ino and the inode's byte offset in it. */
static uint64_t itable_block(struct mfs_sb *s, uint32_t ino, uint32_t *off)
{
    *off = (ino % MFS_INODES_PER_BLOCK) * sizeof(struct mfs_inode);
    return s->disk.itable_start + ino / MFS_INODES_PER_BLOCK;
}

/* Is p, a block pointer with its flags masked off, inside the data area? */
int mfs_block_valid(struct mfs_sb *s, uint32_t p)
{
    uint32_t b = MFS_BP_BLOCK(p);
    return b >= s->disk.data_start && b < s->disk.total_blocks;
}

/* Why the on-disk inode cannot be believed, or NULL if it can (an orphan may have no links). */
static const char *inode_problem(struct mfs_sb *s, uint32_t ino, const struct mfs_inode *d, int orphan)
{
    if (d->checksum != mfs_inode_checksum(ino, d))
        return "bad checksum";
    uint32_t type = d->mode & S_IFMT;
    if (d->mode == 0)
        return "a directory names a free inode";
    if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFCHR && type != S_IFBLK &&
        type != S_IFIFO && type != S_IFSOCK)
        return "unknown file type";
    if (d->nlink == 0 && !orphan)
        return "a directory names an inode with no links";
    if (d->flags & ~MFS_IFLAG_INLINE_SYMLINK)
        return "unknown inode flags";
    if (d->size > MFS_MAX_FILE_BLOCKS * MFS_BLOCK_SIZE)
        return "size beyond the largest file";
    if (d->comp_alg > MFS_COMP_MAX)
        return "unknown compression algorithm";
    if (d->cluster_shift &&
        (d->cluster_shift < MFS_CLUSTER_SHIFT_MIN || d->cluster_shift > MFS_CLUSTER_SHIFT_MAX))
        return "cluster size out of range";
    if (type == S_IFREG && d->comp_alg != MFS_COMP_NONE && d->cluster_shift == 0)
        return "a compressed file without a cluster size";
    if (type == S_IFDIR) {
        if (d->size % MFS_BLOCK_SIZE)
            return "a directory whose size is not a whole number of blocks";
        if (d->parent == 0 || d->parent >= s->disk.inode_count)
            return "a directory whose parent is out of range";
    }
    if (d->flags & MFS_IFLAG_INLINE_SYMLINK) {
        if (type != S_IFLNK)
            return "an inline target on something that is not a symlink";
        if (d->size > MFS_INLINE_SYMLINK_MAX)
            return "an inline symlink target longer than the inode holds";
        return 0; /* ptr[] holds text, not pointers */
    }
    for (int i = 0; i < MFS_NPTRS; i++) {
        uint32_t p = d->ptr[i];
        if (!p)
            continue;
        if (!mfs_block_valid(s, p))
            return "a block pointer outside the data area";
        int frame_ok = i < MFS_NDIRECT && type == S_IFREG && d->comp_alg != MFS_COMP_NONE;
        if ((p & MFS_BP_FLAGS) && !(frame_ok && (p & MFS_BP_FLAGS) == MFS_BP_FRAME))
            return "a block pointer with flags it may not carry";
    }
    return 0;
}

static void ts_from_disk(struct timespec_k *t, int64_t sec, uint32_t nsec)
{
    t->sec = sec;
    t->nsec = nsec < 1000000000u ? nsec : 0;
}

/* Give a fresh VFS inode the on-disk inode's fields and its type's operations. */
static void fill_vfs_inode(struct inode *inode, struct mfs_inode_info *mi)
{
    const struct mfs_inode *d = &mi->d;
    inode->ino = mi->ino;
    inode->mode = d->mode;
    inode->nlink = d->nlink;
    inode->uid = d->uid;
    inode->gid = d->gid;
    inode->rdev = d->rdev;
    inode->size = d->size;
    inode->blocks = d->blocks * MFS_SECTORS_PER_BLOCK; /* st_blocks counts 512-byte sectors */
    ts_from_disk(&inode->atime, d->atime_sec, d->atime_nsec);
    ts_from_disk(&inode->mtime, d->mtime_sec, d->mtime_nsec);
    ts_from_disk(&inode->ctime, d->ctime_sec, d->ctime_nsec);
    inode->priv = mi;
    mi->vfs = inode;
    switch (d->mode & S_IFMT) {
    case S_IFDIR:
        inode->i_op = &mfs_dir_iops;
        inode->f_op = &mfs_dir_fops;
        break;
    case S_IFREG:
        inode->i_op = &mfs_file_iops;
        inode->f_op = &mfs_file_fops;
        break;
    case S_IFIFO:
        inode->f_op = &fifo_fops; /* the ring comes with the first open (fs/pipe.c) */
        break;
    default:
        /* Symlinks (lab 9d reads them), device nodes and sockets: no operations yet. */
        break;
    }
}

/* A VFS inode for mi, put in the cache; or the one that is already there. */
static int icache_insert(struct mfs_sb *s, struct mfs_inode_info *mi, struct inode **out)
{
    struct inode *inode = inode_alloc(s->vfs, mi->d.mode);
    if (!inode)
        return -ENOMEM;
    fill_vfs_inode(inode, mi);
    spin_lock(&s->icache_lock);
    mi->hash_next = *bucket(s, mi->ino);
    *bucket(s, mi->ino) = mi;
    spin_unlock(&s->icache_lock);
    *out = inode;
    return 0;
}

int mfs_iget(struct mfs_sb *s, uint32_t ino, struct inode **out)
{
    if (ino == 0 || ino >= s->disk.inode_count)
        return mfs_corrupt(s, "a directory names an inode number outside the inode table:", ino);
    spin_lock(&s->icache_lock);
    struct mfs_inode_info *mi = icache_find(s, ino);
    if (mi) {
        mi->vfs->refcount++; /* vfs_lock held (or mounting) */
        spin_unlock(&s->icache_lock);
        *out = mi->vfs;
        return 0;
    }
    spin_unlock(&s->icache_lock);

    uint32_t off;
    struct buf *b;
    int err = bread(s->dev, itable_block(s, ino, &off), &b);
    if (err)
        return err;
    if (!(mi = kzalloc(sizeof *mi))) {
        brelse(b);
        return -ENOMEM;
    }
    memcpy(&mi->d, b->data + off, sizeof mi->d);
    brelse(b);
    mi->ino = ino;
    const char *why = inode_problem(s, ino, &mi->d, 0);
    if (why) {
        kfree(mi);
        return mfs_corruptf(s, "inode %u is corrupt (%s)", ino, why);
    }
    if ((err = icache_insert(s, mi, out)) != 0)
        kfree(mi);
    return err;
}

/* Log the on-disk inode d of ino (with its checksum) into the journal. */
static int write_dinode(struct mfs_sb *s, uint32_t ino, struct mfs_inode *d)
{
    uint32_t off;
    struct buf *b;
    int err = bread(s->dev, itable_block(s, ino, &off), &b);
    if (err)
        return err;
    d->checksum = mfs_inode_checksum(ino, d);
    memcpy(b->data + off, d, sizeof *d);
    journal_write(s->journal, b);
    brelse(b);
    return 0;
}

int mfs_iupdate(struct inode *inode)
{
    struct mfs_inode_info *mi = MFS_I(inode);
    struct mfs_inode *d = &mi->d;
    d->mode = (uint16_t)inode->mode;
    d->nlink = inode->nlink;
    d->uid = inode->uid;
    d->gid = inode->gid;
    d->rdev = inode->rdev;
    d->size = inode->size;
    inode->blocks = d->blocks * MFS_SECTORS_PER_BLOCK; /* bmap and cluster writes changed d->blocks */
    d->atime_sec = inode->atime.sec, d->atime_nsec = (uint32_t)inode->atime.nsec;
    d->mtime_sec = inode->mtime.sec, d->mtime_nsec = (uint32_t)inode->mtime.nsec;
    d->ctime_sec = inode->ctime.sec, d->ctime_nsec = (uint32_t)inode->ctime.nsec;
    return write_dinode(MFS_SB(inode->sb), mi->ino, d);
}

int mfs_inew(struct mfs_sb *s, struct inode *dir, uint32_t mode, struct inode **out)
{
    uint32_t ino, off;
    int err = mfs_ialloc(s, &ino);
    if (err)
        return err;
    struct mfs_inode_info *mi = kzalloc(sizeof *mi);
    struct buf *b;
    if (!mi) {
        err = -ENOMEM;
        goto fail;
    }
    if ((err = bread(s->dev, itable_block(s, ino, &off), &b)) != 0)
        goto fail;
    /* Only the generation of whatever was there before survives: it tells the old file from the new. */
    uint32_t generation = ((struct mfs_inode *)(b->data + off))->generation + 1;
    brelse(b);

    struct mfs_inode *d = &mi->d;
    const struct mfs_inode *pd = &MFS_I(dir)->d;
    struct timespec_k now;
    fs_now(&now);
    mi->ino = ino;
    d->mode = (uint16_t)mode;
    d->nlink = S_ISDIR(mode) ? 2 : 1;
    d->atime_sec = d->mtime_sec = d->ctime_sec = now.sec;
    d->atime_nsec = d->mtime_nsec = d->ctime_nsec = (uint32_t)now.nsec;
    d->generation = generation;
    if (S_ISDIR(mode))
        d->parent = MFS_I(dir)->ino;
    if (S_ISDIR(mode) || S_ISREG(mode)) { /* compression is inherited from the directory */
        d->comp_alg = pd->comp_alg;
        d->comp_level = pd->comp_level;
        d->cluster_shift = pd->comp_alg ? (pd->cluster_shift ? pd->cluster_shift : MFS_CLUSTER_SHIFT_DEFAULT) : 0;
    }
    if ((err = write_dinode(s, ino, d)) != 0)
        goto fail;
    if ((err = icache_insert(s, mi, out)) != 0)
        goto fail_written;
    return 0;

fail_written:
    d->mode = 0;
    d->nlink = 0;
    write_dinode(s, ino, d);
fail:
    kfree(mi);
    mfs_ifree(s, ino);
    return err;
}

int mfs_ifree_inode(struct inode *inode)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_inode_info *mi = MFS_I(inode);
    int err = 0;
    if (!(mi->d.flags & MFS_IFLAG_INLINE_SYMLINK))
        err = mfs_bmap_truncate(inode, 0);
    if (err)
        return err; /* keep the inode: better a leak fsck finds than a block used twice */
    uint32_t generation = mi->d.generation;
    memset(&mi->d, 0, sizeof mi->d);
    mi->d.generation = generation;
    if ((err = write_dinode(s, mi->ino, &mi->d)) != 0)
        return err;
    mfs_ifree(s, mi->ino);
    return 0;
}

void mfs_iforget(struct inode *inode)
{
    struct mfs_sb *s = MFS_SB(inode->sb);
    struct mfs_inode_info *mi = MFS_I(inode);
    if (!mi)
        return;
    spin_lock(&s->icache_lock);
    icache_remove(s, mi);
    spin_unlock(&s->icache_lock);
    kfree(mi);
    inode->priv = 0;
}

void mfs_icache_drop_unused(struct mfs_sb *s)
{
    for (int i = 0; i < MFS_ICACHE_BUCKETS; i++) {
        struct mfs_inode_info **pp = &s->icache[i];
        while (*pp) {
            struct mfs_inode_info *mi = *pp;
            struct inode *inode = mi->vfs;
            if (inode->refcount > 0) {
                pp = &mi->hash_next;
                continue;
            }
            *pp = mi->hash_next;
            if (S_ISREG(inode->mode))
                mfs_file_evict(inode);
            kfree(mi);
            kfree(inode);
        }
    }
}

/*
 * Free the inode ino if it is an orphan: in use but with no links left.
 * Unlinking removes the last name in one journal operation and frees the
 * inode in another (at the last close); a crash between leaves an orphan.
 * 1 if freed, 0 if ino is no orphan, or a negative errno.
 */
static int free_if_orphan(struct mfs_sb *s, uint32_t ino)
{
    uint32_t off;
    struct buf *b;
    int err = bread(s->dev, itable_block(s, ino, &off), &b);
    if (err)
        return err;
    struct mfs_inode d;
    memcpy(&d, b->data + off, sizeof d);
    brelse(b);
    if (d.mode == 0 || d.nlink != 0)
        return 0;
    const char *why = inode_problem(s, ino, &d, 1);
    if (why)
        return mfs_corruptf(s, "orphan inode %u is corrupt (%s): left for fsck", ino, why);
    struct mfs_inode_info *mi = kzalloc(sizeof *mi);
    if (!mi)
        return -ENOMEM;
    mi->d = d;
    mi->ino = ino;
    struct inode *inode;
    if ((err = icache_insert(s, mi, &inode)) != 0) {
        kfree(mi);
        return err;
    }
    journal_begin(s->journal);
    err = mfs_ifree_inode(inode);
    int err2 = journal_end(s->journal);
    mfs_iforget(inode);
    inode_put(inode); /* no links, no MFS part left: the VFS inode is freed */
    return err ? err : err2 ? err2 : 1;
}

int mfs_free_orphans(struct mfs_sb *s)
{
    int freed = 0;
    for (uint32_t ino = MFS_ROOT_INO + 1; ino < s->disk.inode_count; ino++) {
        struct buf *b;
        uint32_t per_block = MFS_BLOCK_SIZE * 8;
        int err = bread(s->dev, s->disk.ibitmap_start + ino / per_block, &b); /* pinned: no disk read */
        if (err)
            return err;
        uint32_t in = ino % per_block;
        int used = (b->data[in / 8] >> (in & 7)) & 1;
        brelse(b);
        if (!used)
            continue;
        err = free_if_orphan(s, ino);
        if (err == -ENOMEM)
            return err;
        freed += err > 0; /* a corrupt orphan was reported and is left for fsck */
    }
    return freed;
}
