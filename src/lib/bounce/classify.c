/*
 * classify.c - decide the reason for one recipient, whether it is hard, and
 * which RFC 3463 status code it reports.
 *
 * The order of evidence is the reference decoder's (Sisimai v5.1 Fact.pm,
 * Reason.pm and the true() test of each reason), so that results compare:
 *   1. a decoder's hint wins, unless it is one of the "look again" reasons
 *      and the decoder did not mark it strong (the format states it); a
 *      "look again" hint still counts later unless a status code of another
 *      meaning contradicts it (hint_stands());
 *   2. the receiving provider's own rules (rhost.c; Office 365's codes when
 *      it wrote the report);
 *   3. a 2.x.x status means delivered;
 *   4. for SMTP diagnostics, each strong reason's test in a fixed order; a
 *      test weighs the status code and the SMTP command as well as the text
 *      (user-unknown words count only at RCPT or with a 5.1.x code; spam and
 *      filter words never before DATA);
 *   5. the status code's own meaning, unless it is vague; then a second list
 *      of phrases, the code's meaning even if vague, the status class (X.6
 *      content, X.7 security), the diagnostic type (X-UNIX = mailer), a 50x
 *      reply (syntax), the action (delayed = expired) and the command
 *      (greeting or HELO = blocked);
 *   6. the hint, "expired" for a delayed recipient, "vacation", "onhold" when
 *      there is text but nothing recognised, "undefined" otherwise (also
 *      when the text is only the report's opening paragraph).
 * The status is the Status: field or the code in the text, whichever says
 * more (see prefer_status); we never invent codes: a bounce that gives none
 * keeps "".  Hard or soft follows the reason, never the first digit alone.
 */
#include "bounce_int.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

/* What one decision looks at; lower is the prepared diagnostic text. */
typedef struct facts {
    const mm_rcpt *rc;
    const char *lower;
    mm_phrase_text *pt;    /* lower, prepared once for the phrase tables */
    const mm_cn_pairs *cn; /* its byte pairs (&pt->pairs), for the providers' rules */
    const char *status;    /* after prefer_status() */
    mm_reason_t by_status; /* mm_status_reason(status) */
    const char *command;   /* upper-case SMTP command or "" */
    bool smtp_type;        /* Diagnostic-Code type is SMTP (or absent) */
} facts;

/* Reasons a decoder or a code may give that are worth a second look. */
static bool look_again(mm_reason_t r)
{
    switch (r) {
    case MM_REASON_UNDEFINED:
    case MM_REASON_ONHOLD:
    case MM_REASON_SYSTEMERROR:
    case MM_REASON_SECURITYERROR:
    case MM_REASON_EXPIRED:
    case MM_REASON_SUSPEND:
    case MM_REASON_NETWORKERROR:
    case MM_REASON_HOSTUNKNOWN:
    case MM_REASON_USERUNKNOWN:
        return true;
    default:
        return false;
    }
}

static bool cmd_is(const facts *f, const char *c)
{
    /* the first letters first: most recipients have no command, and the
     * ones asked differ there */
    return f->command[0] == c[0] && strcmp(f->command, c) == 0;
}

/* Commands sent before DATA: content judgements cannot come from them. */
static bool before_data(const facts *f)
{
    return cmd_is(f, "CONN") || cmd_is(f, "EHLO") || cmd_is(f, "HELO") || cmd_is(f, "MAIL") ||
           cmd_is(f, "RCPT");
}

static bool says(const facts *f, mm_reason_t r)
{
    return mm_phrase_in(f->pt, r);
}

/* Words of an unknown user.  "Domain does not exist" reads as "... does
 * not exist" too: with neither a code nor a command to go by, the domain's
 * words win. */
static bool user_words(const facts *f)
{
    if (!says(f, MM_REASON_USERUNKNOWN))
        return false;
    return f->command[0] || f->status[0] || !says(f, MM_REASON_HOSTUNKNOWN);
}

/* User unknown, unless the words of a more specific reason are there too. */
static bool is_userunknown(const facts *f)
{
    static const mm_reason_t other[] = {MM_REASON_NORELAYING,  MM_REASON_BLOCKED,
                                        MM_REASON_MAILBOXFULL, MM_REASON_HASMOVED,
                                        MM_REASON_REJECTED,    MM_REASON_NOTACCEPT};
    if (f->by_status == MM_REASON_SUSPEND)
        return false;
    if (f->by_status == MM_REASON_USERUNKNOWN) {
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
            if (says(f, other[i]))
                return false;
        return true;
    }
    /* Without RCPT the same words may be a filter's ("550 ... User
     * unknown" after DATA): is_filtered() reads them then. */
    return cmd_is(f, "RCPT") && user_words(f);
}

