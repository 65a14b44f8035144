/*
 * amazonworkmail.c - Amazon WorkMail's delivery status notifications,
 * sent through SES (X-SES-Outgoing) with "X-Mailer: Amazon WorkMail".  They
 * are RFC 3464 reports, read by rfc3464.c, with one quirk: when WorkMail
 * gives up on a message its Diagnostic-Code is its own expiry reply with the
 * remote server's last reply nested in angle brackets,
 *   554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>
 * and the nested reply is the one that says what went wrong, so its reply
 * code and status code are the recipient's.  WorkMail's own outer words
 * ("Message expired") still say why it gave up, and become the hint.
 *
 * Amazon WorkMail does not publish this notice's layout; it is read as the
 * notices themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* "<421 4.4.2 text>" inside d: sets the reply and status from it. */
static void nested_reply(mm_report *r, mm_rcpt *rc)
{
    const char *d = rc->pub.diagnostic;
    for (const char *lt = strchr(d, '<'); lt; lt = strchr(lt + 1, '<')) {
        int code = mm_prov_lead_reply(lt + 1);
        const char *gt = strchr(lt, '>');
        if (!code || !gt || lt[4] != ' ')
            continue;
        char st[16];
        rc->pub.reply_code = code;
        if (mm_prov_status(lt + 1, (size_t)(gt - lt - 1), st) && st[0] == lt[1])
            rc->pub.status = mm_report_strz(r, st);
        return;
    }
}

mm_status_t mm_decode_amazonworkmail(const mm_msg *m, mm_report *r)
{
    if (!mm_fields_get(&m->head, "X-SES-Outgoing"))
        return MM_ENOTFOUND;
    if (!mm_mta_header_has(m, "X-Mailer", "Amazon WorkMail") &&
        !mm_mta_header_has(m, "X-Original-Mailer", "Amazon WorkMail"))
        return MM_ENOTFOUND;
    size_t from;
    mm_status_t st = mm_prov_dsn(m, r, &from);
    for (size_t i = from; st == MM_OK && i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        if (mm_strcasestr(rc->pub.diagnostic, "Message expired: unable to deliver"))
            rc->hint = MM_REASON_EXPIRED;
        nested_reply(r, rc);
    }
    return st;
}
