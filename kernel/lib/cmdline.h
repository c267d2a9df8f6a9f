/*
 * The kernel command line: `ktest=<names>|all|help` and `init=<path> args`
 * (user-space issue). Anything else is reported and ignored.
 */
#pragma once

struct cmdline {
    const char *ktest; /* NULL when absent */
    const char *init;  /* the rest of the line after init= */
};

extern struct cmdline cmdline;

void cmdline_parse(const char *line);
