/*
 * mailcheck.c - can this domain receive mail?  (RFC 5321 section 5.1, RFC 7505)
 *
 * For each domain: MX and NS are asked together; then the A and AAAA of the
 * first MM_MAILCHECK_MAX_HOSTS MX hosts by preference (or, without MX, of the
 * domain itself: the implicit MX).  Two caches, each a hash table with an LRU
 * list of finished entries bounded by cache_max: domains, and MX hosts (many
 * domains share a provider's hosts, so each host is asked once per run).
 *
 * An entry is "pending" while its queries run; later requests for it join its
 * waiters instead of asking again.  Pending entries are never evicted, so the
 * pointers that DNS callbacks carry stay valid; eviction only drops finished
 * entries.  A finished domain's result is one packed, reference-counted block
 * (mm_mx_result_ref()), so callers may keep it past eviction.
 *
 * Every count of "outstanding" work is held until the code that started it is
 * done, because c-ares may fail a query synchronously and finish an entry
 * from inside the call that asked.
 */
#include "dns_int.h"
#include "mailcheck_int.h"
#include "cache.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_CACHE = 65536 };

/* ---- entries ---- */

typedef struct dom dom;
typedef struct hostref hostref;
struct hostref {
    hostref *next;
    dom *x;
    size_t idx;
};

typedef struct host {
    mm_lru_entry e;
    mm_mailcheck *m;
    hostref *waiting;
    int outstanding;
    mm_dns_result a, aaaa;
    mm_mx_host_status status;
    size_t naddrs;
    addr_slot *addrs;
} host;

struct dom {
    mm_lru_entry e;
    mm_mailcheck *m;
    dom_pending *p; /* while pending */
    res_block *res; /* once finished */
};

struct mm_mailcheck {
    mm_dns *d;
    res_block *oom; /* "error", allocated up front: the answer when a result cannot be */
    size_t cache_max;
    int allow_private;
    mm_lru doms, hosts;
    mm_mailcheck_stats stats;
};

/* Lower-case copy without the trailing dot; -1 unless a usable ASCII host name. */
static int norm_name(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n && in[n - 1] == '.')
        n--;
    if (n == 0 || n >= outlen || n > 253)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= ' ' || c >= 0x7F || c == '[' || c == ']' || c == '\\')
            return -1;
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
    return mm_dns_name_ok(out) ? 0 : -1;
}

/* An MX that names an address instead of a host (RFC 5321 5.1 wants a domain name). */
static int is_ip_literal(const char *s)
{
    unsigned char b[16];
    return s[0] == '[' || inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static void pending_free(dom_pending *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nhosts; i++) {
        free(p->hosts[i].name);
        free(p->hosts[i].addrs);
    }
    for (size_t i = 0; i < p->nns; i++)
        free(p->nsname[i]);
    free(p);
}

/* ---- eviction ---- */

static void dom_free(dom *x)
{
    if (x->res)
        mm_mx_result_unref(&x->res->r);
    pending_free(x->p);
    free(x);
}

static void host_free(host *h)
{
    free(h->addrs);
    free(h);
}

static void evict(mm_mailcheck *m)
{
    while (m->doms.ndone > m->cache_max) {
        dom *x = (dom *)(void *)m->doms.lru_tail;
        mm_lru_remove(&m->doms, &x->e);
        dom_free(x);
        m->stats.evicted++;
    }
    while (m->hosts.ndone > m->cache_max) {
        host *h = (host *)(void *)m->hosts.lru_tail;
        mm_lru_remove(&m->hosts, &h->e);
        host_free(h);
    }
}

/* ---- domains ---- */

static void dom_finish(dom *x)
{
    mm_mailcheck *m = x->m;
    res_block *b = mm_mx_result_build(x->p, x->e.key, m->allow_private);
    waiter *w = x->p->waiters;
    x->p->waiters = NULL;
    x->p->wtail = &x->p->waiters;
    if (!b) {
        /* Out of memory: answer "could not tell" with the spare result, forget the entry. */
        const mm_mx_result *r = mm_mx_result_ref(&m->oom->r);
        mm_lru_remove(&m->doms, &x->e);
        for (waiter *next; w; w = next) {
            next = w->next;
            w->cb(w->arg, r);
            free(w);
        }
        mm_mx_result_unref(r);
        dom_free(x);
        return;
    }
    pending_free(x->p);
    x->p = NULL;
    x->res = b;
    mm_lru_done(&m->doms, &x->e);
    b->refs++; /* held through the callbacks: one of them may evict x */
    for (waiter *next; w; w = next) {
        next = w->next;
        w->cb(w->arg, &b->r);
        free(w);
    }
    mm_mx_result_unref(&b->r);
    evict(m);
}

