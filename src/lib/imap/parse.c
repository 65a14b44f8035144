/*
 * parse.c - everything the IMAP client reads out of bytes it did not make:
 * the server's lines (the tagged line quoted in errors, CAPABILITY, the
 * untagged responses of EXAMINE, the UID/RFC822.SIZE pairs of FETCH), the
 * IMAP URL, and mailbox names encoded for the wire.  No I/O here: session.c
 * and mailbox.c hand in the bytes libcurl collected, and fuzz/fuzz_imap.c
 * feeds them arbitrary ones.
 */
#include "imap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAILBOX_MAX 500 /* bytes of a name on the wire; commands hold 2x */

/* ---- server lines ---- */

void imap_server_line(mm_imap *im, const char *data, size_t n)
{
    if (n < 2 || (data[0] == '*' && data[1] == ' ') || (data[0] == '+' && data[1] == ' '))
        return;
    /* A failed command makes libcurl log out: keep the NO, not the BYE. */
    if (im->tagged_failed)
        return;
    const char *sp = memchr(data, ' ', n);
    if (sp && (size_t)(data + n - sp) > 3 &&
        (strncmp(sp + 1, "NO", 2) == 0 || strncmp(sp + 1, "BAD", 3) == 0))
        im->tagged_failed = true;
    while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
        n--;
    if (n >= sizeof im->tagged)
        n = sizeof im->tagged - 1;
    for (size_t i = 0; i < n; i++)
        im->tagged[i] = (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '?';
    im->tagged[n] = '\0';
}

bool imap_next_line(const mm_buf *b, size_t *pos, const char **line, size_t *n)
{
    if (*pos >= b->len)
        return false;
    const char *s = b->data + *pos, *e = b->data + b->len;
    const char *nl = memchr(s, '\n', (size_t)(e - s));
    size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);
    *pos += len + (nl ? 1 : 0);
    *line = s;
    *n = len && s[len - 1] == '\r' ? len - 1 : len;
    return true;
}

bool imap_has_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if ((i == 0 || s[i - 1] == ' ') && (i + k == n || s[i + k] == ' ' || s[i + k] == ']') &&
            strncasecmp(s + i, w, k) == 0)
            return true;
    return false;
}

void imap_parse_capabilities(mm_imap *im)
{
    size_t pos = 0, n;
    const char *l;
    while (imap_next_line(&im->resp, &pos, &l, &n))
        if (n > 13 && strncasecmp(l, "* CAPABILITY ", 13) == 0) {
            im->has_move = imap_has_word(l, n, "MOVE");
            im->has_uidplus = imap_has_word(l, n, "UIDPLUS");
        }
}

/* The decimal number at s[0..n) up to the first non-digit (*used bytes):
 * RFC 3501's "number", so no sign or space; false for no digit or above
 * max.  sscanf's %llu took "-1" as 2^64 - 1 and left an overflow undefined. */
