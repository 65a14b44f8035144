/*
 * prose.c - the generic reader of bounces written as prose, used by the
 * last-resort decoder (text.c) and by family decoders whose notices it
 * reads as they are (lhost/domino.c, lhost/vendors.c).
 *
 * Notices from unknown MTAs vary in wording but share a few shapes.  The
 * failed address is named
 *   - with the reason after it:   "user@example.org: 550 5.1.1 User unknown",
 *                                 "user@example.org [User unknown]";
 *   - with the reason before it:  "Unknown user: user@example.org";
 *   - alone, in a list under a heading ("The following addresses had
 *     delivery errors:", "* user@example.org", "<user@example.org>:"), the
 *     reason then being the lines below it, the lines just above it, or a
 *     section of its own elsewhere in the notice ("because:", "Technical
 *     details:", "----- Non-delivered information -----").
 * The reader splits the text before the copy of the original message into
 * lines, finds the addresses that are not the sender's or a quoted
 * header's, and for each takes the nearest text that reads like an error
 * (an SMTP reply or status code, or an error phrase) as its diagnostic.
 * An address is reported only when such text is found or a list heading
 * introduces it.  Whether the message is a bounce at all is the caller's
 * question (text.c asks it).
 */
#include "mta_util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"

/* The notice's own statement that delivery failed: it marks a bounce but
 * says nothing about why. */
const char *const mm_mta_failure_statements[] = {"could not be delivered",
                                                 "couldn't be delivered",
                                                 "was not delivered",
                                                 "were not delivered",
                                                 "not be delivered",
                                                 "undeliverable",
                                                 "undelivered",
                                                 "delivery failed",
                                                 "delivery has failed",
                                                 "delivery to the following",
                                                 "delevery to the following",
                                                 "failed permanently",
                                                 "unable to deliver",
                                                 "could not deliver",
                                                 "couldn't deliver",
                                                 "permanent error",
                                                 "permanent fatal error",
                                                 "following address",
                                                 "following recipient",
                                                 "list of recipients",
                                                 "delivery failure",
                                                 "failure reasons",
                                                 "not reach the following",
                                                 "returned mail",
                                                 "delivery status",
                                                 "was rejected by",
                                                 "could not be sent",
                                                 "message could not",
                                                 "delivery problem",
                                                 "non-delivery",
                                                 "nondeliverable",
                                                 "failed to deliver",
                                                 "failed to send",
                                                 "mailbox is full",
                                                 "not delivered within",
                                                 "送信できません",
                                                 "送信に失敗",
                                                 "配信できません",
                                                 "届きませんでした",
                                                 "退信",
                                                 "投递失败",
                                                 "无法投递",
                                                 "未能送达",
                                                 "发送失败",
                                                 "failed address",
                                                 "error message below",
                                                 "requested action not taken",
                                                 "nicht zugestellt",
                                                 "n'a pas pu être remis",
                                                 "no se pudo entregar",
                                                 "non è stato possibile recapitare",
                                                 "não pôde ser entregue",
                                                 "kon niet worden bezorgd",
                                                 NULL};

/* Caps: a prose notice is short; what lies past these is not read. */
enum {
    MAX_LINES = 1024,
    MAX_ADDRS = 128,
    MAX_EXCL = 8,
    DIAG_LINES = 8,
    DIAG_BYTES = 8192,
    MAX_MENTIONS = 8
};

typedef struct line {
    const char *s;
    size_t n;
    size_t first, count;                           /* its mentions: m[first .. first + count) */
    bool is_blank, is_heading, is_field; /* set once by classify_lines */
    /* is_error once error_known: worked out when a reader first asks
     * (line_is_error), as most lines are turned away by the classes above */
    bool is_error, error_known;
    /* has_head once head_known: the line holds a list heading's words
     * (line_has_head); asked by heading() and again by the readers */
    bool has_head, head_known;
} line;

typedef struct mention {
    size_t li;     /* index of its line */
    const char *a; /* the address in the line */
    size_t al;
} mention;

typedef struct prose {
    line l[MAX_LINES];
    size_t nl;
    mention m[MAX_ADDRS];
    size_t nm;
    const char *ex[MAX_EXCL];
    size_t nex;
    mm_buf diag; /* the diagnostic being assembled */
} prose;

/* Phrases that introduce a list of failed addresses; a line holding one
 * is a heading, not a reason.  Grouped by a word each holds (head_words
 * below; the order inside a group does not matter, a line holds one or
 * not), the non-ASCII ones apart. */
