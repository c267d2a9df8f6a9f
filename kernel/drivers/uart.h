/* The 16550 UART on COM1: polled output, interrupt-driven input. */
#pragma once

void uart_init(void);
void uart_putc(char c);
/* Called from the COM1 interrupt: moves received bytes into the console. */
void uart_intr(void);
