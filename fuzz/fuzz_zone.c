/*
 * fuzz_zone.c - the --zone master-file reader on arbitrary bytes, then a few
 * look-ups through its backend (names, types, CNAME chains).
 */
#include <mailmedic/checkup.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

static void on_answer(void *arg, const mm_dns_answer *a)
{
    size_t *n = arg;
    *n += a->nrecords;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mm_zonedb *z = NULL;
    if (mm_zonedb_create(&z) != MM_OK)
        return 0;
    char err[128];
    if (mm_zonedb_load(z, (const char *)data, size, "fuzz.example", err, sizeof err) == MM_OK) {
        mm_dns_backend b;
        mm_dns *d = NULL;
        mm_zonedb_backend(z, &b);
        if (mm_dns_create_backend(&b, &d) == MM_OK) {
            static const char *const names[] = {"fuzz.example", "www.fuzz.example", "a.b.example",
                                                "mail.fuzz.example", "x"};
            static const int types[] = {MM_DNS_T_A, MM_DNS_T_AAAA, MM_DNS_T_TXT, MM_DNS_T_MX,
                                        MM_DNS_T_PTR, MM_DNS_T_CNAME, MM_DNS_T_NS};
            size_t n = 0;
            for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                for (size_t j = 0; j < sizeof types / sizeof types[0]; j++)
                    mm_dns_query(d, names[i], types[j], on_answer, &n);
            mm_dns_run(d);
            mm_dns_free(d);
        }
    }
    mm_zonedb_free(z);
    return 0;
}
