"""GDB helpers for Keel (loaded by the repository's .gdbinit; see docs/gdb.md).

    keel-pt                 dump the current CR3's page table: present ranges,
                            coalesced, with their effective flags
    keel-pt VA              translate one virtual address, level by level
    keel-pt --cr3 PA [VA]   the same on another page table (e.g. a process's)
    keel-pt --user | --kernel   only the lower / higher half
    $p2v(pa)                the direct-map address of a physical address:
                            x/4gx $p2v(0x101000)
    keel-cpus               every CPU: where it is (one GDB thread per CPU)
                            and its struct cpu (apic id, ncli, intena, ticks)
    keel-ktests             the ktests built into this kernel
    keel-procs              the process table: pid, name, state, CR3 (the
                            process's page table), CPUs that have it loaded,
                            each thread and the CPU it runs or last ran on
    keel-pt --pid N [VA]    a process's page table (by pid), or one address
    keel-v2p [--pid N] VA   virtual -> physical, one line (current CR3 or pid's)

Page tables are read through the direct map (KERNEL_BASE + phys), so the
current CPU must be running on a Keel page table; before that (early boot)
the helpers switch QEMU's gdbstub to physical-memory mode.
"""

import re

try:
    import gdb
except ImportError:     # imported by the host self-test, outside GDB
    gdb = None

KERNEL_BASE = 0xFFFF800000000000

PTE_PRESENT = 1 << 0
PTE_WRITABLE = 1 << 1
PTE_USER = 1 << 2
PTE_PWT = 1 << 3
PTE_PCD = 1 << 4
PTE_ACCESSED = 1 << 5
PTE_DIRTY = 1 << 6
PTE_PS = 1 << 7
PTE_GLOBAL = 1 << 8
PTE_COW = 1 << 9          # an available bit (lab 9b)
PTE_NX = 1 << 63
ADDR_MASK = 0x000FFFFFFFFFF000

LEVELS = ["PML4", "PDPT", "PD", "PT"]
SHIFTS = [39, 30, 21, 12]


def sign_extend(va):
    return va | 0xFFFF000000000000 if va & (1 << 47) else va


