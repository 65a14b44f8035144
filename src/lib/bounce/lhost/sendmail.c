/*
 * sendmail.c - bounces written by Sendmail (8.x, and the older 5.x "V5"
 * layout).
 *
 * Sendmail's text part has a section "----- Transcript of session follows
 * -----": "... while talking to HOST:", the commands it sent (">>> RCPT
 * To:<rcpt>") and the replies it got ("<<< 550 5.1.1 ..."), then its own
 * verdict per address ("550 5.1.1 <rcpt>... User unknown").  Sendmail 8
 * adds an RFC 3464 part; its Diagnostic-Code holds only the first line of
 * a multi-line reply and never the command, so the transcript completes
 * it.  Sendmail 5 has the transcript alone, and each verdict line is a
 * recipient.  The format is in sendmail's savemail.c and deliver.c.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <ctype.h>
#include <string.h>
#include "../../util/str.h"

enum { MAX_ENTRIES = 256 };

/* What the transcript says about one address (or, addr empty, about the
 * message as a whole: a failed MAIL or DATA). */
typedef struct entry {
    const char *addr, *host, *cmd, *reply, *verdict;
    size_t alen, hlen, rlen, vlen;
} entry;

typedef struct transcript {
    entry e[MAX_ENTRIES];
    size_t n;
    const char *host, *cmd, *rcpt, *reply;
    size_t hlen, rclen, rlen;
    /* Sendmail 5 writes "550 other.example (smtp)... Host unknown" for
     * a host it never reached: the verdicts after it are not about the
     * session's host or command */
    bool closed;
} transcript;

/* ts: where "Transcript of session follows" first is in t (or NULL). */
static bool is_sendmail(const char *t, size_t n, const char *ts)
{
    static const char *const lists[] = {
        "----- The following addresses had permanent fatal errors -----",
        "----- The following addresses had transient non-fatal errors -----", NULL};
    /* "----- Transcript of session follows -----" holds those words six
     * bytes in, so it cannot start before ts - 6 (nor anywhere without
     * them); sendmail's own line is most often their first place */
    if (ts) {
        size_t from = (size_t)(ts - t) >= 6 ? (size_t)(ts - t) - 6 : 0;
        if (mm_memcasemem(t + from, n - from, "----- Transcript of session follows -----", 41))
            return true;
    }
    /* the two list headings share their first words: asked only when the
     * text holds those */
    return mm_memcasemem(t, n, "----- The following addresses had ", 34) &&
           mm_mta_has_any(t, n, lists);
}

static const char *verb(const char *s, size_t n)
{
    static const char *const verbs[] = {"RCPT", "MAIL", "DATA",     "EHLO", "HELO",
                                        "QUIT", "RSET", "STARTTLS", "AUTH", NULL};
    for (size_t i = 0; verbs[i]; i++)
        if (n >= 4 && mm_startswith_ci(s, verbs[i]))
            return verbs[i];
    return "";
}

static entry *push(transcript *tr, const char *addr, size_t alen)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->e[i].alen == alen && strncasecmp(tr->e[i].addr, addr, alen) == 0)
            return &tr->e[i];
    if (tr->n == MAX_ENTRIES)
        return NULL;
    entry *e = &tr->e[tr->n++];
    memset(e, 0, sizeof *e);
    e->addr = addr;
    e->alen = alen;
    e->cmd = tr->closed ? "" : tr->cmd;
    e->host = tr->closed ? NULL : tr->host;
    e->hlen = tr->closed ? 0 : tr->hlen;
    return e;
}

/* "<<< 550 ..." lines: the reply to the last command, kept for whoever the
 * command was about. */
static void on_reply(transcript *tr, const char *l, size_t len, bool continued)
{
    tr->closed = false;
    /* a reply before any command of the session is to the connection:
     * the greeting refused it */
    if ((!tr->cmd || !tr->cmd[0]) && tr->host)
        tr->cmd = "CONN";
    if (!tr->reply || !continued)
        tr->reply = l;
    tr->rlen = (size_t)(l + len - tr->reply);
    entry *e = push(tr, tr->rcpt ? tr->rcpt : "", tr->rcpt ? tr->rclen : 0);
    /* the first refusal is the one that counts; later replies (to RSET,
     * QUIT, or a DATA after all RCPTs failed) follow from it */
    if (e && (!e->reply || e->reply == tr->reply)) {
        e->reply = tr->reply;
        e->rlen = tr->rlen;
        e->cmd = tr->cmd;
    }
}

