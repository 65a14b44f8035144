/*
 * rfc3464.c - the standard delivery status notification (RFC 3464):
 * multipart/report; report-type=delivery-status, whose message/delivery-
 * status part holds one per-message block and one block per recipient
 * (section 2.1).  Some MTAs put the same fields in a text/plain part; those
 * are read too when they start with the fields' names.
 *
 * The machine-readable part is often thinner than the human one: many MTAs
 * (Gmail, Exchange, SES, mail filters) leave Diagnostic-Code out or write a
 * bare "Status: 5.0.0".  So after the fields are read, each recipient is
 * completed from the readable text: the paragraph that names the address
 * (or, failing that, the one quoting an SMTP reply) becomes the diagnostic,
 * the reply's own status code replaces a vague X.0.0, and the SMTP command
 * the reply answered is noted.  The receiver's words also correct the
 * reporting MTA's: its enhanced code over a summary Status, its permanent
 * code over a 4.x.x Status on a failed recipient, the transcript over an
 * X-Unix exit status, the Original-Recipient over an internal Final-
 * Recipient.  A multi-line reply loses its repeated code prefixes, lines
 * of Diagnostic-Code that lack folding white space are kept, and a second
 * report quoted inside the returned message is not read.
 */
#include "bounce_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "../util/str.h"
#include "lhost/prov_util.h"

/* Value after "type;" (RFC 3464 section 2.1.2 address-type / diagnostic-type). */
static const char *after_type(const char *v, const char **type, size_t *tlen)
{
    const char *semi = strchr(v, ';');
    if (!semi) {
        *type = v;
        *tlen = 0;
        return v;
    }
    *type = v;
    *tlen = (size_t)(semi - v);
    semi++;
    while (*semi == ' ')
        semi++;
    return semi;
}

/* mm_field_named() compares the fields' keys (length, first and last
 * letter) before their names: most fields are turned away without a
 * strcasecmp */
static bool is_rcpt_field(const mm_field *f)
{
    return mm_field_named(f, "Final-Recipient") || mm_field_named(f, "Original-Recipient") ||
           mm_field_named(f, "X-Actual-Recipient");
}

/* mm_report_strz() of what follows "type;" in f's value (see set_field). */
static const char *report_typed(mm_report *r, const mm_field *f, const char **type, size_t *tl)
{
    if (f->decode)
        return mm_report_strz(r, after_type(mm_field_value(f), type, tl));
    return after_type(mm_report_field(r, f), type, tl);
}

/* A field whose value goes into the report as it stands (squeezed) is
 * made straight in the report's arena (mm_report_field): the DSN's fields
 * are parsed without RFC 2047 decoding, so the value made there is the
 * copy mm_report_strz() of the value would give, and any suffix of it
 * that starts past a space (after "type; ") is squeezed too. */
static void set_field(mm_report *r, mm_rcpt *rc, const mm_field *f)
{
    mm_recipient *p = &rc->pub;
    const char *type;
    size_t tl;
    if (mm_field_named(f, "Final-Recipient")) {
        const char *v = after_type(mm_field_value(f), &type, &tl);
        p->recipient = mm_report_addr(r, v, strlen(v));
    } else if (mm_field_named(f, "Original-Recipient")) {
        const char *v = after_type(mm_field_value(f), &type, &tl);
        p->original_recipient = mm_report_addr(r, v, strlen(v));
    } else if (mm_field_named(f, "X-Actual-Recipient")) {
        const char *v = after_type(mm_field_value(f), &type, &tl);
        if (!p->recipient[0] && strchr(v, '@'))
            p->recipient = mm_report_addr(r, v, strlen(v));
    } else if (mm_field_named(f, "Action")) {
        char *a = (char *)mm_report_field(r, f);
        mm_strlower(a);
        char *sp = strpbrk(a, " (");
        if (sp)
            *sp = '\0';
        p->action = a;
    } else if (mm_field_named(f, "Status")) {
        char code[16];
        const char *v = mm_field_value(f);
        if (mm_find_status(v, strlen(v), code))
            p->status = mm_report_strz(r, code);
    } else if (mm_field_named(f, "Remote-MTA")) {
        /* "dns; mx.example.org (192.0.2.1, the server for the domain.)":
         * the comment is not part of the name (RFC 5322 CFWS). */
        const char *v = after_type(mm_field_value(f), &type, &tl);
        const char *c = strchr(v, '(');
        p->remote_mta = mm_report_str(r, v, c && c > v ? (size_t)(c - v) : strlen(v));
    } else if (mm_field_named(f, "Diagnostic-Code")) {
        const char *v = report_typed(r, f, &type, &tl);
        if (tl) {
            rc->diag_type = mm_report_str(r, type, tl);
            mm_strlower((char *)rc->diag_type);
            if (strcmp(rc->diag_type, "smtp") == 0)
                rc->diag_type = "SMTP";
            else if (strcmp(rc->diag_type, "x-unix") == 0)
                rc->diag_type = "X-UNIX";
            else if (strcmp(rc->diag_type, "x-postfix") == 0)
                rc->diag_type = "X-POSTFIX";
        }
        p->diagnostic = v;
    } else if (mm_field_named(f, "Last-Attempt-Date")) {
        p->date = mm_report_field(r, f);
    }
}

