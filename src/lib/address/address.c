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
 */
#include <arpa/inet.h>
#include <string.h>

#include "address/address_int.h"

#define A MM_AC_ATEXT
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
    0, 0, A, A, 0, A|L, 0, A,
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

enum { LOCAL_MAX = 64, ADDRESS_MAX = 254, DOMAIN_MAX = 255, LABEL_MAX = 63 };

size_t mm_addr_column(const unsigned char *s, size_t n, size_t off)
{
    size_t col = 1;
    if (off > n)
        off = n;
    for (size_t i = 0; i < off; i++)
        col += (s[i] & 0xC0) != 0x80;
    return col;
}

static void set_text(mm_addr_issue *is, const char *text, size_t tl)
{
    if (tl > sizeof is->text - 1) {
        /* cut at a character boundary */
        tl = sizeof is->text - 1;
        while (tl > 0 && ((unsigned char)text[tl] & 0xC0) == 0x80)
            tl--;
    }
    memcpy(is->text, text, tl);
    is->text[tl] = '\0';
}

static bool record(mm_addr_parse *p, mm_addr_code code, size_t off, const char *text, size_t tl)
{
    mm_addr *o = p->out;
    if (o->n_errors)
        return false;
    mm_addr_issue *is = &o->errors[o->n_errors++];
    is->code = code;
    is->column = mm_addr_column(p->s, p->n, off);
    set_text(is, text, tl);
    return false;
}

bool mm_addr_fail(mm_addr_parse *p, mm_addr_code code, size_t off, size_t tlen)
{
    if (off > p->n)
        off = p->n;
    if (tlen > p->n - off)
        tlen = p->n - off;
    return record(p, code, off, (const char *)p->s + off, tlen);
}

bool mm_addr_fail_cp(mm_addr_parse *p, mm_addr_code code, size_t off, uint32_t cp)
{
    static const char hex[] = "0123456789ABCDEF";
    char t[16] = "U+";
    size_t k = 2;
    int shift = cp > 0xFFFF ? (cp > 0xFFFFF ? 20 : 16) : 12;
    for (; shift >= 0; shift -= 4)
        t[k++] = hex[(cp >> shift) & 0xF];
    return record(p, code, off, t, k);
}

bool mm_addr_fail_num(mm_addr_parse *p, mm_addr_code code, size_t off, size_t num)
{
    char t[24];
    size_t k = sizeof t;
    do
        t[--k] = (char)('0' + num % 10);
    while ((num /= 10) != 0);
    return record(p, code, off, t + k, sizeof t - k);
}

void mm_addr_note(mm_addr_parse *p, mm_addr_code code, size_t off, const char *text)
{
    mm_addr *o = p->out;
    if (o->n_notes >= MM_ADDR_MAX_ISSUES)
        return;
    mm_addr_issue *is = &o->notes[o->n_notes++];
    is->code = code;
    is->column = mm_addr_column(p->s, p->n, off);
    set_text(is, text, strlen(text));
}

size_t mm_addr_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t len;
    uint32_t v, min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
        len = 2, v = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3, v = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4, v = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/*
 * Policy (docs/VERIFY.md "Disputed cases"): RFC 6531 admits any UTF-8 in
 * a local part, but spaces (NO-BREAK SPACE, IDEOGRAPHIC SPACE ...), C1
 * controls and zero-width/format characters are copy-paste debris that no
 * provider hands out, so they are refused with their own codes.
 * Full-width letters and "＠" stay legal in a local part (RFC 6531 atext).
 */
