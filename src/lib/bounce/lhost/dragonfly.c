/*
 * dragonfly.c - DragonFly Mail Agent (dma), the small MTA of DragonFly BSD.
 *
 * Its notice (dma's mail.c, bounce()) is plain text from MAILER-DAEMON:
 *   This is the DragonFly Mail Agent v0.13 at host.
 *   There was an error delivering your mail to <rcpt>.
 *   <remote host> did not like our RCPT TO:      (or MAIL FROM, final DATA)
 *   550 5.1.1 ... receiver's reply ...
 *   Message headers follow.
 * One recipient per notice.  "Could not deliver for the last N seconds.
 * Giving up." is dma's own words when the queue lifetime ran out.
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const char *command_of(const char *t, size_t n)
{
    static const struct {
        const char *mark, *cmd;
    } cmds[] = {{"did not like our rcpt", "RCPT"},       {"did not like our mail", "MAIL"},
                {"did not like our final data", "DATA"}, {"did not like our data", "DATA"},
                {"did not like our ehlo", "EHLO"},       {"did not like our helo", "HELO"},
                {"did not like our greeting", "CONN"}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (mm_memcasemem(t, n, cmds[i].mark, strlen(cmds[i].mark)))
            return cmds[i].cmd;
    return "";
}

mm_status_t mm_decode_dragonfly(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = m->text.len;
    if (!mm_memcasemem(t, n < 400 ? n : 400, "DragonFly Mail Agent", 20))
        return MM_ENOTFOUND;
    n = r->prose_len; /* mm_mta_prose_len(t, n), worked out before the decoders */
    const char *end = mm_memcasemem(t, n, "Message headers follow", 22);
    if (end)
        n = (size_t)(end - t);
    const char *lead = mm_prov_after_line(t, n, "error delivering your mail to");
    const char *lead_line = mm_memcasemem(t, n, "error delivering your mail to", 29);
    size_t alen;
    const char *a = lead_line ? mm_find_addr(lead_line, (size_t)(lead - lead_line), &alen) : NULL;
    if (!a)
        return MM_ENOTFOUND;
    size_t dlen = n - (size_t)(lead - t);
    /* "HOST [IP] did not like our RCPT TO:" is dma's line; the reply follows. */
    const char *host_end = mm_memcasemem(lead, dlen, " did not like our", 17);
    const char *reply = host_end ? mm_prov_after_line(lead, dlen, " did not like our") : lead;
    mm_rcpt *rc = mm_mta_add(r, a, alen, reply, n - (size_t)(reply - t));
    if (!rc)
        return mm_mta_add_failed(r);
    if (host_end) {
        const char *hs = lead, *he = host_end;
        while (hs < host_end && (*hs == '\n' || *hs == ' '))
            hs++;
        const char *sp = memchr(hs, ' ', (size_t)(he - hs));
        rc->pub.remote_mta = mm_report_str(r, hs, (size_t)((sp ? sp : he) - hs));
    }
    rc->pub.smtp_command = command_of(lead, dlen);
    if (mm_memcasemem(lead, dlen, "Giving up", 9))
        rc->hint = MM_REASON_EXPIRED;
    mm_prov_refine_status(r, rc);
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