/* Length of "Name" when line l starts a "Name:" field, else 0. */
static size_t field_name(const char *l, size_t len)
{
    size_t i = 0;
    while (i < len && (isalnum((unsigned char)l[i]) || l[i] == '-'))
        i++;
    return i > 0 && i < len && l[i] == ':' && isalpha((unsigned char)l[0]) ? i : 0;
}

/*
 * From the "Diagnostic-Code:" line at *pos of t[0..n) to the end of the
 * field (a blank line or another field), each line copied to o + w with a
 * newline, and a space before a line that continues the field without
 * folding white space.  Returns the new w; *pos is past the lines read.
 */
static size_t fold_field(const char *t, size_t n, size_t *pos, char *o, size_t w)
{
    size_t len;
    const char *l;
    bool in_diag = false;
    while ((l = mm_next_line(t, n, pos, &len)) != NULL) {
        size_t k = field_name(l, len);
        if (mm_mta_blank(l, len))
            in_diag = false;
        else if (k)
            in_diag = k == 15 && strncasecmp(l, "Diagnostic-Code", 15) == 0;
        else if (in_diag && l[0] != ' ' && l[0] != '\t')
            o[w++] = ' ';
        memcpy(o + w, l, len);
        w += len;
        o[w++] = '\n';
        if (!in_diag)
            break;
    }
    return w;
}

/*
 * A copy of the delivery-status text in which lines that continue a
 * Diagnostic-Code without the folding white space RFC 5322 requires (some
 * MessageLabs and Exchange writers break a multi-line SMTP reply that way)
 * are indented, so the field reader keeps them.  Made in the arena a (the
 * report's: its blocks are kept from message to message, where a malloc()
 * and free() per notice cost more); NULL when out of memory.
 */
static char *fold_stray_lines(mm_arena *a, const char *t, size_t n, size_t *outlen)
{
    char *o = mm_arena_alloc(a, 2 * n + 3); /* a space and a newline per line at most */
    if (!o)
        return NULL;
    size_t pos = 0, w = 0, from = 0;
    const char *p;
    /* Only the lines from a "Diagnostic-Code:" line on can need a space:
     * the rest is copied as it stands, the lines read one by one from
     * each such field until it ends. */
    while (from < n && (p = mm_memcasemem(t + from, n - from, "Diagnostic-Code:", 16)) != NULL) {
        from = (size_t)(p - t) + 1;
        if (p > t && p[-1] != '\n')
            continue; /* not at the start of a line */
        memcpy(o + w, t + pos, (size_t)(p - t) - pos);
        w += (size_t)(p - t) - pos;
        pos = (size_t)(p - t);
        w = fold_field(t, n, &pos, o, w);
        from = pos;
    }
    /* the rest, each line ended by a newline (t may be NULL when n is 0) */
    if (n > pos) {
        memcpy(o + w, t + pos, n - pos);
        w += n - pos;
        if (t[n - 1] != '\n')
            o[w++] = '\n';
    }
    o[w] = '\0';
    *outlen = w;
    return o;
}

/* A Final-Recipient only the reporting site can use: a source route
 * ("@smtp.example.net:user@server", RFC 5321 section 4.1.2) or a host name
 * without a dot.  The Original-Recipient is then the address the sender
 * used. */
static bool internal_address(const char *a)
{
    const char *at = strrchr(a, '@');
    return a[0] == '@' || !at || !strchr(at, '.');
}

