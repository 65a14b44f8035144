/*
 * fix.c - after a failed check: a better name for the whole problem when
 * the address is wrapped (display name, <...>, mailto:), and the corrected
 * address offered in mm_addr.fixed.
 *
 * Only unambiguous fixes are made: full-width and small forms of ASCII
 * (what CJK input methods type: ＠ 。 ． ， ｇｍａｉｌ) turned into ASCII,
 * white space and invisible characters around the address removed, the
 * wrapper removed, then - only if the address is still refused for them -
 * commas between domain labels read as dots and the domain mapped as UTS 46
 * would (upper-case U-labels).  A candidate is offered only if it passes
 * the RFC 5321 check itself.
 */
#include <string.h>
#include <strings.h>

#include "address/address_int.h"

static bool ascii_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void set_error(mm_addr_parse *p, mm_addr_code code, size_t off, size_t tl)
{
    p->out->n_errors = 0;
    mm_addr_fail(p, code, off, tl);
}

void mm_addr_diagnose_wrapper(mm_addr_parse *p)
{
    const unsigned char *s = p->s;
    size_t b = 0, e = p->n;
    while (b < e && ascii_ws(s[b]))
        b++;
    while (e > b && ascii_ws(s[e - 1]))
        e--;
    /* the first letter alone rules out nearly every input, without a call */
    if (e - b >= 7 && (s[b] | 0x20) == 'm' && strncasecmp((const char *)s + b, "mailto:", 7) == 0) {
        set_error(p, MM_ADDR_MAILTO, b, 7);
        return;
    }
    const unsigned char *lt = memchr(s + b, '<', e - b);
    if (lt) {
        size_t l = (size_t)(lt - s);
        const unsigned char *gt = memchr(lt, '>', e - l);
        size_t stop = gt ? (size_t)(gt - s) : e;
        if (!memchr(lt, '@', stop - l))
            return;
        /* "<a@x>, <b@y>" or "A <a@x>; B <b@y>": a list, not one wrapped address */
        if (gt && memchr(gt, '@', e - stop)) {
            size_t k = stop;
            while (k < e && s[k] != ',' && s[k] != ';')
                k++;
            set_error(p, MM_ADDR_ADDRESS_LIST, k < e ? k : stop, 1);
            return;
        }
        if (l > b) {
            size_t nl = l;
            while (nl > b && ascii_ws(s[nl - 1]))
                nl--;
            set_error(p, MM_ADDR_DISPLAY_NAME, b, nl - b);
        } else {
            set_error(p, MM_ADDR_ANGLE_BRACKETS, l, 1);
        }
        return;
    }
    if (e > b && s[e - 1] == '>' && memchr(s + b, '@', e - b))
        set_error(p, MM_ADDR_ANGLE_BRACKETS, e - 1, 1);
}

/* Length of an invisible or space character at s (0 if none): NBSP,
 * ZERO WIDTH SPACE/NON-JOINER/JOINER, WORD JOINER, BOM. */
static size_t invisible_at(const unsigned char *s, size_t n)
{
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
        return 2;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] >= 0x8B && s[2] <= 0x8D)
        return 3;
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0xA0)
        return 3;
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
        return 3;
    return 0;
}

static size_t invisible_before(const unsigned char *s, size_t e)
{
    for (size_t k = 2; k <= 3 && k <= e; k++)
        if (invisible_at(s + e - k, k) == k)
            return k;
    return 0;
}

typedef struct cand {
    char s[1024];
    size_t n;
    unsigned norms;
} cand;

static void trim(cand *c)
{
    size_t b = 0, e = c->n, k;
    const unsigned char *s = (const unsigned char *)c->s;
    for (;;) {
        if (b < e && ascii_ws(s[b]))
            b++;
        else if (b < e && (k = invisible_at(s + b, e - b)) != 0)
            b += k;
        else
            break;
    }
    for (;;) {
        if (e > b && ascii_ws(s[e - 1]))
            e--;
        else if (e > b && (k = invisible_before(s + b, e - b)) != 0)
            e -= k;
        else
            break;
    }
    if (b == 0 && e == c->n)
        return;
    memmove(c->s, c->s + b, e - b);
    c->n = e - b;
    c->norms |= MM_ADDR_N_TRIMMED;
}

