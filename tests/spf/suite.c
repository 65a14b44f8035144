/*
 * suite.c - the OpenSPF conformance suites (the .flat files of
 * ../shared/testsuites/spf, see the README there) through mm_spf_check_host()
 * over an in-memory mm_dns backend.
 *
 * usage: spf-suite FILE.flat [EXPECTED-DIFFERENCES] [--bench SECONDS]
 * Each TEST line runs check_host(ip, domain of mailfrom or helo for the null
 * sender, mailfrom, helo); the result must be one of the acceptable ones and
 * the explanation, when the test gives one, must match on a fail.  Test ids
 * listed in EXPECTED-DIFFERENCES (one per line, '#' comments) may fail: they
 * are reported, not counted.  A missing FILE exits 77 (skip) unless CI=true.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailmedic/dns.h>
#include <mailmedic/spf.h>

#define MAXF 16

typedef struct line {
    int nf;
    char *f[MAXF];
    size_t len[MAXF];
} line;

typedef struct zone {
    line *rows; /* NAME, ANSWER, TIMEOUT */
    size_t n, cap;
    size_t *head, *next, hcap; /* rows by name: a hash of chains, in row order */
    mm_dns_record recs[64];
    char txtbuf[64][1024];
} zone;

static int unescape(char *s, size_t *out_len)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        r++;
        if (*r == 'x' && r[1] && r[2]) {
            char h[3] = {r[1], r[2], 0};
            *w++ = (char)strtol(h, NULL, 16);
            r += 2;
        } else {
            *w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
            if (!*r)
                break;
        }
    }
    *out_len = (size_t)(w - s);
    *w = '\0';
    return 0;
}

static void split(char *buf, line *l)
{
    l->nf = 0;
    char *p = buf;
    while (l->nf < MAXF) {
        char *tab = strchr(p, '\t');
        if (tab)
            *tab = '\0';
        l->f[l->nf] = p;
        unescape(p, &l->len[l->nf]);
        l->nf++;
        if (!tab)
            break;
        p = tab + 1;
    }
}

static const char *type_name(int t)
{
    switch (t) {
    case MM_DNS_T_A:
        return "A";
    case MM_DNS_T_AAAA:
        return "AAAA";
    case MM_DNS_T_MX:
        return "MX";
    case MM_DNS_T_TXT:
        return "TXT";
    case MM_DNS_T_PTR:
        return "PTR";
    case MM_DNS_T_CNAME:
        return "CNAME";
    default:
        return "?";
    }
}

/* Names are compared lower-case without a trailing dot (the README's rule 1);
 * zone names are normalised once at load, the query once per look-up. */
