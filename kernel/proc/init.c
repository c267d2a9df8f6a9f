/*
 * Starting user space: mount the root file system, create process 1 and
 * exec init in it: the program given by init= on the command line, or
 * /bin/init. The root is MFS on the first virtio disk (vda, or the disk
 * that root=vdb names); with no disk, root=initrd, or a disk that does not
 * mount, it is a ramfs filled from the boot archive (the first multiboot
 * module, a newc cpio).
 */
#include "proc/init.h"
#include "proc/process.h"
#include "proc/proc_internal.h"
#include "sched/sched.h"
#include "mm/kmalloc.h"
#include "mm/page_table.h"
#include "mm/pmm.h"
#include "fs/vfs.h"
#include "fs/fdtable.h"
#include "fs/fs_struct.h"
#include "fs/tty.h"
#include "arch/x86_64/bootinfo.h"
#include "drivers/blkdev.h"
#include "drivers/console.h"
#include "fs/mfs/mfs.h"
#include "drivers/power.h"
#include "lib/cmdline.h"
#include "lib/errno.h"
#include "lib/string.h"

#define MAX_INIT_ARGS 32

extern struct spinlock rq_lock;
static char *init_argv[MAX_INIT_ARGS + 1];
static char init_args[512];
static char *init_envp[] = { "HOME=/", "PATH=/bin:/usr/bin:/sbin", "TERM=vt100", "USER=root", NULL };

/* Split "prog a 'b c'" into words (single and double quotes group). */
static void split_args(const char *line)
{
    strlcpy(init_args, line, sizeof init_args);
    int n = 0;
    char *p = init_args, *w = init_args;
    while (*p && n < MAX_INIT_ARGS) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        init_argv[n++] = w;
        char quote = 0;
        for (; *p && (quote || *p != ' '); p++) {
            if (!quote && (*p == '\'' || *p == '"'))
                quote = *p;
            else if (quote && *p == quote)
                quote = 0;
            else
                *w++ = *p;
        }
        if (*p)
            p++;
        *w++ = 0;
    }
    init_argv[n] = NULL;
}

/* Give init the console as its standard input, output and error. */
static void open_console(struct process *p)
{
    struct file *f;
    if (vfs_open("/dev/console", 02 /* O_RDWR */, 0, &f) < 0) {
        kprintf("init: cannot open /dev/console; init runs without standard input and output\n");
        return;
    }
    fd_install(p->files, f, 0, 0);
    fd_install(p->files, file_dup(f), 1, 0);
    fd_install(p->files, file_dup(f), 2, 0);
}

/* The first code of process 1, in the kernel: exec init, then enter user mode. */
static void init_task_start(void)
{
    spin_unlock(&rq_lock);
    struct task *t = current_task();
    open_console(t->proc);
    int err = do_execve(init_argv[0], init_argv, init_envp);
    if (err < 0) {
        kprintf("init: cannot exec %s: %s\n", init_argv[0], errno_name(err));
        vfs_shutdown(0); /* nothing else runs yet: leave the disk clean, as a normal power-off does */
        blk_report();
        kprintf("keel: init exited with status 127\n");
        qemu_exit(EXIT_FAIL);
    }
    enter_user(t->tf);
}

/*
 * MFS from the root disk as the super block of /, or NULL for the initrd
 * ramfs (no disk, root=initrd, or a disk that does not mount: one line says so).
 */
static struct super_block *mount_root_disk(struct blkdev **bdev)
{
    const char *name = cmdline.root;
    if (name && strcmp(name, "initrd") == 0)
        return NULL;
    if (name && strncmp(name, "/dev/", 5) == 0)
        name += 5;
    struct blkdev *d = blk_by_name(name ? name : "vda");
    if (!d) {
        if (name)
            kprintf("mfs: no disk %s for the root; / is the initrd in memory\n", name);
        return NULL;
    }
    struct super_block *sb;
    int err = mfs_mount(d, &sb);
    if (err) {
        kprintf("mfs: cannot mount %s as / (%s); / is the initrd in memory\n", blk_name(d), errno_name(err));
        return NULL;
    }
    struct kstatfs st = { 0 };
    if (sb->s_op && sb->s_op->statfs)
        sb->s_op->statfs(sb, &st);
    kprintf("mfs: / on %s (%lu MiB, %lu of %lu blocks free, %lu of %lu inodes free)\n", blk_name(d),
            (unsigned long)(blk_sectors(d) / 2048), (unsigned long)st.bfree, (unsigned long)st.blocks,
            (unsigned long)st.ffree, (unsigned long)st.files);
    *bdev = d;
    return sb;
}

int user_space_available(void)
{
    paddr_t probe = alloc_page_table_with_kernel_mappings();
    if (!probe)
        return 0;
    pmm_free(probe);
    return 1;
}

int start_init(void)
{
    if (!user_space_available()) {
        kprintf("keel: user space needs lab 9a (per-process page tables): alloc_page_table() and "
                "alloc_page_table_with_kernel_mappings() are still stubs; see labs/9a.md\n");
        return -ENOSYS;
    }
    struct blkdev *bdev = NULL;
    struct super_block *root = mount_root_disk(&bdev);
    if (vfs_init_root(root, bdev) != 0 && root) { /* a ktest built the tree first */
        kprintf("mfs: the file tree already exists; %s is not mounted as /\n", blk_name(bdev));
        vfs_discard_sb(root);
        root = NULL;
    }
    console_set_input_handler(tty_input); /* the serial console becomes a terminal */
    if (!root && bootinfo.nmodules > 0) {
        struct boot_module *m = &bootinfo.modules[0];
        if (initrd_unpack(phys_to_virt(m->start), m->end - m->start) < 0)
            kprintf("initrd: the boot archive could not be unpacked; continuing with what was read\n");
    }
    split_args(cmdline.init ? cmdline.init : "/bin/init");
    if (!init_argv[0]) {
        kprintf("init: init= names no program\n");
        return -EINVAL;
    }
    int err;
    struct process *p = process_alloc(&err);
    if (!p)
        return err;
    strlcpy(p->name, "init", sizeof p->name);
    p->pgid = p->sid = p->pid;
    p->exit_signal = 0;
    p->files = fdtable_new();
    p->fs = fs_struct_new();
    p->sighand = kzalloc(sizeof *p->sighand);
    struct task *t = p->files && p->fs && p->sighand ? task_alloc(p) : NULL;
    if (!t) {
        kprintf("init: out of memory starting process 1\n");
        return -ENOMEM;
    }
    p->sighand->refcount = 1;
    spin_init(&p->sighand->lock, "sighand");
    t->tid = p->pid;
    process_add_thread(p, t);
    task_set_entry(t, init_task_start);
    sched_add(t);
    return 0;
}
