/*
 * ipclass.c - what kind of address an MX host points at.
 *
 * One table per family, from the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (RFC 6890 and its updates).  The first matching row wins, so
 * narrower ranges come before wider ones.  Mail sent to any class other than
 * "public" cannot reach the domain from the Internet: an MX there is a
 * misconfiguration (or a test set-up, which mm_mailcheck_allow_private() admits).
 */
#include "dns_int.h"

#include <netinet/in.h>
#include <string.h>

typedef struct range {
    unsigned char prefix[16];
    unsigned bits;
    mm_ip_class klass;
} range;

static const range v4[] = {
    {{0}, 8, MM_IP_UNSPECIFIED},               /* 0/8 "this network", RFC 791, RFC 1122 */
    {{10}, 8, MM_IP_PRIVATE},                  /* RFC 1918 */
    {{100, 64}, 10, MM_IP_SHARED},             /* RFC 6598 carrier-grade NAT */
    {{127}, 8, MM_IP_LOOPBACK},                /* RFC 1122 */
    {{169, 254}, 16, MM_IP_LINK_LOCAL},        /* RFC 3927 */
    {{172, 16}, 12, MM_IP_PRIVATE},            /* RFC 1918 */
    {{192, 0, 0}, 24, MM_IP_RESERVED},         /* RFC 6890 IETF protocol assignments */
    {{192, 0, 2}, 24, MM_IP_DOCUMENTATION},    /* RFC 5737 TEST-NET-1 */
    {{192, 168}, 16, MM_IP_PRIVATE},           /* RFC 1918 */
    {{198, 18}, 15, MM_IP_RESERVED},           /* RFC 2544 benchmarking */
    {{198, 51, 100}, 24, MM_IP_DOCUMENTATION}, /* RFC 5737 TEST-NET-2 */
    {{203, 0, 113}, 24, MM_IP_DOCUMENTATION},  /* RFC 5737 TEST-NET-3 */
    {{224}, 4, MM_IP_RESERVED},                /* multicast, RFC 5771 */
    {{240}, 4, MM_IP_RESERVED},                /* RFC 1112 reserved, and 255.255.255.255 */
};

static const range v6[] = {
    {{0}, 128, MM_IP_UNSPECIFIED},                                           /* ::, RFC 4291 */
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, MM_IP_LOOPBACK}, /* ::1 */
    {{0x01, 0x00}, 64, MM_IP_RESERVED},                  /* 100::/64 discard, RFC 6666 */
    {{0x20, 0x01, 0x0d, 0xb8}, 32, MM_IP_DOCUMENTATION}, /* RFC 3849 */
    {{0xfc}, 7, MM_IP_PRIVATE},                          /* unique local, RFC 4193 */
    {{0xfe, 0x80}, 10, MM_IP_LINK_LOCAL},                /* RFC 4291 */
    {{0xff}, 8, MM_IP_RESERVED},                         /* multicast, RFC 4291 */
};

static int prefix_match(const unsigned char *a, const unsigned char *p, unsigned bits)
{
    unsigned whole = bits / 8, rest = bits % 8;
    if (memcmp(a, p, whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return (a[whole] & mask) == (p[whole] & mask);
}

static mm_ip_class lookup(const range *t, size_t n, const unsigned char *a)
{
    for (size_t i = 0; i < n; i++)
        if (prefix_match(a, t[i].prefix, t[i].bits))
            return t[i].klass;
    return MM_IP_PUBLIC;
}

mm_ip_class mm_ip_classify(int family, const unsigned char *b)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == AF_INET)
        return lookup(v4, sizeof v4 / sizeof v4[0], b);
    if (family != AF_INET6)
        return MM_IP_RESERVED;
    if (memcmp(b, mapped, 12) == 0) /* ::ffff:a.b.c.d is the IPv4 address, RFC 4291 2.5.5.2 */
        return lookup(v4, sizeof v4 / sizeof v4[0], b + 12);
    return lookup(v6, sizeof v6 / sizeof v6[0], b);
}

const char *mm_ip_class_name(mm_ip_class c)
{
    static const char *const names[MM_IP_CLASS_MAX_] = {"public",        "loopback",   "private",
                                                          "unspecified",   "link_local", "shared",
                                                          "documentation", "reserved"};
    return (unsigned)c < MM_IP_CLASS_MAX_ ? names[c] : "unknown";
}
