/*
 * diagnose.c - the public entry points: bytes -> message -> decoders ->
 * classify -> advise.  Also the one-line mode (--text).
 */
#include "decoders.h"
#include "diagnose_ws.h"
#include "lhost/mta_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "../util/str.h"

static void set_why(char *why, size_t whylen, const char *msg)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", msg);
}

/* Fill what decoders left empty, then judge and advise. */
static void finish_recipient(mm_report *r, mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    const char *d = p->diagnostic;
    size_t n = p->status[0] && p->reply_code ? 0 : strlen(d); /* read only when needed */
    char code[16];
    if (!p->status[0] && mm_find_status(d, n, code))
        p->status = mm_report_strz(r, code);
    /* a number in a reply's place that RFC 5321 does not define (Exchange's
     * "441" for a failed connection) is not what a server replied */
    int reply = p->reply_code ? 0 : mm_find_reply(d, n);
    if (mm_mta_reply_defined(reply))
        p->reply_code = reply;
    if (!p->date[0])
        p->date = "";
    mm_classify(rc);
    mm_advise(p->reason, p->provider[0] ? p->provider : NULL, rc->provider_retry, &p->advice);
    /* A 4xx reply is the receiver saying "not now": the server retries by
     * itself, so it is less urgent than the same reason given for good. */
    bool temporary = p->status[0] == '4' || (p->reply_code >= 400 && p->reply_code < 500);
    if (temporary && p->advice.severity > MM_SEVERITY_MEDIUM)
        p->advice.severity = MM_SEVERITY_MEDIUM;
}

/* Is name that of slot k (see set_original), whose key it has (so it is at
 * least as long)?  mm_name_is_lit() of each literal, not strcasecmp():
 * asked only for the ~3 fields of a message whose keys matched. */
static bool original_name_is(unsigned k, const char *name)
{
    switch (k) {
    case 0:
        return mm_name_is_lit(name, "Message-ID", 10);
    case 1:
        return mm_name_is_lit(name, "Subject", 7);
    case 2:
        return mm_name_is_lit(name, "From", 4);
    case 3:
        return mm_name_is_lit(name, "To", 2);
    default:
        return mm_name_is_lit(name, "Date", 4);
    }
}

/* The attached message's Message-ID, Subject, From, To and Date (the
 * first of each), in one walk over its fields, each value made straight in
 * the report's arena (mm_report_field) rather than made in the message's
 * and copied.  A field's slot is picked by its name's length (and for the
 * two of four letters, its first letter) by a table, without a branch: a
 * length none of the five has picks slot 5, whose key (0xffffffff) a field
 * hardly ever has and whose bit in left is never set, so one test, nearly
 * always false, turns away the other fields; their lengths are a coin toss
 * to the branch predictor (a switch on them mispredicted about once a
 * message). */
static void set_original(mm_report *r, const mm_msg *m)
{
    const char **slots[] = {&r->orig.message_id, &r->orig.subject, &r->orig.from, &r->orig.to,
                            &r->orig.date};
    /* mm_field_key() of literals: worked out by the compiler */
    const unsigned keys[] = {mm_field_key("Message-ID", 10), mm_field_key("Subject", 7),
                             mm_field_key("From", 4), mm_field_key("To", 2),
                             mm_field_key("Date", 4), 0xffffffffu};
    /* the slot of [a name's length mod 16][its first letter is an f]: the
     * key's compare turns away a longer name that lands on a slot */
    static const unsigned char slot_of[16][2] = {
        {5, 5}, {5, 5}, {3, 3}, {5, 5}, {4, 2}, {5, 5}, {5, 5}, {1, 1},
        {5, 5}, {5, 5}, {0, 0}, {5, 5}, {5, 5}, {5, 5}, {5, 5}, {5, 5}};
    unsigned left = 0x1f;
    const mm_fields *f = &m->orig;
    for (size_t i = 0; left && i < f->n; i++) {
        unsigned key = f->v[i].key;
        unsigned k = slot_of[key >> 16 & 15][(key >> 8 & 0xff) == 'f'];
        if (key == keys[k] && (left >> k & 1) && original_name_is(k, f->v[i].name)) {
            *slots[k] = mm_report_field(r, &f->v[i]);
            left &= ~(1u << k);
        }
    }
}

static mm_kind_t kind_from_actions(const mm_report *r)
{
    if (r->kind != MM_KIND_BOUNCE || r->n == 0)
        return r->kind;
    for (size_t i = 0; i < r->n; i++) {
        const char *a = r->r[i].pub.action;
        /* the first letter first: nearly every action is "failed", which
         * then costs no strcmp() call */
        if (!((a[0] == 'd' && strcmp(a, "delivered") == 0) ||
              (a[0] == 'r' && strcmp(a, "relayed") == 0) ||
              (a[0] == 'e' && strcmp(a, "expanded") == 0)))
            return MM_KIND_BOUNCE;
    }
    return MM_KIND_SUCCESS;
}

struct mm_diag_ws {
    mm_msg msg;         /* recycled after each message (mm_msg_parse_again) */
    mm_report *spare;   /* a report given back (mm_diag_ws_release), or NULL */
};

