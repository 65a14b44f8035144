/*
 * transport.h - how a domain protects mail in transit and shows its brand:
 * MTA-STS (RFC 8461), SMTP TLS Reporting (RFC 8460) and BIMI
 * (draft-brand-indicators-for-message-identification).
 *
 * Three layers, each usable alone:
 *   mm_transport_parse()     one TXT value of _mta-sts.<d>, _smtp._tls.<d> or
 *                            default._bimi.<d> -> a record, every field
 *                            checked, with findings (stable ids, N_() texts)
 *   mm_mta_sts_policy_parse() the policy file served at
 *                            https://mta-sts.<d>/.well-known/mta-sts.txt
 *                            (RFC 8461 3.2), and mm_mta_sts_mx_match() (4.1)
 *   mm_transport_lookup()    the three TXT records of a domain, at once, over
 *                            the DNS layer, with the discovery rules (exactly
 *                            one record of the version, else "none")
 *   mm_mta_sts_fetch()       the HTTPS fetch of the policy file (RFC 8461 3.3,
 *                            libcurl), then the policy parse
 */
#ifndef MAILMEDIC_TRANSPORT_H
#define MAILMEDIC_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/dns.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_transport_kind {
    MM_TRANSPORT_MTA_STS = 0, /* _mta-sts.<domain>  "v=STSv1; id=..." (RFC 8461 3.1) */
    MM_TRANSPORT_TLSRPT,      /* _smtp._tls.<domain> "v=TLSRPTv1; rua=..." (RFC 8460 3) */
    MM_TRANSPORT_BIMI,        /* default._bimi.<domain> "v=BIMI1; l=...; a=..." */
    MM_TRANSPORT_KIND_MAX_
} mm_transport_kind;

/* "mta_sts", "tlsrpt", "bimi". */
MM_EXTERN const char *mm_transport_kind_name(mm_transport_kind k);

/* The DNS name of kind k for domain into out ("_mta-sts.example.com", ...).
 * MM_ETOOBIG when it does not fit (or is over 253), MM_EINVAL. */
MM_EXTERN mm_status_t mm_transport_name(mm_transport_kind k, const char *domain, char *out,
                                        size_t outlen);

typedef enum mm_transport_severity {
    MM_TRANSPORT_INFO = 0,
    MM_TRANSPORT_WARN, /* works, but weaker than it should be */
    MM_TRANSPORT_ERROR /* the record (or policy) is invalid: receivers ignore it */
} mm_transport_severity;

/* "info", "warn", "error". */
MM_EXTERN const char *mm_transport_severity_name(mm_transport_severity s);

/* One finding.  id is stable (e.g. "not_first_version", "bad_id", "no_rua",
 * "rua_scheme", "logo_not_https", "no_authority"); the full list is the table in
 * src/lib/transport/lint.c.  message is an English N_() msgid; field names the
 * field ("" if none), value the offending text ("" if none). */
typedef struct mm_transport_lint {
    const char *id;
    mm_transport_severity severity;
    const char *message;
    const char *field;
    const char *value;
} mm_transport_lint;

#define MM_TRANSPORT_MAX_LINTS 32
#define MM_TRANSPORT_MAX_URIS 16
#define MM_TRANSPORT_MAX_RECORD 8192 /* longer TXT values: MM_ETOOBIG */

/*
 * A parsed record.  valid is false when receivers must ignore it (a lint of
 * severity ERROR says why).  Everything lives until mm_transport_record_free().
 */
typedef struct mm_transport_record {
    mm_transport_kind kind;
    const char *text; /* as given */
    bool valid;
    /* MTA-STS */
    const char *id; /* the policy id ("" when absent or invalid) */
    /* TLS-RPT */
    size_t nrua;
    const char *const *rua; /* the report URIs as published (mailto: and https: only) */
    /* BIMI */
    const char *logo;      /* l=: the SVG URL, "" when empty or absent */
    const char *authority; /* a=: the mark certificate (VMC/CMC) URL, "" when empty/absent */
    bool declined;         /* l= and a= both empty: the domain declines to show a logo */
    size_t nlints;
    const mm_transport_lint *lints;
} mm_transport_record;

