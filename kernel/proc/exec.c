/*
 * execve: replace the calling process's program. We check the file, build
 * the new address space completely (ELF segments through lab 9a's
 * elf_map_segment, a stack, the brk area), and only then switch to it: any
 * error before that point leaves the caller untouched. Then we write the
 * Linux initial stack (argc, argv, envp, auxv) and point the saved user
 * registers at the entry point.
 */
#include "proc/process.h"
#include "proc/proc_internal.h"
#include "proc/elf_map.h"
#include "sched/sched.h"
#include "sched/switch_mm.h"
#include "sys/sys_proc.h"
#include "mm/kmalloc.h"
#include "mm/vm.h"
#include "mm/pmm.h"
#include "fs/vfs.h"
#include "fs/fdtable.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "signal/signal.h"
#include "lib/errno.h"
#include "lib/string.h"

#define USER_STACK_TOP  0x00007FFFFFFFF000ul
#define USER_STACK_SIZE (8ul << 20)
#define ARG_MAX_BYTES   (128 * 1024)  /* argv + envp strings, like Linux's 32 pages */
#define MAX_SCRIPT_DEPTH 4
#define STATIC_PIE_BASE 0x0000555555554000ul

struct elf64_ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define MAX_PHDRS 64

/* Internal: the image is bad in a way Linux only finds after the point of no
 * return (a segment it cannot map), so the process dies with SIGSEGV. */
#define EXEC_KILL_SEGV 4096

/* What the loader learned about the program, for the auxiliary vector. */
struct image {
    uint64_t entry, phdr, phnum, base;
};

/* Check an ELF header: -ENOEXEC unless it is a static x86-64 executable we can load. */
static int check_header(const struct elf64_ehdr *h)
{
    if (memcmp(h->ident, "\177ELF", 4) != 0 || h->ident[4] != 2 /* 64-bit */ || h->ident[5] != 1 /* LE */)
        return -ENOEXEC;
    if ((h->type != ET_EXEC && h->type != ET_DYN) || h->machine != EM_X86_64 || h->version != 1)
        return -ENOEXEC;
    if (h->phentsize != sizeof(struct elf64_phdr) || h->phnum == 0 || h->phnum > MAX_PHDRS)
        return -ENOEXEC;
    return 0;
}

/* A PT_INTERP names a dynamic loader: report a missing one as Linux does
 * (ENOENT); an existing one still cannot run here (no dynamic linking). */
static int check_interpreter(struct file *f, const struct elf64_phdr *ph)
{
    char path[256];
    if (ph->filesz < 2 || ph->filesz > sizeof path)
        return -ENOEXEC;
    if (file_pread_kernel(f, path, ph->filesz, ph->offset) != (long)ph->filesz || path[ph->filesz - 1] != 0)
        return -ENOEXEC;
    struct file *interp;
    int err = vfs_open(path, 0, 0, &interp);
    if (err < 0)
        return err;
    file_close(interp);
    return -ENOEXEC;
}

static int load_segments(struct mm *mm, struct file *f, const struct elf64_ehdr *h, struct image *img)
{
    struct elf64_phdr *ph = kmalloc(h->phnum * sizeof *ph);
    if (!ph)
        return -ENOMEM;
    int err = 0;
    long n = file_pread_kernel(f, ph, h->phnum * sizeof *ph, h->phoff);
    if (n != (long)(h->phnum * sizeof *ph)) {
        err = n < 0 ? (int)n : -ENOEXEC;
        goto out;
    }
    uint64_t bias = h->type == ET_DYN ? STATIC_PIE_BASE : 0;
    uint64_t brk = 0;
    img->phdr = 0;
    for (int i = 0; i < h->phnum; i++) {
        if (ph[i].type == PT_INTERP) { /* dynamically linked: Keel has no dynamic loader */
            err = check_interpreter(f, &ph[i]);
            goto out;
        }
    }
    for (int i = 0; i < h->phnum; i++) {
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        uint64_t va = ph[i].vaddr + bias, end = va + ph[i].memsz;
        /* Like Linux's overcommit heuristic, a segment larger than RAM cannot be mapped. */
        if (ph[i].filesz > ph[i].memsz || end < va || end > USER_STACK_TOP - USER_STACK_SIZE ||
            va < 0x10000 || (ph[i].vaddr - ph[i].offset) % PAGE_SIZE != 0 ||
            ph[i].memsz > pmm_total_count() * PAGE_SIZE) {
            err = -EXEC_KILL_SEGV; /* Linux fails to map it after the point of no return */
            goto out;
        }
        int flags = ((ph[i].flags & 4) ? VMA_READ : 0) | ((ph[i].flags & 2) ? VMA_WRITE : 0) |
                    ((ph[i].flags & 1) ? VMA_EXEC : 0);
        err = elf_map_segment(mm, va, ph[i].memsz, f, ph[i].offset, ph[i].filesz, flags);
        if (err < 0)
            goto out;
        if (ph[i].offset <= h->phoff && h->phoff < ph[i].offset + ph[i].filesz)
            img->phdr = va + (h->phoff - ph[i].offset); /* the headers are mapped: AT_PHDR */
        if (end > brk)
            brk = end;
    }
    if (brk == 0 || h->entry + bias > USER_LIMIT) {
        err = -EXEC_KILL_SEGV; /* nothing loaded, or an entry point user code cannot reach */
        goto out;
    }
    mm->brk_start = mm->brk = PAGE_ROUND_UP(brk);
    img->entry = h->entry + bias;
    img->phnum = h->phnum;
    img->base = bias;
out:
    kfree(ph);
    return err;
}

