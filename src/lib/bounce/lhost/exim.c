/*
 * exim.c - bounces written by Exim (deliver.c), and by the many hosts that
 * run it under their own name.
 *
 * Exim's notice starts "This message was created automatically by mail
 * delivery software." and lists each failed address indented by two
 * spaces, its error indented by four:
 *
 *   kijitora@example.jp
 *     SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>:
 *     host mx.example.jp [192.0.2.153]: 550 5.1.1 User Unknown
 *
 * Delay warnings and frozen-message notices use the same layout.  Newer
 * Exim adds an RFC 3464 part; it is read first and the prose completes it.
 * Errors Exim writes itself ("retry timeout exceeded", "Unrouteable
 * address") are fixed strings in its source; the table below maps them to
 * the reason they mean, as Sisimai's Exim module does.  Without address
 * lines the X-Failed-Recipients header names the recipients.
 */
#include "../decoders.h"
#include "mta_util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "../../util/buf.h"
#include "../../util/str.h"

/* Strings from Exim's sources (deliver.c, route.c, retry.c, transports/),
 * lower case. */
static const mm_words exim_phrases[] = {
    {"user not found", MM_REASON_USERUNKNOWN},
    /* cannot_route_message of the localuser router in Exim's default
     * configuration (src/configure.default) and Debian's template */
    {"unknown user", MM_REASON_USERUNKNOWN},
    {"all host address lookups failed permanently", MM_REASON_HOSTUNKNOWN},
    {"all relevant mx records point to non-existent hosts", MM_REASON_HOSTUNKNOWN},
    {"unrouteable address", MM_REASON_HOSTUNKNOWN},
    {"mailbox is full", MM_REASON_MAILBOXFULL},
    {"error: quota exceed", MM_REASON_MAILBOXFULL},
    {"an mx or srv record indicated no smtp service", MM_REASON_NOTACCEPT},
    {"no host found for existing smtp connection", MM_REASON_NOTACCEPT},
    {"angle-brackets nested too deep", MM_REASON_SYNTAXERROR},
    {"expected word or \"<\"", MM_REASON_SYNTAXERROR},
    {"domain missing in source-routed address", MM_REASON_SYNTAXERROR},
    {"malformed address:", MM_REASON_SYNTAXERROR},
    {"delivery to file forbidden", MM_REASON_SYSTEMERROR},
    {"delivery to pipe forbidden", MM_REASON_SYSTEMERROR},
    {"local delivery failed", MM_REASON_SYSTEMERROR},
    {"lmtp error after ", MM_REASON_SYSTEMERROR},
    {"too many \"received\" headers", MM_REASON_CONTENTERROR},
    /* retry.c, smtp.c, deliver.c: given up after retrying */
    {"retry timeout exceeded", MM_REASON_EXPIRED},
    {"no action is required on your part", MM_REASON_EXPIRED},
    {"retry time not reached for any host after a long failure period", MM_REASON_EXPIRED},
    {"all hosts have been failing for a long time and were last tried", MM_REASON_EXPIRED},
    {"delay reason: ", MM_REASON_EXPIRED},
    {"has been frozen", MM_REASON_EXPIRED},
    {"was frozen on arrival by ", MM_REASON_EXPIRED},
    {NULL, MM_REASON_UNDEFINED},
};

/* deliver.c's opening sentences; the list of addresses follows them. */
static const char *const starts[] = {
    "This message was created automatically by mail delivery software",
    "A message that you sent was rejected by the local scanning code",
    "A message that you sent contained one or more recipient addresses",
    "A message that you sent could not be delivered to all of its recipients",
    "has been frozen",
    "was frozen on arrival",
    "router encountered the following error(s)",
    NULL};

/* What exim_start() looks for in one pass: the two sentences of starts[]
 * that share no words with the others (their text again), and the words
 * that the others share (a text without them holds none of those). */
