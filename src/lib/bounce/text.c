/*
 * text.c - the generic decoder for bounces written as prose.
 *
 * Most MTAs that do not send RFC 3464 reports still follow one shape: a
 * failed address on a line of its own (or after a marker), then a block of
 * lines with the receiver's reply.  This decoder finds candidate addresses in
 * the readable text before the copy of the original message, keeps those
 * followed by error evidence (an SMTP reply or status code, or an error
 * phrase), and takes the block after each as its diagnostic.  Family decoders
 * in lhost/ run before it for formats that need more care.
 */
#include "decoders.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

bool mm_looks_like_bounce(const mm_msg *m)
{
    static const char *const senders[] = {
        "mailer-daemon", "postmaster", "mail delivery", "mailer daemon", "mail administrator",
        "mdaemon", "bounce", "mail.delivery", "系统退信", "退信", "noreply-dmarc", NULL};
    static const char *const subjects[] = {
        "undeliver", "delivery status", "delivery fail", "failure notice", "returned mail",
        "mail delivery failed", "delivery notification", "non-delivery", "nondeliver",
        "could not be delivered", "could not send", "delivery has failed", "returned to sender",
        "not delivered", "delivery problem", "mail failure", "delivery report", "rejected",
        "系统退信", "退信", "投递失败", "未送达", "退回", "warning: message", "delayed mail",
        "delivery delayed", "error sending", "mail system error", "failed delivery",
        "message delivery", "bounce", "permanent error", "unable to deliver", NULL};
    const char *from = mm_fields_get(&m->head, "From");
    const char *subj = mm_fields_get(&m->head, "Subject");
    if (mm_fields_get(&m->head, "X-Failed-Recipients"))
        return true;
    if (strcmp(m->ctype, "multipart/report") == 0)
        return true;
    for (size_t i = 0; from && senders[i]; i++)
        if (mm_strcasestr(from, senders[i]))
            return true;
    for (size_t i = 0; subj && subjects[i]; i++)
        if (mm_strcasestr(subj, subjects[i]))
            return true;
    return false;
}

/* Where the copy of the original message begins in the text (or its end). */
static size_t text_end(const char *t, size_t n)
{
    static const char *const marks[] = {
        "copy of the message", "original message follows", "original message ---",
        "message headers follow", "headers of your message", "your message reads",
        "----- original message", "below this line is a copy", "unsent message below",
        "content-type: message/rfc822", "the original message was received", NULL};
    size_t end = n;
    for (size_t i = 0; marks[i]; i++) {
        const char *p = mm_memcasemem(t, n, marks[i], strlen(marks[i]));
        if (p && (size_t)(p - t) < end && p - t > 40)
            end = (size_t)(p - t);
    }
    return end;
}

static bool is_excluded(const char *addr, size_t n, const char *const *ex, size_t nex)
{
    for (size_t i = 0; i < nex; i++)
        if (ex[i] && strlen(ex[i]) == n && strncasecmp(ex[i], addr, n) == 0)
            return true;
    return false;
}

static bool has_error_evidence(const char *s, size_t n)
{
    char code[16];
    static const char *const words[] = {
        "unknown", "not found", "does not exist", "rejected", "denied", "refused", "failed",
        "error", "invalid", "full", "quota", "unavailable", "blocked", "no such", "disabled",
        "timed out", "expired", "too large", "spam", "not exist", "unrouteable", "permanent",
        "deferred", "could not", "cannot", "can't", "delay", "suspended", "inactive", "不存在",
        "拒绝", "失败", "无法", NULL};
    if (mm_find_reply(s, n) || mm_find_status(s, n, code))
        return true;
    for (size_t i = 0; words[i]; i++)
        if (mm_memcasemem(s, n, words[i], strlen(words[i])))
            return true;
    return false;
}

/* Lines of the block that starts at pos: up to a blank line, at most 8 lines. */
static size_t block_end(const char *t, size_t n, size_t pos)
{
    size_t p = pos, len;
    int lines = 0;
    const char *l;
    while (lines < 8 && (l = mm_next_line(t, n, &p, &len)) != NULL) {
        bool blank = true;
        for (size_t i = 0; i < len; i++)
            if (l[i] != ' ' && l[i] != '\t')
                blank = false;
        if (blank && lines > 0)
            return (size_t)(l - t);
        if (!blank)
            lines++;
    }
    return p;
}

static bool seen(const mm_report *r, size_t start, const char *addr)
{
    for (size_t i = start; i < r->n; i++)
        if (strcasecmp(r->r[i].pub.recipient, addr) == 0)
            return true;
    return false;
}

static mm_status_t add_block(mm_report *r, const char *t, size_t n, size_t line_start,
                             const char *addr, size_t alen, size_t start)
{
    const char *a = mm_report_addr(r, addr, alen);
    if (seen(r, start, a))
        return MM_OK;
    size_t after = (size_t)(addr - t) + alen;
    size_t end = block_end(t, n, line_start);
    if (end < after)
        end = after;
    if (!has_error_evidence(t + line_start, end - line_start))
        return MM_OK;
    mm_rcpt *rc = mm_report_add(r);
    if (!rc)
        return MM_ENOMEM;
    rc->pub.recipient = a;
    rc->pub.action = "failed";
    rc->pub.diagnostic = mm_report_str(r, t + after, end - after);
    return MM_OK;
}

static void exclusions(const mm_msg *m, mm_arena *a, const char **ex)
{
    const char *hs[] = {mm_fields_get(&m->head, "From"), mm_fields_get(&m->head, "To"),
                        mm_fields_get(&m->orig, "From"), mm_fields_get(&m->head, "Return-Path")};
    for (size_t i = 0; i < 4; i++) {
        size_t al;
        const char *p = hs[i] ? mm_find_addr(hs[i], strlen(hs[i]), &al) : NULL;
        ex[i] = p ? mm_arena_strndup(a, p, al) : NULL;
    }
}

mm_status_t mm_decode_text(const mm_msg *m, mm_report *r)
{
    if (!mm_looks_like_bounce(m))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = text_end(t, m->text.len);
    mm_arena a;
    mm_arena_init(&a);
    const char *ex[4];
    exclusions(m, &a, ex);
    size_t start = r->n, pos = 0, len;
    const char *l;
    mm_status_t st = MM_OK;
    while (st == MM_OK && (l = mm_next_line(t, n, &pos, &len)) != NULL) {
        size_t alen;
        const char *addr = mm_find_addr(l, len, &alen);
        if (!addr || is_excluded(addr, alen, ex, 4))
            continue;
        if (mm_startswith_ci(l, "from:") || mm_startswith_ci(l, "to:") ||
            mm_startswith_ci(l, "received:") || mm_startswith_ci(l, "message-id:") ||
            mm_startswith_ci(l, "return-path:"))
            continue;
        st = add_block(r, t, n, (size_t)(l - t), addr, alen, start);
    }
    mm_arena_free(&a);
    if (st != MM_OK)
        return st;
    if (r->n == start) {
        /* A bounce that names no address: report the original recipient. */
        const char *to = mm_fields_get(&m->orig, "To");
        const char *xf = mm_fields_get(&m->head, "X-Failed-Recipients");
        const char *who = xf ? xf : to;
        if (!who || !has_error_evidence(t, n))
            return MM_ENOTFOUND;
        mm_rcpt *rc = mm_report_add(r);
        if (!rc)
            return MM_ENOMEM;
        rc->pub.recipient = mm_report_addr(r, who, strlen(who));
        rc->pub.action = "failed";
        rc->pub.diagnostic = mm_report_str(r, t, n > 1000 ? 1000 : n);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