/* Does the group holding field i name a recipient? */
static bool group_has_rcpt(const mm_fields *fs, size_t i)
{
    for (size_t k = i; k < fs->n && fs->v[k].name[0]; k++)
        if (is_rcpt_field(&fs->v[k]))
            return true;
    return false;
}

/* Decode field groups; per-message fields fill defaults for every
 * recipient.  Some writers (Symantec's) put Final-Recipient last in its
 * group, so the fields of the group read before it are replayed. */
static mm_status_t decode_fields(const mm_fields *fs, mm_report *r)
{
    /* the per-message fields, copied once when a recipient needs them */
    const mm_field *reporting = NULL, *arrival = NULL;
    const char *reporting_copy = NULL, *arrival_copy = NULL;
    size_t start = r->n, group = 0;
    mm_rcpt *cur = NULL;
    for (size_t i = 0; i < fs->n; i++) {
        const mm_field *f = &fs->v[i];
        if (f->name[0] == '\0') {
            cur = NULL;
            group = i + 1;
            continue;
        }
        if (mm_field_named(f, "Reporting-MTA")) {
            /* A second per-message block (no recipient in its group) after
             * recipients belongs to another report: a bounce quoted inside
             * the returned message (RFC 3464 section 2: one delivery-status
             * part per report). */
            if (r->n > start && !group_has_rcpt(fs, i))
                break;
            reporting = f;
            continue;
        }
        if (mm_field_named(f, "Arrival-Date")) {
            arrival = f;
            continue;
        }
        if (!cur && is_rcpt_field(f)) {
            cur = mm_report_add(r);
            if (!cur) {
                r->truncated = r->n >= r->max;
                break;
            }
            for (size_t k = group; k < i; k++)
                set_field(r, cur, &fs->v[k]);
        } else if (cur && mm_field_named(f, "Final-Recipient") && cur->pub.recipient[0]) {
            cur = mm_report_add(r); /* blank line missing between two blocks */
            if (!cur)
                break;
        }
        if (cur)
            set_field(r, cur, f);
    }
    for (size_t i = start; i < r->n; i++) {
        mm_recipient *p = &r->r[i].pub;
        if (!p->recipient[0] || (internal_address(p->recipient) && p->original_recipient[0] &&
                                 !internal_address(p->original_recipient)))
            p->recipient = p->original_recipient;
        /* the per-message values, shared by the recipients */
        if (!p->reporting_mta[0]) {
            const char *t;
            size_t tl;
            if (!reporting_copy)
                reporting_copy = reporting ? report_typed(r, reporting, &t, &tl) : "";
            p->reporting_mta = reporting_copy;
        }
        if (!p->date[0]) {
            if (!arrival_copy)
                arrival_copy = arrival ? mm_report_field(r, arrival) : "";
            p->date = arrival_copy;
        }
    }
    return r->n > start ? MM_OK : MM_ENOTFOUND;
}

/* End of the paragraph that starts at pos; a line holding only the
 * address does not end it, and at most 8 lines are taken. */
static size_t para_end(const char *t, size_t n, size_t pos)
{
    size_t p = pos, len, lines = 0;
    const char *l;
    while (lines < 8 && (l = mm_next_line(t, n, &p, &len)) != NULL) {
        if (mm_mta_blank(l, len)) {
            if (lines > 1)
                return (size_t)(l - t);
            continue;
        }
        lines++;
    }
    return p;
}

static size_t line_start(const char *t, const char *p)
{
    while (p > t && p[-1] != '\n')
        p--;
    return (size_t)(p - t);
}

static bool addr_alone(const char *line, const char *at, size_t alen)
{
    size_t other = 0;
    for (const char *p = line; *p && *p != '\n'; p++)
        if (!(p >= at && p < at + alen) && *p != ' ' && *p != '\t' && *p != '<' && *p != '>')
            other++;
    return other < 3;
}

/* Start of the non-blank paragraph before the line at s (or s). */
static size_t para_before(const char *t, size_t s)
{
    size_t p = s;
    while (p > 0 && (t[p - 1] == '\n' || t[p - 1] == ' ' || t[p - 1] == '\t'))
        p--;
    if (p == 0)
        return s;
    size_t lines = 0;
    while (p > 0 && lines < 6) {
        size_t ls = line_start(t, t + p - 1);
        if (mm_mta_blank(t + ls, p - 1 - ls))
            break;
        p = ls;
        lines++;
    }
    return p;
}

