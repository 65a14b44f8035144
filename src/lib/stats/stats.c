/*
 * stats.c - statistics over the bounce log (see stats.h).
 *
 * Feeding: each row is classified into the period, the previous period or
 * neither; its address is interned once (with the address's domain,
 * provider and source interned on first sight and cached beside it), and
 * the counters of its reason, category, domain, provider, source and time
 * bucket go up.  Distinct-address counts are not kept per row: each
 * address carries four flag bits (seen/hard, in the period/before it), and
 * mm_stats_finish walks the addresses once to count them per group, which
 * works because domain and source are properties of the address.
 */
#include <mailmedic/stats.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "intern.h"

enum { SEEN = 1, HARD = 2, PREV_SEEN = 4, PREV_HARD = 8 };

typedef struct grp {
    long events, hard, soft, complaints;
    long addresses, hard_addresses;
    long sent, bounced, deferred;
    long contacts;
} grp;

typedef struct addr_rec {
    uint32_t domain, provider, source;
    uint8_t flags;
} addr_rec;

typedef struct bucket {
    int64_t start;
    grp g;
} bucket;

/*
 * Rows wait in a short pipeline before they are counted, so that the
 * memory their address will touch can be fetched while other rows are
 * counted: on entry the hash slot is prefetched, half-way the entry the
 * slot points to.  With a million rows over a few hundred thousand
 * addresses the lookups are cache misses, and this hides most of them.
 * A row's strings are copied (they are borrowed only for the call).
 */
#define PIPE 16
#define PIPE_HALF (PIPE / 2)

typedef struct pend {
    mm_stat_row r;
    uint32_t hash;
    size_t alen;
    char buf[240];
} pend;

struct mm_stats {
    mm_stats_query q;
    int64_t psince; /* start of the previous period, 0 = no trend */
    st_pool pool;
    st_intern addrs, domains, providers, sources;
    grp total, prev;
    grp reason[MM_REASON_COUNT_], category[MM_CATEGORY_COUNT_];
    bucket *buckets; /* open addressing on start */
    uint32_t *bslot;
    size_t nbuckets, bmask;
    int64_t last_bstart; /* cache: rows often come in time order */
    int64_t last_day;
    size_t last_bidx;
    bool oom, finished;
    pend pipe[PIPE];
    size_t phead, pn;
    mm_stats_row *tab[MM_STATS_TABLE_COUNT_];
    size_t ntab[MM_STATS_TABLE_COUNT_];
};

static const char *const table_names[MM_STATS_TABLE_COUNT_] = {
    "totals", "reason", "category", "domain", "provider", "source", "time", "top_domains", "trend",
};

const char *mm_stats_table_tostr(mm_stats_table t)
{
    return (unsigned)t < MM_STATS_TABLE_COUNT_ ? table_names[t] : "";
}

/* ---- time buckets ---- */

/* Howard Hinnant's civil_from_days / days_from_civil (public domain). */
static void civil(int64_t z, int *y, unsigned *m)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static int64_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

int64_t mm_stats_bucket_start(mm_stats_bucket b, int64_t t)
{
    int64_t day = floor_div(t, 86400);
    if (b == MM_STATS_WEEK) {
        /* 1970-01-01 was a Thursday: day + 3 is 0 mod 7 on Mondays */
        day -= (day + 3) - floor_div(day + 3, 7) * 7;
    } else if (b == MM_STATS_MONTH) {
        int y;
        unsigned m;
        civil(day, &y, &m);
        day = days_from_civil(y, m, 1);
    }
    return day * 86400;
}

static int grow_buckets(mm_stats *s)
{
    size_t slots = s->bslot ? (s->bmask + 1) * 2 : 256;
    uint32_t *ns = calloc(slots, sizeof *ns);
    bucket *nb = realloc(s->buckets, slots / 2 * sizeof *nb);
    if (!ns || !nb) {
        free(ns);
        if (nb)
            s->buckets = nb;
        return -1;
    }
    s->buckets = nb;
    for (size_t id = 0; id < s->nbuckets; id++) {
        size_t i = (size_t)((uint64_t)nb[id].start / 86400 * 0x9E3779B1u) & (slots - 1);
        while (ns[i])
            i = (i + 1) & (slots - 1);
        ns[i] = (uint32_t)id + 1;
    }
    free(s->bslot);
    s->bslot = ns;
    s->bmask = slots - 1;
    return 0;
}

