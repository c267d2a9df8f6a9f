/*
 * The kernel command line: `ktest=<names>|all|help`, `root=vda|vdb|/dev/vdb|initrd`
 * (the disk that becomes /, default vda) and `init=<path> args`.
 * Anything else is reported and ignored.
 */
#pragma once

struct cmdline {
    const char *ktest; /* NULL when absent */
    const char *init;  /* the rest of the line after init= */
    const char *root;  /* root=: NULL when absent */
};

extern struct cmdline cmdline;

void cmdline_parse(const char *line);