/* The first paragraph quoting an SMTP reply or status code. */
static const char *reply_para(const char *t, size_t n, size_t *len)
{
    size_t pos = 0, l;
    const char *line;
    char code[16];
    while ((line = mm_next_line(t, n, &pos, &l)) != NULL) {
        if (mm_find_reply(line, l) || mm_find_status(line, l, code)) {
            size_t s = (size_t)(line - t);
            *len = para_end(t, n, s) - s;
            return line;
        }
    }
    return NULL;
}

/* Is the line a "----- Transcript of session follows -----" heading? */
static bool dashed_heading(const char *l, size_t len)
{
    while (len > 0 && (*l == ' ' || *l == '\t'))
        l++, len--;
    return len >= 10 && strncmp(l, "-----", 5) == 0 && strncmp(l + len - 5, "-----", 5) == 0;
}

/* A paragraph whose first line names the address but quotes no reply,
 * followed by a transcript ("(expanded from: <a>)" ... "554 5.3.0 ..."):
 * the diagnostic starts at the first line that opens with a reply code,
 * else after the last dashed heading. */
static void skip_to_reply(const char **start, size_t *len)
{
    size_t pos = 0, l;
    const char *line, *t = *start, *after_heading = NULL;
    char code[16];
    bool first = true;
    while ((line = mm_next_line(t, *len, &pos, &l)) != NULL) {
        if (first && (mm_find_reply(line, l) || mm_find_status(line, l, code)))
            return;
        if (!first && mm_prov_lead_reply(line)) {
            after_heading = line;
            break;
        }
        if (!first && dashed_heading(line, l))
            after_heading = t + pos;
        first = false;
    }
    if (after_heading && after_heading < t + *len) {
        *len -= (size_t)(after_heading - t);
        *start = after_heading;
    }
}

/* Diagnostic for a recipient whose block had none: from the readable text. */
static void diag_from_text(mm_report *r, mm_rcpt *rc, const char *t, size_t n, bool single)
{
    size_t len = 0;
    const char *addr = rc->pub.recipient;
    const char *at = addr[0] ? mm_memcasemem(t, n, addr, strlen(addr)) : NULL;
    const char *start = NULL;
    if (at) {
        size_t s = line_start(t, at), e = para_end(t, n, s);
        /* An address alone on its line: the sentence saying why is above it. */
        if (addr_alone(t + s, at, strlen(addr)))
            s = para_before(t, s);
        start = t + s;
        len = e - s;
        skip_to_reply(&start, &len);
    }
    char code[16];
    bool has_reply = start && (mm_find_reply(start, len) || mm_find_status(start, len, code));
    if (single && !(has_reply && mm_find_status(start, len, code))) {
        size_t l2;
        const char *p = reply_para(t, n, &l2);
        /* No reply near the address: the first one quoted will do.  A reply
         * without a status code: a paragraph that quotes one for this
         * address says more ("550 5.1.2 <a>... Host unknown"). */
        bool better = p && (!has_reply || (mm_find_status(p, l2, code) && addr[0] &&
                                           mm_memcasemem(p, l2, addr, strlen(addr))));
        if (better) {
            start = p;
            len = l2;
        }
    }
    if (start)
        rc->pub.diagnostic = mm_report_str(r, start, len > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : len);
}

/* "Action: failed" with "Status: 4.x.x" while the remote server answered
 * "550 5.5.0": some MTAs mark a refused connection temporary in Status even
 * though they gave up; the receiver's own permanent code is the one that
 * matches what happened. */
static void permanent_reply(mm_report *r, mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    const char *d = p->diagnostic;
    char code[16];
    /* the status first: most are 5.x.x, and then no strcmp() is needed */
    if (p->status[0] != '4' || strcmp(p->action, "failed") != 0)
        return;
    if (mm_prov_lead_reply(d) / 100 == 5 && mm_prov_status(d, strlen(d), code) && code[0] == '5')
        p->status = mm_report_strz(r, code);
}

/* The SMTP command named in the readable paragraph about this recipient
 * ("... (in reply to RCPT TO command)"), when the diagnostic does not say. */
