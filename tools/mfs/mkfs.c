/*
 * mkfs.mfs: create an MFS image and copy a host folder's tree into it.
 *
 *   mkfs.mfs [-s SIZE] [-N INODES] [-L LABEL] [-j JOURNAL_BLOCKS] [-o]
 *            [-c 'GLOB=ALG[:LEVEL][/CLUSTER]']... [-d FOLDER] IMAGE
 *
 * The image is a sparse file mapped into memory; blocks are handed out in
 * order (a bump allocator), so every file's blocks are contiguous, with an
 * indirect block just before the data blocks it maps. All-zero blocks (and
 * all-zero clusters of compressed files) become holes.
 */
#include "mfslib.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

struct rule {
    const char *glob;
    int alg, level, shift;
};

static struct mfs_img img;
static uint32_t next_block, next_ino = MFS_ROOT_INO;
static uint32_t used_blocks, used_inodes;
static struct rule *rules;
static int nrules, keep_owner, any_compressed;
static uint8_t *ibitmap, *bbitmap;

/* Hard links in the host tree: (dev, ino) -> MFS inode. */
struct hardlink {
    dev_t dev;
    ino_t ino;
    uint32_t mfs_ino;
};
static struct hardlink *links;
static size_t nlinks, links_cap;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mkfs.mfs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static uint32_t alloc_block(void)
{
    if (next_block >= img.sb->total_blocks)
        die("the image is full (%u blocks): use a larger -s", img.sb->total_blocks);
    mfs_bit_set(bbitmap, next_block);
    used_blocks++;
    memset(mfs_block(&img, next_block), 0, MFS_BLOCK_SIZE);
    return next_block++;
}

static uint32_t alloc_inode(void)
{
    if (next_ino >= img.sb->inode_count)
        die("out of inodes (%u): use a larger -N", img.sb->inode_count);
    mfs_bit_set(ibitmap, next_ino);
    used_inodes++;
    return next_ino++;
}

/* The pointer slot of logical block lblk, allocating indirect blocks on the way. */
static uint32_t *slot_for(struct mfs_inode *d, uint64_t lblk)
{
    if (lblk >= MFS_MAX_FILE_BLOCKS)
        die("a file is larger than MFS allows");
    if (lblk >= MFS_NDIRECT && d->ptr[MFS_IND] == 0) {
        d->ptr[MFS_IND] = alloc_block();
        d->blocks++;
    }
    if (lblk >= MFS_NDIRECT + MFS_PTRS_PER_BLOCK) {
        if (d->ptr[MFS_DIND] == 0) {
            d->ptr[MFS_DIND] = alloc_block();
            d->blocks++;
        }
        uint64_t i = (lblk - MFS_NDIRECT - MFS_PTRS_PER_BLOCK) / MFS_PTRS_PER_BLOCK;
        uint32_t *dind = (uint32_t *)mfs_block(&img, d->ptr[MFS_DIND]);
        if (dind[i] == 0) {
            dind[i] = alloc_block();
            d->blocks++;
        }
    }
    int err;
    uint32_t *slot = mfs_bmap_slot(&img, d, lblk, &err);
    if (!slot)
        die("internal error: no slot for block %llu", (unsigned long long)lblk);
    return slot;
}

static void put_block(struct mfs_inode *d, uint64_t lblk, const uint8_t *data, uint32_t flags)
{
    uint32_t *slot = slot_for(d, lblk);
    uint32_t b = alloc_block();
    memcpy(mfs_block(&img, b), data, MFS_BLOCK_SIZE);
    *slot = b | flags;
    d->blocks++;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static size_t read_full(int fd, uint8_t *buf, size_t n, const char *path)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0)
            die("%s: read: %s", path, strerror(errno));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* Copy a host file's bytes into inode d, compressed per its comp fields. */
