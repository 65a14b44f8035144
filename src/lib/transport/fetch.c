/*
 * fetch.c - the MTA-STS policy fetch (RFC 8461 3.3) with libcurl.
 *
 * GET https://mta-sts.<domain>/.well-known/mta-sts.txt: HTTPS only, the
 * certificate verified for mta-sts.<domain> (3.3: "MUST"), no redirects
 * (3.3: "MUST NOT be followed"), a 200 with media type text/plain, at most
 * MM_MTA_STS_MAX_POLICY bytes (the write callback stops a larger body).
 * Then the body goes to mm_mta_sts_policy_parse().  One easy handle per
 * fetch: no state survives the call (libcurl >= 7.84 initialises itself
 * thread-safely on first use).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/transport.h>
#include "util/buf.h"
#include "util/str.h"

#define N_(s) s

static const char *const fetch_names[] = {"ok",         "network",      "tls",    "redirect",
                                          "http_error", "content_type", "too_big"};

static const char *const fetch_messages[] = {
    N_("The MTA-STS policy was fetched."),
    N_("The MTA-STS policy could not be fetched (no connection, name or timeout): senders "
       "keep any policy they cached, else treat the domain as having none."),
    N_("The certificate of mta-sts.<domain> is not valid (expired, self-signed or for another "
       "name): senders ignore the policy."),
    N_("The policy URL answers with a redirect; senders must not follow it, so they ignore the "
       "policy."),
    N_("The policy URL does not answer 200 OK: senders ignore the policy."),
    N_("The policy is not served as text/plain: senders ignore it."),
    N_("The policy file is larger than 64 KB: senders may refuse it."),
};

const char *mm_mta_sts_fetch_status_name(mm_mta_sts_fetch_status s)
{
    return (unsigned)s < MM_MTA_STS_FETCH_STATUS_MAX_ ? fetch_names[s] : "unknown";
}

const char *mm_mta_sts_fetch_status_message(mm_mta_sts_fetch_status s)
{
    return (unsigned)s < MM_MTA_STS_FETCH_STATUS_MAX_ ? fetch_messages[s] : "";
}

typedef struct res {
    mm_mta_sts_fetch_result pub; /* first: the public pointer is the allocation */
    mm_buf body;
    char *url, *ctype, *detail;
    bool too_big;
} res;

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    res *r = arg;
    size_t n = size * nmemb;
    if (r->body.len + n > MM_MTA_STS_MAX_POLICY) {
        r->too_big = true;
        return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
    return mm_buf_append(&r->body, p, n) == MM_OK ? n : 0;
}

/* text/plain, any parameters, any case (RFC 8461 3.2: media type "text/plain"). */
static bool is_text_plain(const char *ct)
{
    if (!mm_startswith_ci(ct, "text/plain"))
        return false;
    char c = ct[10];
    return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

static mm_mta_sts_fetch_status classify(res *r, CURLcode rc, long code)
{
    if (r->too_big)
        return MM_MTA_STS_FETCH_TOO_BIG;
    switch (rc) {
    case CURLE_OK:
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return MM_MTA_STS_FETCH_TLS;
    default:
        return MM_MTA_STS_FETCH_NETWORK;
    }
    if (code >= 300 && code < 400)
        return MM_MTA_STS_FETCH_REDIRECT;
    if (code != 200)
        return MM_MTA_STS_FETCH_HTTP_ERROR;
    if (!is_text_plain(r->pub.content_type))
        return MM_MTA_STS_FETCH_CONTENT_TYPE;
    return MM_MTA_STS_FETCH_OK;
}

static bool set_opts(CURL *h, res *r, const mm_mta_sts_fetch_opts *o, struct curl_slist *resolve,
                     char *errbuf)
{
    long timeout = o && o->timeout_ms > 0 ? o->timeout_ms : 10000;
    bool ok = curl_easy_setopt(h, CURLOPT_URL, r->url) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_WRITEDATA, r) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
              curl_easy_setopt(h, CURLOPT_USERAGENT, "mailmedic/" MM_VERSION) == CURLE_OK;
    if (ok && o && o->ca_file)
        ok = curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file) == CURLE_OK;
    if (ok && resolve)
        ok = curl_easy_setopt(h, CURLOPT_RESOLVE, resolve) == CURLE_OK;
    return ok;
}

static mm_status_t run(res *r, const mm_mta_sts_fetch_opts *o)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *resolve = NULL;
    mm_status_t st = MM_EIO;
    CURL *h = curl_easy_init();
    if (!h)
        return MM_EIO;
    if (o && o->resolve && !(resolve = curl_slist_append(NULL, o->resolve))) {
        st = MM_ENOMEM;
        goto done;
    }
    if (!set_opts(h, r, o, resolve, errbuf))
        goto done;
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    char *ct = NULL;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
    r->pub.http_code = code;
    r->ctype = strdup(ct ? ct : "");
    r->detail = strdup(rc == CURLE_OK ? "" : errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (!r->ctype || !r->detail) {
        st = MM_ENOMEM;
        goto done;
    }
    r->pub.content_type = r->ctype;
    r->pub.detail = r->detail;
    r->pub.status = classify(r, rc, code);
    st = MM_OK;
done:
    curl_slist_free_all(resolve);
    curl_easy_cleanup(h);
    return st;
}

mm_status_t mm_mta_sts_fetch(const char *domain, const mm_mta_sts_fetch_opts *o,
                             mm_mta_sts_fetch_result **out)
{
    if (!domain || !out || !*domain || strlen(domain) > 253 || strpbrk(domain, "/:@?# \t\r\n"))
        return MM_EINVAL;
    res *r = calloc(1, sizeof *r);
    if (!r)
        return MM_ENOMEM;
    mm_buf_init(&r->body, 0);
    mm_buf b = MM_BUF_INIT;
    mm_status_t st = MM_ENOMEM;
    size_t dl = strlen(domain) - (domain[strlen(domain) - 1] == '.');
    if (o && o->port > 0 && o->port != 443)
        st = mm_buf_printf(&b, "https://mta-sts.%.*s:%d/.well-known/mta-sts.txt", (int)dl, domain,
                           o->port);
    else
        st = mm_buf_printf(&b, "https://mta-sts.%.*s/.well-known/mta-sts.txt", (int)dl, domain);
    if (st == MM_OK && !(r->url = mm_buf_detach(&b)))
        st = MM_ENOMEM;
    mm_buf_free(&b);
    r->pub.url = r->url;
    r->pub.content_type = r->pub.detail = "";
    if (st == MM_OK)
        st = run(r, o);
    if (st == MM_OK) {
        r->pub.body = mm_buf_str(&r->body);
        r->pub.body_len = r->body.len;
        if (r->pub.status == MM_MTA_STS_FETCH_OK)
            st = mm_mta_sts_policy_parse(r->pub.body, r->pub.body_len, &r->pub.policy);
    }
    if (st != MM_OK) {
        mm_mta_sts_fetch_result_free(&r->pub);
        return st;
    }
    *out = &r->pub;
    return MM_OK;
}

void mm_mta_sts_fetch_result_free(mm_mta_sts_fetch_result *p)
{
    if (!p)
        return;
    res *r = (res *)p;
    mm_mta_sts_policy_free(r->pub.policy);
    mm_buf_free(&r->body);
    free(r->url);
    free(r->ctype);
    free(r->detail);
    free(r);
}
