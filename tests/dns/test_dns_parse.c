/*
 * test_dns_parse.c - the reply parser on canned packets built here byte by
 * byte (compression, several strings per TXT record, null MX, every RCODE,
 * truncations, pointer loops, lying counts), and the small tables around it:
 * address classes, parking services, name checks, reverse names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "dns/dns_int.h"
#include "dns/mailcheck_int.h"

/* ---- a packet builder ---- */

typedef struct pkt {
    unsigned char b[8192];
    size_t n;
} pkt;

static void put8(pkt *p, unsigned v)
{
    p->b[p->n++] = (unsigned char)v;
}

static void put16(pkt *p, unsigned v)
{
    put8(p, v >> 8);
    put8(p, v & 0xFF);
}

static void put32(pkt *p, unsigned long v)
{
    put16(p, (unsigned)(v >> 16));
    put16(p, (unsigned)(v & 0xFFFF));
}

/* "a.b.c" as labels; "" is the root. */
static void put_name(pkt *p, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t len = dot ? (size_t)(dot - name) : strlen(name);
        put8(p, (unsigned)len);
        memcpy(p->b + p->n, name, len);
        p->n += len;
        name += len + (dot != NULL);
    }
    put8(p, 0);
}

static void put_ptr(pkt *p, unsigned off)
{
    put16(p, 0xC000 | off);
}

/* Header and one question; the question name sits at offset 12. */
static void start(pkt *p, int rcode, unsigned ancount, const char *qname, unsigned qtype)
{
    p->n = 0;
    put16(p, 0x1234);
    put16(p, 0x8180 | (unsigned)rcode);
    put16(p, 1);
    put16(p, ancount);
    put16(p, 0);
    put16(p, 0);
    put_name(p, qname);
    put16(p, qtype);
    put16(p, 1);
}

/* RR header with the owner compressed to the question name; returns the RDLENGTH offset. */
static size_t rr(pkt *p, unsigned type)
{
    put_ptr(p, 12);
    put16(p, type);
    put16(p, 1);
    put32(p, 300);
    size_t at = p->n;
    put16(p, 0);
    return at;
}

static void rr_end(pkt *p, size_t at)
{
    size_t len = p->n - at - 2;
    p->b[at] = (unsigned char)(len >> 8);
    p->b[at + 1] = (unsigned char)(len & 0xFF);
}

static void put_txt(pkt *p, const char *const *strings, size_t n)
{
    size_t at = rr(p, MM_DNS_T_TXT);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(strings[i]);
        put8(p, (unsigned)len);
        memcpy(p->b + p->n, strings[i], len);
        p->n += len;
    }
    rr_end(p, at);
}

static mm_dns_answer parse(const pkt *p, int type, mm_arena *a)
{
    mm_dns_answer ans;
    memset(&ans, 0, sizeof ans);
    assert_int_equal(mm_dns_parse_reply(p->b, p->n, type, a, &ans), MM_OK);
    return ans;
}

/* ---- replies ---- */

static void test_a_aaaa(void **state)
{
    (void)state;
    pkt p;
    mm_arena a;
    mm_arena_init(&a);
    start(&p, 0, 2, "mx.example", MM_DNS_T_A);
    size_t at = rr(&p, MM_DNS_T_A);
    put32(&p, 0xC0000219UL); /* 192.0.2.25 */
    rr_end(&p, at);
    at = rr(&p, MM_DNS_T_A);
    put32(&p, 0x7F000001UL);
    rr_end(&p, at);
    mm_dns_answer ans = parse(&p, MM_DNS_T_A, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.rcode, 0);
    assert_int_equal(ans.nrecords, 2);
    assert_string_equal(ans.records[0].u.addr.text, "192.0.2.25");
    assert_int_equal(ans.records[0].u.addr.family, AF_INET);
    assert_int_equal(ans.records[0].u.addr.bytes[3], 25);
    assert_string_equal(ans.records[1].u.addr.text, "127.0.0.1");

    start(&p, 0, 1, "mx.example", MM_DNS_T_AAAA);
    at = rr(&p, MM_DNS_T_AAAA);
    static const unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x25};
    memcpy(p.b + p.n, v6, 16);
    p.n += 16;
    rr_end(&p, at);
    ans = parse(&p, MM_DNS_T_AAAA, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_string_equal(ans.records[0].u.addr.text, "2001:db8::25");
    assert_int_equal(ans.records[0].u.addr.family, AF_INET6);

    /* an AAAA record with a 4-byte RDATA is malformed */
    start(&p, 0, 1, "mx.example", MM_DNS_T_AAAA);
    at = rr(&p, MM_DNS_T_AAAA);
    put32(&p, 1);
    rr_end(&p, at);
    ans = parse(&p, MM_DNS_T_AAAA, &a);
    assert_int_not_equal(ans.result, MM_DNS_ANSWER);
    mm_arena_free(&a);
}

