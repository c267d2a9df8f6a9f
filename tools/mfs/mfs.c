/*
 * mfs: look inside an MFS image without mounting it.
 *
 *   mfs ls IMG [PATH]            list a directory (like ls -l), or one file
 *   mfs cat IMG PATH             a file's contents to stdout (decompressed)
 *   mfs stat IMG PATH            inode fields, compression and the block list
 *   mfs frames IMG PATH OUTDIR   each compressed cluster's raw blocks as
 *                                OUTDIR/cluster-N.lz4|.zst|.rle (lz4 -d / zstd -d decode them)
 *   mfs get IMG PATH HOSTFILE    copy a file out of the image
 *   mfs super IMG                the superblock: layout, state, free counts,
 *                                and whether each bitmap block matches its checksum
 *
 * Every error is one line on stderr and exit status 1.
 */
#include "mfslib.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static struct mfs_img img;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "mfs: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static struct mfs_inode *lookup(const char *path, uint32_t *ino)
{
    const char *why;
    if (mfs_lookup(&img, path, ino, &why) < 0)
        die("%s: %s", path, why);
    return mfs_inode_at(&img, *ino);
}

static void mode_string(uint16_t mode, char out[11])
{
    const char *types = "?pc?d?b?-?l?s???";
    out[0] = types[(mode >> 12) & 15];
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    if (mode & S_ISUID)
        out[3] = out[3] == 'x' ? 's' : 'S';
    if (mode & S_ISGID)
        out[6] = out[6] == 'x' ? 's' : 'S';
    if (mode & S_ISVTX)
        out[9] = out[9] == 'x' ? 't' : 'T';
    out[10] = 0;
}

/* A symlink's target into buf (NUL-terminated), or "?" if it is unreadable. */
static const char *link_target(struct mfs_inode *d, char *buf, size_t cap)
{
    if (d->flags & MFS_IFLAG_INLINE_SYMLINK) {
        size_t n = d->size < cap - 1 && d->size <= MFS_INLINE_SYMLINK_MAX ? d->size : 0;
        memcpy(buf, d->ptr, n);
        buf[n] = 0;
        return buf;
    }
    uint8_t *data;
    const char *why;
    if (d->size >= cap || mfs_read_file(&img, d, &data, &why) < 0)
        return "?";
    memcpy(buf, data, d->size);
    buf[d->size] = 0;
    free(data);
    return buf;
}

static void print_long(uint32_t ino, const char *name, size_t name_len)
{
    struct mfs_inode *d = mfs_inode_at(&img, ino);
    if (!d || !mfs_inode_checksum_ok(ino, d)) {
        printf("?????????? (inode %u is corrupt) %.*s\n", ino, (int)name_len, name);
        return;
    }
    char mode[11], when[32], target[MFS_BLOCK_SIZE + 1];
    mode_string(d->mode, mode);
    time_t t = (time_t)d->mtime_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
    printf("%s %3u %5u %5u %10llu %s %.*s", mode, d->nlink, d->uid, d->gid, (unsigned long long)d->size, when,
           (int)name_len, name);
    if ((d->mode & S_IFMT) == S_IFLNK)
        printf(" -> %s", link_target(d, target, sizeof(target)));
    if (mfs_is_compressed(d))
        printf("  [%s]", mfs_alg_name(d->comp_alg));
    printf("\n");
}

static int ls_fn(const struct mfs_dirent_view *e, void *ctx)
{
    (void)ctx;
    print_long(e->ino, e->name, e->name_len);
    return 0;
}

static int cmd_ls(const char *path)
{
    uint32_t ino;
    struct mfs_inode *d = lookup(path, &ino);
    if ((d->mode & S_IFMT) != S_IFDIR) {
        print_long(ino, path, strlen(path));
        return 0;
    }
    const char *why;
    if (mfs_dir_iterate(&img, d, ls_fn, NULL, &why) < 0)
        die("%s: corrupt directory: %s", path, why);
    return 0;
}

static uint8_t *read_regular(const char *path, uint64_t *size)
{
    uint32_t ino;
    struct mfs_inode *d = lookup(path, &ino);
    if ((d->mode & S_IFMT) != S_IFREG)
        die("%s: not a regular file", path);
    uint8_t *data;
    const char *why;
    if (mfs_read_file(&img, d, &data, &why) < 0)
        die("%s: %s", path, why);
    *size = d->size;
    return data;
}

static void write_all(FILE *f, const uint8_t *p, uint64_t n, const char *what)
{
    if (fwrite(p, 1, n, f) != n || fflush(f) != 0)
        die("%s: write failed: %s", what, strerror(errno));
}

