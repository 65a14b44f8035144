/*
 * fmt.c - the writers every machine format of the program shares (see
 * fmt.h): JSON Lines records, CSV fields, UTF-8 clean-up, display width.
 * diagnose (output.c), verify and checkup all write through these.
 */
#include "fmt.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p (RFC 3629 table), 0 if none. */
size_t utf8_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4;
    else
        return 0;
    if (c == 0xE0)
        lo = 0xA0; /* overlong */
    else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    else if (c == 0xF0)
        lo = 0x90; /* overlong */
    else if (c == 0xF4)
        hi = 0x8F; /* past U+10FFFF */
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* s as valid UTF-8: s itself when it already is, else a copy in tmp. */
const char *utf8_clean(const char *s, mm_buf *tmp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s), n;
    for (const unsigned char *q = p; *q; q += n)
        if ((n = utf8_len(q, left - (size_t)(q - p))) == 0)
            goto fix;
    return s;
fix:
    mm_buf_reset(tmp);
    while (left) {
        n = utf8_len(p, left);
        if (n)
            mm_buf_append(tmp, p, n);
        else
            mm_buf_puts(tmp, "\xEF\xBF\xBD");
        p += n ? n : 1;
        left -= n ? n : 1;
    }
    return mm_buf_str(tmp);
}

/*
 * JSON Lines written straight into the output buffer, one record per line,
 * in the bytes jansson's json_dumps(JSON_COMPACT) gave before (so the format
 * did not move when jansson went): keys in insertion order, no spaces,
 * strings escaped as RFC 8259 section 7 requires (" \ and controls below
 * 0x20; \b \f \n \r \t short, the rest \u00XX in upper-case hex), every
 * other byte as is, and bytes that are not UTF-8 as U+FFFD, one per byte.
 * A line is all or nothing: when the buffer cannot grow, what was written
 * of it is taken back.
 */

void jw_put(jw *w, const char *s, size_t n)
{
    if (w->st == MM_OK)
        w->st = mm_buf_append(w->b, s, n);
}

/* Bytes that end a run copied as is: " \ controls, and 8-bit bytes (checked). */
static bool json_plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\' && c < 0x80;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* A bit for each of the 16 bytes of v that is not json_plain(). */
static unsigned stop_mask_v(__m128i v)
{
    /* signed: below 0x20 are the controls and the 8-bit bytes */
    __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(stop);
}

static unsigned stop_mask(const unsigned char *p)
{
    return stop_mask_v(_mm_loadu_si128((const __m128i *)(const void *)p));
}

/*
 * copy_plain() for 4 to 15 bytes (half of all strings a JSON line holds):
 * the bytes as two overlapping halves of 8 (or 4) bytes, from the start and
 * up to the end, each loaded and stored at a fixed size (no memcpy call)
 * and tested as the two halves of one vector.  A stop in the first half
 * comes first; otherwise the first in the second half, whose byte i is byte
 * tail + i of the string.
 */
static size_t copy_plain_short(char *d, const unsigned char *p, size_t left)
{
    uint64_t a, b;
    size_t half = left >= 8 ? 8 : 4, tail = left - half;
    if (half == 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + tail, 8);
        memcpy(d, &a, 8);
        memcpy(d + tail, &b, 8);
    } else {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + tail, 4);
        memcpy(d, &x, 4);
        memcpy(d + tail, &y, 4);
        a = x;
        b = y;
    }
    unsigned mask = stop_mask_v(_mm_set_epi64x((long long)b, (long long)a));
    unsigned bits = (1u << half) - 1; /* a half of 4: the zero bytes above it are not the string's */
    if (mask & bits)
        return (size_t)__builtin_ctz(mask & bits);
    mask = (mask >> 8) & bits;
    return mask ? tail + (size_t)__builtin_ctz(mask) : left;
}
#endif

/* How many bytes from p on are json_plain(), 16 at a time where SSE2 is. */
static size_t plain_run(const unsigned char *p, size_t left)
{
    size_t run = 0;
#ifdef __SSE2__
    for (; left - run >= 16; run += 16) {
        unsigned mask = stop_mask(p + run);
        if (mask)
            return run + (size_t)__builtin_ctz(mask);
    }
    if (run < left && left >= 16) {
        /* the last left - run bytes: the top of the block that ends at p + left */
        unsigned mask = stop_mask(p + left - 16) >> (16 - (left - run));
        return mask ? run + (size_t)__builtin_ctz(mask) : left;
    }
#endif
    while (run < left && json_plain(p[run]))
        run++;
    return run;
}

