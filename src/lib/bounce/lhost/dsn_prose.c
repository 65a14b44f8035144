/*
 * dsn_prose.c - RFC 3464 reports from MTAs with no decoder of their own
 * (Sun/Oracle Messaging Server, OpenSMTPD, Exchange, Courier, Domino,
 * PowerMTA and the like), completed from their prose.
 *
 * The delivery-status part is read by the RFC 3464 decoder; then, for each
 * recipient, the paragraph of the text part that names the address gives
 * what the fields leave out: the SMTP command ("after RCPT TO", "in reply
 * to DATA command"), the remote host, and the reply when Diagnostic-Code is
 * missing or cut short.  It runs after the family decoders and before the
 * plain RFC 3464 reader, and only for messages that present themselves as
 * bounces.
 */
#include "../decoders.h"
#include "mta_util.h"

mm_status_t mm_decode_dsn_prose(const mm_msg *m, mm_report *r)
{
    if (!m->has_dsn || !mm_looks_like_bounce(m))
        return MM_ENOTFOUND;
    return mm_mta_read_dsn(m, r);
}
