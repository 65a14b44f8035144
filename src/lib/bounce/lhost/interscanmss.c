/*
 * interscanmss.c - Trend Micro InterScan Messaging Security Suite (later
 * "Trend Micro Email Security") notices: plain text from a postmaster
 * account named "InterScan MSS" / "InterScan Notification", subject "Mail
 * could not be delivered" (or its Japanese forms).  Two layouts:
 *   Sent <<< RCPT TO:<user@example.org>
 *   Received >>> 550 5.1.1 <user@example.org>... user unknown
 * which is a transcript of the failed SMTP dialogue (the Japanese notices
 * put the arrows the other way round), and a one-sentence summary,
 *   Unable to deliver message to <user@example.org> (and other recipients
 *   in the same domain). Please check if address is correct.
 * where InterScan itself says the address is wrong.
 *
 * Trend Micro does not publish this notice's layout; it is read as the
 * notices themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <ctype.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static bool is_interscan(const mm_msg *m)
{
    static const char *const subjects[] = {"Mail could not be delivered",
                                           "メッセージを配信できません。",
                                           "メール配信に失敗しました", NULL};
    const char *from = mm_fields_get(&m->head, "From");
    const char *subj = mm_fields_get(&m->head, "Subject");
    if (from && mm_strcasestr(from, "InterScan"))
        return true;
    for (size_t i = 0; subj && subjects[i]; i++)
        if (strcmp(subj, subjects[i]) == 0)
            return true;
    return false;
}

/* The recipient with address a, added if it is not the last one. */
static mm_rcpt *rcpt_for(mm_report *r, size_t from, const char *a, size_t alen)
{
    mm_rcpt *last = r->n > from ? &r->r[r->n - 1] : NULL;
    if (last && strlen(last->pub.recipient) == alen &&
        strncasecmp(last->pub.recipient, a, alen) == 0)
        return last;
    return mm_prov_add(r, a, alen, "", 0);
}

/* One "Sent <<< ..." / "Received >>> ..." line (either arrow direction). */
static mm_status_t transcript_line(mm_report *r, size_t from, const char *l, size_t len)
{
    const char *arrow = mm_memcasemem(l, len, "<<< ", 4);
    if (!arrow)
        arrow = mm_memcasemem(l, len, ">>> ", 4);
    if (!arrow)
        return MM_OK;
    const char *v = arrow + 4, *e = l + len;
    size_t alen;
    const char *a = mm_find_addr(v, (size_t)(e - v), &alen);
    if (mm_prov_lead_reply(v)) {
        mm_rcpt *rc = r->n > from ? &r->r[r->n - 1] : NULL;
        if (a && (rc = rcpt_for(r, from, a, alen)) == NULL)
            return MM_ENOMEM;
        if (rc)
            rc->pub.diagnostic = mm_report_str(r, v, (size_t)(e - v));
    } else if (a && isupper((unsigned char)v[0])) {
        mm_rcpt *rc = rcpt_for(r, from, a, alen);
        if (!rc)
            return MM_ENOMEM;
        rc->pub.smtp_command = mm_prov_verb(v);
    }
    return MM_OK;
}

mm_status_t mm_decode_interscanmss(const mm_msg *m, mm_report *r)
{
    if (m->has_dsn || !is_interscan(m))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text), *l;
    size_t n = mm_prov_text_len(t, m->text.len), pos = 0, len, from = r->n;
    mm_status_t st = MM_OK;
    while (st == MM_OK && !mm_prov_full(r) && (l = mm_next_line(t, n, &pos, &len)) != NULL) {
        const char *u = mm_memcasemem(l, len, "Unable to deliver message to", 28);
        size_t alen;
        const char *a = u ? mm_find_addr(u, len - (size_t)(u - l), &alen) : NULL;
        if (!a) {
            st = transcript_line(r, from, l, len);
            continue;
        }
        mm_rcpt *rc = mm_prov_add(r, a, alen, l, len);
        if (!rc)
            return MM_ENOMEM;
        if (mm_memcasemem(l, len, "check if address is correct", 27))
            rc->hint = MM_REASON_USERUNKNOWN;
    }
    if (st != MM_OK || r->n == from)
        return st == MM_OK ? MM_ENOTFOUND : st;
    for (size_t i = from; i < r->n; i++)
        mm_prov_refine_status(r, &r->r[i]);
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
