/*
 * receivingses.c - bounces sent by Amazon SES's receiving side: a receipt
 * rule's "Bounce" action (X-SES-Outgoing, "This message could not be
 * delivered." and a delivery-status part, read by rfc3464.c).
 *
 * The reply in such a bounce is not the verdict of a mailbox: it is one of
 * the templates the rule's owner picked in the SES console ("Mailbox does
 * not exist", "Mailbox full", ...), see the SES Developer Guide, "Bounce
 * action".  The templates' words therefore become hints of their own.
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_words templates[] = {{"Mailbox does not exist", MM_REASON_FILTERED},
                                     {"Message too large", MM_REASON_MESGTOOBIG},
                                     {"Mailbox full", MM_REASON_MAILBOXFULL},
                                     {"Message content rejected", MM_REASON_CONTENTERROR},
                                     {"Temporary failure", MM_REASON_ONHOLD},
                                     {NULL, MM_REASON_UNDEFINED}};

mm_status_t mm_decode_receivingses(const mm_msg *m, mm_report *r)
{
    if (!mm_fields_get(&m->head, "X-SES-Outgoing"))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    if (!mm_memcasemem(t, m->text.len, "This message could not be delivered.", 36))
        return MM_ENOTFOUND;
    return mm_prov_dsn_words(m, r, templates);
}
