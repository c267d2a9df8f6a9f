"""What the disk harnesses (tools/powerloss.py, tools/test-corrupt.py) share:
the QEMU command for Keel with throwaway disks, a registry of running QEMUs
so that Ctrl-C kills them all, and keeping a failed run's image and log.
"""

import os
import subprocess
import threading

_live = set()
_live_lock = threading.Lock()


def qemu_cmd(args, images, cmdline):
    """Boot args.kernel with args.initrd at -smp args.smp, the images as vda,
    vdb, ... cache=unsafe: the images are throwaway copies and a crash here is
    QEMU being killed, not the host losing power, so every write QEMU completed
    is in the host's page cache when it dies; passing each FLUSH on as a host
    fdatasync would only slow the boot down (the kernel still sends them)."""
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-cpu", "max", "-m", "256M",
           "-smp", str(args.smp), "-display", "none", "-no-reboot", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-kernel", args.kernel, "-initrd", args.initrd, "-append", cmdline]
    for i, img in enumerate(images):
        name = "vd" + chr(ord("a") + i)
        cmd += ["-drive", "file=%s,if=none,id=%s,format=raw,cache=unsafe" % (img, name),
                "-device", "virtio-blk-pci,drive=%s" % name]
    return cmd


def start_qemu(cmd):
    """Popen cmd (console on stdout), registered until forget_qemu()."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with _live_lock:
        _live.add(p)
    return p


def forget_qemu(p):
    with _live_lock:
        _live.discard(p)


def kill_all_qemu():
    """On Ctrl-C: no QEMU outlives the harness."""
    with _live_lock:
        for p in _live:
            p.kill()


def report_failure(args, name, image, log, tail, header=""):
    """For a failed run: its last `tail` console lines with -v, and with
    --keep-failed DIR a sparse copy of its image as DIR/NAME.img and the
    header plus the whole log as DIR/NAME.log."""
    if args.verbose:
        for line in log[-tail:]:
            print("    | " + line)
    if args.keep_failed:
        os.makedirs(args.keep_failed, exist_ok=True)
        base = os.path.join(args.keep_failed, name)
        subprocess.run(["cp", "--sparse=always", image, base + ".img"])
        with open(base + ".log", "w") as f:
            f.write(header + "\n".join(log) + "\n")
