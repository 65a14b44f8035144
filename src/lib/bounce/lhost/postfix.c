/*
 * postfix.c - bounces written by Postfix's bounce(8) daemon.
 *
 * Postfix sends a multipart/report: a text part ("This is the mail system
 * at host ...", templates in bounce(5)) with one paragraph per recipient,
 * "<rcpt>: host NAME[ADDR] said: REPLY (in reply to CMD command)", and a
 * message/delivery-status part (RFC 3464).  The report has the status and
 * usually the reply; only the prose says which SMTP command was answered,
 * and when Diagnostic-Code is missing or cut the prose has the full reply.
 * Old Postfix versions and some relays send the prose alone; then the
 * "<rcpt>:" paragraphs are the whole record.
 *
 * The SMTP server also writes to the postmaster when a client session
 * fails ("Postfix SMTP server: errors from HOST", smtpd_chat.c): a
 * "Transcript of session follows." of " In:  COMMAND" and " Out: REPLY"
 * lines.  There the failed recipients are the ones the session accepted
 * (or the one refused) and the diagnostic is the first 4xx/5xx reply.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

static bool is_postfix(const mm_report *r, const char *t, size_t n)
{
    /* bounce(5) default templates, and the sentences customised ones keep.
     * "This is the Postfix program" is not listed: it holds "the Postfix
     * program", which the search (ASCII case folded) finds anyway.  The
     * last two hold "Postfix program": a text without it holds neither. */
    static const char *const marks[] = {"The Postfix program", "Postfix program at host", NULL};
    const char *subj = r->subject;
    if (mm_memcasemem(t, n, "This is the mail system at host", 31) ||
        (mm_memcasemem(t, n, "Postfix program", 15) && mm_mta_has_any(t, n, marks)))
        return true;
    return subj && subj[0] == 'U' && strcmp(subj, "Undelivered Mail Returned to Sender") == 0 &&
           mm_memcasemem(t, n, "The mail system", 15) != NULL;
}

enum { MAX_SESSION_RCPTS = 64 };

/* What the smtpd transcript says: the recipients given, whether each was
 * accepted, and the first failing reply with the command it answered. */
typedef struct session {
    const char *rcpt[MAX_SESSION_RCPTS];
    size_t rlen[MAX_SESSION_RCPTS];
    bool ok[MAX_SESSION_RCPTS];
    size_t n;
    const char *cmd, *err;
    size_t errlen;
    int failed_rcpt; /* index of the refused RCPT, or -1 */
} session;

static const char *verb_of(const char *s, size_t n)
{
    static const char *const verbs[] = {"RCPT", "MAIL", "DATA",     "EHLO", "HELO", "STARTTLS",
                                        "AUTH", "BDAT", "XFORWARD", "QUIT", NULL};
    while (n && *s == ' ')
        s++, n--;
    for (size_t i = 0; verbs[i]; i++)
        if (n >= strlen(verbs[i]) && mm_startswith_ci(s, verbs[i]))
            return strcmp(verbs[i], "BDAT") == 0 ? "DATA" : verbs[i];
    return "";
}

/* " In:  RCPT TO:<a@b> ..." */
static void on_in(session *s, const char *l, size_t len)
{
    size_t al;
    const char *a;
    s->cmd = verb_of(l, len);
    if (strcmp(s->cmd, "RCPT") == 0 && s->n < MAX_SESSION_RCPTS &&
        (a = mm_find_addr(l, len, &al)) != NULL) {
        s->rcpt[s->n] = a;
        s->rlen[s->n] = al;
        s->ok[s->n++] = false;
    }
}

/* " Out: 451 4.3.0 Error: ..." */
static void on_out(session *s, const char *l, size_t len)
{
    while (len && *l == ' ')
        l++, len--;
    if (len < 3 || s->err)
        return;
    if (l[0] == '2' && strcmp(s->cmd, "RCPT") == 0 && s->n)
        s->ok[s->n - 1] = true;
    if (l[0] != '4' && l[0] != '5')
        return;
    s->err = l;
    s->errlen = len;
    s->failed_rcpt = strcmp(s->cmd, "RCPT") == 0 && s->n ? (int)s->n - 1 : -1;
}

static void read_session(session *s, const char *t, size_t n)
{
    size_t pos = 0, len;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        while (len && (*l == ' ' || *l == '\t'))
            l++, len--;
        if (len > 3 && memcmp(l, "In:", 3) == 0)
            on_in(s, l + 3, len - 3);
        else if (len > 4 && memcmp(l, "Out:", 4) == 0)
            on_out(s, l + 4, len - 4);
    }
}

static mm_status_t from_session(mm_report *r, const char *t, size_t n)
{
    session s = {.cmd = "", .failed_rcpt = -1};
    read_session(&s, t, n);
    if (!s.err)
        return MM_OK;
    for (size_t i = 0; i < s.n; i++) {
        if (s.failed_rcpt >= 0 ? (size_t)s.failed_rcpt != i : !s.ok[i])
            continue;
        mm_rcpt *rc = mm_mta_add(r, s.rcpt[i], s.rlen[i], s.err, s.errlen);
        if (!rc)
            return mm_mta_add_failed(r);
        rc->pub.smtp_command = s.cmd;
    }
    return MM_OK;
}

static bool is_smtpd_notice(const mm_report *r, const char *t, size_t n)
{
    const char *subj = r->subject;
    return subj && mm_startswith_ci(subj, "Postfix SMTP server: errors from") &&
           mm_memcasemem(t, n, "Transcript of session follows", 29);
}

/* Postfix writes "X-Postfix;" for every reply it relays from the remote
 * server as well as for its own errors; a reply code in the text shows the
 * words are the remote server's SMTP reply. */
static void smtp_diag_type(mm_report *r, size_t start)
{
    for (size_t i = start; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        const char *d = rc->pub.diagnostic;
        if (strcmp(rc->diag_type, "X-POSTFIX") == 0 && mm_find_reply(d, strlen(d)))
            rc->diag_type = "SMTP";
    }
}

mm_status_t mm_decode_postfix(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    size_t start = r->n;
    if (is_smtpd_notice(r, t, n)) {
        mm_status_t st = from_session(r, t, n);
        if (st == MM_OK && r->n > start)
            r->kind = MM_KIND_BOUNCE;
        return st != MM_OK ? st : r->n > start ? MM_OK : MM_ENOTFOUND;
    }
    if (!is_postfix(r, t, n))
        return MM_ENOTFOUND;
    mm_status_t st = MM_ENOTFOUND;
    if (m->has_dsn)
        st = mm_decode_rfc3464(m, r);
    if (st == MM_OK) {
        mm_mta_complete(r, start, t, n, false);
        smtp_diag_type(r, start);
    } else if (st == MM_ENOTFOUND) {
        st = mm_mta_angle_blocks(r, t, n, NULL);
        if (st == MM_OK)
            mm_mta_inline_dsn(m, r, start);
    }
    return st != MM_OK ? st : mm_mta_found(r, start);
}
