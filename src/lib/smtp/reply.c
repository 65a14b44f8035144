/*
 * reply.c - read SMTP replies (RFC 5321 4.2) from a hostile peer.
 *
 * Each line is "DDD" then "-" (more lines follow), " " or nothing (the
 * last line), then text.  All lines of a reply carry the same code (4.2.1);
 * a reply whose lines disagree is not trusted.  The text may begin with an
 * enhanced status code (RFC 2034, RFC 3463 "class.subject.detail") whose
 * class must match the reply's first digit; it is taken from the first line
 * and stripped from every line, so the kept text reads as one sentence.
 * Lines 2.. of an EHLO reply are keywords; the few we act on are noted.
 */
#include "smtp/reply.h"

#include <string.h>
#include "util/str.h"

void mm_smtp_reply_init(mm_smtp_reply *r)
{
    memset(r, 0, sizeof *r);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is invalid
 * (bad lead byte, overlong form, surrogate, past U+10FFFF, cut short). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

bool mm_smtp_sanitize(char *dst, size_t cap, size_t *dlen, const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t d = *dlen;
    bool all = true;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len(s + i, n - i);
        const char *piece = (const char *)s + i;
        size_t plen = k;
        if (k == 0) {
            piece = "?";
            plen = 1;
            k = 1;
        } else if (s[i] < 0x20 || s[i] == 0x7F || s[i] == ' ') {
            piece = " ";
            if (d == 0 || dst[d - 1] == ' ')
                plen = 0;
        }
        if (d + plen >= cap) {
            all = false;
            break;
        }
        memcpy(dst + d, piece, plen);
        d += plen;
        i += k;
    }
    dst[d] = '\0';
    *dlen = d;
    return all;
}

/* Length of an enhanced status code "c.sss.ddd" of class cls at the start
 * of s, followed by a space or the end; 0 if there is none. */
static size_t enhanced_len(const char *s, size_t n, char cls)
{
    if (n < 5 || s[0] != cls || s[1] != '.')
        return 0;
    size_t i = 2;
    for (int part = 0; part < 2; part++) {
        size_t start = i;
        while (i < n && i - start < 3 && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || (i < n && s[i] >= '0' && s[i] <= '9'))
            return 0;
        if (part == 0) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    return (i == n || s[i] == ' ') ? i : 0;
}

static const struct {
    const char *word;
    unsigned bit;
} keywords[] = {
    {"STARTTLS", MM_SMTP_EXT_STARTTLS},
    {"SMTPUTF8", MM_SMTP_EXT_SMTPUTF8},
    {"PIPELINING", MM_SMTP_EXT_PIPELINING},
    {"ENHANCEDSTATUSCODES", MM_SMTP_EXT_ENHANCEDSTATUSCODES},
};

/* Note an EHLO keyword: the first word of the line, any case (RFC 5321 4.1.1.1). */
static void note_keyword(mm_smtp_reply *r, const char *s, size_t n)
{
    size_t w = 0;
    while (w < n && s[w] != ' ')
        w++;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        size_t kl = strlen(keywords[i].word);
        if (w == kl && mm_memcasemem(s, w, keywords[i].word, kl) == s)
            r->ext |= keywords[i].bit;
    }
}

/* Read one line s[0..n) (no line end).  *last: it ends the reply. */
static mm_smtp_parse parse_line(mm_smtp_reply *r, const char *s, size_t n, bool *last)
{
    if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
        return MM_SMTP_PARSE_BAD;
    int code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    if (r->lines > 0 && code != r->code)
        return MM_SMTP_PARSE_BAD;
    if (n > 3 && s[3] != ' ' && s[3] != '-')
        return MM_SMTP_PARSE_BAD;
    r->code = code;
    *last = (n == 3 || s[3] == ' ');
    const char *t = s + (n > 3 ? 4 : 3);
    size_t tn = n - (size_t)(t - s);

    size_t el = enhanced_len(t, tn, s[0]);
    if (el > 0 && el < sizeof r->enhanced) {
        if (r->lines == 0) {
            memcpy(r->enhanced, t, el);
            r->enhanced[el] = '\0';
        }
        if (strlen(r->enhanced) == el && memcmp(r->enhanced, t, el) == 0) {
            t += el;
            tn -= el;
        }
    }
    if (r->lines > 0)
        note_keyword(r, t, tn);
    if (r->text_len > 0 && !r->truncated)
        r->truncated = !mm_smtp_sanitize(r->text, sizeof r->text, &r->text_len, " ", 1);
    if (!r->truncated)
        r->truncated = !mm_smtp_sanitize(r->text, sizeof r->text, &r->text_len, t, tn);
    r->lines++;
    return MM_SMTP_PARSE_MORE;
}

mm_smtp_parse mm_smtp_reply_feed(mm_smtp_reply *r, const char *buf, size_t len, size_t *used)
{
    size_t off = 0;
    mm_smtp_parse rc = MM_SMTP_PARSE_MORE;
    while (rc == MM_SMTP_PARSE_MORE) {
        size_t left = len - off, window = left < MM_SMTP_LINE_MAX + 2 ? left : MM_SMTP_LINE_MAX + 2;
        const char *nl = memchr(buf + off, '\n', window);
        if (!nl) {
            if (left >= MM_SMTP_LINE_MAX + 2)
                rc = MM_SMTP_PARSE_TOOBIG;
            break;
        }
        size_t n = (size_t)(nl - (buf + off));
        size_t linelen = n + 1;
        if (n > 0 && buf[off + n - 1] == '\r')
            n--;
        r->bytes += linelen;
        if (n > MM_SMTP_LINE_MAX || r->bytes > MM_SMTP_REPLY_MAX_BYTES ||
            r->lines >= MM_SMTP_REPLY_MAX_LINES) {
            rc = MM_SMTP_PARSE_TOOBIG;
            break;
        }
        bool last = false;
        rc = parse_line(r, buf + off, n, &last);
        off += linelen;
        if (rc == MM_SMTP_PARSE_MORE && last)
            rc = MM_SMTP_PARSE_DONE;
    }
    if (rc == MM_SMTP_PARSE_DONE && r->text_len > 0 && r->text[r->text_len - 1] == ' ')
        r->text[--r->text_len] = '\0';
    *used = off;
    return rc;
}
