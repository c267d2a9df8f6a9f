/*
 * main.c: how the shell is started and where its lines come from.
 *
 *   sh -c 'CMDS' [NAME [ARGS...]]   run CMDS; $0 = NAME, $1... = ARGS
 *   sh FILE [ARGS...]               run the script FILE
 *   sh                              read standard input, one line at a time;
 *                                   on a terminal: a `$ ` prompt and job control
 */
#include "sh.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct shell sh;

void sh_error(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof msg - 2)
        n = sizeof msg - 2;
    msg[n++] = '\n';
    /* one write: the line stays whole next to other processes' output */
    char line[1100];
    int len = snprintf(line, sizeof line, "sh: %.*s", n, msg);
    if (write(2, line, len) < 0)
        return;
}

/* Parses and runs one complete piece of text; its status. */
static int run_text(const char *text)
{
    struct list l;
    int r = parse_line(text, &l);
    if (r == 1) {
        sh_error("syntax error: unterminated quote");
        sh.status = 2;
    } else if (r < 0) {
        sh.status = 2;
    } else {
        run_list(&l);
    }
    arena_reset();
    return sh.status;
}

/*
 * Reads one line from fd 0 a byte at a time, so nothing past the newline is
 * taken from a pipe that the commands read next. Appends to *buf; 0 at EOF.
 */
static int read_line(char **buf, size_t *len, size_t *cap)
{
    int got = 0;
    for (;;) {
        char c;
        ssize_t n = read(0, &c, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return got;
        got = 1;
        if (*len + 2 > *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *buf = realloc(*buf, *cap);
            if (!*buf) {
                sh_error("out of memory");
                exit(2);
            }
        }
        (*buf)[(*len)++] = c;
        (*buf)[*len] = 0;
        if (c == '\n')
            return 1;
    }
}

static void prompt(const char *p)
{
    if (sh.interactive && write(2, p, strlen(p)) < 0)
        sh.interactive = 0;
}

/* Job control: our own process group, owning the terminal, deaf to ^C and ^Z. */
static void become_interactive(void)
{
    sh.interactive = 1;
    sh.pgid = getpgrp();
    if (sh.pgid != getpid() && setpgid(0, 0) == 0)
        sh.pgid = getpid();
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    tcsetpgrp(0, sh.pgid);
}

static int run_stdin(void)
{
    if (isatty(0) && isatty(2))
        become_interactive();
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        reap_background();
        prompt("$ ");
        len = 0;
        if (!read_line(&buf, &len, &cap))
            break;
        /* an open quote continues on the next line */
        struct list l;
        while (parse_line(buf, &l) == 1) {
            arena_reset();
            prompt("> ");
            if (!read_line(&buf, &len, &cap))
                break;
        }
        arena_reset();
        run_text(buf);
    }
    if (sh.interactive)
        prompt("\n");
    return sh.status;
}

/* The whole script at once: it may span lines inside quotes. */
static char *read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            text = realloc(text, cap *= 2);
        if (!text)
            break;
        ssize_t n = read(fd, text + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += n;
    }
    close(fd);
    if (text)
        text[len] = 0;
    return text;
}

int main(int argc, char **argv)
{
    sh.pid = getpid();
    sh.pgid = getpgrp();
    sh.argc = argc;
    sh.argv = argv;
    if (!getenv("PATH"))
        setenv("PATH", "/bin", 1);

    if (argc >= 2 && !strcmp(argv[1], "-c")) {
        if (argc < 3) {
            sh_error("-c: a command is needed");
            return 2;
        }
        sh.argc = argc - 3 > 0 ? argc - 3 : 1;
        sh.argv = argc > 3 ? argv + 3 : argv;
        return run_text(argv[2]);
    }
    if (argc >= 2 && argv[1][0] != '-') {
        char *text = read_file(argv[1]);
        if (!text) {
            sh_error("%s: %s", argv[1], strerror(errno));
            return 127;
        }
        sh.argc = argc - 1;
        sh.argv = argv + 1;
        return run_text(text);
    }
    if (argc >= 2 && strcmp(argv[1], "-") && strcmp(argv[1], "-s")) {
        sh_error("usage: sh [-c COMMANDS [NAME ARGS...] | FILE [ARGS...]]");
        return 2;
    }
    return run_stdin();
}
