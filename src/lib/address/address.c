/*
 * address.c - the RFC 5321 Mailbox judge (+ RFC 6531, IDNA2008 for
 * U-labels) and the public entry point mm_addr_check().
 *
 * One left-to-right pass: the local part (Dot-string or Quoted-string,
 * RFC 5321 4.1.2), "@", then the domain (LDH labels, 4.1.2 / RFC 1035) or
 * an address literal (4.1.3).  A byte-class table drives the loops; the
 * domain is lower-cased while it is read, straight into the caller's
 * mm_addr.  The first problem met in reading order is the one reported,
 * with its character column.  Only domains with non-ASCII bytes or an
 * "xn--" label reach libidn2 (idn.c).  Lengths are UTF-8 octets, a domain
 * counted as its A-labels (RFC 5321 4.5.3.1).
 *
 * When the judgement fails, fix.c looks for a wrapper (display name,
 * <...>, mailto:) that explains the whole input better than the first bad
 * character, and builds `fixed`.  The policy for the disputed cases of the
 * shared suite is in docs/VERIFY.md; each is also noted where it is coded.
 *
 * The other files: text.c (UTF-8, columns, recording findings, the policy
 * for non-ASCII), literal.c (address literals), idn.c (IDNA2008),
 * checker.c (PSL, TLD set, domain notes), rfc5322.c (MM_ADDR_RFC5322),
 * fix.c, codes.c (names and messages).
 */
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "address/address_int.h"

/* clang-format off */
#define A (MM_AC_ATEXT | MM_AC_LOCAL)
#define L MM_AC_LDH
#define U MM_AC_UPPER
#define D MM_AC_DIGIT
#define H MM_AC_HIGH
const unsigned char mm_addr_cls[256] = {
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, A, 0, A, A, A, A, A,
    0, 0, A, A, 0, A|L, MM_AC_LOCAL, A,
    A|L|D, A|L|D, A|L|D, A|L|D, A|L|D, A|L|D, A|L|D, A|L|D,
    A|L|D, A|L|D, 0, 0, 0, A, 0, A,
    0, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U,
    A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U,
    A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U, A|L|U,
    A|L|U, A|L|U, A|L|U, 0, 0, 0, A, A,
    A, A|L, A|L, A|L, A|L, A|L, A|L, A|L,
    A|L, A|L, A|L, A|L, A|L, A|L, A|L, A|L,
    A|L, A|L, A|L, A|L, A|L, A|L, A|L, A|L,
    A|L, A|L, A|L, A, A, A, A, 0,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
    H, H, H, H, H, H, H, H,
};
#undef A
#undef L
#undef U
#undef D
#undef H
/* clang-format on */

enum { LOCAL_MAX = 64, ADDRESS_MAX = 254, DOMAIN_MAX = 255, LABEL_MAX = 63 };

/* The classes all 8 bytes at q share: one branch per 8 bytes in the scan
 * loops instead of one per byte. */
static inline unsigned cls8(const unsigned char *q)
{
    const unsigned char *t = mm_addr_cls;
    return (t[q[0]] & t[q[1]]) & (t[q[2]] & t[q[3]]) & (t[q[4]] & t[q[5]]) & (t[q[6]] & t[q[7]]);
}

/* dst = src | 0x20 per byte, n bytes, then a NUL: the lower-cased form of
 * an ASCII domain that has passed the scan (LDH and dots only).  It is read
 * from the input, not from out->domain just written byte by byte: wide
 * loads over fresh narrow stores stall the CPU (no store forwarding). */
static void lower_copy(char *dst, const unsigned char *src, size_t n)
{
    const uint64_t bits = 0x2020202020202020ull;
    if (n >= 8) {
        uint64_t v;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&v, src + i, 8);
            v |= bits;
            memcpy(dst + i, &v, 8);
        }
        memcpy(&v, src + n - 8, 8);
        v |= bits;
        memcpy(dst + n - 8, &v, 8);
    } else {
        for (size_t i = 0; i < n; i++)
            dst[i] = (char)(src[i] | 0x20);
    }
    dst[n] = '\0';
}

/* A bad ASCII byte: white space, line breaks and controls have their own
 * codes everywhere. */
bool mm_addr_fail_ctl(mm_addr_parse *p, size_t off, unsigned char ch)
{
    if (ch == ' ' || ch == '\t')
        return mm_addr_fail_cp(p, MM_ADDR_SPACE, off, ch);
    if (ch == '\r' || ch == '\n')
        return mm_addr_fail_cp(p, MM_ADDR_LINE_BREAK, off, ch);
    return mm_addr_fail_cp(p, MM_ADDR_CONTROL_CHAR, off, ch);
}

