/*
 * literal.c - address literals (RFC 5321 4.1.3): "[" IPv4 "]" and
 * "[IPv6:" IPv6 "]".  IPv4 is read as four Snum <= 255; IPv6 is left to
 * inet_pton().  The domain of a literal is kept as given.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "address/address_int.h"

enum { ADDRESS_MAX = 254 };

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

bool mm_addr_all_of(const unsigned char *s, size_t n, const char *set)
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
bool mm_addr_parse_literal(mm_addr_parse *p, size_t d)
{
    const unsigned char *s = p->s;
    size_t n = p->n, k = d + 1;
    for (; k < n && s[k] != ']'; k++) {
        unsigned char ch = s[k];
        if (mm_addr_is_ctl(ch))
            return mm_addr_fail_ctl(p, k, ch);
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
        if (mm_addr_all_of(c, cl, "0123456789abcdefABCDEF:."))
            return mm_addr_fail(p, MM_ADDR_LITERAL_BAD, d + 1, cl);
        const unsigned char *colon = memchr(c, ':', cl);
        return mm_addr_fail(p, MM_ADDR_LITERAL_TAG, d + 1, (size_t)(colon - c));
    } else if (cl && mm_addr_all_of(c, cl, "0123456789.")) {
        if (!ipv4_ok(c, cl))
            return mm_addr_fail(p, MM_ADDR_IPV4_BAD, d + 1, cl);
    } else {
        return mm_addr_fail(p, MM_ADDR_LITERAL_BAD, d + 1, cl);
    }
    return finish_literal(p, d);
}
