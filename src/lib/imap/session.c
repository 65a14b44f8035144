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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESP_LIMIT (64u * 1024 * 1024) /* UID/size list of a very large mailbox */

void imap_why(mm_imap *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(im->why, sizeof im->why, fmt, ap);
    va_end(ap);
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
    (void)h;
    /* HEADER_IN only: server lines.  HEADER_OUT would hold LOGIN's password. */
    if (type == CURLINFO_HEADER_IN)
        imap_server_line(arg, data, n);
    return 0;
}

static size_t on_resp(char *p, size_t size, size_t n, void *arg)
{
    mm_buf *b = arg;
    return mm_buf_append(b, p, size * n) == MM_OK ? size * n : 0;
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
        if (!imap_parse_mailbox_state(im)) {
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
    imap_parse_capabilities(im);
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
    if ((st = imap_parse_url(im, opt->url)) != MM_OK)
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
