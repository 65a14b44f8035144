/*
 * test_spf.c - the SPF module on its own fixtures (no ../shared needed):
 * macro expansion (the examples of RFC 7208 section 7.4), parse errors that
 * name the term, check_host() with its trace and limits on an in-memory
 * zone, and the lint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/dns.h>
#include <mailmedic/spf.h>

/* ---- macros ---- */

static void expect_expand(const mm_spf_macro_vars *v, const char *in, bool exp, const char *want)
{
    char *out = NULL;
    mm_status_t st = mm_spf_expand(in, v, exp, !exp, &out);
    if (st != MM_OK || strcmp(out, want) != 0)
        fail_msg("%s: got %s \"%s\", want \"%s\"", in, mm_strerror(st), out ? out : "", want);
    free(out);
}

static void test_macro_rfc_examples(void **state)
{
    (void)state;
    mm_spf_macro_vars v = {.ip = "192.0.2.3",
                           .sender = "strong-bad@email.example.com",
                           .domain = "email.example.com",
                           .helo = "mx.example.org"};
    static const char *const rows[][2] = {
        {"%{s}", "strong-bad@email.example.com"},
        {"%{o}", "email.example.com"},
        {"%{d}", "email.example.com"},
        {"%{d4}", "email.example.com"},
        {"%{d3}", "email.example.com"},
        {"%{d2}", "example.com"},
        {"%{d1}", "com"},
        {"%{dr}", "com.example.email"},
        {"%{d2r}", "example.email"},
        {"%{l}", "strong-bad"},
        {"%{l-}", "strong.bad"},
        {"%{lr}", "strong-bad"},
        {"%{lr-}", "bad.strong"},
        {"%{l1r-}", "strong"},
        {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
        {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
        {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
        {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
        {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
        {"%{h}", "mx.example.org"},
        {"%{p}", "unknown"},
        {"a%%b%_c%-d", "a%b c%20d"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        expect_expand(&v, rows[i][0], false, rows[i][1]);
    v.ip = "2001:db8::cb01";
    expect_expand(
        &v, "%{ir}.%{v}._spf.%{d2}", false,
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
    expect_expand(&v, "%{c} %{r} %{t}", true, "2001:db8::cb01 unknown 0");
    v.sender = "jack&jill=up@example.com";
    expect_expand(&v, "%{L}", true, "jack%26jill%3Dup");
    v.ip = "::ffff:192.0.2.3"; /* IPv4-mapped: IPv4 everywhere */
    expect_expand(&v, "%{i}.%{v}", false, "192.0.2.3.in-addr");
}

static void test_macro_errors(void **state)
{
    (void)state;
    mm_spf_macro_vars v = {.ip = "192.0.2.3", .sender = "a@b.example", .domain = "b.example"};
    static const char *const bad[] = {"%{x}", "%{d0}", "%{d", "%", "%a", "%{c}", "%{r}", "%{t}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL;
        mm_status_t st = mm_spf_expand(bad[i], &v, false, true, &out);
        if (st != MM_EPARSE)
            fail_msg("%s: got %s, want a parse error", bad[i], mm_strerror(st));
        free(out);
    }
    /* section 7.3: a domain over 253 characters loses labels on the left */
    char big[600] = "";
    for (int i = 0; i < 40; i++)
        strcat(big, "abcdefghi.");
    strcat(big, "example.com");
    char *out = NULL;
    assert_int_equal(mm_spf_expand(big, &v, false, true, &out), MM_OK);
    assert_true(strlen(out) <= 253);
    assert_string_equal(out + strlen(out) - 12, ".example.com");
    free(out);
}

/* ---- parsing ---- */

static void expect_parse_error(const char *rec, const char *term)
{
    mm_spf_record *r = NULL;
    assert_int_equal(mm_spf_record_parse(rec, strlen(rec), &r), MM_OK);
    const char *err = mm_spf_record_error(r);
    if (!err || !strstr(err, term))
        fail_msg("%s: got error \"%s\", want one naming '%s'", rec, err ? err : "(none)", term);
    mm_spf_record_free(r);
}

static void test_parse(void **state)
{
    (void)state;
    mm_spf_record *r = NULL;
    const char *good = "v=spf1 a/24//64 mx:mail.example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 "
                       "include:_spf.example.net ~all exp=why.%{d} x-note=hello";
    assert_int_equal(mm_spf_record_parse(good, strlen(good), &r), MM_OK);
    assert_null(mm_spf_record_error(r));
    assert_int_equal(mm_spf_record_nterms(r), 8);
    const mm_spf_term *t = mm_spf_record_term(r, 0);
    assert_int_equal(t->kind, MM_SPF_T_A);
    assert_int_equal(t->cidr4, 24);
    assert_int_equal(t->cidr6, 64);
    assert_int_equal(mm_spf_record_term(r, 5)->qualifier, '~');
    assert_int_equal(mm_spf_record_term(r, 7)->kind, MM_SPF_T_UNKNOWN_MOD);
    mm_spf_record_free(r);

    assert_int_equal(mm_spf_record_parse("v=spf10 -all", 12, &r), MM_EPARSE);
    assert_int_equal(mm_spf_record_parse("spf2.0/pra", 10, &r), MM_EPARSE);

    expect_parse_error("v=spf1 foo -all", "'foo'");
    expect_parse_error("v=spf1 ip4:192.0.2.1/33", "ip4:192.0.2.1/33");
    expect_parse_error("v=spf1 ip4:192.0.2.1//64", "ip4:192.0.2.1//64");
    expect_parse_error("v=spf1 ip6:2001:db8::/129", "ip6:2001:db8::/129");
    expect_parse_error("v=spf1 -all:foo", "-all:foo");
    expect_parse_error("v=spf1 include", "'include'");
    expect_parse_error("v=spf1 a:museum", "a:museum");
    expect_parse_error("v=spf1 a:example.123", "a:example.123");
    expect_parse_error("v=spf1 a/032", "a/032");
    expect_parse_error("v=spf1 redirect=a.example redirect=b.example", "redirect=b.example");
    expect_parse_error("v=spf1 ?x=y", "?x=y");
    expect_parse_error("v=spf1 x=%{z}", "x=%{z}");
    expect_parse_error("v=spf1 exp=%{r}.example.com", "exp=%{r}");
    expect_parse_error("v=spf1 a:b\x01.example.com", "invalid character");
}

/* ---- evaluation on an in-memory zone ---- */

typedef struct row {
    const char *name;
    int type;
    const char *data; /* TXT text, address, "pref host", PTR target; NULL: timeout */
} row;

static const row zone[] = {
    {"ok.example", MM_DNS_T_TXT,
     "v=spf1 ip4:192.0.2.0/24 include:inc.example -all exp=why.ok.example"},
    {"ok.example", MM_DNS_T_TXT, "google-site-verification=x"},
    {"why.ok.example", MM_DNS_T_TXT, "%{i} is not allowed for %{d}"},
    {"inc.example", MM_DNS_T_TXT, "v=spf1 a:host.inc.example ?all"},
    {"host.inc.example", MM_DNS_T_A, "198.51.100.7"},
    {"two.example", MM_DNS_T_TXT, "v=spf1 -all"},
    {"two.example", MM_DNS_T_TXT, "v=spf1 +all"},
    {"open.example", MM_DNS_T_TXT, "v=spf1 ptr +all"},
    {"temp.example", MM_DNS_T_TXT, NULL},
    {"voids.example", MM_DNS_T_TXT, "v=spf1 a:n1.example a:n2.example a:n3.example -all"},
    {"many.example", MM_DNS_T_TXT,
     "v=spf1 include:inc.example include:inc.example include:inc.example include:inc.example "
     "include:inc.example include:inc.example -all"},
    {"missing.example", MM_DNS_T_TXT, "v=spf1 include:none.example -all"},
    {"none.example", MM_DNS_T_A, "192.0.2.9"},
    {"redir.example", MM_DNS_T_TXT, "v=spf1 redirect=ok.example exp=ignored.example"},
    {"ignored.example", MM_DNS_T_TXT, "not this one"},
};

static mm_dns_record recs[8];

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    (void)ctx;
    size_t n = 0;
    int known = 0;
    for (size_t i = 0; i < sizeof zone / sizeof zone[0]; i++) {
        if (strcmp(zone[i].name, name) != 0)
            continue;
        known = 1;
        if (zone[i].type != type)
            continue;
        if (!zone[i].data) {
            ans->result = MM_DNS_TIMEOUT;
            return;
        }
        mm_dns_record *r = &recs[n++];
        memset(r, 0, sizeof *r);
        if (type == MM_DNS_T_TXT) {
            r->u.txt.data = zone[i].data;
            r->u.txt.len = strlen(zone[i].data);
            r->u.txt.nstrings = 1;
        } else if (type == MM_DNS_T_A) {
            r->u.addr.family = AF_INET;
            inet_pton(AF_INET, zone[i].data, r->u.addr.bytes);
        }
    }
    ans->result = n ? MM_DNS_ANSWER : known ? MM_DNS_NODATA : MM_DNS_NXDOMAIN;
    ans->rcode = ans->result == MM_DNS_NXDOMAIN ? 3 : 0;
    ans->nrecords = n;
    ans->records = recs;
}

typedef struct fixture {
    mm_dns *dns;
    mm_spf *spf;
} fixture;

static int setup(void **state)
{
    static fixture f;
    mm_dns_backend be = {.name = "test", .lookup = lookup};
    if (mm_dns_create_backend(&be, &f.dns) != MM_OK || mm_spf_create(f.dns, &f.spf) != MM_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mm_spf_free(f->spf);
    mm_dns_free(f->dns);
    return 0;
}

static mm_spf_result check(fixture *f, const char *ip, const char *domain, mm_spf_eval **e)
{
    char sender[128];
    snprintf(sender, sizeof sender, "user@%s", domain);
    assert_int_equal(mm_spf_check_host(f->spf, ip, domain, sender, "helo.example", e), MM_OK);
    return mm_spf_eval_result(*e);
}

static void test_check_host(void **state)
{
    fixture *f = *state;
    mm_spf_eval *e = NULL;
    assert_int_equal(check(f, "192.0.2.77", "ok.example", &e), MM_SPF_PASS);
    assert_string_equal(mm_spf_eval_reason(e), "ip4:192.0.2.0/24");
    mm_spf_eval_free(e);

    /* through the include: the trace shows the tree and the lookups */
    assert_int_equal(check(f, "198.51.100.7", "ok.example", &e), MM_SPF_PASS);
    assert_int_equal(mm_spf_eval_lookups(e), 2);
    assert_int_equal(mm_spf_eval_nnodes(e), 2);
    const mm_spf_node *n = mm_spf_eval_node(e, 1);
    assert_string_equal(n->via, "include");
    assert_string_equal(n->domain, "inc.example");
    assert_int_equal(n->parent, 0);
    assert_string_equal(n->matched, "a:host.inc.example");
    assert_string_equal(mm_spf_eval_node(e, 0)->matched, "include:inc.example");
    mm_spf_eval_free(e);

    assert_int_equal(check(f, "203.0.113.5", "ok.example", &e), MM_SPF_FAIL);
    assert_string_equal(mm_spf_eval_explanation(e), "203.0.113.5 is not allowed for ok.example");
    mm_spf_eval_free(e);

    /* section 6.2: after a redirect, the target's exp= explains, with %{d} the target */
    assert_int_equal(check(f, "203.0.113.5", "redir.example", &e), MM_SPF_FAIL);
    assert_string_equal(mm_spf_eval_explanation(e), "203.0.113.5 is not allowed for ok.example");
    assert_string_equal(mm_spf_eval_node(e, 1)->via, "redirect");
    assert_string_equal(mm_spf_eval_reason(e), "redirect=ok.example");
    assert_int_equal(mm_spf_eval_lookups(e), 3); /* redirect, include, a */
    mm_spf_eval_free(e);

    assert_int_equal(check(f, "192.0.2.1", "two.example", &e), MM_SPF_PERMERROR);
    mm_spf_eval_free(e);
    assert_int_equal(check(f, "192.0.2.1", "temp.example", &e), MM_SPF_TEMPERROR);
    mm_spf_eval_free(e);
    assert_int_equal(check(f, "192.0.2.1", "nothing.example", &e), MM_SPF_NONE);
    mm_spf_eval_free(e);
    assert_int_equal(check(f, "192.0.2.1", "voids.example", &e), MM_SPF_PERMERROR);
    assert_int_equal(mm_spf_eval_void_lookups(e), 3);
    assert_non_null(strstr(mm_spf_eval_reason(e), "void"));
    mm_spf_eval_free(e);
    assert_int_equal(check(f, "192.0.2.1", "missing.example", &e), MM_SPF_PERMERROR);
    mm_spf_eval_free(e);
    assert_int_equal(check(f, "::ffff:192.0.2.77", "ok.example", &e), MM_SPF_PASS);
    mm_spf_eval_free(e);
    assert_int_equal(mm_spf_check_host(f->spf, "not-an-ip", "ok.example", NULL, "h.example", &e),
                     MM_EINVAL);
}

static int has(const mm_spf_lint *l, mm_spf_lint_code c)
{
    for (size_t i = 0; i < mm_spf_lint_nitems(l); i++)
        if (mm_spf_lint_item_at(l, i)->code == c)
            return 1;
    return 0;
}

static void test_lint(void **state)
{
    fixture *f = *state;
    mm_spf_lint *l = NULL;
    assert_int_equal(mm_spf_lint_domain(f->spf, "open.example", NULL, &l), MM_OK);
    assert_true(has(l, MM_SPF_LINT_PASS_ALL));
    assert_true(has(l, MM_SPF_LINT_PTR));
    mm_spf_lint_free(l);

    assert_int_equal(mm_spf_lint_domain(f->spf, "nothing.example", NULL, &l), MM_OK);
    assert_true(has(l, MM_SPF_LINT_NO_RECORD));
    mm_spf_lint_free(l);

    assert_int_equal(mm_spf_lint_domain(f->spf, "two.example", NULL, &l), MM_OK);
    assert_true(has(l, MM_SPF_LINT_MULTIPLE));
    mm_spf_lint_free(l);

    /* 6 includes of a record with one a: each = 12 lookups over the whole tree */
    assert_int_equal(mm_spf_lint_domain(f->spf, "many.example", NULL, &l), MM_OK);
    assert_true(has(l, MM_SPF_LINT_TOO_MANY_LOOKUPS));
    assert_int_equal(mm_spf_lint_lookups(l), 12);
    assert_int_equal(mm_spf_eval_nnodes(mm_spf_lint_tree(l)), 7);
    assert_true(has(l, MM_SPF_LINT_NEUTRAL_ALL));
    mm_spf_lint_free(l);

    assert_int_equal(mm_spf_lint_domain(f->spf, "ok.example", "203.0.113.5", &l), MM_OK);
    assert_true(has(l, MM_SPF_LINT_NOT_COVERED));
    assert_int_equal(mm_spf_eval_result(mm_spf_lint_check(l)), MM_SPF_FAIL);
    mm_spf_lint_free(l);
    assert_int_equal(mm_spf_lint_domain(f->spf, "ok.example", "192.0.2.10", &l), MM_OK);
    assert_false(has(l, MM_SPF_LINT_NOT_COVERED));
    mm_spf_lint_free(l);

    assert_int_equal(mm_spf_lint_domain(f->spf, "missing.example", NULL, &l), MM_OK);
    assert_true(has(l, MM_SPF_LINT_INCLUDE_MISSING));
    mm_spf_lint_free(l);

    for (int c = 0; c < MM_SPF_LINT_CODE_MAX_; c++)
        assert_string_not_equal(mm_spf_lint_code_name((mm_spf_lint_code)c), "unknown");
    assert_string_equal(mm_spf_result_name(MM_SPF_SOFTFAIL), "softfail");
}

/* The c-ares path: a loopback port where nothing answers gives temperror, not a hang. */
static void test_resolver_down(void **state)
{
    (void)state;
    mm_dns_opts o = {.server = "127.0.0.1:9", .timeout_ms = 100, .tries = 1};
    mm_dns *d = NULL;
    mm_spf *s = NULL;
    mm_spf_eval *e = NULL;
    assert_int_equal(mm_dns_create(&o, &d), MM_OK);
    assert_int_equal(mm_spf_create(d, &s), MM_OK);
    assert_int_equal(
        mm_spf_check_host(s, "192.0.2.1", "example.com", "a@example.com", "h.example", &e), MM_OK);
    assert_int_equal(mm_spf_eval_result(e), MM_SPF_TEMPERROR);
    assert_non_null(mm_spf_eval_reason(e));
    mm_spf_eval_free(e);
    mm_spf_free(s);
    mm_dns_free(d);
}

/* ---- the record cache: many records, the same text at several depths ---- */

/* dN.example and x.dN.example publish the same text (so one evaluation runs
 * one cached record twice, nested); x.x.dN.example ends the chain with its
 * own text.  600 of them overflow the cache's 256 slots many times over. */
static void lookup_many(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    static char text[128];
    static mm_dns_record rec;
    unsigned n = 0;
    int depth = 0;
    (void)ctx;
    while (strncmp(name, "x.", 2) == 0) {
        name += 2;
        depth++;
    }
    ans->result = MM_DNS_NXDOMAIN;
    ans->rcode = 3;
    if (type != MM_DNS_T_TXT || sscanf(name, "d%u.example", &n) != 1)
        return;
    if (depth < 2)
        snprintf(text, sizeof text, "v=spf1 ip4:10.0.%u.%u include:x.%%{d} -all", n / 256, n % 256);
    else
        snprintf(text, sizeof text, "v=spf1 ip4:10.1.%u.%u -all", n / 256, n % 256);
    memset(&rec, 0, sizeof rec);
    rec.u.txt.data = text;
    rec.u.txt.len = strlen(text);
    rec.u.txt.nstrings = 1;
    ans->result = MM_DNS_ANSWER;
    ans->rcode = 0;
    ans->nrecords = 1;
    ans->records = &rec;
}

static void expect_many(mm_spf *spf, unsigned n, const char *ip, mm_spf_result want)
{
    char domain[32], sender[48];
    mm_spf_eval *e = NULL;
    snprintf(domain, sizeof domain, "d%u.example", n);
    snprintf(sender, sizeof sender, "u@%s", domain);
    assert_int_equal(mm_spf_check_host(spf, ip, domain, sender, domain, &e), MM_OK);
    if (mm_spf_eval_result(e) != want || mm_spf_eval_nnodes(e) != (want == MM_SPF_FAIL ? 3u : 1u))
        fail_msg("%s from %s: got %s with %zu nodes, want %s", domain, ip,
                 mm_spf_result_name(mm_spf_eval_result(e)), mm_spf_eval_nnodes(e),
                 mm_spf_result_name(want));
    mm_spf_eval_free(e);
}

static void test_record_cache(void **state)
{
    (void)state;
    mm_dns_backend be = {.name = "many", .lookup = lookup_many};
    mm_dns *dns = NULL;
    mm_spf *spf = NULL;
    assert_int_equal(mm_dns_create_backend(&be, &dns), MM_OK);
    assert_int_equal(mm_spf_create(dns, &spf), MM_OK);
    for (int round = 0; round < 2; round++) /* the second round finds most records cached */
        for (unsigned n = 1; n <= 600; n++) {
            char ip[32];
            snprintf(ip, sizeof ip, "10.0.%u.%u", n / 256, n % 256);
            expect_many(spf, n, ip, MM_SPF_PASS);
            expect_many(spf, n, "192.0.2.1", MM_SPF_FAIL);
        }
    mm_spf_free(spf);
    mm_dns_free(dns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macro_rfc_examples),
        cmocka_unit_test(test_macro_errors),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_check_host),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_resolver_down),
        cmocka_unit_test(test_record_cache),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