mm_status_t mm_diag_ws_create(mm_diag_ws **out)
{
    mm_diag_ws *ws = calloc(1, sizeof *ws);
    if (!ws)
        return MM_ENOMEM;
    mm_arena_init(&ws->msg.arena);
    *out = ws;
    return MM_OK;
}

void mm_diag_ws_destroy(mm_diag_ws *ws)
{
    if (!ws)
        return;
    mm_msg_free(&ws->msg);
    mm_report_destroy(ws->spare);
    free(ws);
}

void mm_diag_ws_release(mm_diag_ws *ws, mm_report *r)
{
    if (!ws || ws->spare || !r) {
        mm_report_destroy(r);
        return;
    }
    ws->spare = r; /* emptied when taken: the caller may still read it until then */
}

/* A report for the next message: ws's spare, emptied, else a new one. */
static mm_status_t take_report(mm_diag_ws *ws, const mm_limits *lim, mm_report **out)
{
    if (ws && ws->spare) {
        *out = ws->spare;
        ws->spare = NULL;
        mm_report_recycle(*out, lim->max_recipients);
        return MM_OK;
    }
    return mm_report_new(lim->max_recipients, out);
}

/* The decoders, then classification and advice, over a parsed message. */
static mm_status_t diagnose_parsed(mm_diag_ws *ws, const mm_msg *m, const mm_limits *lim,
                                   bool truncated, mm_report **out)
{
    mm_report *r;
    mm_status_t st = take_report(ws, lim, &r);
    if (st != MM_OK)
        return st;
    r->truncated = truncated;
    r->kind = MM_KIND_NOT_BOUNCE;
    const char *text = mm_buf_str(&m->text);
    r->prose_len = mm_mta_prose_len(text, m->text.len);
    /* ASCII up to the first NUL, as the decoders read the text: a NUL is
     * ASCII, so all of it being ASCII answers (nearly every message)
     * without a strlen() over the whole text */
    r->text_ascii = mm_ascii(text, m->text.len) || mm_ascii(text, strlen(text));
    mm_mta_facts(m, r);
    for (const mm_decoder *d = mm_decoders; d->name; d++) {
        size_t before = r->n;
        /* a decoder that serves several vendors (vendors.c) names the one
         * it recognised */
        r->mta = NULL;
        st = d->fn(m, r);
        if (r->n == before) { /* most decoders: not theirs, nothing added */
            r->kind = MM_KIND_NOT_BOUNCE;
            r->truncated = truncated;
            if (st != MM_OK && st != MM_ENOTFOUND)
                break;
            st = MM_OK;
            continue;
        }
        /* A decoder that reads every NULL from mm_report_add() as out of
         * memory: with the report full and marked truncated, it was the
         * recipient limit (bounce_int.h), and what it added stands. */
        if (st == MM_ENOMEM && r->truncated && r->n >= r->max && r->n > before)
            st = MM_OK;
        if (st == MM_OK && r->n > before) {
            if (!r->mta)
                r->mta = d->name;
            break;
        }
        mm_report_truncate(r, before);
        r->kind = MM_KIND_NOT_BOUNCE;
        r->truncated = truncated; /* a limit this decoder reached is not the report's */
        if (st != MM_OK && st != MM_ENOTFOUND)
            break;
        st = MM_OK;
    }
    if (st == MM_OK) {
        set_original(r, m);
        for (size_t i = 0; i < r->n; i++)
            finish_recipient(r, &r->r[i]);
        r->kind = kind_from_actions(r);
    }
    if (st != MM_OK) {
        mm_diag_ws_release(ws, r);
        return st;
    }
    *out = r;
    return MM_OK;
}

/* With ws NULL, a message parsed and freed for this call only. */
static mm_status_t diagnose(const mm_ctx *ctx, mm_diag_ws *ws, const char *bytes, size_t len,
                            mm_report **out, char *why, size_t whylen)
{
    const mm_limits *lim = mm_ctx_limits(ctx);
    bool truncated = false;
    if (len > lim->max_message_bytes) {
        len = lim->max_message_bytes;
        truncated = true;
    }
    mm_msg own, *m = ws ? &ws->msg : &own;
    mm_status_t st = ws ? mm_msg_parse_again(lim, bytes, len, m) : mm_msg_parse(lim, bytes, len, m);
    if (st == MM_OK)
        st = diagnose_parsed(ws, m, lim, truncated, out);
    if (ws)
        mm_msg_recycle(m);
    else /* after a failed parse m is freed and zeroed: freeing it again does nothing */
        mm_msg_free(m);
    if (st != MM_OK)
        set_why(why, whylen, mm_strerror(st));
    return st;
}

mm_status_t mm_diagnose_message(const mm_ctx *ctx, const char *bytes, size_t len, mm_report **out,
                                char *why, size_t whylen)
{
    return diagnose(ctx, NULL, bytes, len, out, why, whylen);
}

mm_status_t mm_diagnose_message_ws(const mm_ctx *ctx, mm_diag_ws *ws, const char *bytes,
                                   size_t len, mm_report **out, char *why, size_t whylen)
{
    return diagnose(ctx, ws, bytes, len, out, why, whylen);
}

