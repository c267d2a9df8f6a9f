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

/*
 * GCC gives leaf functions no frame, so a fault inside one would hide its
 * caller. If the word on top of the faulting stack is a return address just
 * after a `call` of the function that faulted, that function is a frameless
 * leaf and the word names its caller.
 */
static uint64_t leaf_caller(uint64_t rip, uint64_t rsp)
{
    extern char _text[], _etext[];
    uint64_t off;
    if (!rsp || !plausible_frame(rsp) || !ksym_lookup(rip, &off))
        return 0;
    uint64_t ret = *(uint64_t *)rsp;
    if (ret < (uint64_t)_text + 5 || ret >= (uint64_t)_etext)
        return 0;
    const uint8_t *call = (const uint8_t *)ret - 5;
    int32_t rel;
    __builtin_memcpy(&rel, call + 1, 4);
    return call[0] == 0xE8 && ret + rel == rip - off ? ret : 0;
}

void backtrace_print(uint64_t rip, uint64_t rbp, uint64_t rsp)
{
    int i = 0;
    kprintf("backtrace:\n");
    print_frame(i++, rip);
    uint64_t caller = leaf_caller(rip, rsp);
    if (caller)
        print_frame(i++, caller - 1);
    for (; i < 32 && plausible_frame(rbp); i++) {
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
