/*
 * check.c - one blocklist check: the IP against every IP list and the
 * domain against every domain list, all queries on the wire at once.
 *
 * Each list gets one A query (RFC 5782 2.1 for IPs, 2.2 for domains); a
 * listing then gets one TXT query for the reason (RFC 5782 2.1: the TXT
 * record at the same name).  The callback runs when the last answer is in.
 * A counter held at one while queries are being sent keeps a query that
 * fails at once (its callback runs inside mm_dns_query) from finishing the
 * check early.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/dnsbl.h>
#include "util/arena.h"
#include "util/buf.h"

#define N_(s) s
#define MAX_LISTS 64
#define MAX_ADDRS 16 /* A records read per answer */

struct mm_dnsbl {
    mm_dns *dns;
    bool no_txt;
    size_t nlists;
    const mm_dnsbl_list *lists[MAX_LISTS];
    struct check *checks; /* in flight, for mm_dnsbl_free() */
};

typedef struct check check;

typedef struct query {
    check *c;
    size_t i;
} query;

struct check {
    check *next, *prev;
    mm_dnsbl *b;
    mm_dnsbl_cb cb;
    void *arg;
    mm_arena arena;
    size_t pending;
    mm_dnsbl_result pub;
    mm_dnsbl_entry entries[MAX_LISTS];
    mm_dnsbl_code codes[MAX_LISTS][MM_DNSBL_MAX_CODES];
    query q[MAX_LISTS];
};