/* "550 5.1.1 <rcpt>... User unknown", "<rcpt>... Deferred: ...": Sendmail's
 * own verdict on one address. */
/* "550 host.example (smtp)... ": a mailer line about a host; another host
 * than the session's closes the session. */
static void on_mailer_line(transcript *tr, const char *l, size_t len)
{
    const char *m = mm_memcasemem(l, len, " (smtp)... ", 11);
    if (!m || len < 5 || l[3] != ' ')
        return;
    const char *h = l + 4;
    size_t hl = (size_t)(m - h);
    size_t sl = tr->host ? strcspn(tr->host, ":\n") : 0;
    while (sl && tr->host[sl - 1] == '.')
        sl--;
    if (!tr->host || hl != sl || strncasecmp(h, tr->host, hl) != 0)
        tr->closed = true;
}

static void on_verdict(transcript *tr, const char *l, size_t len)
{
    on_mailer_line(tr, l, len);
    const char *dots = mm_memcasemem(l, len, "... ", 4);
    size_t al;
    const char *a = dots ? mm_find_addr(l, (size_t)(dots - l), &al) : NULL;
    if (!a)
        return;
    entry *e = push(tr, a, al);
    if (!e)
        return;
    e->verdict = l;
    e->vlen = len;
    if (!e->reply && tr->reply && !tr->rcpt) {
        /* a reply to DATA or MAIL in the same session is this address's */
        e->reply = tr->reply;
        e->rlen = tr->rlen;
        e->cmd = tr->cmd;
    }
    tr->reply = NULL; /* used: later verdicts carry their own words */
}

static void on_command(transcript *tr, const char *s, size_t n)
{
    tr->closed = false;
    tr->cmd = verb(s, n);
    tr->reply = NULL;
    tr->rcpt = NULL;
    size_t al;
    const char *a;
    if (strcmp(tr->cmd, "RCPT") == 0 && (a = mm_find_addr(s, n, &al)) != NULL) {
        tr->rcpt = a;
        tr->rclen = al;
    }
}

/* s: where "Transcript of session follows" first is in t (or NULL),
 * found once by mm_decode_sendmail() for the readers below. */
static void read_transcript(transcript *tr, const char *t, size_t n, const char *s)
{
    size_t pos = s ? (size_t)(s - t) : n, len;
    const char *l;
    bool in_reply = false;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        bool was = in_reply;
        const char *h; /* where "while talking to " is in the line */
        in_reply = false;
        while (len && (*l == ' ' || *l == '>') && !(len > 3 && memcmp(l, ">>>", 3) == 0))
            l++, len--; /* "> " of a quoted (forwarded) bounce */
        if (len > 4 && memcmp(l, ">>> ", 4) == 0) {
            on_command(tr, l + 4, len - 4);
        } else if (len > 4 && memcmp(l, "<<< ", 4) == 0) {
            on_reply(tr, l, len, was);
            in_reply = true;
        } else if ((h = mm_memcasemem(l, len, "while talking to ", 17)) != NULL) {
            h += 17;
            tr->host = h;
            tr->hlen = len - (size_t)(h - l);
            tr->cmd = "";
            tr->reply = NULL;
            tr->rcpt = NULL;
            tr->closed = false;
        } else if (mm_memcasemem(l, len, "... ", 4)) {
            on_verdict(tr, l, len);
        } else if (len > 0 && len < 3 && isdigit((unsigned char)l[0])) {
            continue;
        } else if (len >= 5 && l[0] == '-' && l[1] == '-') {
            break; /* next section (or MIME boundary) */
        }
    }
}

static const entry *entry_for(const transcript *tr, const char *addr)
{
    const entry *any = NULL;
    size_t al = strlen(addr);
    for (size_t i = 0; i < tr->n; i++) {
        const entry *e = &tr->e[i];
        if (e->alen == al && strncasecmp(e->addr, addr, al) == 0)
            return e;
        if (e->alen == 0 && e->reply)
            any = e;
    }
    return any;
}