static bool is_filtered(const facts *f)
{
    if (f->by_status == MM_REASON_SUSPEND)
        return false;
    if (f->by_status != MM_REASON_FILTERED && before_data(f))
        return false;
    return says(f, MM_REASON_FILTERED) || user_words(f);
}

static bool is_rejected(const facts *f)
{
    mm_reason_t s = f->by_status;
    if (s == MM_REASON_REJECTED)
        return true;
    if (cmd_is(f, "MAIL"))
        return says(f, MM_REASON_REJECTED);
    if (cmd_is(f, "DATA"))
        return s != MM_REASON_USERUNKNOWN && says(f, MM_REASON_REJECTED);
    if (s == MM_REASON_UNDEFINED || s == MM_REASON_ONHOLD || s == MM_REASON_SECURITYERROR ||
        s == MM_REASON_SYSTEMERROR)
        return says(f, MM_REASON_REJECTED);
    return false;
}

static bool is_hostunknown(const facts *f)
{
    /* X.4.4 "unable to route" is also what a null MX (RFC 7505) gives;
     * words that say the host takes no mail are the more specific. */
    if (f->by_status == MM_REASON_HOSTUNKNOWN)
        return !says(f, MM_REASON_NETWORKERROR) &&
               !(strncmp(f->status + 1, ".4.4", 4) == 0 && says(f, MM_REASON_NOTACCEPT));
    return says(f, MM_REASON_HOSTUNKNOWN);
}

/* Does the decoder's "look again" hint stand against the status code?
 * A code of its own subject that means something else wins: a decoder
 * may hint userunknown for Postfix's "Recipient address rejected:", which
 * prefixes every RCPT restriction, while the 5.7.25 beside it says PTR.
 * The broad codes (5.2.x filtered, 5.3.x system, 5.7.x security) leave
 * the hint standing. */
static bool hint_stands(const facts *f)
{
    switch (f->by_status) {
    case MM_REASON_UNDEFINED:
    case MM_REASON_FILTERED:
    case MM_REASON_SYSTEMERROR:
    case MM_REASON_SECURITYERROR:
    case MM_REASON_ONHOLD:
        return true;
    default:
        return f->by_status == f->rc->hint;
    }
}

/* Step 4: one reason's test; the hint is the decoder's "look again" reason. */
static bool is_reason(const facts *f, mm_reason_t r)
{
    bool have_status = f->status[0] != '\0';
    if (f->rc->hint == r && r != MM_REASON_NORELAYING && hint_stands(f))
        return have_status || !(r == MM_REASON_MAILBOXFULL || r == MM_REASON_EXCEEDLIMIT ||
                                r == MM_REASON_SUSPEND || r == MM_REASON_SPAMDETECTED ||
                                r == MM_REASON_SPEEDING);
    switch (r) {
    case MM_REASON_MAILBOXFULL:
    case MM_REASON_EXCEEDLIMIT:
        return have_status && (f->by_status == r || says(f, r));
    case MM_REASON_MESGTOOBIG:
        if (f->by_status == r)
            return true;
        return f->by_status != MM_REASON_EXCEEDLIMIT && says(f, r);
    case MM_REASON_SUSPEND:
        return have_status && (f->rc->pub.reply_code == 525 || says(f, r));
    case MM_REASON_NORELAYING: {
        mm_reason_t h = f->rc->hint;
        if (h == MM_REASON_SECURITYERROR || h == MM_REASON_SYSTEMERROR)
            return false;
        return !(cmd_is(f, "CONN") || cmd_is(f, "EHLO") || cmd_is(f, "HELO")) && says(f, r);
    }
    case MM_REASON_USERUNKNOWN:
        return is_userunknown(f);
    case MM_REASON_FILTERED:
        return is_filtered(f);
    case MM_REASON_REJECTED:
        return is_rejected(f);
    case MM_REASON_HOSTUNKNOWN:
        return is_hostunknown(f);
    case MM_REASON_SPAMDETECTED:
        if (!have_status)
            return false;
        return f->by_status == r || (!before_data(f) && says(f, r));
    case MM_REASON_SPEEDING:
        return have_status && says(f, r);
    case MM_REASON_HASMOVED:
    case MM_REASON_NOTCOMPLIANTRFC:
        return says(f, r);
    default: /* authfailure, requireptr, badreputation, toomanyconn, blocked */
        return f->by_status == r || says(f, r);
    }
}

