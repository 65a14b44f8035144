/*
 * gmx.c - GMX / mail.com (MAILER-DAEMON@...gmx...): Exim-like wording but
 * its own layout, one address and a "Reason:" block:
 *   The following address failed:
 *   <user@example.org>
 *   Reason:
 *   delivery retry timeout exceeded
 * Everything after "Reason:" up to the copy of the original message is the
 * diagnostic.
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

mm_status_t mm_decode_gmx(const mm_msg *m, mm_report *r)
{
    const char *from = mm_fields_get(&m->head, "From");
    if (m->has_dsn || !from || !(mm_strcasestr(from, "gmx.") || mm_strcasestr(from, "mail.com")))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len);
    const char *hdr = mm_memcasemem(t, n, "--- The header of the original message", 38);
    if (hdr)
        n = (size_t)(hdr - t);
    const char *list = mm_prov_after_line(t, n, "failed:");
    const char *reason = mm_prov_after_line(t, n, "Reason:");
    if (!list || !reason || reason < list)
        return MM_ENOTFOUND;
    size_t pos = 0, len, alen, start = r->n, rlen = n - (size_t)(reason - t);
    const char *l, *a;
    while ((l = mm_next_line(list, (size_t)(reason - list), &pos, &len)) != NULL)
        if (mm_prov_addr_line(l, len, &a, &alen)) {
            mm_rcpt *rc = mm_prov_add(r, a, alen, reason, rlen);
            if (!rc)
                return MM_ENOMEM;
            if (mm_strcasestr(rc->pub.diagnostic, "retry timeout exceeded"))
                rc->pub.action = "delayed";
            mm_prov_refine_status(r, rc);
            rc->pub.smtp_command = mm_prov_command(rc->pub.diagnostic, strlen(rc->pub.diagnostic));
        }
    if (r->n == start)
        return MM_ENOTFOUND;
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
