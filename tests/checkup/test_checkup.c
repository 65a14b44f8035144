/*
 * test_checkup.c - the checkup library without a network: the zone reader
 * (mm_zonedb) as a DNS backend, a whole checkup over it, the generic-PTR
 * heuristic, the grade rule, the providers table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <mailmedic/checkup.h>

static const char ZONE[] =
    "$ORIGIN example.com.\n"
    "$TTL 300\n"
    "@ IN SOA ns hostmaster ( 1 3600 600\n 86400 300 )\n"
    "@ TXT \"v=spf1 ip4:5.6.7.20 \" \"include:_spf.example.com -all\" ; two strings\n"
    "_spf TXT \"v=spf1 ip4:5.6.8.0/24 -all\"\n"
    "  MX 10 mx\n" /* blank owner: _spf */
    "@ MX 10 mx.example.com.\n"
    "mx A 5.6.7.25\n"
    "mail A 5.6.7.20\n"
    "alias CNAME mail\n"
    "_dmarc TXT \"v=DMARC1\\; p=none; rua=mailto:d@example.com\"\n"
    "_mta-sts TXT \"v=STSv1; id=20260101\"\n"
    "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@example.com\"\n"
    "$ORIGIN example.net.\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "@ MX 10 mx.example.com.\n"
    "$ORIGIN zen.spamhaus.org.\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "30.7.6.5 A 127.0.0.4\n"
    "30.7.6.5 TXT \"exploited host\"\n"
    "31.7.6.5 A 127.255.255.254\n"
    "$ORIGIN dbl.spamhaus.org.\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "example.net A 127.0.1.2\n"
    "$ORIGIN 7.6.5.in-addr.arpa.\n"
    "20 PTR mail.example.com.\n";

typedef struct got {
    mm_dns_result result;
    size_t n;
    char first[128];
} got;

static void on_answer(void *arg, const mm_dns_answer *a)
{
    got *g = arg;
    g->result = a->result;
    g->n = a->nrecords;
    g->first[0] = 0;
    if (a->nrecords && a->type == MM_DNS_T_TXT)
        snprintf(g->first, sizeof g->first, "%s", a->records[0].u.txt.data);
    else if (a->nrecords && (a->type == MM_DNS_T_A || a->type == MM_DNS_T_AAAA))
        snprintf(g->first, sizeof g->first, "%s", a->records[0].u.addr.text);
    else if (a->nrecords && a->type == MM_DNS_T_MX)
        snprintf(g->first, sizeof g->first, "%s", a->records[0].u.mx.host);
    else if (a->nrecords && a->type == MM_DNS_T_PTR)
        snprintf(g->first, sizeof g->first, "%s", a->records[0].u.name);
}

static mm_zonedb *load(void)
{
    mm_zonedb *z = NULL;
    char err[128] = "";
    assert_int_equal(mm_zonedb_create(&z), MM_OK);
    assert_int_equal(mm_zonedb_load(z, ZONE, sizeof ZONE - 1, NULL, err, sizeof err), MM_OK);
    return z;
}

static got ask(mm_dns *d, const char *name, int type)
{
    got g = {MM_DNS_ERROR, 0, ""};
    assert_int_equal(mm_dns_query(d, name, type, on_answer, &g), MM_OK);
    assert_int_equal(mm_dns_run(d), MM_OK);
    return g;
}

static void test_zone_answers(void **state)
{
    (void)state;
    mm_zonedb *z = load();
    mm_dns_backend b;
    mm_dns *d = NULL;
    mm_zonedb_backend(z, &b);
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    got g = ask(d, "EXAMPLE.com.", MM_DNS_T_TXT);
    assert_int_equal(g.result, MM_DNS_ANSWER);
    assert_string_equal(g.first, "v=spf1 ip4:5.6.7.20 include:_spf.example.com -all");
    g = ask(d, "_dmarc.example.com", MM_DNS_T_TXT);
    assert_string_equal(g.first, "v=DMARC1; p=none; rua=mailto:d@example.com");
    g = ask(d, "_spf.example.com", MM_DNS_T_MX);
    assert_string_equal(g.first, "mx.example.com");
    g = ask(d, "alias.example.com", MM_DNS_T_A);
    assert_int_equal(g.result, MM_DNS_ANSWER);
    assert_string_equal(g.first, "5.6.7.20");
    g = ask(d, "mail.example.com", MM_DNS_T_AAAA);
    assert_int_equal(g.result, MM_DNS_NODATA);
    g = ask(d, "nope.example.com", MM_DNS_T_A);
    assert_int_equal(g.result, MM_DNS_NXDOMAIN);
    g = ask(d, "example.org", MM_DNS_T_A); /* outside every zone */
    assert_int_equal(g.result, MM_DNS_NXDOMAIN);
    g = ask(d, "20.7.6.5.in-addr.arpa", MM_DNS_T_PTR);
    assert_string_equal(g.first, "mail.example.com");
    mm_dns_free(d);
    mm_zonedb_free(z);
}

