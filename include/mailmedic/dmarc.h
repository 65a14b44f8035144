/*
 * dmarc.h - DMARC (RFC 7489): the policy record, the Organizational Domain,
 * record discovery, external report destinations, and alignment.
 *
 * Four layers, each usable alone:
 *   mm_dmarc_parse()        one TXT value -> an mm_dmarc_record: every tag
 *                           validated, defaults applied, the 6.6.3 step 6
 *                           outcome (usable, act as p=none, ignore), and lint
 *                           findings with stable ids for the checkup report.
 *   mm_dmarc_org_domain()   RFC 7489 3.2 with the Public Suffix List (libpsl).
 *   mm_dmarc_discover()     6.6.3 steps 1-5 over the DNS layer: _dmarc.<domain>,
 *                           then _dmarc.<org domain>; plus the external
 *                           destination check of 7.1 for every rua/ruf URI.
 *   mm_dmarc_evaluate()     strict/relaxed alignment of SPF and DKIM
 *                           identifiers with the RFC5322.From domain (3.1) and
 *                           the policy to apply, with sp and pct (6.6.4).
 *
 * DMARCbis (draft-ietf-dmarc-dmarcbis) differences, as far as they are
 * implemented: np=, t= and psd= are parsed and validated (and reported) but do
 * not change RFC 7489 results: under RFC 7489 they are unknown tags.  The bis
 * tree walk replacing the PSL is not implemented; pct=, rf= and ri= are
 * reported by the lint as dropped in DMARCbis.
 *
 * Strings are ASCII domain names (A-labels); names compare without case.
 */
#ifndef MAILMEDIC_DMARC_H
#define MAILMEDIC_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/dns.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- The record (RFC 7489 6.3, 6.4) ---- */

typedef enum mm_dmarc_policy {
    MM_DMARC_POLICY_UNSET = 0, /* tag absent (or invalid and discarded) */
    MM_DMARC_POLICY_NONE,
    MM_DMARC_POLICY_QUARANTINE,
    MM_DMARC_POLICY_REJECT
} mm_dmarc_policy;

/* "unset", "none", "quarantine", "reject". */
MM_EXTERN const char *mm_dmarc_policy_name(mm_dmarc_policy p);

typedef enum mm_dmarc_mode {
    MM_DMARC_RELAXED = 0, /* 'r': Organizational Domains match (default) */
    MM_DMARC_STRICT       /* 's': exact domain match */
} mm_dmarc_mode;

/* What a receiver does with a record (RFC 7489 6.6.3 steps 2 and 6). */
typedef enum mm_dmarc_outcome {
    MM_DMARC_OUTCOME_POLICY = 0,    /* usable record */
    MM_DMARC_OUTCOME_FALLBACK_NONE, /* p invalid/absent or sp invalid, but rua holds a valid
                                     * URI: act as if p=none (step 6.1); p and sp are NONE */
    MM_DMARC_OUTCOME_IGNORE         /* not DMARC, or no DMARC processing (steps 2, 6.2) */
} mm_dmarc_outcome;

/* "policy", "fallback-none", "ignore" (the words of the test table). */
MM_EXTERN const char *mm_dmarc_outcome_name(mm_dmarc_outcome o);

typedef enum mm_dmarc_severity {
    MM_DMARC_INFO = 0, /* worth knowing, nothing to fix */
    MM_DMARC_WARN,     /* works, but weakens protection or reporting */
    MM_DMARC_ERROR     /* a syntax error: a value or the whole record is discarded */
} mm_dmarc_severity;

/* "info", "warn", "error". */
MM_EXTERN const char *mm_dmarc_severity_name(mm_dmarc_severity s);

/*
 * One lint finding.  id is stable (for JSON and tests), e.g. "p_none",
 * "pct_partial", "no_rua", "sp_weaker", "duplicate_tag", "bad_whitespace",
 * "invalid_pct", "invalid_rua_uri", "not_dmarc"; the full list is the table
 * in src/lib/dmarc/lint.c.  message is an English N_() msgid (translate with
 * dgettext("mailmedic", ...)); tag names the tag concerned ("" if none) and
 * value is the offending text as published ("" if none).
 */
typedef struct mm_dmarc_lint {
    const char *id;
    mm_dmarc_severity severity;
    const char *message;
    const char *tag;
    const char *value;
} mm_dmarc_lint;

