/*
 * gmail.c - Gmail's plain-text notices (used until about 2016; newer ones
 * are RFC 3464 reports and go to rfc3464.c).
 *
 *   Delivery to the following recipient failed permanently:   (or "has
 *        user@example.org                 been delayed", "failed temporarily")
 *   Technical details of permanent failure:
 *   Google tried to deliver your message, but it was rejected by ...
 *   The error that the other server returned was:
 *   550 5.1.1 <user@example.org>... User Unknown (state 14).
 *   ----- Original message -----
 * Recognised by Google's domains in From or Message-ID, as other MTAs
 * write the same opening sentence.  The addresses are indented lines after
 * the first marker; the other
 * server's reply in the technical details (else Gmail's own words there) is
 * every recipient's diagnostic.  Gmail's "(state N)" tells the
 * SMTP stage that failed, which gives the command and, unless the reply
 * has a detailed status code, the reason (stage table from Sisimai's
 * Lhost::Gmail).
 *
 * Google does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* Gmail's "(state N)": the SMTP stage that failed, and what a failure at
 * that stage means (Sisimai Lhost::Gmail's state table). */
typedef struct gmail_state {
    const char *command;
    mm_reason_t reason;
} gmail_state;

static const gmail_state *state_of(const char *d)
{
    static const gmail_state states[] = {
        [6] = {"MAIL", MM_REASON_SYSTEMERROR},  /* 500 Remote server does not support TLS */
        [8] = {"AUTH", MM_REASON_SYSTEMERROR},  /* 535 SMTP AUTH failed with the remote server */
        [9] = {"AUTH", MM_REASON_SYSTEMERROR},  /* 454 TLS missing certificate */
        [12] = {"AUTH", MM_REASON_UNDEFINED},   /* 500 no SMTP Authenticated Relay */
        [13] = {"EHLO", MM_REASON_BLOCKED},     /* 550 5.7.1 ... Access denied */
        [14] = {"RCPT", MM_REASON_USERUNKNOWN}, /* 550 5.1.1 ... User Unknown */
        [15] = {"DATA", MM_REASON_FILTERED},    /* 554 Error: no valid recipients */
        [17] = {"DATA", MM_REASON_FILTERED},    /* 550 <...> No such user here */
        [18] = {"DATA", MM_REASON_FILTERED},    /* 550 Unknown user ...; 554 5.7.0 Header error */
    };
    const char *p = mm_strcasestr(d, "(state ");
    if (!p)
        return NULL;
    long s = strtol(p + 7, NULL, 10);
    if (s < 0 || s >= (long)(sizeof states / sizeof states[0]) || !states[s].command)
        return NULL;
    return &states[s];
}

/* Gmail's own fixed sentences (not the receiver's) that say what happened. */
static mm_reason_t gmail_own_words(const char *d)
{
    if (mm_strcasestr(d, "did not accept our requests to connect") ||
        mm_strcasestr(d, "Could not contact DNS servers"))
        return MM_REASON_EXPIRED;
    if (mm_strcasestr(d, "DNS Error: Domain name not found") ||
        mm_strcasestr(d, "DNS server returned answer with no data"))
        return MM_REASON_HOSTUNKNOWN;
    return MM_REASON_UNDEFINED;
}

/* Indented address lines from t up to the first blank line after one. */
static mm_status_t add_addresses(mm_report *r, const char *t, size_t n, bool delayed)
{
    size_t pos = 0, len;
    const char *l;
    bool seen = false;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        const char *a;
        size_t alen;
        if (mm_mta_blank(l, len)) {
            if (seen)
                break;
            continue;
        }
        if (!mm_prov_addr_line(l, len, &a, &alen))
            break;
        mm_rcpt *rc = mm_mta_add(r, a, alen, "", 0);
        if (!rc)
            return mm_mta_add_failed(r);
        if (delayed)
            rc->pub.action = "delayed";
        seen = true;
    }
    return MM_OK;
}

/* Without technical details (a delay warning), the lead-in sentence and
 * what follows the address list say it all:
 * "Delivery to the following recipient has been delayed: Message will be
 * retried for 2 more day(s)". */
