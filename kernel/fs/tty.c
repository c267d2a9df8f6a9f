/*
 * The serial console as a terminal. Input arrives byte by byte from the
 * COM1 interrupt (tty_input) into a ring: [r, e) is ready to read, [e, w)
 * is the line being edited in canonical mode. A canonical read returns at
 * most one line; VEOF (^D) ends a line without a newline and is stored as
 * a marker that a read consumes unseen, so ^D on an empty line reads as 0.
 * Locks: tty.lock (taken in the interrupt; spin_lock masks interrupts)
 * protects the ring, termios, winsize and the session fields; out_lock
 * serializes output to the UART. Order: tty.lock before out_lock.
 */
#include "fs/tty.h"
#include "fs/vfs.h"
#include "arch/x86_64/time.h"
#include "drivers/uart.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/uaccess.h"
#include "proc/process.h"
#include "sched/sched.h"
#include "signal/signal.h"

#define TTY_BUF 4096

static struct {
    struct spinlock lock;
    char buf[TTY_BUF];
    uint32_t r, e, w;          /* read, end of committed input, write (free-running) */
    struct termios_k termios;
    struct winsize_k winsize;
    int sid, pgrp;             /* the session it controls, its foreground group */
} tty = {
    .lock = SPINLOCK_INIT("tty"),
    .termios = {
        .c_iflag = ICRNL | IXON,
        .c_oflag = OPOST | ONLCR,
        .c_cflag = 0000017 | 0000060 | 0000200, /* B38400 CS8 CREAD */
        .c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        .c_cc = { [VINTR] = 3, [VQUIT] = 0x1c, [VERASE] = 0x7f, [VKILL] = 0x15, [VEOF] = 4, [VTIME] = 0,
                  [VMIN] = 1, [VSUSP] = 0x1a },
    },
    .winsize = { 24, 80, 0, 0 },
};

static struct spinlock out_lock = SPINLOCK_INIT("tty.out");

/* One output byte with the output processing (ONLCR); out_lock held. */
static void put_byte(char c)
{
    if (c == '\n' && (tty.termios.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR))
        uart_putc('\r');
    uart_putc(c);
}

/* Echo an input byte; control characters show as ^X with ECHOCTL. tty.lock held. */
static void echo(char c)
{
    if (!(tty.termios.c_lflag & ECHO))
        return;
    spin_lock(&out_lock);
    if ((unsigned char)c < ' ' && c != '\n' && c != '\t' && (tty.termios.c_lflag & ECHOCTL)) {
        put_byte('^');
        put_byte((char)(c + 64));
    } else {
        put_byte(c);
    }
    spin_unlock(&out_lock);
}

static void echo_erase(void)
{
    if (!(tty.termios.c_lflag & ECHO))
        return;
    spin_lock(&out_lock);
    uart_putc('\b');
    uart_putc(' ');
    uart_putc('\b');
    spin_unlock(&out_lock);
}

/* The line discipline for one received byte. Signals go out after the lock is dropped. */
void tty_input(char c)
{
    int sig = 0, pgrp = 0;
    spin_lock(&tty.lock);
    struct termios_k *t = &tty.termios;
    if (c == '\r' && (t->c_iflag & IGNCR))
        goto out;
    if (c == '\r' && (t->c_iflag & ICRNL))
        c = '\n';
    else if (c == '\n' && (t->c_iflag & INLCR))
        c = '\r';
    if (t->c_lflag & ISIG) {
        if (c == (char)t->c_cc[VINTR] || c == (char)t->c_cc[VQUIT]) {
            sig = c == (char)t->c_cc[VINTR] ? SIGINT : SIGQUIT;
            pgrp = tty.pgrp;
            if (!(t->c_lflag & NOFLSH))
                tty.r = tty.e = tty.w;
            echo(c);
            goto out;
        }
        if (c == (char)t->c_cc[VSUSP]) /* no job control: ^Z is ignored */
            goto out;
    }
    if (t->c_lflag & ICANON) {
        if (c == (char)t->c_cc[VERASE] || c == '\b') {
            if (tty.w != tty.e) {
                tty.w--;
                echo_erase();
            }
            goto out;
        }
        if (c == (char)t->c_cc[VKILL]) {
            while (tty.w != tty.e) {
                tty.w--;
                echo_erase();
            }
            goto out;
        }
        if (c == (char)t->c_cc[VEOF]) {
            if (tty.w - tty.r < TTY_BUF) {
                tty.buf[tty.w++ % TTY_BUF] = c;
                tty.e = tty.w;
            }
            goto out;
        }
        /* Keep room for the newline that ends a full line. */
        if (tty.w - tty.r >= TTY_BUF - 1 && c != '\n')
            goto out;
        if (tty.w - tty.r >= TTY_BUF)
            goto out;
        tty.buf[tty.w++ % TTY_BUF] = c;
        echo(c);
        if (c == '\n' || (t->c_cc[VEOL] && c == (char)t->c_cc[VEOL]))
            tty.e = tty.w;
    } else {
        if (tty.w - tty.r < TTY_BUF) {
            tty.buf[tty.w++ % TTY_BUF] = c;
            tty.e = tty.w;
            echo(c);
        }
    }
out:
    spin_unlock(&tty.lock);
    if (sig && pgrp > 0)
        signal_send_pgrp(pgrp, sig);
}

