/*
 * dmarc.c - the DMARC checker: its Public Suffix List handle, the
 * Organizational Domain (RFC 7489 3.2), identifier alignment (3.1) and the
 * DMARC result with sp and pct (6.6.2, 6.6.4).
 *
 * The Organizational Domain is libpsl's registrable domain, with every rule
 * of the list (ICANN and private sections), as RFC 7489 3.2 step 3 asks for
 * "the longest public suffix" plus one label.  The PSL changes often: the
 * data in use is the system file (psl_latest), or a file the caller pins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc_int.h"
#include "util/str.h"

mm_status_t mm_dmarc_create(mm_dns *d, const mm_dmarc_opts *o, mm_dmarc **out)
{
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    mm_dmarc *c = calloc(1, sizeof *c);
    if (!c)
        return MM_ENOMEM;
    c->dns = d;
    c->no_external = o && o->no_external;
    if (o && o->psl_file) {
        if (!(c->psl = psl_load_file(o->psl_file))) {
            free(c);
            return MM_EIO;
        }
    } else {
        c->psl = psl_latest(NULL);
    }
    c->view = c->psl ? c->psl : psl_builtin();
    if (!c->view) {
        free(c);
        return MM_EIO;
    }
    *out = c;
    return MM_OK;
}

void mm_dmarc_free(mm_dmarc *c)
{
    if (!c)
        return;
    mm_dmarc_discover_cancel_all(c);
    psl_free(c->psl);
    free(c);
}

bool mm_dmarc_norm_domain(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n && in[n - 1] == '.')
        n--;
    if (n == 0 || n >= outlen)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = mm_lower(in[i]);
    out[n] = '\0';
    return true;
}

mm_status_t mm_dmarc_org_domain(const mm_dmarc *c, const char *domain, char *out, size_t outlen)
{
    if (!c || !domain || !out || outlen == 0)
        return MM_EINVAL;
    char name[1024];
    size_t n = strlen(domain);
    if (n && domain[n - 1] == '.')
        n--;
    /* an empty label (leading dot, "a..b") has no registrable domain */
    if (n == 0 || n >= sizeof name || domain[0] == '.' || memmem(domain, n, "..", 2))
        return n >= sizeof name ? MM_ETOOBIG : MM_ENOTFOUND;
    memcpy(name, domain, n);
    name[n] = '\0';
    char *lower = NULL;
    /* libpsl wants lower-case UTF-8; this also lower-cases U-labels */
    if (psl_str_to_utf8lower(name, "utf-8", NULL, &lower) != PSL_SUCCESS)
        return MM_EINVAL;
    const char *rd = psl_registrable_domain(c->view, lower);
    mm_status_t st = MM_OK;
    if (!rd)
        st = MM_ENOTFOUND;
    else if (strlen(rd) >= outlen)
        st = MM_ETOOBIG;
    else
        memcpy(out, rd, strlen(rd) + 1);
    psl_free_string(lower);
    return st;
}

bool mm_dmarc_aligned(const mm_dmarc *c, const char *from, const char *a, mm_dmarc_mode mode)
{
    char f[256], x[256];
    if (!c || !from || !a || !mm_dmarc_norm_domain(from, f, sizeof f) ||
        !mm_dmarc_norm_domain(a, x, sizeof x))
        return false;
    if (strcmp(f, x) == 0)
        return true;
    if (mode == MM_DMARC_STRICT)
        return false;
    char of[256], ox[256];
    return mm_dmarc_org_domain(c, f, of, sizeof of) == MM_OK &&
           mm_dmarc_org_domain(c, x, ox, sizeof ox) == MM_OK && strcmp(of, ox) == 0;
}

mm_status_t mm_dmarc_report_name(const char *policy_domain, const char *dest_domain, char *out,
                                 size_t outlen)
{
    char p[256], d[256];
    if (!policy_domain || !dest_domain || !out ||
        !mm_dmarc_norm_domain(policy_domain, p, sizeof p) ||
        !mm_dmarc_norm_domain(dest_domain, d, sizeof d))
        return MM_EINVAL;
    int n = snprintf(out, outlen, "%s._report._dmarc.%s", p, d);
    if (n < 0 || (size_t)n >= outlen || n > 253)
        return MM_ETOOBIG;
    return MM_OK;
}

