/*
 * fsck.mfs: check (and with -y repair) an MFS image, as e2fsck does for ext2.
 *
 *   fsck.mfs [-n] [-y] [-v] IMAGE
 *
 * Exit status: 0 clean, 1 errors repaired, 4 errors left uncorrected, 8
 * operational error (the image cannot be opened). A committed journal
 * transaction is replayed first (with -n only in memory: the image stays
 * untouched). Passes, each checking invariants of docs/mfs-format.md:
 *   0  superblock fields and checksum; the journal header
 *   1  every inode: checksum, type, flags, block pointers in range,
 *      nothing mapped past the end of the file, block counts,
 *      compressed clusters (frame blocks a prefix, each frame decodes)
 *   2  the tree from the root: directory blocks well-formed, entries point
 *      at inodes in use with the right type, no duplicates, parents, no cycles
 *   3  every inode reachable; link counts
 *   4  blocks: none used twice; block and inode bitmaps and their checksums;
 *      free counts (exact: the kernel changes them with the bitmaps)
 *
 * Orphans: an inode in use with no links left is what a crash between an
 * unlink and the last close leaves. On an image that was not cleanly
 * unmounted (state DIRTY) that is expected, since the kernel frees orphans at the
 * next mount: fsck reports them without counting an error (-y frees them).
 * On a CLEAN image an orphan is an error.
 */
#include "mfslib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_FIXED 1
#define EXIT_LEFT 4
#define EXIT_OPERATIONAL 8

static struct mfs_img img;
static struct mfs_super *sb;
static int yes, no, verbose;
static unsigned errors_fixed, errors_left;

/* Per inode: what the passes learned. */
enum { I_FREE, I_USED, I_BAD, I_ORPHAN };
static uint8_t *istate;       /* I_* */
static uint32_t *refs;        /* directory entries naming the inode */
static uint32_t *subdirs;     /* subdirectories of a directory */
static uint8_t *reached;      /* directories reached from the root */

/*
 * Report one problem. A fixable problem is repaired when -y was given
 * (returns 1: the caller repairs it); otherwise it stays (returns 0).
 */
static int problem(int fixable, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", img.path);
    vprintf(fmt, ap);
    va_end(ap);
    int fix = fixable && yes;
    printf("%s\n", fix ? ": fixed" : fixable ? "" : " (cannot repair)");
    if (fix)
        errors_fixed++;
    else
        errors_left++;
    return fix;
}

static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s: ", img.path);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static uint64_t div_up(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/* ---- pass 0: superblock and journal ---- */

static int check_super(void)
{
    const char *why = mfs_super_problem(&img);
    if (!why)
        return 0;
    if (sb->magic == MFS_MAGIC && sb->checksum != mfs_super_checksum(sb)) {
        /* Is the checksum the only thing wrong? Then the fields are believable. */
        struct mfs_super copy = *sb;
        copy.checksum = mfs_super_checksum(&copy);
        struct mfs_img view = img;
        view.sb = &copy;
        if (!mfs_super_problem(&view)) {
            if (problem(1, "superblock checksum is wrong (the fields look sane)"))
                sb->checksum = mfs_super_checksum(sb);
            return 0;
        }
        why = mfs_super_problem(&view);
    }
    problem(0, "superblock: %s", why);
    return -1;
}

static void write_empty_journal(struct mfs_journal_header *h, uint64_t sequence)
{
    memset(h, 0, sizeof(*h));
    h->magic = MFS_JOURNAL_MAGIC;
    h->sequence = sequence;
    h->checksum = mfs_journal_checksum(h);
}

