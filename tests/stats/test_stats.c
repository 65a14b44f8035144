/*
 * test_stats.c - the statistics module on a small known data set (every
 * table's numbers checked), the period split for the trend, the time
 * buckets, and a speed check: 1,000,000 rows must aggregate in well under
 * half a second (checked at 2 s here, for slow and sanitized builds; the
 * figure is printed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mailmedic/stats.h>

#define DAY 86400
#define T0 1764460800 /* 2025-11-30 00:00:00 UTC, a Sunday */

static const mm_stats_row *find(const mm_stats *s, mm_stats_table t, const char *key)
{
    for (size_t i = 0; i < mm_stats_count(s, t); i++)
        if (strcmp(mm_stats_get(s, t, i)->key, key) == 0)
            return mm_stats_get(s, t, i);
    fail_msg("table %s: no row '%s'", mm_stats_table_tostr(t), key);
    return NULL;
}

static mm_stat_row row(int64_t t, const char *addr, const char *action, mm_reason_t r,
                       mm_category_t c, bool hard, const char *prov, const char *src)
{
    mm_stat_row x = {.time = t,
                     .address = addr,
                     .domain = strchr(addr, '@') + 1,
                     .action = action,
                     .reason = r,
                     .category = c,
                     .hard = hard,
                     .provider = prov,
                     .source = src};
    return x;
}

