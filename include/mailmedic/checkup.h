/*
 * checkup.h - the sender's health report (`mailmedic checkup`): SPF, DKIM,
 * DMARC, MX, reverse DNS, blocklists (dnsbl.h) and MTA-STS / TLS-RPT / BIMI
 * (transport.h) of one sending domain (and IP), each section with
 * a status, findings, evidence and the fix; an overall grade; and a verdict
 * against the big receivers' published sender rules.
 *
 * One call, mm_checkup_run(), starts every independent look-up on the one DNS
 * layer at once (DKIM keys or signatures, DMARC discovery, MX, PTR, the
 * blocklists, the MTA-STS/TLS-RPT/BIMI records), then runs SPF (whose
 * check_host() drives the same resolver, so the others progress meanwhile),
 * then waits for the rest; last, with a valid MTA-STS record, it fetches the
 * policy over HTTPS (blocking, unless opts->no_policy_fetch).  The report is
 * plain data: the CLI renders it as text (zh/en), JSON or Markdown.
 *
 * Strings meant for people (finding messages, fix texts, verdict reasons)
 * are English N_() msgids: translate with dgettext("mailmedic", ...).  They
 * hold no printf directives: the variable part is in a separate field
 * (finding->detail, fix->value).
 */
#ifndef MAILMEDIC_CHECKUP_H
#define MAILMEDIC_CHECKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/dkim.h>
#include <mailmedic/dmarc.h>
#include <mailmedic/dns.h>
#include <mailmedic/export.h>
#include <mailmedic/spf.h>
#include <mailmedic/status.h>
#include <mailmedic/transport.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_checkup_status {
    MM_CHECKUP_OK = 0,
    MM_CHECKUP_WARN,
    MM_CHECKUP_FAIL,
    MM_CHECKUP_UNKNOWN,     /* could not tell: a DNS failure, or no data (e.g. no --ip) */
    MM_CHECKUP_NOT_CHECKED, /* the section was not run */
    MM_CHECKUP_STATUS_MAX_
} mm_checkup_status;
/* "ok", "warn", "fail", "unknown", "not_checked". */
MM_EXTERN const char *mm_checkup_status_name(mm_checkup_status s);

typedef enum mm_checkup_section_id {
    MM_CHECKUP_SPF = 0,
    MM_CHECKUP_DKIM,
    MM_CHECKUP_DMARC,
    MM_CHECKUP_MX,
    MM_CHECKUP_PTR,
    MM_CHECKUP_DNSBL,  /* the IP and the domain against the blocklists (dnsbl.h) */
    MM_CHECKUP_MTASTS, /* MTA-STS (record, policy, MX coverage), TLS-RPT, BIMI (transport.h) */
    MM_CHECKUP_SECTION_MAX_
} mm_checkup_section_id;
/* "spf", "dkim", "dmarc", "mx", "ptr", "dnsbl", "mta_sts". */
MM_EXTERN const char *mm_checkup_section_name(mm_checkup_section_id s);

/* One finding.  id is stable (e.g. "spf.pass_all", "ptr.not_fcrdns"). */
typedef struct mm_checkup_finding {
    const char *id;
    mm_checkup_status severity; /* OK (info), WARN, FAIL or UNKNOWN */
    const char *message;        /* English N_() msgid, no directives */
    const char *detail;         /* the variable part (term, count, name), "" if none */
} mm_checkup_finding;

/* The exact fix: what to do (msgid), where (a DNS name, "" if none) and what
 * to publish (a record, "" if none). */
typedef struct mm_checkup_fix {
    const char *message;
    const char *name;
    const char *value;
} mm_checkup_fix;

typedef struct mm_checkup_section {
    mm_checkup_section_id id;
    mm_checkup_status status;
    size_t nfindings;
    const mm_checkup_finding *findings;
    size_t nevidence;
    const char *const *evidence; /* the records as fetched, "NAME TYPE value" lines */
    size_t nfixes;
    const mm_checkup_fix *fixes;
} mm_checkup_section;

typedef enum mm_checkup_verdict_status {
    MM_VERDICT_MET = 0,
    MM_VERDICT_NOT_MET,
    MM_VERDICT_CANNOT_TELL
} mm_checkup_verdict_status;
/* "met", "not_met", "cannot_tell". */
MM_EXTERN const char *mm_checkup_verdict_name(mm_checkup_verdict_status s);

