/*
 * test_dns_live.c - the DNS layer and the mail-domain check against a real
 * Unbound serving tests/dns/zones (started by run.py, which passes its
 * address).  Table-driven; failures print "got X, want Y".
 *
 *   test_dns_live 127.0.0.1:PORT
 */
#include <mailmedic/dns.h>

/* The case tables leave the fields the callbacks fill to zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <arpa/inet.h>
#include <idn2.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum { T_SOA = 6 }; /* answered, but not parsed by the layer */

static int failures, checks;
static const char *server;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            failures++;                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static mm_dns *resolver(size_t max_inflight)
{
    mm_dns_opts o = {.server = server, .timeout_ms = 500, .tries = 1, .max_inflight = max_inflight};
    mm_dns *d = NULL;
    mm_status_t st = mm_dns_create(&o, &d);
    if (st != MM_OK) {
        printf("FAIL: mm_dns_create(%s): %s\n", server, mm_strerror(st));
        exit(1);
    }
    return d;
}

/* ---- generic queries ---- */

typedef struct qcase {
    const char *name;
    int type;
    mm_dns_result want;
    int rcode;
    size_t nrecords;
    const char *has; /* a record's text that must be present, or NULL */
    /* filled by the callback */
    int calls;
    mm_dns_result got;
    int got_rcode;
    size_t got_n;
    int found;
    unsigned nstrings;
} qcase;

static const char *record_text(int type, const mm_dns_record *r, char *buf, size_t n)
{
    switch (type) {
    case MM_DNS_T_A:
    case MM_DNS_T_AAAA:
        return r->u.addr.text;
    case MM_DNS_T_MX:
        snprintf(buf, n, "%u %s", r->u.mx.preference, r->u.mx.host);
        return buf;
    case MM_DNS_T_TXT:
        return r->u.txt.data;
    default:
        return r->u.name;
    }
}

static void on_q(void *arg, const mm_dns_answer *a)
{
    qcase *c = arg;
    c->calls++;
    c->got = a->result;
    c->got_rcode = a->rcode;
    c->got_n = a->nrecords;
    for (size_t i = 0; i < a->nrecords; i++) {
        char buf[300];
        /* case-insensitive: name compression may hand back the question's spelling */
        if (c->has &&
            strcasecmp(record_text(a->type, &a->records[i], buf, sizeof buf), c->has) == 0) {
            c->found = 1;
            if (a->type == MM_DNS_T_TXT)
                c->nstrings = a->records[i].u.txt.nstrings;
        }
    }
}

static qcase queries[] = {
    {"ok.test", MM_DNS_T_MX, MM_DNS_ANSWER, 0, 2, "10 mx1.ok.test"},
    {"OK.Test.", MM_DNS_T_MX, MM_DNS_ANSWER, 0, 2, "20 mx2.ok.test"},
    {"nullmx.test", MM_DNS_T_MX, MM_DNS_ANSWER, 0, 1, "0 "},
    {"nx.test", MM_DNS_T_MX, MM_DNS_NXDOMAIN, 3, 0, NULL},
    {"nomail.test", MM_DNS_T_MX, MM_DNS_NODATA, 0, 0, NULL},
    {"nomail.test", MM_DNS_T_A, MM_DNS_NODATA, 0, 0, NULL},
    {"txt.test", MM_DNS_T_TXT, MM_DNS_ANSWER, 0, 2,
     "v=spf1 ip4:93.184.216.0/24 include:_spf.ok.test ~all"},
    {"txt.test", MM_DNS_T_TXT, MM_DNS_ANSWER, 0, 2, "second record"},
    {"alias.test", MM_DNS_T_CNAME, MM_DNS_ANSWER, 0, 1, "ok.test"},
    {"alias.test", MM_DNS_T_MX, MM_DNS_ANSWER, 0, 2, "10 mx1.ok.test"},
    {"ok.test", MM_DNS_T_CNAME, MM_DNS_NODATA, 0, 0, NULL},
    {"multi.test", MM_DNS_T_A, MM_DNS_ANSWER, 0, 40, "93.184.217.40"},
    {"mx1.ok.test", MM_DNS_T_AAAA, MM_DNS_ANSWER, 0, 1, "2606:2800:220:1:248:1893:25c8:1946"},
    {"mx2.ok.test", MM_DNS_T_AAAA, MM_DNS_NODATA, 0, 0, NULL},
    {"parkedns.test", MM_DNS_T_NS, MM_DNS_ANSWER, 0, 2, "ns1.sedoparking.com"},
    {"xn--fsqu00a.xn--fiqs8s", MM_DNS_T_MX, MM_DNS_ANSWER, 0, 1, "10 mx.xn--fsqu00a.xn--fiqs8s"},
    {"www.servfail.example", MM_DNS_T_A, MM_DNS_SERVFAIL, 2, 0, NULL},
    {"refused.example", MM_DNS_T_A, MM_DNS_REFUSED, 5, 0, NULL},
    {"x.slow.example", MM_DNS_T_A, MM_DNS_TIMEOUT, -1, 0, NULL},
    {"ok.test", 99 /* SPF type: not parsed */, MM_DNS_NODATA, 0, 0, NULL},
    {"test", T_SOA, MM_DNS_ANSWER, 0, 0, NULL},
};

