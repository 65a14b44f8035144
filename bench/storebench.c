/*
 * storebench.c - the speed of the bounce-log store, on any backend.
 *
 *   storebench URI [events [address-rows [checks [stat-events]]]]
 *
 * URI is what mm_store_open() takes (an SQLite path or postgresql://...);
 * use an empty database.  Phases, each timed on its own:
 *   1. add_events: `events` (100,000) bounces in batches of 1,000, every
 *      tenth address bouncing again, so the policy updates rows too;
 *   2. suppress `address-rows` (1,000,000) addresses in batches of 10,000
 *      (the suppression list of the check phase);
 *   3. check `checks` (100,000) addresses, half of them on the list, in one
 *      call (what `mailmedic log check` does);
 *   4. more events until `stat-events` (1,000,000) are stored, then
 *      each_stat_row over all of them: the first run, and the best of three
 *      more.
 * Prints one line per phase: what, how many, seconds, per second.
 */
#include <mailmedic/store.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { BATCH = 1000, SUPPRESS_BATCH = 10000 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, long n, double t)
{
    printf("%-28s %9ld in %7.3f s = %10.0f /s\n", what, n, t, t > 0 ? (double)n / t : 0.0);
    fflush(stdout);
}

static void die(mm_store *s, const char *what, mm_status_t st)
{
    fprintf(stderr, "storebench: %s: %s: %s\n", what, mm_strerror(st), s ? mm_store_error(s) : "");
    exit(1);
}

typedef struct names {
    char (*addr)[48];
    char (*key)[32];
} names;

/* Events first .. first+n-1 (keys bench-N): a realistic mix of hard and soft. */
static void add_events(mm_store *s, long first, long n, names *nm)
{
    mm_event ev[BATCH];
    for (long done = 0; done < n; done += BATCH) {
        int m = n - done < BATCH ? (int)(n - done) : BATCH;
        for (int i = 0; i < m; i++) {
            long id = first + done + i;
            long who = id % 10 == 9 ? id - 9 : id; /* every tenth: an address seen before */
            snprintf(nm->key[i], sizeof nm->key[i], "bench-%ld", id);
            snprintf(nm->addr[i], sizeof nm->addr[i], "user%ld@d%ld.example.com", who, who % 997);
            bool hard = id % 3 != 0;
            ev[i] = (mm_event){
                .key = nm->key[i],
                .time = 1700000000 + id,
                .address = nm->addr[i],
                .action = "failed",
                .status = hard ? "5.1.1" : "4.2.2",
                .reply_code = hard ? 550 : 452,
                .reason = hard ? MM_REASON_USERUNKNOWN : MM_REASON_MAILBOXFULL,
                .category = hard ? MM_CATEGORY_INVALID_ADDRESS : MM_CATEGORY_MAILBOX_FULL,
                .severity = MM_SEVERITY_HIGH,
                .hard = hard,
                .retry_after = hard ? MM_RETRY_NEVER : 86400,
                .provider = id % 2 ? "tencent" : "gmail",
                .diagnostic = hard ? "550 5.1.1 <user@example.com>: Recipient address rejected: "
                                     "User unknown in virtual mailbox table"
                                   : "452 4.2.2 Mailbox full",
                .remote_mta = "mx.example.com",
                .mta = "postfix",
                .subject = "Quarterly catalogue / 季度产品目录",
                .message_id = "<bench@example.org>",
                .origin = "bench",
            };
        }
        size_t added = 0;
        mm_status_t st = mm_store_add_events(s, ev, (size_t)m, NULL, NULL, &added);
        if (st != MM_OK)
            die(s, "add_events", st);
    }
}

static int count_cb(void *arg, const mm_address_info *a)
{
    long *c = arg;
    c[0]++;
    c[1] += a->state == MM_ADDR_SUPPRESSED;
    return 0;
}

static int stat_cb(void *arg, const mm_stat_row *r)
{
    long *c = arg;
    c[0]++;
    c[1] += r->hard;
    return 0;
}

