/*
 * test_dnsbl.c - the pure parts of the dnsbl and transport modules, with our
 * own fixtures: reading blocklist answers (codes, bitmasks, refusals), the
 * list table's invariants, the MTA-STS / TLS-RPT / BIMI record parsers, the
 * MTA-STS policy parser and MX pattern matching (RFC 8461 4.1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <mailmedic/dnsbl.h>
#include <mailmedic/transport.h>

/* ---- reading answers ---- */

typedef struct read_case {
    const char *list;
    const char *addrs[4];
    mm_dnsbl_status status;
    const char *ids; /* joined with "," */
} read_case;

static const read_case read_cases[] = {
    {"spamhaus-zen", {NULL}, MM_DNSBL_NOT_LISTED, ""},
    {"spamhaus-zen", {"127.0.0.2"}, MM_DNSBL_LISTED, "sbl"},
    {"spamhaus-zen", {"127.0.0.4", "127.0.0.11"}, MM_DNSBL_LISTED, "xbl,pbl_spamhaus"},
    {"spamhaus-zen", {"127.0.0.9", "127.0.0.2"}, MM_DNSBL_LISTED, "drop,sbl"},
    {"spamhaus-zen", {"127.0.0.99"}, MM_DNSBL_LISTED, "unknown"},
    /* refusals are never listings, even beside a listing code */
    {"spamhaus-zen", {"127.255.255.254"}, MM_DNSBL_REFUSED, "open_resolver"},
    {"spamhaus-zen", {"127.255.255.255"}, MM_DNSBL_REFUSED, "over_quota"},
    {"spamhaus-zen", {"127.255.255.252"}, MM_DNSBL_REFUSED, "typo_zone"},
    {"spamhaus-zen", {"127.255.255.1"}, MM_DNSBL_REFUSED, "query_error"},
    {"spamhaus-zen", {"127.0.0.2", "127.255.255.254"}, MM_DNSBL_REFUSED, "sbl,open_resolver"},
    /* outside 127/8: an error, not a listing */
    {"spamhaus-zen", {"10.0.0.1"}, MM_DNSBL_ERROR, "not_loopback"},
    {"spamhaus-zen", {"garbage"}, MM_DNSBL_ERROR, "not_loopback"},
    {"spamhaus-dbl", {"127.0.1.2"}, MM_DNSBL_LISTED, "spam"},
    {"spamhaus-dbl", {"127.0.1.102"}, MM_DNSBL_LISTED, "abused_legit"},
    {"spamhaus-dbl", {"127.0.1.255"}, MM_DNSBL_REFUSED, "ip_query"},
    {"spamhaus-dbl", {"127.255.255.254"}, MM_DNSBL_REFUSED, "open_resolver"},
    /* bitmasks */
    {"surbl", {"127.0.0.8"}, MM_DNSBL_LISTED, "ph"},
    {"surbl", {"127.0.0.88"}, MM_DNSBL_LISTED, "ph,mw,abuse"},
    {"surbl", {"127.0.0.1"}, MM_DNSBL_REFUSED, "blocked"},
    {"surbl", {"127.0.0.2"}, MM_DNSBL_LISTED, "unknown"},
    {"surbl", {"127.0.1.8"}, MM_DNSBL_LISTED, "unknown"},
    {"uribl", {"127.0.0.14"}, MM_DNSBL_LISTED, "black,grey,red"},
    {"uribl", {"127.0.0.1"}, MM_DNSBL_REFUSED, "blocked"},
    {"uribl", {"127.0.0.3"}, MM_DNSBL_REFUSED, "blocked"}, /* bit 0x1 set: refused */
    {"mailspike", {"127.0.0.11"}, MM_DNSBL_LISTED, "l4"},
    {"barracuda", {"127.0.0.2"}, MM_DNSBL_LISTED, "listed"},
    {"casa-cblplus", {"127.0.8.6"}, MM_DNSBL_LISTED, "cbl_cdl"},
    {"casa-cblplus", {"127.0.0.2"}, MM_DNSBL_LISTED, "unknown"},
};

