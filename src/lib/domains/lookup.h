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

#endif