static void test_queries(void)
{
    mm_dns *d = resolver(0);
    size_t n = sizeof queries / sizeof queries[0];
    double t0 = now();
    for (size_t i = 0; i < n; i++)
        CHECK(mm_dns_query(d, queries[i].name, queries[i].type, on_q, &queries[i]) == MM_OK,
              "query %s accepted", queries[i].name);
    CHECK(mm_dns_pending(d) == n, "pending: got %zu, want %zu", mm_dns_pending(d), n);
    CHECK(mm_dns_run(d) == MM_OK, "run");
    double dt = now() - t0;
    CHECK(mm_dns_pending(d) == 0, "pending after run: got %zu, want 0", mm_dns_pending(d));
    /* One timeout of 500 ms, all the rest in parallel with it. */
    CHECK(dt < 2.0, "all queries in %.2f s, want < 2 s", dt);
    for (size_t i = 0; i < n; i++) {
        qcase *c = &queries[i];
        CHECK(c->calls == 1, "%s/%d: %d callbacks, want 1", c->name, c->type, c->calls);
        CHECK(c->got == c->want, "%s/%d: got %s, want %s", c->name, c->type,
              mm_dns_result_name(c->got), mm_dns_result_name(c->want));
        CHECK(c->got_rcode == c->rcode, "%s/%d: rcode got %d, want %d", c->name, c->type,
              c->got_rcode, c->rcode);
        if (c->type != T_SOA)
            CHECK(c->got_n == c->nrecords, "%s/%d: got %zu records, want %zu", c->name, c->type,
                  c->got_n, c->nrecords);
        CHECK(!c->has || c->found, "%s/%d: record \"%s\" not found", c->name, c->type, c->has);
    }
    CHECK(queries[6].nstrings == 3, "SPF TXT strings: got %u, want 3", queries[6].nstrings);
    mm_dns_free(d);
}

/* 3000 bytes of TXT: c-ares gets TC over UDP and asks again over TCP. */
static void on_big(void *arg, const mm_dns_answer *a)
{
    int *ok = arg;
    *ok = a->result == MM_DNS_ANSWER && a->nrecords == 1 && a->records[0].u.txt.len == 3000 &&
          a->records[0].u.txt.nstrings == 12 && a->records[0].u.txt.data[2999] == 'l';
}

/* A DKIM key published as two strings of one TXT record comes back joined. */
static void on_dkim(void *arg, const mm_dns_answer *a)
{
    int *ok = arg;
    *ok = a->result == MM_DNS_ANSWER && a->nrecords == 1 && a->records[0].u.txt.nstrings == 2 &&
          a->records[0].u.txt.len > 255 && strncmp(a->records[0].u.txt.data, "v=DKIM1;", 8) == 0 &&
          strcmp(a->records[0].u.txt.data + a->records[0].u.txt.len - 7, "QIDAQAB") == 0 &&
          strlen(a->records[0].u.txt.data) == a->records[0].u.txt.len;
}

static void on_ptr(void *arg, const mm_dns_answer *a)
{
    char *got = arg;
    snprintf(got, 256, "%s:%zu:%s", mm_dns_result_name(a->result), a->nrecords,
             a->nrecords ? a->records[0].u.name : "");
}

