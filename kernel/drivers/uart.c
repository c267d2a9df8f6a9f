/*
 * COM1 (I/O port 0x3F8), 115200 8N1 with FIFOs. Output polls the transmit
 * holding register; input raises IRQ 4, which the IOAPIC routes to the
 * bootstrap CPU, and uart_intr() hands each byte to the console.
 */
#include "drivers/uart.h"
#include "drivers/console.h"
#include "arch/x86_64/cpu.h"

#define COM1 0x3F8
#define RBR 0 /* receive buffer (read) */
#define THR 0 /* transmit holding (write) */
#define IER 1 /* interrupt enable */
#define FCR 2 /* FIFO control */
#define LCR 3 /* line control */
#define MCR 4 /* modem control */
#define LSR 5 /* line status */
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

void uart_init(void)
{
    outb(COM1 + IER, 0x00);
    outb(COM1 + LCR, 0x80); /* divisor latch */
    outb(COM1 + 0, 1);      /* 115200 baud */
    outb(COM1 + 1, 0);
    outb(COM1 + LCR, 0x03); /* 8 bits, no parity, one stop bit */
    outb(COM1 + FCR, 0xC7); /* FIFOs on and cleared, 14-byte threshold */
    outb(COM1 + MCR, 0x0B); /* DTR, RTS, OUT2 (OUT2 gates the IRQ line) */
    outb(COM1 + IER, 0x01); /* interrupt when data arrives */
}

void uart_putc(char c)
{
    for (int i = 0; i < 100000 && !(inb(COM1 + LSR) & LSR_THR_EMPTY); i++)
        cpu_relax();
    outb(COM1 + THR, (uint8_t)c);
}

void uart_intr(void)
{
    while (inb(COM1 + LSR) & LSR_DATA_READY)
        console_input(inb(COM1 + RBR));
}