/* Replay a committed transaction; returns -1 if the superblock it wrote is unusable. */
static int check_journal(void)
{
    struct mfs_journal_header *h = (struct mfs_journal_header *)mfs_block(&img, sb->journal_start);
    uint32_t jstart = sb->journal_start, jend = sb->journal_start + sb->journal_blocks;
    if (h->magic != MFS_JOURNAL_MAGIC || h->checksum != mfs_journal_checksum(h) ||
        h->count > MFS_JOURNAL_MAX_BLOCKS || h->count > sb->journal_blocks - 1) {
        if (problem(1, "journal header is corrupt or torn (nothing to replay)"))
            write_empty_journal(h, h->magic == MFS_JOURNAL_MAGIC ? h->sequence : 0);
        return 0;
    }
    if (h->count == 0)
        return 0;
    for (uint32_t i = 0; i < h->count; i++) {
        uint8_t *log = mfs_block(&img, jstart + 1 + i);
        if (h->home[i] >= sb->total_blocks || (h->home[i] >= jstart && h->home[i] < jend) ||
            mfs_crc32c(0, log, MFS_BLOCK_SIZE) != h->block_crc[i]) {
            if (problem(1, "journal transaction %llu: log block %u does not match its checksum or home: ignored",
                        (unsigned long long)h->sequence, i))
                write_empty_journal(h, h->sequence);
            return 0;
        }
    }
    note("journal holds committed transaction %llu (%u blocks): %s", (unsigned long long)h->sequence, h->count,
         no ? "journal needs replay (checking the replayed view in memory)" : "replaying");
    uint32_t count = h->count;
    uint32_t home[MFS_JOURNAL_MAX_BLOCKS];
    memcpy(home, h->home, sizeof(home));
    for (uint32_t i = 0; i < count; i++)
        memcpy(mfs_block(&img, home[i]), mfs_block(&img, jstart + 1 + i), MFS_BLOCK_SIZE);
    /* The superblock may have been replayed: check it again before trusting the header's place. */
    if (check_super() < 0)
        return -1;
    h = (struct mfs_journal_header *)mfs_block(&img, sb->journal_start);
    write_empty_journal(h, h->magic == MFS_JOURNAL_MAGIC ? h->sequence : 0);
    return 0;
}

/* ---- block pointer walking ---- */

enum { P_DATA, P_IND, P_DIND };
typedef void (*slot_fn)(uint32_t ino, struct mfs_inode *d, int kind, uint64_t lblk, uint32_t *slot, void *ctx);

static int pointer_ok(uint32_t v, int kind, const struct mfs_inode *d)
{
    uint32_t flags = v & MFS_BP_FLAGS;
    if (kind != P_DATA || !mfs_is_compressed(d))
        return flags == 0 && mfs_data_block_ok(&img, v);
    return (flags & ~MFS_BP_FRAME) == 0 && mfs_data_block_ok(&img, MFS_BP_BLOCK(v));
}

/* Call fn for every non-zero pointer of d; descends only into indirect blocks that are in range. */
static void walk_pointers(uint32_t ino, struct mfs_inode *d, slot_fn fn, void *ctx)
{
    if ((d->mode & S_IFMT) == S_IFLNK && (d->flags & MFS_IFLAG_INLINE_SYMLINK))
        return;
    for (uint64_t i = 0; i < MFS_NDIRECT; i++)
        if (d->ptr[i])
            fn(ino, d, P_DATA, i, &d->ptr[i], ctx);
    if (d->ptr[MFS_IND]) {
        fn(ino, d, P_IND, MFS_NDIRECT, &d->ptr[MFS_IND], ctx);
        if (d->ptr[MFS_IND] && pointer_ok(d->ptr[MFS_IND], P_IND, d)) {
            uint32_t *ind = (uint32_t *)mfs_block(&img, d->ptr[MFS_IND]);
            for (uint64_t j = 0; j < MFS_PTRS_PER_BLOCK; j++)
                if (ind[j])
                    fn(ino, d, P_DATA, MFS_NDIRECT + j, &ind[j], ctx);
        }
    }
    if (d->ptr[MFS_DIND]) {
        uint64_t base = MFS_NDIRECT + MFS_PTRS_PER_BLOCK;
        fn(ino, d, P_DIND, base, &d->ptr[MFS_DIND], ctx);
        if (d->ptr[MFS_DIND] && pointer_ok(d->ptr[MFS_DIND], P_DIND, d)) {
            uint32_t *dind = (uint32_t *)mfs_block(&img, d->ptr[MFS_DIND]);
            for (uint64_t j = 0; j < MFS_PTRS_PER_BLOCK; j++) {
                if (!dind[j])
                    continue;
                uint64_t first = base + j * MFS_PTRS_PER_BLOCK;
                fn(ino, d, P_IND, first, &dind[j], ctx);
                if (!dind[j] || !pointer_ok(dind[j], P_IND, d))
                    continue;
                uint32_t *ind = (uint32_t *)mfs_block(&img, dind[j]);
                for (uint64_t k = 0; k < MFS_PTRS_PER_BLOCK; k++)
                    if (ind[k])
                        fn(ino, d, P_DATA, first + k, &ind[k], ctx);
            }
        }
    }
}