/* One receiver's rule set, judged. */
typedef struct mm_checkup_verdict {
    const char *id;       /* "google", "yahoo", "microsoft", "qq", "netease", "aliyun" */
    const char *receiver; /* English msgid: "Google (2024 bulk sender rules)" */
    mm_checkup_verdict_status status;
    const char *reason;   /* English msgid: the first unmet or unknown requirement */
    const char *source;   /* URL of the rules (not translated) */
} mm_checkup_verdict;

/* A hosted mail provider's SPF include and DKIM selector convention. */
typedef struct mm_checkup_provider {
    const char *id;          /* "tencent", "netease", "aliyun", "google", "microsoft" */
    const char *name;        /* "Tencent Exmail" */
    const char *spf_include; /* "spf.mail.qq.com" */
    const char *selectors;   /* space-separated DKIM selectors, "" if per-customer */
    const char *source;      /* where this is documented */
} mm_checkup_provider;
MM_EXTERN const mm_checkup_provider *mm_checkup_providers(size_t *n);
/* The provider with this id, NULL if unknown. */
MM_EXTERN const mm_checkup_provider *mm_checkup_provider_find(const char *id);

typedef struct mm_checkup_opts {
    const char *ip;        /* the sending IP (IPv4 or IPv6), NULL if unknown */
    const char *mail_from; /* envelope sender, NULL: postmaster@domain */
    const char *helo;      /* HELO/EHLO name, NULL if unknown */
    const char *const *selectors; /* DKIM selectors; n == 0: the common list */
    size_t nselectors;
    const char *message;   /* a raw message to verify (DKIM, DMARC), NULL if none */
    size_t message_len;
    const char *provider;  /* provider id for the fix texts, NULL if unknown */
    const char *psl_file;  /* pin the Public Suffix List (tests), NULL = system */
    unsigned sections;     /* bit (1u << mm_checkup_section_id) per section to run; 0 = all */
    bool no_policy_fetch;  /* mta_sts: do not fetch the policy over HTTPS (finding
                            * "mta_sts.policy_not_fetched"); the MX are then not compared */
    const mm_mta_sts_fetch_opts *sts_fetch; /* the policy fetch (tests: port, CA, resolve);
                            * NULL = defaults with a 5-second time-out */
} mm_checkup_opts;

typedef struct mm_checkup mm_checkup;

/*
 * Run the checkup of domain (ASCII, A-labels) over d.  Without a domain
 * (NULL), only the sections that need none run (ptr with opts->ip, dkim with
 * a message).  On MM_OK *out owns the report, freed with mm_checkup_free().
 * MM_EINVAL for a bad ip or missing arguments, MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_checkup_run(mm_dns *d, const char *domain, const mm_checkup_opts *o,
                                     mm_checkup **out);
MM_EXTERN void mm_checkup_free(mm_checkup *c);

MM_EXTERN const char *mm_checkup_domain(const mm_checkup *c);
/* A section; NULL when it was not run. */
MM_EXTERN const mm_checkup_section *mm_checkup_section_get(const mm_checkup *c,
                                                           mm_checkup_section_id id);
/* The overall grade 'A'..'F' (docs/CHECKUP.md): 100 points, minus 30 per
 * failed core section (spf, dkim, dmarc), 20 per other failed section, 10
 * per warning section; unknown and not-checked sections cost nothing.
 * A >= 90, B >= 75, C >= 60, D >= 40, else F. */
MM_EXTERN char mm_checkup_grade(const mm_checkup *c);
MM_EXTERN int mm_checkup_score(const mm_checkup *c);
MM_EXTERN size_t mm_checkup_nverdicts(const mm_checkup *c);
MM_EXTERN const mm_checkup_verdict *mm_checkup_verdict_at(const mm_checkup *c, size_t i);

/* The underlying results, for callers wanting detail (NULL when not run). */
MM_EXTERN const mm_spf_lint *mm_checkup_spf_lint(const mm_checkup *c);
/* check_host() for --ip with the MAIL FROM identity (or postmaster@domain). */
MM_EXTERN const mm_spf_eval *mm_checkup_spf_eval(const mm_checkup *c);
/* check_host() for the HELO identity, NULL without helo and ip. */
MM_EXTERN const mm_spf_eval *mm_checkup_spf_helo_eval(const mm_checkup *c);
MM_EXTERN const mm_dkim_report *mm_checkup_dkim_report(const mm_checkup *c);
MM_EXTERN const mm_dkim_keycheck *mm_checkup_dkim_keys(const mm_checkup *c);