enum { S_CREATED, S_ROUTER, W_YOU_SENT, W_FROZEN, N_START_WORDS };
static const mm_needle start_words[N_START_WORDS] = {
    MM_NEEDLE("This message was created automatically by mail delivery software"),
    MM_NEEDLE("router encountered the following error(s)"), MM_NEEDLE("A message that you sent "),
    MM_NEEDLE(" frozen")};
_Static_assert((int)N_START_WORDS <= (int)MM_NEEDLES_MAX, "one pass");

/* The sentences of starts[] (by index) holding shared words, and the
 * words' offset in each (an occurrence holds them there). */
static const struct {
    size_t start;
    unsigned word;
    size_t off;
} worded[] = {
    {1, W_YOU_SENT, 0}, {2, W_YOU_SENT, 0}, {3, W_YOU_SENT, 0}, {4, W_FROZEN, 8}, {5, W_FROZEN, 3}};

/* Does a sentence of worded[] holding word w occur, w first at p? */
static bool worded_from(const char *t, size_t n, unsigned w, size_t p)
{
    for (size_t i = 0; i < sizeof worded / sizeof worded[0]; i++) {
        if (worded[i].word != w)
            continue;
        const char *st = starts[worded[i].start];
        size_t from = p > worded[i].off ? p - worded[i].off : 0;
        if (mm_memcasemem(t + from, n - from, st, strlen(st)))
            return true;
    }
    return false;
}

/* mm_mta_has_any(t, n, starts): one pass for the words of start_words[]
 * in order; a shared word met asks its sentences (from its first place
 * less its offset in them), and is dropped when none is there. */
static bool exim_start(const char *t, size_t n)
{
    unsigned active = (1u << N_START_WORDS) - 1;
    size_t from = 0, w;
    const char *p;
    while ((p = mm_mta_find_any(t, n, from, start_words, N_START_WORDS, active, &w)) != NULL) {
        if (w == S_CREATED || w == S_ROUTER)
            return true;
        from = (size_t)(p - t);
        if (worded_from(t, n, (unsigned)w, from))
            return true;
        active &= ~(1u << w);
    }
    return false;
}

/* X-Failed-Recipients addresses read at most */
enum { MAX_BLOCKS = 256 };

typedef struct block {
    const char *addr, *text;
    size_t alen, tlen;
    const char *out; /* "pipe to |cmd": the program's output, if quoted */
    size_t olen;
} block;

static bool is_exim(const mm_msg *m, const mm_report *r, const char *t, size_t n)
{
    if (!exim_start(t, n))
        return false;
    const char *mid = r->message_id;
    /* Exim's message id: 6-6-2 base-62 characters (e.g. 1P1YNN-0003AD-Ga) */
    bool exim_id = mid && strlen(mid) > 17 && mid[0] == '<' && mid[7] == '-' && mid[14] == '-';
    return exim_id || mm_fields_get(&m->head, "X-Failed-Recipients") || mm_looks_like_bounce(m, r);
}

/* "  user@example.org", "  user@example.org: reason", "  x@y <user@z>: ...":
 * two columns of indent and a bare address (the sender Exim quotes in
 * "A message sent by" is in angle brackets and is not a recipient). */
static bool address_line(const char *l, size_t len, const char **a, size_t *al)
{
    size_t i = 0;
    while (i < len && i < 3 && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == 0 || i == len || l[i] == ' ' || l[i] == '<' || (i == 3 && l[0] == ' '))
        return false;
    size_t e = i;
    while (e < len && l[e] != ' ' && l[e] != '\t')
        e++;
    size_t tok = e;
    if (tok > i && l[tok - 1] == ':')
        tok--;
    if (!memchr(l + i, '@', tok - i) || !isalpha((unsigned char)l[tok - 1]))
        return false;
    /* "  x@y <user@z>: ..." names the real address in brackets */
    const char *lt = e < len ? memchr(l + e, '<', len - e) : NULL;
    const char *gt = lt ? memchr(lt, '>', len - (size_t)(lt - l)) : NULL;
    if (lt && gt && memchr(lt, '@', (size_t)(gt - lt)) && gt + 1 < l + len && gt[1] == ':') {
        *a = lt + 1;
        *al = (size_t)(gt - lt - 1);
        return true;
    }
    *a = l + i;
    *al = tok - i;
    return true;
}

