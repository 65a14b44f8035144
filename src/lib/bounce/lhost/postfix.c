/*
 * postfix.c - bounces written by Postfix's bounce(8) daemon.
 *
 * Postfix sends a multipart/report: a text part ("This is the mail system
 * at host ...", templates in bounce(5)) with one paragraph per recipient,
 * "<rcpt>: host NAME[ADDR] said: REPLY (in reply to CMD command)", and a
 * message/delivery-status part (RFC 3464).  The report has the status and
 * usually the reply; only the prose says which SMTP command was answered,
 * and when Diagnostic-Code is missing or cut the prose has the full reply.
 * Old Postfix versions and some relays send the prose alone; then the
 * "<rcpt>:" paragraphs are the whole record.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

static bool is_postfix(const mm_msg *m, const char *t, size_t n)
{
    /* bounce(5) default templates, and the sentences customised ones keep */
    static const char *const marks[] = {
        "This is the mail system at host", "This is the Postfix program",
        "The Postfix program", "Postfix program at host", NULL};
    const char *subj = mm_fields_get(&m->head, "Subject");
    if (mm_mta_has_any(t, n, marks))
        return true;
    return subj && strcmp(subj, "Undelivered Mail Returned to Sender") == 0 &&
           mm_memcasemem(t, n, "The mail system", 15) != NULL;
}

/* Postfix writes "X-Postfix;" for every reply it relays from the remote
 * server as well as for its own errors; a reply code in the text shows the
 * words are the remote server's SMTP reply. */
static void smtp_diag_type(mm_report *r, size_t start)
{
    for (size_t i = start; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        const char *d = rc->pub.diagnostic;
        if (strcmp(rc->diag_type, "X-POSTFIX") == 0 && mm_find_reply(d, strlen(d)))
            rc->diag_type = "SMTP";
    }
}

mm_status_t mm_decode_postfix(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_mta_prose_len(t, m->text.len);
    if (!is_postfix(m, t, n))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = MM_ENOTFOUND;
    if (m->has_dsn)
        st = mm_decode_rfc3464(m, r);
    if (st == MM_OK) {
        mm_mta_complete(r, start, t, n, false);
        smtp_diag_type(r, start);
    } else if (st == MM_ENOTFOUND) {
        st = mm_mta_angle_blocks(r, t, n, NULL);
    }
    if (st != MM_OK)
        return st;
    if (r->n == start)
        return MM_ENOTFOUND;
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
