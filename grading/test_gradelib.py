#!/usr/bin/env python3
"""Self-test of grading/gradelib.py.

    python3 grading/test_gradelib.py            # quick: no QEMU, a fake stands in
    python3 grading/test_gradelib.py -v

Part 1 needs no QEMU: output parsing, signatures, symbolization with a fake
addr2line, JSON, test selection, and whole grader runs against a fake QEMU
(a Python script that prints what the kernel would and serves a fake HMP
monitor, so the timeout diagnosis is exercised too).

Part 2 (class RealKernel) boots the real kernel with the deliberately broken
`ktest=selftest_panic` and checks that the grader's report names
`ktest_fn_selftest_panic` with the file:line addr2line gives. It is skipped
when build/sol/kernel.elf (or $KEEL_SELFTEST_BUILD/kernel.elf) or QEMU is
missing.
"""

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gradelib  # noqa: E402

REPO = os.path.dirname(HERE)

TRAP_OUTPUT = """\
Keel x86_64 (sol) booting
mem: 255 MiB usable, direct map up to 0xfffe000
smp: 1 CPUs online
trap: #PF page fault (vector 14) error code 0x2 on CPU 0
page fault: write of an unmapped address 0x10 by kernel code
  rip ffffffff80104abc  cs 0008  rflags 00000246  rsp ffffffff80230f80  ss 0010
  rax 0000000000000000  rbx 0000000000000001  rcx 0000000000000000  rdx 0000000000000000
  rsi 0000000000000000  rdi 0000000000000000  rbp ffffffff80230fa0  r8  0000000000000000
  r9  0000000000000000  r10 0000000000000000  r11 0000000000000000  r12 0000000000000000
  r13 0000000000000000  r14 0000000000000000  r15 0000000000000000
  cr2 0000000000000010  cr3 0000000000101000  cr0 80010033  cr4 00300020
backtrace:
  #0 0xffffffff80104abc ktest_fn_selftest_panic+0x1c
  #1 0xffffffff80105000 ktest_run+0x80
  #2 0xffffffff80100100 kmain+0x40
keel: stopped (panic)
"""

FAKE_ADDR2LINE = r'''#!/usr/bin/env python3
import sys
addrs = [a for a in sys.argv[1:] if a.startswith("0x")]
for a in addrs:
    v = int(a, 16)
    print("0x%016x" % v)
    if v >= 0xffffffff80104a00 and v < 0xffffffff80104b00:
        print("ktest_fn_selftest_panic")
        print("%s/kernel/test/selftest.c:%d" % (sys.argv[0].rsplit("/", 1)[0] + "/REPO", 12))
    elif v >= 0xffffffff80105000 - 8 and v < 0xffffffff80105100:
        print("spin_lock")
        print("/x/kernel/lib/spinlock.c:40 (discriminator 1)")
        print("ktest_fn_spinlock")
        print("/x/kernel/lib/spinlock.c:90")
    else:
        print("??")
        print("??:0")
'''

