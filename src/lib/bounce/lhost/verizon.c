/*
 * verizon.c - Verizon Wireless gateways: the picture-message (MMS) gateway
 * (sysadmin@...vzwpix.com, "Message could not be delivered to mobile.")
 * and the text-message gateway (post_master@vtext.com, "Error: 550 - ...").
 * Neither names the recipient in its own words: it is in the "To:" of the
 * original message quoted below ("Original Message:") or attached.  The
 * MMS gateway's "No valid recipients for this MM" and the text gateway's
 * "no such user here" say the number does not exist.
 *
 * Verizon does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_prov_phrase vzw_words[] = {
    {"No valid recipients for this MM", MM_REASON_USERUNKNOWN},
    {"550 - Requested action not taken: no such user here", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED}};

/* The recipient: "To:" under "Original Message:", else the attached To. */
static const char *original_to(const mm_msg *m, const char *t, size_t n, size_t *alen)
{
    const char *o = mm_memcasemem(t, n, "Original Message", 16);
    const char *to = o ? mm_memcasemem(o, n - (size_t)(o - t), "\nTo:", 4) : NULL;
    if (to) {
        const char *eol = memchr(to + 1, '\n', n - (size_t)(to + 1 - t));
        size_t ln = eol ? (size_t)(eol - to) : n - (size_t)(to - t);
        return mm_find_addr(to, ln, alen);
    }
    const char *v = mm_fields_get(&m->orig, "To");
    return v ? mm_find_addr(v, strlen(v), alen) : NULL;
}

/* The line starting with "Error:" (text gateway) or the notice's first
 * lines up to "Original Message" (MMS gateway). */
static const char *error_text(const char *t, size_t n, size_t *len)
{
    const char *e = mm_memcasemem(t, n, "Error:", 6);
    const char *o = mm_memcasemem(t, n, "Original Message", 16);
    const char *s = mm_memcasemem(t, n, "Message could not be delivered", 30);
    if (!s)
        s = e;
    if (!s)
        return NULL;
    const char *end = o && o > s ? o : t + n;
    *len = (size_t)(end - s);
    return s;
}

mm_status_t mm_decode_verizon(const mm_msg *m, mm_report *r)
{
    const char *from = mm_fields_get(&m->head, "From");
    if (m->has_dsn || !from ||
        !((mm_strcasestr(from, "sysadmin@") && mm_strcasestr(from, ".vzwpix.com")) ||
          mm_strcasestr(from, "post_master@vtext.com")))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = m->text.len, alen, dl;
    const char *a = original_to(m, t, n, &alen), *d = error_text(t, n, &dl);
    if (!a || !d)
        return MM_ENOTFOUND;
    mm_rcpt *rc = mm_prov_add(r, a, alen, d, dl);
    if (!rc)
        return MM_ENOMEM;
    rc->hint = mm_prov_phrase_hint(vzw_words, rc->pub.diagnostic);
    rc->pub.reply_code = mm_prov_reply_of_class(d, dl, '5');
    mm_prov_refine_status(r, rc);
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
