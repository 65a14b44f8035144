/*
 * extract.c - find status codes, reply codes and addresses in free text,
 * and split a Postfix, Sendmail or Exim log line into its fields (for the
 * one-line mode).  These are the only places that know the lexical shape
 * of those items, so every decoder reads them the same way.
 */
#include "bounce_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "../util/str.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* One code at t[i]: RFC 3463 section 2, class "." subject "." detail;
 * class 2, 4 or 5, subject 0-7 (the ones defined), detail 1-3 digits.
 * Returns its length, 0 if none starts there. */
static size_t status_at(const char *t, size_t n, size_t i)
{
    if (i + 4 >= n || !(t[i] == '2' || t[i] == '4' || t[i] == '5') || t[i + 1] != '.')
        return 0;
    /* "v5.1.2" is a version, "192.5.1.1" an address */
    if (i > 0 && (is_digit(t[i - 1]) || t[i - 1] == '.' || t[i - 1] == '/' ||
                  t[i - 1] == 'v' || t[i - 1] == 'V'))
        return 0;
    if (t[i + 2] < '0' || t[i + 2] > '7' || t[i + 3] != '.')
        return 0;
    size_t j = i + 4, d = 0;
    for (; j < n && is_digit(t[j]) && d < 3; j++, d++)
        ;
    if (d == 0 || (j < n && (is_digit(t[j]) || (t[j] == '.' && j + 1 < n && is_digit(t[j + 1])))))
        return 0;
    return j - i;
}

/* The first code (of class cls, or any class when cls is 0), but X.0.0 and
 * 4.4.7 say little: a later, more specific code wins over them (the
 * reference decoder reads codes the same way). */
static bool find_status(const char *t, size_t n, char cls, char out[16])
{
    size_t vague = 0, vlen = 0;
    for (size_t i = 0; i + 4 < n; i++) {
        /* a code's second byte is '.': go to the place before the next one */
        const char *dot = memchr(t + i + 1, '.', n - i - 1);
        if (!dot)
            break;
        i = (size_t)(dot - t) - 1;
        size_t len = status_at(t, n, i);
        if (!len || (cls && t[i] != cls))
            continue;
        bool is_vague = (len == 5 && t[i + 2] == '0' && t[i + 4] == '0') ||
                        (len == 5 && memcmp(t + i, "4.4.7", 5) == 0);
        if (!is_vague) {
            memcpy(out, t + i, len);
            out[len] = '\0';
            return true;
        }
        if (!vlen) {
            vague = i;
            vlen = len;
        }
        i += len - 1;
    }
    if (!vlen)
        return false;
    memcpy(out, t + vague, vlen);
    out[vlen] = '\0';
    return true;
}

bool mm_find_status(const char *t, size_t n, char out[16])
{
    return find_status(t, n, 0, out);
}

bool mm_find_status_class(const char *t, size_t n, char cls, char out[16])
{
    return find_status(t, n, cls, out);
}

bool mm_reply_known(int code)
{
    /* RFC 5321 section 4.2.3, with the codes RFC 1985, 2645, 3030, 4954,
     * 5248 and 7504 add; anything else (522, 542, 426) is a server's own
     * number or not a reply code at all. */
    switch (code) {
    case 211: case 214: case 220: case 221: case 235: case 250: case 251: case 252: case 253:
    case 421: case 422: case 430: case 432: case 450: case 451: case 452: case 453: case 454:
    case 455: case 456: case 458: case 459: case 500: case 501: case 502: case 503: case 504:
    case 520: case 521: case 523: case 524: case 525: case 530: case 533: case 534: case 535:
    case 538: case 550: case 551: case 552: case 553: case 554: case 555: case 556: case 557:
        return true;
    default:
        return false;
    }
}

int mm_find_reply(const char *t, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        /* to the next '2', '4' or '5': a code starts with one */
        const char *c = mm_memchr3(t + i, n - i, '2', '4', '5');
        if (!c || (i = (size_t)(c - t)) + 2 >= n)
            break;
        if (!(t[i] == '2' || t[i] == '4' || t[i] == '5') || !is_digit(t[i + 1]) ||
            !is_digit(t[i + 2]))
            continue;
        if (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.' || t[i - 1] == '-' ||
                      t[i - 1] == ':' || t[i - 1] == '/' || t[i - 1] == '#'))
            continue;
        if (i + 3 < n && !(t[i + 3] == ' ' || t[i + 3] == '-' || t[i + 3] == '\n' ||
                           t[i + 3] == '\t' || t[i + 3] == ']' || t[i + 3] == ')' ||
                           t[i + 3] == '"' || t[i + 3] == ','))
            continue;
        int code = (t[i] - '0') * 100 + (t[i + 1] - '0') * 10 + (t[i + 2] - '0');
        if (!mm_reply_known(code))
            continue;
        return code;
    }
    return 0;
}

