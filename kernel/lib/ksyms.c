/* Binary search over the address-sorted table emitted into the .ksyms section. */
#include "lib/ksyms.h"

extern const struct ksym ksyms_table[];
extern const uint64_t ksyms_count;
extern char _text[], _etext[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
    if (addr < (uint64_t)_text || addr >= (uint64_t)_etext || ksyms_count == 0)
        return 0;
    uint64_t lo = 0, hi = ksyms_count; /* find the last entry with addr <= target */
    while (hi - lo > 1) {
        uint64_t mid = (lo + hi) / 2;
        if (ksyms_table[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_table[lo].addr > addr)
        return 0;
    *offset = addr - ksyms_table[lo].addr;
    return ksyms_table[lo].name;
}