# A stand-in for qemu-system-x86_64: reads -smp/-m/-append/-monitor, prints
# what the kernel would, exits like isa-debug-exit would make QEMU exit.
FAKE_QEMU = r'''#!/usr/bin/env python3
import os, socket, sys, threading, time
args = sys.argv[1:]
def opt(name, default=None):
    return args[args.index(name) + 1] if name in args else default
smp = int(opt("-smp", "1")); mem = opt("-m", "256M"); cmdline = opt("-append", "")
if os.environ.get("FAKE_LOG"):
    with open(os.environ["FAKE_LOG"], "a") as f: f.write(cmdline + "\n")
mon = opt("-monitor", "")
def serve(path):
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1)
    c, _ = s.accept()
    c.sendall(b"QEMU fake monitor\r\n(qemu) ")
    cur = [0]; buf = b""
    while True:
        d = c.recv(4096)
        if not d: return
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            cmd = line.decode().strip()
            out = cmd + "\x1b[K\r\n"
            if cmd == "info cpus":
                out += "".join("%s CPU #%d: thread_id=%d\r\n" % ("*" if i == 0 else " ", i, 100 + i) for i in range(smp))
            elif cmd.startswith("cpu "):
                cur[0] = int(cmd.split()[1])
            elif cmd == "info registers":
                rip = 0xffffffff80105004 if cur[0] == 1 else 0xffffffff80104abc
                out += "RAX=0000000000000000 RBX=0000000000000000\r\nRIP=%016x RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=%d\r\n" % (rip, 1 if cur[0] == 0 else 0)
                out += "RSP=ffffffff80230f00 RBP=ffffffff80230f40 RDI=%016x\r\n" % (0xffffffff80300000 if cur[0] == 1 else 0)
            elif cmd == "x /4gx 0xffffffff80300000":
                out += "ffffffff80300000: 0x0000000000000001 0xffffffff80310000\r\nffffffff80300010: 0x0000000000000000 0xffffffff80104ac1\r\n"
            elif cmd.startswith("x /40bx 0xffffffff80310000"):
                name = b"bcache\0" + bytes(33)
                out += "".join("%016x: %s\r\n" % (0xffffffff80310000 + i, " ".join("0x%02x" % b for b in name[i:i + 8])) for i in range(0, 40, 8))
            elif cmd.startswith("x /2gx"):
                a = int(cmd.split()[-1], 16)
                if a == 0xffffffff80230f40:
                    out += "%016x: 0xffffffff80230f80 0xffffffff80105040\r\n" % a
                else:
                    out += "%016x: 0x0000000000000000 0x0000000000000000\r\n" % a
            c.sendall((out + "(qemu) ").encode())
if mon.startswith("unix:"):
    threading.Thread(target=serve, args=(mon[5:].split(",")[0],), daemon=True).start()
def p(s):
    sys.stdout.write(s + "\r\n"); sys.stdout.flush()
p("Keel x86_64 (fake) booting")
mib = {"64M": 63, "256M": 255, "4G": 4095}.get(mem, 255)
p("mem: %d MiB usable, direct map up to 0x%x" % (mib, mib << 20))
p("smp: %d CPUs online" % smp)
words = cmdline.split()
ktests = None
for w in words:
    if w.startswith("ktest="): ktests = w[6:].split(",")
    else: p("cmdline: ignoring unknown option '%s'" % w)
known = ["pmm", "kmalloc", "paging", "spinlock", "ipi"]
if ktests == ["help"]:
    p("ktest: known tests: " + " ".join(known)); sys.exit(33)
if ktests is None:
    p("keel: nothing to run; type a line to see it echoed, Ctrl-D powers off")
    line = b""
    while True:
        ch = sys.stdin.buffer.read(1)
        if not ch or ch == b"\x04": sys.exit(33)
        if ch in b"\r\n":
            p("echo: " + line.decode()); line = b""
        else:
            line += ch
passed = failed = 0
for t in ktests:
    if t == "selftest_panic":
        sys.stdout.write(open(os.environ["FAKE_TRAP"]).read().replace("\n", "\r\n")); sys.stdout.flush()
        sys.exit(37)
    if t == "hang":
        time.sleep(600)
    if t == "triple":
        sys.exit(0)
    if t == "uaf":
        p("trap: general protection (vector 13) error code 0x0 on CPU 0")
        p("rip ffffffff80104abc rsp ffffffff80230f80 rbp ffffffff80230fa0")
        p("rax 6b6b6b6b6b6b6b6b rbx 0")
        p("backtrace:"); p("  #0 ffffffff80104abc ktest_fn_uaf+0x1c"); p("keel: stopped (panic)")
        sys.exit(37)
    if t in known:
        p("ktest %s: ok" % t); passed += 1
    elif t == "bad":
        p("ktest bad: FAIL frame 0x1000 handed out twice"); failed += 1
    else:
        p("ktest: no test named '%s'; ktest=help lists them" % t); sys.exit(35)
p("ktest: %d passed, %d failed" % (passed, failed))
sys.exit(35 if failed else 33)
'''