static void dom_release(dom *x)
{
    if (--x->p->outstanding == 0)
        dom_finish(x);
}

static void ask(mm_mailcheck *m, const char *name, int type, mm_dns_cb cb, void *arg)
{
    m->stats.queries++;
    if (mm_dns_query_owned(m->d, m, name, type, cb, arg) != MM_OK) {
        mm_dns_answer ans = {.result = MM_DNS_ERROR, .rcode = -1, .type = type, .name = name};
        cb(arg, &ans);
    }
}

static void host_request(mm_mailcheck *m, dom *x, size_t idx);

/* Copy a finished host's facts into slot idx of a pending domain. */
static void dom_fill_host(dom *x, size_t idx, const host *h)
{
    dom_host *s = &x->p->hosts[idx];
    s->status = h->status;
    s->a = h->a;
    s->aaaa = h->aaaa;
    s->naddrs = 0;
    if (h->naddrs && (s->addrs = malloc(h->naddrs * sizeof *s->addrs))) {
        memcpy(s->addrs, h->addrs, h->naddrs * sizeof *s->addrs);
        s->naddrs = h->naddrs;
    } else if (h->naddrs) {
        s->status = MM_MX_HOST_TEMPFAIL;
        s->a = MM_DNS_ERROR;
    }
}

static void sort_hosts(dom_pending *p)
{
    for (size_t i = 1; i < p->nhosts; i++) { /* insertion sort: stable, at most 16 */
        dom_host t = p->hosts[i];
        size_t j = i;
        for (; j > 0 && p->hosts[j - 1].pref > t.pref; j--)
            p->hosts[j] = p->hosts[j - 1];
        p->hosts[j] = t;
    }
}

static void dom_take_mx(dom *x, const mm_dns_answer *ans)
{
    dom_pending *p = x->p;
    p->nmx = ans->nrecords;
    for (size_t i = 0; i < ans->nrecords && p->nhosts < MM_MAILCHECK_MAX_MX; i++) {
        char name[256];
        const char *h = ans->records[i].u.mx.host;
        dom_host *s = &p->hosts[p->nhosts];
        memset(s, 0, sizeof *s);
        s->pref = ans->records[i].u.mx.preference;
        s->a = s->aaaa = MM_DNS_ERROR;
        if (h[0] == '\0' || (h[0] == '.' && h[1] == '\0')) {
            p->null_mx = 1;
            s->status = MM_MX_HOST_NULL;
            s->name = strdup("");
        } else {
            /* A name that is no usable host name is kept as published and not asked. */
            int ok = norm_name(h, name, sizeof name) == 0;
            s->name = strdup(ok ? name : h);
            if (is_ip_literal(h))
                s->status = MM_MX_HOST_IP_LITERAL;
            else
                s->status = ok ? MM_MX_HOST_NOT_CHECKED : MM_MX_HOST_NO_ADDRESS;
        }
        if (s->name)
            p->nhosts++;
    }
    sort_hosts(p);
}

static void dom_on_mx(void *arg, const mm_dns_answer *ans)
{
    dom *x = arg;
    dom_pending *p = x->p;
    p->mx = ans->result;
    if (ans->result == MM_DNS_ANSWER) {
        dom_take_mx(x, ans);
        if (!(p->null_mx && p->nmx == 1)) {
            size_t asked = 0;
            for (size_t i = 0; i < p->nhosts && asked < MM_MAILCHECK_MAX_HOSTS; i++)
                if (p->hosts[i].status == MM_MX_HOST_NOT_CHECKED) {
                    host_request(x->m, x, i);
                    asked++;
                }
        }
    } else if (ans->result == MM_DNS_NODATA) {
        /* RFC 5321 5.1: no MX, so the domain itself is the one host, preference 0. */
        dom_host *s = &p->hosts[0];
        memset(s, 0, sizeof *s);
        if ((s->name = strdup(x->e.key))) {
            p->implicit = 1;
            p->nhosts = 1;
            host_request(x->m, x, 0);
        }
    }
    dom_release(x); /* the MX query's count, held until the hosts were asked */
}

