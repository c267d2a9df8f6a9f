/*
 * test_mount: mount(2), umount2(2), syncfs and statfs across mounts.
 *   test_mount [DEVICE MOUNTPOINT]
 * In a scratch directory: the errors of mount and umount2 (ENOENT, ENOTDIR,
 * ENODEV, EINVAL), then a tmpfs mounted on a directory: files in it,
 * statfs's TMPFS_MAGIC, EBUSY while a file is open or the cwd is inside, and
 * the directory's old contents back after umount2. With DEVICE (an MFS disk,
 * /dev/vdb): mount it, write, EBUSY for a second mount of the disk,
 * ENOTBLK for a character device, unmount, mount again and read back.
 * On a host without the right to mount (a container), the mount parts are
 * skipped with a note.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define TMPFS_MAGIC 0x01021994
#define MFS_MAGIC 0x4d465331

static void test_errors(void)
{
    mkdir("dir", 0755);
    close(open("file", O_WRONLY | O_CREAT, 0644));
    t_errno("mount-missing-target-enoent", mount("none", "nonesuch", "tmpfs", 0, NULL), ENOENT);
    t_errno("mount-file-target-enotdir", mount("none", "file", "tmpfs", 0, NULL), ENOTDIR);
    t_errno("mount-unknown-type-enodev", mount("none", "dir", "nosuchfs", 0, NULL), ENODEV);
    t_errno("mount-bad-pointer-efault", mount("none", (const char *)1, "tmpfs", 0, NULL), EFAULT);
    t_errno("umount-not-a-mount-einval", umount2("dir", 0), EINVAL);
    t_errno("umount-missing-enoent", umount2("nonesuch", 0), ENOENT);
    t_errno("umount-bad-flags-einval", umount2("dir", 0x100), EINVAL);
    t_errno("umount-expire-force-einval", umount2("dir", MNT_EXPIRE | MNT_FORCE), EINVAL);
    t_errno("syncfs-bad-fd-ebadf", syncfs(-1), EBADF);
    int fd = open(".", O_RDONLY);
    t_check("syncfs-dir", syncfs(fd) == 0, "%s", t_errname(errno));
    t_check("fsync-dir", fsync(fd) == 0, "%s", t_errname(errno));
    close(fd);
    sync();
}

/* A tmpfs on dir: it hides what dir held until it is unmounted. */
static void test_tmpfs(void)
{
    close(open("dir/under", O_WRONLY | O_CREAT, 0644));
    if (mount("none", "dir", "tmpfs", 0, NULL) != 0) {
        t_note("tmpfs not mounted (%s): skipping the mount tests", t_errname(errno));
        return;
    }
    t_ok("mount-tmpfs");
    struct stat st;
    t_errno("tmpfs-hides-old-contents", stat("dir/under", &st), ENOENT);
    struct statfs sf;
    t_check("tmpfs-statfs-magic", statfs("dir", &sf) == 0 && sf.f_type == TMPFS_MAGIC, "f_type %#lx",
            (unsigned long)sf.f_type);
    int fd = open("dir/new", O_RDWR | O_CREAT, 0644);
    t_check("tmpfs-create", fd >= 0 && write(fd, "abc", 3) == 3, "%s", t_errname(errno));
    t_errno("umount-open-file-ebusy", umount2("dir", 0), EBUSY);
    close(fd);
    t_check("tmpfs-chdir", chdir("dir") == 0, "%s", t_errname(errno));
    t_errno("umount-cwd-inside-ebusy", umount2(".", 0), EBUSY);
    t_check("tmpfs-chdir-back", chdir("..") == 0, "%s", t_errname(errno));
    t_errno("tmpfs-rmdir-mountpoint-ebusy", rmdir("dir"), EBUSY);
    t_check("umount-tmpfs", umount2("dir", 0) == 0, "%s", t_errname(errno));
    t_check("umount-shows-old-contents", stat("dir/under", &st) == 0, "%s", t_errname(errno));
    t_errno("umount-tmpfs-files-gone", stat("dir/new", &st), ENOENT);
    t_errno("umount-twice-einval", umount2("dir", 0), EINVAL);
    unlink("dir/under");
}

static int read_file(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int r = (int)read(fd, buf, n);
    close(fd);
    return r;
}

/* An MFS disk mounted, written, unmounted and mounted again. */
static void test_disk(const char *dev, const char *mnt)
{
    mkdir(mnt, 0755);
    t_errno("mount-chardev-enotblk", mount("/dev/null", mnt, "mfs", 0, NULL), ENOTBLK);
    t_errno("mount-missing-dev-enoent", mount("/dev/nonesuch", mnt, "mfs", 0, NULL), ENOENT);
    if (!t_check("mount-mfs", mount(dev, mnt, "mfs", 0, NULL) == 0, "mount %s on %s: %s", dev, mnt,
                 t_errname(errno)))
        return;
    mkdir("/tmp/test_mount_again", 0755);
    t_errno("mount-same-disk-twice-ebusy", mount(dev, "/tmp/test_mount_again", "mfs", 0, NULL), EBUSY);
    rmdir("/tmp/test_mount_again");
    struct statfs sf;
    t_check("mfs-statfs-magic", statfs(mnt, &sf) == 0 && sf.f_type == MFS_MAGIC, "f_type %#lx",
            (unsigned long)sf.f_type);
    char path[256], buf[64];
    snprintf(path, sizeof path, "%s/test_mount.txt", mnt);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    t_check("mfs-write", fd >= 0 && write(fd, "persisted", 9) == 9, "%s", t_errname(errno));
    t_check("mfs-fsync", fsync(fd) == 0 && fdatasync(fd) == 0, "%s", t_errname(errno));
    t_check("mfs-syncfs", syncfs(fd) == 0, "%s", t_errname(errno));
    t_check("mfs-fchmod", fchmod(fd, 0604) == 0, "%s", t_errname(errno));
    close(fd);
    t_check("umount-mfs", umount2(mnt, 0) == 0, "%s", t_errname(errno));
    t_check("mount-mfs-again", mount(dev, mnt, "mfs", 0, NULL) == 0, "%s", t_errname(errno));
    int n = read_file(path, buf, sizeof buf);
    t_check("mfs-read-back", n == 9 && memcmp(buf, "persisted", 9) == 0, "read %d", n);
    struct stat st;
    t_check("mfs-mode-kept", stat(path, &st) == 0 && (st.st_mode & 07777) == 0604, "mode %o",
            (unsigned)st.st_mode & 07777);
    unlink(path);
    t_check("umount-mfs-again", umount2(mnt, 0) == 0, "%s", t_errname(errno));
}

int main(int argc, char **argv)
{
    t_begin("test_mount");
    if (!t_scratch())
        return t_end();
    test_errors();
    test_tmpfs();
    unlink("file");
    rmdir("dir");
    t_scratch_cleanup();
    if (argc > 2)
        test_disk(argv[1], argv[2]);
    return t_end();
}