static void test_mx(void **state)
{
    (void)state;
    pkt p;
    mm_arena a;
    mm_arena_init(&a);
    start(&p, 0, 3, "example.com", MM_DNS_T_MX);
    size_t at = rr(&p, MM_DNS_T_MX);
    put16(&p, 10);
    put8(&p, 2);
    memcpy(p.b + p.n, "mx", 2);
    p.n += 2;
    put_ptr(&p, 12); /* mx.example.com, compressed */
    rr_end(&p, at);
    at = rr(&p, MM_DNS_T_MX);
    put16(&p, 20);
    put_name(&p, "backup.example.net");
    rr_end(&p, at);
    at = rr(&p, MM_DNS_T_A); /* a record of another type is skipped */
    put32(&p, 1);
    rr_end(&p, at);
    mm_dns_answer ans = parse(&p, MM_DNS_T_MX, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, 2);
    assert_int_equal(ans.records[0].u.mx.preference, 10);
    assert_string_equal(ans.records[0].u.mx.host, "mx.example.com");
    assert_string_equal(ans.records[1].u.mx.host, "backup.example.net");

    /* RFC 7505 null MX: preference 0, exchange "." */
    start(&p, 0, 1, "example.com", MM_DNS_T_MX);
    at = rr(&p, MM_DNS_T_MX);
    put16(&p, 0);
    put_name(&p, "");
    rr_end(&p, at);
    ans = parse(&p, MM_DNS_T_MX, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, 1);
    assert_string_equal(ans.records[0].u.mx.host, "");
    mm_arena_free(&a);
}

