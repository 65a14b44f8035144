/*
 * yahoo.c - Yahoo's plain-text notices:
 *   Sorry, we were unable to deliver your message to the following address.
 *   <user@example.org>:
 *   Remote host said: 550 5.1.1 <user@example.org>... User Unknown [RCPT_TO]
 *   --- Below this line is a copy of the message.
 * Each "<address>:" line opens a recipient; the lines under it are the
 * receiver's reply, whose "[RCPT_TO]"-style tag names the SMTP command.
 *
 * Yahoo does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const char *tag_command(const char *d)
{
    static const struct {
        const char *tag, *cmd;
    } tags[] = {{"[RCPT_TO]", "RCPT"},
                {"[MAIL_FROM]", "MAIL"},
                {"[DATA]", "DATA"},
                {"[EHLO]", "EHLO"},
                {"[HELO]", "HELO"}};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
        if (mm_strcasestr(d, tags[i].tag))
            return tags[i].cmd;
    return mm_mta_command(d, strlen(d));
}

mm_status_t mm_decode_yahoo(const mm_msg *m, mm_report *r)
{
    static const char *const lead[] = {"we were unable to deliver your message to the following",
                                       NULL};
    size_t from = r->n;
    mm_status_t st = m->has_dsn ? MM_ENOTFOUND : mm_prov_list_after(m, r, lead);
    if (st != MM_OK)
        return st;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        if (mm_startswith_ci(rc->pub.diagnostic, "Remote host said:"))
            rc->pub.diagnostic += 17 + (rc->pub.diagnostic[17] == ' ');
        rc->pub.smtp_command = tag_command(rc->pub.diagnostic);
        /* "Remote host said: 550: 5.2.2 ..." - the colon hides the code
         * from the generic reply finder. */
        rc->pub.reply_code = mm_prov_lead_reply(rc->pub.diagnostic);
        mm_prov_refine_status(r, rc);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
