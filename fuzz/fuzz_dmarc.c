/*
 * fuzz_dmarc.c - the DMARC record parser (src/lib/dmarc/record.c) on
 * arbitrary bytes taken as one joined TXT value, then the invariants of its
 * result, and alignment/evaluation with the record's own report domains as
 * identifiers (the Organizational Domain through libpsl on hostile names).
 */
#include <mailmedic/dmarc.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

static void check_invariants(const mm_dmarc_record *r)
{
    if (r->outcome == MM_DMARC_OUTCOME_POLICY &&
        (r->p == MM_DMARC_POLICY_UNSET || r->sp == MM_DMARC_POLICY_UNSET))
        abort();
    if (r->outcome == MM_DMARC_OUTCOME_FALLBACK_NONE &&
        (r->nrua == 0 || r->p != MM_DMARC_POLICY_NONE))
        abort();
    if (r->outcome == MM_DMARC_OUTCOME_IGNORE && !r->ignore_reason)
        abort();
    if (r->pct > 100 || r->nrua > MM_DMARC_MAX_URIS || r->nruf > MM_DMARC_MAX_URIS ||
        r->nlints > MM_DMARC_MAX_LINTS)
        abort();
    volatile size_t sum = strlen(r->text) + strlen(r->rf);
    for (size_t i = 0; i < r->nlints; i++)
        sum += strlen(r->lints[i].id) + strlen(r->lints[i].message) + strlen(r->lints[i].tag) +
               strlen(r->lints[i].value);
    for (size_t i = 0; i < r->nruf; i++)
        sum += strlen(r->ruf[i].text) + strlen(r->ruf[i].uri) + strlen(r->ruf[i].domain);
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mm_dmarc *c;
    if (!c && mm_dmarc_create(NULL, NULL, &c) != MM_OK)
        abort();
    mm_dmarc_record *r = NULL;
    if (mm_dmarc_parse((const char *)data, size, &r) != MM_OK)
        return 0;
    check_invariants(r);
    mm_dmarc_dkim dkim[MM_DMARC_MAX_URIS];
    size_t n = 0;
    for (size_t i = 0; i < r->nrua; i++) {
        if (strlen(r->rua[i].text) > strlen(r->rua[i].uri) + 1 + 16)
            abort(); /* the suffix is "!" 1..15 digits and a unit */
        if (r->rua[i].domain[0])
            dkim[n++] = (mm_dmarc_dkim){r->rua[i].domain, MM_DMARC_AUTH_PASS};
    }
    const char *from = n ? dkim[0].domain : "example.com";
    mm_dmarc_auth in = {from, n > 1 ? dkim[n - 1].domain : NULL, MM_DMARC_AUTH_PASS, n, dkim};
    mm_dmarc_verdict v;
    if (mm_dmarc_evaluate(c, r, "example.com", &in, size % 100, &v) != MM_OK)
        abort();
    if (r->outcome != MM_DMARC_OUTCOME_IGNORE && n && v.result != MM_DMARC_RESULT_PASS)
        abort(); /* the From domain signed itself: always aligned */
    mm_dmarc_record_free(r);
    return 0;
}