static const char *text_command(mm_report *r, const char *t, size_t n, const char *addr)
{
    const char *at = addr[0] ? mm_memcasemem(t, n, addr, strlen(addr)) : NULL;
    if (!at)
        return "";
    size_t s = line_start(t, at), e = para_end(t, n, s);
    const char *para = t + s;
    size_t len = e - s > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : e - s;
    /* Read as squeezed, so a command split over two lines still reads as
     * one.  mm_mta_command() folds white space as the squeezer does, but
     * for NUL (the squeezed copy ends there), '\v' and '\f': only a
     * paragraph holding one of those is copied first (one search for
     * the three, not a memchr() for each). */
    if (mm_memchr3(para, len, '\0', '\v', '\f')) {
        para = mm_report_str(r, para, len);
        len = strlen(para);
    }
    return mm_mta_command(para, len);
}

/* "Diagnostic-Code: X-Unix; 255": a local program's exit status, which
 * says nothing a reader can use (and "255" is no SMTP reply); the MTA's
 * transcript in the readable part ("554 5.3.0 unknown mailer error 255")
 * does. */
static bool exit_status_only(const mm_rcpt *rc)
{
    const char *d = rc->pub.diagnostic;
    /* the first letter first: most types are "SMTP" */
    if (!d[0] || rc->diag_type[0] != 'X' || strcmp(rc->diag_type, "X-UNIX") != 0)
        return false;
    for (; *d; d++)
        if (!(isdigit((unsigned char)*d) || *d == ' '))
            return false;
    return true;
}

/* "Status: 5.1.1" over "Diagnostic-Code: smtp; 552 5.2.2 Over quota": the
 * reporting MTA summed the failure up in its own code, the receiver said
 * precisely what it was.  The receiver's code wins when its reply opens the
 * diagnostic, is of the same class, is not a vague X.0.0 and is not a
 * less detailed X.Y.0 of the same subject. */
static void receiver_status(mm_report *r, mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    const char *d = p->diagnostic;
    int reply = mm_prov_lead_reply(d);
    char code[16];
    while (*d == ' ')
        d++;
    if (!reply || !p->status[0] || reply / 100 != p->status[0] - '0')
        return;
    /* the code right after the reply: "552 5.2.2", "550-5.7.1", "550 #5.1.0" */
    d += 4;
    while (*d == ' ' || *d == '#' || *d == '\'')
        d++;
    /* The code must open d and be of the status's class: a code is "C."
     * then digits, so d not opening with the class and a dot ends it here,
     * before the search for one (most diagnostics quote no code there). */
    if (d[0] != p->status[0] || d[1] != '.')
        return;
    if (!mm_prov_status(d, strlen(d), code) || strncmp(d, code, strlen(code)) != 0)
        return;
    if (code[0] != p->status[0] || strcmp(code + 1, ".0.0") == 0)
        return;
    /* "550 #5.1.0" under "Status: 5.1.1": same subject, less detail */
    const char *dot = strrchr(code, '.');
    size_t subj = (size_t)(dot - code);
    if (strcmp(dot, ".0") == 0 && strncmp(code, p->status, subj + 1) == 0)
        return;
    p->status = mm_report_strz(r, code);
}

/* "Final-Recipient: rfc822; @mx.example.org" with no Original-Recipient:
 * for a single recipient, the address the readable text lists alone on a
 * line ("<user@example.org>") is the one that failed. */
static void recipient_from_text(mm_report *r, mm_recipient *p, const char *t, size_t n)
{
    const char *l, *a;
    size_t pos = 0, len, alen;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL)
        if (mm_prov_addr_line(l, len, &a, &alen)) {
            const char *addr = mm_report_addr(r, a, alen);
            if (!internal_address(addr))
                p->recipient = addr;
            return;
        }
}

/* Complete recipients [from, r->n) from the readable text. */
static void complete(mm_report *r, const mm_msg *m, size_t from)
{
    /* The readable text, once, and bounded: every recipient searches it, so
     * a hostile notice must not make that quadratic in its size. */
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    if (n > MM_PROV_SCAN_MAX)
        n = MM_PROV_SCAN_MAX;
    bool single = r->n - from == 1;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        mm_recipient *p = &rc->pub;
        if (single && internal_address(p->recipient))
            recipient_from_text(r, p, t, n);
        if (exit_status_only(rc)) {
            const char *exit_code = p->diagnostic;
            p->diagnostic = "";
            diag_from_text(r, rc, t, n, single);
            if (!p->diagnostic[0])
                p->diagnostic = exit_code;
        }
        if (!p->diagnostic[0])
            diag_from_text(r, rc, t, n, single);
        p->diagnostic = mm_prov_unfold_reply(r, p->diagnostic);
        permanent_reply(r, rc);
        receiver_status(r, rc);
        mm_prov_refine_status(r, rc);
        if (!p->reply_code && (p->status[0] == '4' || p->status[0] == '5'))
            p->reply_code =
                mm_prov_reply_of_class(p->diagnostic, strlen(p->diagnostic), p->status[0]);
        if (!p->smtp_command[0])
            p->smtp_command = mm_mta_command(p->diagnostic, strlen(p->diagnostic));
        if (!p->smtp_command[0])
            p->smtp_command = text_command(r, t, n, p->recipient);
        /* "host mx.example.org[192.0.2.1] said: ..." without Remote-MTA */
        if (!p->remote_mta[0])
            mm_prov_exim_host(r, rc);
        if (!p->action[0])
            p->action = "failed";
    }
}

