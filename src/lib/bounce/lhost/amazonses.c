/*
 * amazonses.c - Amazon SES event notifications in JSON, as delivered by
 * SNS to an e-mail subscription: the body is an SNS envelope whose
 * "Message" is the SES event as an escaped JSON string, or the bare event.
 * Documented in the SES Developer Guide, "Amazon SNS notification contents":
 *   notificationType  Bounce | Complaint | Delivery
 *   bounce.bouncedRecipients[]       emailAddress, action, status, diagnosticCode
 *   complaint.complainedRecipients[] emailAddress; complaintFeedbackType
 *   delivery.recipients[]            addresses; smtpResponse, reportingMTA
 * SES's mail-form bounces (multipart/report from MAILER-DAEMON@...amazonses.com)
 * are read by rfc3464.c; older ones wrap the receiver's reply in SES's own
 * words, "5.1.0 - Unknown address error 550-'5.7.1 <...>... Access denied'
 * (delivery attempts: 0)", and the quoted reply is what the receiver said.
 *
 * The JSON is scanned, not parsed into a tree: the keys above are looked
 * up inside the bounded text of their array.  Before that, the escaping of
 * the SNS envelope is undone and the "!\n " that mailers insert into over-
 * long lines (RFC 5322 line-length repair) is removed.
 */
#include "../decoders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"
#include "prov_util.h"

/* A copy of the JSON text with \" unescaped and "!\n " line repairs removed. */
static char *normalise(const char *t, size_t n)
{
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '!' && i + 2 < n && t[i + 1] == '\n' && t[i + 2] == ' ') {
            i += 2;
            continue;
        }
        if (t[i] == '\\' && i + 1 < n && (t[i + 1] == '"' || t[i + 1] == '/')) {
            o[w++] = t[++i];
            continue;
        }
        o[w++] = t[i];
    }
    o[w] = '\0';
    return o;
}

/* String value of "key" in s[0..n), into the report; "" when absent. */
static const char *json_str(mm_report *r, const char *s, size_t n, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = mm_memcasemem(s, n, pat, strlen(pat));
    if (!p)
        return "";
    const char *e = s + n;
    p += strlen(pat);
    while (p < e && (*p == ' ' || *p == ':' || *p == '\n'))
        p++;
    if (p >= e || *p != '"')
        return "";
    const char *v = ++p;
    while (p < e && *p != '"')
        p += (*p == '\\' && p + 1 < e) ? 2 : 1;
    return mm_report_str(r, v, (size_t)(p - v));
}

/* The [...] after "key", as (start, length) in s; NULL when absent. */
static const char *json_array(const char *s, size_t n, const char *key, size_t *len)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = mm_memcasemem(s, n, pat, strlen(pat));
    if (!p)
        return NULL;
    const char *open = memchr(p, '[', n - (size_t)(p - s));
    if (!open)
        return NULL;
    int depth = 0;
    for (const char *q = open; q < s + n; q++) {
        if (*q == '[')
            depth++;
        else if (*q == ']' && --depth == 0) {
            *len = (size_t)(q - open) + 1;
            return open;
        }
    }
    return NULL;
}

/* Each {...} of an array of objects, or each "string" of an array of strings. */
static const char *next_item(const char *a, size_t n, size_t *pos, size_t *len)
{
    while (*pos < n && a[*pos] != '{' && a[*pos] != '"')
        (*pos)++;
    if (*pos >= n)
        return NULL;
    const char *s = a + *pos;
    char close = *s == '{' ? '}' : '"';
    const char *e = memchr(s + 1, close, n - *pos - 1);
    if (!e)
        return NULL;
    *len = (size_t)(e - s) + 1;
    *pos += *len;
    return s;
}