/* ---- pass 1: inodes ---- */

struct inode_check {
    uint64_t counted;   /* blocks found (data + indirect) */
    uint64_t limit;     /* logical blocks the size allows */
    int changed;
};

static const char *kind_name(int kind) { return kind == P_DATA ? "block" : kind == P_IND ? "indirect block" : "double-indirect block"; }

static void check_slot(uint32_t ino, struct mfs_inode *d, int kind, uint64_t lblk, uint32_t *slot, void *vctx)
{
    struct inode_check *c = vctx;
    if (!pointer_ok(*slot, kind, d)) {
        if (problem(1, "inode %u: %s pointer %#x (logical block %llu) is outside the data area", ino, kind_name(kind),
                    *slot, (unsigned long long)lblk)) {
            *slot = 0;
            c->changed = 1;
        }
        return;
    }
    if (kind == P_DATA && lblk >= c->limit) {
        if (problem(1, "inode %u: block %u mapped at logical block %llu, past the end of the file (size %llu)", ino,
                    MFS_BP_BLOCK(*slot), (unsigned long long)lblk, (unsigned long long)d->size)) {
            *slot = 0;
            c->changed = 1;
        }
        return;
    }
    c->counted++;
}

/* Check every compressed cluster of d: frame blocks a prefix, each frame decodes to the cluster's length. */
static void check_clusters(uint32_t ino, struct mfs_inode *d)
{
    uint32_t cb = mfs_cluster_blocks(d);
    uint64_t cbytes = (uint64_t)cb * MFS_BLOCK_SIZE;
    uint64_t nclusters = div_up(d->size, cbytes);
    uint8_t *frame = malloc(cbytes), *out = malloc(cbytes + 1);
    unsigned bad = 0;
    for (uint64_t c = 0; c < nclusters; c++) {
        uint32_t k = 0, nframe = 0, other = 0;
        for (uint32_t i = 0; i < cb; i++) {
            int err;
            uint32_t *s = mfs_bmap_slot(&img, d, c * cb + i, &err);
            uint32_t v = s ? *s : 0;
            if (v & MFS_BP_FRAME) {
                nframe++;
                if (k == i && pointer_ok(v, P_DATA, d)) {
                    memcpy(frame + (uint64_t)i * MFS_BLOCK_SIZE, mfs_block(&img, MFS_BP_BLOCK(v)), MFS_BLOCK_SIZE);
                    k++;
                }
            } else if (v) {
                other++;
            }
        }
        if (nframe == 0)
            continue;
        if (nframe != k || other || k == cb) {
            if (bad++ < 10)
                problem(0, "inode %u: cluster %llu: frame blocks are not a prefix of the cluster's pointers followed by holes",
                        ino, (unsigned long long)c);
            else
                errors_left++;
            continue;
        }
        uint64_t clen = d->size - c * cbytes < cbytes ? d->size - c * cbytes : cbytes;
        long n = mfs_decode_frame(d->comp_alg, frame, (size_t)k * MFS_BLOCK_SIZE, out, cbytes + 1);
        if (n != (long)clen) {
            if (bad++ < 10)
                problem(0, "inode %u: cluster %llu: the %s frame (%u blocks) %s", ino, (unsigned long long)c,
                        mfs_alg_name(d->comp_alg), k, n < 0 ? "does not decode" : "decodes to the wrong length");
            else
                errors_left++;
        }
    }
    if (bad > 10)
        note("inode %u: %u bad clusters in all", ino, bad);
    free(frame);
    free(out);
}

