/*
 * verify.h - is an address worth sending to?  The verdict that combines the
 * syntax checker (address.h), what we know of domains (domains.h), the DNS
 * (dns.h) and, when asked, an SMTP probe (smtp.h).
 *
 * A verifier takes addresses one at a time and calls back with each result
 * in the order the addresses were given, while the network work of many
 * addresses overlaps: look-ups run concurrently (bounded), each domain is
 * asked once per run, and repeated addresses are flagged (duplicate_of).  Memory is
 * bounded by the window of addresses in flight, not by the list.
 */
#ifndef MAILMEDIC_VERIFY_H
#define MAILMEDIC_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/address.h>
#include <mailmedic/dns.h>
#include <mailmedic/domains.h>
#include <mailmedic/export.h>
#include <mailmedic/smtp.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_verdict {
    MM_VERDICT_DELIVERABLE = 0,   /* the domain takes mail (and the mailbox, if probed) */
    MM_VERDICT_UNDELIVERABLE = 1, /* it will bounce: bad syntax, no such domain, no mail host... */
    MM_VERDICT_RISKY = 2,         /* may arrive but is a bad idea: catch-all, disposable, role, typo */
    MM_VERDICT_UNKNOWN = 3,       /* could not tell: temporary DNS or SMTP failure, or not checked */
} mm_verdict;

/* Stable lower-case id: "deliverable", "undeliverable", "risky", "unknown". */
MM_EXTERN const char *mm_verdict_name(mm_verdict v);

/* Why a verdict was given.  Numbers are fixed; names are stable JSON ids. */
typedef enum mm_vreason {
    MM_VR_SYNTAX = 0,         /* not a valid address (the errors say what and where) */
    MM_VR_TLD_UNKNOWN,        /* the top-level domain does not exist */
    MM_VR_DOTLESS,            /* a bare top-level domain: no one has mail there */
    MM_VR_SPECIAL_USE,        /* .test .example .invalid .localhost: never on the internet */
    MM_VR_TYPO,               /* looks like a typo of a well-known domain */
    MM_VR_DISPOSABLE,         /* a throwaway mailbox provider */
    MM_VR_ROLE,               /* a role account (info@, sales@...) read by nobody in particular */
    MM_VR_NXDOMAIN,           /* the domain does not exist */
    MM_VR_NULL_MX,            /* the domain says it takes no mail (RFC 7505) */
    MM_VR_NO_MAIL_HOST,       /* the domain exists but has no MX and no address */
    MM_VR_MX_UNRESOLVED,      /* none of the MX hosts has an address */
    MM_VR_MX_MISCONFIGURED,   /* the MX points at a loopback or private address */
    MM_VR_PARKED,             /* the domain looks parked (for sale), not in use */
    MM_VR_DNS_TEMPFAIL,       /* DNS failed for now (SERVFAIL or time-out) */
    MM_VR_SMTP_REJECTED,      /* the mail server refused the mailbox */
    MM_VR_SMTP_FULL,          /* the mail server says the mailbox is full */
    MM_VR_SMTP_TEMPFAIL,      /* the mail server said "later" (greylisting and the like) */
    MM_VR_CATCH_ALL,          /* the domain accepts any address, so acceptance proves nothing */
    MM_VR_ACCEPTS_ALL,        /* a provider that accepts every address at RCPT time */
    MM_VR_SMTP_FAILED,        /* the probe could not finish: no connection, blocked, time-out */
    MM_VR_MX_OK,              /* the domain has working mail hosts */
    MM_VR_SMTP_ACCEPTED,      /* the mail server accepted the mailbox */
    MM_VR_KNOWN_PROVIDER,     /* a well-known mail provider (offline) */
    MM_VR_NOT_CHECKED,        /* offline: the domain was not looked up */
    MM_VR_IMPLICIT_MX,        /* no MX: mail goes to the domain's own A/AAAA (RFC 5321 5.1) */
    MM_VR_MAX_
} mm_vreason;

MM_EXTERN const char *mm_vreason_name(mm_vreason r);
/* English msgid (translate with dgettext("mailmedic", ...)). */
MM_EXTERN const char *mm_vreason_message(mm_vreason r);

typedef struct mm_verify_opts {
    bool offline;             /* syntax, typos and classes only: no network at all */
    bool smtp;                /* also probe the mail server (off by default) */
    unsigned addr_flags;      /* MM_ADDR_RFC5322 */
    mm_dns_opts dns;          /* server, time-out, tries, max_inflight */
    mm_smtp_opts smtp_opts;   /* filled by mm_verify_opts_default() */
    size_t window;            /* addresses in flight at most (default 4096) */
    size_t cache_domains;     /* domains remembered per run (default 100000) */
    bool allow_private;       /* MX hosts at loopback/private addresses count as usable
                               * (intranets, tests); by default they are a misconfiguration */
} mm_verify_opts;

MM_EXTERN void mm_verify_opts_default(mm_verify_opts *o);

#define MM_VERIFY_MAX_REASONS 6

typedef struct mm_verify_result {
    uint64_t id;              /* as given to mm_verify_submit() */
    const char *input;        /* as given (borrowed for the callback) */
    size_t input_len;
    const mm_addr *addr;      /* the syntax check */
    mm_verdict verdict;
    mm_vreason reasons[MM_VERIFY_MAX_REASONS]; /* most important first */
    size_t nreasons;
    const char *suggestion;   /* a full corrected address, or NULL */
    mm_suggest_kind suggest_kind;
    unsigned classes;         /* MM_DOM_FREE | MM_DOM_DISPOSABLE | MM_DOM_KNOWN */
    const char *role;         /* canonical role name, or NULL */
    const char *provider;     /* provider's display name, or NULL */
    bool offline;             /* no network step was made */
    const mm_mx_result *mx;   /* NULL when not looked up */
    const mm_smtp_result *smtp; /* NULL when not probed */
    uint64_t duplicate_of;    /* id of the first occurrence, 0 = none (ids start at 1) */
} mm_verify_result;

typedef void (*mm_verify_cb)(void *arg, const mm_verify_result *r);

typedef struct mm_verifier mm_verifier;

/* Create a verifier; cb gets every result, in submission order. */
MM_EXTERN mm_status_t mm_verifier_create(const mm_verify_opts *o, mm_verify_cb cb, void *arg,
                                         mm_verifier **out);
MM_EXTERN void mm_verifier_free(mm_verifier *v);

/* Hand one address over (id > 0, increasing).  May call back for earlier
 * addresses, and may wait for the network when the window is full. */
MM_EXTERN mm_status_t mm_verify_submit(mm_verifier *v, uint64_t id, const char *input, size_t len);
/* Finish every address handed over. */
MM_EXTERN mm_status_t mm_verify_drain(mm_verifier *v);

#ifdef __cplusplus
}
#endif
#endif
