/*
 * gsuite.c - Google Workspace (G Suite) delivery status notifications:
 * multipart/report from mailer-daemon@googlemail.com, with X-Gm-Message-State
 * (Gmail's own notices, without it, are left to gmail.c and rfc3464.c).
 *
 * The delivery-status part is read by rfc3464.c; its Diagnostic-Code is
 * often missing or is Google's sentence without the remote reply.  The
 * readable part says more:
 *   ** Address not found **
 *   Your message wasn't delivered to user@example.org because the address
 *   couldn't be found. ...
 *   The response from the remote server was:
 *   550 #5.1.0 Address rejected.
 * So the heading is put before the diagnostic and the remote server's
 * response after it, and its code replaces a vague X.0.0 status.  Some
 * notices (a misconfigured "Send mail as" account) have no delivery-status
 * part at all; their recipients are in X-Failed-Recipients and the text
 * from the heading to the response is the diagnostic.  Google's
 * fixed sentences (not the remote server's words) say what happened, and
 * become hints.
 *
 * Google does not publish this notice's layout; it is read as the notices
 * themselves show it (the sisimai/set-of-emails samples).
 */
#include "../decoders.h"

#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

static const mm_words google_words[] = {
    {"because the address couldn't be found. Check for typos", MM_REASON_USERUNKNOWN},
    {"Null MX", MM_REASON_NOTACCEPT},
    {" had no relevant answers.", MM_REASON_NETWORKERROR},
    {" responded with code NXDOMAIN", MM_REASON_NETWORKERROR},
    {"did not accept our requests to connect", MM_REASON_EXPIRED},
    /* the sender's own "Send mail as" relay is misconfigured */
    {"'Send mail as' account are misconfigured", MM_REASON_REJECTED},
    {NULL, MM_REASON_UNDEFINED}};

/* "** Address not found **": the heading line, or NULL. */
static const char *heading(const char *t, size_t n, size_t *len)
{
    size_t pos = 0, l;
    const char *line;
    while ((line = mm_next_line(t, n, &pos, &l)) != NULL)
        if (l > 4 && strncmp(line, "** ", 3) == 0 && strncmp(line + l - 3, " **", 3) == 0) {
            *len = l;
            return line;
        }
    return NULL;
}

/* The lines after "The response (from the remote server) was:" (blank
 * lines skipped) up to the next blank line, or NULL. */
static const char *response(const char *t, size_t n, size_t *len)
{
    const char *after = mm_prov_after_line(t, n, "The response from the remote server was:");
    if (!after)
        after = mm_prov_after_line(t, n, "The response was:");
    if (!after)
        return NULL;
    while (after < t + n && (*after == '\n' || *after == ' '))
        after++;
    size_t pos = (size_t)(after - t), l, end = pos;
    const char *line;
    while ((line = mm_next_line(t, n, &pos, &l)) != NULL && !mm_mta_blank(line, l))
        end = pos;
    *len = end - (size_t)(after - t);
    return *len ? after : NULL;
}

/* The readable text from the heading to the end of the response (or to
 * the end of the notice's own text), squeezed; NULL without a heading. */
static const char *notice_text(mm_report *r, const char *t, size_t n)
{
    size_t hl, rl;
    const char *h = heading(t, n, &hl), *resp = response(t, n, &rl);
    if (!h)
        return NULL;
    const char *e = resp && resp > h ? resp + rl : t + n;
    size_t len = (size_t)(e - h);
    return mm_report_str(r, h, len > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : len);
}

/* heading + diagnostic + remote response, each once: the readable notice
 * when it already holds the diagnostic, else the diagnostic between the
 * heading and the response. */
static mm_status_t enrich(mm_report *r, mm_rcpt *rc, const char *t, size_t n)
{
    size_t hl = 0, rl = 0;
    const char *h = heading(t, n, &hl), *resp = response(t, n, &rl);
    const char *d = rc->pub.diagnostic, *whole = notice_text(r, t, n);
    if (whole && (!d[0] || mm_strcasestr(whole, d))) {
        rc->pub.diagnostic = whole;
        return MM_OK;
    }
    while (resp && rl > 0 && (resp[rl - 1] == '\n' || resp[rl - 1] == ' '))
        rl--;
    mm_buf b;
    mm_buf_init(&b, MM_MTA_DIAG_MAX * 2);
    mm_status_t st = MM_OK;
    if (h && !mm_memcasemem(d, strlen(d), h, hl)) {
        st = mm_buf_append(&b, h, hl);
        if (st == MM_OK)
            st = mm_buf_putc(&b, ' ');
    }
    if (st == MM_OK)
        st = mm_buf_puts(&b, d);
    if (st == MM_OK && resp && !mm_memcasemem(d, strlen(d), resp, rl)) {
        st = mm_buf_puts(&b, " The response was: ");
        if (st == MM_OK)
            st = mm_buf_append(&b, resp, rl);
    }
    if (st == MM_OK && b.len)
        rc->pub.diagnostic = mm_report_str(r, mm_buf_str(&b), b.len);
    mm_buf_free(&b);
    return st;
}

/* No delivery-status part: recipients from X-Failed-Recipients. */
static mm_status_t from_text(const mm_msg *m, mm_report *r, const char *t, size_t n)
{
    const char *xf = mm_fields_get(&m->head, "X-Failed-Recipients");
    size_t hl, pos = 0, alen, from = r->n;
    const char *a;
    if (!xf || !heading(t, n, &hl))
        return MM_ENOTFOUND;
    while ((a = mm_find_addr(xf + pos, strlen(xf + pos), &alen)) != NULL && r->n < r->max) {
        if (!mm_mta_add(r, a, alen, "", 0))
            return mm_mta_add_failed(r);
        pos = (size_t)(a - xf) + alen;
    }
    r->kind = MM_KIND_BOUNCE;
    return r->n > from ? MM_OK : MM_ENOTFOUND;
}

mm_status_t mm_decode_gsuite(const mm_msg *m, mm_report *r)
{
    if (!mm_prov_lc_has_by(r->from_lc, r->from_len, "mailer-daemon@googlemail.com", '@') ||
        !mm_fields_get(&m->head, "X-Gm-Message-State"))
        return MM_ENOTFOUND;
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, from = r->n;
    if (n > MM_PROV_SCAN_MAX) /* searched once per recipient */
        n = MM_PROV_SCAN_MAX;
    /* A multipart/report may still lack the delivery-status part. */
    mm_status_t st = m->has_dsn ? mm_prov_dsn(m, r, &from) : MM_ENOTFOUND;
    if (st == MM_ENOTFOUND)
        st = from_text(m, r, t, n);
    if (st != MM_OK)
        return st;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        if ((st = enrich(r, rc, t, n)) != MM_OK)
            return st;
        mm_prov_refine_status(r, rc);
        if (!rc->pub.reply_code)
            rc->pub.reply_code = mm_find_reply(rc->pub.diagnostic, strlen(rc->pub.diagnostic));
        rc->hint = mm_words_find(google_words, rc->pub.diagnostic, strlen(rc->pub.diagnostic));
    }
    return MM_OK;
}
