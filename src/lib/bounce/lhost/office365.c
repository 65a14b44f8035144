/*
 * office365.c - Microsoft Office 365 / Exchange Online non-delivery reports.
 *
 * Exchange Online writes a readable notice ("Delivery has failed to these
 * recipients or groups:") and, for administrators, a block per recipient:
 *   Diagnostic information for administrators:
 *   Generating server: NAME.prod.outlook.com
 *   user@example.org
 *   mx.example.org                          (the remote host, if any)
 *   Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; ...'
 *   Original message headers:
 * Relayed failures list each attempt instead: "DATE - Server at HOST
 * returned '450 4.4.316 ...'".  Most notices also carry a delivery-status
 * part, which rfc3464.c reads; the administrators' block then only adds the
 * remote host.  Without that part, the block is the whole report.
 *
 * The notice is recognised by a mark that Exchange wrote it and one that
 * it came from Microsoft's cloud (its header fields and hosts), so another
 * MTA's bounce that merely passed through Exchange Online is left to its
 * own decoder.  On-premises Exchange (2007 and later) writes the same
 * notice; mm_decode_exchange() reads it with the same block reader, but
 * without Exchange Online's code hints.
 * Microsoft documents its enhanced status codes in "Email non-delivery
 * reports and SMTP errors in Exchange Online"; the codes whose meaning is
 * fixed there become hints.
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* Exchange Online's own status codes ('#' = any digit), from Microsoft's
 * NDR reference; the first matching row wins. */
static const mm_words ms_codes[] = {
    {"4.4.7", MM_REASON_EXPIRED},        {"4.4.312", MM_REASON_NETWORKERROR},
    {"4.4.316", MM_REASON_EXPIRED},      {"4.7.26", MM_REASON_AUTHFAILURE},
    {"4.7.5##", MM_REASON_BLOCKED},      {"4.7.6##", MM_REASON_BLOCKED},
    {"4.7.85#", MM_REASON_BLOCKED},      {"4.7.86#", MM_REASON_BLOCKED},
    {"4.7.87#", MM_REASON_BLOCKED},      {"4.7.88#", MM_REASON_BLOCKED},
    {"4.7.89#", MM_REASON_BLOCKED},      {"5.0.350", MM_REASON_CONTENTERROR},
    {"5.1.10", MM_REASON_USERUNKNOWN},   {"5.4.1", MM_REASON_NORELAYING},
    {"5.4.6", MM_REASON_NETWORKERROR},   {"5.4.312", MM_REASON_NETWORKERROR},
    {"5.4.316", MM_REASON_EXPIRED},      {"5.6.11", MM_REASON_CONTENTERROR},
    {"5.7.1", MM_REASON_REJECTED},       {"5.7.12", MM_REASON_REJECTED},
    {"5.7.13", MM_REASON_REJECTED},      {"5.7.124", MM_REASON_REJECTED},
    {"5.7.133", MM_REASON_REJECTED},     {"5.7.134", MM_REASON_REJECTED},
    {"5.7.135", MM_REASON_REJECTED},     {"5.7.136", MM_REASON_REJECTED},
    {"5.7.23", MM_REASON_BLOCKED},       {"5.7.25", MM_REASON_NETWORKERROR},
    {"5.7.501", MM_REASON_SPAMDETECTED}, {"5.7.502", MM_REASON_SPAMDETECTED},
    {"5.7.503", MM_REASON_SPAMDETECTED}, {"5.7.504", MM_REASON_FILTERED},
    {"5.7.505", MM_REASON_FILTERED},     {"5.7.506", MM_REASON_BLOCKED},
    {"5.7.507", MM_REASON_BLOCKED},      {"5.7.508", MM_REASON_TOOMANYCONN},
    {"5.7.509", MM_REASON_AUTHFAILURE},  {"5.7.510", MM_REASON_NOTACCEPT},
    {"5.7.511", MM_REASON_REJECTED},     {"5.7.512", MM_REASON_POLICYVIOLATION},
    {"5.7.57", MM_REASON_SECURITYERROR}, {"5.7.606", MM_REASON_BLOCKED},
    {"5.7.607", MM_REASON_BLOCKED},      {"5.7.608", MM_REASON_BLOCKED},
    {"5.7.609", MM_REASON_BLOCKED},      {"5.7.61#", MM_REASON_BLOCKED},
    {"5.7.62#", MM_REASON_BLOCKED},      {"5.7.63#", MM_REASON_BLOCKED},
    {"5.7.64#", MM_REASON_BLOCKED},      {"5.7.70#", MM_REASON_TOOMANYCONN},
    {"5.7.71#", MM_REASON_TOOMANYCONN},  {"5.7.72#", MM_REASON_TOOMANYCONN},
    {"5.7.73#", MM_REASON_TOOMANYCONN},  {"5.7.74#", MM_REASON_TOOMANYCONN},
    {NULL, MM_REASON_UNDEFINED}};