mm_addr_code mm_addr_cp_local(uint32_t cp)
{
    if (cp <= 0x9F)
        return MM_ADDR_CONTROL_CHAR;
    if (cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
        return MM_ADDR_SPACE;
    if (cp == 0xAD || cp == 0x180E || (cp >= 0x200B && cp <= 0x200F) ||
        (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF ||
        (cp >= 0xFFF9 && cp <= 0xFFFB))
        return MM_ADDR_INVISIBLE_CHAR;
    return MM_ADDR_OK;
}

int mm_addr_fullwidth_ascii(uint32_t cp)
{
    if (cp >= 0xFF01 && cp <= 0xFF5E)
        return (int)(cp - 0xFEE0);
    switch (cp) {
    case 0x3002: /* IDEOGRAPHIC FULL STOP */
    case 0xFF61: /* HALFWIDTH IDEOGRAPHIC FULL STOP */
    case 0xFE52: /* SMALL FULL STOP */
        return '.';
    case 0xFE6B: /* SMALL COMMERCIAL AT */
        return '@';
    case 0xFE50: /* SMALL COMMA */
    case 0x3001: /* IDEOGRAPHIC COMMA */
        return ',';
    case 0x3000: /* IDEOGRAPHIC SPACE */
        return ' ';
    default:
        return 0;
    }
}

/* In a domain, full-width forms are DISALLOWED by IDNA2008 (UTS 46 would
 * map them): say "full-width" rather than a generic IDNA error. */
mm_addr_code mm_addr_cp_domain(uint32_t cp)
{
    mm_addr_code c = mm_addr_cp_local(cp);
    if (c != MM_ADDR_OK)
        return c;
    return mm_addr_fullwidth_ascii(cp) ? MM_ADDR_FULLWIDTH_CHAR : MM_ADDR_OK;
}

/* A bad ASCII byte: white space, line breaks and controls have their own
 * codes everywhere. */
static bool fail_ctl(mm_addr_parse *p, size_t off, unsigned char ch)
{
    if (ch == ' ' || ch == '\t')
        return mm_addr_fail_cp(p, MM_ADDR_SPACE, off, ch);
    if (ch == '\r' || ch == '\n')
        return mm_addr_fail_cp(p, MM_ADDR_LINE_BREAK, off, ch);
    return mm_addr_fail_cp(p, MM_ADDR_CONTROL_CHAR, off, ch);
}

static bool is_ctl(unsigned char ch)
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

/* No "@" at all: a full-width or small "@" is the likely reason. */
static bool fail_missing_at(mm_addr_parse *p)
{
    const unsigned char *s = p->s;
    for (size_t i = 0; i + 2 < p->n; i++) {
        if ((s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] == 0xA0) ||
            (s[i] == 0xEF && s[i + 1] == 0xB9 && s[i + 2] == 0xAB))
            return mm_addr_fail(p, MM_ADDR_FULLWIDTH_CHAR, i, 3);
    }
    mm_addr_fail(p, MM_ADDR_MISSING_AT, p->n, 0);
    p->out->errors[0].column--; /* the last character, not one past it */
    return false;
}

static bool fail_local_ascii(mm_addr_parse *p, size_t i)
{
    unsigned char ch = p->s[i];
    if (is_ctl(ch))
        return fail_ctl(p, i, ch);
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
            return fail_ctl(p, i + 1, d);
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
            return fail_ctl(p, i, ch);
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
            if (!check_nonascii(p, i, false, &l))
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
    if (is_ctl(ch))
        return fail_ctl(p, j, ch);
    switch (ch) {
    case '_':
        return mm_addr_fail(p, MM_ADDR_DOMAIN_UNDERSCORE, j, 1);
    case ',':
        return mm_addr_fail(p, has_at_after(p, j) ? MM_ADDR_ADDRESS_LIST : MM_ADDR_DOMAIN_COMMA,
                            j, 1);
    case ';':
        return mm_addr_fail(p, has_at_after(p, j) ? MM_ADDR_ADDRESS_LIST : MM_ADDR_DOMAIN_CHAR,
                            j, 1);
    case '@':
        return mm_addr_fail(p, MM_ADDR_MULTIPLE_AT, j, 1);
    case '(':
        return mm_addr_fail(p, MM_ADDR_COMMENT, j, 1);
    default:
        return mm_addr_fail(p, MM_ADDR_DOMAIN_CHAR, j, 1);
    }
}

/* Snum "." Snum "." Snum "." Snum, Snum = 1*3DIGIT <= 255 (RFC 5321 4.1.3) */
static bool ipv4_ok(const unsigned char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 4)
            v = v * 10 + (unsigned)(s[i++] - '0'), digits++;
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        if (part < 3) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
    }
    return i == n;
}

/* IPv6-addr (RFC 5321 4.1.3) checked by inet_pton().  Policy: a "::" that
 * stands for a single group is accepted (RFC 4291 allows it; the 5321 prose
 * "no more than 6 groups in addition to the ::" is read as RFC 5952 advice). */
static bool ipv6_ok(const unsigned char *s, size_t n)
{
    char buf[64];
    unsigned char bin[16];
    if (n == 0 || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, bin) == 1;
}