/* The user stack contents, built in a kernel buffer then copied in once. */
struct stack_builder {
    uint8_t *buf;     /* mirrors [top - size, top) */
    uint64_t top;     /* user address of the end of buf */
    uint64_t size, used;
};

/* Push bytes at the top end; returns their user address, 0 if out of room. */
static uint64_t push_bytes(struct stack_builder *sb, const void *data, size_t n)
{
    if (sb->used + n > sb->size)
        return 0;
    sb->used += n;
    memcpy(sb->buf + sb->size - sb->used, data, n);
    return sb->top - sb->used;
}

static int count_strings(char *const v[])
{
    int n = 0;
    while (v && v[n])
        n++;
    return n;
}

/* Lay out the Linux initial stack; returns the initial rsp or 0 (E2BIG). */
static uint64_t build_stack(struct stack_builder *sb, const char *path, char *const argv[], char *const envp[],
                            const struct image *img)
{
    int argc = count_strings(argv), envc = count_strings(envp);
    uint64_t execfn = push_bytes(sb, path, strlen(path) + 1);
    uint64_t platform = push_bytes(sb, "x86_64", 7);
    uint8_t random[16];
    uint64_t seed = rdtsc() ^ (uint64_t)sb;
    for (int i = 0; i < 16; i++) { /* xorshift from the TSC: unpredictable enough for canaries */
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        random[i] = (uint8_t)seed;
    }
    uint64_t rnd = push_bytes(sb, random, sizeof random);
    uint64_t *ptrs = kmalloc((argc + envc + 2) * sizeof(uint64_t));
    if (!ptrs)
        return 0;
    for (int i = envc - 1; i >= 0; i--)
        ptrs[argc + 1 + i] = push_bytes(sb, envp[i], strlen(envp[i]) + 1);
    for (int i = argc - 1; i >= 0; i--)
        ptrs[i] = push_bytes(sb, argv[i], strlen(argv[i]) + 1);
    ptrs[argc] = 0;
    ptrs[argc + 1 + envc] = 0;
    struct process *p = current_proc();
    uint64_t auxv[] = {
        3, img->phdr, 4, sizeof(struct elf64_phdr), 5, img->phnum, 6, PAGE_SIZE, 7, 0, 8, 0, 9, img->entry,
        11, p->uid, 12, p->euid, 13, p->gid, 14, p->egid, 16, 0x178bfbff /* AT_HWCAP: cpuid 1 edx */,
        17, 100 /* AT_CLKTCK */, 23, 0 /* AT_SECURE */, 25, rnd, 15, platform, 31, execfn, 0, 0,
    };
    /* Pointers below the strings, 16-byte aligned at argc. */
    size_t words = 1 + argc + 1 + envc + 1 + sizeof auxv / 8;
    uint64_t strings_end = sb->top - sb->used;
    uint64_t sp = (strings_end - words * 8) & ~15ul;
    if (!execfn || !platform || !rnd || sb->top - sp > sb->size) {
        kfree(ptrs);
        return 0;
    }
    uint64_t *w = (uint64_t *)(sb->buf + sb->size - (sb->top - sp));
    *w++ = argc;
    for (int i = 0; i < argc; i++)
        *w++ = ptrs[i];
    *w++ = 0;
    for (int i = 0; i < envc; i++)
        *w++ = ptrs[argc + 1 + i];
    *w++ = 0;
    memcpy(w, auxv, sizeof auxv);
    sb->used = sb->top - sp;
    kfree(ptrs);
    return sp;
}