/* The bucket holding time t, created when new; NULL on out of memory. */
static grp *bucket_of(mm_stats *s, int64_t t)
{
    int64_t day = floor_div(t, 86400);
    if (s->nbuckets && day == s->last_day)
        return &s->buckets[s->last_bidx].g;
    int64_t start = mm_stats_bucket_start(s->q.bucket, t);
    if (!s->bslot && grow_buckets(s) < 0)
        return NULL;
    size_t i = (size_t)((uint64_t)start / 86400 * 0x9E3779B1u) & s->bmask;
    for (uint32_t id; (id = s->bslot[i]) != 0; i = (i + 1) & s->bmask)
        if (s->buckets[id - 1].start == start) {
            s->last_day = day;
            s->last_bidx = id - 1;
            return &s->buckets[id - 1].g;
        }
    if ((s->nbuckets + 1) * 2 > s->bmask + 1) {
        if (grow_buckets(s) < 0)
            return NULL;
        return bucket_of(s, t);
    }
    size_t id = s->nbuckets++;
    s->buckets[id] = (bucket){.start = start};
    s->bslot[i] = (uint32_t)id + 1;
    s->last_day = day;
    s->last_bidx = id;
    return &s->buckets[id].g;
}

/* ---- create, feed ---- */

mm_status_t mm_stats_create(const mm_stats_query *q, mm_stats **out)
{
    *out = NULL;
    if (!q || (q->since && q->until && q->until < q->since) || (unsigned)q->bucket > MM_STATS_MONTH)
        return MM_EINVAL;
    mm_stats *s = calloc(1, sizeof *s);
    if (!s)
        return MM_ENOMEM;
    s->q = *q;
    if (!s->q.top)
        s->q.top = 10;
    if (q->since > 0 && q->until > q->since)
        s->psince = q->since - (q->until - q->since);
    st_intern_init(&s->addrs, sizeof(addr_rec), &s->pool);
    st_intern_init(&s->domains, sizeof(grp), &s->pool);
    st_intern_init(&s->providers, sizeof(grp), &s->pool);
    st_intern_init(&s->sources, sizeof(grp), &s->pool);
    *out = s;
    return MM_OK;
}

void mm_stats_free(mm_stats *s)
{
    if (!s)
        return;
    st_intern_free(&s->addrs);
    st_intern_free(&s->domains);
    st_intern_free(&s->providers);
    st_intern_free(&s->sources);
    st_pool_free(&s->pool);
    free(s->buckets);
    free(s->bslot);
    for (int t = 0; t < MM_STATS_TABLE_COUNT_; t++)
        free(s->tab[t]);
    free(s);
}

void mm_stats_fetch_range(const mm_stats *s, int64_t *since, int64_t *until)
{
    *since = s->psince ? s->psince : s->q.since;
    *until = s->q.until;
}

/* 0 = the period, 1 = the previous period, -1 = neither. */
static int period_of(const mm_stats *s, int64_t t)
{
    if (s->q.until && t >= s->q.until)
        return -1;
    if (t >= s->q.since)
        return 0;
    return s->psince && t >= s->psince ? 1 : -1;
}

static int64_t intern_str(st_intern *t, const char *str)
{
    int isnew;
    size_t n = strlen(str ? str : "");
    return st_intern_get(t, str ? str : "", n, st_hash(str ? str : "", n), &isnew);
}

