/*
 * outlook.c - Outlook.com (formerly Hotmail) delivery status notifications:
 * "Delivery Status Notification" reports from postmaster@ its own hosts,
 * which carry X-Message-Delivery / X-Message-Info and pass *.hotmail.com
 * relays (two of these marks are required).  They are RFC 3464 reports,
 * read by rfc3464.c.
 *
 * When Outlook.com answers for its own mailboxes, its "Requested action not
 * taken: mailbox unavailable" means the mailbox does not exist (elsewhere
 * the same RFC 5321 sentence can mean anything), and "the domain is not
 * reachable" is its verdict on the recipient's domain; both become hints.
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_prov_phrase outlook_words[] = {
    {"The mail could not be delivered to the recipient because the domain is not reachable",
     MM_REASON_HOSTUNKNOWN},
    {"Requested action not taken: mailbox unavailable", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED}};

static bool is_outlook(const mm_msg *m)
{
    int score = 0;
    if (mm_prov_header_has(m, "Subject", "Delivery Status Notification"))
        score++;
    if (mm_fields_get(&m->head, "X-Message-Delivery"))
        score++;
    if (mm_fields_get(&m->head, "X-Message-Info"))
        score++;
    if (mm_prov_any_header_has(m, "Received", ".hotmail.com"))
        score++;
    return score >= 2;
}

mm_status_t mm_decode_outlook(const mm_msg *m, mm_report *r)
{
    if (!is_outlook(m))
        return MM_ENOTFOUND;
    size_t from;
    mm_status_t st = mm_prov_dsn(m, r, &from);
    for (size_t i = from; st == MM_OK && i < r->n; i++)
        r->r[i].hint = mm_prov_phrase_hint(outlook_words, r->r[i].pub.diagnostic);
    return st;
}