/* The reply lines without their "<<< " marks, joined, in r's arena. */
static const char *join_reply(mm_report *r, const char *s, size_t n, size_t *out)
{
    char *buf = mm_arena_alloc(&r->arena, n + 1);
    size_t o = 0, pos = 0, len;
    const char *l;
    if (!buf) {
        *out = 0;
        return "";
    }
    while ((l = mm_next_line(s, n, &pos, &len)) != NULL) {
        const char *m = mm_memcasemem(l, len, "<<< ", 4);
        if (!m)
            continue;
        size_t k = len - (size_t)(m + 4 - l);
        memcpy(buf + o, m + 4, k);
        o += k;
        buf[o++] = ' ';
    }
    buf[o] = '\0';
    *out = o;
    return buf;
}

/* Without a DSN, Sendmail's verdict on the address is the only place
 * that says what became of the session after the reply ("554 <rcpt>...
 * Remote protocol error: Connection reset by peer during result wait"):
 * its words follow the reply in the diagnostic, unless they repeat it. */
static void add_verdict(mm_report *r, mm_rcpt *rc, const entry *e)
{
    const char *d = mm_memcasemem(e->verdict, e->vlen, "... ", 4) + 4;
    size_t dn = e->vlen - (size_t)(d - e->verdict);
    const char *diag = rc->pub.diagnostic;
    if (dn == 0 || mm_memcasemem(diag, strlen(diag), d, dn))
        return;
    mm_buf b;
    mm_buf_init(&b, 0);
    if (mm_buf_append(&b, diag, strlen(diag)) == MM_OK && mm_buf_append(&b, " ", 1) == MM_OK &&
        mm_buf_append(&b, d, dn) == MM_OK) {
        const char *s = mm_report_str(r, mm_buf_str(&b), b.len);
        if (s)
            rc->pub.diagnostic = s;
    }
    mm_buf_free(&b);
}

static void fill_from(mm_report *r, mm_rcpt *rc, const entry *e, bool with_verdict)
{
    mm_recipient *p = &rc->pub;
    if (!p->smtp_command[0] && e->cmd && e->cmd[0] && strcmp(e->cmd, "QUIT") != 0)
        p->smtp_command = e->cmd;
    if (!p->remote_mta[0] && e->host)
        p->remote_mta = mm_mta_rhost(r, e->host - 17, e->hlen + 17);
    size_t jn;
    const char *j = e->reply ? join_reply(r, e->reply, e->rlen, &jn) : NULL;
    if (j && jn) {
        mm_mta_fill(r, rc, j, jn);
        if (with_verdict && e->verdict)
            add_verdict(r, rc, e);
    } else if (e->verdict) {
        /* "554 <rcpt>... 550 Host unknown": the words after "... " are the
         * remote's; the leading code is Sendmail's own */
        const char *d = mm_memcasemem(e->verdict, e->vlen, "... ", 4) + 4;
        mm_mta_fill(r, rc, d, e->vlen - (size_t)(d - e->verdict));
    }
}

static mm_status_t from_entries(mm_report *r, const transcript *tr)
{
    for (size_t i = 0; i < tr->n; i++) {
        const entry *e = &tr->e[i];
        if (e->alen == 0)
            continue;
        mm_rcpt *rc = mm_mta_add(r, e->addr, e->alen, "", 0);
        if (!rc)
            return mm_mta_add_failed(r);
        rc->pub.status = "";
        fill_from(r, rc, e, true);
    }
    return MM_OK;
}

/* No DSN and no address in the transcript (the session failed before
 * RCPT): the addresses listed under "----- The following addresses had
 * ... errors -----" are the failed ones, each with the session's reply. */
static mm_status_t from_list(mm_report *r, const transcript *tr, const char *t, size_t n)
{
    const char *h = mm_memcasemem(t, n, "----- The following addresses had", 33);
    const entry *session = entry_for(tr, "");
    if (!h || !session)
        return MM_OK;
    size_t pos = (size_t)(h - t), len, al;
    const char *l, *a;
    (void)mm_next_line(t, n, &pos, &len); /* the heading itself */
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL && !mm_mta_blank(l, len)) {
        const char *p = l;
        while (p < l + len && (*p == ' ' || *p == '\t'))
            p++;
        if (*p != '<' || (a = mm_find_addr(p, len - (size_t)(p - l), &al)) == NULL)
            continue; /* "(reason: ...)" and "(expanded from: ...)" lines */
        mm_rcpt *rc = mm_mta_add(r, a, al, "", 0);
        if (!rc)
            return mm_mta_add_failed(r);
        fill_from(r, rc, session, false);
    }
    return MM_OK;
}

