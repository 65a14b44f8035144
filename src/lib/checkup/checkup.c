/*
 * checkup.c - mm_checkup_run(): start every independent look-up at once on
 * the one resolver (DKIM keys or signatures, DMARC discovery, MX, PTR), then
 * SPF, whose check_host() drives the same resolver one query at a time (so
 * the others progress meanwhile), then wait for what is left and turn the
 * results into sections.  Why this order: SPF is a chain of dependent
 * queries; everything else is a handful of independent ones that fit inside
 * the SPF chain's round trips.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "checkup_int.h"

#ifndef N_
#define N_(s) s
#endif

/* ---- storage ---- */

const char *ck_keep(mm_checkup *c, const char *s)
{
    if (!s)
        return "";
    if (c->nstrs == c->capstrs) {
        size_t cap = c->capstrs ? c->capstrs * 2 : 64;
        char **p = realloc(c->strs, cap * sizeof *p);
        if (!p) {
            c->oom = MM_ENOMEM;
            return "";
        }
        c->strs = p;
        c->capstrs = cap;
    }
    char *d = strdup(s);
    if (!d) {
        c->oom = MM_ENOMEM;
        return "";
    }
    /* Records come from the network: no control characters (terminal
     * escapes, NULs cut short by strdup) reach the report. */
    for (unsigned char *q = (unsigned char *)d; *q; q++)
        if (*q < 0x20 || *q == 0x7f)
            *q = '?';
    c->strs[c->nstrs++] = d;
    return d;
}

const char *ck_keepf(mm_checkup *c, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return "";
    if ((size_t)n < sizeof small)
        return ck_keep(c, small);
    char *big = malloc((size_t)n + 1);
    if (!big) {
        c->oom = MM_ENOMEM;
        return "";
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    const char *r = ck_keep(c, big);
    free(big);
    return r;
}

void ck_find(mm_checkup *c, mm_checkup_section_id s, const char *id, mm_checkup_status sev,
             const char *msg, const char *detail)
{
    ck_section *x = &c->sec[s];
    if (x->pub.nfindings == CK_MAX_FINDINGS)
        return;
    x->findings[x->pub.nfindings++] =
        (mm_checkup_finding){ck_keep(c, id), sev, msg, detail ? ck_keep(c, detail) : ""};
}

void ck_evidence(mm_checkup *c, mm_checkup_section_id s, const char *line)
{
    ck_section *x = &c->sec[s];
    if (x->pub.nevidence < CK_MAX_EVIDENCE)
        x->evidence[x->pub.nevidence++] = ck_keep(c, line);
}

void ck_fix(mm_checkup *c, mm_checkup_section_id s, const char *msg, const char *name,
            const char *value)
{
    ck_section *x = &c->sec[s];
    if (x->pub.nfixes < CK_MAX_FIXES)
        x->fixes[x->pub.nfixes++] =
            (mm_checkup_fix){msg, ck_keep(c, name ? name : ""), ck_keep(c, value ? value : "")};
}

/* The section's status: the worst finding (fail > warn > unknown > ok). */
void ck_settle(mm_checkup *c, mm_checkup_section_id s)
{
    ck_section *x = &c->sec[s];
    bool fail = false, warn = false, unknown = false;
    for (size_t i = 0; i < x->pub.nfindings; i++) {
        fail |= x->findings[i].severity == MM_CHECKUP_FAIL;
        warn |= x->findings[i].severity == MM_CHECKUP_WARN;
        unknown |= x->findings[i].severity == MM_CHECKUP_UNKNOWN;
    }
    x->pub.status = fail ? MM_CHECKUP_FAIL
                    : warn ? MM_CHECKUP_WARN
                    : unknown ? MM_CHECKUP_UNKNOWN
                              : MM_CHECKUP_OK;
}

static void settle(mm_checkup *c, mm_checkup_section_id s)
{
    ck_settle(c, s);
}

/* ---- names ---- */

static const char *const status_names[] = {"ok", "warn", "fail", "unknown", "not_checked"};
static const char *const section_names[] = {"spf", "dkim", "dmarc", "mx", "ptr", "dnsbl",
                                            "mta_sts"};

const char *mm_checkup_status_name(mm_checkup_status s)
{
    return (unsigned)s < MM_CHECKUP_STATUS_MAX_ ? status_names[s] : "unknown";
}

const char *mm_checkup_section_name(mm_checkup_section_id s)
{
    return (unsigned)s < MM_CHECKUP_SECTION_MAX_ ? section_names[s] : "unknown";
}

const char *mm_checkup_verdict_name(mm_checkup_verdict_status s)
{
    switch (s) {
    case MM_VERDICT_MET: return "met";
    case MM_VERDICT_NOT_MET: return "not_met";
    default: return "cannot_tell";
    }
}

/* ---- the message: From and Return-Path domains ---- */

/* The domain of the first address in header field name of msg (unfolded
 * enough for our purpose: the address is on the field's first lines). */
static const char *header_domain(mm_checkup *c, const char *msg, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && msg[e] != '\n')
            e++;
        size_t ll = e - i;
        if (ll == 0 || (ll == 1 && msg[i] == '\r'))
            return NULL; /* end of the header */
        if (ll > nl && strncasecmp(msg + i, name, nl) == 0 && msg[i + nl] == ':') {
            /* the field and its continuation lines */
            size_t fe = e;
            while (fe + 1 < len && (msg[fe + 1] == ' ' || msg[fe + 1] == '\t')) {
                fe++;
                while (fe < len && msg[fe] != '\n')
                    fe++;
            }
            const char *at = memchr(msg + i, '@', fe - i);
            if (!at)
                return NULL;
            const char *p = at + 1, *end = msg + fe;
            size_t n = 0;
            char buf[256];
            while (p + n < end && n < sizeof buf - 1 &&
                   (isalnum((unsigned char)p[n]) || p[n] == '.' || p[n] == '-' || p[n] == '_'))
                n++;
            memcpy(buf, p, n);
            buf[n] = 0;
            for (size_t k = 0; k < n; k++)
                buf[k] = (char)tolower((unsigned char)buf[k]);
            return n ? ck_keep(c, buf) : NULL;
        }
        i = e + 1;
    }
    return NULL;
}

