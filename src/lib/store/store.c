/* store.c - the store front.  (Placeholder until the store work lands.) */
#include <mailmedic/store.h>
#include <stdio.h>

mm_status_t mm_store_open(const char *where, const mm_store_options *opt, mm_store **out,
                          char *why, size_t whylen)
{
    (void)where;
    (void)opt;
    *out = NULL;
    if (why && whylen)
        snprintf(why, whylen, "the bounce log store is not built yet");
    return MM_EDB;
}

void mm_store_close(mm_store *s)
{
    (void)s;
}
