/*
 * zoho.c - Zoho Mail's delay and failure notices (mailer-daemon@mail.zoho.com)
 * that carry no delivery-status part.  Each recipient is a bracketed line:
 *   [Status: Error, Address: <user@example.org>, ResponseCode 421, , Host not reachable.]
 * or, in the older permanent notices, an address opening a line:
 *   user@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.2.1 <...>... User Unknown
 * where the first ERROR_CODE is the remote reply code.  A "(Delay)" subject
 * or "THIS IS A WARNING MESSAGE ONLY" marks a delay.  "Host not reachable"
 * is Zoho's own verdict when it could not reach the host in time; in a
 * permanent notice that means the retries ran out.
 *
 * Zoho does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* "[Status: Error, Address: <a>, ResponseCode 421, , text]" */
static mm_rcpt *bracket_line(mm_report *r, const char *l, size_t len)
{
    const char *ad = mm_memcasemem(l, len, "Address:", 8);
    size_t alen;
    if (!mm_memcasemem(l, len, "[Status:", 8) || !ad)
        return NULL;
    const char *a = mm_find_addr(ad, len - (size_t)(ad - l), &alen);
    if (!a)
        return NULL;
    const char *rc_at = mm_memcasemem(l, len, "ResponseCode", 12);
    const char *d = rc_at ? rc_at + 12 : a + alen;
    mm_rcpt *rc = mm_mta_add(r, a, alen, d, len - (size_t)(d - l));
    if (rc && rc_at)
        rc->pub.reply_code = (int)strtol(rc_at + 12, NULL, 10);
    return rc;
}

/* "user@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :..." */
static mm_rcpt *error_code_line(mm_report *r, const char *l, size_t len)
{
    size_t alen;
    const char *a = mm_find_addr(l, len, &alen);
    const char *ec = mm_memcasemem(l, len, "ERROR_CODE :", 12);
    if (!a || a != l || !ec)
        return NULL;
    const char *d = a + alen;
    while (d < l + len && *d == ' ')
        d++;
    mm_rcpt *rc = mm_mta_add(r, a, alen, d, len - (size_t)(d - l));
    if (rc)
        rc->pub.reply_code = mm_prov_lead_reply(ec + 12);
    return rc;
}

mm_status_t mm_decode_zoho(const mm_msg *m, mm_report *r)
{
    if (m->has_dsn || !mm_mta_lc_has(r->from_lc, r->from_len, "zoho"))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, pos = 0, len, start = r->n;
    bool delayed = mm_mta_lc_has(r->subject_lc, r->subject_len, "(delay)") ||
                   mm_memcasemem(t, n, "WARNING MESSAGE ONLY", 20);
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL && r->n < r->max) {
        mm_rcpt *rc = bracket_line(r, l, len);
        if (!rc)
            rc = error_code_line(r, l, len);
        if (!rc)
            continue;
        if (delayed)
            rc->pub.action = "delayed";
        else if (mm_strcasestr(rc->pub.diagnostic, "Host not reachable"))
            rc->hint = MM_REASON_EXPIRED;
        mm_prov_refine_status(r, rc);
    }
    return mm_mta_found(r, start);
}
