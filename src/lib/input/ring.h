/*
 * ring.h - batched opens and reads of a directory's files (io_uring), for
 * input.c; not installed.
 *
 * A directory of small files costs the kernel more than the parsing costs
 * us per file: opening, reading and closing each file is three system calls
 * and most of the time of `diagnose DIR` when the files are cached, and one
 * disk round trip after another when they are not.  One batch here is one
 * system call for up to MM_RING_FILES files (each opened, read into its own
 * slot of MM_RING_SLOT bytes, and closed, linked in the kernel), and when
 * the files are not cached their reads go to the disk together.
 *
 * Without liburing at build time, or where the kernel refuses io_uring (before
 * 5.18, whose linked reads could not use a file opened by the link before them;
 * containers whose seccomp profile forbids it; the
 * kernel.io_uring_disabled sysctl), mm_ring_create() returns NULL and the
 * caller reads files one by one as before.
 */
#ifndef MAILMEDIC_INPUT_RING_H
#define MAILMEDIC_INPUT_RING_H

#include <stddef.h>

#define MM_RING_FILES 32u
#define MM_RING_SLOT (64u << 10)

typedef struct mm_ring mm_ring;

/* A ring with its slots (2 MiB); NULL when io_uring cannot be used here. */
mm_ring *mm_ring_create(void);
void mm_ring_free(mm_ring *r);

/*
 * Open, read and close the n (1..MM_RING_FILES) files names[] relative to
 * the directory dirfd, and wait for all of them.  0, or a negative errno
 * when the batch could not be submitted at all (the ring should then be
 * given up).  The results stay until the next batch.
 */
int mm_ring_read(mm_ring *r, int dirfd, const char *const *names, size_t n);

/*
 * File k of the last batch: the bytes read from its start (*data, good
 * until the next batch), or a negative errno when it could not be opened
 * or read (a directory reads as -EISDIR).  A result of MM_RING_SLOT means
 * the file may be longer: read it the usual way.
 */
long mm_ring_result(const mm_ring *r, size_t k, const char **data);

#endif
