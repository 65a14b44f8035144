/*
 * fuzz_imap.c - the IMAP client's parsers (src/lib/imap/parse.c) on bytes
 * a hostile server or a bad URL could hold, with no connection.
 *
 * The bytes are, at once: the untagged responses of a command (CAPABILITY,
 * EXAMINE's UIDVALIDITY and EXISTS, FETCH's UID and RFC822.SIZE pairs, as
 * gathered in im->resp), the server lines libcurl hands the debug callback
 * one by one (the tagged line kept for errors), and per line a mailbox name
 * to encode; the first line is also taken as the IMAP URL (or as its
 * mailbox part).  Checks: the kept tagged line is printable and terminated,
 * a UIDVALIDITY is non-zero, listed UIDs are above the floor and sorted
 * without repeats, an encoded name is printable ASCII that decodes back to
 * the name, and a quoted one unquotes to the encoded name.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "fuzzer.h"
#include "imap/imap_int.h"

/* Append code point c as UTF-8. */
static size_t put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (c >> 18));
    o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int b64(char c)
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    const char *p = c ? strchr(set, c) : NULL;
    return p ? (int)(p - set) : -1;
}

/* Modified UTF-7 back to UTF-8 (an independent decoder, RFC 3501 5.1.3);
 * NULL when e is not what a correct encoder writes. */
static char *mutf7_decode(const char *e)
{
    char *out = malloc(strlen(e) * 2 + 1), *o = out;
    if (!out)
        abort();
    while (*e) {
        if (*e != '&') {
            if (*e < 0x20 || *e > 0x7e)
                goto bad;
            *o++ = *e++;
            continue;
        }
        e++;
        if (*e == '-') { /* "&-" is '&' */
            *o++ = '&';
            e++;
            continue;
        }
        uint32_t acc = 0, hi = 0;
        int bits = 0, v;
        for (; (v = b64(*e)) >= 0; e++) {
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits < 16)
                continue;
            bits -= 16;
            uint32_t u = (acc >> bits) & 0xFFFF;
            if (u >= 0xD800 && u <= 0xDBFF && !hi) {
                hi = u;
            } else if (u >= 0xDC00 && u <= 0xDFFF && hi) {
                o += put_utf8(o, 0x10000 + ((hi - 0xD800) << 10) + (u - 0xDC00));
                hi = 0;
            } else if ((u >= 0x20 && u < 0x7f) || hi || (u >= 0xD800 && u <= 0xDFFF)) {
                goto bad; /* printable ASCII stands for itself; surrogates in pairs */
            } else {
                o += put_utf8(o, u);
            }
        }
        /* Ends with '-', leftover bits are zero padding of under 6 bits. */
        if (*e != '-' || hi || bits >= 6 || (acc & ((1u << bits) - 1)))
            goto bad;
        e++;
    }
    *o = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static void check_name(const char *name)
{
    char *enc = imap_mutf7(name);
    if (enc) {
        if (strlen(enc) >= 500)
            abort();
        char *dec = mutf7_decode(enc);
        if (!dec || strcmp(dec, name) != 0)
            abort();
        free(dec);
    }
    char *q = imap_quote_mailbox(name);
    if (!q != !enc)
        abort(); /* the same names are refused */
    if (q) {
        size_t n = strlen(q), k = 0;
        if (n < 2 || q[0] != '"' || q[n - 1] != '"')
            abort();
        for (size_t i = 1; i + 1 < n; i++) {
            if (q[i] == '"')
                abort(); /* an unescaped quote inside */
            if (q[i] == '\\')
                i++;
            if (q[i] != enc[k++])
                abort();
        }
        if (enc[k])
            abort();
    }
    free(q);
    free(enc);
}

static void check_url(const char *line, size_t n)
{
    if (n > 4000)
        return;
    mm_buf u = MM_BUF_INIT;
    if (n < 4 || strncasecmp(line, "imap", 4) != 0)
        if (mm_buf_puts(&u, "imaps://imap.example.com:993/") != MM_OK)
            abort();
    if (mm_buf_append(&u, line, n) != MM_OK)
        abort();
    mm_imap im;
    memset(&im, 0, sizeof im);
    if (imap_parse_url(&im, u.data) == MM_OK) {
        if (!im.base_url || !im.mbox_url || !im.host || !im.mailbox || im.mailbox[0] != '"')
            abort();
    } else if (!im.why[0]) {
        abort(); /* every refusal says why */
    }
    free(im.base_url);
    free(im.mbox_url);
    free(im.host);
    free(im.mailbox);
    mm_buf_free(&u);
}

static void check_lines(mm_imap *im, const char *data, size_t size)
{
    const char *s = data, *e = data + size;
    bool first = true;
    while (s < e) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t n = nl ? (size_t)(nl - s) + 1 : (size_t)(e - s);
        /* An exact-size copy, as libcurl hands a line to the debug callback. */
        char *line = malloc(n ? n : 1);
        if (!line)
            abort();
        memcpy(line, s, n);
        imap_server_line(im, line, n);
        size_t k = strnlen(im->tagged, sizeof im->tagged);
        if (k == sizeof im->tagged)
            abort();
        for (size_t i = 0; i < k; i++)
            if (im->tagged[i] < 0x20 || im->tagged[i] > 0x7e)
                abort();
        free(line);
        /* The line without CR LF and up to a NUL, as a mailbox name. */
        size_t len = nl ? n - 1 : n;
        if (len && s[len - 1] == '\r')
            len--;
        char *name = strndup(s, len);
        if (!name)
            abort();
        check_name(name);
        if (first)
            check_url(name, strlen(name));
        first = false;
        free(name);
        s += n;
    }
}

static void check_list(mm_imap *im, uint64_t after)
{
    uid_vec vec = {NULL, 0, 0};
    uint64_t min;
    if (imap_collect(im, after, &vec, &min) != MM_OK)
        abort();
    for (size_t i = 0; i < vec.n; i++)
        if (vec.v[i].uid <= after || vec.v[i].uid < min)
            abort();
    imap_sort_unique(&vec);
    for (size_t i = 1; i < vec.n; i++)
        if (vec.v[i].uid <= vec.v[i - 1].uid)
            abort();
    free(vec.v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mm_imap im;
    memset(&im, 0, sizeof im);
    /* The responses as libcurl's write callback leaves them in an mm_buf:
     * a NUL after the data (in an exact-size block, so a read past it is
     * caught), or no block at all when nothing was ever written. */
    if (size) {
        im.resp.data = malloc(size + 1);
        if (!im.resp.data)
            abort();
        memcpy(im.resp.data, data, size);
        im.resp.data[size] = '\0';
        im.resp.len = size;
        im.resp.cap = size + 1;
    }
    imap_parse_capabilities(&im);
    if (imap_parse_mailbox_state(&im) && !im.uidvalidity)
        abort();
    check_list(&im, 0);
    check_list(&im, im.exists);
    check_list(&im, im.uidvalidity);
    check_lines(&im, (const char *)data, size);
    mm_buf_free(&im.resp);
    return 0;
}
