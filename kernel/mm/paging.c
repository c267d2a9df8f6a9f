/*
 * Page-table walking. Intermediate entries are made as permissive as the
 * level allows (present, writable, and user for user addresses): the leaf
 * entry alone decides what an access may do.
 */
#include "mm/paging.h"
#include "mm/pmm.h"
#include "lib/errno.h"

uint64_t pte_nx;

static uint64_t table_flags(vaddr_t va)
{
    return PTE_PRESENT | PTE_WRITABLE | (va <= USER_LIMIT ? PTE_USER : 0);
}

/* The next-level table under *e, allocating a zeroed one if asked. */
static paddr_t next_table(pte_t *e, vaddr_t va, int create)
{
    if (*e & PTE_PRESENT)
        return (*e & PTE_HUGE) ? 0 : (*e & PTE_ADDR_MASK);
    if (!create)
        return 0;
    paddr_t t = pmm_alloc_zeroed();
    if (!t)
        return 0;
    *e = t | table_flags(va);
    return t;
}

pte_t *paging_walk(paddr_t pml4, vaddr_t va, int create)
{
    paddr_t pdpt = next_table(&pt_entries(pml4)[PML4_INDEX(va)], va, create);
    if (!pdpt)
        return 0;
    paddr_t pd = next_table(&pt_entries(pdpt)[PDPT_INDEX(va)], va, create);
    if (!pd)
        return 0;
    paddr_t pt = next_table(&pt_entries(pd)[PD_INDEX(va)], va, create);
    if (!pt)
        return 0;
    return &pt_entries(pt)[PT_INDEX(va)];
}

int paging_map(paddr_t pml4, vaddr_t va, paddr_t pa, uint64_t flags)
{
    pte_t *e = paging_walk(pml4, va, 1);
    if (!e)
        return -ENOMEM;
    if (*e & PTE_PRESENT)
        return -EEXIST;
    *e = (pa & PTE_ADDR_MASK) | (flags & PTE_FLAGS_MASK) | PTE_PRESENT;
    return 0;
}

paddr_t paging_unmap(paddr_t pml4, vaddr_t va)
{
    pte_t *e = paging_walk(pml4, va, 0);
    if (!e || !(*e & PTE_PRESENT))
        return 0;
    paddr_t pa = *e & PTE_ADDR_MASK;
    *e = 0;
    return pa;
}

int paging_protect(paddr_t pml4, vaddr_t va, uint64_t flags)
{
    pte_t *e = paging_walk(pml4, va, 0);
    if (!e || !(*e & PTE_PRESENT))
        return -ENOENT;
    *e = (*e & PTE_ADDR_MASK) | (flags & PTE_FLAGS_MASK) | PTE_PRESENT;
    return 0;
}

int paging_translate(paddr_t pml4, vaddr_t va, paddr_t *pa, uint64_t *flags)
{
    static const int shifts[4] = { 39, 30, 21, 12 };
    paddr_t table = pml4;
    for (int level = 0; level < 4; level++) {
        pte_t e = pt_entries(table)[(va >> shifts[level]) & 511];
        if (!(e & PTE_PRESENT))
            return -ENOENT;
        int leaf = level == 3 || ((level == 1 || level == 2) && (e & PTE_HUGE));
        if (leaf) {
            uint64_t page_mask = (1ul << shifts[level]) - 1;
            *pa = (e & PTE_ADDR_MASK & ~page_mask) | (va & page_mask);
            if (flags)
                *flags = e & PTE_FLAGS_MASK;
            return 0;
        }
        table = e & PTE_ADDR_MASK;
    }
    return -ENOENT;
}
