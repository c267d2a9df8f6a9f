/*
 * Pipes. Readers get what is there (or wait for a writer, or see EOF when
 * every write end is closed); writers of at most PIPE_BUF bytes wait until
 * the whole write fits, so it is never interleaved with another; a write
 * with no reader left is EPIPE plus SIGPIPE. Until lab 9c, waiting is
 * polling: check, give up the CPU until the next tick, check again. A
 * signal interrupts a wait with -ERESTARTSYS (EINTR, or a restart under
 * SA_RESTART).
 * Lock: pipe->lock protects the ring and the reader and writer counts.
 */
#include "fs/pipe.h"
#include "fs/tty.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uaccess.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "signal/signal.h"

#define PIPE_PAGES (PIPE_SIZE / PAGE_SIZE)

struct pipe {
    struct spinlock lock;
    char *page[PIPE_PAGES];  /* the ring, one page at a time, allocated on first use */
    uint32_t r, w;          /* free-running read and write counts */
    int readers, writers;   /* open files on each end */
    uint32_t reader_opens, writer_opens; /* ever opened: a FIFO open waits for the other side */
    struct inode *fifo;     /* the named pipe's inode, or NULL for pipe(2) */
};

/* Attaching and detaching a named pipe's ring (inode->pipe). Order: fifo_lock before pipe->lock. */
static struct spinlock fifo_lock = SPINLOCK_INIT("fifo");

static struct super_block pipefs = { .dev = 0x40, .type = "pipefs" };

/* Take n bytes from the ring (p->lock held; they are there). */
static void ring_copy(struct pipe *p, char *dst, size_t n)
{
    while (n) {
        size_t pos = p->r % PIPE_SIZE, in = pos % PAGE_SIZE;
        size_t c = PAGE_SIZE - in < n ? PAGE_SIZE - in : n;
        memcpy(dst, p->page[pos / PAGE_SIZE] + in, c);
        p->r += (uint32_t)c;
        dst += c;
        n -= c;
    }
}

/* Put n bytes into the ring (p->lock held; the room is there): how many fit in allocated pages. */
static size_t ring_fill(struct pipe *p, const char *src, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t pos = p->w % PIPE_SIZE, in = pos % PAGE_SIZE;
        size_t c = PAGE_SIZE - in < n - done ? PAGE_SIZE - in : n - done;
        char **pg = &p->page[pos / PAGE_SIZE];
        if (!*pg) {
            paddr_t pa = pmm_alloc();
            if (!pa)
                break;
            *pg = phys_to_virt(pa);
        }
        memcpy(*pg + in, src + done, c);
        p->w += (uint32_t)c;
        done += c;
    }
    return done;
}

static long pipe_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    (void)off;
    struct pipe *p = f->priv;
    if (n == 0)
        return 0;
    for (;;) {
        spin_lock(&p->lock);
        uint32_t avail = p->w - p->r;
        if (avail) {
            size_t got = n < avail ? n : avail;
            ring_copy(p, buf, got);
            spin_unlock(&p->lock);
            return (long)got;
        }
        int writers = p->writers;
        spin_unlock(&p->lock);
        if (!writers)
            return 0;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (signal_pending())
            return -ERESTARTSYS; /* -EINTR, or a restart under SA_RESTART */
        yield_poll("pipe read");
    }
}

static long pipe_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    (void)off;
    struct pipe *p = f->priv;
    size_t done = 0;
    while (done < n) {
        spin_lock(&p->lock);
        if (!p->readers) {
            spin_unlock(&p->lock);
            if (current_task())
                signal_send_task(current_task(), SIGPIPE);
            return done ? (long)done : -EPIPE;
        }
        size_t room = PIPE_SIZE - (p->w - p->r);
        size_t need = n <= PIPE_BUF ? n : 1; /* small writes go in whole */
        if (room >= need) {
            size_t put = n - done < room ? n - done : room;
            size_t in = ring_fill(p, (const char *)buf + done, put);
            done += in;
            if (in < put) { /* out of memory for a ring page */
                spin_unlock(&p->lock);
                return done ? (long)done : -ENOMEM;
            }
        }
        spin_unlock(&p->lock);
        if (done == n)
            break;
        if (f->flags & O_NONBLOCK)
            return done ? (long)done : -EAGAIN;
        if (signal_pending())
            return done ? (long)done : -ERESTARTSYS;
        yield_poll("pipe write");
    }
    return (long)done;
}

