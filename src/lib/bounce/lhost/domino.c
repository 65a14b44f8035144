/*
 * domino.c - bounces written by IBM (Lotus) Domino and by the older Lotus
 * Notes SMTP MTA.
 *
 * Domino's subject is "DELIVERY FAILURE: <reason>" (or DELIVERY_FAILURE)
 * and its text reads "Your message ... was not delivered to: <address>
 * because: <reason>", sometimes with an RFC 3464 part; the Notes SMTP MTA
 * writes "------- Failure Reasons --------", the reason, the address, then
 * "------- Returned Message --------".  The generic prose reader (text.c)
 * reads both layouts; this decoder adds what the format itself states:
 * Domino's and Notes' router messages are fixed strings, localised, that
 * the table maps to the reason they mean (as Sisimai's Domino and Notes
 * modules do).
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

/* Router messages of Domino and Notes, lower case. */
static const mm_words router_errors[] = {
    {"not listed in domino directory", MM_REASON_USERUNKNOWN},
    {"not listed in public name & address book", MM_REASON_USERUNKNOWN},
    {"non répertorié dans l'annuaire domino", MM_REASON_USERUNKNOWN},
    {"domino ディレクトリには見つかりません", MM_REASON_USERUNKNOWN},
    {"ディレクトリのリストにありません", MM_REASON_USERUNKNOWN},
    {"cannot route mail to user", MM_REASON_FILTERED},
    {"several matches found in domino directory", MM_REASON_SYSTEMERROR},
    {"message has exceeded maximum hop count", MM_REASON_NETWORKERROR},
    {"maximum hop count exceeded", MM_REASON_NETWORKERROR},
    {NULL, MM_REASON_UNDEFINED},
};

static bool is_domino(const mm_report *r, const char *t, size_t n)
{
    const char *subj = r->subject;
    /* Domino writes the subject in capitals; "Delivery failure: ..." is
     * some other MTA's */
    if (subj && (strncmp(subj, "DELIVERY FAILURE:", 17) == 0 ||
                 strncmp(subj, "DELIVERY_FAILURE:", 17) == 0))
        return true;
    /* Notes SMTP MTA */
    return subj && mm_startswith_ci(subj, "Undeliverable message") &&
           mm_memcasemem(t, n, "------- Failure Reasons", 23);
}

/* Domino's RFC 3464 part repeats the "because:" reason of the prose, but
 * folded or left in the mail's 7-bit charset (ISO-2022-JP escapes); the
 * prose, decoded by the message reader, is the better copy. */
static mm_status_t prose_diagnostics(const mm_msg *m, mm_report *r, size_t start)
{
    size_t dsn_end = r->n;
    mm_status_t st = mm_mta_prose_read(m, r);
    if (st == MM_ENOTFOUND)
        return MM_OK;
    for (size_t i = dsn_end; st == MM_OK && i < r->n; i++) {
        const char *a = r->r[i].pub.recipient;
        mm_rcpt *rc = mm_mta_find_rcpt(r, start, a, strlen(a));
        if (rc && rc < &r->r[dsn_end] && r->r[i].pub.diagnostic[0])
            rc->pub.diagnostic = r->r[i].pub.diagnostic;
    }
    mm_report_truncate(r, dsn_end);
    return st;
}

/* The router's message in the diagnostic, else in the subject
 * ("DELIVERY FAILURE: <message>"). */
static void set_hint(const mm_msg *m, mm_rcpt *rc)
{
    const char *d = rc->pub.diagnostic, *subj = mm_fields_get(&m->head, "Subject");
    rc->hint = mm_words_find(router_errors, d, strlen(d));
    if (rc->hint == MM_REASON_UNDEFINED && subj)
        rc->hint = mm_words_find(router_errors, subj, strlen(subj));
}

mm_status_t mm_decode_domino(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    if (!is_domino(r, t, m->text.len))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = MM_ENOTFOUND;
    if (m->has_dsn)
        st = mm_decode_rfc3464(m, r);
    if (st == MM_OK)
        st = prose_diagnostics(m, r, start);
    else if (st == MM_ENOTFOUND)
        st = mm_mta_prose_read(m, r);
    if (st != MM_OK)
        return st;
    for (size_t i = start; i < r->n; i++)
        set_hint(m, &r->r[i]);
    r->kind = MM_KIND_BOUNCE;
    return r->n > start ? MM_OK : MM_ENOTFOUND;
}