static mm_reason_t strong_reasons(const facts *f)
{
    static const mm_reason_t order[] = {
        MM_REASON_MAILBOXFULL, MM_REASON_MESGTOOBIG,   MM_REASON_EXCEEDLIMIT,
        MM_REASON_SUSPEND,     MM_REASON_HASMOVED,     MM_REASON_NORELAYING,
        MM_REASON_AUTHFAILURE, MM_REASON_USERUNKNOWN,  MM_REASON_FILTERED,
        MM_REASON_REQUIREPTR,  MM_REASON_NOTCOMPLIANTRFC, MM_REASON_BADREPUTATION,
        MM_REASON_REJECTED,
        MM_REASON_HOSTUNKNOWN, MM_REASON_SPAMDETECTED, MM_REASON_SPEEDING,
        MM_REASON_TOOMANYCONN, MM_REASON_BLOCKED};
    /* unrolled, so each is_reason() call is made for a known reason and its
     * switch folds away: a jump table asked for 18 reasons in turn jumps
     * somewhere else each time (a mispredicted indirect jump per call) */
#pragma GCC unroll 18
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (is_reason(f, order[i]))
            return order[i];
    return MM_REASON_UNDEFINED;
}

/* Step 5 when neither the code nor the second phrase list decides. */
static mm_reason_t by_class_and_context(const facts *f)
{
    const mm_recipient *p = &f->rc->pub;
    const char *st = f->status;
    const char *type = f->rc->diag_type;
    if (strncmp(st, "5.6", 3) == 0 || strncmp(st, "4.6", 3) == 0)
        return MM_REASON_CONTENTERROR;
    if (strncmp(st, "5.7", 3) == 0 || strncmp(st, "4.7", 3) == 0)
        return MM_REASON_SECURITYERROR;
    /* An X-Unix code is a local program's exit status.  The program's own
     * words are read first ("quota exceeded" is still mailboxfull), as the
     * reference decoder does (Reason.pm anotherone()). */
    if (strncasecmp(type, "X-UNIX", 6) == 0)
        return MM_REASON_MAILERERROR;
    /* RFC 5321 section 4.2.2: 500-504 are command syntax and sequence errors */
    if (f->rc->hint == MM_REASON_SYNTAXERROR ||
        (p->reply_code % 100 <= 7 && (p->reply_code / 100 == 4 || p->reply_code / 100 == 5) &&
         (p->reply_code / 10) % 10 == 0))
        return MM_REASON_SYNTAXERROR;
    return MM_REASON_UNDEFINED;
}

static mm_reason_t another_one(const facts *f)
{
    const mm_recipient *p = &f->rc->pub;
    if (f->rc->hint != MM_REASON_UNDEFINED && hint_stands(f))
        return f->rc->hint;
    mm_reason_t r = f->by_status;
    if (r != MM_REASON_UNDEFINED && !look_again(r) && f->smtp_type)
        return r;
    mm_reason_t t = mm_phrase_find(f->pt, MM_PASS_SECOND);
    if (t != MM_REASON_UNDEFINED)
        return t;
    /* A code with a meaning of its own still says more than its class or
     * the diagnostic type (Reason.pm anotherone() keeps the code's name
     * once the phrases found nothing). */
    if (r != MM_REASON_UNDEFINED)
        return r;
    t = by_class_and_context(f);
    if (t != MM_REASON_UNDEFINED)
        return t;
    if (strncmp(p->action, "delayed", 7) == 0 || strncmp(p->action, "expired", 7) == 0)
        return MM_REASON_EXPIRED;
    /* Turned away at the greeting or at HELO: the sending host is refused. */
    if (cmd_is(f, "CONN") || cmd_is(f, "EHLO") || cmd_is(f, "HELO"))
        return MM_REASON_BLOCKED;
    return MM_REASON_UNDEFINED;
}

/* The report's own opening paragraph, which some decoders keep when no
 * reply was found: with no code in it, it says nothing about the reason. */