/* Headings of the administrators' block and of what follows it, in the
 * languages the notices come in (English, Dutch, Portuguese). */
static const char *const admin_marks[] = {
    "Diagnostic information for administrators:", "Diagnostische gegevens voor beheerders:",
    "de diagnóstico para administradores:", "Error Details", NULL};
static const char *const end_marks[] = {
    "Original message headers:", "Message Hops",
    "Oorspronkelijke berichtkoppen:", "originais da mensagem:", NULL};
static const char *const lead_marks[] = {"Delivery has failed to these recipients or groups:",
                                         "rejected your message to the following e",
                                         "Uw bericht kan niet worden bezorgd bij",
                                         "Falha na entrega a estes destinat", NULL};

/* Marks that Exchange Online wrote the notice itself, as opposed to only
 * receiving another MTA's bounce (which gets CrossTenant fields too). */
/* Does the subject hold "Undeliverable:", "Onbestelbaar:" or "entregue:"
 * (ASCII case folded)?  Each ends with the colon, so only the words before
 * each colon are compared, instead of a search per word. */
static bool ndr_subject(const char *subj)
{
    static const struct {
        const char *word;
        size_t len;
    } words[] = {{"undeliverable", 13}, {"onbestelbaar", 12}, {"entregue", 8}};
    for (const char *c = subj ? strchr(subj, ':') : NULL; c; c = strchr(c + 1, ':'))
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            size_t k = words[i].len;
            if ((size_t)(c - subj) < k)
                continue;
            const char *p = c - k;
            size_t j = 0;
            while (j < k && mm_lower(p[j]) == words[i].word[j])
                j++;
            if (j == k)
                return true;
        }
    return false;
}

/* Every test here is a pure look-up, so their order changes no answer,
 * only the cost: the report's lower-cased facts first, then the field
 * walks (each a pass over the whole header). */
static bool generator_mark(const mm_msg *m, const mm_report *r)
{
    if (mm_prov_lc_has_by(r->message_id_lc, r->message_id_len, ".prod.outlook.com", 'k') ||
        ndr_subject(r->subject))
        return true;
    return mm_fields_get(&m->head, "X-MS-Exchange-Message-Is-Ndr") != NULL;
}

/* One mark of Microsoft's cloud is enough: the first found answers. */
static bool cloud_mark(const mm_msg *m, const mm_report *r)
{
    static const char *const fields[] = {"X-Microsoft-Antispam-PRVS",
                                         "X-Exchange-Antispam-Report-Test",
                                         "X-MS-Exchange-CrossTenant-OriginalArrivalTime",
                                         "X-MS-Exchange-CrossTenant-FromEntityHeader",
                                         "X-MS-Office365-Filtering-Correlation-Id",
                                         "X-MS-TrafficTypeDiagnostic",
                                         NULL};
    if (mm_prov_lc_has_by(r->message_id_lc, r->message_id_len, ".prod.outlook.com", 'k'))
        return true;
    for (size_t i = 0; fields[i]; i++)
        if (mm_fields_get(&m->head, fields[i]))
            return true;
    return mm_mta_any_header_has(m, "Received", ".outbound.protection.outlook.com") ||
           mm_mta_any_header_has(m, "Received", ".prod.outlook.com");
}