/* The address's record, with its domain/provider/source interned on first sight. */
static addr_rec *address_of(mm_stats *s, const mm_stat_row *r, size_t n, uint32_t h)
{
    int isnew;
    const char *a = r->address ? r->address : "";
    int64_t id = st_intern_get(&s->addrs, a, n, h, &isnew);
    if (id < 0)
        return NULL;
    addr_rec *rec = st_data(&s->addrs, (uint32_t)id);
    if (isnew) {
        const char *dom = r->domain && *r->domain ? r->domain : strrchr(a, '@');
        if (dom && *dom == '@')
            dom++;
        int64_t d = intern_str(&s->domains, dom ? dom : "");
        int64_t p = intern_str(&s->providers, r->provider);
        int64_t src = intern_str(&s->sources, r->source);
        if (d < 0 || p < 0 || src < 0)
            return NULL;
        rec->domain = (uint32_t)d;
        rec->provider = (uint32_t)p;
        rec->source = (uint32_t)src;
    } else if (r->provider && *r->provider && st_ent(&s->providers, rec->provider)->len == 0) {
        /* a later bounce named the provider that an earlier one did not */
        int64_t p = intern_str(&s->providers, r->provider);
        if (p < 0)
            return NULL;
        rec->provider = (uint32_t)p;
    }
    return rec;
}

static void count(grp *g, int kind)
{
    g->events++;
    if (kind == 0)
        g->hard++;
    else if (kind == 1)
        g->soft++;
    else
        g->complaints++;
}

/* Count one row whose address is a[0..n) with hash h. */
static mm_status_t count_row(mm_stats *s, const mm_stat_row *r, int per, size_t n, uint32_t h)
{
    addr_rec *a = address_of(s, r, n, h);
    if (!a) {
        s->oom = true;
        return MM_ENOMEM;
    }
    int kind = r->action && strcmp(r->action, "complaint") == 0 ? 2 : r->hard ? 0 : 1;
    if (per == 1) {
        count(&s->prev, kind);
        a->flags |= PREV_SEEN | (kind == 0 ? PREV_HARD : 0);
        return MM_OK;
    }
    grp *b = bucket_of(s, r->time);
    if (!b) {
        s->oom = true;
        return MM_ENOMEM;
    }
    a->flags |= SEEN | (kind == 0 ? HARD : 0);
    count(&s->total, kind);
    count(&s->reason[(unsigned)r->reason < MM_REASON_COUNT_ ? r->reason : 0], kind);
    count(
        &s->category[(unsigned)r->category < MM_CATEGORY_COUNT_ ? r->category : MM_CATEGORY_OTHER],
        kind);
    count(st_data(&s->domains, a->domain), kind);
    count(st_data(&s->providers, a->provider), kind);
    count(st_data(&s->sources, a->source), kind);
    count(b, kind);
    return MM_OK;
}

static void prefetch_slot(const st_intern *t, uint32_t h)
{
    if (t->slot)
        __builtin_prefetch(&t->slot[h & t->mask]);
}

static void prefetch_entry(const st_intern *t, uint32_t h)
{
    if (!t->slot)
        return;
    uint64_t v = t->slot[h & t->mask];
    if (v && (uint32_t)(v >> 32) == h && (uint32_t)v - 1 < t->n)
        __builtin_prefetch(st_ent(t, (uint32_t)v - 1));
}

/* Count the oldest row of the pipeline. */
static mm_status_t pipe_pop(mm_stats *s)
{
    pend *p = &s->pipe[s->phead];
    s->phead = (s->phead + 1) % PIPE;
    s->pn--;
    return count_row(s, &p->r, period_of(s, p->r.time), p->alen, p->hash);
}

static mm_status_t pipe_drain(mm_stats *s)
{
    mm_status_t st = MM_OK;
    while (s->pn)
        if (pipe_pop(s) != MM_OK)
            st = MM_ENOMEM;
    return st;
}

/* Copy src into the row's buffer at *off; NULL when it does not fit. */
static const char *pend_str(pend *p, size_t *off, const char *src, size_t n)
{
    if (*off + n + 1 > sizeof p->buf)
        return NULL;
    char *d = p->buf + *off;
    memcpy(d, src, n);
    d[n] = '\0';
    *off += n + 1;
    return d;
}