/* ---- callbacks ---- */

static void on_dmarc(void *arg, const mm_dmarc_lookup *r)
{
    mm_checkup *c = arg;
    c->dmarc_done = true;
    c->dmarc_found = r->found;
    c->dmarc_policy_domain = ck_keep(c, r->policy_domain);
    c->dmarc_org = ck_keep(c, r->org_domain);
    for (size_t i = 0; i < r->ntxt && c->ndmarc_txt < 8; i++)
        c->dmarc_txt[c->ndmarc_txt++] = ck_keep(c, r->txt[i]);
    if (r->record && mm_dmarc_parse(r->record->text, strlen(r->record->text), &c->dmarc_rec) !=
                         MM_OK)
        c->dmarc_rec = NULL;
    for (size_t i = 0; i < r->ndests && c->ndests < 16; i++) {
        c->dests[c->ndests].uri = ck_keep(c, r->dests[i].uri->uri);
        c->dests[c->ndests].query = ck_keep(c, r->dests[i].query);
        c->dests[c->ndests].status = r->dests[i].status;
        c->ndests++;
    }
}

static void on_mx(void *arg, const mm_mx_result *r)
{
    mm_checkup *c = arg;
    c->mx = mm_mx_result_ref(r);
}

static void on_ptr_addr(void *arg, const mm_dns_answer *a)
{
    ck_ptr_name *pn = arg;
    mm_checkup *c = pn->c;
    if (mm_dns_result_is_temporary(a->result))
        c->ptr.temporary = true;
    for (size_t i = 0; i < a->nrecords; i++)
        if (memcmp(a->records[i].u.addr.bytes, c->ip_bytes, c->ip_family == AF_INET ? 4 : 16) ==
            0)
            pn->confirmed = true;
}

static void on_ptr(void *arg, const mm_dns_answer *a)
{
    mm_checkup *c = arg;
    c->ptr.result = a->result;
    if (mm_dns_result_is_temporary(a->result))
        c->ptr.temporary = true;
    for (size_t i = 0; i < a->nrecords && c->ptr.nnames < CK_MAX_PTR; i++) {
        ck_ptr_name *pn = &c->ptr_ctx[c->ptr.nnames];
        pn->c = c;
        pn->name = ck_keep(c, a->records[i].u.name);
        pn->confirmed = false;
        c->ptr_names[c->ptr.nnames++] = pn->name;
        if (mm_dns_query_owned(c->dns, c, pn->name,
                               c->ip_family == AF_INET ? MM_DNS_T_A : MM_DNS_T_AAAA, on_ptr_addr,
                               pn) != MM_OK)
            c->ptr.temporary = true;
    }
}

/* ---- start ---- */

static bool want(const mm_checkup_opts *o, mm_checkup_section_id s)
{
    return o->sections == 0 || (o->sections & (1u << s));
}

static mm_status_t start_all(mm_checkup *c, const mm_checkup_opts *o)
{
    mm_status_t st;
    if (want(o, MM_CHECKUP_DKIM)) {
        c->sec[MM_CHECKUP_DKIM].run = true;
        if (o->message) {
            st = mm_dkim_verify_start(c->dns, o->message, o->message_len, NULL, &c->dkim);
            if (st != MM_OK)
                return st;
        }
        if (c->domain) {
            c->explicit_selectors = o->nselectors > 0;
            st = mm_dkim_keycheck_start(c->dns, c->domain, o->selectors, o->nselectors, &c->keys);
            if (st != MM_OK)
                return st;
        }
    }
    if (c->domain && want(o, MM_CHECKUP_DMARC)) {
        c->sec[MM_CHECKUP_DMARC].run = true;
        mm_dmarc_opts dopts = {.psl_file = o->psl_file, .no_external = false};
        st = mm_dmarc_create(c->dns, &dopts, &c->dmarc);
        if (st != MM_OK)
            return st;
        const char *dom = c->msg_from_domain ? c->msg_from_domain : c->domain;
        st = mm_dmarc_discover(c->dmarc, dom, on_dmarc, c);
        if (st != MM_OK)
            return st;
    }
    /* The MX hosts are also what the MTA-STS policy must cover. */
    if (c->domain && (want(o, MM_CHECKUP_MX) || want(o, MM_CHECKUP_MTASTS))) {
        c->sec[MM_CHECKUP_MX].run = want(o, MM_CHECKUP_MX);
        st = mm_mailcheck_create(c->dns, 16, &c->mc);
        if (st != MM_OK)
            return st;
        st = mm_mailcheck_domain(c->mc, c->domain, on_mx, c);
        if (st != MM_OK)
            return st;
    }
    if (want(o, MM_CHECKUP_DNSBL) && (c->domain || c->ip)) {
        c->sec[MM_CHECKUP_DNSBL].run = true;
        st = ck_start_dnsbl(c, o->psl_file);
        if (st != MM_OK)
            return st;
    }
    if (c->domain && want(o, MM_CHECKUP_MTASTS)) {
        c->sec[MM_CHECKUP_MTASTS].run = true;
        c->no_fetch = o->no_policy_fetch;
        c->sts_fetch = o->sts_fetch;
        st = ck_start_transport(c);
        if (st != MM_OK)
            return st;
    }
    if (want(o, MM_CHECKUP_PTR)) {
        c->sec[MM_CHECKUP_PTR].run = true;
        if (c->ip) {
            c->ptr_run = true;
            c->ptr.ip = c->ip;
            c->ptr.result = MM_DNS_ERROR;
            st = mm_dns_reverse_name(c->ip, NULL, c->ptr_qname, sizeof c->ptr_qname);
            if (st != MM_OK)
                return st;
            c->ptr.ptr_name = c->ptr_qname;
            st = mm_dns_query_owned(c->dns, c, c->ptr_qname, MM_DNS_T_PTR, on_ptr, c);
            if (st != MM_OK)
                return st;
        }
    }
    return MM_OK;
}