def write_exe(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)


class Fakes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="keel-gradelib-test-")
        cls.addr2line = os.path.join(cls.tmp, "addr2line")
        cls.qemu = os.path.join(cls.tmp, "qemu")
        write_exe(cls.addr2line, FAKE_ADDR2LINE)
        write_exe(cls.qemu, FAKE_QEMU)
        cls.build = os.path.join(cls.tmp, "build", "fake")
        os.makedirs(cls.build)
        open(os.path.join(cls.build, "kernel.elf"), "w").close()
        cls.trap_file = os.path.join(cls.tmp, "trap.txt")
        with open(cls.trap_file, "w") as f:
            f.write(TRAP_OUTPUT)
        cls.old_env = dict(os.environ)
        os.environ.update(QEMU=cls.qemu, KEEL_ADDR2LINE=cls.addr2line, FAKE_TRAP=cls.trap_file)
        os.environ.pop("GDB", None)
        os.environ.pop("KVM", None)

    @classmethod
    def tearDownClass(cls):
        os.environ.clear()
        os.environ.update(cls.old_env)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        gradelib.reset()

    def grade(self, *extra):
        """Run the declared tests with the fake QEMU; returns (status, output)."""
        out = io.StringIO()
        argv = ["--build", self.build, "-j", "2"] + list(extra)
        gradelib.get_config(argv)
        status = gradelib.run_tests(argv, out=out)
        return status, out.getvalue()


