/*
 * test_dmarc.c - the DMARC module without ../shared: lint findings and tag
 * values of the parser, the Organizational Domain, discovery and the 7.1
 * external destination check on an in-memory DNS backend, and the alignment
 * and policy rules (sp, pct sampling, permerror/temperror).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/dmarc.h>

/* ---- parser ---- */

static mm_dmarc_record *parse(const char *s)
{
    mm_dmarc_record *r = NULL;
    assert_int_equal(mm_dmarc_parse(s, strlen(s), &r), MM_OK);
    assert_non_null(r);
    return r;
}

static bool has_lint(const mm_dmarc_record *r, const char *id)
{
    for (size_t i = 0; i < r->nlints; i++)
        if (strcmp(r->lints[i].id, id) == 0)
            return true;
    return false;
}

/* Each record must give the lint id (and the second table must not). */
static void test_lint_ids(void **state)
{
    (void)state;
    static const struct {
        const char *record, *id;
        bool want;
    } t[] = {
        {"v=DMARC1; p=none; rua=mailto:a@example.com", "p_none", true},
        {"v=DMARC1; p=reject; rua=mailto:a@example.com", "p_none", false},
        {"v=DMARC1; p=reject; rua=mailto:a@example.com", "no_rua", false},
        {"v=DMARC1; p=reject", "no_rua", true},
        {"v=DMARC1; p=reject; pct=50", "pct_partial", true},
        {"v=DMARC1; p=none; pct=50", "pct_partial", false},
        {"v=DMARC1; p=reject; sp=none", "sp_weaker", true},
        {"v=DMARC1; p=none; sp=reject", "sp_weaker", false},
        {"v=DMARC1; p=reject; p=none", "duplicate_tag", true},
        {"v=DMARC1; p=reject ", "bad_whitespace", true},
        {"v=DMARC1; p=reject\r\n", "bad_whitespace", true},
        {"v=DMARC1; p=reject", "bad_whitespace", false},
        {"v=DMARC1; p=reject; foo=bar", "unknown_tag", true},
        {"v=DMARC1; P=reject", "uppercase", true},
        {"v=DMARC1;; p=reject", "empty_tag", true},
        {"v=DMARC1; p=reject; pct=150", "invalid_pct", true},
        {"v=DMARC1; p=reject; adkim=x", "invalid_adkim", true},
        {"v=DMARC1; p=reject; aspf=strict", "invalid_aspf", true},
        {"v=DMARC1; p=reject; rua=nope", "invalid_rua_uri", true},
        {"v=DMARC1; p=reject; ruf=mailto:x", "invalid_ruf_uri", true},
        {"v=DMARC1; p=reject; fo=2", "invalid_fo", true},
        {"v=DMARC1; p=reject; fo=1", "fo_without_ruf", true},
        {"v=DMARC1; p=reject; rf=iodef", "rf_unknown", true},
        {"v=DMARC1; p=reject; rf=a_b", "invalid_rf", true},
        {"v=DMARC1; p=reject; ri=-1", "invalid_ri", true},
        {"v=DMARC1; p=reject; np=maybe", "invalid_np", true},
        {"v=DMARC1; p=reject; t=x", "invalid_t", true},
        {"v=DMARC1; p=reject; psd=x", "invalid_psd", true},
        {"v=DMARC1; p=reject; t=y", "testing", true},
        {"v=DMARC1; p=reject; np=none", "np_weaker", true},
        {"v=DMARC1; p=reject; pct=100", "bis_pct", true},
        {"v=DMARC1; p=reject; ri=3600", "bis_rf_ri", true},
        {"v=DMARC1; p=reject; rua=https://r.example/x", "rua_not_mailto", true},
        {"v=DMARC1; sp=none; p=reject", "p_not_second", true},
        {"v=DMARC1; p=reject; garbage", "malformed_tag", true},
        {"v=DMARC1", "no_policy", true},
        {"v=DMARC1; p=bogus; rua=mailto:a@example.com", "fallback_none", true},
        {"v=spf1 -all", "not_dmarc", true},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        mm_dmarc_record *r = parse(t[i].record);
        if (has_lint(r, t[i].id) != t[i].want)
            fail_msg("%s: lint %s got %d, want %d", t[i].record, t[i].id, !t[i].want, t[i].want);
        for (size_t j = 0; j < r->nlints; j++) {
            assert_non_null(r->lints[j].message);
            assert_non_null(r->lints[j].tag);
            assert_non_null(r->lints[j].value);
        }
        mm_dmarc_record_free(r);
    }
}