mm_status_t mm_diagnose_text(const mm_ctx *ctx, const char *text, mm_report **out)
{
    mm_report *r;
    mm_status_t st = mm_report_new(mm_ctx_limits(ctx)->max_recipients, &r);
    if (st != MM_OK)
        return st;
    mm_rcpt *rc = mm_report_add(r);
    if (!rc) {
        mm_report_destroy(r);
        return MM_ENOMEM;
    }
    /* A Postfix, Sendmail or Exim log line carries the recipient, the relay
     * and the DSN code in fields of its own; the reply is only part of it. */
    size_t n = strlen(text), alen;
    mm_logline log;
    const char *diag = text;
    size_t dlen = n;
    rc->pub.action = "failed";
    if (mm_parse_logline(text, n, &log)) {
        if (log.diag) {
            diag = log.diag;
            dlen = log.diag_len;
        }
        if (log.relay)
            rc->pub.remote_mta = mm_report_str(r, log.relay, log.relay_len);
        if (log.status) {
            char code[16];
            if (mm_find_status(log.status, log.status_len, code))
                rc->pub.status = mm_report_strz(r, code);
        }
        rc->pub.action = log.action;
    }
    /* A Diagnostic-Code field pasted whole: "Diagnostic-Code: X-Unix; 255"
     * (RFC 3464 section 2.3.6).  Its type decides how the rest is read. */
    if (diag == text && mm_startswith_ci(diag, "Diagnostic-Code:")) {
        diag += 16;
        while (*diag == ' ' || *diag == '\t')
            diag++;
        dlen = strlen(diag);
    }
    const char *semi = memchr(diag, ';', dlen);
    if (semi && semi - diag <= 10 &&
        (mm_startswith_ci(diag, "smtp;") || mm_startswith_ci(diag, "x-"))) {
        rc->diag_type = mm_report_str(r, diag, (size_t)(semi - diag));
        dlen -= (size_t)(semi + 1 - diag);
        diag = semi + 1;
    }
    /* A pasted reply without its host: some providers sign their replies
     * ("... - gsmtp", their postmaster pages, their own host names), which
     * is enough to ask that provider's rules. */
    static const struct {
        const char *mark, *host;
    } signs[] = {
        {" gsmtp", "gmail-smtp-in.l.google.com"},
        {"support.google.com/mail", "gmail-smtp-in.l.google.com"},
        {"gmail", "gmail-smtp-in.l.google.com"},
        {"postmaster.yahooinc.com", "mta5.am0.yahoodns.net"},
        {"senders.yahooinc.com", "mta5.am0.yahoodns.net"},
        {".protection.outlook.com", "mail.protection.outlook.com"},
        {".prod.outlook.com", "mail.protection.outlook.com"},
    };
    for (size_t i = 0; !rc->pub.remote_mta[0] && i < sizeof signs / sizeof signs[0]; i++)
        if (mm_strcasestr(text, signs[i].mark))
            rc->pub.remote_mta = signs[i].host;
    const char *a = log.rcpt ? mm_find_addr(log.rcpt, log.rcpt_len, &alen) : NULL;
    if (!a)
        a = mm_find_addr(text, n, &alen);
    if (a)
        rc->pub.recipient = mm_report_addr(r, a, alen);
    rc->pub.diagnostic = mm_report_str(r, diag, dlen);
    r->kind = MM_KIND_BOUNCE;
    r->mta = "text";
    finish_recipient(r, rc);
    /* An X-Unix code is a program's exit status, not an SMTP reply. */
    if (strncasecmp(rc->diag_type, "X-UNIX", 6) == 0)
        rc->pub.reply_code = 0;
    /* In a bounce, user-unknown words with no command named may be a
     * filter's after DATA; a reply pasted alone is most often the answer
     * to RCPT, where they mean what they say. */
    bool unknown_user = false;
    if (rc->pub.reason == MM_REASON_FILTERED && !rc->pub.smtp_command[0]) {
        char *lower = mm_strlower(mm_arena_strdup(&r->arena, rc->pub.diagnostic));
        unknown_user = lower && mm_phrase_is(MM_REASON_USERUNKNOWN, lower) &&
                       !mm_phrase_is(MM_REASON_FILTERED, lower);
    }
    if (rc->pub.reason == MM_REASON_ONHOLD || rc->pub.reason == MM_REASON_UNDEFINED ||
        unknown_user) {
        char *lower = mm_strlower(mm_arena_strdup(&r->arena, rc->pub.diagnostic));
        mm_reason_t any = lower ? mm_phrase_match(MM_PASS_ANY, lower) : MM_REASON_UNDEFINED;
        if (any != MM_REASON_UNDEFINED) {
            rc->pub.reason = any;
            rc->pub.hard_bounce = mm_reason_is_hard(any, &rc->pub);
            mm_advise(any, rc->pub.provider[0] ? rc->pub.provider : NULL, rc->provider_retry,
                      &rc->pub.advice);
        }
    }
    *out = r;
    return MM_OK;
}
