/*
 * fmt.h - the writers every machine format of the program shares: JSON Lines
 * records built straight into an mm_buf, CSV fields quoted as RFC 4180 asks
 * (and guarded against spreadsheet formula injection), UTF-8 clean-up.
 */
#ifndef MM_CLI_FMT_H
#define MM_CLI_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "../lib/util/buf.h"

/* Length of the well-formed UTF-8 sequence at p, 0 if none. */
size_t utf8_len(const unsigned char *p, size_t left);
/* s as valid UTF-8: s itself when it already is, else a copy in tmp. */
const char *utf8_clean(const char *s, mm_buf *tmp);

typedef struct jw {
    mm_buf *b;
    size_t start;
    mm_status_t st;
    char sep; /* '{' or '[' before the first member, then ',' */
} jw;

jw jw_begin(mm_buf *b);
void jw_end(jw *w);                     /* closes the record and ends the line */
void jw_put(jw *w, const char *s, size_t n);
void jw_string(jw *w, const char *str);
/* ,"key": where key is kl bytes long. */
void jw_key_n(jw *w, const char *key, size_t kl);
/* A number's digits, after its key. */
void jw_number(jw *w, long long v);

/*
 * The keys are string literals almost everywhere: inline, so that the
 * compiler counts their length (strlen on every key was ~0.3 k instructions
 * per diagnosed message).
 */
static inline void jw_key(jw *w, const char *key)
{
    jw_key_n(w, key, strlen(key));
}

static inline void jw_str(jw *w, const char *key, const char *s)
{
    jw_key(w, key);
    jw_string(w, s);
}

static inline void jw_raw(jw *w, const char *key, const char *lit)
{
    jw_key(w, key);
    jw_put(w, lit, strlen(lit));
}

static inline void jw_int(jw *w, const char *key, long long v)
{
    jw_key(w, key);
    jw_number(w, v);
}

static inline void jw_bool(jw *w, const char *key, bool v)
{
    jw_raw(w, key, v ? "true" : "false");
}

/* A string member, or null when s is NULL or empty. */
static inline void jw_str_or_null(jw *w, const char *key, const char *s)
{
    if (s && *s)
        jw_str(w, key, s);
    else
        jw_raw(w, key, "null");
}

/* Nested values: open with a key (NULL inside an array) and '{' or '[',
 * close with '}' or ']' and what jw_open returned:
 * char s = jw_open(w, key, '{'); ... jw_close(w, '}', s); */
char jw_open(jw *w, const char *key, char kind);
void jw_close(jw *w, char close, char saved);
/* A string element of an open array. */
void jw_elem_str(jw *w, const char *s);

bool csv_formula(const char *s);
void csv_field(mm_buf *b, const char *raw, bool first);

/* Columns a UTF-8 string takes on a terminal (CJK and full-width forms take
 * two), without the locale. */
size_t text_width(const char *s);

#endif
