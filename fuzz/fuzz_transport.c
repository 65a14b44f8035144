/*
 * fuzz_transport.c - the transport parsers (src/lib/transport/) on arbitrary
 * bytes: the first byte picks MTA-STS TXT, TLS-RPT, BIMI or the MTA-STS
 * policy file, the rest is the input.  Invariants: valid records carry no
 * error finding, counts stay within their caps, every string is readable;
 * then each policy mx pattern must match a host built from it (4.1).
 */
#include <mailmedic/transport.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

static void check_lints(const mm_transport_lint *l, size_t n, bool valid)
{
    if (n > MM_TRANSPORT_MAX_LINTS)
        abort();
    volatile size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (valid && l[i].severity == MM_TRANSPORT_ERROR)
            abort();
        sum += strlen(l[i].id) + strlen(l[i].message) + strlen(l[i].field) + strlen(l[i].value);
    }
    (void)sum;
}

static void record(mm_transport_kind k, const char *p, size_t n)
{
    mm_transport_record *r = NULL;
    if (mm_transport_parse(k, p, n, &r) != MM_OK)
        return;
    check_lints(r->lints, r->nlints, r->valid);
    if (r->nrua > MM_TRANSPORT_MAX_URIS || strlen(r->id) > 32)
        abort();
    for (size_t i = 0; i < r->nrua; i++)
        if (strncmp(r->rua[i], "mailto:", 7) != 0 && strncmp(r->rua[i], "https://", 8) != 0)
            abort();
    if (r->valid && !mm_transport_is_kind(k, p, n))
        abort();
    volatile size_t sum = strlen(r->text) + strlen(r->logo) + strlen(r->authority);
    (void)sum;
    mm_transport_record_free(r);
}

static void policy(const char *p, size_t n)
{
    mm_mta_sts_policy *pol = NULL;
    if (mm_mta_sts_policy_parse(p, n, &pol) != MM_OK)
        return;
    check_lints(pol->lints, pol->nlints, pol->valid);
    if (pol->nmx > MM_MTA_STS_MAX_MX || pol->max_age > MM_MTA_STS_MAX_AGE)
        abort();
    for (size_t i = 0; i < pol->nmx; i++) {
        char host[300];
        const char *m = pol->mx[i];
        snprintf(host, sizeof host, "%s%s", m[0] == '*' ? "x" : "", m[0] == '*' ? m + 1 : m);
        if (!mm_mta_sts_policy_covers(pol, host))
            abort();
    }
    mm_mta_sts_policy_free(pol);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 4) {
    case 0:
        record(MM_TRANSPORT_MTA_STS, p, n);
        break;
    case 1:
        record(MM_TRANSPORT_TLSRPT, p, n);
        break;
    case 2:
        record(MM_TRANSPORT_BIMI, p, n);
        break;
    default:
        policy(p, n);
        break;
    }
    return 0;
}