/* Written by Exchange, and by the one in Microsoft's cloud.  The
 * generator's marks are the cheaper test: asked first. */
static bool is_office365(const mm_msg *m, const mm_report *r)
{
    return generator_mark(m, r) && cloud_mark(m, r);
}

static const char *first_mark(const char *t, size_t n, const char *const *marks)
{
    const char *best = NULL;
    for (size_t i = 0; marks[i]; i++) {
        /* only a mark that starts before the best so far can replace it:
         * the rest of the text is not searched */
        size_t ml = strlen(marks[i]), lim = n;
        if (best && (size_t)(best - t) + ml - 1 < n)
            lim = (size_t)(best - t) + ml - 1;
        const char *p = mm_memcasemem(t, lim, marks[i], ml);
        if (p && (!best || p < best))
            best = p;
    }
    return best;
}

/* Recipients read from the administrators' block; Exchange Online caps a
 * message at 500 recipients, but its notices list the failures of one
 * delivery attempt, rarely more than a few. */
#define ADMIN_MAX 256

/* One recipient of the administrators' block. */
typedef struct admin_rcpt {
    const char *addr, *host, *diag;
    size_t alen, hlen, dlen;
} admin_rcpt;

/* A line naming a host only: one word with a dot, no '@' and no quote. */
static bool host_line(const char *l, size_t len)
{
    if (len == 0 || len > 255 || !memchr(l, '.', len) || memchr(l, '@', len))
        return false;
    for (size_t i = 0; i < len; i++)
        if (l[i] == ' ' || l[i] == '\t' || l[i] == '\'')
            return false;
    return true;
}

/* The reply quoted in the first "... returned '550 5.1.10 ...'" of
 * d[0..n) (first attempt listed = the last one made); NULL if none. */
static const char *next_quoted(const char *d, size_t n, size_t *olen)
{
    const char *q = mm_memcasemem(d, n, "returned '", 10);
    if (!q)
        return NULL;
    q += 10;
    const char *e = q;
    while (e < d + n && !(e[0] == '\'' && (e + 1 == d + n || e[1] == '\n' || e[1] == ' ')))
        e++;
    *olen = (size_t)(e - q);
    return q;
}

/* The reply of the first attempt listed, else the whole text. */
static void quoted_reply(const char *d, size_t n, const char **out, size_t *olen)
{
    *out = next_quoted(d, n, olen);
    if (!*out) {
        *out = d;
        *olen = n;
    }
}

/* "Generating server: NAME" (English, Dutch, Portuguese): the offset of
 * NAME in the line, or 0. */
static size_t generating_server(const char *l, size_t len)
{
    static const char *const labels[] = {
        "Generating server:", "Bronserver:", "Servidor de origem:", NULL};
    for (size_t i = 0; labels[i]; i++) {
        size_t ll = strlen(labels[i]);
        if (len > ll && mm_startswith_ci(l, labels[i])) {
            while (ll < len && l[ll] == ' ')
                ll++;
            return ll < len ? ll : 0;
        }
    }
    return 0;
}

/* Read the block t[0..n) into at most max recipients; returns how many. */
static size_t read_admin(const char *t, size_t n, admin_rcpt *v, size_t max, const char **gen,
                         size_t *glen)
{
    size_t pos = 0, len, k = 0;
    const char *l, *a;
    admin_rcpt *cur = NULL;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        size_t alen, g = generating_server(l, len);
        if (g) {
            *gen = l + g;
            *glen = len - g;
        } else if (mm_prov_addr_line(l, len, &a, &alen) && k < max) {
            cur = &v[k++];
            *cur = (admin_rcpt){a, NULL, NULL, alen, 0, 0};
        } else if (!cur || mm_mta_blank(l, len)) {
            if (cur && cur->diag)
                cur = NULL;
        } else if (!cur->diag && !cur->host && host_line(l, len)) {
            cur->host = l;
            cur->hlen = len;
        } else {
            if (!cur->diag)
                cur->diag = l;
            cur->dlen = (size_t)(l + len - cur->diag);
        }
    }
    return k;
}

