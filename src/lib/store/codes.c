/*
 * codes.c - name -> enum lookups for rows read back from the store (see
 * codes.h).  Open addressing over the names' FNV-1a hashes; the tables are
 * at least twice the number of names, so probes stay short.
 */
#include "store/codes.h"

#include <string.h>

typedef const char *(*tostr_fn)(int);

static unsigned fnv(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static const char *reason_name(int i)
{
    return mm_reason_tostr((mm_reason_t)i);
}
static const char *category_name(int i)
{
    return mm_category_tostr((mm_category_t)i);
}
static const char *severity_name(int i)
{
    return mm_severity_tostr((mm_severity_t)i);
}

static void fill(unsigned char *slot, unsigned size, int count, tostr_fn name)
{
    memset(slot, 0, size);
    for (int i = 0; i < count; i++) {
        unsigned h = fnv(name(i)) & (size - 1);
        while (slot[h])
            h = (h + 1) & (size - 1);
        slot[h] = (unsigned char)(i + 1);
    }
}

static int find(const unsigned char *slot, unsigned size, tostr_fn name, const char *s, int dflt)
{
    if (!s)
        return dflt;
    for (unsigned h = fnv(s) & (size - 1); slot[h]; h = (h + 1) & (size - 1))
        if (strcmp(name(slot[h] - 1), s) == 0)
            return slot[h] - 1;
    return dflt;
}

void store_codes_init(store_codes *c)
{
    fill(c->reason, sizeof c->reason, MM_REASON_COUNT_, reason_name);
    fill(c->category, sizeof c->category, MM_CATEGORY_COUNT_, category_name);
    fill(c->severity, sizeof c->severity, MM_SEVERITY_CRITICAL + 1, severity_name);
}

mm_reason_t store_reason_code(const store_codes *c, const char *name)
{
    return (mm_reason_t)find(c->reason, sizeof c->reason, reason_name, name, MM_REASON_UNDEFINED);
}

mm_category_t store_category_code(const store_codes *c, const char *name)
{
    return (mm_category_t)find(c->category, sizeof c->category, category_name, name,
                               MM_CATEGORY_OTHER);
}

mm_severity_t store_severity_code(const store_codes *c, const char *name)
{
    return (mm_severity_t)find(c->severity, sizeof c->severity, severity_name, name,
                               MM_SEVERITY_NONE);
}
