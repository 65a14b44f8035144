/*
 * idn.c - IDNA2008 for domains with U-labels or "xn--" labels, through
 * libidn2 with IDN2_NO_TR46: plain IDNA2008 (RFC 5891 lookup), no UTS 46
 * mapping, so upper-case or full-width U-labels are refused as typed (the
 * fix in fix.c offers the mapped form).  A-labels are decoded and checked
 * (a fake "xn--0" is refused).  When the whole domain fails, each label is
 * tried alone to name the first bad one and, where possible, the first bad
 * character in it.
 *
 * libidn2 costs ~1.5 us a domain, more than checking ten ASCII addresses,
 * so U-labels made only of code points from a short list (lower-case
 * Latin-1 letters, basic Greek and Russian lower case, CJK, kana, Hangul)
 * are converted here with RFC 3492 Punycode: those code points are PVALID
 * in IDNA2008, stable under NFC, left-to-right and free of contextual rules,
 * so the only checks left are the ones done here (no "--" in positions 3-4,
 * label and domain lengths).  An "xn--" label is decoded here too and kept
 * only if its U-label is such a label and encodes back to the very same
 * A-label (so it is the canonical one).  Anything else goes to libidn2.
 * The unit test compares both paths on every listed code point.
 *
 * Only the libidn2 path allocates; ASCII domains never get here.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "address/address_int.h"

enum { LABEL_MAX = 63, DOMAIN_MAX = 255 };

/* See the file comment; ranges checked against libidn2 2.3.3's tables by
 * tests/address/test_address.c. */
static inline bool simple_cp(uint32_t cp)
{
    return (cp >= 0xDF && cp <= 0xFF && cp != 0xF7) ||    /* ß à-ö ø-ÿ */
           (cp >= 0x3AC && cp <= 0x3CE) ||                /* Greek lower case */
           (cp >= 0x430 && cp <= 0x44F) || cp == 0x451 || /* Russian lower case, ё */
           (cp >= 0x3041 && cp <= 0x3096) ||              /* hiragana */
           (cp >= 0x30A1 && cp <= 0x30FA) ||              /* katakana */
           (cp >= 0x4E00 && cp <= 0x9FA5) ||              /* CJK (Unicode 1.1 block) */
           (cp >= 0xAC00 && cp <= 0xD7A3);                /* Hangul syllables */
}

static char puny_digit(uint32_t d)
{
    return (char)(d < 26 ? 'a' + d : '0' + (d - 26));
}

/* RFC 3492 6.1 */
static uint32_t puny_adapt(uint64_t delta, uint64_t points, bool first)
{
    uint32_t k = 0;
    delta = first ? delta / 700 : delta / 2;
    delta += delta / points;
    while (delta > ((36 - 1) * 26) / 2) {
        delta /= 36 - 1;
        k += 36;
    }
    return (uint32_t)(k + (36 - 1 + 1) * delta / (delta + 38));
}

/* RFC 3492 6.3: the Punycode of cp[0..n) into out (without "xn--");
 * returns its length, or 0 if it does not fit in cap. */
static size_t puny_encode(const uint32_t *cp, size_t n, char *out, size_t cap)
{
    size_t o = 0, h, b;
    for (size_t i = 0; i < n; i++)
        if (cp[i] < 0x80) {
            if (o >= cap)
                return 0;
            out[o++] = (char)cp[i];
        }
    h = b = o;
    if (b > 0) {
        if (o >= cap)
            return 0;
        out[o++] = '-';
    }
    uint32_t next = 0x80, bias = 72, m = UINT32_MAX;
    uint64_t delta = 0;
    for (size_t i = 0; i < n; i++)
        if (cp[i] >= next && cp[i] < m)
            m = cp[i];
    while (h < n) {
        delta += (uint64_t)(m - next) * (h + 1);
        next = m;
        /* the round's pass also finds the next round's code point (the
         * smallest one above this one): one scan a round instead of two */
        m = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            if (cp[i] < next)
                delta++;
            if (cp[i] != next) {
                if (cp[i] > next && cp[i] < m)
                    m = cp[i];
                continue;
            }
            uint64_t q = delta;
            for (uint32_t k = 36;; k += 36) {
                uint32_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
                if (q < t)
                    break;
                if (o >= cap)
                    return 0;
                out[o++] = puny_digit((uint32_t)(t + (q - t) % (36 - t)));
                q = (q - t) / (36 - t);
            }
            if (o >= cap)
                return 0;
            out[o++] = puny_digit((uint32_t)q);
            bias = puny_adapt(delta, h + 1, h == b);
            delta = 0;
            h++;
        }
        delta++;
        next++;
    }
    return o;
}

