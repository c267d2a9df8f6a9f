"""gradelib: the grading library for Keel's per-lab graders (Python 3 stdlib only).

A grader (grading/lab-<lab>.py) declares tests with the @test decorator; each
test boots QEMU on build/<mode>/kernel.elf with a kernel command line, reads
the serial console and makes expectations on it:

    from gradelib import *

    checkpoint("base", "Keel boots")

    @test("base/ktest_pmm", points=2, cmdline="ktest=pmm", timeout=30)
    def ktest_pmm(t):
        r = t.boot()                       # QEMU starts; r is a Run
        r.expect_line(r"^ktest pmm: ok$")  # waits for the line (or exit/timeout)
        r.expect_exit(EXIT_PASS)           # never the only expectation
        r.expect_no_panic()

    run_tests()

Rules the library enforces, whatever a test body says:
  - a timeout or a crash (panic, CPU exception, triple fault) never scores;
  - a test that made no expectation on the output never scores (an exit code
    alone proves nothing);
  - every failure prints the expectation next to the output that broke it, the
    last kernel log lines, a symbolized panic (addr2line), any known failure
    signature from grading/signatures.txt, and a line that reruns exactly that
    test; on a timeout, where every CPU was (QEMU monitor, frame-pointer walk).

See grading/README.md and docs/grading.md.
"""

import argparse
import ast
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "test", "checkpoint", "run_tests", "get_config", "quick_boot",
    "TestFailure", "Run", "EXIT_PASS", "EXIT_FAIL", "EXIT_PANIC",
    "EXIT_TRIPLE_FAULT", "register_test", "reset", "RecordedRun",
    "disk_args", "fsck_image", "DEFAULT_DISK", "TEST_DISK_CACHE",
]

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGNATURES_FILE = os.path.join(REPO, "grading", "signatures.txt")

# isa-debug-exit: the kernel writes v to port 0xf4, QEMU exits (v << 1) | 1.
EXIT_PASS = 33          # v=0x10: ktests passed / normal power-off
EXIT_FAIL = 35          # v=0x11: some ktest failed
EXIT_PANIC = 37         # v=0x12: panic
EXIT_TRIPLE_FAULT = 0   # -no-reboot turns a reset (triple fault) into exit 0

EXIT_MEANING = {
    EXIT_PASS: "the kernel powered off normally (all ktests passed)",
    EXIT_FAIL: "the kernel reported a failed ktest",
    EXIT_PANIC: "the kernel panicked",
    EXIT_TRIPLE_FAULT: "triple fault: the CPU reset without an exit code",
    1: "QEMU itself failed (see its error output)",
}

LOG_TAIL = 15           # kernel log lines shown with every failure
DEFAULT_TIMEOUT = 30.0  # seconds per test, before --timeout-scale


def describe_exit(status):
    if status is None:
        return "still running"
    if status < 0:
        return "killed by the grader (signal %d)" % -status
    return "%d (%s)" % (status, EXIT_MEANING.get(status, "unexpected exit status"))


# ---------------------------------------------------------------------------
# Parsing the kernel's serial output

RE_BANNER = re.compile(r"^Keel x86_64 \((?P<mode>[^)]*)\) booting")
RE_TRAP = re.compile(r"^trap: (?P<name>.+?) \(vector (?P<vector>\d+)\) error code "
                     r"(?P<error>(?:0x)?[0-9a-fA-F]+) on CPU (?P<cpu>\d+)")
RE_PANIC = re.compile(r"^panic: (?P<msg>.*)$")
RE_STOPPED = re.compile(r"^keel: stopped \(panic\)")
RE_BT_HEAD = re.compile(r"^backtrace:")
RE_BT = re.compile(r"^\s*#(?P<i>\d+)\s+(?:0x)?(?P<addr>[0-9a-fA-F]{6,16})\b\s*(?P<sym>\S*)")
RE_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
REGISTERS = {"rip", "rsp", "rbp", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10",
             "r11", "r12", "r13", "r14", "r15", "cs", "ss", "ds", "es", "fs", "gs", "rflags",
             "cr0", "cr2", "cr3", "cr4", "efer", "fs_base", "gs_base"}


def _int(s):
    return int(s, 16)


class Crash:
    """What the kernel printed when it died: a panic, a CPU exception, or a
    triple fault (no output, exit status 0)."""

    def __init__(self, kind):
        self.kind = kind          # "panic", "trap", "triple-fault" (or "timeout": no crash)
        self.message = ""         # panic message or trap line
        self.trap_name = None
        self.vector = None
        self.error = None
        self.cpu = None
        self.regs = {}            # lower-case name -> int
        self.backtrace = []       # [(index, addr, kernel's own symbol text)]
        self.line_index = None    # where in the output it starts

    def fields(self):
        """Names a signature's `when:` expression may use."""
        f = dict(self.regs)
        f.update(kind=self.kind, panic=self.kind == "panic",
                 trap=self.kind == "trap", triple_fault=self.kind == "triple-fault",
                 message=self.message)
        if self.vector is not None:
            f.update(vector=self.vector, error=self.error, cpu=self.cpu)
        return f


def parse_crash(lines, exit_status=None, timed_out=False):
    """Find the first panic or trap report in `lines`; a QEMU exit 0 with
    neither is a triple fault."""
    crash = None
    for i, line in enumerate(lines):
        m = RE_TRAP.search(line)
        if m:
            crash = Crash("trap")
            crash.message = line.strip()
            crash.trap_name = m.group("name")
            crash.vector = int(m.group("vector"))
            crash.error = _int(m.group("error"))
            crash.cpu = int(m.group("cpu"))
            crash.line_index = i
            break
        m = RE_PANIC.search(line)
        if m:
            crash = Crash("panic")
            crash.message = m.group("msg")
            crash.line_index = i
            break
    if crash is None:
        if exit_status == 0 and not timed_out:
            crash = Crash("triple-fault")
            crash.message = "QEMU exited with status 0 and no isa-debug-exit code"
            crash.line_index = len(lines)
        return crash
    in_bt = False
    for line in lines[crash.line_index + 1:]:
        if RE_STOPPED.search(line):
            break
        if RE_BT_HEAD.search(line.strip()):
            in_bt = True
            continue
        m = RE_BT.match(line)
        if in_bt and m:
            crash.backtrace.append((int(m.group("i")), int(m.group("addr"), 16), m.group("sym")))
            continue
        if in_bt:
            break
        crash.regs.update(parse_register_line(line))
    return crash


def parse_register_line(line):
    """`rip ffffffff80101234 rsp ... cr2 0` -> {"rip": ..., ...}."""
    regs = {}
    toks = line.replace("=", " ").replace(":", " ").split()
    i = 0
    while i + 1 < len(toks):
        name, val = toks[i].lower(), toks[i + 1]
        if name in REGISTERS and RE_HEX.match(val):
            regs[name] = int(val, 16)
            i += 2
        else:
            i += 1
    return regs


def canonical(x):
    """Is x a canonical 48-bit x86_64 address?"""
    top = x >> 47
    return top == 0 or top == (1 << 17) - 1


# ---------------------------------------------------------------------------
# Symbolization with addr2line