static bool only_preamble(const facts *f)
{
    static const char *const opening[] = {
        "this is the mail system at host",
        "this is an automatically generated delivery status notification",
        "this message was created automatically by mail delivery software",
        "this is the qmail-send program at",
    };
    if (f->status[0] || f->rc->pub.reply_code)
        return false;
    for (size_t i = 0; i < sizeof opening / sizeof opening[0]; i++)
        if (strncmp(f->lower, opening[i], strlen(opening[i])) == 0)
            return true;
    return false;
}

static mm_reason_t decide(const facts *f)
{
    const mm_rcpt *rc = f->rc;
    const mm_recipient *p = &rc->pub;
    if (rc->hint != MM_REASON_UNDEFINED && (rc->hint_strong || !look_again(rc->hint)))
        return rc->hint;
    mm_reason_t r = mm_rhost_match((mm_rcpt *)rc, f->lower, f->cn);
    if (r == MM_REASON_COUNT_) /* a provider rule that settles on "undefined" */
        return MM_REASON_UNDEFINED;
    if (r != MM_REASON_UNDEFINED)
        return r;
    if (f->status[0] == '2')
        return MM_REASON_DELIVERED;
    if (f->smtp_type && (r = strong_reasons(f)) != MM_REASON_UNDEFINED)
        return r;
    if ((r = another_one(f)) != MM_REASON_UNDEFINED)
        return r;
    if (rc->hint != MM_REASON_UNDEFINED)
        return rc->hint;
    if (strcmp(p->action, "delayed") == 0)
        return MM_REASON_EXPIRED;
    if (mm_phrase_in(f->pt, MM_REASON_VACATION))
        return MM_REASON_VACATION;
    return p->diagnostic[0] && !only_preamble(f) ? MM_REASON_ONHOLD : MM_REASON_UNDEFINED;
}

/* Class digit (4 or 5) of the status, else of a code in the text; 0 if none. */
static int failure_class(const mm_recipient *r)
{
    char code[16];
    if (r->status[0] == '4' || r->status[0] == '5')
        return r->status[0] - '0';
    const char *d = r->diagnostic;
    if (mm_find_status(d, strlen(d), code))
        return code[0] - '0';
    int reply = r->reply_code ? r->reply_code : mm_find_reply(d, strlen(d));
    return reply / 100;
}

bool mm_reason_is_hard(mm_reason_t reason, const mm_recipient *r)
{
    switch (reason) {
    case MM_REASON_USERUNKNOWN:
    case MM_REASON_HOSTUNKNOWN:
    case MM_REASON_HASMOVED:
        return true;
    case MM_REASON_NOTACCEPT:
        /* A null MX (RFC 7505) or a host refusing all mail for good; a 4xx
         * "not accepting now" is temporary. */
        return failure_class(r) != 4;
    default:
        return false;
    }
}

/* Every code of the RFC 3463 shape, so that a status taken from the text
 * can be handed out as a string that lives as long as the library. */
#define ROW(c, s) c "." #s ".0", c "." #s ".1", c "." #s ".2", c "." #s ".3", c "." #s ".4", c "." #s ".5", c "." #s ".6", c "." #s ".7", c "." #s ".8", c "." #s ".9", c "." #s ".10", c "." #s ".11", c "." #s ".12", c "." #s ".13", c "." #s ".14", c "." #s ".15", c "." #s ".16", c "." #s ".17", c "." #s ".18", c "." #s ".19", c "." #s ".20", c "." #s ".21", c "." #s ".22", c "." #s ".23", c "." #s ".24", c "." #s ".25", c "." #s ".26", c "." #s ".27", c "." #s ".28", c "." #s ".29", c "." #s ".30"
#define CLASS(c) {ROW(c, 0)}, {ROW(c, 1)}, {ROW(c, 2)}, {ROW(c, 3)}, {ROW(c, 4)}, {ROW(c, 5)}, \
                 {ROW(c, 6)}, {ROW(c, 7)}
static const char *const all_codes[3][8][31] = {{CLASS("2")}, {CLASS("4")}, {CLASS("5")}};

/* The code (s, n) as a static string if it has the RFC 3463 shape with a
 * detail up to 30; NULL otherwise (the caller then keeps what it had). */
