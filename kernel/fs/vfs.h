/*
 * The virtual file system: inodes, dentries, files, super blocks, and the
 * operation tables a file system (ramfs, devfs, pipes, later MFS) fills in.
 *
 * Locks, in the order they are taken:
 *   mount_lock -> file->lock -> vfs_lock -> inode->lock -> fs_struct, fdtable, pipe
 *   and tty spinlocks. The first four are sleep locks (struct mutex): MFS reads the disk
 *   inside directory operations and file reads and writes, and whoever
 *   holds a spinlock must never sleep. So never take one of them with a
 *   spinlock held, and never in an interrupt handler.
 *   file->lock protects file->offset; it is held across a read or write
 *     of a seekable file so that concurrent reads see distinct data.
 *   vfs_lock (fs/dentry.c) protects the dentry tree (parent, children,
 *     sibling, name, mounted), dentry and inode reference counts, inode
 *     nlink, mode, uid, gid and times, the mount table and every directory
 *     operation (lookup, create, link, unlink, rename, readdir), which
 *     it makes atomic with respect to each other.
 *   inode->lock protects a file's contents and size.
 *   mount_lock (fs/mount.c) serialises mount, umount and whole-file-system sync.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "sched/mutex.h"
#include "sched/spinlock.h"

#define NAME_MAX 255
#define PATH_MAX 4096
#define PIPE_BUF 4096

/* Linux's file types and permission bits (st_mode). */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)

/* Linux's open(2) flags (x86_64 values). */
#define O_ACCMODE 03
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DSYNC 010000
#define O_SYNC 04010000 /* O_DSYNC and file metadata */
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
/* The flags a file remembers and F_SETFL may change. */
#define O_SETFL_MASK (O_APPEND | O_NONBLOCK)

/* d_type values of getdents64. */
#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10

/* poll(2) events. */
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

struct inode;
struct dentry;
struct file;
struct super_block;
struct mount;
struct pipe;
struct page_index;

struct timespec_k {
    int64_t sec, nsec;
};

/* What a directory operation works on: a directory inode and a name in it. */
struct inode_operations {
    /* The inode called name in dir with a new reference, or -ENOENT. */
    int (*lookup)(struct inode *dir, const char *name, struct inode **out);
    /* A new inode of the given mode (type bits included) linked as name. */
    int (*create)(struct inode *dir, const char *name, uint32_t mode, struct inode **out);
    int (*link)(struct inode *dir, const char *name, struct inode *target);
    int (*unlink)(struct inode *dir, const char *name, struct inode *victim);  /* files and dirs */
    /*
     * Move old_name to new_name. victim is the inode new_name names now (NULL
     * if none; the VFS has checked that it may be replaced): the file system
     * removes that name and drops victim's nlink in the same atomic step, so
     * a crash never leaves the target gone and the source not moved.
     */
    int (*rename)(struct inode *old_dir, const char *old_name, struct inode *new_dir, const char *new_name,
                  struct inode *victim);
    /* Does the directory hold anything but . and ..? */
    int (*is_empty)(struct inode *dir);
    /* Entry number >= *pos: fill name, ino, type and advance *pos; 0, 1 at the end, or -EIO. */
    int (*readdir)(struct inode *dir, uint64_t *pos, char *name, uint64_t *ino, int *type);
    /* Change the size (O_TRUNC, ftruncate). */
    int (*truncate)(struct inode *inode, uint64_t size);
};

/* What an open file does. Buffers are kernel memory; sys_* copy to and from user space. */
struct file_operations {
    int (*open)(struct inode *inode, struct file *f);
    long (*read)(struct file *f, void *buf, size_t n, uint64_t off);
    long (*write)(struct file *f, const void *buf, size_t n, uint64_t off);
    long (*ioctl)(struct file *f, unsigned long cmd, unsigned long arg);
    int (*poll)(struct file *f);     /* POLLIN | POLLOUT | ... ready right now; NULL: always ready, as files are */
    void (*release)(struct file *f); /* the last reference is gone */
    /* Make the file's data (and with !datasync its metadata) durable: fsync/fdatasync. */
    int (*fsync)(struct file *f, int datasync);
};

