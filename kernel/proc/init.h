/* Process 1. */
#pragma once

/* Is lab 9a's page-table code in place (can a process get an address space)? */
int user_space_available(void);
/* Unpack the boot archive and start init; 0, or -errno with a message printed. */
int start_init(void);
