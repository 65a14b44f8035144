/*
 * speed.c - the store's speed figures for docs/LOG.md (not a test: run it
 * by hand, `store_speed DIR`, on an idle machine).
 *   1. add_events: 100,000 events in batches of 1,000 into a fresh file;
 *   2. grow the log to 1,000,000 events on 1,000,000 addresses;
 *   3. check: 100,000 addresses (half known) against those 1,000,000 rows;
 *   4. each_stat_row over the 1,000,000 events.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mailmedic/store.h>

#define BATCH_MAX 10000

/* Events per add_events call: 1,000, or MM_SPEED_BATCH (up to 10,000). */
static long BATCH = 1000;
/* MM_SPEED_ORDERED=1: keys and addresses in ascending order (the best case). */
static bool ORDERED = false;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: steadier than wall time on a shared machine. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct batch {
    mm_event ev[BATCH_MAX];
    char key[BATCH_MAX][32], addr[BATCH_MAX][48], diag[BATCH_MAX][96];
} batch;

/* Events first..first+n-1: address i, a mix of hard and soft bounces. */
static void fill(batch *b, long first, long n)
{
    for (long j = 0; j < n; j++) {
        long i = first + j;
        bool hard = i % 3 == 0;
        /* Keys are hashes and addresses arrive in no order, as in a real
         * ingest: a bijection of 0..999,999 spreads them over the B-trees. */
        long a = ORDERED ? i : (i * 7919) % 1000000;
        if (ORDERED)
            snprintf(b->key[j], sizeof b->key[j], "speed-%ld", i);
        else
            snprintf(b->key[j], sizeof b->key[j], "%016llx",
                     (unsigned long long)i * 0x9E3779B97F4A7C15ull);
        snprintf(b->addr[j], sizeof b->addr[j], "user%07ld@Domain%03ld.example", a, a % 1000);
        snprintf(b->diag[j], sizeof b->diag[j],
                 "550 5.1.1 <user%07ld@domain%03ld.example>: "
                 "Recipient address rejected: User unknown",
                 a, a % 1000);
        b->ev[j] =
            (mm_event){.key = b->key[j],
                       .time = 1700000000 + i,
                       .address = b->addr[j],
                       .action = "failed",
                       .status = hard ? "5.1.1" : "4.2.2",
                       .reply_code = hard ? 550 : 452,
                       .reason = hard ? MM_REASON_USERUNKNOWN : MM_REASON_MAILBOXFULL,
                       .category = hard ? MM_CATEGORY_INVALID_ADDRESS : MM_CATEGORY_MAILBOX_FULL,
                       .severity = MM_SEVERITY_HIGH,
                       .hard = hard,
                       .provider = "tencent",
                       .diagnostic = b->diag[j],
                       .remote_mta = "mx.example.net",
                       .mta = "postfix",
                       .subject = "Quotation",
                       .message_id = "<x@y>",
                       .origin = "file:speed"};
    }
}

static int add_range(mm_store *s, batch *b, long from, long to)
{
    for (long i = from; i < to; i += BATCH) {
        long n = to - i < BATCH ? to - i : BATCH;
        fill(b, i, n);
        mm_status_t st = mm_store_add_events(s, b->ev, (size_t)n, NULL, NULL, NULL);
        if (st != MM_OK) {
            fprintf(stderr, "add_events: %s\n", mm_store_error(s));
            return 1;
        }
    }
    return 0;
}

static int count_cb(void *arg, const mm_address_info *a)
{
    *(long *)arg += a->known;
    return 0;
}

static int stat_cb(void *arg, const mm_stat_row *r)
{
    *(long *)arg += r->hard;
    return 0;
}

int main(int argc, char **argv)
{
    /* --reuse: keep DIR/speed.sqlite from an earlier run, measure only the reads */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("MM_SPEED_BATCH"))
        BATCH = atol(getenv("MM_SPEED_BATCH"));
    if (BATCH < 1 || BATCH > BATCH_MAX)
        BATCH = 1000;
    ORDERED = getenv("MM_SPEED_ORDERED") != NULL;
    bool reuse = argc == 3 && strcmp(argv[2], "--reuse") == 0;
    if (argc != 2 && !reuse) {
        fprintf(stderr, "usage: store_speed DIR [--reuse]\n");
        return 2;
    }
    char path[600], why[512];
    snprintf(path, sizeof path, "%s/speed.sqlite", argv[1]);
    if (!reuse)
        unlink(path);
    mm_store *s = NULL;
    if (mm_store_open(path, NULL, &s, why, sizeof why) != MM_OK) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    batch *b = malloc(sizeof *b);
    double t, dt;
    if (!reuse) {
        t = now();
        double c = cpu();
        if (add_range(s, b, 0, 100000))
            return 1;
        dt = now() - t;
        c = cpu() - c;
        printf("add_events: 100000 events in batches of %d: %.2f s wall (%.0f events/s), "
               "%.2f s CPU (%.0f events/s)\n",
               (int)BATCH, dt, 100000 / dt, c, 100000 / c);
        t = now();
        if (add_range(s, b, 100000, 1000000))
            return 1;
        dt = now() - t;
        printf("add_events: 900000 more (to 1M events/addresses): %.2f s, %.0f events/s\n", dt,
               900000 / dt);
    }

    /* 100,000 addresses: even ones stored, odd ones past the end (unknown) */
    char(*addrs)[48] = malloc(100000 * sizeof *addrs);
    const char **v = malloc(100000 * sizeof *v);
    for (long i = 0; i < 100000; i++) {
        long k = i % 2 ? 2000000 + i : i * 9;
        snprintf(addrs[i], sizeof addrs[i], "user%07ld@domain%03ld.example", k, k % 1000);
        v[i] = addrs[i];
    }
    long known = 0;
    t = now();
    double c = cpu();
    if (mm_store_check(s, v, 100000, count_cb, &known) != MM_OK)
        return 1;
    dt = now() - t;
    printf("check: 100000 addresses against 1000000 rows: %.3f s wall, %.3f s CPU (%ld known)\n",
           dt, cpu() - c, known);

    long hard = 0;
    t = now();
    c = cpu();
    if (mm_store_each_stat_row(s, 0, 0, stat_cb, &hard) != MM_OK)
        return 1;
    dt = now() - t;
    printf("each_stat_row: 1000000 events: %.3f s wall, %.3f s CPU (%ld hard)\n", dt, cpu() - c,
           hard);
    mm_store_close(s);
    free(b);
    free(addrs);
    free(v);
    return 0;
}
