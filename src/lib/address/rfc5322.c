/*
 * rfc5322.c - the RFC 5322 addr-spec judge (section 3.4.1, + RFC 6532),
 * used under MM_ADDR_RFC5322 when the stricter RFC 5321 judge refuses.
 *
 * A small recursive-descent reader over the grammar with its CFWS
 * (comments, folding white space) and the obsolete forms of section 4.4,
 * which parsers must accept: obs-local-part / obs-domain (CFWS around the
 * dots, quoted words mixed with atoms), obs-qtext / obs-ctext / obs-dtext
 * (controls), obs-qp, and obs-FWS as corrected by erratum 1908
 * (1*([CRLF] WSP)).  RFC 6532 adds UTF8-non-ascii to atext, qtext, ctext,
 * dtext and VCHAR.  It only judges: 0 invalid, 1 valid, 2 obsolete.
 */
#include "address/address_int.h"

typedef struct rd {
    const unsigned char *s;
    size_t n, i;
    bool obs;
    int depth;
} rd;

static bool wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* obs-NO-WS-CTL = %d1-8 / %d11 / %d12 / %d14-31 / %d127 */
static bool no_ws_ctl(unsigned char c)
{
    return (c >= 1 && c <= 8) || c == 11 || c == 12 || (c >= 14 && c <= 31) || c == 127;
}

/* One UTF8-non-ascii character at r->i, consumed; false if none. */
static bool utf8(rd *r)
{
    uint32_t cp;
    if (r->i >= r->n || r->s[r->i] < 0x80)
        return false;
    size_t l = mm_addr_utf8(r->s + r->i, r->n - r->i, &cp);
    if (!l)
        return false;
    r->i += l;
    return true;
}

/* FWS: WSP and CRLF-WSP runs; more than one CRLF is obs-FWS. */
static bool fws(rd *r)
{
    size_t start = r->i;
    int crlf = 0;
    while (r->i < r->n) {
        if (wsp(r->s[r->i])) {
            r->i++;
        } else if (r->i + 2 < r->n && r->s[r->i] == '\r' && r->s[r->i + 1] == '\n' &&
                   wsp(r->s[r->i + 2])) {
            r->i += 3;
            crlf++;
        } else {
            break;
        }
    }
    if (crlf > 1)
        r->obs = true;
    return r->i > start;
}

/* quoted-pair = "\" (VCHAR / WSP) / obs-qp ("\" (%d0 / obs-NO-WS-CTL / LF / CR)) */
static bool quoted_pair(rd *r)
{
    if (r->i + 1 >= r->n || r->s[r->i] != '\\')
        return false;
    unsigned char c = r->s[r->i + 1];
    if ((c >= 0x21 && c <= 0x7E) || wsp(c)) {
        r->i += 2;
        return true;
    }
    if (c == 0 || no_ws_ctl(c) || c == '\n' || c == '\r') {
        r->obs = true;
        r->i += 2;
        return true;
    }
    r->i++;
    if (utf8(r))
        return true;
    r->i--;
    return false;
}

static bool comment(rd *r)
{
    if (r->i >= r->n || r->s[r->i] != '(' || ++r->depth > 64)
        return false;
    r->i++;
    for (;;) {
        fws(r);
        if (r->i >= r->n)
            return false;
        unsigned char c = r->s[r->i];
        if (c == ')') {
            r->i++;
            r->depth--;
            return true;
        }
        if (c == '(') {
            if (!comment(r))
                return false;
        } else if (c == '\\') {
            if (!quoted_pair(r))
                return false;
        } else if ((c >= 33 && c <= 39) || (c >= 42 && c <= 91) || (c >= 93 && c <= 126)) {
            r->i++;
        } else if (no_ws_ctl(c)) {
            r->obs = true;
            r->i++;
        } else if (!utf8(r)) {
            return false;
        }
    }
}

/* CFWS; returns true if anything was consumed, false on an error too, so
 * callers check r->i against the end for unclosed comments via `bad`. */
static bool cfws(rd *r, bool *bad)
{
    size_t start = r->i;
    for (;;) {
        fws(r);
        if (r->i < r->n && r->s[r->i] == '(') {
            if (!comment(r)) {
                *bad = true;
                return false;
            }
            continue;
        }
        break;
    }
    return r->i > start;
}

static bool atext(rd *r)
{
    size_t start = r->i;
    while (r->i < r->n) {
        if (mm_addr_cls[r->s[r->i]] & MM_AC_ATEXT)
            r->i++;
        else if (!utf8(r))
            break;
    }
    return r->i > start;
}

static bool quoted_string(rd *r)
{
    r->i++; /* DQUOTE */
    for (;;) {
        fws(r);
        if (r->i >= r->n)
            return false;
        unsigned char c = r->s[r->i];
        if (c == '"') {
            r->i++;
            return true;
        }
        if (c == '\\') {
            if (!quoted_pair(r))
                return false;
        } else if (c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126)) {
            r->i++;
        } else if (no_ws_ctl(c)) {
            r->obs = true;
            r->i++;
        } else if (!utf8(r)) {
            return false;
        }
    }
}

/* word *("." word): dot-atom (valid) when there is no CFWS inside and,
 * for a local part, no quoted word beside others; else obs-local-part /
 * obs-domain.  Returns false when it does not parse at all. */
static bool dotted(rd *r, bool local)
{
    size_t words = 0;
    bool quoted = false, inner = false, bad = false;
    for (;;) {
        if (cfws(r, &bad) && words > 0)
            inner = true;
        if (bad)
            return false;
        if (local && r->i < r->n && r->s[r->i] == '"') {
            if (!quoted_string(r))
                return false;
            quoted = true;
        } else if (!atext(r)) {
            return false;
        }
        words++;
        bool post = cfws(r, &bad);
        if (bad)
            return false;
        if (r->i < r->n && r->s[r->i] == '.') {
            if (post)
                inner = true;
            r->i++;
            continue;
        }
        break;
    }
    if (inner || (quoted && words > 1))
        r->obs = true;
    return true;
}

/* domain-literal = [CFWS] "[" *([FWS] dtext) [FWS] "]" [CFWS] */
static bool domain_literal(rd *r)
{
    bool bad = false;
    r->i++;
    for (;;) {
        fws(r);
        if (r->i >= r->n)
            return false;
        unsigned char c = r->s[r->i];
        if (c == ']') {
            r->i++;
            break;
        }
        if ((c >= 33 && c <= 90) || (c >= 94 && c <= 126)) {
            r->i++;
        } else if (no_ws_ctl(c)) {
            r->obs = true;
            r->i++;
        } else if (c == '\\') {
            if (!quoted_pair(r))
                return false;
            r->obs = true; /* quoted-pair in dtext is obs-dtext */
        } else if (!utf8(r)) {
            return false;
        }
    }
    cfws(r, &bad);
    return !bad;
}

int mm_addr_judge_5322(const unsigned char *s, size_t n)
{
    rd r = {s, n, 0, false, 0};
    bool bad = false;
    if (!dotted(&r, true) || r.i >= n || s[r.i] != '@')
        return 0;
    r.i++;
    size_t save = r.i;
    cfws(&r, &bad);
    if (bad)
        return 0;
    if (r.i < n && s[r.i] == '[') {
        if (!domain_literal(&r))
            return 0;
    } else {
        r.i = save;
        if (!dotted(&r, false))
            return 0;
    }
    if (r.i != n)
        return 0;
    return r.obs ? 2 : 1;
}
