/*
 * Frame allocator: a bitmap with one bit per frame (1 = in use), placed in
 * the first free RAM after the kernel image and the boot modules. A "next"
 * hint makes the common allocation O(1); freeing below the hint moves it
 * back so low frames are reused first.
 * Lock: pmm.lock protects the bitmap, the hint and the free count.
 */
#include "mm/pmm.h"
#include "arch/x86_64/bootinfo.h"
#include "sched/spinlock.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "drivers/console.h"

#define MAX_PHYS (64ul << 30) /* RAM above 64 GiB is ignored (said at boot) */

extern char _kernel_start_phys[], _end_phys[];

static struct {
    struct spinlock lock;
    uint64_t *bitmap;
    uint64_t nframes;   /* frames covered by the bitmap: [0, top) */
    uint64_t nfree;
    uint64_t total;
    uint64_t hint;      /* no free frame below this index */
} pmm = { .lock = SPINLOCK_INIT("pmm") };

static int test_bit(uint64_t i) { return (pmm.bitmap[i / 64] >> (i % 64)) & 1; }
static void set_bit(uint64_t i) { pmm.bitmap[i / 64] |= 1ul << (i % 64); }
static void clear_bit(uint64_t i) { pmm.bitmap[i / 64] &= ~(1ul << (i % 64)); }

/* Where the bitmap goes: after everything the loader placed above 1 MiB. */
static paddr_t first_free_after_image(void)
{
    paddr_t end = (paddr_t)_end_phys;
    for (int i = 0; i < bootinfo.nmodules; i++)
        if (bootinfo.modules[i].end > end)
            end = bootinfo.modules[i].end;
    return PAGE_ROUND_UP(end);
}

static int reserved(paddr_t pa, paddr_t bitmap_start, paddr_t bitmap_end)
{
    if (pa < 0x100000) /* BIOS, AP trampoline, legacy devices */
        return 1;
    if (pa >= (paddr_t)_kernel_start_phys && pa < (paddr_t)_end_phys)
        return 1;
    if (pa >= bitmap_start && pa < bitmap_end)
        return 1;
    for (int i = 0; i < bootinfo.nmodules; i++)
        if (pa + PAGE_SIZE > bootinfo.modules[i].start && pa < bootinfo.modules[i].end)
            return 1;
    return 0;
}

void pmm_init(void)
{
    paddr_t top = 0;
    for (int i = 0; i < bootinfo.nregions; i++) {
        struct mem_region *r = &bootinfo.regions[i];
        if (r->type == 1 && r->base + r->len > top)
            top = r->base + r->len;
    }
    if (top > MAX_PHYS) {
        kprintf("mem: ignoring RAM above %lu GiB\n", MAX_PHYS >> 30);
        top = MAX_PHYS;
    }
    pmm.nframes = top / PAGE_SIZE;
    size_t bitmap_bytes = PAGE_ROUND_UP((pmm.nframes + 63) / 64 * 8);
    paddr_t bstart = first_free_after_image();
    paddr_t bend = bstart + bitmap_bytes;
    if (bend > (1ul << 30))
        panic("mem: no room for the frame bitmap in the first GiB");
    pmm.bitmap = phys_to_virt(bstart);
    memset(pmm.bitmap, 0xFF, bitmap_bytes); /* everything in use ... */

    for (int i = 0; i < bootinfo.nregions; i++) { /* ... except usable RAM */
        struct mem_region *r = &bootinfo.regions[i];
        if (r->type != 1)
            continue;
        paddr_t start = PAGE_ROUND_UP(r->base);
        paddr_t end = PAGE_ROUND_DOWN(r->base + r->len);
        for (paddr_t pa = start; pa < end && pa < top; pa += PAGE_SIZE) {
            if (reserved(pa, bstart, bend) || !test_bit(pa / PAGE_SIZE))
                continue;
            clear_bit(pa / PAGE_SIZE);
            pmm.nfree++;
        }
    }
    pmm.total = pmm.nfree;
    pmm.hint = 0;
    if (pmm.nfree < 256)
        panic("mem: only %lu KiB of usable RAM; Keel needs at least 1 MiB", pmm.nfree * 4);
}