/* Controls, DEL and the space: the bytes mm_addr_fail_ctl() names. */
bool mm_addr_is_ctl(unsigned char ch)
{
    return ch < 0x20 || ch == 0x7F || ch == ' ';
}

static bool check_nonascii(mm_addr_parse *p, size_t off, bool domain, size_t *len)
{
    uint32_t cp;
    size_t l = mm_addr_utf8(p->s + off, p->n - off, &cp);
    if (!l)
        return mm_addr_fail(p, MM_ADDR_INVALID_UTF8, off, 0);
    *len = l;
    mm_addr_code c = domain ? mm_addr_cp_domain(cp) : mm_addr_cp_local(cp);
    if (c == MM_ADDR_FULLWIDTH_CHAR)
        return mm_addr_fail(p, c, off, l);
    if (c != MM_ADDR_OK)
        return mm_addr_fail_cp(p, c, off, cp);
    return true;
}

/* check_nonascii() for the usual case inline: a well-formed two- or
 * three-byte sequence of a letter-like code point that neither
 * mm_addr_cp_local() nor mm_addr_cp_domain() refuses (U+00AE-U+167F and
 * U+3003-U+D7FF hold none of the spaces, invisible, C1 or full-width code
 * points they name; the UTF-8 decoding is mm_addr_utf8()'s).  Anything
 * else takes the call, which gives the same answer and reports. */