static bool number(const char *s, size_t n, uint64_t max, uint64_t *v, size_t *used)
{
    uint64_t x = 0;
    size_t i = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (x > (max - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    *used = i;
    return i > 0;
}

/* Whether l[0..n) starts with prefix (case-insensitive); *rest after it. */
static bool starts(const char *l, size_t n, const char *prefix, size_t *rest)
{
    size_t k = strlen(prefix);
    *rest = k;
    return n >= k && strncasecmp(l, prefix, k) == 0;
}

bool imap_parse_mailbox_state(mm_imap *im)
{
    size_t pos = 0, n, at, used;
    const char *l;
    uint64_t v;
    bool have = false;
    while (imap_next_line(&im->resp, &pos, &l, &n)) {
        /* resp-text-code "UIDVALIDITY" SP nz-number (RFC 3501 7.1): 32 bits. */
        if (starts(l, n, "* OK [UIDVALIDITY ", &at)) {
            if (number(l + at, n - at, UINT32_MAX, &v, &used) && v && at + used < n &&
                l[at + used] == ']') {
                im->uidvalidity = (uint32_t)v;
                have = true;
            }
        } else if (starts(l, n, "* ", &at) && number(l + at, n - at, UINT32_MAX, &v, &used) &&
                   n - at - used == 7 && strncasecmp(l + at + used, " EXISTS", 7) == 0) {
            im->exists = v; /* message-data: number SP "EXISTS" (7.3.1), 32 bits */
        }
    }
    return have;
}

/* ---- FETCH lists ---- */

static int by_uid(const void *a, const void *b)
{
    const uid_size *x = a, *y = b;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

bool imap_fetch_item(const char *l, size_t n, const char *name, uint64_t *v)
{
    size_t k = strlen(name);
    for (size_t i = 1; i + k + 1 < n; i++) {
        if ((l[i - 1] != '(' && l[i - 1] != ' ') || strncasecmp(l + i, name, k) != 0 ||
            l[i + k] != ' ')
            continue;
        size_t used;
        /* A UID or size that overflows 64 bits is not one: skip the line. */
        return number(l + i + k + 1, n - i - k - 1, UINT64_MAX, v, &used);
    }
    return false;
}

mm_status_t imap_collect(mm_imap *im, uint64_t after, uid_vec *vec, uint64_t *min)
{
    *min = UINT64_MAX;
    if (!im->resp.len)
        return MM_OK; /* data may be NULL: no pointer arithmetic on it */
    const char *s = im->resp.data, *e = s + im->resp.len;
    while (s < e) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);
        uint64_t uid, size;
        if (len > 2 && s[0] == '*' && imap_fetch_item(s, len, "UID", &uid)) {
            if (uid < *min)
                *min = uid;
            if (uid > after && imap_fetch_item(s, len, "RFC822.SIZE", &size)) {
                if (vec->n == vec->cap) {
                    size_t cap = vec->cap ? vec->cap * 2 : 64;
                    uid_size *nv = realloc(vec->v, cap * sizeof *nv);
                    if (!nv)
                        return MM_ENOMEM;
                    vec->v = nv;
                    vec->cap = cap;
                }
                vec->v[vec->n].uid = uid;
                vec->v[vec->n++].size = size;
            }
        }
        s = nl ? nl + 1 : e;
    }
    return MM_OK;
}

void imap_sort_unique(uid_vec *vec)
{
    if (!vec->n)
        return;
    qsort(vec->v, vec->n, sizeof *vec->v, by_uid);
    size_t k = 1;
    for (size_t i = 1; i < vec->n; i++)
        if (vec->v[i].uid != vec->v[k - 1].uid)
            vec->v[k++] = vec->v[i];
    vec->n = k;
}

/* ---- names ---- */

/* Modified UTF-7 (RFC 3501 5.1.3) of the UTF-16 units u[0..n). */
static void mutf7_run(mm_buf *b, const uint16_t *u, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    uint32_t acc = 0;
    int bits = 0;
    mm_buf_putc(b, '&');
    for (size_t i = 0; i < n; i++) {
        acc = (acc << 16) | u[i];
        bits += 16;
        while (bits >= 6) {
            bits -= 6;
            mm_buf_putc(b, b64[(acc >> bits) & 63]);
        }
    }
    if (bits)
        mm_buf_putc(b, b64[(acc << (6 - bits)) & 63]);
    mm_buf_putc(b, '-');
}

/* Decode one UTF-8 character at s into UTF-16 units; 0 if invalid. */
static size_t utf8_to_utf16(const unsigned char *s, uint16_t out[2], size_t *units)
{
    uint32_t c;
    size_t k;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        c = s[0] & 0x1F, k = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        c = s[0] & 0x0F, k = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        c = s[0] & 0x07, k = 4;
    else
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((k == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) || (k == 4 && c < 0x10000) ||
        c > 0x10FFFF)
        return 0;
    if (c >= 0x10000) {
        c -= 0x10000;
        out[0] = (uint16_t)(0xD800 | (c >> 10));
        out[1] = (uint16_t)(0xDC00 | (c & 0x3FF));
        *units = 2;
    } else {
        out[0] = (uint16_t)c;
        *units = 1;
    }
    return k;
}

char *imap_mutf7(const char *name)
{
    mm_buf b;
    mm_buf_init(&b, MAILBOX_MAX);
    uint16_t run[512];
    size_t nrun = 0;
    const unsigned char *s = (const unsigned char *)name;
    while (*s) {
        if (*s == '\r' || *s == '\n')
            goto bad;
        if (*s >= 0x20 && *s < 0x7f) {
            if (nrun)
                mutf7_run(&b, run, nrun), nrun = 0;
            mm_buf_putc(&b, (char)*s);
            if (*s == '&') /* a literal '&' is "&-" */
                mm_buf_putc(&b, '-');
            s++;
            continue;
        }
        /* Room for a surrogate pair before writing it (the check used to
         * come after: a pair at 511 wrote one unit past the array). */
        if (nrun + 2 > sizeof run / sizeof run[0])
            goto bad;
        size_t units = 1, k = 1;
        if (*s < 0x80)
            run[nrun] = *s; /* a control character: "represented in modified BASE64" (5.1.3) */
        else if (!(k = utf8_to_utf16(s, run + nrun, &units)))
            goto bad;
        nrun += units;
        s += k;
    }
    if (nrun)
        mutf7_run(&b, run, nrun);
    /* mm_buf keeps its old contents when an append fails: check the end. */
    if (mm_buf_putc(&b, '\0') != MM_OK)
        goto bad;
    return mm_buf_detach(&b);
bad:
    mm_buf_free(&b);
    return NULL;
}

char *imap_quote_mailbox(const char *name)
{
    char *raw = imap_mutf7(name);
    if (!raw)
        return NULL;
    mm_buf b;
    mm_buf_init(&b, 2 * MAILBOX_MAX + 3);
    mm_buf_putc(&b, '"');
    for (const char *s = raw; *s; s++) {
        if (*s == '"' || *s == '\\')
            mm_buf_putc(&b, '\\');
        mm_buf_putc(&b, *s);
    }
    mm_status_t st = mm_buf_putc(&b, '"');
    free(raw);
    if (st != MM_OK) {
        mm_buf_free(&b);
        return NULL;
    }
    return mm_buf_detach(&b);
}

/* ---- the URL ---- */

mm_status_t imap_parse_url(mm_imap *im, const char *url)
{
    mm_status_t st = MM_EINVAL;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *pass = NULL, *query = NULL;
    CURLU *u = curl_url();
    if (!u)
        return MM_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        imap_why(im, "not a URL: use imaps://HOST[:PORT]/MAILBOX");
        goto done;
    }
    if (strcmp(scheme, "imap") != 0 && strcmp(scheme, "imaps") != 0) {
        imap_why(im, "the URL scheme must be imaps:// (or imap:// with STARTTLS)");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
        imap_why(im, "the URL holds a password: give it in the credentials file instead");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK) {
        imap_why(im, "the URL has a query part: give only imaps://HOST[:PORT]/MAILBOX");
        goto done;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE);
    const char *mbox = path && path[0] == '/' ? path + 1 : path ? path : "";
    if (!*mbox)
        mbox = "INBOX";
    if (strchr(mbox, ';')) {
        imap_why(im, "the mailbox part of the URL has ';' parameters: give only the mailbox");
        goto done;
    }
    mm_buf b = MM_BUF_INIT;
    /* libcurl SELECTs the URL's mailbox as given: give it the wire name. */
    char *wire = imap_mutf7(mbox);
    char *esc = wire ? curl_easy_escape(NULL, wire, 0) : NULL;
    free(wire);
    bool ok = esc && mm_buf_printf(&b, "%s://%s%s%s/", scheme, host, port ? ":" : "",
                                   port ? port : "") == MM_OK;
    im->base_url = ok ? strdup(b.data) : NULL;
    ok = ok && mm_buf_puts(&b, esc) == MM_OK;
    im->mbox_url = ok ? mm_buf_detach(&b) : NULL;
    mm_buf_free(&b);
    curl_free(esc);
    im->host = strdup(host);
    im->mailbox = imap_quote_mailbox(mbox);
    st = im->base_url && im->mbox_url && im->host && im->mailbox ? MM_OK : MM_ENOMEM;
    if (!im->mailbox) {
        imap_why(im, "the mailbox name is too long, not valid UTF-8 or holds a line break");
        st = MM_EINVAL;
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(pass);
    curl_free(query);
    curl_url_cleanup(u);
    return st;
}
