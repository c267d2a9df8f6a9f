/*
 * Building the kernel page table. The upper half's 256 PDPTs are allocated
 * once here, so every PML4 that copies entries 256..511 sees later kernel
 * mappings (stacks, ioremap) without being updated.
 * Lock: kvm_lock serialises the bump allocators for stacks and ioremap.
 */
#include "mm/kernel_vm.h"
#include "mm/paging.h"
#include "mm/pmm.h"
#include "arch/x86_64/cpu.h"
#include "sched/spinlock.h"
#include "lib/panic.h"
#include "drivers/console.h"

paddr_t kernel_pml4;

extern char _text[], _etext[], _rodata[], _erodata[], _data[], _end[];
extern char _kernel_start_phys[];

static struct spinlock kvm_lock = SPINLOCK_INIT("kvm");
static vaddr_t next_ioremap = IOREMAP_BASE;
static vaddr_t next_kstack = KSTACK_BASE;

static void map_range(vaddr_t va, paddr_t pa, size_t len, uint64_t flags)
{
    for (size_t off = 0; off < len; off += PAGE_SIZE)
        if (paging_map(kernel_pml4, va + off, pa + off, flags) < 0)
            panic("kvm: cannot map 0x%lx", va + off);
}

/* Map [0, top) at KERNEL_BASE with 2 MiB pages. */
static void map_direct(paddr_t top)
{
    for (paddr_t pa = 0; pa < top; pa += 2ul << 20) {
        vaddr_t va = KERNEL_BASE + pa;
        pte_t *pdpte = &pt_entries(pt_entries(kernel_pml4)[PML4_INDEX(va)] & PTE_ADDR_MASK)[PDPT_INDEX(va)];
        if (!(*pdpte & PTE_PRESENT)) {
            paddr_t pd = pmm_alloc_zeroed();
            if (!pd)
                panic("kvm: out of memory for the direct map");
            *pdpte = pd | PTE_PRESENT | PTE_WRITABLE;
        }
        pt_entries(*pdpte & PTE_ADDR_MASK)[PD_INDEX(va)] =
            pa | PTE_PRESENT | PTE_WRITABLE | PTE_HUGE | PTE_GLOBAL | pte_nx;
    }
}

void kvm_init(void)
{
    if (rdmsr(MSR_EFER) & EFER_NXE)
        pte_nx = PTE_NX;
    kernel_pml4 = pmm_alloc_zeroed();
    if (!kernel_pml4)
        panic("kvm: out of memory");
    for (int i = 256; i < 512; i++) {
        paddr_t pdpt = pmm_alloc_zeroed();
        if (!pdpt)
            panic("kvm: out of memory");
        pt_entries(kernel_pml4)[i] = pdpt | PTE_PRESENT | PTE_WRITABLE;
    }
    /* All of low 4 GiB (ACPI tables live there) and all RAM above. */
    paddr_t top = pmm_top() > (4ul << 30) ? pmm_top() : (4ul << 30);
    map_direct(top);

    /* The image: .boot and .text executable, .rodata read-only, the rest no-execute. */
    paddr_t img = (paddr_t)_kernel_start_phys;
    map_range(KERNEL_VMA + img, img, (vaddr_t)_text - KERNEL_VMA - img, PTE_GLOBAL);
    map_range((vaddr_t)_text, virt_to_phys(_text), PAGE_ROUND_UP((vaddr_t)_etext) - (vaddr_t)_text, PTE_GLOBAL);
    map_range((vaddr_t)_rodata, virt_to_phys(_rodata), PAGE_ROUND_UP((vaddr_t)_erodata) - (vaddr_t)_rodata,
              PTE_GLOBAL | pte_nx);
    map_range((vaddr_t)_data, virt_to_phys(_data), (vaddr_t)_end - (vaddr_t)_data,
              PTE_WRITABLE | PTE_GLOBAL | pte_nx);
    kvm_load();
    kprintf("mem: %lu MiB usable, direct map up to 0x%lx\n", pmm_total_count() / 256, KERNEL_BASE + top);
}

void kvm_load(void)
{
    write_cr4(read_cr4() | CR4_PGE);
    write_cr3(kernel_pml4);
}

void *ioremap(paddr_t pa, size_t size)
{
    paddr_t start = PAGE_ROUND_DOWN(pa);
    size_t len = PAGE_ROUND_UP(pa + size) - start;
    spin_lock(&kvm_lock);
    vaddr_t va = next_ioremap;
    next_ioremap += len + PAGE_SIZE; /* leave a hole between mappings */
    map_range(va, start, len, PTE_WRITABLE | PTE_PCD | PTE_PWT | PTE_GLOBAL | pte_nx);
    spin_unlock(&kvm_lock);
    return (void *)(va + (pa - start));
}

/* Freed stacks stay mapped and are handed out again first. The link to the
 * next free stack is kept in the stack's lowest word. */
static vaddr_t free_stacks;

void kstack_free(vaddr_t top)
{
    vaddr_t *link = (vaddr_t *)(top - KSTACK_SIZE);
    spin_lock(&kvm_lock);
    *link = free_stacks;
    free_stacks = top;
    spin_unlock(&kvm_lock);
}

vaddr_t kstack_alloc(void)
{
    spin_lock(&kvm_lock);
    if (free_stacks) {
        vaddr_t top = free_stacks;
        free_stacks = *(vaddr_t *)(top - KSTACK_SIZE);
        spin_unlock(&kvm_lock);
        return top;
    }
    vaddr_t base = next_kstack + PAGE_SIZE; /* the page below stays unmapped: a guard */
    next_kstack += KSTACK_SIZE + PAGE_SIZE;
    for (size_t off = 0; off < KSTACK_SIZE; off += PAGE_SIZE) {
        paddr_t f = pmm_alloc_zeroed();
        if (!f || paging_map(kernel_pml4, base + off, f, PTE_WRITABLE | PTE_GLOBAL | pte_nx) < 0) {
            if (f)
                pmm_free(f);
            while (off > 0) { /* undo the pages mapped so far */
                off -= PAGE_SIZE;
                pmm_free(paging_unmap(kernel_pml4, base + off));
            }
            spin_unlock(&kvm_lock);
            return 0;
        }
    }
    spin_unlock(&kvm_lock);
    return base + KSTACK_SIZE;
}
