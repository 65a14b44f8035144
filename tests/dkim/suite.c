/*
 * suite.c - the DKIM vectors of ../shared/testsuites/dkim/ (README.md
 * there): each folder has dns*.tsv key records and a manifest.tsv with one
 * row per signature to check.  The records are served by an in-memory
 * resolver (mm_dns_create_backend), every row's message is verified, and a
 * row conforms when the pass/not-pass decision equals its verdict and our
 * RFC 8601 word is one of its labels.
 *
 * usage: suite DIR   (exit 77 = skip when DIR is missing, unless CI=true)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <mailmedic/dkim.h>
#include <mailmedic/dns.h>

typedef struct zrec {
    char *name;
    bool timeout;
    char *txt;
    size_t len;
} zrec;

typedef struct zone {
    zrec *recs;
    size_t n;
    mm_dns_record rec;
} zone;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

static void zone_free(zone *z)
{
    for (size_t i = 0; i < z->n; i++) {
        free(z->recs[i].name);
        free(z->recs[i].txt);
    }
    free(z->recs);
    z->recs = NULL;
    z->n = 0;
}

/* name TAB TXT TAB string [TAB string...]  or  name TAB TIMEOUT */
static int zone_load(zone *z, const char *path)
{
    size_t len;
    char *data = slurp(path, &len);
    if (!data)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!*line || *line == '#')
            continue;
        char *f[64];
        size_t nf = 0;
        char *s2 = NULL;
        for (char *t = strtok_r(line, "\t", &s2); t && nf < 64; t = strtok_r(NULL, "\t", &s2))
            f[nf++] = t;
        if (nf < 2)
            continue;
        zrec r = {strdup(f[0]), strcmp(f[1], "TIMEOUT") == 0, NULL, 0};
        size_t total = 0;
        for (size_t i = 2; i < nf; i++)
            total += strlen(f[i]);
        r.txt = malloc(total + 1);
        r.txt[0] = '\0';
        for (size_t i = 2; i < nf; i++)
            strcat(r.txt, f[i]); /* character-strings join with nothing between */
        r.len = total;
        z->recs = realloc(z->recs, (z->n + 1) * sizeof *z->recs);
        z->recs[z->n++] = r;
    }
    free(data);
    return 0;
}

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    zone *z = ctx;
    size_t nl = strlen(name);
    if (nl && name[nl - 1] == '.')
        nl--;
    ans->result = MM_DNS_NXDOMAIN;
    ans->rcode = 3;
    for (size_t i = 0; i < z->n; i++) {
        if (strlen(z->recs[i].name) != nl || strncasecmp(z->recs[i].name, name, nl) != 0)
            continue;
        if (z->recs[i].timeout) {
            ans->result = MM_DNS_TIMEOUT;
            ans->rcode = -1;
            return;
        }
        ans->rcode = 0;
        ans->result = MM_DNS_NODATA;
        if (type != MM_DNS_T_TXT)
            return;
        z->rec.u.txt.data = z->recs[i].txt;
        z->rec.u.txt.len = z->recs[i].len;
        z->rec.u.txt.nstrings = 1;
        ans->result = MM_DNS_ANSWER;
        ans->nrecords = 1;
        ans->records = &z->rec;
        return;
    }
}

static bool word_in(const char *word, const char *list)
{
    size_t wl = strlen(word);
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n == wl && strncmp(p, word, n) == 0)
            return true;
        p += n + (c ? 1 : 0);
    }
    return false;
}

/* One manifest row; true when it conforms. */
static bool run_row(const char *dir, char **f)
{
    char path[4096];
    zone z = {0};
    snprintf(path, sizeof path, "%s/%s", dir, f[4]);
    if (zone_load(&z, path) != 0) {
        printf("FAIL %s: cannot read %s\n", f[0], path);
        return false;
    }
    mm_dns_backend b = {"suite", lookup, &z};
    mm_dns *d = NULL;
    mm_dkim_report *rep = NULL;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, f[0]);
    char *msg = slurp(path, &len);
    bool ok = false;
    if (msg && mm_dns_create_backend(&b, &d) == MM_OK &&
        mm_dkim_verify(d, msg, len, NULL, &rep) == MM_OK) {
        const mm_dkim_sig *s = mm_dkim_report_sig(rep, (size_t)atoi(f[1]));
        const char *got = s ? mm_dkim_result_name(s->result) : "missing";
        bool pass = s && s->result == MM_DKIM_PASS;
        if (strcmp(f[2], "any") == 0)
            ok = s != NULL;
        else
            ok = s && pass == (strcmp(f[2], "pass") == 0) && word_in(got, f[3]);
        printf("%s %s sig %s: got %s (%s%s%s), want %s (%s)\n", ok ? "ok  " : "FAIL", f[0], f[1],
               got, s ? mm_dkim_reason_name(s->reason) : "-", s && *s->detail ? ": " : "",
               s ? s->detail : "", f[2], f[3]);
    } else {
        printf("FAIL %s: cannot verify\n", f[0]);
    }
    mm_dkim_report_free(rep);
    mm_dns_free(d);
    free(msg);
    zone_free(&z);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.tsv", argv[1]);
    size_t len;
    char *man = slurp(path, &len);
    if (!man) {
        const char *ci = getenv("CI");
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return ci && strcmp(ci, "true") == 0 ? 1 : 77;
    }
    unsigned passed = 0, failed = 0;
    char *save = NULL;
    for (char *line = strtok_r(man, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (*line == '#' || strncmp(line, "file\t", 5) == 0 || !*line)
            continue;
        char *f[6] = {0};
        size_t nf = 0;
        for (char *p = line; nf < 6; nf++) {
            f[nf] = p;
            char *t = strchr(p, '\t');
            if (!t)
                break;
            *t = '\0';
            p = t + 1;
        }
        if (nf < 4) {
            printf("FAIL malformed manifest line\n");
            failed++;
            continue;
        }
        if (run_row(argv[1], f))
            passed++;
        else
            failed++;
    }
    free(man);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