mm_status_t mm_stats_add_row(mm_stats *s, const mm_stat_row *r)
{
    if (s->finished)
        return MM_EINVAL;
    int per = period_of(s, r->time);
    if (per < 0)
        return MM_OK;
    const char *a = r->address ? r->address : "";
    size_t n = strlen(a), off = 0;
    uint32_t h = st_hash(a, n);
    mm_status_t st = MM_OK;
    if (s->pn == PIPE)
        st = pipe_pop(s);
    pend *p = &s->pipe[(s->phead + s->pn) % PIPE];
    const char *src[] = {a, r->domain ? r->domain : "", r->action ? r->action : "",
                         r->provider ? r->provider : "", r->source ? r->source : ""};
    const char *cp[5];
    for (size_t i = 0; i < 5; i++)
        if (!(cp[i] = pend_str(p, &off, src[i], i == 0 ? n : strlen(src[i])))) {
            /* too long to queue: count it now, after the rows before it */
            mm_status_t st2 = pipe_drain(s);
            st2 = count_row(s, r, per, n, h) == MM_OK ? st2 : MM_ENOMEM;
            return st == MM_OK ? st2 : st;
        }
    p->r = *r;
    p->r.address = cp[0];
    p->r.domain = cp[1];
    p->r.action = cp[2];
    p->r.provider = cp[3];
    p->r.source = cp[4];
    p->hash = h;
    p->alen = n;
    s->pn++;
    prefetch_slot(&s->addrs, h);
    if (s->pn > PIPE_HALF)
        prefetch_entry(&s->addrs, s->pipe[(s->phead + s->pn - 1 - PIPE_HALF) % PIPE].hash);
    return st;
}

static void add_delivery(grp *g, const char *outcome, long n)
{
    if (strcmp(outcome, "sent") == 0)
        g->sent += n;
    else if (strcmp(outcome, "bounced") == 0)
        g->bounced += n;
    else if (strcmp(outcome, "deferred") == 0)
        g->deferred += n;
}

mm_status_t mm_stats_add_delivery(mm_stats *s, int64_t day, const char *domain, const char *outcome,
                                  long n)
{
    if (s->finished)
        return MM_EINVAL;
    int per = period_of(s, day);
    if (per < 0 || !outcome)
        return MM_OK;
    if (per == 1) {
        add_delivery(&s->prev, outcome, n);
        return MM_OK;
    }
    int64_t d = intern_str(&s->domains, domain);
    grp *b = d >= 0 ? bucket_of(s, day) : NULL;
    if (!b) {
        s->oom = true;
        return MM_ENOMEM;
    }
    add_delivery(st_data(&s->domains, (uint32_t)d), outcome, n);
    add_delivery(b, outcome, n);
    add_delivery(&s->total, outcome, n);
    return MM_OK;
}

mm_status_t mm_stats_add_source(mm_stats *s, const char *source, long contacts)
{
    if (s->finished)
        return MM_EINVAL;
    int64_t id = intern_str(&s->sources, source);
    if (id < 0) {
        s->oom = true;
        return MM_ENOMEM;
    }
    grp *g = st_data(&s->sources, (uint32_t)id);
    g->contacts += contacts;
    return MM_OK;
}

int mm_stats_row_cb(void *arg, const mm_stat_row *r)
{
    return mm_stats_add_row(arg, r) == MM_ENOMEM;
}

int mm_stats_delivery_cb(void *arg, int64_t day, const char *domain, const char *outcome,
                         long count)
{
    return mm_stats_add_delivery(arg, day, domain, outcome, count) == MM_ENOMEM;
}

int mm_stats_source_cb(void *arg, const char *source, long contacts)
{
    return mm_stats_add_source(arg, source, contacts) == MM_ENOMEM;
}

/* ---- tables ---- */

static double ratio(long a, long b)
{
    return b > 0 ? (double)a / (double)b : -1;
}