static bool all_of(const unsigned char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

static bool finish_literal(mm_addr_parse *p, size_t d)
{
    mm_addr *o = p->out;
    size_t dl = p->n - d;
    if (p->n > ADDRESS_MAX)
        return mm_addr_fail_num(p, MM_ADDR_ADDRESS_TOO_LONG, ADDRESS_MAX, p->n);
    memcpy(o->domain, p->s + d, dl);
    o->domain[dl] = '\0';
    memcpy(o->domain_ascii, o->domain, dl + 1);
    p->dlen = p->alen = dl;
    o->flags |= MM_ADDR_F_LITERAL;
    return true;
}

/* address-literal = "[" ( IPv4 / IPv6 / General ) "]".  Policy: a
 * General-address-literal ("[tag:text]") is refused: no Standardized-tag
 * other than IPv6 is registered, so no server can route it. */
static bool parse_literal(mm_addr_parse *p, size_t d)
{
    const unsigned char *s = p->s;
    size_t n = p->n, k = d + 1;
    for (; k < n && s[k] != ']'; k++) {
        unsigned char ch = s[k];
        if (is_ctl(ch))
            return fail_ctl(p, k, ch);
        if (ch >= 0x80) {
            uint32_t cp;
            size_t l = mm_addr_utf8(s + k, n - k, &cp);
            return mm_addr_fail(p, l ? MM_ADDR_LITERAL_BAD : MM_ADDR_INVALID_UTF8, k, l);
        }
        if (ch == '[' || ch == '\\' || ch == '@')
            return mm_addr_fail(p, MM_ADDR_LITERAL_BAD, k, 1);
    }
    if (k == n)
        return mm_addr_fail(p, MM_ADDR_LITERAL_UNCLOSED, d, 1);
    if (k + 1 < n)
        return mm_addr_fail(p, MM_ADDR_AFTER_LITERAL, k + 1, 1);
    const unsigned char *c = s + d + 1;
    size_t cl = k - d - 1;
    if (cl >= 5 && strncasecmp((const char *)c, "IPv6:", 5) == 0) {
        if (!ipv6_ok(c + 5, cl - 5))
            return mm_addr_fail(p, MM_ADDR_IPV6_BAD, d + 6, cl - 5);
    } else if (memchr(c, ':', cl)) {
        if (all_of(c, cl, "0123456789abcdefABCDEF:."))
            return mm_addr_fail(p, MM_ADDR_LITERAL_BAD, d + 1, cl);
        const unsigned char *colon = memchr(c, ':', cl);
        return mm_addr_fail(p, MM_ADDR_LITERAL_TAG, d + 1, (size_t)(colon - c));
    } else if (cl && all_of(c, cl, "0123456789.")) {
        if (!ipv4_ok(c, cl))
            return mm_addr_fail(p, MM_ADDR_IPV4_BAD, d + 1, cl);
    } else {
        return mm_addr_fail(p, MM_ADDR_LITERAL_BAD, d + 1, cl);
    }
    return finish_literal(p, d);
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
        if (!check_nonascii(p, j, true, &l))
            return false;
        if (ds->len + l <= cap)
            memcpy(w + ds->len, s + j, l);
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
        return parse_literal(p, d);
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
        memcpy(o->domain_ascii, o->domain, ds.len + 1);
        p->dlen = p->alen = ds.len;
    }
    p->tld = ds.tld;
    if (!check_lengths(p, at, d))
        return false;
    /* Policy: an all-numeric TLD is refused (RFC 1123 2.1, RFC 3696 2: no
     * TLD is all-numeric); "user@1.2.3.4" is an IP address without its
     * brackets, which an MTA would look up as a name. */
    size_t t = ds.tld;
    while (t < n && (mm_addr_cls[s[t]] & MM_AC_DIGIT))
        t++;
    if (t == n)
        return mm_addr_fail(p, MM_ADDR_NUMERIC_TLD, ds.tld, n - ds.tld);
    if (ds.labels == 1)
        o->flags |= MM_ADDR_F_DOTLESS;
    if (ds.upper)
        o->norms |= MM_ADDR_N_LOWER_DOMAIN;
    return true;
}

bool mm_addr_parse_5321(mm_addr_parse *p)
{
    mm_addr *o = p->out;
    size_t at = 0;
    if (p->n == 0)
        return mm_addr_fail(p, MM_ADDR_EMPTY, 0, 0);
    if (!parse_local(p, &at) || !parse_domain(p, at))
        return false;
    memcpy(o->local, p->s, at);
    o->local[at] = '\0';
    size_t dl = p->dlen;
    if (at + 1 + dl >= sizeof o->address)
        dl = sizeof o->address - at - 2; /* cannot happen: domain <= 255 A-label octets */
    memcpy(o->address, p->s, at);
    o->address[at] = '@';
    memcpy(o->address + at + 1, o->domain, dl);
    o->address[at + 1 + dl] = '\0';
    if (!(o->flags & MM_ADDR_F_LITERAL))
        mm_addr_domain_notes(p, at + 1);
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
