/*
 * corrupt-image: copy an MFS image with one seeded random corruption, to
 * test that the kernel refuses it at mount or returns -EIO, and that
 * fsck.mfs finds it.
 *
 *   corrupt-image --seed N IMAGE OUT
 *
 * Kinds (chosen by the seed): a superblock field set to a random value
 * (checksum recomputed half the time, so the field checks run and not only
 * the checksum); an inode pointer outside the disk (checksum recomputed); a
 * directory entry with a bad rec_len or name_len; a directory cycle (an
 * entry pointing at an ancestor); a compressed cluster whose frame is
 * garbage; random bytes in a random metadata block. Prints one line saying
 * what it did. The same seed on the same image does the same thing.
 */
#include "mfslib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct mfs_img img;
static uint64_t rng_state;

/* splitmix64: small, and the same on every host. */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t rnd_below(uint32_t n) { return n ? (uint32_t)(rnd() % n) : 0; }

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "corrupt-image: %s%s%s\n", arg ? arg : "", arg ? ": " : "", msg);
    exit(1);
}

/* Copy in to out keeping holes (images are sparse). */
static void copy_sparse(const char *in, const char *out)
{
    int fi = open(in, O_RDONLY), fo = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fi < 0)
        die(strerror(errno), in);
    if (fo < 0)
        die(strerror(errno), out);
    off_t size = lseek(fi, 0, SEEK_END);
    if (ftruncate(fo, size) < 0)
        die(strerror(errno), out);
    off_t pos = 0;
    while (pos < size) {
        off_t data = lseek(fi, pos, SEEK_DATA);
        if (data < 0)
            break;
        off_t hole = lseek(fi, data, SEEK_HOLE);
        off_t a = data, b = hole;
        while (a < b) {
            ssize_t n = copy_file_range(fi, &a, fo, &(off_t){a}, (size_t)(b - a), 0);
            if (n <= 0)
                die("copy failed", out);
        }
        pos = hole;
    }
    close(fi);
    close(fo);
}

/* ---- what the image holds ---- */
struct dir_info {
    uint32_t ino, parent_idx; /* parent_idx: index in dirs[] (the root points at itself) */
};
static struct dir_info dirs[4096];
static uint32_t ndirs;
static uint32_t files[4096], nfiles, compressed[1024], ncompressed;

struct scan_ctx {
    uint32_t idx;
};

static int scan_fn(const struct mfs_dirent_view *e, void *vctx)
{
    struct scan_ctx *c = vctx;
    struct mfs_inode *d = mfs_inode_at(&img, e->ino);
    if (!d || !mfs_inode_checksum_ok(e->ino, d))
        return 0;
    if (S_ISDIR(d->mode) && ndirs < 4096) {
        for (uint32_t i = 0; i < ndirs; i++)
            if (dirs[i].ino == e->ino)
                return 0; /* already a cycle: do not loop */
        dirs[ndirs++] = (struct dir_info){e->ino, c->idx};
    } else if (S_ISREG(d->mode) && nfiles < 4096) {
        files[nfiles++] = e->ino;
        if (mfs_is_compressed(d) && ncompressed < 1024)
            compressed[ncompressed++] = e->ino;
    }
    return 0;
}

static void scan_tree(void)
{
    dirs[0] = (struct dir_info){MFS_ROOT_INO, 0};
    ndirs = 1;
    for (uint32_t i = 0; i < ndirs; i++) {
        struct mfs_inode *d = mfs_inode_at(&img, dirs[i].ino);
        struct scan_ctx c = {i};
        const char *why;
        if (d && mfs_inode_checksum_ok(dirs[i].ino, d))
            mfs_dir_iterate(&img, d, scan_fn, &c, &why);
    }
}

/* ---- the corruptions ---- */

struct field {
    const char *name;
    size_t off, size;
};
#define F(n) {#n, offsetof(struct mfs_super, n), sizeof(((struct mfs_super *)0)->n)}
static const struct field super_fields[] = {
    F(magic), F(version), F(block_size), F(inode_size), F(feature_incompat), F(feature_compat),
    F(total_blocks), F(inode_count), F(journal_start), F(journal_blocks), F(ibitmap_start),
    F(ibitmap_blocks), F(bbitmap_start), F(bbitmap_blocks), F(itable_start), F(itable_blocks),
    F(data_start), F(root_ino), F(free_blocks), F(free_inodes), F(state), F(mount_count),
    F(mkfs_time), F(mount_time), F(uuid), F(label), F(bitmap_crc), F(checksum),
};
#undef F

