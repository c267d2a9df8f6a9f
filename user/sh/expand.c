/*
 * expand.c: turns a raw word into its value when the command runs:
 * 'single quotes' keep everything, "double quotes" expand $ and take
 * \" \\ \$ escapes, a bare backslash quotes the next character, $? $$ $! $#
 * $0..$9 $NAME ${NAME} are replaced, a leading ~ is $HOME, and a word with
 * an unquoted * ? or [ becomes the sorted list of paths it matches (or stays
 * as it is when nothing matches). Values are not split into fields.
 */
#include "sh.h"

#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    char *s;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *bigger = arena_alloc(cap);
        if (b->len)
            memcpy(bigger, b->s, b->len);
        b->s = bigger;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = 0;
}

static void put_str(struct buf *b, const char *s)
{
    if (s)
        put(b, s, strlen(s));
}

/* Expands the $ at p into b; returns the position after what it consumed. */
static const char *expand_dollar(const char *p, struct buf *b)
{
    char num[24];
    p++;
    if (*p == '?' || *p == '$' || *p == '!' || *p == '#') {
        long v = *p == '?' ? sh.status : *p == '$' ? (long)sh.pid
               : *p == '!' ? (long)sh.last_bg : (long)(sh.argc > 0 ? sh.argc - 1 : 0);
        snprintf(num, sizeof num, "%ld", v);
        put_str(b, num);
        return p + 1;
    }
    if (isdigit((unsigned char)*p)) {
        int i = *p - '0';
        if (i < sh.argc)
            put_str(b, sh.argv[i]);
        return p + 1;
    }
    int braces = *p == '{';
    const char *name = p + braces;
    const char *e = name;
    while (isalnum((unsigned char)*e) || *e == '_')
        e++;
    if (e == name || (braces && *e != '}')) {
        put(b, "$", 1);         /* not a parameter: a literal $ */
        return p;
    }
    char *var = arena_strndup(name, e - name);
    put_str(b, getenv(var));
    return e + braces;
}

/* The value of raw; *glob_chars is set if an unquoted * ? [ appeared. */
static char *expand_raw(const char *raw, int *glob_chars)
{
    struct buf b = {0};
    const char *p = raw;
    put(&b, "", 0);
    if (*p == '~' && (p[1] == '/' || p[1] == 0)) {
        put_str(&b, getenv("HOME") ? getenv("HOME") : "/");
        p++;
    }
    while (*p) {
        if (*p == '\'') {
            const char *e = strchr(p + 1, '\'');
            put(&b, p + 1, e - p - 1);
            p = e + 1;
        } else if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1])) {
                    put(&b, p + 1, 1);
                    p += 2;
                } else if (*p == '$') {
                    p = expand_dollar(p, &b);
                } else {
                    put(&b, p++, 1);
                }
            }
            if (*p)
                p++;
        } else if (*p == '\\' && p[1]) {
            put(&b, p + 1, 1);
            p += 2;
        } else if (*p == '$') {
            p = expand_dollar(p, &b);
        } else {
            if (strchr("*?[", *p))
                *glob_chars = 1;
            put(&b, p++, 1);
        }
    }
    return b.s;
}

char *expand_one(const char *raw)
{
    int glob_chars = 0;
    return expand_raw(raw, &glob_chars);
}

char **expand_words(char **raw, int n, int *count)
{
    int cap = n + 1, k = 0;
    char **out = arena_alloc(cap * sizeof(char *));
    for (int i = 0; i < n; i++) {
        int glob_chars = 0;
        char *w = expand_raw(raw[i], &glob_chars);
        glob_t g;
        if (glob_chars && glob(w, 0, NULL, &g) == 0) {
            char **bigger = arena_alloc((cap + g.gl_pathc) * sizeof(char *));
            memcpy(bigger, out, k * sizeof(char *));
            out = bigger;
            cap += g.gl_pathc;
            for (size_t j = 0; j < g.gl_pathc; j++)
                out[k++] = arena_strndup(g.gl_pathv[j], strlen(g.gl_pathv[j]));
            globfree(&g);
        } else {
            out[k++] = w;
        }
    }
    out[k] = NULL;
    *count = k;
    return out;
}
