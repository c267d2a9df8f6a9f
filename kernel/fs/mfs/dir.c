/*
 * MFS directories: blocks of variable-length entries (mfs_format.h), read
 * through the buffer cache and checked every time, changed through the
 * journal. Every directory operation is one journal operation, so a crash
 * leaves it done or not done.
 *
 * Lock: the VFS holds vfs_lock (a sleep lock) around every call here, so
 * directory contents, nlink and dir_hint need no lock of their own.
 */
#include "fs/mfs/mfs.h"
#include "drivers/blkdev.h"
#include "fs/bcache.h"
#include "fs/journal.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"

#define DENT(b, off) ((struct mfs_dirent *)((b)->data + (off)))

/* getdents64's d_type for a mode: Linux's DT_* is the type field of st_mode. */
static uint8_t dtype(uint32_t mode)
{
    return (uint8_t)((mode & S_IFMT) >> 12);
}

/* Does the name hold a byte no name may hold? */
static int bad_name(const char *name, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (name[i] == '/' || name[i] == 0)
            return 1;
    return 0;
}

/*
 * Why the directory block cannot be believed (and at which offset), or
 * NULL. The structure (lengths, inode numbers) is checked on every read, so
 * no walk over a block ever leaves it; the names (a byte-by-byte scan) only
 * with names set.
 */
static const char *block_problem(struct mfs_sb *s, const uint8_t *block, uint32_t *at, int names)
{
    uint32_t off = 0;
    while (off < MFS_BLOCK_SIZE) {
        const struct mfs_dirent *e = (const struct mfs_dirent *)(block + off);
        *at = off;
        if (off + MFS_DIRENT_HEADER > MFS_BLOCK_SIZE)
            return "an entry header crosses the end of the block";
        if (e->rec_len < MFS_DIRENT_HEADER || e->rec_len % 8 || off + e->rec_len > MFS_BLOCK_SIZE)
            return "an entry length is out of range";
        if (e->ino == 0) {
            if (off != 0)
                return "an unused entry that is not the first of its block";
        } else {
            if (e->ino >= s->disk.inode_count)
                return "an entry names an inode number past the inode table";
            if (e->name_len == 0 || MFS_DIRENT_LEN(e->name_len) > e->rec_len)
                return "a name length does not fit its entry";
            if (names && bad_name(e->name, e->name_len))
                return "a name holds '/' or NUL";
            if (names && e->name[0] == '.' && (e->name_len == 1 || (e->name_len == 2 && e->name[1] == '.')))
                return "an entry is named . or ..";
        }
        off += e->rec_len;
    }
    return 0;
}

int mfs_dir_check_block(struct mfs_sb *s, const uint8_t *block)
{
    uint32_t at;
    const char *why = block_problem(s, block, &at, 1);
    return why ? mfs_corruptf(s, "a directory block is corrupt (%s, at byte %u)", why, at) : 0;
}

/* Directory block lblk of dir, read and checked: 0 and *out locked, or -EIO. */
static int read_block(struct inode *dir, uint32_t lblk, struct buf **out)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    uint32_t p;
    int err = mfs_bmap(dir, lblk, MFS_BMAP_READ, &p);
    if (err)
        return err;
    if (!p || (p & MFS_BP_FLAGS))
        return mfs_corruptf(s, "directory %lu has no proper block %u inside its size", (unsigned long)dir->ino, lblk);
    if ((err = bread(s->dev, p, out)) != 0)
        return err;
    uint8_t bit = (uint8_t)(1u << (p & 7));
    int names = !s->dir_checked || !(s->dir_checked[p / 8] & bit);
    uint32_t at;
    const char *why = block_problem(s, (*out)->data, &at, names);
    if (why) {
        brelse(*out);
        return mfs_corruptf(s, "directory %lu is corrupt in block %u (%s, at byte %u)", (unsigned long)dir->ino, p,
                            why, at);
    }
    if (s->dir_checked && names)
        __atomic_or_fetch(&s->dir_checked[p / 8], bit, __ATOMIC_RELAXED);
    return 0;
}

static uint32_t nblocks(struct inode *dir)
{
    return (uint32_t)(dir->size / MFS_BLOCK_SIZE);
}

/* Where an entry is: its block (locked), offset, and the offset of the entry before it (-1 if first). */
struct slot {
    struct buf *b;
    uint32_t lblk, off;
    int32_t prev;
};