static void test_read(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof read_cases / sizeof read_cases[0]; i++) {
        const read_case *c = &read_cases[i];
        const mm_dnsbl_list *l = mm_dnsbl_list_find(c->list);
        assert_non_null(l);
        size_t n = 0, nc = 99;
        while (n < 4 && c->addrs[n])
            n++;
        mm_dnsbl_code codes[MM_DNSBL_MAX_CODES];
        mm_dnsbl_status st = mm_dnsbl_read(l, c->addrs, n, codes, MM_DNSBL_MAX_CODES, &nc);
        char ids[200] = "";
        for (size_t k = 0; k < nc; k++) {
            if (k)
                strcat(ids, ",");
            strcat(ids, codes[k].id);
            assert_non_null(codes[k].message);
        }
        if (st != c->status || strcmp(ids, c->ids) != 0)
            fail_msg("case %zu (%s %s): got %s \"%s\", want %s \"%s\"", i, c->list,
                     n ? c->addrs[0] : "-", mm_dnsbl_status_name(st), ids,
                     mm_dnsbl_status_name(c->status), c->ids);
    }
}

static void test_read_cap(void **state)
{
    (void)state;
    const mm_dnsbl_list *l = mm_dnsbl_list_find("uribl");
    const char *a[] = {"127.0.0.14"};
    mm_dnsbl_code codes[2];
    size_t nc = 0;
    assert_int_equal(mm_dnsbl_read(l, a, 1, codes, 2, &nc), MM_DNSBL_LISTED);
    assert_int_equal(nc, 2); /* capped, never past max */
}

/* Every row: unique id, a zone, a delisting page unless retired, documented codes. */
static void test_table(void **state)
{
    (void)state;
    size_t n = mm_dnsbl_list_count();
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++) {
        const mm_dnsbl_list *l = mm_dnsbl_list_get(i);
        assert_ptr_equal(mm_dnsbl_list_find(l->id), l);
        assert_true(strchr(l->zone, '.') != NULL);
        assert_true(l->retired || strncmp(l->delist_url, "http", 4) == 0);
        assert_true(l->nmeanings > 0);
        for (size_t k = 0; k < l->nmeanings; k++)
            assert_true(l->bitmask ? l->meanings[k].addr == NULL
                                   : strncmp(l->meanings[k].addr, "127.", 4) == 0);
        assert_non_null(l->note);
    }
    assert_null(mm_dnsbl_list_get(n));
    assert_null(mm_dnsbl_list_find("nope"));
    assert_true(mm_dnsbl_list_find("sorbs")->retired);
    assert_true(mm_dnsbl_list_find("casa-cblplus")->optional);
    assert_false(mm_dnsbl_list_find("spamhaus-zen")->optional);
    assert_string_equal(mm_dnsbl_status_name(MM_DNSBL_REFUSED), "refused");
    assert_string_equal(mm_dnsbl_status_name(MM_DNSBL_STATUS_MAX_), "unknown");
    assert_true(mm_dnsbl_status_is_unknown(MM_DNSBL_TIMEOUT));
    assert_false(mm_dnsbl_status_is_unknown(MM_DNSBL_LISTED));
}

/* ---- transport records ---- */

typedef struct rec_case {
    mm_transport_kind kind;
    const char *txt;
    bool valid;
    const char *lint; /* wanted lint id, NULL = no lint at all */
} rec_case;