static void write_file_data(struct mfs_inode *d, const char *host, uint64_t size)
{
    int fd = open(host, O_RDONLY);
    if (fd < 0)
        die("%s: %s", host, strerror(errno));
    uint32_t cb = mfs_cluster_blocks(d);
    size_t cbytes = (size_t)cb * MFS_BLOCK_SIZE;
    uint8_t *buf = calloc(1, cbytes), *enc = malloc(mfs_encode_bound(cbytes));
    for (uint64_t pos = 0, lblk = 0; pos < size; pos += cbytes, lblk += cb) {
        size_t len = size - pos < cbytes ? (size_t)(size - pos) : cbytes;
        memset(buf, 0, cbytes);
        if (read_full(fd, buf, len, host) != len)
            die("%s: the file shrank while being copied", host);
        if (all_zero(buf, len))
            continue;
        size_t n = mfs_is_compressed(d) ? mfs_encode_cluster(d->comp_alg, d->comp_level, buf, len, enc,
                                                             mfs_encode_bound(cbytes))
                                        : 0;
        if (n) {
            for (size_t k = 0; k * MFS_BLOCK_SIZE < n; k++)
                put_block(d, lblk + k, enc + k * MFS_BLOCK_SIZE, MFS_BP_FRAME);
            continue;
        }
        for (size_t k = 0; k * MFS_BLOCK_SIZE < len; k++)
            if (!all_zero(buf + k * MFS_BLOCK_SIZE, MFS_BLOCK_SIZE))
                put_block(d, lblk + k, buf + k * MFS_BLOCK_SIZE, 0);
    }
    free(buf);
    free(enc);
    close(fd);
}

/* A directory's entries as they are built: whole 4 KiB blocks. */
struct dirbuf {
    uint8_t *blocks;
    size_t nblocks;
    uint32_t off, last_off;
};

static void dirbuf_close_block(struct dirbuf *db)
{
    if (db->nblocks == 0)
        return;
    struct mfs_dirent *last = (struct mfs_dirent *)(db->blocks + (db->nblocks - 1) * MFS_BLOCK_SIZE + db->last_off);
    last->rec_len = (uint16_t)(MFS_BLOCK_SIZE - db->last_off);
}

static void dirbuf_add(struct dirbuf *db, const char *name, uint32_t ino, uint8_t type)
{
    size_t len = strlen(name);
    if (len > MFS_NAME_MAX)
        die("%s: name longer than %d bytes", name, MFS_NAME_MAX);
    uint32_t need = MFS_DIRENT_LEN(len);
    if (db->nblocks == 0 || db->off + need > MFS_BLOCK_SIZE) {
        dirbuf_close_block(db);
        db->blocks = realloc(db->blocks, (db->nblocks + 1) * MFS_BLOCK_SIZE);
        memset(db->blocks + db->nblocks * MFS_BLOCK_SIZE, 0, MFS_BLOCK_SIZE);
        db->nblocks++;
        db->off = 0;
    }
    uint8_t *p = db->blocks + (db->nblocks - 1) * MFS_BLOCK_SIZE + db->off;
    struct mfs_dirent e = {ino, (uint16_t)need, (uint8_t)len, type};
    memcpy(p, &e, MFS_DIRENT_HEADER);
    memcpy(p + MFS_DIRENT_HEADER, name, len);
    db->last_off = db->off;
    db->off += need;
}

static const struct rule *rule_for(const char *path)
{
    const struct rule *r = NULL;
    for (int i = 0; i < nrules; i++) /* the last matching rule wins */
        if (fnmatch(rules[i].glob, path, 0) == 0)
            r = &rules[i];
    return r;
}

static void fill_inode(struct mfs_inode *d, const struct stat *st, const char *path)
{
    memset(d, 0, sizeof(*d));
    d->mode = (uint16_t)st->st_mode;
    d->nlink = 1;
    d->uid = keep_owner ? st->st_uid : 0;
    d->gid = keep_owner ? st->st_gid : 0;
    d->atime_sec = st->st_atim.tv_sec;
    d->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
    d->mtime_sec = d->ctime_sec = st->st_mtim.tv_sec;
    d->mtime_nsec = d->ctime_nsec = (uint32_t)st->st_mtim.tv_nsec;
    d->generation = 1;
    /* A directory takes the rule its new files would match, so a home-star rule covers /home too. */
    char dirpath[4100];
    snprintf(dirpath, sizeof(dirpath), "%s/", strcmp(path, "/") ? path : "");
    const struct rule *r = rule_for(S_ISDIR(st->st_mode) ? dirpath : path);
    if (r && r->alg != MFS_COMP_NONE && (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))) {
        d->comp_alg = (uint8_t)r->alg;
        d->comp_level = (uint8_t)r->level;
        d->cluster_shift = (uint8_t)r->shift;
        any_compressed = 1;
    }
}

static uint32_t *hardlink_find(const struct stat *st)
{
    for (size_t i = 0; i < nlinks; i++)
        if (links[i].dev == st->st_dev && links[i].ino == st->st_ino)
            return &links[i].mfs_ino;
    return NULL;
}

