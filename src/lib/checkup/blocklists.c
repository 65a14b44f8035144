/*
 * blocklists.c - the checkup's dnsbl and mta_sts sections, over the
 * dnsbl and transport modules.  Both start their DNS look-ups with the other
 * sections (before SPF's loop drives the resolver); the dnsbl section is
 * written in its callback (the result lives only there), the mta_sts section
 * after the resolver is done, because the policy's mx patterns are compared
 * with the MX section's hosts.
 */
#include <stdio.h>
#include <string.h>

#include <mailmedic/dmarc.h>

#include "checkup_int.h"

#ifndef N_
#define N_(s) s
#endif

/* ---- dnsbl ---- */

/* The lists whose listing makes big receivers reject or junk mail: the
 * section fails.  A listing on the others (smaller, or aggressive like
 * UCEPROTECT level 1, which lists whole ranges) is a warning: few large
 * mailbox providers use them, so the sender should look but need not panic. */
static bool major_list(const mm_dnsbl_list *l)
{
    static const char *const major[] = {"spamhaus-zen", "spamhaus-dbl", "barracuda", "spamcop",
                                        "surbl", "uribl"};
    for (size_t i = 0; i < sizeof major / sizeof major[0]; i++)
        if (strcmp(l->id, major[i]) == 0)
            return true;
    return false;
}

static void dnsbl_entry(mm_checkup *c, const mm_dnsbl_entry *e)
{
    const mm_checkup_section_id S = MM_CHECKUP_DNSBL;
    const mm_dnsbl_list *l = e->list;
    if (e->status == MM_DNSBL_SKIPPED)
        return;
    char codes[512] = "";
    size_t n = 0;
    for (size_t i = 0; i < e->ncodes && n < sizeof codes; i++) {
        int k = snprintf(codes + n, sizeof codes - n, "%s%s (%s)", i ? ", " : "",
                         e->codes[i].addr, e->codes[i].id);
        if (k < 0)
            break;
        n += (size_t)k;
    }
    if (c->nbl_items < sizeof c->bl_items / sizeof c->bl_items[0])
        c->bl_items[c->nbl_items++] = (mm_checkup_dnsbl_item){
            l->id, l->name, mm_dnsbl_kind_name(l->kind), mm_dnsbl_status_name(e->status),
            ck_keep(c, e->query), ck_keep(c, codes), ck_keep(c, e->txt),
            l->delist_url ? l->delist_url : "", major_list(l)};
    if (e->status == MM_DNSBL_NOT_LISTED) {
        ck_evidence(c, S, ck_keepf(c, "%s A: not listed (%s)", e->query, l->name));
        return;
    }
    if (mm_dnsbl_status_is_unknown(e->status)) {
        /* A refusal is never a listing: the list would not answer us. */
        ck_evidence(c, S, ck_keepf(c, "%s A %s: %s", e->query, *codes ? codes : "-",
                                   mm_dnsbl_status_name(e->status)));
        /* The refusal's own message (a msgid) says why and what to do. */
        bool own = e->status == MM_DNSBL_REFUSED && e->message && *e->message;
        ck_find(c, S, ck_keepf(c, "dnsbl.%s", mm_dnsbl_status_name(e->status)),
                MM_CHECKUP_UNKNOWN,
                own ? e->message
                    : N_("Cannot tell whether you are listed here: query the list through your "
                         "own resolver"),
                l->name);
        return;
    }
    /* LISTED */
    ck_evidence(c, S, ck_keepf(c, "%s A %s", e->query, codes));
    if (*e->txt)
        ck_evidence(c, S, ck_keepf(c, "%s TXT \"%s\"", e->query, e->txt));
    for (size_t i = 0; i < e->ncodes; i++)
        ck_find(c, S, ck_keepf(c, "dnsbl.code.%s", e->codes[i].id), MM_CHECKUP_OK,
                e->codes[i].message, ck_keepf(c, "%s %s", l->name, e->codes[i].addr));
    bool major = major_list(l);
    ck_find(c, S, major ? "dnsbl.listed" : "dnsbl.listed_minor",
            major ? MM_CHECKUP_FAIL : MM_CHECKUP_WARN,
            l->kind == MM_DNSBL_KIND_IP
                ? (major ? N_("The sending IP is listed on a major blocklist")
                         : N_("The sending IP is listed on a minor blocklist"))
                : (major ? N_("The domain is listed on a major blocklist")
                         : N_("The domain is listed on a minor blocklist")),
            ck_keepf(c, "%s (%s)%s%s", l->name, l->zone, *e->txt ? ": " : "", e->txt));
    ck_fix(c, S,
           N_("Find and stop the cause (infected machine, open relay, bought list), then ask "
              "for removal here:"),
           l->name, l->delist_url ? l->delist_url : "");
}