static const rec_case rec_cases[] = {
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=20160831085700Z;", true, NULL},
    {MM_TRANSPORT_MTA_STS, "v=STSv1;id=abc", true, NULL},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=abc; ext_1=x", true, "unknown_field"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1", false, "no_id"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=", false, "bad_id"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=123456789012345678901234567890123", false, "bad_id"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=a-b", false, "bad_id"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=1; id=2", false, "duplicate_field"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=1; -x=1", false, "bad_field_name"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=1; x=a b", false, "bad_field_value"},
    {MM_TRANSPORT_MTA_STS, "v=STSv1; id=1; junk", false, "syntax"},
    {MM_TRANSPORT_MTA_STS, "id=1; v=STSv1", false, "not_first_version"},
    {MM_TRANSPORT_MTA_STS, "v=stsv1; id=1", false, "not_first_version"},
    {MM_TRANSPORT_MTA_STS, "v=STSv10; id=1", false, "not_first_version"},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1; rua=mailto:reports@example.com", true, NULL},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1;rua=https://reporting.example.com/v1/tlsrpt", true, NULL},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.net/x;", true,
     NULL},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1", false, "no_rua"},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1; rua=http://r.example.com/", false, "rua_scheme"},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1; rua=mailto:nobody", false, "rua_bad_uri"},
    {MM_TRANSPORT_TLSRPT, "v=TLSRPTv1; rua=mailto:a@b.example; rua=mailto:c@d.example", false,
     "duplicate_field"},
    {MM_TRANSPORT_BIMI, "v=BIMI1; l=https://example.com/logo.svg; a=https://example.com/vmc.pem",
     true, NULL},
    {MM_TRANSPORT_BIMI, "v=BIMI1; l=https://example.com/logo.svg;", true, "no_authority"},
    {MM_TRANSPORT_BIMI, "v=BIMI1; l=; a=;", true, "declined"},
    {MM_TRANSPORT_BIMI, "v=BIMI1; l=http://example.com/logo.svg", false, "logo_not_https"},
    {MM_TRANSPORT_BIMI, "v=BIMI1; l=https://example.com/logo.png; a=https://e.example/a.pem", true,
     "logo_not_svg"},
    {MM_TRANSPORT_BIMI, "v=BIMI1; a=https://example.com/vmc.pem", false, "no_logo"},
    {MM_TRANSPORT_BIMI, "v=BIMI1; l=https://e.example/l.svg; a=ftp://e.example/a.pem", false,
     "authority_not_https"},
};

static bool has_lint(const mm_transport_lint *l, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].id, id) == 0)
            return true;
    return false;
}

static void test_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rec_cases / sizeof rec_cases[0]; i++) {
        const rec_case *c = &rec_cases[i];
        mm_transport_record *r = NULL;
        assert_int_equal(mm_transport_parse(c->kind, c->txt, strlen(c->txt), &r), MM_OK);
        bool ok = r->valid == c->valid &&
                  (c->lint ? has_lint(r->lints, r->nlints, c->lint) : r->nlints == 0);
        if (!ok)
            fail_msg("\"%s\": got valid %d, %zu lint(s) first \"%s\"; want valid %d, lint %s",
                     c->txt, r->valid, r->nlints, r->nlints ? r->lints[0].id : "", c->valid,
                     c->lint ? c->lint : "none");
        mm_transport_record_free(r);
    }
}

static void test_record_values(void **state)
{
    (void)state;
    mm_transport_record *r = NULL;
    const char *t = "v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.net/x";
    assert_int_equal(mm_transport_parse(MM_TRANSPORT_TLSRPT, t, strlen(t), &r), MM_OK);
    assert_int_equal(r->nrua, 2);
    assert_string_equal(r->rua[0], "mailto:a@example.com");
    assert_string_equal(r->rua[1], "https://r.example.net/x");
    mm_transport_record_free(r);
    t = "v=STSv1; id=abc123";
    assert_int_equal(mm_transport_parse(MM_TRANSPORT_MTA_STS, t, strlen(t), &r), MM_OK);
    assert_string_equal(r->id, "abc123");
    mm_transport_record_free(r);
    /* a NUL inside: invalid, no crash */
    assert_int_equal(mm_transport_parse(MM_TRANSPORT_MTA_STS, "v=STSv1; id=a\0b", 15, &r), MM_OK);
    assert_false(r->valid);
    mm_transport_record_free(r);
    char big[MM_TRANSPORT_MAX_RECORD + 2];
    memset(big, 'a', sizeof big);
    assert_int_equal(mm_transport_parse(MM_TRANSPORT_BIMI, big, sizeof big, &r), MM_ETOOBIG);
    mm_transport_record_free(NULL);
    char name[300];
    assert_int_equal(mm_transport_name(MM_TRANSPORT_TLSRPT, "example.com.", name, sizeof name),
                     MM_OK);
    assert_string_equal(name, "_smtp._tls.example.com");
    assert_int_equal(mm_transport_name(MM_TRANSPORT_BIMI, "example.com", name, 10), MM_ETOOBIG);
}

/* ---- MTA-STS policy ---- */

