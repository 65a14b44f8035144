/*
 * arf.c - Abuse Reporting Format feedback reports (RFC 5965): a complaint
 * about a message that was delivered, not a delivery failure.  One record
 * per Original-Rcpt-To (section 3.2), else the original message's To.
 *
 * Two non-standard feedback forms are read as well: Microsoft's and Amazon
 * SES's older complaints (multipart/mixed from staff@hotmail.com or
 * complaints@email-abuse.amazonses.com, "complaint about message from IP"),
 * whose original recipient is in the attached message, and Apple Mail's
 * one-click unsubscribe ("X-Apple-Unsubscribe: true"), which is a complaint
 * by the person in From.
 */
#include "decoders.h"
#include "lhost/mta_util.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

static mm_status_t add_rcpt(mm_report *r, const char *addr, const mm_fields *fb)
{
    mm_rcpt *rc = mm_report_add(r);
    if (!rc)
        return MM_ENOMEM;
    /* "To: <Undisclosed Recipients>" names nobody: no recipient then. */
    size_t alen;
    const char *a = mm_find_addr(addr, strlen(addr), &alen);
    rc->pub.recipient = a ? mm_report_addr(r, a, alen) : "";
    rc->pub.action = "";
    rc->hint = MM_REASON_FEEDBACK;
    const char *type = mm_fields_get(fb, "Feedback-Type");
    rc->pub.diagnostic = mm_report_strz(r, type ? type : "");
    const char *date = mm_fields_get(fb, "Arrival-Date");
    rc->pub.date = mm_report_strz(r, date ? date : "");
    const char *src = mm_fields_get(fb, "Reporting-MTA");
    rc->pub.reporting_mta = mm_report_strz(r, src ? src : "");
    return MM_OK;
}

static bool is_legacy_complaint(const mm_report *r)
{
    if (!mm_mta_lc_has(r->subject_lc, r->subject_len, "complaint about message from"))
        return false;
    return mm_mta_lc_has(r->from_lc, r->from_len, "staff@hotmail.com") ||
           mm_mta_lc_has(r->from_lc, r->from_len, "complaints@email-abuse.amazonses.com");
}

static mm_status_t decode_apple_unsubscribe(mm_report *r)
{
    const char *from = r->from;
    mm_fields none = {0};
    mm_status_t st = add_rcpt(r, from ? from : "", &none);
    if (st == MM_OK) {
        r->r[r->n - 1].pub.diagnostic = "unsubscribe";
        r->kind = MM_KIND_FEEDBACK;
    }
    return st;
}

/* The original recipient as the complaint's attached message names it. */
static const char *original_rcpt(const mm_msg *m)
{
    const char *to = mm_fields_get(&m->orig, "X-HmXmrOriginalRecipient");
    if (!to)
        to = mm_fields_get(&m->orig, "To");
    if (!to)
        to = mm_fields_get(&m->head, "To");
    return to;
}

mm_status_t mm_decode_arf(const mm_msg *m, mm_report *r)
{
    /* a delivery-status part rules the Apple form out before its field is
     * looked for (a walk over the whole header) */
    const char *apple = m->has_dsn ? NULL : mm_fields_get(&m->head, "X-Apple-Unsubscribe");
    if (apple && mm_strcasestr(apple, "true"))
        return decode_apple_unsubscribe(r);
    /* the first byte before the strcmp() call: most messages' report type
     * is "" or "delivery-status" */
    if (!m->has_feedback &&
        (m->report_type[0] != 'f' || strcmp(m->report_type, "feedback-report") != 0) &&
        !is_legacy_complaint(r))
        return MM_ENOTFOUND;
    mm_arena a;
    mm_arena_init(&a);
    mm_fields fb = {0};
    mm_status_t st =
        mm_fields_parse_block(&a, m->feedback.data ? m->feedback.data : "", m->feedback.len, &fb);
    for (size_t i = 0; st == MM_OK && i < fb.n && r->n < r->max; i++)
        if (strcasecmp(fb.v[i].name, "Original-Rcpt-To") == 0 ||
            strcasecmp(fb.v[i].name, "Removal-Recipient") == 0)
            st = add_rcpt(r, mm_field_value(&fb.v[i]), &fb);
    if (st == MM_OK && r->n == 0) {
        const char *to = original_rcpt(m);
        st = add_rcpt(r, to ? to : "", &fb);
    }
    free(fb.v);
    mm_arena_free(&a);
    r->kind = MM_KIND_FEEDBACK;
    return st;
}
