/*
 * logfill.c - fill a bounce log fast, for bench/log-bench.sh.
 *
 *   logfill DB events N       N bounce events (mm_store_add_events, 10,000 per
 *                             transaction): 200,000 addresses over 2,000
 *                             domains, times spread over the last 365 days,
 *                             reasons and categories from a small table,
 *                             about one in three hard
 *   logfill DB suppress N     N addresses suppressed (mm_store_suppress, why
 *                             "imported"): user0000000@d0000.example ...
 *   logfill - addresses N M   print M addresses for `log check`: random
 *                             picks from the first 2*N of the same names, so
 *                             about half are on a list of N
 *
 * The names are the same function of i in every mode, so a check list hits
 * the suppression list as intended.  Deterministic (fixed seed).
 */
#include <mailmedic/mailmedic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 10000
#define DOMAINS 2000

static unsigned long long rng = 88172645463325252ull;

static unsigned long long next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void address(char *buf, size_t n, unsigned long i)
{
    snprintf(buf, n, "user%07lu@d%04lu.example", i, i % DOMAINS);
}

static const struct {
    mm_reason_t reason;
    mm_category_t category;
    bool hard;
    const char *status;
} kinds[] = {
    {MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS, true, "5.1.1"},
    {MM_REASON_MAILBOXFULL, MM_CATEGORY_MAILBOX_FULL, false, "4.2.2"},
    {MM_REASON_BLOCKED, MM_CATEGORY_BLOCKED, false, "5.7.1"},
    {MM_REASON_SPAMDETECTED, MM_CATEGORY_SPAM_CONTENT, false, "5.7.1"},
    {MM_REASON_HOSTUNKNOWN, MM_CATEGORY_DNS_HOST, true, "5.4.4"},
    {MM_REASON_EXPIRED, MM_CATEGORY_TEMPORARY, false, "4.4.7"},
};

static const char *providers[] = {"tencent", "netease", "alibaba", "google", "microsoft", ""};

static int fill_events(mm_store *s, unsigned long n)
{
    mm_event *ev = calloc(CHUNK, sizeof *ev);
    char(*keys)[32] = calloc(CHUNK, sizeof *keys);
    char(*addrs)[64] = calloc(CHUNK, sizeof *addrs);
    if (!ev || !keys || !addrs)
        return 1;
    int64_t now = (int64_t)time(NULL);
    for (unsigned long done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        for (size_t i = 0; i < k; i++) {
            unsigned long long r = next();
            size_t t = (size_t)(r % (sizeof kinds / sizeof kinds[0]));
            snprintf(keys[i], sizeof keys[i], "fill-%lu", done + i);
            address(addrs[i], sizeof addrs[i], (unsigned long)((r >> 8) % 200000));
            ev[i] = (mm_event){.key = keys[i],
                               .time = now - (int64_t)((r >> 24) % (365 * 86400)),
                               .address = addrs[i],
                               .action = "failed",
                               .status = kinds[t].status,
                               .reply_code = 550,
                               .reason = kinds[t].reason,
                               .category = kinds[t].category,
                               .severity = MM_SEVERITY_HIGH,
                               .hard = kinds[t].hard,
                               .provider = providers[(r >> 40) % 6],
                               .diagnostic = "bench",
                               .remote_mta = "",
                               .mta = "bench",
                               .subject = "",
                               .message_id = "",
                               .origin = "logfill"};
        }
        size_t added = 0;
        if (mm_store_add_events(s, ev, k, NULL, NULL, &added) != MM_OK) {
            fprintf(stderr, "logfill: %s\n", mm_store_error(s));
            return 1;
        }
        done += k;
    }
    free(ev);
    free(keys);
    free(addrs);
    return 0;
}

static int fill_suppress(mm_store *s, unsigned long n)
{
    char(*buf)[64] = calloc(CHUNK, sizeof *buf);
    const char **p = calloc(CHUNK, sizeof *p);
    if (!buf || !p)
        return 1;
    int64_t now = (int64_t)time(NULL);
    for (unsigned long done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        for (size_t i = 0; i < k; i++) {
            address(buf[i], sizeof buf[i], done + i);
            p[i] = buf[i];
        }
        if (mm_store_suppress(s, p, k, MM_WHY_IMPORTED, NULL, now) != MM_OK) {
            fprintf(stderr, "logfill: %s\n", mm_store_error(s));
            return 1;
        }
        done += k;
    }
    free(buf);
    free(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: logfill DB events|suppress N | logfill - addresses N M\n");
        return 2;
    }
    unsigned long n = strtoul(argv[3], NULL, 10);
    if (strcmp(argv[2], "addresses") == 0 && argc == 5) {
        unsigned long m = strtoul(argv[4], NULL, 10);
        char a[64];
        for (unsigned long i = 0; i < m; i++) {
            address(a, sizeof a, (unsigned long)(next() % (2 * n)));
            puts(a);
        }
        return 0;
    }
    mm_store *s;
    char why[512];
    if (mm_store_open(argv[1], NULL, &s, why, sizeof why) != MM_OK) {
        fprintf(stderr, "logfill: %s\n", why);
        return 1;
    }
    int rc = strcmp(argv[2], "events") == 0     ? fill_events(s, n)
             : strcmp(argv[2], "suppress") == 0 ? fill_suppress(s, n)
                                                : 2;
    mm_store_close(s);
    return rc;
}