/* A report URI (RFC 7489 6.2, 6.4 dmarc-uri). */
typedef struct mm_dmarc_uri {
    const char *text; /* as kept: the URI with its "!size" suffix, e.g. "mailto:a@b.example!10m" */
    const char *uri;  /* the URI alone, e.g. "mailto:a@b.example" */
    const char *domain; /* lower-case host of a mailto: URI ("" for other schemes) */
    uint64_t max_size;  /* bytes from the suffix (k/m/g/t are powers of 1024), 0 = no limit */
    bool mailto;        /* the scheme is mailto (the only one receivers are required to use) */
} mm_dmarc_uri;

#define MM_DMARC_MAX_URIS 16 /* URIs kept per tag; more are reported, not kept */
#define MM_DMARC_MAX_LINTS 32
#define MM_DMARC_MAX_RECORD 65536 /* longer TXT values are refused (MM_ETOOBIG) */

/* fo= bits (RFC 7489 6.3 fo). */
enum { MM_DMARC_FO_0 = 1, MM_DMARC_FO_1 = 2, MM_DMARC_FO_D = 4, MM_DMARC_FO_S = 8 };

/*
 * A parsed record.  Read-only; everything in it lives until
 * mm_dmarc_record_free().  The effective values have defaults applied
 * (sp inherits p, pct 100, adkim/aspf relaxed, fo 0, rf afrf, ri 86400);
 * the has_* flags say whether the tag was published with a valid value.
 */
typedef struct mm_dmarc_record {
    const char *text; /* the TXT value as given */
    mm_dmarc_outcome outcome;
    const char *ignore_reason; /* lint id explaining IGNORE ("not_dmarc", "no_policy", "invalid_p",
                                * "invalid_sp"), NULL otherwise */
    mm_dmarc_policy p, sp;     /* effective (NONE for FALLBACK_NONE, UNSET for IGNORE) */
    mm_dmarc_policy published_p, published_sp; /* valid values as published, or UNSET */
    unsigned pct;                              /* 0..100 */
    mm_dmarc_mode adkim, aspf;
    unsigned fo;    /* MM_DMARC_FO_* bits */
    const char *rf; /* "afrf" by default */
    uint32_t ri;    /* seconds */
    bool has_pct, has_adkim, has_aspf, has_fo, has_rf, has_ri;
    size_t nrua, nruf;
    const mm_dmarc_uri *rua, *ruf; /* the syntactically valid URIs, as published */
    /* DMARCbis (not used by the RFC 7489 result) */
    mm_dmarc_policy np; /* UNSET when absent */
    char t;             /* 'y', 'n', or 0 when absent */
    char psd;           /* 'y', 'n', 'u', or 0 when absent */
    size_t nlints;
    const mm_dmarc_lint *lints;
} mm_dmarc_record;

/*
 * Parse one TXT value (the character-strings already joined, RFC 7489 6.6.3
 * step 1; len bytes, NULs allowed and treated as syntax errors).  On MM_OK
 * *out owns a record freed with mm_dmarc_record_free(); a text that is not
 * DMARC at all still gives MM_OK with outcome IGNORE and ignore_reason
 * "not_dmarc".  MM_EINVAL for NULL arguments, MM_ETOOBIG past
 * MM_DMARC_MAX_RECORD bytes, MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_dmarc_parse(const char *txt, size_t len, mm_dmarc_record **out);

/* Free a record; NULL is a no-op. */
MM_EXTERN void mm_dmarc_record_free(mm_dmarc_record *r);

/* True when txt starts with a v=DMARC1 tag (6.6.3 step 2: other TXT records are discarded). */
MM_EXTERN bool mm_dmarc_is_dmarc(const char *txt, size_t len);

/* ---- The checker: Public Suffix List and resolver ---- */

typedef struct mm_dmarc mm_dmarc;

typedef struct mm_dmarc_opts {
    const char *psl_file; /* a PSL file (.dat or .dafsa) to pin the data, e.g. in tests;
                           * NULL = the system list (psl_latest), or libpsl's built-in one */
    bool no_external;     /* do not verify external report destinations (7.1) */
} mm_dmarc_opts;

/*
 * A checker over d (may be NULL when only org-domain and evaluation
 * functions are used; d must outlive the checker).  o may be NULL.
 * MM_EIO when psl_file cannot be loaded, MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_dmarc_create(mm_dns *d, const mm_dmarc_opts *o, mm_dmarc **out);

/* Free a checker; NULL is a no-op.  Its pending queries are cancelled. */
MM_EXTERN void mm_dmarc_free(mm_dmarc *c);