/*
 * Parse one TXT value (character-strings joined) of kind k.  On MM_OK *out
 * owns a record freed with mm_transport_record_free(); a text of the wrong
 * version still gives MM_OK with valid false and lint "not_first_version".
 * MM_EINVAL, MM_ETOOBIG past MM_TRANSPORT_MAX_RECORD, MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_transport_parse(mm_transport_kind k, const char *txt, size_t len,
                                         mm_transport_record **out);
MM_EXTERN void mm_transport_record_free(mm_transport_record *r);

/* True when txt starts with the version tag of kind k ("v=STSv1", "v=TLSRPTv1",
 * "v=BIMI1"): the discovery filter (RFC 8461 3.1, RFC 8460 3). */
MM_EXTERN bool mm_transport_is_kind(mm_transport_kind k, const char *txt, size_t len);

/* ---- The MTA-STS policy file (RFC 8461 3.2, 4.1) ---- */

typedef enum mm_mta_sts_mode {
    MM_MTA_STS_MODE_UNSET = 0,
    MM_MTA_STS_MODE_ENFORCE,
    MM_MTA_STS_MODE_TESTING,
    MM_MTA_STS_MODE_NONE
} mm_mta_sts_mode;

/* "unset", "enforce", "testing", "none". */
MM_EXTERN const char *mm_mta_sts_mode_name(mm_mta_sts_mode m);

#define MM_MTA_STS_MAX_POLICY 65536 /* RFC 8461 3.3: senders may limit the size */
#define MM_MTA_STS_MAX_MX 32
#define MM_MTA_STS_MAX_AGE 31557600 /* RFC 8461 3.2: one year, the most allowed */

typedef struct mm_mta_sts_policy {
    bool valid;
    mm_mta_sts_mode mode;
    uint32_t max_age; /* seconds; 0 when absent or invalid */
    size_t nmx;
    const char *const *mx; /* the patterns as published ("mail.example.com", "*.example.net") */
    size_t nlints;
    const mm_transport_lint *lints;
} mm_mta_sts_policy;

/* Parse a policy body (len bytes; CRLF or LF lines).  *out freed with
 * mm_mta_sts_policy_free().  MM_EINVAL, MM_ETOOBIG, MM_ENOMEM. */
MM_EXTERN mm_status_t mm_mta_sts_policy_parse(const char *text, size_t len,
                                              mm_mta_sts_policy **out);
MM_EXTERN void mm_mta_sts_policy_free(mm_mta_sts_policy *p);

/* RFC 8461 4.1: does MX host (case-insensitive, trailing dot ignored) match
 * pattern?  "*.example.com" matches exactly one more label on the left. */
MM_EXTERN bool mm_mta_sts_mx_match(const char *pattern, const char *host);

/* True when host matches one of the policy's mx patterns. */
MM_EXTERN bool mm_mta_sts_policy_covers(const mm_mta_sts_policy *p, const char *host);

/* ---- Fetching the policy (RFC 8461 3.3) ---- */

/* How a fetch ended, in the order it is decided. */
typedef enum mm_mta_sts_fetch_status {
    MM_MTA_STS_FETCH_OK = 0,       /* 200, text/plain, within the size limit: policy parsed */
    MM_MTA_STS_FETCH_NETWORK,      /* no connection, DNS failure, timeout: temporary */
    MM_MTA_STS_FETCH_TLS,          /* the certificate is not valid for mta-sts.<domain>
                                    * (RFC 8461 3.3: senders MUST validate it) */
    MM_MTA_STS_FETCH_REDIRECT,     /* a 3xx: senders MUST NOT follow redirects */
    MM_MTA_STS_FETCH_HTTP_ERROR,   /* any other status than 200 */
    MM_MTA_STS_FETCH_CONTENT_TYPE, /* not text/plain */
    MM_MTA_STS_FETCH_TOO_BIG,      /* over MM_MTA_STS_MAX_POLICY bytes */
    MM_MTA_STS_FETCH_STATUS_MAX_
} mm_mta_sts_fetch_status;

/* "ok", "network", "tls", "redirect", "http_error", "content_type", "too_big". */
MM_EXTERN const char *mm_mta_sts_fetch_status_name(mm_mta_sts_fetch_status s);
/* One English N_() sentence per status. */
MM_EXTERN const char *mm_mta_sts_fetch_status_message(mm_mta_sts_fetch_status s);