static void test_policy_good(void **state)
{
    (void)state;
    const char *t = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"
                    "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
    mm_mta_sts_policy *p = NULL;
    assert_int_equal(mm_mta_sts_policy_parse(t, strlen(t), &p), MM_OK);
    assert_true(p->valid);
    assert_int_equal(p->nlints, 0);
    assert_int_equal(p->mode, MM_MTA_STS_MODE_ENFORCE);
    assert_int_equal(p->max_age, 604800);
    assert_int_equal(p->nmx, 3);
    assert_true(mm_mta_sts_policy_covers(p, "MAIL.example.com."));
    assert_true(mm_mta_sts_policy_covers(p, "mx1.example.net"));
    assert_false(mm_mta_sts_policy_covers(p, "a.b.example.net"));
    assert_false(mm_mta_sts_policy_covers(p, "example.net"));
    assert_false(mm_mta_sts_policy_covers(p, "other.example.com"));
    mm_mta_sts_policy_free(p);
}

typedef struct pol_case {
    const char *text;
    bool valid;
    const char *lint;
} pol_case;

static const pol_case pol_cases[] = {
    {"version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n", true, "policy_testing"},
    {"version: STSv1\nmode: none\nmax_age: 86400\n", true, "policy_mode_none"},
    {"version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 300\n", true,
     "policy_short_max_age"},
    {"mode: enforce\nmx: mx.example.com\nmax_age: 86400\n", false, "policy_no_version"},
    {"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 86400\n", false, "policy_bad_version"},
    {"version: STSv1\nmx: a.example\nmax_age: 86400\n", false, "policy_no_mode"},
    {"version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 86400\n", false, "policy_bad_mode"},
    {"version: STSv1\nmode: enforce\nmx: a.example\n", false, "policy_no_max_age"},
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", false,
     "policy_bad_max_age"},
    {"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", false, "policy_bad_max_age"},
    {"version: STSv1\nmode: enforce\nmax_age: 86400\n", false, "policy_no_mx"},
    {"version: STSv1\nmode: enforce\nmx: a..example\nmax_age: 86400\n", false, "policy_bad_mx"},
    {"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 86400\n", false, "policy_bad_mx"},
    {"version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 86400\n", false,
     "policy_duplicate"},
    {"version STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n", false, "policy_syntax"},
    {"", false, "policy_no_version"},
};

static void test_policy_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pol_cases / sizeof pol_cases[0]; i++) {
        mm_mta_sts_policy *p = NULL;
        const pol_case *c = &pol_cases[i];
        assert_int_equal(mm_mta_sts_policy_parse(c->text, strlen(c->text), &p), MM_OK);
        if (p->valid != c->valid || !has_lint(p->lints, p->nlints, c->lint))
            fail_msg("case %zu: got valid %d first lint \"%s\"; want valid %d lint %s", i, p->valid,
                     p->nlints ? p->lints[0].id : "", c->valid, c->lint);
        mm_mta_sts_policy_free(p);
    }
}

static void test_mx_match(void **state)
{
    (void)state;
    assert_true(mm_mta_sts_mx_match("mail.example.com", "mail.example.com"));
    assert_true(mm_mta_sts_mx_match("mail.example.com.", "MAIL.Example.COM"));
    assert_true(mm_mta_sts_mx_match("*.example.com", "mx1.example.com"));
    assert_false(mm_mta_sts_mx_match("*.example.com", "example.com"));
    assert_false(mm_mta_sts_mx_match("*.example.com", "a.mx1.example.com"));
    assert_false(mm_mta_sts_mx_match("*.example.com", ".example.com"));
    assert_false(mm_mta_sts_mx_match("mail.example.com", "mail.example.com.evil"));
    assert_false(mm_mta_sts_mx_match("", "x"));
    assert_false(mm_mta_sts_mx_match(NULL, "x"));
}

/* ---- the checker on an in-memory DNS backend (no server) ---- */

/* zen: 2.0.0.127 listed (A 127.0.0.2, TXT), everything else SERVFAIL;
 * spamcop: REFUSED (rcode 5); the domain lists: NXDOMAIN. */
