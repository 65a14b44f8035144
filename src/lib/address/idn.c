/*
 * idn.c - IDNA2008 for domains with U-labels or "xn--" labels, through
 * libidn2 with IDN2_NO_TR46: plain IDNA2008 (RFC 5891 lookup), no UTS 46
 * mapping, so upper-case or full-width U-labels are refused as typed (the
 * fix in fix.c offers the mapped form).  A-labels are decoded and checked
 * (a fake "xn--0" is refused).  When the whole domain fails, each label is
 * tried alone to name the first bad one and, where possible, the first bad
 * character in it.
 *
 * Only this path allocates (inside libidn2); ASCII domains never get here.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "address/address_int.h"

enum { LABEL_MAX = 63, DOMAIN_MAX = 255 };

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