static void on_dnsbl(void *arg, const mm_dnsbl_result *r)
{
    mm_checkup *c = arg;
    c->bl_done = true;
    for (size_t i = 0; i < r->nentries; i++)
        dnsbl_entry(c, &r->entries[i]);
    if (r->nlisted == 0 && r->nunknown == 0)
        ck_find(c, MM_CHECKUP_DNSBL, "dnsbl.not_listed", MM_CHECKUP_OK,
                N_("Not listed on any blocklist checked"),
                *r->ip && *r->domain ? ck_keepf(c, "%s, %s", r->ip, r->domain)
                                     : (*r->ip ? r->ip : r->domain));
}

mm_status_t ck_start_dnsbl(mm_checkup *c, const char *psl_file)
{
    mm_status_t st = mm_dnsbl_create(c->dns, NULL, &c->bl);
    if (st != MM_OK)
        return st;
    /* The domain lists list registered domains: ask for the organizational
     * domain of a host name (mail.example.com -> example.com). */
    char org[256] = "";
    if (c->domain) {
        mm_dmarc *dm = NULL;
        mm_dmarc_opts dopts = {.psl_file = psl_file, .no_external = true};
        if (mm_dmarc_create(c->dns, &dopts, &dm) == MM_OK &&
            mm_dmarc_org_domain(dm, c->domain, org, sizeof org) != MM_OK)
            snprintf(org, sizeof org, "%s", c->domain);
        mm_dmarc_free(dm);
        if (!*org)
            snprintf(org, sizeof org, "%s", c->domain);
    }
    return mm_dnsbl_check(c->bl, c->ip, *org ? org : NULL, on_dnsbl, c);
}

const mm_checkup_dnsbl_item *mm_checkup_dnsbl_items(const mm_checkup *c, size_t *n)
{
    bool run = c && c->sec[MM_CHECKUP_DNSBL].run;
    if (n)
        *n = run ? c->nbl_items : 0;
    return run ? c->bl_items : NULL;
}

void ck_build_dnsbl(mm_checkup *c)
{
    if (!c->bl_done)
        ck_find(c, MM_CHECKUP_DNSBL, "dnsbl.error", MM_CHECKUP_UNKNOWN,
                N_("Cannot tell whether you are listed here: query the list through your own "
                   "resolver"),
                "");
    ck_settle(c, MM_CHECKUP_DNSBL);
}

/* ---- mta_sts: MTA-STS, TLS-RPT, BIMI ---- */

/* BIMI only shows a logo: its findings are information, never a warning. */
static void transport_lints(mm_checkup *c, const mm_transport_lint *l, size_t n,
                            const char *prefix)
{
    bool info_only = strcmp(prefix, "bimi") == 0;
    for (size_t i = 0; i < n; i++)
        ck_find(c, MM_CHECKUP_MTASTS, ck_keepf(c, "%s.%s", prefix, l[i].id),
                info_only                            ? MM_CHECKUP_OK
                : l[i].severity == MM_TRANSPORT_ERROR ? MM_CHECKUP_FAIL
                : l[i].severity == MM_TRANSPORT_WARN ? MM_CHECKUP_WARN
                                                     : MM_CHECKUP_OK,
                l[i].message, *l[i].value ? l[i].value : l[i].field);
}

