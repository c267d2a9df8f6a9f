# Keel's GDB set-up: run `make qemu-gdb` in one terminal, `gdb` in another,
# both from the top of the repository. See docs/gdb.md.
#
# GDB refuses to run a .gdbinit it was not told to trust. Allow this one once:
#     echo "add-auto-load-safe-path $PWD/.gdbinit" >> ~/.gdbinit
#
# Which kernel: `gdb build/student/kernel.elf` (the file on the command line
# wins), else $KEEL_BUILD/kernel.elf, else build/sol, else build/student.
# Which port: $KEEL_GDB_PORT, else the per-user port of `make qemu-gdb`:
#     port = 25000 + uid % 5000        (shell: $((25000 + $(id -u) % 5000)))
# `make grade ... GDB=1` prints its own port: KEEL_GDB_PORT=<port> gdb

set architecture i386:x86-64
set disassembly-flavor intel
set pagination off
set confirm off
set print pretty on
set history save on
set history size 10000
set history filename .gdb_history
set history remove-duplicates 100
set tcp connect-timeout 2

source tools/gdb/keel.py

python
import os

def _keel_setup():
    prog = gdb.current_progspace().filename
    if not prog:
        build = os.environ.get("KEEL_BUILD")
        candidates = [os.path.join(build, "kernel.elf")] if build else []
        candidates += ["build/sol/kernel.elf", "build/student/kernel.elf"]
        prog = next((c for c in candidates if os.path.exists(c)), None)
        if prog is None:
            print("keel: no kernel found (tried %s); build one with `make SOL=1`" % ", ".join(candidates))
        else:
            gdb.execute("file " + prog)
    # Stop at the first panic or kernel CPU exception, with the frame intact.
    for fn in ("panic_finish", "panic"):
        try:
            if gdb.lookup_global_symbol(fn) is not None:
                gdb.execute("break " + fn, to_string=True)
                print("keel: breakpoint on %s (the first panic or kernel exception stops there)" % fn)
                break
        except gdb.error:
            pass
    # `gdb ... -ex 'target remote :PORT'` (what `make grade GDB=1` prints) connects itself.
    try:
        with open("/proc/self/cmdline", "rb") as f:
            if b"target remote" in f.read().replace(b"extended-remote", b"remote"):
                return
    except OSError:
        pass
    port = int(os.environ.get("KEEL_GDB_PORT") or 25000 + os.getuid() % 5000)
    try:
        gdb.execute("target remote localhost:%d" % port)
    except gdb.error as e:
        # A missing QEMU is a hint, not an error that would stop this file.
        print("keel: nothing to connect to on localhost:%d (%s).\n"
              "      Start `make qemu-gdb` first (or, for `make grade ... GDB=1`, use the port it "
              "printed: KEEL_GDB_PORT=<port> gdb), then `target remote :%d`." % (port, e, port))
        return
    print("keel: connected to localhost:%d; `keel-pt` dumps the page table, `help keel-pt`" % port)

_keel_setup()
end