/* "  pipe to |/usr/bin/procmail" or "  save to /var/mail/x": an address
 * that an alias or .forward generated; the next line, "    generated by
 * user@example.org", names the recipient.  Sets the length of the
 * "pipe to ..." words. */
static bool pipe_line(const char *l, size_t len, size_t *wl)
{
    /* both heads are ten bytes and start with two spaces, which most
     * lines of a notice do not: those are turned away without a call */
    static const char *const heads[] = {"  pipe to ", "  save to ", NULL};
    if (len <= 10 + 1 || l[0] != ' ' || l[1] != ' ')
        return false;
    for (size_t i = 0; heads[i]; i++)
        if (mm_startswith_ci(l, heads[i])) {
            *wl = len - 2;
            return true;
        }
    return false;
}

static bool generated_by(const char *l, size_t len, const char **a, size_t *al)
{
    static const char gen[] = "generated by ";
    size_t i = 0;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i < 2 || len - i <= sizeof gen - 1 || !mm_startswith_ci(l + i, gen))
        return false;
    return (*a = mm_find_addr(l + i, len - i, al)) != NULL;
}

/* deliver.c quotes what a failed pipe printed under "------ pipe to |cmd
 * generated by user@example.org ------"; the output runs to the next such
 * heading or the end of the notice. */
static const char *pipe_output(const char *t, size_t n, const char *words, size_t wl, size_t *ol)
{
    char head[160];
    if (wl + 8 > sizeof head)
        return NULL;
    memcpy(head, "------ ", 7);
    memcpy(head + 7, words, wl);
    const char *h = mm_memcasemem(t, n, head, wl + 7);
    if (!h)
        return NULL;
    /* the heading ends at the line that closes with "------" */
    size_t pos = (size_t)(h - t), len;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL)
        if (len >= 6 && memcmp(l + len - 6, "------", 6) == 0)
            break;
    if (!l)
        return NULL;
    const char *o = t + pos, *e = mm_memcasemem(o, n - pos, "\n------ ", 8);
    *ol = e ? (size_t)(e - o) : n - pos;
    return o;
}

/* Split the notice into one block per address line. */
static size_t read_blocks(const char *t, size_t n, block *b, size_t max)
{
    const char *s = NULL;
    for (size_t i = 0; starts[i] && !s; i++)
        s = mm_memcasemem(t, n, starts[i], strlen(starts[i]));
    size_t pos = s ? (size_t)(s - t) : 0, len, nb = 0;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        const char *a;
        size_t al, wl;
        /* the program's output quoted below belongs to no block */
        if (mm_startswith_ci(l, "The following text was generated during the delivery attempt"))
            break;
        if (pipe_line(l, len, &wl) && nb < max) {
            size_t p2 = pos, l2;
            const char *g = mm_next_line(t, n, &p2, &l2);
            if (g && generated_by(g, l2, &a, &al)) {
                size_t ol = 0;
                const char *o = pipe_output(t, n, l + 2, wl, &ol);
                b[nb++] = (block){a, l, al, 0, o, ol};
                continue;
            }
        }
        if (address_line(l, len, &a, &al)) {
            /* past the report's capacity the rest is not read (and must
             * not become the last block's text) */
            if (nb == max)
                break;
            b[nb++] = (block){a, l, al, 0, NULL, 0};
            continue;
        }
        if (nb > 0)
            b[nb - 1].tlen = (size_t)(l + len - b[nb - 1].text);
    }
    for (size_t i = 0; i < nb; i++)
        if (b[i].tlen == 0)
            b[i].tlen =
                (size_t)(mm_next_line(t, n, &(size_t){(size_t)(b[i].text - t)}, &len) ? len : 0);
    return nb;
}

/* Exim's own verdicts: the command the reply answered first, then its
 * fixed error strings. */