static void test_txt_ptr(void)
{
    mm_dns *d = resolver(0);
    int dkim = 0, big = 0;
    char ptr4[256] = "", ptr6[256] = "", ptr2[256] = "";
    char n4[80], n6[80], n2[80];
    CHECK(mm_dns_reverse_name("198.51.100.25", NULL, n4, sizeof n4) == MM_OK, "reverse v4");
    CHECK(strcmp(n4, "25.100.51.198.in-addr.arpa") == 0, "reverse v4: got %s", n4);
    CHECK(mm_dns_reverse_name("2001:db8::25", NULL, n6, sizeof n6) == MM_OK, "reverse v6");
    CHECK(mm_dns_reverse_name("198.51.100.26", NULL, n2, sizeof n2) == MM_OK, "reverse v4 (2)");
    CHECK(mm_dns_reverse_name("not an ip", NULL, n2 + 40, 40) == MM_EINVAL, "reverse of junk");
    CHECK(mm_dns_reverse_name("2001:db8::25", NULL, n2 + 40, 20) == MM_ETOOBIG,
          "reverse: small buffer");
    mm_dns_query(d, "sel._domainkey.test", MM_DNS_T_TXT, on_dkim, &dkim);
    mm_dns_query(d, "big.test", MM_DNS_T_TXT, on_big, &big);
    mm_dns_query(d, n4, MM_DNS_T_PTR, on_ptr, ptr4);
    mm_dns_query(d, n6, MM_DNS_T_PTR, on_ptr, ptr6);
    mm_dns_query(d, n2, MM_DNS_T_PTR, on_ptr, ptr2);
    CHECK(mm_dns_run(d) == MM_OK, "run");
    CHECK(dkim, "DKIM TXT of two strings not joined as expected");
    CHECK(big, "3000-byte TXT (over TCP) not received whole");
    CHECK(strcmp(ptr4, "answer:1:mx1.ok.test") == 0, "PTR v4: got %s", ptr4);
    CHECK(strcmp(ptr6, "answer:1:mx6.ok.test") == 0, "PTR v6: got %s (name %s)", ptr6, n6);
    CHECK(strncmp(ptr2, "answer:2:", 9) == 0, "PTR with two names: got %s", ptr2);
    mm_dns_free(d);
}

/* ---- pipelining, run_once, cancel, free ---- */

static void count_cb(void *arg, const mm_dns_answer *a)
{
    (void)a;
    ++*(int *)arg;
}

static void requery_cb(void *arg, const mm_dns_answer *a)
{
    int *n = arg;
    static mm_dns *dd;
    if (!a) { /* set-up call */
        dd = (mm_dns *)(void *)n;
        return;
    }
    if (++*n < 5) /* a callback may ask again */
        mm_dns_query(dd, "ok.test", MM_DNS_T_MX, requery_cb, n);
}

static void test_pipeline(void)
{
    mm_dns *d = resolver(4);
    int got = 0;
    char name[64];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "%s.test", i % 3 ? "ok" : i % 2 ? "nx" : "aonly");
        CHECK(mm_dns_query(d, name, MM_DNS_T_MX, count_cb, &got) == MM_OK, "query %d", i);
    }
    CHECK(mm_dns_pending(d) == 300, "pending: got %zu, want 300", mm_dns_pending(d));
    int rounds = 0;
    while (mm_dns_pending(d) && rounds < 100000) {
        CHECK(mm_dns_run_once(d, 50) == MM_OK, "run_once");
        rounds++;
    }
    CHECK(got == 300, "max_inflight 4: got %d callbacks, want 300", got);
    CHECK(mm_dns_run_once(d, 50) == MM_OK, "run_once with nothing pending");

    int again = 0;
    requery_cb(d, NULL);
    mm_dns_query(d, "ok.test", MM_DNS_T_MX, requery_cb, &again);
    CHECK(mm_dns_run(d) == MM_OK && again == 5, "queries from callbacks: got %d, want 5", again);

    int cancelled = 0, kept = 0;
    int owner_a, owner_b;
    for (int i = 0; i < 10; i++) {
        mm_dns_query_owned(d, &owner_a, "ok.test", MM_DNS_T_MX, count_cb, &cancelled);
        mm_dns_query_owned(d, &owner_b, "ok.test", MM_DNS_T_A, count_cb, &kept);
    }
    size_t dropped = mm_dns_cancel(d, &owner_a);
    CHECK(dropped == 10, "cancel: got %zu, want 10", dropped);
    CHECK(mm_dns_pending(d) == 10, "pending after cancel: got %zu, want 10", mm_dns_pending(d));
    mm_dns_run(d);
    CHECK(cancelled == 0 && kept == 10, "after cancel: got %d/%d callbacks, want 0/10", cancelled,
          kept);

    int never = 0;
    for (int i = 0; i < 20; i++)
        mm_dns_query(d, "x.slow.example", MM_DNS_T_A, count_cb, &never);
    mm_dns_run_once(d, 0);
    mm_dns_free(d); /* pending queries dropped, no callback */
    CHECK(never == 0, "free with pending queries: got %d callbacks, want 0", never);
}