/* Take what a read may return right now (tty.lock held): bytes, or -EAGAIN if it must wait. */
static long take_input(char *buf, size_t n, uint64_t start_ns)
{
    struct termios_k *t = &tty.termios;
    uint32_t avail = tty.e - tty.r;
    if (t->c_lflag & ICANON) {
        if (!avail)
            return -EAGAIN;
        size_t got = 0;
        while (got < n && tty.r != tty.e) {
            char c = tty.buf[tty.r % TTY_BUF];
            if (c == (char)t->c_cc[VEOF]) {
                tty.r++; /* ends the line unseen; alone it makes read return 0 */
                break;
            }
            tty.r++;
            buf[got++] = c;
            if (c == '\n')
                break;
        }
        return (long)got;
    }
    size_t vmin = t->c_cc[VMIN], vtime = t->c_cc[VTIME];
    int timed_out = vtime && time_ns() - start_ns >= vtime * 100000000ull;
    if (vmin > n)
        vmin = n;
    if (avail < vmin && !(avail && timed_out)) {
        if (vmin == 0 && (vtime == 0 || timed_out))
            return 0;
        if (vmin || !avail)
            return -EAGAIN;
    }
    size_t got = 0;
    while (got < n && tty.r != tty.e)
        buf[got++] = tty.buf[tty.r++ % TTY_BUF];
    return (long)got;
}

static long tty_read(struct file *f, void *buf, size_t n, uint64_t off)
{
    (void)off;
    if (n == 0)
        return 0;
    uint64_t start = time_ns();
    for (;;) {
        spin_lock(&tty.lock);
        long r = take_input(buf, n, start);
        spin_unlock(&tty.lock);
        if (r != -EAGAIN)
            return r;
        if (f->flags & O_NONBLOCK)
            return -EAGAIN;
        if (signal_pending())
            return -ERESTARTSYS; /* -EINTR, or a restart under SA_RESTART */
        yield_poll("tty read");
    }
}

static long tty_write(struct file *f, const void *buf, size_t n, uint64_t off)
{
    (void)f, (void)off;
    const char *s = buf;
    for (size_t i = 0; i < n; i += 256) { /* let interrupts in between pieces */
        spin_lock(&out_lock);
        for (size_t j = i; j < n && j < i + 256; j++)
            put_byte(s[j]);
        spin_unlock(&out_lock);
    }
    return (long)n;
}

static int tty_poll(struct file *f)
{
    (void)f;
    spin_lock(&tty.lock);
    int ready = tty.e != tty.r;
    spin_unlock(&tty.lock);
    return POLLOUT | POLLWRNORM | (ready ? POLLIN | POLLRDNORM : 0);
}

/* A process without a terminal that opens this one gets it as its controlling tty. */
static int tty_open(struct inode *inode, struct file *f)
{
    (void)inode;
    f->stream = 1;
    struct process *p = current_proc();
    if (!p || (f->flags & O_NOCTTY))
        return 0;
    spin_lock(&tty.lock);
    if (!tty.sid) {
        tty.sid = p->sid;
        tty.pgrp = p->pgid;
    }
    spin_unlock(&tty.lock);
    return 0;
}