static void set_hint(mm_rcpt *rc, const char *b, size_t n)
{
    const char *cmd = rc->pub.smtp_command;
    if (strcmp(cmd, "HELO") == 0 || strcmp(cmd, "EHLO") == 0)
        rc->hint = MM_REASON_BLOCKED;
    else if (strcmp(cmd, "MAIL") != 0)
        rc->hint = mm_words_find(exim_phrases, b, n);
}

static mm_status_t from_header(const mm_msg *m, mm_report *r, const char *t, size_t n)
{
    const char *xf = mm_fields_get(&m->head, "X-Failed-Recipients");
    const char *p = xf;
    size_t al;
    const char *a;
    for (int guard = 0; p && guard < MAX_BLOCKS && (a = mm_find_addr(p, strlen(p), &al)); guard++) {
        mm_rcpt *rc = mm_mta_add(r, a, al, "", 0);
        if (!rc)
            return mm_mta_add_failed(r);
        mm_mta_fill(r, rc, t, n);
        set_hint(rc, t, n);
        p = a + al;
    }
    return MM_OK;
}

/* A failed pipe: "pipe to |cmd", Exim's verdict and what the program
 * printed, in one line, as a mailer's diagnostic reads. */
static void fill_pipe(mm_report *r, mm_rcpt *rc, const block *b)
{
    mm_buf d = MM_BUF_INIT;
    mm_buf_append(&d, b->text, b->tlen);
    if (b->out && b->olen) {
        mm_buf_append(&d, "\n", 1);
        mm_buf_append(&d, b->out, b->olen);
    }
    if (d.len) {
        rc->pub.diagnostic = mm_report_str(r, mm_buf_str(&d), d.len);
        mm_squeeze_space((char *)rc->pub.diagnostic);
    }
    mm_buf_free(&d);
}

static mm_status_t from_blocks(mm_report *r, const block *b, size_t nb, size_t start, bool dsn)
{
    for (size_t i = 0; i < nb; i++) {
        mm_rcpt *rc = mm_mta_find_rcpt(r, start, b[i].addr, b[i].alen);
        if (!rc && dsn)
            continue;
        if (!rc && !(rc = mm_mta_add(r, b[i].addr, b[i].alen, "", 0)))
            return mm_mta_add_failed(r);
        /* Exim's report part has no Diagnostic-Code for errors of its own
         * ("Unknown user", "mailbox is full"): the text under the address
         * says it, not a guess from the report's opening paragraph. */
        if (dsn && !rc->diag_type[0])
            rc->pub.diagnostic = "";
        if (b[i].out || mm_startswith_ci(b[i].text, "  pipe to ") ||
            mm_startswith_ci(b[i].text, "  save to ")) {
            /* the program's words decide (a quota, an unknown user); Exim's
             * "local delivery failed" is no hint */
            fill_pipe(r, rc, &b[i]);
            continue;
        }
        /* the error follows the address line */
        const char *e = memchr(b[i].text, '\n', b[i].tlen);
        const char *d = e ? e + 1 : b[i].text;
        size_t dn = b[i].tlen - (size_t)(d - b[i].text);
        mm_mta_fill(r, rc, d, dn);
        set_hint(rc, b[i].text, b[i].tlen);
    }
    return MM_OK;
}

mm_status_t mm_decode_exim(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    if (!is_exim(m, r, t, n))
        return MM_ENOTFOUND;
    /* one block per recipient the report can hold, one more to tell
     * that the notice names more */
    size_t start = r->n, cap = r->max > start ? r->max - start + 1 : 1;
    block *b = malloc(cap * sizeof *b); /* read_blocks writes b[0 .. nb) whole */
    if (!b)
        return MM_ENOMEM;
    size_t nb = read_blocks(t, n, b, cap);
    mm_status_t st = MM_ENOTFOUND;
    if (m->has_dsn)
        st = mm_decode_rfc3464(m, r);
    if (st == MM_OK || st == MM_ENOTFOUND)
        st = from_blocks(r, b, nb, start, st == MM_OK);
    if (st == MM_OK && r->n == start)
        st = from_header(m, r, t, n);
    free(b);
    return st != MM_OK ? st : mm_mta_found(r, start);
}
