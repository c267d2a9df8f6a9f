/*
 * Console output and a small input ring.
 * Lock order: console.lock is a leaf; nothing else is taken while holding it.
 */
#include "drivers/console.h"
#include "drivers/uart.h"
#include "lib/printf.h"
#include "sched/spinlock.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"

static struct spinlock out_lock = SPINLOCK_INIT("console.out");
static volatile int panicking_cpu = -1;

#define INPUT_SIZE 256
static struct {
    struct spinlock lock;
    char buf[INPUT_SIZE];
    unsigned head, tail; /* read at head, write at tail */
} input = { SPINLOCK_INIT("console.in"), { 0 }, 0, 0 };

void console_init(void)
{
    uart_init();
}

static void write_raw(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (s[i] == '\n')
            uart_putc('\r');
        uart_putc(s[i]);
    }
}

void console_write_unlocked(const char *s)
{
    int n = 0;
    while (s[n])
        n++;
    write_raw(s, n);
}

void kvprintf(const char *fmt, va_list ap)
{
    char line[512];
    int n = kvsnprintf(line, sizeof line, fmt, ap);
    if (n > (int)sizeof line - 1)
        n = sizeof line - 1;
    /* A panicking CPU owns the console; everybody else stays quiet. */
    if (panicking_cpu >= 0) {
        if (panicking_cpu == cpu_id())
            write_raw(line, n);
        return;
    }
    spin_lock(&out_lock);
    write_raw(line, n);
    spin_unlock(&out_lock);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void console_lock_for_panic(void)
{
    int me = cpu_id();
    int expected = -1;
    if (!__atomic_compare_exchange_n(&panicking_cpu, &expected, me, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) &&
        expected != me)
        halt_forever(); /* another CPU is already reporting a panic */
    /* Let a line in progress on another CPU finish, but do not wait forever. */
    for (int i = 0; i < 1000000 && out_lock.locked && out_lock.cpu != me; i++)
        cpu_relax();
}

static void (*input_handler)(char c);

void console_set_input_handler(void (*handler)(char c))
{
    input_handler = handler;
}

void console_input(char c)
{
    if (input_handler) {
        input_handler(c);
        return;
    }
    spin_lock(&input.lock);
    if (input.tail - input.head < INPUT_SIZE)
        input.buf[input.tail++ % INPUT_SIZE] = c;
    spin_unlock(&input.lock);
}

int console_getc(void)
{
    int c = -1;
    spin_lock(&input.lock);
    if (input.head != input.tail)
        c = (unsigned char)input.buf[input.head++ % INPUT_SIZE];
    spin_unlock(&input.lock);
    return c;
}
