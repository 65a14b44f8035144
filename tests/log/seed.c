/*
 * seed.c - put known rows into a bounce log through the store API, for the
 * `mailmedic log` tests (run.py) and the speed figures.  Not installed.
 *
 *   log_seed WHERE events FILE        TSV: key time address action status reply_code
 *                                     reason hard provider diagnostic
 *   log_seed WHERE deliveries FILE    TSV: key time address outcome
 *   log_seed WHERE bulk-suppress N    N suppressed addresses user<i>@d<i%1000>.example
 *   log_seed WHERE bulk-events N A T  N events over A addresses in the T seconds before now
 *
 * Category, severity and retry advice come from mm_advise, as ingest does.
 */
#include <mailmedic/mailmedic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 5000

static int die(const char *what, mm_store *s, mm_status_t st)
{
    fprintf(stderr, "log_seed: %s: %s (%s)\n", what, mm_strerror(st), s ? mm_store_error(s) : "");
    return 3;
}

static void fill(mm_event *e, const char *reason, bool hard, const char *provider)
{
    mm_reason_t r = MM_REASON_UNDEFINED;
    mm_reason_parse(reason, &r);
    mm_advice adv;
    mm_advise(r, provider[0] ? provider : NULL, 0, &adv);
    e->reason = r;
    e->category = adv.category;
    e->severity = adv.severity;
    e->retry_after = adv.retry_after;
    e->hard = hard;
    e->provider = provider;
}

static int events(mm_store *s, FILE *fp)
{
    char line[4096];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        char *f[10];
        size_t n = 0;
        for (char *p = line; n < 10; n++) {
            f[n] = p;
            p = strchr(p, '\t');
            if (!p) {
                n++;
                break;
            }
            *p++ = '\0';
        }
        if (n < 10) {
            fprintf(stderr, "log_seed: short line: %s\n", line);
            return 2;
        }
        mm_event e = {.key = f[0],
                      .time = atoll(f[1]),
                      .address = f[2],
                      .action = f[3],
                      .status = f[4],
                      .reply_code = atoi(f[5]),
                      .diagnostic = f[9],
                      .remote_mta = "",
                      .mta = "test",
                      .subject = "",
                      .message_id = "",
                      .origin = "seed"};
        fill(&e, f[6], strcmp(f[7], "1") == 0, f[8]);
        mm_status_t st = mm_store_add_events(s, &e, 1, NULL, NULL, NULL);
        if (st != MM_OK)
            return die("add_events", s, st);
    }
    return 0;
}

static int deliveries(mm_store *s, FILE *fp)
{
    char line[1024], key[256], addr[256], outcome[32];
    long long t;
    while (fgets(line, sizeof line, fp)) {
        if (sscanf(line, "%255s %lld %255s %31s", key, &t, addr, outcome) != 4)
            continue;
        mm_delivery d = {.key = key,
                         .time = t,
                         .address = addr,
                         .outcome = outcome,
                         .status = "",
                         .reply = "",
                         .relay = "",
                         .queue_id = "",
                         .origin = "seed"};
        mm_status_t st = mm_store_add_deliveries(s, &d, 1, NULL, NULL, NULL);
        if (st != MM_OK)
            return die("add_deliveries", s, st);
    }
    return 0;
}

static int bulk_suppress(mm_store *s, long n)
{
    char(*buf)[48] = malloc(sizeof(*buf) * BATCH);
    const char **p = malloc(sizeof(*p) * BATCH);
    if (!buf || !p)
        return 3;
    for (long i = 0; i < n;) {
        size_t k = 0;
        for (; k < BATCH && i < n; k++, i++) {
            snprintf(buf[k], sizeof buf[k], "user%ld@d%ld.example", i, i % 1000);
            p[k] = buf[k];
        }
        mm_status_t st = mm_store_suppress(s, p, k, MM_WHY_IMPORTED, NULL, (int64_t)time(NULL));
        if (st != MM_OK)
            return die("suppress", s, st);
    }
    free(buf);
    free(p);
    return 0;
}

static int bulk_events(mm_store *s, long n, long addrs, long span)
{
    static const char *const reasons[] = {"userunknown", "mailboxfull",  "blocked",
                                          "hostunknown", "spamdetected", "systemerror"};
    static const char *const doms[] = {"qq.com",     "163.com",    "gmail.com",
                                       "example.de", "company.cn", "outlook.com"};
    mm_event *ev = calloc(BATCH, sizeof *ev);
    char(*keys)[32] = malloc(sizeof(*keys) * BATCH);
    char(*ad)[48] = malloc(sizeof(*ad) * BATCH);
    if (!ev || !keys || !ad)
        return 3;
    int64_t now = (int64_t)time(NULL);
    unsigned x = 1;
    for (long i = 0; i < n;) {
        size_t k = 0;
        for (; k < BATCH && i < n; k++, i++) {
            x = x * 1103515245u + 12345u;
            long a = (long)(x >> 8) % addrs;
            snprintf(keys[k], sizeof keys[k], "bulk-%ld", i);
            snprintf(ad[k], sizeof ad[k], "u%ld@%s", a, doms[a % 6]);
            const char *r = reasons[(x >> 4) % 6];
            ev[k] = (mm_event){.key = keys[k],
                               .time = now - span + (int64_t)(x % (unsigned)span),
                               .address = ad[k],
                               .action = "failed",
                               .status = "",
                               .diagnostic = "",
                               .remote_mta = "",
                               .mta = "test",
                               .subject = "",
                               .message_id = "",
                               .origin = "bulk"};
            fill(&ev[k], r, strcmp(r, "userunknown") == 0 || strcmp(r, "hostunknown") == 0, "");
        }
        mm_status_t st = mm_store_add_events(s, ev, k, NULL, NULL, NULL);
        if (st != MM_OK)
            return die("add_events", s, st);
    }
    free(ev);
    free(keys);
    free(ad);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: log_seed WHERE events|deliveries FILE | bulk-suppress N | "
                        "bulk-events N ADDRS SPAN\n");
        return 2;
    }
    mm_store *s = NULL;
    char why[512] = "";
    mm_status_t st = mm_store_open(argv[1], NULL, &s, why, sizeof why);
    if (st != MM_OK) {
        fprintf(stderr, "log_seed: %s\n", why);
        return 3;
    }
    int rc = 2;
    if (strcmp(argv[2], "events") == 0 || strcmp(argv[2], "deliveries") == 0) {
        FILE *fp = strcmp(argv[3], "-") == 0 ? stdin : fopen(argv[3], "r");
        if (!fp) {
            perror(argv[3]);
            mm_store_close(s);
            return 2;
        }
        rc = argv[2][0] == 'e' ? events(s, fp) : deliveries(s, fp);
        if (fp != stdin)
            fclose(fp);
    } else if (strcmp(argv[2], "bulk-suppress") == 0) {
        rc = bulk_suppress(s, atol(argv[3]));
    } else if (strcmp(argv[2], "bulk-events") == 0 && argc == 6) {
        rc = bulk_events(s, atol(argv[3]), atol(argv[4]), atol(argv[5]));
    }
    mm_store_close(s);
    return rc;
}