static void test_values(void **state)
{
    (void)state;
    mm_dmarc_record *r = parse("v=DMARC1; p=quarantine; fo=0:1 : d:s; rf=afrf; ri=3600; np=reject; "
                               "t=n; psd=u; rua=mailto:Agg@Report.EXAMPLE.net!10m; "
                               "ruf=mailto:f@example.com!2, mailto:g@example.org");
    assert_int_equal(r->outcome, MM_DMARC_OUTCOME_POLICY);
    assert_null(r->ignore_reason);
    assert_int_equal(r->fo, MM_DMARC_FO_0 | MM_DMARC_FO_1 | MM_DMARC_FO_D | MM_DMARC_FO_S);
    assert_true(r->has_fo && r->has_rf && r->has_ri);
    assert_string_equal(r->rf, "afrf");
    assert_int_equal(r->ri, 3600);
    assert_int_equal(r->np, MM_DMARC_POLICY_REJECT);
    assert_int_equal(r->t, 'n');
    assert_int_equal(r->psd, 'u');
    assert_int_equal(r->nrua, 1);
    assert_string_equal(r->rua[0].uri, "mailto:Agg@Report.EXAMPLE.net");
    assert_string_equal(r->rua[0].domain, "report.example.net");
    assert_true(r->rua[0].mailto);
    assert_true(r->rua[0].max_size == 10u * 1024 * 1024);
    assert_int_equal(r->nruf, 2);
    assert_true(r->ruf[0].max_size == 2);
    assert_string_equal(r->ruf[1].domain, "example.org");
    mm_dmarc_record_free(r);

    r = parse("v=DMARC1; p=reject");
    assert_string_equal(r->rf, "afrf");
    assert_int_equal(r->ri, 86400);
    assert_int_equal(r->fo, MM_DMARC_FO_0);
    assert_false(r->has_pct);
    assert_int_equal(r->np, MM_DMARC_POLICY_UNSET);
    assert_int_equal(r->t, 0);
    mm_dmarc_record_free(r);

    r = parse("v=DMARC1; p=reject; foo=1; bar=2; foo=1");
    size_t unknown = 0;
    for (size_t i = 0; i < r->nlints; i++)
        unknown += strcmp(r->lints[i].id, "unknown_tag") == 0;
    assert_int_equal(unknown, 2); /* each unknown tag once */
    mm_dmarc_record_free(r);

    r = parse("v=DMARC1; p=reject; sp=bogus");
    assert_int_equal(r->outcome, MM_DMARC_OUTCOME_IGNORE);
    assert_string_equal(r->ignore_reason, "invalid_sp");
    mm_dmarc_record_free(r);
}