static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    static mm_dns_record a, txt;
    (void)ctx;
    ans->nrecords = 0;
    ans->rcode = 0;
    if (strcmp(name, "2.0.0.127.zen.spamhaus.org") == 0) {
        ans->result = MM_DNS_ANSWER;
        ans->nrecords = 1;
        if (type == MM_DNS_T_A) {
            a.u.addr.family = 2; /* AF_INET */
            memcpy(a.u.addr.bytes, "\x7f\0\0\x02", 4);
            strcpy(a.u.addr.text, "127.0.0.2");
            ans->records = &a;
        } else {
            txt.u.txt.data = "reason";
            txt.u.txt.len = 6;
            txt.u.txt.nstrings = 1;
            ans->records = &txt;
        }
    } else if (strstr(name, "zen.spamhaus.org")) {
        ans->result = MM_DNS_SERVFAIL;
        ans->rcode = 2;
    } else if (strstr(name, "bl.spamcop.net")) {
        ans->result = MM_DNS_REFUSED;
        ans->rcode = 5;
    } else {
        ans->result = MM_DNS_NXDOMAIN;
        ans->rcode = 3;
    }
}

typedef struct bgot {
    int calls;
    mm_dnsbl_status zen, spamcop, dbl;
    char txt[64];
} bgot;

static void on_backend(void *arg, const mm_dnsbl_result *r)
{
    bgot *g = arg;
    g->calls++;
    for (size_t i = 0; i < r->nentries; i++) {
        const mm_dnsbl_entry *e = &r->entries[i];
        if (strcmp(e->list->id, "spamhaus-zen") == 0) {
            g->zen = e->status;
            snprintf(g->txt, sizeof g->txt, "%s", e->txt);
        } else if (strcmp(e->list->id, "spamcop") == 0) {
            g->spamcop = e->status;
        } else if (strcmp(e->list->id, "spamhaus-dbl") == 0) {
            g->dbl = e->status;
        }
    }
}

static void test_backend(void **state)
{
    (void)state;
    mm_dns_backend be = {"zone", lookup, NULL};
    mm_dns *d = NULL;
    mm_dnsbl *b = NULL;
    assert_int_equal(mm_dns_create_backend(&be, &d), MM_OK);
    assert_int_equal(mm_dnsbl_create(d, NULL, &b), MM_OK);
    bgot g1 = {0}, g2 = {0};
    assert_int_equal(mm_dnsbl_check(b, "127.0.0.2", "Example.COM.", on_backend, &g1), MM_OK);
    assert_int_equal(mm_dnsbl_check(b, "192.0.2.1", NULL, on_backend, &g2), MM_OK);
    assert_int_equal(mm_dns_run(d), MM_OK);
    assert_int_equal(g1.calls, 1);
    assert_int_equal(g1.zen, MM_DNSBL_LISTED);
    assert_string_equal(g1.txt, "reason");
    assert_int_equal(g1.spamcop, MM_DNSBL_ERROR); /* a REFUSED rcode: cannot tell */
    assert_int_equal(g1.dbl, MM_DNSBL_NOT_LISTED);
    assert_int_equal(g2.zen, MM_DNSBL_ERROR);   /* SERVFAIL */
    assert_int_equal(g2.dbl, MM_DNSBL_SKIPPED); /* no domain given */
    /* no_txt: no TXT asked, txt stays "" */
    mm_dnsbl_free(b);
    mm_dnsbl_opts o = {NULL, true};
    assert_int_equal(mm_dnsbl_create(d, &o, &b), MM_OK);
    bgot g3 = {0};
    assert_int_equal(mm_dnsbl_check(b, "127.0.0.2", NULL, on_backend, &g3), MM_OK);
    assert_int_equal(mm_dns_run(d), MM_OK);
    assert_int_equal(g3.zen, MM_DNSBL_LISTED);
    assert_string_equal(g3.txt, "");
    /* an empty list set answers at once, with no entries */
    mm_dnsbl_free(b);
    static const char *const none[] = {NULL};
    o.lists = none;
    assert_int_equal(mm_dnsbl_create(d, &o, &b), MM_OK);
    bgot g4 = {0};
    assert_int_equal(mm_dnsbl_check(b, "127.0.0.2", NULL, on_backend, &g4), MM_OK);
    assert_int_equal(g4.calls, 1);
    mm_dnsbl_free(b);
    mm_dns_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),          cmocka_unit_test(test_read_cap),
        cmocka_unit_test(test_table),         cmocka_unit_test(test_records),
        cmocka_unit_test(test_record_values), cmocka_unit_test(test_policy_good),
        cmocka_unit_test(test_policy_cases),  cmocka_unit_test(test_mx_match),
        cmocka_unit_test(test_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
