/*
 * mxresult.c - the verdict on a domain and its result block.
 *
 * decide() applies the rules documented at mm_mx_status in dns.h, in that
 * order; mm_mx_result_build() packs the public struct and everything it
 * points to into one malloc'd, reference-counted block (measured first, then
 * written), so a finished domain costs one allocation and can outlive the
 * cache entry that made it.
 */
#include "dns_int.h"
#include "mailcheck_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_(s) s

/* ---- names ---- */

const char *mm_mx_status_name(mm_mx_status s)
{
    static const char *const names[MM_MX_STATUS_MAX_] = {
        "ok",       "implicit_mx", "null_mx", "no_mail_host",  "nxdomain",
        "servfail", "timeout",     "error",   "misconfigured", "parked"};
    return (unsigned)s < MM_MX_STATUS_MAX_ ? names[s] : "unknown";
}

const char *mm_mx_status_message(mm_mx_status s)
{
    static const char *const msgs[MM_MX_STATUS_MAX_] = {
        N_("the domain has mail servers that can be reached"),
        N_("the domain has no MX record; mail would go to its own address"),
        N_("the domain publishes a null MX: it accepts no mail"),
        N_("the domain has no mail server: no MX, or no MX host has an address"),
        N_("the domain does not exist"),
        N_("the DNS server failed to answer for this domain; try again later"),
        N_("the DNS look-up timed out; try again later"),
        N_("the DNS look-up failed; try again later"),
        N_("the domain's mail servers point at private, local or invalid addresses"),
        N_("the domain is parked at a domain-parking service"),
    };
    return (unsigned)s < MM_MX_STATUS_MAX_ ? msgs[s] : N_("unknown status");
}

bool mm_mx_status_is_temporary(mm_mx_status s)
{
    return s == MM_MX_SERVFAIL || s == MM_MX_TIMEOUT || s == MM_MX_ERROR;
}

const char *mm_mx_host_status_name(mm_mx_host_status s)
{
    static const char *const names[MM_MX_HOST_STATUS_MAX_] = {
        "ok", "no_address", "tempfail", "bad_address", "ip_literal", "null", "not_checked"};
    return (unsigned)s < MM_MX_HOST_STATUS_MAX_ ? names[s] : "unknown";
}

/* ---- results ---- */

/* A bump allocator over one block; with base NULL it only measures. */
typedef struct pack {
    char *base;
    size_t off;
} pack;

static void *pk_alloc(pack *p, size_t n)
{
    size_t align = sizeof(void *);
    p->off = (p->off + align - 1) & ~(align - 1);
    void *r = p->base ? p->base + p->off : NULL;
    p->off += n;
    return r;
}

