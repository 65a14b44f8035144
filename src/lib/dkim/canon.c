/*
 * canon.c - the raw header splitter and the canonicalizations of RFC 6376
 * section 3.4.  DKIM signs exact bytes, so the message is not run through
 * the MIME parser: it is copied once (bare LF made CRLF), the header is cut
 * into fields at lines that do not start with WSP, and the hash input is
 * built from those raw bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>

#include "dkim/dkim_int.h"
#include "util/str.h"

#define IS_WSP(c) ((c) == ' ' || (c) == '\t')

static mm_status_t to_crlf(const char *msg, size_t len, mm_dkim_msg *m)
{
    size_t extra = 0;
    for (size_t i = 0; i < len; i++)
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
            extra++;
    m->data = malloc(len + extra + 1);
    if (!m->data)
        return MM_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
            m->data[o++] = '\r';
        m->data[o++] = msg[i];
    }
    m->data[o] = '\0';
    m->len = o;
    return MM_OK;
}

/* End of the line starting at p: the index after its CRLF (or the end). */
static size_t line_end(const char *d, size_t p, size_t len)
{
    const char *nl = memchr(d + p, '\n', len - p);
    return nl ? (size_t)(nl - d) + 1 : len;
}

static mm_status_t add_field(mm_dkim_msg *m, size_t *cap, size_t start, size_t end)
{
    if (m->nfields == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        mm_dkim_field *f = realloc(m->fields, ncap * sizeof *f);
        if (!f)
            return MM_ENOMEM;
        m->fields = f;
        *cap = ncap;
    }
    mm_dkim_field *f = &m->fields[m->nfields++];
    f->raw = m->data + start;
    f->len = end - start;
    const char *colon = memchr(f->raw, ':', f->len);
    size_t n = colon ? (size_t)(colon - f->raw) : 0;
    while (n && IS_WSP(f->raw[n - 1]))
        n--;
    f->nlen = n;
    return MM_OK;
}

mm_status_t mm_dkim_msg_load(const char *msg, size_t len, mm_dkim_msg *m)
{
    memset(m, 0, sizeof *m);
    mm_status_t st = to_crlf(msg, len, m);
    if (st != MM_OK)
        return st;
    size_t cap = 0, p = 0, start = 0;
    bool in_field = false;
    const char *d = m->data;
    while (p < m->len) {
        size_t e = line_end(d, p, m->len);
        bool empty = (e - p == 2 && d[p] == '\r') || (e - p == 1 && d[p] == '\n');
        if (empty || !IS_WSP(d[p])) {
            if (in_field && (st = add_field(m, &cap, start, p)) != MM_OK)
                goto fail;
            in_field = false;
        }
        if (empty) {
            p = e;
            break;
        }
        if (!in_field && !IS_WSP(d[p])) {
            start = p;
            in_field = true;
        }
        p = e;
    }
    if (in_field && (st = add_field(m, &cap, start, p)) != MM_OK)
        goto fail;
    m->body = d + p;
    m->body_len = m->len - p;
    return MM_OK;
fail:
    mm_dkim_msg_free(m);
    return st;
}

void mm_dkim_msg_free(mm_dkim_msg *m)
{
    free(m->data);
    free(m->fields);
    memset(m, 0, sizeof *m);
}

/*
 * RFC 6376 3.4.2: lower-case the name, unfold, compress WSP runs to one SP,
 * drop WSP at the end of the value and around the colon.
 */
