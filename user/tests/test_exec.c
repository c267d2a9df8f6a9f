/*
 * test_exec: execve's view from the new program. The test runs itself again
 * with `--child CASE ...` and the child checks what it was given: argv and
 * envp strings in the Linux stack layout, the auxiliary vector (AT_PAGESZ,
 * AT_RANDOM, AT_PHDR/AT_PHENT/AT_PHNUM against the file's own headers,
 * AT_ENTRY, AT_EXECFN), close-on-exec, signal dispositions and the mask
 * across exec, and #! scripts. The child answers with its exit status:
 * 0 = all good, N = the Nth check failed.
 */
#include "testlib.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char self[4096];

/* ---- the child side ---- */

static int child_args(int argc, char **argv)
{
    /* exec'd with {self, --child, args, "a b", "", "x"} and envp {FOO=bar, EMPTY=} */
    if (argc != 6)
        return 1;
    if (strcmp(argv[3], "a b") || strcmp(argv[4], "") || strcmp(argv[5], "x") || argv[6])
        return 2;
    if (!environ[0] || strcmp(environ[0], "FOO=bar") || !environ[1] || strcmp(environ[1], "EMPTY=") || environ[2])
        return 3;
    if (environ != argv + argc + 1)
        return 4;       /* envp follows argv's NULL on the initial stack */
    if (strcmp(getenv("FOO"), "bar"))
        return 5;
    return 0;
}

/* Reads the ELF header and program headers of the executable file itself. */
static int read_own_headers(Elf64_Ehdr *eh, Elf64_Phdr *ph, int max)
{
    int fd = open((const char *)getauxval(AT_EXECFN), O_RDONLY);
    if (fd < 0)
        return -1;
    int ok = pread(fd, eh, sizeof *eh, 0) == sizeof *eh && eh->e_phnum <= max &&
             pread(fd, ph, eh->e_phnum * sizeof *ph, eh->e_phoff) == (ssize_t)(eh->e_phnum * sizeof *ph);
    close(fd);
    return ok ? 0 : -1;
}

static int child_auxv(int argc, char **argv)
{
    if (argc != 4)
        return 1;
    if (getauxval(AT_PAGESZ) != 4096)
        return 2;
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    if (!rnd)
        return 3;
    int nonzero = 0;
    for (int i = 0; i < 16; i++)
        nonzero |= rnd[i];
    if (!nonzero)
        return 4;
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    if (!execfn || strcmp(execfn, argv[3]))
        return 5;       /* AT_EXECFN is the path given to execve */
    Elf64_Ehdr eh;
    Elf64_Phdr ph[64];
    if (read_own_headers(&eh, ph, 64) < 0)
        return 6;
    if (getauxval(AT_PHNUM) != eh.e_phnum || getauxval(AT_PHENT) != sizeof(Elf64_Phdr))
        return 7;
    const Elf64_Phdr *mem = (const Elf64_Phdr *)getauxval(AT_PHDR);
    if (!mem || memcmp(mem, ph, eh.e_phnum * sizeof *ph))
        return 8;       /* AT_PHDR points at the headers, mapped in memory */
    if (eh.e_type == ET_EXEC && getauxval(AT_ENTRY) != eh.e_entry)
        return 9;
    if (getauxval(AT_UID) != getuid() || getauxval(AT_EGID) != getegid())
        return 10;
    return 0;
}

static int child_second_random(int argc, char **argv)
{
    /* argv[3] = the parent's AT_RANDOM bytes in hex: ours must differ */
    char hex[40] = {0};
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    return argc == 4 && strcmp(hex, argv[3]) ? 0 : 1;
}

static int child_fds(int argc, char **argv)
{
    if (argc != 5)
        return 1;
    int kept = atoi(argv[3]), cloexec = atoi(argv[4]);
    if (fcntl(kept, F_GETFD) != 0)
        return 2;
    if (fcntl(cloexec, F_GETFD) != -1 || errno != EBADF)
        return 3;
    return 0;
}

static int child_signals(void)
{
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    if (sa.sa_handler != SIG_DFL)
        return 1;       /* a handler cannot survive exec */
    sigaction(SIGUSR2, NULL, &sa);
    if (sa.sa_handler != SIG_IGN)
        return 2;       /* an ignored signal stays ignored */
    sigset_t mask;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    if (!sigismember(&mask, SIGTERM) || sigismember(&mask, SIGUSR1))
        return 3;       /* the mask is kept */
    return 0;
}

/* Run through `#!SELF --child`: argv = {SELF, "--child", "scr" (the script's path), "extra"}. */
static int child_script(int argc, char **argv)
{
    return argc == 4 && !strcmp(argv[3], "extra") ? 0 : 1;
}

static int child_main(int argc, char **argv)
{
    const char *c = argv[2];
    if (!strcmp(c, "args"))
        return child_args(argc, argv);
    if (!strcmp(c, "auxv"))
        return child_auxv(argc, argv);
    if (!strcmp(c, "random"))
        return child_second_random(argc, argv);
    if (!strcmp(c, "fds"))
        return child_fds(argc, argv);
    if (!strcmp(c, "signals"))
        return child_signals();
    if (!strcmp(c, "scr"))
        return child_script(argc, argv);
    return 99;
}

/* ---- the parent side ---- */