static const char *const heads_follow[] = {"following address",
                                           "following recipient",
                                           "following list of recipients",
                                           "delevery to the following",
                                           "did not reach the following",
                                           "following destination",
                                           NULL};
static const char *const heads_deliver[] = {
    "not delivered to",          "could not be delivered to",
    "delivery to the following", "unable to deliver message to",
    "undeliverable to",          "could not deliver to",
    "was undeliverable to",      NULL};
static const char *const heads_recipient[] = {"failed recipient", "recipients were affected", NULL};
static const char *const heads_addresses[] = {"addresses had", NULL};
static const char *const heads_failure[] = {"failure reasons", NULL};
static const char *const heads_cjk[] = {"以下のメールアドレス", "以下の宛先", "下列收件人",
                                        "以下收件人", NULL};

/* Words of an error, beyond codes; lower case, matched case-insensitively. */
static const char *const error_words[] = {"unknown",       "not found",    "does not exist",
                                          "doesn't exist", "rejected",     "denied",
                                          "refused",       "failed",       "failure",
                                          "error",         "invalid",      "full",
                                          "quota",         "unavailable",  "blocked",
                                          "no such",       "disabled",     "timed out",
                                          "time out",      "expired",      "too large",
                                          "spam",          "not exist",    "unrouteable",
                                          "permanent",     "deferred",     "could not",
                                          "cannot",        "can't",        "unable",
                                          "delay",         "suspended",    "inactive",
                                          "not listed",    "exceed",       "not responding",
                                          "not accept",    "doesn't have", "not allowed",
                                          "no valid",      "too long",     "loop",
                                          "不存在",        "拒绝",         "失败",
                                          "无法",          "エラー",       "できません",
                                          "ありません",    "一杯",         NULL};

static bool has_code(const char *s, size_t n)
{
    char code[16];
    return mm_find_reply(s, n) || mm_find_status(s, n, code);
}

static bool has_error_evidence(const char *s, size_t n)
{
    return has_code(s, n) || mm_mta_has_any(s, n, error_words);
}

static bool blank(const line *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->s[i] != ' ' && l->s[i] != '\t' && l->s[i] != '\r')
            return false;
    return true;
}

static size_t indent(const line *l)
{
    size_t i = 0;
    while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
        i++;
    return i;
}

