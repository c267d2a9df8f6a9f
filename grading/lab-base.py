#!/usr/bin/env python3
"""Grader for the base issue ("Keel boots"): boot, SMP, console, command line,
memory sizes and the base ktests, under -smp 1 and -smp 4.

    make grade LAB=base [SOL=1] [T=base/ktest_pmm] [GDB=1]
    python3 grading/lab-base.py --build build/sol [-j N] [--smp 1,4] [-T id] [--json F]
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradelib import (EXIT_FAIL, EXIT_PASS, TestFailure, checkpoint, get_config,  # noqa: E402
                      quick_boot, register_test, run_tests, test)

checkpoint("base", "Keel boots")

# Every build must have these; a missing one fails its test.
BASE_KTESTS = ["pmm", "kmalloc", "paging", "spinlock", "ipi"]


def is_base_ktest(name):
    """ktests the base grader owns: not the deliberately broken selftest_* or
    other manual ones, not a lab's (named lab9a_... or 9a_...; see also
    lab_owned, which looks at the file a ktest is defined in)."""
    low = name.lower()
    return not (low.startswith("selftest") or low.endswith("(manual)") or low.startswith("lab")
                or low[:2] in ("9a", "9b", "9c", "9d", "9e"))


def lab_owned(cfg, names):
    """The ktests defined in a lab file (one with a solutions/<lab>/ twin) or
    in a lab's test file (kernel/test/lab9a_test.c): their lab's grader
    grades them, not this one (they fail on the stubs)."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        nm = subprocess.run(["nm", cfg.kernel], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    addrs = {}
    for line in nm.splitlines():
        f = line.split()
        if len(f) == 3 and f[2].startswith("ktest_fn_") and f[2][9:] in names:
            addrs[int(f[0], 16)] = f[2][9:]
    owned = set()
    for addr, frames in cfg.symbolizer.lookup(list(addrs)).items():
        if not frames:
            continue
        path = frames[-1][1].rsplit(":", 1)[0]
        if os.path.isabs(path):
            path = os.path.relpath(path, repo)
        parts = path.split("/")
        if parts[0] == "solutions" or any(os.path.exists(os.path.join(repo, "solutions", lab, path))
                                          for lab in ("9a", "9b", "9c", "9d", "9e")) \
                or any(re.match(r"^lab-?9[a-e]", p.lower()) for p in parts):
            owned.add(addrs[addr])
    return owned


def boot_lines(r, smp):
    r.expect_in_order(r"^Keel x86_64 \(\S+\) booting",
                      r"^mem: \d+ MiB usable, direct map up to (0x)?[0-9a-fA-F]+",
                      r"^smp: %d CPUs? online" % smp)


@test("base/boot", points=3, timeout=30, title="boots, all CPUs online, powers off on Ctrl-D")
def boot(t):
    r = t.boot("")
    boot_lines(r, t.smp)
    r.expect_next(r"^keel: nothing to run; type a line")
    r.send(b"\x04")
    r.expect_exit(EXIT_PASS)
    r.expect_no_panic()


@test("base/smp8", points=2, smp=8, timeout=40, title="-smp 8: every CPU online, IPIs reach them all")
def smp8(t):
    r = t.boot("ktest=ipi")
    boot_lines(r, 8)
    r.expect_line(r"^ktest ipi: ok$")
    r.expect_exit(EXIT_PASS)
    r.expect_no_panic()


@test("base/console", points=3, smp=1, timeout=30, title="interrupt-driven console input")
def console(t):
    r = t.boot("")
    r.expect_line(r"^keel: nothing to run; type a line")
    r.send_line("hello keel")
    r.expect_line(r"^echo: hello keel$")
    r.send_line("second line")
    r.expect_line(r"^echo: second line$")
    r.send(b"\x04")
    r.expect_exit(EXIT_PASS)
    r.expect_no_panic()


@test("base/ktest_list", points=1, smp=1, timeout=30, title="ktest=help lists the base ktests")
def ktest_list(t):
    r = t.boot("ktest=help")
    m = r.expect_line(r"^ktest: known tests: (.*)$")
    known = m.group(1).replace(",", " ").split()
    missing = [n for n in BASE_KTESTS if n not in known]
    if missing:
        raise TestFailure("expected ktest=help to list %s; missing: %s"
                          % (" ".join(BASE_KTESTS), " ".join(missing)), [m.group(0)])
    r.wait()
    r.expect_no_panic()


@test("base/cmdline_unknown", points=2, smp=1, timeout=30,
      title="unknown command-line words are ignored, with a message")