/* 6.6.4: a message left out by pct gets the next weaker policy. */
static mm_dmarc_policy step_down(mm_dmarc_policy p)
{
    return p == MM_DMARC_POLICY_REJECT ? MM_DMARC_POLICY_QUARANTINE : MM_DMARC_POLICY_NONE;
}

static void check_dkim(const mm_dmarc *c, const mm_dmarc_record *rec, const mm_dmarc_auth *in,
                       mm_dmarc_verdict *out)
{
    for (size_t i = 0; i < in->ndkim && in->dkim; i++) {
        const mm_dmarc_dkim *k = &in->dkim[i];
        if (k->result == MM_DMARC_AUTH_PASS && k->domain &&
            mm_dmarc_aligned(c, in->from_domain, k->domain, rec->adkim)) {
            out->dkim_aligned = true;
            out->dkim_domain = k->domain;
            return;
        }
    }
}

mm_status_t mm_dmarc_evaluate(const mm_dmarc *c, const mm_dmarc_record *rec,
                              const char *policy_domain, const mm_dmarc_auth *in, unsigned sample,
                              mm_dmarc_verdict *out)
{
    if (!out)
        return MM_EINVAL;
    memset(out, 0, sizeof *out);
    if (!c || !rec || !policy_domain || !in || !in->from_domain)
        return MM_EINVAL;
    if (rec->outcome == MM_DMARC_OUTCOME_IGNORE) {
        /* RFC 8601 2.7.1: a broken DMARC record is a permerror; a non-DMARC text none */
        out->result = strcmp(rec->ignore_reason, "not_dmarc") == 0 ? MM_DMARC_RESULT_NONE
                                                                   : MM_DMARC_RESULT_PERMERROR;
        return MM_OK;
    }
    out->spf_aligned = in->spf == MM_DMARC_AUTH_PASS && in->spf_domain &&
                       mm_dmarc_aligned(c, in->from_domain, in->spf_domain, rec->aspf);
    check_dkim(c, rec, in, out);
    char f[256], p[256];
    out->subdomain_policy = mm_dmarc_norm_domain(in->from_domain, f, sizeof f) &&
                            mm_dmarc_norm_domain(policy_domain, p, sizeof p) && strcmp(f, p) != 0;
    if (out->spf_aligned || out->dkim_aligned) {
        out->result = MM_DMARC_RESULT_PASS;
        out->policy = out->applied = MM_DMARC_POLICY_NONE;
        return MM_OK;
    }
    out->result = MM_DMARC_RESULT_FAIL;
    out->policy = out->subdomain_policy ? rec->sp : rec->p;
    out->applied = out->policy;
    if (sample >= rec->pct && out->policy != MM_DMARC_POLICY_NONE) {
        out->sampled_out = true;
        out->applied = step_down(out->policy);
    }
    return MM_OK;
}

mm_status_t mm_dmarc_evaluate_lookup(const mm_dmarc *c, const mm_dmarc_lookup *lk,
                                     const mm_dmarc_auth *in, unsigned sample,
                                     mm_dmarc_verdict *out)
{
    if (!out)
        return MM_EINVAL;
    memset(out, 0, sizeof *out);
    if (!c || !lk || !in)
        return MM_EINVAL;
    switch (lk->found) {
    case MM_DMARC_FOUND:
    case MM_DMARC_FOUND_ORG:
        return mm_dmarc_evaluate(c, lk->record, lk->policy_domain, in, sample, out);
    case MM_DMARC_MULTIPLE:
        out->result = MM_DMARC_RESULT_PERMERROR;
        break;
    case MM_DMARC_TEMPERROR:
        out->result = MM_DMARC_RESULT_TEMPERROR;
        break;
    default:
        out->result = MM_DMARC_RESULT_NONE;
        break;
    }
    return MM_OK;
}

const char *mm_dmarc_result_name(mm_dmarc_result r)
{
    static const char *const n[] = {"none", "pass", "fail", "temperror", "permerror"};
    return (unsigned)r < 5 ? n[r] : "unknown";
}

const char *mm_dmarc_found_name(mm_dmarc_found f)
{
    static const char *const n[] = {"found", "found_org", "none", "multiple", "temperror"};
    return (unsigned)f < 5 ? n[f] : "unknown";
}

const char *mm_dmarc_dest_status_name(mm_dmarc_dest_status s)
{
    static const char *const n[] = {"internal", "authorized", "unauthorized", "temperror",
                                    "not_checked"};
    return (unsigned)s < 5 ? n[s] : "unknown";
}
