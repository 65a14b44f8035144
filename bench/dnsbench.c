/*
 * dnsbench.c - the mail-domain check of many domains through the public API,
 * as the verify pipeline drives it: a window of outstanding checks, one
 * resolver, mm_dns_run_once() between refills.
 *
 *   dnsbench --server 127.0.0.1:PORT [--window N] [--inflight N] [--cache N] FILE
 *
 * FILE holds one domain per line (repeats welcome: that is what the cache is
 * for).  Prints seconds, look-ups/s, DNS queries and queries/s, the status
 * counts, the cache figures and the peak RSS.
 */
#include <mailmedic/dns.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct bench {
    size_t outstanding, done;
    size_t status[MM_MX_STATUS_MAX_];
} bench;

static void on_result(void *arg, const mm_mx_result *r)
{
    bench *b = arg;
    b->outstanding--;
    b->done++;
    b->status[r->status]++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char **read_lines(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    size_t cap = 1024, len = 0;
    char **v = malloc(cap * sizeof *v), line[1024];
    while (v && fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        if (len == cap) {
            char **p = realloc(v, (cap *= 2) * sizeof *v);
            if (!p)
                break;
            v = p;
        }
        v[len++] = strdup(line);
    }
    fclose(fp);
    *n = len;
    return v;
}

int main(int argc, char **argv)
{
    mm_dns_opts o = {.timeout_ms = 2000, .tries = 2};
    size_t window = 2000, cache = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
            o.server = argv[++i];
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc)
            window = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--inflight") == 0 && i + 1 < argc)
            o.max_inflight = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
            cache = strtoul(argv[++i], NULL, 10);
        else
            file = argv[i];
    }
    size_t n = 0;
    char **domains = file ? read_lines(file, &n) : NULL;
    if (!domains) {
        fprintf(stderr, "usage: dnsbench --server IP:PORT [--window N] [--inflight N] "
                        "[--cache N] FILE\n");
        return 2;
    }
    mm_dns *d;
    mm_mailcheck *m;
    if (mm_dns_create(&o, &d) != MM_OK || mm_mailcheck_create(d, cache, &m) != MM_OK) {
        fprintf(stderr, "dnsbench: cannot create the resolver\n");
        return 1;
    }
    bench b = {0};
    double t0 = now();
    size_t next = 0;
    while (next < n || b.outstanding) {
        while (next < n && b.outstanding < window) {
            b.outstanding++;
            if (mm_mailcheck_domain(m, domains[next++], on_result, &b) != MM_OK) {
                b.outstanding--;
                b.status[MM_MX_ERROR]++;
            }
        }
        if (b.outstanding && mm_dns_run_once(d, 100) != MM_OK)
            break;
    }
    double dt = now() - t0;
    mm_mailcheck_stats s;
    mm_mailcheck_get_stats(m, &s);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("look-ups: %zu in %.2f s (%.0f/s), window %zu\n", n, dt, n / dt, window);
    printf("dns queries: %zu (%.0f/s)\n", s.queries, s.queries / dt);
    printf("cache: %zu hits, %zu joined, %zu evicted\n", s.cache_hits, s.joined, s.evicted);
    printf("status:");
    for (int i = 0; i < MM_MX_STATUS_MAX_; i++)
        if (b.status[i])
            printf(" %s=%zu", mm_mx_status_name((mm_mx_status)i), b.status[i]);
    printf("\npeak RSS: %.1f MiB\n", ru.ru_maxrss / 1024.0);
    mm_mailcheck_free(m);
    mm_dns_free(d);
    for (size_t i = 0; i < n; i++)
        free(domains[i]);
    free(domains);
    return b.done == n ? 0 : 1;
}
