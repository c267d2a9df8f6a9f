#!/usr/bin/env python3
"""Grader for lab 9a: per-process page tables and TLB shootdown (9A.1-9A.7).

    make grade LAB=9a [SOL=1] [T=9A.7/shootdown_race] [GDB=1]
    python3 grading/lab-9a.py --build build/sol [-j N] [--smp 1,4] [-T id] [--json F]
    python3 grading/lab-9a.py --build build/lab-9a --expect-fail     (honesty: all fail)

9A.1/9A.2 are ktests (kernel/test/lab9a_test.c). The others run user
programs (user/tests/lab9a_*.c) as init and read what they print and the
kernel's power-off lines:
    keel: cr3 switches A, cr3 skips B, tlb shootdown IPIs C
    keel: N user frames still allocated at power-off (other processes alive: M)
    keel: init exited with status S
User space needs lab 9a, so in a build where it is stubbed every user test
fails with a message that says so.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gradelib import (EXIT_FAIL, EXIT_PASS, TestFailure, checkpoint, register_test,  # noqa: E402
                      run_tests, test)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INITRD = os.path.join(REPO, "build", "user", "initrd.cpio")

checkpoint("9A.1", "Per-Process Page Tables - Data Structures")
checkpoint("9A.2", "Per-Process Page Tables - Kernel Mappings")
checkpoint("9A.3", "Per-Process Page Tables - User Mappings")
checkpoint("9A.4", "Per-Process Page Tables - Context Switch")
checkpoint("9A.5", "Per-Process Page Tables - Fork Integration")
checkpoint("9A.6", "TLB Shootdown - IPI Infrastructure")
checkpoint("9A.7", "TLB Shootdown - Integration")

# ktest name -> (checkpoint, title); all of them share one boot per -smp.
KTESTS = [
    ("pt_alloc", "9A.1", "alloc_page_table gives a zeroed, aligned page"),
    ("pt_clone_free", "9A.1", "clone copies the user half into new frames; free returns them all"),
    ("pt_free_many", "9A.1", "free_page_table returns every frame of a table with many user pages"),
    ("pt_clone_hierarchy", "9A.1", "clone_page_table_hierarchy copies every level, shares no table"),
    ("pt_kernel_half", "9A.2", "a new process table: kernel half the kernel's, user half empty"),
    ("pt_kernel_shared", "9A.2", "every process table shares the kernel's lower-level tables (entries 256..511)"),
]
KTEST_BOOT = "ktest=" + ",".join(k for k, _, _ in KTESTS)

RE_COUNTERS = re.compile(r"^keel: cr3 switches (\d+), cr3 skips (\d+), tlb shootdown IPIs (\d+)")
NEEDS_9A = ("user space needs lab 9a (per-process page tables): this kernel could not run %s "
            "(it printed `keel: user space needs lab 9a`)")


def ktest_body(name):
    def body(t):
        r = t.boot_shared(KTEST_BOOT, timeout=60)
        r.expect_line(r"^ktest %s: (ok|FAIL)" % name,
                      "expected the kernel to run ktest %s (in %s it never got to it)" % (name, KTEST_BOOT))
        r.expect_line(r"^ktest %s: ok$" % name)
    return body


for _name, _cp, _title in KTESTS:
    register_test("%s/ktest_%s" % (_cp, _name), ktest_body(_name), points=2, timeout=60, title=_title)


def run_init(t, cmdline, smp=None):
    if not os.path.exists(INITRD):
        raise TestFailure("%s is missing: run `make initrd` (make grade builds it)" % INITRD)
    return t.boot("init=" + cmdline, smp=smp, extra_args=["-initrd", INITRD])


def expect_user_space(r, prog):
    """Fail at once, with the reason, if the kernel has no user space."""
    hit = r.wait_for(r"^(keel: user space needs lab 9a|initrd: unpacked)")
    if hit is not None and hit[1].group(1).startswith("keel: user space"):
        raise TestFailure(NEEDS_9A % prog, [r.lines[hit[0]]])


def expect_program(r, prog, cases=()):
    """`ok <case>` for each case, no FAIL line, the summary, a clean power-off."""
    name = prog.split()[0].rsplit("/", 1)[-1]
    expect_user_space(r, prog)
    for c in cases:
        r.expect_line(r"^ok %s$" % re.escape(c), "expected `ok %s` from %s" % (c, prog))
    r.expect_no_line(r"^FAIL ")
    r.expect_line(r"^%s: \d+ passed, 0 failed$" % name)


def counters(r):
    m = r.expect_line(RE_COUNTERS.pattern, "expected the power-off line `keel: cr3 switches A, cr3 skips B, "
                                           "tlb shootdown IPIs C`")
    return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(0)


def expect_clean_exit(r):
    r.expect_line(r"^keel: 0 user frames still allocated at power-off")
    r.expect_line(r"^keel: init exited with status 0$")
    r.expect_exit(EXIT_PASS)
    r.expect_no_panic()


# ---- 9A.3: a program runs in its own table ------------------------------------

@test("9A.3/elf_runs", points=3, timeout=60, title="an ELF program is loaded into its own table and runs")
def elf_runs(t):
    r = run_init(t, "/bin/busybox echo lab9a-elf-ok")
    expect_user_space(r, "/bin/busybox")
    r.expect_line(r"^lab9a-elf-ok$")
    expect_clean_exit(r)


@test("9A.3/isolation_exec", points=4, timeout=90,
      title="exec replaces the table; a process cannot reach another's memory")
def isolation_exec(t):
    r = run_init(t, "/bin/lab9a_isolation exec")
    expect_program(r, "/bin/lab9a_isolation", ["fork-child-sees-copy", "exec-replaces-table",
                                               "other-process-unmapped", "other-process-own-data",
                                               "other-process-data-kept"])
    expect_clean_exit(r)


# ---- 9A.4: CR3 written only when the address space changes ----------------------

YIELDS = 500


@test("9A.4/cr3_skip_threads", points=3, smp=1, timeout=60,
      title="threads of one process switch without writing CR3")
def cr3_threads(t):
    r = run_init(t, "/bin/lab9a_cr3 threads %d" % YIELDS)
    expect_program(r, "/bin/lab9a_cr3", ["threads-yield"])
    sw, skip, _, line = counters(r)
    if skip < 2 * YIELDS or sw >= YIELDS:
        raise TestFailure("2 threads of one process yielded %d times each under -smp 1: expected at least %d "
                          "skipped CR3 writes and few switches (the table does not change between threads), got "
                          "%d skips and %d switches" % (YIELDS, 2 * YIELDS, skip, sw), [line])
    expect_clean_exit(r)


@test("9A.4/cr3_switch_procs", points=3, smp=1, timeout=60,
      title="switching between processes writes CR3 (counted)")
def cr3_procs(t):
    r = run_init(t, "/bin/lab9a_cr3 procs %d" % YIELDS)
    expect_program(r, "/bin/lab9a_cr3", ["procs-yield"])
    sw, skip, _, line = counters(r)
    if sw < 2 * YIELDS:
        raise TestFailure("2 processes yielded %d times each under -smp 1: expected at least %d CR3 switches, "
                          "got %d (and %d skips)" % (YIELDS, 2 * YIELDS, sw, skip), [line])
    expect_clean_exit(r)


# ---- 9A.5: fork gives the child its own table -------------------------------------

@test("9A.5/fork_isolation", points=4, timeout=90,
      title="fork: stack, heap, mmap'd and global data private to each side")
def fork_isolation(t):
    r = run_init(t, "/bin/lab9a_isolation fork")
    expect_program(r, "/bin/lab9a_isolation", ["fork-child-stack-private", "fork-child-heap-private",
                                               "fork-child-mmap-private", "fork-child-global-private",
                                               "fork-parent-writes-private"])
    expect_clean_exit(r)


@test("9A.5/fork_many", points=2, timeout=90, title="the fork tests of the base suite pass; no frame leaks")
def fork_many(t):
    r = run_init(t, "/bin/test_fork")
    expect_program(r, "/bin/test_fork")
    expect_clean_exit(r)


# ---- 9A.6/9A.7: TLB shootdown ------------------------------------------------------

@test("9A.6/shootdown_race", points=5, smp=4, timeout=90,
      title="after munmap/mprotect returns, a thread on another CPU faults at once")
def shootdown_race(t):
    r = run_init(t, "/bin/lab9a_shootdown race 3")
    expect_program(r, "/bin/lab9a_shootdown", ["munmap-stops-other-thread", "mprotect-stops-other-thread"])
    _, _, ipis, line = counters(r)
    if ipis == 0:
        raise TestFailure("6 munmap/mprotect calls with a thread of the process running on another CPU, "
                          "but no shootdown IPI was sent", [line])
    expect_clean_exit(r)


def single_body(t):
    r = run_init(t, "/bin/lab9a_shootdown single 50")
    expect_program(r, "/bin/lab9a_shootdown", ["single-threaded-munmap"])
    _, _, ipis, line = counters(r)
    if ipis != 0:
        raise TestFailure("a single-threaded process did 50 munmaps and mprotects: no other CPU has its table "
                          "loaded, so no shootdown IPI is needed, but %d were sent" % ipis, [line])
    expect_clean_exit(r)


register_test("9A.7/no_ipi_single_thread", single_body, points=3, timeout=60,
              title="a single-threaded process's munmap sends no IPI")

WIDE = 20


@test("9A.7/one_ipi_per_cpu", points=4, smp=4, timeout=90,
      title="a 512-page munmap costs at most one IPI per CPU using the table")
def one_ipi(t):
    r = run_init(t, "/bin/lab9a_shootdown wide %d" % WIDE)
    expect_program(r, "/bin/lab9a_shootdown", ["wide-munmap"])
    _, _, ipis, line = counters(r)
    # one sibling thread: at most one other CPU per munmap, plus a little for
    # the sibling's stack and exit
    if ipis > WIDE + 8:
        raise TestFailure("%d munmaps of 512 pages with one sibling thread on another CPU sent %d IPIs: expected "
                          "at most one per munmap and CPU (one request per range, not per page), about %d"
                          % (WIDE, ipis, WIDE), [line])
    if ipis < WIDE // 2:
        raise TestFailure("%d munmaps of 512 pages with a sibling thread spinning on another CPU sent only %d "
                          "IPIs: that CPU keeps stale entries" % (WIDE, ipis), [line])
    expect_clean_exit(r)


@test("9A.7/stress", points=5, smp=4, timeout=90,
      title="8 threads map, touch and unmap for 10 s under -smp 4: no stale access, no leak")
def stress(t):
    r = run_init(t, "/bin/lab9a_shootdown stress 10")
    expect_program(r, "/bin/lab9a_shootdown", ["stress"])
    counters(r)
    expect_clean_exit(r)


if __name__ == "__main__":
    run_tests()
