/*
 * dkimbench.c - DKIM verifications per second of one message, with its key
 * records served from memory (the vectors' dns.tsv), so the figure is the
 * verifier's own cost: load, canonicalize, hash, key parse, crypto.
 *
 * usage: dkimbench MESSAGE DNS.TSV [SECONDS]
 *   e.g. dkimbench ../shared/testsuites/dkim/generated/msgs/bench-4k-rsa2048.eml \
 *                  ../shared/testsuites/dkim/generated/dns.tsv 3
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <mailmedic/dkim.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    *len = (size_t)n;
    return b;
}

typedef struct zone {
    char *names[64];
    char *txt[64];
    size_t n;
    mm_dns_record rec;
} zone;

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    zone *z = ctx;
    (void)type;
    ans->result = MM_DNS_NXDOMAIN;
    for (size_t i = 0; i < z->n; i++) {
        if (strcasecmp(z->names[i], name) != 0)
            continue;
        z->rec.u.txt.data = z->txt[i];
        z->rec.u.txt.len = strlen(z->txt[i]);
        ans->result = MM_DNS_ANSWER;
        ans->nrecords = 1;
        ans->records = &z->rec;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MESSAGE DNS.TSV [SECONDS]\n", argv[0]);
        return 2;
    }
    double secs = argc > 3 ? atof(argv[3]) : 3.0;
    size_t len, zlen;
    char *msg = slurp(argv[1], &len), *zt = slurp(argv[2], &zlen);
    if (!msg || !zt) {
        fprintf(stderr, "cannot read input\n");
        return 1;
    }
    zone z = {0};
    char *save = NULL;
    for (char *l = strtok_r(zt, "\n", &save); l && z.n < 64; l = strtok_r(NULL, "\n", &save)) {
        char *t1 = strchr(l, '\t');
        if (*l == '#' || !t1 || strncmp(t1, "\tTXT\t", 5) != 0)
            continue;
        *t1 = '\0';
        char *v = t1 + 5, *o = v;
        for (char *p = v; *p; p++) /* join the character-strings */
            if (*p != '\t')
                *o++ = *p;
        *o = '\0';
        z.names[z.n] = l;
        z.txt[z.n++] = v;
    }
    mm_dns_backend b = {"bench", lookup, &z};
    mm_dns *d = NULL;
    if (mm_dns_create_backend(&b, &d) != MM_OK)
        return 1;
    mm_dkim_report *r = NULL;
    if (mm_dkim_verify(d, msg, len, NULL, &r) != MM_OK || mm_dkim_report_count(r) == 0 ||
        mm_dkim_report_sig(r, 0)->result != MM_DKIM_PASS) {
        fprintf(stderr, "the message does not verify\n");
        return 1;
    }
    mm_dkim_report_free(r);
    unsigned long n = 0;
    clock_t c0 = clock();
    double t0 = now(), t;
    do {
        for (int i = 0; i < 100; i++) {
            mm_dkim_verify(d, msg, len, NULL, &r);
            mm_dkim_report_free(r);
        }
        n += 100;
        t = now();
    } while (t - t0 < secs);
    /* CPU time too: on a shared machine the wall clock counts other processes */
    double cpu = (double)(clock() - c0) / CLOCKS_PER_SEC;
    printf("dkim: %lu verifications in %.2f s = %.0f/s wall, %.0f/s CPU (%zu-byte message)\n", n,
           t - t0, (double)n / (t - t0), cpu > 0 ? (double)n / cpu : 0.0, len);
    mm_dns_free(d);
    free(msg);
    free(zt);
    return 0;
}