static void clear_inode(uint32_t ino, struct mfs_inode *d)
{
    uint32_t gen = d->generation;
    memset(d, 0, sizeof(*d));
    d->generation = gen;
    mfs_inode_seal(ino, d);
}

static void check_inode(uint32_t ino, struct mfs_inode *d)
{
    if (d->mode == 0) {
        istate[ino] = I_FREE;
        return;
    }
    istate[ino] = I_BAD;
    if (!mfs_inode_checksum_ok(ino, d)) {
        if (problem(1, "inode %u: bad checksum: clearing the inode", ino)) {
            clear_inode(ino, d);
            istate[ino] = I_FREE;
        }
        return;
    }
    uint16_t type = d->mode & S_IFMT;
    int known = type == S_IFREG || type == S_IFDIR || type == S_IFLNK || type == S_IFIFO || type == S_IFCHR ||
                type == S_IFBLK || type == S_IFSOCK;
    const char *fatal = NULL;
    if (!known)
        fatal = "unknown file type";
    else if (d->nlink == 0 && sb->state != MFS_STATE_DIRTY)
        fatal = "link count 0 (deleted but still allocated)";
    else if (type == S_IFREG && d->comp_alg > MFS_COMP_MAX)
        fatal = "unknown compression algorithm";
    else if (type == S_IFREG && d->comp_alg && (d->cluster_shift < MFS_CLUSTER_SHIFT_MIN ||
                                                 d->cluster_shift > MFS_CLUSTER_SHIFT_MAX))
        fatal = "cluster size out of range";
    else if (d->size > MFS_MAX_FILE_BLOCKS * MFS_BLOCK_SIZE)
        fatal = "size larger than MFS allows";
    else if (type == S_IFLNK && (d->size == 0 || d->size >= MFS_BLOCK_SIZE ||
                                 ((d->flags & MFS_IFLAG_INLINE_SYMLINK) && d->size > MFS_INLINE_SYMLINK_MAX)))
        fatal = "bad symlink length";
    if (fatal) {
        if (problem(1, "inode %u: %s: clearing the inode", ino, fatal)) {
            clear_inode(ino, d);
            istate[ino] = I_FREE;
        }
        return;
    }
    if (d->nlink == 0) { /* on a DIRTY image: an orphan the next mount frees */
        if (yes) {
            note("orphan inode %u (%llu bytes) left by a crash: freeing it", ino, (unsigned long long)d->size);
            clear_inode(ino, d);
            istate[ino] = I_FREE;
            errors_fixed++; /* the image changed */
            return;
        }
        note("orphan inode %u (will be freed at the next mount)", ino);
        istate[ino] = I_ORPHAN; /* its blocks stay in use until then; its pointers are checked below */
    } else {
        istate[ino] = I_USED;
    }
    int changed = 0;
    if ((d->flags & ~MFS_IFLAG_INLINE_SYMLINK) || ((d->flags & MFS_IFLAG_INLINE_SYMLINK) && type != S_IFLNK)) {
        if (problem(1, "inode %u: unknown flags %#x", ino, d->flags)) {
            d->flags &= type == S_IFLNK ? MFS_IFLAG_INLINE_SYMLINK : 0;
            changed = 1;
        }
    }
    if (type == S_IFDIR && d->size % MFS_BLOCK_SIZE)
        problem(0, "inode %u: directory size %llu is not a multiple of 4096", ino, (unsigned long long)d->size);
    if (type == S_IFDIR && d->comp_alg > MFS_COMP_MAX) {
        if (problem(1, "inode %u: directory has unknown compression algorithm %u", ino, d->comp_alg)) {
            d->comp_alg = 0;
            changed = 1;
        }
    }
    struct inode_check c = {0, 0, 0};
    if (type == S_IFREG || type == S_IFDIR || type == S_IFLNK) {
        c.limit = div_up(d->size, MFS_BLOCK_SIZE);
        if (mfs_is_compressed(d))
            c.limit = div_up(c.limit, mfs_cluster_blocks(d)) * mfs_cluster_blocks(d);
    }
    walk_pointers(ino, d, check_slot, &c);
    changed |= c.changed;
    if (c.counted != d->blocks) {
        if (problem(1, "inode %u: blocks is %llu, counted %llu", ino, (unsigned long long)d->blocks,
                    (unsigned long long)c.counted)) {
            d->blocks = c.counted;
            changed = 1;
        }
    }
    if (type == S_IFLNK && !(d->flags & MFS_IFLAG_INLINE_SYMLINK) && !mfs_data_block_ok(&img, d->ptr[0]))
        problem(0, "inode %u: long symlink without its target block", ino);
    if (mfs_is_compressed(d))
        check_clusters(ino, d);
    if (changed)
        mfs_inode_seal(ino, d);
}

