/*
 * live.c - the blocklist checker through its public API against Unbound on
 * 127.0.0.1 serving tests/dnsbl/zones (started by run.py).  Each case names
 * an IP and/or a domain, then the verdict wanted from each list: status,
 * the code ids in order, and a piece of the TXT reason.  Transport cases
 * (MTA-STS, TLS-RPT, BIMI records) are in transport_live() below.
 *
 *   dnsbl_live 127.0.0.1:PORT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailmedic/dnsbl.h>
#include <mailmedic/transport.h>

static int failures;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        printf("FAIL " __VA_ARGS__);                                                               \
        putchar('\n');                                                                             \
        failures++;                                                                                \
    } while (0)

typedef struct want {
    const char *list;
    const char *status;
    const char *codes; /* ids joined with ",", "" for none */
    const char *txt;   /* substring of the TXT reason, NULL = do not check */
} want;

typedef struct dcase {
    const char *ip, *domain;
    want w[10];
} dcase;

static const dcase cases[] = {
    /* the RFC 5782 test entry: listed everywhere it is served */
    {"127.0.0.2",
     NULL,
     {{"spamhaus-zen", "listed", "sbl", "SBLCSS"},
      {"barracuda", "listed", "listed", ""},
      {"spamcop", "listed", "listed", NULL},
      {"uceprotect-1", "listed", "listed", NULL},
      {"psbl", "listed", "listed", NULL},
      {"mailspike", "timeout", "", NULL},
      {"sorbs", "skipped", "", NULL},
      {"spamhaus-dbl", "skipped", "", NULL}}},
    /* two codes from ZEN, a TXT reason, a list without TXT */
    {"192.0.2.10",
     "listed.test",
     {{"spamhaus-zen", "listed", "xbl,pbl_isp", "192.0.2.10"},
      {"barracuda", "listed", "listed", "reputation"},
      {"spamcop", "not_listed", "", NULL},
      {"psbl", "listed", "listed", ""},
      {"spamhaus-dbl", "listed", "phish", "listed.test"},
      {"surbl", "listed", "ph,abuse", NULL},
      {"uribl", "listed", "black,red", NULL}}},
    /* refusals: never a listing */
    {"192.0.2.20",
     "refused.test",
     {{"spamhaus-zen", "refused", "open_resolver", ""},
      {"barracuda", "not_listed", "", NULL},
      {"spamhaus-dbl", "refused", "open_resolver", ""},
      {"surbl", "refused", "blocked", ""},
      {"uribl", "refused", "blocked", ""}}},
    {"192.0.2.21", NULL, {{"spamhaus-zen", "refused", "over_quota", ""}}},
    {"192.0.2.22", NULL, {{"spamhaus-zen", "refused", "query_error", ""}}},
    /* an answer outside 127/8, an undocumented code */
    {"192.0.2.30", NULL, {{"spamhaus-zen", "error", "not_loopback", ""}}},
    {"192.0.2.40", NULL, {{"spamhaus-zen", "listed", "unknown", "bad?bell"}}},
    /* unlisted */
    {"192.0.2.99",
     "clean.test",
     {{"spamhaus-zen", "not_listed", "", ""},
      {"barracuda", "not_listed", "", ""},
      {"spamhaus-dbl", "not_listed", "", ""},
      {"surbl", "not_listed", "", ""},
      {"uribl", "not_listed", "", ""}}},
    /* an IPv4-mapped IPv6 address is checked as IPv4 */
    {"::ffff:192.0.2.10",
     NULL,
     {{"spamhaus-zen", "listed", "xbl,pbl_isp", NULL}, {"barracuda", "listed", "listed", NULL}}},
    /* IPv6: nibble name on ZEN, skipped by IPv4-only lists */
    {"2001:db8::25",
     "dbltest.com",
     {{"spamhaus-zen", "listed", "css", NULL},
      {"barracuda", "skipped", "", NULL},
      {"spamcop", "skipped", "", NULL},
      {"spamhaus-dbl", "listed", "spam", NULL}}},
};

static const dcase optional_case; /* below, with optional_live() */

typedef struct got {
    const dcase *c;
    int called;
} got;

static void check_entry(const dcase *c, const mm_dnsbl_entry *e, const want *w)
{
    char ids[256] = "";
    for (size_t i = 0; i < e->ncodes; i++) {
        if (i)
            strcat(ids, ",");
        strncat(ids, e->codes[i].id, sizeof ids - strlen(ids) - 1);
    }
    const char *who = c->ip ? c->ip : c->domain;
    if (strcmp(mm_dnsbl_status_name(e->status), w->status) != 0)
        FAIL("%s on %s: got status %s, want %s (%s)", who, w->list, mm_dnsbl_status_name(e->status),
             w->status, e->message);
    if (strcmp(ids, w->codes) != 0)
        FAIL("%s on %s: got codes \"%s\", want \"%s\"", who, w->list, ids, w->codes);
    if (w->txt && !strstr(e->txt, w->txt))
        FAIL("%s on %s: got TXT \"%s\", want it to hold \"%s\"", who, w->list, e->txt, w->txt);
    if (w->txt && !w->txt[0] && e->txt[0])
        FAIL("%s on %s: got TXT \"%s\", want none", who, w->list, e->txt);
    if (!e->message || !e->message[0])
        FAIL("%s on %s: no message", who, w->list);
    if (e->status == MM_DNSBL_LISTED && !e->list->delist_url[0])
        FAIL("%s on %s: listed without a delisting page", who, w->list);
}

