/*
 * text.c - the last-resort decoder for bounces written as prose, by MTAs
 * that have no decoder of their own.
 *
 * It first decides whether the message is a bounce at all: the sender or
 * the subject must present it as one (mm_looks_like_bounce), and the
 * notice must state that delivery failed or quote a server's reply with
 * its status code, so that a postmaster's announcement or a digest that
 * mentions "rejected" is not read as a bounce.  The reading itself is the
 * generic prose reader's (lhost/prose.c).
 */
#include "decoders.h"

#include <string.h>
#include "../util/str.h"
#include "lhost/mta_util.h"

bool mm_looks_like_bounce(const mm_msg *m, const mm_report *r)
{
    static const char *const senders[] = {"mailer-daemon",
                                          "postmaster",
                                          "mail delivery",
                                          "mailer daemon",
                                          "mail administrator",
                                          "mdaemon",
                                          "bounce",
                                          "mail.delivery",
                                          "系统退信",
                                          "退信",
                                          "noreply-dmarc",
                                          "ndr administrator",
                                          "system administrator",
                                          "internet mail delivery",
                                          "mailerdaemon",
                                          NULL};
    static const char *const subjects[] = {"undeliver",
                                           "delivery status",
                                           "delivery fail",
                                           "failure notice",
                                           "returned mail",
                                           "mail delivery failed",
                                           "delivery notification",
                                           "non-delivery",
                                           "nondeliver",
                                           "could not be delivered",
                                           "could not send",
                                           "delivery has failed",
                                           "returned to sender",
                                           "not delivered",
                                           "delivery problem",
                                           "mail failure",
                                           "delivery report",
                                           "rejected",
                                           "系统退信",
                                           "退信",
                                           "投递失败",
                                           "未送达",
                                           "退回",
                                           "warning: message",
                                           "delayed mail",
                                           "delivery delayed",
                                           "error sending",
                                           "mail system error",
                                           "failed delivery",
                                           "message delivery",
                                           "bounce",
                                           "permanent error",
                                           "unable to deliver",
                                           "failure delivery",
                                           "メールエラー",
                                           "delivery failure",
                                           "unzustellbar",
                                           "nicht zustellbar",
                                           "non remis",
                                           "non distribuable",
                                           "no se puede entregar",
                                           "non recapitabile",
                                           "não entregue",
                                           "onbestelbaar",
                                           "niedostarczalna",
                                           "配信不能",
                                           "无法投递",
                                           NULL};
    if (mm_fields_get(&m->head, "X-Failed-Recipients"))
        return true;
    if (strcmp(m->ctype, "multipart/report") == 0)
        return true;
    /* the words are lower case: asked of the lower-cased From and Subject */
    for (size_t i = 0; r->from_lc && senders[i]; i++)
        if (mm_mta_lc_has(r->from_lc, r->from_len, senders[i]))
            return true;
    for (size_t i = 0; r->subject_lc && subjects[i]; i++)
        if (mm_mta_lc_has(r->subject_lc, r->subject_len, subjects[i]))
            return true;
    return false;
}

/* Does the notice say that delivery failed?  A sender name or subject
 * alone does not make a bounce: a postmaster's announcement or a digest
 * that mentions "rejected" names addresses too.  A notice states the
 * failure in one of a few ways, or quotes a server's reply with its
 * status code. */
static bool states_failure(const mm_msg *m, const char *t, size_t n)
{
    /* subjects only delivery software writes */
    static const char *const subjects[] = {"undeliver",
                                           "returned mail",
                                           "delivery fail",
                                           "failure notice",
                                           "mail failed",
                                           "non-delivery",
                                           "nondeliver",
                                           "delivery status notification",
                                           "mail delivery failed",
                                           "failed delivery",
                                           "failure delivery",
                                           "mail system error",
                                           NULL};
    const char *subj = mm_fields_get(&m->head, "Subject");
    if (mm_fields_get(&m->head, "X-Failed-Recipients") || strcmp(m->ctype, "multipart/report") == 0)
        return true;
    if (mm_mta_has_any(t, n, mm_mta_failure_statements) ||
        (subj && mm_mta_has_any(subj, strlen(subj), subjects)))
        return true;
    /* a server's reply: "550 5.1.1 ..." on one line */
    size_t pos = 0, len;
    const char *l;
    char code[16];
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL)
        if (mm_find_reply(l, len) && mm_find_status(l, len, code))
            return true;
    return false;
}

mm_status_t mm_decode_text(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    if (!mm_looks_like_bounce(m, r) || !states_failure(m, t, r->prose_len))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = mm_mta_prose_read(m, r);
    if (st == MM_OK)
        mm_mta_mda(m, r, start);
    return st;
}
