/*
 * spf.h - Sender Policy Framework (RFC 7208): record parsing, check_host()
 * evaluation with a trace, macro expansion and lint.
 *
 * An mm_spf evaluator runs over the project's DNS layer (mm_dns, which may be
 * c-ares or an in-memory backend).  mm_spf_check_host() asks one query at a
 * time and drives the resolver with mm_dns_run_once() until that query is
 * answered, so the call returns with the final result; other queries the
 * caller has on the same resolver keep running meanwhile.
 *
 * Results combine as RFC 7208 section 2.6 says: temperror (a DNS failure:
 * try again later) and permerror (the published records are broken: the
 * domain owner must fix them) are final; an include whose target has no
 * record is a permerror.  Stable result names are "none", "neutral", "pass",
 * "fail", "softfail", "temperror", "permerror".
 */
#ifndef MAILMEDIC_SPF_H
#define MAILMEDIC_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/dns.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_spf_result {
    MM_SPF_NONE = 0,
    MM_SPF_NEUTRAL,
    MM_SPF_PASS,
    MM_SPF_FAIL,
    MM_SPF_SOFTFAIL,
    MM_SPF_TEMPERROR,
    MM_SPF_PERMERROR,
    MM_SPF_RESULT_MAX_
} mm_spf_result;

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"; "unknown" outside. */
MM_EXTERN const char *mm_spf_result_name(mm_spf_result r);

/* RFC 7208 section 4.6.4 limits. */
#define MM_SPF_MAX_LOOKUPS 10     /* include, a, mx, ptr, exists, redirect */
#define MM_SPF_MAX_VOID_LOOKUPS 2 /* answers with no records or NXDOMAIN */
#define MM_SPF_MAX_NAMES 10       /* MX hosts per mx, PTR names per ptr/%{p} */

/* ---- records ---- */

typedef enum mm_spf_term_kind {
    MM_SPF_T_ALL = 0,
    MM_SPF_T_INCLUDE,
    MM_SPF_T_A,
    MM_SPF_T_MX,
    MM_SPF_T_PTR,
    MM_SPF_T_IP4,
    MM_SPF_T_IP6,
    MM_SPF_T_EXISTS,
    MM_SPF_T_REDIRECT, /* modifiers from here on */
    MM_SPF_T_EXP,
    MM_SPF_T_UNKNOWN_MOD /* ignored by evaluation (RFC 7208 section 6) */
} mm_spf_term_kind;

/* One term of a record, as parsed.  Strings are owned by the record. */
typedef struct mm_spf_term {
    mm_spf_term_kind kind;
    char qualifier;          /* '+', '-', '~', '?' for mechanisms; 0 for modifiers */
    const char *text;        /* the term as written */
    const char *domain_spec; /* unexpanded macro-string, NULL when absent */
    int cidr4, cidr6;        /* prefix lengths; -1 when not given */
    unsigned char addr[16];  /* ip4 (4 bytes used) / ip6 network */
} mm_spf_term;

typedef struct mm_spf_record mm_spf_record;

/*
 * Parse an SPF record (text of len bytes, may hold NULs) that starts with
 * "v=spf1" (case does not matter).  MM_OK: *out holds a record to free with
 * mm_spf_record_free() - also when it has a syntax error (a permerror at
 * evaluation), which mm_spf_record_error() then names.  MM_EPARSE when the
 * text is not an SPF record at all (no "v=spf1" version); MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_spf_record_parse(const char *text, size_t len, mm_spf_record **out);
MM_EXTERN void mm_spf_record_free(mm_spf_record *r);
/* NULL for a valid record; otherwise an English sentence naming the bad term
 * (owned by the record). */
MM_EXTERN const char *mm_spf_record_error(const mm_spf_record *r);
/* The terms in order (also for an invalid record: those before the error). */
MM_EXTERN size_t mm_spf_record_nterms(const mm_spf_record *r);
MM_EXTERN const mm_spf_term *mm_spf_record_term(const mm_spf_record *r, size_t i);

/* ---- macros (RFC 7208 section 7) ---- */

