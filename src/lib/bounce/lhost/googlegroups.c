/*
 * googlegroups.c - Google Groups' refusal to post ("the group you tried to
 * contact (NAME) may not exist, or you may not have permission to post
 * messages to the group").  Plain text from mailer-daemon@googlemail.com;
 * the group address is in X-Failed-Recipients.  The notice itself says the
 * post was refused for the sender, so it hints "rejected".
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

mm_status_t mm_decode_googlegroups(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len);
    const char *xf = mm_fields_get(&m->head, "X-Failed-Recipients");
    if (!xf || !mm_strcasestr(xf, "googlegroups.com"))
        return MM_ENOTFOUND;
    const char *why = mm_memcasemem(t, n, "you tried to contact", 20);
    if (!why)
        return MM_ENOTFOUND;
    /* The paragraph saying why, up to the "If you have questions" line. */
    const char *start = why;
    while (start > t && start[-1] != '\n')
        start--;
    const char *stop = mm_memcasemem(start, n - (size_t)(start - t), "If you have questions", 21);
    size_t dlen = stop ? (size_t)(stop - start) : n - (size_t)(start - t);
    size_t pos = 0, len;
    const char *a;
    /* X-Failed-Recipients may list several addresses, comma separated. */
    while ((a = mm_find_addr(xf + pos, strlen(xf + pos), &len)) != NULL && r->n < r->max) {
        mm_rcpt *rc = mm_prov_add(r, a, len, start, dlen);
        if (!rc)
            return MM_ENOMEM;
        rc->hint = MM_REASON_REJECTED;
        rc->pub.smtp_command = "DATA";
        pos = (size_t)(a - xf) + len;
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
