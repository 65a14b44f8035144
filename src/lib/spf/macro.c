/*
 * macro.c - SPF macro expansion (RFC 7208 section 7) and the address helpers
 * the evaluator shares.
 *
 * macro-expand = "%{" letter *DIGIT ["r"] *delimiter "}" / "%%" / "%_" / "%-".
 * A value is split at the delimiters (default "."), optionally reversed,
 * cut to its rightmost N parts and joined with "."; an upper-case letter
 * URL-escapes the result (section 7.3).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "spf_int.h"
#include "util/buf.h"

#define MAX_EXPANSION 8192 /* hostile transformers cannot grow memory freely */

int mm_spf_parse_ip(const char *text, unsigned char out[16], int *family)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!text)
        return 0;
    if (inet_pton(AF_INET, text, out) == 1) {
        *family = AF_INET;
        return 1;
    }
    if (inet_pton(AF_INET6, text, out) != 1)
        return 0;
    *family = AF_INET6;
    if (memcmp(out, mapped, 12) == 0) { /* RFC 7208 section 5: compare as IPv4 */
        memmove(out, out + 12, 4);
        *family = AF_INET;
    }
    return 1;
}

int mm_spf_addr_match(const unsigned char *a, const unsigned char *b, int bits)
{
    int bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)bytes) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

static int is_delim(char c)
{
    return c && strchr(".-+,/_=", c) != NULL;
}

/* Parse "%{...}" at s (s[0] == '%', s[1] == '{'); returns its length or 0. */
static size_t macro_len(const char *s, size_t n, char *letter, size_t *digits, int *rev,
                        const char **delims, size_t *ndelims)
{
    size_t i = 2;
    if (i >= n || !strchr("slodiphcrtvSLODIPHCRTV", s[i]) || !s[i])
        return 0;
    *letter = s[i++];
    *digits = 0;
    int have_digits = 0;
    while (i < n && isdigit((unsigned char)s[i])) {
        if (*digits < 100000)
            *digits = *digits * 10 + (size_t)(s[i] - '0');
        have_digits = 1;
        i++;
    }
    if (have_digits && *digits == 0)
        return 0; /* section 7.1: the DIGIT transformer must be at least 1 */
    *rev = 0;
    if (i < n && (s[i] == 'r' || s[i] == 'R')) {
        *rev = 1;
        i++;
    }
    *delims = s + i;
    while (i < n && is_delim(s[i]))
        i++;
    *ndelims = (size_t)(s + i - *delims);
    if (i >= n || s[i] != '}')
        return 0;
    return i + 1;
}

int mm_spf_macro_ok(const char *s, size_t n, int explanation)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e)
            return 0;
        if (c != '%')
            continue;
        if (i + 1 < n && strchr("%_-", s[i + 1]) && s[i + 1]) {
            i++;
            continue;
        }
        char l;
        size_t d, nd;
        int r;
        const char *dl;
        size_t m = i + 1 < n && s[i + 1] == '{' ? macro_len(s + i, n - i, &l, &d, &r, &dl, &nd) : 0;
        if (m == 0 || (!explanation && strchr("crtCRT", l)))
            return 0;
        i += m - 1;
    }
    return 1;
}

static const char hex_lower[] = "0123456789abcdef", hex_upper[] = "0123456789ABCDEF";

/* "h.l.h.l..." for the 16 bytes of an IPv6 address, without printf: it is on
 * the path of every %{i} of an IPv6 client. */
static mm_status_t put_nibbles(const unsigned char ip[16], int upper, mm_buf *out)
{
    const char *hex = upper ? hex_upper : hex_lower;
    char text[16 * 4];
    size_t w = 0;
    for (int i = 0; i < 16; i++) {
        text[w++] = hex[ip[i] >> 4];
        text[w++] = '.';
        text[w++] = hex[ip[i] & 15];
        text[w++] = '.';
    }
    return mm_buf_append(out, text, w - 1);
}

/* The value of one macro letter into v. */
static mm_status_t letter_value(char l, const mm_spf_macro_vars *v, mm_spf_ptr_fn pfn, void *parg,
                                mm_buf *out)
{
    unsigned char ip[16];
    int fam = 0;
    const char *s = v->sender ? v->sender : "";
    const char *at = strrchr(s, '@');
    char tmp[INET6_ADDRSTRLEN + 8];
    switch (tolower((unsigned char)l)) {
    case 's':
        return mm_buf_puts(out, s);
    case 'l':
        if (!at)
            return mm_buf_puts(out, s);
        return at == s ? mm_buf_puts(out, "postmaster") : mm_buf_append(out, s, (size_t)(at - s));
    case 'o':
        return mm_buf_puts(out, at ? at + 1 : s);
    case 'd':
        return mm_buf_puts(out, v->domain ? v->domain : "");
    case 'h':
        return mm_buf_puts(out, v->helo ? v->helo : "");
    case 'r':
        return mm_buf_puts(out, v->receiver ? v->receiver : "unknown");
    case 't':
        return mm_buf_printf(out, "%" PRIu64, v->timestamp);
    case 'p': {
        const char *p = v->ptr;
        if (!p && pfn)
            p = pfn(parg);
        return mm_buf_puts(out, p ? p : "unknown");
    }
    default:
        break;
    }
    if (!mm_spf_parse_ip(v->ip, ip, &fam))
        return mm_buf_puts(out, "");
    if (tolower((unsigned char)l) == 'v')
        return mm_buf_puts(out, fam == AF_INET ? "in-addr" : "ip6");
    if (tolower((unsigned char)l) == 'c' || fam == AF_INET) {
        inet_ntop(fam, ip, tmp, sizeof tmp);
        return mm_buf_puts(out, tmp);
    }
    /* %{i} of IPv6: dotted nibbles (section 7.3), in the case the address was
     * written in (DNS does not care; the OpenSPF suite compares explanations) */
    int up = strpbrk(v->ip, "ABCDEF") && !strpbrk(v->ip, "abcdef");
    return put_nibbles(ip, up, out);
}