static const admin_rcpt *admin_for(const admin_rcpt *v, size_t k, const char *addr)
{
    for (size_t i = 0; i < k; i++)
        if (v[i].alen == strlen(addr) && strncasecmp(v[i].addr, addr, v[i].alen) == 0)
            return &v[i];
    return k == 1 ? &v[0] : NULL;
}

/* What every recipient gets, however it was read. */
static void finish(mm_report *r, mm_rcpt *rc, const admin_rcpt *ad)
{
    mm_recipient *p = &rc->pub;
    if (ad && ad->host && !p->remote_mta[0])
        p->remote_mta = mm_report_str(r, ad->host, ad->hlen);
    if (ad && ad->diag && !p->diagnostic[0]) {
        const char *q;
        size_t ql;
        quoted_reply(ad->diag, ad->dlen, &q, &ql);
        p->diagnostic = mm_report_str(r, q, ql > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : ql);
    }
    mm_prov_refine_status(r, rc);
    if (!p->reply_code)
        p->reply_code = mm_prov_lead_reply(p->diagnostic);
    if (mm_strcasestr(p->diagnostic, "unknown recipient or mailbox unavailable ->"))
        p->smtp_command = "RCPT";
    rc->hint = mm_words_status(ms_codes, p->status);
}

/* The value after "label" on its line, trimmed; NULL when absent. */
static const char *labelled(const char *t, size_t n, const char *label, size_t *len)
{
    const char *p = mm_memcasemem(t, n, label, strlen(label));
    if (!p)
        return NULL;
    p += strlen(label);
    while (p < t + n && (*p == ' ' || *p == '\t'))
        p++;
    const char *e = memchr(p, '\n', (size_t)(t + n - p));
    *len = (size_t)((e ? e : t + n) - p);
    return p;
}

/* The newer layout: "Error Details / Reported error: 550 5.1.10 ... / DSN
 * generated by: HOST" and, under "Original Message Details", the
 * "Recipient Address:" lines. */
static mm_status_t error_details(const char *t, size_t n, mm_report *r)
{
    size_t el, gl, pos = 0, len, alen;
    const char *err = labelled(t, n, "Reported error:", &el);
    const char *gen = labelled(t, n, "DSN generated by:", &gl), *l, *a;
    if (!err)
        return MM_ENOTFOUND;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL && r->n < r->max) {
        if (!mm_startswith_ci(l, "Recipient Address:") ||
            (a = mm_find_addr(l + 18, len - 18, &alen)) == NULL)
            continue;
        mm_rcpt *rc = mm_mta_add(r, a, alen, err, el);
        if (!rc)
            return mm_mta_add_failed(r);
        if (gen)
            rc->pub.reporting_mta = mm_report_str(r, gen, gl);
    }
    return MM_OK;
}

/* No delivery-status part: the recipients are those of the administrators'
 * block, or of "Original Message Details", or else the readable list under
 * the lead-in sentence. */
static mm_status_t from_text(const mm_msg *m, mm_report *r, const admin_rcpt *v, size_t k,
                             const char *gen, size_t glen)
{
    for (size_t i = 0; i < k && !mm_mta_full(r); i++) {
        mm_rcpt *rc = mm_mta_add(r, v[i].addr, v[i].alen, "", 0);
        if (!rc)
            return mm_mta_add_failed(r);
        if (gen)
            rc->pub.reporting_mta = mm_report_str(r, gen, glen);
    }
    if (k > 0)
        return MM_OK;
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, from = r->n;
    mm_status_t st = error_details(t, n, r);
    if (st != MM_ENOTFOUND && (st != MM_OK || r->n > from))
        return st;
    const char *after = NULL;
    for (size_t i = 0; lead_marks[i] && !after; i++)
        after = mm_prov_after_line(t, n, lead_marks[i]);
    if (!after)
        return MM_ENOTFOUND;
    const char *end = first_mark(after, n - (size_t)(after - t), admin_marks);
    return mm_prov_addr_blocks(r, after, (size_t)((end ? end : t + n) - after));
}

