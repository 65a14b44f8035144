/*
 * kddi.c - KDDI's au one net / DION mail servers (no-reply@...dion.ne.jp,
 * Reply-To no-reply@app.auone-net.jp), a Japanese notice with the server's
 * English lines under it:
 *   Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900
 *        Could not be delivered to: <user@example.org>
 *        As their mailbox is full.
 * Each "Could not be delivered to:" line opens a recipient and the
 * indented lines after it are its diagnostic, KDDI's own fixed sentences,
 * which become hints.
 *
 * KDDI does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_prov_phrase kddi_words[] = {
    {"As their mailbox is full", MM_REASON_MAILBOXFULL},
    {"Due to the following SMTP relay error", MM_REASON_NORELAYING},
    {"As the remote domain doesnt exist", MM_REASON_HOSTUNKNOWN},
    {NULL, MM_REASON_UNDEFINED}};

static bool is_kddi(const mm_msg *m)
{
    const char *from = mm_fields_get(&m->head, "From");
    if (from && mm_strcasestr(from, "no-reply@") && mm_strcasestr(from, ".dion.ne.jp"))
        return true;
    return mm_prov_header_has(m, "Reply-To", "no-reply@app.auone-net.jp");
}

/* The indented lines after the recipient's line, up to a blank or
 * unindented one. */
static size_t reason_len(const char *t, size_t n)
{
    size_t pos = 0, len, end = 0;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL && len > 0 &&
           (l[0] == ' ' || l[0] == '\t') && !mm_prov_blank(l, len))
        end = pos;
    return end;
}

mm_status_t mm_decode_kddi(const mm_msg *m, mm_report *r)
{
    if (m->has_dsn || !is_kddi(m))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len), pos = 0, len, start = r->n;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL && r->n < r->max) {
        const char *c = mm_memcasemem(l, len, "Could not be delivered to:", 26), *a;
        size_t alen;
        if (!c || (a = mm_find_addr(c, len - (size_t)(c - l), &alen)) == NULL)
            continue;
        size_t dl = reason_len(t + pos, n - pos);
        mm_rcpt *rc = mm_prov_add(r, a, alen, t + pos, dl);
        if (!rc)
            return MM_ENOMEM;
        rc->hint = mm_prov_phrase_hint(kddi_words, rc->pub.diagnostic);
        mm_prov_refine_status(r, rc);
    }
    if (r->n == start)
        return MM_ENOTFOUND;
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
