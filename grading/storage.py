"""Storage tests of the base grader (imported by lab-base.py; also runnable
alone: python3 grading/storage.py --build build/sol [-T storage/...]):
/ on MFS from a virtio disk, persistence across boots, the file-system user
tests (user/tests/test_fs_*.c) on MFS under -smp 1 and -smp 4.

Every test boots its own sparse copy of build/user/disk.img (t.disk(), or
t.boot(disk=True)); after the test, gradelib runs `fsck.mfs -n` on every disk
a boot used and fails the test if the image is not clean.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradelib import (EXIT_PASS, TestFailure, checkpoint, get_config,  # noqa: E402
                      register_test, run_tests, test)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INITRD = os.path.join(REPO, "build", "user", "initrd.cpio")
WORKDIR = "/home"     # on the MFS root (/tmp is a ramfs)

checkpoint("storage", "Storage: / on MFS, persistence, file-system tests")


def has_user_space():
    build = os.path.basename(os.path.normpath(get_config().build))
    return build not in ("student", "lab-9a")


def initrd_args():
    if not os.path.exists(INITRD):
        raise TestFailure("%s is missing: run `make initrd` (make grade builds it)" % INITRD)
    return ["-initrd", INITRD]


def boot_on(t, disk, cmdline, smp=None):
    """Boot with / on MFS from disk (vda, or a list: vda, vdb, ...); the initrd
    is there too, as the kernel's fallback."""
    return t.boot(cmdline, smp=smp, extra_args=initrd_args(), disk=disk)


def expect_mfs_root(r):
    r.expect_line(r"^mfs: / on vda", "expected the kernel to mount / from vda (`mfs: / on vda ...`)")
    r.expect_no_line(r"^initrd: unpacked")


def expect_clean_exit(r, status=0):
    r.expect_line(r"^keel: 0 user frames still allocated at power-off")
    r.expect_line(r"^keel: init exited with status %d$" % status)
    r.expect_exit(EXIT_PASS if status == 0 else 35)
    r.expect_no_panic()


def expect_program_passed(r, prog):
    r.expect_no_line(r"^FAIL ")
    r.expect_line(r"^%s: \d+ passed, 0 failed$" % prog)


# program -> (arguments after the program, timeout in s, -smp values)
FS_PROGRAMS = {
    "test_fs_rename": (WORKDIR, 120, None),
    "test_fs_links": (WORKDIR, 120, None),
    "test_fs_sync": (WORKDIR, 90, None),
    "test_fs_manyfiles": (WORKDIR, 300, None),
    "test_fs_big": (WORKDIR, 300, None),
}


def program_test(prog, args):
    def body(t):
        r = boot_on(t, True, "init=/bin/%s %s" % (prog, args))
        expect_mfs_root(r)
        expect_program_passed(r, prog)
        expect_clean_exit(r)
    return body


if has_user_space():
    @test("storage/root_on_mfs", points=2, timeout=60,
          title="/ is MFS from the virtio disk (make qemu SOL=1), not the initrd")
    def root_on_mfs(t):
        r = boot_on(t, True, "init=/bin/sh -c 'cat /etc/motd >/dev/null && echo motd-read'")
        expect_mfs_root(r)
        r.expect_line(r"^motd-read$")
        r.expect_line(r"^blk: vda: \d+ requests")
        expect_clean_exit(r)

    @test("storage/persist", points=3, timeout=120,
          title="files written in one boot are there, exactly, in the next (same image)")
    def persist(t):
        disk = t.disk()
        r1 = boot_on(t, disk, "init=/bin/test_fs_persist write %s" % WORKDIR)
        expect_mfs_root(r1)
        r1.expect_line(r"^ok write$")
        expect_program_passed(r1, "test_fs_persist")
        expect_clean_exit(r1)
        r2 = boot_on(t, disk, "init=/bin/test_fs_persist check %s" % WORKDIR)
        expect_mfs_root(r2)
        expect_program_passed(r2, "test_fs_persist")
        expect_clean_exit(r2)

    @test("storage/test_fs_errors", points=2, timeout=180,
          title="ENOSPC on a full small disk (mounted on /mnt) loses nothing; ENAMETOOLONG; fsync errors; statfs")
    def fs_errors(t):
        small = t.disk(mkfs_args=["-s", "8M", "-N", "256", "-j", "128"])
        r = boot_on(t, [True, small], "init=/bin/test_fs_errors %s /dev/vdb /mnt" % WORKDIR)
        expect_mfs_root(r)
        r.expect_line(r"^ok enospc-write$")
        r.expect_line(r"^ok umount$")
        expect_program_passed(r, "test_fs_errors")
        expect_clean_exit(r)

    for prog, (args, timeout, smp) in FS_PROGRAMS.items():
        register_test("storage/" + prog, program_test(prog, args), points=2, timeout=timeout, smp=smp,
                      title="%s passes on MFS as on Linux" % prog)


if __name__ == "__main__":
    run_tests()