struct kstatfs;
struct super_operations {
    /* nlink and refcount both reached 0: free the inode's contents. */
    void (*evict_inode)(struct inode *inode);
    /* Fill the statfs(2) numbers (optional: the VFS reports zeros without it). */
    int (*statfs)(struct super_block *sb, struct kstatfs *st);
    /* The VFS changed mode, uid, gid, times or nlink in memory: store them (optional). */
    int (*write_inode)(struct inode *inode);
    /* Make everything written so far durable (sync(2), syncfs). Optional. */
    int (*sync_fs)(struct super_block *sb);
    /* Unmount: write back, mark clean, free (optional). */
    int (*put_super)(struct super_block *sb);
};

/* statfs(2) numbers, in the units of struct statfs. */
struct kstatfs {
    uint64_t type;        /* f_type magic */
    uint64_t bsize;       /* block size */
    uint64_t blocks, bfree, bavail;
    uint64_t files, ffree;
    uint64_t namelen;
    uint64_t frsize;
    uint64_t flags;
};

struct super_block {
    uint32_t dev;                  /* st_dev */
    const char *type;              /* "ramfs", "devfs" */
    const struct super_operations *s_op;
    struct dentry *root;
    struct mount *mnt;             /* where it is mounted (NULL if nowhere) */
    uint64_t next_ino;
    int counts_blocks;             /* the fs keeps inode->blocks (else st_blocks is derived from size) */
    void *priv;
};

struct inode {
    uint64_t ino;
    uint32_t mode;                 /* type and permission bits */
    uint32_t nlink;                /* names in directories (vfs_lock) */
    uint32_t uid, gid;
    uint32_t rdev;
    uint64_t size;
    uint64_t blocks;               /* 512-byte units allocated (st_blocks), if sb->counts_blocks */
    struct timespec_k atime, mtime, ctime;
    int refcount;                  /* dentries and files using it (vfs_lock) */
    struct super_block *sb;
    const struct inode_operations *i_op;
    const struct file_operations *f_op;
    struct mutex lock;             /* contents and size (a sleep lock: reads and writes wait for the disk) */
    void *priv;                    /* the file system's data */
    struct pipe *pipe;             /* a named pipe's ring while it is open (fs/pipe.c) */
    struct page_index *pages;      /* cached pages of the file's data (mm/page_cache.c) */
};

struct dentry {
    char name[NAME_MAX + 1];
    struct dentry *parent;         /* itself for a file system's root */
    struct inode *inode;
    struct super_block *sb;
    struct dentry *children;       /* cached children, linked by sibling */
    struct dentry *sibling;
    struct mount *mounted;         /* a file system mounted on top of this one */
    int refcount;                  /* users + cached children + 1 while in the tree */
    int dead;                      /* unlinked: out of the tree */
};

struct file {
    int refcount;                  /* atomic */
    struct dentry *dentry;         /* NULL for pipes */
    struct inode *inode;
    const struct file_operations *f_op;
    unsigned flags;                /* O_ACCMODE | O_APPEND | O_NONBLOCK */
    int stream;                    /* a pipe or terminal: no offset, lseek is ESPIPE */
    uint64_t offset;
    struct mutex lock;             /* offset, held across a read or write of a seekable file */
    void *priv;                    /* pipe, tty */
};

struct blkdev;
struct mount {
    struct super_block *sb;
    struct dentry *mountpoint;     /* in the parent file system (NULL for /) */
    struct mount *parent;
    struct blkdev *bdev;           /* the disk it was read from (NULL: a memory file system) */
};

/* The namespace lock (see the top of this file). */
extern struct mutex vfs_lock;

/* ---- the interface the rest of the kernel uses ---- */
void vfs_init(void);
/* The same on a given root file system (NULL: a fresh ramfs); -EBUSY if the tree exists. */
int vfs_init_root(struct super_block *root, struct blkdev *bdev);
int initrd_unpack(const void *data, size_t len);
int vfs_open(const char *path, int flags, int mode, struct file **out);
long file_pread_kernel(struct file *f, void *buf, size_t n, uint64_t off);
int file_exec_check(struct file *f);
struct file *file_dup(struct file *f);
void file_close(struct file *f);

/* ---- inodes (fs/inode.c) ---- */
struct inode *inode_alloc(struct super_block *sb, uint32_t mode);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
void inode_touch(struct inode *ino, int atime, int mtime, int ctime);
void fs_now(struct timespec_k *ts);
int mode_to_dtype(uint32_t mode);

