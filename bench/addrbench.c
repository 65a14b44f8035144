/*
 * addrbench.c - throughput of mm_addr_check() alone (the first stage of
 * `mailmedic verify`), single-threaded.
 *
 *   python3 ../shared/testsuites/peer-harness/gen-addresses.py -n 1000000 > /tmp/addr.tsv
 *   ninja -C build bench/addrbench && build/bench/addrbench /tmp/addr.tsv [runs]
 *
 * Reads "address<TAB>label" lines (the label, valid|invalid, is the
 * generator's verdict and is compared), loads them all into memory, then
 * checks the whole list `runs` times (default 5) and prints the median
 * addresses per second.  Built only when asked (not by default, never
 * installed).
 */
#include <mailmedic/address.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct item {
    const char *s;
    size_t n;
    int valid;
} item;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[n] = '\0', *len = (size_t)n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: addrbench FILE [runs]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    size_t len, count = 0, cap = 1 << 20;
    char *buf = slurp(argv[1], &len);
    item *items = malloc(cap * sizeof *items);
    if (!buf || !items || runs < 1) {
        fprintf(stderr, "addrbench: cannot read %s\n", argv[1]);
        return 2;
    }
    for (char *p = buf, *end = buf + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        char *tab = memchr(p, '\t', (size_t)(e - p));
        if (count == cap && !(items = realloc(items, (cap *= 2) * sizeof *items)))
            return 2;
        items[count].s = p;
        items[count].n = (size_t)((tab ? tab : e) - p);
        items[count].valid = tab ? strncmp(tab + 1, "valid", 5) == 0 : -1;
        count++;
        p = e + 1;
    }
    mm_addr_checker *c;
    if (mm_addr_checker_create(&c) != MM_OK)
        return 2;
    static mm_addr a;
    double *rate = malloc((size_t)runs * sizeof *rate);
    size_t ok = 0, agree = 0;
    for (int r = 0; r < runs; r++) {
        ok = agree = 0;
        double t0 = now();
        for (size_t i = 0; i < count; i++) {
            mm_addr_check(c, items[i].s, items[i].n, 0, &a);
            ok += a.syntax_ok;
            agree += (int)a.syntax_ok == items[i].valid;
        }
        rate[r] = (double)count / (now() - t0);
    }
    qsort(rate, (size_t)runs, sizeof *rate, cmp);
    printf("addrbench: %zu addresses, %zu valid, %.2f%% agree with the labels; "
           "median of %d runs: %.0f addresses/s (min %.0f, max %.0f)\n",
           count, ok, 100.0 * (double)agree / (double)count, runs, rate[runs / 2], rate[0],
           rate[runs - 1]);
    mm_addr_checker_free(c);
    free(rate);
    free(items);
    free(buf);
    return 0;
}