static size_t name_hash(const char *s, size_t n)
{
    size_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Index the scenario's rows by name, as the peers' harnesses keep their zone
 * data in hash maps: a look-up then visits only the rows of its own name. */
static int zone_index(zone *z)
{
    size_t cap = 64;
    while (cap < z->n * 2)
        cap <<= 1;
    free(z->head);
    free(z->next);
    z->head = malloc(cap * sizeof *z->head);
    z->next = malloc((z->n ? z->n : 1) * sizeof *z->next);
    if (!z->head || !z->next)
        return -1;
    z->hcap = cap;
    for (size_t i = 0; i < cap; i++)
        z->head[i] = (size_t)-1;
    for (size_t i = z->n; i-- > 0;) {
        z->next[i] = (size_t)-1;
        if (z->rows[i].nf < 2)
            continue;
        size_t h = name_hash(z->rows[i].f[1], z->rows[i].len[1]) & (cap - 1);
        z->next[i] = z->head[h];
        z->head[h] = i;
    }
    return 0;
}

static size_t normalise(char *name)
{
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        name[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        name[i] = (char)tolower((unsigned char)name[i]);
    return n;
}

static int same_name(const line *l, const char *name, size_t n)
{
    return l->len[1] == n && memcmp(l->f[1], name, n) == 0;
}

static void lookup(void *ctx, const char *qname, int type, mm_dns_answer *ans)
{
    zone *z = ctx;
    char name[1024]; /* the evaluator escapes odd bytes as "\\X", "\\DDD" (RFC 1035 5.1) */
    size_t w = 0;
    for (const char *p = qname; *p && w < sizeof name - 1; p++) {
        if (*p == '\\' && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
            isdigit((unsigned char)p[3])) {
            name[w++] = (char)((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
            p += 3;
        } else {
            name[w++] = *p == '\\' && p[1] ? *++p : *p;
        }
    }
    name[w] = '\0';
    size_t nlen = normalise(name);
    const char *tn = type_name(type);
    int known = 0;
    size_t n = 0;
    ans->result = MM_DNS_NXDOMAIN;
    ans->rcode = 3;
    for (size_t i = z->head[name_hash(name, nlen) & (z->hcap - 1)]; i != (size_t)-1;
         i = z->next[i]) {
        line *l = &z->rows[i];
        if (l->nf < 2 || !same_name(l, name, nlen))
            continue;
        known = 1;
        if (l->nf < 3 || strcmp(l->f[2], tn) != 0)
            continue;
        if (strcmp(l->f[0], "TIMEOUT") == 0) {
            ans->result = MM_DNS_TIMEOUT;
            ans->rcode = -1;
            return;
        }
        if (n >= 64)
            break;
        mm_dns_record *r = &z->recs[n];
        memset(r, 0, sizeof *r);
        if (type == MM_DNS_T_A || type == MM_DNS_T_AAAA) {
            r->u.addr.family = type == MM_DNS_T_A ? AF_INET : AF_INET6;
            if (l->nf < 4 || inet_pton(r->u.addr.family, l->f[3], r->u.addr.bytes) != 1)
                continue;
            snprintf(r->u.addr.text, sizeof r->u.addr.text, "%s", l->f[3]);
        } else if (type == MM_DNS_T_MX) {
            r->u.mx.preference = l->nf > 3 ? (unsigned)atoi(l->f[3]) : 0;
            r->u.mx.host = l->nf > 4 ? l->f[4] : "";
        } else if (type == MM_DNS_T_TXT) {
            size_t len = 0;
            for (int k = 3; k < l->nf; k++) {
                if (len + l->len[k] >= sizeof z->txtbuf[n])
                    break;
                memcpy(z->txtbuf[n] + len, l->f[k], l->len[k]);
                len += l->len[k];
            }
            z->txtbuf[n][len] = '\0';
            r->u.txt.data = z->txtbuf[n];
            r->u.txt.len = len;
            r->u.txt.nstrings = (unsigned)(l->nf > 3 ? l->nf - 3 : 0);
        } else {
            r->u.name = l->nf > 3 ? l->f[3] : "";
        }
        n++;
    }
    if (known) {
        ans->rcode = 0;
        ans->result = n ? MM_DNS_ANSWER : MM_DNS_NODATA;
    }
    ans->nrecords = n;
    ans->records = z->recs;
}

static int listed(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

static int accepts(const char *results, const char *got)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", results);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
        if (strcmp(t, got) == 0)
            return 1;
    return 0;
}

/* One TEST line; returns 1 when it passes. */
static int run_test(mm_spf *spf, const line *t, int verbose)
{
    const char *ip = t->f[3], *from = t->f[4], *helo = t->f[5], *want = t->f[6];
    const char *wexp = t->nf > 7 ? t->f[7] : "";
    const char *at = strrchr(from, '@');
    const char *domain = *from ? (at ? at + 1 : from) : helo;
    mm_spf_eval *e = NULL;
    if (mm_spf_check_host(spf, ip, domain, from, helo, &e) != MM_OK) {
        if (verbose)
            printf("FAIL %s: check_host refused the input\n", t->f[1]);
        return 0;
    }
    const char *got = mm_spf_result_name(mm_spf_eval_result(e));
    const char *gexp = mm_spf_eval_explanation(e);
    int ok = accepts(want, got);
    if (ok && *wexp && strcmp(got, "fail") == 0 && (!gexp || strcmp(gexp, wexp) != 0))
        ok = 0;
    if (!ok && verbose)
        printf("FAIL %s (%s): got %s \"%s\", want %s \"%s\"  [%s]\n", t->f[1], t->f[2], got,
               gexp ? gexp : "", want, wexp, mm_spf_eval_reason(e) ? mm_spf_eval_reason(e) : "");
    mm_spf_eval_free(e);
    return ok;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : NULL;
    double bench = 0;
    char *ids[256];
    size_t nids = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--bench") == 0 && i + 1 < argc) {
            bench = atof(argv[++i]);
            continue;
        }
        FILE *d = fopen(argv[i], "r");
        char b[256];
        while (d && fgets(b, sizeof b, d) && nids < 256) {
            b[strcspn(b, "\r\n# \t")] = '\0';
            if (*b)
                ids[nids++] = strdup(b);
        }
        if (d)
            fclose(d);
    }
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        const char *ci = getenv("CI");
        fprintf(stderr, "spf-suite: cannot open %s\n", path ? path : "(no file given)");
        return ci && strcmp(ci, "true") == 0 ? 1 : 77;
    }
    /* the whole file, scenario by scenario */
    line *lines = NULL;
    size_t nl = 0, cap = 0;
    char *buf = NULL;
    size_t bcap = 0;
    while (getline(&buf, &bcap, f) > 0) {
        buf[strcspn(buf, "\n")] = '\0';
        if (buf[0] == '#' || !buf[0])
            continue;
        if (nl == cap) {
            cap = cap ? cap * 2 : 1024;
            lines = realloc(lines, cap * sizeof *lines);
        }
        line *l = &lines[nl++];
        split(strdup(buf), l);
        if (l->nf > 1 && strcmp(l->f[0], "TEST") != 0 && strcmp(l->f[0], "SCENARIO") != 0)
            l->len[1] = normalise(l->f[1]);
    }
    free(buf);
    fclose(f);

    zone *z = calloc(1, sizeof *z);
    mm_dns_backend be = {.name = "suite", .lookup = lookup, .ctx = z};
    mm_dns *dns = NULL;
    mm_spf *spf = NULL;
    if (mm_dns_create_backend(&be, &dns) != MM_OK || mm_spf_create(dns, &spf) != MM_OK)
        return 1;
    mm_spf_set_timestamp(spf, 1234567890);
    size_t passed = 0, failed = 0, expected = 0, evals = 0;
    double spent = 0;
    for (size_t i = 0; i < nl;) {
        if (strcmp(lines[i].f[0], "SCENARIO") != 0) {
            i++;
            continue;
        }
        size_t j = i + 1;
        z->rows = &lines[j];
        z->n = 0;
        while (j < nl && strcmp(lines[j].f[0], "TEST") != 0 && strcmp(lines[j].f[0], "END") != 0 &&
               strcmp(lines[j].f[0], "SCENARIO") != 0) {
            z->n++;
            j++;
        }
        if (zone_index(z) != 0)
            return 1;
        size_t first = j;
        for (; j < nl && strcmp(lines[j].f[0], "TEST") == 0; j++) {
            if (lines[j].nf < 7)
                continue;
            int ok = run_test(spf, &lines[j], 1);
            if (ok)
                passed++;
            else if (listed(ids, nids, lines[j].f[1])) {
                expected++;
                printf("  (expected difference: %s)\n", lines[j].f[1]);
            } else
                failed++;
        }
        if (bench > 0) { /* time the scenario's tests, repeated */
            struct timespec a, b;
            clock_gettime(CLOCK_MONOTONIC, &a);
            for (int rep = 0; rep < 200; rep++)
                for (size_t k = first; k < j; k++, evals++)
                    if (lines[k].nf >= 7)
                        run_test(spf, &lines[k], 0);
            clock_gettime(CLOCK_MONOTONIC, &b);
            spent += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        }
        i = j;
    }
    if (bench > 0 && spent > 0)
        printf("%zu evaluations in %.3f s: %.0f evaluations/s\n", evals, spent,
               (double)evals / spent);
    printf("%zu passed, %zu failed", passed, failed);
    if (nids)
        printf(", %zu expected differences", expected);
    printf("\n");
    mm_spf_free(spf);
    mm_dns_free(dns);
    free(z->head);
    free(z->next);
    free(z);
    for (size_t i = 0; i < nl; i++)
        free(lines[i].f[0]);
    free(lines);
    for (size_t i = 0; i < nids; i++)
        free(ids[i]);
    return failed ? 1 : 0;
}
