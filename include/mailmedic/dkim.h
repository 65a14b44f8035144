/*
 * dkim.h - DKIM (RFC 6376, RFC 8463 Ed25519, RFC 8301 crypto update):
 * signature verification of a raw message, and key-record checks for a
 * domain's selectors.
 *
 * Verification runs on the one DNS layer (dns.h): mm_dkim_verify_start()
 * parses every DKIM-Signature field of the message, computes its hashes and
 * queues one TXT query per signature on the resolver; the report is complete
 * when mm_dns_run() returns (or mm_dkim_report_done() says so), so a checkup
 * can run DKIM concurrently with its other look-ups.  mm_dkim_verify() does
 * both steps for callers that only want DKIM.
 *
 * Each signature gets one RFC 8601 result word and, when it is not "pass",
 * one reason with a stable id.  Findings that do not make a signature fail
 * (l= present, testing mode, a 1024-bit key) are notes, a bit set.
 * Temporary vs permanent: only MM_DKIM_TEMPERROR (the key query could not be
 * answered) says "try again later"; every other non-pass result is definite.
 *
 * Messages may use bare LF line ends (files on disk): they are converted to
 * CRLF before canonicalization, as dkimpy and mailauth do.
 */
#ifndef MAILMEDIC_DKIM_H
#define MAILMEDIC_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/dns.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The RFC 8601 section 2.7.1 result of one signature. */
typedef enum mm_dkim_result {
    MM_DKIM_PASS = 0,
    MM_DKIM_FAIL,      /* the hashes do not match: the message was changed */
    MM_DKIM_NEUTRAL,   /* not used by the verifier; kept for callers' own results */
    MM_DKIM_POLICY,    /* cryptographically valid, refused by policy (rsa-sha1, RFC 8301) */
    MM_DKIM_PERMERROR, /* the signature or its key can never verify */
    MM_DKIM_TEMPERROR, /* the key query failed temporarily */
    MM_DKIM_RESULT_MAX_
} mm_dkim_result;

/* "pass", "fail", "neutral", "policy", "permerror", "temperror"; "unknown" outside. */
MM_EXTERN const char *mm_dkim_result_name(mm_dkim_result r);

/* Why a signature did not pass.  The ids (mm_dkim_reason_name) are stable. */
typedef enum mm_dkim_reason {
    MM_DKIM_R_NONE = 0,              /* "none": it passed */
    MM_DKIM_R_BODY_HASH_MISMATCH,    /* "body_hash_mismatch" (also: body shorter than l=) */
    MM_DKIM_R_SIGNATURE_MISMATCH,    /* "signature_mismatch": b= does not verify */
    MM_DKIM_R_KEY_NOT_FOUND,         /* "key_not_found": NXDOMAIN/NODATA, or no DKIM1 record */
    MM_DKIM_R_KEY_TEMPERROR,         /* "key_temperror": time-out, SERVFAIL, ... */
    MM_DKIM_R_KEY_REVOKED,           /* "key_revoked": p= is empty */
    MM_DKIM_R_KEY_SYNTAX,            /* "key_syntax": bad tag list, base64 or key data */
    MM_DKIM_R_KEY_INAPPROPRIATE,     /* "key_inappropriate": k=, h=, s= or t=s forbid this use */
    MM_DKIM_R_KEY_TOO_SMALL,         /* "key_too_small": RSA < 1024 bits (RFC 8301 3.2) */
    MM_DKIM_R_EXPIRED,               /* "expired": x= is in the past */
    MM_DKIM_R_SIGNATURE_SYNTAX,      /* "signature_syntax": tag list, missing tag, v=, d=, ... */
    MM_DKIM_R_UNSUPPORTED_ALGORITHM, /* "unsupported_algorithm": a= not registered */
    MM_DKIM_R_HEADER_MISSING_FROM,   /* "header_missing_from": h= does not list From */
    MM_DKIM_R_DOMAIN_MISMATCH,       /* "domain_mismatch": i= is not d= or below it */
    MM_DKIM_R_WEAK_ALGORITHM,        /* "weak_algorithm": rsa-sha1 (RFC 8301 3.1) */
    MM_DKIM_R_INTERNAL,              /* "internal": out of memory, crypto library failure */
    MM_DKIM_REASON_MAX_
} mm_dkim_reason;