class Symbolizer:
    """Maps kernel addresses to function:file:line with
    `addr2line -f -i -C -e kernel.elf` (one process per batch, cached)."""

    def __init__(self, elf, addr2line=None):
        self.elf = elf
        self.addr2line = addr2line or os.environ.get("KEEL_ADDR2LINE", "addr2line")
        self.cache = {}
        self.objects = None
        self.lock = threading.Lock()

    def lookup(self, addrs):
        """addr -> [(function, "file:line"), ...] innermost inlined frame first."""
        with self.lock:
            todo = sorted({a for a in addrs if a not in self.cache})
            if todo and self.elf and os.path.exists(self.elf):
                try:
                    out = subprocess.run(
                        [self.addr2line, "-a", "-f", "-i", "-C", "-e", self.elf]
                        + ["0x%x" % a for a in todo],
                        capture_output=True, text=True, timeout=30).stdout
                    self.cache.update(parse_addr2line(out))
                except (OSError, subprocess.SubprocessError):
                    pass
            return {a: self.cache.get(a, []) for a in addrs}

    def data_symbol(self, addr):
        """`name` or `name+0x10` for an address inside a kernel variable (nm -S)."""
        with self.lock:
            if self.objects is None:
                self.objects = []
                try:
                    out = subprocess.run(["nm", "-S", "--defined-only", self.elf], capture_output=True,
                                         text=True, timeout=30).stdout
                    for line in out.splitlines():
                        f = line.split()
                        if len(f) == 4 and f[2] in "dDbBrR":
                            self.objects.append((int(f[0], 16), int(f[1], 16), f[3]))
                except (OSError, subprocess.SubprocessError, ValueError):
                    pass
            for start, size, name in self.objects:
                if start <= addr < start + max(size, 1):
                    return name if addr == start else "%s+0x%x" % (name, addr - start)
            return None

    def describe(self, addr, return_address=False, short=False):
        """`func (file:line)`, inlined frames joined with ' inlined in ';
        short: the file's base name only. A return address is looked up at
        addr-1: the call, not the next line."""
        a = addr - 1 if return_address else addr
        frames = self.lookup([a])[a]
        if not frames:
            return None
        out = []
        for fn, loc in frames:
            if out and out[-1][0] == fn:      # a function "inlined in" itself: noise
                continue
            out.append((fn, os.path.basename(loc) if short else loc))
        return " inlined in ".join(fn if loc.startswith("??") else "%s (%s)" % (fn, loc) for fn, loc in out)


def parse_addr2line(out):
    result = {}
    cur = None
    lines = out.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if re.match(r"^0x[0-9a-fA-F]+$", line):
            cur = int(line, 16)
            result[cur] = []
            i += 1
            continue
        if cur is not None and i + 1 < len(lines):
            fn, loc = line, lines[i + 1].strip()
            loc = re.sub(r" \(discriminator \d+\)$", "", loc)
            result[cur].append((fn, short_path(loc)))
            i += 2
            continue
        i += 1
    for a in list(result):
        if all(fn == "??" for fn, _ in result[a]):
            result[a] = []
    return result


def short_path(loc):
    """/work/main/kernel/mm/pmm.c:40 -> kernel/mm/pmm.c:40 (relative to the repo,
    and to a build tree's copy of it)."""
    path, _, line = loc.rpartition(":")
    if not path:
        return loc
    if path.startswith(REPO + "/"):
        path = path[len(REPO) + 1:]
    m = re.match(r"^(?:.*/)?build/[^/]+/(?:src/|overlay/|tree/)?(.*)$", path)
    if m and not os.path.isabs(m.group(1)):
        path = m.group(1)
    return "%s:%s" % (path, line)


class Disassembly:
    """Just enough of `objdump -d` of the kernel to repair one blind spot of a
    frame-pointer backtrace: a leaf function that sets up no frame (GCC omits
    it even with -fno-omit-frame-pointer) hides its caller. If the faulting
    function has no `push %rbp` and few direct callers, they are named."""

    RE_FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
    RE_INSN = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")

    def __init__(self, elf, objdump="objdump"):
        self.elf = elf
        self.objdump = objdump
        self.loaded = False
        self.first = {}     # function -> its first instruction's text
        self.calls = {}     # callee -> [(caller, return address)]
        self.lock = threading.Lock()

    def _load(self):
        if self.loaded:
            return
        self.loaded = True
        try:
            out = subprocess.run([self.objdump, "-d", "--no-show-raw-insn", self.elf],
                                 capture_output=True, text=True, timeout=60).stdout
        except (OSError, subprocess.SubprocessError):
            return
        func = None
        prev_call = None
        for line in out.splitlines():
            m = self.RE_FUNC.match(line)
            if m:
                func = m.group(2)
                prev_call = None
                continue
            m = self.RE_INSN.match(line)
            if not m or func is None:
                continue
            addr, op, rest = int(m.group(1), 16), m.group(2), m.group(3)
            self.first.setdefault(func, op + " " + rest)
            if prev_call:   # the return address is the next instruction
                self.calls.setdefault(prev_call, []).append((func, addr))
                prev_call = None
            if op.startswith("call"):
                t = re.search(r"<([^>+]+)>$", rest)
                prev_call = t.group(1) if t else None

    def frameless(self, func):
        """Does func start without `push %rbp` (so it has no frame of its own)?"""
        with self.lock:
            self._load()
            first = self.first.get(func, "")
            return bool(first) and not re.match(r"push\s+%rbp|endbr64", first)

    def hidden_callers(self, func):
        """[(caller, return address)] if func sets up no frame pointer, else []."""
        return self.calls.get(func, []) if self.frameless(func) else []


# ---------------------------------------------------------------------------
# Known failure signatures (grading/signatures.txt)

class Signature:
    def __init__(self, ident):
        self.id = ident
        self.title = ident
        self.when = None
        self.doc = ""
        self.hint = ""

    def matches(self, fields, output, extra=None):
        try:
            return bool(safe_eval(self.when, fields, output, extra))
        except Exception:
            return False


def load_signatures(path=SIGNATURES_FILE):
    """Blocks `[id]` followed by `key: value` lines (title, when, doc, hint);
    `#` starts a comment; a line starting with whitespace continues the value."""
    sigs = []
    cur = None
    last_key = None
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return sigs
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = re.match(r"^\[([\w.-]+)\]\s*$", raw)
        if m:
            cur = Signature(m.group(1))
            sigs.append(cur)
            continue
        if cur is None:
            continue
        if raw[0].isspace() and last_key:
            setattr(cur, last_key, getattr(cur, last_key) + " " + raw.strip())
            continue
        key, _, val = raw.partition(":")
        key = key.strip()
        if key in ("title", "when", "doc", "hint"):
            setattr(cur, key, val.strip())
            last_key = key
    for s in sigs:
        s.when = ast.parse(s.when or "False", mode="eval")
    return sigs


_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
            ast.Invert, ast.BinOp, ast.Add, ast.Sub, ast.BitAnd, ast.BitOr, ast.BitXor,
            ast.LShift, ast.RShift, ast.Mult, ast.Compare, ast.Eq, ast.NotEq, ast.Lt,
            ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Name, ast.Load, ast.Constant,
            ast.Tuple, ast.Call)


def safe_eval(tree, fields, output, extra=None):
    """Evaluate a signature's `when:` expression: arithmetic, comparisons,
    and/or/not over the crash's fields, plus a few helper functions."""
    regs = {k: v for k, v in fields.items() if isinstance(v, int) and not isinstance(v, bool)}
    gp = {k: v for k, v in regs.items()
          if k in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
                   "r11", "r12", "r13", "r14", "r15", "rip", "cr2")}
    funcs = {
        "has": lambda name: name in fields,
        "near": lambda a, b, n: abs(a - b) <= n,
        "canonical": canonical,
        "noncanonical_reg": lambda: any(not canonical(v) for v in gp.values()),
        "reg_contains": lambda hexstr: any(hexstr.lower() in "%016x" % v for v in gp.values()),
        "output_has": lambda rx: re.search(rx, output, re.M) is not None,
        "message_has": lambda rx: re.search(rx, fields.get("message", "")) is not None,
    }
    funcs.update(extra or {})
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError("not allowed in a signature: %s" % type(node).__name__)
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in funcs):
            raise ValueError("unknown function in a signature")
    env = dict(fields)
    env.update(funcs)
    return eval(compile(tree, "<signature>", "eval"), {"__builtins__": {}}, env)


