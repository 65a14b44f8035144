/*
 * mxlogic.c - McAfee MXLogic (mxl_mta), an Exim derivative: "Mail delivery
 * failed" from MAILER-DAEMON@...mxlogic.net (or an mxl host), with lines
 *   <user@example.org>: 550 5.1.1 <user@example.org>: ... User unknown
 * before "Included is a copy of the message header:".  Read with the
 * Exim-style list reader shared with mailru.c.
 *
 * McAfee does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* The sender (mxlogic.net or an mxlNN host), or its mxl_mta software named
 * in the Received lines of the copied header, inline or attached. */
static bool is_mxlogic(const mm_msg *m, const mm_report *r)
{
    /* the three marks hold "mxl": a sender without it has none of them */
    if (mm_mta_lc_has(r->from_lc, r->from_len, "mxl") &&
        (mm_mta_lc_has(r->from_lc, r->from_len, "mxlogic.net") ||
         mm_mta_lc_has(r->from_lc, r->from_len, ".mxl") ||
         mm_mta_lc_has(r->from_lc, r->from_len, "@mxl")))
        return true;
    return mm_strcasestr(mm_buf_str(&m->orig_text), "(mxl_mta") ||
           mm_strcasestr(mm_buf_str(&m->text), "(mxl_mta");
}

mm_status_t mm_decode_mxlogic(const mm_msg *m, mm_report *r)
{
    static const char *const markers[] = {"This message was created automatically",
                                          "Mail delivery failed", NULL};
    if (m->has_dsn || !is_mxlogic(m, r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    if (!mm_strcasestr(t, "Included is a copy of the message header"))
        return MM_ENOTFOUND;
    mm_status_t st = mm_prov_exim_list(m, r, markers);
    if (st != MM_ENOTFOUND)
        return st;
    /* No lead-in sentence: read the list from the top of the text. */
    size_t from = r->n, n = r->prose_len;
    const char *end = mm_strcasestr(t, "Included is a copy of the message header");
    if (end && (size_t)(end - t) < n)
        n = (size_t)(end - t);
    st = mm_prov_addr_blocks(r, t, n);
    if (st != MM_OK)
        return st;
    for (size_t i = from; i < r->n; i++)
        mm_prov_refine_status(r, &r->r[i]);
    return mm_mta_found(r, from);
}