MM_EXTERN const char *mm_dkim_reason_name(mm_dkim_reason r);
/* One English sentence (an N_() msgid: translate with dgettext("mailmedic", ...)). */
MM_EXTERN const char *mm_dkim_reason_message(mm_dkim_reason r);

/* Findings that do not change the result (bits of mm_dkim_sig.notes). */
enum {
    MM_DKIM_NOTE_L_TAG = 1u << 0,    /* "l_tag": l= is used; content may follow the signed part */
    MM_DKIM_NOTE_L_EXTRA = 1u << 1,  /* "l_extra": there IS unsigned body content after l= */
    MM_DKIM_NOTE_TESTING = 1u << 2,  /* "testing_mode": the key has t=y */
    MM_DKIM_NOTE_WEAK_KEY = 1u << 3, /* "weak_key": RSA key under 2048 bits */
    MM_DKIM_NOTE_SHA1 = 1u << 4,     /* "rsa_sha1": a=rsa-sha1 or a key limited to h=sha1 */
    MM_DKIM_NOTE_EXPIRED = 1u << 5,  /* "expired": x= is past (with ignore_expiry) */
    MM_DKIM_NOTE_FUTURE = 1u << 6,   /* "future_timestamp": t= is in the future */
    MM_DKIM_NOTE_MAX_ = 1u << 7
};

/* Stable id and English msgid of one note bit; "unknown"/"" for others. */
MM_EXTERN const char *mm_dkim_note_name(unsigned note);
MM_EXTERN const char *mm_dkim_note_message(unsigned note);

/* One DKIM-Signature field, in the order the fields appear (top-down). */
typedef struct mm_dkim_sig {
    mm_dkim_result result;
    mm_dkim_reason reason;  /* MM_DKIM_R_NONE when result is pass */
    unsigned notes;         /* MM_DKIM_NOTE_* */
    const char *domain;     /* d= as written ("" when absent) */
    const char *selector;   /* s= */
    const char *algorithm;  /* a= */
    const char *identity;   /* i=, "" when absent (then "@" d= is implied) */
    const char *canon;      /* "header/body", e.g. "relaxed/simple" (defaults filled in) */
    const char *headers;    /* h= as written */
    const char *key_type;   /* "rsa", "ed25519", or "" when no key was read */
    unsigned key_bits;      /* RSA modulus bits, 256 for Ed25519, 0 without a key */
    long long t, x, l;      /* the tags' values, -1 when absent */
    size_t body_len;        /* length of the canonicalized body (before l=) */
    const char *key_record; /* the TXT record as fetched, "" when none */
    const char *detail;     /* English detail for logs (not translated), "" if none */
} mm_dkim_sig;

typedef struct mm_dkim_opts {
    long long now;            /* the time for x= and t= (seconds since 1970); 0 = time(NULL) */
    bool ignore_expiry;       /* a past x= is a note instead of a permerror */
    size_t max_signatures;    /* DKIM-Signature fields evaluated (default 16); more are ignored */
    size_t max_message_bytes; /* larger messages are refused with MM_ETOOBIG (default 64 MiB):
                               * the body hash needs every byte, so none can be skipped */
} mm_dkim_opts;

typedef struct mm_dkim_report mm_dkim_report;

/*
 * Verify every DKIM-Signature of msg[0..len) (the raw RFC 5322 message,
 * header and body, CRLF or LF line ends).  The message is copied: it need
 * not outlive the call.  o may be NULL.  On MM_OK *out owns a report, to be
 * freed with mm_dkim_report_free(); it fills in while the caller runs dns
 * (mm_dns_run), which must outlive the report or the report must be freed
 * first.  MM_EINVAL for NULL arguments, MM_ETOOBIG past max_message_bytes,
 * MM_ENOMEM.  A message without signatures gives a report with none.
 */
MM_EXTERN mm_status_t mm_dkim_verify_start(mm_dns *dns, const char *msg, size_t len,
                                           const mm_dkim_opts *o, mm_dkim_report **out);