static void corrupt_super(void)
{
    const struct field *f = &super_fields[rnd_below(sizeof(super_fields) / sizeof(super_fields[0]))];
    uint8_t *p = img.base + f->off;
    uint64_t old = 0, val;
    memcpy(&old, p, f->size < 8 ? f->size : 8);
    switch (rnd_below(5)) {
    case 0: val = 0; break;
    case 1: val = old + 1; break;
    case 2: val = old - 1; break;
    case 3: val = ~0ull; break;
    default: val = rnd(); break;
    }
    if (val == old)
        val = ~old;
    if (f->size > 8) {
        for (size_t i = 0; i < f->size; i++)
            p[i] = (uint8_t)rnd();
    } else {
        memcpy(p, &val, f->size);
    }
    int reseal = f->off != offsetof(struct mfs_super, checksum) && rnd_below(2);
    if (reseal)
        img.sb->checksum = mfs_super_checksum(img.sb);
    uint64_t now = 0;
    memcpy(&now, p, f->size < 8 ? f->size : 8);
    /* Fields where the format allows any value: with a good checksum, nothing is wrong. */
    int anything_goes = f->off == offsetof(struct mfs_super, feature_compat) ||
                        f->off == offsetof(struct mfs_super, mount_count) ||
                        f->off == offsetof(struct mfs_super, mkfs_time) ||
                        f->off == offsetof(struct mfs_super, mount_time) ||
                        f->off == offsetof(struct mfs_super, uuid) || f->off == offsetof(struct mfs_super, label);
    printf("superblock field %s: %#llx -> %#llx (%s)%s\n", f->name, (unsigned long long)old,
           (unsigned long long)now, reseal ? "checksum recomputed" : "checksum left stale",
           reseal && anything_goes ? " (benign: the format allows any value there)" : "");
}

static int corrupt_inode_pointer(void)
{
    if (nfiles + ndirs == 0)
        return -1;
    uint32_t pick = rnd_below(nfiles + ndirs);
    uint32_t ino = pick < nfiles ? files[pick] : dirs[pick - nfiles].ino;
    struct mfs_inode *d = mfs_inode_at(&img, ino);
    /* Prefer a pointer in use, so the bad one is on a path the kernel reads. */
    int slot = -1;
    for (int i = 0; i < MFS_NPTRS; i++)
        if (d->ptr[i] && (slot < 0 || rnd_below(2)))
            slot = i;
    if (slot < 0)
        slot = (int)rnd_below(MFS_NDIRECT);
    uint32_t old = d->ptr[slot];
    uint32_t bad = rnd_below(2) ? img.sb->total_blocks + rnd_below(1u << 20) : MFS_BP_BLOCK((uint32_t)rnd());
    if (bad < img.sb->total_blocks) /* keep it outside the disk */
        bad = img.sb->total_blocks + bad % 4096;
    d->ptr[slot] = bad | (old & MFS_BP_FRAME);
    mfs_inode_seal(ino, d);
    printf("inode %u: ptr[%d] %#x -> %#x, outside the %u-block disk (checksum recomputed)\n", ino, slot, old,
           d->ptr[slot], img.sb->total_blocks);
    return 0;
}

/* A random directory block of a random directory that has one. */
static uint8_t *pick_dir_block(uint32_t *dino)
{
    for (int tries = 0; tries < 64; tries++) {
        struct dir_info *di = &dirs[rnd_below(ndirs)];
        struct mfs_inode *d = mfs_inode_at(&img, di->ino);
        uint64_t n = d->size / MFS_BLOCK_SIZE;
        if (n == 0)
            continue;
        int err;
        uint32_t *s = mfs_bmap_slot(&img, d, rnd_below((uint32_t)n), &err);
        if (s && mfs_data_block_ok(&img, *s)) {
            *dino = di->ino;
            return mfs_block(&img, *s);
        }
    }
    return NULL;
}