/* A text part that is itself a DSN body: find "Final-Recipient:" lines. */
static const char *find_text_dsn(const mm_msg *m)
{
    const char *t = mm_buf_str(&m->text);
    const char *p = mm_strcasestr(t, "\nFinal-Recipient:");
    if (!p)
        return NULL;
    const char *rep = mm_strcasestr(t, "\nReporting-MTA:");
    return (rep && rep < p) ? rep + 1 : p + 1;
}

/* The recipients of an earlier good call for the same message and start,
 * appended again as that call left them (see mm_report's dsn_rcpts); false
 * (r as it was) when there is none or memory runs out. */
static bool replay(const mm_msg *m, mm_report *r)
{
    size_t from = r->n;
    bool truncated = r->truncated;
    if (!r->dsn_rcpts || r->dsn_msg != m || r->dsn_from != from)
        return false;
    for (size_t i = 0; i < r->dsn_n; i++) {
        mm_rcpt *rc = mm_report_add(r);
        if (!rc) {
            r->n = from;
            r->truncated = truncated;
            return false;
        }
        *rc = r->dsn_rcpts[i];
    }
    if (r->dsn_truncated)
        r->truncated = true;
    r->kind = MM_KIND_BOUNCE;
    return true;
}

/* Keep what a good call appended, for replay(). */
static void keep(const mm_msg *m, mm_report *r, size_t from, bool truncated)
{
    size_t n = r->n - from;
    mm_rcpt *v = mm_arena_alloc(&r->arena, n * sizeof *v);
    if (!v)
        return;
    memcpy(v, r->r + from, n * sizeof *v);
    r->dsn_msg = m;
    r->dsn_rcpts = v;
    r->dsn_from = from;
    r->dsn_n = n;
    r->dsn_truncated = truncated;
}

mm_status_t mm_decode_rfc3464(const mm_msg *m, mm_report *r)
{
    if (replay(m, r))
        return MM_OK;
    bool was_truncated = r->truncated;
    /* the list's room from the report's last call (see dsn_fv) */
    mm_fields fs = {.v = r->dsn_fv, .n = 0, .cap = r->dsn_fcap, .keys = 0};
    /* The copy and the fields' values are made in the report's arena, which
     * is emptied with the report for the next message and keeps its blocks:
     * an arena of its own cost a malloc() and free() of a block per notice. */
    mm_arena *a = &r->arena;
    mm_status_t st = MM_ENOTFOUND;
    size_t from = r->n;
    if (m->has_dsn) {
        size_t dlen;
        char *dsn = fold_stray_lines(a, m->dsn.data, m->dsn.len, &dlen);
        /* dsn is our own copy: the names are ended in place there, not
         * copied. */
        st = dsn ? mm_fields_parse_own_block(a, dsn, dlen, &fs) : MM_ENOMEM;
        if (st == MM_OK)
            st = decode_fields(&fs, r);
    }
    if (st == MM_ENOTFOUND) {
        const char *p = find_text_dsn(m);
        fs.n = 0;
        if (p)
            st = mm_fields_parse_block(a, p, strlen(p), &fs);
        if (p && st == MM_OK)
            st = decode_fields(&fs, r);
    }
    r->dsn_fv = fs.v; /* grown, perhaps: kept for the next call */
    r->dsn_fcap = fs.cap;
    if (st == MM_OK) {
        complete(r, m, from);
        r->kind = MM_KIND_BOUNCE;
        keep(m, r, from, r->truncated && !was_truncated);
    }
    return st;
}