/* A loopback UDP port that was free a moment ago: nobody listens there. */
static int closed_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        printf("FAIL: no loopback UDP socket\n");
        exit(1);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static void test_args(void)
{
    static const struct {
        const char *server;
        mm_status_t want;
    } servers[] = {
        {"127.0.0.1", MM_OK},
        {"127.0.0.1:5353", MM_OK},
        {"[::1]:5353", MM_OK},
        {"::1", MM_OK},
        {"[::1]", MM_OK},
        {"localhost", MM_EINVAL},
        {"127.0.0.1:0", MM_EINVAL},
        {"127.0.0.1:65536", MM_EINVAL},
        {"127.0.0.1:53x", MM_EINVAL},
        {"[::1", MM_EINVAL},
        {"[::1]x", MM_EINVAL},
        {"", MM_EINVAL},
        {"1.2.3.4.5", MM_EINVAL},
    };
    for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
        mm_dns_opts o = {.server = servers[i].server};
        mm_dns *d = NULL;
        mm_status_t st = mm_dns_create(&o, &d);
        CHECK(st == servers[i].want, "server \"%s\": got %s, want %s", servers[i].server,
              mm_strerror(st), mm_strerror(servers[i].want));
        mm_dns_free(d);
    }
    mm_dns *d = NULL;
    /* the resolv.conf servers: created, never asked (tests stay on loopback) */
    CHECK(mm_dns_create(NULL, &d) == MM_OK, "create from resolv.conf");
    mm_dns_free(d);
    d = resolver(0);
    int n = 0;
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char label[80];
    memset(label, 'a', 64);
    strcpy(label + 64, ".test");
    const char *bad[] = {"", "a..test", ".test", big, label, "a b.test"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(mm_dns_query(d, bad[i], MM_DNS_T_A, count_cb, &n) == MM_EINVAL,
              "bad name %zu accepted", i);
    CHECK(mm_dns_query(d, "ok.test", 0, count_cb, &n) == MM_EINVAL, "type 0 accepted");
    CHECK(mm_dns_query(d, "ok.test", 70000, count_cb, &n) == MM_EINVAL, "type 70000 accepted");
    CHECK(mm_dns_pending(d) == 0 && n == 0, "rejected queries left traces");
    mm_dns_free(d);
    mm_dns_free(NULL);

    /* a server port nobody listens on: "error" (temporary) at once, not a timeout */
    char closed_server[32];
    snprintf(closed_server, sizeof closed_server, "127.0.0.1:%d", closed_port());
    mm_dns_opts closed = {.server = closed_server, .timeout_ms = 3000, .tries = 2};
    qcase c = {"ok.test", MM_DNS_T_MX, MM_DNS_ERROR, -1, 0, NULL};
    double t0 = now();
    if (mm_dns_create(&closed, &d) == MM_OK) {
        mm_dns_query(d, c.name, c.type, on_q, &c);
        mm_dns_run(d);
        mm_dns_free(d);
    }
    CHECK(c.calls == 1 && c.got == MM_DNS_ERROR && c.got_rcode == -1,
          "closed port: got %s/%d, want error/-1", mm_dns_result_name(c.got), c.got_rcode);
    CHECK(now() - t0 < 1.0, "closed port took %.2f s, want < 1 s", now() - t0);
    CHECK(strcmp(mm_dns_result_name(MM_DNS_NXDOMAIN), "nxdomain") == 0, "result name");
    CHECK(strcmp(mm_dns_result_name((mm_dns_result)42), "unknown") == 0, "result name 42");
}

