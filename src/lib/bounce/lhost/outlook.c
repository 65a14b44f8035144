/*
 * outlook.c - Outlook.com (formerly Hotmail) delivery status notifications:
 * "Delivery Status Notification" reports from postmaster@ its own hosts,
 * which carry X-Message-Delivery / X-Message-Info or pass *.hotmail.com
 * relays.  They are RFC 3464 reports, read by rfc3464.c.
 *
 * When Outlook.com answers for its own mailboxes, its "Requested action not
 * taken: mailbox unavailable" means the mailbox does not exist (elsewhere
 * the same RFC 5321 sentence can mean anything), and "the domain is not
 * reachable" is its verdict on the recipient's domain; both become hints.
 *
 * Microsoft does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_words outlook_words[] = {
    {"The mail could not be delivered to the recipient because the domain is not reachable",
     MM_REASON_HOSTUNKNOWN},
    {"Requested action not taken: mailbox unavailable", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED}};

/* Outlook.com's own subject, and one of its marks.  X-Message-Delivery and
 * X-Message-Info are added to every message Outlook.com receives too, so
 * alone they do not tell who wrote the notice. */
static bool is_outlook(const mm_msg *m, const mm_report *r)
{
    /* led by its 'y', rarer in subjects than its 'd' */
    if (!mm_prov_lc_has_by(r->subject_lc, r->subject_len, "delivery status notification", 'y'))
        return false;
    return mm_fields_get(&m->head, "X-Message-Delivery") ||
           mm_fields_get(&m->head, "X-Message-Info") ||
           mm_mta_any_header_has(m, "Received", ".hotmail.com");
}

mm_status_t mm_decode_outlook(const mm_msg *m, mm_report *r)
{
    if (!is_outlook(m, r))
        return MM_ENOTFOUND;
    return mm_prov_dsn_words(m, r, outlook_words);
}
