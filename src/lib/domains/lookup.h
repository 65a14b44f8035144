/*
 * lookup.h - a look-up for the other parts of the library (verify.c); not
 * installed, not exported.
 */
#ifndef MM_DOMAINS_LOOKUP_H
#define MM_DOMAINS_LOOKUP_H

#include <mailmedic/domains.h>

/* mm_domains_class() and, through *provider, what mm_domains_provider()
 * gives for a known domain (NULL otherwise), from one hash and one probe
 * instead of two. */
unsigned mm_domains_lookup(const mm_domains *d, const char *domain, size_t len,
                           const char **provider);

/* mm_domains_suggest() for a domain the caller has just found not known
 * (mm_domains_lookup() without MM_DOM_KNOWN, the same text or the same in
 * another case): the same answer without looking the domain up again. */
mm_suggest_kind mm_domains_suggest_unknown(const mm_domains *d, const char *domain, size_t len,
                                           char *out, size_t outsz);

#endif