static void dom_on_ns(void *arg, const mm_dns_answer *ans)
{
    dom *x = arg;
    dom_pending *p = x->p;
    p->ns = ans->result;
    for (size_t i = 0; i < ans->nrecords && p->nns < MM_MAILCHECK_MAX_NS; i++) {
        char name[256];
        if (norm_name(ans->records[i].u.name, name, sizeof name) == 0 &&
            (p->nsname[p->nns] = strdup(name)))
            p->nns++;
    }
    dom_release(x);
}

mm_status_t mm_mailcheck_domain(mm_mailcheck *m, const char *domain_ascii, mm_mailcheck_cb cb,
                                void *arg)
{
    char key[256];
    if (!m || !domain_ascii || !cb || norm_name(domain_ascii, key, sizeof key) != 0)
        return MM_EINVAL;
    m->stats.domains++;
    uint32_t hv = mm_lru_hash(key);
    dom *x = (dom *)(void *)mm_lru_find(&m->doms, key, hv);
    if (x && x->e.done) {
        m->stats.cache_hits++;
        mm_lru_touch(&m->doms, &x->e);
        const mm_mx_result *r = mm_mx_result_ref(&x->res->r); /* cb may evict x */
        cb(arg, r);
        mm_mx_result_unref(r);
        return MM_OK;
    }
    waiter *w = malloc(sizeof *w);
    if (!w)
        return MM_ENOMEM;
    *w = (waiter){NULL, cb, arg};
    if (x) {
        m->stats.joined++;
        *x->p->wtail = w;
        x->p->wtail = &w->next;
        return MM_OK;
    }
    size_t kl = strlen(key);
    x = calloc(1, sizeof *x + kl + 1);
    dom_pending *p = x ? calloc(1, sizeof *p) : NULL;
    if (!p) {
        free(x);
        free(w);
        return MM_ENOMEM;
    }
    x->e.key = memcpy((char *)(x + 1), key, kl + 1);
    x->e.hash = hv;
    x->m = m;
    x->p = p;
    p->waiters = w;
    p->wtail = &w->next;
    p->mx = p->ns = MM_DNS_ERROR;
    if (mm_lru_add(&m->doms, &x->e) != 0) {
        pending_free(p);
        free(x);
        free(w);
        return MM_ENOMEM;
    }
    p->outstanding = 2;
    ask(m, x->e.key, MM_DNS_T_NS, dom_on_ns, x);
    ask(m, x->e.key, MM_DNS_T_MX, dom_on_mx, x); /* x may be finished after this */
    return MM_OK;
}

/* ---- hosts ---- */

/* A before AAAA, each in the server's order (insertion sort: stable, a few entries). */
static void sort_addrs(addr_slot *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        addr_slot t = a[i];
        size_t j = i;
        for (; j > 0 && a[j - 1].family == AF_INET6 && t.family == AF_INET; j--)
            a[j] = a[j - 1];
        a[j] = t;
    }
}

static void host_finish(host *h, mm_mailcheck *m)
{
    sort_addrs(h->addrs, h->naddrs);
    if (h->naddrs > MM_MAILCHECK_MAX_ADDRS)
        h->naddrs = MM_MAILCHECK_MAX_ADDRS;
    int pub = 0;
    for (size_t i = 0; i < h->naddrs; i++)
        pub |= h->addrs[i].klass == MM_IP_PUBLIC;
    if (pub)
        h->status = MM_MX_HOST_OK;
    else if (h->naddrs)
        h->status = MM_MX_HOST_BAD_ADDRESS;
    else if (mm_dns_result_is_temporary(h->a) || mm_dns_result_is_temporary(h->aaaa))
        h->status = MM_MX_HOST_TEMPFAIL;
    else
        h->status = MM_MX_HOST_NO_ADDRESS;
    hostref *refs = h->waiting;
    h->waiting = NULL;
    mm_lru_done(&m->hosts, &h->e);
    /* Copy into every waiting domain first: finishing one may run callbacks that evict h. */
    for (hostref *r = refs; r; r = r->next)
        dom_fill_host(r->x, r->idx, h);
    for (hostref *next; refs; refs = next) {
        next = refs->next;
        dom_release(refs->x);
        free(refs);
    }
    evict(m);
}

