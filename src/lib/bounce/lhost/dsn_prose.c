/*
 * dsn_prose.c - RFC 3464 reports from MTAs with no decoder of their own
 * (Sun/Oracle Messaging Server, OpenSMTPD, Exchange, Courier, Domino,
 * PowerMTA and the like), completed from their prose; and the local
 * delivery agents' own words that such reports and plain notices quote.
 *
 * The delivery-status part is read by the RFC 3464 decoder; then, for each
 * recipient, the paragraph of the text part that names the address gives
 * what the fields leave out: the SMTP command ("after RCPT TO", "in reply
 * to DATA command"), the remote host, and the reply when Diagnostic-Code is
 * missing or cut short.  It runs after the family decoders and before the
 * plain RFC 3464 reader, and only for messages that present themselves as
 * bounces.
 *
 * A local delivery agent (Dovecot's LDA, mail.local, procmail, maildrop,
 * vpopmail, vmailmgr) that refused the message writes a paragraph of its
 * own, which the MTA passes on above its report: "Your message to <x> was
 * automatically rejected:" (Dovecot's rejection_reason) or "procmail: ...".
 * That paragraph is what failed, whatever the report's fields say; its
 * fixed sentences state the reason (the agents' sources, as Sisimai's MDA
 * table lists them).
 */
#include "../decoders.h"
#include "mta_util.h"

#include <string.h>
#include "../../util/str.h"

typedef struct mda {
    const char *mark; /* how its paragraph starts */
    const mm_words *words;
} mda;

/* dovecot src/lda (mail-deliver.c, rejection_reason) and the quota plugin */
static const mm_words dovecot[] = {
    {"mailbox doesn't exist: ", MM_REASON_USERUNKNOWN},
    {"quota exceeded", MM_REASON_MAILBOXFULL},
    {"not enough disk space", MM_REASON_MAILBOXFULL},
    {NULL, MM_REASON_UNDEFINED},
};
static const mm_words mail_local[] = {
    {": unknown user:", MM_REASON_USERUNKNOWN},
    {": user unknown", MM_REASON_USERUNKNOWN},
    {": invalid mailbox path", MM_REASON_USERUNKNOWN},
    {": user missing home directory", MM_REASON_USERUNKNOWN},
    {"disc quota exceeded", MM_REASON_MAILBOXFULL},
    {"mailbox full or quota exceeded", MM_REASON_MAILBOXFULL},
    {"temporary file write error", MM_REASON_SYSTEMERROR},
    {NULL, MM_REASON_UNDEFINED},
};
static const mm_words procmail[] = {
    {"quota exceeded while writing", MM_REASON_MAILBOXFULL},
    {"no space left to finish writing", MM_REASON_SYSTEMFULL},
    {NULL, MM_REASON_UNDEFINED},
};
static const mm_words maildrop[] = {
    {"invalid user specified.", MM_REASON_USERUNKNOWN},
    {"cannot find system user", MM_REASON_USERUNKNOWN},
    {"maildir over quota.", MM_REASON_MAILBOXFULL},
    {NULL, MM_REASON_UNDEFINED},
};
static const mm_words vpopmail[] = {
    {"sorry, no mailbox here by that name.", MM_REASON_USERUNKNOWN},
    {"account is locked email bounced", MM_REASON_FILTERED},
    {"user does not exist, but will deliver to ", MM_REASON_FILTERED},
    {"domain is over quota", MM_REASON_MAILBOXFULL},
    {"user is over quota", MM_REASON_MAILBOXFULL},
    {NULL, MM_REASON_UNDEFINED},
};
static const mm_words vmailmgr[] = {
    {"invalid or unknown base user or domain", MM_REASON_USERUNKNOWN},
    {"invalid or unknown virtual user", MM_REASON_USERUNKNOWN},
    {"user name does not refer to a virtual user", MM_REASON_USERUNKNOWN},
    {"delivery failed due to system quota violation", MM_REASON_MAILBOXFULL},
    {NULL, MM_REASON_UNDEFINED},
};

static const mda mdas[] = {
    {"Your message to ", dovecot}, /* ... was automatically rejected: */
    {"mail.local: ", mail_local},  {"procmail: ", procmail}, {"maildrop: ", maildrop},
    {"vdelivermail: ", vpopmail},  {"vdeliver: ", vmailmgr},
};

/* Can a line starting with c start one of mdas' marks?  Their first
 * letters, y, m, p and v (when you add a mark, add its first letter):
 * most lines are turned away by this one test, not by one per mark. */