def cmdline_unknown(t):
    r = t.boot("frobnicate ktest=pmm colour=blue")
    r.expect_line(r"^cmdline: ignoring unknown option 'frobnicate'")
    r.expect_line(r"^cmdline: ignoring unknown option 'colour(=blue)?'")
    r.expect_line(r"^ktest pmm: ok$")
    r.expect_exit(EXIT_PASS)
    r.expect_no_panic()


@test("base/ktest_unknown", points=2, smp=1, timeout=30,
      title="an unknown ktest name stops with one clear sentence")
def ktest_unknown(t):
    r = t.boot("ktest=pmm,no_such_test")
    # one sentence naming the bad test (not the kernel's echo of its command line)
    r.expect_line(r"^(?!cmdline:).*\bno_such_test\b")
    r.expect_no_line(r"^ktest no_such_test: ok")
    r.expect_exit(EXIT_FAIL)
    r.expect_no_panic()


def mem_test(size, lo, hi, ktest):
    def body(t):
        r = t.boot("ktest=" + ktest, mem=size)
        m = r.expect_line(r"^mem: (\d+) MiB usable")
        mib = int(m.group(1))
        if not lo <= mib <= hi:
                raise TestFailure("with -m %s expected %d..%d MiB usable, the kernel found %d"
                              % (size, lo, hi, mib), [m.group(0)])
        r.expect_line(r"^ktest %s: ok$" % ktest)
        r.expect_exit(EXIT_PASS)
        r.expect_no_panic()
    return body


# ktest=pmm takes every frame: fine at 64M, ~13 s of TCG at 4G, so 4G runs paging.
register_test("base/mem_64M", mem_test("64M", 40, 64, "pmm"), points=2, smp=1, mem="64M", timeout=30,
              title="boots with -m 64M")
register_test("base/mem_4G", mem_test("4G", 3500, 4096, "paging"), points=2, smp=1, mem="4G", timeout=45,
              title="boots with -m 4G (memory above 4 GiB)")


def ktest_body(name):
    def body(t):
        # a blank scratch disk as vda: the block-layer ktests (virtio_blk) use it
        r = t.boot("ktest=" + name, disk=t.scratch_disk())
        r.expect_line(r"^ktest %s: (ok|FAIL)" % name, "expected the kernel to run ktest %s" % name)
        r.expect_line(r"^ktest %s: ok$" % name)
        r.expect_line(r"^ktest: 1 passed, 0 failed")
        r.expect_exit(EXIT_PASS)
        r.expect_no_panic()
    return body


def ktest_names(cfg):
    """The fixed minimum, plus what the kernel itself lists for ktest=help
    (asked only when the selection could include one of those)."""
    names = list(BASE_KTESTS)
    if not cfg.filters or any(f in ("base", "base/", "base/k", "base/ktest") or
                              (f.startswith("base/ktest_") and f[len("base/ktest_"):].split("@")[0]
                               not in BASE_KTESTS) for f in cfg.filters):
        if os.path.exists(cfg.kernel):
            r = quick_boot("ktest=help", cfg=cfg)
            extra = []
            for line in r.lines:
                if line.startswith("ktest: known tests:"):
                    for n in line.split(":", 2)[2].replace(",", " ").split():
                        if n not in names and is_base_ktest(n):
                            extra.append(n)
            owned = lab_owned(cfg, extra)
            names += [n for n in extra if n not in owned]
    return names


def shared_ktest_body(name, batch):
    """A ktest graded from one boot shared with the other `batch` ktests
    (ktest=a,b,c), or from its own boot when selected with -T (the rerun)."""
    def body(t):
        if t.cfg.filters:
            return ktest_body(name)(t)
        r = t.boot_shared("ktest=" + ",".join(batch), timeout=90, scratch_disk=True)
        r.expect_line(r"^ktest %s: (ok|FAIL)" % name,
                      "expected the kernel to run ktest %s (in ktest=%s it never got to it)"
                      % (name, ",".join(batch)))
        r.expect_line(r"^ktest %s: ok$" % name)
    return body


def main():
    cfg = get_config()
    names = ktest_names(cfg)
    # The required ktests boot one by one (isolated failures); the others the
    # kernel lists share one boot per -smp, so that the grade stays fast as
    # ktests are added.
    extra = [n for n in names if n not in BASE_KTESTS]
    for n in names:
        body = ktest_body(n) if n in BASE_KTESTS else shared_ktest_body(n, extra)
        register_test("base/ktest_" + n, body, points=2, timeout=40, title="ktest %s" % n)
    import base_user  # noqa: F401  (processes and user space: registers its tests on import)
    import storage  # noqa: F401  (/ on MFS, persistence, the file-system tests)
    run_tests()


if __name__ == "__main__":
    main()