/* A letter, a digit or a byte of a UTF-8 sequence: what words_in() counts. */
static bool word_byte(char c)
{
    return (unsigned char)c >= 0x80 || (c >= '0' && c <= '9') ||
           ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* Letters and digits in s[0..n): how much a fragment says. */
static size_t words_in(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += word_byte(s[i]);
    return k;
}

/* words_in(s, n) > 0, stopping at the first such byte (every line of the
 * notice is asked; most have a word at once). */
static bool has_word(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (word_byte(s[i]))
            return true;
    return false;
}

/* The word each group of ASCII headings holds: the words a line holds are
 * found in one pass (mm_mta_find_any), and only the groups of those are
 * asked, instead of the line's pair set and a test per heading. */
static const mm_needle head_words[] = {MM_NEEDLE("follow"), MM_NEEDLE("deliver"),
                                       MM_NEEDLE("recipient"), MM_NEEDLE("addresses had")};
static const char *const *const head_groups[] = {heads_follow, heads_deliver, heads_recipient,
                                                 heads_addresses};
_Static_assert(sizeof head_words / sizeof head_words[0] ==
                   sizeof head_groups / sizeof head_groups[0],
               "a group per word");

/* Does s[0..n) hold one of the NULL-terminated phrases?  (A search each:
 * a group is a few phrases, where mm_mta_has_any() would make the line's
 * pair set first.) */
static bool holds_any(const char *s, size_t n, const char *const *phrases)
{
    for (size_t i = 0; phrases[i]; i++)
        if (mm_memcasemem(s, n, phrases[i], strlen(phrases[i])))
            return true;
    return false;
}

/* Does the line hold a list heading? */
static bool has_list_head(const char *s, size_t n)
{
    enum { N_WORDS = sizeof head_words / sizeof head_words[0] };
    unsigned left = (1u << N_WORDS) - 1;
    size_t from = 0, w;
    const char *p;
    while (left && (p = mm_mta_find_any(s, n, from, head_words, N_WORDS, left, &w)) != NULL) {
        if (holds_any(s, n, head_groups[w]))
            return true;
        left &= ~(1u << w);
        from = (size_t)(p - s);
    }
    if (mm_memcasemem(s, n, heads_failure[0], 15))
        return true;
    return !mm_ascii(s, n) && mm_mta_has_any(s, n, heads_cjk);
}

/* has_list_head(l), worked out once per line: a line is asked by
 * heading() and again by the readers (under_list_head, take_heading,
 * diag_for); the lines do not change after split_lines(). */
static bool line_has_head(line *l)
{
    if (!l->head_known) {
        l->has_head = has_list_head(l->s, l->n);
        l->head_known = true;
    }
    return l->has_head;
}

/* A heading or a rule: "because:", "Technical details:", "-----
 * Non-delivered information -----", "=====", or a list heading.  It
 * announces text; it is not the text.  The list heading's words are
 * asked of the whole line: none of the headings starts or ends with white
 * space, so the line and its trimmed part hold the same ones. */
static bool heading(line *l)
{
    size_t i = indent(l), e = l->n;
    while (e > i && (l->s[e - 1] == ' ' || l->s[e - 1] == '\t' || l->s[e - 1] == '\r'))
        e--;
    if (e == i || !has_word(l->s + i, e - i))
        return true;
    /* a rule or a label that quotes a reply ("--- Remote server said:
     * 550 ...") is the text itself */
    bool rule = e - i >= 3 && (memcmp(l->s + i, "---", 3) == 0 || memcmp(l->s + i, "===", 3) == 0 ||
                               memcmp(l->s + i, "***", 3) == 0);
    if ((rule || l->s[e - 1] == ':') && !has_code(l->s + i, e - i))
        return true;
    return line_has_head(l);
}

/* A line quoting a header or an SMTP command names addresses without
 * saying anything about them. */
static bool field_line(const line *l)
{
    /* with their lengths; every line of the notice is asked */
#define NAME(s) {s, sizeof s - 1}
    static const struct {
        const char *name;
        size_t len;
    } names[] = {
        NAME("from:"), NAME("to:"), NAME("cc:"), NAME("received:"), NAME("message-id:"),
        NAME("return-path:"), NAME("reply-to:"), NAME("sender:"), NAME("date:"),
        NAME("subject:"), NAME("in-reply-to:"), NAME("references:"), NAME("delivered-to:"),
        NAME("envelope-to:"), NAME("mail from:"), NAME("original sender:"), NAME("errors-to:"),
        NAME("x-"), NAME("in:  mail"), NAME("for <"),
        /* RFC 3464 fields pasted into the text */
        NAME("reporting-mta:"), NAME("received-from-mta:"), NAME("arrival-date:"),
        NAME("final-recipient:"), NAME("original-recipient:"), NAME("action:"), NAME("status:"),
        NAME("remote-mta:"), NAME("diagnostic-code:"), NAME("last-attempt-date:")};
#undef NAME
    size_t i = indent(l);
    /* "> " quotes a forwarded notice; ">>> MAIL FROM:" is a transcript */
    if (l->n - i >= 3 && memcmp(l->s + i, ">>>", 3) == 0)
        return false;
    /* "> From:" quoted, " *  To:" in a transcript's summary */
    while (i < l->n && (l->s[i] == '>' || l->s[i] == ' ' || l->s[i] == '*'))
        i++;
    if (i == l->n)
        return false;
    /* the names are lower case: their first byte turns most away */
    char c = mm_lower(l->s[i]);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (names[k].name[0] == c && l->n - i >= names[k].len &&
            mm_startswith_ci(l->s + i, names[k].name))
            return true;
    return false;
}

static bool excluded(const prose *p, const char *a, size_t al)
{
    for (size_t i = 0; i < p->nex; i++)
        if (strlen(p->ex[i]) == al && strncasecmp(p->ex[i], a, al) == 0)
            return true;
    return false;
}

/* The sender's own addresses: the bounce's From, To and Return-Path and
 * the original message's From, Reply-To and Sender. */
static void exclusions(const mm_msg *m, mm_arena *a, prose *p)
{
    const char *hs[] = {mm_fields_get(&m->head, "From"),        mm_fields_get(&m->head, "To"),
                        mm_fields_get(&m->head, "Return-Path"), mm_fields_get(&m->orig, "From"),
                        mm_fields_get(&m->orig, "Reply-To"),    mm_fields_get(&m->orig, "Sender")};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0] && p->nex < MAX_EXCL; i++) {
        size_t al;
        const char *s = hs[i] ? mm_find_addr(hs[i], strlen(hs[i]), &al) : NULL;
        const char *d = s ? mm_arena_strndup(a, s, al) : NULL;
        if (d)
            p->ex[p->nex++] = d;
    }
}

