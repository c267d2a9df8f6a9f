/*
 * Lab 9a, checkpoint 9A.1: allocating, freeing and cloning per-process page
 * tables. Only the user half (PML4 entries 0..255) belongs to a process;
 * the kernel half points at page tables shared by everyone.
 */
#include "mm/page_table.h"
#include "mm/cow.h"
#include "mm/pmm.h"
#include "mm/refcount.h"
#include "lib/errno.h"

/*
 * LAB 9A.1: return the physical address of a new, zeroed page-table page
 * (a PML4), or 0 when memory is exhausted.
 * See labs/9a.md, "Checkpoint 9A.1".
 */
paddr_t alloc_page_table(void)
{
    return 0; /* the stub: no process can get an address space yet */
}

/*
 * LAB 9A.1: free the user half of the table (entries 0..255): every page
 * table below them, every user frame they map (through frame_put), then the
 * PML4 itself. Never touch entries 256..511: they are the kernel's.
 * See labs/9a.md, "Checkpoint 9A.1".
 */
void free_page_table(paddr_t pml4)
{
    (void)pml4; /* the stub leaks */
}

/*
 * LAB 9A.1: for every present 4 KiB mapping in the user half of src, give
 * dst the same mapping through fork_copy_user(dst, va, pte). 0 or -ENOMEM.
 * See labs/9a.md, "Checkpoint 9A.1".
 */
int clone_page_table_hierarchy(paddr_t src, paddr_t dst)
{
    (void)src;
    (void)dst;
    return -ENOSYS;
}

/*
 * LAB 9A.1: a new table with the kernel mappings
 * (alloc_page_table_with_kernel_mappings) and a copy of src's user half;
 * free everything and return 0 on failure.
 * See labs/9a.md, "Checkpoint 9A.1".
 */
paddr_t clone_page_table(paddr_t src)
{
    (void)src;
    return 0;
}
