#!/usr/bin/env python3
"""Is a broken kernel reported well? Boots the kernel's deliberately broken
ktests (KTEST_MANUAL, never part of ktest=all) through gradelib and checks
the grader's failure report:

  selftest_panic   a write to address 0x10: the report names
                   ktest_fn_selftest_panic with the file:line addr2line gives,
                   and recognises the NULL dereference signature;
  selftest_assert  a failed assert: panic message, symbolized backtrace;
  a hang           the echo console waiting forever, with a 4 s timeout: the
                   report says where every CPU was, symbolized;
  selftest_deadlock  (if the kernel has it) CPU0 holds a lock the others spin
                   on: the report names the lock and its holder.

    python3 grading/selftest.py [--build build/sol]

Last line `selftest: N passed, M failed`; exit status 0 when all passed.
test_gradelib.py runs the same checks when a kernel is built.
"""

import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gradelib  # noqa: E402


def function_file(elf, fn):
    """The source file (basename) addr2line gives for function fn, or None."""
    nm = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
    addr = next((l.split()[0] for l in nm.splitlines() if l.split()[-1:] == [fn]), None)
    if addr is None:
        return None
    loc = subprocess.run(["addr2line", "-e", elf, "0x" + addr], capture_output=True, text=True).stdout
    path = loc.strip().rsplit(":", 1)[0]
    return None if path.startswith("??") else os.path.basename(path)


def report_of(cfg, ident, body, smp=1, cmdline="", timeout=60.0):
    spec = gradelib.TestSpec(ident, body, 1, smp, cmdline, timeout, "256M", ident)
    inst = gradelib.Instance(spec, smp, False)
    gradelib.run_one(cfg, inst)
    return inst, "\n".join(inst.report)


def expect_ok_line(name):
    def body(t):
        r = t.boot()
        r.expect_line(r"^ktest %s: ok$" % name)
        r.expect_exit(gradelib.EXIT_PASS)
    return body


def check_panic(cfg):
    inst, rep = report_of(cfg, "selftest/panic", expect_ok_line("selftest_panic"),
                          cmdline="ktest=selftest_panic")
    fname = function_file(cfg.kernel, "ktest_fn_selftest_panic") or "selftest.c"
    wants = [
        ("the test failed", not inst.passed),
        ("a symbolized backtrace", "backtrace (symbolized with addr2line):" in rep),
        ("ktest_fn_selftest_panic with its file:line (%s:N)" % fname,
         re.search(r"#\d+'? [0-9a-f]{16} ktest_fn_selftest_panic \((\S*/)?%s:\d+\)" % re.escape(fname), rep)),
        ("the NULL-dereference signature", "docs/debugging.md#null-pointer-dereference" in rep),
        ("a rerun line", re.search(r"rerun: .*selftest/panic", rep)),
    ]
    return wants, rep


def check_assert(cfg):
    inst, rep = report_of(cfg, "selftest/assert", expect_ok_line("selftest_assert"), smp=2,
                          cmdline="ktest=selftest_assert")
    fname = function_file(cfg.kernel, "ktest_fn_selftest_assert") or "selftest.c"
    wants = [
        ("the test failed", not inst.passed),
        ("the panic message", re.search(r"^    panic: .*assert", rep, re.M)),
        ("ktest_fn_selftest_assert with its file:line",
         re.search(r"ktest_fn_selftest_assert \((\S*/)?%s:\d+\)" % re.escape(fname), rep)),
    ]
    return wants, rep


def check_timeout(cfg):
    def body(t):
        r = t.boot()
        r.expect_line(r"^this line never comes$")
    inst, rep = report_of(cfg, "selftest/timeout", body, smp=2, cmdline="", timeout=4.0 / cfg.timeout_scale)
    wants = [
        ("the test failed with a timeout", not inst.passed and "timed out after" in rep),
        ("where every CPU was", "where the CPUs were when time ran out:" in rep),
        ("CPU0 and CPU1 symbolized to function (file:line)",
         re.search(r"CPU0\b.* in \w+ \(\S+:\d+\)", rep) and re.search(r"CPU1\b.* in \w+ \(\S+:\d+\)", rep)),
    ]
    return wants, rep


def check_deadlock(cfg):
    """Only if the kernel has a ktest selftest_deadlock (CPU0 holds a lock
    that the other CPUs then spin on)."""
    inst, rep = report_of(cfg, "selftest/deadlock", expect_ok_line("selftest_deadlock"), smp=2,
                          cmdline="ktest=selftest_deadlock", timeout=5.0 / cfg.timeout_scale)
    wants = [
        ("the test failed with a timeout", not inst.passed and "timed out after" in rep),
        ("the lock and its holder", re.search(r"spinning on lock '[^']+'.* held by CPU0", rep)),
        ("the deadlock signature", "known problem: deadlock" in rep),
    ]
    return wants, rep


def has_function(elf, fn):
    nm = subprocess.run(["nm", elf], capture_output=True, text=True).stdout
    return any(l.split()[-1:] == [fn] for l in nm.splitlines())


CHECKS = [("selftest_panic", check_panic), ("selftest_assert", check_assert), ("timeout", check_timeout),
          ("selftest_deadlock", check_deadlock)]


def run_checks(build, out=sys.stdout, verbose=False):
    """Returns the number of failed expectations."""
    gradelib.reset()
    cfg = gradelib.get_config(["--build", build, "-j", "1"])
    failed = passed = 0
    for name, fn in CHECKS:
        if name.startswith("selftest_") and not has_function(cfg.kernel, "ktest_fn_" + name):
            out.write("%-18s skipped: the kernel has no ktest %s\n" % (name, name))
            continue
        wants, rep = fn(cfg)
        bad = [w for w, ok in wants if not ok]
        passed += len(wants) - len(bad)
        failed += len(bad)
        out.write("%-18s %s\n" % (name, "ok" if not bad else "FAIL: the report lacks " + "; ".join(bad)))
        if bad or verbose:
            out.write("  the grader's report was:\n" + "\n".join("  " + l for l in rep.splitlines()) + "\n")
    out.write("selftest: %d passed, %d failed\n" % (passed, failed))
    return failed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.environ.get("KEEL_SELFTEST_BUILD", "build/sol"))
    p.add_argument("--verbose", "-v", action="store_true")
    a = p.parse_args()
    if not os.path.exists(os.path.join(a.build, "kernel.elf")):
        print("selftest: no kernel at %s/kernel.elf (make SOL=1)" % a.build)
        sys.exit(1)
    sys.exit(1 if run_checks(a.build, verbose=a.verbose) else 0)


if __name__ == "__main__":
    main()
