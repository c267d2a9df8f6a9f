#!/usr/bin/env python3
"""test-corrupt: boot Keel on corrupted MFS images; it must refuse them or
fail calls with EIO, never panic and never write over good data.

    tools/test-corrupt.py [--seeds 200] [--first 1] [--smp 4] [-j 2]
                          [--per-boot 10] [--root-seeds 6]
                          [--build build/sol] [--keep-failed DIR] [-v]

For each seed S: `corrupt-image --seed S build/user/disk.img OUT` makes one
seeded corruption (a superblock field, an inode pointing outside the disk, a
bad directory entry, a directory cycle, a garbage compressed frame, random
bytes in a metadata block) and says what it did.

Mounted disks (every seed): one QEMU run under -smp 4 takes up to --per-boot
corrupt images as vda, vdb, ... with / on the initrd (`root=initrd`) and runs
`/bin/test_fs_walk --disks /mnt /dev/vda /dev/vdb ...`, which mounts each
disk on /mnt with mount(2), lstat()s, lists and reads the whole tree, creates,
writes and removes a probe file, and unmounts it. Ten images per boot instead
of one: a boot costs more than a walk. If the kernel panics or hangs on one
disk, that seed fails and the disks after it are booted again without it.

Root disks (the first --root-seeds seeds, again): Keel boots with the corrupt
image as its root (vda) running `/bin/test_fs_walk / /home`: the root-mount
path, and its fallback to the initrd when the kernel refuses the disk.

A seed passes iff
  - the kernel did not panic (nor trap), nor hang, and powered off;
  - it either mounted the disk or refused it in one sentence (`mfs: vdX:
    refusing to mount: ...`; mount(2) fails with EUCLEAN, EIO or EINVAL, and
    as root the walker then runs from the initrd);
  - the walker passed: every failing call returned EIO (the probe file may
    also get ENOSPC/EROFS), nothing it read was nonsense, the disk unmounted;
    as root, the corruption may also have hit /bin so that exec'ing the walker
    failed (`init: cannot exec /bin/test_fs_walk: EIO`);
  - no good file was written over: no data block of a file of the original
    image changed during the boot, and every file whose blocks, inode or
    ancestor directories the boot touched reads (`mfs cat`) the same after
    the boot as before it;
  - `fsck.mfs -n` reports no more problems after the boot than before it
    (the superblock's free counters aside: the kernel recomputes them).
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harnesslib import forget_qemu, kill_all_qemu, qemu_cmd, report_failure, start_qemu  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = 4096
EXIT_PASS, EXIT_FAIL = 33, 35
PANIC = re.compile(r"^(panic: |trap: )")
MOUNTED = re.compile(r"^mfs: / on vda")
REFUSED = re.compile(r"^mfs: .*refus")
SUPER_LAYOUT = 72    # bytes 0..71 of the superblock: magic .. root_ino, the fields that say where things are


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=200, help="how many seeds")
    ap.add_argument("--first", type=int, default=1, help="the first seed")
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--per-boot", type=int, default=10, help="corrupt disks mounted per QEMU run (1..25)")
    ap.add_argument("--root-seeds", type=int, default=6,
                    help="how many of the seeds also boot their image as the root")
    ap.add_argument("--build", default="build/sol")
    ap.add_argument("--image", default="build/user/disk.img")
    ap.add_argument("--timeout", type=float, default=40, help="per root boot, and per disk of a --disks boot (s)")
    ap.add_argument("--keep-failed", metavar="DIR")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.per_boot = max(1, min(25, args.per_boot))
    return args


def tool(name):
    for p in ("build/tools/" + name, "tools/" + name, "tools/mfs/" + name):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return os.path.abspath(p)
    sys.exit("test-corrupt: no %s (make tools)" % name)


# --- the pristine image: which blocks hold good data --------------------------

class Pristine:
    """The original image's files: for each, its data blocks (`data`) and every
    block whose change could change what `mfs cat` reads (`reach`: its data,
    its inode's block, and the blocks and inode blocks of its directories)."""

    def __init__(self, mfs, image):
        with open(image, "rb") as f:
            sb = f.read(SUPER_LAYOUT)
        self.layout = sb
        (_, _, _, inode_size, _, _, _, _, _, _, _, _, _, _, itable_start, _, _, _) = struct.unpack("<18I", sb)
        entries = {}    # path -> (is_dir, ino, blocks)
        todo = ["/"]
        while todo:
            d = todo.pop()
            entries[d] = (True,) + self.stat(mfs, image, d)
            out = subprocess.run([mfs, "ls", image, d], capture_output=True, text=True).stdout
            for line in out.splitlines():
                f = line.split()
                if len(f) < 2:
                    continue
                path = d.rstrip("/") + "/" + f[-1]
                if f[0].startswith("d"):
                    todo.append(path)
                elif f[0].startswith("-"):
                    entries[path] = (False,) + self.stat(mfs, image, path)
        per_block = BLOCK // inode_size

        def own(path):
            _, ino, blocks = entries[path]
            return set(blocks) | ({itable_start + ino // per_block} if ino else set())

        self.data = {}
        self.reach = {}
        for path, (is_dir, ino, blocks) in entries.items():
            if is_dir:
                continue
            reach = own(path)
            d = path
            while d != "/":
                d = os.path.dirname(d)
                if d in entries:
                    reach |= own(d)
            self.data[path] = blocks
            self.reach[path] = reach

    @staticmethod
    def stat(mfs, image, path):
        out = subprocess.run([mfs, "stat", image, path], capture_output=True, text=True).stdout
        m = re.search(r": inode (\d+)", out)
        blocks = []
        for m2 in re.finditer(r"(\d+)\.\.(\d+) -> (\d+)\.\.(\d+)", out):
            blocks += range(int(m2.group(3)), int(m2.group(4)) + 1)
        for m2 in re.finditer(r"indirect block: (\d+)", out):
            blocks.append(int(m2.group(1)))
        return (int(m.group(1)) if m else 0), blocks


def data_extents(path):
    """[(start, end)] byte ranges holding data in a sparse file."""
    out = []
    with open(path, "rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            out.append((start, end))
            pos = end
    return out


def changed_blocks(before, after):
    """Block numbers whose contents differ between two images of one size."""
    blocks = set()
    for s, e in data_extents(before) + data_extents(after):
        blocks.update(range(s // BLOCK, (e + BLOCK - 1) // BLOCK))
    changed = set()
    with open(before, "rb") as a, open(after, "rb") as b:
        for run_start, run_len in runs(sorted(blocks)):
            a.seek(run_start * BLOCK)
            b.seek(run_start * BLOCK)
            da, db = a.read(run_len * BLOCK), b.read(run_len * BLOCK)
            if da == db:
                continue
            for i in range(run_len):
                if da[i * BLOCK:(i + 1) * BLOCK] != db[i * BLOCK:(i + 1) * BLOCK]:
                    changed.add(run_start + i)
    return changed


def runs(sorted_blocks, longest=256):
    """(first, count) runs of consecutive block numbers, at most `longest` long."""
    start = prev = None
    for b in sorted_blocks:
        if start is not None and b == prev + 1 and b - start < longest:
            prev = b
            continue
        if start is not None:
            yield start, prev - start + 1
        start = prev = b
    if start is not None:
        yield start, prev - start + 1


def cat(mfs, image, path):
    r = subprocess.run([mfs, "cat", image, path], capture_output=True)
    return r.returncode, r.stdout


def overwritten(args, before, after):
    """Good files the boot wrote over: a data block of the original image's
    file changed, or `mfs cat` reads it differently after the boot."""
    changed = changed_blocks(before, after)
    hit = []
    for path, blocks in args.pristine.data.items():
        b = next((b for b in blocks if b in changed), None)
        if b is not None:
            hit.append("%s (block %d)" % (path, b))
    if hit or not changed:
        return hit
    with open(after, "rb") as f:
        relayout = f.read(SUPER_LAYOUT) != args.pristine.layout
    for path, reach in args.pristine.reach.items():
        if not relayout and not (reach & changed):
            continue
        rc, old = cat(args.mfs, before, path)
        if rc != 0:
            continue            # unreadable before the boot: the corruption's, not good data
        if cat(args.mfs, after, path) != (0, old):
            hit.append("%s (mfs cat differs)" % path)
    return hit


def fsck_problems(fsck, image):
    r = subprocess.run([fsck, "-n", image], capture_output=True, text=True)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    # Not damage: the summary lines, and the superblock's free counters (the
    # kernel recomputes them from the bitmaps it was given). Image paths differ
    # between the before and after copies: compare what follows them.
    problems = [l.split(": ", 1)[-1] for l in lines
                if not re.search(r": \d+/\d+ files|errors? left|is \d+, counted \d+", l)]
    return r.returncode, problems


def judge_after_boot(args, r, before, after, fs_before):
    """The checks after a boot that ended well: no good file written over,
    fsck no worse. Sets r["ok"] and r["why"]."""
    hit = overwritten(args, before, after)
    _, fs_after = fsck_problems(args.fsck, after)
    if hit:
        r["why"] = "the boot wrote over good data: %s" % ", ".join(hit[:3])
    elif len(fs_after) > len(fs_before):
        new = [l for l in fs_after if l not in fs_before]
        r["why"] = "fsck finds more damage after the boot (%d -> %d problems): %s" % (
            len(fs_before), len(fs_after), "; ".join(new[:2]))
    else:
        r["ok"] = True
        r["fsck"] = "fsck %d -> %d problems" % (len(fs_before), len(fs_after))


# --- QEMU --------------------------------------------------------------------

def boot(args, images, cmdline, timeout):
    """Run QEMU with the images as vda, vdb, ...; (exit status or None on a
    timeout, console lines)."""
    p = start_qemu(qemu_cmd(args, images, cmdline))
    try:
        out, _ = p.communicate(timeout=timeout)
        status = p.returncode
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        status = None
    forget_qemu(p)
    return status, out.decode("utf-8", "replace").replace("\r", "").splitlines()


def corrupt(args, seed, tmp, tag=""):
    """The seed's corrupt image (after), a pristine copy of it (before), and
    fsck's problems before the boot; r records what corrupt-image did."""
    before = os.path.join(tmp, "seed%d%s.before.img" % (seed, tag))
    after = os.path.join(tmp, "seed%d%s.img" % (seed, tag))
    r = {"seed": seed, "ok": False, "why": "", "what": "", "log": [], "image": after, "before": before}
    c = subprocess.run([args.corrupt, "--seed", str(seed), args.image, after], capture_output=True, text=True)
    r["what"] = (c.stdout.strip().splitlines() or ["?"])[-1]
    if c.returncode != 0:
        r["why"] = "corrupt-image failed: %s" % c.stderr.strip()
        return r, None
    subprocess.run(["cp", "--sparse=always", after, before], check=True)
    return r, fsck_problems(args.fsck, before)[1]


# --- many corrupt disks per boot, mounted on /mnt ----------------------------------

def disk_batch(args, seeds, tmp):
    """Judge the seeds, booting up to --per-boot of their images at a time;
    returns their results."""
    ready = []
    todo = []
    for s in seeds:
        r, fs_before = corrupt(args, s, tmp)
        (todo if fs_before is not None else ready).append((r, fs_before))
    while todo:
        batch, todo = todo[:args.per_boot], todo[args.per_boot:]
        rest = run_disk_batch(args, batch)
        todo = rest + todo
        ready += [x for x in batch if x not in rest]
    for r, _ in ready:
        if os.path.exists(r["before"]):
            os.unlink(r["before"])
    return [r for r, _ in ready]


def run_disk_batch(args, batch):
    """One boot with the batch's images as vda, vdb, ...; judges every seed
    whose disk the walker reached, returns the rest (to boot again)."""
    names = ["vd" + chr(ord("a") + i) for i in range(len(batch))]
    cmdline = "root=initrd init=/bin/test_fs_walk --disks /mnt " + " ".join("/dev/" + n for n in names)
    status, lines = boot(args, [r["image"] for r, _ in batch], cmdline, 30 + args.timeout * len(batch))
    # Cut the console into sections: before the first disk, then one per disk.
    sections = {}
    current = None
    for l in lines:
        m = re.match(r"^# disk (vd[a-z]): begin$", l)
        if m:
            current = m.group(1)
        if current:
            sections.setdefault(current, []).append(l)
    rest = []
    ended = False       # the boot died in an earlier section
    if not sections:
        why = next((l for l in lines if PANIC.match(l)), None)
        why = "the kernel crashed before the walker reached a disk: %s" % why if why else \
            "timed out before the walker reached a disk" if status is None else \
            "the walker never reached a disk (QEMU exit %s)" % status
        for r, _ in batch:
            r["why"], r["log"] = why, lines
        return []
    for (r, fs_before), name in zip(batch, names):
        sec = sections.get(name)
        if ended or sec is None:
            rest.append((r, fs_before))     # the boot died before this disk: boot it again
            continue
        r["log"] = sec
        r["mount"] = "refused" if any(re.match(r"^# disk %s: refused" % name, l) for l in sec) else "mounted"
        verdict = next((l for l in sec if re.match(r"^(ok|FAIL) disk-%s\b" % name, l)), None)
        panic = next((l for l in sec if PANIC.match(l)), None)
        if panic:
            r["why"] = "the kernel crashed: %s" % panic
            ended = True
        elif verdict is None:
            r["why"] = "timed out on this disk" if status is None else \
                "the walker never finished this disk (QEMU exit %s)" % status
            ended = True
        elif verdict.startswith("FAIL"):
            bad = [l for l in sec if l.startswith(("# unexpected", "# nonsense"))]
            r["why"] = "the walker failed: %s" % "; ".join([verdict] + bad[:2])
        elif r["mount"] == "refused" and not any(re.match(r"^mfs: %s: .*refus" % name, l) for l in sec):
            r["why"] = "mount(2) failed but the kernel did not say why (no `mfs: %s: refusing to mount: ...`)" % name
        else:
            judge_after_boot(args, r, r["before"], r["image"], fs_before)
            if r["ok"]:
                eio = sum(1 for l in sec if l.startswith("# EIO"))
                r["why"] = "%s, %d EIO, %s" % (r["mount"], eio, r["fsck"])
    if not rest and status not in (EXIT_PASS, EXIT_FAIL) and not ended:
        # Every disk has its verdict, but the power-off went wrong.
        for r, _ in batch:
            if r["ok"]:
                r["ok"] = False
                r["why"] = "no clean power-off after the walker (QEMU exit %s)" % status
    return rest


# --- a corrupt disk as the root ---------------------------------------------------

def root_seed(args, seed, tmp):
    r, fs_before = corrupt(args, seed, tmp, ".root")
    r["mode"] = "root"
    if fs_before is None:
        return r
    try:
        status, lines = boot(args, [r["image"]], "init=/bin/test_fs_walk / /home", args.timeout)
        r["log"] = lines
        panic = next((l for l in lines if PANIC.match(l)), None)
        mount = "mounted" if any(MOUNTED.match(l) for l in lines) else \
            "refused" if any(REFUSED.match(l) for l in lines) else None
        r["mount"] = "root " + (mount or "?")
        walker = next((l for l in lines if l.startswith("test_fs_walk: ")), None)
        if panic:
            r["why"] = "the kernel crashed: %s" % panic
        elif status is None:
            r["why"] = "timed out after %d s" % args.timeout
        elif mount is None:
            r["why"] = "neither mounted / from vda nor refused in one sentence"
        elif walker is None and any(re.match(r"^init: cannot exec /bin/test_fs_walk: EIO", l) for l in lines):
            # the corruption hit /bin: the kernel said EIO instead of running garbage
            if status != EXIT_FAIL:
                r["why"] = "the walker could not run (EIO) and the power-off went wrong (QEMU exit %s)" % status
            else:
                judge_after_boot(args, r, r["before"], r["image"], fs_before)
                if r["ok"]:
                    r["why"] = "root %s, /bin/test_fs_walk unreadable (EIO), %s" % (mount, r["fsck"])
        elif walker is None:
            r["why"] = "the walker did not finish (QEMU exit %s)" % status
        elif not re.match(r"^test_fs_walk: \d+ passed, 0 failed$", walker):
            bad = [l for l in lines if l.startswith(("FAIL ", "# unexpected", "# nonsense"))]
            r["why"] = "the walker failed: %s" % "; ".join(bad[:3] or [walker])
        elif status != EXIT_PASS:
            r["why"] = "no clean power-off (QEMU exit %s)" % status
        else:
            judge_after_boot(args, r, r["before"], r["image"], fs_before)
            if r["ok"]:
                eio = sum(1 for l in lines if l.startswith("# EIO"))
                r["why"] = "root %s, %d EIO, %s" % (mount, eio, r["fsck"])
    finally:
        os.unlink(r["before"])
    return r


def report(args, r, failed, counts):
    mode = r.get("mount", "?")
    counts[mode] = counts.get(mode, 0) + 1
    print("seed %3d%s: %s  %s  [%s]" % (r["seed"], " (root)" if r.get("mode") == "root" else "",
                                         "ok  " if r["ok"] else "FAIL", r["why"], r["what"]), flush=True)
    if not r["ok"]:
        failed.append(r)
        report_failure(args, "seed%d%s" % (r["seed"], "-root" if r.get("mode") else ""), r["image"], r["log"], 40,
                       header="%s\n%s\n" % (r["what"], r["why"]))
    if os.path.exists(r["image"]):
        os.unlink(r["image"])


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
    args.mfs = tool("mfs")
    args.pristine = Pristine(args.mfs, args.image)
    if not args.pristine.data:
        sys.exit("test-corrupt: mfs ls found no file in %s" % args.image)
    tmp = tempfile.mkdtemp(prefix="keel-corrupt-")
    t0 = time.time()
    failed = []
    counts = {}
    seeds = list(range(args.first, args.first + args.seeds))
    # Work items: groups of --per-boot seeds for the disk boots, one per root seed;
    # the root boots first, so both kinds overlap on -j 2.
    groups = [seeds[i:i + args.per_boot] for i in range(0, len(seeds), args.per_boot)]
    items = [("root", s) for s in seeds[:args.root_seeds]] + [("disks", g) for g in groups]
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            futs = [ex.submit(root_seed if kind == "root" else disk_batch, args, x, tmp) for kind, x in items]
            for f in futs:
                res = f.result()
                for r in (res if isinstance(res, list) else [res]):
                    report(args, r, failed, counts)
    except KeyboardInterrupt:
        kill_all_qemu()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    total = args.seeds + min(args.root_seeds, args.seeds)
    print("test-corrupt: %d seeds (%d of them also as the root), %d checks passed, %d failed (%s; -smp %d, %.0f s)" % (
        args.seeds, min(args.root_seeds, args.seeds), total - len(failed), len(failed),
        ", ".join("%s %d" % kv for kv in sorted(counts.items())), args.smp, time.time() - t0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
