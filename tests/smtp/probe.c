/*
 * probe.c - drive the SMTP prober from the command line, for the tests.
 *
 *   probe [options] --domain D --mx ADDR... --rcpt ADDR... [--domain D2 ...]
 *
 * Options: --port N, --helo NAME, --from PATH, --no-tls, --no-catch-all,
 * --connect-timeout MS, --command-timeout MS, --rate R, --concurrency N,
 * --max-sessions N.  Each --domain starts a group; its --mx and --rcpt
 * follow.  After every probe has finished, prints one tab-separated line
 * per recipient, in the order given:
 *
 *   group index rcpt verdict code enhanced tls stage mx at_ms reply
 *
 * at_ms is when its callback ran, in milliseconds after the first submit.
 * Exit status 0, or 2 on a usage or library error.
 */
#include <mailmedic/mailmedic.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_GROUPS 200
#define MAX_ITEMS 2000

typedef struct group {
    const char *domain;
    const char *mx[MAX_ITEMS];
    size_t n_mx;
    const char *rcpt[MAX_ITEMS];
    size_t n_rcpt;
    mm_smtp_result *res;
    long *at_ms;
} group;

static group groups[MAX_GROUPS];
static size_t n_groups;
static struct timespec t0;

static long ms_since_start(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

/* Callbacks are serialised by the prober: no locking needed here. */
static void on_result(void *arg, size_t index, const mm_smtp_result *r)
{
    group *g = arg;
    if (index >= g->n_rcpt) {
        fprintf(stderr, "callback index %zu out of range\n", index);
        abort();
    }
    g->res[index] = *r;
    g->at_ms[index] = ms_since_start();
}

static int usage(void)
{
    fprintf(stderr, "usage: probe [options] --domain D --mx ADDR... --rcpt ADDR...\n");
    return 2;
}

static int parse_args(int argc, char **argv, mm_smtp_opts *o)
{
    group *g = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-tls"))
            o->starttls = false;
        else if (!strcmp(a, "--no-catch-all"))
            o->detect_catch_all = false;
        else if (!v)
            return usage();
        else if (!strcmp(a, "--port"))
            o->port = (unsigned)atoi(v), i++;
        else if (!strcmp(a, "--helo"))
            o->helo = v, i++;
        else if (!strcmp(a, "--from"))
            o->mail_from = v, i++;
        else if (!strcmp(a, "--connect-timeout"))
            o->connect_timeout_ms = atoi(v), i++;
        else if (!strcmp(a, "--command-timeout"))
            o->command_timeout_ms = atoi(v), i++;
        else if (!strcmp(a, "--rate"))
            o->per_domain_rate = atof(v), i++;
        else if (!strcmp(a, "--concurrency"))
            o->per_domain_concurrency = (size_t)atoi(v), i++;
        else if (!strcmp(a, "--max-sessions"))
            o->max_sessions = (size_t)atoi(v), i++;
        else if (!strcmp(a, "--domain") && n_groups < MAX_GROUPS)
            g = &groups[n_groups++], g->domain = v, i++;
        else if (!strcmp(a, "--mx") && g && g->n_mx < MAX_ITEMS)
            g->mx[g->n_mx++] = v, i++;
        else if (!strcmp(a, "--rcpt") && g && g->n_rcpt < MAX_ITEMS)
            g->rcpt[g->n_rcpt++] = v, i++;
        else
            return usage();
    }
    return n_groups > 0 ? 0 : usage();
}

int main(int argc, char **argv)
{
    mm_smtp_opts o;
    mm_smtp_opts_default(&o);
    if (parse_args(argc, argv, &o) != 0)
        return 2;
    mm_smtp_prober *p = NULL;
    mm_status_t st = mm_smtp_prober_create(&o, &p);
    if (st != MM_OK) {
        fprintf(stderr, "probe: %s\n", mm_strerror(st));
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n_groups; i++) {
        group *g = &groups[i];
        g->res = calloc(g->n_rcpt ? g->n_rcpt : 1, sizeof *g->res);
        g->at_ms = calloc(g->n_rcpt ? g->n_rcpt : 1, sizeof *g->at_ms);
        for (size_t k = 0; k < g->n_rcpt; k++)
            g->at_ms[k] = -1;
        st = mm_smtp_probe_domain(p, g->domain, g->mx, g->n_mx, g->rcpt, g->n_rcpt, on_result, g);
        if (st != MM_OK) {
            fprintf(stderr, "probe: %s: %s\n", g->domain, mm_strerror(st));
            return 2;
        }
    }
    mm_smtp_prober_wait(p);
    long total = ms_since_start();
    mm_smtp_prober_free(p);
    for (size_t i = 0; i < n_groups; i++) {
        group *g = &groups[i];
        for (size_t k = 0; k < g->n_rcpt; k++) {
            const mm_smtp_result *r = &g->res[k];
            char rcpt[600];
            snprintf(rcpt, sizeof rcpt, "%s", g->rcpt[k]);
            for (char *c = rcpt; *c; c++)
                if ((unsigned char)*c < 0x20)
                    *c = '?';
            if (g->at_ms[k] < 0) {
                printf("%zu\t%zu\t%s\tMISSING\n", i, k, rcpt);
                continue;
            }
            printf("%zu\t%zu\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%ld\t%s\n", i, k, rcpt,
                   mm_smtp_verdict_name(r->verdict), r->reply_code, r->enhanced, r->tls,
                   r->stage ? r->stage : "-", r->mx, g->at_ms[k], r->reply);
        }
        free(g->res);
        free(g->at_ms);
    }
    printf("#total_ms\t%ld\n", total);
    return 0;
}