static const char *plain_diag(mm_report *r, const char *mark, const char *after, const char *end)
{
    size_t pos = 0, len, n = (size_t)(end - after);
    const char *l, *a, *rest = end;
    while ((l = mm_next_line(after, n, &pos, &len)) != NULL) {
        size_t alen;
        if (!mm_mta_blank(l, len) && !mm_prov_addr_line(l, len, &a, &alen)) {
            rest = l;
            break;
        }
    }
    mm_buf b;
    mm_buf_init(&b, 0);
    size_t rl = (size_t)(end - rest) > 400 ? 400 : (size_t)(end - rest);
    const char *out = NULL;
    if (mm_buf_append(&b, mark, (size_t)(after - mark)) == MM_OK &&
        mm_buf_append(&b, rest, rl) == MM_OK)
        out = mm_report_str(r, mm_buf_str(&b), b.len);
    mm_buf_free(&b);
    return out;
}

/* "Google tried to deliver your message, but it was rejected by the
 * recipient domain. ... The error that the other server returned was: 554
 * 554 5.7.1 Service unavailable ... (state 13)." - Google's framing is the
 * same for every refusal; the receiver's reply after it is the diagnostic
 * (Gmail writes its reply code twice; once is kept).  Notices without it
 * (DNS errors, timeouts) are Gmail's own words and stay whole. */
static const char *other_server(const char *d)
{
    static const char mark[] = "The error that the other server returned was:";
    const char *p = mm_strcasestr(d, mark);
    if (!p)
        return d;
    p += sizeof mark - 1;
    while (*p == ' ')
        p++;
    int code = mm_prov_lead_reply(p);
    if (code && p[3] == ' ' && mm_prov_lead_reply(p + 4) == code)
        p += 4;
    return *p ? p : d;
}

/* Does s hold one of Google's domains (ASCII case folded)?  Each starts
 * with '@', so only the places of an '@' are compared, instead of a
 * search of s per domain. */
static bool google_domain(const char *s)
{
    static const char *const domains[] = {"@googlemail.com", "@gmail.com", "@google.com", NULL};
    for (const char *at = s ? strchr(s, '@') : NULL; at; at = strchr(at + 1, '@'))
        for (size_t i = 0; domains[i]; i++) {
            const char *d = domains[i] + 1, *p = at + 1;
            while (*d && mm_lower(*p) == *d)
                p++, d++;
            if (!*d)
                return true;
        }
    return false;
}

/* Other MTAs (Hotmail, Exchange, many a Sendmail) use the same opening
 * sentence: only a notice that Google's own servers wrote is Gmail's. */
static bool from_google(const mm_report *r)
{
    return google_domain(r->from) || google_domain(r->message_id);
}

mm_status_t mm_decode_gmail(const mm_msg *m, mm_report *r)
{
    /* a delivery-status part is the generic readers' (asked first: no search) */
    if (m->has_dsn || !from_google(r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    const char *after = mm_prov_after_line(t, n, "Delivery to the following recipient");
    if (!after)
        return MM_ENOTFOUND;
    const char *mark = mm_memcasemem(t, n, "Delivery to the following recipient", 35);
    bool delayed = mm_memcasemem(mark, (size_t)(after - mark), "delayed", 7) ||
                   mm_memcasemem(mark, (size_t)(after - mark), "temporarily", 11);
    size_t from = r->n;
    mm_status_t st = add_addresses(r, after, n - (size_t)(after - t), delayed);
    if (st != MM_OK || r->n == from)
        return st == MM_OK ? MM_ENOTFOUND : st;
    const char *det = mm_prov_after_line(t, n, "Technical details of");
    const char *d = det ? det : after;
    size_t dlen = n - (size_t)(d - t);
    const char *diag =
        other_server(mm_report_str(r, d, dlen > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : dlen));
    const char *plain = det ? NULL : plain_diag(r, mark, after, t + n);
    if (!det && !plain)
        return MM_ENOMEM;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        rc->pub.diagnostic = det ? diag : plain;
        const gmail_state *gs = state_of(diag);
        rc->pub.smtp_command = gs ? gs->command : "";
        rc->hint = gs && gs->reason != MM_REASON_UNDEFINED ? gs->reason : gmail_own_words(diag);
        /* A detailed code in the reply ("5.2.2", not "5.7.0") says more
         * than the stage: the classifier reads it instead. */
        char code[16];
        if (mm_find_status(diag, strlen(diag), code) && !strstr(code + 1, ".0"))
            rc->hint = MM_REASON_UNDEFINED;
        mm_prov_refine_status(r, rc);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
