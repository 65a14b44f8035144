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

/*
 * A record writer for hot paths (diagnose's JSON Lines), in the same bytes
 * as jw: a cursor into the buffer's spare room, with one room check per
 * member instead of one per append.  A string of n bytes needs at most
 * json_room(n) bytes of room (a control byte becomes \u00XX).  The line is
 * all or nothing, as with jw: jc_end() takes it back if room ran out.  For
 * buffers without a limit only (the bound would not honour one).
 *
 *   jc c = jc_begin(b);
 *   jc_str(&c, JC_FIRST("source"), source);
 *   jc_int(&c, JC_KEY("index"), index);
 *   jc_end(&c);
 */
typedef struct jc {
    mm_buf *b;
    char *d;   /* where the next byte goes */
    char *end; /* end of the room reserved (a byte is left for the NUL) */
    size_t start;
    bool failed; /* room could not be made: the line is dropped */
} jc;

/* A member's key as a literal and its length; the first one opens the object. */
#define JC_FIRST(k) "{\"" k "\":", sizeof("{\"" k "\":") - 1
#define JC_KEY(k) ",\"" k "\":", sizeof(",\"" k "\":") - 1
/* Any literal and its length, for jc_raw(). */
#define JC_LIT(s) s, sizeof(s) - 1

static inline size_t json_room(size_t n)
{
    return 6 * n + 2 + 16; /* the 16: json_put_string stores whole 16-byte blocks */
}

/* s (n bytes) as a JSON string, quotes included, at d; returns its end. */
char *json_put_string(char *d, const char *s, size_t n);
/* v in decimal at d; returns its end. */
char *json_put_number(char *d, long long v);

/* True when json_put_string() would write s unchanged between its quotes:
 * valid UTF-8 without '"', '\\' or controls. */
bool json_verbatim(const char *s, size_t n);

jc jc_begin(mm_buf *b);
/* Make room for n more bytes (false: none could be made, the line is lost). */
bool jc_grow(jc *c, size_t n);
void jc_end(jc *c);

static inline bool jc_room(jc *c, size_t n)
{
    return (size_t)(c->end - c->d) >= n || jc_grow(c, n);
}

/* Bytes written as they are (a literal, a key, a string already escaped). */
static inline void jc_raw(jc *c, const char *s, size_t n)
{
    if (jc_room(c, n)) {
        memcpy(c->d, s, n);
        c->d += n;
    }
}

/* key then s, n bytes, as a JSON string. */
static inline void jc_strn(jc *c, const char *key, size_t kl, const char *s, size_t n)
{
    if (jc_room(c, kl + json_room(n))) {
        memcpy(c->d, key, kl);
        c->d = json_put_string(c->d + kl, s, n);
    }
}

static inline void jc_str(jc *c, const char *key, size_t kl, const char *s)
{
    jc_strn(c, key, kl, s, strlen(s));
}

/* A string member, or null when s is NULL or empty (as jw_str_or_null). */
static inline void jc_str_or_null(jc *c, const char *key, size_t kl, const char *s)
{
    if (s && *s)
        jc_str(c, key, kl, s);
    else if (jc_room(c, kl + 4)) {
        memcpy(c->d, key, kl);
        memcpy(c->d + kl, "null", 4);
        c->d += kl + 4;
    }
}

static inline void jc_int(jc *c, const char *key, size_t kl, long long v)
{
    if (jc_room(c, kl + 21)) {
        memcpy(c->d, key, kl);
        c->d = json_put_number(c->d + kl, v);
    }
}

bool csv_formula(const char *s);
/* raw as a CSV cell (a comma before it unless first); false when a byte of
 * it could not be appended (no memory). */
bool csv_field(mm_buf *b, const char *raw, bool first);

/* Columns a UTF-8 string takes on a terminal (CJK and full-width forms take
 * two), without the locale. */
size_t text_width(const char *s);

#endif