static void hardlink_add(const struct stat *st, uint32_t ino)
{
    if (nlinks == links_cap) {
        links_cap = links_cap ? 2 * links_cap : 64;
        links = realloc(links, links_cap * sizeof(*links));
    }
    links[nlinks++] = (struct hardlink){st->st_dev, st->st_ino, ino};
}

/* Copy host folder `host` into directory inode dino (image path `path`), whose parent is pino. */
static void copy_dir(const char *host, const char *path, uint32_t dino, uint32_t pino)
{
    struct dirent **names = NULL;
    int n = host ? scandir(host, &names, NULL, alphasort) : 0;
    if (n < 0)
        die("%s: %s", host, strerror(errno));
    struct dirbuf db = {0};
    uint32_t subdirs = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char hpath[4096], ipath[4096];
        if (snprintf(hpath, sizeof(hpath), "%s/%s", host, name) >= (int)sizeof(hpath) ||
            snprintf(ipath, sizeof(ipath), "%s/%s", strcmp(path, "/") ? path : "", name) >= (int)sizeof(ipath))
            die("%s/%s: path too long", host, name);
        struct stat st;
        if (lstat(hpath, &st) < 0)
            die("%s: %s", hpath, strerror(errno));
        if (S_ISSOCK(st.st_mode)) {
            fprintf(stderr, "mkfs.mfs: %s: skipping a socket\n", hpath);
            continue;
        }
        uint32_t *linked = !S_ISDIR(st.st_mode) && st.st_nlink > 1 ? hardlink_find(&st) : NULL;
        if (linked) {
            mfs_inode_at(&img, *linked)->nlink++;
            dirbuf_add(&db, name, *linked, mfs_mode_to_dtype((uint16_t)st.st_mode));
            continue;
        }
        uint32_t ino = alloc_inode();
        struct mfs_inode *d = mfs_inode_at(&img, ino);
        fill_inode(d, &st, ipath);
        if (S_ISREG(st.st_mode)) {
            d->size = (uint64_t)st.st_size;
            write_file_data(d, hpath, d->size);
            if (st.st_nlink > 1)
                hardlink_add(&st, ino);
        } else if (S_ISDIR(st.st_mode)) {
            copy_dir(hpath, ipath, ino, dino);
            subdirs++;
        } else if (S_ISLNK(st.st_mode)) {
            char target[MFS_BLOCK_SIZE];
            ssize_t len = readlink(hpath, target, sizeof(target));
            if (len < 0 || len >= (ssize_t)sizeof(target))
                die("%s: cannot read the link (or it is 4096 bytes or longer)", hpath);
            d->size = (uint64_t)len;
            if (len <= (ssize_t)MFS_INLINE_SYMLINK_MAX) {
                d->flags |= MFS_IFLAG_INLINE_SYMLINK;
                memcpy(d->ptr, target, (size_t)len);
            } else {
                uint8_t blk[MFS_BLOCK_SIZE] = {0};
                memcpy(blk, target, (size_t)len);
                put_block(d, 0, blk, 0);
            }
        } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            uint32_t ma = major(st.st_rdev), mi = minor(st.st_rdev);
            d->rdev = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12); /* Linux new_encode_dev */
            if (st.st_nlink > 1)
                hardlink_add(&st, ino);
        } else if (st.st_nlink > 1) {
            hardlink_add(&st, ino);
        }
        dirbuf_add(&db, name, ino, mfs_mode_to_dtype(d->mode));
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);

    struct mfs_inode *d = mfs_inode_at(&img, dino);
    dirbuf_close_block(&db);
    for (size_t i = 0; i < db.nblocks; i++)
        put_block(d, i, db.blocks + i * MFS_BLOCK_SIZE, 0);
    d->size = (uint64_t)db.nblocks * MFS_BLOCK_SIZE;
    d->nlink = 2 + subdirs;
    d->parent = pino;
    free(db.blocks);
}