class Parsing(Fakes):
    def test_parse_trap(self):
        c = gradelib.parse_crash(TRAP_OUTPUT.splitlines(), 37)
        self.assertEqual(c.kind, "trap")
        self.assertEqual(c.vector, 14)
        self.assertEqual(c.error, 2)
        self.assertEqual(c.cpu, 0)
        self.assertEqual(c.regs["cr2"], 0x10)
        self.assertEqual(c.regs["rip"], 0xffffffff80104abc)
        self.assertEqual(c.regs["rflags"], 0x246)
        self.assertEqual(c.regs["r8"], 0)
        self.assertNotIn("address", c.regs)
        self.assertEqual([a for _, a, _ in c.backtrace],
                         [0xffffffff80104abc, 0xffffffff80105000, 0xffffffff80100100])
        self.assertEqual(c.backtrace[0][2], "ktest_fn_selftest_panic+0x1c")

    def test_parse_panic_and_triple(self):
        c = gradelib.parse_crash(["Keel x86_64 (sol) booting", "panic: kfree: double free of 0x1000",
                                  "backtrace:", "  #0 ffffffff80101000 panic+0x10"], 37)
        self.assertEqual(c.kind, "panic")
        self.assertEqual(c.message, "kfree: double free of 0x1000")
        self.assertEqual(len(c.backtrace), 1)
        self.assertEqual(gradelib.parse_crash(["Keel x86_64 (sol) booting"], 0).kind, "triple-fault")
        self.assertIsNone(gradelib.parse_crash(["Keel x86_64 (sol) booting"], 33))
        self.assertIsNone(gradelib.parse_crash(["x"], -9, timed_out=True))

    def test_signatures(self):
        sigs = gradelib.load_signatures()
        ids = [s.id for s in sigs]
        for want in ("null-deref", "noncanonical-gp", "stack-overflow", "triple-fault", "use-after-free"):
            self.assertIn(want, ids)
            self.assertTrue(next(s for s in sigs if s.id == want).doc.startswith("docs/debugging.md#"))
        c = gradelib.parse_crash(TRAP_OUTPUT.splitlines(), 37)
        self.assertEqual([s.id for s in gradelib.match_signatures(c, TRAP_OUTPUT, sigs)], ["null-deref"])
        gp = gradelib.parse_crash(["trap: general protection (vector 13) error code 0x0 on CPU 1",
                                   "rip ffffffff80101000 rsp ffffffff80200000 rbp 0",
                                   "rax 6b6b6b6b6b6b6b6b"], 37)
        self.assertEqual([s.id for s in gradelib.match_signatures(gp, "", sigs)],
                         ["use-after-free", "noncanonical-gp"])
        so = gradelib.parse_crash(["trap: double fault (vector 8) error code 0x0 on CPU 0",
                                   "rip ffffffff80101000 rsp ffffffff80228000 rbp ffffffff80228010",
                                   "cr2 ffffffff80227ff8"], 37)
        self.assertEqual([s.id for s in gradelib.match_signatures(so, "", sigs)],
                         ["stack-overflow", "double-fault"])
        tf = gradelib.parse_crash([], 0)
        self.assertEqual([s.id for s in gradelib.match_signatures(tf, "", sigs)], ["triple-fault"])

    def test_signature_docs_exist(self):
        """Every signature links to a heading of docs/debugging.md (GitHub/Pandoc ids)."""
        with open(os.path.join(REPO, "docs", "debugging.md")) as f:
            ids = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
                   for h in re.findall(r"^#+ (.*)$", f.read(), re.M)}
        for sig in gradelib.load_signatures():
            path, _, anchor = sig.doc.partition("#")
            self.assertEqual(path, "docs/debugging.md", sig.id)
            self.assertIn(anchor, ids, sig.id)

    def test_safe_eval_rejects(self):
        import ast
        with self.assertRaises(ValueError):
            gradelib.safe_eval(ast.parse("__import__('os')", mode="eval"), {}, "")
        with self.assertRaises(ValueError):
            gradelib.safe_eval(ast.parse("x.__class__", mode="eval"), {"x": 1}, "")

    def test_hmp_parsing(self):
        regs = gradelib.parse_hmp_registers(
            "RAX=0000000000000001 RBX=0000000000000000\nRIP=ffffffff80101234 RFL=00000246 [---Z-P-] "
            "CPL=0 II=0 A20=1 SMM=0 HLT=1\nES =0010 0000000000000000 ffffffff 00c09300\n"
            "RSP=ffffffff80200000 RBP=ffffffff80200010\n")
        self.assertEqual(regs["RIP"], 0xffffffff80101234)
        self.assertEqual(regs["HLT"], 1)
        self.assertEqual(regs["RBP"], 0xffffffff80200010)
        self.assertEqual(gradelib.parse_hmp_x("ffffffff80200010: 0xffffffff80200040 0xffffffff80101300\n"),
                         [0xffffffff80200040, 0xffffffff80101300])

    def test_addr2line_parsing_and_symbolizer(self):
        out = ("0xffffffff80105000\nspin_lock\n%s/kernel/lib/spinlock.c:40 (discriminator 1)\n"
               "ktest_fn_spinlock\n%s/kernel/lib/spinlock.c:90\n0x0000000000000010\n??\n??:0\n" % (REPO, REPO))
        r = gradelib.parse_addr2line(out)
        self.assertEqual(r[0xffffffff80105000], [("spin_lock", "kernel/lib/spinlock.c:40"),
                                                 ("ktest_fn_spinlock", "kernel/lib/spinlock.c:90")])
        self.assertEqual(r[0x10], [])
        sym = gradelib.Symbolizer(os.path.join(self.build, "kernel.elf"), self.addr2line)
        self.assertEqual(sym.describe(0xffffffff80104abc),
                         "ktest_fn_selftest_panic (%s/REPO/kernel/test/selftest.c:12)" % self.tmp)
        self.assertIn("spin_lock (/x/kernel/lib/spinlock.c:40) inlined in ktest_fn_spinlock",
                      sym.describe(0xffffffff80105001, return_address=True))
        self.assertIsNone(sym.describe(0x1234))

    def test_short_path(self):
        self.assertEqual(gradelib.short_path(REPO + "/kernel/mm/pmm.c:40"), "kernel/mm/pmm.c:40")
        self.assertEqual(gradelib.short_path(REPO + "/build/sol/src/kernel/mm/pmm.c:7"), "kernel/mm/pmm.c:7")
        self.assertEqual(gradelib.short_path("??:0"), "??:0")

    def test_closest(self):
        r = gradelib.Run.__new__(gradelib.Run)
        r.lines = ["Keel x86_64 (sol) booting", "ktest pmm: FAIL frame handed out twice", "ktest: 0 passed, 1 failed"]
        ex = r.closest(r"^ktest pmm: ok$")
        self.assertTrue(any("FAIL frame handed out twice" in l and l.startswith(">") for l in ex), ex)
        self.assertIn("no output line resembles it", r.closest(r"^zzz nothing$")[0])


