/*
 * exec.c: runs what parse.c built.
 *
 * A pipeline forks one child per command, joined by pipes. In an
 * interactive shell each pipeline is a process group of its own, made the
 * terminal's foreground group while it runs, so ^C reaches the job and not
 * the shell (which ignores SIGINT); the shell takes the terminal back after.
 * A builtin alone in a pipeline runs in the shell itself (so cd and exit
 * work), with its redirections undone afterwards.
 */
#include "sh.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSYBOX "/bin/busybox"
#define SCRIPT_SHELL "/bin/sh"

extern char **environ;

static const int job_signals[] = {SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};

static void default_job_signals(void)
{
    for (size_t i = 0; i < sizeof job_signals / sizeof job_signals[0]; i++)
        signal(job_signals[i], SIG_DFL);
}

/* NAME=value, judged on the raw word: the name part is never quoted. */
static int is_assignment(const char *w)
{
    if (!isalpha((unsigned char)*w) && *w != '_')
        return 0;
    while (isalnum((unsigned char)*w) || *w == '_')
        w++;
    return *w == '=';
}

static void assign(const char *raw)
{
    const char *eq = strchr(raw, '=');
    char *name = arena_strndup(raw, eq - raw);
    setenv(name, expand_one(eq + 1), 1);
}

/* Opens or dups each redirection's target onto its fd; -1 after an error message. */
static int apply_redirs(struct command *c)
{
    for (int i = 0; i < c->nredirs; i++) {
        struct redir *r = &c->redirs[i];
        char *target = expand_one(r->target);
        if (r->kind == R_DUP) {
            char *end;
            long from = strtol(target, &end, 10);
            if (!strcmp(target, "-")) {
                close(r->fd);
            } else if (*target == 0 || *end || dup2(from, r->fd) < 0) {
                sh_error("%s: bad file descriptor", target);
                return -1;
            }
            continue;
        }
        int flags = r->kind == R_IN ? O_RDONLY
                  : r->kind == R_OUT ? O_WRONLY | O_CREAT | O_TRUNC
                  : O_WRONLY | O_CREAT | O_APPEND;
        int fd = open(target, flags, 0666);
        if (fd < 0) {
            sh_error("%s: %s", target, strerror(errno));
            return -1;
        }
        if (fd != r->fd) {
            dup2(fd, r->fd);
            close(fd);
        }
    }
    return 0;
}

/* execve, and a file that is not a binary (ENOEXEC) runs as a script of ours. */
static void try_exec(const char *path, char **argv)
{
    execve(path, argv, environ);
    if (errno == ENOEXEC) {
        int n = 0;
        while (argv[n])
            n++;
        char **args = arena_alloc((n + 2) * sizeof(char *));
        args[0] = SCRIPT_SHELL;
        args[1] = (char *)path;
        for (int i = 1; i <= n; i++)
            args[i + 1] = argv[i];
        execve(SCRIPT_SHELL, args, environ);
        errno = ENOEXEC;
    }
}

/*
 * Runs argv[0] from the path or the PATH directories; a name found nowhere
 * is tried as a busybox applet (busybox picks the applet from argv[0]).
 */
static void exec_command(char **argv)
{
    int err = ENOENT;
    if (strchr(argv[0], '/')) {
        try_exec(argv[0], argv);
        err = errno;
    } else {
        const char *path = getenv("PATH");
        if (!path || !*path)
            path = "/bin";
        while (*path) {
            const char *colon = strchrnul(path, ':');
            char full[4096];
            snprintf(full, sizeof full, "%.*s/%s", (int)(colon - path), path, argv[0]);
            try_exec(full, argv);
            if (errno != ENOENT && errno != ENOTDIR)
                err = errno;
            path = *colon ? colon + 1 : colon;
        }
        if (err == ENOENT && access(BUSYBOX, X_OK) == 0)
            execve(BUSYBOX, argv, environ);
    }
    if (err == ENOENT)
        sh_error("%s: not found", argv[0]);
    else
        sh_error("%s: %s", argv[0], strerror(err));
    exit(err == ENOENT ? 127 : 126);
}

/* In a child: assignments, redirections, then the builtin or the program. */
static void run_in_child(struct command *c, char **argv)
{
    for (int i = 0; i < c->nwords && is_assignment(c->words[i]); i++)
        assign(c->words[i]);
    if (apply_redirs(c) < 0)
        exit(1);
    if (!argv[0])
        exit(0);
    if (is_builtin(argv[0]))
        exit(run_builtin(argv));
    exec_command(argv);
}

/* The words after the leading assignments, expanded. */
static char **command_argv(struct command *c)
{
    int skip = 0, n;
    while (skip < c->nwords && is_assignment(c->words[skip]))
        skip++;
    return expand_words(c->words + skip, c->nwords - skip, &n);
}