static mm_stats_row row_of(const mm_stats *s, const char *key, const grp *g)
{
    mm_stats_row r = {
        .key = key,
        .events = g->events,
        .hard = g->hard,
        .soft = g->soft,
        .complaints = g->complaints,
        .addresses = g->addresses,
        .hard_addresses = g->hard_addresses,
        .share = s->total.events ? (double)g->events / (double)s->total.events : 0,
        .contacts = g->contacts,
        .hard_rate = -1,
        .sent = g->sent,
        .bounced = g->bounced,
        .deferred = g->deferred,
        .bounce_rate = ratio(g->bounced, g->sent + g->bounced),
    };
    return r;
}

static int by_events(const void *pa, const void *pb)
{
    const mm_stats_row *a = pa, *b = pb;
    if (a->events != b->events)
        return a->events > b->events ? -1 : 1;
    return strcmp(a->key, b->key);
}

static int by_start(const void *pa, const void *pb)
{
    const mm_stats_row *a = pa, *b = pb;
    return (a->start > b->start) - (a->start < b->start);
}

static mm_status_t alloc_table(mm_stats *s, mm_stats_table t, size_t n)
{
    s->tab[t] = calloc(n ? n : 1, sizeof(mm_stats_row));
    return s->tab[t] ? MM_OK : MM_ENOMEM;
}

/* One row per interned string with events (or, for sources, contacts). */
static mm_status_t table_of(mm_stats *s, mm_stats_table t, const st_intern *in, bool contacts)
{
    if (alloc_table(s, t, in->n) != MM_OK)
        return MM_ENOMEM;
    size_t n = 0;
    for (uint32_t id = 0; id < in->n; id++) {
        const grp *g = st_data(in, id);
        if (g->events == 0 && !(contacts && g->contacts))
            continue;
        mm_stats_row r = row_of(s, st_ent(in, id)->s, g);
        if (contacts)
            r.hard_rate = ratio(g->hard_addresses, g->contacts);
        s->tab[t][n++] = r;
    }
    qsort(s->tab[t], n, sizeof(mm_stats_row), by_events);
    s->ntab[t] = n;
    return MM_OK;
}

static mm_status_t enum_table(mm_stats *s, mm_stats_table t, const grp *g, size_t n,
                              const char *(*name)(int))
{
    if (alloc_table(s, t, n) != MM_OK)
        return MM_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (g[i].events)
            s->tab[t][k++] = row_of(s, name((int)i), &g[i]);
    qsort(s->tab[t], k, sizeof(mm_stats_row), by_events);
    s->ntab[t] = k;
    return MM_OK;
}

static const char *reason_name(int i)
{
    return mm_reason_tostr((mm_reason_t)i);
}

static const char *category_name(int i)
{
    return mm_category_tostr((mm_category_t)i);
}

static mm_status_t time_table(mm_stats *s)
{
    if (alloc_table(s, MM_STATS_TIME, s->nbuckets) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < s->nbuckets; i++) {
        int y;
        unsigned m;
        int64_t day = floor_div(s->buckets[i].start, 86400);
        civil(day, &y, &m);
        char key[32];
        snprintf(key, sizeof key, "%04d-%02u-%02u", y, m,
                 (unsigned)(day - days_from_civil(y, m, 1) + 1));
        const char *k = st_pool_strndup(&s->pool, key, strlen(key));
        if (!k)
            return MM_ENOMEM;
        mm_stats_row r = row_of(s, k, &s->buckets[i].g);
        r.start = s->buckets[i].start;
        s->tab[MM_STATS_TIME][i] = r;
    }
    qsort(s->tab[MM_STATS_TIME], s->nbuckets, sizeof(mm_stats_row), by_start);
    s->ntab[MM_STATS_TIME] = s->nbuckets;
    return MM_OK;
}

static mm_status_t top_table(mm_stats *s)
{
    size_t n = s->ntab[MM_STATS_DOMAIN] < s->q.top ? s->ntab[MM_STATS_DOMAIN] : s->q.top;
    if (alloc_table(s, MM_STATS_TOP_DOMAINS, n) != MM_OK)
        return MM_ENOMEM;
    memcpy(s->tab[MM_STATS_TOP_DOMAINS], s->tab[MM_STATS_DOMAIN], n * sizeof(mm_stats_row));
    s->ntab[MM_STATS_TOP_DOMAINS] = n;
    return MM_OK;
}