/* ---- pass 2: directories ---- */

/* Names seen in the directory being checked (a small chained hash, reset per directory). */
#define NAME_BUCKETS 4096
struct name_node {
    const char *name;
    uint8_t len;
    int next;
};
static int name_head[NAME_BUCKETS];
static struct name_node *names;
static int nnames, names_cap;

static void names_reset(void)
{
    memset(name_head, -1, sizeof(name_head));
    nnames = 0;
}

/* Add a name; returns 1 if it was already there. */
static int names_add(const char *name, uint8_t len)
{
    uint32_t h = mfs_crc32c(0, name, len) % NAME_BUCKETS;
    for (int i = name_head[h]; i >= 0; i = names[i].next)
        if (names[i].len == len && memcmp(names[i].name, name, len) == 0)
            return 1;
    if (nnames == names_cap) {
        names_cap = names_cap ? 2 * names_cap : 1024;
        names = realloc(names, (size_t)names_cap * sizeof(*names));
    }
    names[nnames] = (struct name_node){name, len, name_head[h]};
    name_head[h] = nnames++;
    return 0;
}

static uint32_t *queue;
static uint32_t qhead, qtail;

/* Remove the entry at off: merge it into the entry before it, or mark the first entry unused. */
static void clear_dirent(uint8_t *blk, uint32_t off, int32_t prev)
{
    struct mfs_dirent *e = (struct mfs_dirent *)(blk + off);
    if (prev >= 0) {
        struct mfs_dirent *p = (struct mfs_dirent *)(blk + prev);
        p->rec_len = (uint16_t)(p->rec_len + e->rec_len);
    } else {
        e->ino = 0;
        e->name_len = 0;
        e->type = 0;
    }
}

/* Check one directory entry (already structurally sound); returns 1 if it was cleared. */
static int check_entry(uint32_t dino, uint8_t *blk, uint32_t off, int32_t prev)
{
    struct mfs_dirent *e = (struct mfs_dirent *)(blk + off);
    const char *name = (const char *)blk + off + MFS_DIRENT_HEADER;
    int len = e->name_len;
    if (istate[e->ino] != I_USED) {
        if (problem(1, "directory %u: entry '%.*s' points at %s inode %u: clearing the entry", dino, len, name,
                    istate[e->ino] == I_FREE ? "free" : istate[e->ino] == I_ORPHAN ? "unlinked" : "corrupt",
                    e->ino)) {
            clear_dirent(blk, off, prev);
            return 1;
        }
        return 0;
    }
    if (names_add(name, e->name_len)) {
        if (problem(1, "directory %u: duplicate entry '%.*s': clearing the second one", dino, len, name)) {
            clear_dirent(blk, off, prev);
            return 1;
        }
    }
    struct mfs_inode *child = mfs_inode_at(&img, e->ino);
    uint8_t type = mfs_mode_to_dtype(child->mode);
    if (e->type != type) {
        if (problem(1, "directory %u: entry '%.*s' has type %u but inode %u has type %u", dino, len, name, e->type,
                    e->ino, type))
            e->type = type;
    }
    if (S_ISDIR(child->mode)) {
        if (reached[e->ino] || e->ino == MFS_ROOT_INO) {
            if (problem(1, "directory %u: entry '%.*s' is a second link to directory %u (a cycle or a hard link): "
                           "clearing the entry", dino, len, name, e->ino)) {
                clear_dirent(blk, off, prev);
                return 1;
            }
            return 0;
        }
        reached[e->ino] = 1;
        queue[qtail++] = e->ino;
        subdirs[dino]++;
        if (child->parent != dino) {
            if (problem(1, "directory %u ('%.*s'): parent is %u, should be %u", e->ino, len, name, child->parent,
                        dino)) {
                child->parent = dino;
                mfs_inode_seal(e->ino, child);
            }
        }
    }
    refs[e->ino]++;
    return 0;
}

