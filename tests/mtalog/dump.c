/*
 * dump.c - print what the MTA log parser makes of each line of a file, one
 * line of output per input line (the golden files NAME.expected beside the logs),
 * or time it: dump --bench N FILE parses the file N times and prints lines/s.
 * The reference time is fixed (2026-11-30 12:00:00 UTC) so output is stable.
 */
#include <mailmedic/mtalog.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFERENCE 1796040000 /* 2026-11-30T12:00:00Z */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static const char *code(mm_status_t st)
{
    return st == MM_OK ? "OK" : st == MM_ENOTFOUND ? "-" : st == MM_EPARSE ? "EPARSE" : "ERROR";
}

static void dump(const char *buf, size_t len)
{
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_AUTO, REFERENCE);
    size_t lineno = 0;
    for (const char *s = buf, *e = buf + len; s < e;) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
        mm_mtalog_record r;
        mm_status_t st = mm_mtalog_parse_line(p, s, n, &r);
        lineno++;
        if (st == MM_OK)
            printf("%zu OK %s %" PRId64 " %s <%s> <%s> dsn=%s relay=%s qid=%s reply=[%s]\n", lineno,
                   r.mta, r.time, r.outcome, r.address, r.orig_address, r.status, r.relay,
                   r.queue_id, r.reply);
        else
            printf("%zu %s\n", lineno, code(st));
        s += n + 1;
    }
    mm_mtalog_free(p);
}

static int bench(const char *buf, size_t len, int rounds)
{
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_AUTO, REFERENCE);
    struct timespec a, b;
    uint64_t lines = 0, ok = 0;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < rounds; i++)
        for (const char *s = buf, *e = buf + len; s < e;) {
            const char *nl = memchr(s, '\n', (size_t)(e - s));
            size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
            mm_mtalog_record r;
            ok += mm_mtalog_parse_line(p, s, n, &r) == MM_OK;
            lines++;
            s += n + 1;
        }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("%" PRIu64 " lines (%" PRIu64 " deliveries) in %.3f s: %.0f lines/s\n", lines, ok, secs,
           (double)lines / secs);
    mm_mtalog_free(p);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = 0;
    if (argc == 4 && strcmp(argv[1], "--bench") == 0) {
        rounds = atoi(argv[2]);
        argv += 2;
        argc -= 2;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: mtalog_dump [--bench N] FILE\n");
        return 2;
    }
    size_t len;
    char *buf = slurp(argv[1], &len);
    if (!buf) {
        perror(argv[1]);
        return 1;
    }
    if (rounds > 0)
        bench(buf, len, rounds);
    else
        dump(buf, len);
    free(buf);
    return 0;
}