static bool has_finding(const mm_checkup_section *s, const char *id)
{
    for (size_t i = 0; i < s->nfindings; i++)
        if (strcmp(s->findings[i].id, id) == 0)
            return true;
    return false;
}

/* The dnsbl and mta_sts sections over the zone reader: a listed IP, a refusal
 * (never a listing), a listed domain, missing MTA-STS / TLS-RPT records. */
static void test_checkup_blocklists(void **state)
{
    (void)state;
    mm_zonedb *z = load();
    mm_dns_backend b;
    mm_dns *d = NULL;
    mm_zonedb_backend(z, &b);
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    mm_checkup_opts o = {.ip = "5.6.7.30",
                         .sections = 1u << MM_CHECKUP_DNSBL | 1u << MM_CHECKUP_MTASTS |
                                     1u << MM_CHECKUP_MX,
                         .no_policy_fetch = true};
    mm_checkup *c = NULL;
    assert_int_equal(mm_checkup_run(d, "example.com", &o, &c), MM_OK);
    const mm_checkup_section *s = mm_checkup_section_get(c, MM_CHECKUP_DNSBL);
    assert_int_equal(s->status, MM_CHECKUP_FAIL);
    assert_true(has_finding(s, "dnsbl.listed"));
    assert_true(has_finding(s, "dnsbl.code.xbl"));
    assert_true(s->nfixes == 1 && strstr(s->fixes[0].value, "spamhaus"));
    s = mm_checkup_section_get(c, MM_CHECKUP_MTASTS);
    assert_int_equal(s->status, MM_CHECKUP_OK);
    assert_true(has_finding(s, "mta_sts.policy_not_fetched"));
    mm_checkup_free(c);

    o.ip = "5.6.7.31"; /* the refusal code: cannot tell */
    assert_int_equal(mm_checkup_run(d, "example.com", &o, &c), MM_OK);
    s = mm_checkup_section_get(c, MM_CHECKUP_DNSBL);
    assert_int_equal(s->status, MM_CHECKUP_UNKNOWN);
    assert_true(has_finding(s, "dnsbl.refused"));
    assert_false(has_finding(s, "dnsbl.listed"));
    mm_checkup_free(c);

    o.ip = NULL; /* a listed domain, no MTA-STS nor TLS-RPT: warn */
    assert_int_equal(mm_checkup_run(d, "example.net", &o, &c), MM_OK);
    s = mm_checkup_section_get(c, MM_CHECKUP_DNSBL);
    assert_int_equal(s->status, MM_CHECKUP_FAIL);
    s = mm_checkup_section_get(c, MM_CHECKUP_MTASTS);
    assert_int_equal(s->status, MM_CHECKUP_WARN);
    assert_true(has_finding(s, "mta_sts.none") && has_finding(s, "tlsrpt.none"));
    assert_false(has_finding(s, "mta_sts.policy_not_fetched"));
    mm_checkup_free(c);
    mm_dns_free(d);
    mm_zonedb_free(z);
}

static void test_zone_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "$ORIGIN x.org.\n@ TXT \"open\n",
        "$ORIGIN x.org.\n@ A 1.2.3\n",
        "$ORIGIN x.org.\n@ MX ten mx\n",
        "$ORIGIN x.org.\n@ BOGUS 1\n",
        "$ORIGIN x.org.\n@ TXT ( \"a\"\n",
        "$INCLUDE other\n",
        "@ A 1.2.3.4\n", /* no origin, no SOA */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mm_zonedb *z = NULL;
        char err[128] = "";
        assert_int_equal(mm_zonedb_create(&z), MM_OK);
        assert_int_equal(mm_zonedb_load(z, bad[i], strlen(bad[i]), NULL, err, sizeof err),
                         MM_EPARSE);
        assert_non_null(strstr(err, "line "));
        mm_zonedb_free(z);
    }
}

