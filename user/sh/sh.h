/*
 * sh: Keel's own small shell, written to be read.
 *
 *   main.c     modes (-c, script file, interactive), reading lines, the prompt
 *   parse.c    text -> tokens -> a list of and-or chains of pipelines
 *   expand.c   a word's quotes, $?, $NAME, ~ and globs, at run time
 *   exec.c     pipelines, redirections, process groups and the terminal
 *   builtin.c  cd, exit, echo, export, unset, wait, pwd, true, false
 *
 * Grammar:  list    = and_or { (';' | '&' | newline) and_or }
 *           and_or  = pipeline { ('&&' | '||') pipeline }
 *           pipeline = command { '|' command }
 *           command = { word | redirection }
 * Memory of one parsed line comes from an arena freed before the next line.
 */
#ifndef SH_H
#define SH_H

#include <stddef.h>
#include <sys/types.h>

enum redir_kind { R_IN, R_OUT, R_APPEND, R_DUP };

struct redir {
    int fd;                 /* the fd being redirected */
    enum redir_kind kind;
    char *target;           /* raw word: a path, or the fd number for R_DUP */
};

struct command {
    char **words;           /* raw (unexpanded) words */
    int nwords;
    struct redir *redirs;
    int nredirs;
};

struct pipeline {
    struct command *cmds;
    int ncmds;
};

enum andor_op { OP_AND, OP_OR };

struct and_or {
    struct pipeline *pipes;
    enum andor_op *ops;     /* ops[i] joins pipes[i] and pipes[i + 1] */
    int npipes;
    int background;
};

struct list {
    struct and_or *items;
    int nitems;
};

/* Shell-wide state. */
struct shell {
    int interactive;        /* job control and a prompt */
    pid_t pid;              /* $$, the same in subshells */
    pid_t pgid;             /* the shell's own process group */
    int status;             /* $? */
    pid_t last_bg;          /* $! */
    int argc;               /* $0..$N */
    char **argv;
};
extern struct shell sh;

/* arena (parse.c) */
void *arena_alloc(size_t n);
char *arena_strndup(const char *s, size_t n);
void arena_reset(void);

/* parse.c: 0 and *out on success, 1 when a quote is still open, -1 on a syntax error. */
int parse_line(const char *text, struct list *out);

/* expand.c: the words of a command, expanded; a NULL-terminated arena array. */
char **expand_words(char **raw, int n, int *count);
char *expand_one(const char *raw);

/* exec.c */
int run_list(struct list *l);
void reap_background(void);

/* builtin.c: is_builtin says 1 or 0; run_builtin returns the exit status. */
int is_builtin(const char *name);
int run_builtin(char **argv);

void sh_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