static void check_dir_block(uint32_t dino, uint64_t lblk, uint8_t *blk)
{
    int32_t prev = -1;
    for (uint32_t off = 0; off < MFS_BLOCK_SIZE;) {
        const char *why = mfs_dirent_problem(&img, blk, off);
        struct mfs_dirent *e = (struct mfs_dirent *)(blk + off);
        if (why && (off + MFS_DIRENT_HEADER > MFS_BLOCK_SIZE || strcmp(why, "bad rec_len") == 0)) {
            /* The tiling is broken: the rest of the block is lost. */
            if (problem(1, "directory %u, block %llu, offset %u: %s: dropping the rest of the block", dino,
                        (unsigned long long)lblk, off, why)) {
                if (prev >= 0) {
                    ((struct mfs_dirent *)(blk + prev))->rec_len = (uint16_t)(MFS_BLOCK_SIZE - prev);
                } else {
                    memset(e, 0, MFS_DIRENT_HEADER);
                    e->rec_len = MFS_BLOCK_SIZE;
                }
            }
            return;
        }
        uint32_t rec_len = e->rec_len;
        if (why) {
            if (problem(1, "directory %u, block %llu, offset %u: %s: clearing the entry", dino,
                        (unsigned long long)lblk, off, why)) {
                clear_dirent(blk, off, prev);
                if (prev < 0)
                    prev = (int32_t)off;
            } else {
                prev = (int32_t)off;
            }
        } else if (e->ino == 0 || !check_entry(dino, blk, off, prev)) {
            prev = (int32_t)off;
        } else if (prev < 0) {
            prev = (int32_t)off;
        }
        off += rec_len;
    }
}

static void check_tree(void)
{
    queue = malloc(sizeof(uint32_t) * sb->inode_count);
    qhead = qtail = 0;
    queue[qtail++] = MFS_ROOT_INO;
    reached[MFS_ROOT_INO] = 1;
    while (qhead < qtail) {
        uint32_t dino = queue[qhead++];
        struct mfs_inode *d = mfs_inode_at(&img, dino);
        names_reset();
        uint64_t nblocks = d->size / MFS_BLOCK_SIZE;
        for (uint64_t l = 0; l < nblocks; l++) {
            int err;
            uint32_t *slot = mfs_bmap_slot(&img, d, l, &err);
            if (err || !slot || !*slot || !mfs_data_block_ok(&img, *slot)) {
                problem(0, "directory %u: block %llu is missing (a hole in a directory)", dino,
                        (unsigned long long)l);
                continue;
            }
            check_dir_block(dino, l, mfs_block(&img, *slot));
        }
    }
    free(queue);
}

/* ---- pass 3: reachability and link counts ---- */

static void check_links(void)
{
    struct mfs_inode *root = mfs_inode_at(&img, MFS_ROOT_INO);
    if (root->parent != MFS_ROOT_INO && problem(1, "root directory: parent is %u, should be itself", root->parent)) {
        root->parent = MFS_ROOT_INO;
        mfs_inode_seal(MFS_ROOT_INO, root);
    }
    for (uint32_t ino = 1; ino < sb->inode_count; ino++) {
        if (istate[ino] != I_USED)
            continue;
        struct mfs_inode *d = mfs_inode_at(&img, ino);
        int dir = S_ISDIR(d->mode);
        if (dir ? !reached[ino] : refs[ino] == 0) {
            if (problem(1, "inode %u (%s, %llu bytes) is not reachable from the root: freeing it", ino,
                        dir ? "directory" : "file", (unsigned long long)d->size)) {
                clear_inode(ino, d);
                istate[ino] = I_FREE;
            }
            continue;
        }
        uint32_t want = dir ? 2 + subdirs[ino] : refs[ino];
        if (d->nlink != want && problem(1, "inode %u: link count is %u, should be %u", ino, d->nlink, want)) {
            d->nlink = want;
            mfs_inode_seal(ino, d);
        }
    }
}