static void unwrap(cand *c)
{
    if (c->n >= 7 && (c->s[0] | 0x20) == 'm' && strncasecmp(c->s, "mailto:", 7) == 0) {
        memmove(c->s, c->s + 7, c->n - 7);
        c->n -= 7;
        char *q = memchr(c->s, '?', c->n); /* mailto:x@y?subject=... */
        if (q)
            c->n = (size_t)(q - c->s);
        c->norms |= MM_ADDR_N_UNWRAPPED;
    }
    char *lt = memchr(c->s, '<', c->n);
    if (!lt)
        return;
    char *gt = memchr(lt, '>', c->n - (size_t)(lt - c->s));
    if (!gt || !memchr(lt, '@', (size_t)(gt - lt)))
        return;
    /* only white space may follow: "<a@x> !" or a list is not fixed */
    for (char *q = gt + 1; q < c->s + c->n; q++)
        if (!ascii_ws((unsigned char)*q))
            return;
    size_t l = (size_t)(gt - lt - 1);
    memmove(c->s, lt + 1, l);
    c->n = l;
    c->norms |= MM_ADDR_N_UNWRAPPED;
    trim(c);
}

static bool fold_fullwidth(cand *c, const unsigned char *s, size_t n)
{
    c->n = 0;
    c->norms = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = s[i] < 0x80 ? 1 : mm_addr_utf8(s + i, n - i, &cp);
        if (!l)
            return false;
        int a = l > 1 ? mm_addr_fullwidth_ascii(cp) : 0;
        if (c->n + l >= sizeof c->s)
            return false;
        if (a) {
            c->s[c->n++] = (char)a;
            c->norms |= MM_ADDR_N_FULLWIDTH;
        } else if (l == 1) {
            c->s[c->n++] = (char)s[i]; /* not a memcpy call per byte */
        } else {
            memcpy(c->s + c->n, s + i, l);
            c->n += l;
        }
        i += l;
    }
    return true;
}

/* Second-round fixes, driven by the error the candidate still gets. */
static bool refine(cand *c, const mm_addr *r)
{
    char *at = NULL;
    for (size_t i = c->n; i > 0; i--)
        if (c->s[i - 1] == '@') {
            at = c->s + i - 1;
            break;
        }
    if (!at || r->n_errors == 0)
        return false;
    char *d = at + 1;
    size_t dn = c->n - (size_t)(d - c->s);
    if (r->errors[0].code == MM_ADDR_DOMAIN_COMMA) {
        for (size_t i = 0; i < dn; i++)
            if (d[i] == ',')
                d[i] = '.';
        c->norms |= MM_ADDR_N_COMMA_AS_DOT;
        return true;
    }
    if (r->errors[0].code == MM_ADDR_IDN_INVALID) {
        char mapped[MM_ADDR_TEXT_MAX];
        size_t room = sizeof c->s - (size_t)(d - c->s);
        if (!mm_addr_idn_map(d, dn, mapped, sizeof mapped) || strlen(mapped) >= room)
            return false;
        strcpy(d, mapped);
        c->n = (size_t)(d - c->s) + strlen(mapped);
        c->norms |= MM_ADDR_N_IDN_MAPPED;
        return true;
    }
    return false;
}

/* Only these first problems can go away by the fixes above; for any other
 * the fixed text would still be refused, so it is not even tried. */
static bool fixable(mm_addr_code code)
{
    switch (code) {
    case MM_ADDR_SPACE:
    case MM_ADDR_LINE_BREAK:
    case MM_ADDR_INVISIBLE_CHAR:
    case MM_ADDR_FULLWIDTH_CHAR:
    case MM_ADDR_DISPLAY_NAME:
    case MM_ADDR_ANGLE_BRACKETS:
    case MM_ADDR_MAILTO:
    case MM_ADDR_DOMAIN_COMMA:
    case MM_ADDR_IDN_INVALID:
        return true;
    default:
        return false;
    }
}

void mm_addr_make_fix(const mm_addr_checker *chk, const unsigned char *s, size_t n, mm_addr *out)
{
    cand c;
    mm_addr r;
    if (!out->n_errors || !fixable(out->errors[0].code))
        return;
    if (n >= sizeof c.s || !fold_fullwidth(&c, s, n))
        return;
    trim(&c);
    unwrap(&c);
    for (int round = 0; round < 3; round++) {
        mm_addr_reset(&r);
        mm_addr_parse q = {chk, (const unsigned char *)c.s, c.n, &r, 0, 0, 0};
        if (mm_addr_parse_5321(&q)) {
            if (c.n < sizeof out->fixed && (c.n != n || memcmp(c.s, s, n) != 0)) {
                memcpy(out->fixed, c.s, c.n);
                out->fixed[c.n] = '\0';
                out->norms = c.norms | (r.norms & MM_ADDR_N_LOWER_DOMAIN);
            }
            return;
        }
        if (!refine(&c, &r))
            return;
    }
}