static uint64_t parse_size(const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        die("bad size '%s'", s);
    switch (*end) {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
    if (*end && strcmp(end, "iB") && strcmp(end, "B"))
        die("bad size '%s'", s);
    return v;
}

/* GLOB=ALG[:LEVEL][/CLUSTER] */
static struct rule parse_rule(char *arg)
{
    struct rule r = {NULL, 0, 0, MFS_CLUSTER_SHIFT_DEFAULT};
    char *eq = strrchr(arg, '=');
    if (!eq || eq == arg)
        die("bad rule '%s': GLOB=ALG[:LEVEL][/CLUSTER]", arg);
    *eq = 0;
    r.glob = arg;
    char *alg = eq + 1, *slash = strchr(alg, '/'), *colon = strchr(alg, ':');
    if (slash) {
        *slash = 0;
        uint64_t c = parse_size(slash + 1);
        int shift = 0;
        while ((1ull << shift) < c)
            shift++;
        if ((1ull << shift) != c || shift < MFS_CLUSTER_SHIFT_MIN || shift > MFS_CLUSTER_SHIFT_MAX)
            die("bad cluster size '%s': a power of two from 16k to 256k", slash + 1);
        r.shift = shift;
    }
    if (colon) {
        *colon = 0;
        r.level = atoi(colon + 1);
    }
    if (strcmp(alg, "none") == 0)
        r.alg = MFS_COMP_NONE;
    else if (strcmp(alg, "rle") == 0)
        r.alg = MFS_COMP_RLE;
    else if (strcmp(alg, "lz4") == 0)
        r.alg = MFS_COMP_LZ4;
    else if (strcmp(alg, "zstd") == 0)
        r.alg = MFS_COMP_ZSTD;
    else
        die("unknown algorithm '%s' (none, rle, lz4, zstd)", alg);
    if ((r.alg == MFS_COMP_ZSTD && (r.level < 0 || r.level > 22)) ||
        (r.alg == MFS_COMP_LZ4 && (r.level < 0 || r.level == 2 || r.level > 12)) ||
        (r.alg == MFS_COMP_RLE && r.level != 0))
        die("bad level %d for %s (zstd 1..22, lz4 1 or 3..12, rle none)", r.level, alg);
    return r;
}

static void usage(void)
{
    fprintf(stderr, "usage: mkfs.mfs [-s SIZE] [-N INODES] [-L LABEL] [-j JOURNAL_BLOCKS] [-o]\n"
                    "                [-c 'GLOB=ALG[:LEVEL][/CLUSTER]']... [-d FOLDER] IMAGE\n"
                    "  SIZE defaults to 256M, INODES to 16384, JOURNAL_BLOCKS to 1024;\n"
                    "  -o keeps the host owners (default: root); ALG is none, rle, lz4 or zstd;\n"
                    "  GLOB matches the path inside the image; the last matching rule wins.\n");
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t size = 256ull << 20;
    uint64_t inodes = 16384, jblocks = 1024;
    const char *label = "", *folder = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "s:N:L:j:c:d:oh")) != -1) {
        switch (opt) {
        case 's': size = parse_size(optarg); break;
        case 'N': inodes = parse_size(optarg); break;
        case 'L': label = optarg; break;
        case 'j': jblocks = parse_size(optarg); break;
        case 'c':
            rules = realloc(rules, (size_t)(nrules + 1) * sizeof(*rules));
            rules[nrules++] = parse_rule(optarg);
            break;
        case 'd': folder = optarg; break;
        case 'o': keep_owner = 1; break;
        default: usage();
        }
    }
    if (optind != argc - 1)
        usage();
    const char *path = argv[optind];
    uint64_t total = size / MFS_BLOCK_SIZE;
    if (total > MFS_MAX_BLOCKS || total < 64)
        die("size must be between 256K and 1T");
    if (inodes < 16 || inodes > (1u << 24))
        die("-N must be between 16 and 16M");
    inodes = (inodes + MFS_INODES_PER_BLOCK - 1) / MFS_INODES_PER_BLOCK * MFS_INODES_PER_BLOCK;
    if (jblocks < 2 || jblocks > total / 4)
        die("-j must be between 2 and a quarter of the blocks");
    if (strlen(label) >= sizeof(img.sb->label))
        die("the label is longer than 31 bytes");
    uint64_t bitmap_blocks = (inodes + MFS_BLOCK_SIZE * 8 - 1) / (MFS_BLOCK_SIZE * 8) +
                             (total + MFS_BLOCK_SIZE * 8 - 1) / (MFS_BLOCK_SIZE * 8);
    if (bitmap_blocks > MFS_BITMAP_CRC_MAX)
        die("%llu blocks and %llu inodes need %llu bitmap blocks, but the superblock holds checksums for %u "
            "(with up to 32768 inodes, MFS holds at most %u MiB)",
            (unsigned long long)total, (unsigned long long)inodes, (unsigned long long)bitmap_blocks,
            MFS_BITMAP_CRC_MAX, (MFS_BITMAP_CRC_MAX - 1) * 128);
    struct stat root_st;
    if (folder && (stat(folder, &root_st) < 0 || !S_ISDIR(root_st.st_mode)))
        die("%s: not a folder", folder);

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)(total * MFS_BLOCK_SIZE)) < 0)
        die("%s: %s", path, strerror(errno));
    close(fd);
    struct mfs_img tmp;
    if (mfs_open(&tmp, path, MFS_OPEN_RW) < 0)
        exit(1);
    img = tmp;

    struct mfs_super *s = img.sb;
    s->magic = MFS_MAGIC;
    s->version = MFS_VERSION;
    s->block_size = MFS_BLOCK_SIZE;
    s->inode_size = sizeof(struct mfs_inode);
    s->total_blocks = (uint32_t)total;
    s->inode_count = (uint32_t)inodes;
    s->journal_start = 1;
    s->journal_blocks = (uint32_t)jblocks;
    s->ibitmap_start = s->journal_start + s->journal_blocks;
    s->ibitmap_blocks = (uint32_t)((inodes + MFS_BLOCK_SIZE * 8 - 1) / (MFS_BLOCK_SIZE * 8));
    s->bbitmap_start = s->ibitmap_start + s->ibitmap_blocks;
    s->bbitmap_blocks = (uint32_t)((total + MFS_BLOCK_SIZE * 8 - 1) / (MFS_BLOCK_SIZE * 8));
    s->itable_start = s->bbitmap_start + s->bbitmap_blocks;
    s->itable_blocks = (uint32_t)(inodes / MFS_INODES_PER_BLOCK);
    s->data_start = s->itable_start + s->itable_blocks;
    if (s->data_start + 16 > total)
        die("the image is too small for %llu inodes and a %llu-block journal",
            (unsigned long long)inodes, (unsigned long long)jblocks);
    s->root_ino = MFS_ROOT_INO;
    s->state = MFS_STATE_CLEAN;
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    s->mkfs_time = epoch ? strtoull(epoch, NULL, 10) : (uint64_t)time(NULL);
    if (getrandom(s->uuid, sizeof(s->uuid), 0) != sizeof(s->uuid))
        memset(s->uuid, 0x42, sizeof(s->uuid));
    strncpy(s->label, label, sizeof(s->label) - 1);

    struct mfs_journal_header *jh = (struct mfs_journal_header *)mfs_block(&img, s->journal_start);
    jh->magic = MFS_JOURNAL_MAGIC;
    jh->checksum = mfs_journal_checksum(jh);

    /* Bitmaps: metadata blocks, inode 0, and the bits past the end are "in use". */
    ibitmap = mfs_block(&img, s->ibitmap_start);
    bbitmap = mfs_block(&img, s->bbitmap_start);
    for (uint64_t b = 0; b < (uint64_t)s->bbitmap_blocks * MFS_BLOCK_SIZE * 8; b++)
        if (b < s->data_start || b >= total)
            mfs_bit_set(bbitmap, b);
    for (uint64_t i = inodes; i < (uint64_t)s->ibitmap_blocks * MFS_BLOCK_SIZE * 8; i++)
        mfs_bit_set(ibitmap, i);
    mfs_bit_set(ibitmap, 0);
    used_blocks = s->data_start;
    next_block = s->data_start;

    uint32_t root = alloc_inode();
    struct stat st;
    if (folder) {
        st = root_st;
    } else {
        memset(&st, 0, sizeof(st));
        st.st_mode = S_IFDIR | 0755;
        st.st_mtim.tv_sec = st.st_atim.tv_sec = (time_t)s->mkfs_time;
    }
    fill_inode(mfs_inode_at(&img, root), &st, "/");
    copy_dir(folder, "/", root, root);

    for (uint32_t ino = 1; ino < next_ino; ino++)
        mfs_inode_seal(ino, mfs_inode_at(&img, ino));
    if (any_compressed)
        s->feature_incompat |= MFS_FEAT_INCOMPAT_COMPRESSION;
    s->free_blocks = s->total_blocks - used_blocks;
    s->free_inodes = s->inode_count - 1 - used_inodes;
    mfs_bitmaps_seal(&img);
    s->checksum = mfs_super_checksum(s);
    printf("%s: %u/%u inodes, %u/%u blocks used (%llu MiB)\n", path, used_inodes, s->inode_count - 1,
           used_blocks, s->total_blocks, (unsigned long long)(size >> 20));
    mfs_close(&img);
    return 0;
}