/* Find name in dir: 0 with *sl filled (sl->b locked), -ENOENT, or -EIO. */
static int find(struct inode *dir, const char *name, struct slot *sl)
{
    size_t len = strlen(name);
    for (uint32_t lblk = 0; lblk < nblocks(dir); lblk++) {
        struct buf *b;
        int err = read_block(dir, lblk, &b);
        if (err)
            return err;
        int32_t prev = -1;
        for (uint32_t off = 0; off < MFS_BLOCK_SIZE; prev = (int32_t)off, off += DENT(b, off)->rec_len) {
            struct mfs_dirent *e = DENT(b, off);
            if (e->ino && e->name_len == len && memcmp(e->name, name, len) == 0) {
                *sl = (struct slot){b, lblk, off, prev};
                return 0;
            }
        }
        brelse(b);
    }
    return -ENOENT;
}

/* Write a new entry into the space at off of b (its rec_len already set). */
static void fill_entry(struct buf *b, uint32_t off, const char *name, uint32_t ino, uint8_t type)
{
    struct mfs_dirent *e = DENT(b, off);
    size_t len = strlen(name);
    e->ino = ino;
    e->name_len = (uint8_t)len;
    e->type = type;
    memcpy(e->name, name, len);
}

/* Add name -> ino to dir, growing it by a block if no block has room. */
static int add_entry(struct inode *dir, const char *name, uint32_t ino, uint8_t type)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    struct mfs_inode_info *mi = MFS_I(dir);
    uint32_t need = MFS_DIRENT_LEN(strlen(name));
    for (uint32_t lblk = mi->dir_hint; lblk < nblocks(dir); lblk++) {
        struct buf *b;
        int err = read_block(dir, lblk, &b);
        if (err)
            return err;
        for (uint32_t off = 0; off < MFS_BLOCK_SIZE; off += DENT(b, off)->rec_len) {
            struct mfs_dirent *e = DENT(b, off);
            uint32_t used = e->ino ? MFS_DIRENT_LEN(e->name_len) : 0;
            if (e->rec_len - used < need)
                continue;
            if (used) { /* split: the new entry takes the slack after e */
                DENT(b, off + used)->rec_len = (uint16_t)(e->rec_len - used);
                e->rec_len = (uint16_t)used;
                off += used;
            }
            fill_entry(b, off, name, ino, type);
            journal_write(s->journal, b);
            brelse(b);
            return 0;
        }
        brelse(b);
        if (lblk == mi->dir_hint)
            mi->dir_hint = lblk + 1; /* full: later creations start after it */
    }
    /* No room anywhere: a new block with one entry spanning it. */
    uint32_t lblk = nblocks(dir), p;
    struct buf *b;
    int err = mfs_bmap(dir, lblk, MFS_BMAP_ALLOC_UNINIT, &p);
    if (err)
        return err;
    if ((err = bget_zero(s->dev, MFS_BP_BLOCK(p), &b)) != 0)
        return err; /* the block stays mapped past the size: fsck trims it */
    DENT(b, 0)->rec_len = MFS_BLOCK_SIZE;
    fill_entry(b, 0, name, ino, type);
    journal_write(s->journal, b);
    brelse(b);
    dir->size += MFS_BLOCK_SIZE;
    return 0;
}

/* Remove the entry at sl (sl->b is released). */
static void remove_at(struct inode *dir, struct slot *sl)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    struct mfs_dirent *e = DENT(sl->b, sl->off);
    if (sl->prev >= 0) {
        DENT(sl->b, sl->prev)->rec_len += e->rec_len; /* merged into the entry before it */
    } else {
        e->ino = 0;
        e->name_len = 0;
        e->type = 0;
    }
    journal_write(s->journal, sl->b);
    brelse(sl->b);
    if (sl->lblk < MFS_I(dir)->dir_hint)
        MFS_I(dir)->dir_hint = sl->lblk;
}

/* Touch a directory whose entries changed and log it. */
static int dir_changed(struct inode *dir)
{
    inode_touch(dir, 0, 1, 1);
    return mfs_iupdate(dir);
}

/* End the operation, keeping the first error. */
static int end_op(struct mfs_sb *s, int err)
{
    int e = journal_end(s->journal);
    return err ? err : e;
}

/*
 * An entry naming its own directory or the root makes a cycle that the
 * parent-field check below cannot see (the root is its own parent): no
 * name may point there. Every other directory is checked through its
 * parent field, which must be the directory listing it.
 */