/* ---- pass 4: blocks, bitmaps, counts ---- */

static uint8_t *used;     /* blocks found in use */
static unsigned dups;

static void claim_slot(uint32_t ino, struct mfs_inode *d, int kind, uint64_t lblk, uint32_t *slot, void *ctx)
{
    (void)lblk;
    (void)ctx;
    if (!pointer_ok(*slot, kind, d))
        return;
    uint32_t b = MFS_BP_BLOCK(*slot);
    if (mfs_bit_get(used, b)) {
        if (dups++ < 20)
            problem(0, "block %u is used twice (again by inode %u)", b, ino);
        else
            errors_left++;
        return;
    }
    mfs_bit_set(used, b);
}

static void compare_bitmap(const char *what, uint8_t *disk, const uint8_t *want, uint64_t n)
{
    uint64_t marked_free = 0, marked_used = 0, first = 0;
    for (uint64_t i = 0; i < n; i++) {
        int d = mfs_bit_get(disk, i), w = mfs_bit_get(want, i);
        if (d == w)
            continue;
        if (!marked_free && !marked_used)
            first = i;
        if (w)
            marked_free++;
        else
            marked_used++;
    }
    if (!marked_free && !marked_used)
        return;
    if (problem(1, "%s bitmap: %llu in use but marked free, %llu free but marked in use (first: %llu)", what,
                (unsigned long long)marked_free, (unsigned long long)marked_used, (unsigned long long)first)) {
        for (uint64_t i = 0; i < n; i++) {
            if (mfs_bit_get(want, i))
                mfs_bit_set(disk, i);
            else
                mfs_bit_clear(disk, i);
        }
    }
}

static void check_bitmaps(uint32_t *used_inodes, uint32_t *used_blocks)
{
    uint32_t total = sb->total_blocks, count = sb->inode_count;
    used = calloc(div_up(total, 8) + 8, 1);
    for (uint32_t b = 0; b < sb->data_start; b++)
        mfs_bit_set(used, b);
    uint8_t *iused = calloc(div_up(count, 8) + 8, 1);
    mfs_bit_set(iused, 0);
    *used_inodes = 0;
    for (uint32_t ino = 1; ino < count; ino++) {
        if (istate[ino] == I_FREE)
            continue;
        /* A corrupt inode left in place (no -y) still holds its bit and blocks as far as we know. */
        mfs_bit_set(iused, ino);
        (*used_inodes)++;
        if (istate[ino] == I_USED || istate[ino] == I_ORPHAN)
            walk_pointers(ino, mfs_inode_at(&img, ino), claim_slot, NULL);
    }
    if (dups > 20)
        note("%u blocks used twice in all", dups);
    *used_blocks = 0;
    for (uint32_t b = 0; b < total; b++)
        *used_blocks += mfs_bit_get(used, b);
    /* Checksums first: they say whether the bitmaps were damaged, before the bits are compared. */
    for (uint32_t i = 0; i < mfs_bitmap_count(sb); i++) {
        uint32_t crc = mfs_bitmap_block_crc(&img, i);
        int inodes = i < sb->ibitmap_blocks;
        if (crc != sb->bitmap_crc[i])
            problem(1, "%s bitmap block %u does not match its checksum (0x%x, the superblock says 0x%x)",
                    inodes ? "inode" : "block", inodes ? i : i - sb->ibitmap_blocks, crc, sb->bitmap_crc[i]);
    }
    compare_bitmap("block", mfs_block(&img, sb->bbitmap_start), used, total);
    compare_bitmap("inode", mfs_block(&img, sb->ibitmap_start), iused, count);
    if (yes)
        mfs_bitmaps_seal(&img); /* the repaired bitmaps' checksums (unchanged if nothing was wrong) */
    free(used);
    free(iused);

    uint32_t free_blocks = total - *used_blocks, free_inodes = count - 1 - *used_inodes;
    if (sb->free_blocks != free_blocks && problem(1, "superblock: free_blocks is %u, counted %u", sb->free_blocks,
                                                  free_blocks))
        sb->free_blocks = free_blocks;
    if (sb->free_inodes != free_inodes && problem(1, "superblock: free_inodes is %u, counted %u", sb->free_inodes,
                                                  free_inodes))
        sb->free_inodes = free_inodes;
}