static inline bool nonascii_ok(mm_addr_parse *p, size_t off, bool domain, size_t *len)
{
    const unsigned char *s = p->s + off;
    size_t n = p->n - off;
    unsigned b = s[0];
    if (b >= 0xC2 && b <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        uint32_t cp = (b & 0x1Fu) << 6 | (s[1] & 0x3Fu);
        if (cp >= 0xAE) { /* to U+07FF */
            *len = 2;
            return true;
        }
    } else if ((b & 0xF0) == 0xE0 && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        uint32_t cp = (b & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
        if ((cp >= 0x800 && cp < 0x1680) || (cp >= 0x3003 && cp < 0xD800)) {
            *len = 3;
            return true;
        }
    }
    return check_nonascii(p, off, domain, len);
}

/* No "@" at all: a full-width or small "@" is the likely reason. */
static bool fail_missing_at(mm_addr_parse *p)
{
    const unsigned char *s = p->s;
    size_t n = p->n;
    /* both start with 0xEF: memchr() to each one instead of a byte loop */
    const unsigned char *q = n > 2 ? memchr(s, 0xEF, n - 2) : NULL;
    while (q) {
        size_t i = (size_t)(q - s);
        if ((q[1] == 0xBC && q[2] == 0xA0) || (q[1] == 0xB9 && q[2] == 0xAB))
            return mm_addr_fail(p, MM_ADDR_FULLWIDTH_CHAR, i, 3);
        q = i + 1 < n - 2 ? memchr(q + 1, 0xEF, n - 2 - (i + 1)) : NULL;
    }
    mm_addr_fail(p, MM_ADDR_MISSING_AT, p->n, 0);
    p->out->errors[0].column--; /* the last character, not one past it */
    return false;
}

static bool fail_local_ascii(mm_addr_parse *p, size_t i)
{
    unsigned char ch = p->s[i];
    if (mm_addr_is_ctl(ch))
        return mm_addr_fail_ctl(p, i, ch);
    if (ch == ',')
        return mm_addr_fail(p, MM_ADDR_LOCAL_COMMA, i, 1);
    if (ch == '(')
        return mm_addr_fail(p, MM_ADDR_COMMENT, i, 1);
    if (ch == ':' && i == 6 && strncasecmp((const char *)p->s, "mailto", 6) == 0)
        return mm_addr_fail(p, MM_ADDR_MAILTO, 0, 7);
    return mm_addr_fail(p, MM_ADDR_LOCAL_CHAR, i, 1);
}

/* Quoted-string (RFC 5321 4.1.2): qtextSMTP is %d32-33 / %d35-91 /
 * %d93-126 (+ UTF8-non-ascii, RFC 6531); quoted-pairSMTP is "\" %d32-126,
 * not extended by RFC 6531.  Policy: the empty "" is refused (most MTAs
 * and providers refuse an empty mailbox name), and so are C1 controls. */
static bool parse_quoted(mm_addr_parse *p, size_t *at)
{
    const unsigned char *s = p->s;
    size_t n = p->n, i = 1;
    for (;;) {
        if (i >= n)
            return mm_addr_fail(p, MM_ADDR_QUOTE_UNCLOSED, 0, 1);
        unsigned char ch = s[i];
        if (ch == '"')
            break;
        if (ch == '\\') {
            if (i + 1 >= n)
                return mm_addr_fail(p, MM_ADDR_QUOTE_UNCLOSED, 0, 1);
            unsigned char d = s[i + 1];
            if (d >= 0x20 && d <= 0x7E) {
                i += 2;
                continue;
            }
            if (d >= 0x80) {
                uint32_t cp;
                size_t l = mm_addr_utf8(s + i + 1, n - i - 1, &cp);
                if (!l)
                    return mm_addr_fail(p, MM_ADDR_INVALID_UTF8, i + 1, 0);
                return mm_addr_fail(p, MM_ADDR_QUOTE_CHAR, i, 1 + l);
            }
            return mm_addr_fail_ctl(p, i + 1, d);
        }
        if (ch >= 0x80) {
            uint32_t cp;
            size_t l = mm_addr_utf8(s + i, n - i, &cp);
            if (!l)
                return mm_addr_fail(p, MM_ADDR_INVALID_UTF8, i, 0);
            if (cp <= 0x9F)
                return mm_addr_fail_cp(p, MM_ADDR_CONTROL_CHAR, i, cp);
            p->out->flags |= MM_ADDR_F_UTF8_LOCAL;
            i += l;
            continue;
        }
        if (ch < 0x20 || ch == 0x7F)
            return mm_addr_fail_ctl(p, i, ch);
        i++;
    }
    if (i == 1)
        return mm_addr_fail(p, MM_ADDR_QUOTE_EMPTY, 0, 2);
    i++;
    p->out->flags |= MM_ADDR_F_QUOTED_LOCAL;
    if (i == n)
        return fail_missing_at(p);
    if (s[i] != '@') {
        unsigned char ch = s[i];
        if (ch == '.' || ch == '"' || ch >= 0x80 || (mm_addr_cls[ch] & MM_AC_ATEXT))
            return mm_addr_fail(p, MM_ADDR_QUOTE_MIXED, i, 1);
        return fail_local_ascii(p, i);
    }
    if (i > LOCAL_MAX)
        return mm_addr_fail_num(p, MM_ADDR_LOCAL_TOO_LONG, i, i);
    *at = i;
    return true;
}

/* Dot-string = Atom *("." Atom) (RFC 5321 4.1.2), atext + UTF8-non-ascii. */
static bool parse_local(mm_addr_parse *p, size_t *at)
{
    const unsigned char *s = p->s;
    size_t n = p->n, i = 0, as = 0;
    if (s[0] == '"')
        return parse_quoted(p, at);
    for (;;) {
        while (i + 8 <= n && (cls8(s + i) & MM_AC_ATEXT))
            i += 8;
        while (i < n && (mm_addr_cls[s[i]] & MM_AC_ATEXT))
            i++;
        if (i == n)
            return fail_missing_at(p);
        unsigned char ch = s[i];
        if (ch == '@') {
            if (i == 0)
                return mm_addr_fail(p, MM_ADDR_MISSING_LOCAL, 0, 1);
            if (i == as)
                return mm_addr_fail(p, MM_ADDR_TRAILING_DOT, i - 1, 1);
            break;
        }
        if (ch == '.') {
            if (i == 0)
                return mm_addr_fail(p, MM_ADDR_LEADING_DOT, 0, 1);
            if (i == as)
                return mm_addr_fail(p, MM_ADDR_DOUBLE_DOT, i - 1, 2);
            as = ++i;
            continue;
        }
        if (ch >= 0x80) {
            size_t l;
            if (!nonascii_ok(p, i, false, &l))
                return false;
            p->out->flags |= MM_ADDR_F_UTF8_LOCAL;
            i += l;
            continue;
        }
        if (ch == '"')
            return mm_addr_fail(p, i == as ? MM_ADDR_QUOTE_MIXED : MM_ADDR_LOCAL_CHAR, i, 1);
        return fail_local_ascii(p, i);
    }
    if (i > LOCAL_MAX)
        return mm_addr_fail_num(p, MM_ADDR_LOCAL_TOO_LONG, i, i);
    *at = i;
    return true;
}

static bool has_at_after(const mm_addr_parse *p, size_t i)
{
    return memchr(p->s + i, '@', p->n - i) != NULL;
}

static bool fail_domain_ascii(mm_addr_parse *p, size_t j)
{
    unsigned char ch = p->s[j];
    if (mm_addr_is_ctl(ch))
        return mm_addr_fail_ctl(p, j, ch);
    switch (ch) {
    case '_':
        return mm_addr_fail(p, MM_ADDR_DOMAIN_UNDERSCORE, j, 1);
    case ',':
        return mm_addr_fail(p, has_at_after(p, j) ? MM_ADDR_ADDRESS_LIST : MM_ADDR_DOMAIN_COMMA, j,
                            1);
    case ';':
        return mm_addr_fail(p, has_at_after(p, j) ? MM_ADDR_ADDRESS_LIST : MM_ADDR_DOMAIN_CHAR, j,
                            1);
    case '@':
        return mm_addr_fail(p, MM_ADDR_MULTIPLE_AT, j, 1);
    case '(':
        return mm_addr_fail(p, MM_ADDR_COMMENT, j, 1);
    default:
        return mm_addr_fail(p, MM_ADDR_DOMAIN_CHAR, j, 1);
    }
}

/* What the label loop learns about the domain. */
typedef struct dom_scan {
    size_t tld; /* offset of the last label */
    size_t labels;
    size_t len; /* octets written to out->domain */
    bool high;  /* some label has non-ASCII */
    bool tld_high;
    bool xn; /* some label starts with "xn--" */
    bool upper;
} dom_scan;

/* One label from s[*jp], lower-cased into out->domain; stops at "." or
 * the end.  Checks what can be checked on the bytes as given. */
static bool scan_label(mm_addr_parse *p, size_t *jp, dom_scan *ds)
{
    const unsigned char *s = p->s;
    size_t n = p->n, j = *jp, ls = j;
    char *w = p->out->domain;
    const size_t cap = sizeof p->out->domain - 1;
    bool high = false;
    if (s[j] == '-')
        return mm_addr_fail(p, MM_ADDR_HYPHEN_START, j, 1);
    for (;;) {
        /* For LDH bytes "| 0x20" lower-cases letters and keeps digits and
         * "-"; a clear 0x20 bit means an upper-case letter. */
        unsigned up = 0;
        size_t k = ds->len;
        if (cap - k >= n - j) {
            uint64_t up8 = 0;
            while (j + 8 <= n && (cls8(s + j) & MM_AC_LDH)) {
                uint64_t v;
                memcpy(&v, s + j, 8);
                up8 |= ~v;
                v |= 0x2020202020202020ull;
                memcpy(w + k, &v, 8);
                j += 8;
                k += 8;
            }
            up |= (up8 & 0x2020202020202020ull) ? 0x20u : 0u;
            while (j < n && (mm_addr_cls[s[j]] & MM_AC_LDH)) {
                up |= ~s[j];
                w[k++] = (char)(s[j++] | 0x20);
            }
        } else {
            while (j < n && (mm_addr_cls[s[j]] & MM_AC_LDH)) {
                up |= ~s[j];
                if (k < cap)
                    w[k++] = (char)(s[j] | 0x20);
                j++;
            }
        }
        ds->len = k;
        ds->upper |= (up & 0x20) != 0;
        if (j == n || s[j] == '.')
            break;
        if (s[j] < 0x80)
            return fail_domain_ascii(p, j);
        size_t l;
        if (!nonascii_ok(p, j, true, &l))
            return false;
        if (ds->len + l <= cap) /* 1-4 bytes: a loop, not a memcpy call per character */
            for (size_t k = 0; k < l; k++)
                w[ds->len + k] = (char)s[j + k];
        ds->len = ds->len + l <= cap ? ds->len + l : cap;
        j += l;
        high = true;
    }
    size_t len = j - ls;
    if (s[j - 1] == '-')
        return mm_addr_fail(p, MM_ADDR_HYPHEN_END, j - 1, 1);
    if (!high) {
        if (len > LABEL_MAX)
            return mm_addr_fail_num(p, MM_ADDR_LABEL_TOO_LONG, ls, len);
        /* RFC 5890 2.3.1: "--" in positions 3-4 is reserved for "xn--"
         * A-labels (which libidn2 checks).  Policy: any other such R-LDH
         * label ("ab--cd") is refused - no registry hands them out. */
        if (len >= 4 && s[ls + 2] == '-' && s[ls + 3] == '-') {
            if ((s[ls] | 0x20) == 'x' && (s[ls + 1] | 0x20) == 'n')
                ds->xn = true;
            else
                return mm_addr_fail(p, MM_ADDR_RESERVED_LABEL, ls, len);
        }
    }
    ds->high |= high;
    ds->tld_high = high;
    ds->tld = ls;
    *jp = j;
    return true;
}

static bool check_lengths(mm_addr_parse *p, size_t at, size_t d)
{
    size_t dl = p->alen;
    if (dl > DOMAIN_MAX)
        return mm_addr_fail_num(p, MM_ADDR_DOMAIN_TOO_LONG, d, dl);
    size_t total = at + 1 + dl;
    if (total > ADDRESS_MAX) {
        /* where the 255th octet is, as near as the input allows */
        size_t off = ADDRESS_MAX < p->n ? ADDRESS_MAX : p->n - 1;
        return mm_addr_fail_num(p, MM_ADDR_ADDRESS_TOO_LONG, off, total);
    }
    return true;
}

static bool parse_domain(mm_addr_parse *p, size_t at)
{
    const unsigned char *s = p->s;
    size_t n = p->n, d = at + 1, j = d;
    mm_addr *o = p->out;
    if (d == n)
        return mm_addr_fail(p, MM_ADDR_MISSING_DOMAIN, at, 1);
    if (s[d] == '[')
        return mm_addr_parse_literal(p, d);
    if (s[d] == '.')
        return mm_addr_fail(p, MM_ADDR_LEADING_DOT, d, 1);
    dom_scan ds = {0};
    for (;;) {
        if (!scan_label(p, &j, &ds))
            return false;
        ds.labels++;
        if (j == n)
            break;
        if (ds.len < sizeof o->domain - 1)
            o->domain[ds.len++] = '.';
        j++;
        if (j == n)
            return mm_addr_fail(p, MM_ADDR_TRAILING_DOT, j - 1, 1);
        if (s[j] == '.')
            return mm_addr_fail(p, MM_ADDR_DOUBLE_DOT, j - 1, 2);
    }
    o->domain[ds.len] = '\0';
    if (ds.len >= sizeof o->domain - 1)
        return mm_addr_fail_num(p, MM_ADDR_DOMAIN_TOO_LONG, d, n - d);
    if (ds.high || ds.xn) {
        o->flags |= MM_ADDR_F_IDN;
        if (!mm_addr_idn(p, o->domain, ds.len, d))
            return false;
        p->dlen = strlen(o->domain);
        p->alen = strlen(o->domain_ascii);
    } else {
        if (ds.len > DOMAIN_MAX)
            return mm_addr_fail_num(p, MM_ADDR_DOMAIN_TOO_LONG, d, ds.len);
        lower_copy(o->domain_ascii, s + d, ds.len); /* ds.len == n - d here */
        p->dlen = p->alen = ds.len;
    }
    p->tld = ds.tld;
    if (!check_lengths(p, at, d))
        return false;
    /* Policy: an all-numeric TLD is refused (RFC 1123 2.1, RFC 3696 2: no
     * TLD is all-numeric); "user@1.2.3.4" is an IP address without its
     * brackets, which an MTA would look up as a name.  A dotless "user@163"
     * is left to the dotless note like "user@gmail" (a missing ".com"). */
    size_t t = ds.tld;
    while (t < n && (mm_addr_cls[s[t]] & MM_AC_DIGIT))
        t++;
    if (t == n && ds.labels > 1)
        return mm_addr_fail(p, MM_ADDR_NUMERIC_TLD, ds.tld, n - ds.tld);
    if (ds.labels == 1)
        o->flags |= MM_ADDR_F_DOTLESS;
    if (ds.upper)
        o->norms |= MM_ADDR_N_LOWER_DOMAIN;
    return true;
}

/* ---- the fast path: plain ASCII addresses ----
 *
 * Nearly every address in a real list is an atext local part with dots
 * and an LDH domain of a few labels.  fast_plain() judges those a word
 * (8 bytes) at a time and fills `out` exactly as the full parser would;
 * on anything it does not handle (non-ASCII, quotes, literals, "--" or a
 * hyphen beside a dot, a long domain, any error at all) it returns false
 * having changed nothing that the full parser does not write again, and
 * the full parser judges the input from the start. */

#define ONES8 0x0101010101010101ull
#define HIGH8 0x8080808080808080ull

static inline uint64_t load8(const unsigned char *s)
{
    uint64_t v;
    memcpy(&v, s, 8);
    return v;
}

/* The high bit of every byte of w (all < 0x80) in lo..hi. */
static inline uint64_t in_range8(uint64_t w, unsigned lo, unsigned hi)
{
    return (w + ONES8 * (0x80 - lo)) & ~(w + ONES8 * (0x7F - hi)) & HIGH8;
}

/* The high bit of every byte of w equal to ch (exact for every byte). */
static inline uint64_t eq8(uint64_t w, unsigned ch)
{
    const uint64_t lo7 = ONES8 * 0x7F;
    uint64_t x = w ^ (ONES8 * ch);
    return ~(((x & lo7) + lo7) | x | lo7);
}

#ifdef __SSE2__
/* Bytes of s[0..16) in lo..hi (as unsigned bytes), as 0xFF lanes: the
 * unsigned compare done signed after shifting the range to start at -128. */
static inline __m128i in_range16(__m128i v, unsigned char lo, unsigned char hi)
{
    __m128i x = _mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - lo)));
    return _mm_cmplt_epi8(x, _mm_set1_epi8((char)(0x80 + (hi - lo) + 1 - 256)));
}

