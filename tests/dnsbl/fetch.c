/*
 * fetch.c - one MTA-STS policy fetch through the public API, for fetch.py:
 *
 *   mta_sts_fetch DOMAIN PORT RESOLVE_ADDR CA_FILE|-
 *
 * prints "STATUS HTTP_CODE VALID MODE NMX COVERS" where VALID is 1/0/- (no
 * policy) and COVERS says whether mail.DOMAIN matches the policy's mx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/transport.h>

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: mta_sts_fetch DOMAIN PORT ADDR CA_FILE|-\n");
        return 2;
    }
    char resolve[400], host[300];
    snprintf(resolve, sizeof resolve, "mta-sts.%s:%s:%s", argv[1], argv[2], argv[3]);
    snprintf(host, sizeof host, "mail.%s", argv[1]);
    mm_mta_sts_fetch_opts o = {atoi(argv[2]), strcmp(argv[4], "-") ? argv[4] : NULL, resolve, 5000};
    mm_mta_sts_fetch_result *r = NULL;
    mm_status_t st = mm_mta_sts_fetch(argv[1], &o, &r);
    if (st != MM_OK) {
        printf("call-failed %s\n", mm_strerror(st));
        return 1;
    }
    const mm_mta_sts_policy *p = r->policy;
    printf("%s %ld %s %s %zu %d\n", mm_mta_sts_fetch_status_name(r->status), r->http_code,
           p ? (p->valid ? "1" : "0") : "-", p ? mm_mta_sts_mode_name(p->mode) : "-",
           p ? p->nmx : 0, p ? mm_mta_sts_policy_covers(p, host) : 0);
    if (r->detail[0])
        fprintf(stderr, "detail: %s\n", r->detail);
    mm_mta_sts_fetch_result_free(r);
    return 0;
}