static void usage(void)
{
    fprintf(stderr, "usage: fsck.mfs [-n] [-y] [-v] IMAGE\n"
                    "  -n  check only, change nothing (a journal is replayed in memory only)\n"
                    "  -y  repair what is safe: bitmaps, counts, link counts, orphans, bad entries\n"
                    "  -v  say what each pass does\n"
                    "exit: 0 clean, 1 repaired, 4 errors left, 8 cannot check\n");
    exit(EXIT_OPERATIONAL);
}

int main(int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, "nyvfp")) != -1) {
        switch (opt) {
        case 'n': no = 1; break;
        case 'y': yes = 1; break;
        case 'v': verbose = 1; break;
        case 'f': case 'p': break; /* accepted for e2fsck habits: every run is a full check */
        default: usage();
        }
    }
    if (optind != argc - 1 || (yes && no))
        usage();
    if (mfs_open(&img, argv[optind], no ? MFS_OPEN_PRIVATE : MFS_OPEN_RW) < 0)
        return EXIT_OPERATIONAL;
    sb = img.sb;
    if (verbose)
        note("pass 0: superblock and journal");
    if (check_super() < 0 || check_journal() < 0) {
        printf("%s: cannot check a file system whose superblock is unusable\n", img.path);
        return EXIT_LEFT;
    }
    if (sb->state == MFS_STATE_DIRTY)
        note("was not cleanly unmounted (state DIRTY)");
    uint32_t count = sb->inode_count;
    istate = calloc(count, 1);
    refs = calloc(count, sizeof(uint32_t));
    subdirs = calloc(count, sizeof(uint32_t));
    reached = calloc(count, 1);

    if (verbose)
        note("pass 1: inodes");
    for (uint32_t ino = 1; ino < count; ino++)
        check_inode(ino, mfs_inode_at(&img, ino));
    struct mfs_inode *root = mfs_inode_at(&img, MFS_ROOT_INO);
    if (istate[MFS_ROOT_INO] != I_USED || !S_ISDIR(root->mode)) {
        problem(0, "the root inode is not a directory in use");
        printf("%s: cannot check the tree without a root\n", img.path);
        return EXIT_LEFT;
    }
    if (verbose)
        note("pass 2: directory tree");
    check_tree();
    if (verbose)
        note("pass 3: reachability and link counts");
    check_links();
    if (verbose)
        note("pass 4: blocks, bitmaps and free counts");
    uint32_t used_inodes, used_blocks;
    check_bitmaps(&used_inodes, &used_blocks);

    if (!no && yes && errors_left == 0 && sb->state != MFS_STATE_CLEAN)
        sb->state = MFS_STATE_CLEAN;
    if (yes)
        sb->checksum = mfs_super_checksum(sb);
    printf("%s: %u/%u files, %u/%u blocks\n", img.path, used_inodes, count - 1, used_blocks, sb->total_blocks);
    if (errors_fixed)
        printf("\n%s: ***** FILE SYSTEM WAS MODIFIED *****\n", img.path);
    if (errors_left)
        printf("%s: %u errors left uncorrected%s\n", img.path, errors_left, yes ? "" : " (run with -y to repair)");
    mfs_close(&img);
    return errors_left ? EXIT_LEFT : errors_fixed ? EXIT_FIXED : 0;
}