/*
 * The Organizational Domain of domain (RFC 7489 3.2: the PSL registrable
 * domain), lower-case, written to out.  Accepts mixed case and UTF-8
 * (U-labels give U-labels, A-labels give A-labels); a trailing dot is
 * ignored.  MM_ENOTFOUND when there is none (domain is a public suffix, empty
 * label, leading dot), MM_ETOOBIG when out is too small, MM_EINVAL.
 */
MM_EXTERN mm_status_t mm_dmarc_org_domain(const mm_dmarc *c, const char *domain, char *out,
                                          size_t outlen);

/* ---- Discovery (6.6.3 steps 1-5) and external destinations (7.1) ---- */

typedef enum mm_dmarc_found {
    MM_DMARC_FOUND = 0, /* one DMARC record at _dmarc.<domain> */
    MM_DMARC_FOUND_ORG, /* none there; one at _dmarc.<org domain> */
    MM_DMARC_NONE,      /* no DMARC record (step 4): no DMARC processing */
    MM_DMARC_MULTIPLE,  /* several v=DMARC1 records at one name (step 5): none applies */
    MM_DMARC_TEMPERROR  /* a look-up failed temporarily: could not tell */
} mm_dmarc_found;

/* "found", "found_org", "none", "multiple", "temperror". */
MM_EXTERN const char *mm_dmarc_found_name(mm_dmarc_found f);

/* The 7.1 verdict on one report URI. */
typedef enum mm_dmarc_dest_status {
    MM_DMARC_DEST_INTERNAL = 0, /* same Organizational Domain: no check needed */
    MM_DMARC_DEST_AUTHORIZED,   /* <policy>._report._dmarc.<dest> has a v=DMARC1 record */
    MM_DMARC_DEST_UNAUTHORIZED, /* it has none: receivers MUST NOT send reports there */
    MM_DMARC_DEST_TEMPERROR,    /* the look-up failed temporarily */
    MM_DMARC_DEST_NOT_CHECKED   /* not a mailto: URI, or checks disabled */
} mm_dmarc_dest_status;

/* "internal", "authorized", "unauthorized", "temperror", "not_checked". */
MM_EXTERN const char *mm_dmarc_dest_status_name(mm_dmarc_dest_status s);

typedef struct mm_dmarc_dest {
    const mm_dmarc_uri *uri; /* points into the record */
    bool ruf;                /* from ruf= (else rua=) */
    mm_dmarc_dest_status status;
    const char *query; /* "<policy>._report._dmarc.<dest>", "" when not asked */
    mm_dns_result dns_result;
    const char *record; /* AUTHORIZED: the v=DMARC1 TXT value found there (evidence; its own
                         * rua=/ruf= may override the destination, 7.1 step 6: not applied
                         * here), else "" */
} mm_dmarc_dest;

/*
 * The result of a discovery.  Everything is owned by the lookup and valid
 * during the callback only (copy what you keep).
 */
typedef struct mm_dmarc_lookup {
    const char *domain;     /* as asked, lower-case */
    const char *org_domain; /* "" when the domain has none */
    mm_dmarc_found found;
    const char *policy_domain;    /* where the record was found ("" if none) */
    mm_dns_result dns_result;     /* the _dmarc.<domain> query */
    mm_dns_result org_dns_result; /* the _dmarc.<org> query (MM_DNS_ERROR if not made) */
    size_t ntxt;                  /* evidence: the TXT values at the deciding name */
    const char *const *txt;
    const mm_dmarc_record *record; /* FOUND/FOUND_ORG: the record (its outcome may be
                                    * IGNORE, e.g. v=DMARC1 without p or rua); else NULL */
    size_t ndests;
    const mm_dmarc_dest *dests; /* rua then ruf URIs, with their 7.1 verdict */
} mm_dmarc_lookup;

typedef void (*mm_dmarc_cb)(void *arg, const mm_dmarc_lookup *r);

/*
 * Discover the DMARC record for domain (the RFC5322.From domain, A-labels).
 * cb is called once, from mm_dns_run()/mm_dns_run_once().  MM_EINVAL without
 * a resolver or for a bad name; MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_dmarc_discover(mm_dmarc *c, const char *domain, mm_dmarc_cb cb, void *arg);

/*
 * The 7.1 query name "<policy_domain>._report._dmarc.<dest_domain>" in out.
 * MM_ETOOBIG when it does not fit (or is longer than 253), MM_EINVAL.
 */
