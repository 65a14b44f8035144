/*
 * rfc3834.c - automatic responses (RFC 3834): out-of-office and other
 * auto-replies.  Not a failure: one record for the person who auto-replied
 * (the From of the reply), reason "vacation".
 */
#include "decoders.h"

#include <string.h>
#include "../util/str.h"

static bool subject_is_autoreply(const char *s)
{
    static const char *const marks[] = {
        "auto:", "auto reply", "auto-reply", "autoreply", "automatic reply", "out of office",
        "out of the office", "vacation", "away from", "自动回复", "自動回覆", "自動返信",
        "absence", "abwesenheit", NULL};
    for (size_t i = 0; marks[i]; i++)
        if (mm_strcasestr(s, marks[i]))
            return true;
    return false;
}

mm_status_t mm_decode_rfc3834(const mm_msg *m, mm_report *r)
{
    const char *as = mm_fields_get(&m->head, "Auto-Submitted");
    const char *subj = mm_fields_get(&m->head, "Subject");
    const char *xa = mm_fields_get(&m->head, "X-Autoreply");
    const char *xar = mm_fields_get(&m->head, "X-Autorespond");
    const char *prec = mm_fields_get(&m->head, "Precedence");
    bool auto_replied = as && mm_startswith_ci(as, "auto-replied");
    bool hinted = xa || xar || (prec && mm_strcasestr(prec, "auto_reply"));
    if (m->has_dsn || m->has_feedback)
        return MM_ENOTFOUND;
    /* Exim and others mark their bounces "Auto-Submitted: auto-replied" too
     * (RFC 3834 section 5 allows it); a message that presents itself as a
     * delivery report is a bounce unless its subject says auto-reply. */
    if (mm_looks_like_bounce(m) && !(subj && subject_is_autoreply(subj)))
        return MM_ENOTFOUND;
    if (!auto_replied && !hinted && !(subj && subject_is_autoreply(subj) && !mm_looks_like_bounce(m)))
        return MM_ENOTFOUND;
    const char *from = mm_fields_get(&m->head, "From");
    mm_rcpt *rc = mm_report_add(r);
    if (!rc)
        return MM_ENOMEM;
    rc->pub.recipient = mm_report_addr(r, from ? from : "", from ? strlen(from) : 0);
    rc->hint = MM_REASON_VACATION;
    rc->pub.diagnostic = mm_report_strz(r, subj ? subj : "");
    r->kind = MM_KIND_AUTOREPLY;
    return MM_OK;
}
