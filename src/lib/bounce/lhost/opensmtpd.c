/*
 * opensmtpd.c - bounces written by OpenSMTPD (smtpd/bounce.c).
 *
 * The notice is indented prose around one unindented line per recipient:
 *
 *       This is the MAILER-DAEMON, please DO NOT REPLY to this email.
 *
 *       An error has occurred while attempting to deliver a message for
 *       the following list of recipients:
 *
 *   kijitora@example.jp: 550 5.2.2 <kijitora@example.jp>... Mailbox Full
 *
 *       Below is a copy of the original message:
 *
 * Since 6.x an RFC 3464 part is added; it has the status but rarely a
 * Diagnostic-Code, so each recipient's line gives the diagnostic (only its
 * own line: the next paragraph is the notice's, e.g. "Please note that
 * this is only a temporary failure report").  The delay warning
 * ("A message is delayed for more than ...") has the same layout.
 * When delivery failed before any server replied, the text is one of
 * OpenSMTPD's own fixed strings (queue.c, mta.c); the table maps them to
 * the reason they state, as Sisimai's OpenSMTPD module does.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

/* smtpd/queue.c and smtpd/mta.c failure strings, lower case. */
static const mm_words own_errors[] = {
    {"envelope expired", MM_REASON_EXPIRED},
    {"invalid domain name", MM_REASON_HOSTUNKNOWN},
    {"domain does not exist", MM_REASON_HOSTUNKNOWN},
    {"destination seem to reject all mails", MM_REASON_NOTACCEPT},
    {"address family mismatch on destination mxs", MM_REASON_NETWORKERROR},
    {"all routes to destination blocked", MM_REASON_NETWORKERROR},
    {"bad dns lookup error code", MM_REASON_NETWORKERROR},
    {"could not retrieve source address", MM_REASON_NETWORKERROR},
    {"loop detected", MM_REASON_NETWORKERROR},
    {"network error on destination mxs", MM_REASON_NETWORKERROR},
    {"no mx found for domain", MM_REASON_NETWORKERROR},
    {"no mx found for destination", MM_REASON_NETWORKERROR},
    {"no valid route to remote mx", MM_REASON_NETWORKERROR},
    {"no valid route to destination", MM_REASON_NETWORKERROR},
    {"temporary failure in mx lookup", MM_REASON_NETWORKERROR},
    {"could not retrieve credentials", MM_REASON_SECURITYERROR},
    /* mta_session.c: larger than the SIZE the server advertised (RFC 1870) */
    {"message too large for peer", MM_REASON_MESGTOOBIG},
    {NULL, MM_REASON_UNDEFINED},
};

/* A diagnostic without a reply code is OpenSMTPD's own verdict. */
static void own_hints(mm_report *r, size_t start)
{
    for (size_t i = start; i < r->n; i++) {
        const char *d = r->r[i].pub.diagnostic;
        size_t dn = strlen(d);
        if (!mm_find_reply(d, dn))
            r->r[i].hint = mm_words_find(own_errors, d, dn);
    }
}

/* bounce.c's NOTICE_INTRO, then "... for the following list of
 * recipients:" (folded anywhere) */
static bool is_opensmtpd(const char *t, size_t n)
{
    return mm_memcasemem(t, n, "This is the MAILER-DAEMON, please DO NOT REPLY", 46) &&
           mm_memcasemem(t, n, "list of recipients:", 19);
}

mm_status_t mm_decode_opensmtpd(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    if (!is_opensmtpd(t, n))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = MM_ENOTFOUND;
    if (m->has_dsn)
        st = mm_decode_rfc3464(m, r);
    if (st == MM_OK || st == MM_ENOTFOUND)
        st = mm_mta_colon_lines(r, start, t, n, st == MM_ENOTFOUND);
    if (st != MM_OK)
        return st;
    if (r->n == start)
        return MM_ENOTFOUND;
    own_hints(r, start);
    /* without a report, only the notice says it is a delay warning */
    bool delayed = !m->has_dsn && mm_mta_says_delayed(t, n);
    for (size_t i = start; i < r->n && delayed; i++)
        r->r[i].pub.action = "delayed";
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
