/*
 * domains.h - what mailmedic knows about mail domains, without the network:
 * address classes (free mail, disposable, known provider), role local parts,
 * provider names, and typo suggestions (gamil.com -> gmail.com).
 *
 * The knowledge comes from the lists in data/domains/ (popular.txt, free.txt,
 * disposable.txt, roles.txt), compiled into the library at build time; no
 * file is read at run time.  docs/VERIFY.md ("Domain lists") says where each
 * list comes from and how to refresh it.
 *
 * An mm_domains is read-only after mm_domains_create(), so one object may be
 * shared by any number of threads.  No function here allocates after create;
 * strings returned are static and live as long as the library.
 *
 * Domains are passed as (pointer, length) and need not be NUL-terminated.
 * The suggester never looks at DNS: the verify layer adds "a domain with its
 * own MX is not a typo" on top of it when it is online.
 */
#ifndef MAILMEDIC_DOMAINS_H
#define MAILMEDIC_DOMAINS_H

#include <stddef.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_domains mm_domains;

/*
 * Build the tables from the data compiled into the library.  On success *out
 * owns a new object that the caller frees with mm_domains_free().  Returns
 * MM_EINVAL for a NULL out, MM_ENOMEM when memory runs out.
 */
MM_EXTERN mm_status_t mm_domains_create(mm_domains **out);

/* Free an object from mm_domains_create(); NULL is a no-op. */
MM_EXTERN void mm_domains_free(mm_domains *d);

/* Class bits returned by mm_domains_class(). */
enum {
    MM_DOM_FREE = 1u << 0,       /* free or consumer-ISP mail (gmail.com, qq.com, comcast.net) */
    MM_DOM_DISPOSABLE = 1u << 1, /* throwaway mail (mailinator.com and its subdomains) */
    MM_DOM_KNOWN = 1u << 2       /* a known real mail domain (provider or alias) */
};

/*
 * The classes of a domain: a combination of MM_DOM_* bits, 0 when nothing is
 * known (a company domain).  domain is a lower-case A-label or ASCII name
 * (upper case is tolerated); a subdomain of a disposable domain counts as
 * disposable (x.mailinator.com), a subdomain of a provider does not count as
 * the provider.  A major provider is never disposable (the lists are curated).
 */
MM_EXTERN unsigned mm_domains_class(const mm_domains *d, const char *domain, size_t len);

/*
 * The canonical role name of a local part ("info", "sales", "noreply",
 * "postmaster", "kefu" -> "customerservice", ...) or NULL when it names no
 * role.  Case-insensitive; a "+tag" is ignored and so are the separators
 * '-', '_' and '.' (no-reply, no_reply and NoReply+x are all "noreply").
 * The string is static.
 */
MM_EXTERN const char *mm_domains_role(const mm_domains *d, const char *local, size_t len);

/*
 * The display name of the provider behind a domain from popular.txt ("QQ Mail",
 * "NetEase 163", "Gmail"), or NULL.  The string is static.
 */
MM_EXTERN const char *mm_domains_provider(const mm_domains *d, const char *domain, size_t len);

/* What a suggestion fixes.  Values are stable; new kinds are added at the end. */
typedef enum mm_suggest_kind {
    MM_SUGGEST_NONE = 0,    /* no suggestion */
    MM_SUGGEST_PROVIDER,    /* misspelt provider name: gamil.com -> gmail.com */
    MM_SUGGEST_TLD,         /* mistyped ending: gmail.con -> gmail.com, acme.ogr -> acme.org */
    MM_SUGGEST_MISSING_TLD, /* no ending at all: gmail -> gmail.com, qq -> qq.com */
    MM_SUGGEST_MISSING_DOT, /* hotmailcom -> hotmail.com */
    MM_SUGGEST_COMMA,       /* gmail,com -> gmail.com (also the full-width comma) */
    MM_SUGGEST_DOUBLED_TLD, /* gmail.com.com -> gmail.com */
    MM_SUGGEST_HOMOGLYPH,   /* a look-alike: Cyrillic i or digit 1 for l: gma1l.com -> gmail.com */
    MM_SUGGEST_FULLWIDTH,   /* full-width letters or stops (U+3002, U+FF0E) from an input method */
    MM_SUGGEST_DOTS,        /* an extra dot: gmail..com or gmail.com. -> gmail.com */
    MM_SUGGEST_HYPHEN,      /* a label starting or ending with '-': -gmail.com -> gmail.com */
    MM_SUGGEST_WWW,         /* a web prefix: www.gmail.com -> gmail.com */
    MM_SUGGEST_UNDERSCORE,  /* an underscore for a dot: gmail_com -> gmail.com */
    MM_SUGGEST_SPACE,       /* a space inside: gmail. com -> gmail.com */
    MM_SUGGEST_KIND_MAX_    /* not a kind: one past the last */
} mm_suggest_kind;

/* A stable identifier for JSON ("provider", "tld", "missing_tld", ...); "none" for NONE. */
MM_EXTERN const char *mm_suggest_kind_name(mm_suggest_kind k);

/*
 * An English message id (mark for translation with dgettext("mailmedic", ...))
 * explaining the fix.  It may use %1$s for the domain as typed and %2$s for
 * the suggested domain; format it with both arguments.  NULL for NONE.
 */
MM_EXTERN const char *mm_suggest_kind_message(mm_suggest_kind k);

/*
 * Suggest a correction for a domain that looks like a typo.  domain is the
 * text after the last '@' as typed: it may hold upper case, commas, full-width
 * or look-alike characters (Cyrillic і, digit 1 for l), a missing, mistyped or
 * doubled TLD.  When there is a suggestion, writes it (lower case, ASCII,
 * NUL-terminated) to out and returns its kind; otherwise returns
 * MM_SUGGEST_NONE and writes "" (when outsz > 0).  A suggestion that does not
 * fit in outsz bytes is not made (256 bytes always suffice).
 *
 * Rules: a known provider domain (popular.txt, free.txt) is never
 * corrected, so 126.com never becomes 163.com (a listed disposable domain
 * may be: gmial.com is a typo-squat of gmail.com); a close call between two
 * candidates gives no suggestion; an unknown domain with an existing TLD
 * (per the Public Suffix List) only gets a suggestion when it is one small
 * edit away from a popular provider; a TLD that does not exist (.con, .cmo,
 * .nte) is moved to the nearest common TLD.  Never allocates; a few tens of
 * nanoseconds per call.  A caller that already has the domain normalised
 * (lower-case A-label) may skip this call when mm_domains_class() says
 * MM_DOM_KNOWN: such a domain never gets a suggestion.
 *
 * The messages of mm_suggest_kind_message() say "did you mean"; the verify
 * layer should drop a suggestion for a domain that has its own MX.
 */
MM_EXTERN mm_suggest_kind mm_domains_suggest(const mm_domains *d, const char *domain, size_t len,
                                             char *out, size_t outsz);

#ifdef __cplusplus
}
#endif
#endif
