/*
 * Lab 9a, checkpoint 9A.5: fork gives the child its own page table, a copy
 * of the parent's user half (clone_page_table) sharing the kernel half, and
 * a copy of the parent's regions.
 */
#include "mm/vm.h"
#include "mm/kmalloc.h"
#include "mm/page_table.h"

struct mm *mm_fork(struct mm *parent)
{
    struct mm *child = kzalloc(sizeof *child);
    if (!child)
        return NULL;
    child->refcount = 1;
    mutex_init(&child->lock, "mm");
    mutex_lock(&parent->lock);
    child->brk_start = parent->brk_start;
    child->brk = parent->brk;
    child->mmap_base = parent->mmap_base;
    struct vma **tail = &child->vmas;
    for (struct vma *v = parent->vmas; v; v = v->next) {
        struct vma *copy = kmalloc(sizeof *copy);
        if (!copy)
            goto fail;
        *copy = *v;
        copy->next = NULL;
        *tail = copy;
        tail = &copy->next;
    }
    child->pml4 = clone_page_table(parent->pml4);
    if (!child->pml4)
        goto fail;
    mutex_unlock(&parent->lock);
    return child;
fail:
    mutex_unlock(&parent->lock);
    for (struct vma *v = child->vmas, *next; v; v = next) {
        next = v->next;
        kfree(v);
    }
    kfree(child);
    return NULL;
}
