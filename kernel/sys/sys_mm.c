/*
 * brk, mmap, munmap, mprotect: anonymous memory. mmap of files comes with
 * lab 9b; until then it returns -ENODEV for a file descriptor.
 */
#include "sys/sys_proc.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "mm/vm.h"
#include "lib/errno.h"

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_DENYWRITE 0x800
#define MAP_EXECUTABLE 0x1000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_STACK 0x20000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN (MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE | \
                   MAP_EXECUTABLE | MAP_NORESERVE | MAP_POPULATE | MAP_STACK | MAP_FIXED_NOREPLACE)
#define BRK_MAX (1ul << 30) /* the heap may grow 1 GiB past the program */

long sys_brk(uaddr_t addr)
{
    struct mm *mm = current_proc()->mm;
    if (addr < mm->brk_start || addr > mm->brk_start + BRK_MAX)
        return mm->brk; /* Linux: an impossible request returns the current break */
    vaddr_t old_end = PAGE_ROUND_UP(mm->brk), new_end = PAGE_ROUND_UP(addr);
    int err = 0;
    if (new_end > old_end)
        err = vm_map_anon(mm, old_end, new_end - old_end, VMA_READ | VMA_WRITE | VMA_HEAP);
    else if (new_end < old_end)
        err = vm_unmap(mm, new_end, old_end - new_end);
    if (err == 0)
        mm->brk = addr;
    return mm->brk;
}

long sys_mmap(uaddr_t addr, size_t len, int prot, int flags, int fd, long off)
{
    struct mm *mm = current_proc()->mm;
    if (len == 0 || (off & (PAGE_SIZE - 1)) || (flags & ~MAP_KNOWN) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    int type = flags & (MAP_SHARED | MAP_PRIVATE);
    if (type == 0 || type == (MAP_SHARED | MAP_PRIVATE))
        return -EINVAL;
    if (len > USER_LIMIT)
        return -ENOMEM;
    if (!(flags & MAP_ANONYMOUS))
        return fd < 0 ? -EBADF : -ENODEV; /* file mappings: lab 9b */
    size_t size = PAGE_ROUND_UP(len);
    int fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (fixed && ((addr & (PAGE_SIZE - 1)) || !user_range_ok(addr, size) || addr < PAGE_SIZE))
        return (addr & (PAGE_SIZE - 1)) ? -EINVAL : -ENOMEM;
    if (flags & MAP_FIXED) { /* replaces whatever was there */
        int err = vm_map_anon(mm, addr, size, prot);
        return err < 0 ? err : (long)addr;
    }
    return vm_map_anon_new(mm, fixed ? addr : 0, size, prot);
}

long sys_munmap(uaddr_t addr, size_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || len == 0 || !user_range_ok(addr, PAGE_ROUND_UP(len)))
        return -EINVAL;
    return vm_unmap(current_proc()->mm, addr, len);
}

long sys_mprotect(uaddr_t addr, size_t len, int prot)
{
    if ((addr & (PAGE_SIZE - 1)) || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | 0x01000000 | 0x02000000)))
        return -EINVAL;
    if (len == 0)
        return 0;
    if (!user_range_ok(addr, PAGE_ROUND_UP(len)))
        return -ENOMEM;
    return vm_protect(current_proc()->mm, addr, len, prot & 7);
}

long sys_madvise(uaddr_t addr, size_t len, int advice)
{
    (void)len, (void)advice;
    return (addr & (PAGE_SIZE - 1)) ? -EINVAL : 0; /* advice is only advice */
}
