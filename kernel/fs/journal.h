/*
 * The journal: makes each file-system operation atomic across a crash (an
 * xv6-style redo log of whole metadata blocks; the on-disk layout is in
 * fs/mfs/mfs_format.h). Usage, for one operation:
 *
 *     journal_begin(j);          // may sleep until the log has room
 *     bread(...); modify b->data; journal_write(j, b); brelse(b);
 *     ...
 *     err = journal_end(j);      // commits if we were the last operation
 *
 * An operation may log at most JOURNAL_MAX_OP_BLOCKS distinct blocks;
 * bigger work (a 100 MiB write) is split into several operations. Several
 * operations running at once share one transaction (group commit), which
 * commits when the last of them ends. Until lab 9c, journal_end() returns
 * only once its transaction is durable on disk (write-through).
 *
 * Ordering rules the users keep:
 *   - file data is written to its blocks before the operation that makes an
 *     inode point at them ends (ordered mode: no garbage after a crash);
 *   - a block freed by a transaction must not be reused before that
 *     transaction commits; the journal calls the commit hook after each
 *     commit so the allocator can release such blocks.
 */
#pragma once
#include <stdint.h>
#include <stddef.h>

#include "lib/errno.h" /* EUCLEAN */

struct blkdev;
struct buf;
struct journal;

#define JOURNAL_MAX_OP_BLOCKS 32

/*
 * Open the journal at [start, start + nblocks) on d, replaying a committed
 * transaction if one is there. 0, -EIO (unreadable), -EUCLEAN (the header is
 * not a journal header, or nonsense), -ENOMEM.
 * replayed (may be NULL) receives the number of blocks replayed.
 */
int journal_open(struct blkdev *d, uint64_t start, uint64_t nblocks, struct journal **out, int *replayed);
/* Commit what is pending and free the journal (unmount). */
int journal_close(struct journal *j);

/*
 * Start an operation. Sleeps (sleep_on_flag, woken by the committer) while a
 * commit runs or while the log might not hold this op's worst case. Never
 * call it inside another operation, or while holding a lock that an
 * operation (or the commit hook) takes: the commit waits for every op to end.
 * After an I/O error it returns at once; journal_end then says -EIO.
 */
void journal_begin(struct journal *j);
/* Record that b (locked, referenced) was modified by the current operation. */
void journal_write(struct journal *j, struct buf *b);
/* End the operation; 0, or -EIO if the commit it waited for failed. */
int journal_end(struct journal *j);
/* Commit now and wait until everything logged so far is durable (sync, fsync). */
int journal_sync(struct journal *j);
/*
 * Called after each successful commit, outside the journal's locks but
 * before any new operation may begin (so blocks freed by later operations
 * are not released early). The hook must not call journal_begin.
 */
void journal_set_commit_hook(struct journal *j, void (*hook)(void *arg), void *arg);

/* Counters for tests and the bench. */
struct journal_stats {
    uint64_t commits, blocks_logged, replays;
    uint64_t ops;            /* journal_begin calls */
    uint64_t commit_ns;      /* time spent committing, all commits together */
};
void journal_get_stats(struct journal *j, struct journal_stats *out);
/* mfs_crc32c(0, data, len), table-driven (slicing by 8): for whoever checksums a lot. */
uint32_t journal_crc32c(const void *data, size_t len);
/* 0, or the error (-EIO) that stopped the journal: later operations all fail. */
int journal_error(struct journal *j);
