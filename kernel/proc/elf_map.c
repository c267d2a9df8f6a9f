/*
 * Lab 9a, checkpoint 9A.3: the ELF loader maps into the process's own page table.
 */
#include "proc/elf_map.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "fs/vfs.h"
#include "lib/errno.h"

/*
 * LAB 9A.3: make [va, va+memsz) a region of mm (vm_map_anon) and fill its
 * pages that hold file data now: a zeroed frame per page, the bytes read
 * with file_pread_kernel(f, ..., off + ...), mapped into mm->pml4 with
 * vm_pte_flags(flags). The rest (.bss) stays demand-zero.
 * See labs/9a.md, "Checkpoint 9A.3".
 */
int elf_map_segment(struct mm *mm, vaddr_t va, size_t memsz, struct file *f, uint64_t off, size_t filesz,
                    int flags)
{
    (void)mm, (void)va, (void)memsz, (void)f, (void)off, (void)filesz, (void)flags;
    return -ENOSYS;
}

/*
 * LAB 9A.3: the user stack is a demand-zero region [top - size, top) with
 * VMA_READ | VMA_WRITE | VMA_STACK.
 * See labs/9a.md, "Checkpoint 9A.3".
 */
int map_user_stack(struct mm *mm, vaddr_t top, size_t size)
{
    (void)mm, (void)top, (void)size;
    return -ENOSYS;
}
