/*
 * postfix.c - Postfix delivery agent lines (smtp, lmtp, local, virtual,
 * pipe, error, discard, retry, and qmgr's own deferrals):
 *
 *   QUEUEID: to=<rcpt>, [orig_to=<rcpt>, ]relay=R, [conn_use=N, ]delay=D,
 *            [delays=a/b/c/d, ]dsn=X.Y.Z, status=WORD (text)
 *
 * (Postfix src/global/log_adhoc.c writes these.)  The text in parentheses is
 * the remote reply or Postfix's own explanation; it may hold commas and
 * parentheses of its own, so it runs to the last ')' of the line.  Every
 * other line (bounce "sender non-delivery notification", qmgr "from=" and
 * "removed", smtpd, cleanup, warnings) is not a delivery.
 */
#include "mtalog_int.h"

#include <string.h>

typedef struct pf_fields {
    const char *addr, *orig, *relay, *dsn, *status, *reply;
    size_t addr_n, orig_n, relay_n, dsn_n, status_n, reply_n;
} pf_fields;

static bool starts(const char *s, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - s) >= n && memcmp(s, lit, n) == 0;
}

/* "<addr>" at *s up to a '>' that ends the field (followed by ',' or the
 * end): a quoted local part may hold '>' itself. */
static bool angle(const char **s, const char *e, const char **a, size_t *n)
{
    const char *q = *s;
    if (q >= e || *q != '<')
        return false;
    q++;
    for (const char *r = q; r < e; r++) {
        r = memchr(r, '>', (size_t)(e - r));
        if (!r)
            return false;
        if (r + 1 == e || r[1] == ',') {
            *a = q;
            *n = (size_t)(r - q);
            *s = r + 1;
            return true;
        }
    }
    return false;
}

/* status=WORD then " (text)" to the last ')' of the line, or ", text". */
static void status_field(const char *s, const char *e, pf_fields *f)
{
    const char *w = s;
    while (s < e && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        s++;
    f->status = w;
    f->status_n = (size_t)(s - w);
    while (s < e && (*s == ' ' || *s == ','))
        s++;
    if (s < e && *s == '(') {
        s++;
        const char *close = e;
        while (close > s && close[-1] == ' ')
            close--;
        if (close > s && close[-1] == ')')
            close--;
        f->reply = s;
        f->reply_n = (size_t)(close - s);
    } else {
        f->reply = s;
        f->reply_n = (size_t)(e - s);
    }
}

/* The fields after to=<...>; false when the line is broken. */
static bool fields(const char *s, const char *e, pf_fields *f)
{
    while (s < e) {
        if (!starts(s, e, ", "))
            return false;
        s += 2;
        const char *k = s;
        while (s < e && *s != '=' && *s != ',')
            s++;
        if (s >= e || *s != '=')
            return false;
        size_t kn = (size_t)(s - k);
        s++;
        if (kn == 6 && memcmp(k, "status", 6) == 0) {
            status_field(s, e, f);
            return true;
        }
        if (kn == 7 && memcmp(k, "orig_to", 7) == 0) {
            if (!angle(&s, e, &f->orig, &f->orig_n))
                return false;
            continue;
        }
        const char *v = s;
        while (s < e && !starts(s, e, ", "))
            s++;
        if (kn == 5 && memcmp(k, "relay", 5) == 0) {
            f->relay = v;
            f->relay_n = (size_t)(s - v);
        } else if (kn == 3 && memcmp(k, "dsn", 3) == 0) {
            f->dsn = v;
            f->dsn_n = (size_t)(s - v);
        }
    }
    return false;
}

static bool word_is(const char *s, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* "sent", "deferred", "bounced"; NULL for an unknown word, "" for the
 * address verification probes (not deliveries). */
static const char *outcome(const pf_fields *f)
{
    if (word_is(f->status, f->status_n, "sent"))
        return "sent";
    if (word_is(f->status, f->status_n, "deferred"))
        return "deferred";
    if (word_is(f->status, f->status_n, "bounced") || word_is(f->status, f->status_n, "expired"))
        return "bounced";
    if (word_is(f->status, f->status_n, "deliverable") ||
        word_is(f->status, f->status_n, "undeliverable"))
        return "";
    return NULL;
}

static bool agent_is_bounce(const mtalog_syslog *sl)
{
    const char *slash = NULL;
    for (const char *t = sl->tag; t < sl->tag + sl->tag_len; t++)
        if (*t == '/')
            slash = t;
    const char *a = slash ? slash + 1 : sl->tag;
    return word_is(a, (size_t)(sl->tag + sl->tag_len - a), "bounce");
}

mm_status_t mtalog_postfix(mm_mtalog_parser *p, const mtalog_syslog *sl, const mtalog_line *l,
                           mm_mtalog_record *out)
{
    const char *s = l->p, *e = l->end, *qid = s;
    while (s < e && mtalog_alnum(*s) && s - qid <= 32)
        s++;
    size_t qn = (size_t)(s - qid);
    if (!qn || qn > 32 || !starts(s, e, ": to=<") || agent_is_bounce(sl))
        return MM_ENOTFOUND;
    s += 5;
    mm_status_t st = mtalog_begin(p, l, sl->time);
    if (st != MM_OK)
        return st;
    pf_fields f = {0};
    if (!angle(&s, e, &f.addr, &f.addr_n) || !f.addr_n || !fields(s, e, &f))
        return MM_EPARSE;
    const char *oc = outcome(&f);
    if (!oc)
        return MM_EPARSE;
    if (!*oc)
        return MM_ENOTFOUND;
    out->time = sl->time;
    out->address = mtalog_emit(p, f.addr, f.addr_n);
    out->orig_address = mtalog_emit(p, f.orig, f.orig_n);
    out->outcome = oc;
    out->status = mtalog_emit(p, f.dsn, f.dsn_n);
    out->reply = mtalog_emit(p, f.reply, f.reply_n);
    out->relay = mtalog_emit(p, f.relay, f.relay_n);
    out->queue_id = mtalog_emit(p, qid, qn);
    out->mta = "postfix";
    return MM_OK;
}