/* Forks, execs path with argv/envp, returns the child's exit code (1000 + signal, -errno). */
static int spawn(const char *path, char *const argv[], char *const envp[])
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return -1000;
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, envp);
        int e = errno;
        if (write(pfd[1], &e, sizeof e) < 0)
            _exit(126);
        _exit(127);
    }
    close(pfd[1]);
    int e = 0;
    ssize_t n = read(pfd[0], &e, sizeof e);
    close(pfd[0]);
    int st;
    waitpid(pid, &st, 0);
    if (n == sizeof e)
        return -e;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void expect_zero(const char *name, int r)
{
    if (r < 0)
        t_fail(name, "execve failed: %s", t_errname(-r));
    else
        t_check(name, r == 0, "the child's check %d failed%s", r, r >= 1000 ? " (killed by a signal)" : "");
}

static void test_args(void)
{
    char *argv[] = {self, "--child", "args", "a b", "", "x", NULL};
    char *envp[] = {"FOO=bar", "EMPTY=", NULL};
    expect_zero("exec-argv-envp", spawn(self, argv, envp));
}

static void test_auxv(void)
{
    char *argv[] = {self, "--child", "auxv", self, NULL};
    char *envp[] = {NULL};
    expect_zero("exec-auxv", spawn(self, argv, envp));

    /* A relative path: AT_EXECFN is the string as given. */
    char *slash = strrchr(self, '/');
    char dir[4096], rel[4200];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - self), self);
    snprintf(rel, sizeof rel, "./%s", slash + 1);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || chdir(dir) < 0) {
        t_fail("exec-auxv-relative-path", "chdir failed");
        return;
    }
    char *argv2[] = {rel, "--child", "auxv", rel, NULL};
    expect_zero("exec-auxv-relative-path", spawn(rel, argv2, envp));
    if (chdir(cwd) < 0)
        t_fail("chdir-back", "%s", t_errname(errno));
}

static void test_random_differs(void)
{
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    char hex[40] = {0};
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    char *argv[] = {self, "--child", "random", hex, NULL};
    char *envp[] = {NULL};
    expect_zero("exec-at-random-fresh", spawn(self, argv, envp));
}

static void test_fds(void)
{
    int p[2];
    if (pipe(p) < 0) {
        t_fail("exec-cloexec", "pipe: %s", t_errname(errno));
        return;
    }
    fcntl(p[1], F_SETFD, FD_CLOEXEC);
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", p[0]);
    snprintf(b, sizeof b, "%d", p[1]);
    char *argv[] = {self, "--child", "fds", a, b, NULL};
    char *envp[] = {NULL};
    expect_zero("exec-cloexec", spawn(self, argv, envp));
    close(p[0]);
    close(p[1]);
}

static void on_usr1(int sig)
{
    (void)sig;
}

static void test_signals(void)
{
    struct sigaction sa = {.sa_handler = on_usr1}, old1, old2;
    sigaction(SIGUSR1, &sa, &old1);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &sa, &old2);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old_mask);
    char *argv[] = {self, "--child", "signals", NULL};
    char *envp[] = {NULL};
    expect_zero("exec-signal-dispositions", spawn(self, argv, envp));
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGUSR1, &old1, NULL);
    sigaction(SIGUSR2, &old2, NULL);
}

static void test_script(void)
{
    int fd = open("scr", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char line[4200];
    int n = snprintf(line, sizeof line, "#!%s --child\nnot read by anyone\n", self);
    if (fd < 0 || write(fd, line, n) != n) {
        t_fail("exec-shebang", "cannot write the script: %s", t_errname(errno));
        return;
    }
    close(fd);
    /* argv[0] is dropped: the interpreter gets {SELF, "--child", "scr", "extra"} */
    char *argv[] = {"ignored", "extra", NULL};
    char *envp[] = {NULL};
    int r = spawn("scr", argv, envp);
    if (r < 0)
        t_fail("exec-shebang", "execve failed: %s", t_errname(-r));
    else
        t_check("exec-shebang", r == 0, "the interpreter got the wrong argv (%d)", r);

    fd = open("scr2", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    n = snprintf(line, sizeof line, "#!/nonexistent/interpreter\n");
    if (fd >= 0 && write(fd, line, n) == n)
        close(fd);
    char *argv2[] = {"scr2", NULL};
    r = spawn("scr2", argv2, envp);
    t_check("exec-shebang-missing-interpreter", r == -ENOENT, "got %d (expected -ENOENT)", r);
}

static void test_errors(void)
{
    char *argv[] = {"x", NULL};
    char *envp[] = {NULL};
    errno = 0;
    t_errno("exec-enoent", execve("/nonexistent/program", argv, envp), ENOENT);
    t_errno("exec-directory-eacces", execve(".", argv, envp), EACCES);
    int fd = open("plain", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, "\177ELF", 4) != 4)
            t_note("short write");
        close(fd);
    }
    t_errno("exec-not-executable-eacces", execve("plain", argv, envp), EACCES);
    t_errno("exec-enotdir", execve("plain/x", argv, envp), ENOTDIR);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--child"))
        return child_main(argc, argv);
    t_begin("test_exec");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    /* The path we were run by, made absolute so it works from the scratch directory. */
    if (execfn && execfn[0] == '/') {
        snprintf(self, sizeof self, "%s", execfn);
    } else {
        char cwd[2048];
        if (!getcwd(cwd, sizeof cwd))
            cwd[0] = 0;
        snprintf(self, sizeof self, "%s/%s", cwd, execfn ? execfn : argv[0]);
    }
    if (!t_scratch())
        return t_end();
    test_args();
    test_auxv();
    test_random_differs();
    test_fds();
    test_signals();
    test_script();
    test_errors();
    t_scratch_cleanup();
    return t_end();
}
