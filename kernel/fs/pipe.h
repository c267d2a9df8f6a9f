/* Pipes: a 64 KiB ring (16 pages, allocated as data arrives) between a read end and a write end. */
#pragma once

struct file;
struct file_operations;

#define PIPE_SIZE 65536

/* Two new files, the read end and the write end; flags may hold O_NONBLOCK. */
int pipe_create(struct file **rd, struct file **wr, int flags);

/* The operations of a named pipe (mkfifo): opening attaches the inode's ring. */
extern const struct file_operations fifo_fops;
