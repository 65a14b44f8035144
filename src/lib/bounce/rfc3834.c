/*
 * rfc3834.c - automatic responses (RFC 3834): out-of-office and other
 * auto-replies.  Not a failure: one record for the person who auto-replied
 * (the From of the reply), reason "vacation".
 *
 * This decoder runs before the bounce readers, so it must not claim a
 * bounce: MTAs mark their own notices "Auto-Submitted: auto-replied" too
 * (Exim, Gmail, mail.ru, Exchange).  A message that presents itself as a
 * delivery report, comes from a system account or names failed recipients
 * is left to the bounce decoders.  What remains is recognised by the RFC 3834
 * section 5 header, the de-facto headers (Microsoft X-Auto-Response-Suppress,
 * Precedence: auto_reply, X-Autoreply) or an auto-reply subject.
 */
#include "decoders.h"
#include "lhost/mta_util.h"
#include "lhost/prov_util.h"

#include <string.h>
#include "../util/str.h"

/* Does the lower-cased subject hold one of marks (NULL-terminated)? */
static bool subject_has_any(const mm_report *r, const char *const *marks)
{
    for (size_t i = 0; marks[i]; i++)
        if (mm_mta_lc_has(r->subject_lc, r->subject_len, marks[i]))
            return true;
    return false;
}

/*
 * The subject (r->subject) reads as an auto-reply's: asked of its
 * lower-cased copy, so the marks are written in lower case.  They are
 * filed in three lists so that most subjects are passed over with a few
 * searches: the marks holding "auto" are asked only of a subject that
 * holds "auto", and those holding an 8-bit byte only of a subject that
 * holds one.  Every mark is in exactly one list.
 */
static bool subject_is_autoreply(const mm_report *r)
{
    static const char *const with_auto[] = {
        "auto:", "auto reply", "auto-reply", "autoreply", "automatic reply", "automatische antwort",
        "réponse automatique",
        /* Outlook's and other clients' localised "Automatic reply:" */
        "automatisch antwoord", "risposta automatica", "respuesta automática",
        "resposta automática", "autosvar", "automaattinen vastaus", "odpowiedź automatyczna",
        "automatická odpověď", NULL};
    static const char *const plain[] = {
        "out of office", "out of the office", "away until",  "vacation",
        "away from",     "absence",           "abwesenheit", NULL};
    static const char *const wide[] = {"自动回复",  "自動回覆", "自動返信",  "otomatik yanıt",
                                       "автоответ", "自动答复", "자동 회신", NULL};
    if (!r->subject_lc)
        return false;
    if (mm_mta_lc_has(r->subject_lc, r->subject_len, "auto") && subject_has_any(r, with_auto))
        return true;
    if (subject_has_any(r, plain))
        return true;
    return !mm_ascii(r->subject_lc, r->subject_len) && subject_has_any(r, wide);
}

/* System senders and notices that are never a person's auto-reply, by
 * the header alone; mm_looks_like_bounce() (a search of the text) is
 * asked after the auto-reply marks.  All are pure tests, so the order
 * changes only the cost. */
static bool is_excluded(const mm_msg *m, const mm_report *r)
{
    static const char *const senders[] = {"root@", "postmaster@", "mailer-daemon@", NULL};
    if (m->has_dsn || m->has_feedback || mm_fields_get(&m->head, "X-Failed-Recipients"))
        return true;
    for (size_t i = 0; senders[i]; i++)
        if (mm_prov_lc_has_by(r->from_lc, r->from_len, senders[i], '@'))
            return true;
    if (mm_mta_lc_has(r->subject_lc, r->subject_len, "security information for") ||
        mm_mta_lc_has(r->subject_lc, r->subject_len, "mail failure"))
        return true;
    return false;
}

static bool has_autoreply_header(const mm_msg *m)
{
    const char *as = mm_fields_get(&m->head, "Auto-Submitted");
    const char *xars = mm_fields_get(&m->head, "X-Auto-Response-Suppress");
    const char *prec = mm_fields_get(&m->head, "Precedence");
    if (as && mm_startswith_ci(as, "auto-") && !mm_startswith_ci(as, "auto-generated"))
        return true;
    if (xars && (mm_strcasestr(xars, "oof") || mm_strcasestr(xars, "autoreply")))
        return true;
    if (prec && mm_strcasestr(prec, "auto_reply"))
        return true;
    return mm_fields_get(&m->head, "X-Autoreply") || mm_fields_get(&m->head, "X-Autorespond");
}

/* The first few lines of the reply, as the diagnostic. */
static const char *first_lines(mm_report *r, const mm_msg *m, const char *subj)
{
    const char *t = mm_buf_str(&m->text);
    size_t pos = 0, len, end = 0, lines = 0;
    const char *l;
    while (lines < 5 && (l = mm_next_line(t, m->text.len, &pos, &len)) != NULL) {
        if (len == 0 && lines > 0)
            break;
        if (len > 0)
            lines++;
        end = pos;
    }
    if (end == 0)
        return mm_report_strz(r, subj ? subj : "");
    return mm_report_str(r, t, end);
}

mm_status_t mm_decode_rfc3834(const mm_msg *m, mm_report *r)
{
    const char *subj = r->subject;
    if (is_excluded(m, r))
        return MM_ENOTFOUND;
    if (!has_autoreply_header(m) && !subject_is_autoreply(r))
        return MM_ENOTFOUND;
    if (mm_looks_like_bounce(m, r))
        return MM_ENOTFOUND;
    const char *from = r->from;
    if (!from)
        from = mm_fields_get(&m->head, "Return-Path");
    if (!from)
        return MM_ENOTFOUND;
    mm_rcpt *rc = mm_report_add(r);
    if (!rc)
        return MM_ENOMEM;
    rc->pub.recipient = mm_report_addr(r, from, strlen(from));
    rc->hint = MM_REASON_VACATION;
    rc->pub.diagnostic = first_lines(r, m, subj);
    r->kind = MM_KIND_AUTOREPLY;
    return MM_OK;
}