static void host_on_addr(void *arg, const mm_dns_answer *ans)
{
    host *h = arg;
    mm_mailcheck *m = h->m;
    if (ans->type == MM_DNS_T_A)
        h->a = ans->result;
    else
        h->aaaa = ans->result;
    size_t n = ans->nrecords < MM_MAILCHECK_MAX_ADDRS ? ans->nrecords : MM_MAILCHECK_MAX_ADDRS;
    addr_slot *a = n ? realloc(h->addrs, (h->naddrs + n) * sizeof *a) : NULL;
    if (a) {
        h->addrs = a;
        for (size_t i = 0; i < n; i++) {
            addr_slot *s = &a[h->naddrs++];
            const mm_dns_record *rec = &ans->records[i];
            memcpy(s->text, rec->u.addr.text, sizeof s->text);
            s->family = rec->u.addr.family;
            s->klass = mm_ip_classify(rec->u.addr.family, rec->u.addr.bytes);
        }
    }
    if (--h->outstanding == 0)
        host_finish(h, m);
}

/* Ask for (or join, or copy from the cache) the addresses of x's host idx. */
static void host_request(mm_mailcheck *m, dom *x, size_t idx)
{
    const char *name = x->p->hosts[idx].name;
    uint32_t hv = mm_lru_hash(name);
    host *h = (host *)(void *)mm_lru_find(&m->hosts, name, hv);
    if (h && h->e.done) {
        mm_lru_touch(&m->hosts, &h->e);
        dom_fill_host(x, idx, h);
        return;
    }
    hostref *r = malloc(sizeof *r);
    size_t kl = strlen(name);
    int fresh = !h;
    if (fresh && r) {
        h = calloc(1, sizeof *h + kl + 1);
        if (h) {
            h->m = m;
            h->e.key = memcpy((char *)(h + 1), name, kl + 1);
            h->e.hash = hv;
            h->a = h->aaaa = MM_DNS_ERROR;
            if (mm_lru_add(&m->hosts, &h->e) != 0) {
                free(h);
                h = NULL;
            }
        }
    }
    if (!r || !h) {
        free(r);
        x->p->hosts[idx].status = MM_MX_HOST_TEMPFAIL; /* out of memory: could not tell */
        return;
    }
    *r = (hostref){h->waiting, x, idx};
    h->waiting = r;
    x->p->outstanding++;
    if (fresh) {
        h->outstanding = 2;
        ask(m, h->e.key, MM_DNS_T_A, host_on_addr, h);
        ask(m, h->e.key, MM_DNS_T_AAAA, host_on_addr, h); /* h may be finished after this */
    }
}

/* ---- the checker ---- */

mm_status_t mm_mailcheck_create(mm_dns *d, size_t cache_max, mm_mailcheck **out)
{
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    if (!d)
        return MM_EINVAL;
    mm_mailcheck *m = calloc(1, sizeof *m);
    if (!m)
        return MM_ENOMEM;
    m->d = d;
    m->cache_max = cache_max ? cache_max : DEFAULT_CACHE;
    m->oom = calloc(1, sizeof *m->oom);
    if (m->oom) {
        m->oom->refs = 1;
        m->oom->r = (mm_mx_result){.domain = "",
                                   .status = MM_MX_ERROR,
                                   .mx_result = MM_DNS_ERROR,
                                   .ns_result = MM_DNS_ERROR};
    }
    if (!m->oom || mm_lru_grow(&m->doms) != 0 || mm_lru_grow(&m->hosts) != 0) {
        mm_mailcheck_free(m);
        return MM_ENOMEM;
    }
    *out = m;
    return MM_OK;
}

static void free_table(mm_lru *t, int doms)
{
    for (size_t i = 0; i < t->nslots; i++)
        for (mm_lru_entry *e = t->slots[i], *next; e; e = next) {
            next = e->hnext;
            if (doms) {
                dom *x = (dom *)(void *)e;
                for (waiter *w = x->p ? x->p->waiters : NULL, *wn; w; w = wn) {
                    wn = w->next;
                    free(w);
                }
                dom_free(x);
            } else {
                host *h = (host *)(void *)e;
                for (hostref *r = h->waiting, *rn; r; r = rn) {
                    rn = r->next;
                    free(r);
                }
                host_free(h);
            }
        }
    free(t->slots);
}

void mm_mailcheck_free(mm_mailcheck *m)
{
    if (!m)
        return;
    mm_dns_cancel(m->d, m);
    free_table(&m->doms, 1);
    free_table(&m->hosts, 0);
    if (m->oom)
        mm_mx_result_unref(&m->oom->r);
    free(m);
}

void mm_mailcheck_allow_private(mm_mailcheck *m, bool allow)
{
    if (m)
        m->allow_private = allow;
}

void mm_mailcheck_get_stats(const mm_mailcheck *m, mm_mailcheck_stats *out)
{
    if (m && out)
        *out = m->stats;
}