/* How many of the first 16 bytes (n >= 16) are letters, digits, ".", "-",
 * "_" or "+" -- the local parts people type, all of class MM_AC_LOCAL --
 * and, in *dots, which of those are dots (bit i = s[i]).  One compare per
 * kind for 16 bytes, where the table loop costs a load per byte. */
static inline size_t common_local16(const unsigned char *s, unsigned *dots)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
    __m128i ok = _mm_or_si128(in_range16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z'),
                              in_range16(v, '0', '9'));
    ok = _mm_or_si128(ok, _mm_or_si128(dot, _mm_cmpeq_epi8(v, _mm_set1_epi8('-'))));
    ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')),
                                       _mm_cmpeq_epi8(v, _mm_set1_epi8('+'))));
    size_t run = (size_t)__builtin_ctz(~(unsigned)_mm_movemask_epi8(ok) | 0x10000u);
    *dots = (unsigned)_mm_movemask_epi8(dot) & ((1u << run) - 1);
    return run;
}
#endif

/* The end of the local part (the first byte not of class MM_AC_LOCAL) and
 * whether it has "..": *dotdot may be true needlessly (then the full parser
 * decides), never false wrongly. */
static size_t local_end(const unsigned char *s, size_t n, bool *dotdot)
{
    size_t at = 0;
#ifdef __SSE2__
    if (n >= 16) {
        unsigned dots;
        at = common_local16(s, &dots);
        if (at < 16 && s[at] == '@') { /* the usual case: done in one step */
            *dotdot = (dots & (dots >> 1)) != 0;
            return at;
        }
    }
#endif
    while (at + 8 <= n && (cls8(s + at) & MM_AC_LOCAL))
        at += 8;
    while (at < n && (mm_addr_cls[s[at]] & MM_AC_LOCAL))
        at++;
    /* ".." in the local part: words 7 bytes apart see every pair (a word
     * that reaches into the domain can only cause a needless fallback) */
    *dotdot = false;
    for (size_t k = 0; k + 1 < at && !*dotdot; k += 7) {
        uint64_t dm = eq8(load8(s + (k + 8 <= n ? k : n - 8)), '.');
        *dotdot = (dm & (dm >> 8)) != 0;
    }
    return at;
}

