/*
 * builtin.c: commands the shell runs itself. cd, exit, export, unset and
 * wait must (they change the shell); echo, pwd, true and false are here so
 * that scripts work without busybox.
 */
#include "sh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int write_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(1, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 1;
        s += w;
        n -= w;
    }
    return 0;
}

static int b_cd(char **argv)
{
    const char *dir = argv[1] ? argv[1] : getenv("HOME");
    if (!dir || !*dir)
        dir = "/";
    if (chdir(dir) < 0) {
        sh_error("cd: %s: %s", dir, strerror(errno));
        return 1;
    }
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        setenv("PWD", cwd, 1);
    return 0;
}

static int b_exit(char **argv)
{
    exit(argv[1] ? atoi(argv[1]) & 255 : sh.status);
}

/* echo [-n] words: one write, so a pipe reader sees the line at once. */
static int b_echo(char **argv)
{
    int newline = 1, i = 1;
    if (argv[1] && !strcmp(argv[1], "-n")) {
        newline = 0;
        i = 2;
    }
    size_t len = 1;
    for (int j = i; argv[j]; j++)
        len += strlen(argv[j]) + 1;
    char *line = arena_alloc(len);
    char *p = line;
    for (int j = i; argv[j]; j++) {
        if (j > i)
            *p++ = ' ';
        p = stpcpy(p, argv[j]);
    }
    if (newline)
        *p++ = '\n';
    return write_all(line, p - line);
}

static int b_export(char **argv)
{
    for (int i = 1; argv[i]; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq) {
            *eq = 0;
            setenv(argv[i], eq + 1, 1);
        }
    }
    return 0;
}

static int b_unset(char **argv)
{
    for (int i = 1; argv[i]; i++)
        unsetenv(argv[i]);
    return 0;
}

/* wait: every child, background jobs included; the status of the last one. */
static int b_wait(char **argv)
{
    (void)argv;
    int st, status = 0;
    pid_t pid;
    while ((pid = wait(&st)) > 0 || (pid < 0 && errno == EINTR))
        if (pid > 0)
            status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status;
}

static int b_pwd(char **argv)
{
    (void)argv;
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) {
        sh_error("pwd: %s", strerror(errno));
        return 1;
    }
    size_t n = strlen(cwd);
    cwd[n] = '\n';
    return write_all(cwd, n + 1);
}

static int b_true(char **argv)
{
    (void)argv;
    return 0;
}

static int b_false(char **argv)
{
    (void)argv;
    return 1;
}

static const struct {
    const char *name;
    int (*run)(char **argv);
} builtins[] = {
    {"cd", b_cd}, {"exit", b_exit}, {"echo", b_echo}, {"export", b_export},
    {"unset", b_unset}, {"wait", b_wait}, {"pwd", b_pwd}, {"true", b_true},
    {":", b_true}, {"false", b_false},
};

int is_builtin(const char *name)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, name))
            return 1;
    return 0;
}

int run_builtin(char **argv)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        if (!strcmp(builtins[i].name, argv[0]))
            return builtins[i].run(argv);
    return 127;
}
