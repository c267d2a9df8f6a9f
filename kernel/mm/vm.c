/*
 * User address spaces: the region (vma) list and demand-zero paging.
 * Regions record what may be mapped; pages are allocated on the first
 * touch (vm_handle_fault), except what exec maps eagerly.
 * Lock: mm->lock protects the vma list, brk and the page table's user half.
 */
#include "mm/vm.h"
#include "mm/kmalloc.h"
#include "mm/page_table.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/refcount.h"
#include "mm/tlb.h"
#include "lib/errno.h"
#include "lib/string.h"

#define MMAP_BASE 0x00007F0000000000ul

struct mm *mm_create(void)
{
    struct mm *mm = kzalloc(sizeof *mm);
    if (!mm)
        return NULL;
    mm->pml4 = alloc_page_table_with_kernel_mappings();
    if (!mm->pml4) {
        kfree(mm);
        return NULL;
    }
    mm->refcount = 1;
    mutex_init(&mm->lock, "mm");
    mm->mmap_base = MMAP_BASE;
    return mm;
}

void mm_get(struct mm *mm)
{
    __atomic_add_fetch(&mm->refcount, 1, __ATOMIC_RELAXED);
}

void mm_put(struct mm *mm)
{
    if (__atomic_sub_fetch(&mm->refcount, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    for (struct vma *v = mm->vmas, *next; v; v = next) {
        next = v->next;
        kfree(v);
    }
    /* Every CPU that loaded this mm held a reference (cpu_load_mm), so none
     * has it in CR3 now and no TLB can hold its entries: free it all. */
    free_page_table(mm->pml4);
    kfree(mm);
}

uint64_t vm_pte_flags(int flags)
{
    return PTE_USER | ((flags & VMA_WRITE) ? PTE_WRITABLE : 0) | ((flags & VMA_EXEC) ? 0 : pte_nx);
}

static struct vma *find_vma(struct mm *mm, vaddr_t addr)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (addr >= v->start && addr < v->end)
            return v;
    return NULL;
}

/* Insert v keeping the list sorted (caller holds the lock; no overlap). */
static void insert_vma(struct mm *mm, struct vma *v)
{
    struct vma **pp = &mm->vmas;
    while (*pp && (*pp)->start < v->start)
        pp = &(*pp)->next;
    v->next = *pp;
    *pp = v;
}

/* Frames taken out of the page table, waiting for the TLB shootdown. */
struct frame_batch {
    paddr_t *frames;
    size_t n, cap;
    paddr_t local[64];
};

/* Flush [start, end) everywhere, then free the collected frames. */
static void flush_and_free(struct mm *mm, vaddr_t start, vaddr_t end, struct frame_batch *b)
{
    tlb_shootdown(mm, start, end);
    while (b->n > 0)
        frame_put(b->frames[--b->n]);
}

/* Remember pa; grow the batch, or flush early if memory is short. */
static void batch_add(struct mm *mm, vaddr_t start, vaddr_t va, struct frame_batch *b, paddr_t pa)
{
    if (b->n == b->cap) {
        paddr_t *bigger = kmalloc(b->cap * 2 * sizeof(paddr_t));
        if (bigger) {
            memcpy(bigger, b->frames, b->n * sizeof(paddr_t));
            if (b->frames != b->local)
                kfree(b->frames);
            b->frames = bigger;
            b->cap *= 2;
        } else {
            flush_and_free(mm, start, va, b); /* correctness first, batching second */
        }
    }
    b->frames[b->n++] = pa;
}

/*
 * Remove the pages of [start, end) from the page table with one TLB
 * shootdown for the whole range, and only then free their frames: no CPU
 * may still reach a frame that is handed out again.
 */
static void unmap_pages(struct mm *mm, vaddr_t start, vaddr_t end)
{
    struct frame_batch b = { NULL, 0, 64, { 0 } };
    b.frames = b.local;
    int any = 0;
    for (vaddr_t va = paging_next_table(mm->pml4, start, end); va < end;
         va = paging_next_table(mm->pml4, va + PAGE_SIZE, end)) {
        paddr_t pa = paging_unmap(mm->pml4, va);
        if (pa) {
            batch_add(mm, start, va, &b, pa);
            any = 1;
        }
    }
    if (any)
        flush_and_free(mm, start, end, &b);
    if (b.frames != b.local)
        kfree(b.frames);
}

/* Cut [start, end) out of the region list, splitting regions at the edges. */
static int cut_vmas(struct mm *mm, vaddr_t start, vaddr_t end)
{
    for (struct vma **pp = &mm->vmas; *pp;) {
        struct vma *v = *pp;
        if (v->end <= start || v->start >= end) {
            pp = &v->next;
            continue;
        }
        if (v->start < start && v->end > end) { /* a hole in the middle: split */
            struct vma *tail = kmalloc(sizeof *tail);
            if (!tail)
                return -ENOMEM;
            *tail = *v;
            tail->start = end;
            v->end = start;
            tail->next = v->next;
            v->next = tail;
            return 0;
        }
        if (v->start < start) {
            v->end = start;
            pp = &v->next;
        } else if (v->end > end) {
            v->start = end;
            pp = &v->next;
        } else {
            *pp = v->next;
            kfree(v);
        }
    }
    return 0;
}

int vm_unmap(struct mm *mm, vaddr_t start, size_t len)
{
    vaddr_t end = start + PAGE_ROUND_UP(len);
    mutex_lock(&mm->lock);
    int err = cut_vmas(mm, start, end);
    if (err == 0)
        unmap_pages(mm, start, end);
    mutex_unlock(&mm->lock);
    return err;
}

int vm_map_anon(struct mm *mm, vaddr_t start, size_t len, int flags)
{
    vaddr_t end = start + PAGE_ROUND_UP(len);
    struct vma *v = kmalloc(sizeof *v);
    if (!v)
        return -ENOMEM;
    v->start = start;
    v->end = end;
    v->flags = flags;
    mutex_lock(&mm->lock);
    int err = cut_vmas(mm, start, end); /* MAP_FIXED semantics: replace what was there */
    if (err == 0) {
        unmap_pages(mm, start, end);
        insert_vma(mm, v);
    }
    mutex_unlock(&mm->lock);
    if (err)
        kfree(v);
    return err;
}

/* New protection for one page, if it has a frame. PROT_NONE keeps the frame
 * in a non-present entry so the data survives until access is given back. */
static void set_page_protection(struct mm *mm, vaddr_t va, int flags)
{
    pte_t *e = paging_walk(mm->pml4, va, 0);
    if (!e || !(*e & (PTE_PRESENT | PTE_PROTNONE)))
        return; /* never touched: the fault handler maps it with the region's flags */
    paddr_t pa = *e & PTE_ADDR_MASK;
    if (flags & (VMA_READ | VMA_WRITE | VMA_EXEC))
        *e = pa | vm_pte_flags(flags) | PTE_PRESENT;
    else
        *e = pa | PTE_PROTNONE;
}

int vm_protect(struct mm *mm, vaddr_t start, size_t len, int flags)
{
    vaddr_t end = start + PAGE_ROUND_UP(len);
    struct vma *v = kmalloc(sizeof *v);
    if (!v)
        return -ENOMEM;
    mutex_lock(&mm->lock);
    /* Every page of the range must be inside a region (Linux: ENOMEM). */
    for (vaddr_t a = start; a < end;) {
        struct vma *r = find_vma(mm, a);
        if (!r) {
            mutex_unlock(&mm->lock);
            kfree(v);
            return -ENOMEM;
        }
        a = r->end;
    }
    v->start = start;
    v->end = end;
    v->flags = flags | (find_vma(mm, start)->flags & (VMA_STACK | VMA_HEAP));
    /* Only a split can fail, and it fails before changing anything. */
    int err = cut_vmas(mm, start, end);
    if (err) {
        mutex_unlock(&mm->lock);
        kfree(v);
        return err;
    }
    insert_vma(mm, v);
    for (vaddr_t va = paging_next_table(mm->pml4, start, end); va < end;
         va = paging_next_table(mm->pml4, va + PAGE_SIZE, end))
        set_page_protection(mm, va, flags);
    tlb_shootdown(mm, start, end);
    mutex_unlock(&mm->lock);
    return 0;
}

/* Is [start, end) free of regions? (lock held) */
static int range_free(struct mm *mm, vaddr_t start, vaddr_t end)
{
    for (struct vma *v = mm->vmas; v; v = v->next)
        if (v->start < end && v->end > start)
            return 0;
    return 1;
}

/* The highest free range of len bytes below mmap_base, or 0 (lock held). */
static vaddr_t find_free(struct mm *mm, size_t len)
{
    vaddr_t candidate = mm->mmap_base - len;
    for (;;) { /* every clash moves the candidate below the region it hit */
        int clash = 0;
        for (struct vma *v = mm->vmas; v; v = v->next) {
            if (v->start < candidate + len && v->end > candidate) {
                candidate = v->start - len;
                clash = 1;
            }
        }
        if (!clash || candidate < 0x10000000ul || candidate > mm->mmap_base)
            break;
    }
    return candidate >= 0x10000000ul && candidate < mm->mmap_base ? candidate : 0;
}

long vm_map_anon_new(struct mm *mm, vaddr_t start, size_t len, int flags)
{
    len = PAGE_ROUND_UP(len);
    struct vma *v = kmalloc(sizeof *v);
    if (!v)
        return -ENOMEM;
    /* Choosing the range and taking it happen under one lock, so two threads
     * mapping at once can never be handed the same range. */
    mutex_lock(&mm->lock);
    long ret = start;
    if (start == 0 && !(ret = (long)find_free(mm, len)))
        ret = -ENOMEM;
    else if (start != 0 && !range_free(mm, start, start + len))
        ret = -EEXIST;
    if (ret > 0) {
        v->start = ret;
        v->end = ret + len;
        v->flags = flags;
        insert_vma(mm, v);
    }
    mutex_unlock(&mm->lock);
    if (ret < 0)
        kfree(v);
    return ret;
}

int vm_handle_fault(struct mm *mm, vaddr_t addr, int write, int exec)
{
    if (!mm || addr > USER_LIMIT)
        return -EFAULT;
    vaddr_t page = PAGE_ROUND_DOWN(addr);
    mutex_lock(&mm->lock);
    struct vma *v = find_vma(mm, addr);
    int err = -EFAULT;
    if (v && (v->flags & VMA_SIGBUS)) {
        err = -EIO;
        goto out;
    }
    if (!v || (write && !(v->flags & VMA_WRITE)) || (exec && !(v->flags & VMA_EXEC)) ||
        !(v->flags & (VMA_READ | VMA_WRITE | VMA_EXEC)))
        goto out;
    pte_t *e = paging_walk(mm->pml4, page, 0);
    if (e && (*e & PTE_PRESENT)) {
        /* Another thread of this process faulted on the same page and mapped
         * it first, or this CPU's TLB held an older, stricter entry: the
         * page allows the access now, so the instruction just runs again. */
        if (!write || (*e & PTE_WRITABLE)) {
            tlb_flush_local(page, page + PAGE_SIZE);
            err = 0;
        }
        goto out; /* a write to a read-only page (lab 9b: copy-on-write goes here) */
    }
    if (e && (*e & PTE_PROTNONE)) { /* the region allows it again but this page was hidden */
        *e = (*e & PTE_ADDR_MASK) | vm_pte_flags(v->flags) | PTE_PRESENT;
        err = 0;
        goto out;
    }
    paddr_t frame = user_frame_alloc();
    if (!frame) {
        err = -ENOMEM;
        goto out;
    }
    err = paging_map(mm->pml4, page, frame, vm_pte_flags(v->flags));
    if (err < 0)
        frame_put(frame);
out:
    mutex_unlock(&mm->lock);
    return err;
}