/* The DMARC result for --message (RESULT_NONE without a message). */
typedef struct mm_checkup_dmarc_info {
    bool found;
    const char *policy_domain; /* "" when none */
    const char *record;        /* "" when none */
    const char *policy;        /* "none", "quarantine", "reject", "unset" */
    bool has_message;
    const char *from_domain;   /* of the message, "" */
    mm_dmarc_verdict verdict;
} mm_checkup_dmarc_info;
MM_EXTERN const mm_checkup_dmarc_info *mm_checkup_dmarc(const mm_checkup *c);

/* The PTR check of the IP. */
typedef struct mm_checkup_ptr_info {
    const char *ip;
    const char *ptr_name;   /* the reverse name asked */
    mm_dns_result result;   /* the PTR look-up */
    size_t nnames;
    const char *const *names; /* PTR targets */
    bool fcrdns;            /* some target's A/AAAA holds the IP */
    const char *confirmed;  /* that target, "" if none */
    bool generic;           /* the (confirmed or first) name looks generic/dynamic */
    bool helo_match;        /* helo given and equal to a confirmed name */
    bool temporary;         /* a look-up failed temporarily */
} mm_checkup_ptr_info;
MM_EXTERN const mm_checkup_ptr_info *mm_checkup_ptr(const mm_checkup *c);

/* The blocklist verdicts, one per list asked (skipped lists left out). */
typedef struct mm_checkup_dnsbl_item {
    const char *list;       /* the list id ("spamhaus-zen") */
    const char *name;       /* "Spamhaus ZEN (SBL, CSS, XBL, PBL)" */
    const char *kind;       /* "ip" or "domain" */
    const char *status;     /* mm_dnsbl_status_name(): "listed", "not_listed", "refused", ... */
    const char *query;      /* the name asked */
    const char *codes;      /* the answers with their meaning ids, "127.0.0.2 (sbl)", "" */
    const char *txt;        /* the TXT reason of a listing, "" */
    const char *delist_url; /* where to ask for removal ("" if none) */
    bool major;             /* a listing here fails the section (else warns) */
} mm_checkup_dnsbl_item;
/* The items of the dnsbl section (*n set; NULL and 0 when it was not run). */
MM_EXTERN const mm_checkup_dnsbl_item *mm_checkup_dnsbl_items(const mm_checkup *c, size_t *n);

/* The generic-name heuristic: true when name holds the IP's digits (in any
 * order of octets, dashes/dots) or words like dynamic, dhcp, pool, dsl,
 * cable, ppp, dial, broadband, static-ip, client, host-. */
MM_EXTERN bool mm_checkup_ptr_generic(const char *name, const char *ip);

/* ---- Offline mode: zone files (`checkup --zone FILE`) ---- */

/* An in-memory DNS database read from RFC 1035 master files (a subset:
 * $ORIGIN, $TTL, parentheses, quoted TXT strings; SOA, NS, A, AAAA, MX, TXT,
 * PTR, CNAME).  Names outside the loaded zones are NXDOMAIN. */
typedef struct mm_zonedb mm_zonedb;
MM_EXTERN mm_status_t mm_zonedb_create(mm_zonedb **out);
/* Add one file's text.  origin is the starting $ORIGIN (NULL: none; the
 * file's SOA or $ORIGIN then names the zone).  MM_EPARSE with "line N: why"
 * in err (errlen bytes) on a syntax error; MM_ENOMEM. */
MM_EXTERN mm_status_t mm_zonedb_load(mm_zonedb *z, const char *text, size_t len,
                                     const char *origin, char *err, size_t errlen);
/* Fill b to create a resolver over z (mm_dns_create_backend); z must
 * outlive the resolver. */
MM_EXTERN void mm_zonedb_backend(mm_zonedb *z, mm_dns_backend *b);
MM_EXTERN void mm_zonedb_free(mm_zonedb *z);

#ifdef __cplusplus
}
#endif

#endif
