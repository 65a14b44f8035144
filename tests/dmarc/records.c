/*
 * records.c - the record parser against a table of records and their
 * RFC 7489 outcome (../shared/testsuites/dmarc/records.tsv, or our own table
 * of the same shape).
 *
 * Usage: records FILE [--skip-if-missing] [--verbose]
 * Columns: record outcome p sp pct adkim aspf rua note; "*" is not asserted,
 * "-" means none/not applicable; "\t" and "\\" escapes in the record.  Every
 * row must pass.  With --skip-if-missing a missing FILE (../shared is not
 * checked out) skips the test (exit 77), except under CI=true, where it fails.
 */
#include <mailmedic/dmarc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCOL 9

static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    for (; *in; in++) {
        if (in[0] == '\\' && in[1] == 't')
            out[n++] = '\t', in++;
        else if (in[0] == '\\' && in[1] == '\\')
            out[n++] = '\\', in++;
        else
            out[n++] = *in;
    }
    out[n] = '\0';
    return n;
}

static int split(char *line, char **col)
{
    int n = 0;
    col[n++] = line;
    for (char *p = line; *p && n < NCOL; p++)
        if (*p == '\t') {
            *p = '\0';
            col[n++] = p + 1;
        }
    return n;
}

static const char *mode(mm_dmarc_mode m)
{
    return m == MM_DMARC_STRICT ? "s" : "r";
}

static void rua_list(const mm_dmarc_record *r, char *out, size_t len)
{
    out[0] = '\0';
    if (r->nrua == 0)
        snprintf(out, len, "-");
    for (size_t i = 0; i < r->nrua; i++) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i ? "," : "", r->rua[i].text);
    }
}

/* Compare one column; "*" (and "-" outside policy rows) is not asserted. */
static int check(int line, const char *what, const char *got, const char *want, int *bad)
{
    if (strcmp(want, "*") == 0 || strcmp(got, want) == 0)
        return 0;
    printf("line %d: %s: got %s, want %s\n", line, what, got, want);
    *bad = 1;
    return 1;
}

static int run_row(int line, char **col)
{
    char rec[4096];
    size_t n = unescape(col[0], rec);
    mm_dmarc_record *r = NULL;
    mm_status_t st = mm_dmarc_parse(rec, n, &r);
    if (st != MM_OK) {
        printf("line %d: parse failed: %s\n", line, mm_strerror(st));
        return 1;
    }
    int bad = 0;
    check(line, "outcome", mm_dmarc_outcome_name(r->outcome), col[1], &bad);
    if (r->outcome != MM_DMARC_OUTCOME_IGNORE && strcmp(col[1], "ignore") != 0) {
        char pct[16], rua[2048];
        snprintf(pct, sizeof pct, "%u", r->pct);
        rua_list(r, rua, sizeof rua);
        check(line, "p", mm_dmarc_policy_name(r->p), col[2], &bad);
        check(line, "sp", mm_dmarc_policy_name(r->sp), col[3], &bad);
        check(line, "pct", pct, col[4], &bad);
        check(line, "adkim", mode(r->adkim), col[5], &bad);
        check(line, "aspf", mode(r->aspf), col[6], &bad);
        check(line, "rua", rua, col[7], &bad);
    }
    mm_dmarc_record_free(r);
    return bad;
}

int main(int argc, char **argv)
{
    int skip_if_missing = 0, verbose = 0;
    for (int i = 2; i < argc; i++) {
        skip_if_missing |= strcmp(argv[i], "--skip-if-missing") == 0;
        verbose |= strcmp(argv[i], "--verbose") == 0;
    }
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (!f) {
        perror(argc > 1 ? argv[1] : "records");
        const char *ci = getenv("CI");
        if (skip_if_missing && !(ci && strcmp(ci, "true") == 0)) {
            fprintf(stderr, "skipped: the shared test suite is not there\n");
            return 77;
        }
        return 1;
    }
    char buf[8192];
    int line = 0, rows = 0, passed = 0, header = 0;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        buf[strcspn(buf, "\r\n")] = '\0';
        if (buf[0] == '#')
            continue;
        if (!header++) /* the column names */
            continue;
        char *col[NCOL];
        if (split(buf, col) < 8) {
            printf("line %d: too few columns\n", line);
            rows++;
            continue;
        }
        rows++;
        int bad = run_row(line, col);
        passed += !bad;
        if (verbose && !bad)
            printf("line %d: ok\n", line);
    }
    fclose(f);
    printf("dmarc records: %d/%d rows pass\n", passed, rows);
    return rows > 0 && passed == rows ? 0 : 1;
}
