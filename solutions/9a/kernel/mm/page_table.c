/*
 * Lab 9a, checkpoint 9A.1: allocating, freeing and cloning per-process page
 * tables. Only the user half (PML4 entries 0..255) belongs to a process;
 * the kernel half points at page tables shared by everyone and is never
 * freed or copied here.
 */
#include "mm/page_table.h"
#include "mm/cow.h"
#include "mm/pmm.h"
#include "mm/refcount.h"
#include "lib/errno.h"

paddr_t alloc_page_table(void)
{
    return pmm_alloc_zeroed();
}

/* Free a table at `level` (4 = PML4's children are PDPTs ... 1 = a PT) and below. */
static void free_level(paddr_t table, int level)
{
    pte_t *e = pt_entries(table);
    for (int i = 0; i < 512; i++) {
        if (level == 1) {
            if (e[i] & (PTE_PRESENT | PTE_PROTNONE)) /* a user page, maybe hidden by PROT_NONE */
                frame_put(e[i] & PTE_ADDR_MASK);
        } else if (e[i] & PTE_PRESENT) {
            free_level(e[i] & PTE_ADDR_MASK, level - 1);
        }
    }
    pmm_free(table);
}

void free_page_table(paddr_t pml4)
{
    pte_t *e = pt_entries(pml4);
    for (int i = 0; i < 256; i++) /* the user half only */
        if (e[i] & PTE_PRESENT)
            free_level(e[i] & PTE_ADDR_MASK, 3);
    pmm_free(pml4);
}

/* Copy every present user leaf of the subtree at `table` (covering va..). */
static int clone_level(paddr_t table, paddr_t dst, int level, vaddr_t base)
{
    static const int shift[5] = { 0, 12, 21, 30, 39 };
    pte_t *e = pt_entries(table);
    for (int i = 0; i < 512; i++) {
        if (!(e[i] & (level == 1 ? PTE_PRESENT | PTE_PROTNONE : PTE_PRESENT)))
            continue;
        vaddr_t va = base + ((vaddr_t)i << shift[level]);
        int err = level == 1 ? fork_copy_user(dst, va, e[i]) : clone_level(e[i] & PTE_ADDR_MASK, dst, level - 1, va);
        if (err < 0)
            return err;
    }
    return 0;
}

int clone_page_table_hierarchy(paddr_t src, paddr_t dst)
{
    pte_t *e = pt_entries(src);
    for (int i = 0; i < 256; i++) {
        if (!(e[i] & PTE_PRESENT))
            continue;
        int err = clone_level(e[i] & PTE_ADDR_MASK, dst, 3, (vaddr_t)i << 39);
        if (err < 0)
            return err;
    }
    return 0;
}

paddr_t clone_page_table(paddr_t src)
{
    paddr_t dst = alloc_page_table_with_kernel_mappings();
    if (!dst)
        return 0;
    if (clone_page_table_hierarchy(src, dst) < 0) {
        free_page_table(dst); /* frees whatever was copied so far */
        return 0;
    }
    return dst;
}