/* "#!interp [arg]" on the first line: the interpreter path and its one argument. */
static int parse_script(const char *head, long n, char *interp, char *arg)
{
    long i = 2, end;
    for (end = 2; end < n && head[end] != '\n'; end++)
        ;
    if (end == n && n == 128)
        return -ENOEXEC; /* first line too long */
    while (i < end && (head[i] == ' ' || head[i] == '\t'))
        i++;
    long s = i;
    while (i < end && head[i] != ' ' && head[i] != '\t')
        i++;
    if (i == s)
        return -ENOEXEC;
    memcpy(interp, head + s, i - s);
    interp[i - s] = 0;
    while (i < end && (head[i] == ' ' || head[i] == '\t'))
        i++;
    long a = i, e = end;
    while (e > a && (head[e - 1] == ' ' || head[e - 1] == '\t' || head[e - 1] == '\r'))
        e--;
    memcpy(arg, head + a, e - a);
    arg[e - a] = 0;
    return 0;
}

/* Linux's de_thread: the other threads of the process end before exec replaces
 * the address space under them. */
static void kill_other_threads(struct process *p)
{
    struct task *self = current_task();
    spin_lock(&p->lock);
    for (struct task *t = p->threads; t; t = t->thread_next) {
        if (t != self) {
            t->kill_requested = 1;
            sched_wake_sleeper(t);
        }
    }
    spin_unlock(&p->lock);
    while (__atomic_load_n(&p->nthreads, __ATOMIC_ACQUIRE) > 1) {
        if (self->kill_requested) /* another thread's exit_group or exec won */
            task_exit();
        yield_poll("exec: other threads exiting");
    }
}

/* Point of no return: adopt mm, reset what exec resets, and set up the registers. */
static void commit_exec(struct mm *mm, const char *path, const struct image *img, uint64_t sp)
{
    struct task *t = current_task();
    struct process *p = t->proc;
    kill_other_threads(p);
    struct mm *old = p->mm;
    p->mm = mm;
    cpu_load_mm(mm);
    if (old)
        mm_put(old);
    vfork_release(p);
    const char *base = path;
    for (const char *q = path; *q; q++)
        if (*q == '/')
            base = q + 1;
    strlcpy(p->name, base, sizeof p->name);
    fdtable_close_on_exec(p->files);
    spin_lock(&p->sighand->lock); /* handlers point into the old program: reset them */
    for (int i = 0; i < NSIG; i++)
        if (p->sighand->action[i].handler > 1)
            p->sighand->action[i] = (struct sigaction_k){ 0, 0, 0, 0 };
    spin_unlock(&p->sighand->lock);
    t->fs_base = 0;
    wrmsr(MSR_FS_BASE, 0);
    t->clear_child_tid = 0;
    struct trapframe *tf = t->tf;
    memset(tf, 0, sizeof *tf);
    tf->rip = img->entry;
    tf->rsp = sp;
    tf->cs = SEL_UCODE;
    tf->ss = SEL_UDATA;
    tf->rflags = 0x202; /* IF */
    memset(t->fpu, 0, 512);
    ((uint16_t *)t->fpu)[0] = 0x37F;
    ((uint32_t *)t->fpu)[6] = 0x1F80;
    extern void fpu_restore(const void *);
    fpu_restore(t->fpu);
}