/* Sendmail 5 quotes the message inline ("----- Unsent message follows
 * -----"); when the transcript names no address, its To: is the one. */
static mm_status_t from_unsent(mm_report *r, const char *t, size_t n, const char *tr)
{
    static const char *const marks[] = {"----- Unsent message follows -----",
                                        "----- Original message follows -----", NULL};
    const char *u = NULL;
    for (size_t i = 0; marks[i] && !u; i++)
        u = mm_memcasemem(t, n, marks[i], strlen(marks[i]));
    if (!u || !tr || tr > u)
        return MM_OK;
    size_t pos = (size_t)(u - t), len, al;
    const char *l, *a;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL && len > 0) {
        if (!mm_startswith_ci(l, "To:") || !(a = mm_find_addr(l, len, &al)))
            continue;
        const char *d = memchr(tr, '\n', (size_t)(u - tr));
        d = d ? d + 1 : tr;
        return mm_mta_add(r, a, al, d, (size_t)(u - d)) ? MM_OK : mm_mta_add_failed(r);
    }
    return MM_OK;
}

/* A local mailer (a pipe, procmail) that failed: the DSN's
 * "Diagnostic-Code: X-Unix; 255" is only its exit status, and the
 * transcript holds what it printed and Sendmail's verdict ("554 5.3.0
 * unknown mailer error 255"). */
static void mailer_output(mm_report *r, mm_rcpt *rc, const char *t, size_t n, const char *s)
{
    const char *d = rc->pub.diagnostic;
    if (strcmp(rc->diag_type, "X-UNIX") != 0 || strspn(d, "0123456789 ") != strlen(d))
        return;
    const char *b = s ? memchr(s, '\n', n - (size_t)(s - t)) : NULL;
    if (!b)
        return;
    b++;
    size_t e = mm_mta_block_end(t, n, (size_t)(b - t), 12);
    if (e > (size_t)(b - t) && !mm_memcasemem(b, e - (size_t)(b - t), "<<< ", 4)) {
        rc->pub.diagnostic = "";
        mm_mta_fill(r, rc, b, e - (size_t)(b - t));
    }
}

mm_status_t mm_decode_sendmail(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = m->text.len;
    const char *ts = mm_memcasemem(t, n, "Transcript of session follows", 29);
    if (!is_sendmail(t, n, ts))
        return MM_ENOTFOUND;
    /* entries are read only below tr.n, and push() clears each it takes:
     * the 256 of them are not cleared here */
    transcript tr;
    tr.n = 0;
    tr.host = tr.rcpt = tr.reply = NULL;
    tr.hlen = tr.rclen = tr.rlen = 0;
    tr.closed = false;
    tr.cmd = "";
    read_transcript(&tr, t, n, ts);
    size_t start = r->n;
    mm_status_t st = MM_ENOTFOUND;
    if (m->has_dsn || mm_memcasemem(t, n, "\nFinal-Recipient:", 17))
        st = mm_decode_rfc3464(m, r);
    if (st == MM_OK) {
        for (size_t i = start; i < r->n; i++) {
            const entry *e = entry_for(&tr, r->r[i].pub.recipient);
            if (e)
                fill_from(r, &r->r[i], e, false);
            else
                mm_mta_complete_one(r, start, &r->r[i], t, r->prose_len, false);
            mailer_output(r, &r->r[i], t, n, ts);
        }
    } else if (st == MM_ENOTFOUND) {
        st = from_entries(r, &tr);
    }
    if (st == MM_OK && r->n == start && !m->has_dsn)
        st = from_list(r, &tr, t, n);
    if (st == MM_OK && r->n == start)
        st = from_unsent(r, t, n, ts);
    return st != MM_OK ? st : mm_mta_found(r, start);
}