/* What the domain scans below report about a plain domain. */
typedef struct {
    bool upper;     /* an upper-case letter */
    size_t lastdot; /* offset of the last "." in the domain + 1, 0 = none */
} plain_dom;

/*
 * The domain s[n-dl..n) (n >= 8, dl <= 63) 8 bytes at a time: every byte
 * LDH or ".", no two of "-" "." side by side.  False on anything else.  The
 * first and last bytes are the caller's to check.
 */
static bool plain_domain8(const unsigned char *s, size_t n, size_t dl, plain_dom *r)
{
    size_t d = n - dl;
    uint64_t carry = 0, upper = 0;
    for (size_t k = 0; k < dl; k += 8) {
        uint64_t w, pad = 0;
        if (k + 8 <= dl) {
            w = load8(s + d + k);
        } else {
            unsigned rest = (unsigned)(dl - k);
            w = load8(s + n - 8) >> (8 * (8 - rest));
            pad = ~0ull << (8 * rest);
        }
        if (w & HIGH8)
            return false;
        uint64_t wp = w | (pad & ONES8 * 'a'); /* pad with a harmless letter */
        uint64_t pm = in_range8(wp, '-', '.');
        uint64_t ok = in_range8(wp, '0', '9') | in_range8(wp | ONES8 * 0x20, 'a', 'z') | pm;
        if (ok != HIGH8 || (pm & (pm >> 8)) || (carry & pm & 0x80))
            return false;
        carry = pm >> 56;
        upper |= ~wp & ONES8 * 0x20;
        uint64_t dm = eq8(wp, '.');
        if (dm)
            r->lastdot = k + (size_t)(63 - __builtin_clzll(dm)) / 8 + 1;
    }
    r->upper = upper != 0;
    return true;
}

