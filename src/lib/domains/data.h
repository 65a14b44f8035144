/*
 * data.h - the domain lists as compiled into the library.
 *
 * gen_data.py writes the definitions (data_gen.c in the build directory) from
 * the lists in data/domains/; domains.c turns them into hash tables at create time.
 */
#ifndef MM_DOMAINS_DATA_H
#define MM_DOMAINS_DATA_H

#include <stddef.h>

enum { MM_DOM_KIND_FREE, MM_DOM_KIND_ISP, MM_DOM_KIND_PAID };

struct mm_dom_popular {
    const char *domain;
    int provider; /* index into mm_dom_provider_names */
    int kind;     /* MM_DOM_KIND_* */
};

struct mm_dom_role {
    const char *alias; /* normalised: lower case, no separators; sorted */
    const char *canonical;
};

extern const char *const mm_dom_provider_names[];
extern const struct mm_dom_popular mm_dom_popular[]; /* file order: main domain first */
extern const size_t mm_dom_popular_count;
extern const char *const mm_dom_free[];
extern const size_t mm_dom_free_count;
extern const char *const mm_dom_disposable[];
extern const size_t mm_dom_disposable_count;
extern const struct mm_dom_role mm_dom_roles[];
extern const size_t mm_dom_roles_count;

#endif