/* Load path into a new mm and switch to it; argv/envp are kernel strings. */
static int exec_file(const char *path, char *const argv[], char *const envp[], int depth)
{
    struct file *f;
    int err = vfs_open(path, 0 /* O_RDONLY */, 0, &f);
    if (err < 0)
        return err;
    if ((err = file_exec_check(f)) < 0)
        goto out_file;
    char head[128];
    long n = file_pread_kernel(f, head, sizeof head, 0);
    if (n < 0) {
        err = (int)n;
        goto out_file;
    }
    if (n >= 2 && head[0] == '#' && head[1] == '!') { /* a script: run its interpreter */
        char interp[128], arg[128];
        if (depth >= MAX_SCRIPT_DEPTH || (err = parse_script(head, n, interp, arg)) < 0) {
            err = depth >= MAX_SCRIPT_DEPTH ? -ELOOP : err;
            goto out_file;
        }
        int argc = count_strings(argv);
        char **nargv = kmalloc((argc + 3) * sizeof(char *));
        if (!nargv) {
            err = -ENOMEM;
            goto out_file;
        }
        int k = 0;
        nargv[k++] = interp;
        if (arg[0])
            nargv[k++] = arg;
        nargv[k++] = (char *)path;
        for (int i = 1; i < argc; i++)
            nargv[k++] = argv[i];
        nargv[k] = NULL;
        file_close(f);
        err = exec_file(interp, nargv, envp, depth + 1);
        kfree(nargv);
        return err;
    }
    struct elf64_ehdr h;
    if (n < (long)sizeof h) {
        err = -ENOEXEC;
        goto out_file;
    }
    memcpy(&h, head, sizeof h);
    if ((err = check_header(&h)) < 0)
        goto out_file;
    struct mm *mm = mm_create();
    if (!mm) {
        err = -ENOMEM;
        goto out_file;
    }
    struct image img = { 0, 0, 0, 0 };
    struct stack_builder sb = { NULL, USER_STACK_TOP, ARG_MAX_BYTES + 4096, 0 };
    if ((err = load_segments(mm, f, &h, &img)) < 0 ||
        (err = map_user_stack(mm, USER_STACK_TOP, USER_STACK_SIZE)) < 0) {
        if (err == -EXEC_KILL_SEGV) { /* past the point of no return on Linux: die */
            mm_put(mm);
            file_close(f);
            process_exit_group(SIGSEGV);
        }
        goto out_mm;
    }
    sb.buf = kmalloc(sb.size);
    uint64_t sp = sb.buf ? build_stack(&sb, path, argv, envp, &img) : 0;
    if (!sp) {
        err = sb.buf ? -E2BIG : -ENOMEM;
        goto out_mm;
    }
    file_close(f);
    commit_exec(mm, path, &img, sp);
    if (copy_to_user(sp, sb.buf + sb.size - sb.used, sb.used) < 0) {
        kfree(sb.buf);
        signal_fault(SIGSEGV, 0, sp); /* cannot happen unless memory ran out while faulting it in */
        return 0;
    }
    kfree(sb.buf);
    return 0;
out_mm:
    kfree(sb.buf);
    mm_put(mm);
out_file:
    file_close(f);
    return err;
}

int do_execve(const char *path, char *const kargv[], char *const kenvp[])
{
    return exec_file(path, kargv, kenvp, 0);
}

/* Copy a user string vector into one kernel buffer; NULL vector = empty. */
static long copy_strings(uaddr_t uvec, char ***out, char *pool, size_t *pool_used, size_t pool_size)
{
    size_t cap = 16, n = 0;
    char **v = kmalloc(cap * sizeof(char *));
    if (!v)
        return -ENOMEM;
    for (; uvec; n++) {
        uint64_t up;
        if (copy_from_user(&up, uvec + n * 8, 8) < 0)
            goto fault;
        if (!up)
            break;
        if (n + 1 >= cap) {
            char **bigger = kmalloc(cap * 2 * sizeof(char *));
            if (!bigger) {
                kfree(v);
                return -ENOMEM;
            }
            memcpy(bigger, v, n * sizeof(char *));
            kfree(v);
            v = bigger;
            cap *= 2;
        }
        long len = strncpy_from_user(pool + *pool_used, up, pool_size - *pool_used);
        if (len < 0) {
            kfree(v);
            return len == -ENAMETOOLONG ? -E2BIG : len;
        }
        v[n] = pool + *pool_used;
        *pool_used += len + 1;
    }
    v[n] = NULL;
    *out = v;
    return 0;
fault:
    kfree(v);
    return -EFAULT;
}

long sys_execve(uaddr_t upath, uaddr_t uargv, uaddr_t uenvp)
{
    char *path = kmalloc(4096);
    char *pool = kmalloc(ARG_MAX_BYTES);
    char **argv = NULL, **envp = NULL;
    size_t used = 0;
    long err = -ENOMEM;
    if (!path || !pool)
        goto out;
    if ((err = strncpy_from_user(path, upath, 4096)) < 0)
        goto out;
    if (path[0] == 0) {
        err = -ENOENT;
        goto out;
    }
    if ((err = copy_strings(uargv, &argv, pool, &used, ARG_MAX_BYTES)) < 0 ||
        (err = copy_strings(uenvp, &envp, pool, &used, ARG_MAX_BYTES)) < 0)
        goto out;
    err = do_execve(path, argv, envp);
out:
    kfree(argv);
    kfree(envp);
    kfree(pool);
    kfree(path);
    return err;
}