#ifdef __SSE2__
/* plain_domain8() 16 bytes at a time, for n >= 16: the last piece is read
 * from s + n - 16 and its lanes shifted down to offsets k.. in the masks,
 * so bit i of every mask is the byte at domain offset k + i. */
static bool plain_domain16(const unsigned char *s, size_t n, size_t dl, plain_dom *r)
{
    const __m128i case_bit = _mm_set1_epi8(0x20);
    unsigned carry = 0, upper = 0;
    for (size_t k = 0; k < dl; k += 16) {
        size_t rest = dl - k < 16 ? dl - k : 16;
        const unsigned char *q = rest == 16 ? s + n - dl + k : s + n - 16;
        unsigned shift = (unsigned)(16 - rest), all = (1u << rest) - 1;
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        if ((unsigned)_mm_movemask_epi8(v) >> shift)
            return false; /* non-ASCII */
        __m128i dot = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
        __m128i pmv = _mm_or_si128(dot, _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
        __m128i okv = _mm_or_si128(in_range16(_mm_or_si128(v, case_bit), 'a', 'z'),
                                   _mm_or_si128(in_range16(v, '0', '9'), pmv));
        unsigned ok = (unsigned)_mm_movemask_epi8(okv) >> shift;
        unsigned pm = (unsigned)_mm_movemask_epi8(pmv) >> shift;
        if (ok != all || (pm & (pm >> 1)) || (carry & pm & 1))
            return false;
        carry = pm >> (rest - 1);
        __m128i caseless = _mm_cmpeq_epi8(_mm_and_si128(v, case_bit), _mm_setzero_si128());
        upper |= (unsigned)_mm_movemask_epi8(caseless) >> shift;
        unsigned dm = (unsigned)_mm_movemask_epi8(dot) >> shift;
        if (dm)
            r->lastdot = k + (size_t)(31 - __builtin_clz(dm)) + 1;
    }
    r->upper = upper != 0;
    return true;
}
#endif

/* The local part s[0..at) into `local` and `address` in words (no memcpy
 * call; n >= 8); a short one takes bytes of the domain along, which the
 * domain's own stores overwrite in `address`. */
static void store_local(mm_addr *o, const unsigned char *s, size_t n, size_t at)
{
#ifndef __SSE2__
    (void)n;
#else
    if (at <= 16 && n >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        _mm_storeu_si128((__m128i *)(void *)o->local, v);
        _mm_storeu_si128((__m128i *)(void *)o->address, v);
        return;
    }
#endif
    for (size_t k = 0;; k += 8) {
        size_t q = k + 8 <= at ? k : (at >= 8 ? at - 8 : 0);
        uint64_t w = load8(s + q);
        memcpy(o->local + q, &w, 8);
        memcpy(o->address + q, &w, 8);
        if (k + 8 >= at)
            break;
    }
}

/* The lower-cased domain s[n-dl..n) (checked plain, n >= 8) into `domain`,
 * `domain_ascii` and the domain half of `address` (which starts at d), in
 * words, the last overlapping the one before. */
static void store_domain(mm_addr *o, const unsigned char *s, size_t n, size_t dl)
{
    size_t d = n - dl;
    char *wd = o->domain, *wa = o->domain_ascii, *wr = o->address + d;
    const uint64_t bits = ONES8 * 0x20;
    uint64_t w;
    for (size_t k = 0; k + 8 < dl; k += 8) {
        w = load8(s + d + k) | bits;
        memcpy(wd + k, &w, 8);
        memcpy(wa + k, &w, 8);
        memcpy(wr + k, &w, 8);
    }
    size_t k = dl >= 8 ? dl - 8 : 0;
    w = load8(s + n - 8);
    w = dl >= 8 ? w | bits : (w >> (8 * (8 - dl)) | bits) & ~(~0ull << (8 * dl));
    memcpy(wd + k, &w, 8);
    memcpy(wa + k, &w, 8);
    memcpy(wr + k, &w, 8);
    wd[dl] = wa[dl] = wr[dl] = '\0';
}

static bool fast_plain(mm_addr_parse *p)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    /* The word loads below read bytes in little-endian lane order; other
     * machines take the full parser, which gives the same answers. */
    (void)p;
    return false;
#endif
    const unsigned char *s = p->s;
    size_t n = p->n;
    mm_addr *o = p->out;
    if (n < 8)
        return false; /* too short for the word loads below: rare */
    bool dotdot;
    size_t at = local_end(s, n, &dotdot);
    if (at == 0 || at == n || at > LOCAL_MAX || s[at] != '@' || s[0] == '.' || s[at - 1] == '.' ||
        dotdot)
        return false;
    size_t d = at + 1, dl = n - d;
    if (dl == 0 || dl > LABEL_MAX)
        return false; /* then no label can be too long either */
    plain_dom r = {false, 0};
    bool plain;
#ifdef __SSE2__
    plain = n >= 16 ? plain_domain16(s, n, dl, &r) : plain_domain8(s, n, dl, &r);
#else
    plain = plain_domain8(s, n, dl, &r);
#endif
    /* a label starts or ends with "-", or the domain with "." */
    if (!plain || in_range8(s[d], '-', '.') || in_range8(s[n - 1], '-', '.'))
        return false;
    size_t t = d + r.lastdot;
    if (r.lastdot) {
        size_t q = t;
        while (q < n && (mm_addr_cls[s[q]] & MM_AC_DIGIT))
            q++;
        if (q == n)
            return false; /* an all-numeric TLD: the full parser says so */
    } else {
        o->flags |= MM_ADDR_F_DOTLESS;
    }
    if (r.upper)
        o->norms |= MM_ADDR_N_LOWER_DOMAIN;
    store_local(o, s, n, at);
    store_domain(o, s, n, dl);
    o->local[at] = '\0';
    o->address[at] = '@';
    p->tld = t;
    p->dlen = p->alen = dl;
    mm_addr_domain_notes(p, d, r.lastdot);
    return true;
}