static const char *real_code(const char *s, size_t n)
{
        if (n < 5 || n > 6 || !(s[0] == '2' || s[0] == '4' || s[0] == '5') || s[1] != '.' ||
        s[2] < '0' || s[2] > '7' || s[3] != '.')
        return NULL;
    int subject = s[2] - '0', detail = 0;
    for (size_t i = 4; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return NULL;
        detail = detail * 10 + (s[i] - '0');
    }
    if (detail > 30 || (n == 6 && s[4] == '0'))
        return NULL;
    return all_codes[s[0] == '2' ? 0 : s[0] == '4' ? 1 : 2][subject][detail];
}

static bool has(const char *s, const char *sub)
{
    return strstr(s, sub) != NULL;
}

/* Status: field or the code in the reply text, whichever says more (the
 * reference decoder's rule, SMTP/Status.pm prefer()). */
static const char *prefer_status(const char *field, const char *text, int reply)
{
    if (strlen(field) < 5)
        return text;
    if (strlen(text) < 5 || strcmp(field, text) == 0)
        return field;
    if (reply >= 200 && field[0] != text[0]) {
        if (reply / 100 == field[0] - '0')
            return field;
        if (reply / 100 == text[0] - '0')
            return text;
    }
    if (has(field + 1, ".0.0"))
        return has(text + 1, ".0.0") ? field : text;
    if (has(field + 1, ".0") && !has(text + 1, ".0"))
        return text;
    if (has(text + 1, ".0.0"))
        return field;
    if (strcmp(field, "4.4.7") == 0 || strncmp(field, "5.3.", 4) == 0)
        return text;
    if (strcmp(field, "5.1.1") == 0)
        return has(text + 1, ".0") ? field : text;
    if (strcmp(field, "5.1.3") == 0 && strncmp(text, "5.7.", 4) == 0)
        return text;
    return field;
}

/* A reply code of the given class standing as a word in text; 0 if none. */
static int reply_of_class(const char *t, int cls)
{
    for (size_t i = 0; t[i] && t[i + 1] && t[i + 2]; i++) {
        if (t[i] != '0' + cls || t[i + 1] < '0' || t[i + 1] > '5' || t[i + 2] < '0' ||
            t[i + 2] > '9')
            continue;
        char b = i ? t[i - 1] : ' ', a = t[i + 3];
        if ((b >= '0' && b <= '9') || b == '.' || (a >= '0' && a <= '9') || a == '.' ||
            (a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z'))
            continue;
        int code = (t[i] - '0') * 100 + (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
        if (mm_reply_known(code))
            return code;
    }
    return 0;
}

/* Settle status and reply code before judging: take the more telling code,
 * hand out only registered codes, and drop a reply code whose class
 * contradicts the status (a 250 quoted beside a 5.1.1).  n: strlen() of
 * the diagnostic. */
static void settle_status(mm_recipient *p, size_t n)
{
    char code[16];
    const char *d = p->diagnostic;
    const char *text = mm_find_status(d, n, code) ? code : "";
    const char *best = prefer_status(p->status, text, p->reply_code);
    const char *real = real_code(best, strlen(best));
    if (best == text)
        p->status = real ? real : p->status;
    else if (real)
        p->status = real;
    /* A failed or delayed recipient whose code says success: the code came
     * from a quoted transcript ("250 2.1.5 Ok ... 451 4.3.0 Error"); the
     * failure's own code is the one that counts. */
    if (p->status[0] == '2' &&
        (strcmp(p->action, "failed") == 0 || strcmp(p->action, "delayed") == 0) &&
        (mm_find_status_class(d, n, '5', code) || mm_find_status_class(d, n, '4', code))) {
        const char *failure = real_code(code, strlen(code));
        if (failure)
            p->status = failure;
    }
    if (p->reply_code && !mm_reply_known(p->reply_code))
        p->reply_code = 0;
    if (p->status[0] && p->reply_code && p->reply_code / 100 != p->status[0] - '0')
        p->reply_code = reply_of_class(d, p->status[0] - '0');
}

/* The SMTP command a reply answered, from the usual MTA wordings.  The
 * byte pairs of pt (prepared from lower) turn most wordings away before
 * their search. */
static const char *guess_command(const mm_phrase_text *pt, const char *lower)
{
    /* the command's words, which each wording of a group holds: absent
     * (a byte pair missing), the group is passed over at once */
    static const char rcpt[] = "rcpt to", mail[] = "mail from", data[] = "data";
    static const struct {
        const char *words, *cmd, *shared;
    } map[] = {
        {"in reply to rcpt to", "RCPT", rcpt}, {"after rcpt to", "RCPT", rcpt},
        {">>> rcpt to", "RCPT", rcpt},
        /* qmail-ldap: "Other MXes tried: ... said 550 for ..." */
        {"for rcpt to response", "RCPT", rcpt},
        {"in reply to mail from", "MAIL", mail}, {"after mail from", "MAIL", mail},
        {">>> mail from", "MAIL", mail},
        {"in reply to end of data", "DATA", data}, {"in reply to data", "DATA", data},
        {"after end of data", "DATA", data}, {"after data", "DATA", data},
        {">>> data", "DATA", data},
        {"in reply to ehlo", "EHLO", NULL}, {"in reply to helo", "HELO", NULL},
        {"after initial connection", "CONN", NULL},
    };
    const char *asked = NULL;
    bool shared_in = false;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].shared && map[i].shared != asked) {
            asked = map[i].shared;
            shared_in = mm_phrase_may_hold(pt, asked);
        }
        if (map[i].shared && !shared_in)
            continue;
        if (mm_phrase_may_hold(pt, map[i].words) && strstr(lower, map[i].words))
            return map[i].cmd;
    }
    return "";
}

