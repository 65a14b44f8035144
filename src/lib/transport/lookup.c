/*
 * lookup.c - the MTA-STS, TLS-RPT and BIMI TXT records of one domain, asked
 * at once over the DNS layer.
 *
 * Discovery rule (RFC 8461 3.1, RFC 8460 3; BIMI draft 4.4 likewise): of the
 * TXT records at the name, those not starting with the version tag are
 * discarded; exactly one must remain, else the domain has none ("multiple"
 * is reported apart because it is a fix to make).  A temporary DNS failure
 * is "temperror": cannot tell.  BIMI's fallback to the organizational
 * domain is not done here (the caller may look the org domain up too).
 */
#include <stdlib.h>
#include <string.h>

#include "transport/transport_int.h"
#include "util/arena.h"

#define MAX_TXT 32

struct mm_transport {
    mm_dns *dns;
    struct look *looks;
};

typedef struct look look;

typedef struct slot {
    look *l;
    mm_transport_kind k;
    const char *txt[MAX_TXT];
    mm_transport_record *rec;
} slot;

struct look {
    look *next, *prev;
    mm_transport *t;
    mm_transport_cb cb;
    void *arg;
    mm_arena arena;
    size_t pending;
    mm_transport_result pub;
    slot s[MM_TRANSPORT_KIND_MAX_];
};

static const char *const found_names[] = {"found", "none", "multiple", "temperror"};

const char *mm_transport_found_name(mm_transport_found f)
{
    return (unsigned)f <= MM_TRANSPORT_TEMPERROR ? found_names[f] : "unknown";
}

static void unlink_look(look *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        l->t->looks = l->next;
    if (l->next)
        l->next->prev = l->prev;
}

static void free_look(look *l)
{
    for (int k = 0; k < MM_TRANSPORT_KIND_MAX_; k++)
        mm_transport_record_free(l->s[k].rec);
    mm_arena_free(&l->arena);
    free(l);
}

static void done_one(look *l)
{
    if (--l->pending)
        return;
    unlink_look(l);
    l->cb(l->arg, &l->pub);
    free_look(l);
}

static void answer(void *arg, const mm_dns_answer *ans)
{
    slot *s = arg;
    look *l = s->l;
    mm_transport_item *it = &l->pub.items[s->k];
    const mm_dns_record *one = NULL;
    size_t n = 0;
    it->dns_result = ans->result;
    for (size_t i = 0; ans->result == MM_DNS_ANSWER && i < ans->nrecords; i++) {
        const mm_dns_record *r = &ans->records[i];
        if (it->ntxt < MAX_TXT) {
            const char *t = mm_arena_strndup(&l->arena, r->u.txt.data, r->u.txt.len);
            s->txt[it->ntxt++] = t ? t : "";
        }
        if (mm_transport_is_kind(s->k, r->u.txt.data, r->u.txt.len)) {
            n++;
            one = r;
        }
    }
    if (mm_dns_result_is_temporary(ans->result))
        it->found = MM_TRANSPORT_TEMPERROR;
    else if (n > 1)
        it->found = MM_TRANSPORT_MULTIPLE;
    else if (n == 0)
        it->found = MM_TRANSPORT_NONE;
    else if (mm_transport_parse(s->k, one->u.txt.data, one->u.txt.len, &s->rec) == MM_OK)
        it->found = MM_TRANSPORT_FOUND;
    else
        it->found = MM_TRANSPORT_TEMPERROR; /* out of memory or over-long: cannot tell */
    it->record = s->rec;
    done_one(l);
}

mm_status_t mm_transport_create(mm_dns *d, mm_transport **out)
{
    if (!d || !out)
        return MM_EINVAL;
    mm_transport *t = calloc(1, sizeof *t);
    if (!t)
        return MM_ENOMEM;
    t->dns = d;
    *out = t;
    return MM_OK;
}

void mm_transport_free(mm_transport *t)
{
    if (!t)
        return;
    while (t->looks) {
        look *l = t->looks;
        mm_dns_cancel(t->dns, l);
        unlink_look(l);
        free_look(l);
    }
    free(t);
}

mm_status_t mm_transport_lookup(mm_transport *t, const char *domain, mm_transport_cb cb, void *arg)
{
    char name[300];
    if (!t || !cb || !domain || !*domain ||
        mm_transport_name(MM_TRANSPORT_BIMI, domain, name, sizeof name) != MM_OK)
        return MM_EINVAL;
    look *l = calloc(1, sizeof *l);
    if (!l)
        return MM_ENOMEM;
    mm_arena_init(&l->arena);
    l->t = t;
    l->cb = cb;
    l->arg = arg;
    l->pending = 1; /* held while sending: see dnsbl/check.c */
    l->pub.domain = mm_arena_strdup(&l->arena, domain);
    l->next = t->looks;
    if (t->looks)
        t->looks->prev = l;
    t->looks = l;
    for (int k = 0; k < MM_TRANSPORT_KIND_MAX_; k++) {
        slot *s = &l->s[k];
        mm_transport_item *it = &l->pub.items[k];
        s->l = l;
        s->k = (mm_transport_kind)k;
        it->kind = s->k;
        it->txt = s->txt;
        it->dns_result = MM_DNS_ERROR;
        it->found = MM_TRANSPORT_TEMPERROR;
        mm_transport_name(s->k, domain, name, sizeof name);
        it->query = mm_arena_strdup(&l->arena, name);
        if (!it->query)
            continue;
        l->pending++;
        if (mm_dns_query_owned(t->dns, l, it->query, MM_DNS_T_TXT, answer, s) != MM_OK)
            l->pending--;
    }
    if (!l->pub.domain)
        l->pub.domain = "";
    for (int k = 0; k < MM_TRANSPORT_KIND_MAX_; k++)
        if (!l->pub.items[k].query)
            l->pub.items[k].query = "";
    done_one(l);
    return MM_OK;
}