/* A notice forwarded by a person ("Begin forwarded message:") is quoted
 * with "> "; when most lines are, one level of quoting is taken off so
 * that blank lines, headings and transcripts read as in the original. */
static void unquote(prose *p)
{
    size_t quoted = 0, nonblank = 0;
    for (size_t i = 0; i < p->nl; i++) {
        nonblank += !blank(&p->l[i]);
        quoted += p->l[i].n > 0 && p->l[i].s[0] == '>';
    }
    if (nonblank == 0 || quoted * 2 < nonblank)
        return;
    for (size_t i = 0; i < p->nl; i++) {
        line *l = &p->l[i];
        if (l->n > 0 && l->s[0] == '>') {
            l->s++, l->n--;
            if (l->n > 0 && l->s[0] == ' ')
                l->s++, l->n--;
        }
    }
}

/* Error evidence in a line, not counting links ("?p=CustomFromDenied"
 * is a help page, not a refusal). */
static bool error_outside_urls(const line *l)
{
    char buf[1024];
    size_t n = l->n < sizeof buf ? l->n : sizeof buf;
    memcpy(buf, l->s, n);
    for (size_t i = 0; i + 4 < n; i++) {
        if (mm_lower(buf[i]) != 'h' || strncasecmp(buf + i, "http", 4) != 0 ||
            (i > 0 && buf[i - 1] != ' ' && buf[i - 1] != '<'))
            continue;
        while (i < n && buf[i] != ' ' && buf[i] != '>')
            buf[i++] = ' ';
    }
    return has_error_evidence(buf, n);
}

/* What each line is, computed once: the readers below look at every line
 * many times. */
static void classify_lines(prose *p)
{
    for (size_t i = 0; i < p->nl; i++) {
        line *l = &p->l[i];
        l->head_known = false;
        l->is_blank = blank(l);
        l->is_heading = !l->is_blank && heading(l);
        l->is_field = field_line(l);
        l->error_known = false;
    }
}

/* error_outside_urls(l), worked out once; the lines do not change after
 * split_lines(). */
static bool line_is_error(line *l)
{
    if (!l->error_known) {
        l->is_error = error_outside_urls(l);
        l->error_known = true;
    }
    return l->is_error;
}

/* A header field at the start of a line: "Received: ...". */
static bool header_at_left(const line *l, bool *envelope)
{
    static const char *const trace[] = {"received:", "return-path:", "message-id:", NULL};
    size_t i = 0;
    while (i < l->n && i < 40 && (isalnum((unsigned char)l->s[i]) || l->s[i] == '-'))
        i++;
    if (i == 0 || i == l->n || l->s[i] != ':')
        return false;
    for (size_t k = 0; trace[k]; k++)
        *envelope = *envelope || mm_startswith_ci(l->s, trace[k]);
    return true;
}

/* Where a returned message begins when the notice pastes it without a
 * marker: three header lines in a row at the left margin, one of them a
 * trace field, after the notice has named an address (before that, they
 * are the notice's own header, quoted by someone who forwarded it).  The
 * body of the returned message is the sender's text, and the addresses in
 * it are not recipients. */
static size_t returned_message(const prose *p)
{
    bool named = false;
    for (size_t i = 0; i + 2 < p->nl; i++) {
        bool ignored = false;
        if (!named) {
            named = !header_at_left(&p->l[i], &ignored) && memchr(p->l[i].s, '@', p->l[i].n);
            continue;
        }
        bool envelope = false;
        size_t k = i;
        while (k < p->nl && k < i + 3 && header_at_left(&p->l[k], &envelope))
            k++;
        if (k == i + 3 && envelope)
            return i;
    }
    return p->nl;
}

static void split_lines(prose *p, const char *t, size_t n)
{
    size_t pos = 0, len;
    const char *s;
    while (p->nl < MAX_LINES && (s = mm_next_line(t, n, &pos, &len)) != NULL)
        p->l[p->nl++] = (line){.s = s, .n = len};
    unquote(p);
    p->nl = returned_message(p);
    classify_lines(p);
}