def match_signatures(crash, output, sigs=None, cpu_states=None):
    """The signatures that match a crash, or a timeout (crash.kind "timeout",
    cpu_states from Run.where_are_cpus)."""
    if crash is None:
        return []
    if sigs is None:
        sigs = load_signatures()
    fields = crash.fields()
    fields["timed_out"] = crash.kind == "timeout"
    states = cpu_states or []
    extra = {
        "cpu_in": lambda fn: any(fn in st["funcs"] for st in states),
        "all_halted": lambda: bool(states) and all(st["halted"] for st in states),
        "lock_held": lambda: any(st["lock"] and " held by " in st["lock"] for st in states),
    }
    return [s for s in sigs if s.matches(fields, output, extra)]


# ---------------------------------------------------------------------------
# Configuration (command line)

class Config:
    build = None            # e.g. build/sol
    kernel = None           # build/sol/kernel.elf
    mode = None             # sol / student / lab-9c
    jobs = 1
    smp = [1, 4]
    filters = []
    json_file = None
    gdb = False
    verbose = False
    rerun_hint = None
    timeout_scale = 1.0
    qemu = "qemu-system-x86_64"
    kvm = False
    symbolizer = None
    disassembly = None
    out = sys.stdout


_config = None


def get_config(argv=None):
    """Parse the grader's command line once (the first call wins)."""
    global _config
    if _config is not None and argv is None:
        return _config
    p = argparse.ArgumentParser(description="Keel grader (see docs/grading.md)")
    p.add_argument("--build", default=os.environ.get("KEEL_BUILD", "build/sol"),
                   help="build folder holding kernel.elf (default build/sol)")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                   help="QEMU instances in parallel (default: core count)")
    p.add_argument("--smp", default="1,4", help="CPU counts for SMP-swept tests (default 1,4)")
    p.add_argument("-T", "--test", action="append", default=[],
                   help="run only tests whose id, checkpoint or prefix matches (repeatable, comma lists)")
    p.add_argument("--json", dest="json_file", help="write Gradescope results.json here")
    p.add_argument("--gdb", action="store_true",
                   help="start each selected test's QEMU stopped, waiting for GDB (no timeout)")
    p.add_argument("--verbose", "-v", action="store_true", help="print each test's full serial output")
    p.add_argument("--rerun-hint", default=None,
                   help="command that reruns this grader, e.g. 'make grade LAB=base SOL=1'")
    p.add_argument("--timeout-scale", type=float,
                   default=float(os.environ.get("KEEL_TIMEOUT_SCALE", "1")),
                   help="multiply every timeout (slow machines)")
    p.add_argument("--list", action="store_true", help="list the tests and exit")
    p.add_argument("--expect-fail", action="store_true",
                   help="honesty check on a build where the lab is stubbed: exit 0 only if every "
                        "selected test outside the 'base' checkpoint fails")
    a = p.parse_args(argv)
    c = Config()
    build = a.build.rstrip("/")
    if build.endswith(".elf"):
        c.kernel = build
        build = os.path.dirname(build)
    else:
        c.kernel = os.path.join(build, "kernel.elf")
    c.build = build
    c.mode = os.path.basename(os.path.abspath(build))
    c.jobs = max(1, a.jobs)
    c.smp = [int(x) for x in a.smp.split(",") if x.strip()]
    c.filters = [f for arg in a.test for f in arg.split(",") if f.strip()]
    c.json_file = a.json_file
    c.gdb = a.gdb or os.environ.get("GDB") == "1"
    c.verbose = a.verbose
    c.rerun_hint = a.rerun_hint
    c.timeout_scale = a.timeout_scale
    c.list = a.list
    c.expect_fail = a.expect_fail
    c.qemu = os.environ.get("QEMU", "qemu-system-x86_64")
    c.kvm = os.environ.get("KVM") == "1"
    c.symbolizer = Symbolizer(c.kernel)
    c.disassembly = Disassembly(c.kernel) if os.path.exists(c.kernel) else None
    _config = c
    return c


# ---------------------------------------------------------------------------
# Failures

class TestFailure(Exception):
    """An expectation did not hold; str() is the expectation, `excerpt` the
    output lines that broke it."""

    def __init__(self, message, excerpt=None):
        super().__init__(message)
        self.excerpt = excerpt or []


class TestTimeout(TestFailure):
    pass


# ---------------------------------------------------------------------------
# One QEMU run

_live = set()
_live_lock = threading.Lock()
_interrupted = threading.Event()   # Ctrl-C: no new QEMU starts


DEFAULT_DISK = "build/user/disk.img"   # the standard MFS image (make disk)
MKFS = "build/tools/mkfs.mfs"
FSCK = "build/tools/fsck.mfs"


# A test's own disk copies use cache=unsafe: QEMU ignores the guest's FLUSH
# instead of calling fdatasync on the host (~1 ms each, which dominated the
# storage tests: 1000 files took 17.7 s instead of 5.1 s). The tests' crash
# model is "QEMU is killed" (powerloss.py sends SIGKILL), never "the host loses
# power": every write QEMU completed is already in the host's page cache, so a
# flush that reaches the host's disk buys the tests nothing. The guest still
# sees a write-back cache and still sends its FLUSHes (they are counted).
TEST_DISK_CACHE = "unsafe"


def disk_args(images, cache=None):
    """QEMU options attaching images as vda, vdb, ... (raw, virtio-blk over PCI).
    cache: QEMU's cache= mode for every image (None: QEMU's default, writeback),
    or a list with one mode (or None) per image."""
    out = []
    for i, img in enumerate(images):
        name = "vd" + chr(ord("a") + i)
        mode = cache[i] if isinstance(cache, (list, tuple)) else cache
        opts = "file=%s,if=none,id=%s,format=raw" % (img, name)
        if mode:
            opts += ",cache=" + mode
        out += ["-drive", opts, "-device", "virtio-blk-pci,drive=%s" % name]
    return out