static void unlink_check(check *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->b->checks = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void free_check(check *c)
{
    mm_arena_free(&c->arena);
    free(c);
}

static void done_one(check *c)
{
    if (--c->pending)
        return;
    c->pub.entries = c->entries;
    for (size_t i = 0; i < c->pub.nentries; i++) {
        c->pub.nlisted += c->entries[i].status == MM_DNSBL_LISTED;
        c->pub.nunknown += mm_dnsbl_status_is_unknown(c->entries[i].status);
    }
    unlink_check(c);
    c->cb(c->arg, &c->pub);
    free_check(c);
}

static const char msg_oom[] = N_("Cannot tell: out of memory.");

static void txt_answer(void *arg, const mm_dns_answer *ans)
{
    query *q = arg;
    mm_dnsbl_entry *e = &q->c->entries[q->i];
    mm_buf b;
    mm_buf_init(&b, 4096);
    for (size_t i = 0; ans->result == MM_DNS_ANSWER && i < ans->nrecords; i++) {
        if (i)
            mm_buf_puts(&b, " | ");
        mm_buf_append(&b, ans->records[i].u.txt.data,
                      strnlen(ans->records[i].u.txt.data, ans->records[i].u.txt.len));
    }
    char *t = mm_arena_strdup(&q->c->arena, mm_buf_str(&b));
    /* the reason comes from the list's server and goes to terminals and reports */
    for (char *p = t; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    e->txt = t ? t : "";
    mm_buf_free(&b);
    done_one(q->c);
}

static mm_dnsbl_status status_of_dns(mm_dns_result r)
{
    switch (r) {
    case MM_DNS_NXDOMAIN:
    case MM_DNS_NODATA:
        return MM_DNSBL_NOT_LISTED;
    case MM_DNS_TIMEOUT:
        return MM_DNSBL_TIMEOUT;
    default:
        return MM_DNSBL_ERROR;
    }
}

/* Answers in address order: the order within an RRset means nothing (RFC 2181 5), and
 * reports and tests want the same codes in the same order every time. */
static int by_addr(const void *a, const void *b)
{
    unsigned char x[4] = {0}, y[4] = {0};
    inet_pton(AF_INET, *(const char *const *)a, x);
    inet_pton(AF_INET, *(const char *const *)b, y);
    return memcmp(x, y, 4);
}

static void a_answer(void *arg, const mm_dns_answer *ans)
{
    query *q = arg;
    check *c = q->c;
    mm_dnsbl_entry *e = &c->entries[q->i];
    e->dns_result = ans->result;
    if (ans->result != MM_DNS_ANSWER || ans->nrecords == 0) {
        e->status = status_of_dns(ans->result);
        e->message = mm_dnsbl_status_message(e->status);
        done_one(c);
        return;
    }
    const char *addrs[MAX_ADDRS];
    size_t n = 0;
    for (size_t i = 0; i < ans->nrecords && n < MAX_ADDRS; i++) {
        if (ans->records[i].u.addr.family != AF_INET)
            continue;
        if (!(addrs[n] = mm_arena_strdup(&c->arena, ans->records[i].u.addr.text))) {
            e->status = MM_DNSBL_ERROR;
            e->message = msg_oom;
            done_one(c);
            return;
        }
        n++;
    }
    qsort(addrs, n, sizeof addrs[0], by_addr);
    e->status = mm_dnsbl_read(e->list, addrs, n, c->codes[q->i], MM_DNSBL_MAX_CODES, &e->ncodes);
    e->message = mm_dnsbl_status_message(e->status);
    if (e->status != MM_DNSBL_LISTED && e->ncodes)
        e->message = e->codes[0].message; /* the refusal's or the bad answer's own words */
    if (e->status == MM_DNSBL_LISTED && !c->b->no_txt) {
        c->pending++;
        if (mm_dns_query_owned(c->b->dns, c, e->query, MM_DNS_T_TXT, txt_answer, q) != MM_OK)
            c->pending--;
    }
    done_one(c);
}

mm_status_t mm_dnsbl_create(mm_dns *d, const mm_dnsbl_opts *o, mm_dnsbl **out)
{
    if (!d || !out)
        return MM_EINVAL;
    mm_dnsbl *b = calloc(1, sizeof *b);
    if (!b)
        return MM_ENOMEM;
    b->dns = d;
    b->no_txt = o && o->no_txt;
    if (o && o->lists) {
        for (size_t i = 0; o->lists[i]; i++) {
            const mm_dnsbl_list *l = mm_dnsbl_list_find(o->lists[i]);
            if (!l || b->nlists == MAX_LISTS) {
                free(b);
                return MM_EINVAL;
            }
            b->lists[b->nlists++] = l;
        }
    } else {
        for (size_t i = 0; i < mm_dnsbl_list_count() && b->nlists < MAX_LISTS; i++)
            if (!mm_dnsbl_list_get(i)->optional)
                b->lists[b->nlists++] = mm_dnsbl_list_get(i);
    }
    *out = b;
    return MM_OK;
}

void mm_dnsbl_free(mm_dnsbl *b)
{
    if (!b)
        return;
    while (b->checks) {
        check *c = b->checks;
        mm_dns_cancel(b->dns, c);
        unlink_check(c);
        free_check(c);
    }
    free(b);
}

/* A domain the lists can take: 1..253 bytes of letters, digits, '-', '_', '.'. */
static bool domain_ok(const char *s, size_t n)
{
    if (n == 0 || n > 253 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
                  (ch == '.' && s[i + 1] != '.');
        if (!ok)
            return false;
    }
    return true;
}

static const char msg_retired[] = N_("Not checked: this list has been shut down.");
static const char msg_no_ipv6[] = N_("Not checked: this list does not cover IPv6 addresses.");
static const char msg_no_input[] = N_("Not checked: no address or domain of this kind given.");

/* The name to ask list l for, or a reason to skip it (NULL name). */
static const char *query_name(check *c, const mm_dnsbl_list *l, bool v6, const char **skip)
{
    char name[320];
    *skip = NULL;
    if (l->retired)
        *skip = msg_retired;
    else if (l->kind == MM_DNSBL_KIND_IP && !c->pub.ip[0])
        *skip = msg_no_input;
    else if (l->kind == MM_DNSBL_KIND_IP && v6 && !l->ipv6)
        *skip = msg_no_ipv6;
    else if (l->kind == MM_DNSBL_KIND_DOMAIN && !c->pub.domain[0])
        *skip = msg_no_input;
    if (*skip)
        return NULL;
    if (l->kind == MM_DNSBL_KIND_IP) {
        if (mm_dns_reverse_name(c->pub.ip, l->zone, name, sizeof name) != MM_OK)
            return NULL;
    } else {
        snprintf(name, sizeof name, "%s.%s", c->pub.domain, l->zone);
    }
    return mm_arena_strdup(&c->arena, name);
}

/* Set up the entries and send the A queries. */
static void start(check *c, bool v6)
{
    mm_dnsbl *b = c->b;
    for (size_t i = 0; i < b->nlists; i++) {
        mm_dnsbl_entry *e = &c->entries[i];
        const char *skip;
        *e = (mm_dnsbl_entry){b->lists[i], MM_DNSBL_SKIPPED, "", MM_DNS_ERROR,
                              0,           c->codes[i],      "", ""};
        const char *name = query_name(c, e->list, v6, &skip);
        c->q[i] = (query){c, i};
        if (!name) {
            e->message = skip ? skip : msg_oom;
            e->status = skip ? MM_DNSBL_SKIPPED : MM_DNSBL_ERROR;
            continue;
        }
        e->query = name;
        c->pending++;
        if (mm_dns_query_owned(b->dns, c, name, MM_DNS_T_A, a_answer, &c->q[i]) != MM_OK) {
            c->pending--;
            e->status = MM_DNSBL_ERROR;
            e->message = mm_dnsbl_status_message(MM_DNSBL_ERROR);
        }
    }
}

mm_status_t mm_dnsbl_check(mm_dnsbl *b, const char *ip, const char *domain, mm_dnsbl_cb cb,
                           void *arg)
{
    unsigned char bin[16] __attribute__((aligned(8)));
    bool v6 = ip && strchr(ip, ':');
    if (!b || !cb)
        return MM_EINVAL;
    if (ip && !*ip)
        ip = NULL;
    if (domain && !*domain)
        domain = NULL;
    if (!ip && !domain)
        return MM_EINVAL;
    if (ip && (strlen(ip) > 45 || inet_pton(v6 ? AF_INET6 : AF_INET, ip, bin) != 1))
        return MM_EINVAL;
    char v4[INET_ADDRSTRLEN];
    if (v6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)bin)) {
        /* ::ffff:a.b.c.d is an IPv4 sender: the lists know it by its reversed octets */
        inet_ntop(AF_INET, bin + 12, v4, sizeof v4);
        ip = v4;
        v6 = false;
    }
    size_t dlen = domain ? strlen(domain) : 0;
    if (dlen && domain[dlen - 1] == '.')
        dlen--;
    if (domain && !domain_ok(domain, dlen))
        return MM_EINVAL;
    check *c = calloc(1, sizeof *c);
    if (!c)
        return MM_ENOMEM;
    mm_arena_init(&c->arena);
    char *d = mm_arena_strndup(&c->arena, domain ? domain : "", dlen);
    const char *i = mm_arena_strdup(&c->arena, ip ? ip : "");
    if (!d || !i) {
        free_check(c);
        return MM_ENOMEM;
    }
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    c->b = b;
    c->cb = cb;
    c->arg = arg;
    c->pending = 1;
    c->pub = (mm_dnsbl_result){.ip = i, .domain = d, .nentries = b->nlists};
    c->next = b->checks;
    if (b->checks)
        b->checks->prev = c;
    b->checks = c;
    start(c, v6);
    done_one(c); /* drop the hold: finishes now when nothing was sent or all failed at once */
    return MM_OK;
}
