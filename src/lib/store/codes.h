/*
 * codes.h - reason, category and severity names back to their enums
 * (internal).  The store keeps the stable names (mm_reason_tostr() ...) so
 * people can read the database; a statistics scan turns millions of them
 * back into enums, so each kind gets a small hash table built once per
 * backend, one string compare per lookup instead of a walk over the names.
 */
#ifndef MM_STORE_CODES_H
#define MM_STORE_CODES_H

#include <mailmedic/reason.h>

typedef struct store_codes {
    unsigned char reason[128]; /* slot -> value + 1, 0 = empty */
    unsigned char category[32];
    unsigned char severity[16];
} store_codes;

void store_codes_init(store_codes *c);
/* Unknown names give MM_REASON_UNDEFINED, MM_CATEGORY_OTHER, MM_SEVERITY_NONE. */
mm_reason_t store_reason_code(const store_codes *c, const char *name);
mm_category_t store_category_code(const store_codes *c, const char *name);
mm_severity_t store_severity_code(const store_codes *c, const char *name);

#endif
