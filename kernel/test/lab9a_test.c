/*
 * ktests for lab 9a's page-table functions (checkpoints 9A.1, 9A.2). They
 * fail on the stubs and pass on a correct implementation.
 */
#include "test/ktest.h"
#include "mm/kernel_vm.h"
#include "mm/page_table.h"
#include "mm/pmm.h"
#include "lib/errno.h"
#include "lib/string.h"

/* 9A.1: a fresh table is a whole zeroed page. */
KTEST(pt_alloc)
{
    paddr_t t = alloc_page_table();
    KT_CHECK(t != 0, "alloc_page_table() returned 0 (still the stub?)");
    KT_CHECK(t % PAGE_SIZE == 0, "table 0x%lx is not page aligned", t);
    pte_t *e = pt_entries(t);
    for (int i = 0; i < 512; i++)
        KT_CHECK(e[i] == 0, "entry %d of a new table is 0x%lx, not 0", i, e[i]);
    pmm_free(t);
    return KT_OK;
}

/* 9A.2: the kernel half is the kernel's, the user half empty. */
KTEST(pt_kernel_half)
{
    paddr_t t = alloc_page_table_with_kernel_mappings();
    KT_CHECK(t != 0, "alloc_page_table_with_kernel_mappings() returned 0 (still the stub?)");
    pte_t *e = pt_entries(t), *k = pt_entries(kernel_pml4);
    for (int i = 0; i < 256; i++)
        KT_CHECK(e[i] == 0, "user entry %d is 0x%lx in a new process table", i, e[i]);
    for (int i = 256; i < 512; i++)
        KT_CHECK(e[i] == k[i], "kernel entry %d is 0x%lx, the kernel's is 0x%lx", i, e[i], k[i]);
    paddr_t pa;
    KT_CHECK(paging_translate(t, (vaddr_t)&pt_entries, &pa, NULL) == 0, "kernel text not mapped in a process table");
    pmm_free(t);
    return KT_OK;
}

/* 9A.1: clone copies the user half into new frames and shares nothing writable; free returns it all. */
KTEST(pt_clone_free)
{
    uint64_t before = pmm_free_count();
    paddr_t src = alloc_page_table_with_kernel_mappings();
    KT_CHECK(src != 0, "alloc_page_table_with_kernel_mappings() returned 0 (still the stub?)");
    vaddr_t vas[3] = { 0x400000, 0x7FFFFFFFE000ul, 0x10000000ul };
    uint64_t flags[3] = { PTE_USER, PTE_USER | PTE_WRITABLE | pte_nx, PTE_USER | PTE_WRITABLE };
    for (int i = 0; i < 3; i++) {
        paddr_t f = pmm_alloc();
        KT_CHECK(f && paging_map(src, vas[i], f, flags[i]) == 0, "could not set up the source table");
        memset(phys_to_virt(f), 0x40 + i, PAGE_SIZE);
    }
    paddr_t dst = clone_page_table(src);
    KT_CHECK(dst != 0, "clone_page_table() returned 0 (still the stub?)");
    KT_CHECK(dst != src, "clone returned the source table itself");
    pte_t *d = pt_entries(dst), *k = pt_entries(kernel_pml4);
    for (int i = 256; i < 512; i++)
        KT_CHECK(d[i] == k[i], "the clone's kernel entry %d differs from the kernel's", i);
    for (int i = 0; i < 3; i++) {
        paddr_t ps, pd;
        uint64_t fs, fd;
        KT_CHECK(paging_translate(dst, vas[i], &pd, &fd) == 0, "0x%lx is missing in the clone", vas[i]);
        paging_translate(src, vas[i], &ps, &fs);
        KT_CHECK(pd != ps, "0x%lx shares frame 0x%lx between parent and child", vas[i], pd);
        KT_CHECK((fd & (PTE_USER | PTE_WRITABLE | PTE_NX)) == (fs & (PTE_USER | PTE_WRITABLE | PTE_NX)),
                 "0x%lx has flags 0x%lx in the clone, 0x%lx in the source", vas[i], fd, fs);
        KT_CHECK(*(uint8_t *)phys_to_virt(pd) == 0x40 + i, "the clone of 0x%lx has other contents", vas[i]);
    }
    free_page_table(dst);
    free_page_table(src);
    KT_CHECK(pmm_free_count() == before, "%ld frames not returned by free_page_table",
             (long)(before - pmm_free_count()));
    return KT_OK;
}
