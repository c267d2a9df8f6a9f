/*
 * test_sh: our shell (the `sh` next to this test's binary: build/user/bin/sh
 * on the host, /bin/sh on Keel), driven with `sh -c` and a script file.
 * Each case compares the standard output and the exit status with what a
 * POSIX shell gives. The shell is a heavy user of fork, exec, pipes, dup2
 * and wait, so this is also a system-level test of those.
 */
#include "testlib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

static char sh_path[4096];

/* Runs `sh -c script` (or `sh script-file` if file); output into out, status returned. */
static int run_sh(const char *script, int as_file, char *out, size_t outlen)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    if (as_file) {
        int fd = open("script.sh", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, script, strlen(script)) < 0)
            return -1;
        close(fd);
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 2);
        close(p[0]);
        close(p[1]);
        char *envp[] = {"PATH=/bin:/usr/bin", "HOME=/", "KEEL_TEST=yes", NULL};
        if (as_file) {
            char *argv[] = {"sh", "script.sh", "A1", "A2", NULL};
            execve(sh_path, argv, envp);
        } else {
            char *argv[] = {"sh", "-c", (char *)script, NULL};
            execve(sh_path, argv, envp);
        }
        _exit(126);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n < outlen - 1 && (r = read(p[0], out + n, outlen - 1 - n)) > 0)
        n += r;
    out[n] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect(const char *name, const char *script, const char *want_out, int want_status)
{
    char out[4096];
    int status = run_sh(script, 0, out, sizeof out);
    t_check(name, status == want_status && !strcmp(out, want_out), "status %d (want %d), output \"%s\" (want \"%s\")",
            status, want_status, out, want_out);
}

static void expect_file(const char *name, const char *script, const char *want_out, int want_status)
{
    char out[4096];
    int status = run_sh(script, 1, out, sizeof out);
    t_check(name, status == want_status && !strcmp(out, want_out), "status %d (want %d), output \"%s\" (want \"%s\")",
            status, want_status, out, want_out);
}

int main(void)
{
    t_begin("test_sh");
    const char *self = (const char *)getauxval(AT_EXECFN);
    const char *slash = self ? strrchr(self, '/') : NULL;
    char cwd[2048] = ".";
    if (slash && self[0] != '/' && !getcwd(cwd, sizeof cwd))
        strcpy(cwd, ".");
    if (!slash)
        snprintf(sh_path, sizeof sh_path, "%s/sh", cwd);
    else if (self[0] == '/')
        snprintf(sh_path, sizeof sh_path, "%.*s/sh", (int)(slash - self), self);
    else
        snprintf(sh_path, sizeof sh_path, "%s/%.*s/sh", cwd, (int)(slash - self), self);
    if (access(sh_path, X_OK) < 0) {
        t_fail("find-sh", "%s: %s", sh_path, t_errname(errno));
        return t_end();
    }
    if (!t_scratch())
        return t_end();

    expect("sh-echo", "echo hello world", "hello world\n", 0);
    expect("sh-exit-status", "exit 3", "", 3);
    expect("sh-semicolon", "echo a; echo b", "a\nb\n", 0);
    expect("sh-and-or", "true && echo yes; false && echo no; false || echo or; true || echo never", "yes\nor\n", 0);
    expect("sh-status-var", "false; echo $?; true; echo $?", "1\n0\n", 0);
    expect("sh-status-in-chain", "false || echo \"got $?\"", "got 1\n", 0);
    expect("sh-last-status", "true; false", "", 1);
    expect("sh-quotes", "echo 'a  b' \"c  d\" e\\ f 'it'\"'\"'s'", "a  b c  d e f it's\n", 0);
    expect("sh-double-quote-escapes", "echo \"q\\\"q \\$HOME $HOME\"", "q\"q $HOME /\n", 0);
    expect("sh-variables", "X=5; echo $X ${X}x $KEEL_TEST", "5 5x yes\n", 0);
    expect("sh-redirect-out-in", "echo one > f; echo two >> f; cat < f", "one\ntwo\n", 0);
    expect("sh-redirect-truncates", "echo long line > g; echo s > g; cat g", "s\n", 0);
    expect("sh-redirect-fd-dup", "echo err 1>&2 2>/dev/null; echo out 2>&1", "out\n", 0);
    expect("sh-redirect-missing-file", "cat < /nonexistent; echo $?", "1\n", 0);
    expect("sh-pipe", "echo hello | cat", "hello\n", 0);
    expect("sh-pipe-three", "echo abc | cat | cat", "abc\n", 0);
    expect("sh-pipe-status-is-last", "true | false", "", 1);
    expect("sh-pipe-not-found", "echo x | read_nothing_here 2>/dev/null; echo $?", "127\n", 0);
    expect("sh-cd-pwd", "mkdir -p dd/ee 2>/dev/null; cd dd/ee; pwd | sed 's,.*/,,'", "ee\n", 0);
    expect("sh-cd-missing", "cd /nonexistent 2>/dev/null; echo $?", "1\n", 0);
    expect("sh-not-found", "no_such_command_xyz 2>/dev/null", "", 127);
    expect("sh-background-wait", "echo bg > bgout & wait; cat bgout", "bg\n", 0);
    expect("sh-comment", "echo a # not this", "a\n", 0);
    expect("sh-exit-in-middle", "echo a; exit 4; echo b", "a\n", 4);
    expect("sh-syntax-error", "echo a | | b", "", 2);
    expect("sh-unterminated-quote", "echo 'abc", "", 2);
    expect("sh-newline-separated", "echo one\necho two", "one\ntwo\n", 0);
    expect("sh-signal-status", "sh -c 'kill -9 $$'; echo $?", "137\n", 0);
    expect_file("sh-script-args", "echo $0 $1 $2 $#\nexit 6\n", "script.sh A1 A2 2\n", 6);
    expect_file("sh-script-multiline-quote", "echo 'x\ny'\n", "x\ny\n", 0);
    /* A command found nowhere runs as a busybox applet when /bin/busybox exists. */
    if (access("/bin/busybox", X_OK) == 0)
        expect("sh-busybox-fallback", "echo a b c | busybox wc -w | busybox tr -d ' '", "3\n", 0);
    t_scratch_cleanup();
    return t_end();
}