/* The bytes of an address, one table look-up each (the searches below walk
 * every address of every notice): ADDR_LOCAL for a local part's (letters,
 * digits, "!#$%&'*+-/=?^_`{|}~." of RFC 5322 atext and dots, 8-bit bytes),
 * ADDR_DOMAIN for a domain's (letters, digits, "-._", 8-bit bytes, and the
 * "[]:" of an address literal). */
enum { ADDR_LOCAL = 1, ADDR_DOMAIN = 2 };
static const unsigned char addr_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 3, 3, 1, /* !"#$%&'()*+,-./ */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 0, 1, 0, 1, /* 0-9 :;<=>? */
    0, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* @A-O */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 0, 2, 1, 3, /* P-Z [\]^_ */
    1, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, /* `a-o */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 0, /* p-z {|}~ DEL */
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
    3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
};

static bool addr_char(char c)
{
    return addr_class[(unsigned char)c] & ADDR_LOCAL;
}

static bool domain_char(char c)
{
    return addr_class[(unsigned char)c] & ADDR_DOMAIN;
}

const char *mm_find_addr(const char *t, size_t n, size_t *alen)
{
    for (size_t i = 0; i < n; i++) {
        const char *at = memchr(t + i, '@', n - i);
        if (!at)
            break;
        i = (size_t)(at - t);
        size_t s = i, e = i + 1;
        while (s > 0 && addr_char(t[s - 1]))
            s--;
        while (e < n && domain_char(t[e]))
            e++;
        while (e > i + 1 && (t[e - 1] == '.' || t[e - 1] == ':' || t[e - 1] == '-'))
            e--;
        while (s < i && (t[s] == '.'))
            s++;
        if (s == i || e == i + 1)
            continue;
        if (!memchr(t + i + 1, '.', e - i - 1) && !memchr(t + i + 1, '[', e - i - 1) &&
            !mm_memcasemem(t + i + 1, e - i - 1, "localhost", 9))
            continue;
        *alen = e - s;
        return t + s;
    }
    return NULL;
}

/* A quoted local part at p ("a..b"@example.org, RFC 5321 section 4.1.2):
 * the length of it with its domain, 0 if p does not start one. */
static size_t quoted_addr(const char *p, size_t n)
{
    if (n < 4 || *p != '"')
        return 0;
    size_t i = 1;
    for (; i < n && p[i] != '"'; i++)
        if (p[i] == '\\')
            i++;
    if (i + 2 >= n || p[i + 1] != '@')
        return 0;
    size_t e = i + 2;
    while (e < n && domain_char(p[e]))
        e++;
    while (e > i + 2 && (p[e - 1] == '.' || p[e - 1] == ':' || p[e - 1] == '-'))
        e--;
    return e > i + 2 ? e : 0;
}

const char *mm_report_addr(mm_report *r, const char *p, size_t n)
{
    while (n && (*p == '<' || *p == ' ' || *p == '('))
        p++, n--;
    size_t q = quoted_addr(p, n);
    if (q) {
        char *s = mm_arena_strndup(&r->arena, p, q);
        if (!s)
            return "";
        mm_strlower(strrchr(s, '@'));
        return s;
    }
    while (n && (*p == '<' || *p == '"' || *p == ' ' || *p == '\'' || *p == '('))
        p++, n--;
    while (n && (p[n - 1] == '>' || p[n - 1] == '"' || p[n - 1] == ' ' || p[n - 1] == '\'' ||
                 p[n - 1] == '.' || p[n - 1] == ')' || p[n - 1] == ',' || p[n - 1] == ';' ||
                 p[n - 1] == ':'))
        n--;
    /* "rfc822;user@example.org" already split by callers; take the address inside. */
    size_t alen;
    const char *a = mm_find_addr(p, n, &alen);
    if (a) {
        p = a;
        n = alen;
    }
    char *s = mm_arena_strndup(&r->arena, p, n);
    if (!s)
        return "";
    char *at = strrchr(s, '@');
    if (at)
        mm_strlower(at);
    return s;
}

/* The value of "key" (e.g. "dsn=") standing as a word in t[0..n): up to the
 * next ',' or white space; NULL if absent. */