static mm_status_t relaxed_header(const char *raw, size_t len, mm_buf *out)
{
    const char *colon = memchr(raw, ':', len);
    size_t nend = colon ? (size_t)(colon - raw) : len;
    size_t n = nend;
    while (n && IS_WSP(raw[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++)
        if (mm_buf_putc(out, mm_lower(raw[i])) != MM_OK)
            return MM_ENOMEM;
    if (mm_buf_putc(out, ':') != MM_OK)
        return MM_ENOMEM;
    bool pending_sp = false, started = false;
    for (size_t i = nend + 1; i < len; i++) {
        char c = raw[i];
        if (c == '\r' || c == '\n')
            continue;
        if (IS_WSP(c)) {
            pending_sp = started;
            continue;
        }
        if (pending_sp && mm_buf_putc(out, ' ') != MM_OK)
            return MM_ENOMEM;
        pending_sp = false;
        started = true;
        if (mm_buf_putc(out, c) != MM_OK)
            return MM_ENOMEM;
    }
    return mm_buf_append(out, "\r\n", 2);
}

mm_status_t mm_dkim_canon_header(bool relaxed, const char *raw, size_t len, mm_buf *out)
{
    if (relaxed)
        return relaxed_header(raw, len, out);
    return mm_buf_append(out, raw, len);
}

/* One body line (without its CRLF) in relaxed form (RFC 6376 3.4.4). */
static mm_status_t relaxed_line(const char *s, size_t n, mm_buf *out)
{
    while (n && IS_WSP(s[n - 1]))
        n--;
    for (size_t i = 0; i < n; i++) {
        if (IS_WSP(s[i])) {
            while (i + 1 < n && IS_WSP(s[i + 1]))
                i++;
            if (mm_buf_putc(out, ' ') != MM_OK)
                return MM_ENOMEM;
        } else if (mm_buf_putc(out, s[i]) != MM_OK) {
            return MM_ENOMEM;
        }
    }
    return MM_OK;
}

/*
 * Both body canonicalizations, line by line: empty lines are held back and
 * written only when a non-empty line follows, so trailing empty lines vanish
 * (RFC 6376 3.4.3, 3.4.4).  A last line without CRLF gets one.  An empty
 * body is "CRLF" in simple and nothing in relaxed.
 */
mm_status_t mm_dkim_canon_body(bool relaxed, const char *body, size_t len, mm_buf *out)
{
    size_t held = 0, p = 0;
    bool any = false;
    while (p < len) {
        const char *nl = memchr(body + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - body) : len;
        size_t n = e - p;
        if (nl && n && body[e - 1] == '\r')
            n--;
        size_t mark = out->len;
        mm_status_t st = relaxed ? relaxed_line(body + p, n, out) : mm_buf_append(out, body + p, n);
        if (st != MM_OK)
            return st;
        if (out->len == mark) {
            held++;
        } else {
            /* the held empty lines go before this line's text */
            size_t tl = out->len - mark;
            if (held) {
                if (mm_buf_reserve(out, 2 * held) != MM_OK)
                    return MM_ENOMEM;
                memmove(out->data + mark + 2 * held, out->data + mark, tl);
                for (size_t i = 0; i < held; i++)
                    memcpy(out->data + mark + 2 * i, "\r\n", 2);
                out->len += 2 * held;
                out->data[out->len] = '\0';
                held = 0;
            }
            if (mm_buf_append(out, "\r\n", 2) != MM_OK)
                return MM_ENOMEM;
            any = true;
        }
        p = nl ? e + 1 : len;
    }
    if (!any && !relaxed)
        return mm_buf_append(out, "\r\n", 2);
    return MM_OK;
}

/* The signature field with the value of its b= tag removed (RFC 6376 3.7). */
static mm_status_t strip_b(const char *raw, size_t len, mm_buf *out)
{
    const char *colon = memchr(raw, ':', len);
    size_t p = colon ? (size_t)(colon - raw) + 1 : len;
    if (mm_buf_append(out, raw, p) != MM_OK)
        return MM_ENOMEM;
    while (p < len) {
        const char *semi = memchr(raw + p, ';', len - p);
        size_t e = semi ? (size_t)(semi - raw) : len;
        size_t q = p;
        while (q < e && (IS_WSP(raw[q]) || raw[q] == '\r' || raw[q] == '\n'))
            q++;
        size_t k = q;
        while (k < e && !IS_WSP(raw[k]) && raw[k] != '=' && raw[k] != '\r')
            k++;
        size_t eq = k;
        while (eq < e && (IS_WSP(raw[eq]) || raw[eq] == '\r' || raw[eq] == '\n'))
            eq++;
        bool is_b = k - q == 1 && raw[q] == 'b' && eq < e && raw[eq] == '=';
        size_t keep_to = is_b ? eq + 1 : e;
        if (mm_buf_append(out, raw + p, keep_to - p) != MM_OK)
            return MM_ENOMEM;
        if (semi && mm_buf_putc(out, ';') != MM_OK)
            return MM_ENOMEM;
        p = semi ? e + 1 : len;
    }
    return MM_OK;
}

static bool field_is(const mm_dkim_field *f, const char *name, size_t n)
{
    if (f->nlen != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (mm_lower(f->raw[i]) != mm_lower(name[i]))
            return false;
    return true;
}

mm_status_t mm_dkim_header_input(const mm_dkim_msg *m, const mm_dkim_sigdata *sd,
                                 const mm_dkim_field *sigfield, mm_buf *out)
{
    const mm_dkim_tag *h = mm_dkim_tag_find(sd->tags, sd->ntags, "h");
    bool *used = calloc(m->nfields + 1, 1);
    if (!used || !h) {
        free(used);
        return h ? MM_ENOMEM : MM_EINVAL;
    }
    mm_status_t st = MM_OK;
    size_t p = 0;
    while (p <= h->vlen && st == MM_OK) {
        const char *c = memchr(h->value + p, ':', h->vlen - p);
        size_t e = c ? (size_t)(c - h->value) : h->vlen;
        size_t a = p, b = e;
        while (a < b && (IS_WSP(h->value[a]) || h->value[a] == '\r' || h->value[a] == '\n'))
            a++;
        while (b > a &&
               (IS_WSP(h->value[b - 1]) || h->value[b - 1] == '\r' || h->value[b - 1] == '\n'))
            b--;
        /* RFC 6376 5.4.2: the last unused instance, bottom-up; none = nothing */
        for (size_t i = m->nfields; b > a && i-- > 0;) {
            if (used[i] || &m->fields[i] == sigfield ||
                !field_is(&m->fields[i], h->value + a, b - a))
                continue;
            used[i] = true;
            st = mm_dkim_canon_header(sd->hrelaxed, m->fields[i].raw, m->fields[i].len, out);
            break;
        }
        p = e + 1;
    }
    free(used);
    if (st != MM_OK)
        return st;
    mm_buf stripped = MM_BUF_INIT;
    mm_buf canon = MM_BUF_INIT;
    if ((st = strip_b(sigfield->raw, sigfield->len, &stripped)) == MM_OK &&
        (st = mm_dkim_canon_header(sd->hrelaxed, mm_buf_str(&stripped), stripped.len, &canon)) ==
            MM_OK) {
        size_t n = canon.len;
        if (n >= 2 && canon.data[n - 2] == '\r' && canon.data[n - 1] == '\n')
            n -= 2;
        st = mm_buf_append(out, canon.data ? canon.data : "", n);
    }
    mm_buf_free(&stripped);
    mm_buf_free(&canon);
    return st;
}

bool mm_dkim_body_hash(const mm_dkim_msg *m, const mm_dkim_sigdata *sd, unsigned char *hash,
                       size_t *hlen, size_t *canon_len)
{
    mm_buf b = MM_BUF_INIT;
    if (mm_dkim_canon_body(sd->brelaxed, m->body, m->body_len, &b) != MM_OK) {
        mm_buf_free(&b);
        return false;
    }
    *canon_len = b.len;
    size_t n = b.len;
    bool ok = true;
    if (sd->l >= 0) {
        if ((unsigned long long)sd->l > b.len)
            ok = false;
        else
            n = (size_t)sd->l;
    }
    const unsigned char *d = (const unsigned char *)(b.data ? b.data : "");
    if (sd->alg == MM_DKIM_ALG_RSA_SHA1) {
        SHA1(d, n, hash);
        *hlen = 20;
    } else {
        SHA256(d, n, hash);
        *hlen = 32;
    }
    mm_buf_free(&b);
    return ok;
}
