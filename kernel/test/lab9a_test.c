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

/* Map n fresh frames into t at va, va + step, ...; 0 or -1. */
static int map_many(paddr_t t, vaddr_t va, uint64_t step, int n)
{
    for (int i = 0; i < n; i++) {
        paddr_t f = pmm_alloc();
        if (!f)
            return -1;
        memset(phys_to_virt(f), i & 0xff, PAGE_SIZE);
        if (paging_map(t, va + i * step, f, PTE_USER | PTE_WRITABLE) != 0) {
            pmm_free(f);
            return -1;
        }
    }
    return 0;
}

/* 9A.1: free returns every frame: leaves, page tables of every level, the PML4. */
KTEST(pt_free_many)
{
    uint64_t before = pmm_free_count();
    paddr_t t = alloc_page_table_with_kernel_mappings();
    KT_CHECK(t != 0, "alloc_page_table_with_kernel_mappings() returned 0 (still the stub?)");
    /* 300 contiguous pages, 100 in their own page tables, 40 in their own PDPTs, 20 in their own PML4 entries */
    KT_CHECK(map_many(t, 0x400000, PAGE_SIZE, 300) == 0, "could not map the contiguous pages");
    KT_CHECK(map_many(t, 0x40000000, 1ul << 21, 100) == 0, "could not map pages 2 MiB apart");
    KT_CHECK(map_many(t, 0x8000000000ul, 1ul << 30, 40) == 0, "could not map pages 1 GiB apart");
    KT_CHECK(map_many(t, 0x100000000000ul, 1ul << 39, 20) == 0, "could not map pages 512 GiB apart");
    uint64_t used = before - pmm_free_count();
    KT_CHECK(used > 460 + 100 + 40 + 20, "only %lu frames in use for 460 pages and their tables?", (unsigned long)used);
    free_page_table(t);
    KT_CHECK(pmm_free_count() == before, "free_page_table returned %lu of the %lu frames the table used",
             (unsigned long)(used - (before - pmm_free_count())), (unsigned long)used);
    return KT_OK;
}

/* Does any present table at level (3 PDPT, 2 PD, 1 PT) under a's user half share a frame with b's? */
static int shares_tables(paddr_t a, paddr_t b, int level)
{
    pte_t *ea = pt_entries(a), *eb = pt_entries(b);
    int n = level == 4 ? 256 : 512;
    for (int i = 0; i < n; i++) {
        if (!(ea[i] & PTE_PRESENT))
            continue;
        if (!(eb[i] & PTE_PRESENT))
            return 2; /* missing in the copy */
        if ((ea[i] & PTE_ADDR_MASK) == (eb[i] & PTE_ADDR_MASK))
            return 1;
        if (level > 1) {
            int r = shares_tables(ea[i] & PTE_ADDR_MASK, eb[i] & PTE_ADDR_MASK, level - 1);
            if (r)
                return r;
        }
    }
    return 0;
}

/* 9A.1: the hierarchy copy: every level new, every leaf a copy. */
KTEST(pt_clone_hierarchy)
{
    uint64_t before = pmm_free_count();
    paddr_t src = alloc_page_table_with_kernel_mappings();
    paddr_t dst = alloc_page_table_with_kernel_mappings();
    KT_CHECK(src && dst, "alloc_page_table_with_kernel_mappings() returned 0 (still the stub?)");
    KT_CHECK(map_many(src, 0x400000, PAGE_SIZE, 20) == 0 && map_many(src, 0x40000000, 1ul << 21, 10) == 0 &&
             map_many(src, 0x200000000000ul, 1ul << 39, 3) == 0, "could not set up the source table");
    KT_CHECK(clone_page_table_hierarchy(src, dst) == 0, "clone_page_table_hierarchy failed");
    int r = shares_tables(src, dst, 4);
    KT_CHECK(r != 2, "a table or page present in the source is missing in the copy");
    KT_CHECK(r != 1, "the copy shares a page table or a page with the source (must be copies)");
    for (int i = 0; i < 10; i++) {
        paddr_t pa;
        KT_CHECK(paging_translate(dst, 0x40000000 + (i << 21), &pa, NULL) == 0, "page %d missing in the copy", i);
        KT_CHECK(*(uint8_t *)phys_to_virt(pa) == i, "page %d of the copy has other contents", i);
    }
    free_page_table(dst);
    free_page_table(src);
    KT_CHECK(pmm_free_count() == before, "%ld frames not returned", (long)(before - pmm_free_count()));
    return KT_OK;
}

/* 9A.2: the kernel half is shared, not copied: same lower-level tables in every process table, left alone by free. */
KTEST(pt_kernel_shared)
{
    uint64_t before = pmm_free_count();
    paddr_t a = alloc_page_table_with_kernel_mappings();
    paddr_t b = alloc_page_table_with_kernel_mappings();
    KT_CHECK(a && b, "alloc_page_table_with_kernel_mappings() returned 0 (still the stub?)");
    KT_CHECK(before - pmm_free_count() == 2, "two process tables took %lu frames, not 2 (the kernel half must "
             "be shared, not copied)", (unsigned long)(before - pmm_free_count()));
    pte_t *ea = pt_entries(a), *eb = pt_entries(b), *k = pt_entries(kernel_pml4);
    int present = 0;
    for (int i = 256; i < 512; i++) {
        KT_CHECK(ea[i] == k[i] && eb[i] == k[i], "kernel entry %d differs between process tables", i);
        present += !!(k[i] & PTE_PRESENT);
        KT_CHECK(!(k[i] & PTE_USER) || !(k[i] & PTE_PRESENT), "kernel entry %d is user-accessible", i);
    }
    KT_CHECK(present > 0, "the kernel half has no present entry");
    free_page_table(a);
    paddr_t pa;
    uint64_t fk, fb;
    KT_CHECK(paging_translate(b, (vaddr_t)&pt_entries, &pa, &fb) == 0, "freeing one table broke another's kernel half");
    KT_CHECK(paging_translate(kernel_pml4, (vaddr_t)&pt_entries, &pa, &fk) == 0 && fk == fb,
             "kernel text has flags 0x%lx in a process table, 0x%lx in the kernel's", fb, fk);
    free_page_table(b);
    KT_CHECK(pmm_free_count() == before, "%ld frames not returned", (long)(before - pmm_free_count()));
    return KT_OK;
}