static int names_itself_or_root(struct mfs_sb *s, struct inode *dir, uint32_t ino)
{
    return ino == dir->ino || ino == s->disk.root_ino;
}

/* ---- inode_operations (vfs_lock held) ---- */

static int mfs_lookup(struct inode *dir, const char *name, struct inode **out)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    if (strlen(name) > MFS_NAME_MAX)
        return -ENAMETOOLONG;
    struct slot sl;
    int err = find(dir, name, &sl);
    if (err)
        return err;
    struct mfs_dirent *e = DENT(sl.b, sl.off);
    uint32_t ino = e->ino;
    uint8_t type = e->type;
    brelse(sl.b);
    if (names_itself_or_root(s, dir, ino))
        return mfs_corruptf(s, "directory %lu lists %s as inode %u, %s: a cycle", (unsigned long)dir->ino, name, ino,
                            ino == dir->ino ? "the directory itself" : "the root");
    struct inode *inode;
    if ((err = mfs_iget(s, ino, &inode)) != 0)
        return err;
    if (type != dtype(inode->mode)) {
        err = mfs_corruptf(s, "directory %lu lists %s as type %u but inode %u has type %u", (unsigned long)dir->ino,
                           name, type, ino, dtype(inode->mode));
    } else if (S_ISDIR(inode->mode) && MFS_I(inode)->d.parent != dir->ino) {
        err = mfs_corruptf(s, "directory %u claims parent %u but is listed in %lu", ino, MFS_I(inode)->d.parent,
                           (unsigned long)dir->ino);
    }
    if (err) {
        inode_put(inode);
        return err;
    }
    *out = inode;
    return 0;
}

static int mfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    if (strlen(name) > MFS_NAME_MAX)
        return -ENAMETOOLONG;
    /* The VFS looked the name up under vfs_lock just before: it is not there. */
    journal_begin(s->journal);
    struct inode *inode;
    int err = mfs_inew(s, dir, mode, &inode);
    if (err)
        return end_op(s, err);
    if ((err = add_entry(dir, name, MFS_I(inode)->ino, dtype(mode))) != 0) {
        inode->nlink = 0; /* give the new inode back in the same operation */
        mfs_ifree_inode(inode);
        mfs_iforget(inode);
        inode_put(inode); /* evict finds nothing left to do; the VFS inode is freed */
        return end_op(s, err);
    }
    if (S_ISDIR(mode))
        dir->nlink++;
    err = dir_changed(dir);
    *out = inode;
    return end_op(s, err);
}

static int mfs_link(struct inode *dir, const char *name, struct inode *target)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    if (strlen(name) > MFS_NAME_MAX)
        return -ENAMETOOLONG;
    journal_begin(s->journal);
    int err = add_entry(dir, name, MFS_I(target)->ino, dtype(target->mode));
    if (err)
        return end_op(s, err);
    target->nlink++;
    inode_touch(target, 0, 0, 1);
    err = mfs_iupdate(target);
    int e = dir_changed(dir);
    return end_op(s, err ? err : e);
}

/* Drop the links a removed name held: a directory loses both its own and its parent's '..'. */
static void drop_links(struct inode *dir, struct inode *victim)
{
    if (S_ISDIR(victim->mode)) {
        victim->nlink = 0;
        dir->nlink--;
    } else if (victim->nlink) {
        victim->nlink--;
    }
    inode_touch(victim, 0, 0, 1);
}

static int mfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    struct mfs_sb *s = MFS_SB(dir->sb);
    journal_begin(s->journal);
    struct slot sl;
    int err = find(dir, name, &sl);
    if (err)
        return end_op(s, err);
    remove_at(dir, &sl);
    drop_links(dir, victim);
    err = mfs_iupdate(victim);
    int e = dir_changed(dir);
    return end_op(s, err ? err : e);
}

/*
 * Move old_name to new_name in one journal operation: the target entry (if
 * any) is pointed at the moved inode in place, so no crash can leave the
 * new name missing.
 */
static int mfs_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir, const char *new_name,
                      struct inode *victim)
{
    struct mfs_sb *s = MFS_SB(old_dir->sb);
    if (strlen(new_name) > MFS_NAME_MAX)
        return -ENAMETOOLONG;
    journal_begin(s->journal);
    struct slot sl;
    struct inode *moved = 0;
    int err = find(old_dir, old_name, &sl);
    if (err)
        return end_op(s, err);
    uint32_t ino = DENT(sl.b, sl.off)->ino;
    brelse(sl.b);
    if ((err = mfs_iget(s, ino, &moved)) != 0)
        return end_op(s, err);
    int is_dir = S_ISDIR(moved->mode);

