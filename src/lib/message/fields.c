/*
 * fields.c - "Name: value" blocks (RFC 5322 section 2.2 header syntax), used
 * for the top-level header, delivery-status blocks (RFC 3464 section 2.1) and
 * the headers of an attached original message.  Folded lines are joined with
 * one space.
 */
#include "message.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

const char *mm_fields_get(const mm_fields *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].name[0] && strcasecmp(f->v[i].name, name) == 0)
            return f->v[i].value;
    return NULL;
}

mm_status_t mm_fields_add(mm_arena *a, mm_fields *f, const char *name, size_t nlen,
                          const char *value, size_t vlen)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        mm_field *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return MM_ENOMEM;
        f->v = v;
        f->cap = cap;
    }
    char *n = mm_arena_strndup(a, name, nlen);
    char *val = mm_arena_strndup(a, value, vlen);
    if (!n || !val)
        return MM_ENOMEM;
    mm_squeeze_space(val);
    f->v[f->n].name = mm_strtrim(n);
    f->v[f->n].value = mm_strtrim(val);
    f->n++;
    return MM_OK;
}

static bool is_field_name_char(char c)
{
    return c > 32 && c < 127 && c != ':';
}

/* Length of the field name if line starts with "Name:", else 0. */
static size_t field_name_len(const char *p, const char *end)
{
    const char *q = p;
    while (q < end && is_field_name_char(*q))
        q++;
    if (q == p || q >= end)
        return 0;
    const char *name_end = q;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return (q < end && *q == ':') ? (size_t)(name_end - p) : 0;
}

mm_status_t mm_fields_parse_block(mm_arena *a, const char *text, size_t len, mm_fields *f)
{
    const char *p = text, *end = text + len;
    mm_buf val = MM_BUF_INIT;
    const char *name = NULL;
    size_t nlen = 0;
    mm_status_t st = MM_OK;
    bool last_blank = true;

    while (p < end && st == MM_OK) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (le > p && le[-1] == '\r')
            le--;
        bool blank = true;
        for (const char *q = p; q < le; q++)
            if (*q != ' ' && *q != '\t')
                blank = false;
        if (blank) {
            if (name)
                st = mm_fields_add(a, f, name, nlen, mm_buf_str(&val), val.len);
            name = NULL;
            if (!last_blank && st == MM_OK)
                st = mm_fields_add(a, f, "", 0, "", 0);
            last_blank = true;
        } else if ((*p == ' ' || *p == '\t') && name) {
            if (mm_buf_putc(&val, ' ') != MM_OK || mm_buf_append(&val, p, (size_t)(le - p)) != MM_OK)
                st = MM_ENOMEM;
        } else {
            size_t k = field_name_len(p, le);
            if (name)
                st = mm_fields_add(a, f, name, nlen, mm_buf_str(&val), val.len);
            name = NULL;
            if (k && st == MM_OK) {
                name = p;
                nlen = k;
                const char *v = memchr(p, ':', (size_t)(le - p)) + 1;
                mm_buf_reset(&val);
                if (mm_buf_append(&val, v, (size_t)(le - v)) != MM_OK)
                    st = MM_ENOMEM;
            }
            last_blank = false;
        }
        p = next;
    }
    if (name && st == MM_OK)
        st = mm_fields_add(a, f, name, nlen, mm_buf_str(&val), val.len);
    mm_buf_free(&val);
    return st;
}
