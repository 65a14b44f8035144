/*
 * pg.c - the PostgreSQL backend.  (Placeholder: the `pg` branch replaces
 * this file with the libpq backend.  Until then a postgresql:// location
 * fails clearly instead of the build failing.)
 */
#include "store/backend.h"

#include <stdio.h>

static mm_status_t pg_open(const char *where, const mm_store_options *o, void **be, char *why,
                           size_t whylen)
{
    (void)where;
    (void)o;
    *be = NULL;
    if (why && whylen)
        snprintf(why, whylen, "PostgreSQL support not built (this mailmedic has only the "
                              "SQLite store)");
    return MM_EINVAL;
}

const store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
};
