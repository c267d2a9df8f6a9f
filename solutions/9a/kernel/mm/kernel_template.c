/*
 * Lab 9a, checkpoint 9A.2: the kernel half every process table shares.
 * The kernel's own table (kernel_pml4, built by kvm_init) is the template:
 * its upper-half PDPTs are allocated once at boot, so copying the 256 PML4
 * entries is enough for a process to see every kernel mapping, now and later.
 */
#include "mm/page_table.h"
#include "mm/kernel_vm.h"
#include "lib/panic.h"

static paddr_t kernel_template;

void init_kernel_template(void)
{
    kernel_template = kernel_pml4;
    pte_t *e = pt_entries(kernel_template);
    for (int i = 256; i < 512; i++) /* the invariant copy_kernel_mappings relies on */
        if (!(e[i] & PTE_PRESENT))
            panic("kernel template: PML4 entry %d is not preallocated", i);
}

void copy_kernel_mappings(paddr_t dst, paddr_t src)
{
    pte_t *d = pt_entries(dst), *s = pt_entries(src);
    for (int i = 256; i < 512; i++)
        d[i] = s[i];
}

paddr_t alloc_page_table_with_kernel_mappings(void)
{
    paddr_t pml4 = alloc_page_table();
    if (pml4)
        copy_kernel_mappings(pml4, kernel_template);
    return pml4;
}
