/*
 * exim.c - Exim main log delivery lines (Exim spec, "Log files"):
 *
 *   2026-11-30 01:02:03[.mmm] [+0800] [[pid]] ID FLAG addr [<orig>] [(parent)]
 *       R=router T=transport H=host [ip][:port] ... C="250 ..."     (=>, ->)
 *       R=router T=transport [defer (-44)] H=host [ip]: error text  (==, **)
 *
 * FLAG "=>" is a delivery, "->" another address of the same delivery, "=="
 * a deferral and "**" a failure; the error text follows the first top-level
 * ": " after the fields.  Quoted values (C=, DN=) are not escaped by Exim,
 * so a quote only closes a value when the next field, the error text or
 * the end of the line follows it.
 */
#include "mtalog_int.h"

#include <string.h>

typedef struct ex_fields {
    const char *addr, *orig, *relay, *transport, *confirm, *msg;
    size_t addr_n, orig_n, relay_n, transport_n, confirm_n, msg_n;
} ex_fields;

/* "1abcDE-000123-AB" (and 4.97's longer "1abcDE-00000001Q9-0Aab"). */
static bool message_id(const char *s, const char *e, const char **after)
{
    static const int min[3] = {6, 6, 2}, max[3] = {6, 11, 4};
    for (int part = 0; part < 3; part++) {
        int n = 0;
        while (s < e && mtalog_alnum(*s) && n <= max[part])
            s++, n++;
        if (n < min[part] || n > max[part])
            return false;
        if (part < 2 && (s >= e || *s++ != '-'))
            return false;
    }
    if (s >= e || *s != ' ')
        return false;
    *after = s + 1;
    return true;
}

/* A field key at s: 1-4 letters or digits then '=' ("R=", "CV=", "M8S="). */
static size_t key_len(const char *s, const char *e)
{
    size_t n = 0;
    while (s + n < e && n < 5 && mtalog_alnum(s[n]))
        n++;
    return n >= 1 && n <= 4 && s + n < e && s[n] == '=' && (s[0] < '0' || s[0] > '9') ? n : 0;
}

/* The end of a quoted value whose opening quote was just before s. */
static const char *quote_end(const char *s, const char *e)
{
    for (const char *q = s; q < e; q++) {
        q = memchr(q, '"', (size_t)(e - q));
        if (!q)
            break;
        if (q + 1 == e || q[1] == ':' || (q[1] == ' ' && key_len(q + 2, e)))
            return q;
    }
    return e;
}

/* One space-separated token starting at s, '"' and '[' ... ']' aware. */
static const char *token_end(const char *s, const char *e)
{
    bool quoted = false;
    int bracket = 0;
    for (; s < e; s++) {
        if (*s == '"')
            quoted = !quoted;
        else if (!quoted && *s == '[')
            bracket++;
        else if (!quoted && *s == ']' && bracket)
            bracket--;
        else if (*s == ' ' && !quoted && !bracket)
            break;
    }
    return s;
}

/* A token ending in ':' with a space or the end after it ends the fields. */
static bool ends_fields(const char *t, const char *te, const char *e)
{
    return te > t && te[-1] == ':' && (te == e || *te == ' ');
}

static void set(const char **f, size_t *n, const char *s, const char *e)
{
    *f = s;
    *n = (size_t)(e - s);
}

/* key=value at s (klen > 0); returns the end of the field. */
static const char *field(const char *s, const char *e, size_t klen, ex_fields *f, bool *stop)
{
    const char *v = s + klen + 1, *ve;
    if (v < e && *v == '"') {
        ve = quote_end(v + 1, e);
        if (klen == 1 && *s == 'C')
            set(&f->confirm, &f->confirm_n, v + 1, ve);
        ve = ve < e ? ve + 1 : e;
    } else {
        ve = token_end(v, e);
        /* H=host [ip]:port: the address is a second token. */
        if (klen == 1 && *s == 'H' && ve + 1 < e && ve[1] == '[' && v[0] != '[')
            ve = token_end(ve + 1, e);
        const char *vend = ve;
        if (ends_fields(v, ve, e)) {
            vend--;
            *stop = true;
        }
        if (klen == 1 && *s == 'H')
            set(&f->relay, &f->relay_n, v, vend);
        else if (klen == 1 && *s == 'T')
            set(&f->transport, &f->transport_n, v, vend);
    }
    if (ve < e && *ve == ':') {
        *stop = true;
        ve++;
    }
    return ve;
}