/* "from x@y", "sender x@y": the line names who sent the message. */
static bool sender_context(const line *l, const char *a)
{
    size_t k = (size_t)(a - l->s);
    while (k > 0 && (l->s[k - 1] == ' ' || l->s[k - 1] == '<' || l->s[k - 1] == ':'))
        k--;
    return (k >= 4 && mm_startswith_ci(l->s + k - 4, "from")) ||
           (k >= 6 && mm_startswith_ci(l->s + k - 6, "sender"));
}

/* Every address named on a line that is not a field line, in order. */
static void find_mentions(prose *p)
{
    for (size_t i = 0; i < p->nl; i++)
        p->l[i].first = p->l[i].count = 0;
    for (size_t i = 0; i < p->nl && p->nm < MAX_ADDRS; i++) {
        line *l = &p->l[i];
        l->first = p->nm;
        if (l->is_field)
            continue;
        const char *s = l->s;
        size_t left = l->n, al;
        const char *a;
        for (int guard = 0; guard < 8 && (a = mm_find_addr(s, left, &al)) != NULL; guard++) {
            if (!excluded(p, a, al) && !sender_context(l, a) && p->nm < MAX_ADDRS) {
                p->m[p->nm++] = (mention){i, a, al};
                l->count++;
            }
            left -= (size_t)(a + al - s);
            s = a + al;
        }
    }
}

static bool same_addr(const mention *x, const char *a, size_t al)
{
    return x->al == al && strncasecmp(x->a, a, al) == 0;
}

/* Does line li name a candidate other than a? */
static bool other_addr_line(const prose *p, size_t li, const char *a, size_t al)
{
    const line *l = &p->l[li];
    for (size_t i = l->first; i < l->first + l->count; i++)
        if (!same_addr(&p->m[i], a, al))
            return true;
    return false;
}

/* Append a line to the diagnostic; past the buffer's limit (DIAG_BYTES)
 * or when memory runs out the diagnostic is only cut short. */
static void put_line(prose *p, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    if (!n)
        return;
    if (p->diag.len && mm_buf_putc(&p->diag, '\n') != MM_OK)
        return;
    (void)mm_buf_append(&p->diag, s, n);
}

/* Lines from li on, up to a blank line, another candidate's line or
 * DIAG_LINES lines; headings are skipped. */
static size_t take_block(prose *p, size_t li, const mention *m)
{
    size_t i = li, taken = 0;
    for (; i < p->nl && taken < DIAG_LINES; i++) {
        const line *l = &p->l[i];
        if (l->is_blank || other_addr_line(p, i, m->a, m->al) || l->is_field)
            break;
        if (l->is_heading)
            continue;
        put_line(p, l->s, l->n);
        taken++;
    }
    return taken;
}

/* Lines above li in its paragraph, not headings, back to a blank line. */
static size_t take_above(prose *p, size_t li, const mention *m)
{
    size_t i = li, first = li;
    while (i > 0 && li - i < DIAG_LINES) {
        const line *l = &p->l[i - 1];
        if (l->is_blank || l->is_heading || l->is_field || other_addr_line(p, i - 1, m->a, m->al))
            break;
        first = --i;
    }
    for (size_t k = first; k < li; k++)
        put_line(p, p->l[k].s, p->l[k].n);
    return li - first;
}

/* A line that is only an address of a list ("  * user@example.org",
 * "<user@example.org>:"). */
static bool list_item(const prose *p, size_t li)
{
    const line *l = &p->l[li];
    size_t w = words_in(l->s, l->n), aw = 0;
    for (size_t i = l->first; i < l->first + l->count; i++)
        aw += words_in(p->m[i].a, p->m[i].al);
    return aw > 0 && w < aw + 3;
}

/* The nearest paragraph after (dir > 0) or before li that reads like an
 * error, not past another candidate's line. */
static bool take_section(prose *p, size_t li, const mention *m, int dir)
{
    size_t i = li;
    for (int guard = 0; guard < MAX_LINES; guard++) {
        if (dir > 0 ? i + 1 >= p->nl : i == 0)
            return false;
        i = dir > 0 ? i + 1 : i - 1;
        line *l = &p->l[i];
        /* a sibling in the same list shares the reason; another
         * recipient's own sentence does not */
        if (other_addr_line(p, i, m->a, m->al) && !list_item(p, i))
            return false;
        if (l->is_blank || l->is_heading || l->is_field || !line_is_error(l) || list_item(p, i))
            continue;
        /* back up to the start of the paragraph, past headings */
        while (i > 0 && !p->l[i - 1].is_blank && !p->l[i - 1].is_heading && !p->l[i - 1].is_field &&
               !other_addr_line(p, i - 1, m->a, m->al))
            i--;
        return take_block(p, i, m) > 0;
    }
    return false;
}