/*
 * The json_plain() bytes from p on copied to d (same offsets); returns how
 * many.  16 bytes are loaded and stored at a time where SSE2 is: bytes stored
 * past a stop are overwritten by what is written next, and the caller's room
 * (json_room) always covers them.
 */
static size_t copy_plain(char *d, const unsigned char *p, size_t left)
{
    size_t run = 0;
#ifdef __SSE2__
    for (; left - run >= 16; run += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + run));
        _mm_storeu_si128((__m128i *)(void *)(d + run), v);
        unsigned mask = stop_mask(p + run);
        if (mask)
            return run + (size_t)__builtin_ctz(mask);
    }
    if (run < left && left >= 16) {
        /* The last bytes: the block that ends at p + left, stored where it
         * ends at d + left.  What it overlaps was copied from the same bytes
         * by this call, so it is written again unchanged. */
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + left - 16));
        _mm_storeu_si128((__m128i *)(void *)(d + left - 16), v);
        unsigned mask = stop_mask(p + left - 16) >> (16 - (left - run));
        return mask ? run + (size_t)__builtin_ctz(mask) : left;
    }
    if (left >= 4) /* and below 16: 16 bytes cannot be read from p */
        return copy_plain_short(d, p, left);
#endif
    while (run < left && json_plain(p[run])) {
        d[run] = (char)p[run];
        run++;
    }
    return run;
}

/* The one byte or UTF-8 sequence at p that is not json_plain(), escaped at
 * *d (at most 6 bytes); returns how many input bytes it took. */
static size_t put_escaped(char **d, const unsigned char *p, size_t left)
{
    static const char hex[] = "0123456789ABCDEF";
    unsigned char c = *p;
    char *o = *d;
    size_t used = 1;
    if (c >= 0x80) {
        used = utf8_len(p, left);
        if (used) {
            memcpy(o, p, used);
            o += used;
        } else {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            used = 1;
        }
    } else if (c == '"' || c == '\\') {
        *o++ = '\\';
        *o++ = (char)c;
    } else {
        char s = c == '\b'   ? 'b'
                 : c == '\f' ? 'f'
                 : c == '\n' ? 'n'
                 : c == '\r' ? 'r'
                 : c == '\t' ? 't'
                             : 0;
        *o++ = '\\';
        if (s) {
            *o++ = s;
        } else {
            memcpy(o, "u00", 3);
            o[3] = hex[c >> 4];
            o[4] = hex[c & 15];
            o += 5;
        }
    }
    *d = o;
    return used;
}

/*
 * The well-formed UTF-8 sequences from p on (before the first byte that is
 * not in one) copied to d, as they are; returns how many bytes (0: p is not
 * at one).  Text in Chinese is runs of them: going back to copy_plain()
 * after each one cost a block test, and put_escaped() a memcpy() call, per
 * character.
 */
static size_t copy_utf8_run(char *d, const unsigned char *p, size_t left)
{
    size_t used = 0;
    for (size_t u; used < left && p[used] >= 0x80 && (u = utf8_len(p + used, left - used));
         used += u) {
        d[used] = (char)p[used]; /* u is 2, 3 or 4 */
        d[used + 1] = (char)p[used + 1];
        if (u > 2)
            d[used + 2] = (char)p[used + 2];
        if (u > 3)
            d[used + 3] = (char)p[used + 3];
    }
    return used;
}

char *json_put_string(char *d, const char *str, size_t n)
{
    const unsigned char *p = (const unsigned char *)str;
    *d++ = '"';
    for (;;) {
        size_t run = copy_plain(d, p, n);
        d += run;
        p += run;
        n -= run;
        if (!n)
            break;
        size_t used = copy_utf8_run(d, p, n);
        if (used)
            d += used;
        else
            used = put_escaped(&d, p, n);
        p += used;
        n -= used;
    }
    *d++ = '"';
    return d;
}

bool json_verbatim(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (;;) {
        size_t run = plain_run(p, n);
        p += run;
        n -= run;
        if (!n)
            return true;
        size_t u = *p >= 0x80 ? utf8_len(p, n) : 0;
        if (!u)
            return false;
        p += u;
        n -= u;
    }
}