static int pipe_poll_read(struct file *f)
{
    struct pipe *p = f->priv;
    spin_lock(&p->lock);
    int m = (p->w != p->r ? POLLIN | POLLRDNORM : 0) | (!p->writers ? POLLHUP : 0);
    spin_unlock(&p->lock);
    return m;
}

static int pipe_poll_write(struct file *f)
{
    struct pipe *p = f->priv;
    spin_lock(&p->lock);
    int m = (PIPE_SIZE - (p->w - p->r) >= PIPE_BUF ? POLLOUT | POLLWRNORM : 0) | (!p->readers ? POLLERR : 0);
    spin_unlock(&p->lock);
    return m;
}

/* FIONREAD: how many bytes wait in the pipe. */
static long pipe_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    struct pipe *p = f->priv;
    if (cmd != FIONREAD)
        return -ENOTTY;
    spin_lock(&p->lock);
    int n = (int)(p->w - p->r);
    spin_unlock(&p->lock);
    return copy_to_user(arg, &n, sizeof n);
}

/* One end closed for good; the pipe goes with its last end. */
static void pipe_release(struct file *f)
{
    struct pipe *p = f->priv;
    if (p->fifo)
        spin_lock(&fifo_lock);
    spin_lock(&p->lock);
    if (file_readable(f))
        p->readers--;
    if (file_writable(f))
        p->writers--;
    int gone = !p->readers && !p->writers;
    spin_unlock(&p->lock);
    if (gone && p->fifo)
        p->fifo->pipe = 0;
    if (p->fifo)
        spin_unlock(&fifo_lock);
    if (gone) {
        for (size_t i = 0; i < PIPE_PAGES; i++)
            if (p->page[i])
                pmm_free(virt_to_phys(p->page[i]));
        kfree(p);
    }
}

static const struct file_operations pipe_read_fops = {
    .read = pipe_read, .poll = pipe_poll_read, .ioctl = pipe_ioctl, .release = pipe_release,
};
static const struct file_operations pipe_write_fops = {
    .write = pipe_write, .poll = pipe_poll_write, .ioctl = pipe_ioctl, .release = pipe_release,
};

static int pipe_poll_rdwr(struct file *f)
{
    return pipe_poll_read(f) | (pipe_poll_write(f) & ~POLLERR);
}

static const struct file_operations pipe_rdwr_fops = {
    .read = pipe_read, .write = pipe_write, .poll = pipe_poll_rdwr, .ioctl = pipe_ioctl, .release = pipe_release,
};

/*
 * Opening a named pipe: find or make its ring, count the new end, and (unless
 * O_NONBLOCK) wait until the other side has been opened too, as Linux does.
 */