def human(size):
    for unit, n in (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if size >= n and size % n == 0:
            return "%d%s" % (size // n, unit)
    return "%d" % size


def flag_text(writable, user, nx, glob, cow=False):
    return "%s %s %s%s%s" % ("W" if writable else "R", "U" if user else "S",
                             "NX" if nx else "X ", " G" if glob else "  ", " COW" if cow else "")


def walk(read_table, cr3, lo=0, hi=1 << 64):
    """Yield (va, size, pa, writable, user, nx, global, cow) for every present
    leaf mapping of the table at physical cr3. read_table(pa) returns the 512
    entries of the table at physical address pa."""
    def rec(level, table_pa, va_base, w, u, nx):
        entries = read_table(table_pa)
        span = 1 << SHIFTS[level]
        for i, e in enumerate(entries):
            if not e & PTE_PRESENT:
                continue
            va = va_base + i * span
            if level == 0:
                va = sign_extend(va)
            if va + span <= lo or va >= hi:
                continue
            ew, eu, enx = w and bool(e & PTE_WRITABLE), u and bool(e & PTE_USER), nx or bool(e & PTE_NX)
            if level == 3 or (level in (1, 2) and e & PTE_PS):
                mask = ADDR_MASK & ~(span - 1)
                yield (va, span, e & mask, ew, eu, enx, bool(e & PTE_GLOBAL), bool(e & PTE_COW))
            else:
                yield from rec(level + 1, e & ADDR_MASK, va, ew, eu, enx)
    yield from rec(0, cr3 & ADDR_MASK, 0, True, True, False)


def coalesce(mappings):
    """Merge neighbours with the same flags, the same page size and contiguous
    physical addresses: (va, end, pa, page_size, flags tuple)."""
    cur = None
    for va, size, pa, *flags in mappings:
        if cur and cur[1] == va and cur[3] == size and cur[4] == tuple(flags) \
                and cur[2] + (cur[1] - cur[0]) == pa:
            cur[1] = va + size
            continue
        if cur:
            yield tuple(cur)
        cur = [va, va + size, pa, size, tuple(flags)]
    if cur:
        yield tuple(cur)


def format_ranges(ranges):
    lines = ["%-35s %6s  %-18s %s" % ("virtual", "size", "physical", "flags (pages)")]
    for va, end, pa, page, flags in ranges:
        lines.append("%016x-%016x %6s  %016x  %s (%s)"
                     % (va, end, human(end - va), pa, flag_text(*flags), human(page)))
    return lines


def translate(read_table, cr3, va):
    """Lines describing the walk of va, and the physical address (or None)."""
    va = sign_extend(va & 0xFFFFFFFFFFFF)
    lines = []
    table = cr3 & ADDR_MASK
    for level in range(4):
        idx = (va >> SHIFTS[level]) & 511
        e = read_table(table)[idx]
        flags = []
        for bit, name in ((PTE_PRESENT, "P"), (PTE_WRITABLE, "W"), (PTE_USER, "U"), (PTE_ACCESSED, "A"),
                          (PTE_DIRTY, "D"), (PTE_PS, "PS"), (PTE_GLOBAL, "G"), (PTE_COW, "COW"),
                          (PTE_NX, "NX")):
            if e & bit:
                flags.append(name)
        lines.append("%-4s[%3d] @ %#x = %016x  %s" % (LEVELS[level], idx, table + idx * 8, e, " ".join(flags)))
        if not e & PTE_PRESENT:
            lines.append("%#x is not mapped (%s entry not present)" % (va, LEVELS[level]))
            return lines, None
        if level == 3 or (level in (1, 2) and e & PTE_PS):
            span = 1 << SHIFTS[level]
            pa = (e & ADDR_MASK & ~(span - 1)) | (va & (span - 1))
            lines.append("%#x -> physical %#x (%s page)" % (va, pa, human(span)))
            return lines, pa
        table = e & ADDR_MASK
    return lines, None


# ---------------------------------------------------------------------------
# GDB glue

def _parse_int(text):
    return int(gdb.parse_and_eval(text)) & 0xFFFFFFFFFFFFFFFF


def current_cr3():
    try:
        return int(gdb.parse_and_eval("$cr3")) & 0xFFFFFFFFFFFFFFFF
    except gdb.error:
        out = gdb.execute("monitor info registers", to_string=True)
        m = re.search(r"CR3=([0-9a-fA-F]+)", out)
        if not m:
            raise gdb.GdbError("keel-pt: cannot read CR3 (neither $cr3 nor 'monitor info registers')")
        return int(m.group(1), 16)


class TableReader:
    """Reads 4 KiB tables through the direct map, falling back to QEMU's
    physical-memory mode of the gdbstub."""

    def __init__(self):
        self.inf = gdb.selected_inferior()
        self.cache = {}
        self.phys_mode = False

    def __call__(self, pa):
        if pa in self.cache:
            return self.cache[pa]
        data = None
        if not self.phys_mode:
            try:
                data = bytes(self.inf.read_memory(KERNEL_BASE + pa, 4096))
            except gdb.MemoryError:
                self.phys_mode = True
        if data is None:
            gdb.execute("maintenance packet Qqemu.PhyMemMode:1", to_string=True)
            try:
                data = bytes(self.inf.read_memory(pa, 4096))
            finally:
                gdb.execute("maintenance packet Qqemu.PhyMemMode:0", to_string=True)
        entries = [int.from_bytes(data[i:i + 8], "little") for i in range(0, 4096, 8)]
        self.cache[pa] = entries
        return entries


if gdb is not None:
    class KeelPt(gdb.Command):
        """Dump or query the page table of the current CR3.
Usage: keel-pt [--cr3 PA | --pid N] [--user|--kernel] [VA]
  With no VA: every present range, coalesced, with effective flags
  (W/R writable, U/S user or supervisor, NX or X, G global, COW) and page size.
  With VA: the walk of that address, one line per level."""

        def __init__(self):
            super().__init__("keel-pt", gdb.COMMAND_DATA)

        def invoke(self, arg, from_tty):
            argv = gdb.string_to_argv(arg)
            cr3 = None
            lo, hi = 0, 1 << 64
            va = None
            i = 0
            while i < len(argv):
                a = argv[i]
                if a == "--cr3" and i + 1 < len(argv):
                    cr3 = _parse_int(argv[i + 1])
                    i += 1
                elif a == "--user":
                    hi = 1 << 47
                elif a == "--kernel":
                    lo = 0xFFFF800000000000
                elif a == "--pid" and i + 1 < len(argv):
                    cr3 = process_cr3(int(argv[i + 1], 0))
                    i += 1
                else:
                    va = _parse_int(a)
                i += 1
            if cr3 is None:
                try:
                    cr0 = int(gdb.parse_and_eval("$cr0")) & 0xFFFFFFFF
                except gdb.error:
                    cr0 = 1 << 31
                if not cr0 & (1 << 31):
                    raise gdb.GdbError("keel-pt: paging is off on this CPU (CR0.PG = 0): no page table yet")
                cr3 = current_cr3()
            read = TableReader()
            if va is not None:
                lines, _ = translate(read, cr3, va)
            else:
                ranges = list(coalesce(walk(read, cr3, lo, hi)))
                lines = ["page table at CR3 %#x" % cr3]
                lines += format_ranges(ranges) if ranges else ["(no present mappings in that range)"]
            gdb.write("\n".join(lines) + "\n")

    class P2V(gdb.Function):
        """$p2v(pa): the direct-map virtual address of physical address pa."""

        def __init__(self):
            super().__init__("p2v")

        def invoke(self, pa):
            return gdb.parse_and_eval("(unsigned long long *)0x%x"
                                      % (KERNEL_BASE + (int(pa) & 0xFFFFFFFFFFFFFFFF)))

    def where(pc):
        """`func (file:line)` for a code address."""
        try:
            block = gdb.block_for_pc(pc)
            while block is not None and block.function is None:
                block = block.superblock
            fn = block.function.name if block is not None else None
        except RuntimeError:
            fn = None
        sal = gdb.find_pc_line(pc)
        loc = "%s:%d" % (sal.symtab.filename.rsplit("/", 1)[-1], sal.line) if sal.symtab else ""
        return "%s (%s)" % (fn or "0x%x" % pc, loc) if loc else (fn or "0x%x" % pc)

    def func_decl(pc):
        """`func (file:line)` of the function containing pc, at its definition."""
        try:
            block = gdb.block_for_pc(pc)
            while block is not None and block.function is None:
                block = block.superblock
            sym = block.function
            return "%s (%s:%d)" % (sym.name, sym.symtab.filename.rsplit("/", 1)[-1], sym.line)
        except (RuntimeError, AttributeError):
            return where(pc)

    def field(value, name, default="-"):
        try:
            return value[name]
        except gdb.error:
            return default

    class KeelCpus(gdb.Command):
        """Every CPU: where it is and its struct cpu.
Usage: keel-cpus
GDB shows QEMU's CPUs as threads (thread 1 = CPU0); `thread N` switches."""

        def __init__(self):
            super().__init__("keel-cpus", gdb.COMMAND_STATUS)

        def invoke(self, arg, from_tty):
            inf = gdb.selected_inferior()
            threads = sorted(inf.threads(), key=lambda t: t.num)
            if not threads:
                raise gdb.GdbError("keel-cpus: not connected (target remote :PORT first)")
            try:
                ncpu = int(gdb.parse_and_eval("ncpu"))
            except gdb.error:
                ncpu = len(threads)
            here = gdb.selected_thread()
            gdb.write("%-4s %-5s %-6s %-5s %-6s %-9s %s\n" % ("cpu", "apic", "online", "ncli", "intena", "ticks", "where"))
            try:
                for i, t in enumerate(threads):
                    t.switch()
                    frame = gdb.newest_frame()
                    chain = []
                    f = frame
                    while f is not None and len(chain) < 3:
                        if chain and not f.name():   # past the last real frame
                            break
                        sal = f.find_sal()
                        loc = ("%s:%d" % (sal.symtab.filename.rsplit("/", 1)[-1], sal.line)) if sal.symtab else "?"
                        chain.append("%s (%s)" % (f.name() or "0x%x" % (int(f.pc()) & 0xFFFFFFFFFFFFFFFF), loc))
                        try:
                            f = f.older()
                        except gdb.error:
                            break
                    try:
                        c = gdb.parse_and_eval("cpus[%d]" % i) if i < max(ncpu, 1) else None
                    except gdb.error:
                        c = None
                    cols = [str(field(c, f)) if c is not None else "-"
                            for f in ("apic_id", "online", "ncli", "intena", "ticks")]
                    gdb.write("%-4d %-5s %-6s %-5s %-6s %-9s %s\n" % tuple([i] + cols + [" <- ".join(chain)]))
            finally:
                if here is not None:
                    here.switch()

    class KeelKtests(gdb.Command):
        """The ktests in this kernel (the .ktests section): name, function, manual.
Usage: keel-ktests      (works without a running target: it reads the ELF)"""

        def __init__(self):
            super().__init__("keel-ktests", gdb.COMMAND_STATUS)

        def invoke(self, arg, from_tty):
            try:
                start = int(gdb.parse_and_eval("(unsigned long)&__ktests_start"))
                end = int(gdb.parse_and_eval("(unsigned long)&__ktests_end"))
                size = gdb.lookup_type("struct ktest").sizeof
            except gdb.error as e:
                raise gdb.GdbError("keel-ktests: no ktest table in this kernel (%s)" % e)
            for a in range(start, end, size):
                t = gdb.parse_and_eval("*(struct ktest *)0x%x" % a)
                name = t["name"].string()
                fn = func_decl(int(t["fn"]))
                gdb.write("%-20s %s%s\n" % (name, fn, "  (manual: only when named)" if int(t["manual"]) else ""))

    PROC_STATES = {0: "alive", 1: "zombie"}

    def process_table():
        """Every struct process * in the kernel's table (proc/process.c's static
        `procs`), or, if that symbol is not visible, the processes of the tasks
        on the all_tasks list."""
        try:
            procs = gdb.parse_and_eval("procs")
        except gdb.error:
            try:
                procs = gdb.parse_and_eval("'process.c'::procs")
            except gdb.error:
                procs = None
        out = []
        if procs is not None:
            n = procs.type.range()[1] + 1
            for i in range(n):
                p = procs[i]
                if int(p) != 0:
                    out.append(p)
            return out
        seen = set()
        try:
            t = gdb.parse_and_eval("all_tasks")
        except gdb.error:
            raise gdb.GdbError("keel-procs: neither `procs` nor `all_tasks` is visible in this kernel")
        while int(t) != 0:
            p = t["proc"]
            if int(p) != 0 and int(p) not in seen:
                seen.add(int(p))
                out.append(p)
            t = t["all_next"]
        return out

    def running_on():
        """task address -> the CPU it is running on right now."""
        where = {}
        try:
            ncpu = int(gdb.parse_and_eval("ncpu"))
            for i in range(ncpu):
                cur = int(gdb.parse_and_eval("cpus[%d].current" % i))
                if cur:
                    where[cur] = i
        except gdb.error:
            pass
        return where

    def process_cr3(pid):
        for p in process_table():
            if int(p["pid"]) == pid:
                mm = p["mm"]
                if int(mm) == 0:
                    raise gdb.GdbError("process %d has no address space (kernel process or exited)" % pid)
                return int(mm["pml4"])
        raise gdb.GdbError("no process with pid %d (keel-procs lists them)" % pid)

    def cpu_list(mask):
        return ",".join(str(i) for i in range(64) if mask >> i & 1) or "-"

    class KeelProcs(gdb.Command):
        """The process table: pid, name, state, CR3, CPUs with the table loaded, threads.
Usage: keel-procs
  cr3      the process's page table (mm->pml4): keel-pt --pid N dumps it
  loaded   mm->cpus_loaded: the CPUs whose CR3 holds it (who gets a TLB shootdown)
  threads  tid:state@cpu, `*` when running on that CPU right now, else where it last ran"""

        def __init__(self):
            super().__init__("keel-procs", gdb.COMMAND_STATUS)

        def invoke(self, arg, from_tty):
            running = running_on()
            gdb.write("%-6s %-16s %-7s %-18s %-8s %s\n" % ("pid", "name", "state", "cr3", "loaded", "threads"))
            for p in process_table():
                mm = p["mm"]
                cr3 = "%#x" % int(mm["pml4"]) if int(mm) else "(kernel)"
                loaded = cpu_list(int(mm["cpus_loaded"])) if int(mm) else "-"
                threads = []
                t = p["threads"]
                while int(t) != 0 and len(threads) < 64:
                    state = str(t["state"]).replace("TASK_", "").lower()
                    cpu = int(t["cpu"])
                    mark = "*" if running.get(int(t)) is not None else ""
                    threads.append("%d:%s@%d%s" % (int(t["tid"]), state, cpu, mark))
                    t = t["thread_next"]
                name = p["name"].string()
                st = PROC_STATES.get(int(p["state"]), str(p["state"]))
                gdb.write("%-6d %-16s %-7s %-18s %-8s %s\n" % (int(p["pid"]), name, st, cr3, loaded,
                                                                " ".join(threads)))

    class KeelV2P(gdb.Command):
        """Translate a virtual address to physical through a page table.
Usage: keel-v2p [--pid N | --cr3 PA] VA
  Prints `VA -> physical PA` (or why it is not mapped); keel-pt VA shows the walk."""

        def __init__(self):
            super().__init__("keel-v2p", gdb.COMMAND_DATA)

        def invoke(self, arg, from_tty):
            argv = gdb.string_to_argv(arg)
            cr3, va, i = None, None, 0
            while i < len(argv):
                if argv[i] == "--pid" and i + 1 < len(argv):
                    cr3 = process_cr3(int(argv[i + 1], 0))
                    i += 1
                elif argv[i] == "--cr3" and i + 1 < len(argv):
                    cr3 = _parse_int(argv[i + 1])
                    i += 1
                else:
                    va = _parse_int(argv[i])
                i += 1
            if va is None:
                raise gdb.GdbError("usage: keel-v2p [--pid N | --cr3 PA] VA")
            if cr3 is None:
                cr3 = current_cr3()
            lines, pa = translate(TableReader(), cr3, va)
            gdb.write(lines[-1] + "\n")

    KeelPt()
    P2V()
    KeelProcs()
    KeelV2P()
    KeelCpus()
    KeelKtests()