void jw_string(jw *w, const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    size_t left = strlen(str);
    mm_buf *b = w->b;
    if (w->st == MM_OK && !b->limit && b->cap - b->len > json_room(left)) {
        /* room for the worst case: escaped straight into the buffer */
        b->len = (size_t)(json_put_string(b->data + b->len, str, left) - b->data);
        b->data[b->len] = '\0';
        return;
    }
    jw_put(w, "\"", 1);
    while (left) {
        size_t run = plain_run(p, left);
        if (run) {
            jw_put(w, (const char *)p, run);
            p += run;
            left -= run;
            continue;
        }
        char esc[8], *e = esc;
        size_t n = put_escaped(&e, p, left);
        jw_put(w, esc, (size_t)(e - esc));
        p += n;
        left -= n;
    }
    jw_put(w, "\"", 1);
}

/* ,"key": with the opening brace before the first member, in one append. */
void jw_key_n(jw *w, const char *key, size_t kl)
{
    char sep = w->sep;
    w->sep = ',';
    if (w->st != MM_OK)
        return;
    /* room is almost always there: mm_buf_reserve() only when it is not */
    mm_buf *b = w->b;
    if ((b->cap - b->len <= kl + 4 || b->limit) && (w->st = mm_buf_reserve(b, kl + 4)) != MM_OK)
        return;
    char *d = w->b->data + w->b->len;
    d[0] = sep;
    d[1] = '"';
    memcpy(d + 2, key, kl);
    d[kl + 2] = '"';
    d[kl + 3] = ':';
    w->b->len += kl + 4;
    w->b->data[w->b->len] = '\0';
}

/* v in decimal, as printf's %lld writes it, ending at end; returns the first byte. */
static char *decimal(long long v, char *end)
{
    /* through unsigned, so that LLONG_MIN negates */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    char *p = end;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    return p;
}

void jw_number(jw *w, long long v)
{
    char num[32]; /* snprintf cost more than the rest of a record's numbers */
    char *p = decimal(v, num + sizeof num);
    jw_put(w, p, (size_t)(num + sizeof num - p));
}

/*
 * Written in place, its digits counted first: through a block on the stack
 * the copy was a memcpy() call of a variable size, which cost as much as the
 * digits (an index and a reply code per JSON line).
 */
char *json_put_number(char *d, long long v)
{
    static const unsigned long long pow10[] = {
        10ULL,          100ULL,          1000ULL,          10000ULL,          100000ULL,
        1000000ULL,     10000000ULL,     100000000ULL,     1000000000ULL,     10000000000ULL,
        100000000000ULL, 1000000000000ULL, 10000000000000ULL, 100000000000000ULL,
        1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
        1000000000000000000ULL, 10000000000000000000ULL};
    /* through unsigned, so that LLONG_MIN negates */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (v < 0)
        *d++ = '-';
    size_t n = 1;
    while (n <= sizeof pow10 / sizeof pow10[0] && u >= pow10[n - 1])
        n++;
    char *p = d + n;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    return d + n;
}

/* The record writer (jc): the room is what the buffer has spare. */
static void jc_take_room(jc *c)
{
    mm_buf *b = c->b;
    c->d = b->data + b->len;
    c->end = b->data + b->cap - 1; /* the NUL's byte */
}

jc jc_begin(mm_buf *b)
{
    /* a limit is not honoured by the room's bound: such a buffer gets no line */
    jc c = {b, NULL, NULL, b->len, b->limit != 0};
    if (b->data && !c.failed)
        jc_take_room(&c);
    return c;
}

bool jc_grow(jc *c, size_t n)
{
    mm_buf *b = c->b;
    if (c->failed)
        return false;
    if (c->d)
        b->len = (size_t)(c->d - b->data);
    /* a line rarely needs more than this: one realloc for most first lines */
    if (mm_buf_reserve(b, n > 4096 ? n : 4096) != MM_OK && mm_buf_reserve(b, n) != MM_OK) {
        c->failed = true;
        c->d = c->end = NULL;
        return false;
    }
    jc_take_room(c);
    return true;
}

void jc_end(jc *c)
{
    mm_buf *b = c->b;
    jc_raw(c, "}\n", 2);
    if (c->failed) {
        b->len = c->start;
        if (b->data)
            b->data[b->len] = '\0';
        return;
    }
    b->len = (size_t)(c->d - b->data);
    b->data[b->len] = '\0';
}

jw jw_begin(mm_buf *b)
{
    jw w = {b, b->len, MM_OK, '{'};
    return w;
}

void jw_end(jw *w)
{
    if (w->sep == '{')
        jw_put(w, "{", 1);
    jw_put(w, "}\n", 2);
    if (w->st != MM_OK && w->b->data) {
        w->b->len = w->start;
        w->b->data[w->start] = '\0';
    }
}

