/* report.c - the per-message report: recipients in an array, strings in an arena. */
#include "bounce_int.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

/* Every member but the arena and the recipient array as mm_report_new()
 * sets it. */
static void report_start(mm_report *r, size_t max_recipients)
{
    mm_arena arena = r->arena;
    mm_rcpt *v = r->r;
    size_t cap = r->cap;
    mm_field *fv = r->dsn_fv;
    size_t fcap = r->dsn_fcap;
    memset(r, 0, sizeof *r);
    r->arena = arena;
    r->r = v;
    r->cap = cap;
    r->dsn_fv = fv;
    r->dsn_fcap = fcap;
    r->max = max_recipients ? max_recipients : 1000;
    r->mta = "";
    r->orig.message_id = r->orig.subject = r->orig.from = r->orig.to = r->orig.date = "";
}

mm_status_t mm_report_new(size_t max_recipients, mm_report **out)
{
    mm_report *r = calloc(1, sizeof *r);
    if (!r)
        return MM_ENOMEM;
    mm_arena_init(&r->arena);
    report_start(r, max_recipients);
    *out = r;
    return MM_OK;
}

/* A report kept for the next message: no array of many recipients kept
 * (memory stays bounded whatever one message held). */
#define RECYCLE_RCPTS 64
#define RECYCLE_DSN_FIELDS 256

void mm_report_recycle(mm_report *r, size_t max_recipients)
{
    mm_arena_reset(&r->arena);
    if (r->cap > RECYCLE_RCPTS) {
        free(r->r);
        r->r = NULL;
        r->cap = 0;
    }
    if (r->dsn_fcap > RECYCLE_DSN_FIELDS) { /* a huge notice's list is not kept */
        free(r->dsn_fv);
        r->dsn_fv = NULL;
        r->dsn_fcap = 0;
    }
    report_start(r, max_recipients);
}

void mm_report_destroy(mm_report *r)
{
    if (!r)
        return;
    mm_arena_free(&r->arena);
    free(r->r);
    free(r->dsn_fv);
    free(r);
}

mm_rcpt *mm_report_add(mm_report *r)
{
    if (r->n >= r->max) {
        r->truncated = true; /* the limit, not out of memory */
        return NULL;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        mm_rcpt *v = realloc(r->r, cap * sizeof *v);
        if (!v)
            return NULL;
        r->r = v;
        r->cap = cap;
    }
    mm_rcpt *rc = &r->r[r->n++];
    memset(rc, 0, sizeof *rc);
    mm_recipient *p = &rc->pub;
    p->recipient = p->original_recipient = p->action = p->status = p->diagnostic = "";
    p->remote_mta = p->reporting_mta = p->date = p->smtp_command = p->provider = "";
    rc->diag_type = "";
    return rc;
}

void mm_report_truncate(mm_report *r, size_t n)
{
    if (n < r->n)
        r->n = n;
}

static bool is_ws(char c)
{
    /* the white space mm_squeeze_copy() squeezes */
    return c == ' ' || (c >= '\t' && c <= '\r');
}

#ifdef __SSE2__
#include <emmintrin.h>

/* squeezed()'s inner test of the 16 bytes at p + i (i >= 1): no white
 * space but single spaces, none right after a space (the byte before the
 * block included). */
static bool block_squeezed(const char *p, size_t i)
{
    const __m128i tab = _mm_set1_epi8('\t'), cr_tab = _mm_set1_epi8('\r' - '\t');
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
    /* '\t'..'\r': bytes minus '\t' that are at most 4, unsigned */
    __m128i ctl = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(v, tab), cr_tab), _mm_setzero_si128());
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    sp = sp << 1 | (p[i - 1] == ' ');
    return !_mm_movemask_epi8(ctl) && !(sp & (sp >> 1));
}

/* squeezed()'s inner test for 4 <= n <= 16 (p[0] and p[n - 1] tested
 * already), without a byte loop, whose end the branch predictor misses on
 * the many short values (statuses, actions, types): the first and the
 * last 4 (n < 8) or 8 bytes, in the low and high halves of one vector,
 * which between them hold every byte and every pair of neighbours, except
 * (7, 8) when n is 16, tested alone.  No byte outside p[0..n) is read. */
