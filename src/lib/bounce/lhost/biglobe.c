/*
 * biglobe.c - BIGLOBE (and the cable ISPs it hosts: inacatv, tmtv, ttv):
 * "Returned mail: ..." from postmaster@biglobe.ne.jp, plain text:
 *      ----- The following addresses had delivery problems -----
 *   user@example.org
 *      ----- Non-delivered information -----
 *   The number of messages in recipient's mailbox exceeded the local limit.
 * The addresses are the lines under the first heading; the text under the
 * second is every recipient's diagnostic.  BIGLOBE's own fixed sentences
 * say the reason and become hints.
 *
 * BIGLOBE does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_prov_phrase biglobe_words[] = {
    {"Mail Delivery Failed... User unknown", MM_REASON_FILTERED},
    {"The number of messages in recipient's mailbox exceeded the local limit",
     MM_REASON_MAILBOXFULL},
    {NULL, MM_REASON_UNDEFINED}};

static bool is_biglobe(const mm_msg *m)
{
    static const char *const isps[] = {"@biglobe.ne.jp", "@inacatv.ne.jp", "@tmtv.ne.jp",
                                       "@ttv.ne.jp", NULL};
    const char *from = mm_fields_get(&m->head, "From");
    const char *subj = mm_fields_get(&m->head, "Subject");
    if (m->has_dsn || !from || !subj || !mm_startswith_ci(subj, "Returned mail:"))
        return false;
    for (size_t i = 0; isps[i]; i++)
        if (mm_strcasestr(from, isps[i]) && mm_strcasestr(from, "postmaster"))
            return true;
    return false;
}

mm_status_t mm_decode_biglobe(const mm_msg *m, mm_report *r)
{
    if (!is_biglobe(m))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len), pos, len, start = r->n;
    const char *list =
        mm_prov_after_line(t, n, "----- The following addresses had delivery problems");
    const char *info = mm_prov_after_line(t, n, "----- Non-delivered information");
    if (!list || !info || info < list)
        return MM_ENOTFOUND;
    const char *diag = mm_report_str(r, info, n - (size_t)(info - t));
    const char *l, *a;
    size_t alen;
    for (pos = 0; (l = mm_next_line(list, (size_t)(info - list), &pos, &len)) != NULL;) {
        if (!mm_prov_addr_line(l, len, &a, &alen))
            continue;
        mm_rcpt *rc = mm_prov_add(r, a, alen, "", 0);
        if (!rc && !mm_prov_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        rc->pub.diagnostic = diag;
        rc->hint = mm_prov_phrase_hint(biglobe_words, diag);
    }
    if (r->n == start)
        return MM_ENOTFOUND;
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