def fsck_image(path, timeout=60):
    """(clean, report): fsck.mfs -n exits 0 on a clean image; report is
    its output (first 40 lines) or why it could not run."""
    fsck = os.path.join(REPO, FSCK)
    if not os.path.exists(fsck):
        return False, "%s is missing: run `make tools`" % FSCK
    try:
        r = subprocess.run([fsck, "-n", path], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "fsck.mfs -n took more than %d s" % timeout
    lines = (r.stdout + r.stderr).strip().splitlines()
    report = "\n".join("      " + l for l in lines[:40])
    return r.returncode == 0, "    fsck.mfs exit status %d:\n%s" % (r.returncode, report)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    """One boot of the kernel under QEMU. Output is collected by a reader
    thread; expectations wait for what they need until the test's deadline."""

    def __init__(self, cfg, cmdline="", smp=1, mem="256M", deadline=None, gdb=False,
                 extra_args=(), allow_crash=False, name="test"):
        self.cfg = cfg
        self.cmdline = cmdline
        self.smp = smp
        self.mem = mem
        self.deadline = deadline
        self.allow_crash = allow_crash
        self.name = name
        self.lines = []           # complete lines, \r stripped
        self.partial = ""
        self.exit_status = None
        self.timed_out = False
        self.timeout_report = []  # lines: where each CPU was
        self.cpu_states = []      # [{"cpu", "halted", "funcs", "lock"}] after a timeout
        self.waiting_for = None   # what the test waited for when time ran out
        self.output_checks = 0    # expectations on output that held
        self.cursor = 0           # line index after the last ordered match
        self.text_cursor = 0      # text offset after the last expect_output match
        self.started = time.time()
        self.cond = threading.Condition()
        if _interrupted.is_set():
            raise TestFailure("interrupted")
        self.tmp = tempfile.mkdtemp(prefix="keel-grade-")
        self.monitor = os.path.join(self.tmp, "monitor.sock")
        self.gdb_port = free_port() if gdb else None
        self.args = self.qemu_args(extra_args)
        self.stderr_file = open(os.path.join(self.tmp, "qemu.stderr"), "w+")
        try:
            self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.stderr_file)
        except OSError as e:
            raise TestFailure("cannot start QEMU (%s): %s" % (self.args[0], e))
        with _live_lock:
            _live.add(self.proc)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        if self.gdb_port:
            self._announce_gdb()

    def qemu_args(self, extra):
        c = self.cfg
        args = [c.qemu, "-machine", "q35", "-cpu", "max", "-m", str(self.mem),
                "-smp", str(self.smp), "-display", "none", "-no-reboot", "-serial", "stdio",
                "-monitor", "unix:%s,server,nowait" % self.monitor,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                "-kernel", c.kernel, "-append", self.cmdline]
        if c.kvm:
            args += ["-accel", "kvm"]
        if self.gdb_port:
            args += ["-S", "-gdb", "tcp:127.0.0.1:%d" % self.gdb_port]
        return args + list(extra)

    def _announce_gdb(self):
        stop = ""
        dis = self.cfg.disassembly
        if dis is not None:
            with dis.lock:
                dis._load()
            stop = next((" -ex 'break %s'" % f for f in ("panic_finish", "panic") if f in dis.first), "")
        msg = ("\nGDB: %s: QEMU is stopped at its first instruction, waiting for GDB on port %d.\n"
               "     In another terminal, from the top of the repository:\n"
               "       gdb %s -ex 'target remote :%d'%s\n"
               "     then `continue`%s. (With the repository's .gdbinit allowed, "
               "KEEL_GDB_PORT=%d gdb does the same.)\n"
               "     The test has no timeout now; quit QEMU from GDB (kill) or with Ctrl-C here.\n"
               % (self.name, self.gdb_port, self.cfg.kernel, self.gdb_port, stop,
                  ": it stops at the first panic or kernel exception" if stop else "", self.gdb_port))
        sys.stderr.write(msg)
        sys.stderr.flush()

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            with self.cond:
                if not data:
                    if self.partial:
                        self.lines.append(self.partial)
                        self.partial = ""
                    self.cond.notify_all()
                    break
                text = self.partial + data.decode("utf-8", "replace").replace("\r", "")
                parts = text.split("\n")
                self.partial = parts.pop()
                self.lines.extend(parts)
                self.cond.notify_all()
        status = self.proc.wait()
        with self.cond:
            self.exit_status = status
            self.cond.notify_all()
        with _live_lock:
            _live.discard(self.proc)

    # -- state

    @property
    def output(self):
        with self.cond:
            return "\n".join(self.lines + ([self.partial] if self.partial else []))

    def running(self):
        return self.exit_status is None

    def stderr(self):
        try:
            self.stderr_file.seek(0)
            return self.stderr_file.read()
        except (OSError, ValueError):
            return ""

    def crash(self):
        return parse_crash(self.lines, self.exit_status, self.timed_out)

    # -- waiting

    def _remaining(self):
        return None if self.deadline is None else self.deadline - time.time()

    def _wait_until(self, pred, what):
        """Wait until pred() (under the lock) or QEMU exits; on the deadline,
        diagnose and raise TestTimeout."""
        with self.cond:
            while True:
                r = pred()
                if r:
                    return r
                if self.exit_status is not None:   # set only after all output was read
                    return None
                rem = self._remaining()
                if rem is not None and rem <= 0:
                    break
                self.cond.wait(0.2 if rem is None else min(rem, 0.2))
        self.waiting_for = what
        self.on_timeout()
        raise TestTimeout("timed out after %.0f s waiting for %s" % (time.time() - self.started, what))

    def wait(self):
        """Wait for QEMU to exit; returns its exit status."""
        self._wait_until(lambda: self.exit_status is not None, "QEMU to exit")
        self.reader.join(5)
        return self.exit_status

    def wait_for(self, regex, start=0):
        """Wait for a line matching regex at index >= start; returns
        (index, match) or None if QEMU exited without printing it."""
        rx = re.compile(regex)
        scanned = [start]

        def find():
            for i in range(scanned[0], len(self.lines)):
                m = rx.search(self.lines[i])
                if m:
                    return (i, m)
            scanned[0] = max(scanned[0], len(self.lines))
            return None
        return self._wait_until(find, "a line matching /%s/" % regex)

    def wait_for_text(self, regex, start=0):
        """Wait for regex in the output from character offset start on,
        including a last line that has no newline yet (a shell prompt);
        returns the match (offsets into self.text()) or None."""
        rx = re.compile(regex, re.M)

        def find():
            return rx.search(self.text(), start)
        return self._wait_until(find, "output matching /%s/" % regex)

    def text(self):
        """The whole output as one string (lines joined by \n, then the
        unfinished last line); it only grows, so offsets stay valid."""
        return "\n".join(self.lines + [self.partial])

    def send(self, text):
        """Type text on the serial console (str or bytes)."""
        if isinstance(text, str):
            text = text.encode()
        try:
            self.proc.stdin.write(text)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise TestFailure("could not type %r: QEMU has exited (%s)" % (text, describe_exit(self.exit_status)))

    def send_line(self, line):
        self.send(line + "\r")

    # -- expectations

    def expect_line(self, regex, msg=None):
        """Some line (anywhere) matches regex. Returns the match."""
        r = self.wait_for(regex)
        if r is None:
            raise TestFailure(msg or "expected a line matching /%s/" % regex, self.closest(regex))
        self.output_checks += 1
        return r[1]

    def expect_output(self, regex, msg=None, fresh=False):
        """The output, as one text, matches regex (multi-line; also sees an
        unfinished last line such as a prompt). fresh=True: only output after
        the previous expect_output match counts, e.g. the next shell prompt
        before typing the next command: r.expect_output(r"\$ $", fresh=True).
        Returns the match."""
        m = self.wait_for_text(regex, self.text_cursor if fresh else 0)
        if m is None:
            raise TestFailure(msg or "expected %soutput matching /%s/"
                              % ("new " if fresh else "", regex), self.closest(regex))
        self.text_cursor = max(self.text_cursor, m.end())
        self.output_checks += 1
        return m

    def expect_next(self, regex, msg=None):
        """A line after the previous expect_next match matches regex."""
        r = self.wait_for(regex, self.cursor)
        if r is None:
            rx = re.compile(regex)
            early = [i for i in range(min(self.cursor, len(self.lines))) if rx.search(self.lines[i])]
            if early:
                ex = ["it appears only earlier, out of order (the previous expectation matched line %d):"
                      % self.cursor] + self.excerpt(early[-1], 1, 1, mark=early[-1])
                if self.cursor - 1 not in range(early[-1] - 1, early[-1] + 2):
                    ex += self.excerpt(self.cursor - 1, 0, 0, mark=self.cursor - 1)
            else:
                ex = ["(searching from output line %d)" % (self.cursor + 1)] + self.closest(regex, self.cursor)
            raise TestFailure(msg or "expected, after line %d, a line matching /%s/" % (self.cursor, regex), ex)
        self.cursor = r[0] + 1
        self.output_checks += 1
        return r[1]

    def expect_in_order(self, *regexes):
        """Lines matching each regex, in this order (not necessarily adjacent)."""
        return [self.expect_next(rx) for rx in regexes]

    def expect_no_line(self, regex, msg=None):
        """No line matches regex (checked on the whole output: waits for exit)."""
        self.wait()
        rx = re.compile(regex)
        bad = [(i, l) for i, l in enumerate(self.lines) if rx.search(l)]
        if bad:
            i = bad[0][0]
            raise TestFailure(msg or "expected no line matching /%s/" % regex,
                              self.excerpt(i, mark=i))
        self.output_checks += 1

    def expect_exit(self, code, msg=None):
        """QEMU exits with this status (see EXIT_*). Waits for it."""
        status = self.wait()
        if status != code:
            raise TestFailure(msg or "expected QEMU exit status %s, got %s"
                              % (describe_exit(code), describe_exit(status)), self.tail(5))

    def expect_no_panic(self):
        """The kernel did not panic, trap or triple-fault (waits for exit)."""
        self.wait()
        c = self.crash()
        if c is not None:
            idx = min(c.line_index, max(len(self.lines) - 1, 0))
            raise TestFailure("expected no panic, but the kernel crashed: %s" % (c.message or c.kind),
                              self.excerpt(idx, mark=idx))
        self.output_checks += 1

    # -- excerpts

    def excerpt(self, i, before=2, after=2, mark=None):
        lo, hi = max(0, i - before), min(len(self.lines), i + after + 1)
        return ["%s%4d| %s" % (">" if j == mark else " ", j + 1, self.lines[j]) for j in range(lo, hi)]

    def tail(self, n=LOG_TAIL):
        lo = max(0, len(self.lines) - n)
        return [" %4d| %s" % (j + 1, self.lines[j]) for j in range(lo, len(self.lines))]

    def closest(self, regex, start=0):
        """The output lines that look most like what regex wanted: lines that
        contain the longest literal prefix of the regex."""
        lit = re.match(r"^\^?((?:\\.|[^\\.^$*+?()[\]{}|])*)", regex).group(1)
        lit = re.sub(r"\\(.)", r"\1", lit).strip()
        words = lit.split()
        for n in range(len(words), 0, -1):
            key = " ".join(words[:n])
            if n < 2 and len(key) < 10:   # "ktest" alone would match every ktest line
                break
            hits = [i for i in range(start, len(self.lines)) if key in self.lines[i]]
            if hits:
                out = ["closest output (containing %r):" % key]
                for i in hits[:3]:
                    out += self.excerpt(i, 1, 1, mark=i)
                return out
        return ["(no output line resembles it: the kernel never printed it)"]

    # -- timeouts: where was every CPU?

    def on_timeout(self):
        if self.timed_out:
            return
        self.timed_out = True
        try:
            self.timeout_report = self.where_are_cpus()
        except Exception as e:  # diagnosis must never hide the timeout itself
            self.timeout_report = ["(could not ask QEMU where the CPUs were: %s)" % e]
        self.kill()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.reader.join(5)

    def where_are_cpus(self):
        """Stop QEMU and describe every CPU: its symbolized frame-pointer
        backtrace and, for a CPU spinning in spin_lock, who holds the lock."""
        mon = Monitor(self.monitor)
        try:
            mon.cmd("stop")
            cpus = [int(m) for m in re.findall(r"CPU #(\d+)", mon.cmd("info cpus"))]
            report = []
            sym = self.cfg.symbolizer
            for n in cpus:
                mon.cmd("cpu %d" % n)
                regs = parse_hmp_registers(mon.cmd("info registers"))
                rip = regs.get("RIP", regs.get("EIP"))
                if rip is None:
                    report.append("CPU%d: registers unavailable" % n)
                    continue
                frames = [(rip, False)]
                rbp = regs.get("RBP", 0)
                # A frameless leaf (no push %rbp) keeps its return address at [rsp].
                outer = sym.lookup([rip])[rip]
                dis = self.cfg.disassembly
                if outer and dis is not None and dis.frameless(outer[-1][0]) and regs.get("RSP"):
                    words = parse_hmp_x(mon.cmd("x /1gx 0x%x" % regs["RSP"]))
                    if words and words[0] >= 0xffffffff80000000:
                        frames.append((words[0], True))
                seen = set()
                while len(frames) < 16 and rbp and canonical(rbp) and rbp >= 0xffff800000000000 \
                        and rbp not in seen and rbp % 8 == 0:
                    seen.add(rbp)
                    words = parse_hmp_x(mon.cmd("x /2gx 0x%x" % rbp))
                    if len(words) < 2 or words[1] < 0xffff800000000000:
                        break
                    frames.append((words[1], True))
                    if words[0] <= rbp:
                        break
                    rbp = words[0]
                found = sym.lookup([a - 1 if ret else a for a, ret in frames])
                funcs = [fn for a, ret in frames for fn, _ in found.get(a - 1 if ret else a, [])]
                parts = []
                for a, ret in frames:
                    d = sym.describe(a, return_address=ret, short=True)
                    parts.append(d if d else "0x%x" % a)
                halted = regs.get("HLT") == 1
                state = " (halted)" if halted else ""
                user = " (user mode)" if rip < 0x800000000000 else ""
                report.append("CPU%d%s%s in %s" % (n, state, user, " <- ".join(parts)))
                report.append("      rip %016x rsp %016x rbp %016x" % (rip, regs.get("RSP", 0), regs.get("RBP", 0)))
                lock = None
                if any(fn in ("spin_lock", "spin_acquire", "acquire") for fn in funcs):
                    lock = self._find_held_lock(mon, regs)
                    if lock:
                        report.append("      spinning on %s" % lock)
                self.cpu_states.append({"cpu": n, "halted": halted, "funcs": funcs, "lock": lock})
            return report
        finally:
            mon.close()

    def _find_held_lock(self, mon, regs):
        """Which struct spinlock {u32 locked; const char *name; int cpu; void *pc}
        (kernel/sched/spinlock.h) does a register point to? Describe it and
        its holder: "lock 'bcache' (bcache.lock) held by CPU0, taken at f (x.c:57)"."""
        kernel = 0xffff800000000000
        for reg in ("RDI", "RBX", "R12", "R13", "R14", "R15", "RAX", "RCX", "RDX", "RSI", "R8", "R9"):
            v = regs.get(reg)
            if v is None or v < kernel or v % 4:
                continue
            w = parse_hmp_x(mon.cmd("x /4gx 0x%x" % v))
            if len(w) < 4 or w[0] & 0xffffffff not in (0, 1) or w[1] < 0xffffffff80000000:
                continue
            holder = w[2] & 0xffffffff
            if holder >= 0x80000000:
                holder -= 1 << 32
            if not -1 <= holder < 1024 or (w[3] and w[3] < 0xffffffff80000000):
                continue
            raw = parse_hmp_x_bytes(mon.cmd("x /40bx 0x%x" % w[1]))
            name = bytes(raw).split(b"\0")[0]
            if not name or not all(32 <= c < 127 for c in name):
                continue
            var = self.cfg.symbolizer.data_symbol(v)
            what = "lock '%s'%s" % (name.decode(), " (%s)" % var if var else "")
            if holder < 0 or not w[0] & 0xffffffff:
                return what + ", which is free now"
            at = self.cfg.symbolizer.describe(w[3], return_address=True) if w[3] else None
            return "%s held by CPU%d%s" % (what, holder, ", taken in " + at if at else "")
        return None

    def finish(self):
        with _live_lock:
            _live.discard(self.proc)
        if self.proc.poll() is None:
            self.kill()
        for f in (self.proc.stdin, self.proc.stdout, self.stderr_file):
            try:
                f.close()
            except (OSError, ValueError):
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