static int fifo_open(struct inode *inode, struct file *f)
{
    int acc = f->flags & O_ACCMODE, nonblock = f->flags & O_NONBLOCK;
    spin_lock(&fifo_lock);
    struct pipe *p = inode->pipe;
    if (!p && (p = kzalloc(sizeof *p)) != 0) {
        spin_init(&p->lock, "pipe");
        p->fifo = inode;
        inode->pipe = p;
    }
    if (!p) {
        spin_unlock(&fifo_lock);
        return -ENOMEM;
    }
    spin_lock(&p->lock);
    if (acc == O_WRONLY && nonblock && !p->readers) {
        int unused = !p->readers && !p->writers;
        spin_unlock(&p->lock);
        if (unused)
            inode->pipe = 0;
        spin_unlock(&fifo_lock);
        if (unused)
            kfree(p);
        return -ENXIO; /* nobody would ever read what we write */
    }
    if (acc != O_WRONLY)
        p->readers++, p->reader_opens++;
    if (acc != O_RDONLY)
        p->writers++, p->writer_opens++;
    uint32_t seen_w = p->writer_opens, seen_r = p->reader_opens;
    spin_unlock(&p->lock);
    spin_unlock(&fifo_lock);
    f->priv = p;
    f->stream = 1;
    f->f_op = acc == O_RDONLY ? &pipe_read_fops : acc == O_WRONLY ? &pipe_write_fops : &pipe_rdwr_fops;
    if (nonblock || acc == O_RDWR)
        return 0;
    for (;;) { /* the caller's file_close undoes the counts if we give up */
        spin_lock(&p->lock);
        int ready = acc == O_RDONLY ? (p->writers || p->writer_opens != seen_w) : (p->readers || p->reader_opens != seen_r);
        spin_unlock(&p->lock);
        if (ready)
            return 0;
        if (signal_pending())
            return -ERESTARTSYS;
        yield_poll(acc == O_RDONLY ? "fifo open for reading" : "fifo open for writing");
    }
}

const struct file_operations fifo_fops = { .open = fifo_open };

int pipe_create(struct file **rd, struct file **wr, int flags)
{
    struct pipe *p = kzalloc(sizeof *p);
    struct inode *ino = inode_alloc(&pipefs, S_IFIFO | 0600);
    struct file *r = 0, *w = 0;
    if (!p || !ino)
        goto fail;
    spin_init(&p->lock, "pipe");
    r = file_alloc(0, ino, O_RDONLY | (flags & O_NONBLOCK));
    w = file_alloc(0, ino, O_WRONLY | (flags & O_NONBLOCK));
    inode_put(ino); /* the files hold it now */
    ino = 0;
    if (!r || !w)
        goto fail;
    r->f_op = &pipe_read_fops;
    w->f_op = &pipe_write_fops;
    r->stream = w->stream = 1;
    r->priv = w->priv = p;
    p->readers = p->writers = 1;
    *rd = r;
    *wr = w;
    return 0;
fail:
    if (r)
        file_close(r);
    if (w)
        file_close(w);
    if (ino)
        inode_put(ino);
    kfree(p);
    return -ENOMEM;
}

/* ---- tests ---- */
#include "test/ktest.h"

