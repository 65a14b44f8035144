/*
 * domainsbench.c - throughput of the domain knowledge (classes and typo
 * suggestions) over a list of addresses, single-threaded.
 *
 * Usage: domainsbench FILE [ROUNDS]
 *   FILE is one address per line, optionally followed by a TAB and anything
 *   (the output of ../shared/testsuites/peer-harness/gen-addresses.py).
 * The domains (text after the last '@') are loaded into memory first; each
 * round then times mm_domains_class() over all of them, mm_domains_suggest()
 * over all of them, both together (suggest only where class() knows
 * nothing), and suggest over the unknown domains alone; the best round is
 * reported (one unmeasured warm-up round first).  Build: ninja -C build bench/domainsbench
 * (tests/domains/meson.build builds it).
 */
#include <mailmedic/domains.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct span {
    size_t off, len;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *load(const char *path, struct span **spans, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, used = 0, scap = 1 << 16;
    char *text = malloc(cap), line[65536];
    *spans = malloc(scap * sizeof **spans);
    *n = 0;
    while (text && *spans && fgets(line, sizeof line, f)) {
        size_t len = strcspn(line, "\t\r\n");
        char *at = NULL;
        for (size_t i = 0; i < len; i++)
            if (line[i] == '@')
                at = line + i;
        if (!at)
            continue;
        size_t dl = len - (size_t)(at + 1 - line);
        if (used + dl + 1 > cap)
            text = realloc(text, cap *= 2);
        if (*n == scap)
            *spans = realloc(*spans, (scap *= 2) * sizeof **spans);
        if (!text || !*spans)
            break;
        memcpy(text + used, at + 1, dl);
        text[used + dl] = '\0';
        (*spans)[(*n)++] = (struct span){used, dl};
        used += dl + 1;
    }
    fclose(f);
    return text;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [ROUNDS]\n", argv[0]);
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    struct span *spans = NULL;
    size_t n = 0;
    char *text = load(argv[1], &spans, &n);
    mm_domains *d = NULL;
    if (!text || !spans || n == 0 || mm_domains_create(&d) != MM_OK) {
        fprintf(stderr, "%s: cannot load addresses or create tables\n", argv[1]);
        return 1;
    }
    /* The domains no list knows (company domains, typos): the costly case. */
    struct span *unknown = malloc(n * sizeof *unknown);
    size_t nu = 0;
    for (size_t i = 0; unknown && i < n; i++)
        if (!(mm_domains_class(d, text + spans[i].off, spans[i].len) & MM_DOM_KNOWN))
            unknown[nu++] = spans[i];
    double best[4] = {1e9, 1e9, 1e9, 1e9};
    unsigned long classes = 0, suggestions = 0;
    char out[256];
    for (int r = 0; r <= rounds; r++) {
        double t0 = now();
        classes = 0;
        for (size_t i = 0; i < n; i++)
            classes += mm_domains_class(d, text + spans[i].off, spans[i].len) != 0;
        double t1 = now();
        suggestions = 0;
        for (size_t i = 0; i < n; i++)
            suggestions +=
                mm_domains_suggest(d, text + spans[i].off, spans[i].len, out, sizeof out) != 0;
        double t2 = now();
        for (size_t i = 0; i < n; i++) {
            const char *s = text + spans[i].off;
            if (mm_domains_class(d, s, spans[i].len) == 0)
                (void)mm_domains_suggest(d, s, spans[i].len, out, sizeof out);
        }
        double t3 = now();
        for (size_t i = 0; i < nu; i++)
            (void)mm_domains_suggest(d, text + unknown[i].off, unknown[i].len, out, sizeof out);
        double t4 = now(), t[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
        for (int k = 0; r > 0 && k < 4; k++)
            if (t[k] < best[k])
                best[k] = t[k];
    }
    printf("%zu domains, best of %d rounds\n", n, rounds);
    printf("class:              %8.2f M/s  (%lu with a class)\n", n / best[0] / 1e6, classes);
    printf("suggest:            %8.2f M/s  (%lu suggestions)\n", n / best[1] / 1e6, suggestions);
    printf("class, then suggest for the unclassified: %8.2f M/s\n", n / best[2] / 1e6);
    printf("suggest, unknown domains only: %8.2f M/s  (%zu domains, %.0f ns each)\n",
           nu / best[3] / 1e6, nu, best[3] / (nu ? nu : 1) * 1e9);
    mm_domains_free(d);
    free(text);
    free(spans);
    free(unknown);
    return 0;
}