class RecordedRun(Run):
    """A finished boot shared by several tests (TestContext.boot_shared).
    Each test gets its own copy, with its own ordered-match cursor and count
    of expectations; nothing waits (QEMU has exited), nothing can be typed."""

    def __init__(self, shared, stderr_text, name):
        self.cfg = shared.cfg
        self.cmdline = shared.cmdline
        self.smp = shared.smp
        self.mem = shared.mem
        self.deadline = None
        self.allow_crash = True     # the test's own line decides, see boot_shared
        self.name = name
        self.lines = list(shared.lines)
        self.partial = ""
        self.exit_status = shared.exit_status
        self.timed_out = shared.timed_out
        self.timeout_report = shared.timeout_report
        self.cpu_states = shared.cpu_states
        self.waiting_for = shared.waiting_for
        self.output_checks = 0
        self.cursor = 0
        self.text_cursor = 0
        self.started = shared.started
        self.cond = threading.Condition()
        self.proc = None
        self._stderr = stderr_text

    def send(self, text):
        raise TestFailure("grader bug: a test on a shared boot cannot type input (use t.boot)")

    def wait(self):
        return self.exit_status

    def stderr(self):
        return self._stderr

    def running(self):
        return False

    def on_timeout(self):
        pass

    def kill(self):
        pass

    def finish(self):
        pass


