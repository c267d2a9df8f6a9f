/*
 * Lab 9a, checkpoint 9A.2: the kernel half every process table shares.
 * The kernel's own table (kernel_pml4, built by kvm_init) is the template.
 */
#include "mm/page_table.h"
#include "mm/kernel_vm.h"
#include "lib/panic.h"

/*
 * LAB 9A.2: remember kernel_pml4 as the template every process table copies
 * its kernel half from, and check the invariant that makes copying enough:
 * all 256 upper-half PML4 entries are present (kvm_init preallocates them).
 * See labs/9a.md, "Checkpoint 9A.2".
 */
void init_kernel_template(void)
{
}

/*
 * LAB 9A.2: copy PML4 entries 256..511 of src into dst.
 * See labs/9a.md, "Checkpoint 9A.2".
 */
void copy_kernel_mappings(paddr_t dst, paddr_t src)
{
    (void)dst;
    (void)src;
}

/*
 * LAB 9A.2: alloc_page_table() plus the template's kernel half; 0 if out of memory.
 * See labs/9a.md, "Checkpoint 9A.2".
 */
paddr_t alloc_page_table_with_kernel_mappings(void)
{
    return 0;
}