static int corrupt_dirent(void)
{
    uint32_t dino;
    uint8_t *blk = pick_dir_block(&dino);
    if (!blk)
        return -1;
    /* Pick an entry by walking the tiling a random number of steps. */
    uint32_t off = 0, steps = rnd_below(16);
    struct mfs_dirent *e = (struct mfs_dirent *)blk;
    for (uint32_t i = 0; i < steps; i++) {
        if (e->rec_len < MFS_DIRENT_HEADER || off + e->rec_len >= MFS_BLOCK_SIZE)
            break;
        off += e->rec_len;
        e = (struct mfs_dirent *)(blk + off);
    }
    if (rnd_below(2)) {
        static const uint16_t bad[] = {0, 4, 7, 9, 4100, 0xfff8, 1};
        uint16_t old = e->rec_len, v = bad[rnd_below(sizeof(bad) / sizeof(bad[0]))];
        if (v == 1)
            v = (uint16_t)(MFS_BLOCK_SIZE - off + 8 * (1 + rnd_below(64))); /* crosses the block end */
        e->rec_len = v;
        printf("directory %u: entry at offset %u: rec_len %u -> %u\n", dino, off, old, v);
    } else {
        uint8_t old = e->name_len, v = rnd_below(2) ? 0 : (uint8_t)(e->rec_len - MFS_DIRENT_HEADER + 1 + rnd_below(8));
        if (v == old)
            v = 0;
        e->name_len = v;
        printf("directory %u: entry at offset %u: name_len %u -> %u (rec_len %u)\n", dino, off, old, v, e->rec_len);
    }
    return 0;
}

static int corrupt_cycle(void)
{
    /* A directory with entries, and one of its ancestors (or itself). */
    for (int tries = 0; tries < 64; tries++) {
        uint32_t i = rnd_below(ndirs);
        struct mfs_inode *d = mfs_inode_at(&img, dirs[i].ino);
        if (d->size == 0)
            continue;
        uint32_t anc = i, up = rnd_below(8);
        for (uint32_t k = 0; k < up && anc != 0; k++)
            anc = dirs[anc].parent_idx;
        int err;
        uint32_t *s = mfs_bmap_slot(&img, d, 0, &err);
        if (!s || !mfs_data_block_ok(&img, *s))
            continue;
        uint8_t *blk = mfs_block(&img, *s);
        struct mfs_dirent *e = (struct mfs_dirent *)blk;
        if (e->ino == 0)
            continue;
        uint32_t old = e->ino;
        e->ino = dirs[anc].ino;
        e->type = 4; /* DT_DIR */
        printf("directory %u: entry '%.*s' (inode %u) now points at ancestor directory %u: a cycle\n", dirs[i].ino,
               e->name_len, (char *)e + MFS_DIRENT_HEADER, old, dirs[anc].ino);
        return 0;
    }
    return -1;
}

static int corrupt_frame(void)
{
    if (ncompressed == 0)
        return -1;
    for (int tries = 0; tries < 64; tries++) {
        uint32_t ino = compressed[rnd_below(ncompressed)];
        struct mfs_inode *d = mfs_inode_at(&img, ino);
        uint64_t nblocks = (d->size + MFS_BLOCK_SIZE - 1) / MFS_BLOCK_SIZE;
        if (nblocks == 0)
            continue;
        uint32_t cb = mfs_cluster_blocks(d);
        uint64_t c = rnd_below((uint32_t)((nblocks + cb - 1) / cb));
        int err;
        uint32_t *s = mfs_bmap_slot(&img, d, c * cb, &err);
        if (!s || !(*s & MFS_BP_FRAME) || !mfs_data_block_ok(&img, MFS_BP_BLOCK(*s)))
            continue;
        uint8_t *blk = mfs_block(&img, MFS_BP_BLOCK(*s));
        /* Keep the frame's magic half the time, so the decoder must find the damage deeper. */
        uint32_t from = rnd_below(2) ? 4 : 0, len = 16 + rnd_below(MFS_BLOCK_SIZE - 16 - 4);
        for (uint32_t i = from; i < from + len; i++)
            blk[i] = (uint8_t)rnd();
        printf("inode %u (%s): cluster %llu: frame bytes %u..%u overwritten with garbage\n", ino,
               mfs_alg_name(d->comp_alg), (unsigned long long)c, from, from + len - 1);
        return 0;
    }
    return -1;
}

