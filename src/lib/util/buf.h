/*
 * buf.h - the growable byte buffer used everywhere output is built.
 *
 * An mm_buf always keeps a NUL after its data, so data can be used as a C
 * string.  Appends report MM_ENOMEM instead of aborting; after a failed
 * append the buffer keeps its old contents.  An optional cap turns growth
 * past a limit into MM_ETOOBIG (hostile input must not grow memory freely).
 */
#ifndef MM_UTIL_BUF_H
#define MM_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <mailmedic/status.h>

typedef struct mm_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0 = no limit */
} mm_buf;

#define MM_BUF_INIT {NULL, 0, 0, 0}

void mm_buf_init(mm_buf *b, size_t limit);
void mm_buf_free(mm_buf *b);
void mm_buf_reset(mm_buf *b);
mm_status_t mm_buf_reserve(mm_buf *b, size_t extra);
/* mm_buf_append() when the buffer must grow (or cannot). */
mm_status_t mm_buf_append_grow(mm_buf *b, const void *p, size_t n);
mm_status_t mm_buf_puts(mm_buf *b, const char *s);

/*
 * Inline: the parser and the writers append a few bytes at a time, hundreds
 * of times per message, and almost always there is room.
 */
static inline mm_status_t mm_buf_append(mm_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len <= n || (b->limit && b->len + n > b->limit))
        return mm_buf_append_grow(b, p, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MM_OK;
}

static inline mm_status_t mm_buf_putc(mm_buf *b, char c)
{
    return mm_buf_append(b, &c, 1);
}
mm_status_t mm_buf_printf(mm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the data to the caller (who frees it) and reset the buffer; "" if empty. */
char *mm_buf_detach(mm_buf *b);
/* The data as a C string, "" if nothing was ever appended. */
const char *mm_buf_str(const mm_buf *b);

#endif