/* ---- dentries (fs/dentry.c): dentry_get/dentry_put take vfs_lock, every other one wants it held ---- */
struct dentry *dentry_alloc(struct dentry *parent, const char *name, struct inode *inode);
struct dentry *dentry_lookup_cached(struct dentry *dir, const char *name);
int dentry_lookup(struct dentry *dir, const char *name, struct dentry **out);
void dentry_get_locked(struct dentry *d);
void dentry_put_locked(struct dentry *d);
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
void dentry_drop(struct dentry *d);   /* unlinked: leave the tree */
void dentry_move(struct dentry *d, struct dentry *dir, const char *name);
int dentry_is_ancestor(struct dentry *anc, struct dentry *d);
/* The absolute path of d into buf (size n): its length, or -ERANGE / -ENOENT (deleted). */
int dentry_path(struct dentry *d, char *buf, size_t n);

/* ---- mounts (fs/mount.c) ---- */
int vfs_mount(struct super_block *sb, struct dentry *mountpoint);
int vfs_mount_dev(struct super_block *sb, struct dentry *mountpoint, struct blkdev *bdev);
int vfs_bdev_mounted(struct blkdev *bdev);           /* vfs_lock held */
/*
 * Unmount the file system whose root is root (the caller holds extra references
 * to it: consumed on success, still the caller's on failure); mount_lock held. put_super runs, then the
 * super block is freed (put_super must not free it). -EINVAL / -EBUSY.
 */
int vfs_umount(struct dentry *root, int extra);
void vfs_discard_sb(struct super_block *sb);          /* read by mfs_mount, never mounted */
int vfs_sync_all(void);                              /* sync_fs on every mount */
void vfs_shutdown(int others_alive);                 /* power-off: put_super (or only sync) */
/* Serialises mount, unmount and whole-file-system sync (order: before vfs_lock). */
extern struct mutex mount_lock;
struct dentry *vfs_root(void);         /* no reference taken: the root never goes away */
struct dentry *mount_follow_down(struct dentry *d);  /* vfs_lock held */
struct dentry *mount_follow_up(struct dentry *d);    /* the mountpoint of a root, else d */

/* ---- files (fs/file.c) ---- */
struct file *file_alloc(struct dentry *d, struct inode *inode, unsigned flags);
long file_read(struct file *f, void *buf, size_t n);      /* at and advancing the offset */
long file_write(struct file *f, const void *buf, size_t n);
long file_pread(struct file *f, void *buf, size_t n, uint64_t off);
long file_pwrite(struct file *f, const void *buf, size_t n, uint64_t off);
int file_readable(struct file *f);
int file_writable(struct file *f);

/* ---- namespace operations (fs/namei.c, fs/namei_ops.c) ---- */
/* Lookup flags. */
#define LOOKUP_DIRECTORY 1    /* the result must be a directory */
#define LOOKUP_NOFOLLOW 2     /* do not follow a final symlink */
/* Resolve path from base (NULL: the cwd) to a dentry with a reference. */
int resolve_path(struct dentry *base, const char *path, int flags, struct dentry **out);
/* Resolve all but the last component: the parent (a directory, with a reference) and the last name;
 * np->type says whether that name is normal, "." or "..", np->trailing_slash whether a '/' followed it. */
#define LAST_NORM 0
#define LAST_DOT 1
#define LAST_DOTDOT 2
struct nameparts {
    struct dentry *parent;
    char last[NAME_MAX + 1];
    int type;
    int trailing_slash;
};
int resolve_parent(struct dentry *base, const char *path, struct nameparts *np);
struct dentry *current_cwd(void);     /* with a reference */
struct dentry *current_root(void);    /* with a reference */
int current_umask(void);

int vfs_open_at(struct dentry *base, const char *path, int flags, int mode, struct file **out);
int vfs_mkdir(struct dentry *base, const char *path, int mode);
int vfs_mknod(struct dentry *base, const char *path, uint32_t mode, struct inode **out);
int vfs_unlink(struct dentry *base, const char *path);
int vfs_rmdir(struct dentry *base, const char *path);
int vfs_link(struct dentry *obase, const char *oldpath, struct dentry *nbase, const char *newpath);
int vfs_rename(struct dentry *obase, const char *oldpath, struct dentry *nbase, const char *newpath);
int vfs_truncate(struct inode *inode, uint64_t size);
