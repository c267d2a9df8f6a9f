#!/usr/bin/env python3
"""powerloss: kill Keel (SIGKILL, no shutdown) while it writes files, then
check that the next boot finds every fsync'd file intact and none garbled.

    tools/powerloss.py [--runs 20] [--seed S] [--smp 1] [-j 2] [--build build/sol]
                       [--max-delay 1.5] [--keep-failed DIR] [-v]

Each run boots a private copy of build/user/disk.img running
`/bin/test_fs_powerloss run /home/powerloss SEED` (creates, writes, appends,
truncates, renames and deletes files f0..f7, printing `begin ...` before each
operation and `synced NAME LEN CKSUM GEN` / `gone NAME` once it is durable).
After the first `synced` line and a seeded random delay, QEMU gets SIGKILL.
Then:
  1. boot again on the same image with `test_fs_powerloss check`: the journal
     replays, / must mount from vda, and the checker lists every file;
  2. every file must be a state the history allows: a file whose last line
     was `synced` holds exactly that content (length, generation, checksum), a
     `gone` file is absent, a file with an operation in flight holds its old or
     new state (an append or truncate: any length in between; a truncate
     may also leave its old length with zeros from the new end of file to the
     end of that block, as ext4 with data=ordered can), and no file holds bytes
     that are not its generation's pattern (garbage);
  3. the kernel powered off cleanly, and `fsck.mfs -n` on the image exits 0.
Prints one line per run and a summary; exit status 0 iff every run passed.
"""
import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harnesslib import forget_qemu, kill_all_qemu, qemu_cmd, report_failure, start_qemu  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = "/home/powerloss"
EXIT_PASS = 33
MAGIC = 0x504c4f53
BLOCK = 4096
PANIC = re.compile(r"^(panic: |trap: )")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smp", type=int, default=1)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--build", default="build/sol", help="folder of kernel.elf")
    ap.add_argument("--image", default="build/user/disk.img")
    ap.add_argument("--max-delay", type=float, default=1.5,
                    help="longest wait (s) between the first synced line and the kill")
    ap.add_argument("--timeout", type=float, default=60, help="per boot (s)")
    ap.add_argument("--keep-failed", metavar="DIR", help="copy failed runs' images and logs here")
    ap.add_argument("-v", "--verbose", action="store_true")
    return ap.parse_args()


# --- the pattern (as in user/tests/test_fs_powerloss.c) -----------------------

M64 = (1 << 64) - 1


def mix(z):
    z = (z + 0x9e3779b97f4a7c15) & M64
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    return z ^ (z >> 31)


def pattern(gen, length):
    out = bytearray()
    k = 0
    while len(out) < length:
        w = (MAGIC << 32) | gen if k == 0 else mix(((gen << 32) ^ k) & M64)
        out += w.to_bytes(8, "little")
        k += 1
    return bytes(out[:length])