static void test_txt(void **state)
{
    (void)state;
    pkt p;
    mm_arena a;
    mm_arena_init(&a);
    static const char *const spf[] = {"v=spf1 ip4:192.0.2.0/24", " include:_spf.example.com",
                                      " ~all"};
    static const char *const two[] = {"", "x"};
    start(&p, 0, 3, "example.com", MM_DNS_T_TXT);
    put_txt(&p, spf, 3);
    put_txt(&p, two, 2);
    size_t at = rr(&p, MM_DNS_T_TXT); /* one string holding a NUL byte */
    put8(&p, 3);
    put8(&p, 'a');
    put8(&p, 0);
    put8(&p, 'b');
    rr_end(&p, at);
    mm_dns_answer ans = parse(&p, MM_DNS_T_TXT, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, 3);
    int seen = 0;
    for (size_t i = 0; i < ans.nrecords; i++) {
        const mm_dns_record *r = &ans.records[i];
        if (r->u.txt.nstrings == 3) {
            assert_string_equal(r->u.txt.data,
                                "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com ~all");
            seen |= 1;
        } else if (r->u.txt.len == 3) {
            assert_memory_equal(r->u.txt.data, "a\0b", 3);
            seen |= 2;
        } else {
            assert_int_equal(r->u.txt.nstrings, 2);
            assert_string_equal(r->u.txt.data, "x");
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);

    /* a string whose length runs past RDLENGTH */
    start(&p, 0, 1, "example.com", MM_DNS_T_TXT);
    at = rr(&p, MM_DNS_T_TXT);
    put8(&p, 10);
    put8(&p, 'a');
    rr_end(&p, at);
    ans = parse(&p, MM_DNS_T_TXT, &a);
    assert_int_equal(ans.result, MM_DNS_ERROR);
    mm_arena_free(&a);
}

static void test_names(void **state)
{
    (void)state;
    pkt p;
    mm_arena a;
    mm_arena_init(&a);
    start(&p, 0, 2, "25.2.0.192.in-addr.arpa", MM_DNS_T_PTR);
    size_t at = rr(&p, MM_DNS_T_PTR);
    put_name(&p, "mail.example.com");
    rr_end(&p, at);
    at = rr(&p, MM_DNS_T_PTR);
    put_name(&p, "www.example.com");
    rr_end(&p, at);
    mm_dns_answer ans = parse(&p, MM_DNS_T_PTR, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, 2);
    assert_string_equal(ans.records[0].u.name, "mail.example.com");

    start(&p, 0, 2, "example.com", MM_DNS_T_NS);
    at = rr(&p, MM_DNS_T_NS);
    put_name(&p, "ns1.sedoparking.com");
    rr_end(&p, at);
    at = rr(&p, MM_DNS_T_NS);
    put_name(&p, "ns2.sedoparking.com");
    rr_end(&p, at);
    ans = parse(&p, MM_DNS_T_NS, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, 2);

    /* CNAME chain: alias -> mid -> target */
    start(&p, 0, 2, "alias.example.com", MM_DNS_T_CNAME);
    at = rr(&p, MM_DNS_T_CNAME);
    put_name(&p, "mid.example.com");
    rr_end(&p, at);
    put_name(&p, "mid.example.com");
    put16(&p, MM_DNS_T_CNAME);
    put16(&p, 1);
    put32(&p, 60);
    size_t at2 = p.n;
    put16(&p, 0);
    put_name(&p, "target.example.com");
    rr_end(&p, at2);
    ans = parse(&p, MM_DNS_T_CNAME, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, 2);
    assert_string_equal(ans.records[0].u.name, "mid.example.com");
    assert_string_equal(ans.records[1].u.name, "target.example.com");

    /* an A query answered by a CNAME alone: the name has no address */
    start(&p, 0, 1, "alias.example.com", MM_DNS_T_A);
    at = rr(&p, MM_DNS_T_CNAME);
    put_name(&p, "elsewhere.example.net");
    rr_end(&p, at);
    ans = parse(&p, MM_DNS_T_A, &a);
    assert_int_equal(ans.result, MM_DNS_NODATA);
    mm_arena_free(&a);
}

static void test_rcodes(void **state)
{
    (void)state;
    static const struct {
        int rcode;
        unsigned ancount;
        mm_dns_result want;
    } rows[] = {
        {0, 0, MM_DNS_NODATA},   {1, 0, MM_DNS_ERROR},    {2, 0, MM_DNS_SERVFAIL},
        {3, 0, MM_DNS_NXDOMAIN}, {4, 0, MM_DNS_ERROR},    {5, 0, MM_DNS_REFUSED},
        {9, 0, MM_DNS_ERROR},    {3, 1, MM_DNS_NXDOMAIN},
    };
    mm_arena a;
    mm_arena_init(&a);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        pkt p;
        start(&p, rows[i].rcode, rows[i].ancount, "example.com", MM_DNS_T_MX);
        mm_dns_answer ans = parse(&p, MM_DNS_T_MX, &a);
        if (ans.result != rows[i].want || ans.rcode != rows[i].rcode)
            fail_msg("rcode %d: got %s/%d, want %s", rows[i].rcode, mm_dns_result_name(ans.result),
                     ans.rcode, mm_dns_result_name(rows[i].want));
    }
    pkt p = {.n = 5};
    mm_dns_answer ans = parse(&p, MM_DNS_T_A, &a);
    assert_int_equal(ans.result, MM_DNS_ERROR);
    assert_int_equal(ans.rcode, -1);
    mm_arena_free(&a);
}