static bool mda_first(char c)
{
    switch (mm_lower(c)) {
    case 'y':
    case 'm':
    case 'p':
    case 'v':
        return true;
    default:
        return false;
    }
}

static const mda *mda_line(const char *l, size_t len)
{
    if (!mda_first(l[0]))
        return NULL;
    for (size_t i = 0; i < sizeof mdas / sizeof mdas[0]; i++) {
        /* the first byte first, before the mark is measured: most lines
         * start with none of them (an empty line's l[0] is its newline or
         * the text's NUL, which no mark starts with) */
        if (mm_lower(l[0]) != mm_lower(mdas[i].mark[0]))
            continue;
        size_t k = strlen(mdas[i].mark);
        if (len < k || strncasecmp(l, mdas[i].mark, k) != 0)
            continue;
        if (i == 0) { /* Dovecot: the whole line is its template */
            static const char tail[] = " was automatically rejected:";
            size_t e = len;
            while (e && (l[e - 1] == ' ' || l[e - 1] == '\r'))
                e--;
            if (e < k + sizeof tail - 1 ||
                strncasecmp(l + e - (sizeof tail - 1), tail, sizeof tail - 1) != 0)
                continue;
        }
        return &mdas[i];
    }
    return NULL;
}

/* The lines after the first that may start a mark: a line feed and one
 * of mda_first()'s letters, found in one pass (mm_mta_find_any) instead of
 * a look at every line. */
static const mm_needle agent_starts[] = {MM_NEEDLE("\ny"), MM_NEEDLE("\nm"), MM_NEEDLE("\np"),
                                         MM_NEEDLE("\nv")};

/* The first line after the first of t[0..n) that starts an agent's mark,
 * as mm_next_line() gives it (*pos, *len after it), with the agent in
 * *agent; NULL if none. */
static const char *next_agent_line(const char *t, size_t n, size_t *pos, size_t *len,
                                   const mda **agent)
{
    size_t from = 0, w;
    const char *p;
    while ((p = mm_mta_find_any(t, n, from, agent_starts, 4, ~0u, &w)) != NULL) {
        *pos = (size_t)(p - t) + 1;
        const char *l = mm_next_line(t, n, pos, len);
        if ((*agent = mda_line(l, *len)) != NULL)
            return l;
        from = (size_t)(p - t) + 1;
    }
    return NULL;
}

/* Only notices from the mail system itself carry an agent's paragraph. */
static bool from_mailer(const mm_msg *m)
{
    static const char *const names[] = {"mail delivery subsystem", "mailer-daemon", "postmaster"};
    const char *f = mm_fields_get(&m->head, "From");
    if (!f)
        return false;
    while (*f == ' ' || *f == '"')
        f++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strncasecmp(f, names[i], strlen(names[i])) == 0)
            return true;
    return false;
}

void mm_mta_mda(const mm_msg *m, mm_report *r, size_t start)
{
    if (r->n <= start || !from_mailer(m))
        return;
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, pos = 0, len;
    const mda *agent = NULL;
    const char *l = mm_next_line(t, n, &pos, &len);
    if (l && !(agent = mda_line(l, len)))
        l = next_agent_line(t, n, &pos, &len, &agent);
    if (!agent)
        return;
    /* the agent's paragraph: its first line up to a blank line */
    const char *said = NULL;
    size_t said_len = 0;
    mm_reason_t why = MM_REASON_UNDEFINED;
    for (; l && !mm_mta_blank(l, len); l = mm_next_line(t, n, &pos, &len)) {
        mm_reason_t w = mm_words_find(agent->words, l, len);
        if (w != MM_REASON_UNDEFINED) {
            why = w;
            said = l;
            said_len = len;
            break;
        }
    }
    if (!said)
        return;
    const char *d = mm_report_str(r, said, said_len);
    for (size_t i = start; d && i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        rc->pub.diagnostic = d;
        rc->pub.reply_code = 0;
        rc->pub.smtp_command = "";
        rc->hint = why;
    }
}

mm_status_t mm_decode_dsn_prose(const mm_msg *m, mm_report *r)
{
    if (!m->has_dsn || !mm_looks_like_bounce(m, r))
        return MM_ENOTFOUND;
    size_t start = r->n;
    mm_status_t st = mm_mta_read_dsn(m, r);
    if (st == MM_OK)
        mm_mta_mda(m, r, start);
    return st;
}
