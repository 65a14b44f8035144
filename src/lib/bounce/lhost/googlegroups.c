/*
 * googlegroups.c - Google Groups' refusal to post ("the group you tried to
 * contact (NAME) may not exist, or you may not have permission to post
 * messages to the group").  Plain text from mailer-daemon@googlemail.com;
 * the group address is in X-Failed-Recipients.  The notice is localised
 * (English, Arabic, ...), so it is recognised by the failed address being a
 * googlegroups.com one and the text pointing at groups.google.com; the
 * paragraph after the greeting is the diagnostic.  The notice itself says
 * the post was refused for the sender, so it hints "rejected".
 *
 * Google does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

mm_status_t mm_decode_googlegroups(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    const char *xf = mm_fields_get(&m->head, "X-Failed-Recipients");
    if (!xf || !mm_strcasestr(xf, "googlegroups.com"))
        return MM_ENOTFOUND;
    if (!mm_memcasemem(t, n, "groups.google.com", 17) && !mm_memcasemem(t, n, "Google Groups", 13))
        return MM_ENOTFOUND;
    /* The second paragraph (after "Hello <sender>,") says why. */
    const char *start = strstr(t, "\n\n");
    start = start ? start + 2 : t;
    while (*start == '\n')
        start++;
    const char *stop = strstr(start, "\n\n");
    size_t dlen = stop && stop < t + n ? (size_t)(stop - start) : n - (size_t)(start - t);
    size_t pos = 0, len;
    const char *a;
    /* X-Failed-Recipients may list several addresses, comma separated. */
    while ((a = mm_find_addr(xf + pos, strlen(xf + pos), &len)) != NULL && r->n < r->max) {
        mm_rcpt *rc = mm_mta_add(r, a, len, start, dlen);
        if (!rc)
            return mm_mta_add_failed(r);
        rc->hint = MM_REASON_REJECTED;
        rc->pub.smtp_command = "DATA";
        pos = (size_t)(a - xf) + len;
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