bool mm_addr_parse_5321(mm_addr_parse *p)
{
    mm_addr *o = p->out;
    size_t at = 0;
    if (p->n == 0)
        return mm_addr_fail(p, MM_ADDR_EMPTY, 0, 0);
    if (fast_plain(p))
        return true;
    if (!parse_local(p, &at) || !parse_domain(p, at))
        return false;
    memcpy(o->local, p->s, at);
    o->local[at] = '\0';
    size_t dl = p->dlen;
    if (at + 1 + dl >= sizeof o->address)
        dl = sizeof o->address - at - 2; /* cannot happen: domain <= 255 A-label octets */
    memcpy(o->address, p->s, at);
    o->address[at] = '@';
    if (o->flags & (MM_ADDR_F_IDN | MM_ADDR_F_LITERAL)) {
        memcpy(o->address + at + 1, o->domain, dl);
        o->address[at + 1 + dl] = '\0';
    } else {
        lower_copy(o->address + at + 1, p->s + at + 1, dl);
    }
    if (!(o->flags & MM_ADDR_F_LITERAL))
        mm_addr_domain_notes(p, at + 1, MM_ADDR_TLD_FIND);
    return true;
}

void mm_addr_reset(mm_addr *o)
{
    o->syntax_ok = false;
    o->flags = o->norms = 0;
    o->n_errors = o->n_notes = 0;
    o->address[0] = o->local[0] = o->domain[0] = o->domain_ascii[0] = o->fixed[0] = '\0';
}

