/*
 * prov_util.c - see prov_util.h.  The status choice follows what bounce
 * writers actually do: a DSN's Status is often a bare X.0.0 while the
 * receiver's reply quoted in Diagnostic-Code carries the real RFC 3463
 * code, and ESPs prefix replies with codes of their own ("5.1.0 - Unknown
 * address error 550-'5.7.1 ..."), where the code after the reply code is
 * the receiver's.
 */
#include "prov_util.h"
#include "../decoders.h"
#include "mta_util.h"

#include <ctype.h>
#include <string.h>
#include "../../util/str.h"

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A code at t[i] that is really part of an IPv4 address ("192.5.1.1"). */
static bool inside_ip(const char *t, size_t n, size_t i, size_t len)
{
    if (i > 0 && t[i - 1] == '.')
        return true;
    return i + len + 1 < n && t[i + len] == '.' && digit(t[i + len + 1]);
}

/* The code starting exactly at t[i], copied to out; its length or 0. */
static size_t code_at(const char *t, size_t n, size_t i, char out[16])
{
    char c[16];
    size_t lim = n - i < 12 ? n - i : 12;
    if (i > 0 && (digit(t[i - 1]) || isalpha((unsigned char)t[i - 1])))
        return 0;
    if (!mm_find_status(t + i, lim, c) || strncmp(t + i, c, strlen(c)) != 0)
        return 0;
    size_t len = strlen(c);
    if (inside_ip(t, n, i, len))
        return 0;
    memcpy(out, c, len + 1);
    return len;
}

/* A reply code at t[i] ("550 ", "550-", then quotes, '#' or spaces) with
 * a code of its class right after it, copied to out. */
