/*
 * The page cache (see page_cache.h for the rules). Each inode's pages sit in
 * a radix tree of 64-way nodes keyed by page number: a 100 MiB file (25,600
 * pages) is three levels deep, lookups touch three nodes, and truncate and
 * writeback walk the pages in index order. Every cached page is also on one
 * global LRU list (most recently used at the head) that eviction scans from
 * the tail.
 *
 * Lock: pc_lock protects the trees, the LRU, the counters and the pages'
 * refcount/dirty/in_index fields. Frames and pages are allocated before
 * taking it and freed after dropping it where that is easy; kmalloc and
 * pmm have their own (inner) spinlocks.
 */
#include "mm/page_cache.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/spinlock.h"

#define PI_BITS 6
#define PI_SLOTS (1u << PI_BITS)
#define PI_MAX_HEIGHT 11 /* 66 bits: any uint64_t index */

struct pi_node {
    void *slot[PI_SLOTS];          /* child nodes, or pages at the bottom level */
    unsigned count;                /* non-NULL slots */
};

struct page_index {
    const struct page_cache_ops *ops;
    struct pi_node *root;
    int height;                    /* levels below root (0: empty tree) */
    uint64_t npages;
};

static struct spinlock pc_lock = SPINLOCK_INIT("page_cache");
static struct cached_page *lru_head, *lru_tail;
static uint64_t nr_pages, pc_limit, nr_hits, nr_misses, nr_evictions;

/* ---- the radix tree (pc_lock held) ---- */

/* Can a tree of this height hold index? */
static int pi_fits(int height, uint64_t index)
{
    if (height * PI_BITS >= 64)
        return 1;
    return (index >> (height * PI_BITS)) == 0;
}

static unsigned pi_slot(uint64_t index, int level)
{
    return (unsigned)(index >> (level * PI_BITS)) & (PI_SLOTS - 1);
}

static struct cached_page *pi_lookup(struct page_index *ix, uint64_t index)
{
    if (!ix || ix->height == 0 || !pi_fits(ix->height, index))
        return 0;
    struct pi_node *n = ix->root;
    for (int level = ix->height - 1; level > 0 && n; level--)
        n = n->slot[pi_slot(index, level)];
    return n ? n->slot[pi_slot(index, 0)] : 0;
}

/* Free the empty nodes on the path to index, bottom up (undoing a failed insert). */
static void pi_prune(struct page_index *ix, uint64_t index)
{
    struct pi_node *path[PI_MAX_HEIGHT];
    int depth = 0; /* path[0] is the root, path[depth-1] the deepest node that exists */
    struct pi_node *n = ix->root;
    for (int level = ix->height - 1; n; level--) {
        path[depth++] = n;
        if (level == 0)
            break;
        n = n->slot[pi_slot(index, level)];
    }
    for (int d = depth - 1; d >= 0 && path[d]->count == 0; d--) {
        kfree(path[d]);
        if (d == 0) {
            ix->root = 0;
            ix->height = 0;
        } else {
            path[d - 1]->slot[pi_slot(index, ix->height - d)] = 0;
            path[d - 1]->count--;
        }
    }
}

/* Put pg at index (the slot is empty). 0 or -ENOMEM (the tree is left as it was). */
static int pi_insert(struct page_index *ix, uint64_t index, struct cached_page *pg)
{
    if (!ix->root) {
        ix->height = 1;
        while (!pi_fits(ix->height, index))
            ix->height++;
        if (!(ix->root = kzalloc(sizeof(struct pi_node))))
            return ix->height = 0, -ENOMEM;
    }
    while (!pi_fits(ix->height, index)) {
        struct pi_node *up = kzalloc(sizeof *up);
        if (!up)
            return -ENOMEM; /* a taller root holding only the old one is harmless */
        up->slot[0] = ix->root;
        up->count = 1;
        ix->root = up;
        ix->height++;
    }
    struct pi_node *n = ix->root;
    for (int level = ix->height - 1; level > 0; level--) {
        void **s = &n->slot[pi_slot(index, level)];
        if (!*s) {
            if (!(*s = kzalloc(sizeof(struct pi_node)))) {
                pi_prune(ix, index);
                return -ENOMEM;
            }
            n->count++;
        }
        n = *s;
    }
    n->slot[pi_slot(index, 0)] = pg;
    n->count++;
    ix->npages++;
    return 0;
}

/* Remove the page at index, freeing nodes left empty. */
static void pi_remove(struct page_index *ix, uint64_t index)
{
    struct pi_node *path[PI_MAX_HEIGHT];
    if (!ix || ix->height == 0 || !pi_fits(ix->height, index))
        return;
    struct pi_node *n = ix->root;
    for (int level = ix->height - 1; level >= 0; level--) {
        if (!n)
            return;
        path[level] = n;
        if (level > 0)
            n = n->slot[pi_slot(index, level)];
    }
    if (!path[0]->slot[pi_slot(index, 0)])
        return;
    ix->npages--;
    for (int level = 0; level < ix->height; level++) {
        path[level]->slot[pi_slot(index, level)] = 0;
        if (--path[level]->count > 0)
            return;
        kfree(path[level]); /* empty: unlink it from its parent next */
    }
    ix->root = 0;
    ix->height = 0;
}