static void test_parse_edges(void **state)
{
    (void)state;
    mm_dmarc_record *r = NULL;
    assert_int_equal(mm_dmarc_parse(NULL, 0, &r), MM_EINVAL);
    char *big = malloc(MM_DMARC_MAX_RECORD + 2);
    assert_non_null(big);
    memset(big, 'a', MM_DMARC_MAX_RECORD + 1);
    assert_int_equal(mm_dmarc_parse(big, MM_DMARC_MAX_RECORD + 1, &r), MM_ETOOBIG);
    free(big);
    static const char nul[] = "v=DMARC1; p=re\0ject";
    assert_int_equal(mm_dmarc_parse(nul, sizeof nul - 1, &r), MM_OK);
    assert_int_equal(r->outcome, MM_DMARC_OUTCOME_IGNORE);
    assert_true(has_lint(r, "nul_byte"));
    mm_dmarc_record_free(r);
    mm_dmarc_record_free(NULL);
    assert_true(mm_dmarc_is_dmarc("v = DMARC1;p=none", 17));
    assert_false(mm_dmarc_is_dmarc("v=DMARC10", 9));
    /* many URIs: the first MM_DMARC_MAX_URIS are kept */
    char many[4096] = "v=DMARC1; p=none; rua=";
    for (int i = 0; i < 20; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%smailto:r%d@example.com",
                 i ? "," : "", i);
    r = parse(many);
    assert_int_equal(r->nrua, MM_DMARC_MAX_URIS);
    assert_true(has_lint(r, "too_many_uris"));
    mm_dmarc_record_free(r);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(mm_dmarc_policy_name(MM_DMARC_POLICY_QUARANTINE), "quarantine");
    assert_string_equal(mm_dmarc_outcome_name(MM_DMARC_OUTCOME_FALLBACK_NONE), "fallback-none");
    assert_string_equal(mm_dmarc_severity_name(MM_DMARC_WARN), "warn");
    assert_string_equal(mm_dmarc_result_name(MM_DMARC_RESULT_PERMERROR), "permerror");
    assert_string_equal(mm_dmarc_found_name(MM_DMARC_FOUND_ORG), "found_org");
    assert_string_equal(mm_dmarc_dest_status_name(MM_DMARC_DEST_UNAUTHORIZED), "unauthorized");
    assert_string_equal(mm_dmarc_policy_name((mm_dmarc_policy)99), "unknown");
}

/* ---- in-memory DNS ---- */

typedef struct row {
    const char *name;
    mm_dns_result result;
    const char *txt[4];
} row;

static const row zone[] = {
    /* found at the domain; one internal and one authorized external rua, one unauthorized ruf */
    {"_dmarc.shop.example.com",
     MM_DNS_ANSWER,
     {"v=spf1 -all", "v=DMARC1; p=reject; rua=mailto:d@example.com,mailto:agg@vendor.example.net; "
                     "ruf=mailto:f@other.example.org"}},
    {"shop.example.com._report._dmarc.vendor.example.net", MM_DNS_ANSWER, {"v=DMARC1"}},
    {"shop.example.com._report._dmarc.other.example.org", MM_DNS_ANSWER, {"unrelated"}},
    /* none at the subdomain: the org domain's record */
    {"_dmarc.example.co.uk",
     MM_DNS_ANSWER,
     {"v=DMARC1; p=quarantine; sp=none; rua=mailto:x@tempfail.example"}},
    {"example.co.uk._report._dmarc.tempfail.example", MM_DNS_SERVFAIL, {NULL}},
    /* several records: step 5 */
    {"_dmarc.two.example", MM_DNS_ANSWER, {"v=DMARC1; p=none", "v=DMARC1; p=reject"}},
    /* a temporary failure at the domain stops the walk */
    {"_dmarc.flaky.example", MM_DNS_TIMEOUT, {NULL}},
    {"_dmarc.sub.bare.example", MM_DNS_NODATA, {NULL}},
    /* a wildcard-style authorization for every policy domain, as DNS would answer it */
    {"_dmarc.wild.example", MM_DNS_ANSWER, {"v=DMARC1; p=none; rua=mailto:r@ag.example"}},
    {"wild.example._report._dmarc.ag.example", MM_DNS_ANSWER, {"v=DMARC1;"}},
};