/* mm_addr_utf8() with the ASCII and two- and three-byte forms inline
 * (every simple_cp() code point is one of them); the rest takes the call.
 * Same answer as mm_addr_utf8() for every input. */
static inline size_t utf8_inline(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned b = s[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    if (b >= 0xC2 && b <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = (b & 0x1Fu) << 6 | (s[1] & 0x3Fu);
        return 2;
    }
    if ((b & 0xF0) == 0xE0 && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
        uint32_t v = (b & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu);
        if (v >= 0x800 && (v < 0xD800 || v > 0xDFFF)) {
            *cp = v;
            return 3;
        }
        return 0;
    }
    return mm_addr_utf8(s, n, cp);
}

/* One label by the fast path into out (room for LABEL_MAX + 1); returns
 * its length or 0 when libidn2 must decide. */
static size_t simple_label(const char *lab, size_t ln, char *out)
{
    uint32_t cp[LABEL_MAX + 1];
    size_t n = 0;
    bool high = false;
    for (size_t i = 0; i < ln;) {
        size_t l = utf8_inline((const unsigned char *)lab + i, ln - i, &cp[n]);
        if (!l || n == LABEL_MAX || (cp[n] >= 0x80 && !simple_cp(cp[n])))
            return 0;
        high |= cp[n] >= 0x80;
        n++;
        i += l;
    }
    if (!high) {
        memcpy(out, lab, ln);
        return ln;
    }
    /* RFC 5891 4.2.3.1: no "--" in positions 3 and 4 of a U-label */
    if (n >= 4 && cp[2] == '-' && cp[3] == '-')
        return 0;
    memcpy(out, "xn--", 4);
    size_t k = puny_encode(cp, n, out + 4, LABEL_MAX - 4);
    return k ? k + 4 : 0;
}

/* The whole domain by the fast path into out (DOMAIN_MAX + 1 bytes). */
static bool simple_domain(const char *dom, size_t dn, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i <= dn;) {
        const char *dot = memchr(dom + i, '.', dn - i);
        size_t e = dot ? (size_t)(dot - dom) : dn;
        char lab[LABEL_MAX + 1];
        size_t k = simple_label(dom + i, e - i, lab);
        if (!k || o + k + 1 > DOMAIN_MAX)
            return false;
        memcpy(out + o, lab, k);
        o += k;
        out[o++] = '.';
        i = e + 1;
    }
    out[o - 1] = '\0';
    return true;
}

/* memmem(dom, dn, "xn--", 4) != NULL without memmem's set-up (~170
 * instructions a call): a hyphen is rare in these domains, so look for
 * one and check its neighbours. */
static bool has_xn(const char *dom, size_t dn)
{
    const char *end = dom + dn, *h = dom + 2;
    while (h + 1 < end && (h = memchr(h, '-', (size_t)(end - 1 - h))) != NULL) {
        if (h[1] == '-' && h[-1] == 'n' && h[-2] == 'x')
            return true;
        h++;
    }
    return false;
}

/* RFC 3492 6.2: the code points of a Punycode string (without "xn--")
 * into cp (room for LABEL_MAX); returns how many, or 0 on an error or
 * when they do not fit.  Only a first look: alabel() accepts the result
 * only if puny_encode() gives the input back, so a decoding is used only
 * when it is the one the canonical A-label stands for. */
static size_t puny_decode(const char *in, size_t n, uint32_t *cp)
{
    size_t o = 0, j = 0, last = n;
    for (size_t k = 0; k < n; k++)
        if (in[k] == '-')
            last = k;
    if (last < n) { /* the basic code points, before the last delimiter */
        if (last > LABEL_MAX)
            return 0;
        for (; o < last; o++)
            cp[o] = (unsigned char)in[o];
        j = last + 1;
    }
    uint64_t i = 0;
    uint32_t next = 0x80, bias = 72;
    while (j < n) {
        uint64_t old = i, w = 1;
        for (uint32_t k = 36;; k += 36) {
            if (j >= n)
                return 0;
            unsigned char c = (unsigned char)in[j++];
            uint32_t d = c >= 'a' && c <= 'z' ? c - 'a' : c >= '0' && c <= '9' ? c - '0' + 26 : 36;
            if (d >= 36)
                return 0;
            i += d * w;
            uint32_t t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
            if (i > 0xFFFFFFFFu || k > 36 * 8)
                return 0; /* far beyond any label */
            if (d < t)
                break;
            w *= 36 - t;
        }
        bias = puny_adapt(i - old, o + 1, old == 0);
        uint64_t nx = next + i / (o + 1);
        i %= o + 1;
        if (nx > 0xFFFF || o >= LABEL_MAX)
            return 0; /* simple_cp() holds nothing above U+FFFF */
        next = (uint32_t)nx;
        memmove(cp + i + 1, cp + i, (o - i) * sizeof *cp);
        cp[i++] = next;
        o++;
    }
    return o;
}

