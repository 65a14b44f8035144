/*
 * sts.c - the checkup's mta_sts section with the policy fetched from the
 * local HTTPS server of sts.py: DNS from an in-memory zone (mm_zonedb), the
 * fetch pointed at 127.0.0.1 with CURLOPT_RESOLVE and the test CA.
 *
 *     sts DOMAIN PORT CA_FILE   ->  "STATUS id id ..." (the section's findings)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/checkup.h>

static const char ZONE[] =
    "$ORIGIN example.\n"
    "@ SOA ns hostmaster 1 3600 600 86400 300\n"
    "_mta-sts.good TXT \"v=STSv1; id=1\"\n"
    "_smtp._tls.good TXT \"v=TLSRPTv1; rua=mailto:tls@good.example\"\n"
    "good MX 10 mx1.good.example.\n"
    "good MX 20 mail.good.example.\n"
    "_mta-sts.lf TXT \"v=STSv1; id=1\"\n"
    "lf MX 10 mail.lf.example.\n"
    "_mta-sts.badpolicy TXT \"v=STSv1; id=1\"\n"
    "badpolicy MX 10 mail.badpolicy.example.\n"
    "_mta-sts.missing TXT \"v=STSv1; id=1\"\n"
    "missing MX 10 mail.missing.example.\n";

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    mm_zonedb *z = NULL;
    mm_dns *d = NULL;
    mm_dns_backend b;
    char err[128];
    if (mm_zonedb_create(&z) != MM_OK ||
        mm_zonedb_load(z, ZONE, sizeof ZONE - 1, NULL, err, sizeof err) != MM_OK)
        return 3;
    mm_zonedb_backend(z, &b);
    if (mm_dns_create_backend(&b, &d) != MM_OK)
        return 3;
    char resolve[300];
    snprintf(resolve, sizeof resolve, "mta-sts.%s:%s:127.0.0.1", argv[1], argv[2]);
    mm_mta_sts_fetch_opts fo = {atoi(argv[2]), argv[3], resolve, 5000};
    mm_checkup_opts o = {.sections = 1u << MM_CHECKUP_MTASTS, .sts_fetch = &fo};
    mm_checkup *c = NULL;
    if (mm_checkup_run(d, argv[1], &o, &c) != MM_OK)
        return 3;
    const mm_checkup_section *s = mm_checkup_section_get(c, MM_CHECKUP_MTASTS);
    printf("%s", mm_checkup_status_name(s->status));
    for (size_t i = 0; i < s->nfindings; i++)
        printf(" %s", s->findings[i].id);
    printf("\n");
    mm_checkup_free(c);
    mm_dns_free(d);
    mm_zonedb_free(z);
    return 0;
}
