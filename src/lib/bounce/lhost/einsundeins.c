/*
 * einsundeins.c - 1&1 / IONOS (mailer-daemon@kundenserver.de), United
 * Internet's Exim-like notices, worded like GMX's but laid out their own way:
 *   The following address(es) failed:
 *   user@example.org:
 *   SMTP error from remote server for TEXT command, host: mx.example.org
 *   (192.0.2.1) reason: 550 5.2.0 Mail rejected.
 *   --- The header of the original message is following. ---
 * or, for 1&1's own refusals, "user@example.org" then "For the following
 * reason:" and 1&1's sentence.  Each address line opens a recipient; the
 * lines under it are its diagnostic.  "TEXT command" is 1&1's name for the
 * message content, i.e. the reply to DATA.
 *
 * 1&1 / IONOS does not publish this notice's layout; it is read as the
 * notices themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* "host: NAME (IP)" in the diagnostic. */
static void remote_host(mm_report *r, mm_rcpt *rc)
{
    const char *h = mm_strcasestr(rc->pub.diagnostic, "host: ");
    if (!h)
        return;
    h += 6;
    size_t len = strcspn(h, " (,");
    if (len > 0 && len < 256)
        rc->pub.remote_mta = mm_report_str(r, h, len);
}

static void finish(mm_report *r, mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    if (mm_startswith_ci(p->diagnostic, "For the following reason:"))
        p->diagnostic += 25 + (p->diagnostic[25] == ' ');
    const char *why = mm_strcasestr(p->diagnostic, "reason: ");
    if (why)
        p->reply_code = mm_prov_lead_reply(why + 8);
    if (mm_strcasestr(p->diagnostic, "for TEXT command"))
        p->smtp_command = "DATA";
    else
        p->smtp_command = mm_prov_command(p->diagnostic, strlen(p->diagnostic));
    remote_host(r, rc);
    mm_prov_refine_status(r, rc);
}

mm_status_t mm_decode_einsundeins(const mm_msg *m, mm_report *r)
{
    const char *from = mm_fields_get(&m->head, "From");
    if (m->has_dsn || !from || !mm_strcasestr(from, "@kundenserver."))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len);
    const char *hdr = mm_memcasemem(t, n, "--- The header of the original message", 38);
    if (hdr)
        n = (size_t)(hdr - t);
    const char *list = mm_prov_after_line(t, n, "failed:");
    if (!list)
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = mm_prov_addr_blocks(r, list, n - (size_t)(list - t));
    if (st != MM_OK || r->n == start)
        return st == MM_OK ? MM_ENOTFOUND : st;
    /* "For the following reason:" and 1&1's sentence, blank lines apart,
     * belong to every address listed above them. */
    const char *why = mm_prov_after_line(t, n, "For the following reason:");
    const char *why_text = why ? mm_report_str(r, why, n - (size_t)(why - t)) : NULL;
    for (size_t i = start; i < r->n; i++) {
        if (why_text && (!r->r[i].pub.diagnostic[0] ||
                         mm_startswith_ci(r->r[i].pub.diagnostic, "For the following reason:")))
            r->r[i].pub.diagnostic = why_text;
        finish(r, &r->r[i]);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
