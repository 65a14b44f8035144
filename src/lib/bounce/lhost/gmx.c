/*
 * gmx.c - GMX / mail.com (MAILER-DAEMON@...gmx... or ...mail.com), United
 * Internet's Exim-like notices (1&1's are a row of vendors.c):
 *   The following address failed:
 *   "user@example.org":
 *   SMTP error from remote server after RCPT command:
 *   host: mx.example.org
 *   5.2.2 <user@example.org>... Mailbox Full
 * or, for GMX's own verdicts, the address then "Reason:" and a sentence
 * ("delivery retry timeout exceeded").  The text ends at "--- The header
 * of the original message is following. ---".  The "SMTP error ... after
 * X command:" and "host:" lines become the command and the remote MTA; the
 * reply under them is the diagnostic.
 *
 * GMX does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* From a GMX or mail.com host: "@gmx.", ".gmx.", "@mail.com", ".mail.com"
 * (not hotmail.com or gmail.com). */
static bool is_gmx(const mm_msg *m, const mm_report *r)
{
    /* each search led by a byte rarer in a sender than a '.' */
    return !m->has_dsn && (mm_prov_lc_has_by(r->from_lc, r->from_len, "@gmx.", '@') ||
                           mm_prov_lc_has_by(r->from_lc, r->from_len, ".gmx.", 'x') ||
                           mm_prov_lc_has_by(r->from_lc, r->from_len, "@mail.com", '@') ||
                           mm_prov_lc_has_by(r->from_lc, r->from_len, ".mail.com", 'l'));
}

/* "SMTP error from remote server after RCPT command: host: mx.example.org
 * 5.2.2 ..." (squeezed): the command, the host, and the reply after them. */
static void split_smtp_error(mm_report *r, mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    const char *d = p->diagnostic, *h = mm_strcasestr(d, "host: ");
    if (!mm_startswith_ci(d, "SMTP error from remote server"))
        return;
    p->smtp_command = mm_mta_command(d, strlen(d));
    if (!h)
        return;
    h += 6;
    size_t hl = strcspn(h, " ");
    p->remote_mta = mm_report_str(r, h, hl);
    if (h[hl] == ' ' && h[hl + 1])
        p->diagnostic = h + hl + 1;
}

mm_status_t mm_decode_gmx(const mm_msg *m, mm_report *r)
{
    if (!is_gmx(m, r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, start = r->n;
    const char *hdr = mm_memcasemem(t, n, "--- The header of the original message", 38);
    if (hdr)
        n = (size_t)(hdr - t);
    const char *list = mm_prov_after_line(t, n, "failed:");
    if (!list)
        return MM_ENOTFOUND;
    mm_status_t st = mm_prov_addr_blocks(r, list, n - (size_t)(list - t));
    if (st != MM_OK || r->n == start)
        return st == MM_OK ? MM_ENOTFOUND : st;
    /* "Reason:" and its sentence, blank lines apart, hold for every address. */
    const char *why = mm_prov_after_line(t, n, "Reason:");
    const char *why_text = why ? mm_report_str(r, why, n - (size_t)(why - t)) : NULL;
    for (size_t i = start; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        const char *d = rc->pub.diagnostic;
        if (why_text && (!d[0] || mm_startswith_ci(d, "Reason:")))
            rc->pub.diagnostic = why_text;
        split_smtp_error(r, rc);
        if (!rc->pub.smtp_command[0])
            rc->pub.smtp_command = mm_mta_command(rc->pub.diagnostic, strlen(rc->pub.diagnostic));
        if (mm_strcasestr(rc->pub.diagnostic, "retry timeout exceeded"))
            rc->pub.action = "delayed";
        mm_prov_refine_status(r, rc);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
