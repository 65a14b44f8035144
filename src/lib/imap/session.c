/*
 * session.c - an IMAP session over libcurl: options, the one connection,
 * commands and their errors, and the read-only view of the mailbox.
 *
 * Every command goes through imap_run(): one curl_easy_perform() on the
 * same easy handle, so libcurl reuses its connection (and login).  The
 * server's lines reach us two ways: untagged responses of custom commands
 * through the write callback (im->resp), and the final tagged line through
 * the debug callback (im->tagged), which is what errors quote.  Lines we
 * send are never looked at: one of them carries the password.
 */
#include "imap_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESP_LIMIT (64u * 1024 * 1024) /* UID/size list of a very large mailbox */
#define MAILBOX_MAX 500                /* bytes of a name on the wire; commands hold 2x */

void imap_why(mm_imap *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->why, sizeof im->why, fmt, ap);
    va_end(ap);
}

static size_t on_resp(char *p, size_t size, size_t n, void *arg)
{
    mm_buf *b = arg;
    return mm_buf_append(b, p, size * n) == MM_OK ? size * n : 0;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
    (void)h;
    mm_imap *im = arg;
    /* HEADER_IN only: server lines.  HEADER_OUT would hold LOGIN's password. */
    if (type != CURLINFO_HEADER_IN || n < 2 || (data[0] == '*' && data[1] == ' ') ||
        (data[0] == '+' && data[1] == ' '))
        return 0;
    /* A failed command makes libcurl log out: keep the NO, not the BYE. */
    if (im->tagged_failed)
        return 0;
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
    return 0;
}

CURLcode imap_run(mm_imap *im, const char *url, const char *custom)
{
    mm_buf *sink = custom ? &im->resp : &im->body;
    mm_buf_reset(&im->resp);
    mm_buf_reset(&im->body);
    im->errbuf[0] = '\0';
    im->tagged[0] = '\0';
    im->tagged_failed = false;
    curl_easy_setopt(im->curl, CURLOPT_URL, url);
    curl_easy_setopt(im->curl, CURLOPT_CUSTOMREQUEST, custom);
    curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, sink);
    CURLcode rc = curl_easy_perform(im->curl);
    long connects = 0;
    curl_easy_getinfo(im->curl, CURLINFO_NUM_CONNECTS, &connects);
    im->reconnected = connects > 0;
    if (im->reconnected) {
        /* A new connection: libcurl's SELECT (for a URL with a mailbox)
         * came before our command; nothing of ours holds any more. */
        im->mode = MODE_NONE;
        im->curl_selected = false;
    }
    if (rc != CURLE_OK) {
        /* libcurl closes the connection after any failed command. */
        im->mode = MODE_NONE;
        im->curl_selected = false;
    }
    return rc;
}

static bool tls_error(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
           rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
           rc == CURLE_SSL_ISSUER_ERROR || rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
           rc == CURLE_SSL_CIPHER || rc == CURLE_SSL_ENGINE_NOTFOUND;
}