static mm_status_t trend_table(mm_stats *s)
{
    const struct {
        const char *key;
        long cur, prev;
    } m[] = {
        {"events", s->total.events, s->prev.events},
        {"hard", s->total.hard, s->prev.hard},
        {"soft", s->total.soft, s->prev.soft},
        {"complaints", s->total.complaints, s->prev.complaints},
        {"addresses", s->total.addresses, s->prev.addresses},
        {"hard_addresses", s->total.hard_addresses, s->prev.hard_addresses},
    };
    size_t n = s->psince ? sizeof m / sizeof m[0] : 0;
    if (alloc_table(s, MM_STATS_TREND, n) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        mm_stats_row r = {.key = m[i].key,
                          .events = m[i].cur,
                          .previous = m[i].prev,
                          .hard_rate = -1,
                          .bounce_rate = -1};
        r.has_change = m[i].prev > 0;
        r.change = r.has_change ? (double)(m[i].cur - m[i].prev) / (double)m[i].prev : 0;
        s->tab[MM_STATS_TREND][i] = r;
    }
    s->ntab[MM_STATS_TREND] = n;
    return MM_OK;
}

/* Distinct addresses per group, from the flags of each address. */
static void count_addresses(mm_stats *s)
{
    for (uint32_t id = 0; id < s->addrs.n; id++) {
        const addr_rec *a = st_data(&s->addrs, id);
        if (a->flags & PREV_SEEN)
            s->prev.addresses++;
        if (a->flags & PREV_HARD)
            s->prev.hard_addresses++;
        if (!(a->flags & SEEN))
            continue;
        grp *g[] = {&s->total, st_data(&s->domains, a->domain), st_data(&s->providers, a->provider),
                    st_data(&s->sources, a->source)};
        for (size_t i = 0; i < 4; i++) {
            g[i]->addresses++;
            if (a->flags & HARD)
                g[i]->hard_addresses++;
        }
    }
}

mm_status_t mm_stats_finish(mm_stats *s)
{
    if (s->finished)
        return MM_OK;
    pipe_drain(s);
    s->finished = true;
    if (s->oom)
        return MM_ENOMEM;
    count_addresses(s);
    for (uint32_t id = 0; id < s->sources.n; id++)
        s->total.contacts += ((grp *)st_data(&s->sources, id))->contacts;
    mm_status_t st = alloc_table(s, MM_STATS_TOTALS, 1);
    if (st == MM_OK) {
        s->tab[MM_STATS_TOTALS][0] = row_of(s, "all", &s->total);
        s->tab[MM_STATS_TOTALS][0].hard_rate = ratio(s->total.hard_addresses, s->total.contacts);
        s->ntab[MM_STATS_TOTALS] = 1;
        st = enum_table(s, MM_STATS_REASON, s->reason, MM_REASON_COUNT_, reason_name);
    }
    if (st == MM_OK)
        st = enum_table(s, MM_STATS_CATEGORY, s->category, MM_CATEGORY_COUNT_, category_name);
    if (st == MM_OK)
        st = table_of(s, MM_STATS_DOMAIN, &s->domains, false);
    if (st == MM_OK)
        st = table_of(s, MM_STATS_PROVIDER, &s->providers, false);
    if (st == MM_OK)
        st = table_of(s, MM_STATS_SOURCE, &s->sources, true);
    if (st == MM_OK)
        st = time_table(s);
    if (st == MM_OK)
        st = top_table(s);
    if (st == MM_OK)
        st = trend_table(s);
    if (st != MM_OK)
        s->oom = true;
    return st;
}

size_t mm_stats_count(const mm_stats *s, mm_stats_table t)
{
    return s->finished && !s->oom && (unsigned)t < MM_STATS_TABLE_COUNT_ ? s->ntab[t] : 0;
}

const mm_stats_row *mm_stats_get(const mm_stats *s, mm_stats_table t, size_t i)
{
    return i < mm_stats_count(s, t) ? &s->tab[t][i] : NULL;
}