class WithFakeQemu(Fakes):
    def declare_base(self):
        gradelib.checkpoint("base", "Fake base")

        @gradelib.test("base/ktest_pmm", points=2, cmdline="ktest=pmm", timeout=20, title="pmm")
        def pmm(t):
            r = t.boot()
            r.expect_line(r"^ktest pmm: ok$")
            r.expect_exit(gradelib.EXIT_PASS)
            r.expect_no_panic()

        @gradelib.test("base/console", points=3, smp=1, timeout=20, title="console")
        def console(t):
            r = t.boot("")
            r.expect_line(r"^keel: nothing to run")
            r.send_line("hello keel")
            r.expect_line(r"^echo: hello keel$")
            r.send(b"\x04")
            r.expect_exit(gradelib.EXIT_PASS)

    def test_full_marks_and_json(self):
        self.declare_base()
        jf = os.path.join(self.tmp, "out", "results.json")
        status, out = self.grade("--json", jf)
        self.assertEqual(status, 0, out)
        lines = out.strip().splitlines()
        self.assertEqual(lines[-1], "Score: 7/7")
        self.assertTrue(any(re.match(r"^base Fake base \.+ 7/7$", l) for l in lines), out)
        self.assertIn("base/ktest_pmm@smp4: pmm", out)
        with open(jf) as f:
            res = json.load(f)
        self.assertEqual(res["score"], 7)
        self.assertEqual(res["max_score"], 7)
        self.assertEqual(len(res["tests"]), 3)
        for t in res["tests"]:
            self.assertEqual(set(t), {"name", "score", "max_score", "output"})

    def test_selection(self):
        self.declare_base()
        status, out = self.grade("-T", "base/ktest_pmm@smp4")
        self.assertEqual(out.strip().splitlines()[-1], "Score: 2/2")
        status, out = self.grade("--smp", "2", "-T", "base/ktest")
        self.assertIn("base/ktest_pmm@smp2", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 2/2")

    def test_failure_report(self):
        gradelib.checkpoint("base", "Fake base")

        @gradelib.test("base/ktest_bad", points=2, smp=1, cmdline="ktest=bad", timeout=20, title="bad")
        def bad(t):
            r = t.boot()
            r.expect_line(r"^ktest bad: ok$")

        status, out = self.grade("--rerun-hint", "make grade LAB=base SOL=1")
        self.assertEqual(status, 1)
        self.assertIn("expected a line matching /^ktest bad: ok$/", out)
        self.assertIn("ktest bad: FAIL frame 0x1000 handed out twice", out)
        self.assertIn("last 5 kernel log lines:", out)
        self.assertIn("rerun: make grade LAB=base SOL=1 T=base/ktest_bad", out)
        self.assertIn("GDB=1", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 0/2")

    def test_ordered_expectations(self):
        @gradelib.test("base/order", points=1, smp=1, cmdline="ktest=pmm,kmalloc", timeout=20)
        def order(t):
            r = t.boot()
            r.expect_in_order(r"^ktest kmalloc: ok$", r"^ktest pmm: ok$")

        status, out = self.grade()
        self.assertIn("expected, after line 5, a line matching /^ktest pmm: ok$/", out)
        self.assertIn("it appears only earlier, out of order (the previous expectation matched line 5)", out)
        self.assertRegex(out, r">\s+4\| ktest pmm: ok")

    def test_expect_no_line_and_exit(self):
        @gradelib.test("base/noline", points=1, smp=1, cmdline="ktest=bad", timeout=20)
        def noline(t):
            r = t.boot()
            r.expect_line(r"^Keel")
            r.expect_no_line(r"FAIL")

        @gradelib.test("base/exit", points=1, smp=1, cmdline="ktest=bad", timeout=20)
        def exit_(t):
            r = t.boot()
            r.expect_line(r"^ktest bad:")
            r.expect_exit(gradelib.EXIT_PASS)

        status, out = self.grade()
        self.assertIn("expected no line matching /FAIL/", out)
        self.assertIn("expected QEMU exit status 33 (the kernel powered off normally (all ktests passed)), "
                      "got 35 (the kernel reported a failed ktest)", out)

    def test_expect_output_sees_a_prompt(self):
        @gradelib.test("base/prompt", points=1, smp=1, cmdline="", timeout=20)
        def prompt(t):
            r = t.boot()
            r.expect_output(r"Ctrl-D powers off\n")
            r.send_line("a")
            r.expect_output(r"(?s)echo: a\n")
            r.send_line("b")
            r.expect_output(r"echo: \w\n", fresh=True)
            r.send_line("c")
            m = r.expect_output(r"echo: \w\n", fresh=True)
            if m.group(0) != "echo: c\n":
                raise gradelib.TestFailure("fresh matched old output: %r" % m.group(0))
            r.send(b"\x04")
            r.expect_exit(gradelib.EXIT_PASS)

        status, out = self.grade()
        self.assertEqual(status, 0, out)

    def test_shared_boot(self):
        log = os.path.join(self.tmp, "boots.log")
        os.environ["FAKE_LOG"] = log
        batch = ["pmm", "bad", "kmalloc", "selftest_panic", "ipi"]

        def shared(name):
            def body(t):
                r = t.boot_shared("ktest=" + ",".join(batch))
                r.expect_line(r"^ktest %s: (ok|FAIL)" % name)
                r.expect_line(r"^ktest %s: ok$" % name)
            return body
        for n in batch:
            gradelib.register_test("base/" + n, shared(n), points=1, smp=1, timeout=20)
        try:
            status, out = self.grade()
        finally:
            del os.environ["FAKE_LOG"]
        with open(log) as f:
            self.assertEqual(f.read().splitlines(), ["ktest=pmm,bad,kmalloc,selftest_panic,ipi"])
        self.assertRegex(out, r"base/pmm \.+ OK")
        self.assertRegex(out, r"base/kmalloc \.+ OK")
        self.assertIn("ktest bad: FAIL frame 0x1000 handed out twice", out)
        self.assertIn("one boot shared by several tests", out)
        self.assertIn("ktest_fn_selftest_panic (", out)      # the crash, in selftest_panic's report
        self.assertIn("expected a line matching /^ktest ipi: (ok|FAIL)/", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 2/5")

    def test_gdb_mode(self):
        import contextlib
        log = os.path.join(self.tmp, "gdb-boots.log")

        @gradelib.test("base/pmm", points=1, smp=1, cmdline="ktest=pmm", timeout=1)
        def pmm(t):
            r = t.boot()
            r.expect_line(r"^ktest pmm: ok$")
            with open(log, "w") as f:
                f.write(" ".join(r.args))

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            status, out = self.grade("--gdb")
        self.assertEqual(status, 0, out)
        self.assertIn("-j 1", out)
        with open(log) as f:
            args = f.read()
        self.assertIn(" -S -gdb tcp:127.0.0.1:", args)
        self.assertRegex(err.getvalue(), r"gdb \S+kernel.elf -ex 'target remote :\d+'")

    def test_expect_fail(self):
        gradelib.checkpoint("9Z.1", "a stubbed checkpoint")

        @gradelib.test("9Z.1/stubbed", points=2, smp=1, cmdline="ktest=bad", timeout=20)
        def stubbed(t):
            t.boot().expect_line(r"^ktest bad: ok$")

        @gradelib.test("base/boots", points=1, smp=1, cmdline="ktest=pmm", timeout=20)
        def boots(t):
            t.boot().expect_line(r"^ktest pmm: ok$")

        status, out = self.grade("--expect-fail")
        self.assertEqual(status, 0, out)
        self.assertIn("honesty: ok", out)

        @gradelib.test("9Z.1/lazy", points=1, smp=1, cmdline="ktest=pmm", timeout=20)
        def lazy(t):
            t.boot().expect_line(r"^ktest pmm: ok$")

        status, out = self.grade("--expect-fail")
        self.assertEqual(status, 1, out)
        self.assertIn("honesty: 9Z.1/lazy passes on this stubbed build: it tests nothing", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 2/4")

    def test_missing_qemu(self):
        @gradelib.test("base/any", points=1, smp=1, timeout=20)
        def any_(t):
            t.boot().expect_line("x")

        os.environ["QEMU"] = os.path.join(self.tmp, "no-such-qemu")
        try:
            status, out = self.grade()
        finally:
            os.environ["QEMU"] = self.qemu
        self.assertEqual(status, 1)
        self.assertIn("tools/install-deps.sh", out)

    def test_exit_code_alone_never_scores(self):
        @gradelib.test("base/lazy", points=1, smp=1, cmdline="ktest=pmm", timeout=20)
        def lazy(t):
            t.boot().expect_exit(gradelib.EXIT_PASS)

        status, out = self.grade()
        self.assertIn("an exit code alone never scores", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 0/1")

    def test_panic_symbolized_with_signature(self):
        @gradelib.test("base/panics", points=1, smp=1, cmdline="ktest=selftest_panic", timeout=20)
        def panics(t):
            r = t.boot()
            r.expect_line(r"^ktest selftest_panic: ok$")

        status, out = self.grade()
        self.assertIn("CPU exception: trap: #PF page fault (vector 14)", out)
        self.assertRegex(out, r"#0 ffffffff80104abc ktest_fn_selftest_panic \(.*kernel/test/selftest.c:12\)")
        self.assertIn("known problem: NULL pointer dereference", out)
        self.assertIn("docs/debugging.md#null-pointer-dereference", out)

    def test_crash_never_scores(self):
        @gradelib.test("base/uaf", points=1, smp=1, cmdline="ktest=uaf", timeout=20)
        def uaf(t):
            r = t.boot()
            r.expect_line(r"^Keel")   # a body that forgets to check for the panic

        status, out = self.grade()
        self.assertIn("the kernel crashed", out)
        self.assertIn("known problem: use after free", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 0/1")

    def test_triple_fault(self):
        @gradelib.test("base/triple", points=1, smp=1, cmdline="ktest=triple", timeout=20)
        def triple(t):
            r = t.boot()
            r.expect_line(r"^Keel")
            r.expect_exit(gradelib.EXIT_PASS)

        status, out = self.grade()
        self.assertIn("triple fault", out)
        self.assertIn("docs/debugging.md#triple-fault", out)

    def test_timeout_reports_cpus(self):
        @gradelib.test("base/hang", points=1, smp=2, cmdline="ktest=hang", timeout=3)
        def hang(t):
            r = t.boot()
            r.expect_line(r"^ktest hang: ok$")

        status, out = self.grade()
        self.assertIn("timed out after", out)
        self.assertIn("where the CPUs were when time ran out:", out)
        self.assertRegex(out, r"CPU0 \(halted\) in ktest_fn_selftest_panic")
        self.assertRegex(out, r"CPU1 in spin_lock \(spinlock.c:40\) inlined in "
                              r"ktest_fn_spinlock \(spinlock.c:90\) <- spin_lock")
        self.assertRegex(out, r"spinning on lock 'bcache' held by CPU0, taken in ktest_fn_selftest_panic \(")
        self.assertIn("known problem: deadlock", out)
        self.assertEqual(out.strip().splitlines()[-1], "Score: 0/1")


class PageTableHelpers(unittest.TestCase):
    """tools/gdb/keel.py's walker, on a fake physical memory."""

    def setUp(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("keel_gdb", os.path.join(REPO, "tools", "gdb", "keel.py"))
        self.k = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.k)
        P, W, U, PS, G, NX = 1, 2, 4, 0x80, 0x100, 1 << 63
        mem = {}

        def table(pa, entries):
            t = [0] * 512
            for i, e in entries.items():
                t[i] = e
            mem[pa] = t
        table(0x1000, {0: 0x2000 | P | W | U, 256: 0x7000 | P | W})
        table(0x2000, {0: 0x3000 | P | W | U})
        table(0x3000, {0: 0x4000 | P | W | U})
        table(0x4000, {1: 0x5000 | P | W | U, 2: 0x6000 | P | W | U, 3: 0x9000 | P | U | NX})
        table(0x7000, {0: 0 | P | W | PS | G | NX, 1: 0x40000000 | P | W | PS | G | NX})
        self.read = lambda pa: mem[pa]

    def test_dump_coalesces(self):
        k = self.k
        ranges = list(k.coalesce(k.walk(self.read, 0x1000)))
        self.assertEqual(ranges, [
            (0x1000, 0x3000, 0x5000, 0x1000, (True, True, False, False, False)),
            (0x3000, 0x4000, 0x9000, 0x1000, (False, True, True, False, False)),
            (0xffff800000000000, 0xffff800080000000, 0, 1 << 30, (True, False, True, True, False)),
        ])
        text = "\n".join(k.format_ranges(ranges))
        self.assertIn("ffff800000000000-ffff800080000000     2G  0000000000000000  W S NX G (1G)", text)
        self.assertEqual(len(list(k.walk(self.read, 0x1000, lo=0xffff800000000000))), 2)

    def test_translate(self):
        lines, pa = self.k.translate(self.read, 0x1000, 0xffff800040001234)
        self.assertEqual(pa, 0x40001234)
        self.assertEqual(len(lines), 3)
        lines, pa = self.k.translate(self.read, 0x1000, 0x3008)
        self.assertEqual(pa, 0x9008)
        self.assertIn("NX", lines[3])
        lines, pa = self.k.translate(self.read, 0x1000, 0x10000000)
        self.assertIsNone(pa)
        self.assertIn("not mapped", lines[-1])


class RealKernel(unittest.TestCase):
    """Boot the real kernel's deliberately broken ktests (grading/selftest.py)
    and check the grader's report: ktest_fn_selftest_panic with file:line,
    the NULL-dereference signature, a symbolized timeout report."""

    build = os.environ.get("KEEL_SELFTEST_BUILD", os.path.join(REPO, "build", "sol"))

    def test_broken_kernel_is_reported_well(self):
        elf = os.path.join(self.build, "kernel.elf")
        if not os.path.exists(elf):
            self.skipTest("no kernel at %s (make SOL=1)" % elf)
        if not shutil.which(os.environ.get("QEMU", "qemu-system-x86_64")):
            self.skipTest("no QEMU")
        if "ktest_fn_selftest_panic" not in subprocess.run(["nm", elf], capture_output=True,
                                                           text=True).stdout:
            self.skipTest("this kernel has no ktest selftest_panic")
        import selftest
        saved = dict(os.environ)
        for k in ("QEMU", "KEEL_ADDR2LINE", "GDB"):
            os.environ.pop(k, None)
        try:
            out = io.StringIO()
            failed = selftest.run_checks(self.build, out)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            gradelib.reset()
        self.assertEqual(failed, 0, out.getvalue())


if __name__ == "__main__":
    unittest.main()