static bool alnum_at(const char *s, size_t i)
{
    char c = s[i];
    return (c >= '0' && c <= '9') || (c >= '@' && c <= 'Z') || (c >= '`' && c <= 'z');
}

/* Can s occur in the text whose lowered copy holds the byte pairs cn?
 * Its pairs lowered must all be there: a word of the text is one of the
 * copy's, lowered.  False spares a search.  Also after continuation
 * prefixes were stripped from the copy: the words asked hold no digit or
 * dot (a prefix and what is cut after it are only those) and single
 * spaces only (which squeezing keeps). */
static bool may_hold_folded(const mm_cn_pairs *cn, const char *s)
{
    for (; s[0] && s[1]; s++)
        if (!cn->has[mm_cn_pair_hash((unsigned char)mm_lower(s[0]), (unsigned char)mm_lower(s[1]))])
            return false;
    return true;
}

/* The last command named in upper case in a transcript line ("SMTP:RCPT
 * host ...", "MAIL FROM: <> 250 OK RCPT TO: <...> 550"), in the order of
 * the reference decoder's SMTP/Command.pm find(): a bare word only where
 * it stands alone (not DATABASE@EXAMPLE.JP). */
static const char *named_command(const char *d, const mm_cn_pairs *cn)
{
    /* words that several share, asked once: absent, none of them is there */
    static const char auth[] = "AUTH ", rcpt[] = "RCPT";
    static const struct {
        const char *words, *cmd, *shared;
    } det[] = {
        {"HELO", "HELO", NULL},
        {"EHLO", "EHLO", NULL},
        {"STARTTLS", "STARTTLS", NULL},
        {"AUTH PLAIN", "AUTH", auth},
        {"AUTH LOGIN", "AUTH", auth},
        {"AUTH CRAM-", "AUTH", auth},
        {"AUTH DIGEST-", "AUTH", auth},
        {"MAIL F", "MAIL", NULL},
        {"RCPT", "RCPT", NULL},
        {"RCPT T", "RCPT", rcpt},
        {"DATA", "DATA", NULL},
        {"QUIT", "QUIT", NULL},
        {"XFORWARD", "XFORWARD", NULL},
    };
    const char *last = "", *asked = NULL;
    bool shared_in = false;
    for (size_t i = 0; i < sizeof det / sizeof det[0]; i++) {
        if (det[i].shared && det[i].shared != asked) {
            asked = det[i].shared;
            shared_in = may_hold_folded(cn, asked) && strstr(d, asked) != NULL;
        }
        if (det[i].shared && !shared_in)
            continue;
        const char *at = may_hold_folded(cn, det[i].words) ? strstr(d, det[i].words) : NULL;
        if (!at)
            continue;
        size_t n = strlen(det[i].words);
        if (!strchr(det[i].words, ' ') &&
            ((at > d && alnum_at(at - 1, 0)) || alnum_at(at, n)))
            continue;
        last = det[i].cmd;
    }
    return last;
}