static void corrupt_metadata_block(void)
{
    struct mfs_super *s = img.sb;
    uint32_t dino, b, lo = 0, hi = MFS_BLOCK_SIZE; /* the bytes of the block that mean something */
    const char *what;
    uint8_t *blk = NULL;
    switch (rnd_below(5)) {
    case 0: b = 0; hi = sizeof(struct mfs_super); what = "superblock"; break;
    case 1: b = s->journal_start; hi = sizeof(struct mfs_journal_header); what = "journal header"; break;
    case 2: {
        /*
         * The first bitmap block, in its bytes that map real inodes or blocks. Its
         * checksum in the superblock is left alone: this models random damage,
         * which the kernel must catch by that checksum.
         */
        int inodes = (int)rnd_below(2);
        uint32_t bits = inodes ? s->inode_count : s->total_blocks;
        b = inodes ? s->ibitmap_start : s->bbitmap_start;
        hi = bits / 8 < MFS_BLOCK_SIZE ? bits / 8 : MFS_BLOCK_SIZE;
        what = inodes ? "inode bitmap block" : "block bitmap block";
        break;
    }
    case 3: {
        /* An inode in use (not inode 0, which nothing reads). */
        uint32_t pick = rnd_below(nfiles + ndirs);
        uint32_t ino = pick < nfiles ? files[pick] : dirs[pick - nfiles].ino;
        b = s->itable_start + ino / MFS_INODES_PER_BLOCK;
        lo = (ino % MFS_INODES_PER_BLOCK) * sizeof(struct mfs_inode);
        hi = lo + sizeof(struct mfs_inode);
        what = "inode table block";
        break;
    }
    default:
        blk = pick_dir_block(&dino);
        b = blk ? (uint32_t)((blk - img.base) / MFS_BLOCK_SIZE) : 0;
        what = blk ? "directory block" : "superblock";
        if (blk) {
            /* The header of a random entry (bytes of a name may well make another valid name). */
            uint32_t off = 0, steps = rnd_below(16);
            for (uint32_t i = 0; i < steps; i++) {
                struct mfs_dirent *e = (struct mfs_dirent *)(blk + off);
                if (e->rec_len < MFS_DIRENT_HEADER || off + e->rec_len + MFS_DIRENT_HEADER > MFS_BLOCK_SIZE)
                    break;
                off += e->rec_len;
            }
            lo = off;
            hi = off + MFS_DIRENT_HEADER;
        } else {
            hi = sizeof(struct mfs_super);
        }
        break;
    }
    blk = mfs_block(&img, b);
    uint32_t len = 1 + rnd_below(hi - lo < 64 ? hi - lo : 64), off = lo + rnd_below(hi - lo - len + 1);
    for (uint32_t i = off; i < off + len; i++)
        blk[i] = (uint8_t)rnd();
    printf("%s %u: bytes %u..%u overwritten with random bytes\n", what, b, off, off + len - 1);
}

int main(int argc, char **argv)
{
    if (argc != 5 || strcmp(argv[1], "--seed") != 0) {
        fprintf(stderr, "usage: corrupt-image --seed N IMAGE OUT\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[2], NULL, 0);
    rng_state = seed * 0x2545f4914f6cdd1dull + 1;
    copy_sparse(argv[3], argv[4]);
    if (mfs_open(&img, argv[4], MFS_OPEN_RW) < 0)
        return 1;
    const char *why = mfs_super_problem(&img);
    if (why)
        die(why, argv[3]);
    scan_tree();
    printf("corrupt-image: seed %llu: ", (unsigned long long)seed);
    int done = -1;
    switch (rnd_below(6)) {
    case 0: corrupt_super(); done = 0; break;
    case 1: done = corrupt_inode_pointer(); break;
    case 2: done = corrupt_dirent(); break;
    case 3: done = corrupt_cycle(); break;
    case 4: done = corrupt_frame(); break;
    default: break;
    }
    if (done < 0)
        corrupt_metadata_block();
    mfs_close(&img);
    return 0;
}
