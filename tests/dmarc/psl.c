/*
 * psl.c - mm_dmarc_org_domain() against the Public Suffix List project's
 * test list (checkPublicSuffix(input, expected-registrable-domain) lines,
 * null = no organizational domain), with the system PSL data (or --psl FILE).
 *
 * Usage: psl FILE [--psl PSLFILE] [--min-correct PERCENT] [--skip-if-missing]
 * Exits 1 below PERCENT (default 100).  Prints "got X, want Y" per failure.
 * The PSL changes over time: a list newer than the data may disagree.
 */
#include <mailmedic/dmarc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The next argument of checkPublicSuffix: 'text' or null; NULL on a syntax error. */
static char *arg(char **p, int *is_null)
{
    char *s = *p;
    while (*s == ' ' || *s == ',' || *s == '(')
        s++;
    *is_null = strncmp(s, "null", 4) == 0;
    if (*is_null) {
        *p = s + 4;
        return s;
    }
    if (*s != '\'')
        return NULL;
    char *end = strchr(s + 1, '\'');
    if (!end)
        return NULL;
    *end = '\0';
    *p = end + 1;
    return s + 1;
}

int main(int argc, char **argv)
{
    const char *psl_file = NULL;
    int skip_if_missing = 0, min = 100;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--psl") == 0 && i + 1 < argc)
            psl_file = argv[++i];
        else if (strcmp(argv[i], "--min-correct") == 0 && i + 1 < argc)
            min = atoi(argv[++i]);
        else if (strcmp(argv[i], "--skip-if-missing") == 0)
            skip_if_missing = 1;
    }
    FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
    if (!f) {
        perror(argc > 1 ? argv[1] : "psl");
        const char *ci = getenv("CI");
        if (skip_if_missing && !(ci && strcmp(ci, "true") == 0)) {
            fprintf(stderr, "skipped: the shared test suite is not there\n");
            return 77;
        }
        return 1;
    }
    mm_dmarc *c = NULL;
    mm_dmarc_opts o = {.psl_file = psl_file};
    if (mm_dmarc_create(NULL, &o, &c) != MM_OK) {
        fprintf(stderr, "cannot load the Public Suffix List\n");
        fclose(f);
        return 1;
    }
    char line[1024];
    int total = 0, ok = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, "checkPublicSuffix(");
        if (!p || strncmp(line, "//", 2) == 0)
            continue;
        p += strlen("checkPublicSuffix");
        int in_null, want_null;
        char *in = arg(&p, &in_null);
        char *want = in ? arg(&p, &want_null) : NULL;
        if (!in || !want)
            continue;
        total++;
        char got[512];
        mm_status_t st = in_null ? MM_EINVAL : mm_dmarc_org_domain(c, in, got, sizeof got);
        const char *g = st == MM_OK ? got : "null";
        const char *w = want_null ? "null" : want;
        if (strcmp(g, w) == 0)
            ok++;
        else
            printf("%s: got %s, want %s\n", in_null ? "null" : in, g, w);
    }
    fclose(f);
    mm_dmarc_free(c);
    printf("dmarc psl: %d/%d checks pass\n", ok, total);
    return total > 0 && ok * 100 >= min * total ? 0 : 1;
}