/* ---- the mail-domain check ---- */

typedef struct mcase {
    const char *domain;
    mm_mx_status want;
    size_t nhosts;
    mm_mx_host_status host0; /* status of hosts[0] when nhosts > 0 */
    const char *detail;      /* parking service, or hosts[0]'s first address class */
    const mm_mx_result *r;
    int calls;
} mcase;

static void on_mx(void *arg, const mm_mx_result *r)
{
    mcase *c = arg;
    c->calls++;
    mm_mx_result_unref(c->r);
    c->r = mm_mx_result_ref(r);
}

static mcase mcases[] = {
    {"ok.test", MM_MX_OK, 2, MM_MX_HOST_OK, "public"},
    {"OK.TEST.", MM_MX_OK, 2, MM_MX_HOST_OK, "public"},
    {"nullmx.test", MM_MX_NULL_MX, 1, MM_MX_HOST_NULL, NULL},
    {"aonly.test", MM_MX_IMPLICIT, 1, MM_MX_HOST_OK, "public"},
    {"nomail.test", MM_MX_NO_MAIL_HOST, 1, MM_MX_HOST_NO_ADDRESS, NULL},
    {"nx.test", MM_MX_NXDOMAIN, 0, 0, NULL},
    {"loopback.test", MM_MX_MISCONFIGURED, 1, MM_MX_HOST_BAD_ADDRESS, "loopback"},
    {"private.test", MM_MX_MISCONFIGURED, 1, MM_MX_HOST_BAD_ADDRESS, "private"},
    {"zero.test", MM_MX_MISCONFIGURED, 1, MM_MX_HOST_BAD_ADDRESS, "unspecified"},
    {"literal.test", MM_MX_MISCONFIGURED, 1, MM_MX_HOST_IP_LITERAL, NULL},
    {"localmx.test", MM_MX_MISCONFIGURED, 1, MM_MX_HOST_BAD_ADDRESS, "loopback"},
    {"implicitlo.test", MM_MX_MISCONFIGURED, 1, MM_MX_HOST_BAD_ADDRESS, "loopback"},
    {"unresolved.test", MM_MX_NO_MAIL_HOST, 2, MM_MX_HOST_NO_ADDRESS, NULL},
    {"mixed.test", MM_MX_OK, 2, MM_MX_HOST_NO_ADDRESS, NULL},
    {"slowmx.test", MM_MX_TIMEOUT, 1, MM_MX_HOST_TEMPFAIL, NULL},
    {"failmx.test", MM_MX_SERVFAIL, 1, MM_MX_HOST_TEMPFAIL, NULL},
    {"parkedmx.test", MM_MX_PARKED, 1, MM_MX_HOST_TEMPFAIL, "Sedo"},
    {"parkedns.test", MM_MX_PARKED, 1, MM_MX_HOST_OK, "Sedo"},
    {"many.test", MM_MX_OK, 6, MM_MX_HOST_OK, "public"},
    {"alias.test", MM_MX_OK, 2, MM_MX_HOST_OK, "public"},
    {"xn--55qx5d.test", MM_MX_OK, 1, MM_MX_HOST_OK, "public"},
    {"www.servfail.example", MM_MX_SERVFAIL, 0, 0, NULL},
    {"refused.example", MM_MX_ERROR, 0, 0, NULL},
    {"x.slow.example", MM_MX_TIMEOUT, 0, 0, NULL},
    {NULL /* the IDN case, filled from a U-label by libidn2 */, MM_MX_OK, 1, MM_MX_HOST_OK,
     "public"},
};

