/*
 * fml.c - notices from the fml mailing list manager (fml.org) that refuse
 * or drop a posting: "You are not a member of this mailing list <ML>.",
 * "Duplicated Message-ID in <ML>.", and the like.
 *
 * They come from "LIST-admin@" with an X-MLServer header and a Message-ID
 * ending in ".FML..." and do not present themselves as bounces.  Each line
 * naming an address in angle brackets (the list that refused the post) is
 * a record; the text of the notice up to "Original mail as follows:" is
 * its diagnostic.  fml's notices are fixed strings of its source, and the
 * table maps them (and, failing that, the subject's) to the reason they
 * state, as Sisimai's FML module does.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

/* fml's notice texts and subjects, lower case. */
static const mm_words notices[] = {
    {" header may cause mail loop", MM_REASON_REJECTED},
    {"not member article from ", MM_REASON_REJECTED},
    {"reject mail from ", MM_REASON_REJECTED},
    {"reject spammers:", MM_REASON_REJECTED},
    {"you are not a member of this mailing list", MM_REASON_REJECTED},
    {" has detected a loop condition so that", MM_REASON_SYSTEMERROR},
    {"duplicated message-id", MM_REASON_SYSTEMERROR},
    {"loop back warning:", MM_REASON_SYSTEMERROR},
    {"security alert:", MM_REASON_SECURITYERROR},
    {NULL, MM_REASON_UNDEFINED},
};

static const mm_words subjects[] = {
    {" are not member", MM_REASON_REJECTED},
    {"not member article from ", MM_REASON_REJECTED},
    {"reject mail ", MM_REASON_REJECTED},
    {"spam mail from a spammer is rejected", MM_REASON_REJECTED},
    {"fml system error message", MM_REASON_SYSTEMERROR},
    {"loop alert: ", MM_REASON_SYSTEMERROR},
    {"loop back warning: ", MM_REASON_SYSTEMERROR},
    {"warning: unix from loop", MM_REASON_SYSTEMERROR},
    {"security alert", MM_REASON_SECURITYERROR},
    {NULL, MM_REASON_UNDEFINED},
};

static bool is_fml(const mm_msg *m, const mm_report *r)
{
    const char *from = r->from, *mid = r->message_id;
    return mm_fields_get(&m->head, "X-MLServer") && from && mm_strcasestr(from, "-admin@") && mid &&
           mm_strcasestr(mid, ".FML");
}

/* "... <list@example.org> ..." on a line: the address inside the brackets. */
static const char *bracketed(const char *l, size_t len, size_t *al)
{
    const char *lt = memchr(l, '<', len);
    const char *gt = lt ? memchr(lt, '>', len - (size_t)(lt - l)) : NULL;
    if (!gt || !memchr(lt, '@', (size_t)(gt - lt)))
        return NULL;
    *al = (size_t)(gt - lt - 1);
    return lt + 1;
}

static void set_hint(const mm_msg *m, mm_rcpt *rc)
{
    const char *d = rc->pub.diagnostic, *subj = mm_fields_get(&m->head, "Subject");
    rc->hint = mm_words_find(notices, d, strlen(d));
    if (rc->hint == MM_REASON_UNDEFINED && subj)
        rc->hint = mm_words_find(subjects, subj, strlen(subj));
}

mm_status_t mm_decode_fml(const mm_msg *m, mm_report *r)
{
    if (!is_fml(m, r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    const char *orig = mm_memcasemem(t, m->text.len, "Original mail as follows:", 25);
    size_t n = orig ? (size_t)(orig - t) : r->prose_len;
    size_t pos = 0, len, start = r->n;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        size_t al;
        const char *a = bracketed(l, len, &al);
        if (!a || mm_mta_find_rcpt(r, start, a, al))
            continue;
        /* the notice from this line on is what fml says about it */
        mm_rcpt *rc = mm_mta_add(r, a, al, l, n - (size_t)(l - t));
        if (!rc)
            return mm_mta_add_failed(r);
        set_hint(m, rc);
    }
    return mm_mta_found(r, start);
}
