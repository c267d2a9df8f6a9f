/*
 * kmalloc: size classes 32 .. 2048 bytes. Each page of a class starts with
 * a struct page_header naming the class, so kfree() finds an object's size
 * from the page it lives in. A large block's header sits at the start of its
 * first frame, and its object is right behind it (so also in that page).
 * Lock: heap.lock protects every free list.
 */
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/spinlock.h"
#include "lib/panic.h"
#include "lib/string.h"
#include <stdint.h>

#define NCLASSES 7          /* 32, 64, ..., 2048 */
#define MIN_SHIFT 5
#define HEADER_SIZE 64
#define MAGIC_SMALL 0x6b6d616c6c6f6331ul
#define MAGIC_LARGE 0x6b6d616c6c6f6332ul
#define POISON 0x6b

struct page_header {
    uint64_t magic;
    uint64_t value; /* size class (small) or frame count (large) */
};

struct free_obj {
    struct free_obj *next;
};

static struct {
    struct spinlock lock;
    struct free_obj *free[NCLASSES];
} heap = { .lock = SPINLOCK_INIT("kmalloc") };

static int class_of(size_t size)
{
    int c = 0;
    while (((size_t)1 << (c + MIN_SHIFT)) < size)
        c++;
    return c;
}

/* Carve a fresh page into objects of class c (called with the lock held). */
static int refill(int c)
{
    paddr_t pa = pmm_alloc();
    if (!pa)
        return -1;
    uint8_t *page = phys_to_virt(pa);
    struct page_header *h = (struct page_header *)page;
    h->magic = MAGIC_SMALL;
    h->value = c;
    size_t size = (size_t)1 << (c + MIN_SHIFT);
    size_t first = size > HEADER_SIZE ? size : HEADER_SIZE; /* keep objects aligned to their size */
    for (size_t off = first; off + size <= PAGE_SIZE; off += size) {
        struct free_obj *o = (struct free_obj *)(page + off);
        o->next = heap.free[c];
        heap.free[c] = o;
    }
    return 0;
}

static void *alloc_large(size_t size)
{
    size_t n = (size + HEADER_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
    paddr_t pa = n == 1 ? pmm_alloc() : pmm_alloc_contig(n);
    if (!pa)
        return NULL;
    struct page_header *h = phys_to_virt(pa);
    h->magic = MAGIC_LARGE;
    h->value = n;
    return (uint8_t *)h + HEADER_SIZE;
}

void *kmalloc(size_t size)
{
    if (size == 0)
        return NULL;
    if (size > ((size_t)1 << (NCLASSES - 1 + MIN_SHIFT)))
        return alloc_large(size);
    int c = class_of(size);
    spin_lock(&heap.lock);
    if (!heap.free[c] && refill(c) < 0) {
        spin_unlock(&heap.lock);
        return NULL;
    }
    struct free_obj *o = heap.free[c];
    heap.free[c] = o->next;
    spin_unlock(&heap.lock);
    return o;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct page_header *h = (struct page_header *)((uintptr_t)p & ~(PAGE_SIZE - 1));
    if (h->magic == MAGIC_LARGE && (uint8_t *)p == (uint8_t *)h + HEADER_SIZE) {
        memset(p, POISON, h->value * PAGE_SIZE - HEADER_SIZE);
        h->magic = 0;
        pmm_free_contig(virt_to_phys(h), h->value);
        return;
    }
    if (h->magic != MAGIC_SMALL || h->value >= NCLASSES)
        panic("kfree: %p was not returned by kmalloc", p);
    int c = (int)h->value;
    memset(p, POISON, (size_t)1 << (c + MIN_SHIFT));
    struct free_obj *o = p;
    spin_lock(&heap.lock);
    o->next = heap.free[c];
    heap.free[c] = o;
    spin_unlock(&heap.lock);
}

#include "test/ktest.h"

/* Many live objects of mixed sizes: each keeps its own pattern, none overlap. */
KTEST(kmalloc)
{
    enum { N = 400 };
    static uint8_t *objs[N];
    static size_t sizes[N];
    uint64_t frames_after_first = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            sizes[i] = (size_t)(1 + (i * 7919) % (i % 10 == 0 ? 20000 : 2048));
            objs[i] = kmalloc(sizes[i]);
            KT_CHECK(objs[i], "kmalloc(%lu) returned NULL", sizes[i]);
            KT_CHECK(((uintptr_t)objs[i] & 15) == 0, "kmalloc(%lu) = %p is not 16-byte aligned", sizes[i], objs[i]);
            memset(objs[i], i & 0xFF, sizes[i]);
        }
        for (int i = 0; i < N; i++)
            for (size_t j = 0; j < sizes[i]; j++)
                KT_CHECK(objs[i][j] == (i & 0xFF), "object %d (%lu bytes) overwritten at byte %lu", i, sizes[i], j);
        for (int i = 0; i < N; i += 2)
            kfree(objs[i]);
        for (int i = 1; i < N; i += 2)
            kfree(objs[i]);
        if (round == 0)
            frames_after_first = pmm_free_count();
        else /* the same requests again must be served from freed memory */
            KT_CHECK(pmm_free_count() == frames_after_first, "round %d used %ld more frames: freed memory not reused",
                     round, (long)(frames_after_first - pmm_free_count()));
    }
    KT_CHECK(kmalloc(0) == NULL, "kmalloc(0) should return NULL");
    kfree(NULL);
    uint8_t *z = kzalloc(3000);
    KT_CHECK(z, "kzalloc failed");
    for (int i = 0; i < 3000; i++)
        KT_CHECK(z[i] == 0, "kzalloc memory not zeroed at %d", i);
    kfree(z);
    KT_CHECK(z[100] == POISON, "freed memory is not poisoned");
    return KT_OK;
}