/* The UTF-8 of code points below U+10000 into out; returns its length. */
static size_t put_utf8(const uint32_t *cp, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = cp[i];
        if (c < 0x80) {
            out[k++] = (char)c;
        } else if (c < 0x800) {
            out[k++] = (char)(0xC0 | c >> 6);
            out[k++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[k++] = (char)(0xE0 | c >> 12);
            out[k++] = (char)(0x80 | (c >> 6 & 0x3F));
            out[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return k;
}

/* An "xn--" label by the fast path: its U-label into u (room for
 * 3 * LABEL_MAX bytes); returns the U-label's length, or 0 when libidn2
 * must decide.  Accepted only if the U-label is one simple_label() would
 * take (simple code points, at least one non-ASCII, no "--" in positions
 * 3-4, no "-" at either end: libidn2 lets those through, RFC 5891 does
 * not, so libidn2 keeps deciding them) and encodes back to this very
 * label, i.e. the label is the canonical A-label of that U-label. */
static size_t alabel(const char *lab, size_t ln, char *u)
{
    uint32_t cp[LABEL_MAX + 1];
    char back[LABEL_MAX + 1];
    size_t n = puny_decode(lab + 4, ln - 4, cp);
    if (n == 0 || cp[0] == '-' || cp[n - 1] == '-' || (n >= 4 && cp[2] == '-' && cp[3] == '-'))
        return 0;
    bool high = false;
    for (size_t i = 0; i < n; i++) {
        if (cp[i] >= 0x80 ? !simple_cp(cp[i]) : !(mm_addr_cls[cp[i]] & MM_AC_LDH))
            return 0;
        high |= cp[i] >= 0x80;
    }
    if (!high || puny_encode(cp, n, back, LABEL_MAX - 4) != ln - 4 ||
        memcmp(back, lab + 4, ln - 4) != 0)
        return 0;
    return put_utf8(cp, n, u);
}

/* A domain with "xn--" labels by the fast path: the A-labels into
 * o->domain_ascii and the U-labels into o->domain, as the libidn2 path
 * below would set them; false (nothing changed) when libidn2 must decide. */
static bool alabel_domain(mm_addr *o, const char *dom, size_t dn)
{
    char asc[DOMAIN_MAX + 1], uni[MM_ADDR_TEXT_MAX];
    size_t ao = 0, uo = 0;
    for (size_t i = 0; i <= dn;) {
        const char *dot = memchr(dom + i, '.', dn - i);
        size_t e = dot ? (size_t)(dot - dom) : dn, ln = e - i;
        const char *lab = dom + i;
        char a[LABEL_MAX + 1], ul[3 * LABEL_MAX];
        size_t ak, uk;
        if (ln >= 4 && memcmp(lab, "xn--", 4) == 0) {
            if (ln > LABEL_MAX || (uk = alabel(lab, ln, ul)) == 0)
                return false;
            memcpy(a, lab, ln);
            ak = ln;
        } else {
            if (has_xn(lab, ln) || (ak = simple_label(lab, ln, a)) == 0)
                return false;
            memcpy(ul, lab, ln);
            uk = ln;
        }
        if (ao + ak + 1 > DOMAIN_MAX || uo + uk + 1 >= sizeof uni)
            return false;
        memcpy(asc + ao, a, ak);
        ao += ak;
        asc[ao++] = '.';
        memcpy(uni + uo, ul, uk);
        uo += uk;
        uni[uo++] = '.';
        i = e + 1;
    }
    asc[ao - 1] = uni[uo - 1] = '\0';
    memcpy(o->domain_ascii, asc, ao);
    if (strcmp(uni, o->domain) != 0)
        o->norms |= MM_ADDR_N_ALABEL_DECODED;
    memcpy(o->domain, uni, uo);
    return true;
}

static int lookup(const char *s, char **out)
{
    return idn2_lookup_u8((const uint8_t *)s, (uint8_t **)out, IDN2_NO_TR46);
}

static bool label_ok(const char *s, size_t n)
{
    char buf[MM_ADDR_TEXT_MAX];
    char *a = NULL;
    if (n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int rc = lookup(buf, &a);
    free(a);
    return rc == IDN2_OK;
}

/* The first character of a label that IDNA2008 refuses by itself. */
static bool blame_char(mm_addr_parse *p, const char *lab, size_t ln, size_t off)
{
    for (size_t i = 0; i < ln;) {
        uint32_t cp;
        size_t l = mm_addr_utf8((const unsigned char *)lab + i, ln - i, &cp);
        if (!l)
            l = 1;
        /* prefix an ASCII letter so a lone combining mark is judged as a
         * character, not as a label that starts with one */
        char one[8] = "a";
        memcpy(one + 1, lab + i, l);
        one[1 + l] = '\0';
        if (cp >= 0x80 && !label_ok(one, 1 + l))
            return mm_addr_fail(p, MM_ADDR_IDN_INVALID, off + i, l);
        i += l;
    }
    return mm_addr_fail(p, MM_ADDR_IDN_INVALID, off, ln);
}

static bool blame_label(mm_addr_parse *p, const char *lab, size_t ln, size_t off)
{
    char buf[MM_ADDR_TEXT_MAX];
    char *a = NULL;
    if (ln >= sizeof buf)
        return mm_addr_fail_num(p, MM_ADDR_LABEL_TOO_LONG, off, ln);
    memcpy(buf, lab, ln);
    buf[ln] = '\0';
    int rc = lookup(buf, &a);
    size_t al = a ? strlen(a) : 0;
    free(a);
    if (rc == IDN2_OK) {
        if (al > LABEL_MAX)
            return mm_addr_fail_num(p, MM_ADDR_LABEL_TOO_LONG, off, al);
        return true;
    }
    if (ln >= 4 && memcmp(lab, "xn--", 4) == 0)
        return mm_addr_fail(p, MM_ADDR_FAKE_ALABEL, off, ln);
    if (rc == IDN2_PUNYCODE_BIG_OUTPUT || rc == IDN2_TOO_BIG_LABEL) {
        mm_addr_fail(p, MM_ADDR_LABEL_TOO_LONG, off, 0);
        strcpy(p->out->errors[0].text, ">63");
        return false;
    }
    return blame_char(p, lab, ln, off);
}

/* `dom` is p->s[off..] byte for byte with ASCII lower-cased, so a label's
 * offset in dom is its offset in the input. */
static bool blame(mm_addr_parse *p, const char *dom, size_t dn, size_t off, int rc)
{
    for (size_t i = 0; i <= dn;) {
        const char *dot = memchr(dom + i, '.', dn - i);
        size_t e = dot ? (size_t)(dot - dom) : dn;
        if (!blame_label(p, dom + i, e - i, off + i))
            return false;
        i = e + 1;
    }
    if (rc == IDN2_TOO_BIG_DOMAIN)
        return mm_addr_fail_num(p, MM_ADDR_DOMAIN_TOO_LONG, off, dn);
    /* only the labels together are wrong (e.g. the bidi rule) */
    return mm_addr_fail(p, MM_ADDR_IDN_INVALID, off, dn);
}

bool mm_addr_idn(mm_addr_parse *p, const char *dom, size_t dn, size_t off)
{
    mm_addr *o = p->out;
    char *a = NULL, *u = NULL;
    if (!has_xn(dom, dn) ? simple_domain(dom, dn, o->domain_ascii) : alabel_domain(o, dom, dn))
        return true;
    int rc = lookup(dom, &a);
    if (rc != IDN2_OK) {
        free(a);
        return blame(p, dom, dn, off, rc);
    }
    size_t al = strlen(a);
    if (al > DOMAIN_MAX) {
        free(a);
        return mm_addr_fail_num(p, MM_ADDR_DOMAIN_TOO_LONG, off, al);
    }
    for (const char *l = a; *l;) {
        const char *dot = strchr(l, '.');
        size_t ll = dot ? (size_t)(dot - l) : strlen(l);
        if (ll > LABEL_MAX) {
            free(a);
            return blame(p, dom, dn, off, IDN2_TOO_BIG_LABEL);
        }
        l += ll + (dot != NULL);
    }
    memcpy(o->domain_ascii, a, al + 1);
    /* the U-label form for people: A-labels in the input are decoded */
    if (strstr(a, "xn--") && idn2_to_unicode_8z8z(a, &u, 0) == IDN2_OK &&
        strlen(u) < sizeof o->domain) {
        if (strcmp(u, o->domain) != 0)
            o->norms |= MM_ADDR_N_ALABEL_DECODED;
        strcpy(o->domain, u);
    }
    free(u);
    free(a);
    return true;
}

bool mm_addr_idn_map(const char *dom, size_t dn, char *buf, size_t cap)
{
    char in[MM_ADDR_TEXT_MAX];
    char *a = NULL, *u = NULL;
    bool ok = false;
    if (dn >= sizeof in)
        return false;
    memcpy(in, dom, dn);
    in[dn] = '\0';
    if (idn2_lookup_u8((const uint8_t *)in, (uint8_t **)&a, IDN2_NONTRANSITIONAL) == IDN2_OK &&
        idn2_to_unicode_8z8z(a, &u, 0) == IDN2_OK && strlen(u) < cap) {
        strcpy(buf, u);
        ok = true;
    }
    free(a);
    free(u);
    return ok;
}