paddr_t pmm_alloc(void)
{
    spin_lock(&pmm.lock);
    for (uint64_t w = pmm.hint / 64; w < (pmm.nframes + 63) / 64; w++) {
        if (pmm.bitmap[w] == ~0ul)
            continue;
        uint64_t i = w * 64 + __builtin_ctzl(~pmm.bitmap[w]);
        if (i >= pmm.nframes)
            break;
        set_bit(i);
        pmm.nfree--;
        pmm.hint = i + 1;
        spin_unlock(&pmm.lock);
        return i * PAGE_SIZE;
    }
    pmm.hint = pmm.nframes;
    spin_unlock(&pmm.lock);
    return 0;
}

paddr_t pmm_alloc_zeroed(void)
{
    paddr_t pa = pmm_alloc();
    if (pa)
        memset(phys_to_virt(pa), 0, PAGE_SIZE);
    return pa;
}

paddr_t pmm_alloc_contig(size_t n)
{
    spin_lock(&pmm.lock);
    uint64_t run = 0;
    for (uint64_t i = pmm.hint; i < pmm.nframes; i++) {
        run = test_bit(i) ? 0 : run + 1;
        if (run == n) {
            uint64_t first = i + 1 - n;
            for (uint64_t j = first; j <= i; j++)
                set_bit(j);
            pmm.nfree -= n;
            spin_unlock(&pmm.lock);
            return first * PAGE_SIZE;
        }
    }
    spin_unlock(&pmm.lock);
    return 0;
}

void pmm_free(paddr_t pa)
{
    uint64_t i = pa / PAGE_SIZE;
    if (pa % PAGE_SIZE || i >= pmm.nframes)
        panic("pmm_free: bad frame 0x%lx", pa);
    spin_lock(&pmm.lock);
    if (!test_bit(i))
        panic("pmm_free: frame 0x%lx freed twice", pa);
    clear_bit(i);
    pmm.nfree++;
    if (i < pmm.hint)
        pmm.hint = i;
    spin_unlock(&pmm.lock);
}

void pmm_free_contig(paddr_t pa, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pmm_free(pa + i * PAGE_SIZE);
}

uint64_t pmm_free_count(void) { return pmm.nfree; }
uint64_t pmm_total_count(void) { return pmm.total; }
paddr_t pmm_top(void) { return pmm.nframes * PAGE_SIZE; }

#include "test/ktest.h"
#include "mm/kmalloc.h"

/* Take every free frame, check none comes twice, give them all back. */
KTEST(pmm)
{
    uint64_t *seen = kzalloc((pmm.nframes + 63) / 64 * 8);
    KT_CHECK(seen, "no memory for the bookkeeping bitmap");
    uint64_t before_bitmap = pmm_free_count(); /* the bitmap itself took frames */
    paddr_t head = 0;
    uint64_t got = 0;
    for (paddr_t pa; (pa = pmm_alloc()) != 0; got++) {
        uint64_t i = pa / PAGE_SIZE;
        KT_CHECK(pa % PAGE_SIZE == 0, "frame 0x%lx is not page aligned", pa);
        KT_CHECK(i < pmm.nframes, "frame 0x%lx is beyond the end of RAM", pa);
        KT_CHECK(!((seen[i / 64] >> (i % 64)) & 1), "frame 0x%lx handed out twice", pa);
        seen[i / 64] |= 1ul << (i % 64);
        *(paddr_t *)phys_to_virt(pa) = head; /* chain the frames through themselves */
        head = pa;
    }
    KT_CHECK(got == before_bitmap, "got %lu frames but %lu were free", got, before_bitmap);
    KT_CHECK(pmm_free_count() == 0, "%lu frames still free after exhaustion", pmm_free_count());
    while (head) {
        paddr_t next = *(paddr_t *)phys_to_virt(head);
        pmm_free(head);
        head = next;
    }
    KT_CHECK(pmm_free_count() == before_bitmap, "%lu frames free after returning all, expected %lu",
             pmm_free_count(), before_bitmap);
    kfree(seen); /* its frame may stay in kmalloc's cache: measure from here on */
    uint64_t before = pmm_free_count();
    paddr_t run = pmm_alloc_contig(16);
    KT_CHECK(run != 0, "no 16-frame contiguous run");
    for (int i = 0; i < 16; i++)
        KT_CHECK(test_bit(run / PAGE_SIZE + i), "contiguous frame %d not marked used", i);
    pmm_free_contig(run, 16);
    KT_CHECK(pmm_free_count() == before, "contiguous free leaked frames");
    return KT_OK;
}
