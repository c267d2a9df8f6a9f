/*
 * In-kernel unit tests. Declare one next to the code it tests:
 *
 *     KTEST(pmm) {
 *         paddr_t a = pmm_alloc();
 *         KT_CHECK(a != 0, "pmm_alloc returned 0 with %lu frames free", pmm_free_count());
 *         ...
 *         return KT_OK;
 *     }
 *
 * A test returns KT_OK or a failure reason (KT_CHECK returns one for you).
 * Select tests on the kernel command line: ktest=pmm,kmalloc or ktest=all;
 * ktest=help lists them. KTEST_MANUAL tests run only when named.
 */
#pragma once
#include <stddef.h>

struct ktest {
    const char *name;
    const char *(*fn)(void);
    int manual; /* not part of ktest=all */
};

#define KT_OK ((const char *)0)

#define KTEST_DECLARE(tname, is_manual)                                                              \
    static const char *ktest_fn_##tname(void);                                                       \
    static const struct ktest ktest_##tname __attribute__((used, section(".ktests"), aligned(8))) = { \
        #tname, ktest_fn_##tname, is_manual};                                                        \
    static const char *ktest_fn_##tname(void)

#define KTEST(tname) KTEST_DECLARE(tname, 0)
#define KTEST_MANUAL(tname) KTEST_DECLARE(tname, 1)

/* Format a failure reason (with the file and line) into a static buffer. */
const char *ktest_failf(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define KT_CHECK(cond, ...)                                        \
    do {                                                           \
        if (!(cond))                                               \
            return ktest_failf(__FILE__, __LINE__, __VA_ARGS__);   \
    } while (0)

/* Run the tests named in spec ("all", "help" or a comma list), then power off. */
__attribute__((noreturn)) void ktest_run(const char *spec);
