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
    if (!e || !(*e & (PTE_PRESENT | PTE_PROTNONE)))
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

vaddr_t paging_next_table(paddr_t pml4, vaddr_t va, vaddr_t end)
{
    static const int shifts[3] = { 39, 30, 21 };
    while (va < end) {
        paddr_t table = pml4;
        int level = 0;
        for (; level < 3; level++) {
            pte_t e = pt_entries(table)[(va >> shifts[level]) & 511];
            if (!(e & PTE_PRESENT) || (e & PTE_HUGE))
                break;
            table = e & PTE_ADDR_MASK;
        }
        if (level == 3)
            return va; /* a page table covers va */
        vaddr_t span = 1ul << shifts[level]; /* nothing mapped up to the next boundary */
        vaddr_t next = (va & ~(span - 1)) + span;
        if (next <= va) /* wrapped past the top */
            return end;
        va = next;
    }
    return end;
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

#include "test/ktest.h"
#include "mm/kernel_vm.h"
#include "lib/string.h"

/* Free the page-table pages (not the mapped frames) of a test table. */
static void free_tables(paddr_t table, int level)
{
    pte_t *e = pt_entries(table);
    for (int i = 0; level > 1 && i < 512; i++)
        if ((e[i] & PTE_PRESENT) && !(e[i] & PTE_HUGE))
            free_tables(e[i] & PTE_ADDR_MASK, level - 1);
    pmm_free(table);
}

KTEST(paging)
{
    uint64_t before = pmm_free_count();
    paddr_t pml4 = pmm_alloc_zeroed();
    KT_CHECK(pml4, "out of memory");
    paddr_t frame = pmm_alloc();
    vaddr_t va = 0x400000, far = 0x7FFFFFFFF000ul;
    KT_CHECK(paging_walk(pml4, va, 0) == 0, "walk without create found an entry in an empty table");
    KT_CHECK(paging_map(pml4, va, frame, PTE_WRITABLE | PTE_USER) == 0, "map failed");
    KT_CHECK(paging_map(pml4, va, frame, PTE_USER) == -EEXIST, "mapping twice should give -EEXIST");
    KT_CHECK(paging_map(pml4, far, frame, PTE_USER | pte_nx) == 0, "map at the top of user space failed");
    paddr_t pa;
    uint64_t flags;
    KT_CHECK(paging_translate(pml4, va + 0x123, &pa, &flags) == 0 && pa == frame + 0x123,
             "translate gave 0x%lx, expected 0x%lx", pa, frame + 0x123);
    KT_CHECK((flags & (PTE_WRITABLE | PTE_USER)) == (PTE_WRITABLE | PTE_USER), "flags lost: 0x%lx", flags);
    pte_t *l4 = pt_entries(pml4);
    KT_CHECK(l4[PML4_INDEX(va)] & PTE_USER, "intermediate table for a user address lacks PTE_USER");
    KT_CHECK(paging_protect(pml4, va, PTE_USER) == 0, "protect failed");
    KT_CHECK(paging_translate(pml4, va, &pa, &flags) == 0 && !(flags & PTE_WRITABLE), "protect kept writable");
    KT_CHECK(paging_protect(pml4, va + PAGE_SIZE, PTE_USER) == -ENOENT, "protect of an unmapped page");
    KT_CHECK(paging_unmap(pml4, va) == frame, "unmap returned the wrong frame");
    KT_CHECK(paging_unmap(pml4, va) == 0, "second unmap found a mapping");
    KT_CHECK(paging_translate(pml4, va, &pa, &flags) == -ENOENT, "translate after unmap succeeded");
    KT_CHECK(paging_unmap(pml4, far) == frame, "unmap of the top page");

    /* The live kernel table: text executable and read-only, data no-execute, direct map huge. */
    extern char _text[], _data[];
    KT_CHECK(paging_translate(kernel_pml4, (vaddr_t)_text, &pa, &flags) == 0 && pa == virt_to_phys(_text),
             "kernel text maps to 0x%lx", pa);
    KT_CHECK(!(flags & PTE_WRITABLE) && !(flags & PTE_NX), "kernel text flags 0x%lx", flags);
    KT_CHECK(paging_translate(kernel_pml4, (vaddr_t)_data, &pa, &flags) == 0 && (flags & PTE_WRITABLE) &&
                 (flags & pte_nx) == pte_nx, "kernel data flags 0x%lx", flags);
    KT_CHECK(paging_translate(kernel_pml4, KERNEL_BASE + 0x300123, &pa, &flags) == 0 && pa == 0x300123 &&
                 (flags & PTE_HUGE), "direct map translation 0x%lx flags 0x%lx", pa, flags);
    KT_CHECK(paging_translate(kernel_pml4, 0x1000, &pa, &flags) == -ENOENT, "low memory is mapped in the kernel table");

    free_tables(pml4, 4);
    pmm_free(frame);
    KT_CHECK(pmm_free_count() == before, "%ld frames leaked", (long)(before - pmm_free_count()));
    return KT_OK;
}