mm_status_t imap_fail(mm_imap *im, CURLcode rc, const char *what)
{
    const char *detail = im->errbuf[0] ? im->errbuf : curl_easy_strerror(rc);
    switch (rc) {
    case CURLE_OK:
        return MM_OK;
    case CURLE_OUT_OF_MEMORY:
        imap_why(im, "out of memory while %s", what);
        return MM_ENOMEM;
    case CURLE_LOGIN_DENIED:
        if (strstr(detail, "Select failed")) {
            imap_why(im, "the server has no mailbox %s (%s)", im->mailbox, im->tagged);
            return MM_ENOTFOUND;
        }
        imap_why(im, "%s refused the login of %s: %s", im->host, im->user,
                 im->tagged[0] ? im->tagged : detail);
        return MM_EAUTH;
    case CURLE_USE_SSL_FAILED:
        imap_why(im,
                 "%s offers no STARTTLS: the password will not be sent in clear (use "
                 "imaps://)",
                 im->host);
        return MM_ECONN;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        imap_why(im, "cannot connect to %s: %s", im->host, detail);
        return MM_ECONN;
    case CURLE_OPERATION_TIMEDOUT:
        imap_why(im, "%s did not answer in time while %s: %s", im->host, what, detail);
        return MM_ECONN;
    case CURLE_QUOTE_ERROR:
        imap_why(im, "%s refused %s: %s", im->host, what, im->tagged);
        return MM_EIO;
    case CURLE_WRITE_ERROR:
        imap_why(im, "%s: the response is larger than the limit", what);
        return MM_ETOOBIG;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        imap_why(im, "bad IMAP URL: %s", detail);
        return MM_EINVAL;
    default:
        break;
    }
    if (tls_error(rc))
        imap_why(im,
                 "TLS failure with %s: %s (a self-signed or private CA needs its "
                 "certificate as cafile)",
                 im->host, detail);
    else
        imap_why(im, "the connection to %s was lost while %s: %s", im->host, what, detail);
    return MM_ECONN;
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
        if (*s < 0x80) {
            if (nrun)
                mutf7_run(&b, run, nrun), nrun = 0;
            if (*s == '\r' || *s == '\n')
                goto bad;
            mm_buf_putc(&b, (char)*s);
            if (*s == '&') /* a literal '&' is "&-" */
                mm_buf_putc(&b, '-');
            s++;
            continue;
        }
        size_t units, k = utf8_to_utf16(s, run + nrun, &units);
        if (!k || nrun + 2 >= sizeof run / sizeof run[0])
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

/* ---- responses ---- */

/* The next line of the untagged responses at *pos; false at the end. */
static bool next_line(const mm_buf *b, size_t *pos, const char **line, size_t *n)
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

static bool has_word(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    for (size_t i = 0; i + k <= n; i++)
        if ((i == 0 || s[i - 1] == ' ') && (i + k == n || s[i + k] == ' ' || s[i + k] == ']') &&
            strncasecmp(s + i, w, k) == 0)
            return true;
    return false;
}

static void parse_capabilities(mm_imap *im)
{
    size_t pos = 0, n;
    const char *l;
    while (next_line(&im->resp, &pos, &l, &n))
        if (n > 13 && strncasecmp(l, "* CAPABILITY ", 13) == 0) {
            im->has_move = has_word(l, n, "MOVE");
            im->has_uidplus = has_word(l, n, "UIDPLUS");
        }
}

/* "* OK [UIDVALIDITY n]" and "* n EXISTS" of a SELECT or EXAMINE. */
static bool parse_mailbox_state(mm_imap *im)
{
    size_t pos = 0, n;
    const char *l;
    bool have = false;
    while (next_line(&im->resp, &pos, &l, &n)) {
        char tmp[128];
        size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
        memcpy(tmp, l, k);
        tmp[k] = '\0';
        unsigned long long v;
        int end = 0;
        /* %n: sscanf counts a conversion even when the words after it differ. */
        if (sscanf(tmp, "* OK [UIDVALIDITY %llu]%n", &v, &end) == 1 && end && v &&
            v <= UINT32_MAX) {
            im->uidvalidity = (uint32_t)v;
            have = true;
        } else if (sscanf(tmp, "* %llu EXISTS%n", &v, &end) == 1 && end == (int)k)
            im->exists = v;
    }
    return have;
}

mm_status_t imap_examine(mm_imap *im)
{
    if (im->mode == MODE_EXAMINE)
        return MM_OK;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "EXAMINE %s", im->mailbox);
    for (int attempt = 0; attempt < 2; attempt++) {
        CURLcode rc;
        if (!im->curl_selected) {
            /* libcurl SELECTs the URL's mailbox first, then sends NOOP. */
            rc = imap_run(im, im->mbox_url, "NOOP");
            if (rc != CURLE_OK)
                return imap_fail(im, rc, "opening the mailbox");
            im->curl_selected = true;
        }
        rc = imap_run(im, im->base_url, cmd);
        if (rc == CURLE_OK && im->reconnected)
            continue; /* EXAMINE went to a fresh connection libcurl has not SELECTed on */
        if (rc != CURLE_OK)
            return imap_fail(im, rc, "opening the mailbox read-only");
        if (!parse_mailbox_state(im)) {
            imap_why(im, "%s sent no UIDVALIDITY for %s", im->host, im->mailbox);
            return MM_EIO;
        }
        im->mode = MODE_EXAMINE;
        return MM_OK;
    }
    imap_why(im, "the connection to %s keeps being re-opened", im->host);
    return MM_ECONN;
}