/* Every prefix of valid replies, pointer loops and lying counts: never a crash. */
static void test_hostile(void **state)
{
    (void)state;
    mm_arena a;
    mm_arena_init(&a);
    pkt p;
    static const char *const s[] = {"hello", "world"};
    start(&p, 0, 2, "example.com", MM_DNS_T_TXT);
    put_txt(&p, s, 2);
    put_txt(&p, s, 1);
    static const int types[] = {MM_DNS_T_A,   MM_DNS_T_AAAA, MM_DNS_T_MX,    MM_DNS_T_TXT,
                                MM_DNS_T_PTR, MM_DNS_T_NS,   MM_DNS_T_CNAME, 99};
    for (size_t cut = 0; cut <= p.n; cut++)
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
            mm_dns_answer ans;
            assert_int_equal(mm_dns_parse_reply(p.b, cut, types[t], &a, &ans), MM_OK);
            if (cut < p.n && types[t] == MM_DNS_T_TXT)
                assert_int_not_equal(ans.result, MM_DNS_ANSWER);
        }

    /* the answer's owner points at itself */
    start(&p, 0, 1, "example.com", MM_DNS_T_CNAME);
    size_t self = p.n;
    put_ptr(&p, (unsigned)self);
    put16(&p, MM_DNS_T_CNAME);
    put16(&p, 1);
    put32(&p, 1);
    put16(&p, 2);
    put_ptr(&p, (unsigned)self);
    for (size_t t = 0; t + 1 < sizeof types / sizeof types[0]; t++) { /* not 99: unparsed */
        mm_dns_answer ans = parse(&p, types[t], &a);
        assert_int_not_equal(ans.result, MM_DNS_ANSWER);
    }

    /* ANCOUNT says 5, one record follows */
    start(&p, 0, 5, "example.com", MM_DNS_T_MX);
    size_t at = rr(&p, MM_DNS_T_MX);
    put16(&p, 10);
    put_name(&p, "mx.example.com");
    rr_end(&p, at);
    mm_dns_answer ans = parse(&p, MM_DNS_T_MX, &a);
    assert_int_not_equal(ans.result, MM_DNS_ANSWER);
    ans = parse(&p, MM_DNS_T_CNAME, &a);
    assert_int_equal(ans.result, MM_DNS_ERROR);

    /* 300 A records: kept up to MM_DNS_MAX_RECORDS */
    start(&p, 0, 300, "many.example", MM_DNS_T_A);
    for (unsigned i = 0; i < 300; i++) {
        at = rr(&p, MM_DNS_T_A);
        put32(&p, 0x5DB8D800UL + i);
        rr_end(&p, at);
    }
    ans = parse(&p, MM_DNS_T_A, &a);
    assert_int_equal(ans.result, MM_DNS_ANSWER);
    assert_int_equal(ans.nrecords, MM_DNS_MAX_RECORDS);
    mm_arena_free(&a);
}

/* ---- tables ---- */

static void test_addr_class(void **state)
{
    (void)state;
    static const struct {
        const char *ip;
        mm_ip_class want;
    } rows[] = {
        {"93.184.216.34", MM_IP_PUBLIC},
        {"8.8.8.8", MM_IP_PUBLIC},
        {"127.0.0.1", MM_IP_LOOPBACK},
        {"127.255.255.254", MM_IP_LOOPBACK},
        {"10.0.0.1", MM_IP_PRIVATE},
        {"172.16.0.1", MM_IP_PRIVATE},
        {"172.31.255.255", MM_IP_PRIVATE},
        {"172.32.0.1", MM_IP_PUBLIC},
        {"172.15.255.255", MM_IP_PUBLIC},
        {"192.168.1.1", MM_IP_PRIVATE},
        {"0.0.0.0", MM_IP_UNSPECIFIED},
        {"169.254.1.1", MM_IP_LINK_LOCAL},
        {"100.64.0.1", MM_IP_SHARED},
        {"100.128.0.1", MM_IP_PUBLIC},
        {"192.0.2.1", MM_IP_DOCUMENTATION},
        {"198.51.100.7", MM_IP_DOCUMENTATION},
        {"203.0.113.9", MM_IP_DOCUMENTATION},
        {"198.18.0.1", MM_IP_RESERVED},
        {"198.20.0.1", MM_IP_PUBLIC},
        {"224.0.0.1", MM_IP_RESERVED},
        {"255.255.255.255", MM_IP_RESERVED},
        {"::", MM_IP_UNSPECIFIED},
        {"::1", MM_IP_LOOPBACK},
        {"fd00::25", MM_IP_PRIVATE},
        {"fc00::1", MM_IP_PRIVATE},
        {"fe80::1", MM_IP_LINK_LOCAL},
        {"febf::1", MM_IP_LINK_LOCAL},
        {"fec0::1", MM_IP_PUBLIC},
        {"ff02::1", MM_IP_RESERVED},
        {"2001:db8::1", MM_IP_DOCUMENTATION},
        {"2606:2800:220:1::1", MM_IP_PUBLIC},
        {"::ffff:127.0.0.1", MM_IP_LOOPBACK},
        {"::ffff:93.184.216.34", MM_IP_PUBLIC},
        {"100::1", MM_IP_RESERVED},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned char b[16];
        int fam = strchr(rows[i].ip, ':') ? AF_INET6 : AF_INET;
        assert_int_equal(inet_pton(fam, rows[i].ip, b), 1);
        mm_ip_class got = mm_ip_classify(fam, b);
        if (got != rows[i].want)
            fail_msg("%s: got %s, want %s", rows[i].ip, mm_ip_class_name(got),
                     mm_ip_class_name(rows[i].want));
    }
    assert_string_equal(mm_ip_class_name(MM_IP_LINK_LOCAL), "link_local");
}

