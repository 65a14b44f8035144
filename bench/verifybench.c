/*
 * verifybench.c - offline checks (syntax + typo + classes) of an address
 * list, in process, the way the peers' harnesses time theirs: the list is
 * read into memory first, then each round checks every address.
 *
 *   verifybench LIST [ROUNDS]
 *
 * LIST: one address per line (a TAB and anything after it are ignored, so
 * the output of gen-addresses.py works as it is).  Prints, per mode, the
 * median addresses/s over ROUNDS rounds (default 5, after one warm-up):
 *   checks    mm_addr_check + mm_domains_class/role/provider + mm_domains_suggest
 *   verifier  the whole mm_verifier pipeline with --offline (order, duplicates)
 */
#include <mailmedic/mailmedic.h>
#include <mailmedic/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct list {
    char *data;
    const char **addr;
    size_t *len;
    size_t n;
} list;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static bool load(const char *path, list *l)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    rewind(fp);
    l->data = malloc((size_t)size + 1);
    if (!l->data || fread(l->data, 1, (size_t)size, fp) != (size_t)size) {
        fclose(fp);
        return false;
    }
    fclose(fp);
    l->data[size] = '\0';
    size_t lines = 1;
    for (long i = 0; i < size; i++)
        lines += l->data[i] == '\n';
    l->addr = malloc(lines * sizeof *l->addr);
    l->len = malloc(lines * sizeof *l->len);
    if (!l->addr || !l->len)
        return false;
    for (char *p = l->data; *p;) {
        char *nl = strchr(p, '\n');
        char *end = nl ? nl : p + strlen(p);
        char *tab = memchr(p, '\t', (size_t)(end - p));
        l->addr[l->n] = p;
        l->len[l->n++] = (size_t)((tab ? tab : end) - p);
        if (!nl)
            break;
        p = nl + 1;
    }
    return true;
}

static size_t sink;

static void on_result(void *arg, const mm_verify_result *r)
{
    (void)arg;
    sink += r->verdict;
}

static double round_checks(const list *l, const mm_addr_checker *c, const mm_domains *d, mm_addr *a)
{
    double t0 = now();
    char sugg[256];
    for (size_t i = 0; i < l->n; i++) {
        mm_addr_check(c, l->addr[i], l->len[i], 0, a);
        if (!a->syntax_ok)
            continue;
        size_t dl = strlen(a->domain_ascii);
        unsigned cls = mm_domains_class(d, a->domain_ascii, dl);
        sink += cls;
        sink += mm_domains_role(d, a->local, strlen(a->local)) != NULL;
        sink += mm_domains_provider(d, a->domain_ascii, dl) != NULL;
        if (!(cls & MM_DOM_KNOWN))
            sink += mm_domains_suggest(d, a->domain, strlen(a->domain), sugg, sizeof sugg);
    }
    return (double)l->n / (now() - t0);
}

static double round_verifier(const list *l)
{
    mm_verify_opts o;
    mm_verify_opts_default(&o);
    o.offline = true;
    mm_verifier *v;
    if (mm_verifier_create(&o, on_result, NULL, &v) != MM_OK)
        return 0;
    double t0 = now();
    for (size_t i = 0; i < l->n; i++)
        mm_verify_submit(v, i + 1, l->addr[i], l->len[i]);
    mm_verify_drain(v);
    double t = now() - t0;
    mm_verifier_free(v);
    return (double)l->n / t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: verifybench LIST [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1 || rounds > 100)
        rounds = 5;
    list l = {0};
    if (!load(argv[1], &l)) {
        fprintf(stderr, "verifybench: cannot read %s\n", argv[1]);
        return 1;
    }
    mm_addr_checker *c;
    mm_domains *d;
    mm_addr *a = malloc(sizeof *a);
    if (!a || mm_addr_checker_create(&c) != MM_OK || mm_domains_create(&d) != MM_OK)
        return 1;
    double r[100];
    const char *modes[] = {"checks", "verifier"};
    for (int m = 0; m < 2; m++) {
        for (int i = 0; i <= rounds; i++) {
            double v = m == 0 ? round_checks(&l, c, d, a) : round_verifier(&l);
            if (i > 0)
                r[i - 1] = v; /* round 0 warms up */
        }
        qsort(r, (size_t)rounds, sizeof r[0], cmp_double);
        printf("mailmedic %s: %.0f addr/s (median of %d; %zu addresses)\n", modes[m],
               r[rounds / 2], rounds, l.n);
    }
    mm_domains_free(d);
    mm_addr_checker_free(c);
    free(a);
    free(l.addr);
    free(l.len);
    free(l.data);
    return sink == 42 ? 3 : 0;
}
