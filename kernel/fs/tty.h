/*
 * The terminal on the serial console: a line discipline (canonical mode
 * with echo and erase, signals from ^C and ^\, raw mode through TCSETS)
 * and the tty ioctls. /dev/console and /dev/tty both open it.
 */
#pragma once
#include <stdint.h>

struct file_operations;

/* Linux's kernel struct termios (what TCGETS/TCSETS copy): 36 bytes. */
#define NCCS 19
struct termios_k {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[NCCS];
};

struct winsize_k {
    uint16_t ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* c_iflag */
#define IGNCR 0000200
#define ICRNL 0000400
#define INLCR 0000100
#define IXON 0002000
/* c_oflag */
#define OPOST 0000001
#define ONLCR 0000004
/* c_lflag */
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define NOFLSH 0000200
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000
/* c_cc indices */
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSUSP 10
#define VEOL 11

/* ioctl numbers */
#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCSCTTY 0x540E
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define FIONBIO 0x5421
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429

extern const struct file_operations tty_fops;

/* A byte from the COM1 interrupt. */
void tty_input(char c);
