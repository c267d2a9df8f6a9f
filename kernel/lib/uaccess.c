/*
 * User-memory access with range checks. The faulting cases are handled by
 * the exception table (uaccess_copy.S); here we check ranges and, on CPUs
 * without SMAP, patch the stac/clac instructions (3 bytes each) to nops.
 */
#include "lib/uaccess.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/memlayout.h"
#include "arch/x86_64/cpu.h"

long uaccess_copy(void *dst, const void *src, size_t n);
long uaccess_strncpy(char *dst, const char *usrc, size_t max);
long uaccess_clear(void *udst, size_t n);
extern uint8_t uaccess_stac1[], uaccess_clac1[], uaccess_stac2[], uaccess_clac2[], uaccess_stac3[],
    uaccess_clac3[];

extern const struct ex_entry __ex_table_start[], __ex_table_end[];

int user_range_ok(uaddr_t addr, size_t n)
{
    return addr <= USER_LIMIT && n <= USER_LIMIT + 1 - addr;
}

int copy_from_user(void *dst, uaddr_t src, size_t n)
{
    if (!user_range_ok(src, n))
        return -EFAULT;
    return n ? (int)uaccess_copy(dst, (const void *)src, n) : 0;
}

int copy_to_user(uaddr_t dst, const void *src, size_t n)
{
    if (!user_range_ok(dst, n))
        return -EFAULT;
    return n ? (int)uaccess_copy((void *)dst, src, n) : 0;
}

long strncpy_from_user(char *dst, uaddr_t src, size_t max)
{
    if (src > USER_LIMIT || max == 0)
        return -EFAULT;
    if (max > USER_LIMIT + 1 - src) /* stop at the end of user space */
        max = USER_LIMIT + 1 - src;
    long n = uaccess_strncpy(dst, (const char *)src, max);
    if (n < 0)
        return n;
    if ((size_t)n == max)
        return -ENAMETOOLONG;
    return n;
}

int clear_user(uaddr_t dst, size_t n)
{
    if (!user_range_ok(dst, n))
        return -EFAULT;
    return n ? (int)uaccess_clear((void *)dst, n) : 0;
}

uint64_t ex_table_fixup(uint64_t rip)
{
    for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
        if (e->insn == rip)
            return e->fixup;
    return 0;
}

/* Without SMAP, stac/clac are invalid opcodes: turn them into 3-byte nops.
 * Runs once at boot, before other CPUs start, while text is still writable
 * through the direct map. */
void uaccess_init(int have_smap)
{
    if (have_smap)
        return;
    uint8_t *sites[] = { uaccess_stac1, uaccess_clac1, uaccess_stac2, uaccess_clac2, uaccess_stac3, uaccess_clac3 };
    for (unsigned i = 0; i < sizeof sites / sizeof sites[0]; i++) {
        uint8_t *w = phys_to_virt(virt_to_phys(sites[i])); /* writable alias of the text page */
        w[0] = 0x0F, w[1] = 0x1F, w[2] = 0x00;             /* nopl (%rax) */
    }
}