def cksum(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


# --- what the history allows -----------------------------------------------

class Model:
    """name -> set of allowed states: None (absent) or (gen, lo, hi): the
    generation's pattern, any length in [lo, hi]. `exact` holds the names whose
    last event made them durable (synced or gone): their losses are the worst."""

    def __init__(self):
        self.allowed = {}
        self.exact = {}
        self.truncating = set()   # (name, gen, new, old) of truncates begun

    def get(self, name):
        return self.allowed.setdefault(name, {None})

    def feed(self, line):
        f = line.split()
        if not f:
            return
        if f[0] == "begin" and len(f) >= 3:
            op, name = f[1], f[2]
            self.exact.pop(name, None)
            if op == "write":
                gen, n = int(f[3]), int(f[4])
                self.get(name).add((gen, n, n))
                self.allowed[name + ".tmp"] = {None, (gen, 0, n)}
                self.exact.pop(name + ".tmp", None)
            elif op == "append":
                gen, old, new = int(f[3]), int(f[4]), int(f[5])
                self.get(name).add((gen, old, new))
            elif op == "truncate":
                gen, old, new = int(f[3]), int(f[4]), int(f[5])
                self.get(name).add((gen, new, old))
                self.truncating.add((name, gen, new, old))
            elif op == "rename":
                dst = f[3]
                self.exact.pop(dst, None)
                self.get(dst).update(self.get(name))
                self.get(name).add(None)
            elif op == "delete":
                self.get(name).add(None)
        elif f[0] == "synced" and len(f) == 5:
            name, n, ck, gen = f[1], int(f[2]), int(f[3], 16), int(f[4])
            self.allowed[name] = {(gen, n, n)}
            self.allowed[name + ".tmp"] = {None}
            self.exact[name] = ("synced", n, ck, gen)
        elif f[0] == "gone" and len(f) == 2:
            self.allowed[f[1]] = {None}
            self.exact[f[1]] = ("gone",)

    def judge(self, files):
        """files: name -> (len, cksum, gen, valid) from the checker (valid: True,
        False, or (z0, z1): zeros there, the pattern elsewhere); returns problems."""
        problems = []
        for name in sorted(set(self.allowed) | set(files)):
            allowed = self.allowed.get(name, {None})
            got = files.get(name)
            if got is None:
                if None not in allowed:
                    what = self.exact.get(name)
                    problems.append("%s is missing, but %s" % (
                        name, "it was synced (%d bytes, gen %d) before the kill" % (what[1], what[3])
                        if what else "it existed before the operation in flight"))
                continue
            n, ck, gen, valid = got
            if isinstance(valid, tuple):
                # Zeros at [z0, z1) under the old size, the pattern elsewhere: allowed
                # only for a truncate in flight, and only in the block that holds
                # the new end of file (ext4's data=ordered semantics: truncating
                # zeroes that block's tail in the page cache, and that data may
                # reach the disk before the transaction that shrinks the size
                # commits; the blocks past it are freed only after that commit).
                z0, z1 = valid
                valid = name not in self.exact and any(
                    t[0] == name and t[1] == gen and t[3] == n and z0 >= t[2] and (gen, t[2], t[3]) in allowed
                    and not any(pattern(gen, n)[-(-t[2] // BLOCK) * BLOCK:z1])
                    for t in self.truncating)
                if valid:
                    continue
            if n < 8:    # the generation is not all there: try each allowed one
                ok = any(s and s[1] <= n <= s[2] and cksum(pattern(s[0], n)) == ck for s in allowed)
            else:
                ok = valid and any(s and s[0] == gen and s[1] <= n <= s[2] for s in allowed)
            if ok:
                continue
            if not valid:
                problems.append("%s holds garbage (%d bytes, not gen %d's pattern)" % (name, n, gen))
            elif name in self.exact and self.exact[name][0] == "synced":
                _, sn, sck, sgen = self.exact[name]
                problems.append("%s lost its synced content: %d bytes gen %d, expected %d bytes gen %d"
                                % (name, n, gen, sn, sgen))
            elif name in self.exact:
                problems.append("%s came back after it was deleted (gen %d, %d bytes)" % (name, gen, n))
            else:
                want = ", ".join("absent" if s is None else "gen %d len %d..%d" % s for s in sorted(
                    allowed, key=lambda s: (-1,) if s is None else s))
                problems.append("%s is %d bytes of gen %d, allowed: %s" % (name, n, gen, want))
        return problems


# --- QEMU --------------------------------------------------------------------

class Boot:
    """One QEMU run; lines are collected by a thread; on_line(line) is called
    for each (from that thread)."""

    def __init__(self, args, image, cmdline, on_line=None):
        self.lines = []
        self.on_line = on_line
        self.proc = start_qemu(qemu_cmd(args, [image], cmdline))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            if not raw.endswith(b"\n"):
                break  # the kill cut this last line short: "synced f5 178082 57" is not a record
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.lines.append(line)
            if self.on_line:
                self.on_line(line)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)

    def wait(self, timeout):
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            status = None
            self.proc.wait()
        self.reader.join(5)
        forget_qemu(self.proc)
        return status

    def panicked(self):
        return next((l for l in self.lines if PANIC.match(l)), None)


def one_run(args, i, tmp):
    seed = args.seed * 1000 + i
    rnd = random.Random(seed)
    image = os.path.join(tmp, "run%d.img" % i)
    subprocess.run(["cp", "--sparse=always", args.image, image], check=True)
    model = Model()
    first_synced = threading.Event()

    def on_line(line):
        model.feed(line)
        if line.startswith("synced "):
            first_synced.set()

    log = []
    result = {"run": i, "seed": seed, "ok": False, "why": "", "image": image, "log": log}
    t0 = time.time()
    b1 = Boot(args, image, "init=/bin/test_fs_powerloss run %s %d" % (DIR, seed), on_line)
    if not first_synced.wait(args.timeout):
        b1.kill()
    else:
        delay = rnd.uniform(0, args.max_delay)
        end = time.time() + delay
        while time.time() < end and b1.proc.poll() is None:
            time.sleep(0.01)
        b1.kill()
    status1 = b1.wait(10)
    log += ["--- boot 1 (killed) ---"] + b1.lines
    ops = sum(1 for l in b1.lines if l.startswith("begin "))
    if not first_synced.is_set():
        result["why"] = "the workload never printed a synced line"
        return result
    if b1.panicked() or any(l.startswith("FAIL ") for l in b1.lines) or status1 is not None and status1 >= 0:
        bad = b1.panicked() or next((l for l in b1.lines if l.startswith("FAIL ")), None)
        result["why"] = "boot 1 ended before the kill: %s" % (bad or "QEMU exit %s" % status1)
        return result

    b2 = Boot(args, image, "init=/bin/test_fs_powerloss check %s" % DIR)
    status2 = b2.wait(args.timeout)
    log += ["--- boot 2 (check) ---"] + b2.lines
    if b2.panicked():
        result["why"] = "boot 2 panicked: %s" % b2.panicked()
        return result
    if status2 is None:
        result["why"] = "boot 2 timed out"
        return result
    if not any(re.match(r"^mfs: / on vda", l) for l in b2.lines):
        result["why"] = "boot 2 did not mount / from vda: %s" % next(
            (l for l in b2.lines if l.startswith("mfs")), "no mfs line")
        return result
    files = {}
    for l in b2.lines:
        m = re.match(r"^file (\S+) (\d+) ([0-9a-f]{8}) (\d+) (valid|garbage@\d+|zeros@(\d+)-(\d+))$", l)
        if m:
            state = m.group(5)
            files[m.group(1)] = (int(m.group(2)), int(m.group(3), 16), int(m.group(4)),
                                 True if state == "valid" else
                                 (int(m.group(6)), int(m.group(7))) if m.group(6) else False)
        elif l.startswith("file "):
            result["why"] = "the checker could not read a file: %s" % l
            return result
    if not any(l.startswith("check: ") for l in b2.lines):
        result["why"] = "the checker did not finish (QEMU exit %s)" % status2
        return result
    problems = model.judge(files)
    if problems:
        result["why"] = "; ".join(problems[:4])
        return result
    if status2 != EXIT_PASS and status2 != 35:   # 35: init exited non-zero (garbage found)
        result["why"] = "boot 2 did not power off cleanly (QEMU exit %s)" % status2
        return result
    fsck = subprocess.run([os.path.join(ROOT, "build/tools/fsck.mfs"), "-n", image],
                          capture_output=True, text=True)
    log += ["--- fsck.mfs -n ---"] + (fsck.stdout + fsck.stderr).splitlines()
    if fsck.returncode != 0:
        tail = (fsck.stdout + fsck.stderr).strip().splitlines()
        result["why"] = "fsck.mfs -n exit %d: %s" % (fsck.returncode, " | ".join(tail[:3]))
        return result
    result["ok"] = True
    result["why"] = "%d operations, %d files checked, %.1f s" % (ops, len(files), time.time() - t0)
    return result


def main():
    args = parse_args()
    os.chdir(ROOT)
    args.kernel = os.path.join(args.build, "kernel.elf")
    args.initrd = "build/user/initrd.cpio"
    for f in (args.kernel, args.initrd, args.image, "build/tools/fsck.mfs"):
        if not os.path.exists(f):
            sys.exit("powerloss: %s is missing (make SOL=1 kernel disk tools)" % f)
    tmp = tempfile.mkdtemp(prefix="keel-powerloss-")
    t0 = time.time()
    failed = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            futs = [ex.submit(one_run, args, i, tmp) for i in range(args.runs)]
            for f in futs:
                r = f.result()
                print("run %2d seed %d: %s  %s" % (r["run"], r["seed"], "ok  " if r["ok"] else "FAIL",
                                                   r["why"]), flush=True)
                if not r["ok"]:
                    failed.append(r)
                    report_failure(args, "seed%d" % r["seed"], r["image"], r["log"], 60)
                os.unlink(r["image"])
    except KeyboardInterrupt:
        kill_all_qemu()
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("powerloss: %d runs, %d passed, %d failed (seed %d, -smp %d, %.0f s)"
          % (args.runs, args.runs - len(failed), len(failed), args.seed, args.smp, time.time() - t0))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