/* A list heading near li that is also a sentence saying why ("Each of
 * the following recipients was rejected by a remote mail server."), when
 * nothing else does; one ending in ':' only introduces the list. */
static void take_heading(prose *p, size_t li)
{
    size_t from = li > 4 ? li - 4 : 0;
    for (size_t i = from; i < p->nl && i <= li + 4; i++) {
        line *l = &p->l[i];
        size_t e = l->n;
        while (e && (l->s[e - 1] == ' ' || l->s[e - 1] == '\r'))
            e--;
        if (e && l->s[e - 1] != ':' && line_has_head(l) &&
            line_is_error(l)) {
            put_line(p, l->s, l->n);
            return;
        }
    }
}

/* "user@example.org on 3/9/2026 10:00 AM" (Exchange): the text after
 * the address only dates the attempt. */
static bool only_a_date(const char *s, size_t n)
{
    while (n && *s == ' ')
        s++, n--;
    return n > 4 && mm_startswith_ci(s, "on ") && !has_error_evidence(s, n);
}

/* Build the diagnostic for one mention into p->diag. */
static void diag_for(prose *p, const mention *m)
{
    line *l = &p->l[m->li];
    const char *after = m->a + m->al;
    size_t an = (size_t)(l->s + l->n - after), bn = (size_t)(m->a - l->s);
    line before = {.s = l->s, .n = bn};
    /* ">>> user@example.org <user@example.org>" names it twice */
    size_t again = mm_memcasemem(after, an, m->a, m->al) ? words_in(m->a, m->al) : 0;
    bool says_after = words_in(after, an) >= again + 3 && !only_a_date(after, an);
    /* "Unknown user: user@example.org": a label that names the error is
     * a reason, "Recipient:" or a list heading is not */
    bool says_before = words_in(l->s, bn) >= 3 &&
                       (!heading(&before) ||
                        (has_error_evidence(l->s, bn) && !line_has_head(&before)));
    mm_buf_reset(&p->diag);
    /* after-text alone only when nothing but list marks precede the
     * address; "Unable to deliver message to <a> (and other ...)" is one
     * sentence */
    /* "Recipients with errors: user@example.org. Reason: ..." ends the
     * heading's sentence at the address */
    bool ends_after = an && (*after == '.' || *after == ':' || *after == ';');
    if (says_after && (!has_word(l->s, bn) || (heading(&before) && ends_after))) {
        /* "user@example.org: 550 ..." and the lines under it */
        while (an && (*after == '>' || *after == ':' || *after == ' ' || *after == '.'))
            after++, an--;
        put_line(p, after, an);
        take_block(p, m->li + 1, m);
        return;
    }
    if (says_before || says_after) {
        /* "Unknown user: user@example.org", "User X (user@example.org) not
         * listed": the whole sentence */
        put_line(p, l->s, l->n);
        take_block(p, m->li + 1, m);
        return;
    }
    if (take_block(p, m->li + 1, m) || take_above(p, m->li, m))
        return;
    if (!take_section(p, m->li, m, 1) && !take_section(p, m->li, m, -1))
        take_heading(p, m->li);
    /* "Did not reach the following recipient: user@example.org" and no
     * reason anywhere: the notice's own sentence is all it says */
    if (!p->diag.len && line_has_head(l))
        put_line(p, l->s, l->n);
}

/* A list heading in the few lines above li: the addresses under it are
 * failed recipients even when no reason is given. */
static bool under_list_head(prose *p, size_t li)
{
    size_t seen = 0;
    for (size_t i = li + 1; i > 0 && seen < 4; i--) {
        line *l = &p->l[i - 1];
        if (l->is_blank)
            continue;
        seen++;
        if (line_has_head(l))
            return true;
    }
    return false;
}

/* A 4.x.x or 5.x.x status code in d[0..n), past any 2.x.x of replies to
 * earlier commands; X.0.0 is the catch-all (RFC 3463 section 3.1) and
 * tells nothing. */