typedef struct mm_mta_sts_fetch_opts {
    int port;            /* 0 = 443; another port goes into the URL (tests) */
    const char *ca_file; /* a CA bundle to trust instead of the system's (tests); NULL */
    const char *resolve; /* one libcurl CURLOPT_RESOLVE entry "HOST:PORT:ADDR" so no DNS is
                          * asked (tests: "mta-sts.example.com:8443:127.0.0.1"); NULL */
    long timeout_ms;     /* whole transfer; 0 = 10000 */
} mm_mta_sts_fetch_opts;

typedef struct mm_mta_sts_fetch_result {
    mm_mta_sts_fetch_status status;
    const char *url;          /* the URL fetched */
    long http_code;           /* 0 when no response */
    const char *content_type; /* as received, "" if none */
    const char *detail;       /* libcurl's error text for network/tls, else "" */
    const char *body;         /* the body received (NUL-terminated; may hold NULs) */
    size_t body_len;
    mm_mta_sts_policy *policy; /* OK: the parsed policy (check ->valid); else NULL */
} mm_mta_sts_fetch_result;

/*
 * Fetch https://mta-sts.<domain>/.well-known/mta-sts.txt and parse it.  This
 * call BLOCKS for up to timeout_ms (it is not driven by mm_dns_run()): run it
 * beside the DNS look-ups, e.g. in a worker thread.  Only https is allowed,
 * redirects are not followed, the certificate and host name are verified.
 * On MM_OK *out holds the result whatever the status (free with
 * mm_mta_sts_fetch_result_free()).  MM_EINVAL for a bad domain, MM_ENOMEM,
 * MM_EIO when libcurl cannot start.
 */
MM_EXTERN mm_status_t mm_mta_sts_fetch(const char *domain, const mm_mta_sts_fetch_opts *o,
                                       mm_mta_sts_fetch_result **out);
MM_EXTERN void mm_mta_sts_fetch_result_free(mm_mta_sts_fetch_result *r);

/* ---- Discovery over DNS ---- */

typedef enum mm_transport_found {
    MM_TRANSPORT_FOUND = 0, /* exactly one record of the version */
    MM_TRANSPORT_NONE,      /* no record of the version (NXDOMAIN, NODATA, other TXT) */
    MM_TRANSPORT_MULTIPLE,  /* several: RFC 8461 3.1 / RFC 8460 3 say treat as none */
    MM_TRANSPORT_TEMPERROR  /* the look-up failed temporarily: cannot tell */
} mm_transport_found;

/* "found", "none", "multiple", "temperror". */
MM_EXTERN const char *mm_transport_found_name(mm_transport_found f);

typedef struct mm_transport_item {
    mm_transport_kind kind;
    const char *query; /* the name asked */
    mm_dns_result dns_result;
    mm_transport_found found;
    size_t ntxt; /* evidence: every TXT value at the name */
    const char *const *txt;
    const mm_transport_record *record; /* FOUND: the parsed record (may be invalid); else NULL */
} mm_transport_item;

/* Owned by the lookup, valid during the callback only. */
typedef struct mm_transport_result {
    const char *domain;
    mm_transport_item items[MM_TRANSPORT_KIND_MAX_]; /* indexed by mm_transport_kind */
} mm_transport_result;

typedef void (*mm_transport_cb)(void *arg, const mm_transport_result *r);

typedef struct mm_transport mm_transport;

/* A checker over d (which must outlive it).  MM_EINVAL, MM_ENOMEM. */
MM_EXTERN mm_status_t mm_transport_create(mm_dns *d, mm_transport **out);
/* NULL is a no-op; pending look-ups are cancelled, their callbacks never called. */
MM_EXTERN void mm_transport_free(mm_transport *t);

/* Look up the three records of domain (A-labels) at once.  cb is called once
 * from mm_dns_run()/mm_dns_run_once().  MM_EINVAL for a bad name, MM_ENOMEM. */
MM_EXTERN mm_status_t mm_transport_lookup(mm_transport *t, const char *domain, mm_transport_cb cb,
                                          void *arg);

#ifdef __cplusplus
}
#endif
#endif