static const char *command_of(const mm_recipient *p, const mm_phrase_text *pt,
                              const mm_cn_pairs *cn, const char *lower)
{
    static const char *const known[] = {"CONN", "EHLO", "HELO", "MAIL", "RCPT", "DATA", "QUIT",
                                        "RSET", "NOOP", "VRFY", "ETRN", "EXPN", "HELP", "AUTH",
                                        "STARTTLS", "XFORWARD"};
    /* most recipients have no command: no name is empty */
    for (size_t i = 0; p->smtp_command[0] && i < sizeof known / sizeof known[0]; i++)
        if (mm_lower(p->smtp_command[0]) == mm_lower(known[i][0]) &&
            strcasecmp(p->smtp_command, known[i]) == 0)
            return known[i];
    const char *c = guess_command(pt, lower);
    return c[0] ? c : named_command(p->diagnostic, cn);
}

/* Remove the "550-5.7.1 " continuation prefixes of a multi-line reply, so
 * phrases that a server wrapped over several lines read as one sentence.
 * False when s has none (and is left as it was); else *len is its new
 * length.  pt: s's pairs, which turn away most replies before the search. */
static bool strip_continuations(char *s, int reply, size_t *len, const mm_phrase_text *pt)
{
    if (reply < 200 || reply > 599)
        return false;
    /* "550-": three digits and the dash, without snprintf */
    char pre[5] = {(char)('0' + reply / 100), (char)('0' + reply / 10 % 10), (char)('0' + reply % 10),
                   '-', '\0'};
    if (!mm_phrase_may_hold(pt, pre) || !strstr(s, pre))
        return false;
    /* What is kept is squeezed as it is written (mm_squeeze_space() of the
     * result, in the same pass): a run of white space becomes one space
     * before the next byte kept, none at either end.  w stays at or before
     * r: a space is written only for a byte read and not written. */
    char *w = s;
    bool space = false;
    for (char *r = s; *r;) {
        /* the first digit before the calls: most bytes are not one */
        if (r[0] == pre[0] &&
            (strncmp(r, pre, 4) == 0 || (strncmp(r, pre, 3) == 0 && r[3] == ' ' && r > s))) {
            r += 4;
            while (*r && (*r == '.' || (*r >= '0' && *r <= '9')))
                r++;
            continue;
        }
        char c = *r++;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            space = true;
            continue;
        }
        if (space && w != s)
            *w++ = ' ';
        space = false;
        *w++ = c;
    }
    *w = '\0';
    *len = (size_t)(w - s);
    return true;
}

/* strcasecmp(t, "SMTP") == 0 without the call (nearly every type is
 * rfc3464.c's "SMTP"): a byte ORed with 0x20 is 's' only for 's' and 'S',
 * and so on. */
static bool is_smtp(const char *t)
{
    return (t[0] | 0x20) == 's' && (t[1] | 0x20) == 'm' && (t[2] | 0x20) == 't' &&
           (t[3] | 0x20) == 'p' && t[4] == '\0';
}

/* lower: room for the diagnostic lower-cased; n: the diagnostic's strlen() */
static void classify_text(mm_rcpt *rc, char *lower, size_t n)
{
    mm_recipient *p = &rc->pub;
    mm_phrase_text pt;
    mm_phrase_prepare_copy(&pt, lower, p->diagnostic, n);
    if (strip_continuations(lower, p->reply_code, &n, &pt))
        mm_phrase_prepare_copy(&pt, lower, lower, n); /* the set again, in place */
    facts f = {.rc = rc, .lower = lower, .pt = &pt, .cn = &pt.pairs, .status = p->status};
    f.by_status = mm_status_reason(p->status);
    f.command = command_of(p, &pt, &pt.pairs, lower);
    f.smtp_type = rc->diag_type[0] == '\0' || is_smtp(rc->diag_type);
    if (!p->smtp_command[0] && f.command[0])
        p->smtp_command = f.command;
    p->reason = decide(&f);
    p->hard_bounce = mm_reason_is_hard(p->reason, p);
}

void mm_classify(mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    /* the diagnostic's length, once: settle_status() and the copy need it */
    size_t n = strlen(p->diagnostic);
    settle_status(p, n);
    char small[512];
    char *lower = n < sizeof small ? small : malloc(n + 1);
    if (!lower) {
        p->reason = MM_REASON_UNDEFINED;
        return;
    }
    classify_text(rc, lower, n);
    if (lower != small)
        free(lower);
    if (p->reason == MM_REASON_FEEDBACK || p->reason == MM_REASON_VACATION)
        p->reply_code = 0;
}