static long tty_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
    (void)f;
    struct process *p = current_proc();
    struct termios_k t;
    struct winsize_k ws;
    int v;
    switch (cmd) {
    case TCGETS:
        spin_lock(&tty.lock);
        t = tty.termios;
        spin_unlock(&tty.lock);
        return copy_to_user(arg, &t, sizeof t);
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        if (copy_from_user(&t, arg, sizeof t))
            return -EFAULT;
        spin_lock(&tty.lock);
        if (cmd == TCSETSF)
            tty.r = tty.e = tty.w;
        else if (!(t.c_lflag & ICANON))
            tty.e = tty.w; /* a half-typed line becomes readable in raw mode */
        tty.termios = t;
        spin_unlock(&tty.lock);
        return 0;
    case TIOCGWINSZ:
        spin_lock(&tty.lock);
        ws = tty.winsize;
        spin_unlock(&tty.lock);
        return copy_to_user(arg, &ws, sizeof ws);
    case TIOCSWINSZ:
        if (copy_from_user(&ws, arg, sizeof ws))
            return -EFAULT;
        spin_lock(&tty.lock);
        tty.winsize = ws;
        spin_unlock(&tty.lock);
        return 0;
    case TIOCGPGRP:
        v = tty.pgrp ? tty.pgrp : (p ? p->pgid : 0);
        return copy_to_user(arg, &v, sizeof v);
    case TIOCSPGRP:
        if (copy_from_user(&v, arg, sizeof v))
            return -EFAULT;
        if (v < 0)
            return -EINVAL;
        spin_lock(&tty.lock);
        tty.pgrp = v;
        spin_unlock(&tty.lock);
        return 0;
    case TIOCGSID:
        v = tty.sid;
        if (!v)
            return -ENOTTY;
        return copy_to_user(arg, &v, sizeof v);
    case TIOCSCTTY:
        spin_lock(&tty.lock);
        if (p) {
            tty.sid = p->sid;
            tty.pgrp = p->pgid;
        }
        spin_unlock(&tty.lock);
        return 0;
    case TIOCNOTTY:
        spin_lock(&tty.lock);
        if (p && tty.sid == p->sid)
            tty.sid = tty.pgrp = 0;
        spin_unlock(&tty.lock);
        return 0;
    case FIONREAD:
        spin_lock(&tty.lock);
        v = (int)(tty.e - tty.r);
        spin_unlock(&tty.lock);
        return copy_to_user(arg, &v, sizeof v);
    default:
        return -ENOTTY;
    }
}

const struct file_operations tty_fops = {
    .open = tty_open,
    .read = tty_read,
    .write = tty_write,
    .ioctl = tty_ioctl,
    .poll = tty_poll,
};

/* ---- tests ---- */
#include "test/ktest.h"

static void kt_type(const char *s)
{
    while (*s)
        tty_input(*s++);
}

KTEST(tty_line_discipline)
{
    struct termios_k saved = tty.termios;
    struct file f = { .flags = O_RDWR | O_NONBLOCK, .f_op = &tty_fops };
    char buf[32];
    spin_lock(&tty.lock);
    tty.r = tty.e = tty.w = 0;
    tty.termios.c_lflag &= ~(uint32_t)ECHO; /* keep the test quiet on the console */
    spin_unlock(&tty.lock);

    kt_type("abc");
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == -EAGAIN, "a half-typed line is readable");
    KT_CHECK(!(tty_poll(&f) & POLLIN), "poll sees a half-typed line");
    kt_type("x\x7f\x7f" "d\r");
    long n = tty_read(&f, buf, sizeof buf, 0);
    KT_CHECK(n == 4 && memcmp(buf, "abd\n", 4) == 0, "erase and ICRNL: got %ld bytes", n);
    kt_type("junk\x15ok\n");
    n = tty_read(&f, buf, sizeof buf, 0);
    KT_CHECK(n == 3 && memcmp(buf, "ok\n", 3) == 0, "^U did not kill the line (%ld bytes)", n);
    kt_type("one\ntwo\n");
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == 4, "a canonical read returned more than one line");
    KT_CHECK(tty_read(&f, buf, 2, 0) == 2 && tty_read(&f, buf, sizeof buf, 0) == 2, "a line split over two reads");
    kt_type("\x04");
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == 0, "^D on an empty line does not read as end of file");
    kt_type("ab\x04");
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == 2, "^D after text does not push the line");
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == -EAGAIN, "^D after text left an end of file behind");
    kt_type("zz\x03");
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == -EAGAIN, "^C did not flush the line");
    kt_type("\x1a");
    KT_CHECK(tty.w == tty.e, "^Z was stored");

    /* Raw mode: bytes are readable at once, VMIN=0 VTIME=0 polls. */
    spin_lock(&tty.lock);
    tty.termios.c_lflag &= ~(uint32_t)(ICANON | ISIG);
    tty.termios.c_cc[VMIN] = 0;
    tty.termios.c_cc[VTIME] = 0;
    spin_unlock(&tty.lock);
    f.flags = O_RDWR;
    KT_CHECK(tty_read(&f, buf, sizeof buf, 0) == 0, "raw VMIN=0 read of nothing is not 0");
    kt_type("q\x03\x04");
    n = tty_read(&f, buf, sizeof buf, 0);
    KT_CHECK(n == 3 && buf[0] == 'q' && buf[1] == 3 && buf[2] == 4, "raw bytes: got %ld", n);

    spin_lock(&tty.lock);
    tty.termios = saved;
    tty.r = tty.e = tty.w;
    spin_unlock(&tty.lock);
    return KT_OK;
}