/* SPF last: its loop drives the resolver, and with it everything above. */
static mm_status_t run_spf(mm_checkup *c, const mm_checkup_opts *o)
{
    if (!c->domain || !want(o, MM_CHECKUP_SPF))
        return MM_OK;
    c->sec[MM_CHECKUP_SPF].run = true;
    mm_status_t st = mm_spf_create(c->dns, &c->spf);
    if (st == MM_OK)
        st = mm_spf_set_default_explanation(c->spf, NULL);
    if (st == MM_OK)
        st = mm_spf_lint_domain(c->spf, c->domain, c->ip, &c->lint);
    if (st != MM_OK || !c->ip)
        return st;
    /* The MAIL FROM identity: --mail-from, the message's Return-Path, or
     * postmaster@domain as the lint does. */
    const char *sender = c->mail_from ? c->mail_from : c->msg_mail_from;
    const char *at = sender ? strrchr(sender, '@') : NULL;
    c->spf_domain = at && at[1] ? ck_keep(c, at + 1) : c->domain;
    const char *snd = sender ? sender : ck_keepf(c, "postmaster@%s", c->domain);
    st = mm_spf_check_host(c->spf, c->ip, c->spf_domain, snd, c->helo ? c->helo : c->spf_domain,
                           &c->eval);
    if (st == MM_OK && c->helo)
        st = mm_spf_check_host(c->spf, c->ip, c->helo, NULL, c->helo, &c->helo_eval);
    return st;
}

/* ---- sections ---- */

static bool ip_in_record(const char *rec, const char *ip)
{
    return rec && ip && strstr(rec, ip) != NULL;
}

/* The SPF record to publish: the provider's include (if named), the
 * existing record's other mechanisms (without all/ptr), the IP if it does
 * not pass yet, and -all. */
static const char *spf_suggest(mm_checkup *c)
{
    const mm_checkup_provider *p = mm_checkup_provider_find(c->provider);
    const mm_spf_eval *tree = c->lint ? mm_spf_lint_tree(c->lint) : NULL;
    const mm_spf_node *top = tree && mm_spf_eval_nnodes(tree) ? mm_spf_eval_node(tree, 0) : NULL;
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof buf, "v=spf1");
    bool has_provider = false;
    mm_spf_record *r = NULL;
    if (top && top->record &&
        mm_spf_record_parse(top->record, strlen(top->record), &r) == MM_OK) {
        for (size_t i = 0; i < mm_spf_record_nterms(r) && n < sizeof buf - 64; i++) {
            const mm_spf_term *t = mm_spf_record_term(r, i);
            if (t->kind == MM_SPF_T_ALL || t->kind == MM_SPF_T_PTR ||
                t->kind == MM_SPF_T_REDIRECT || t->kind == MM_SPF_T_EXP ||
                t->kind == MM_SPF_T_UNKNOWN_MOD)
                continue;
            if (p && t->kind == MM_SPF_T_INCLUDE && t->domain_spec &&
                strcasecmp(t->domain_spec, p->spf_include) == 0)
                has_provider = true;
            const char *text = t->text[0] == '+' ? t->text + 1 : t->text;
            n += (size_t)snprintf(buf + n, sizeof buf - n, " %s", text);
        }
        mm_spf_record_free(r);
    }
    if (p && !has_provider && n < sizeof buf - 64)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " include:%s", p->spf_include);
    bool ip_pass = c->eval && mm_spf_eval_result(c->eval) == MM_SPF_PASS;
    if (c->ip && !ip_pass && !ip_in_record(buf, c->ip) && n < sizeof buf - 64)
        n += (size_t)snprintf(buf + n, sizeof buf - n, " %s:%s",
                              strchr(c->ip, ':') ? "ip6" : "ip4", c->ip);
    if (n == 6 && n < sizeof buf - 8) /* nothing known: the domain's own MX hosts */
        n += (size_t)snprintf(buf + n, sizeof buf - n, " mx");
    snprintf(buf + n, sizeof buf - n, " -all");
    return ck_keep(c, buf);
}

static void build_spf(mm_checkup *c)
{
    const mm_checkup_section_id S = MM_CHECKUP_SPF;
    if (!c->lint)
        return;
    const mm_spf_eval *tree = mm_spf_lint_tree(c->lint);
    for (size_t i = 0; tree && i < mm_spf_eval_nnodes(tree); i++) {
        const mm_spf_node *nd = mm_spf_eval_node(tree, i);
        ck_evidence(c, S,
                    ck_keepf(c, "%*s%s%s%s TXT %s", (int)nd->depth * 2, "", nd->via ? nd->via : "",
                             nd->via ? ":" : "", nd->domain,
                             nd->record ? nd->record : mm_dns_result_name(nd->dns)));
    }
    bool need_fix = false, too_many = false;
    for (size_t i = 0; i < mm_spf_lint_nitems(c->lint); i++) {
        const mm_spf_lint_item *it = mm_spf_lint_item_at(c->lint, i);
        mm_checkup_status sev = it->fail ? MM_CHECKUP_FAIL : MM_CHECKUP_WARN;
        if (it->code == MM_SPF_LINT_TEMPERROR)
            sev = MM_CHECKUP_UNKNOWN;
        ck_find(c, S, ck_keepf(c, "spf.%s", mm_spf_lint_code_name(it->code)), sev,
                mm_spf_lint_code_message(it->code),
                ck_keepf(c, "%s%s%s", it->domain ? it->domain : "",
                         it->detail && *it->detail ? ": " : "", it->detail ? it->detail : ""));
        if (it->code == MM_SPF_LINT_TOO_MANY_LOOKUPS)
            too_many = true;
        else if (it->code != MM_SPF_LINT_TEMPERROR)
            need_fix = true;
    }
    ck_find(c, S, "spf.lookups", MM_CHECKUP_OK,
            N_("DNS look-ups counted over the whole include tree (the limit is 10)"),
            ck_keepf(c, "%u", mm_spf_lint_lookups(c->lint)));
    if (c->eval) {
        mm_spf_result r = mm_spf_eval_result(c->eval);
        mm_checkup_status sev = r == MM_SPF_PASS        ? MM_CHECKUP_OK
                                : r == MM_SPF_TEMPERROR ? MM_CHECKUP_UNKNOWN
                                                        : MM_CHECKUP_FAIL;
        ck_find(c, S, "spf.result", sev,
                N_("SPF result for the sending IP and the MAIL FROM domain"),
                ck_keepf(c, "%s %s: %s", c->ip, c->spf_domain, mm_spf_result_name(r)));
        if (sev == MM_CHECKUP_FAIL)
            need_fix = true;
    }
    if (c->helo_eval) {
        mm_spf_result r = mm_spf_eval_result(c->helo_eval);
        ck_find(c, S, "spf.helo",
                r == MM_SPF_PASS || r == MM_SPF_NONE ? MM_CHECKUP_OK : MM_CHECKUP_WARN,
                N_("SPF result for the sending IP and the HELO name"),
                ck_keepf(c, "%s %s: %s", c->ip, c->helo, mm_spf_result_name(r)));
    }
    settle(c, S);
    if (need_fix)
        ck_fix(c, S,
               N_("Publish this one SPF record as a TXT record at the domain (delete any other "
                  "v=spf1 record there):"),
               c->domain, spf_suggest(c));
    if (too_many)
        ck_fix(c, S,
               N_("Cut the DNS look-ups to 10 or fewer: drop includes of services you no longer "
                  "use, or replace an include with the ip4:/ip6: ranges it publishes."),
               c->domain, "");
}

