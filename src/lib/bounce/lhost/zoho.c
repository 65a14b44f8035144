/*
 * zoho.c - Zoho Mail's delay and failure notices (mailer-daemon@mail.zoho.com)
 * that carry no delivery-status part.  Each recipient is a bracketed line:
 *   [Status: Error, Address: <user@example.org>, ResponseCode 421, , Host not reachable.]
 * A "(Delay)" subject or "THIS IS A WARNING MESSAGE ONLY" marks a delay.
 */
#include "../decoders.h"

#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

mm_status_t mm_decode_zoho(const mm_msg *m, mm_report *r)
{
    const char *from = mm_fields_get(&m->head, "From");
    if (m->has_dsn || !from || !mm_strcasestr(from, "zoho"))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len), pos = 0, len, start = r->n;
    bool delayed = mm_prov_header_has(m, "Subject", "(Delay)") ||
                   mm_memcasemem(t, n, "WARNING MESSAGE ONLY", 20);
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        const char *ad = mm_memcasemem(l, len, "Address:", 8);
        size_t alen;
        if (!mm_memcasemem(l, len, "[Status:", 8) || !ad)
            continue;
        const char *a = mm_find_addr(ad, len - (size_t)(ad - l), &alen);
        if (!a)
            continue;
        const char *rc_at = mm_memcasemem(l, len, "ResponseCode", 12);
        mm_rcpt *rc = mm_prov_add(r, a, alen, rc_at ? rc_at + 12 : a + alen,
                                  len - (size_t)((rc_at ? rc_at + 12 : a + alen) - l));
        if (!rc)
            return MM_ENOMEM;
        if (rc_at)
            rc->pub.reply_code = (int)strtol(rc_at + 12, NULL, 10);
        if (delayed)
            rc->pub.action = "delayed";
        mm_prov_refine_status(r, rc);
    }
    if (r->n == start)
        return MM_ENOTFOUND;
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