static mm_status_t bounced(mm_report *r, const char *j, size_t n)
{
    size_t alen, pos = 0, len;
    const char *arr = json_array(j, n, "bouncedRecipients", &alen);
    const char *it, *rmta = json_str(r, j, n, "reportingMTA");
    while (arr && (it = next_item(arr, alen, &pos, &len)) != NULL) {
        const char *addr = json_str(r, it, len, "emailAddress");
        const char *diag = json_str(r, it, len, "diagnosticCode");
        if (!addr[0])
            continue;
        if (mm_startswith_ci(diag, "smtp;"))
            diag += 5 + (diag[5] == ' ');
        mm_rcpt *rc = mm_mta_add(r, addr, strlen(addr), diag, strlen(diag));
        if (!rc && !mm_mta_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        const char *act = json_str(r, it, len, "action");
        char code[16];
        const char *st = json_str(r, it, len, "status");
        if (act[0])
            rc->pub.action = act;
        if (mm_find_status(st, strlen(st), code))
            rc->pub.status = mm_report_strz(r, code);
        if (mm_startswith_ci(rmta, "dsn;"))
            rmta += 4 + (rmta[4] == ' ');
        rc->pub.reporting_mta = rmta;
        mm_prov_refine_status(r, rc);
        rc->pub.smtp_command = mm_mta_command(diag, strlen(diag));
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}

static mm_status_t complained(mm_report *r, const char *j, size_t n)
{
    size_t alen, pos = 0, len;
    const char *arr = json_array(j, n, "complainedRecipients", &alen);
    const char *it, *type = json_str(r, j, n, "complaintFeedbackType");
    while (arr && (it = next_item(arr, alen, &pos, &len)) != NULL) {
        const char *addr = json_str(r, it, len, "emailAddress");
        if (!addr[0])
            continue;
        mm_rcpt *rc = mm_mta_add(r, addr, strlen(addr), type, strlen(type));
        if (!rc && !mm_mta_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        rc->pub.action = "";
        rc->hint = MM_REASON_FEEDBACK;
    }
    r->kind = MM_KIND_FEEDBACK;
    return MM_OK;
}

static mm_status_t delivered(mm_report *r, const char *j, size_t n)
{
    const char *d = mm_memcasemem(j, n, "\"delivery\"", 10);
    if (!d)
        return MM_OK;
    size_t dn = n - (size_t)(d - j), alen, pos = 0, len;
    const char *arr = json_array(d, dn, "recipients", &alen);
    const char *it, *resp = json_str(r, d, dn, "smtpResponse");
    const char *rmta = json_str(r, d, dn, "reportingMTA");
    while (arr && (it = next_item(arr, alen, &pos, &len)) != NULL) {
        mm_rcpt *rc = mm_mta_add(r, it + 1, len - 2, resp, strlen(resp));
        if (!rc && !mm_mta_full(r))
            return MM_ENOMEM;
        if (!rc)
            break;
        rc->pub.action = "delivered";
        rc->pub.reporting_mta = rmta;
        mm_prov_refine_status(r, rc);
    }
    r->kind = MM_KIND_SUCCESS;
    return MM_OK;
}

/* "5.1.0 - Unknown address error 550-'5.7.1 ... denied' (delivery
 * attempts: 0)" -> "550 5.7.1 ... denied"; d itself when not so wrapped. */
static const char *unwrap_reply(mm_report *r, const char *d)
{
    const char *q = strstr(d, " - ");
    const char *end = strstr(d, "' (delivery attempts");
    if (!q || !end)
        return d;
    for (const char *p = q + 3; p + 5 < end; p++) {
        int code = mm_prov_lead_reply(p);
        if (code && (p[3] == '-' || p[3] == ' ') && p[4] == '\'' && (p == d || p[-1] == ' ')) {
            char *o = mm_arena_alloc(&r->arena, (size_t)(end - p) + 1);
            if (!o)
                return d;
            memcpy(o, p, 3);
            o[3] = ' ';
            memcpy(o + 4, p + 5, (size_t)(end - p - 5));
            o[end - p - 1] = '\0';
            return o;
        }
    }
    return d;
}

/* A mail-form bounce from SES in the wrapped form: the RFC 3464 reader,
 * then the unwrapping.  Unwrapped reports (and other providers' notices
 * relayed through SES) are left to the decoders after this one. */
static mm_status_t mail_form(const mm_msg *m, mm_report *r)
{
    if (!mm_mta_header_has(m, "From", "amazonses.com"))
        return MM_ENOTFOUND;
    size_t from, wrapped = 0;
    mm_status_t st = mm_prov_dsn(m, r, &from);
    for (size_t i = from; st == MM_OK && i < r->n; i++) {
        mm_recipient *p = &r->r[i].pub;
        const char *d = unwrap_reply(r, p->diagnostic);
        if (d == p->diagnostic)
            continue;
        wrapped++;
        p->diagnostic = d;
        p->reply_code = mm_prov_lead_reply(d);
        /* SES's "5.1.0" is its own guess; the receiver's code says more. */
        char code[16];
        if (mm_prov_status(d, strlen(d), code) && code[0] == d[0] && strcmp(code + 1, ".0.0") != 0)
            p->status = mm_report_strz(r, code);
    }
    if (st == MM_OK && wrapped == 0) {
        mm_report_truncate(r, from);
        return MM_ENOTFOUND;
    }
    return st;
}

mm_status_t mm_decode_amazonses(const mm_msg *m, mm_report *r)
{
    const char *t = mm_buf_str(&m->text);
    const char *p = mm_memcasemem(t, m->text.len, "notificationType", 16);
    if (m->has_dsn)
        return mail_form(m, r);
    if (!p)
        return MM_ENOTFOUND;
    /* The JSON starts at the first brace before the key. */
    const char *s = p;
    while (s > t && *s != '{')
        s--;
    char *j = normalise(s, m->text.len - (size_t)(s - t));
    if (!j)
        return MM_ENOMEM;
    size_t n = strlen(j), from = r->n;
    const char *type = json_str(r, j, n, "notificationType");
    mm_status_t st = MM_ENOTFOUND;
    if (strcasecmp(type, "Bounce") == 0)
        st = bounced(r, j, n);
    else if (strcasecmp(type, "Complaint") == 0)
        st = complained(r, j, n);
    else if (strcasecmp(type, "Delivery") == 0)
        st = delivered(r, j, n);
    free(j);
    if (st == MM_OK && r->n == from)
        st = MM_ENOTFOUND;
    return st;
}