static bool failure_status(const char *d, size_t n)
{
    char code[16];
    for (int guard = 0; guard < 16 && n > 0 && mm_find_status(d, n, code); guard++) {
        if (code[0] != '2' && strcmp(code + 1, ".0.0") != 0)
            return true;
        const char *at = mm_memcasemem(d, n, code, strlen(code));
        if (!at)
            break;
        n -= (size_t)(at + strlen(code) - d);
        d = at + strlen(code);
    }
    return false;
}

/* A 4xx or 5xx reply code in d[0..n), past any 2xx or 3xx. */
static bool failure_reply(const char *d, size_t n)
{
    for (int guard = 0; guard < 16 && n > 0; guard++) {
        int c = mm_find_reply(d, n);
        if (c >= 400)
            return true;
        char num[16];
        snprintf(num, sizeof num, "%d", c);
        const char *at = c ? mm_memcasemem(d, n, num, 3) : NULL;
        if (!at)
            break;
        n -= (size_t)(at + 3 - d);
        d = at + 3;
    }
    return false;
}

/* How telling a diagnostic is: a failure's status code beats its reply
 * code beats words. */
static int score(const char *d, size_t n)
{
    return (failure_status(d, n) ? 4 : 0) + (failure_reply(d, n) ? 2 : 0) +
           (mm_mta_has_any(d, n, error_words) ? 1 : 0);
}

static bool reported(const mm_report *r, size_t start, const mention *m)
{
    for (size_t i = start; i < r->n; i++) {
        const char *a = r->r[i].pub.recipient;
        if (strlen(a) == m->al && strncasecmp(a, m->a, m->al) == 0)
            return true;
    }
    return false;
}

/* A heading just above li that names the command the reply answered
 * ("Additional RCPT TO generated following response:"). */
static const char *command_above(const prose *p, size_t li)
{
    for (size_t i = li, seen = 0; i > 0 && seen < 2; i--) {
        const line *l = &p->l[i - 1];
        if (l->is_blank)
            break;
        seen++;
        const char *c = l->is_heading ? mm_mta_command(l->s, l->n) : "";
        if (c[0])
            return c;
    }
    return "";
}

/* Report the address of mention k from its most telling mention; with
 * need_list, only when a list heading introduces it. */
static mm_status_t add_address(prose *p, mm_report *r, size_t start, size_t k, bool need_list)
{
    const mention *m = &p->m[k];
    if (reported(r, start, m))
        return MM_OK;
    int best = -1;
    size_t bi = k, last = p->nm; /* last: the mention p->diag was made for */
    bool listed = false;
    /* the first few mentions are enough; a hostile notice may repeat
     * an address on every line */
    for (size_t i = k, tried = 0; i < p->nm && tried < MAX_MENTIONS; i++) {
        if (!same_addr(&p->m[i], m->a, m->al))
            continue;
        tried++;
        listed = listed || under_list_head(p, p->m[i].li);
        diag_for(p, &p->m[i]);
        last = i;
        int s = p->diag.len ? score(mm_buf_str(&p->diag), p->diag.len) : -1;
        if (s > best) {
            best = s;
            bi = i;
        }
    }
    if ((best <= 0 || need_list) && !listed)
        return MM_OK;
    /* diag_for() depends on the lines and the mention only: when the best
     * was the last one made (most addresses are mentioned once), p->diag
     * holds it already */
    if (bi != last)
        diag_for(p, &p->m[bi]);
    mm_rcpt *rc = mm_mta_add(r, m->a, m->al, "", 0);
    if (!rc)
        return mm_mta_add_failed(r);
    if (p->diag.len)
        mm_mta_fill(r, rc, mm_buf_str(&p->diag), p->diag.len);
    if (!rc->pub.smtp_command[0])
        rc->pub.smtp_command = command_above(p, p->m[bi].li);
    return MM_OK;
}

/* "-------SMTP command\nDATA": a section naming the failed command. */
static const char *command_section(const prose *p)
{
    for (size_t i = 0; i + 1 < p->nl; i++) {
        if (!p->l[i].is_heading || !mm_memcasemem(p->l[i].s, p->l[i].n, "smtp command", 12))
            continue;
        for (size_t k = i + 1; k < p->nl && k < i + 3; k++) {
            const char *c = mm_mta_command(p->l[k].s, p->l[k].n);
            size_t in = indent(&p->l[k]);
            if (c[0])
                return c;
            if (p->l[k].n - in >= 4 && mm_startswith_ci(p->l[k].s + in, "DATA"))
                return "DATA";
        }
    }
    return "";
}