static const char *dkim_provider_selectors(mm_checkup *c)
{
    const mm_checkup_provider *p = mm_checkup_provider_find(c->provider);
    return p && *p->selectors ? p->selectors : NULL;
}

static void build_dkim(mm_checkup *c)
{
    const mm_checkup_section_id S = MM_CHECKUP_DKIM;
    size_t seen = 0; /* selectors with a record, usable or not */
    for (size_t i = 0; c->keys && i < mm_dkim_keycheck_count(c->keys); i++) {
        const mm_dkim_key_info *k = mm_dkim_keycheck_get(c->keys, i);
        if (k->reason != MM_DKIM_R_KEY_NOT_FOUND)
            seen++;
        if (*k->record)
            ck_evidence(c, S, ck_keepf(c, "%s TXT %s", k->name, k->record));
        const char *sd = ck_keepf(c, "%s (%s %u)", k->name, k->key_type, k->key_bits);
        switch (k->reason) {
        case MM_DKIM_R_NONE:
            ck_find(c, S, "dkim.key_ok", MM_CHECKUP_OK, N_("A usable DKIM key is published"), sd);
            if (k->notes & MM_DKIM_NOTE_TESTING) {
                ck_find(c, S, "dkim.testing", MM_CHECKUP_WARN,
                        mm_dkim_note_message(MM_DKIM_NOTE_TESTING), k->name);
                ck_fix(c, S, N_("Remove t=y from the key record once signing works:"), k->name,
                       "");
            }
            if (k->notes & MM_DKIM_NOTE_WEAK_KEY) {
                ck_find(c, S, "dkim.weak_key", MM_CHECKUP_WARN,
                        mm_dkim_note_message(MM_DKIM_NOTE_WEAK_KEY), sd);
                ck_fix(c, S,
                       N_("Generate a 2048-bit RSA key, sign with it and publish its public key "
                          "at:"),
                       k->name, "");
            }
            break;
        case MM_DKIM_R_KEY_NOT_FOUND:
            if (c->explicit_selectors)
                ck_find(c, S, "dkim.key_not_found", MM_CHECKUP_FAIL,
                        mm_dkim_reason_message(k->reason), k->name);
            break;
        case MM_DKIM_R_KEY_TEMPERROR:
            ck_find(c, S, "dkim.key_temperror", MM_CHECKUP_UNKNOWN,
                    mm_dkim_reason_message(k->reason), k->name);
            break;
        default:
            ck_find(c, S, ck_keepf(c, "dkim.%s", mm_dkim_reason_name(k->reason)), MM_CHECKUP_FAIL,
                    mm_dkim_reason_message(k->reason), sd);
            ck_fix(c, S,
                   N_("Generate a new 2048-bit RSA key, sign with it and publish its public key "
                      "at:"),
                   k->name, "");
            break;
        }
    }
    if (c->keys && seen == 0 && !c->explicit_selectors && !c->dkim) {
        ck_find(c, S, "dkim.no_common_selector", MM_CHECKUP_WARN,
                N_("No DKIM key at the common selectors; name yours with --selector or check a "
                   "signed message with --message"),
                "");
        const char *ps = dkim_provider_selectors(c);
        ck_fix(c, S,
               N_("Turn on DKIM signing in your mail provider's console and publish the key it "
                  "gives you (selector):"),
               ck_keepf(c, "%s._domainkey.%s", ps ? ps : "SELECTOR", c->domain), "");
    }
    if (c->dkim) {
        size_t n = mm_dkim_report_count(c->dkim), pass = 0;
        for (size_t i = 0; i < n; i++)
            pass += mm_dkim_report_sig(c->dkim, i)->result == MM_DKIM_PASS;
        for (size_t i = 0; i < n; i++) {
            const mm_dkim_sig *s = mm_dkim_report_sig(c->dkim, i);
            const char *d = ck_keepf(c, "d=%s s=%s a=%s: %s%s%s", s->domain, s->selector,
                                     s->algorithm, mm_dkim_result_name(s->result),
                                     s->result == MM_DKIM_PASS ? "" : " ",
                                     s->result == MM_DKIM_PASS ? ""
                                                               : mm_dkim_reason_name(s->reason));
            if (*s->key_record)
                ck_evidence(c, S,
                            ck_keepf(c, "%s._domainkey.%s TXT %s", s->selector, s->domain,
                                     s->key_record));
            if (s->result == MM_DKIM_PASS) {
                ck_find(c, S, "dkim.signature_pass", MM_CHECKUP_OK,
                        N_("A DKIM signature of the message verifies"), d);
            } else {
                /* Another signature passing authenticates the message: then
                 * this one is only worth a warning. */
                ck_find(c, S, "dkim.signature_fail",
                        s->result == MM_DKIM_TEMPERROR ? MM_CHECKUP_UNKNOWN
                        : pass                         ? MM_CHECKUP_WARN
                                                       : MM_CHECKUP_FAIL,
                        mm_dkim_reason_message(s->reason), d);
            }
        }
        if (n == 0)
            ck_find(c, S, "dkim.unsigned", MM_CHECKUP_FAIL,
                    N_("The message has no DKIM-Signature: it was not signed"), "");
    }
    settle(c, S);
}

