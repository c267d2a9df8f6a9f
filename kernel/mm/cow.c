/*
 * fork's per-page copy. Here the copy is eager: a fresh frame with the
 * page's contents. Lab 9b replaces this file's behaviour with copy-on-write
 * (share the frame read-only and copy on the first write).
 */
#include "mm/cow.h"
#include "mm/refcount.h"
#include "lib/errno.h"
#include "lib/string.h"

int fork_copy_user(paddr_t dst_pml4, vaddr_t va, pte_t pte)
{
    paddr_t copy = user_frame_alloc();
    if (!copy)
        return -ENOMEM;
    memcpy(phys_to_virt(copy), phys_to_virt(pte & PTE_ADDR_MASK), PAGE_SIZE);
    pte_t *e = paging_walk(dst_pml4, va, 1);
    if (!e) {
        frame_put(copy);
        return -ENOMEM;
    }
    *e = copy | (pte & PTE_FLAGS_MASK); /* same flags, PROT_NONE pages included */
    return 0;
}