static void transport_item(mm_checkup *c, const mm_transport_item *it)
{
    const mm_checkup_section_id S = MM_CHECKUP_MTASTS;
    static const char *const pfx[] = {"mta_sts", "tlsrpt", "bimi"};
    const char *p = pfx[it->kind];
    for (size_t i = 0; i < it->ntxt; i++)
        ck_evidence(c, S, ck_keepf(c, "%s TXT \"%s\"", it->query, it->txt[i]));
    switch (it->found) {
    case MM_TRANSPORT_TEMPERROR:
        ck_find(c, S, ck_keepf(c, "%s.temperror", p), MM_CHECKUP_UNKNOWN,
                N_("The record could not be looked up (temporary DNS failure)"), it->query);
        return;
    case MM_TRANSPORT_MULTIPLE:
        ck_find(c, S, ck_keepf(c, "%s.multiple", p),
                it->kind == MM_TRANSPORT_BIMI ? MM_CHECKUP_OK : MM_CHECKUP_FAIL,
                N_("Several records are published: receivers ignore them all; keep one"),
                it->query);
        return;
    case MM_TRANSPORT_NONE:
        if (it->kind == MM_TRANSPORT_MTA_STS) {
            ck_find(c, S, "mta_sts.none", MM_CHECKUP_WARN,
                    N_("No MTA-STS record: senders cannot require TLS to your MX "
                       "(recommended, RFC 8461)"),
                    it->query);
        } else if (it->kind == MM_TRANSPORT_TLSRPT) {
            ck_find(c, S, "tlsrpt.none", MM_CHECKUP_WARN,
                    N_("No TLS-RPT record: you get no reports of TLS failures delivering to "
                       "you (recommended, RFC 8460)"),
                    it->query);
            ck_fix(c, S, N_("Publish a TLS-RPT record to receive TLS failure reports:"),
                   it->query, ck_keepf(c, "v=TLSRPTv1; rua=mailto:tlsrpt@%s", c->domain));
        } else {
            ck_find(c, S, "bimi.none", MM_CHECKUP_OK,
                    N_("No BIMI record (optional: shows your logo at some receivers)"),
                    it->query);
        }
        return;
    case MM_TRANSPORT_FOUND: break;
    }
    const mm_transport_record *r = it->record;
    if (!r)
        return;
    if (r->valid)
        ck_find(c, S, ck_keepf(c, "%s.found", p), MM_CHECKUP_OK,
                it->kind == MM_TRANSPORT_MTA_STS ? N_("MTA-STS record published")
                : it->kind == MM_TRANSPORT_TLSRPT ? N_("TLS-RPT record published")
                                                  : N_("BIMI record published"),
                it->query);
    else
        ck_find(c, S, ck_keepf(c, "%s.invalid", p),
                it->kind == MM_TRANSPORT_BIMI ? MM_CHECKUP_OK : MM_CHECKUP_FAIL,
                N_("The record is invalid: receivers ignore it"), it->query);
    transport_lints(c, r->lints, r->nlints, p);
    if (it->kind == MM_TRANSPORT_MTA_STS && r->valid)
        c->sts_found = true;
}

static void on_transport(void *arg, const mm_transport_result *r)
{
    mm_checkup *c = arg;
    c->tr_done = true;
    for (int k = 0; k < MM_TRANSPORT_KIND_MAX_; k++)
        transport_item(c, &r->items[k]);
}

mm_status_t ck_start_transport(mm_checkup *c)
{
    mm_status_t st = mm_transport_create(c->dns, &c->tr);
    if (st != MM_OK)
        return st;
    return mm_transport_lookup(c->tr, c->domain, on_transport, c);
}