class _SharedBoot:
    def __init__(self):
        self.done = threading.Event()
        self.run = None
        self.stderr = ""
        self.error = None


_shared = {}
_shared_lock = threading.Lock()


class Monitor:
    """A tiny HMP client over QEMU's monitor unix socket."""

    def __init__(self, path, timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        for attempt in range(20):      # QEMU may still be creating the socket
            try:
                self.s.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if attempt == 19:
                    raise
                time.sleep(0.1)
        self._read_prompt()

    def _read_prompt(self):
        buf = b""
        while not buf.endswith(b"(qemu) "):
            d = self.s.recv(65536)
            if not d:
                break
            buf += d
        return buf.decode("utf-8", "replace")

    def cmd(self, command):
        self.s.sendall(command.encode() + b"\n")
        raw = self._read_prompt()
        raw = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", raw)
        # HMP echoes the command (with cursor escapes) before the first \r\n
        _, _, body = raw.partition("\r\n")
        if body.endswith("(qemu) "):
            body = body[:-len("(qemu) ")]
        return body.replace("\r", "")

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def parse_hmp_registers(text):
    regs = {}
    for name, val in re.findall(r"\b([A-Z][A-Z0-9]{1,4})\s?=([0-9a-fA-F]+)\b", text):
        regs.setdefault(name, int(val, 16))
    return regs


def parse_hmp_x_bytes(text):
    vals = []
    for line in text.splitlines():
        if ":" in line:
            vals += [int(v, 16) for v in re.findall(r"0x([0-9a-fA-F]{2})\b", line.split(":", 1)[1])]
    return vals


def parse_hmp_x(text):
    vals = []
    for line in text.splitlines():
        if ":" in line:
            vals += [int(v, 16) for v in re.findall(r"0x([0-9a-fA-F]+)", line.split(":", 1)[1])]
    return vals


# ---------------------------------------------------------------------------
# Tests

class TestSpec:
    def __init__(self, ident, fn, points, smp, cmdline, timeout, mem, title):
        self.id = ident
        self.checkpoint = ident.split("/")[0]
        self.fn = fn
        self.points = points
        self.smp = smp            # None: the --smp sweep; int or tuple: fixed
        self.cmdline = cmdline
        self.timeout = timeout
        self.mem = mem
        self.title = title or (fn.__doc__ or "").strip().split("\n")[0]


class Instance:
    """One test at one -smp value: what is run, scored and reported."""

    def __init__(self, spec, smp, multi):
        self.spec = spec
        self.smp = smp
        self.name = "%s@smp%d" % (spec.id, smp) if multi else spec.id
        self.points = spec.points
        self.score = 0
        self.passed = False
        self.report = []          # failure report lines
        self.duration = 0.0
        self.runs = []
        self.full_output = ""


_specs = []
_checkpoints = {}


def checkpoint(ident, title):
    """Name a checkpoint for the subtotal lines (`9A.3 ELF into the process table`)."""
    _checkpoints[ident] = title


def register_test(ident, fn, points=1, smp=None, cmdline="", timeout=DEFAULT_TIMEOUT,
                  mem="256M", title=None):
    if any(s.id == ident for s in _specs):
        raise ValueError("duplicate test id %s" % ident)
    _specs.append(TestSpec(ident, fn, points, smp, cmdline, timeout, mem, title))
    return fn


def test(ident, points=1, smp=None, cmdline="", timeout=DEFAULT_TIMEOUT, mem="256M", title=None):
    """Declare a test. ident is `checkpoint/name`; points per -smp instance;
    smp None sweeps --smp (default 1 and 4), an int or tuple fixes it."""
    def deco(fn):
        return register_test(ident, fn, points, smp, cmdline, timeout, mem, title)
    return deco


class TestContext:
    """What a test body receives as `t`."""

    def __init__(self, cfg, inst):
        self.cfg = cfg
        self.inst = inst
        self.smp = inst.smp
        self.cmdline = inst.spec.cmdline
        self.mem = inst.spec.mem
        self.deadline = None if cfg.gdb else time.time() + inst.spec.timeout * cfg.timeout_scale
        self.runs = inst.runs
        self.disk_dir = None      # this test's disk copies (t.disk), removed after it
        self.disk_fsck = {}       # path -> check it with fsck after the test?
        self.disks_used = set()   # paths some boot attached

    def boot(self, cmdline=None, smp=None, mem=None, allow_crash=False, extra_args=(), disk=None):
        """Start QEMU (returns at once with a Run; expectations wait).
        disk: True (a fresh copy of the standard image), a path from
        t.disk(), or a list of those: attached as vda, vdb, ..."""
        extra = list(extra_args)
        if disk is not None and disk is not False:
            disks = disk if isinstance(disk, (list, tuple)) else [disk]
            paths = [self.disk() if d is True else d for d in disks]
            for p in paths:
                self.disks_used.add(p)
            # the test's own copies (t.disk, t.scratch_disk) are throwaway: no host flushes
            extra += disk_args(paths, [TEST_DISK_CACHE if p in self.disk_fsck else None for p in paths])
        r = Run(self.cfg, self.cmdline if cmdline is None else cmdline,
                smp or self.smp, mem or self.mem, self.deadline, gdb=self.cfg.gdb,
                extra_args=extra, allow_crash=allow_crash, name=self.inst.name)
        self.runs.append(r)
        return r

    def disk(self, src=None, mkfs_args=None, fsck=True):
        """A disk image of this test's own: a sparse copy of src (default the
        standard image build/user/disk.img), or with mkfs_args (["-s", "8M"])
        an empty MFS made by mkfs.mfs. It lives until the test ends; boot it
        as many times as you like (persistence). After the test, fsck.mfs -n
        must find every disk it booted clean (fsck=False: a deliberately
        corrupt one)."""
        if self.disk_dir is None:
            self.disk_dir = tempfile.mkdtemp(prefix="keel-disk-")
        path = os.path.join(self.disk_dir, "disk%d.img" % len(self.disk_fsck))
        if mkfs_args is not None:
            mkfs = os.path.join(REPO, MKFS)
            if not os.path.exists(mkfs):
                raise TestFailure("%s is missing: run `make tools`" % MKFS)
            r = subprocess.run([mkfs] + list(mkfs_args) + [path], capture_output=True, text=True)
            if r.returncode != 0:
                raise TestFailure("mkfs.mfs %s failed: %s" % (" ".join(mkfs_args),
                                                             (r.stderr or r.stdout).strip()))
        else:
            src = src or os.path.join(REPO, DEFAULT_DISK)
            if not os.path.exists(src):
                raise TestFailure("%s is missing: run `make disk` (make grade builds it)" % src)
            r = subprocess.run(["cp", "--sparse=always", src, path], capture_output=True, text=True)
            if r.returncode != 0:
                raise TestFailure("cannot copy %s: %s" % (src, r.stderr.strip()))
        self.disk_fsck[path] = fsck
        return path

    def scratch_disk(self, size="64M"):
        """A blank (all zeros, sparse) disk of this test's own, for ktests
        that exercise the block layer on vda; no fsck after the test."""
        if self.disk_dir is None:
            self.disk_dir = tempfile.mkdtemp(prefix="keel-disk-")
        path = os.path.join(self.disk_dir, "scratch%d.img" % len(self.disk_fsck))
        r = subprocess.run(["truncate", "-s", str(size), path], capture_output=True, text=True)
        if r.returncode != 0:
            raise TestFailure("cannot make a scratch disk: %s" % r.stderr.strip())
        self.disk_fsck[path] = False
        return path

    def check_disks(self):
        """fsck.mfs -n on every disk a boot of this test used; raises the
        first unclean one's report."""
        for path in sorted(self.disks_used):
            if not self.disk_fsck.get(path, True):
                continue
            clean, report = fsck_image(path)
            if not clean:
                raise TestFailure("fsck.mfs -n %s after the test: not clean\n%s"
                                  % (os.path.basename(path), report))

    def remove_disks(self):
        if self.disk_dir is not None:
            shutil.rmtree(self.disk_dir, ignore_errors=True)
            self.disk_dir = None

    def boot_shared(self, cmdline, smp=None, mem=None, timeout=None, scratch_disk=False):
        """One boot for every test that asks for the same (cmdline, smp, mem),
        e.g. `ktest=a,b,c` graded line by line: the first test to ask runs it
        to the end (or its timeout), the others wait for it; each gets a
        RecordedRun. A crash or timeout does not fail a test whose own lines
        are there (they were printed before); a test whose lines are missing
        fails with the crash or timeout report. Under --gdb it is t.boot().
        scratch_disk: attach a blank disk as vda (t.scratch_disk())."""
        smp, mem = smp or self.smp, mem or self.mem
        if self.cfg.gdb:
            return self.boot(cmdline, smp, mem, disk=self.scratch_disk() if scratch_disk else None)
        key = (cmdline, smp, str(mem), bool(scratch_disk))
        with _shared_lock:
            entry = _shared.get(key)
            creator = entry is None
            if creator:
                entry = _shared[key] = _SharedBoot()
        if creator:
            r = None
            try:
                limit = (timeout or self.inst.spec.timeout) * self.cfg.timeout_scale
                extra = disk_args([self.scratch_disk()], TEST_DISK_CACHE) if scratch_disk else []
                r = Run(self.cfg, cmdline, smp, mem, time.time() + limit, allow_crash=True,
                        name="shared boot", extra_args=extra)
                try:
                    r.wait()
                except TestTimeout:
                    pass
                entry.stderr = r.stderr()
                entry.run = r
            except TestFailure as e:
                entry.error = e
            finally:
                if r is not None:
                    r.finish()
                entry.done.set()
        else:
            entry.done.wait()
        if entry.error is not None:
            raise entry.error
        rr = RecordedRun(entry.run, entry.stderr, self.inst.name)
        self.runs.append(rr)
        return rr


def _select(instances, filters):
    if not filters:
        return instances

    def hit(inst, f):
        return (inst.name == f or inst.spec.id == f or inst.spec.checkpoint == f
                or inst.name.startswith(f) or inst.spec.id.startswith(f))
    return [i for i in instances if any(hit(i, f) for f in filters)]


def run_one(cfg, inst):
    t0 = time.time()
    ctx = TestContext(cfg, inst)
    failure = None
    culprit = None
    try:
        inst.spec.fn(ctx)
        for r in inst.runs:
            culprit = r
            # The body is done: QEMU must be done too (a hang is a failure).
            r.wait()
            if r.output_checks == 0:
                failure = TestFailure("grader bug: this test made no expectation on the kernel output "
                                      "(an exit code alone never scores)")
                break
            c = r.crash()
            if c is not None and not r.allow_crash:
                idx = min(c.line_index, max(len(r.lines) - 1, 0))
                failure = TestFailure("the kernel crashed (%s): a crash never scores" % (c.message or c.kind),
                                      r.excerpt(idx, mark=idx) if r.lines else [])
                break
        if not inst.runs:
            failure = TestFailure("grader bug: this test never booted the kernel")
        if failure is None:
            ctx.check_disks()
    except TestFailure as e:
        failure = e
    except Exception:
        failure = TestFailure("grader error:\n" + traceback.format_exc())
    finally:
        for r in inst.runs:
            if r.running() and not r.timed_out:
                r.kill()
        ctx.remove_disks()
    inst.duration = time.time() - t0
    inst.passed = failure is None
    inst.score = inst.points if inst.passed else 0
    last = inst.runs[-1] if inst.runs else None
    if last is not None:
        inst.full_output = "\n\n".join(r.output for r in inst.runs)
    if failure is not None:
        # the body failed: report the run that timed out or crashed, else the last one
        if culprit is None:
            culprit = (next((r for r in inst.runs if r.timed_out), None)
                       or next((r for r in inst.runs if r.crash() is not None and not r.allow_crash), None)
                       or last)
        inst.report = failure_report(cfg, inst, failure, culprit)
    for r in inst.runs:
        r.finish()
    return inst


def failure_report(cfg, inst, failure, run):
    rep = []
    if run is not None and run.exit_status == 1 and not run.lines:
        err = run.stderr().strip().splitlines()
        rep.append("    QEMU did not start the kernel: %s" % (err[-1] if err else "exit status 1"))
    msg = str(failure).rstrip().split("\n")
    rep.append("    " + msg[0])
    rep += ["    " + l for l in msg[1:]]
    if failure.excerpt:
        rep.append("    the output that broke it:")
        rep += ["      " + l for l in failure.excerpt]
    if run is not None:
        rep.append("    qemu -smp %s -m %s -append %s: exit %s"
                   % (run.smp, run.mem, shlex.quote(run.cmdline), describe_exit(run.exit_status)))
        if isinstance(run, RecordedRun):
            rep.append("    (one boot shared by several tests; the rerun line below boots this test alone)")
        if run.exit_status == 1 or (run.exit_status not in EXIT_MEANING and run.exit_status is not None
                                    and run.exit_status > 0):
            err = run.stderr().strip().splitlines()[-5:]
            rep += ["    qemu: " + l for l in err]
        elif run.timed_out:
            # a device QEMU marked broken (virtio_error) stops answering: it says why on stderr
            err = run.stderr().strip().splitlines()[-3:]
            rep += ["    qemu said: " + l for l in err]
        if not run.lines:
            rep.append("    the kernel printed nothing on the serial console")
        else:
            rep.append("    last %d kernel log lines:" % min(LOG_TAIL, len(run.lines)))
            rep += ["      " + l for l in run.tail()]
        if run.timed_out and run.timeout_report:
            rep.append("    where the CPUs were when time ran out:")
            rep += ["      " + l for l in run.timeout_report]
        if run.timed_out:
            for s in match_signatures(Crash("timeout"), run.output, cpu_states=run.cpu_states):
                rep.append("    known problem: %s -- see %s" % (s.title, s.doc))
                if s.hint:
                    rep.append("      " + s.hint)
        crash = run.crash()
        if crash is not None:
            if not str(failure).startswith(("the kernel crashed", "expected no panic")):
                rep.append("    the kernel crashed first (%s):" % crash.kind)
            rep += crash_report(cfg, crash)
            for s in match_signatures(crash, run.output):
                rep.append("    known problem: %s -- see %s" % (s.title, s.doc))
                if s.hint:
                    rep.append("      " + s.hint)
    rep.append("    rerun: %s" % rerun_line(cfg, inst))
    rep.append("    (add GDB=1 to that line to rerun it stopped, waiting for GDB)")
    return rep


def crash_report(cfg, crash):
    rep = []
    if crash.kind == "triple-fault":
        rep.append("    triple fault: QEMU reset the machine (exit 0, no isa-debug-exit code);"
                   " an exception happened while the CPU could not deliver one")
        return rep
    rep.append("    %s: %s" % ("panic" if crash.kind == "panic" else "CPU exception", crash.message))
    keys = [k for k in ("rip", "rsp", "rbp", "cr2") if k in crash.regs]
    if keys:
        rep.append("      " + "  ".join("%s %016x" % (k, crash.regs[k]) for k in keys))
    if crash.backtrace:
        sym = cfg.symbolizer
        # The kernel already prints return addresses minus 1 (the call's line).
        sym.lookup([a for _, a, _ in crash.backtrace])
        rep.append("    backtrace (symbolized with addr2line):")
        bt = crash.backtrace
        for k, (i, a, s) in enumerate(bt):
            # a panic's frame #0 may be a return address just past a noreturn call
            d = sym.describe(a) or sym.describe(a - 1)
            rep.append("      #%d %016x %s" % (i, a, d or s or "??"))
            if k == 0 and crash.kind == "trap" and s and cfg.disassembly is not None:
                nxt = bt[1][2].split("+")[0] if len(bt) > 1 else None
                rep += hidden_caller_lines(cfg, s.split("+")[0], nxt)
    return rep


def hidden_caller_lines(cfg, func, next_frame=None):
    """Frames the kernel's frame-pointer walk could not see: the callers of a
    frameless leaf (unless the kernel already printed the caller)."""
    callers = cfg.disassembly.hidden_callers(func)
    if not callers or len(callers) > 4 or any(c == next_frame for c, _ in callers):
        return []
    sym = cfg.symbolizer
    sym.lookup([ra - 1 for _, ra in callers])
    why = ("%s sets up no frame pointer, so its caller is not in the chain; "
           % func + ("its only caller:" if len(callers) == 1 else "it is called from one of:"))
    rep = ["         (%s)" % why]
    for caller, ra in callers:
        d = sym.describe(ra, return_address=True) or caller
        rep.append("      #0' %016x %s" % (ra - 1, d))
    return rep


def rerun_line(cfg, inst):
    base = cfg.rerun_hint or ("python3 %s --build %s" % (sys.argv[0], cfg.build))
    if cfg.rerun_hint:
        return "%s T=%s" % (base, inst.name)
    return "%s -T %s" % (base, inst.name)


def _dots(left, right, width=60):
    return "%s %s %s" % (left, "." * max(3, width - len(left) - len(right)), right)


def instances_for(cfg):
    out = []
    for s in _specs:
        if s.smp is None:
            smps, multi = cfg.smp, True
        elif isinstance(s.smp, int):
            smps, multi = [s.smp], False
        else:
            smps, multi = list(s.smp), True
        out += [Instance(s, n, multi) for n in smps]
    return out


def run_tests(argv=None, out=None):
    """Run the selected tests and print the results; exits 0 only on full marks
    (returns the exit status instead when `argv` is given, for self-tests)."""
    cfg = get_config(argv)
    out = out or sys.stdout
    insts = _select(instances_for(cfg), cfg.filters)
    if getattr(cfg, "list", False):
        for i in insts:
            out.write("%-40s %3d  %s\n" % (i.name, i.points, i.spec.title))
        return _finish(argv, 0)
    if not insts:
        out.write("no test matches %s\nScore: 0/0\n" % " ".join(cfg.filters))
        return _finish(argv, 1)
    problem = None
    if not os.path.exists(cfg.kernel):
        mode = {"sol": " SOL=1", "student": ""}.get(cfg.mode, " LAB=" + cfg.mode[4:]
                                                    if cfg.mode.startswith("lab-") else "")
        problem = "no kernel at %s: build it first (make%s)" % (cfg.kernel, mode)
    elif not shutil.which(cfg.qemu):
        problem = "%s is not installed: run tools/install-deps.sh (Debian: qemu-system-x86)" % cfg.qemu
    if problem:
        for i in insts:
            i.report = ["    " + problem]
        if cfg.json_file:
            write_json(cfg.json_file, insts, 0, sum(i.points for i in insts))
        out.write("%s\nScore: 0/%d\n" % (problem, sum(i.points for i in insts)))
        return _finish(argv, 1)
    if argv is None:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `| head` ends us quietly
    jobs = 1 if cfg.gdb else cfg.jobs
    if cfg.gdb and len(insts) > 1:
        out.write("GDB: %d tests selected; each waits for GDB in turn (pick one with T=...)\n" % len(insts))
    out.write("grading %s (%d tests, -j %d)\n" % (cfg.kernel, len(insts), jobs))
    out.flush()
    t0 = time.time()
    done = {}
    printed = [0]
    lock = threading.Lock()

    def flush_in_order():
        while printed[0] < len(insts) and printed[0] in done:
            print_result(cfg, done[printed[0]], out)
            printed[0] += 1

    def work(k):
        r = run_one(cfg, insts[k])
        with lock:
            done[k] = r
            if not _interrupted.is_set():
                flush_in_order()
        return r

    ex = ThreadPoolExecutor(max_workers=jobs)
    try:
        list(ex.map(work, range(len(insts))))
    except KeyboardInterrupt:
        _interrupted.set()
        ex.shutdown(wait=False, cancel_futures=True)
        kill_all()
        with lock:
            out.write("\ninterrupted: QEMU instances killed\n")
            out.flush()
            if argv is None:
                os._exit(130)
        raise
    ex.shutdown()
    score = sum(i.score for i in insts)
    total = sum(i.points for i in insts)
    out.write("\n")
    for cp in _ordered_checkpoints(insts):
        mine = [i for i in insts if i.spec.checkpoint == cp]
        label = "%s %s" % (cp, _checkpoints.get(cp, "")) if _checkpoints.get(cp) else cp
        out.write(_dots(label, "%d/%d" % (sum(i.score for i in mine), sum(i.points for i in mine))) + "\n")
    out.write("(%d tests in %.1f s)\n" % (len(insts), time.time() - t0))
    if cfg.json_file:
        write_json(cfg.json_file, insts, score, total)
    if getattr(cfg, "expect_fail", False):
        # On a stub, a lab test that passes tests nothing; base tests must still pass.
        dishonest = [i for i in insts if i.passed and i.spec.checkpoint != "base"]
        broken_base = [i for i in insts if not i.passed and i.spec.checkpoint == "base"]
        for i in dishonest:
            out.write("honesty: %s passes on this stubbed build: it tests nothing\n" % i.name)
        for i in broken_base:
            out.write("honesty: base test %s fails on this build\n" % i.name)
        out.write("honesty: %s\n" % ("ok" if not dishonest and not broken_base else "FAIL"))
        out.write("Score: %d/%d\n" % (score, total))
        out.flush()
        return _finish(argv, 0 if not dishonest and not broken_base else 1)
    out.write("Score: %d/%d\n" % (score, total))
    out.flush()
    return _finish(argv, 0 if score == total else 1)


def _finish(argv, status):
    if argv is not None:
        return status
    sys.exit(status)


def _ordered_checkpoints(insts):
    seen = []
    for i in insts:
        if i.spec.checkpoint not in seen:
            seen.append(i.spec.checkpoint)
    return seen


def print_result(cfg, inst, out):
    status = "OK" if inst.passed else "FAIL"
    left = "%s: %s" % (inst.name, inst.spec.title) if inst.spec.title else inst.name
    out.write(_dots(left, "%s (%.1fs) %d/%d" % (status, inst.duration, inst.score, inst.points), 78) + "\n")
    for l in inst.report:
        out.write(l + "\n")
    if cfg.verbose:
        out.write("    ---- serial output ----\n")
        for l in inst.full_output.splitlines():
            out.write("    | " + l + "\n")
    out.flush()


def write_json(path, insts, score, total):
    res = {
        "score": score,
        "max_score": total,
        "tests": [{
            "name": "%s: %s" % (i.name, i.spec.title) if i.spec.title else i.name,
            "score": i.score,
            "max_score": i.points,
            "output": ("passed (%.1f s)" % i.duration) if i.passed else "\n".join(i.report),
        } for i in insts],
    }
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "w") as f:
        json.dump(res, f, indent=2)
        f.write("\n")


def kill_all():
    with _live_lock:
        procs = list(_live)
    for p in procs:
        if p.poll() is None:
            p.kill()


def reset():
    """Forget every declared test, checkpoint and the parsed command line
    (for self-tests that declare graders of their own)."""
    global _config
    del _specs[:]
    _checkpoints.clear()
    _shared.clear()
    _config = None


def quick_boot(cmdline, smp=1, mem="256M", timeout=20.0, cfg=None):
    """Boot once outside any test (e.g. to ask the kernel which ktests it has);
    returns the Run after QEMU exited or was killed."""
    cfg = cfg or get_config()
    r = Run(cfg, cmdline, smp, mem, time.time() + timeout * cfg.timeout_scale, name="probe")
    try:
        r.wait()
    except TestFailure:
        pass
    finally:
        r.finish()
    return r