static const char *pk_str(pack *p, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = pk_alloc(p, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void pack_hosts(pack *pk, const dom_pending *p, mm_mx_result *r)
{
    mm_mx_host *h = pk_alloc(pk, p->nhosts * sizeof *h);
    for (size_t i = 0; i < p->nhosts; i++) {
        const dom_host *s = &p->hosts[i];
        const char *name = pk_str(pk, s->name);
        mm_mx_addr *a = pk_alloc(pk, s->naddrs * sizeof *a);
        for (size_t k = 0; k < s->naddrs; k++) {
            const char *t = pk_str(pk, s->addrs[k].text);
            if (a)
                a[k] = (mm_mx_addr){t, s->addrs[k].klass};
        }
        if (h)
            h[i] =
                (mm_mx_host){s->pref, name,      s->status, s->a,
                             s->aaaa, s->naddrs, a,         mm_parking_service(s->name, r->domain)};
    }
    if (r)
        r->hosts = h;
}

static void pack_result(pack *pk, const dom_pending *p, const char *domain, mm_mx_result *tmpl)
{
    res_block *b = pk_alloc(pk, sizeof *b);
    mm_mx_result *r = b ? &b->r : NULL;
    if (b) {
        b->refs = 1;
        *r = *tmpl;
    }
    const char *dom = pk_str(pk, domain);
    if (r)
        r->domain = dom;
    pack_hosts(pk, p, r);
    const char **ns = pk_alloc(pk, p->nns * sizeof *ns);
    for (size_t i = 0; i < p->nns; i++) {
        const char *s = pk_str(pk, p->nsname[i]);
        if (ns)
            ns[i] = s;
    }
    if (r)
        r->ns = ns;
}

/* The overall verdict, in the order the header documents. */
static mm_mx_status decide(const dom_pending *p, const char *domain, bool allow_private,
                           mm_mx_result *r)
{
    switch (p->mx) {
    case MM_DNS_NXDOMAIN:
        return MM_MX_NXDOMAIN;
    case MM_DNS_SERVFAIL:
        return MM_MX_SERVFAIL;
    case MM_DNS_TIMEOUT:
        return MM_MX_TIMEOUT;
    case MM_DNS_REFUSED:
    case MM_DNS_ERROR:
        return MM_MX_ERROR;
    default:
        break;
    }
    if (p->null_mx && p->nmx == 1)
        return MM_MX_NULL_MX; /* RFC 7505 3: "." as the only MX */
    for (size_t i = 0; i < p->nns && !r->parking; i++)
        if ((r->parking = mm_parking_service(p->nsname[i], domain)))
            r->parking_via = "ns";
    for (size_t i = 0; i < p->nhosts && !r->parking && !p->implicit; i++)
        if ((r->parking = mm_parking_service(p->hosts[i].name, domain)))
            r->parking_via = "mx";
    if (r->parking)
        return MM_MX_PARKED;
    int temp = 0, bad = 0, timeout = 0, servfail = 0;
    for (size_t i = 0; i < p->nhosts; i++) {
        const dom_host *h = &p->hosts[i];
        if (h->status == MM_MX_HOST_OK || (h->status == MM_MX_HOST_BAD_ADDRESS && allow_private))
            return p->implicit ? MM_MX_IMPLICIT : MM_MX_OK;
        temp |= h->status == MM_MX_HOST_TEMPFAIL;
        bad |= h->status == MM_MX_HOST_BAD_ADDRESS || h->status == MM_MX_HOST_IP_LITERAL;
        timeout |= h->a == MM_DNS_TIMEOUT || h->aaaa == MM_DNS_TIMEOUT;
        servfail |= h->a == MM_DNS_SERVFAIL || h->aaaa == MM_DNS_SERVFAIL;
    }
    if (temp)
        return timeout ? MM_MX_TIMEOUT : servfail ? MM_MX_SERVFAIL : MM_MX_ERROR;
    return bad ? MM_MX_MISCONFIGURED : MM_MX_NO_MAIL_HOST;
}

res_block *mm_mx_result_build(const dom_pending *p, const char *domain, bool allow_private)
{
    mm_mx_result tmpl = {.mx_result = p->mx,
                         .ns_result = p->ns,
                         .null_mx = p->null_mx != 0,
                         .implicit_mx = p->implicit != 0,
                         .nmx = p->nmx,
                         .nhosts = p->nhosts,
                         .nns = p->nns};
    tmpl.status = decide(p, domain, allow_private, &tmpl);
    pack pk = {NULL, 0};
    pack_result(&pk, p, domain, NULL);
    pk.base = malloc(pk.off);
    if (!pk.base)
        return NULL;
    pk.off = 0;
    pack_result(&pk, p, domain, &tmpl);
    return (res_block *)(void *)pk.base;
}

const mm_mx_result *mm_mx_result_ref(const mm_mx_result *r)
{
    if (r) {
        res_block *b = (res_block *)(void *)((char *)(uintptr_t)r - offsetof(res_block, r));
        b->refs++;
    }
    return r;
}

void mm_mx_result_unref(const mm_mx_result *r)
{
    if (!r)
        return;
    res_block *b = (res_block *)(void *)((char *)(uintptr_t)r - offsetof(res_block, r));
    if (--b->refs == 0)
        free(b);
}