static void on_result(void *arg, const mm_dnsbl_result *r)
{
    got *g = arg;
    g->called++;
    for (size_t k = 0; k < 10 && g->c->w[k].list; k++) {
        const want *w = &g->c->w[k];
        const mm_dnsbl_entry *e = NULL;
        for (size_t i = 0; i < r->nentries; i++)
            if (strcmp(r->entries[i].list->id, w->list) == 0)
                e = &r->entries[i];
        if (!e)
            FAIL("%s: no entry for %s", g->c->ip ? g->c->ip : "-", w->list);
        else
            check_entry(g->c, e, w);
    }
    size_t listed = 0;
    for (size_t i = 0; i < r->nentries; i++) {
        listed += r->entries[i].status == MM_DNSBL_LISTED;
        if (r->entries[i].list->optional && g->c != &optional_case)
            FAIL("optional list %s asked by default", r->entries[i].list->id);
    }
    if (listed != r->nlisted)
        FAIL("nlisted %zu, counted %zu", r->nlisted, listed);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static const dcase optional_case = {
    "127.0.0.2",
    NULL,
    {{"casa-cblplus", "listed", "cbl_cdl", NULL}, {"spamhaus-zen", "listed", "sbl", NULL}}};

static void on_optional(void *arg, const mm_dnsbl_result *r)
{
    on_result(arg, r);
    if (r->nentries != 2)
        FAIL("optional: got %zu entries, want the 2 named", r->nentries);
}

static void on_optional_timed(void *arg, const mm_dnsbl_result *r)
{
    on_result(arg, r);
}

static double now_ms(void);

/* An optional list is asked when named, and only then. */
static void optional_live(mm_dns *d)
{
    static const char *const ids[] = {"casa-cblplus", "spamhaus-zen", NULL};
    mm_dnsbl_opts o = {ids, false};
    mm_dnsbl *b = NULL;
    got g = {&optional_case, 0};
    if (mm_dnsbl_create(d, &o, &b) != MM_OK ||
        mm_dnsbl_check(b, "127.0.0.2", NULL, on_optional, &g) != MM_OK) {
        FAIL("optional: create/check");
        mm_dnsbl_free(b);
        return;
    }
    mm_dns_run(d);
    if (g.called != 1)
        FAIL("optional: callback called %d times", g.called);
    mm_dnsbl_free(b);
    /* one full check (every default list that answers) on its own, timed */
    static const char *const answering[] = {"spamhaus-zen", "barracuda", "spamcop",
                                            "uceprotect-1", "psbl",      "spamhaus-dbl",
                                            "surbl",        "uribl",     NULL};
    static const dcase timed = {"192.0.2.11", "fresh.test", {{"surbl", "not_listed", "", ""}}};
    got tg = {&timed, 0};
    o.lists = answering;
    double t0 = now_ms();
    if (mm_dnsbl_create(d, &o, &b) == MM_OK &&
        mm_dnsbl_check(b, timed.ip, timed.domain, on_optional_timed, &tg) == MM_OK) {
        mm_dns_run(d);
        printf("dnsbl: one uncached check of an IP and a domain against 8 lists in %.2f ms "
               "(%d callback)\n",
               now_ms() - t0, tg.called);
    }
    mm_dnsbl_free(b);
    static const char *const bad[] = {"no-such-list", NULL};
    o.lists = bad;
    if (mm_dnsbl_create(d, &o, &b) != MM_EINVAL)
        FAIL("unknown list id accepted");
}

static void dnsbl_live(mm_dns *d)
{
    mm_dnsbl *b = NULL;
    if (mm_dnsbl_create(d, NULL, &b) != MM_OK) {
        FAIL("mm_dnsbl_create");
        return;
    }
    size_t n = sizeof cases / sizeof cases[0];
    got g[sizeof cases / sizeof cases[0]] = {{0}};
    double t0 = now_ms();
    for (size_t i = 0; i < n; i++) {
        g[i].c = &cases[i];
        if (mm_dnsbl_check(b, cases[i].ip, cases[i].domain, on_result, &g[i]) != MM_OK)
            FAIL("mm_dnsbl_check(%s)", cases[i].ip);
    }
    mm_dns_run(d);
    printf("dnsbl: %zu checks concurrently in %.0f ms (one list times out)\n", n, now_ms() - t0);
    for (size_t i = 0; i < n; i++)
        if (g[i].called != 1)
            FAIL("case %zu: callback called %d times", i, g[i].called);
    /* the default set leaves the optional lists out */
    /* bad input */
    if (mm_dnsbl_check(b, "300.1.1.1", NULL, on_result, NULL) != MM_EINVAL ||
        mm_dnsbl_check(b, NULL, NULL, on_result, NULL) != MM_EINVAL ||
        mm_dnsbl_check(b, NULL, "a..b", on_result, NULL) != MM_EINVAL)
        FAIL("bad input accepted");
    /* free with checks in flight: no callback, no leak */
    static const dcase lone = {"192.0.2.10", NULL, {{NULL, NULL, NULL, NULL}}};
    got never = {&lone, 0};
    mm_dnsbl_check(b, "192.0.2.10", NULL, on_result, &never);
    mm_dnsbl_free(b);
    mm_dns_run(d);
    if (never.called)
        FAIL("callback after mm_dnsbl_free");
}

void transport_live(mm_dns *d, int *failures_out);

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: dnsbl_live 127.0.0.1:PORT\n");
        return 2;
    }
    mm_dns_opts o = {argv[1], 400, 1, 0};
    mm_dns *d = NULL;
    if (mm_dns_create(&o, &d) != MM_OK) {
        fprintf(stderr, "mm_dns_create failed\n");
        return 1;
    }
    dnsbl_live(d);
    optional_live(d);
    transport_live(d, &failures);
    mm_dns_free(d);
    printf(failures ? "%d failure(s)\n" : "all cases pass\n", failures);
    return failures != 0;
}