/* Everything after the flag; false when broken. */
static bool fields(const char *s, const char *e, ex_fields *f)
{
    const char *te = token_end(s, e);
    if (te == s)
        return false;
    bool stop = ends_fields(s, te, e);
    set(&f->addr, &f->addr_n, s, stop ? te - 1 : te);
    s = te;
    while (!stop && s < e) {
        while (s < e && *s == ' ')
            s++;
        if (s >= e)
            break;
        size_t k = key_len(s, e);
        if (k) {
            s = field(s, e, k, f, &stop);
            continue;
        }
        te = token_end(s, e);
        stop = ends_fields(s, te, e);
        if (*s == '<' && !f->orig) {
            const char *gt = memchr(s, '>', (size_t)(te - s));
            if (gt)
                set(&f->orig, &f->orig_n, s + 1, gt);
        }
        s = te;
    }
    if (stop) {
        while (s < e && *s == ' ')
            s++;
        set(&f->msg, &f->msg_n, s, e);
    }
    return f->addr_n > 0;
}

static const char *outcome(const char *flag)
{
    if ((flag[0] == '=' || flag[0] == '-') && flag[1] == '>')
        return "sent";
    if (flag[0] == '=' && flag[1] == '=')
        return "deferred";
    if (flag[0] == '*' && flag[1] == '*')
        return "bounced";
    return NULL;
}

/* Timestamp, zone and "[pid]" before the message id. */
static bool prefix(mm_mtalog_parser *p, mtalog_line *l, int64_t *time)
{
    if (!mtalog_iso_time(p, l, ' ', true, time) || l->p >= l->end || *l->p != ' ')
        return false;
    l->p++;
    if (l->p < l->end && *l->p == '[') {
        const char *q = l->p + 1;
        while (q < l->end && mtalog_digit(*q))
            q++;
        if (q >= l->end || *q != ']' || q + 1 >= l->end || q[1] != ' ')
            return false;
        l->p = q + 2;
    }
    return true;
}

mm_status_t mtalog_exim(mm_mtalog_parser *p, mtalog_line *l, bool have_time, int64_t time,
                        mm_mtalog_record *out)
{
    /* Through syslog the line keeps Exim's own stamp (syslog_timestamp),
     * which has the year: prefer it. */
    if (!have_time || (l->end - l->p > 20 && mtalog_digit(*l->p) && l->p[4] == '-'))
        if (!prefix(p, l, &time))
            return MM_ENOTFOUND;
    const char *s, *e = l->end, *id = l->p;
    if (!message_id(l->p, e, &s) || e - s < 2 || (e - s > 2 && s[2] != ' '))
        return MM_ENOTFOUND;
    const char *oc = outcome(s);
    if (!oc)
        return MM_ENOTFOUND;
    size_t idn = (size_t)(s - 1 - id);
    mm_status_t st = mtalog_begin(p, l, time);
    if (st != MM_OK)
        return st;
    s = e - s > 3 ? s + 3 : e;
    ex_fields f = {0};
    if (!fields(s, e, &f))
        return MM_EPARSE;
    const char *reply = *oc == 's' ? f.confirm : f.msg;
    size_t reply_n = *oc == 's' ? f.confirm_n : f.msg_n;
    out->time = time;
    out->address = mtalog_emit(p, f.addr, f.addr_n);
    out->orig_address = mtalog_emit(p, f.orig, f.orig_n);
    out->outcome = oc;
    out->status = mtalog_reply_dsn(p, reply, reply_n);
    out->reply = mtalog_emit(p, reply, reply_n);
    out->relay =
        f.relay ? mtalog_emit(p, f.relay, f.relay_n) : mtalog_emit(p, f.transport, f.transport_n);
    out->queue_id = mtalog_emit(p, id, idn);
    out->mta = "exim";
    return MM_OK;
}
