#!/usr/bin/env python3
"""test-corrupt: boot Keel on corrupted MFS images; it must refuse them or
fail calls with EIO, never panic and never write over good data.

    tools/test-corrupt.py [--seeds 200] [--first 1] [--smp 4] [-j 2]
                          [--build build/sol] [--keep-failed DIR] [-v]

For each seed S: `corrupt-image --seed S build/user/disk.img OUT` makes one
seeded corruption (a superblock field, an inode pointing outside the disk, a
bad directory entry, a directory cycle, a garbage compressed frame, random
bytes in a metadata block) and says what it did. Keel boots on OUT (vda)
under -smp 4 running `/bin/test_fs_walk / /home`: it lstat()s, lists and
reads the whole tree, then creates, writes and removes a file. The seed
passes iff
  - the kernel did not panic (nor trap) and powered off;
  - it either mounted / from vda (`mfs: / on vda ...`) or refused in one
    sentence (`mfs: ... refusing to mount ...`) and ran the walker from the
    initrd instead;
  - the walker passed: every failing call returned EIO (the probe file may
    also get ENOSPC/EROFS), nothing it read was nonsense; or the corruption
    hit /bin and the kernel could not exec it (`init: cannot exec ...: EIO`);
  - no block of any file of the original image changed during the boot (the
    file map comes from `mfs stat` on the pristine image): the kernel wrote
    over no data, whatever the corruption made it believe;
  - `fsck.mfs -n` reports no more problems after the boot than before it
    (the superblock's free counters aside: the kernel recomputes them).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = 4096
EXIT_PASS, EXIT_FAIL = 33, 35
PANIC = re.compile(r"^(panic: |trap: )")
MOUNTED = re.compile(r"^mfs: / on vda")
REFUSED = re.compile(r"^mfs: .*refus")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=200, help="how many seeds")
    ap.add_argument("--first", type=int, default=1, help="the first seed")
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--build", default="build/sol")
    ap.add_argument("--image", default="build/user/disk.img")
    ap.add_argument("--timeout", type=float, default=40)
    ap.add_argument("--keep-failed", metavar="DIR")
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap.parse_args()


def tool(name):
    for p in ("build/tools/" + name, "tools/" + name, "tools/mfs/" + name):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return os.path.abspath(p)
    sys.exit("test-corrupt: no %s (make tools)" % name)


def file_map(mfs, image):
    """{path: [block numbers]} of every regular file, from `mfs ls` and `mfs stat`."""
    files = {}
    todo = ["/"]
    while todo:
        d = todo.pop()
        out = subprocess.run([mfs, "ls", image, d], capture_output=True, text=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) < 2:
                continue
            name = f[-1]
            path = (d.rstrip("/") + "/" + name)
            if f[0].startswith("d"):
                todo.append(path)
            elif f[0].startswith("-"):
                files[path] = []
    for path in files:
        out = subprocess.run([mfs, "stat", image, path], capture_output=True, text=True).stdout
        blocks = []
        for m in re.finditer(r"(\d+)\.\.(\d+) -> (\d+)\.\.(\d+)", out):
            blocks += range(int(m.group(3)), int(m.group(4)) + 1)
        for m in re.finditer(r"indirect block: (\d+)", out):
            blocks.append(int(m.group(1)))
        files[path] = blocks
    return files


def changed_files(fmap, before, after):
    """Files of the map with a block that differs between the two images."""
    hit = []
    with open(before, "rb") as a, open(after, "rb") as b:
        for path, blocks in fmap.items():
            for blk in blocks:
                a.seek(blk * BLOCK)
                b.seek(blk * BLOCK)
                if a.read(BLOCK) != b.read(BLOCK):
                    hit.append("%s (block %d)" % (path, blk))
                    break
    return hit


def fsck_problems(fsck, image):
    r = subprocess.run([fsck, "-n", image], capture_output=True, text=True)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    # the summary line (IMAGE: n/m files, ...) is not a problem
    # Not damage: the summary lines, and the superblock's free counters (the
    # kernel recomputes them from the bitmaps it was given). Image paths differ
    # between the before and after copies: compare what follows them.
    problems = [l.split(": ", 1)[-1] for l in lines
                if not re.search(r": \d+/\d+ files|errors? left|is \d+, counted \d+", l)]
    return r.returncode, problems


_live = set()
_live_lock = threading.Lock()


def boot(args, image):
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-m", "256M",
           "-smp", str(args.smp), "-display", "none", "-no-reboot", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", args.kernel, "-initrd", args.initrd,
           "-append", "init=/bin/test_fs_walk / /home",
           "-drive", "file=%s,if=none,id=vda,format=raw" % image,
           "-device", "virtio-blk-pci,drive=vda"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    with _live_lock:
        _live.add(p)
    try:
        out, _ = p.communicate(timeout=args.timeout)
        status = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        status = None
    with _live_lock:
        _live.discard(p)
    return status, out.decode("utf-8", "replace").replace("\r", "").splitlines()


def one_seed(args, seed, tmp):
    before = os.path.join(tmp, "seed%d.before.img" % seed)
    after = os.path.join(tmp, "seed%d.img" % seed)
    r = {"seed": seed, "ok": False, "why": "", "what": "", "log": [], "image": after}
    c = subprocess.run([args.corrupt, "--seed", str(seed), args.image, after],
                       capture_output=True, text=True)
    r["what"] = (c.stdout.strip().splitlines() or ["?"])[-1]
    if c.returncode != 0:
        r["why"] = "corrupt-image failed: %s" % c.stderr.strip()
        return r
    subprocess.run(["cp", "--sparse=always", after, before], check=True)
    st_before, fs_before = fsck_problems(args.fsck, before)
    status, lines = boot(args, after)
    r["log"] = lines
    panic = next((l for l in lines if PANIC.match(l)), None)
    mount = "mounted" if any(MOUNTED.match(l) for l in lines) else \
        "refused" if any(REFUSED.match(l) for l in lines) else None
    r["mount"] = mount or "?"
    walker = next((l for l in lines if l.startswith("test_fs_walk: ")), None)
    try:
        if panic:
            r["why"] = "the kernel crashed: %s" % panic
        elif status is None:
            r["why"] = "timed out after %d s" % args.timeout
        elif mount is None:
            r["why"] = "neither mounted / from vda nor refused in one sentence"
        elif walker is None and any(re.match(r"^init: cannot exec /bin/test_fs_walk: EIO", l) for l in lines):
            # the corruption hit /bin: the kernel said EIO instead of running garbage
            r["ok"] = status == EXIT_FAIL and not changed_files(args.fmap, before, after)
            r["why"] = "%s, /bin/test_fs_walk unreadable (EIO)" % mount if r["ok"] else \
                "the walker could not run and the boot did not end cleanly or wrote over data"
        elif walker is None:
            r["why"] = "the walker did not finish (QEMU exit %s)" % status
        elif not re.match(r"^test_fs_walk: \d+ passed, 0 failed$", walker):
            bad = [l for l in lines if l.startswith(("FAIL ", "# unexpected", "# nonsense"))]
            r["why"] = "the walker failed: %s" % "; ".join(bad[:3] or [walker])
        elif status not in (EXIT_PASS,):
            r["why"] = "no clean power-off (QEMU exit %s)" % status
        else:
            hit = changed_files(args.fmap, before, after)
            st_after, fs_after = fsck_problems(args.fsck, after)
            if hit:
                r["why"] = "the boot wrote over file data: %s" % ", ".join(hit[:3])
            elif len(fs_after) > len(fs_before):
                new = [l for l in fs_after if l not in fs_before]
                r["why"] = "fsck finds more damage after the boot (%d -> %d problems): %s" % (
                    len(fs_before), len(fs_after), "; ".join(new[:2]))
            else:
                r["ok"] = True
                eio = sum(1 for l in lines if l.startswith("# EIO"))
                r["why"] = "%s, %d EIO, fsck %d -> %d problems" % (mount, eio, len(fs_before), len(fs_after))
    finally:
        os.unlink(before)
    return r


def main():
    args = parse_args()
    os.chdir(ROOT)
    args.kernel = os.path.join(args.build, "kernel.elf")
    args.initrd = "build/user/initrd.cpio"
    for f in (args.kernel, args.initrd, args.image):
        if not os.path.exists(f):
            sys.exit("test-corrupt: %s is missing (make SOL=1 kernel disk)" % f)
    args.corrupt = tool("corrupt-image")
    args.fsck = tool("fsck.mfs")
    args.fmap = file_map(tool("mfs"), args.image)
    if not args.fmap:
        sys.exit("test-corrupt: mfs ls found no file in %s" % args.image)
    tmp = tempfile.mkdtemp(prefix="keel-corrupt-")
    t0 = time.time()
    failed = []
    counts = {}
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            seeds = range(args.first, args.first + args.seeds)
            for r in ex.map(lambda s: one_seed(args, s, tmp), seeds):
                counts[r.get("mount", "?")] = counts.get(r.get("mount", "?"), 0) + 1
                print("seed %3d: %s  %s  [%s]" % (r["seed"], "ok  " if r["ok"] else "FAIL", r["why"], r["what"]),
                      flush=True)
                if not r["ok"]:
                    failed.append(r)
                    if args.verbose:
                        for l in r["log"][-40:]:
                            print("    | " + l)
                    if args.keep_failed:
                        os.makedirs(args.keep_failed, exist_ok=True)
                        base = os.path.join(args.keep_failed, "seed%d" % r["seed"])
                        subprocess.run(["cp", "--sparse=always", r["image"], base + ".img"])
                        with open(base + ".log", "w") as f:
                            f.write("%s\n%s\n" % (r["what"], r["why"]) + "\n".join(r["log"]) + "\n")
                if os.path.exists(r["image"]):
                    os.unlink(r["image"])
    except KeyboardInterrupt:
        with _live_lock:
            for p in _live:
                p.kill()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("test-corrupt: %d seeds, %d passed, %d failed (%s; -smp %d, %.0f s)" % (
        args.seeds, args.seeds - len(failed), len(failed),
        ", ".join("%s %d" % kv for kv in sorted(counts.items())), args.smp, time.time() - t0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
