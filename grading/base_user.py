"""User-space tests of the base grader (imported by lab-base.py): processes,
the Linux system-call ABI, our shell and busybox, each user test program
under -smp 1 and -smp 4.

These need per-process page tables, so in builds where lab 9a is still
stubbed (build/student, build/lab-9a) one test checks instead that the
kernel explains, in one sentence, that user space needs lab 9a.
"""

import os

from gradelib import EXIT_FAIL, EXIT_PASS, TestFailure, checkpoint, get_config, register_test, test

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INITRD = os.path.join(REPO, "build", "user", "initrd.cpio")

checkpoint("user", "Processes and user space")

# Each prints "ok <case>" lines and "<prog>: N passed, N failed".
USER_TESTS = ["test_fork", "test_exec", "test_wait", "test_pipe", "test_signal", "test_pthread",
              "test_badptr", "test_badelf", "test_files", "test_mem", "test_misc", "test_sh"]


def has_user_space():
    build = os.path.basename(os.path.normpath(get_config().build))
    return build not in ("student", "lab-9a")


def initrd_args():
    if not os.path.exists(INITRD):
        raise TestFailure("%s is missing: run `make initrd` (make grade builds it)" % INITRD)
    return ["-initrd", INITRD]


def run_init(t, cmdline, smp=None):
    return t.boot("init=" + cmdline, smp=smp, extra_args=initrd_args())


def expect_clean_exit(r, status=0):
    """init's exit status, no leaked user frames, no panic."""
    r.expect_line(r"^keel: 0 user frames still allocated at power-off")
    r.expect_line(r"^keel: init exited with status %d$" % status)
    r.expect_exit(EXIT_PASS if status == 0 else EXIT_FAIL)
    r.expect_no_panic()


def program_test(prog):
    def body(t):
        r = run_init(t, "/bin/" + prog)
        r.expect_no_line(r"^FAIL ")
        r.expect_line(r"^%s: \d+ passed, 0 failed$" % prog)
        expect_clean_exit(r)
    return body


if has_user_space():
    for prog in USER_TESTS:
        register_test("user/" + prog, program_test(prog), points=2, timeout=120,
                      title="%s passes on Keel as on Linux" % prog)

    @test("user/keel_run_status", points=1, timeout=60, title="init's exit status reaches the host")
    def exit_status(t):
        r = run_init(t, "/bin/sh -c 'echo ok; exit 3'")
        r.expect_line(r"^ok$")
        expect_clean_exit(r, 3)

    @test("user/busybox", points=2, timeout=90, title="busybox: sh, wc, ls -l, sort")
    def busybox(t):
        r = run_init(t, "/bin/busybox sh -c 'echo a b | busybox wc -w; busybox ls -l /bin; "
                        "printf \"pear\\napple\\n\" | busybox sort'")
        r.expect_line(r"^\s*2$")
        r.expect_line(r"^-rwx.* busybox$")
        r.expect_in_order(r"^apple$", r"^pear$")
        expect_clean_exit(r)

    @test("user/shell", points=3, timeout=90, title="init runs our shell on the console; ^C interrupts a job")
    def shell(t):
        r = t.boot("", extra_args=initrd_args())
        r.expect_output(r"\$ $", fresh=True)
        r.send_line("echo hi | cat")
        r.expect_line(r"^hi$")
        r.expect_output(r"\$ $", fresh=True)
        # The job says when it runs in the foreground (the shell made its group
        # the terminal's before exec), so ^C cannot arrive too early.
        r.send_line("busybox sh -c 'echo started; exec busybox sleep 100'")
        r.expect_line(r"^started$")
        r.send(b"\x03")
        r.expect_output(r"\$ $", fresh=True)
        r.send_line("echo status $?")
        r.expect_line(r"^status 130$")
        r.expect_output(r"\$ $", fresh=True)
        r.send_line("busybox poweroff -f")
        r.expect_exit(EXIT_PASS)
        r.expect_no_panic()

    @test("user/fuzz_syscalls", points=3, smp=4, timeout=180,
          title="100,000 random system calls: the kernel survives and leaks no frame")
    def fuzz(t):
        r = run_init(t, "/bin/fuzz_syscalls 1 100000")
        r.expect_line(r"^fuzz_syscalls: 100000 calls, seed 1, survived$")
        expect_clean_exit(r)
else:
    @test("user/needs_lab_9a", points=1, smp=1, timeout=60,
          title="without lab 9a the kernel says user space needs it, and still runs its ktests")
    def needs_lab_9a(t):
        r = t.boot("", extra_args=initrd_args())
        r.expect_line(r"^keel: user space needs lab 9a \(per-process page tables\)")
        r.expect_line(r"^keel: nothing to run; type a line")
        r.send(b"\x04")
        r.expect_exit(EXIT_PASS)
        r.expect_no_panic()