/* A builtin, or a command of assignments only, in the shell itself. */
static int run_in_shell(struct command *c, char **argv)
{
    int saved[16], n = c->nredirs < 16 ? c->nredirs : 16;
    for (int i = 0; i < n; i++)
        saved[i] = fcntl(c->redirs[i].fd, F_DUPFD_CLOEXEC, 10);
    int status = 1;
    if (apply_redirs(c) == 0) {
        if (argv[0]) {
            status = run_builtin(argv);
        } else {
            for (int i = 0; i < c->nwords; i++)
                assign(c->words[i]);
            status = 0;
        }
    }
    for (int i = n - 1; i >= 0; i--) {
        if (saved[i] >= 0) {
            dup2(saved[i], c->redirs[i].fd);
            close(saved[i]);
        } else {
            close(c->redirs[i].fd);
        }
    }
    return status;
}

/* $? from a wait status; an interactive shell names fatal signals. */
static int status_of(int st)
{
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) {
        int sig = WTERMSIG(st);
        if (sh.interactive && sig == SIGINT)
            fputs("\n", stderr);
        else if (sh.interactive && sig != SIGPIPE)
            fprintf(stderr, "%s%s\n", strsignal(sig), WCOREDUMP(st) ? " (core dumped)" : "");
        return 128 + sig;
    }
    return 128 + WSTOPSIG(st);
}

static int run_pipeline(struct pipeline *p, int foreground)
{
    char **argvs[p->ncmds];
    for (int i = 0; i < p->ncmds; i++)
        argvs[i] = command_argv(&p->cmds[i]);
    if (p->ncmds == 1 && (!argvs[0][0] || is_builtin(argvs[0][0])))
        return run_in_shell(&p->cmds[0], argvs[0]);

    pid_t pids[p->ncmds], pgid = 0;
    int prev_read = -1, started = 0;
    for (int i = 0; i < p->ncmds; i++) {
        int pfd[2] = {-1, -1};
        if (i < p->ncmds - 1 && pipe2(pfd, O_CLOEXEC) < 0) {
            sh_error("pipe: %s", strerror(errno));
            break;
        }
        pid_t pid = fork();
        if (pid == 0) {
            if (sh.interactive) {
                setpgid(0, pgid);
                if (foreground)
                    tcsetpgrp(0, pgid ? pgid : getpid());
                default_job_signals();
            }
            if (prev_read >= 0)
                dup2(prev_read, 0);
            if (pfd[1] >= 0)
                dup2(pfd[1], 1);
            run_in_child(&p->cmds[i], argvs[i]);
        }
        if (pid < 0) {
            sh_error("fork: %s", strerror(errno));
        } else {
            if (!pgid)
                pgid = pid;
            if (sh.interactive)
                setpgid(pid, pgid);
            pids[started++] = pid;
        }
        if (prev_read >= 0)
            close(prev_read);
        if (pfd[1] >= 0)
            close(pfd[1]);
        prev_read = pfd[0];
        if (pid < 0)
            break;
    }
    if (prev_read >= 0)
        close(prev_read);

    int status = 1;
    for (int i = 0; i < started; i++) {
        int st;
        pid_t r;
        while ((r = waitpid(pids[i], &st, WUNTRACED)) < 0 && errno == EINTR)
            ;
        if (r == pids[i] && WIFSTOPPED(st))
            fprintf(stderr, "[%d] stopped\n", (int)pids[i]);
        if (r == pids[i] && i == started - 1)
            status = status_of(st);
    }
    if (sh.interactive && foreground)
        tcsetpgrp(0, sh.pgid);
    return status;
}

static int run_and_or(struct and_or *a, int foreground)
{
    int status = sh.status = run_pipeline(&a->pipes[0], foreground);
    for (int i = 1; i < a->npipes; i++) {
        if ((a->ops[i - 1] == OP_AND) == (status == 0))
            status = sh.status = run_pipeline(&a->pipes[i], foreground);
    }
    return status;
}

/* A background job: a child running the whole and-or chain, in its own group. */
static void start_background(struct and_or *a)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (sh.interactive) {
            setpgid(0, 0);
            default_job_signals();
        } else {
            /* POSIX: without job control, & ignores ^C and reads /dev/null */
            signal(SIGINT, SIG_IGN);
            signal(SIGQUIT, SIG_IGN);
            int fd = open("/dev/null", O_RDONLY);
            if (fd > 0) {
                dup2(fd, 0);
                close(fd);
            }
        }
        sh.interactive = 0;
        /* A lone command is exec'd in this child, so $! is the command itself. */
        if (a->npipes == 1 && a->pipes[0].ncmds == 1)
            run_in_child(&a->pipes[0].cmds[0], command_argv(&a->pipes[0].cmds[0]));
        exit(run_and_or(a, 0));
    }
    if (pid < 0) {
        sh_error("fork: %s", strerror(errno));
        return;
    }
    if (sh.interactive) {
        setpgid(pid, pid);
        fprintf(stderr, "[%d]\n", (int)pid);
    }
    sh.last_bg = pid;
}

int run_list(struct list *l)
{
    for (int i = 0; i < l->nitems; i++) {
        reap_background();
        if (l->items[i].background) {
            start_background(&l->items[i]);
            sh.status = 0;
        } else {
            sh.status = run_and_or(&l->items[i], 1);
        }
    }
    return sh.status;
}

/* Collects finished background jobs so they do not stay zombies. */
void reap_background(void)
{
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
        if (sh.interactive)
            fprintf(stderr, "[%d] done, %s %d\n", (int)pid,
                    WIFEXITED(st) ? "status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}