/* The values macros expand to.  NULL members expand as RFC 7208 says for
 * missing values ("unknown" for r and p) or as "" otherwise. */
typedef struct mm_spf_macro_vars {
    const char *ip;       /* <ip> as text (IPv4-mapped IPv6 counts as IPv4) */
    const char *sender;   /* full sender "local@domain" */
    const char *domain;   /* current <domain> (%{d}) */
    const char *helo;     /* %{h} */
    const char *receiver; /* %{r} */
    const char *ptr;      /* %{p}: the validated name, if known */
    uint64_t timestamp;   /* %{t} */
} mm_spf_macro_vars;

/*
 * Expand macro-string s.  explanation allows c, r and t (RFC 7208 section
 * 7.2: they are valid only in exp= text); domain truncates the result to 253
 * characters by dropping labels on the left (section 7.3) - for a domain-spec.
 * *out is a malloc'd NUL-terminated string for the caller to free.  MM_EPARSE
 * on a macro syntax error (a permerror), MM_EINVAL for a NULL argument.
 */
MM_EXTERN mm_status_t mm_spf_expand(const char *s, const mm_spf_macro_vars *v, bool explanation,
                                    bool domain, char **out);

/* ---- evaluation ---- */

typedef struct mm_spf mm_spf;

/* An evaluator over d (d must outlive it).  It keeps the records it parses,
 * keyed by their text (a bounded cache, never of DNS answers), until
 * mm_spf_free(); like d, one evaluator serves one thread at a time.
 * MM_EINVAL without d; MM_ENOMEM. */
MM_EXTERN mm_status_t mm_spf_create(mm_dns *d, mm_spf **out);
MM_EXTERN void mm_spf_free(mm_spf *s);
/* %{r}, the receiving host's name (default "unknown").  Copied. */
MM_EXTERN mm_status_t mm_spf_set_receiver(mm_spf *s, const char *receiver);
/* The explanation given on fail when the record has no usable exp= (default
 * "DEFAULT", as the OpenSPF suite wants; NULL for none).  Copied. */
MM_EXTERN mm_status_t mm_spf_set_default_explanation(mm_spf *s, const char *text);
/* %{t}; 0 (default) uses the current time. */
MM_EXTERN void mm_spf_set_timestamp(mm_spf *s, uint64_t t);

/* One node of the evaluation tree: the top domain, each include and
 * redirect target, in the order visited.  Strings are owned by the eval. */
typedef struct mm_spf_node {
    size_t parent;        /* index of the parent node; (size_t)-1 for the top */
    unsigned depth;       /* 0 for the top */
    const char *via;      /* NULL (top), "include" or "redirect" */
    const char *domain;   /* the target, after macro expansion */
    const char *record;   /* the SPF record found, NULL if none */
    mm_dns_result dns;    /* the TXT look-up */
    mm_spf_result result; /* this record's own result */
    const char *matched;  /* the term that decided it (NULL: none matched) */
    unsigned lookups;     /* DNS-lookup terms counted in this record (not its children) */
} mm_spf_node;

typedef struct mm_spf_eval mm_spf_eval;

/*
 * check_host() (RFC 7208 section 4) for the client ip ("192.0.2.1",
 * "2001:db8::1", IPv4-mapped IPv6 allowed), the domain (normally the MAIL FROM
 * domain, or helo for a null sender), sender (the MAIL FROM address; NULL or
 * "" for the null sender, which becomes postmaster@helo) and helo.  For the
 * HELO identity (RFC 7208 section 2.3) pass domain = helo and sender = NULL.
 * MM_OK: *out holds the result and trace, freed with mm_spf_eval_free().
 * MM_EINVAL for a NULL argument or an ip that is not an address; MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_spf_check_host(mm_spf *s, const char *ip, const char *domain,
                                        const char *sender, const char *helo, mm_spf_eval **out);
MM_EXTERN void mm_spf_eval_free(mm_spf_eval *e);

MM_EXTERN mm_spf_result mm_spf_eval_result(const mm_spf_eval *e);
/* On fail: the expanded exp= text, or the default explanation; else NULL. */
MM_EXTERN const char *mm_spf_eval_explanation(const mm_spf_eval *e);
/* On permerror/temperror: why, in English (e.g. "syntax error in
 * example.com: unknown mechanism 'foo'"); on others the deciding term. */
