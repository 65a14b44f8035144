/*
 * test_mailcheck.c - the mail-domain check on an in-memory backend
 * (mm_dns_create_backend): the verdict rules without a server, the order of
 * events (no callback from inside a query call), joins, the host cache, and
 * the answers a network seldom gives (two null MX, a null MX among others,
 * NXDOMAIN for the A of a domain whose MX said NODATA).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/dns.h>

/* One row: the answer to (name, type); records as text ("10 host" for MX). */
typedef struct row {
    const char *name;
    int type;
    mm_dns_result result;
    const char *records[4];
} row;

static const row zone[] = {
    {"ok.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"20 mx2.ok.example", "10 mx1.ok.example"}},
    {"mx1.ok.example", MM_DNS_T_A, MM_DNS_ANSWER, {"93.184.216.34"}},
    {"mx1.ok.example", MM_DNS_T_AAAA, MM_DNS_ANSWER, {"2606:2800:220:1::25"}},
    {"mx2.ok.example", MM_DNS_T_A, MM_DNS_ANSWER, {"93.184.216.35"}},
    {"twonull.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"0 ", "0 "}},
    {"nullplus.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"0 ", "10 mx1.ok.example"}},
    {"vanish.example", MM_DNS_T_MX, MM_DNS_NODATA, {NULL}},
    {"vanish.example", MM_DNS_T_A, MM_DNS_NXDOMAIN, {NULL}},
    {"vanish.example", MM_DNS_T_AAAA, MM_DNS_NXDOMAIN, {NULL}},
    {"half.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"10 mx.half.example"}},
    {"mx.half.example", MM_DNS_T_A, MM_DNS_SERVFAIL, {NULL}},
    {"mx.half.example", MM_DNS_T_AAAA, MM_DNS_ANSWER, {"2001:4860::25"}},
    {"mixedbad.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"10 mx.lo.example", "20 [192.0.2.1]"}},
    {"mx.lo.example", MM_DNS_T_A, MM_DNS_ANSWER, {"127.0.0.1", "93.184.216.99"}},
    {"v6lo.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"10 mx.v6lo.example"}},
    {"mx.v6lo.example", MM_DNS_T_AAAA, MM_DNS_ANSWER, {"::1"}},
    {"tempns.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"10 mx.gone.example", "20 mx.t.example"}},
    {"mx.t.example", MM_DNS_T_A, MM_DNS_TIMEOUT, {NULL}},
    {"mx.t.example", MM_DNS_T_AAAA, MM_DNS_TIMEOUT, {NULL}},
    {"bodis.example", MM_DNS_T_NS, MM_DNS_ANSWER, {"NS1.BODIS.COM"}},
    {"bodis.example", MM_DNS_T_MX, MM_DNS_ANSWER, {"10 mx1.ok.example"}},
    {"bodis.com", MM_DNS_T_NS, MM_DNS_ANSWER, {"ns1.bodis.com"}},
    {"bodis.com", MM_DNS_T_MX, MM_DNS_ANSWER, {"10 mx1.ok.example"}},
};

typedef struct mem {
    mm_dns_record recs[4];
    size_t lookups;
} mem;

/* Not in the zone: NXDOMAIN, unless a longer name exists below (then NODATA). */
static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    mem *m = ctx;
    m->lookups++;
    ans->result = MM_DNS_NXDOMAIN;
    ans->rcode = 3;
    for (size_t i = 0; i < sizeof zone / sizeof zone[0]; i++) {
        if (strcmp(zone[i].name, name) != 0)
            continue;
        if (ans->result == MM_DNS_NXDOMAIN) {
            ans->result = MM_DNS_NODATA;
            ans->rcode = 0;
        }
        if (zone[i].type != type)
            continue;
        ans->result = zone[i].result;
        ans->rcode = zone[i].result == MM_DNS_NXDOMAIN   ? 3
                     : zone[i].result == MM_DNS_SERVFAIL ? 2
                                                         : 0;
        size_t n = 0;
        for (; n < 4 && zone[i].records[n]; n++) {
            mm_dns_record *r = &m->recs[n];
            const char *t = zone[i].records[n];
            memset(r, 0, sizeof *r);
            if (type == MM_DNS_T_MX) {
                r->u.mx.preference = (unsigned)atoi(t);
                r->u.mx.host = strchr(t, ' ') + 1;
            } else if (type == MM_DNS_T_A || type == MM_DNS_T_AAAA) {
                r->u.addr.family = type == MM_DNS_T_A ? AF_INET : AF_INET6;
                inet_pton(r->u.addr.family, t, r->u.addr.bytes);
                snprintf(r->u.addr.text, sizeof r->u.addr.text, "%s", t);
            } else {
                r->u.name = t;
            }
        }
        ans->nrecords = n;
        ans->records = m->recs;
        return;
    }
}

typedef struct got {
    const mm_mx_result *r;
    int calls;
} got;

static void on_mx(void *arg, const mm_mx_result *r)
{
    got *g = arg;
    g->calls++;
    g->r = mm_mx_result_ref(r);
}

typedef struct fixture {
    mem mem;
    mm_dns *d;
    mm_mailcheck *m;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    mm_dns_backend b = {"memory", lookup, &f->mem};
    if (!f || mm_dns_create_backend(&b, &f->d) != MM_OK ||
        mm_mailcheck_create(f->d, 0, &f->m) != MM_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mm_mailcheck_free(f->m);
    mm_dns_free(f->d);
    free(f);
    return 0;
}

static const mm_mx_result *check(fixture *f, const char *domain, got *g)
{
    memset(g, 0, sizeof *g);
    assert_int_equal(mm_mailcheck_domain(f->m, domain, on_mx, g), MM_OK);
    assert_int_equal(mm_dns_run(f->d), MM_OK);
    assert_int_equal(g->calls, 1);
    return g->r;
}

static void want(const mm_mx_result *r, mm_mx_status s)
{
    if (r->status != s)
        fail_msg("%s: got %s, want %s", r->domain, mm_mx_status_name(r->status),
                 mm_mx_status_name(s));
}

static void test_verdicts(void **state)
{
    fixture *f = *state;
    got g;
    const mm_mx_result *r = check(f, "ok.example", &g);
    want(r, MM_MX_OK);
    assert_int_equal(r->nhosts, 2);
    assert_string_equal(r->hosts[0].name, "mx1.ok.example"); /* sorted by preference */
    assert_int_equal(r->hosts[0].naddrs, 2);
    assert_string_equal(r->hosts[0].addrs[0].text, "93.184.216.34");
    assert_int_equal(r->ns_result, MM_DNS_NODATA);
    mm_mx_result_unref(r);

    r = check(f, "twonull.example", &g); /* two "." records: no host at all */
    want(r, MM_MX_NO_MAIL_HOST);
    assert_true(r->null_mx);
    mm_mx_result_unref(r);

    r = check(f, "nullplus.example", &g); /* "." among real MX: the real ones count */
    want(r, MM_MX_OK);
    assert_true(r->null_mx);
    assert_int_equal(r->hosts[0].status, MM_MX_HOST_NULL);
    mm_mx_result_unref(r);

    r = check(f, "vanish.example", &g);
    want(r, MM_MX_NO_MAIL_HOST);
    assert_true(r->implicit_mx);
    mm_mx_result_unref(r);

    r = check(f, "half.example", &g); /* A failed, AAAA public: usable */
    want(r, MM_MX_OK);
    assert_int_equal(r->hosts[0].a_result, MM_DNS_SERVFAIL);
    mm_mx_result_unref(r);

    r = check(f, "mixedbad.example", &g); /* one public address is enough */
    want(r, MM_MX_OK);
    assert_int_equal(r->hosts[1].status, MM_MX_HOST_IP_LITERAL);
    mm_mx_result_unref(r);

    r = check(f, "v6lo.example", &g);
    want(r, MM_MX_MISCONFIGURED);
    assert_int_equal(r->hosts[0].addrs[0].klass, MM_IP_LOOPBACK);
    mm_mx_result_unref(r);

    r = check(f, "tempns.example", &g); /* one host gone, one timing out: could not tell */
    want(r, MM_MX_TIMEOUT);
    assert_true(mm_mx_status_is_temporary(r->status));
    mm_mx_result_unref(r);

    r = check(f, "bodis.example", &g); /* NS at a parking service, even with a working MX */
    want(r, MM_MX_PARKED);
    assert_string_equal(r->parking, "Bodis");
    assert_string_equal(r->parking_via, "ns");
    assert_string_equal(r->ns[0], "ns1.bodis.com");
    mm_mx_result_unref(r);

    r = check(f, "bodis.com", &g); /* the service's own domain is not parked */
    want(r, MM_MX_OK);
    mm_mx_result_unref(r);

    r = check(f, "nothere.example", &g);
    want(r, MM_MX_NXDOMAIN);
    mm_mx_result_unref(r);
}

static void test_events(void **state)
{
    fixture *f = *state;
    got a, b, c;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    memset(&c, 0, sizeof c);
    size_t before = f->mem.lookups;
    assert_int_equal(mm_mailcheck_domain(f->m, "ok.example", on_mx, &a), MM_OK);
    assert_int_equal(mm_mailcheck_domain(f->m, "OK.example.", on_mx, &b), MM_OK);
    assert_int_equal(a.calls + b.calls, 0); /* answers come from the loop only */
    assert_int_equal(mm_dns_pending(f->d), 2);
    assert_int_equal(mm_dns_run(f->d), MM_OK);
    assert_int_equal(a.calls, 1);
    assert_int_equal(b.calls, 1);
    assert_ptr_equal(a.r, b.r); /* joined: one look-up, one result */
    /* MX + NS, then A + AAAA of two hosts */
    assert_int_equal(f->mem.lookups - before, 6);
    assert_int_equal(mm_mailcheck_domain(f->m, "ok.example", on_mx, &c), MM_OK);
    assert_int_equal(c.calls, 1); /* cached: at once */
    assert_int_equal(f->mem.lookups - before, 6);
    mm_mailcheck_stats s;
    mm_mailcheck_get_stats(f->m, &s);
    assert_int_equal(s.domains, 3);
    assert_int_equal(s.joined, 1);
    assert_int_equal(s.cache_hits, 1);
    mm_mx_result_unref(a.r);
    mm_mx_result_unref(b.r);
    mm_mx_result_unref(c.r);

    /* a second domain on the same hosts asks only its MX and NS */
    got d;
    before = f->mem.lookups;
    mm_mx_result_unref(check(f, "nullplus.example", &d));
    assert_int_equal(f->mem.lookups - before, 2);
}

static void test_args(void **state)
{
    fixture *f = *state;
    got g;
    mm_dns_backend none = {"none", NULL, NULL};
    mm_dns *d = NULL;
    assert_int_equal(mm_dns_create_backend(&none, &d), MM_EINVAL);
    assert_null(d);
    mm_mailcheck *m = NULL;
    assert_int_equal(mm_mailcheck_create(NULL, 0, &m), MM_EINVAL);
    assert_null(m);
    assert_int_equal(mm_mailcheck_domain(f->m, NULL, on_mx, &g), MM_EINVAL);
    assert_int_equal(mm_mailcheck_domain(f->m, "ok.example", NULL, &g), MM_EINVAL);
    char long_name[300];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(mm_mailcheck_domain(f->m, long_name, on_mx, &g), MM_EINVAL);
    mm_mx_result_unref(NULL);
    assert_null(mm_mx_result_ref(NULL));
    assert_string_equal(mm_mx_status_name(MM_MX_IMPLICIT), "implicit_mx");
    assert_string_equal(mm_mx_status_name((mm_mx_status)99), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