/* Collect up to max pages with index >= from, in index order, into out. */
static int pi_collect(struct pi_node *n, int level, uint64_t base, uint64_t from, struct cached_page **out,
                      int max)
{
    int got = 0;
    for (unsigned s = 0; s < PI_SLOTS && got < max; s++) {
        if (!n->slot[s])
            continue;
        uint64_t first = base + ((uint64_t)s << (level * PI_BITS));
        if (level == 0) {
            if (first >= from)
                out[got++] = n->slot[s];
            continue;
        }
        uint64_t last = first + (((uint64_t)1 << (level * PI_BITS)) - 1);
        if (last < from)
            continue;
        got += pi_collect(n->slot[s], level - 1, first, from, out + got, max - got);
    }
    return got;
}

static int pi_gang(struct page_index *ix, uint64_t from, struct cached_page **out, int max)
{
    if (!ix || ix->height == 0 || !pi_fits(ix->height, from))
        return 0;
    return pi_collect(ix->root, ix->height - 1, 0, from, out, max);
}

/* ---- the LRU and freeing (pc_lock held) ---- */

static void lru_unlink(struct cached_page *pg)
{
    if (pg->lru_prev)
        pg->lru_prev->lru_next = pg->lru_next;
    else
        lru_head = pg->lru_next;
    if (pg->lru_next)
        pg->lru_next->lru_prev = pg->lru_prev;
    else
        lru_tail = pg->lru_prev;
    pg->lru_prev = pg->lru_next = 0;
}

static void lru_push_head(struct cached_page *pg)
{
    pg->lru_prev = 0;
    pg->lru_next = lru_head;
    if (lru_head)
        lru_head->lru_prev = pg;
    else
        lru_tail = pg;
    lru_head = pg;
}

/* Take pg out of its inode's index and the LRU; the caller frees it once unreferenced. */
static void detach_locked(struct cached_page *pg)
{
    if (!pg->in_index)
        return;
    pi_remove(pg->inode->pages, pg->index);
    lru_unlink(pg);
    pg->in_index = 0;
    nr_pages--;
}

static void free_page(struct cached_page *pg)
{
    pmm_free(pg->frame);
    kfree(pg);
}

static uint64_t limit_locked(void)
{
    if (!pc_limit)
        pc_limit = pmm_total_count() / 4;
    return pc_limit;
}

/*
 * Detach up to n clean unreferenced pages from the LRU tail onto *freed
 * (linked through lru_next) for the caller to free after unlocking.
 */
static uint64_t evict_locked(uint64_t n, struct cached_page **freed)
{
    uint64_t got = 0;
    struct cached_page *pg = lru_tail;
    while (pg && got < n) {
        struct cached_page *prev = pg->lru_prev;
        if (pg->refcount == 0 && !pg->dirty) {
            detach_locked(pg);
            pg->lru_next = *freed;
            *freed = pg;
            got++;
            nr_evictions++;
        }
        pg = prev;
    }
    return got;
}

static void free_list(struct cached_page *list)
{
    while (list) {
        struct cached_page *next = list->lru_next;
        free_page(list);
        list = next;
    }
}

/* ---- the interface ---- */

int page_cache_attach(struct inode *inode, const struct page_cache_ops *ops)
{
    if (inode->pages)
        return 0;
    struct page_index *ix = kzalloc(sizeof *ix);
    if (!ix)
        return -ENOMEM;
    ix->ops = ops;
    spin_lock(&pc_lock);
    if (!inode->pages) {
        inode->pages = ix;
        ix = 0;
    }
    spin_unlock(&pc_lock);
    kfree(ix);
    return 0;
}

struct cached_page *page_cache_lookup(struct inode *inode, uint64_t index)
{
    spin_lock(&pc_lock);
    struct cached_page *pg = pi_lookup(inode->pages, index);
    if (pg) {
        pg->refcount++;
        lru_unlink(pg);
        lru_push_head(pg);
        nr_hits++;
    }
    spin_unlock(&pc_lock);
    return pg;
}

int page_cache_grab(struct inode *inode, uint64_t index, struct cached_page **out)
{
    struct cached_page *pg = page_cache_lookup(inode, index);
    if (pg) {
        *out = pg;
        return 0;
    }
    if (!inode->pages)
        return -EINVAL; /* page_cache_attach was not called */
    /* Make the page outside the lock; memory pressure first costs clean pages. */
    struct cached_page *fresh = kzalloc(sizeof *fresh);
    paddr_t frame = pmm_alloc();
    if (!frame && page_cache_reclaim(32))
        frame = pmm_alloc();
    if (!fresh || !frame) {
        kfree(fresh);
        if (frame)
            pmm_free(frame);
        return -ENOMEM;
    }
    fresh->inode = inode;
    fresh->index = index;
    fresh->frame = frame;
    fresh->refcount = 1;

    struct cached_page *freed = 0;
    int err = 0;
    spin_lock(&pc_lock);
    if ((pg = pi_lookup(inode->pages, index)) != 0) { /* someone else made it meanwhile */
        pg->refcount++;
        nr_hits++;
    } else if ((err = pi_insert(inode->pages, index, fresh)) == 0) {
        pg = fresh;
        fresh = 0;
        pg->in_index = 1;
        lru_push_head(pg);
        nr_pages++;
        nr_misses++;
        if (nr_pages > limit_locked())
            evict_locked(nr_pages - limit_locked() + 16, &freed);
    }
    spin_unlock(&pc_lock);
    if (fresh)
        free_page(fresh);
    free_list(freed);
    if (err)
        return err;
    *out = pg;
    return 0;
}