static bool after_reply(const char *t, size_t n, size_t i, char out[16])
{
    if (!digit(t[i + 1]) || !digit(t[i + 2]))
        return false;
    if (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.'))
        return false;
    size_t j = i + 3;
    if (t[j] != ' ' && t[j] != '-')
        return false;
    j++;
    while (j < n && j < i + 6 && (t[j] == '\'' || t[j] == '#' || t[j] == ' ' || t[j] == '"'))
        j++;
    return j < n && t[j] == t[i] && code_at(t, n, j, out);
}

bool mm_prov_status(const char *t, size_t n, char out[16])
{
    /* "(#5.1.1)" as qmail and others write it */
    for (const char *p = t; (p = memchr(p, '(', n - (size_t)(p - t))) != NULL; p++)
        if ((size_t)(p - t) + 3 < n && p[1] == '#' && code_at(t, n, (size_t)(p - t) + 2, out))
            return true;
    /* A code right after a reply code, else the first code standing alone.
     * Both start at a '2', '4' or '5': one walk from one to the next asks
     * both, keeping the first code alone until the walk has found no code
     * after a reply code. */
    char alone[16];
    bool have_alone = false;
    for (size_t i = 0; i + 4 < n; i++) {
        const char *c = mm_memchr3(t + i, n - i, '2', '4', '5');
        if (!c || (i = (size_t)(c - t)) + 4 >= n)
            break;
        if (i + 6 < n && after_reply(t, n, i, out))
            return true;
        if (!have_alone)
            have_alone = code_at(t, n, i, alone) > 0;
    }
    if (have_alone)
        memcpy(out, alone, strlen(alone) + 1);
    return have_alone;
}

void mm_prov_refine_status(mm_report *r, mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    const char *s = p->status;
    bool vague = !s[0] || (strlen(s) == 5 && strcmp(s + 1, ".0.0") == 0);
    char code[16];
    if (!vague || !mm_prov_status(p->diagnostic, strlen(p->diagnostic), code))
        return;
    /* A 2.x.x or a different class in the text is not this recipient's failure. */
    if (s[0] && code[0] != s[0])
        return;
    if (strcmp(code + 1, ".0.0") == 0 && s[0])
        return;
    p->status = mm_report_strz(r, code);
}

const char *mm_prov_after_line(const char *t, size_t n, const char *marker)
{
    const char *p = mm_memcasemem(t, n, marker, strlen(marker));
    if (!p)
        return NULL;
    const char *nl = memchr(p, '\n', n - (size_t)(p - t));
    return nl ? nl + 1 : t + n;
}

/* A byte that may stand around an address on an address line: white
 * space, brackets, a colon, quotes (and NUL, as strchr() found it). */
static bool addr_filler(char c)
{
    return c == ' ' || c == '\t' || c == '<' || c == '>' || c == ':' || c == '"' || c == '\'' ||
           c == '\0';
}

/* How many bytes of s..e are not addr_filler(), counted up to stop. */
static size_t count_other(const char *s, const char *e, size_t other, size_t stop)
{
    for (; s < e && other < stop; s++)
        other += !addr_filler(*s);
    return other;
}

bool mm_prov_addr_line(const char *l, size_t len, const char **a, size_t *alen)
{
    const char *p = mm_find_addr(l, len, alen);
    if (!p)
        return false;
    /* 12 other bytes or more answer "no" whatever follows: stop there */
    size_t other = count_other(l, p, 0, 12);
    other = count_other(p + *alen, l + len, other, 12);
    *a = p;
    return other == 0 || (other < 12 && mm_memcasemem(l, len, "mailto:", 7));
}

static bool already(const mm_report *r, size_t from, const char *addr)
{
    for (size_t i = from; i < r->n; i++)
        if (strcasecmp(r->r[i].pub.recipient, addr) == 0)
            return true;
    return false;
}

/* "  <user@example.org>: 550 ..." - an address opening the line and a
 * colon after it; *rest is where the reply begins. */
static bool lead_addr(const char *l, size_t len, const char **a, size_t *alen, size_t *rest)
{
    size_t i = 0;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    const char *p = mm_find_addr(l + i, len - i, alen);
    if (!p || (p != l + i && !(p == l + i + 1 && l[i] == '<')))
        return false;
    size_t j = (size_t)(p - l) + *alen;
    if (j < len && l[j] == '>')
        j++;
    if (j >= len || l[j] != ':')
        return false;
    *a = p;
    *rest = j + 1;
    return true;
}

mm_status_t mm_prov_addr_blocks(mm_report *r, const char *t, size_t n)
{
    size_t from = r->n, pos = 0, len;
    const char *l, *a = NULL, *diag = NULL;
    size_t alen = 0, dend = 0;
    bool open = false;
    for (;;) {
        const char *na;
        size_t nalen, rest = 0;
        size_t lstart = pos;
        l = mm_next_line(t, n, &pos, &len);
        bool addr_line =
            l && (mm_prov_addr_line(l, len, &na, &nalen) || lead_addr(l, len, &na, &nalen, &rest));
        bool blank = l && mm_mta_blank(l, len);
        if (open && (!l || addr_line || (blank && dend > (size_t)(diag - t)))) {
            char *tmp = mm_arena_strndup(&r->arena, a, alen);
            const char *addr = tmp ? mm_report_addr(r, tmp, alen) : "";
            if (addr[0] && !already(r, from, addr)) {
                size_t dl = dend > (size_t)(diag - t) ? dend - (size_t)(diag - t) : 0;
                if (!mm_mta_add(r, addr, strlen(addr), diag, dl))
                    return mm_mta_add_failed(r);
            }
            open = false;
        }
        if (!l)
            break;
        if (addr_line) {
            open = true;
            a = na;
            alen = nalen;
            diag = t + (rest ? lstart + rest : pos);
            dend = rest ? pos : (size_t)(diag - t);
        } else if (open && !blank) {
            dend = pos;
        }
    }
    return MM_OK;
}

mm_status_t mm_prov_dsn(const mm_msg *m, mm_report *r, size_t *from)
{
    *from = r->n;
    return mm_decode_rfc3464(m, r);
}

mm_status_t mm_prov_dsn_words(const mm_msg *m, mm_report *r, const mm_words *words)
{
    size_t from;
    mm_status_t st = mm_prov_dsn(m, r, &from);
    for (size_t i = from; st == MM_OK && i < r->n; i++) {
        const char *d = r->r[i].pub.diagnostic;
        r->r[i].hint = mm_words_find(words, d, strlen(d));
    }
    return st;
}

int mm_prov_lead_reply(const char *t)
{
    while (*t == ' ' || *t == '\t')
        t++;
    if (!((t[0] == '2' || t[0] == '4' || t[0] == '5') && digit(t[1]) && digit(t[2])))
        return 0;
    if (!(t[3] == ' ' || t[3] == '-' || t[3] == ':' || t[3] == ',' || t[3] == '\0'))
        return 0;
    return (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
}

int mm_prov_reply_of_class(const char *t, size_t n, char cls)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (t[i] != cls || (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.')))
            continue;
        /* A window holding only the code and the character after it, so
         * the generic finder judges this one and no later one. */
        int code = mm_find_reply(t + i, n - i < 4 ? n - i : 4);
        if (code)
            return code;
    }
    return 0;
}

/* Length of the line prefix "NNN-X.Y.Z " or "NNN X.Y.Z " (or "NNN-") at d
 * that repeats lead (the first line's "NNN" and its code), else 0. */
static size_t repeat_prefix(const char *d, const char *lead, size_t llen)
{
    if (strncmp(d, lead, 3) != 0 || !(d[3] == '-' || d[3] == ' '))
        return 0;
    if (llen > 4 && strncmp(d + 4, lead + 4, llen - 4) == 0 && d[llen] == ' ')
        return llen + 1;
    /* the last line has a space after its code: "550 relay through ..." */
    return d[3] == '-' || llen == 4 ? 4 : 0;
}

/* Where the multi-line reply in d begins: the first "NNN-" standing as a
 * word (at the start, or after a space, colon or quote); NULL if none. */
static const char *reply_start(const char *d)
{
    /* "NNN-" ends in its dash: only the places three bytes before a dash
     * are tried (a reply code is three digits, the first 2, 4 or 5, and
     * mm_prov_lead_reply() at such a place reads these very bytes) */
    for (const char *q = d; (q = strchr(q, '-')) != NULL; q++) {
        if (q - d < 3)
            continue;
        const char *p = q - 3;
        if ((p == d || p[-1] == ' ' || p[-1] == ':' || p[-1] == '\'' || p[-1] == '"') &&
            mm_prov_lead_reply(p))
            return p;
    }
    return NULL;
}

const char *mm_prov_unfold_reply(mm_report *r, const char *d)
{
    const char *lead = reply_start(d);
    if (!lead)
        return d;
    /* the first line's prefix: "550-" and its status code, if any */
    size_t llen = 4;
    char code[16];
    if (mm_prov_status(lead + 4, strlen(lead + 4), code) &&
        strncmp(lead + 4, code, strlen(code)) == 0)
        llen += strlen(code);
    size_t n = strlen(d), w = 0, from = (size_t)(lead - d) + llen;
    char *o = mm_arena_alloc(&r->arena, n + 1);
    if (!o)
        return d;
    memcpy(o, d, from);
    w = from;
    for (size_t i = from; i < n;) {
        size_t k = d[i - 1] == ' ' ? repeat_prefix(d + i, lead, llen) : 0;
        if (k) {
            i += k;
            continue;
        }
        o[w++] = d[i++];
    }
    o[w] = '\0';
    return o;
}

const char *mm_prov_verb(const char *line)
{
    static const char *const verbs[] = {"RCPT", "MAIL", "DATA", "EHLO", "HELO", "QUIT", NULL};
    for (size_t i = 0; verbs[i]; i++)
        if (mm_startswith_ci(line, verbs[i]) && !isalpha((unsigned char)line[4]))
            return verbs[i];
    return "";
}

/* "host mx.example.org [192.0.2.1]:" (Exim), "host mx.example.org[192.0.2.1]
 * said:" (Postfix). */
void mm_prov_exim_host(mm_report *r, mm_rcpt *rc)
{
    const char *d = rc->pub.diagnostic;
    const char *h = mm_strcasestr(d, "host ");
    const char *br = h ? strchr(h, '[') : NULL;
    if (!h || !br || br - h > 260)
        return;
    const char *s = h + 5, *e = br;
    while (e > s && e[-1] == ' ')
        e--;
    if (e > s && !memchr(s, ' ', (size_t)(e - s)))
        rc->pub.remote_mta = mm_report_str(r, s, (size_t)(e - s));
}

mm_status_t mm_prov_list_after(const mm_msg *m, mm_report *r, const char *const *markers)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len, from = r->n;
    const char *after = NULL;
    for (size_t i = 0; markers[i] && !after; i++)
        after = mm_prov_after_line(t, n, markers[i]);
    if (!after)
        return MM_ENOTFOUND;
    mm_status_t st = mm_prov_addr_blocks(r, after, n - (size_t)(after - t));
    return st == MM_OK && r->n == from ? MM_ENOTFOUND : st;
}

mm_status_t mm_prov_exim_list(const mm_msg *m, mm_report *r, const char *const *markers)
{
    size_t from = r->n;
    mm_status_t st = mm_prov_list_after(m, r, markers);
    if (st != MM_OK)
        return st;
    for (size_t i = from; i < r->n; i++) {
        mm_rcpt *rc = &r->r[i];
        const char *d = rc->pub.diagnostic = mm_prov_unfold_reply(r, rc->pub.diagnostic);
        rc->pub.smtp_command = mm_mta_command(d, strlen(d));
        mm_prov_exim_host(r, rc);
        mm_prov_refine_status(r, rc);
        if (mm_strcasestr(d, "retry timeout exceeded") ||
            mm_strcasestr(d, "retry time not reached"))
            rc->pub.action = "delayed";
    }
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}