static void test_parking_and_names(void **state)
{
    (void)state;
    assert_string_equal(mm_parking_service("ns1.sedoparking.com", "example.com"), "Sedo");
    assert_string_equal(mm_parking_service("NS2.BODIS.COM", "example.com"), "Bodis");
    assert_string_equal(mm_parking_service("park-mx.above.com", "example.com"), "Above.com");
    assert_null(mm_parking_service("notsedoparking.com", "example.com"));
    assert_null(mm_parking_service("ns1.sedoparking.com.evil.example", "example.com"));
    assert_null(mm_parking_service("mx.sedoparking.com", "sedoparking.com")); /* its own */
    assert_null(mm_parking_service("mx1.example.com", "example.com"));

    assert_true(mm_dns_name_ok("example.com"));
    assert_true(mm_dns_name_ok("example.com."));
    assert_true(mm_dns_name_ok("."));
    assert_false(mm_dns_name_ok(""));
    assert_false(mm_dns_name_ok("a..b"));
    assert_false(mm_dns_name_ok(".a"));
    assert_false(mm_dns_name_ok("a b"));
    char label[80];
    memset(label, 'a', 63);
    label[63] = '\0';
    assert_true(mm_dns_name_ok(label));
    memset(label, 'a', 64);
    label[64] = '\0';
    assert_false(mm_dns_name_ok(label));

    char out[80];
    assert_int_equal(mm_dns_reverse_name("192.0.2.1", NULL, out, sizeof out), MM_OK);
    assert_string_equal(out, "1.2.0.192.in-addr.arpa");
    assert_int_equal(mm_dns_reverse_name("2001:db8::1", NULL, out, sizeof out), MM_OK);
    assert_string_equal(out,
                        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    assert_int_equal(mm_dns_reverse_name("2001:db8::1", NULL, out, 73), MM_OK);
    assert_int_equal(mm_dns_reverse_name("2001:db8::1", NULL, out, 72), MM_ETOOBIG);
    assert_int_equal(mm_dns_reverse_name("1.2.3", NULL, out, sizeof out), MM_EINVAL);
    assert_int_equal(mm_dns_reverse_name("192.0.2.99", "zen.spamhaus.org.", out, sizeof out), MM_OK);
    assert_string_equal(out, "99.2.0.192.zen.spamhaus.org");
    assert_int_equal(mm_dns_reverse_name("2001:db8::1", "dnsbl.example", out, sizeof out), MM_OK);
    assert_string_equal(out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.dnsbl.example");
    assert_int_equal(mm_dns_reverse_name("192.0.2.99", "", out, sizeof out), MM_EINVAL);
    assert_int_equal(mm_dns_reverse_name("192.0.2.99", "x.example", out, 10), MM_ETOOBIG);

    for (int s = 0; s < MM_MX_STATUS_MAX_; s++) {
        assert_string_not_equal(mm_mx_status_name((mm_mx_status)s), "unknown");
        assert_non_null(mm_mx_status_message((mm_mx_status)s));
    }
    assert_string_equal(mm_mx_status_name(MM_MX_NULL_MX), "null_mx");
    assert_string_equal(mm_mx_host_status_name(MM_MX_HOST_IP_LITERAL), "ip_literal");
    assert_true(mm_mx_status_is_temporary(MM_MX_TIMEOUT));
    assert_false(mm_mx_status_is_temporary(MM_MX_NXDOMAIN));
    assert_true(mm_dns_result_is_temporary(MM_DNS_REFUSED));
    assert_false(mm_dns_result_is_temporary(MM_DNS_NODATA));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_aaaa),     cmocka_unit_test(test_mx),
        cmocka_unit_test(test_txt),        cmocka_unit_test(test_names),
        cmocka_unit_test(test_rcodes),     cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_addr_class), cmocka_unit_test(test_parking_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