int page_cache_get(struct inode *inode, uint64_t index, struct cached_page **out)
{
    struct cached_page *pg;
    int err = page_cache_grab(inode, index, &pg);
    if (err)
        return err;
    if (!pg->uptodate) {
        const struct page_cache_ops *ops = inode->pages->ops;
        err = ops && ops->readpages ? ops->readpages(inode, &pg, 1) : -EIO;
        if (!err && !pg->uptodate)
            err = -EIO;
        if (err) {
            page_cache_put(pg);
            return err;
        }
    }
    *out = pg;
    return 0;
}

void page_cache_put(struct cached_page *pg)
{
    int dead = 0;
    spin_lock(&pc_lock);
    if (--pg->refcount == 0) {
        if (pg->in_index && !pg->uptodate && !pg->dirty)
            detach_locked(pg); /* a failed or abandoned read: do not keep garbage */
        dead = !pg->in_index;
    }
    spin_unlock(&pc_lock);
    if (dead)
        free_page(pg);
}

void page_mark_dirty(struct cached_page *pg)
{
    spin_lock(&pc_lock);
    pg->dirty = 1;
    spin_unlock(&pc_lock);
}

int page_cache_writeback(struct inode *inode)
{
    struct cached_page *batch[32];
    uint64_t from = 0;
    int first_err = 0;
    for (;;) {
        int n = 0;
        spin_lock(&pc_lock);
        struct cached_page *all[32];
        int got = pi_gang(inode->pages, from, all, 32);
        for (int i = 0; i < got; i++)
            if (all[i]->dirty) {
                all[i]->refcount++;
                batch[n++] = all[i];
            }
        spin_unlock(&pc_lock);
        if (got == 0)
            break;
        from = all[got - 1]->index + 1;
        for (int i = 0; i < n; i++) {
            const struct page_cache_ops *ops = inode->pages->ops;
            int err = ops && ops->writepage ? ops->writepage(inode, batch[i]) : -EIO;
            if (!err) {
                spin_lock(&pc_lock);
                batch[i]->dirty = 0;
                spin_unlock(&pc_lock);
            } else if (!first_err) {
                first_err = err;
            }
            page_cache_put(batch[i]);
        }
        if (from == 0)
            break; /* wrapped past the last index */
    }
    return first_err;
}

void page_cache_truncate(struct inode *inode, uint64_t from_index)
{
    struct cached_page *batch[32];
    for (;;) {
        struct cached_page *dead = 0;
        spin_lock(&pc_lock);
        int got = pi_gang(inode->pages, from_index, batch, 32);
        for (int i = 0; i < got; i++) {
            detach_locked(batch[i]);
            batch[i]->dirty = 0; /* beyond the end: its data is gone */
            if (batch[i]->refcount == 0) {
                batch[i]->lru_next = dead;
                dead = batch[i];
            }
        }
        spin_unlock(&pc_lock);
        free_list(dead);
        if (got < 32)
            break;
    }
}

void page_cache_drop_inode(struct inode *inode)
{
    if (!inode->pages)
        return;
    page_cache_truncate(inode, 0);
    spin_lock(&pc_lock);
    struct page_index *ix = inode->pages;
    inode->pages = 0;
    spin_unlock(&pc_lock);
    kfree(ix); /* empty now: pi_remove freed every node */
}

uint64_t page_cache_reclaim(uint64_t n)
{
    struct cached_page *freed = 0;
    spin_lock(&pc_lock);
    uint64_t got = evict_locked(n, &freed);
    spin_unlock(&pc_lock);
    free_list(freed);
    return got;
}

void page_cache_get_stats(struct page_cache_stats *out)
{
    spin_lock(&pc_lock);
    out->pages = nr_pages;
    out->limit = limit_locked();
    out->hits = nr_hits;
    out->misses = nr_misses;
    out->evictions = nr_evictions;
    spin_unlock(&pc_lock);
}

uint64_t page_cache_set_limit(uint64_t pages)
{
    struct cached_page *freed = 0;
    spin_lock(&pc_lock);
    uint64_t old = limit_locked();
    pc_limit = pages;
    if (nr_pages > limit_locked())
        evict_locked(nr_pages - limit_locked(), &freed);
    spin_unlock(&pc_lock);
    free_list(freed);
    return old;
}
