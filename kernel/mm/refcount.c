/* User-frame references: without sharing (before lab 9b) every put frees. */
#include "mm/refcount.h"
#include "mm/pmm.h"
#include "mm/page_cache.h"

volatile uint64_t user_frames;

paddr_t user_frame_alloc(void)
{
    paddr_t pa = pmm_alloc_zeroed();
    /* Out of memory: clean file pages in the page cache can be read again later. */
    if (!pa && page_cache_reclaim(64))
        pa = pmm_alloc_zeroed();
    if (pa)
        __atomic_add_fetch(&user_frames, 1, __ATOMIC_RELAXED);
    return pa;
}

void frame_put(paddr_t pa)
{
    __atomic_sub_fetch(&user_frames, 1, __ATOMIC_RELAXED);
    pmm_free(pa);
}