static const char *log_value(const char *t, size_t n, const char *key, size_t *vlen)
{
    size_t klen = strlen(key);
    for (const char *p = t; (p = mm_memcasemem(p, n - (size_t)(p - t), key, klen)) != NULL; p++) {
        if (p > t && p[-1] != ' ' && p[-1] != ',')
            continue;
        const char *v = p + klen, *e = v;
        while (e < t + n && *e != ',' && *e != ' ')
            e++;
        *vlen = (size_t)(e - v);
        return v;
    }
    return NULL;
}

/* Postfix: "... to=<a@b>, relay=host[ip]:25, ..., dsn=5.1.1, status=bounced
 * (host said: 550 ...)": the reply is inside the parentheses after status=.
 * Sendmail: "... to=<a@b>, ..., relay=host. [ip], dsn=5.1.1, stat=User
 * unknown": the reply is the rest of the line after stat=. */
static bool postfix_line(const char *t, size_t n, mm_logline *out)
{
    size_t len;
    bool sendmail = false;
    const char *st = log_value(t, n, "status=", &len);
    if (!st) {
        st = log_value(t, n, "stat=", &len);
        sendmail = true;
    }
    if (!st || !(out->rcpt = log_value(t, n, "to=", &out->rcpt_len)))
        return false;
    bool deferred = (len >= 8 && strncasecmp(st, "deferred", 8) == 0);
    bool sent = (len >= 4 && strncasecmp(st, "sent", 4) == 0);
    out->action = deferred ? "delayed" : sent ? "delivered" : "failed";
    out->status = log_value(t, n, "dsn=", &out->status_len);
    out->relay = log_value(t, n, "relay=", &out->relay_len);
    if (out->relay) {
        size_t h = 0;
        while (h < out->relay_len && out->relay[h] != '[' && out->relay[h] != ':')
            h++;
        while (h && out->relay[h - 1] == '.')
            h--;
        out->relay_len = h;
        if ((h == 4 && strncasecmp(out->relay, "none", 4) == 0) ||
            (h == 5 && strncasecmp(out->relay, "local", 5) == 0) || h == 0)
            out->relay = NULL, out->relay_len = 0;
    }
    if (sendmail) {
        out->diag = st;
        out->diag_len = n - (size_t)(st - t);
        return true;
    }
    const char *open = memchr(st, '(', n - (size_t)(st - t));
    const char *close = t + n;
    while (close > t && close[-1] != ')')
        close--;
    if (open && close > open + 1) {
        out->diag = open + 1;
        out->diag_len = (size_t)(close - 1 - out->diag);
    }
    return true;
}

/* Exim: "<id> ** a@b R=router T=transport H=host [ip]: SMTP error from
 * remote mail server after RCPT TO:<a@b>: 550 ..." ("**" failed, "=="
 * deferred).  The reason is after the host's "]: ", else after the
 * address's ": ". */
static bool exim_line(const char *t, size_t n, mm_logline *out)
{
    const char *m = mm_memcasemem(t, n, " ** ", 4);
    out->action = "failed";
    if (!m) {
        m = mm_memcasemem(t, n, " == ", 4);
        out->action = "delayed";
    }
    if (!m)
        return false;
    const char *a = m + 4, *e = a, *end = t + n;
    while (e < end && *e != ' ' && *e != ':')
        e++;
    if (!memchr(a, '@', (size_t)(e - a)))
        return false;
    out->rcpt = a;
    out->rcpt_len = (size_t)(e - a);
    const char *h = mm_memcasemem(e, (size_t)(end - e), " H=", 3);
    const char *rest = e;
    if (h) {
        out->relay = h + 3;
        const char *he = out->relay;
        while (he < end && *he != ' ' && *he != '[' && *he != ':')
            he++;
        out->relay_len = (size_t)(he - out->relay);
        const char *br = mm_memcasemem(he, (size_t)(end - he), "]: ", 3);
        rest = br ? br + 1 : he;
    }
    /* With TLS the host is followed by "X=TLS1.3:...:256 CV=yes: "; Exim's
     * own words then mark where the reply starts. */
    const char *smtp = mm_memcasemem(rest, (size_t)(end - rest), "SMTP error from", 15);
    const char *colon = smtp ? smtp - 1 : memchr(rest, ':', (size_t)(end - rest));
    if (colon) {
        out->diag = colon + 1;
        while (out->diag < end && *out->diag == ' ')
            out->diag++;
        out->diag_len = (size_t)(end - out->diag);
    }
    return true;
}

bool mm_parse_logline(const char *text, size_t n, mm_logline *out)
{
    memset(out, 0, sizeof *out);
    if (postfix_line(text, n, out))
        return true;
    memset(out, 0, sizeof *out);
    if (exim_line(text, n, out))
        return true;
    memset(out, 0, sizeof *out);
    return false;
}