/* The fetched policy against the MX hosts of the MX section. */
static void policy_cover(mm_checkup *c, const mm_mta_sts_policy *p)
{
    const mm_checkup_section_id S = MM_CHECKUP_MTASTS;
    const mm_mx_result *mx = c->mx;
    if (!mx || mx->nhosts == 0 || mx->implicit_mx) {
        ck_find(c, S, "mta_sts.mx_unknown", MM_CHECKUP_UNKNOWN,
                N_("No MX hosts to compare with the policy"), "");
        return;
    }
    bool all = true;
    for (size_t i = 0; i < mx->nhosts; i++) {
        const char *h = mx->hosts[i].name;
        if (!*h || mm_mta_sts_policy_covers(p, h))
            continue;
        all = false;
        ck_find(c, S, "mta_sts.mx_not_covered",
                p->mode == MM_MTA_STS_MODE_NONE ? MM_CHECKUP_WARN : MM_CHECKUP_FAIL,
                p->mode == MM_MTA_STS_MODE_ENFORCE
                    ? N_("An MX host is not in the MTA-STS policy: senders enforcing it will "
                         "not deliver to it")
                    : N_("An MX host is not in the MTA-STS policy"),
                h);
    }
    if (all) {
        ck_find(c, S, "mta_sts.mx_covered", MM_CHECKUP_OK,
                N_("Every MX host is covered by the MTA-STS policy"),
                mm_mta_sts_mode_name(p->mode));
    } else {
        char list[512] = "";
        size_t n = 0;
        for (size_t i = 0; i < mx->nhosts && n < sizeof list; i++) {
            int k = snprintf(list + n, sizeof list - n, "mx: %s\n", mx->hosts[i].name);
            if (k < 0)
                break;
            n += (size_t)k;
        }
        ck_fix(c, S,
               N_("List every MX host in the policy file (then change the id in the MTA-STS "
                  "record):"),
               ck_keepf(c, "https://mta-sts.%s/.well-known/mta-sts.txt", c->domain), list);
    }
}

static void fetch_policy(mm_checkup *c)
{
    const mm_checkup_section_id S = MM_CHECKUP_MTASTS;
    if (c->no_fetch) {
        ck_find(c, S, "mta_sts.policy_not_fetched", MM_CHECKUP_OK,
                N_("The MTA-STS policy was not fetched (--no-fetch): MX coverage not checked"),
                "");
        return;
    }
    mm_mta_sts_fetch_opts fo = {.timeout_ms = 5000};
    if (c->sts_fetch)
        fo = *c->sts_fetch;
    mm_mta_sts_fetch_result *fr = NULL;
    mm_status_t st = mm_mta_sts_fetch(c->domain, &fo, &fr);
    if (st == MM_ENOMEM) {
        c->oom = st;
        return;
    }
    if (st != MM_OK || !fr) {
        ck_find(c, S, "mta_sts.policy_error", MM_CHECKUP_UNKNOWN,
                N_("The MTA-STS policy could not be fetched"), mm_strerror(st));
        return;
    }
    ck_evidence(c, S, ck_keepf(c, "GET %s: HTTP %ld %s", fr->url, fr->http_code,
                               fr->content_type));
    if (fr->status != MM_MTA_STS_FETCH_OK) {
        ck_find(c, S, ck_keepf(c, "mta_sts.fetch_%s", mm_mta_sts_fetch_status_name(fr->status)),
                fr->status == MM_MTA_STS_FETCH_NETWORK ? MM_CHECKUP_UNKNOWN : MM_CHECKUP_FAIL,
                mm_mta_sts_fetch_status_message(fr->status),
                *fr->detail ? fr->detail : fr->url);
        mm_mta_sts_fetch_result_free(fr);
        return;
    }
    const mm_mta_sts_policy *p = fr->policy;
    for (size_t i = 0; p && i < p->nmx; i++)
        ck_evidence(c, S, ck_keepf(c, "  mx: %s", p->mx[i]));
    if (p) {
        ck_evidence(c, S, ck_keepf(c, "  mode: %s, max_age: %u", mm_mta_sts_mode_name(p->mode),
                                   (unsigned)p->max_age));
        transport_lints(c, p->lints, p->nlints, "mta_sts.policy");
        if (!p->valid)
            ck_find(c, S, "mta_sts.policy_invalid", MM_CHECKUP_FAIL,
                    N_("The MTA-STS policy file is invalid: senders ignore it"), fr->url);
        else
            policy_cover(c, p);
    }
    mm_mta_sts_fetch_result_free(fr);
}

void ck_build_mta_sts(mm_checkup *c)
{
    if (!c->tr_done)
        ck_find(c, MM_CHECKUP_MTASTS, "mta_sts.temperror", MM_CHECKUP_UNKNOWN,
                N_("The record could not be looked up (temporary DNS failure)"), "");
    /* Blocking, but after the DNS work: one short HTTPS request. */
    if (c->sts_found)
        fetch_policy(c);
    ck_settle(c, MM_CHECKUP_MTASTS);
}
