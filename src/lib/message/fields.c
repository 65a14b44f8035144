/*
 * fields.c - "Name: value" blocks (RFC 5322 section 2.2 header syntax), used
 * for the top-level header, delivery-status blocks (RFC 3464 section 2.1) and
 * the headers of an attached original message.  Folded lines are joined with
 * one space.
 *
 * Every header field of every message passes through here, so a value is
 * copied once: straight from the input to the arena with white space
 * squeezed on the way, and through a scratch buffer only when it is folded.
 */
#include "message.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

/*
 * Decoders ask for the same few fields many times per message (~25 lookups
 * over ~26 fields): comparing the keys first leaves one strcasecmp per hit.
 */
const char *mm_fields_get_key(const mm_fields *f, const char *name, unsigned key)
{
    if (!name[0])
        return NULL; /* "" names only the group edges */
    for (size_t i = 0; i < f->n; i++)
        if (f->v[i].key == key && strcasecmp(f->v[i].name, name) == 0)
            return mm_field_value(&f->v[i]);
    return NULL;
}

/* ' ' '\t' '\n' '\v' '\f' '\r', what mm_strtrim() trims */
static bool is_ws_char(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
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
    /* both end at a NUL; the name trimmed, as mm_strtrim() would */
    const char *nul = memchr(value, '\0', vlen);
    if (nul)
        vlen = (size_t)(nul - value);
    if ((nul = memchr(name, '\0', nlen)) != NULL)
        nlen = (size_t)(nul - name);
    while (nlen && is_ws_char(name[0])) {
        name++;
        nlen--;
    }
    while (nlen && is_ws_char(name[nlen - 1]))
        nlen--;
    /* name and value in one allocation */
    char *n = mm_arena_alloc(a, nlen + 1 + vlen + 1);
    if (!n)
        return MM_ENOMEM;
    memcpy(n, name, nlen);
    n[nlen] = '\0';
    char *val = n + nlen + 1;
    bool coded = false;
    mm_squeeze_copy(val, value, vlen, &coded);
    mm_field *fd = &f->v[f->n++];
    fd->name = n;
    fd->key = mm_field_key(n, nlen);
    fd->val = val;
    fd->plain = !coded;
    return MM_OK;
}

static bool is_field_name_char(char c)
{
    return c > 32 && c < 127 && c != ':';
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The first byte from p on that cannot be in a field name, or end. */
static const char *name_end(const char *p, const char *end)
{
#ifdef __SSE2__
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed: below 33 are the controls, space and the 8-bit bytes */
        __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(33)),
                                    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(127)),
                                                 _mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && is_field_name_char(*p))
        p++;
    return p;
}

/* Length of the field name if line starts with "Name:", else 0; then *colon is the ':'. */
static size_t field_name_len(const char *p, const char *end, const char **colon)
{
    const char *q = name_end(p, end);
    if (q == p || q >= end)
        return 0;
    const char *ne = q;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (q >= end || *q != ':')
        return 0;
    *colon = q;
    return (size_t)(ne - p);
}

/* The value of the field being read: borrowed from the input until a folded line needs a copy. */
typedef struct pending {
    const char *name;
    size_t nlen;
    const char *v; /* unfolded value in the input, when !folded */
    size_t vlen;
    bool folded;
    mm_buf buf; /* the joined value, when folded */
} pending;

static mm_status_t flush_field(mm_arena *a, mm_fields *f, pending *pf)
{
    mm_status_t st = MM_OK;
    if (pf->name)
        st = pf->folded ? mm_fields_add(a, f, pf->name, pf->nlen, mm_buf_str(&pf->buf), pf->buf.len)
                        : mm_fields_add(a, f, pf->name, pf->nlen, pf->v, pf->vlen);
    pf->name = NULL;
    return st;
}

static mm_status_t fold(pending *pf, const char *p, size_t n)
{
    if (!pf->folded) {
        mm_buf_reset(&pf->buf);
        if (pf->buf.cap == 0) /* one allocation for most folded values, not 4 or 5 */
            (void)mm_buf_reserve(&pf->buf, 1024);
        if (mm_buf_append(&pf->buf, pf->v, pf->vlen) != MM_OK)
            return MM_ENOMEM;
        pf->folded = true;
    }
    /* The line's leading white space and the joining space become one space
     * when the value is squeezed anyway: dropping it here lets the squeezer
     * copy the joined value 16 bytes at a time. */
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    if (mm_buf_putc(&pf->buf, ' ') != MM_OK || mm_buf_append(&pf->buf, p, n) != MM_OK)
        return MM_ENOMEM;
    return MM_OK;
}

mm_status_t mm_fields_parse_block(mm_arena *a, const char *text, size_t len, mm_fields *f)
{
    const char *p = text, *end = text + len;
    pending pf = {NULL, 0, NULL, 0, false, MM_BUF_INIT};
    mm_status_t st = MM_OK;
    bool last_blank = true;

    while (p < end && st == MM_OK) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (le > p && le[-1] == '\r')
            le--;
        bool blank = true;
        for (const char *q = p; q < le && blank; q++)
            if (*q != ' ' && *q != '\t')
                blank = false;
        if (blank) {
            st = flush_field(a, f, &pf);
            if (!last_blank && st == MM_OK)
                st = mm_fields_add(a, f, "", 0, "", 0);
            last_blank = true;
        } else if ((*p == ' ' || *p == '\t') && pf.name) {
            st = fold(&pf, p, (size_t)(le - p));
        } else {
            const char *colon = NULL;
            size_t k = field_name_len(p, le, &colon);
            st = flush_field(a, f, &pf);
            if (k && st == MM_OK) {
                pf.name = p;
                pf.nlen = k;
                pf.v = colon + 1; /* the line's first ':' (a name holds none) */
                pf.vlen = (size_t)(le - pf.v);
                pf.folded = false;
            }
            last_blank = false;
        }
        p = next;
    }
    if (st == MM_OK)
        st = flush_field(a, f, &pf);
    mm_buf_free(&pf.buf);
    return st;
}