static int cmd_cat(const char *path)
{
    uint64_t size;
    uint8_t *data = read_regular(path, &size);
    write_all(stdout, data, size, "stdout");
    free(data);
    return 0;
}

static int cmd_get(const char *path, const char *host)
{
    uint64_t size;
    uint8_t *data = read_regular(path, &size);
    FILE *f = fopen(host, "wb");
    if (!f)
        die("%s: %s", host, strerror(errno));
    write_all(f, data, size, host);
    fclose(f);
    free(data);
    return 0;
}

/* Print the block list as ranges: "lblk..lblk -> block..block". */
static void print_blocks(struct mfs_inode *d)
{
    if ((d->mode & S_IFMT) == S_IFLNK && (d->flags & MFS_IFLAG_INLINE_SYMLINK))
        return;
    for (int i = MFS_IND; i <= MFS_DIND; i++)
        if (d->ptr[i])
            printf("  %s block: %u\n", i == MFS_IND ? "indirect" : "double-indirect", d->ptr[i]);
    uint64_t nblocks = (d->size + MFS_BLOCK_SIZE - 1) / MFS_BLOCK_SIZE;
    uint64_t run_l = 0, run_n = 0;
    uint32_t run_b = 0, run_flags = 0;
    for (uint64_t l = 0; l <= nblocks; l++) {
        int err = 0;
        uint32_t *s = l < nblocks ? mfs_bmap_slot(&img, d, l, &err) : NULL;
        uint32_t v = s ? *s : 0;
        if (err)
            printf("  block %llu: indirect pointer out of range\n", (unsigned long long)l);
        if (run_n && v && MFS_BP_BLOCK(v) == run_b + run_n && (v & MFS_BP_FLAGS) == run_flags) {
            run_n++;
            continue;
        }
        if (run_n)
            printf("  %llu..%llu -> %u..%u%s\n", (unsigned long long)run_l, (unsigned long long)(run_l + run_n - 1),
                   run_b, (uint32_t)(run_b + run_n - 1), run_flags & MFS_BP_FRAME ? " (frame)" : "");
        run_n = 0;
        if (v) {
            run_l = l;
            run_b = MFS_BP_BLOCK(v);
            run_flags = v & MFS_BP_FLAGS;
            run_n = 1;
        }
    }
}

/* The frame blocks of cluster c: k (0 if the cluster is raw or a hole). */
static uint32_t cluster_frame_blocks(struct mfs_inode *d, uint64_t c, uint32_t *blocks)
{
    uint32_t cb = mfs_cluster_blocks(d), k = 0;
    for (; k < cb; k++) {
        int err;
        uint32_t *s = mfs_bmap_slot(&img, d, c * cb + k, &err);
        if (!s || !(*s & MFS_BP_FRAME))
            break;
        blocks[k] = MFS_BP_BLOCK(*s);
    }
    return k;
}

static int cmd_stat(const char *path)
{
    uint32_t ino;
    struct mfs_inode *d = lookup(path, &ino);
    char mode[11];
    mode_string(d->mode, mode);
    printf("%s: inode %u\n", path, ino);
    printf("  mode %06o (%s)  flags %#x  nlink %u  uid %u  gid %u\n", d->mode, mode, d->flags, d->nlink, d->uid,
           d->gid);
    printf("  size %llu  blocks %llu  generation %u  parent %u  rdev %#x\n", (unsigned long long)d->size,
           (unsigned long long)d->blocks, d->generation, d->parent, d->rdev);
    printf("  atime %lld.%09u  mtime %lld.%09u  ctime %lld.%09u\n", (long long)d->atime_sec, d->atime_nsec,
           (long long)d->mtime_sec, d->mtime_nsec, (long long)d->ctime_sec, d->ctime_nsec);
    printf("  compression %s level %u cluster %u bytes\n", mfs_alg_name(d->comp_alg), d->comp_level,
           d->cluster_shift ? 1u << d->cluster_shift : 0);
    if ((d->mode & S_IFMT) == S_IFLNK && (d->flags & MFS_IFLAG_INLINE_SYMLINK)) {
        char t[MFS_BLOCK_SIZE + 1];
        printf("  inline target: %s\n", link_target(d, t, sizeof(t)));
        return 0;
    }
    if (mfs_is_compressed(d)) {
        uint32_t cb = mfs_cluster_blocks(d), blocks[64];
        uint64_t nclusters = (d->size + (uint64_t)cb * MFS_BLOCK_SIZE - 1) / ((uint64_t)cb * MFS_BLOCK_SIZE);
        uint64_t framed = 0;
        for (uint64_t c = 0; c < nclusters; c++)
            framed += cluster_frame_blocks(d, c, blocks) > 0;
        printf("  clusters %llu, compressed %llu\n", (unsigned long long)nclusters, (unsigned long long)framed);
    }
    print_blocks(d);
    return 0;
}