MM_EXTERN const char *mm_spf_eval_reason(const mm_spf_eval *e);
/* DNS-lookup terms and void lookups counted (RFC 7208 section 4.6.4). */
MM_EXTERN unsigned mm_spf_eval_lookups(const mm_spf_eval *e);
MM_EXTERN unsigned mm_spf_eval_void_lookups(const mm_spf_eval *e);
/* The tree of records visited, nodes in visiting order. */
MM_EXTERN size_t mm_spf_eval_nnodes(const mm_spf_eval *e);
MM_EXTERN const mm_spf_node *mm_spf_eval_node(const mm_spf_eval *e, size_t i);

/* ---- lint ---- */

typedef enum mm_spf_lint_code {
    MM_SPF_LINT_NO_RECORD = 0,    /* fail: no SPF record */
    MM_SPF_LINT_MULTIPLE,         /* fail: more than one v=spf1 record */
    MM_SPF_LINT_SYNTAX,           /* fail: a record (top or included) does not parse */
    MM_SPF_LINT_PASS_ALL,         /* fail: +all lets anyone send */
    MM_SPF_LINT_NEUTRAL_ALL,      /* warn: ?all says nothing */
    MM_SPF_LINT_TOO_MANY_LOOKUPS, /* fail: more than 10 DNS-lookup terms in the tree */
    MM_SPF_LINT_PTR,              /* warn: ptr is deprecated (RFC 7208 section 5.5) */
    MM_SPF_LINT_NOT_COVERED,      /* fail: the given IP does not pass */
    MM_SPF_LINT_INCLUDE_MISSING,  /* fail: an include or redirect target has no record */
    MM_SPF_LINT_TEMPERROR,        /* warn: a look-up failed; the lint is incomplete */
    MM_SPF_LINT_CODE_MAX_
} mm_spf_lint_code;

/* Stable ids: "no_record", "multiple", "syntax", "pass_all", "neutral_all",
 * "too_many_lookups", "ptr", "not_covered", "include_missing", "temperror". */
MM_EXTERN const char *mm_spf_lint_code_name(mm_spf_lint_code c);
/* An English one-line explanation (an N_() msgid: dgettext("mailmedic", ...)). */
MM_EXTERN const char *mm_spf_lint_code_message(mm_spf_lint_code c);

typedef struct mm_spf_lint_item {
    mm_spf_lint_code code;
    bool fail;          /* false: a warning */
    const char *domain; /* the record it is about */
    const char *detail; /* the term, the count, the result for the IP ... */
} mm_spf_lint_item;

typedef struct mm_spf_lint mm_spf_lint;

/*
 * Lint the SPF setup of domain: walk the whole include/redirect tree (every
 * branch, matching nothing) to count DNS-lookup terms, and check the items
 * above; with ip (may be NULL) also run check_host(ip, domain,
 * postmaster@domain, domain) and report when it does not pass.  *out is freed
 * with mm_spf_lint_free().  MM_EINVAL, MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_spf_lint_domain(mm_spf *s, const char *domain, const char *ip,
                                         mm_spf_lint **out);
MM_EXTERN void mm_spf_lint_free(mm_spf_lint *l);
MM_EXTERN size_t mm_spf_lint_nitems(const mm_spf_lint *l);
MM_EXTERN const mm_spf_lint_item *mm_spf_lint_item_at(const mm_spf_lint *l, size_t i);
/* The whole-tree walk: lookups counted over every branch, and the tree. */
MM_EXTERN unsigned mm_spf_lint_lookups(const mm_spf_lint *l);
MM_EXTERN const mm_spf_eval *mm_spf_lint_tree(const mm_spf_lint *l);
/* The check_host() result for ip, NULL when no ip was given. */
MM_EXTERN const mm_spf_eval *mm_spf_lint_check(const mm_spf_lint *l);

#ifdef __cplusplus
}
#endif
#endif