/* ---- open and close ---- */

/* Split opt->url into the two URLs, host and mailbox. */
static mm_status_t parse_url(mm_imap *im, const char *url)
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

static bool set_options(mm_imap *im, const mm_imap_options *o, bool implicit_tls)
{
    long t = o->timeout_s > 0 ? o->timeout_s : 30;
    CURL *h = im->curl;
    bool ok = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "imap,imaps") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERNAME, o->user) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PASSWORD, o->password) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, t) == CURLE_OK &&
              /* Inactivity, not total time: a large mailbox may take long. */
              curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, t) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, im->errbuf) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_resp) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_DEBUGDATA, im) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_VERBOSE, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK;
    /* imap:// must upgrade with STARTTLS (CURLUSESSL_ALL) unless told. */
    if (ok && !implicit_tls)
        ok = curl_easy_setopt(h, CURLOPT_USE_SSL,
                              o->insecure_starttls_ok ? (long)CURLUSESSL_TRY
                                                      : (long)CURLUSESSL_ALL) == CURLE_OK;
    if (ok && o->cafile)
        ok = curl_easy_setopt(h, CURLOPT_CAINFO, o->cafile) == CURLE_OK;
    return ok;
}

static mm_status_t login(mm_imap *im)
{
    /* CAPABILITY after login: the list then includes MOVE and UIDPLUS. */
    CURLcode rc = imap_run(im, im->base_url, "CAPABILITY");
    if (rc != CURLE_OK)
        return imap_fail(im, rc, "logging in");
    parse_capabilities(im);
    return imap_examine(im);
}

mm_status_t mm_imap_open(const mm_imap_options *opt, mm_imap **out, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    mm_imap *im = calloc(1, sizeof *im);
    if (!im)
        return MM_ENOMEM;
    mm_buf_init(&im->resp, RESP_LIMIT);
    mm_status_t st = MM_EINVAL;
    if (!opt || !opt->url || !opt->user || !opt->password) {
        imap_why(im, "the IMAP URL, user and password are all needed");
        goto done;
    }
    im->max_message = opt->max_message ? opt->max_message : MM_IMAP_DEFAULT_MAX_MESSAGE;
    /* One byte over the limit tells a message that outgrew its size. */
    mm_buf_init(&im->body, im->max_message + 1);
    if ((st = parse_url(im, opt->url)) != MM_OK)
        goto done;
    st = MM_ENOMEM;
    if (!(im->user = strdup(opt->user)) || !(im->curl = curl_easy_init()))
        goto done;
    if (!set_options(im, opt,
                     strncmp(opt->url, "imaps:", 6) == 0 || strncmp(opt->url, "IMAPS:", 6) == 0)) {
        imap_why(im, "libcurl lacks a needed option (IMAP support?)");
        st = MM_EINVAL;
        goto done;
    }
    st = login(im);
done:
    if (why && whylen)
        snprintf(why, whylen, "%s", im->why);
    if (st != MM_OK) {
        mm_imap_close(im);
        return st;
    }
    im->why[0] = '\0';
    *out = im;
    return MM_OK;
}

void mm_imap_close(mm_imap *im)
{
    if (!im)
        return;
    if (im->curl)
        curl_easy_cleanup(im->curl); /* sends LOGOUT on a live connection */
    mm_buf_free(&im->resp);
    mm_buf_free(&im->body);
    free(im->base_url);
    free(im->mbox_url);
    free(im->host);
    free(im->user);
    free(im->mailbox);
    free(im);
}

uint32_t mm_imap_uidvalidity(const mm_imap *im)
{
    return im ? im->uidvalidity : 0;
}

bool mm_imap_uidvalidity_changed(const mm_imap *im)
{
    return im && im->changed;
}

size_t mm_imap_skipped(const mm_imap *im)
{
    return im ? im->skipped : 0;
}

const char *mm_imap_error(const mm_imap *im)
{
    return im ? im->why : "";
}