static void build_dmarc(mm_checkup *c)
{
    const mm_checkup_section_id S = MM_CHECKUP_DMARC;
    if (!c->dmarc_done) {
        ck_find(c, S, "dmarc.temperror", MM_CHECKUP_UNKNOWN,
                N_("The DMARC record could not be looked up (temporary DNS failure)"), "");
        settle(c, S);
        return;
    }
    const char *pd = *c->dmarc_policy_domain ? c->dmarc_policy_domain : c->domain;
    for (size_t i = 0; i < c->ndmarc_txt; i++)
        ck_evidence(c, S, ck_keepf(c, "_dmarc.%s TXT %s", pd, c->dmarc_txt[i]));
    const char *suggest = ck_keepf(c, "v=DMARC1; p=none; rua=mailto:dmarc-reports@%s",
                                   *c->dmarc_org ? c->dmarc_org : c->domain);
    const char *where = ck_keepf(c, "_dmarc.%s", *c->dmarc_org ? c->dmarc_org : c->domain);
    mm_checkup_dmarc_info *info = &c->dmarc_info;
    info->policy_domain = c->dmarc_policy_domain;
    info->record = "";
    info->policy = "unset";
    switch (c->dmarc_found) {
    case MM_DMARC_TEMPERROR:
        ck_find(c, S, "dmarc.temperror", MM_CHECKUP_UNKNOWN,
                N_("The DMARC record could not be looked up (temporary DNS failure)"), "");
        break;
    case MM_DMARC_NONE:
        ck_find(c, S, "dmarc.no_record", MM_CHECKUP_FAIL,
                N_("No DMARC record: Gmail, Yahoo and Outlook require one from bulk senders"), "");
        ck_fix(c, S,
               N_("Publish a DMARC record (start with p=none to collect reports, then move to "
                  "quarantine or reject):"),
               where, suggest);
        break;
    case MM_DMARC_MULTIPLE:
        ck_find(c, S, "dmarc.multiple", MM_CHECKUP_FAIL,
                N_("More than one DMARC record is published, so receivers apply none"), pd);
        ck_fix(c, S, N_("Keep exactly one v=DMARC1 TXT record at:"), ck_keepf(c, "_dmarc.%s", pd),
               "");
        break;
    default:
        if (c->dmarc_found == MM_DMARC_FOUND_ORG)
            ck_find(c, S, "dmarc.org_domain", MM_CHECKUP_OK,
                    N_("The record comes from the organizational domain"), pd);
        if (!c->dmarc_rec)
            break;
        info->found = true;
        info->record = c->dmarc_rec->text;
        info->policy = mm_dmarc_policy_name(c->dmarc_rec->p);
        if (c->dmarc_rec->outcome == MM_DMARC_OUTCOME_IGNORE) {
            ck_find(c, S, "dmarc.ignored", MM_CHECKUP_FAIL,
                    N_("The DMARC record is broken and receivers ignore it"),
                    c->dmarc_rec->ignore_reason);
            ck_fix(c, S, N_("Replace the DMARC record with:"), ck_keepf(c, "_dmarc.%s", pd),
                   suggest);
        } else {
            ck_find(c, S, "dmarc.policy", MM_CHECKUP_OK, N_("DMARC policy published"),
                    ck_keepf(c, "p=%s", info->policy));
        }
        for (size_t i = 0; i < c->dmarc_rec->nlints; i++) {
            const mm_dmarc_lint *l = &c->dmarc_rec->lints[i];
            mm_checkup_status sev = l->severity == MM_DMARC_ERROR  ? MM_CHECKUP_FAIL
                                    : l->severity == MM_DMARC_WARN ? MM_CHECKUP_WARN
                                                                   : MM_CHECKUP_OK;
            ck_find(c, S, ck_keepf(c, "dmarc.%s", l->id), sev, l->message,
                    *l->tag && *l->value ? ck_keepf(c, "%s=%s", l->tag, l->value)
                    : *l->tag            ? l->tag
                                         : l->value);
            if (strcmp(l->id, "p_none") == 0)
                ck_fix(c, S,
                       N_("When the aggregate reports show all your mail passes, change p=none "
                          "to p=quarantine, then p=reject, at:"),
                       ck_keepf(c, "_dmarc.%s", pd), "");
        }
        break;
    }
    for (size_t i = 0; i < c->ndests; i++) {
        if (c->dests[i].status == MM_DMARC_DEST_UNAUTHORIZED) {
            ck_find(c, S, "dmarc.external_unauthorized", MM_CHECKUP_WARN,
                    N_("An external report address has not authorized reports for this domain, so "
                       "receivers send nothing there"),
                    c->dests[i].uri);
            ck_fix(c, S,
                   N_("Ask the owner of the report address to publish this TXT record:"),
                   c->dests[i].query, "v=DMARC1");
        } else if (c->dests[i].status == MM_DMARC_DEST_TEMPERROR) {
            ck_find(c, S, "dmarc.external_temperror", MM_CHECKUP_UNKNOWN,
                    N_("The authorization of an external report address could not be checked"),
                    c->dests[i].uri);
        }
    }
    settle(c, S);
}

/* With --message: the DMARC result from the SPF result for the envelope and
 * the DKIM results. */