/* mm_dkim_verify_start() followed by mm_dns_run(dns). */
MM_EXTERN mm_status_t mm_dkim_verify(mm_dns *dns, const char *msg, size_t len,
                                     const mm_dkim_opts *o, mm_dkim_report **out);

/* True when every signature has its result. */
MM_EXTERN bool mm_dkim_report_done(const mm_dkim_report *r);
MM_EXTERN size_t mm_dkim_report_count(const mm_dkim_report *r);
/* The i-th signature (top-down), NULL past the end; borrowed from r. */
MM_EXTERN const mm_dkim_sig *mm_dkim_report_sig(const mm_dkim_report *r, size_t i);
/* Free a report; NULL is a no-op.  Its pending queries are cancelled. */
MM_EXTERN void mm_dkim_report_free(mm_dkim_report *r);

/* ---- Key records (RFC 6376 section 3.6.1) ---- */

/* What a key record says.  reason is MM_DKIM_R_NONE for a usable key, or one of
 * key_not_found, key_temperror, key_revoked, key_syntax, key_too_small,
 * key_inappropriate (s= excludes email). */
typedef struct mm_dkim_key_info {
    const char *selector; /* as asked ("" for mm_dkim_key_parse) */
    const char *name;     /* "<selector>._domainkey.<domain>" ("" for parse) */
    mm_dkim_reason reason;
    unsigned notes;       /* MM_DKIM_NOTE_TESTING, _WEAK_KEY, _SHA1 (h=sha1 only) */
    const char *key_type; /* "rsa", "ed25519", or k= as written when unknown */
    unsigned key_bits;
    bool strict;        /* t=s: i= must equal d= */
    const char *record; /* the record text, "" when none */
    const char *detail; /* English detail, "" if none */
} mm_dkim_key_info;

/*
 * Parse and check one key record's text rec[0..len) without DNS (zone files,
 * a record the user pastes).  On MM_OK *out owns a key info freed with
 * mm_dkim_key_info_free(); its reason says whether the key is usable.
 */
MM_EXTERN mm_status_t mm_dkim_key_parse(const char *rec, size_t len, mm_dkim_key_info **out);
MM_EXTERN void mm_dkim_key_info_free(mm_dkim_key_info *k);

/* A selector to try when the user does not know theirs. */
typedef struct mm_dkim_selector {
    const char *selector;
    const char *used_by; /* who publishes it, e.g. "Google Workspace" */
    const char *source;  /* where that is documented, or why it is a guess */
} mm_dkim_selector;

/* The built-in list of common selectors (a read-only table). */
MM_EXTERN const mm_dkim_selector *mm_dkim_common_selectors(size_t *n);

typedef struct mm_dkim_keycheck mm_dkim_keycheck;

/*
 * Fetch and check <selector>._domainkey.<domain> for each of selectors[0..n)
 * (n == 0: the common list).  Queries go on dns like mm_dkim_verify_start();
 * results are complete after mm_dns_run().  domain is ASCII (A-labels); a
 * name the DNS layer refuses (too long) gives key_not_found for that
 * selector.  MM_EINVAL for an empty domain, MM_ENOMEM.  Free with
 * mm_dkim_keycheck_free(), which cancels queries still pending.
 */
MM_EXTERN mm_status_t mm_dkim_keycheck_start(mm_dns *dns, const char *domain,
                                             const char *const *selectors, size_t n,
                                             mm_dkim_keycheck **out);
/* As mm_dkim_keycheck_start() followed by mm_dns_run(dns). */
MM_EXTERN mm_status_t mm_dkim_keycheck_run(mm_dns *dns, const char *domain,
                                           const char *const *selectors, size_t n,
                                           mm_dkim_keycheck **out);
MM_EXTERN size_t mm_dkim_keycheck_count(const mm_dkim_keycheck *k);
/* The i-th selector's result, in the order asked; borrowed from k. */
MM_EXTERN const mm_dkim_key_info *mm_dkim_keycheck_get(const mm_dkim_keycheck *k, size_t i);
MM_EXTERN void mm_dkim_keycheck_free(mm_dkim_keycheck *k);

#ifdef __cplusplus
}
#endif
#endif