char jw_open(jw *w, const char *key, char kind)
{
    if (key) {
        jw_key(w, key);
    } else {
        jw_put(w, &w->sep, 1);
        w->sep = ',';
    }
    char saved = w->sep;
    w->sep = kind;
    return saved;
}

void jw_close(jw *w, char close, char saved)
{
    if (w->sep == '{' || w->sep == '[')
        jw_put(w, &w->sep, 1); /* nothing was added: open it now */
    jw_put(w, &close, 1);
    w->sep = saved;
}

void jw_elem_str(jw *w, const char *s)
{
    jw_put(w, &w->sep, 1);
    w->sep = ',';
    jw_string(w, s);
}

/*
 * Cells a spreadsheet would evaluate as a formula (CSV injection, as OWASP
 * lists it): a leading = + - @, tab or carriage return.  They are quoted and
 * prefixed with an apostrophe.  A lone "-" (standard input) is plain text.
 */
bool csv_formula(const char *s)
{
    switch (s[0]) {
    case '=':
    case '+':
    case '@':
    case '\t':
    case '\r':
        return true;
    case '-':
        return s[1] != '\0';
    default:
        return false;
    }
}

/* Whether p[0..n) is well-formed UTF-8 as utf8_len() judges it; ASCII is
 * skipped 16 bytes at a time where SSE2 is. */
static bool utf8_ok(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
#ifdef __SSE2__
        for (; n - i >= 16; i += 16) {
            unsigned high = (unsigned)_mm_movemask_epi8(
                _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
            if (high) {
                i += (size_t)__builtin_ctz(high);
                break;
            }
        }
        if (i >= n)
            break;
#endif
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_len(p + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

static bool csv_special(char c)
{
    return c == ',' || c == '"' || c == '\r' || c == '\n';
}

#ifdef __SSE2__
/* A bit for each of the 16 bytes at p that csv_special() names. */
static unsigned csv_mask(const char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i m = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(',')), _mm_cmpeq_epi8(v, _mm_set1_epi8('"'))),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')),
                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
    return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* strpbrk(s, ",\"\r\n") != NULL for the n bytes at s, 16 at a time where SSE2 is. */
static bool csv_needs_quotes(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    for (; n - i >= 16; i += 16)
        if (csv_mask(s + i))
            return true;
    if (i < n && n >= 16)
        return csv_mask(s + n - 16) != 0; /* the last block, overlapping the one before */
#endif
    for (; i < n; i++)
        if (csv_special(s[i]))
            return true;
    return false;
}

bool csv_field(mm_buf *b, const char *raw, bool first)
{
    mm_buf tmp = MM_BUF_INIT;
    const char *s = raw;
    size_t n = strlen(raw);
    bool ok = true;
    if (!utf8_ok((const unsigned char *)raw, n)) {
        s = utf8_clean(raw, &tmp);
        n = tmp.len;
    }
    if (!first)
        ok &= mm_buf_putc(b, ',') == MM_OK;
    bool formula = csv_formula(s);
    if (!formula && !csv_needs_quotes(s, n)) {
        ok &= mm_buf_append(b, s, n) == MM_OK;
        if (tmp.data)
            mm_buf_free(&tmp);
        return ok;
    }
    ok &= mm_buf_putc(b, '"') == MM_OK;
    if (formula)
        ok &= mm_buf_putc(b, '\'') == MM_OK;
    /* runs up to and including each '"', which is then doubled */
    for (const char *p = s, *e = s + n; p < e;) {
        const char *q = memchr(p, '"', (size_t)(e - p));
        size_t run = q ? (size_t)(q - p) + 1 : (size_t)(e - p);
        ok &= mm_buf_append(b, p, run) == MM_OK;
        if (q)
            ok &= mm_buf_putc(b, '"') == MM_OK;
        p += run;
    }
    ok &= mm_buf_putc(b, '"') == MM_OK;
    mm_buf_free(&tmp);
    return ok;
}

/*
 * Columns a UTF-8 string takes on a terminal: CJK and full-width forms take
 * two.  A rough wcwidth() that needs no locale, because under --lang zh the
 * locale may be C.UTF-8 or plain C.
 */
size_t text_width(const char *s)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned cp = *p;
        size_t n = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
        if (n == 3)
            cp = (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
        w += (n == 3 && cp >= 0x2E80 && cp <= 0xFFEF && !(cp >= 0xD800 && cp < 0xF900)) ? 2 : 1;
        for (size_t i = 0; i < n && *p; i++)
            p++;
    }
    return w;
}