static void dmarc_message(mm_checkup *c)
{
    mm_checkup_dmarc_info *info = &c->dmarc_info;
    if (!c->dkim || !c->dmarc)
        return;
    info->has_message = true;
    info->from_domain = c->msg_from_domain ? c->msg_from_domain : "";
    mm_dmarc_dkim dk[16];
    size_t nd = 0;
    for (size_t i = 0; i < mm_dkim_report_count(c->dkim) && nd < 16; i++) {
        const mm_dkim_sig *s = mm_dkim_report_sig(c->dkim, i);
        dk[nd].domain = s->domain;
        dk[nd].result = s->result == MM_DKIM_PASS        ? MM_DMARC_AUTH_PASS
                        : s->result == MM_DKIM_TEMPERROR ? MM_DMARC_AUTH_TEMPERROR
                        : s->result == MM_DKIM_FAIL      ? MM_DMARC_AUTH_FAIL
                                                         : MM_DMARC_AUTH_PERMERROR;
        nd++;
    }
    mm_spf_result sr = c->eval ? mm_spf_eval_result(c->eval) : MM_SPF_NONE;
    mm_dmarc_auth in = {
        .from_domain = c->msg_from_domain ? c->msg_from_domain : c->domain,
        .spf_domain = c->spf_domain ? c->spf_domain : c->domain,
        .spf = sr == MM_SPF_PASS        ? MM_DMARC_AUTH_PASS
               : sr == MM_SPF_TEMPERROR ? MM_DMARC_AUTH_TEMPERROR
               : sr == MM_SPF_PERMERROR ? MM_DMARC_AUTH_PERMERROR
               : sr == MM_SPF_NONE      ? MM_DMARC_AUTH_NONE
                                        : MM_DMARC_AUTH_FAIL,
        .ndkim = nd,
        .dkim = dk,
    };
    mm_dmarc_verdict *v = &info->verdict;
    if (c->dmarc_found == MM_DMARC_NONE)
        v->result = MM_DMARC_RESULT_NONE;
    else if (c->dmarc_found == MM_DMARC_MULTIPLE)
        v->result = MM_DMARC_RESULT_PERMERROR;
    else if (c->dmarc_found == MM_DMARC_TEMPERROR || !c->dmarc_done)
        v->result = MM_DMARC_RESULT_TEMPERROR;
    else if (c->dmarc_rec)
        mm_dmarc_evaluate(c->dmarc, c->dmarc_rec, c->dmarc_policy_domain, &in, 0, v);
    if (v->dkim_domain)
        v->dkim_domain = ck_keep(c, v->dkim_domain); /* dk[] goes away */
    mm_checkup_status sev = v->result == MM_DMARC_RESULT_PASS        ? MM_CHECKUP_OK
                            : v->result == MM_DMARC_RESULT_TEMPERROR ? MM_CHECKUP_UNKNOWN
                                                                     : MM_CHECKUP_FAIL;
    ck_find(c, MM_CHECKUP_DMARC, "dmarc.message_result", sev,
            N_("DMARC result for the message (SPF or DKIM aligned with the From domain)"),
            ck_keepf(c, "%s (spf %s, dkim %s)", mm_dmarc_result_name(v->result),
                     v->spf_aligned ? "aligned" : "not aligned",
                     v->dkim_aligned ? "aligned" : "not aligned"));
    settle(c, MM_CHECKUP_DMARC);
}

static void build_mx(mm_checkup *c)
{
    const mm_checkup_section_id S = MM_CHECKUP_MX;
    const mm_mx_result *r = c->mx;
    if (!r) {
        ck_find(c, S, "mx.error", MM_CHECKUP_UNKNOWN, mm_mx_status_message(MM_MX_ERROR), "");
        settle(c, S);
        return;
    }
    for (size_t i = 0; i < r->nhosts; i++) {
        const mm_mx_host *h = &r->hosts[i];
        ck_evidence(c, S,
                    r->implicit_mx ? ck_keepf(c, "%s (no MX: A/AAAA)", r->domain)
                                   : ck_keepf(c, "%s MX %u %s", r->domain, h->preference,
                                              *h->name ? h->name : "."));
        for (size_t j = 0; j < h->naddrs; j++)
            ck_evidence(c, S, ck_keepf(c, "  %s %s %s", h->name,
                                       strchr(h->addrs[j].text, ':') ? "AAAA" : "A",
                                       h->addrs[j].text));
    }
    mm_checkup_status sev;
    switch (r->status) {
    case MM_MX_OK: sev = MM_CHECKUP_OK; break;
    case MM_MX_IMPLICIT:
    case MM_MX_NULL_MX: sev = MM_CHECKUP_WARN; break;
    default: sev = mm_mx_status_is_temporary(r->status) ? MM_CHECKUP_UNKNOWN : MM_CHECKUP_FAIL;
    }
    ck_find(c, S, ck_keepf(c, "mx.%s", mm_mx_status_name(r->status)), sev,
            mm_mx_status_message(r->status), r->domain);
    if (sev == MM_CHECKUP_FAIL || r->status == MM_MX_IMPLICIT)
        ck_fix(c, S,
               N_("Publish MX records naming your mail provider's servers, so replies and "
                  "bounces can reach you:"),
               c->domain, "");
    settle(c, S);
}

/* ---- PTR ---- */

static bool has_word(const char *name, const char *w)
{
    const char *p = name;
    size_t n = strlen(w);
    while ((p = strstr(p, w)) != NULL) {
        /* a word: not glued to other letters on the left (dyn-, .dsl, 123dsl) */
        if (p == name || !isalpha((unsigned char)p[-1]))
            return true;
        p += n;
    }
    (void)n;
    return false;
}