KTEST(pipe_semantics)
{
    struct file *r, *w;
    KT_CHECK(pipe_create(&r, &w, O_NONBLOCK) == 0, "pipe_create failed");
    char buf[16];
    KT_CHECK(file_read(r, buf, sizeof buf) == -EAGAIN, "an empty non-blocking read is not EAGAIN");
    KT_CHECK(!(r->f_op->poll(r) & POLLIN) && (w->f_op->poll(w) & POLLOUT), "poll on an empty pipe");
    KT_CHECK(file_write(w, "0123456789", 10) == 10, "write of 10 bytes");
    KT_CHECK(r->f_op->poll(r) & POLLIN, "poll does not see the data");
    KT_CHECK(file_read(r, buf, 4) == 4 && memcmp(buf, "0123", 4) == 0, "first read");
    KT_CHECK(file_read(r, buf, sizeof buf) == 6 && memcmp(buf, "456789", 6) == 0, "a read returns what is there");
    KT_CHECK(file_pread(r, buf, 1, 0) == -EAGAIN && file_write(r, "x", 1) == -EBADF, "writing the read end");

    /* Fill it: a big write stops at 64 KiB, a small one is all or nothing. */
    char *big = kzalloc(PIPE_SIZE + 100);
    KT_CHECK(file_write(w, big, PIPE_SIZE + 100) == PIPE_SIZE, "a big non-blocking write is not partial");
    KT_CHECK(file_write(w, big, 1) == -EAGAIN, "a write to a full pipe is not EAGAIN");
    KT_CHECK(!(w->f_op->poll(w) & POLLOUT), "a full pipe polls writable");
    KT_CHECK(file_read(r, big, 100) == 100, "draining 100 bytes");
    KT_CHECK(file_write(w, big, 200) == -EAGAIN, "a 200-byte write into 100 free bytes is not atomic");
    KT_CHECK(file_write(w, big, PIPE_BUF + 1) == 100, "a write above PIPE_BUF is not split");
    long total = 0, n;
    while ((n = file_read(r, big, PIPE_SIZE)) > 0)
        total += n;
    KT_CHECK(total == PIPE_SIZE && n == -EAGAIN, "drained %ld bytes, then %ld", total, n);
    kfree(big);

    /* End of file once the writers are gone; EPIPE once the readers are. */
    file_write(w, "ab", 2);
    file_close(w);
    KT_CHECK(r->f_op->poll(r) & POLLHUP, "no POLLHUP without writers");
    KT_CHECK(file_read(r, buf, sizeof buf) == 2, "data written before the close is lost");
    KT_CHECK(file_read(r, buf, sizeof buf) == 0, "no end of file without writers");
    file_close(r);
    KT_CHECK(pipe_create(&r, &w, 0) == 0, "second pipe_create failed");
    file_close(r);
    KT_CHECK(file_write(w, "x", 1) == -EPIPE, "a write without readers is not EPIPE");
    KT_CHECK(w->f_op->poll(w) & POLLERR, "no POLLERR without readers");
    file_close(w);

    /* The ring's pages come back with the last end. */
    uint64_t frames = pmm_free_count();
    KT_CHECK(pipe_create(&r, &w, O_NONBLOCK) == 0, "third pipe_create failed");
    static char chunk[3 * PAGE_SIZE];
    KT_CHECK(file_write(w, chunk, sizeof chunk) == sizeof chunk, "a three-page write failed");
    KT_CHECK(pmm_free_count() + 3 <= frames, "the ring did not take pages");
    file_close(r);
    file_close(w);
    KT_CHECK(pmm_free_count() == frames, "%ld ring pages leaked", (long)(frames - pmm_free_count()));
    return KT_OK;
}

KTEST(fifo_named)
{
    vfs_init();
    struct file *r, *w;
    char buf[8];
    KT_CHECK(vfs_mknod(0, "/tmp/kt_fifo", S_IFIFO | 0600, 0) == 0, "mkfifo failed");
    KT_CHECK(vfs_open("/tmp/kt_fifo", O_WRONLY | O_NONBLOCK, 0, &w) == -ENXIO, "a writer without readers");
    KT_CHECK(vfs_open("/tmp/kt_fifo", O_RDONLY | O_NONBLOCK, 0, &r) == 0, "non-blocking open for reading");
    KT_CHECK(file_read(r, buf, sizeof buf) == 0, "no writer yet: end of file");
    KT_CHECK(vfs_open("/tmp/kt_fifo", O_WRONLY | O_NONBLOCK, 0, &w) == 0, "open for writing with a reader");
    KT_CHECK(r->inode->pipe && r->priv == w->priv, "the two ends do not share one ring");
    KT_CHECK(file_write(w, "abc", 3) == 3 && file_read(r, buf, sizeof buf) == 3, "data through the fifo");
    KT_CHECK(file_read(r, buf, sizeof buf) == -EAGAIN, "an open writer but no data is not EAGAIN");
    struct inode *ino = r->inode;
    file_close(w);
    file_close(r);
    KT_CHECK(ino->pipe == 0, "the ring stayed after the last close");
    KT_CHECK(vfs_unlink(0, "/tmp/kt_fifo") == 0, "unlink of the fifo failed");
    return KT_OK;
}