mm_status_t mm_decode_office365(const mm_msg *m, mm_report *r)
{
    if (!is_office365(m, r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = m->text.len, k = 0, glen = 0, from = r->n;
    const char *adm = first_mark(t, n, admin_marks), *gen = NULL;
    admin_rcpt v[ADMIN_MAX];
    if (adm) {
        const char *end = first_mark(adm, n - (size_t)(adm - t), end_marks);
        k = read_admin(adm, (size_t)((end ? end : t + n) - adm), v, ADMIN_MAX, &gen, &glen);
    }
    mm_status_t st = m->has_dsn ? mm_prov_dsn(m, r, &from) : from_text(m, r, v, k, gen, glen);
    if (st != MM_OK)
        return st;
    if (r->n == from)
        return MM_ENOTFOUND;
    for (size_t i = from; i < r->n; i++)
        finish(r, &r->r[i], admin_for(v, k, r->r[i].pub.recipient));
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}

/* "QUEUE.Expired" (X.4.7) says only that Exchange stopped retrying; the
 * attempts listed under it (newest first) hold the receiver's own error,
 * which says why.  The first attempt that is not the expiry itself. */
static const char *attempt_cause(const admin_rcpt *ad, size_t *len)
{
    const char *d = ad->diag, *end = ad->diag + ad->dlen, *q;
    size_t ql;
    for (int i = 0; i < 32 && d < end && (q = next_quoted(d, (size_t)(end - d), &ql)); i++) {
        char code[16];
        if (mm_find_status(q, ql, code) && strcmp(code + 1, ".4.7") != 0) {
            *len = ql;
            return q;
        }
        d = q + ql;
    }
    return NULL;
}

/* On-premises Exchange: the report's records, completed from the prose,
 * then from the administrators' block. */
static void exchange_finish(mm_report *r, mm_rcpt *rc, const admin_rcpt *ad)
{
    mm_recipient *p = &rc->pub;
    size_t cl;
    const char *cause = ad && ad->diag ? attempt_cause(ad, &cl) : NULL;
    if (ad && ad->host && !p->remote_mta[0])
        p->remote_mta = mm_report_str(r, ad->host, ad->hlen);
    if (ad && ad->diag && !p->remote_mta[0])
        p->remote_mta = mm_mta_rhost(r, ad->diag, ad->dlen);
    if (cause && strlen(p->status) == 5 && strcmp(p->status + 1, ".4.7") == 0) {
        char code[16];
        p->diagnostic = mm_report_str(r, cause, cl > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : cl);
        if (mm_find_status(p->diagnostic, strlen(p->diagnostic), code))
            p->status = mm_report_strz(r, code);
        /* Exchange's own "441" for a failed connection is no reply a
         * server sent (RFC 5321 section 4.2.3 defines none such) */
        int rc_code = mm_prov_lead_reply(p->diagnostic);
        p->reply_code = mm_mta_reply_defined(rc_code) ? rc_code : 0;
    }
}

mm_status_t mm_decode_exchange(const mm_msg *m, mm_report *r)
{
    if (!m->has_dsn || !generator_mark(m, r) || cloud_mark(m, r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text), *gen = NULL;
    size_t n = m->text.len, k = 0, glen = 0, from = r->n;
    const char *adm = first_mark(t, n, admin_marks);
    if (!adm)
        return MM_ENOTFOUND;
    admin_rcpt v[ADMIN_MAX];
    const char *end = first_mark(adm, n - (size_t)(adm - t), end_marks);
    k = read_admin(adm, (size_t)((end ? end : t + n) - adm), v, ADMIN_MAX, &gen, &glen);
    mm_status_t st = mm_mta_read_dsn(m, r);
    if (st != MM_OK)
        return st;
    for (size_t i = from; i < r->n; i++)
        exchange_finish(r, &r->r[i], admin_for(v, k, r->r[i].pub.recipient));
    return mm_mta_found(r, from);
}
