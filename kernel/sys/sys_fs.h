/* File system calls (Linux x86_64 numbers in sys/table_fs.inc) and their shared helpers. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "lib/uaccess.h"

struct file;
struct dentry;

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000

/* ---- helpers (sys/sys_fs_util.c) ---- */
/* The calling process's open file fd with a reference, or NULL. */
struct file *fget(int fd);
/* A user path copied into a new kernel buffer (free with putname), or NULL with *err set. */
char *getname(uaddr_t upath, int *err);
void putname(char *name);
/* Where a *at() path starts: NULL (the cwd or an absolute path) or dirfd's directory, with a reference. */
int at_base(int dirfd, const char *path, struct dentry **base);

/* sys_rw.c */
long sys_read(int fd, uaddr_t buf, size_t count);
long sys_write(int fd, uaddr_t buf, size_t count);
long sys_pread64(int fd, uaddr_t buf, size_t count, long off);
long sys_pwrite64(int fd, uaddr_t buf, size_t count, long off);
long sys_readv(int fd, uaddr_t iov, int iovcnt);
long sys_writev(int fd, uaddr_t iov, int iovcnt);
long sys_lseek(int fd, long off, int whence);
long sys_ftruncate(int fd, long length);
long sys_truncate(uaddr_t path, long length);
long sys_sendfile(int out_fd, int in_fd, uaddr_t offset, size_t count);
/* sys_mount.c */
long sys_mount(uaddr_t source, uaddr_t target, uaddr_t fstype, unsigned long flags, uaddr_t data);
long sys_umount2(uaddr_t target, int flags);
long sys_fsync(int fd);
long sys_fdatasync(int fd);
long sys_sync(void);
long sys_syncfs(int fd);
/* sys_open.c */
long sys_open(uaddr_t path, int flags, int mode);
long sys_openat(int dirfd, uaddr_t path, int flags, int mode);
long sys_creat(uaddr_t path, int mode);
long sys_close(int fd);
long sys_dup(int fd);
long sys_dup2(int oldfd, int newfd);
long sys_dup3(int oldfd, int newfd, int flags);
long sys_fcntl(int fd, int cmd, unsigned long arg);
long sys_pipe(uaddr_t fds);
long sys_pipe2(uaddr_t fds, int flags);
long sys_ioctl(int fd, unsigned long cmd, unsigned long arg);
/* sys_stat.c */
long sys_stat(uaddr_t path, uaddr_t st);
long sys_lstat(uaddr_t path, uaddr_t st);
long sys_fstat(int fd, uaddr_t st);
long sys_newfstatat(int dirfd, uaddr_t path, uaddr_t st, int flags);
long sys_statx(int dirfd, uaddr_t path, int flags, unsigned mask, uaddr_t buf);
long sys_statfs(uaddr_t path, uaddr_t buf);
long sys_fstatfs(int fd, uaddr_t buf);
long sys_getdents64(int fd, uaddr_t dirp, size_t count);
long sys_access(uaddr_t path, int mode);
long sys_faccessat(int dirfd, uaddr_t path, int mode);
long sys_faccessat2(int dirfd, uaddr_t path, int mode, int flags);
long sys_readlink(uaddr_t path, uaddr_t buf, int size);
long sys_readlinkat(int dirfd, uaddr_t path, uaddr_t buf, int size);
/* sys_path.c */
long sys_getcwd(uaddr_t buf, size_t size);
long sys_chdir(uaddr_t path);
long sys_fchdir(int fd);
long sys_mkdir(uaddr_t path, int mode);
long sys_mkdirat(int dirfd, uaddr_t path, int mode);
long sys_mknod(uaddr_t path, int mode, unsigned dev);
long sys_mknodat(int dirfd, uaddr_t path, int mode, unsigned dev);
long sys_rmdir(uaddr_t path);
long sys_unlink(uaddr_t path);
long sys_unlinkat(int dirfd, uaddr_t path, int flags);
long sys_link(uaddr_t oldpath, uaddr_t newpath);
long sys_linkat(int olddirfd, uaddr_t oldpath, int newdirfd, uaddr_t newpath, int flags);
long sys_rename(uaddr_t oldpath, uaddr_t newpath);
long sys_renameat(int olddirfd, uaddr_t oldpath, int newdirfd, uaddr_t newpath);
long sys_renameat2(int olddirfd, uaddr_t oldpath, int newdirfd, uaddr_t newpath, unsigned flags);
long sys_umask(int mask);
/* sys_attr.c */
long sys_chmod(uaddr_t path, int mode);
long sys_fchmod(int fd, int mode);
long sys_fchmodat(int dirfd, uaddr_t path, int mode);
long sys_chown(uaddr_t path, int uid, int gid);
long sys_fchown(int fd, int uid, int gid);
long sys_lchown(uaddr_t path, int uid, int gid);
long sys_fchownat(int dirfd, uaddr_t path, int uid, int gid, int flags);
long sys_utimensat(int dirfd, uaddr_t path, uaddr_t times, int flags);
/* sys_poll.c */
long sys_poll(uaddr_t fds, unsigned nfds, int timeout_ms);
long sys_ppoll(uaddr_t fds, unsigned nfds, uaddr_t tsp, uaddr_t sigmask, size_t sigsetsize);
long sys_select(int nfds, uaddr_t in, uaddr_t out, uaddr_t ex, uaddr_t tv);
long sys_pselect6(int nfds, uaddr_t in, uaddr_t out, uaddr_t ex, uaddr_t ts, uaddr_t sig);