static bool short_squeezed(const char *p, size_t n)
{
    __m128i v;
    unsigned half;
    if (n >= 8) {
        v = _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)p),
                               _mm_loadl_epi64((const __m128i *)(const void *)(p + n - 8)));
        half = 8;
    } else {
        int lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        v = _mm_unpacklo_epi32(_mm_cvtsi32_si128(lo), _mm_cvtsi32_si128(hi));
        half = 4; /* lanes 8..15 are 0: neither white space nor a space */
    }
    const __m128i tab = _mm_set1_epi8('\t'), cr_tab = _mm_set1_epi8('\r' - '\t');
    __m128i ctl = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(v, tab), cr_tab), _mm_setzero_si128());
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned mask = (1u << half) - 1, a = sp & mask, b = sp >> half & mask;
    /* a space right after a space: in the first part, in the last, or
     * (n = 16 only) at bytes 7 and 8, the last of a and the first of b */
    unsigned twice = (a & a >> 1) | (b & b >> 1) | ((n == 16) & (a >> 7) & b);
    return !_mm_movemask_epi8(ctl) && !twice;
}

/* The same 16 bytes at a time over p[1..n); the last block, when fewer
 * than 16 bytes are left, is the one that ends at p + n (it tests again
 * bytes tested already, which changes nothing): no byte loop for a string
 * of 17 bytes or more.  *i: where the caller's byte loop goes on. */
static bool squeezed_16(const char *p, size_t n, size_t *i)
{
    for (; *i + 16 <= n; *i += 16)
        if (!block_squeezed(p, *i))
            return false;
    if (*i < n && n >= 17) {
        if (!block_squeezed(p, n - 16))
            return false;
        *i = n;
    }
    return true;
}
#endif

/* Would mm_squeeze_copy() give p[0..n) back unchanged?  No white space at
 * either end, and inside only single spaces. */
static bool squeezed(const char *p, size_t n)
{
    if (n == 0)
        return true;
    if (is_ws(p[0]) || is_ws(p[n - 1]))
        return false;
    size_t i = 1;
#ifdef __SSE2__
    if (n >= 4 && n <= 16)
        return short_squeezed(p, n);
    if (!squeezed_16(p, n, &i))
        return false;
#endif
    for (; i < n; i++)
        if (is_ws(p[i]) && (p[i] != ' ' || p[i - 1] == ' '))
            return false;
    return true;
}

/* p[0..n), which holds no NUL, squeezed into the arena. */
static const char *copy_str(mm_report *r, const char *p, size_t n)
{
    char *s = mm_arena_alloc(&r->arena, n + 1);
    if (!s)
        return "";
    if (squeezed(p, n)) {
        memcpy(s, p, n);
        s[n] = '\0';
        return s;
    }
    mm_squeeze_copy(s, p, n, NULL);
    return s;
}

const char *mm_report_str(mm_report *r, const char *p, size_t n)
{
    if (!p)
        return "";
    const char *nul = memchr(p, '\0', n);
    return copy_str(r, p, nul ? (size_t)(nul - p) : n);
}

const char *mm_report_strz(mm_report *r, const char *s)
{
    /* strlen() stops at the NUL mm_report_str() would look for */
    return s ? copy_str(r, s, strlen(s)) : "";
}

const char *mm_report_field(mm_report *r, const mm_field *f)
{
    if (f->val)
        return mm_report_strz(r, f->val);
    /* Made from the raw text straight into the report's arena: the value
     * is squeezed as it is made, so unless RFC 2047 decoding may have
     * changed it afterwards, it is what copy_str() would give back, and
     * making it in the message's arena to copy it again is work for
     * nothing.  The field itself stays unread (its val NULL). */
    mm_field own = *f;
    own.val = NULL;
    own.arena = &r->arena;
    const char *v = mm_field_make_value(&own);
    if (!f->decode)
        return v;
    size_t n = strlen(v);
    return squeezed(v, n) ? v : copy_str(r, v, n);
}

mm_kind_t mm_report_kind(const mm_report *r)
{
    return r->kind;
}

size_t mm_report_count(const mm_report *r)
{
    return r->n;
}

const mm_recipient *mm_report_recipient(const mm_report *r, size_t i)
{
    return i < r->n ? &r->r[i].pub : NULL;
}

const mm_original *mm_report_original(const mm_report *r)
{
    return &r->orig;
}

const char *mm_report_mta(const mm_report *r)
{
    return r->mta;
}

bool mm_report_truncated(const mm_report *r)
{
    return r->truncated;
}

const char *mm_kind_tostr(mm_kind_t k)
{
    static const char *const names[] = {"not_bounce", "bounce", "feedback", "autoreply", "success"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}
