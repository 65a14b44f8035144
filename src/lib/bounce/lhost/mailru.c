/*
 * mailru.c - Mail.Ru (and its corp.mail.ru relays), an Exim installation
 * whose notice repeats Exim's list of failed addresses in Russian above the
 * English one:
 *   К сожалению, Ваше письмо не может быть доставлено ... получателям:
 *     user@example.org
 *       SMTP error from remote mail server after RCPT TO:<user@example.org>:
 *       host mx.example.org [192.0.2.1]: 550 5.1.1 ... User Unknown
 * Each address line opens a recipient and the indented lines under it are
 * its diagnostic; the second (English) copy of the list is skipped as the
 * same addresses.  The "host NAME [IP]:" prefix names the remote MTA.
 *
 * Mail.Ru does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* "host mx.example.org [192.0.2.1]:" in an Exim diagnostic. */
void mm_prov_exim_host(mm_report *r, mm_rcpt *rc)
{
    const char *d = rc->pub.diagnostic;
    const char *h = mm_strcasestr(d, "host ");
    const char *br = h ? strchr(h, '[') : NULL;
    if (!h || !br || br - h > 260)
        return;
    const char *s = h + 5, *e = br;
    while (e > s && e[-1] == ' ')
        e--;
    if (e > s && !memchr(s, ' ', (size_t)(e - s)))
        rc->pub.remote_mta = mm_report_str(r, s, (size_t)(e - s));
}

mm_status_t mm_prov_exim_list(const mm_msg *m, mm_report *r, const char *const *markers)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = mm_prov_text_len(t, m->text.len);
    const char *after = NULL;
    for (size_t i = 0; markers[i] && !after; i++)
        after = mm_prov_after_line(t, n, markers[i]);
    if (!after)
        return MM_ENOTFOUND;
    size_t from = r->n;
    mm_status_t st = mm_prov_addr_blocks(r, after, n - (size_t)(after - t));
    if (st != MM_OK)
        return st;
    if (r->n == from)
        return MM_ENOTFOUND;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        const char *d = rc->pub.diagnostic = mm_prov_unfold_reply(r, rc->pub.diagnostic);
        rc->pub.smtp_command = mm_prov_command(d, strlen(d));
        mm_prov_exim_host(r, rc);
        mm_prov_refine_status(r, rc);
        if (mm_strcasestr(d, "retry timeout exceeded") ||
            mm_strcasestr(d, "retry time not reached"))
            rc->pub.action = "delayed";
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}

mm_status_t mm_decode_mailru(const mm_msg *m, mm_report *r)
{
    static const char *const markers[] = {"не может быть доставлено",
                                          "The following address(es) failed", NULL};
    const char *from = mm_fields_get(&m->head, "From");
    /* a Mail.Ru host, not hotmail.ru and the like */
    if (m->has_dsn || !from ||
        !(mm_strcasestr(from, "@mail.ru") || mm_strcasestr(from, ".mail.ru")))
        return MM_ENOTFOUND;
    return mm_prov_exim_list(m, r, markers);
}
