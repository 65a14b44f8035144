/*
 * buf.c - growable byte buffer (see buf.h).  Growth doubles, so a sequence of
 * appends costs amortised O(n); the NUL terminator is always kept in place.
 */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mm_buf_init(mm_buf *b, size_t limit)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->limit = limit;
}

void mm_buf_free(mm_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void mm_buf_reset(mm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

mm_status_t mm_buf_reserve(mm_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return MM_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (b->limit && need > b->limit + 1)
        return MM_ETOOBIG;
    if (need <= b->cap)
        return MM_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return MM_ENOMEM;
    b->data = p;
    b->cap = cap;
    return MM_OK;
}

mm_status_t mm_buf_append_grow(mm_buf *b, const void *p, size_t n)
{
    mm_status_t st = mm_buf_reserve(b, n);
    if (st != MM_OK)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return MM_OK;
}

mm_status_t mm_buf_puts(mm_buf *b, const char *s)
{
    return mm_buf_append(b, s, strlen(s));
}

mm_status_t mm_buf_printf(mm_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return MM_EINVAL;
    if ((size_t)n < sizeof small)
        return mm_buf_append(b, small, (size_t)n);
    mm_status_t st = mm_buf_reserve(b, (size_t)n);
    if (st != MM_OK)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return MM_OK;
}

char *mm_buf_detach(mm_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

const char *mm_buf_str(const mm_buf *b)
{
    return b->data ? b->data : "";
}
