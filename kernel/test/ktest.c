/*
 * The ktest runner. Tests live in the .ktests section (see kernel.ld); each
 * prints exactly one line, `ktest <name>: ok` or `ktest <name>: FAIL <why>`,
 * and QEMU's exit status says whether all passed (drivers/power.h).
 */
#include "test/ktest.h"
#include "drivers/console.h"
#include "drivers/power.h"
#include "lib/printf.h"
#include "lib/string.h"
#include <stdarg.h>

extern const struct ktest __ktests_start[], __ktests_end[];

static char reason[256];

const char *ktest_failf(const char *file, int line, const char *fmt, ...)
{
    const char *base = file; /* print the file name without its directories */
    for (const char *p = file; *p; p++)
        if (*p == '/')
            base = p + 1;
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof reason)
        ksnprintf(reason + n, sizeof reason - n, " (%s:%d)", base, line);
    return reason;
}

static const struct ktest *find(const char *name, size_t len)
{
    for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
        if (strlen(t->name) == len && strncmp(t->name, name, len) == 0)
            return t;
    return 0;
}

static void list_tests(void)
{
    char line[512];
    int n = ksnprintf(line, sizeof line, "ktest: known tests:");
    for (const struct ktest *t = __ktests_start; t < __ktests_end && n < (int)sizeof line; t++)
        n += ksnprintf(line + n, sizeof line - n, " %s%s", t->name, t->manual ? "(manual)" : "");
    kprintf("%s\n", line);
}

static int run_one(const struct ktest *t)
{
    const char *why = t->fn();
    if (why)
        kprintf("ktest %s: FAIL %s\n", t->name, why);
    else
        kprintf("ktest %s: ok\n", t->name);
    return why == 0;
}

void ktest_run(const char *spec)
{
    int passed = 0, failed = 0;
    if (strcmp(spec, "help") == 0 || strcmp(spec, "list") == 0) {
        list_tests();
        qemu_exit(EXIT_PASS);
    }
    if (strcmp(spec, "all") == 0) {
        for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
            if (!t->manual)
                run_one(t) ? passed++ : failed++;
    } else {
        /* Check every name before running anything: a typo should not cost a whole run. */
        for (const char *p = spec; *p;) {
            size_t len = strchr(p, ',') ? (size_t)(strchr(p, ',') - p) : strlen(p);
            if (len > 0 && !find(p, len)) {
                char name[64];
                strlcpy(name, p, len + 1 < sizeof name ? len + 1 : sizeof name);
                kprintf("ktest: there is no test named '%s'\n", name);
                list_tests();
                qemu_exit(EXIT_FAIL);
            }
            p += len + (p[len] == ',');
        }
        for (const char *p = spec; *p;) {
            size_t len = strchr(p, ',') ? (size_t)(strchr(p, ',') - p) : strlen(p);
            if (len > 0)
                run_one(find(p, len)) ? passed++ : failed++;
            p += len + (p[len] == ',');
        }
    }
    kprintf("ktest: %d passed, %d failed\n", passed, failed);
    qemu_exit(failed || passed == 0 ? EXIT_FAIL : EXIT_PASS);
}