static int cmd_frames(const char *path, const char *outdir)
{
    uint32_t ino;
    struct mfs_inode *d = lookup(path, &ino);
    if (!mfs_is_compressed(d))
        die("%s: not a compressed file", path);
    uint32_t cb = mfs_cluster_blocks(d), blocks[64];
    uint64_t nclusters = (d->size + (uint64_t)cb * MFS_BLOCK_SIZE - 1) / ((uint64_t)cb * MFS_BLOCK_SIZE);
    unsigned written = 0;
    for (uint64_t c = 0; c < nclusters; c++) {
        uint32_t k = cluster_frame_blocks(d, c, blocks);
        if (k == 0)
            continue;
        char name[4096];
        snprintf(name, sizeof(name), "%s/cluster-%llu.%s", outdir, (unsigned long long)c, mfs_alg_ext(d->comp_alg));
        FILE *f = fopen(name, "wb");
        if (!f)
            die("%s: %s", name, strerror(errno));
        for (uint32_t i = 0; i < k; i++) {
            const uint8_t *b = mfs_data_block_ok(&img, blocks[i]) ? mfs_block(&img, blocks[i]) : NULL;
            if (!b)
                die("%s: cluster %llu: frame block %u is outside the data area", path, (unsigned long long)c,
                    blocks[i]);
            write_all(f, b, MFS_BLOCK_SIZE, name);
        }
        fclose(f);
        written++;
    }
    printf("%s: %u of %llu clusters compressed (%s), frames in %s\n", path, written, (unsigned long long)nclusters,
           mfs_alg_name(d->comp_alg), outdir);
    return 0;
}

/* The superblock's fields; exit 1 if a bitmap block does not match its checksum. */
static int cmd_super(void)
{
    const struct mfs_super *s = img.sb;
    printf("label '%.*s', state %s, mounted %u times\n", (int)sizeof s->label, s->label,
           s->state == MFS_STATE_CLEAN ? "clean" : "dirty (not cleanly unmounted)", s->mount_count);
    printf("blocks: %u in all, %u free; inodes: %u, %u free\n", s->total_blocks, s->free_blocks,
           s->inode_count - 1, s->free_inodes);
    printf("journal %u+%u, inode bitmap %u+%u, block bitmap %u+%u, inode table %u+%u, data from %u\n",
           s->journal_start, s->journal_blocks, s->ibitmap_start, s->ibitmap_blocks, s->bbitmap_start,
           s->bbitmap_blocks, s->itable_start, s->itable_blocks, s->data_start);
    int bad = 0;
    for (uint32_t i = 0; i < mfs_bitmap_count(s); i++) {
        uint32_t crc = mfs_bitmap_block_crc(&img, i);
        if (crc != s->bitmap_crc[i]) {
            printf("bitmap block %u (block %u): checksum 0x%08x, the superblock says 0x%08x\n", i,
                   mfs_bitmap_block_no(s, i), crc, s->bitmap_crc[i]);
            bad = 1;
        }
    }
    printf("bitmap checksums: %s\n", bad ? "MISMATCH" : "ok");
    return bad;
}

static void usage(void)
{
    fprintf(stderr, "usage: mfs ls IMG [PATH]\n"
                    "       mfs cat IMG PATH\n"
                    "       mfs stat IMG PATH\n"
                    "       mfs frames IMG PATH OUTDIR\n"
                    "       mfs get IMG PATH HOSTFILE\n"
                    "       mfs super IMG\n");
    exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *cmd = argv[1];
    if (mfs_open(&img, argv[2], MFS_OPEN_RO) < 0)
        exit(1);
    const char *why = mfs_super_problem(&img);
    if (why)
        die("%s: not a usable MFS image: %s", argv[2], why);
    if (strcmp(cmd, "ls") == 0 && argc <= 4)
        return cmd_ls(argc == 4 ? argv[3] : "/");
    if (strcmp(cmd, "cat") == 0 && argc == 4)
        return cmd_cat(argv[3]);
    if (strcmp(cmd, "stat") == 0 && argc == 4)
        return cmd_stat(argv[3]);
    if (strcmp(cmd, "frames") == 0 && argc == 5)
        return cmd_frames(argv[3], argv[4]);
    if (strcmp(cmd, "get") == 0 && argc == 5)
        return cmd_get(argv[3], argv[4]);
    if (strcmp(cmd, "super") == 0 && argc == 3)
        return cmd_super();
    usage();
    return 1;
}
