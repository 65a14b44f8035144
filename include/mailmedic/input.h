/*
 * input.h - read messages one at a time from files, directories (plain or
 * Maildir), mbox files and standard input.
 *
 * Streaming: only the current message is in memory, and at most
 * max_message_bytes of it (the rest is skipped and the message is flagged as
 * truncated), so memory does not grow with the number or size of messages.
 * An mbox is split on "From " lines that follow a blank line, and on full
 * RFC 4155 envelope lines ("From sender Thu Jul  2 12:05:05 2020") anywhere;
 * the "From " line (the envelope) is not part of the message it starts, and
 * ">From " is unescaped (mboxrd).  A file that does not start with "From " is one
 * message, read only up to max_message_bytes.  A regular file is read up to
 * the size it had when it was opened: bytes appended while it is read may be
 * left for the next run.
 */
#ifndef MAILMEDIC_INPUT_H
#define MAILMEDIC_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_input mm_input;

/* One message handed out by mm_input_next(); all borrowed until the next call
 * or mm_input_destroy() (bytes may point into the reader's own buffer). */
typedef struct mm_input_msg {
    const char *source; /* the path the message came from ("-" for stdin) */
    size_t index;       /* 0-based position of the message within source */
    const char *bytes;  /* not NUL-terminated */
    size_t len;
    bool truncated;     /* the message was longer than the limit */
    bool kept;          /* keep mode: bytes stay valid until released (see mm_input_keep) */
} mm_input_msg;

/*
 * Open a list of paths ("-" = standard input).  Directories are walked in
 * name order (hidden entries and Maildir tmp/ skipped).  max_message_bytes
 * 0 means 8 MiB.  *out is freed with mm_input_destroy().
 */
MM_EXTERN mm_status_t mm_input_open(const char *const *paths, size_t npaths,
                                    size_t max_message_bytes, mm_input **out);

/*
 * The next message.  MM_OK: *msg is filled.  MM_ENOTFOUND: no more input.
 * Any other status is an error about one source (msg->source names it); the
 * caller reports it and calls mm_input_next() again to go on.
 */
MM_EXTERN mm_status_t mm_input_next(mm_input *in, mm_input_msg *msg, char *why, size_t whylen);

MM_EXTERN void mm_input_destroy(mm_input *in);

/*
 * Keep mode, for a caller that hands messages to other threads: a message
 * with msg->kept set stays where it is after the next call, until
 * mm_input_release() lets it go or mm_input_destroy() frees everything, so
 * it need not be copied.  Messages the reader had to put together (cut at
 * the limit, ">From " lines unescaped, or, when the reader must move on to a
 * new 1 MiB read block, already longer than half of one) are handed out as
 * usual, valid until the next call, with kept false.  Memory grows with the
 * messages not released: release them as soon as they are done with, and
 * watch mm_input_held().  Call it right after mm_input_open(), before the
 * first mm_input_next(): later it returns MM_EINVAL.  Without memory for a
 * read block later on, the source being read ends with an MM_EIO error
 * ("Cannot allocate memory"); kept messages are never moved.
 */
MM_EXTERN mm_status_t mm_input_keep(mm_input *in);

/*
 * Batched reads (on by default): the regular files of a directory are
 * opened, read and closed up to 32 at a time through io_uring, one system
 * call per batch, and read from the disk together when they are not
 * cached.  Where io_uring cannot be used (built without liburing, a kernel
 * before 5.18, a container that forbids it) and on file systems whose
 * reads may stop short of a file's end (sysfs, FUSE, network file systems:
 * batches are used on ext2/3/4, xfs, btrfs, f2fs and tmpfs), files are read
 * one by one; the messages are the same either way.  Call it before the first
 * mm_input_next(): later it returns MM_EINVAL.
 */
MM_EXTERN mm_status_t mm_input_batch_reads(mm_input *in, bool on);

/* Keep mode: the bytes of the read blocks that hold messages not released.
 * A block is held by any kept message in it, however short, so this can
 * grow faster than the messages' own sizes (short messages between long
 * ones cut at the limit): a caller bounds its memory by this figure. */
MM_EXTERN size_t mm_input_held(const mm_input *in);

/* The messages handed out so far, as a mark for mm_input_release() (which
 * matters in keep mode only). */
MM_EXTERN unsigned long long mm_input_mark(const mm_input *in);

/* Keep mode: every message handed out before mark (a value mm_input_mark()
 * returned) is no longer used; the blocks holding only those are reused. */
MM_EXTERN void mm_input_release(mm_input *in, unsigned long long mark);

#ifdef __cplusplus
}
#endif
#endif