/* The period is [T0, T0 + 7 days); the previous one [T0 - 7 days, T0). */
static mm_stats *known_set(void)
{
    mm_stats_query q = {.since = T0, .until = T0 + 7 * DAY, .bucket = MM_STATS_DAY, .top = 2};
    mm_stats *s = NULL;
    assert_int_equal(mm_stats_create(&q, &s), MM_OK);
    int64_t since, until;
    mm_stats_fetch_range(s, &since, &until);
    assert_int_equal(since, T0 - 7 * DAY);
    assert_int_equal(until, T0 + 7 * DAY);
    const mm_stat_row rows[] = {
        row(T0 + 10, "a@qq.com", "failed", MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS, true,
            "tencent", "trade show"),
        row(T0 + 20, "a@qq.com", "failed", MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS, true,
            "tencent", "trade show"),
        row(T0 + DAY, "b@qq.com", "delayed", MM_REASON_MAILBOXFULL, MM_CATEGORY_MAILBOX_FULL, false,
            "tencent", "trade show"),
        row(T0 + DAY + 5, "c@163.com", "failed", MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS,
            true, "netease", "alibaba"),
        row(T0 + 3 * DAY, "d@example.com", "complaint", MM_REASON_FEEDBACK,
            MM_CATEGORY_SPAM_CONTENT, false, "", ""),
        /* the previous period */
        row(T0 - DAY, "a@qq.com", "failed", MM_REASON_MAILBOXFULL, MM_CATEGORY_MAILBOX_FULL, false,
            "tencent", "trade show"),
        /* outside both: ignored */
        row(T0 + 8 * DAY, "z@qq.com", "failed", MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS,
            true, "tencent", "x"),
        row(T0 - 30 * DAY, "z@qq.com", "failed", MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS,
            true, "tencent", "x"),
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(mm_stats_row_cb(s, &rows[i]), 0);
    assert_int_equal(mm_stats_add_delivery(s, T0, "qq.com", "sent", 97), MM_OK);
    assert_int_equal(mm_stats_add_delivery(s, T0, "qq.com", "bounced", 3), MM_OK);
    assert_int_equal(mm_stats_add_delivery(s, T0 + DAY, "163.com", "deferred", 2), MM_OK);
    assert_int_equal(mm_stats_add_delivery(s, T0 - DAY, "qq.com", "sent", 50), MM_OK);
    assert_int_equal(mm_stats_add_source(s, "trade show", 10), MM_OK);
    assert_int_equal(mm_stats_add_source(s, "alibaba", 4), MM_OK);
    assert_int_equal(mm_stats_add_source(s, "website", 7), MM_OK);
    assert_int_equal(mm_stats_finish(s), MM_OK);
    return s;
}

static void test_totals(void **state)
{
    (void)state;
    mm_stats *s = known_set();
    assert_int_equal(mm_stats_count(s, MM_STATS_TOTALS), 1);
    const mm_stats_row *t = mm_stats_get(s, MM_STATS_TOTALS, 0);
    assert_string_equal(t->key, "all");
    assert_int_equal(t->events, 5);
    assert_int_equal(t->hard, 3);
    assert_int_equal(t->soft, 1);
    assert_int_equal(t->complaints, 1);
    assert_int_equal(t->addresses, 4);
    assert_int_equal(t->hard_addresses, 2);
    assert_int_equal(t->sent, 97);
    assert_int_equal(t->bounced, 3);
    assert_int_equal(t->deferred, 2);
    assert_true(t->bounce_rate > 0.0299 && t->bounce_rate < 0.0301);
    assert_int_equal(t->contacts, 21);
    mm_stats_free(s);
}

static void test_groups(void **state)
{
    (void)state;
    mm_stats *s = known_set();
    const mm_stats_row *r = mm_stats_get(s, MM_STATS_REASON, 0);
    assert_string_equal(r->key, "userunknown"); /* most events first */
    assert_int_equal(r->events, 3);
    assert_true(r->share > 0.599 && r->share < 0.601);
    assert_int_equal(mm_stats_count(s, MM_STATS_REASON), 3);
    assert_int_equal(find(s, MM_STATS_CATEGORY, "mailbox_full")->events, 1);

    const mm_stats_row *d = find(s, MM_STATS_DOMAIN, "qq.com");
    assert_int_equal(d->events, 3);
    assert_int_equal(d->addresses, 2);
    assert_int_equal(d->hard_addresses, 1);
    assert_true(d->bounce_rate > 0.0299 && d->bounce_rate < 0.0301);
    d = find(s, MM_STATS_DOMAIN, "163.com");
    assert_int_equal(d->events, 1);
    assert_int_equal(d->deferred, 2);
    assert_true(d->bounce_rate == -1); /* sent + bounced = 0 */
    assert_int_equal(mm_stats_count(s, MM_STATS_DOMAIN), 3);

    assert_int_equal(find(s, MM_STATS_PROVIDER, "tencent")->events, 3);
    assert_int_equal(find(s, MM_STATS_PROVIDER, "")->events, 1);

    /* hard-bounce rate per source: distinct hard addresses / contacts */
    const mm_stats_row *src = find(s, MM_STATS_SOURCE, "trade show");
    assert_int_equal(src->hard_addresses, 1);
    assert_int_equal(src->contacts, 10);
    assert_true(src->hard_rate > 0.099 && src->hard_rate < 0.101);
    src = find(s, MM_STATS_SOURCE, "alibaba");
    assert_true(src->hard_rate > 0.249 && src->hard_rate < 0.251);
    src = find(s, MM_STATS_SOURCE, "website"); /* contacts but no bounce */
    assert_int_equal(src->events, 0);
    assert_true(src->hard_rate == 0);
    assert_true(find(s, MM_STATS_SOURCE, "")->hard_rate == -1);

    assert_int_equal(mm_stats_count(s, MM_STATS_TOP_DOMAINS), 2);
    assert_string_equal(mm_stats_get(s, MM_STATS_TOP_DOMAINS, 0)->key, "qq.com");
    mm_stats_free(s);
}

static void test_time_and_trend(void **state)
{
    (void)state;
    mm_stats *s = known_set();
    assert_int_equal(mm_stats_count(s, MM_STATS_TIME), 3);
    const mm_stats_row *b = mm_stats_get(s, MM_STATS_TIME, 0);
    assert_string_equal(b->key, "2025-11-30");
    assert_int_equal(b->start, T0);
    assert_int_equal(b->events, 2);
    assert_int_equal(b->sent, 97);
    assert_string_equal(mm_stats_get(s, MM_STATS_TIME, 1)->key, "2025-12-01");
    assert_int_equal(mm_stats_get(s, MM_STATS_TIME, 1)->events, 2);
    assert_string_equal(mm_stats_get(s, MM_STATS_TIME, 2)->key, "2025-12-03");

    const mm_stats_row *t = find(s, MM_STATS_TREND, "events");
    assert_int_equal(t->events, 5);
    assert_int_equal(t->previous, 1);
    assert_true(t->has_change && t->change > 3.999 && t->change < 4.001);
    t = find(s, MM_STATS_TREND, "hard");
    assert_int_equal(t->previous, 0);
    assert_false(t->has_change);
    assert_int_equal(find(s, MM_STATS_TREND, "addresses")->previous, 1);
    mm_stats_free(s);
}

static void test_buckets(void **state)
{
    (void)state;
    /* 2025-11-30 is a Sunday: its ISO week started on Monday the 24th */
    assert_int_equal(mm_stats_bucket_start(MM_STATS_WEEK, T0 + 3600), T0 - 6 * DAY);
    assert_int_equal(mm_stats_bucket_start(MM_STATS_WEEK, T0 + DAY), T0 + DAY);
    assert_int_equal(mm_stats_bucket_start(MM_STATS_MONTH, T0 + 3600), T0 - 29 * DAY);
    assert_int_equal(mm_stats_bucket_start(MM_STATS_MONTH, T0 + DAY), T0 + DAY);
    assert_int_equal(mm_stats_bucket_start(MM_STATS_DAY, T0 + 86399), T0);
    /* 2024-02-29 12:00 -> 2024-02-01 */
    assert_int_equal(mm_stats_bucket_start(MM_STATS_MONTH, 1709208000), 1706745600);

    mm_stats_query q = {.bucket = MM_STATS_MONTH};
    mm_stats *s = NULL;
    assert_int_equal(mm_stats_create(&q, &s), MM_OK);
    mm_stat_row r =
        row(T0, "a@b.cn", "failed", MM_REASON_BLOCKED, MM_CATEGORY_BLOCKED, false, "", "");
    mm_stats_add_row(s, &r);
    r.time = T0 + DAY;
    mm_stats_add_row(s, &r);
    assert_int_equal(mm_stats_finish(s), MM_OK);
    assert_int_equal(mm_stats_count(s, MM_STATS_TIME), 2);
    assert_string_equal(mm_stats_get(s, MM_STATS_TIME, 0)->key, "2025-11-01");
    assert_string_equal(mm_stats_get(s, MM_STATS_TIME, 1)->key, "2025-12-01");
    assert_int_equal(mm_stats_count(s, MM_STATS_TREND), 0); /* open period: no trend */
    assert_int_equal(mm_stats_add_row(s, &r), MM_EINVAL);   /* finished */
    mm_stats_free(s);

    q.since = 10;
    q.until = 5;
    assert_int_equal(mm_stats_create(&q, &s), MM_EINVAL);
    assert_null(s);
    mm_stats_free(NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_speed(void **state)
{
    (void)state;
    enum { N = 1000000, ADDRS = 200000 };
    static const char *const doms[] = {"qq.com",     "163.com",     "gmail.com", "example.de",
                                       "company.cn", "outlook.com", "126.com",   "yahoo.com"};
    static const char *const srcs[] = {"trade show", "alibaba", "website", "purchased list", ""};
    char(*addr)[40] = malloc(sizeof(*addr) * ADDRS);
    assert_non_null(addr);
    for (int i = 0; i < ADDRS; i++)
        snprintf(addr[i], sizeof addr[i], "user%d.name@%s", i, doms[i % 8]);
    mm_stats_query q = {.since = T0, .until = T0 + 30 * DAY, .bucket = MM_STATS_DAY};
    mm_stats *s = NULL;
    assert_int_equal(mm_stats_create(&q, &s), MM_OK);
    uint32_t x = 12345;
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        int a = (int)(x >> 8) % ADDRS;
        mm_stat_row r = {.time = T0 - 30 * DAY + (int64_t)(x % (60u * DAY)),
                         .address = addr[a],
                         .domain = doms[a % 8],
                         .action = "failed",
                         .reason = (mm_reason_t)(x % MM_REASON_COUNT_),
                         .category = (mm_category_t)(x % MM_CATEGORY_COUNT_),
                         .hard = x & 1,
                         .provider = "",
                         .source = srcs[a % 5]};
        assert_int_equal(mm_stats_add_row(s, &r), MM_OK);
    }
    assert_int_equal(mm_stats_finish(s), MM_OK);
    double dt = now_s() - t0;
    printf("stats: 1,000,000 rows over %d addresses aggregated in %.3f s\n", ADDRS, dt);
    const mm_stats_row *t = mm_stats_get(s, MM_STATS_TOTALS, 0);
    const mm_stats_row *tr = find(s, MM_STATS_TREND, "events");
    long total = t->events + tr->previous;
    mm_stats_free(s);
    free(addr);
    assert_int_equal(total, N);
#ifdef __SANITIZE_ADDRESS__
    const double limit = 30.0; /* sanitizers slow this down ten times and more */
#else
    const double limit = 2.0;
#endif
    assert_true(dt < limit);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totals),         cmocka_unit_test(test_groups),
        cmocka_unit_test(test_time_and_trend), cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
