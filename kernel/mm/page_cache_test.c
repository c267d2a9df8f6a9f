/*
 * ktest page_cache: the page cache against a pretend file system whose
 * pages hold a pattern computed from their index.
 */
#include "mm/page_cache.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "test/ktest.h"

static int reads;

static uint8_t pattern(uint64_t index, int i) { return (uint8_t)(index * 7 + (uint64_t)i); }

static int fake_readpages(struct inode *inode, struct cached_page **pages, int n)
{
    (void)inode;
    for (int k = 0; k < n; k++) {
        uint8_t *d = page_data(pages[k]);
        for (int i = 0; i < 4096; i++)
            d[i] = pattern(pages[k]->index, i);
        pages[k]->uptodate = 1;
        reads++;
    }
    return 0;
}

static int fake_writepage(struct inode *inode, struct cached_page *pg)
{
    (void)inode;
    (void)pg;
    return 0;
}

static const struct page_cache_ops fake_ops = {.readpages = fake_readpages, .writepage = fake_writepage};

static int failing_readpages(struct inode *inode, struct cached_page **pages, int n)
{
    (void)inode, (void)pages, (void)n;
    return -EIO;
}
static const struct page_cache_ops failing_ops = {.readpages = failing_readpages};

static int page_ok(struct cached_page *pg)
{
    uint8_t *d = page_data(pg);
    for (int i = 0; i < 4096; i++)
        if (d[i] != pattern(pg->index, i))
            return 0;
    return 1;
}

KTEST(page_cache)
{
    struct inode *ino = kzalloc(sizeof *ino);
    KT_CHECK(ino, "no memory for the inode");
    KT_CHECK(page_cache_attach(ino, &fake_ops) == 0, "attach failed");
    uint64_t free_before = pmm_free_count();
    struct page_cache_stats st;

    /* A miss reads, a hit does not; far-apart indexes make the tree grow. */
    static const uint64_t idx[] = {0, 5, 63, 64, 4095, 4096, 25599, 1u << 20, 1ull << 40, ~0ull};
    reads = 0;
    for (unsigned k = 0; k < sizeof idx / sizeof idx[0]; k++) {
        struct cached_page *pg;
        KT_CHECK(page_cache_get(ino, idx[k], &pg) == 0, "get %lu failed", idx[k]);
        KT_CHECK(pg->index == idx[k] && pg->uptodate && page_ok(pg), "page %lu holds the wrong data", idx[k]);
        page_cache_put(pg);
    }
    KT_CHECK(reads == 10, "%d reads for 10 new pages", reads);
    for (unsigned k = 0; k < sizeof idx / sizeof idx[0]; k++) {
        struct cached_page *pg = page_cache_lookup(ino, idx[k]);
        KT_CHECK(pg && pg->index == idx[k] && page_ok(pg), "page %lu not found again", idx[k]);
        page_cache_put(pg);
    }
    KT_CHECK(reads == 10, "a cached page was read again (%d reads)", reads);
    KT_CHECK(!page_cache_lookup(ino, 6), "page 6 was never read but is cached");

    /* Truncate drops exactly the pages at or after the index, even referenced ones. */
    struct cached_page *held;
    KT_CHECK(page_cache_get(ino, 4096, &held) == 0, "get 4096");
    page_cache_truncate(ino, 64);
    KT_CHECK(page_cache_lookup(ino, 64) == 0 && page_cache_lookup(ino, 1ull << 40) == 0, "truncate left pages");
    struct cached_page *p63 = page_cache_lookup(ino, 63);
    KT_CHECK(p63 && page_ok(p63), "truncate from 64 dropped page 63");
    page_cache_put(p63);
    KT_CHECK(page_ok(held), "a referenced truncated page changed under its user");
    page_cache_put(held); /* the last reference frees it */

    /* Over the limit, clean unreferenced pages go, LRU first; dirty and referenced ones stay. */
    uint64_t old_limit = page_cache_set_limit(200);
    page_cache_truncate(ino, 0);
    struct cached_page *dirty, *pinned;
    KT_CHECK(page_cache_get(ino, 1000, &dirty) == 0, "get 1000");
    page_mark_dirty(dirty);
    page_cache_put(dirty);
    KT_CHECK(page_cache_get(ino, 1001, &pinned) == 0, "get 1001");
    for (uint64_t i = 0; i < 1000; i++) {
        struct cached_page *pg;
        KT_CHECK(page_cache_get(ino, i, &pg) == 0, "get %lu", i);
        page_cache_put(pg);
    }
    page_cache_get_stats(&st);
    KT_CHECK(st.pages <= 200, "%lu pages cached with a limit of 200", st.pages);
    KT_CHECK((dirty = page_cache_lookup(ino, 1000)) != 0 && dirty->dirty, "the dirty page was evicted");
    page_cache_put(dirty);
    KT_CHECK(page_cache_lookup(ino, 1001) == pinned, "a referenced page was evicted");
    page_cache_put(pinned);
    struct cached_page *recent = page_cache_lookup(ino, 999), *old = page_cache_lookup(ino, 0);
    KT_CHECK(recent && !old, "eviction was not least-recently-used first");
    page_cache_put(recent);

    /* Reclaiming everything still keeps the dirty page; writeback cleans it, then it can go. */
    page_cache_reclaim(~0ull);
    KT_CHECK((dirty = page_cache_lookup(ino, 1000)) != 0, "reclaim dropped a dirty page");
    page_cache_put(dirty);
    KT_CHECK(page_cache_writeback(ino) == 0 && !dirty->dirty, "writeback left the page dirty");
    page_cache_reclaim(~0ull);
    KT_CHECK(page_cache_lookup(ino, 1000) == 0, "a clean page survived a full reclaim");

    page_cache_set_limit(old_limit);
    page_cache_drop_inode(ino);
    KT_CHECK(ino->pages == 0, "drop_inode left the index");

    /* A failed read returns its error and leaves nothing cached. */
    struct inode *bad = kzalloc(sizeof *bad);
    KT_CHECK(bad && page_cache_attach(bad, &failing_ops) == 0, "no memory for the second inode");
    struct cached_page *pg;
    KT_CHECK(page_cache_get(bad, 3, &pg) == -EIO, "a failed read did not return -EIO");
    KT_CHECK(page_cache_lookup(bad, 3) == 0, "a failed read left its page cached");
    page_cache_drop_inode(bad);
    kfree(bad);
    kfree(ino);

    page_cache_get_stats(&st);
    KT_CHECK(st.pages == 0, "%lu pages still cached after dropping both inodes", st.pages);
    KT_CHECK(pmm_free_count() + 64 >= free_before, "frames leaked: %lu free, %lu before", pmm_free_count(),
             free_before);
    return KT_OK;
}