static void test_checkup_offline(void **state)
{
    (void)state;
    mm_zonedb *z = load();
    mm_dns_backend b;
    mm_dns *d = NULL;
    mm_zonedb_backend(z, &b);
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    mm_checkup_opts o = {.ip = "5.6.7.20", .helo = "mail.example.com", .provider = "google",
                         .no_policy_fetch = true};
    mm_checkup *c = NULL;
    assert_int_equal(mm_checkup_run(d, "Example.COM.", &o, &c), MM_OK);
    assert_string_equal(mm_checkup_domain(c), "example.com");
    assert_int_equal(mm_spf_eval_result(mm_checkup_spf_eval(c)), MM_SPF_PASS);
    assert_int_equal(mm_checkup_section_get(c, MM_CHECKUP_SPF)->status, MM_CHECKUP_OK);
    assert_int_equal(mm_checkup_section_get(c, MM_CHECKUP_DMARC)->status, MM_CHECKUP_WARN);
    assert_int_equal(mm_checkup_section_get(c, MM_CHECKUP_MX)->status, MM_CHECKUP_OK);
    assert_int_equal(mm_checkup_section_get(c, MM_CHECKUP_PTR)->status, MM_CHECKUP_OK);
    assert_true(mm_checkup_ptr(c)->fcrdns);
    assert_true(mm_checkup_ptr(c)->helo_match);
    assert_int_equal(mm_checkup_section_get(c, MM_CHECKUP_DNSBL)->status, MM_CHECKUP_OK);
    assert_int_equal(mm_checkup_section_get(c, MM_CHECKUP_MTASTS)->status, MM_CHECKUP_OK);
    /* dkim: no key at the common selectors -> warn; dmarc p=none -> warn: 80 */
    assert_int_equal(mm_checkup_score(c), 80);
    assert_int_equal(mm_checkup_grade(c), 'B');
    assert_int_equal(mm_checkup_nverdicts(c), 6);
    assert_string_equal(mm_checkup_verdict_at(c, 0)->id, "google");
    assert_int_equal(mm_checkup_verdict_at(c, 0)->status, MM_VERDICT_CANNOT_TELL);
    mm_checkup_free(c);

    /* a sending IP not covered: the fix adds the provider and the IP */
    o.ip = "9.9.9.9";
    assert_int_equal(mm_checkup_run(d, "example.com", &o, &c), MM_OK);
    const mm_checkup_section *s = mm_checkup_section_get(c, MM_CHECKUP_SPF);
    assert_int_equal(s->status, MM_CHECKUP_FAIL);
    assert_true(s->nfixes >= 1);
    assert_string_equal(s->fixes[0].value, "v=spf1 ip4:5.6.7.20 include:_spf.example.com "
                                           "include:_spf.google.com ip4:9.9.9.9 -all");
    assert_int_equal(mm_checkup_ptr(c)->result, MM_DNS_NXDOMAIN);
    assert_int_equal(mm_checkup_verdict_at(c, 0)->status, MM_VERDICT_NOT_MET);
    mm_checkup_free(c);

    o.ip = "not an ip";
    assert_int_equal(mm_checkup_run(d, "example.com", &o, &c), MM_EINVAL);
    assert_null(c);
    mm_dns_free(d);
    mm_zonedb_free(z);
}

static void test_generic(void **state)
{
    (void)state;
    assert_true(mm_checkup_ptr_generic("20-7-6-5.dynamic.isp.example", "5.6.7.20"));
    assert_true(mm_checkup_ptr_generic("host5-6-7-20.isp.example", "5.6.7.20"));
    assert_true(mm_checkup_ptr_generic("005006007020.isp.example", "5.6.7.20"));
    assert_true(mm_checkup_ptr_generic("adsl-pool.isp.example", "1.2.3.4"));
    assert_true(mm_checkup_ptr_generic("ppp123.isp.example", NULL));
    assert_true(mm_checkup_ptr_generic("cable.isp.example", NULL));
    assert_false(mm_checkup_ptr_generic("mail.example.com", "5.6.7.20"));
    assert_false(mm_checkup_ptr_generic("mx1.mail.qq.com", "5.6.7.20"));
    assert_false(mm_checkup_ptr_generic("", "5.6.7.20"));
    assert_false(mm_checkup_ptr_generic(NULL, NULL));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(mm_checkup_status_name(MM_CHECKUP_NOT_CHECKED), "not_checked");
    assert_string_equal(mm_checkup_section_name(MM_CHECKUP_MTASTS), "mta_sts");
    assert_string_equal(mm_checkup_verdict_name(MM_VERDICT_CANNOT_TELL), "cannot_tell");
    size_t n = 0;
    const mm_checkup_provider *p = mm_checkup_providers(&n);
    assert_int_equal(n, 5);
    assert_non_null(p);
    assert_string_equal(mm_checkup_provider_find("tencent")->spf_include, "spf.mail.qq.com");
    assert_string_equal(mm_checkup_provider_find("microsoft")->selectors, "selector1 selector2");
    assert_null(mm_checkup_provider_find("nosuch"));
    assert_null(mm_checkup_provider_find(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zone_answers),    cmocka_unit_test(test_zone_errors),
        cmocka_unit_test(test_checkup_offline), cmocka_unit_test(test_generic),
        cmocka_unit_test(test_names),           cmocka_unit_test(test_checkup_blocklists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
