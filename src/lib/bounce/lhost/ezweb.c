/*
 * ezweb.c - au by KDDI mobile mail (ezweb.ne.jp, au.com): "Mail System
 * Error - Returned Mail" from Postmaster@ezweb.ne.jp.  A Japanese paragraph,
 * then au's English sentence(s) and the failed addresses:
 *   The user(s) account is disabled.             (au's verdict, if any)
 *   <user@ezweb.ne.jp>
 * or a transcript of the refused dialogue:
 *   Each of the following recipients was rejected by a remote mail server.
 *       Recipient: <user@example.org>
 *       >>> RCPT TO:<user@example.org>
 *       <<< 550 <user@example.org>: User unknown
 * Newer notices add a delivery-status part (read by rfc3464.c); au's
 * sentence is then put in front of its diagnostic.  The sentences are au's
 * own and become hints, except that "X-SPASIGN: NG" in the notice's header
 * says au's own spam filter refused the message, whatever the sentence.
 * Recognised by two of: the sender, the subject,
 * EZweb relays in Received, an ezweb/au Message-ID.
 *
 * KDDI does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_words au_words[] = {
    {"The user(s) account is temporarily over quota", MM_REASON_MAILBOXFULL},
    {"The user(s) account is disabled.", MM_REASON_SUSPEND},
    {"The user(s) account is temporarily limited.", MM_REASON_SUSPEND},
    {"Your message was not delivered within ", MM_REASON_EXPIRED},
    {"Each of the following recipients was rejected by a remote mail server", MM_REASON_ONHOLD},
    {NULL, MM_REASON_UNDEFINED}};

static const char *const sentences[] = {"The user(s) ", "Your message ", "Each of the following",
                                        "Remote host is not responding", NULL};

static bool is_ezweb(const mm_msg *m, const mm_report *r)
{
    /* each search led by its rarest byte: '@', '-', '>' */
    int score = 0;
    if (mm_prov_lc_has_by(r->from_lc, r->from_len, "postmaster@ezweb.ne.jp", '@') ||
        mm_prov_lc_has_by(r->from_lc, r->from_len, "postmaster@au.com", '@'))
        score++;
    if (mm_prov_lc_has_by(r->subject_lc, r->subject_len, "mail system error - returned mail", '-'))
        score++;
    if (mm_prov_lc_has_by(r->message_id_lc, r->message_id_len, ".ezweb.ne.jp>", '>') ||
        mm_prov_lc_has_by(r->message_id_lc, r->message_id_len, ".au.com>", '>'))
        score++;
    /* The Received fields (a walk over every one, twice) are asked last,
     * and only when their point decides. */
    if (score != 1)
        return score >= 2;
    return mm_mta_any_header_has(m, "Received", "ezweb.ne.jp (EZweb Mail) with") ||
           mm_mta_any_header_has(m, "Received", ".au.com (");
}

/* au's English sentences in t (squeezed, joined), or "". */
static const char *au_sentences(mm_report *r, const char *t, size_t n)
{
    size_t pos = 0, len;
    const char *l, *first = NULL, *last = NULL;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        bool hit = false;
        for (size_t i = 0; sentences[i] && !hit; i++)
            hit = mm_startswith_ci(l, sentences[i]);
        /* "Each of the following recipients was rejected by a remote\nmail
         * server.": a line after an unfinished sentence continues it. */
        bool cont =
            last && last == l - 1 && last[-1] != '.' && !mm_mta_blank(l, len) && l[0] != '<';
        if (hit || cont) {
            first = first ? first : l;
            last = l + len;
        } else if (first && !mm_mta_blank(l, len)) {
            break;
        }
    }
    return first ? mm_report_str(r, first, (size_t)(last - first)) : "";
}

/* One line of the list or transcript; opens or completes the last
 * recipient. */
static mm_status_t list_line(mm_report *r, size_t from, const char *l, size_t len, const char *said)
{
    size_t i = 0, alen;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    const char *s = l + i, *a;
    size_t sl = len - i;
    mm_rcpt *last = r->n > from ? &r->r[r->n - 1] : NULL;
    if (sl >= 4 && strncmp(s, ">>> ", 4) == 0 && last) {
        last->pub.smtp_command = mm_prov_verb(s + 4);
    } else if (sl >= 4 && strncmp(s, "<<< ", 4) == 0 && last) {
        last->pub.diagnostic = mm_report_str(r, s + 4, sl - 4);
    } else if ((mm_startswith_ci(s, "Recipient:") || s[0] == '<') &&
               (a = mm_find_addr(s, sl, &alen)) != NULL) {
        mm_rcpt *rc = mm_mta_add(r, a, alen, said, strlen(said));
        if (!rc)
            return mm_mta_add_failed(r);
    }
    return MM_OK;
}

static mm_status_t from_text(const mm_msg *m, mm_report *r, const char *said, size_t *from)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, pos = 0, len;
    const char *l;
    mm_status_t st = MM_OK;
    *from = r->n;
    /* a line of dashes separates the notice from the original's header */
    while (st == MM_OK && (l = mm_next_line(t, n, &pos, &len)) != NULL && r->n < r->max &&
           !(len >= 5 && strncmp(l, "-----", 5) == 0))
        st = list_line(r, *from, l, len, said);
    return st == MM_OK && r->n == *from ? MM_ENOTFOUND : st;
}

mm_status_t mm_decode_ezweb(const mm_msg *m, mm_report *r)
{
    if (!is_ezweb(m, r))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    const char *said = au_sentences(r, t, r->prose_len);
    const char *sign = mm_fields_get(&m->head, "X-SPASIGN");
    bool spam = sign && strcasecmp(sign, "NG") == 0;
    size_t from = r->n;
    mm_status_t st = m->has_dsn ? mm_prov_dsn(m, r, &from) : from_text(m, r, said, &from);
    if (st != MM_OK)
        return st;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        const char *d = rc->pub.diagnostic;
        if (said[0] && !mm_strcasestr(d, said)) {
            char *both = mm_arena_alloc(&r->arena, strlen(said) + strlen(d) + 2);
            if (!both)
                return MM_ENOMEM;
            strcpy(both, said);
            if (d[0])
                strcat(strcat(both, " "), d);
            rc->pub.diagnostic = both;
        }
        rc->hint = spam ? MM_REASON_FILTERED : mm_words_find(au_words, said, strlen(said));
        mm_prov_refine_status(r, rc);
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