typedef struct mem {
    mm_dns_record recs[4];
    size_t lookups;
} mem;

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    mem *m = ctx;
    m->lookups++;
    ans->result = MM_DNS_NXDOMAIN;
    ans->rcode = 3;
    for (size_t i = 0; i < sizeof zone / sizeof zone[0]; i++) {
        if (strcasecmp(zone[i].name, name) != 0 || type != MM_DNS_T_TXT)
            continue;
        ans->result = zone[i].result;
        ans->rcode = zone[i].result == MM_DNS_SERVFAIL ? 2 : 0;
        size_t n = 0;
        for (; n < 4 && zone[i].txt[n]; n++) {
            memset(&m->recs[n], 0, sizeof m->recs[n]);
            m->recs[n].u.txt.data = zone[i].txt[n];
            m->recs[n].u.txt.len = strlen(zone[i].txt[n]);
            m->recs[n].u.txt.nstrings = 1;
        }
        ans->nrecords = n;
        ans->records = m->recs;
        return;
    }
}

typedef struct fixture {
    mem mem;
    mm_dns *d;
    mm_dmarc *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    mm_dns_backend b = {"zone", lookup, &f->mem};
    if (!f || mm_dns_create_backend(&b, &f->d) != MM_OK ||
        mm_dmarc_create(f->d, NULL, &f->c) != MM_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mm_dmarc_free(f->c);
    mm_dns_free(f->d);
    free(f);
    return 0;
}

/* What a test keeps of a lookup (it lives only during the callback). */
typedef struct got {
    int calls;
    mm_dmarc_found found;
    char policy_domain[256], org[256];
    size_t ntxt, ndests;
    mm_dmarc_dest_status dest[8];
    char query[8][300];
    char dest_record[8][64];
    mm_dmarc_outcome outcome;
    mm_dmarc_policy p, sp;
    bool external_lint;
    mm_dmarc_verdict v;
} got;

static const mm_dmarc_dkim fail_dkim[] = {{"example.com", MM_DMARC_AUTH_FAIL}};

static void on_lookup(void *arg, const mm_dmarc_lookup *r)
{
    got *g = arg;
    g->calls++;
    g->found = r->found;
    snprintf(g->policy_domain, sizeof g->policy_domain, "%s", r->policy_domain);
    snprintf(g->org, sizeof g->org, "%s", r->org_domain);
    g->ntxt = r->ntxt;
    g->ndests = r->ndests;
    for (size_t i = 0; i < r->ndests && i < 8; i++) {
        g->dest[i] = r->dests[i].status;
        snprintf(g->query[i], sizeof g->query[i], "%s", r->dests[i].query);
        snprintf(g->dest_record[i], sizeof g->dest_record[i], "%s", r->dests[i].record);
    }
    if (r->record) {
        g->outcome = r->record->outcome;
        g->p = r->record->p;
        g->sp = r->record->sp;
        g->external_lint = has_lint(r->record, "external_unauthorized");
    }
    assert_true(r->ntxt == 0 || r->txt[0] != NULL);
}

static got discover(fixture *f, const char *domain)
{
    got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(mm_dmarc_discover(f->c, domain, on_lookup, &g), MM_OK);
    assert_int_equal(g.calls, 0); /* never from inside the call */
    assert_int_equal(mm_dns_run(f->d), MM_OK);
    assert_int_equal(g.calls, 1);
    return g;
}

static void test_discover_found(void **state)
{
    fixture *f = *state;
    got g = discover(f, "Shop.Example.COM.");
    assert_int_equal(g.found, MM_DMARC_FOUND);
    assert_string_equal(g.policy_domain, "shop.example.com");
    assert_string_equal(g.org, "example.com");
    assert_int_equal(g.ntxt, 2); /* the SPF record is evidence, not DMARC */
    assert_int_equal(g.outcome, MM_DMARC_OUTCOME_POLICY);
    assert_int_equal(g.p, MM_DMARC_POLICY_REJECT);
    assert_int_equal(g.ndests, 3);
    assert_int_equal(g.dest[0], MM_DMARC_DEST_INTERNAL);
    assert_string_equal(g.query[0], "");
    assert_int_equal(g.dest[1], MM_DMARC_DEST_AUTHORIZED);
    assert_string_equal(g.query[1], "shop.example.com._report._dmarc.vendor.example.net");
    assert_string_equal(g.dest_record[1], "v=DMARC1");
    assert_int_equal(g.dest[2], MM_DMARC_DEST_UNAUTHORIZED);
    assert_string_equal(g.dest_record[2], "");
    assert_true(g.external_lint);
}

static void test_discover_org(void **state)
{
    fixture *f = *state;
    got g = discover(f, "a.b.example.co.uk");
    assert_int_equal(g.found, MM_DMARC_FOUND_ORG);
    assert_string_equal(g.policy_domain, "example.co.uk");
    assert_int_equal(g.sp, MM_DMARC_POLICY_NONE);
    assert_int_equal(g.ndests, 1);
    assert_int_equal(g.dest[0], MM_DMARC_DEST_TEMPERROR);
    g = discover(f, "wild.example");
    assert_int_equal(g.found, MM_DMARC_FOUND);
    assert_int_equal(g.dest[0], MM_DMARC_DEST_AUTHORIZED);
    assert_string_equal(g.dest_record[0], "v=DMARC1;");
}

static void test_discover_none_multiple_temp(void **state)
{
    fixture *f = *state;
    got g = discover(f, "two.example");
    assert_int_equal(g.found, MM_DMARC_MULTIPLE);
    assert_int_equal(g.ntxt, 2);
    g = discover(f, "flaky.example");
    assert_int_equal(g.found, MM_DMARC_TEMPERROR);
    size_t before = f->mem.lookups;
    g = discover(f, "sub.bare.example");
    assert_int_equal(g.found, MM_DMARC_NONE);
    assert_int_equal(f->mem.lookups - before, 2); /* the domain, then bare.example */
    before = f->mem.lookups;
    g = discover(f, "nothing.example");
    assert_int_equal(g.found, MM_DMARC_NONE);
    assert_int_equal(f->mem.lookups - before, 1); /* it is its own org domain */
    assert_int_equal(mm_dmarc_discover(f->c, "", on_lookup, &g), MM_EINVAL);
}

/* A checker freed with a discovery under way calls nothing and leaks nothing. */
static void test_discover_cancel(void **state)
{
    (void)state;
    mem m = {0};
    mm_dns_backend b = {"zone", lookup, &m};
    mm_dns *d = NULL;
    mm_dmarc *c = NULL;
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    assert_int_equal(mm_dmarc_create(d, NULL, &c), MM_OK);
    got g = {0};
    assert_int_equal(mm_dmarc_discover(c, "shop.example.com", on_lookup, &g), MM_OK);
    mm_dmarc_free(c);
    assert_int_equal(mm_dns_run(d), MM_OK);
    assert_int_equal(g.calls, 0);
    mm_dns_free(d);
}

/* With no_external, nothing is asked beyond the policy record. */
static void test_discover_no_external(void **state)
{
    (void)state;
    mem m = {0};
    mm_dns_backend b = {"zone", lookup, &m};
    mm_dns *d = NULL;
    mm_dmarc *c = NULL;
    mm_dmarc_opts o = {.no_external = true};
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    assert_int_equal(mm_dmarc_create(d, &o, &c), MM_OK);
    got g = {0};
    assert_int_equal(mm_dmarc_discover(c, "shop.example.com", on_lookup, &g), MM_OK);
    assert_int_equal(mm_dns_run(d), MM_OK);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.ndests, 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(g.dest[i], MM_DMARC_DEST_NOT_CHECKED);
    assert_int_equal(m.lookups, 1);
    mm_dmarc_free(c);
    mm_dns_free(d);
}

static void test_report_name(void **state)
{
    (void)state;
    char out[300];
    assert_int_equal(
        mm_dmarc_report_name("Example.COM.", "thirdparty.example.net", out, sizeof out), MM_OK);
    assert_string_equal(out, "example.com._report._dmarc.thirdparty.example.net");
    assert_int_equal(mm_dmarc_report_name("example.com", "x.example", out, 10), MM_ETOOBIG);
    assert_int_equal(mm_dmarc_report_name("", "x.example", out, sizeof out), MM_EINVAL);
}

/* ---- organizational domain and alignment ---- */

static void test_org_domain(void **state)
{
    fixture *f = *state;
    char out[256];
    assert_int_equal(mm_dmarc_org_domain(f->c, "mail.Example.co.uk.", out, sizeof out), MM_OK);
    assert_string_equal(out, "example.co.uk");
    assert_int_equal(mm_dmarc_org_domain(f->c, "co.uk", out, sizeof out), MM_ENOTFOUND);
    assert_int_equal(mm_dmarc_org_domain(f->c, ".example.com", out, sizeof out), MM_ENOTFOUND);
    assert_int_equal(mm_dmarc_org_domain(f->c, "a..example.com", out, sizeof out), MM_ENOTFOUND);
    assert_int_equal(mm_dmarc_org_domain(f->c, "a.b.example.com", out, 4), MM_ETOOBIG);
    assert_int_equal(mm_dmarc_org_domain(f->c, "", out, sizeof out), MM_ENOTFOUND);
    mm_dmarc_opts o = {.psl_file = "/nonexistent/psl.dat"};
    mm_dmarc *c = NULL;
    assert_int_equal(mm_dmarc_create(NULL, &o, &c), MM_EIO);
    assert_null(c);
}

static void test_aligned(void **state)
{
    fixture *f = *state;
    assert_true(mm_dmarc_aligned(f->c, "example.com", "EXAMPLE.com.", MM_DMARC_STRICT));
    assert_false(mm_dmarc_aligned(f->c, "example.com", "mail.example.com", MM_DMARC_STRICT));
    assert_true(mm_dmarc_aligned(f->c, "example.com", "mail.example.com", MM_DMARC_RELAXED));
    assert_true(mm_dmarc_aligned(f->c, "news.example.com", "bounce.example.com", MM_DMARC_RELAXED));
    assert_false(mm_dmarc_aligned(f->c, "example.com", "example.net", MM_DMARC_RELAXED));
    /* different registrants below one public suffix are not aligned */
    assert_false(mm_dmarc_aligned(f->c, "a.co.uk", "b.co.uk", MM_DMARC_RELAXED));
    assert_false(mm_dmarc_aligned(f->c, "alice.github.io", "bob.github.io", MM_DMARC_RELAXED));
    assert_false(mm_dmarc_aligned(f->c, "example.com", NULL, MM_DMARC_RELAXED));
}

static mm_dmarc_verdict eval(fixture *f, const char *record, const char *policy_domain,
                             const mm_dmarc_auth *in, unsigned sample)
{
    mm_dmarc_record *r = parse(record);
    mm_dmarc_verdict v;
    assert_int_equal(mm_dmarc_evaluate(f->c, r, policy_domain, in, sample, &v), MM_OK);
    mm_dmarc_record_free(r);
    return v;
}

static void test_evaluate(void **state)
{
    fixture *f = *state;
    mm_dmarc_dkim dk[] = {{"other.example", MM_DMARC_AUTH_PASS},
                          {"mail.example.com", MM_DMARC_AUTH_PASS}};
    mm_dmarc_auth in = {"example.com", "bounces.esp.example", MM_DMARC_AUTH_PASS, 2, dk};

    /* relaxed DKIM alignment passes; SPF passed for an unaligned domain */
    mm_dmarc_verdict v = eval(f, "v=DMARC1; p=reject", "example.com", &in, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_PASS);
    assert_true(v.dkim_aligned);
    assert_false(v.spf_aligned);
    assert_string_equal(v.dkim_domain, "mail.example.com");
    assert_int_equal(v.applied, MM_DMARC_POLICY_NONE);

    /* strict DKIM: the subdomain signature no longer aligns */
    v = eval(f, "v=DMARC1; p=reject; adkim=s", "example.com", &in, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_FAIL);
    assert_int_equal(v.policy, MM_DMARC_POLICY_REJECT);
    assert_int_equal(v.applied, MM_DMARC_POLICY_REJECT);
    assert_false(v.sampled_out);

    /* pct: sampled out -> one step weaker (6.6.4) */
    v = eval(f, "v=DMARC1; p=reject; adkim=s; pct=20", "example.com", &in, 20);
    assert_true(v.sampled_out);
    assert_int_equal(v.applied, MM_DMARC_POLICY_QUARANTINE);
    v = eval(f, "v=DMARC1; p=quarantine; adkim=s; pct=20", "example.com", &in, 19);
    assert_false(v.sampled_out);
    assert_int_equal(v.applied, MM_DMARC_POLICY_QUARANTINE);
    v = eval(f, "v=DMARC1; p=quarantine; adkim=s; pct=0", "example.com", &in, 0);
    assert_int_equal(v.applied, MM_DMARC_POLICY_NONE);

    /* From below the policy domain: sp */
    mm_dmarc_auth sub = {"news.example.com", "esp.example", MM_DMARC_AUTH_PASS, 1, fail_dkim};
    v = eval(f, "v=DMARC1; p=reject; sp=quarantine", "example.com", &sub, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_FAIL);
    assert_true(v.subdomain_policy);
    assert_int_equal(v.policy, MM_DMARC_POLICY_QUARANTINE);

    /* aligned SPF alone passes; strict SPF does not for a subdomain */
    mm_dmarc_auth spf = {"example.com", "bounce.example.com", MM_DMARC_AUTH_PASS, 0, NULL};
    v = eval(f, "v=DMARC1; p=reject", "example.com", &spf, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_PASS);
    assert_true(v.spf_aligned);
    v = eval(f, "v=DMARC1; p=reject; aspf=s", "example.com", &spf, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_FAIL);
    spf.spf = MM_DMARC_AUTH_TEMPERROR;
    v = eval(f, "v=DMARC1; p=reject", "example.com", &spf, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_FAIL);

    /* fallback p=none, ignore -> permerror, not DMARC -> none */
    v = eval(f, "v=DMARC1; p=bogus; rua=mailto:a@example.com", "example.com", &spf, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_FAIL);
    assert_int_equal(v.applied, MM_DMARC_POLICY_NONE);
    v = eval(f, "v=DMARC1; p=bogus", "example.com", &spf, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_PERMERROR);
    v = eval(f, "v=spf1 -all", "example.com", &spf, 0);
    assert_int_equal(v.result, MM_DMARC_RESULT_NONE);
}

static void test_evaluate_lookup(void **state)
{
    fixture *f = *state;
    mm_dmarc_auth in = {"example.com", NULL, MM_DMARC_AUTH_NONE, 0, NULL};
    mm_dmarc_lookup lk = {.found = MM_DMARC_MULTIPLE};
    mm_dmarc_verdict v;
    assert_int_equal(mm_dmarc_evaluate_lookup(f->c, &lk, &in, 0, &v), MM_OK);
    assert_int_equal(v.result, MM_DMARC_RESULT_PERMERROR);
    lk.found = MM_DMARC_TEMPERROR;
    assert_int_equal(mm_dmarc_evaluate_lookup(f->c, &lk, &in, 0, &v), MM_OK);
    assert_int_equal(v.result, MM_DMARC_RESULT_TEMPERROR);
    lk.found = MM_DMARC_NONE;
    assert_int_equal(mm_dmarc_evaluate_lookup(f->c, &lk, &in, 0, &v), MM_OK);
    assert_int_equal(v.result, MM_DMARC_RESULT_NONE);
    assert_int_equal(mm_dmarc_evaluate_lookup(f->c, NULL, &in, 0, &v), MM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lint_ids),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_parse_edges),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_report_name),
        cmocka_unit_test(test_discover_cancel),
        cmocka_unit_test(test_discover_no_external),
        cmocka_unit_test_setup_teardown(test_discover_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discover_org, setup, teardown),
        cmocka_unit_test_setup_teardown(test_discover_none_multiple_temp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_org_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evaluate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_evaluate_lookup, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