static void keep_as_note(mm_addr *o, int verdict)
{
    /* valid as a message address: the SMTP problem becomes a note */
    mm_addr_issue first = o->errors[0];
    o->n_errors = 0;
    o->flags = verdict == 2 ? MM_ADDR_F_OBSOLETE : 0;
    o->norms = 0;
    o->notes[0] = first;
    o->notes[0].code = MM_ADDR_RFC5322_ONLY;
    o->n_notes = 1;
    o->syntax_ok = true;
}

mm_status_t mm_addr_check(const mm_addr_checker *c, const char *in, size_t len, unsigned opts,
                          mm_addr *out)
{
    if (!out)
        return MM_EINVAL;
    mm_addr_reset(out);
    if (!c || (!in && len))
        return MM_EINVAL;
    mm_addr_parse p = {c, (const unsigned char *)(in ? in : ""), len, out, 0, 0, 0};
    if (mm_addr_parse_5321(&p)) {
        out->syntax_ok = true;
        return MM_OK;
    }
    size_t nerr = out->n_errors;
    mm_addr_issue first = out->errors[0];
    mm_addr_reset(out);
    out->n_errors = nerr;
    out->errors[0] = first;
    if (opts & MM_ADDR_RFC5322) {
        int v = mm_addr_judge_5322(p.s, p.n);
        if (v) {
            keep_as_note(out, v);
            return MM_OK;
        }
    }
    mm_addr_diagnose_wrapper(&p);
    mm_addr_make_fix(c, p.s, p.n, out);
    return MM_OK;
}
