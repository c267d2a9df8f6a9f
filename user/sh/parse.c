/*
 * parse.c: one line of text -> a struct list, in two steps: the lexer cuts
 * words and operators (keeping each word raw, quotes included, so that $?
 * is expanded when the command runs, not when it is read); the parser is a
 * recursive descent over the grammar in sh.h.
 */
#include "sh.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: everything of one line, freed at once ---- */

struct chunk {
    struct chunk *next;
    size_t used, size;
    char data[];
};
static struct chunk *chunks;

void *arena_alloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!chunks || chunks->used + n > chunks->size) {
        size_t size = n > 65536 ? n : 65536;
        struct chunk *c = malloc(sizeof *c + size);
        if (!c) {
            sh_error("out of memory");
            exit(2);
        }
        c->next = chunks;
        c->used = 0;
        c->size = size;
        chunks = c;
    }
    void *p = chunks->data + chunks->used;
    chunks->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(const char *s, size_t n)
{
    char *p = arena_alloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void arena_reset(void)
{
    while (chunks) {
        struct chunk *next = chunks->next;
        free(chunks);
        chunks = next;
    }
}

/* ---- lexer ---- */

enum tok_kind { T_WORD, T_PIPE, T_AND, T_OR, T_SEMI, T_AMP, T_REDIR, T_END };

struct token {
    enum tok_kind kind;
    char *word;             /* T_WORD */
    struct redir redir;     /* T_REDIR: target filled by the parser */
};

struct lexer {
    const char *p;
    int open_quote;         /* set when the text ends inside quotes */
};

/* Length of the raw word at p, quotes and backslashes included; -1 if a quote is unclosed. */
static int word_length(const char *p)
{
    const char *s = p;
    while (*s && !isspace((unsigned char)*s) && !strchr("|&;<>", *s)) {
        if (*s == '\\' && s[1]) {
            s += 2;
        } else if (*s == '\'') {
            const char *e = strchr(s + 1, '\'');
            if (!e)
                return -1;
            s = e + 1;
        } else if (*s == '"') {
            s++;
            while (*s && *s != '"')
                s += (*s == '\\' && s[1]) ? 2 : 1;
            if (!*s)
                return -1;
            s++;
        } else {
            s++;
        }
    }
    return s - p;
}

/* The next token; a redirection's fd is the all-digit word right before < or >. */
static int next_token(struct lexer *lx, struct token *t)
{
    const char *p = lx->p;
    while (*p == ' ' || *p == '\t' || (*p == '\\' && p[1] == '\n'))
        p += (*p == '\\') ? 2 : 1;
    if (*p == '#')
        while (*p && *p != '\n')
            p++;
    memset(t, 0, sizeof *t);
    if (!*p) {
        t->kind = T_END;
    } else if (*p == '\n' || *p == ';') {
        t->kind = T_SEMI;
        p++;
    } else if (*p == '|') {
        t->kind = p[1] == '|' ? T_OR : T_PIPE;
        p += p[1] == '|' ? 2 : 1;
    } else if (*p == '&') {
        t->kind = p[1] == '&' ? T_AND : T_AMP;
        p += p[1] == '&' ? 2 : 1;
    } else {
        int fd = -1;
        const char *d = p;
        while (isdigit((unsigned char)*d))
            d++;
        if (d > p && (*d == '<' || *d == '>')) {
            fd = atoi(p);
            p = d;
        }
        if (*p == '<' || *p == '>') {
            t->kind = T_REDIR;
            t->redir.fd = fd >= 0 ? fd : (*p == '<' ? 0 : 1);
            t->redir.kind = *p == '<' ? R_IN : R_OUT;
            if (p[0] == '>' && p[1] == '>') {
                t->redir.kind = R_APPEND;
                p++;
            } else if (p[1] == '&') {
                t->redir.kind = R_DUP;
                p++;
            }
            p++;
        } else {
            int n = word_length(p);
            if (n < 0) {
                lx->open_quote = 1;
                return -1;
            }
            t->kind = T_WORD;
            t->word = arena_strndup(p, n);
            p += n;
        }
    }
    lx->p = p;
    return 0;
}

/* ---- parser ---- */

struct parser {
    struct lexer lx;
    struct token tok;       /* the current token */
    int error;
};

static void advance(struct parser *ps)
{
    if (ps->error)
        return;
    if (next_token(&ps->lx, &ps->tok) < 0) {
        ps->error = 1;
        ps->tok.kind = T_END;
    }
}

static const char *token_text(const struct token *t)
{
    static const char *names[] = {"word", "|", "&&", "||", ";", "&", "redirection", "end of line"};
    return t->kind == T_WORD ? t->word : names[t->kind];
}

static void syntax_error(struct parser *ps)
{
    if (!ps->error)
        sh_error("syntax error near '%s'", token_text(&ps->tok));
    ps->error = 2;
}

/* Grows an arena array by one element (arrays are short: copying is fine). */
static void *push(void *array, int count, size_t size)
{
    char *bigger = arena_alloc((count + 1) * size);
    if (count)
        memcpy(bigger, array, count * size);
    return bigger;
}

static int parse_command(struct parser *ps, struct command *c)
{
    memset(c, 0, sizeof *c);
    while (!ps->error && (ps->tok.kind == T_WORD || ps->tok.kind == T_REDIR)) {
        if (ps->tok.kind == T_WORD) {
            c->words = push(c->words, c->nwords, sizeof(char *));
            c->words[c->nwords++] = ps->tok.word;
            advance(ps);
            continue;
        }
        struct redir r = ps->tok.redir;
        advance(ps);
        if (ps->tok.kind != T_WORD) {
            syntax_error(ps);
            return -1;
        }
        r.target = ps->tok.word;
        c->redirs = push(c->redirs, c->nredirs, sizeof r);
        c->redirs[c->nredirs++] = r;
        advance(ps);
    }
    if (c->nwords == 0 && c->nredirs == 0) {
        syntax_error(ps);
        return -1;
    }
    return ps->error ? -1 : 0;
}

static int parse_pipeline(struct parser *ps, struct pipeline *p)
{
    memset(p, 0, sizeof *p);
    for (;;) {
        p->cmds = push(p->cmds, p->ncmds, sizeof(struct command));
        if (parse_command(ps, &p->cmds[p->ncmds++]) < 0)
            return -1;
        if (ps->tok.kind != T_PIPE)
            return 0;
        advance(ps);
        while (ps->tok.kind == T_SEMI && ps->lx.p[-1] == '\n')
            advance(ps);        /* a newline may follow | */
    }
}

static int parse_and_or(struct parser *ps, struct and_or *a)
{
    memset(a, 0, sizeof *a);
    for (;;) {
        a->pipes = push(a->pipes, a->npipes, sizeof(struct pipeline));
        if (parse_pipeline(ps, &a->pipes[a->npipes++]) < 0)
            return -1;
        if (ps->tok.kind != T_AND && ps->tok.kind != T_OR)
            return 0;
        a->ops = push(a->ops, a->npipes - 1, sizeof(enum andor_op));
        a->ops[a->npipes - 1] = ps->tok.kind == T_AND ? OP_AND : OP_OR;
        advance(ps);
        while (ps->tok.kind == T_SEMI && ps->lx.p[-1] == '\n')
            advance(ps);
    }
}

int parse_line(const char *text, struct list *out)
{
    struct parser ps = {.lx = {.p = text}};
    memset(out, 0, sizeof *out);
    advance(&ps);
    for (;;) {
        while (ps.tok.kind == T_SEMI)
            advance(&ps);
        if (ps.tok.kind == T_END)
            break;
        out->items = push(out->items, out->nitems, sizeof(struct and_or));
        struct and_or *a = &out->items[out->nitems++];
        if (parse_and_or(&ps, a) < 0)
            break;
        if (ps.tok.kind == T_AMP) {
            a->background = 1;
            advance(&ps);
        } else if (ps.tok.kind != T_SEMI && ps.tok.kind != T_END) {
            syntax_error(&ps);
            break;
        }
    }
    if (ps.lx.open_quote)
        return 1;
    return ps.error ? -1 : 0;
}