    /* First the steps that can fail, so that a failure leaves everything as it was. */
    if (victim) {
        if ((err = find(new_dir, new_name, &sl)) != 0)
            goto out;
        DENT(sl.b, sl.off)->ino = ino;
        DENT(sl.b, sl.off)->type = dtype(moved->mode);
        journal_write(s->journal, sl.b);
        brelse(sl.b);
        drop_links(new_dir, victim);
    } else if ((err = add_entry(new_dir, new_name, ino, dtype(moved->mode))) != 0) {
        goto out;
    }
    if ((err = find(old_dir, old_name, &sl)) != 0)
        goto out;
    remove_at(old_dir, &sl);
    if (is_dir && old_dir != new_dir) {
        MFS_I(moved)->d.parent = MFS_I(new_dir)->ino;
        old_dir->nlink--;
        new_dir->nlink++;
    }
    inode_touch(moved, 0, 0, 1);
    err = mfs_iupdate(moved);
    if (!err && victim)
        err = mfs_iupdate(victim);
    if (!err)
        err = dir_changed(old_dir);
    if (!err && new_dir != old_dir)
        err = dir_changed(new_dir);
out:
    inode_put(moved);
    return end_op(s, err);
}

static int mfs_is_empty(struct inode *dir)
{
    for (uint32_t lblk = 0; lblk < nblocks(dir); lblk++) {
        struct buf *b;
        if (read_block(dir, lblk, &b) != 0)
            return 0; /* unreadable: not known to be empty, so rmdir refuses */
        for (uint32_t off = 0; off < MFS_BLOCK_SIZE; off += DENT(b, off)->rec_len)
            if (DENT(b, off)->ino) {
                brelse(b);
                return 0;
            }
        brelse(b);
    }
    return 1;
}

/* Positions: 0 and 1 are the VFS's "." and ".."; 2 + byte offset is the entry at that offset. */
static int mfs_readdir(struct inode *dir, uint64_t *pos, char *name, uint64_t *ino, int *type)
{
    uint64_t at = *pos < 2 ? 0 : *pos - 2;
    for (uint32_t lblk = (uint32_t)(at / MFS_BLOCK_SIZE); lblk < nblocks(dir); lblk++) {
        struct buf *b;
        int err = read_block(dir, lblk, &b);
        if (err)
            return err; /* printed already; getdents64 returns -EIO */
        uint32_t from = lblk == at / MFS_BLOCK_SIZE ? (uint32_t)(at % MFS_BLOCK_SIZE) : 0;
        for (uint32_t off = 0; off < MFS_BLOCK_SIZE; off += DENT(b, off)->rec_len) {
            struct mfs_dirent *e = DENT(b, off);
            if (off < from || !e->ino)
                continue;
            if (names_itself_or_root(MFS_SB(dir->sb), dir, e->ino)) { /* a cycle: not listed */
                mfs_corruptf(MFS_SB(dir->sb), "directory %lu lists inode %u (%s) under a name: skipped",
                             (unsigned long)dir->ino, e->ino, e->ino == dir->ino ? "itself" : "the root");
                continue;
            }
            memcpy(name, e->name, e->name_len);
            name[e->name_len] = 0;
            *ino = e->ino;
            *type = e->type;
            *pos = 2 + (uint64_t)lblk * MFS_BLOCK_SIZE + off + e->rec_len;
            brelse(b);
            return 0;
        }
        brelse(b);
    }
    return 1;
}

const struct inode_operations mfs_dir_iops = {
    .lookup = mfs_lookup,
    .create = mfs_create,
    .link = mfs_link,
    .unlink = mfs_unlink,
    .rename = mfs_rename,
    .is_empty = mfs_is_empty,
    .readdir = mfs_readdir,
};

/* fsync on a directory: its entries are metadata, durable once the journal is. */
static int mfs_dir_fsync(struct file *f, int datasync)
{
    (void)datasync;
    return journal_sync(MFS_SB(f->inode->sb)->journal);
}

const struct file_operations mfs_dir_fops = {
    .fsync = mfs_dir_fsync,
};
