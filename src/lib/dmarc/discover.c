/*
 * discover.c - DMARC record discovery (RFC 7489 6.6.3 steps 1-5) and the
 * external report destination check (7.1), over the asynchronous DNS layer.
 *
 * One discovery is a small state machine: TXT _dmarc.<domain>; when that
 * holds no v=DMARC1 record (or the name does not exist) and the domain is not
 * its own Organizational Domain, TXT _dmarc.<org domain>.  A temporary failure
 * stops it (temperror: we do not fall back to the org domain on a failure,
 * since the record at the domain may exist).  Once one record is found, every
 * mailto: rua/ruf URI whose Organizational Domain differs from the policy
 * domain's is checked by TXT <policy-domain>._report._dmarc.<dest-domain>:
 * a v=DMARC1 record there authorizes reports (7.1).  The callback gets the
 * whole lookup once every query is answered.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc_int.h"
#include "util/arena.h"

#define MAX_DESTS (2 * MM_DMARC_MAX_URIS)
#define MAX_TXT 64 /* TXT values kept as evidence */

typedef struct dest_q {
    struct mm_dmarc_disc *d;
    size_t i;
} dest_q;

typedef struct mm_dmarc_disc {
    struct mm_dmarc_disc *next, *prev;
    mm_dmarc *c;
    mm_dmarc_cb cb;
    void *arg;
    mm_arena arena;
    char domain[256], org[256], policy[256];
    mm_dmarc_lookup pub;
    const char *txt[MAX_TXT];
    mm_dmarc_record *rec;
    mm_dmarc_dest dests[MAX_DESTS];
    dest_q dq[MAX_DESTS];
    size_t pending;
} disc;

static void unlink_disc(disc *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        d->c->discs = d->next;
    if (d->next)
        d->next->prev = d->prev;
}

static void free_disc(disc *d)
{
    mm_dmarc_record_free(d->rec);
    mm_arena_free(&d->arena);
    free(d);
}

void mm_dmarc_discover_cancel_all(mm_dmarc *c)
{
    while (c->discs) {
        disc *d = c->discs;
        if (c->dns)
            mm_dns_cancel(c->dns, d);
        unlink_disc(d);
        free_disc(d);
    }
}

static void finish(disc *d)
{
    d->pub.txt = d->txt;
    d->pub.record = d->rec;
    d->pub.dests = d->dests;
    d->cb(d->arg, &d->pub);
    unlink_disc(d);
    free_disc(d);
}

/* Keep the TXT values of ans as evidence; returns how many are v=DMARC1. */
static size_t collect(disc *d, const mm_dns_answer *ans, const mm_dns_record **dmarc)
{
    size_t n = 0;
    d->pub.ntxt = 0;
    for (size_t i = 0; ans->result == MM_DNS_ANSWER && i < ans->nrecords; i++) {
        const mm_dns_record *r = &ans->records[i];
        if (d->pub.ntxt < MAX_TXT) {
            const char *t = mm_arena_strndup(&d->arena, r->u.txt.data, r->u.txt.len);
            d->txt[d->pub.ntxt++] = t ? t : "";
        }
        if (mm_dmarc_is_dmarc(r->u.txt.data, r->u.txt.len)) {
            n++;
            *dmarc = r;
        }
    }
    return n;
}

static void dest_answer(void *arg, const mm_dns_answer *ans)
{
    dest_q *q = arg;
    disc *d = q->d;
    mm_dmarc_dest *x = &d->dests[q->i];
    x->dns_result = ans->result;
    x->status = MM_DMARC_DEST_UNAUTHORIZED;
    if (mm_dns_result_is_temporary(ans->result))
        x->status = MM_DMARC_DEST_TEMPERROR;
    for (size_t i = 0; ans->result == MM_DNS_ANSWER && i < ans->nrecords; i++) {
        const mm_dns_record *r = &ans->records[i];
        if (x->status != MM_DMARC_DEST_AUTHORIZED &&
            mm_dmarc_is_dmarc(r->u.txt.data, r->u.txt.len)) {
            x->status = MM_DMARC_DEST_AUTHORIZED;
            const char *t = mm_arena_strndup(&d->arena, r->u.txt.data, r->u.txt.len);
            x->record = t ? t : "";
        }
    }
    if (x->status != MM_DMARC_DEST_AUTHORIZED)
        mm_dmarc_record_add_lint(d->rec,
                                 x->status == MM_DMARC_DEST_TEMPERROR ? "external_temperror"
                                                                      : "external_unauthorized",
                                 x->ruf ? "ruf" : "rua", x->uri->text);
    if (--d->pending == 0)
        finish(d);
}