static void check_mcase(const mcase *c)
{
    const mm_mx_result *r = c->r;
    CHECK(c->calls == 1, "%s: %d callbacks, want 1", c->domain, c->calls);
    if (!r)
        return;
    CHECK(r->status == c->want, "%s: got %s, want %s", c->domain, mm_mx_status_name(r->status),
          mm_mx_status_name(c->want));
    CHECK(r->nhosts == c->nhosts, "%s: got %zu hosts, want %zu", c->domain, r->nhosts, c->nhosts);
    if (r->nhosts && c->nhosts)
        CHECK(r->hosts[0].status == c->host0, "%s: host 0 (%s) got %s, want %s", c->domain,
              r->hosts[0].name, mm_mx_host_status_name(r->hosts[0].status),
              mm_mx_host_status_name(c->host0));
    if (c->detail && c->want == MM_MX_PARKED)
        CHECK(r->parking && strcmp(r->parking, c->detail) == 0, "%s: parking got %s, want %s",
              c->domain, r->parking ? r->parking : "(none)", c->detail);
    else if (c->detail)
        CHECK(r->nhosts && r->hosts[0].naddrs &&
                  strcmp(mm_ip_class_name(r->hosts[0].addrs[0].klass), c->detail) == 0,
              "%s: host 0 address class, want %s", c->domain, c->detail);
}

