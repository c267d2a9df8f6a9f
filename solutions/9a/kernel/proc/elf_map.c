/*
 * Lab 9a, checkpoint 9A.3: the ELF loader maps into the process's own page
 * table. The file-backed pages are read now (into fresh frames, mapped with
 * PTE_USER and the segment's permissions); the zero-filled tail (.bss) is
 * left to demand paging through the segment's region. As with Linux's
 * mmap of the file, bytes past the end of the file read as zero, and whole
 * pages past it raise SIGBUS when touched.
 */
#include "proc/elf_map.h"
#include "mm/paging.h"
#include "mm/refcount.h"
#include "mm/vm.h"
#include "fs/vfs.h"
#include "lib/errno.h"

int elf_map_segment(struct mm *mm, vaddr_t va, size_t memsz, struct file *f, uint64_t off, size_t filesz,
                    int flags)
{
    vaddr_t start = PAGE_ROUND_DOWN(va), end = PAGE_ROUND_UP(va + memsz);
    int err = vm_map_anon(mm, start, end - start, flags);
    if (err < 0)
        return err;
    vaddr_t file_end = va + filesz;
    for (vaddr_t page = start; page < file_end; page += PAGE_SIZE) {
        paddr_t frame = user_frame_alloc();
        if (!frame)
            return -ENOMEM; /* what is mapped so far is freed with the mm */
        vaddr_t from = page > va ? page : va;
        vaddr_t to = page + PAGE_SIZE < file_end ? page + PAGE_SIZE : file_end;
        long n = file_pread_kernel(f, (char *)phys_to_virt(frame) + (from - page), to - from, off + (from - va));
        if (n < 0) {
            frame_put(frame);
            return (int)n;
        }
        if (n == 0 && from == page) { /* the file ends before this page: touching it is a bus error */
            frame_put(frame);
            return vm_map_anon(mm, page, PAGE_ROUND_UP(file_end) - page, flags | VMA_SIGBUS);
        }
        err = paging_map(mm->pml4, page, frame, vm_pte_flags(flags));
        if (err < 0) {
            frame_put(frame);
            return err == -EEXIST ? -ENOEXEC : err; /* overlapping segments */
        }
    }
    return 0;
}

int map_user_stack(struct mm *mm, vaddr_t top, size_t size)
{
    return vm_map_anon(mm, top - size, size, VMA_READ | VMA_WRITE | VMA_STACK);
}