bool mm_checkup_ptr_generic(const char *name, const char *ip)
{
    static const char *const words[] = {"dynamic", "dyn", "dhcp", "pool", "dsl", "adsl", "cable",
                                        "ppp", "dial", "dialup", "broadband", "client", "cust",
                                        "customer", "static", "host-", "ip-", "unassigned",
                                        "user", "home", "res", "ftth", "fttx", "nat"};
    if (!name || !*name)
        return false;
    char low[256];
    size_t n = 0;
    for (; name[n] && n < sizeof low - 1; n++)
        low[n] = (char)tolower((unsigned char)name[n]);
    low[n] = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (has_word(low, words[i]))
            return true;
    /* The IPv4 address's octets in the name, in either order, with any
     * separator: 192-0-2-1, 1.2.0.192, 192x0x2x1, c0000201 (hex). */
    unsigned char b[4];
    if (ip && inet_pton(AF_INET, ip, b) == 1) {
        char s1[32], s2[32], hex[16];
        int hits = 0;
        snprintf(hex, sizeof hex, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
        if (strstr(low, hex))
            return true;
        for (char sep = 0; sep < 127; sep++) {
            if (sep && sep != '-' && sep != '.' && sep != '_' && sep != 'x')
                continue;
            if (sep) {
                snprintf(s1, sizeof s1, "%u%c%u%c%u%c%u", b[0], sep, b[1], sep, b[2], sep, b[3]);
                snprintf(s2, sizeof s2, "%u%c%u%c%u%c%u", b[3], sep, b[2], sep, b[1], sep, b[0]);
            } else {
                snprintf(s1, sizeof s1, "%03u%03u%03u%03u", b[0], b[1], b[2], b[3]);
                snprintf(s2, sizeof s2, "%03u%03u%03u%03u", b[3], b[2], b[1], b[0]);
            }
            hits += strstr(low, s1) != NULL || strstr(low, s2) != NULL;
        }
        if (hits)
            return true;
        /* the last two octets, as in "...-2-1.pool" without the word */
        snprintf(s1, sizeof s1, "%u-%u-%u", b[1], b[2], b[3]);
        if (strstr(low, s1))
            return true;
    }
    return false;
}

static void build_ptr(mm_checkup *c)
{
    const mm_checkup_section_id S = MM_CHECKUP_PTR;
    mm_checkup_ptr_info *p = &c->ptr;
    p->names = c->ptr_names;
    p->confirmed = "";
    if (!c->ptr_run) {
        ck_find(c, S, "ptr.no_ip", MM_CHECKUP_UNKNOWN,
                N_("No sending IP given (--ip): reverse DNS not checked"), "");
        settle(c, S);
        return;
    }
    for (size_t i = 0; i < p->nnames; i++) {
        ck_evidence(c, S, ck_keepf(c, "%s PTR %s%s", p->ptr_name, p->names[i],
                                   c->ptr_ctx[i].confirmed ? " (forward-confirmed)" : ""));
        if (c->ptr_ctx[i].confirmed && !p->fcrdns) {
            p->fcrdns = true;
            p->confirmed = p->names[i];
        }
        if (c->helo && strcasecmp(c->helo, p->names[i]) == 0 && c->ptr_ctx[i].confirmed)
            p->helo_match = true;
    }
    const char *name = *p->confirmed ? p->confirmed : p->nnames ? p->names[0] : "";
    p->generic = mm_checkup_ptr_generic(name, c->ip);
    const char *fixname = p->ptr_name;
    const char *fixval = c->helo ? c->helo : c->domain ? ck_keepf(c, "mail.%s", c->domain) : "";
    if (p->nnames == 0) {
        if (p->temporary) {
            ck_find(c, S, "ptr.temperror", MM_CHECKUP_UNKNOWN,
                    N_("The reverse DNS look-up failed temporarily"), p->ptr_name);
        } else {
            ck_find(c, S, "ptr.missing", MM_CHECKUP_FAIL,
                    N_("The sending IP has no PTR record: Gmail, Yahoo and most Chinese "
                       "receivers refuse such mail"),
                    ck_keepf(c, "%s: %s", p->ptr_name, mm_dns_result_name(p->result)));
            ck_fix(c, S,
                   N_("Ask whoever runs the IP (your hosting company or ISP) to set its PTR "
                      "record to a name that resolves back to the IP:"),
                   fixname, fixval);
        }
    } else if (!p->fcrdns) {
        ck_find(c, S, p->temporary ? "ptr.temperror" : "ptr.not_fcrdns",
                p->temporary ? MM_CHECKUP_UNKNOWN : MM_CHECKUP_FAIL,
                N_("The PTR name does not resolve back to the sending IP (not forward-confirmed)"),
                name);
        if (!p->temporary)
            ck_fix(c, S,
                   N_("Publish an A/AAAA record for the PTR name pointing at the IP, or have the "
                      "PTR changed to a name that does:"),
                   name, c->ip);
    } else {
        ck_find(c, S, "ptr.ok", MM_CHECKUP_OK,
                N_("The PTR name resolves back to the sending IP (forward-confirmed)"), name);
    }
    if (p->nnames && p->generic) {
        ck_find(c, S, "ptr.generic", MM_CHECKUP_WARN,
                N_("The PTR name looks generic or dynamic (IP digits or words like dynamic, "
                   "pool, dsl); receivers treat such senders as home connections"),
                name);
        ck_fix(c, S, N_("Have the PTR set to a mail-specific name in your own domain:"), fixname,
               fixval);
    }
    if (c->helo && p->fcrdns && !p->helo_match)
        ck_find(c, S, "ptr.helo_mismatch", MM_CHECKUP_WARN,
                N_("The HELO name is not the IP's forward-confirmed PTR name"),
                ck_keepf(c, "HELO %s, PTR %s", c->helo, p->confirmed));
    settle(c, S);
}

/* ---- public ---- */

static bool valid_ip(const char *ip, int *family, unsigned char *bytes)
{
    if (inet_pton(AF_INET, ip, bytes) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, ip, bytes) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

static char *dup_lower(const char *s, mm_status_t *st)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d) {
        *st = MM_ENOMEM;
        return NULL;
    }
    size_t n = strlen(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (char)tolower((unsigned char)d[i]);
    if (n && d[n - 1] == '.')
        d[n - 1] = 0;
    return d;
}

mm_status_t mm_checkup_run(mm_dns *d, const char *domain, const mm_checkup_opts *o,
                           mm_checkup **out)
{
    static const mm_checkup_opts none = {0};
    if (!d || !out)
        return MM_EINVAL;
    *out = NULL;
    if (!o)
        o = &none;
    if (domain && !*domain)
        return MM_EINVAL;
    mm_checkup *c = calloc(1, sizeof *c);
    if (!c)
        return MM_ENOMEM;
    mm_status_t st = MM_OK;
    c->dns = d;
    c->domain = dup_lower(domain, &st);
    c->ip = o->ip ? strdup(o->ip) : NULL;
    c->mail_from = o->mail_from ? strdup(o->mail_from) : NULL;
    c->helo = dup_lower(o->helo, &st);
    c->provider = o->provider ? strdup(o->provider) : NULL;
    if ((o->ip && !c->ip) || (o->mail_from && !c->mail_from) || (o->provider && !c->provider))
        st = MM_ENOMEM;
    if (st == MM_OK && c->ip && !valid_ip(c->ip, &c->ip_family, c->ip_bytes))
        st = MM_EINVAL;
    /* ::ffff:192.0.2.1 is the IPv4 sender: its PTR is under in-addr.arpa and
     * its forward record an A (SPF treats it as IPv4 too, RFC 7208 5). */
    if (st == MM_OK && c->ip && c->ip_family == AF_INET6 &&
        memcmp(c->ip_bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
        char v4[INET_ADDRSTRLEN];
        memmove(c->ip_bytes, c->ip_bytes + 12, 4);
        c->ip_family = AF_INET;
        inet_ntop(AF_INET, c->ip_bytes, v4, sizeof v4);
        free(c->ip);
        if (!(c->ip = strdup(v4)))
            st = MM_ENOMEM;
    }
    for (int i = 0; i < MM_CHECKUP_SECTION_MAX_; i++) {
        c->sec[i].pub.id = (mm_checkup_section_id)i;
        c->sec[i].pub.findings = c->sec[i].findings;
        c->sec[i].pub.evidence = c->sec[i].evidence;
        c->sec[i].pub.fixes = c->sec[i].fixes;
        c->sec[i].pub.status = MM_CHECKUP_NOT_CHECKED;
    }
    if (st == MM_OK && o->message) {
        c->msg_from_domain = header_domain(c, o->message, o->message_len, "From");
        const char *rp = header_domain(c, o->message, o->message_len, "Return-Path");
        if (rp && !c->mail_from)
            c->msg_mail_from = ck_keepf(c, "postmaster@%s", rp);
    }
    if (st == MM_OK)
        st = start_all(c, o);
    if (st == MM_OK)
        st = run_spf(c, o);
    if (st == MM_OK)
        st = mm_dns_run(d);
    if (st == MM_OK) {
        if (c->sec[MM_CHECKUP_SPF].run)
            build_spf(c);
        if (c->sec[MM_CHECKUP_DKIM].run)
            build_dkim(c);
        if (c->sec[MM_CHECKUP_DMARC].run) {
            build_dmarc(c);
            dmarc_message(c);
        }
        if (c->sec[MM_CHECKUP_MX].run)
            build_mx(c);
        if (c->sec[MM_CHECKUP_PTR].run)
            build_ptr(c);
        if (c->sec[MM_CHECKUP_DNSBL].run)
            ck_build_dnsbl(c);
        if (c->sec[MM_CHECKUP_MTASTS].run)
            ck_build_mta_sts(c);
        ck_build_verdicts(c);
        st = c->oom;
    }
    if (st != MM_OK) {
        mm_checkup_free(c);
        return st;
    }
    *out = c;
    return MM_OK;
}

void mm_checkup_free(mm_checkup *c)
{
    if (!c)
        return;
    if (c->dns)
        mm_dns_cancel(c->dns, c);
    mm_spf_lint_free(c->lint);
    mm_spf_eval_free(c->eval);
    mm_spf_eval_free(c->helo_eval);
    mm_spf_free(c->spf);
    mm_dkim_keycheck_free(c->keys);
    mm_dkim_report_free(c->dkim);
    mm_dmarc_record_free(c->dmarc_rec);
    mm_dmarc_free(c->dmarc);
    mm_mx_result_unref(c->mx);
    mm_mailcheck_free(c->mc);
    mm_dnsbl_free(c->bl);
    mm_transport_free(c->tr);
    for (size_t i = 0; i < c->nstrs; i++)
        free(c->strs[i]);
    free(c->strs);
    free(c->domain);
    free(c->ip);
    free(c->mail_from);
    free(c->helo);
    free(c->provider);
    free(c);
}

const char *mm_checkup_domain(const mm_checkup *c)
{
    return c && c->domain ? c->domain : "";
}

const mm_checkup_section *mm_checkup_section_get(const mm_checkup *c, mm_checkup_section_id id)
{
    if (!c || (unsigned)id >= MM_CHECKUP_SECTION_MAX_ || !c->sec[id].run)
        return NULL;
    return &c->sec[id].pub;
}

int mm_checkup_score(const mm_checkup *c)
{
    int score = 100;
    for (int i = 0; c && i < MM_CHECKUP_SECTION_MAX_; i++) {
        if (!c->sec[i].run)
            continue;
        bool core = i == MM_CHECKUP_SPF || i == MM_CHECKUP_DKIM || i == MM_CHECKUP_DMARC;
        if (c->sec[i].pub.status == MM_CHECKUP_FAIL)
            score -= core ? 30 : 20;
        else if (c->sec[i].pub.status == MM_CHECKUP_WARN)
            score -= 10;
    }
    return score < 0 ? 0 : score;
}

char mm_checkup_grade(const mm_checkup *c)
{
    int s = mm_checkup_score(c);
    return s >= 90 ? 'A' : s >= 75 ? 'B' : s >= 60 ? 'C' : s >= 40 ? 'D' : 'F';
}

size_t mm_checkup_nverdicts(const mm_checkup *c)
{
    return c ? c->nverdicts : 0;
}

const mm_checkup_verdict *mm_checkup_verdict_at(const mm_checkup *c, size_t i)
{
    return c && i < c->nverdicts ? &c->verdicts[i] : NULL;
}

const mm_spf_lint *mm_checkup_spf_lint(const mm_checkup *c) { return c ? c->lint : NULL; }
const mm_spf_eval *mm_checkup_spf_eval(const mm_checkup *c) { return c ? c->eval : NULL; }
const mm_spf_eval *mm_checkup_spf_helo_eval(const mm_checkup *c)
{
    return c ? c->helo_eval : NULL;
}
const mm_dkim_report *mm_checkup_dkim_report(const mm_checkup *c) { return c ? c->dkim : NULL; }
const mm_dkim_keycheck *mm_checkup_dkim_keys(const mm_checkup *c) { return c ? c->keys : NULL; }
const mm_checkup_dmarc_info *mm_checkup_dmarc(const mm_checkup *c)
{
    return c && c->sec[MM_CHECKUP_DMARC].run ? &c->dmarc_info : NULL;
}
const mm_checkup_ptr_info *mm_checkup_ptr(const mm_checkup *c)
{
    return c && c->ptr_run ? &c->ptr : NULL;
}