static char **make_addresses(long n, long first, const char *fmt)
{
    char **v = malloc((size_t)n * sizeof *v);
    for (long i = 0; v && i < n; i++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, fmt, first + i, (first + i) % 991);
        if (!(v[i] = strdup(tmp)))
            exit(1);
    }
    if (!v)
        exit(1);
    return v;
}

static void free_addresses(char **v, long n)
{
    for (long i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: storebench URI [events [address-rows [checks [stat-events]]]]\n");
        return 2;
    }
    long events = argc > 2 ? atol(argv[2]) : 100000;
    long rows = argc > 3 ? atol(argv[3]) : 1000000;
    long checks = argc > 4 ? atol(argv[4]) : 100000;
    long stat_events = argc > 5 ? atol(argv[5]) : 1000000;
    char why[512];
    mm_store *s = NULL;
    mm_status_t st = mm_store_open(argv[1], NULL, &s, why, sizeof why);
    if (st != MM_OK) {
        fprintf(stderr, "storebench: %s\n", why);
        return 1;
    }
    printf("storebench on %s\n", mm_store_backend(s));
    names nm = {malloc(BATCH * sizeof *nm.addr), malloc(BATCH * sizeof *nm.key)};
    if (!nm.addr || !nm.key)
        return 1;

    double t = now_s();
    add_events(s, 0, events, &nm);
    report("add_events (batches of 1000)", events, now_s() - t);

    char **list = make_addresses(rows, 0, "list%ld@s%ld.example.net");
    t = now_s();
    for (long done = 0; done < rows; done += SUPPRESS_BATCH) {
        size_t m = (size_t)(rows - done < SUPPRESS_BATCH ? rows - done : SUPPRESS_BATCH);
        st = mm_store_suppress(s, (const char *const *)list + done, m, MM_WHY_IMPORTED, NULL,
                               1700000000);
        if (st != MM_OK)
            die(s, "suppress", st);
    }
    report("suppress (batches of 10000)", rows, now_s() - t);

    /* Half on the list (every other row of it), half unknown. */
    char **ask = malloc((size_t)checks * sizeof *ask);
    char **unknown = make_addresses(checks / 2 + 1, 0, "nobody%ld@u%ld.example.org");
    if (!ask)
        return 1;
    for (long i = 0; i < checks; i++)
        ask[i] = i % 2 ? unknown[i / 2] : list[(i * 2) % (rows ? rows : 1)];
    long counts[2] = {0, 0}, best_n = 0;
    double best = 0;
    t = now_s();
    st = mm_store_check(s, (const char *const *)ask, rows ? (size_t)checks : 0, count_cb, counts);
    if (st != MM_OK)
        die(s, "check", st);
    report("check", counts[0], now_s() - t);
    printf("  (%ld suppressed)\n", counts[1]);
    free(ask);
    free_addresses(unknown, checks / 2 + 1);
    free_addresses(list, rows);

    if (stat_events > events) {
        t = now_s();
        add_events(s, events, stat_events - events, &nm);
        report("add_events (filling up)", stat_events - events, now_s() - t);
    }
    /* The first scan after a bulk load also settles the rows (PostgreSQL
     * sets hint bits, as autovacuum would have done by then): report it
     * apart from the best of the next runs. */
    for (int run = 0; run < 4; run++) {
        long sc[2] = {0, 0};
        t = now_s();
        st = mm_store_each_stat_row(s, 0, 0, stat_cb, sc);
        if (st != MM_OK)
            die(s, "each_stat_row", st);
        double took = now_s() - t;
        if (run == 0)
            report("each_stat_row (first)", sc[0], took);
        else if (run == 1 || took < best)
            best = took, best_n = sc[0];
    }
    report("each_stat_row (best of 3)", best_n, best);

    free(nm.addr);
    free(nm.key);
    mm_store_close(s);
    return 0;
}