static void test_mailcheck(void)
{
    mm_dns *d = resolver(0);
    mm_mailcheck *m = NULL;
    CHECK(mm_mailcheck_create(d, 0, &m) == MM_OK, "mailcheck_create");
    size_t n = sizeof mcases / sizeof mcases[0];
    char *idn = NULL;
    CHECK(idn2_to_ascii_8z("例子.中国", &idn, IDN2_NONTRANSITIONAL) == IDN2_OK, "idn2");
    mcases[n - 1].domain = idn;
    for (size_t i = 0; i < n; i++)
        CHECK(mm_mailcheck_domain(m, mcases[i].domain, on_mx, &mcases[i]) == MM_OK,
              "mailcheck %s accepted", mcases[i].domain);
    CHECK(mm_dns_run(d) == MM_OK, "run");
    for (size_t i = 0; i < n; i++)
        check_mcase(&mcases[i]);

    const mm_mx_result *r = mcases[0].r;
    if (r && r->nhosts == 2) {
        CHECK(strcmp(r->domain, "ok.test") == 0, "domain got %s", r->domain);
        CHECK(r->hosts[0].preference == 10 && strcmp(r->hosts[0].name, "mx1.ok.test") == 0 &&
                  r->hosts[1].preference == 20,
              "ok.test hosts by preference");
        CHECK(r->hosts[0].naddrs == 2 && strcmp(r->hosts[0].addrs[0].text, "93.184.216.34") == 0 &&
                  strcmp(r->hosts[0].addrs[1].text, "2606:2800:220:1:248:1893:25c8:1946") == 0,
              "mx1.ok.test addresses: A then AAAA");
        CHECK(r->mx_result == MM_DNS_ANSWER && !r->null_mx && !r->implicit_mx && r->nmx == 2,
              "ok.test flags");
    }
    CHECK(mcases[0].r == mcases[1].r, "OK.TEST. and ok.test share one result");
    r = mcases[2].r;
    CHECK(r && r->null_mx && r->hosts[0].name[0] == '\0', "null MX flags");
    r = mcases[3].r;
    CHECK(r && r->implicit_mx && strcmp(r->hosts[0].name, "aonly.test") == 0 &&
              r->hosts[0].naddrs == 2,
          "implicit MX host is the domain with its A and AAAA");
    r = mcases[17].r;
    CHECK(r && r->parking_via && strcmp(r->parking_via, "ns") == 0 && r->nns == 2, "parked via NS");
    r = mcases[16].r;
    CHECK(r && r->parking_via && strcmp(r->parking_via, "mx") == 0 && r->hosts[0].parking,
          "parked via MX");
    r = mcases[13].r;
    CHECK(r && r->nhosts == 2 && r->hosts[1].status == MM_MX_HOST_OK, "mixed: backup MX ok");
    r = mcases[18].r;
    if (r && r->nhosts == 6) {
        for (size_t i = 0; i < 6; i++)
            CHECK(r->hosts[i].preference == 10 * (i + 1), "many: host %zu preference %u", i,
                  r->hosts[i].preference);
        CHECK(r->hosts[3].status == MM_MX_HOST_OK && r->hosts[4].status == MM_MX_HOST_NOT_CHECKED &&
                  r->hosts[5].status == MM_MX_HOST_NOT_CHECKED,
              "many: only the first %d checked", MM_MAILCHECK_MAX_HOSTS);
    }
    CHECK(strcmp(mcases[n - 1].domain, "xn--fsqu00a.xn--fiqs8s") == 0, "idn2 gave %s",
          mcases[n - 1].domain);

    /* cached now: the callback comes before mm_mailcheck_domain() returns */
    mcase again = {"ok.test", MM_MX_OK, 2, MM_MX_HOST_OK, NULL};
    CHECK(mm_mailcheck_domain(m, "ok.test", on_mx, &again) == MM_OK && again.calls == 1,
          "cached domain answered at once");
    mm_mx_result_unref(again.r);
    mm_mailcheck_stats s;
    mm_mailcheck_get_stats(m, &s);
    CHECK(s.domains == n + 1 && s.cache_hits == 1 && s.joined == 1,
          "stats: domains %zu hits %zu joined %zu", s.domains, s.cache_hits, s.joined);

    const char *bad[] = {"",        "a b.test", "\xc3\xbc.test", "[192.0.2.1]",
                         "a..test", ".",        "x\\.test"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(mm_mailcheck_domain(m, bad[i], on_mx, &again) == MM_EINVAL, "bad domain %zu", i);

    mm_mailcheck_free(m);
    for (size_t i = 0; i < n; i++) /* results outlive the checker while referenced */
        if (mcases[i].r)
            CHECK(mcases[i].r->domain[0] != '\0', "result after free");
    for (size_t i = 0; i < n; i++)
        mm_mx_result_unref(mcases[i].r);
    free(idn);
    mm_dns_free(d);
}

static void test_cache(void)
{
    mm_dns *d = resolver(0);
    mm_mailcheck *m = NULL;
    mm_mailcheck_create(d, 2, &m);
    mcase c[5] = {{"share1.test"}, {"share2.test"}, {"share3.test"}, {"ok.test"}, {"aonly.test"}};
    for (int i = 0; i < 3; i++)
        mm_mailcheck_domain(m, c[i].domain, on_mx, &c[i]);
    mm_dns_run(d);
    mm_mailcheck_stats s;
    mm_mailcheck_get_stats(m, &s);
    /* three MX + three NS, and one A + one AAAA for the shared host */
    CHECK(s.queries == 8, "shared MX host: got %zu queries, want 8", s.queries);
    CHECK(s.evicted == 1, "cache of 2 after 3 domains: got %zu evicted, want 1", s.evicted);
    for (int i = 3; i < 5; i++) {
        mm_mailcheck_domain(m, c[i].domain, on_mx, &c[i]);
        mm_dns_run(d);
    }
    mm_mailcheck_get_stats(m, &s);
    CHECK(s.evicted == 3, "got %zu evicted, want 3", s.evicted);
    /* share1 was evicted, but our reference keeps its result alive */
    CHECK(c[0].r && c[0].r->status == MM_MX_OK && strcmp(c[0].r->domain, "share1.test") == 0,
          "evicted result still readable");
    for (int i = 0; i < 5; i++)
        mm_mx_result_unref(c[i].r);

    /* allow_private: a loopback MX is usable (tests with a local MTA) */
    mcase lo = {"loopback.test"};
    mm_mailcheck_allow_private(m, true);
    mm_mailcheck_domain(m, lo.domain, on_mx, &lo);
    mm_dns_run(d);
    CHECK(lo.r && lo.r->status == MM_MX_OK, "allow_private: got %s, want ok",
          lo.r ? mm_mx_status_name(lo.r->status) : "(none)");
    mm_mx_result_unref(lo.r);

    /* freeing the checker with look-ups under way: no callback afterwards */
    mcase slow = {"x.slow.example"};
    mm_mailcheck_domain(m, slow.domain, on_mx, &slow);
    mm_mailcheck_free(m);
    mm_dns_run(d);
    CHECK(slow.calls == 0, "callback after mm_mailcheck_free: %d", slow.calls);
    mm_dns_free(d);
    mm_mailcheck_free(NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_dns_live 127.0.0.1:PORT\n");
        return 2;
    }
    server = argv[1];
    test_args();
    test_queries();
    test_txt_ptr();
    test_pipeline();
    test_mailcheck();
    test_cache();
    printf("%d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