/* Split val at delims, reverse, keep the rightmost n parts, join with '.'. */
static mm_status_t transform(const char *val, size_t n, int rev, const char *delims, size_t nd,
                             int upper, mm_buf *out)
{
    size_t len = strlen(val), nparts = 1;
    for (size_t i = 0; i < len; i++)
        if (nd ? memchr(delims, val[i], nd) != NULL : val[i] == '.')
            nparts++;
    const char **start = malloc(nparts * sizeof *start);
    size_t *plen = malloc(nparts * sizeof *plen);
    mm_status_t st = MM_ENOMEM;
    if (!start || !plen)
        goto done;
    size_t k = 0, from = 0;
    for (size_t i = 0; i <= len; i++)
        if (i == len || (nd ? memchr(delims, val[i], nd) != NULL : val[i] == '.')) {
            start[k] = val + from;
            plen[k++] = i - from;
            from = i + 1;
        }
    size_t first = n && n < nparts ? nparts - n : 0;
    st = MM_OK;
    for (size_t j = first; j < nparts && st == MM_OK; j++) {
        size_t idx = rev ? nparts - 1 - j + 0 : j;
        if (rev) /* after reversal, the rightmost parts are the original leftmost */
            idx = nparts - 1 - j;
        if (j > first)
            st = mm_buf_putc(out, '.');
        for (size_t c = 0; c < plen[idx] && st == MM_OK; c++) {
            unsigned char ch = (unsigned char)start[idx][c];
            if (upper && !(isalnum(ch) || strchr("-._~", ch))) {
                char esc[3] = {'%', hex_upper[ch >> 4], hex_upper[ch & 15]};
                st = mm_buf_append(out, esc, sizeof esc);
            } else
                st = mm_buf_putc(out, (char)ch);
        }
    }
done:
    free(start);
    free(plen);
    return st;
}

/* section 7.3: a domain longer than 253 loses labels on the left. */
static void truncate_domain(mm_buf *b)
{
    size_t off = 0;
    while (b->len - off > 253) {
        const char *dot = memchr(b->data + off, '.', b->len - off);
        if (!dot)
            break;
        off = (size_t)(dot - b->data) + 1;
    }
    if (off) {
        memmove(b->data, b->data + off, b->len - off + 1);
        b->len -= off;
    }
}

mm_status_t mm_spf_expand_x(const char *s, const mm_spf_macro_vars *v, bool explanation,
                            bool domain, mm_spf_ptr_fn pfn, void *parg, char **out)
{
    if (!s || !v || !out)
        return MM_EINVAL;
    *out = NULL;
    size_t n = strlen(s);
    if (n <= 253 && !memchr(s, '%', n)) { /* most domain-specs: nothing to expand or cut */
        *out = malloc(n + 1);
        if (*out)
            memcpy(*out, s, n + 1);
        return *out ? MM_OK : MM_ENOMEM;
    }
    mm_buf b, val;
    mm_buf_init(&b, MAX_EXPANSION);
    mm_buf_init(&val, MAX_EXPANSION);
    mm_status_t st = MM_OK;
    for (size_t i = 0; i < n && st == MM_OK; i++) {
        if (s[i] != '%') { /* the literal text up to the next macro, at once */
            size_t run = strcspn(s + i, "%");
            st = mm_buf_append(&b, s + i, run);
            i += run - 1;
            continue;
        }
        char nx = i + 1 < n ? s[i + 1] : 0;
        if (nx == '%' || nx == '_' || nx == '-') {
            st = mm_buf_puts(&b, nx == '%' ? "%" : nx == '_' ? " " : "%20");
            i++;
            continue;
        }
        char l;
        size_t d, nd;
        int rev;
        const char *dl;
        size_t m = nx == '{' ? macro_len(s + i, n - i, &l, &d, &rev, &dl, &nd) : 0;
        if (m == 0 || (!explanation && strchr("crtCRT", l))) {
            st = MM_EPARSE;
            break;
        }
        mm_buf_reset(&val);
        st = letter_value(l, v, pfn, parg, &val);
        if (st == MM_OK)
            st = transform(mm_buf_str(&val), d, rev, dl, nd, isupper((unsigned char)l), &b);
        i += m - 1;
    }
    if (st == MM_OK && domain)
        truncate_domain(&b);
    if (st == MM_OK)
        *out = mm_buf_detach(&b);
    mm_buf_free(&b);
    mm_buf_free(&val);
    if (st == MM_OK && !*out)
        st = MM_ENOMEM;
    return st;
}

mm_status_t mm_spf_expand(const char *s, const mm_spf_macro_vars *v, bool explanation, bool domain,
                          char **out)
{
    return mm_spf_expand_x(s, v, explanation, domain, NULL, NULL, out);
}
