/*
 * Walk the saved-%rbp chain: each frame holds [rbp] = caller's rbp and
 * [rbp+8] = return address. Stop at a null or implausible frame so a
 * corrupted stack cannot fault the panic path itself.
 */
#include "lib/backtrace.h"
#include "lib/ksyms.h"
#include "drivers/console.h"
#include "mm/memlayout.h"

static void print_frame(int i, uint64_t addr)
{
    uint64_t off;
    const char *name = ksym_lookup(addr, &off);
    if (name)
        kprintf("  #%d 0x%lx %s+0x%lx\n", i, addr, name, off);
    else
        kprintf("  #%d 0x%lx ?\n", i, addr);
}

static int plausible_frame(uint64_t rbp)
{
    return rbp >= KERNEL_BASE && (rbp & 7) == 0 && rbp < 0xFFFFFFFFFFFFF000ul;
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
    kprintf("backtrace:\n");
    print_frame(0, rip);
    for (int i = 1; i < 32 && plausible_frame(rbp); i++) {
        uint64_t *frame = (uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < KERNEL_VMA)
            break;
        /* Return addresses point after the call; -1 names the calling line. */
        print_frame(i, ret - 1);
        if (frame[0] <= rbp) /* stacks grow down: callers live higher */
            break;
        rbp = frame[0];
    }
}