/* A bounce that names no failed address: the original recipient, from
 * X-Failed-Recipients, the returned message's To, or a quoted "To:" line. */
static mm_status_t add_unnamed(const mm_msg *m, prose *p, mm_report *r, const char *t, size_t n)
{
    const char *who = mm_fields_get(&m->head, "X-Failed-Recipients");
    if (!who)
        who = mm_fields_get(&m->orig, "To");
    const char *full = mm_buf_str(&m->text);
    const char *q = who ? NULL : mm_memcasemem(full, m->text.len, "\nTo:", 4);
    size_t wl = who ? strlen(who) : 0, al;
    if (q) {
        const char *e = memchr(q + 1, '\n', m->text.len - (size_t)(q + 1 - full));
        who = q + 4;
        wl = e ? (size_t)(e - who) : m->text.len - (size_t)(who - full);
    }
    const char *a = who ? mm_find_addr(who, wl, &al) : NULL;
    if (!a || excluded(p, a, al))
        return MM_ENOTFOUND;
    mention none = {0, "", 0};
    /* the addresses named were not recipients; they bound nothing now */
    for (size_t i = 0; i < p->nl; i++)
        p->l[i].count = 0;
    p->nm = 0;
    mm_buf_reset(&p->diag);
    for (size_t i = 0; i < p->nl && !p->diag.len; i++) {
        line *l = &p->l[i];
        if (l->is_blank || l->is_heading || !line_is_error(l))
            continue;
        /* "your message could not be delivered" is not a reason */
        bool boilerplate =
            mm_mta_has_any(l->s, l->n, mm_mta_failure_statements) && !has_code(l->s, l->n);
        if (!boilerplate)
            take_block(p, i, &none);
    }
    if (!p->diag.len && !has_error_evidence(t, n))
        return MM_ENOTFOUND;
    mm_rcpt *rc = mm_mta_add(r, a, al, "", 0);
    if (!rc)
        return mm_mta_add_failed(r);
    if (p->diag.len)
        mm_mta_fill(r, rc, mm_buf_str(&p->diag), p->diag.len);
    return MM_OK;
}

static mm_status_t read_prose(const mm_msg *m, prose *p, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, start = r->n;
    split_lines(p, t, n);
    find_mentions(p);
    mm_status_t st = MM_OK;
    for (size_t k = 0; k < p->nm && st == MM_OK && !mm_mta_full(r); k++)
        st = add_address(p, r, start, k, false);
    if (st == MM_OK && r->n == start && p->nex) {
        /* A message sent to oneself bounces to the failed address: the
         * sender's address counts when a list heading names it failed. */
        p->nex = 0;
        p->nm = 0;
        find_mentions(p);
        for (size_t k = 0; k < p->nm && st == MM_OK && !mm_mta_full(r); k++)
            st = add_address(p, r, start, k, true);
    }
    if (st == MM_OK && r->n == start)
        st = add_unnamed(m, p, r, t, n);
    if (st != MM_OK)
        return st;
    mm_mta_inline_dsn(m, r, start);
    const char *cmd = command_section(p);
    bool delayed = mm_mta_says_delayed(t, n);
    for (size_t i = start; i < r->n; i++) {
        if (cmd[0] && !r->r[i].pub.smtp_command[0])
            r->r[i].pub.smtp_command = cmd;
        if (delayed)
            r->r[i].pub.action = "delayed";
    }
    return r->n > start ? MM_OK : MM_ENOTFOUND;
}

mm_status_t mm_mta_prose_read(const mm_msg *m, mm_report *r)
{
    /* Not calloc: 44 KiB cleared per call cost more than reading the prose;
     * entries are written before being read, only the counts start at 0. */
    prose *p = malloc(sizeof *p);
    if (!p)
        return MM_ENOMEM;
    p->nl = p->nm = p->nex = 0;
    mm_arena a;
    mm_arena_init(&a);
    mm_buf_init(&p->diag, DIAG_BYTES);
    exclusions(m, &a, p);
    mm_status_t st = read_prose(m, p, r);
    mm_buf_free(&p->diag);
    mm_arena_free(&a);
    free(p);
    if (st == MM_OK)
        r->kind = MM_KIND_BOUNCE;
    return st;
}