MM_EXTERN mm_status_t mm_dmarc_report_name(const char *policy_domain, const char *dest_domain,
                                           char *out, size_t outlen);

/* ---- Alignment and the DMARC result (3.1, 6.6.2, 6.6.4) ---- */

/* An authentication result as SPF or DKIM gave it; only PASS counts for DMARC. */
typedef enum mm_dmarc_auth_result {
    MM_DMARC_AUTH_NONE = 0,
    MM_DMARC_AUTH_PASS,
    MM_DMARC_AUTH_FAIL,
    MM_DMARC_AUTH_TEMPERROR,
    MM_DMARC_AUTH_PERMERROR
} mm_dmarc_auth_result;

typedef struct mm_dmarc_dkim {
    const char *domain; /* the signature's d= */
    mm_dmarc_auth_result result;
} mm_dmarc_dkim;

typedef struct mm_dmarc_auth {
    const char *from_domain; /* RFC5322.From domain */
    const char *spf_domain;  /* RFC5321.MailFrom domain (or HELO when MAIL FROM is empty) */
    mm_dmarc_auth_result spf;
    size_t ndkim;
    const mm_dmarc_dkim *dkim;
} mm_dmarc_auth;

/*
 * True when domain a is aligned with from in the given mode: strict = the
 * same name; relaxed = the same Organizational Domain (a name without one is
 * only aligned with itself).
 */
MM_EXTERN bool mm_dmarc_aligned(const mm_dmarc *c, const char *from, const char *a,
                                mm_dmarc_mode mode);

typedef enum mm_dmarc_result {
    MM_DMARC_RESULT_NONE = 0, /* no usable policy */
    MM_DMARC_RESULT_PASS,     /* an aligned SPF or DKIM pass */
    MM_DMARC_RESULT_FAIL,
    MM_DMARC_RESULT_TEMPERROR, /* discovery failed temporarily */
    MM_DMARC_RESULT_PERMERROR  /* several records (6.6.3 step 5) */
} mm_dmarc_result;

/* "none", "pass", "fail", "temperror", "permerror" (RFC 8601 dmarc= values). */
MM_EXTERN const char *mm_dmarc_result_name(mm_dmarc_result r);

typedef struct mm_dmarc_verdict {
    mm_dmarc_result result;
    bool spf_aligned;        /* SPF passed for an aligned domain */
    bool dkim_aligned;       /* some DKIM pass with an aligned d= */
    const char *dkim_domain; /* the first aligned passing d= (borrowed from the input), or NULL */
    bool subdomain_policy;   /* sp applied (From is below the domain of the record) */
    mm_dmarc_policy policy;  /* the policy requested (p or sp) on failure, NONE on pass */
    mm_dmarc_policy applied; /* after pct sampling (6.6.4): one step weaker when not sampled */
    bool sampled_out;        /* pct excluded this message */
} mm_dmarc_verdict;

/*
 * The DMARC result for one message under rec, found at policy_domain.
 * sample is the caller's random draw in 0..99 (the library keeps no random
 * state): the policy applies when sample < pct, otherwise the next weaker one
 * (reject -> quarantine, quarantine -> none).  A record whose outcome is
 * IGNORE gives RESULT_PERMERROR (a broken DMARC record, RFC 8601 2.7.1), or
 * RESULT_NONE when it is not DMARC at all (ignore_reason "not_dmarc").
 * MM_EINVAL for NULL arguments.
 */
MM_EXTERN mm_status_t mm_dmarc_evaluate(const mm_dmarc *c, const mm_dmarc_record *rec,
                                        const char *policy_domain, const mm_dmarc_auth *in,
                                        unsigned sample, mm_dmarc_verdict *out);

/* As mm_dmarc_evaluate() on a discovery: NONE, MULTIPLE (permerror) and
 * TEMPERROR map to their results. */
MM_EXTERN mm_status_t mm_dmarc_evaluate_lookup(const mm_dmarc *c, const mm_dmarc_lookup *lk,
                                               const mm_dmarc_auth *in, unsigned sample,
                                               mm_dmarc_verdict *out);

#ifdef __cplusplus
}
#endif
#endif
