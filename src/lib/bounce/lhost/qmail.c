/*
 * qmail.c - bounces written by qmail-send ("Hi. This is the qmail-send
 * program at ...") and by its patched descendants (netqmail, qmail-ldap,
 * vpopmail setups).
 *
 * After the greeting each failed address stands alone in angle brackets,
 * followed by what qmail-remote or qmail-local said:
 *
 *   <kijitora@example.jp>:
 *   192.0.2.153 does not like recipient.
 *   Remote host said: 550 5.1.1 <kijitora@example.jp>... User Unknown
 *   Giving up on 192.0.2.153.
 *
 * The copy of the message follows "--- Below this line is a copy of the
 * message.".  qmail's own errors are fixed strings in its sources
 * (qmail-remote.c, qmail-local.c, the qmail-ldap patch); the table maps
 * them to reasons, as Sisimai's qmail module does.  There is no RFC 3464
 * part.  Clones and rebranded qmail-send greet differently but keep its
 * subject, its blocks and its "--- Below this line is a copy of the
 * message." (or "--- Original message follows."), and are read the same.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

static const mm_words qmail_phrases[] = {
    /* qmail-local.c, qmail-remote.c, error_str.c */
    {"no mailbox here by that name", MM_REASON_USERUNKNOWN},
    {"does not like recipient.", MM_REASON_USERUNKNOWN},
    {"disk quota exceeded", MM_REASON_MAILBOXFULL},
    {"message size exceeds fixed maximum message size:", MM_REASON_MESGTOOBIG},
    {"sorry, i couldn't find any host ", MM_REASON_HOSTUNKNOWN},
    {"requested action not taken: mailbox unavailable (not enough free space)",
     MM_REASON_SYSTEMFULL},
    {"bad interpreter: no such file or directory", MM_REASON_SYSTEMERROR},
    {"sorry, i wasn't able to establish an smtp connection", MM_REASON_NETWORKERROR},
    {"sorry, i couldn't find a mail exchanger or ip address", MM_REASON_NETWORKERROR},
    {"sorry. although i'm listed as a best-preference mx or a for that host",
     MM_REASON_NETWORKERROR},
    /* qmail-ldap patch */
    {"mailaddress is administrativly disabled", MM_REASON_SUSPEND},
    {"mailaddress is administratively disabled", MM_REASON_SUSPEND},
    {"the message exeeded the maximum size the user accepts", MM_REASON_EXCEEDLIMIT},
    {"automatic homedir creator crashed", MM_REASON_SYSTEMERROR},
    {"illegal value in ldap attribute", MM_REASON_SYSTEMERROR},
    {"ldap attribute is not given but mandatory", MM_REASON_SYSTEMERROR},
    {"timeout while performing search on ldap server", MM_REASON_SYSTEMERROR},
    {"too many results returned but needs to be unique", MM_REASON_SYSTEMERROR},
    {"permanent error while executing qmail-forward", MM_REASON_SYSTEMERROR},
    {"temporary error in automatic homedir creation", MM_REASON_SYSTEMERROR},
    {"temporary error while executing qmail-forward", MM_REASON_SYSTEMERROR},
    {"temporary failure in ldap lookup", MM_REASON_SYSTEMERROR},
    {"unable to contact ldap server", MM_REASON_SYSTEMERROR},
    {"unable to login into ldap server, bad credentials", MM_REASON_SYSTEMERROR},
    /* qmail-send.c: given up after the queue lifetime; the last
     * attempt's own words above say more, generic ones below say less */
    {"this message has been in the queue too long.", MM_REASON_EXPIRED},
    {"system error", MM_REASON_SYSTEMERROR},
    {"unable to", MM_REASON_SYSTEMERROR},
    {NULL, MM_REASON_UNDEFINED},
};

/* qmail clones and rebranded qmail-send (ISP gateways, Yahoo! Japan) keep
 * qmail-send's subject and the line that introduces the copy of the
 * message, but greet in their own words. */
static bool is_qmail_clone(const mm_msg *m, const mm_report *r, const char *t, size_t n)
{
    static const char *const subjects[] = {"failure notice",   "Permanent Delivery Failure",
                                           "Delivery failure", "failed delivery",
                                           "failure delivery", NULL};
    static const mm_needle copies[] = {MM_NEEDLE("--- Below this line is a copy of the message."),
                                       MM_NEEDLE("--- Original message follows.")};
    /* the text's two tests first: the subject's may walk every Received
     * field (each value made on first read); both copy lines in one pass */
    size_t w;
    if (!mm_mta_find_any(t, m->text.len, 0, copies, 2, 3u, &w) || !mm_memcasemem(t, n, "\n<", 2))
        return false;
    const char *subj = r->subject;
    bool subject = false;
    for (size_t i = 0; subj && subjects[i]; i++)
        subject = subject || mm_startswith_ci(subj, subjects[i]);
    for (size_t i = 0; i < m->head.n && !subject; i++)
        subject = strcasecmp(m->head.v[i].name, "Received") == 0 &&
                  mm_strcasestr(mm_field_value(&m->head.v[i]), "invoked for bounce");
    return subject;
}

static bool is_qmail(const mm_msg *m, const mm_report *r, const char *t, size_t n)
{
    const char *subj = r->subject;
    if (mm_memcasemem(t, n, "This is the qmail", 17))
        return true;
    if (subj && strcmp(subj, "failure notice") == 0 &&
        mm_memcasemem(t, n, "wasn't able to deliver your message", 35))
        return true;
    return is_qmail_clone(m, r, t, n);
}

/* qmail-remote says which step failed; a refused sender or greeting name
 * settles the reason before any phrase does. */
static void qmail_hint(mm_rcpt *rc, const char *b, size_t n)
{
    const char *cmd = rc->pub.smtp_command;
    if (strcmp(cmd, "MAIL") == 0) {
        rc->hint = MM_REASON_REJECTED;
    } else if (strcmp(cmd, "HELO") == 0 || strcmp(cmd, "EHLO") == 0) {
        rc->hint = MM_REASON_BLOCKED;
    } else if (mm_memcasemem(b, n, "does not like recipient.", 24) &&
               mm_memcasemem(b, n, "in the queue too long.", 22)) {
        /* the remote's reply, not qmail's wording, says why */
        rc->hint = MM_REASON_UNDEFINED;
    } else {
        /* when the remote host replied, its words are the evidence, and
         * qmail's "does not like recipient" only says a RCPT failed */
        const char *said = mm_memcasemem(b, n, "Remote host said:", 17);
        rc->hint = said ? mm_words_find(qmail_phrases, said, n - (size_t)(said - b))
                        : mm_words_find(qmail_phrases, b, n);
    }
}

mm_status_t mm_decode_qmail(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    if (!is_qmail(m, r, t, n))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = mm_mta_angle_blocks(r, t, n, qmail_hint);
    return st != MM_OK ? st : mm_mta_found(r, start);
}
