/*
 * messagelabs.c - Symantec (Broadcom) Email Security.cloud, formerly
 * MessageLabs: delivery status notifications from MAILER-DAEMON@messagelabs.com,
 * RFC 3464 reports read by rfc3464.c (which also keeps the unindented
 * continuation lines MessageLabs writes into Diagnostic-Code).
 *
 * Its towers answer with fixed sentences of their own that say the reason
 * where the status (a bare 5.0.0) does not: a relay attempt without SMTP
 * authentication, and the "542 <address> Rejected" it gives for recipients
 * it does not know.
 *
 * Symantec (Broadcom) does not publish this notice's layout; it is read as
 * the notices themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_words ml_words[] = {
    {"Please turn on SMTP Authentication in your mail client", MM_REASON_SECURITYERROR},
    {"No such user", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED}};

mm_status_t mm_decode_messagelabs(const mm_msg *m, mm_report *r)
{
    if (!mm_mta_lc_has(r->from_lc, r->from_len, "@messagelabs.com"))
        return MM_ENOTFOUND;
    size_t from = r->n;
    mm_status_t st = mm_prov_dsn_words(m, r, ml_words);
    for (size_t i = from; st == MM_OK && i < r->n; i++) {
        const char *d = r->r[i].pub.diagnostic;
        if (mm_prov_lead_reply(d) == 542 && mm_strcasestr(d, " Rejected"))
            r->r[i].hint = MM_REASON_USERUNKNOWN;
    }
    return st;
}