/* Start the 7.1 query for dest i when its Organizational Domain differs. */
static void check_dest(disc *d, size_t i, const char *policy_org)
{
    mm_dmarc_dest *x = &d->dests[i];
    x->query = x->record = "";
    x->dns_result = MM_DNS_ERROR;
    x->status = MM_DMARC_DEST_NOT_CHECKED;
    if (!x->uri->mailto || d->c->no_external)
        return;
    char org[256], name[300];
    if (mm_dmarc_org_domain(d->c, x->uri->domain, org, sizeof org) != MM_OK)
        snprintf(org, sizeof org, "%s", x->uri->domain);
    if (strcmp(org, policy_org) == 0) {
        x->status = MM_DMARC_DEST_INTERNAL;
        return;
    }
    if (mm_dmarc_report_name(d->policy, x->uri->domain, name, sizeof name) != MM_OK)
        return;
    x->query = mm_arena_strdup(&d->arena, name);
    d->dq[i] = (dest_q){d, i};
    d->pending++;
    if (!x->query ||
        mm_dns_query_owned(d->c->dns, d, name, MM_DNS_T_TXT, dest_answer, &d->dq[i]) != MM_OK) {
        d->pending--;
        x->query = x->query ? x->query : "";
        x->status = MM_DMARC_DEST_TEMPERROR;
    }
}

static void start_dests(disc *d)
{
    const mm_dmarc_record *r = d->rec;
    char porg[256];
    if (mm_dmarc_org_domain(d->c, d->policy, porg, sizeof porg) != MM_OK)
        snprintf(porg, sizeof porg, "%s", d->policy);
    for (size_t i = 0; i < r->nrua; i++)
        d->dests[d->pub.ndests++] = (mm_dmarc_dest){.uri = &r->rua[i], .ruf = false};
    for (size_t i = 0; i < r->nruf; i++)
        d->dests[d->pub.ndests++] = (mm_dmarc_dest){.uri = &r->ruf[i], .ruf = true};
    d->pending = 1; /* held until every query is started: no early finish */
    for (size_t i = 0; i < d->pub.ndests; i++)
        check_dest(d, i, porg);
    if (--d->pending == 0)
        finish(d);
}

static void found(disc *d, const mm_dns_record *r, const char *where, mm_dmarc_found how)
{
    snprintf(d->policy, sizeof d->policy, "%s", where);
    d->pub.policy_domain = d->policy;
    d->pub.found = how;
    if (mm_dmarc_parse(r->u.txt.data, r->u.txt.len, &d->rec) != MM_OK) {
        d->pub.found = MM_DMARC_TEMPERROR; /* out of memory: could not tell */
        finish(d);
        return;
    }
    start_dests(d);
}

static void org_answer(void *arg, const mm_dns_answer *ans)
{
    disc *d = arg;
    const mm_dns_record *r = NULL;
    d->pub.org_dns_result = ans->result;
    size_t n = collect(d, ans, &r);
    if (n == 1 && !mm_dns_result_is_temporary(ans->result)) {
        found(d, r, d->org, MM_DMARC_FOUND_ORG);
        return;
    }
    if (mm_dns_result_is_temporary(ans->result))
        d->pub.found = MM_DMARC_TEMPERROR;
    else
        d->pub.found = n > 1 ? MM_DMARC_MULTIPLE : MM_DMARC_NONE;
    finish(d);
}

static void domain_answer(void *arg, const mm_dns_answer *ans)
{
    disc *d = arg;
    const mm_dns_record *r = NULL;
    d->pub.dns_result = ans->result;
    size_t n = collect(d, ans, &r);
    if (mm_dns_result_is_temporary(ans->result)) {
        d->pub.found = MM_DMARC_TEMPERROR;
    } else if (n > 1) {
        d->pub.found = MM_DMARC_MULTIPLE; /* step 5 */
    } else if (n == 1) {
        found(d, r, d->domain, MM_DMARC_FOUND);
        return;
    } else if (d->org[0] && strcmp(d->org, d->domain) != 0) {
        char name[300];
        snprintf(name, sizeof name, "_dmarc.%s", d->org);
        if (mm_dns_query_owned(d->c->dns, d, name, MM_DNS_T_TXT, org_answer, d) == MM_OK)
            return;
        d->pub.found = MM_DMARC_TEMPERROR;
    } else {
        d->pub.found = MM_DMARC_NONE; /* step 4 */
    }
    finish(d);
}

mm_status_t mm_dmarc_discover(mm_dmarc *c, const char *domain, mm_dmarc_cb cb, void *arg)
{
    if (!c || !c->dns || !domain || !cb)
        return MM_EINVAL;
    disc *d = calloc(1, sizeof *d);
    if (!d)
        return MM_ENOMEM;
    mm_arena_init(&d->arena);
    if (!mm_dmarc_norm_domain(domain, d->domain, sizeof d->domain) || strlen(d->domain) > 245) {
        free(d);
        return MM_EINVAL;
    }
    if (mm_dmarc_org_domain(c, d->domain, d->org, sizeof d->org) != MM_OK)
        d->org[0] = '\0';
    d->c = c;
    d->cb = cb;
    d->arg = arg;
    d->pub = (mm_dmarc_lookup){.domain = d->domain,
                               .org_domain = d->org,
                               .policy_domain = "",
                               .dns_result = MM_DNS_ERROR,
                               .org_dns_result = MM_DNS_ERROR,
                               .found = MM_DMARC_NONE};
    d->next = c->discs;
    if (d->next)
        d->next->prev = d;
    c->discs = d;
    char name[300];
    snprintf(name, sizeof name, "_dmarc.%s", d->domain);
    mm_status_t st = mm_dns_query_owned(c->dns, d, name, MM_DNS_T_TXT, domain_answer, d);
    if (st != MM_OK) {
        unlink_disc(d);
        free_disc(d);
    }
    return st;
}
