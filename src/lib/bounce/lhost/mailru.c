/*
 * mailru.c - Mail.Ru (and its corp.mail.ru relays), an Exim installation
 * whose notice repeats Exim's list of failed addresses in Russian above the
 * English one:
 *   К сожалению, Ваше письмо не может быть доставлено ... получателям:
 *     user@example.org
 *       SMTP error from remote mail server after RCPT TO:<user@example.org>:
 *       host mx.example.org [192.0.2.1]: 550 5.1.1 ... User Unknown
 * Each address line opens a recipient and the indented lines under it are
 * its diagnostic; the second (English) copy of the list is skipped as the
 * same addresses.  The "host NAME [IP]:" prefix names the remote MTA.
 *
 * Mail.Ru does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

mm_status_t mm_decode_mailru(const mm_msg *m, mm_report *r)
{
    static const char *const markers[] = {"не может быть доставлено",
                                          "The following address(es) failed", NULL};
    /* a Mail.Ru host, not hotmail.ru and the like */
    if (m->has_dsn || !(mm_mta_lc_has(r->from_lc, r->from_len, "@mail.ru") ||
                        mm_mta_lc_has(r->from_lc, r->from_len, ".mail.ru")))
        return MM_ENOTFOUND;
    return mm_prov_exim_list(m, r, markers);
}
