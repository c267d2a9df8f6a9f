/*
 * Splitting the command line into words. Boot loaders put the kernel's own
 * path first (QEMU: "kernel.elf ...", GRUB: "/boot/kernel.elf ..."); a first
 * word without '=' that names a file is skipped.
 */
#include "lib/cmdline.h"
#include "lib/string.h"
#include "drivers/console.h"

struct cmdline cmdline;
static char words[1024];

static int is_kernel_path(const char *w)
{
    size_t n = strlen(w);
    return !strchr(w, '=') && (strchr(w, '/') || (n > 4 && strcmp(w + n - 4, ".elf") == 0));
}

void cmdline_parse(const char *line)
{
    strlcpy(words, line, sizeof words);
    char *p = words;
    for (int first = 1; *p; first = 0) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        char *w = p;
        if (strncmp(w, "init=", 5) == 0) { /* init takes the rest of the line as its arguments */
            cmdline.init = w + 5;
            break;
        }
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = 0;
        if (strncmp(w, "ktest=", 6) == 0)
            cmdline.ktest = w + 6;
        else if (strncmp(w, "root=", 5) == 0)
            cmdline.root = w + 5;
        else if (!(first && is_kernel_path(w)))
            kprintf("cmdline: ignoring unknown option '%s'\n", w);
    }
    if (line[0])
        kprintf("cmdline: %s\n", line);
}
