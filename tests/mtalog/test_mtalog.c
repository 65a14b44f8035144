/*
 * test_mtalog.c - the MTA log parser line by line: each Postfix and Exim
 * outcome, the timestamp forms and the reference-year rule, the zone
 * setting, format selection, and hostile input (a 10 MB line, NUL bytes,
 * invalid UTF-8, truncations of every line at every length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mailmedic/mtalog.h>

#define REF 1796040000 /* 2026-11-30T12:00:00Z */

typedef struct want {
    const char *line;
    mm_status_t st;
    const char *address, *outcome, *status, *relay, *reply_part, *mta;
    int64_t time;
} want;

static const want CASES[] = {
    {"Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<a@example.com>, "
     "relay=mx.example.com[192.0.2.1]:25, delay=1, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent "
     "(250 2.0.0 Ok: queued as 4AB)",
     MM_OK, "a@example.com", "sent", "2.0.0", "mx.example.com[192.0.2.1]:25", "queued as 4AB",
     "postfix", 1796000524},
    {"Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<b@example.com>, relay=none, delay=1, "
     "dsn=4.4.1, status=deferred (connect to mx[192.0.2.1]:25: Connection refused)\r\n",
     MM_OK, "b@example.com", "deferred", "4.4.1", "none", "Connection refused", "postfix",
     1796000524},
    {"Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<c@example.com>, relay=x[::1]:25, "
     "delay=1, dsn=5.1.1, status=bounced (host x[::1] said: 550 5.1.1 no (such) user, sorry (in "
     "reply to RCPT TO command))\n",
     MM_OK, "c@example.com", "bounced", "5.1.1", "x[::1]:25", "no (such) user, sorry (in reply",
     "postfix", 1796000524},
    {"Nov 30 01:02:04 mail postfix/qmgr[1]: 3F2A1B: to=<d@example.com>, relay=none, delay=9, "
     "dsn=4.4.7, status=expired (delivery temporarily suspended)",
     MM_OK, "d@example.com", "bounced", "4.4.7", "none", "suspended", "postfix", 1796000524},
    {"Nov 30 01:02:04 mail postfix/bounce[1]: 3F2A1B: sender non-delivery notification: 4C5D",
     MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"Nov 30 01:02:04 mail postfix/qmgr[1]: 3F2A1B: removed", MM_ENOTFOUND, NULL, NULL, NULL, NULL,
     NULL, NULL, 0},
    {"Nov 30 01:02:04 mail postfix/qmgr[1]: 3F2A1B: from=<s@example.net>, status=expired, "
     "returned to sender",
     MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<e@example.com>, relay=none, delay=1",
     MM_EPARSE, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<>, relay=none, delay=1, dsn=5.0.0, "
     "status=bounced (x)",
     MM_EPARSE, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<e@example.com, relay=none", MM_EPARSE, NULL,
     NULL, NULL, NULL, NULL, NULL, 0},
    {"Feb 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<e@example.com>, relay=none, delay=1, "
     "dsn=2.0.0, status=sent (ok)",
     MM_EPARSE, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"2026-11-30T09:02:04.5+08:00 mail postfix/lmtp[1]: 3F2A1B: to=<f@example.com>, "
     "relay=mail[private/lmtp], delay=1, dsn=2.0.0, status=sent (250 2.0.0 saved)",
     MM_OK, "f@example.com", "sent", "2.0.0", "mail[private/lmtp]", "saved", "postfix", 1796000524},
    {"<22>Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<g@example.com>, relay=none, "
     "delay=1, dsn=5.0.0, status=bounced (bye)",
     MM_OK, "g@example.com", "bounced", "5.0.0", "none", "bye", "postfix", 1796000524},
    {"Nov 30 01:02:04 mail sendmail[1]: 3F2A1B: to=<h@example.com>, delay=1, stat=Sent",
     MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"2026-11-30 01:02:04 1abcDE-000123-AB => h@example.com R=dnslookup T=remote_smtp "
     "H=mx.example.com [192.0.2.1] C=\"250 2.0.0 Ok\"",
     MM_OK, "h@example.com", "sent", "2.0.0", "mx.example.com [192.0.2.1]", "250 2.0.0 Ok", "exim",
     1796000524},
    {"2026-11-30 01:02:04 1abcDE-000123-AB -> i@example.com R=dnslookup T=remote_smtp "
     "H=mx.example.com [192.0.2.1] C=\"250 Ok\"",
     MM_OK, "i@example.com", "sent", "2.0.0", "mx.example.com [192.0.2.1]", "250 Ok", "exim",
     1796000524},
    {"2026-11-30 01:02:04 1abcDE-000123-AB == j@example.com R=dnslookup T=remote_smtp defer "
     "(-44) H=mx [2001:db8::25]: SMTP error from remote mail server after RCPT TO:<j@example.com>: "
     "452 4.2.2 Mailbox full",
     MM_OK, "j@example.com", "deferred", "4.2.2", "mx [2001:db8::25]", "Mailbox full", "exim",
     1796000524},
    {"2026-11-30 01:02:04 1abcDE-000123-AB ** k@example.com R=dnslookup T=remote_smtp "
     "H=mx [192.0.2.1]: SMTP error from remote mail server after RCPT TO:<k@example.com>: "
     "550 No such user (k)",
     MM_OK, "k@example.com", "bounced", "5.0.0", "mx [192.0.2.1]", "No such user (k)", "exim",
     1796000524},
    {"2026-11-30 01:02:04 1abcDE-000123-AB ** l@nowhere.example: Unrouteable address", MM_OK,
     "l@nowhere.example", "bounced", "", "", "Unrouteable address", "exim", 1796000524},
    {"2026-11-30 01:02:04 +0100 1abcDE-000123-AB => m@example.com R=r T=t", MM_OK, "m@example.com",
     "sent", "", "t", "", "exim", 1796000524 - 3600},
    {"2026-11-30 01:02:04 1abcDE-000123-AB <= s@example.net H=x [192.0.2.9] P=esmtp S=100",
     MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"2026-11-30 01:02:04 1abcDE-000123-AB Completed", MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL,
     NULL, 0},
    {"2026-11-30 01:02:04 1abcDE-000123-AB =>", MM_EPARSE, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"2026-11-30 01:02:04 Start queue run: pid=12", MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL,
     NULL, 0},
    {"", MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL, NULL, 0},
    {"garbage garbage garbage garbage", MM_ENOTFOUND, NULL, NULL, NULL, NULL, NULL, NULL, 0},
};

static void test_cases(void **state)
{
    (void)state;
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_AUTO, REF);
    assert_non_null(p);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        const want *w = &CASES[i];
        mm_mtalog_record r;
        mm_status_t st = mm_mtalog_parse_line(p, w->line, strlen(w->line), &r);
        if (st != w->st)
            fail_msg("case %zu: got status %d, want %d: %s", i, st, w->st, w->line);
        if (st != MM_OK)
            continue;
        if (strcmp(r.address, w->address) || strcmp(r.outcome, w->outcome) ||
            strcmp(r.status, w->status) || strcmp(r.relay, w->relay) ||
            !strstr(r.reply, w->reply_part) || strcmp(r.mta, w->mta) || r.time != w->time)
            fail_msg("case %zu: got <%s> %s %s relay=%s reply=[%s] %s %lld, want <%s> %s %s "
                     "relay=%s reply~[%s] %s %lld",
                     i, r.address, r.outcome, r.status, r.relay, r.reply, r.mta, (long long)r.time,
                     w->address, w->outcome, w->status, w->relay, w->reply_part, w->mta,
                     (long long)w->time);
    }
    uint64_t lines, ok, broken;
    mm_mtalog_counts(p, &lines, &ok, &broken);
    assert_int_equal(lines, sizeof CASES / sizeof CASES[0]);
    assert_int_equal(broken, 5);
    mm_mtalog_free(p);
}

static int64_t parse_time(int64_t ref, int32_t offset, const char *line)
{
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_POSTFIX, ref);
    mm_mtalog_set_utc_offset(p, offset);
    mm_mtalog_record r;
    mm_status_t st = mm_mtalog_parse_line(p, line, strlen(line), &r);
    int64_t t = st == MM_OK ? r.time : -st;
    mm_mtalog_free(p);
    return t;
}

#define TAIL                                                                                       \
    " mail postfix/smtp[1]: 1A: to=<a@b.c>, relay=none, delay=1, dsn=2.0.0, status=sent (x)"

/* The year of "Mmm dd" stamps: the latest not more than 31 days ahead. */
static void test_reference_year(void **state)
{
    (void)state;
    int64_t jan5_2027 = 1799107200; /* 2027-01-05T00:00:00Z */
    assert_int_equal(parse_time(jan5_2027, 0, "Dec 31 23:59:59" TAIL), 1798761599); /* 2026 */
    assert_int_equal(parse_time(jan5_2027, 0, "Jan  4 00:00:00" TAIL), 1799020800); /* 2027 */
    assert_int_equal(parse_time(jan5_2027, 0, "Feb  1 00:00:00" TAIL),
                     1801440000); /* 2027: 27 d ahead */
    assert_int_equal(parse_time(jan5_2027, 0, "Mar  1 00:00:00" TAIL), 1772323200); /* 2026 */
    /* Feb 29 goes back to the last leap year (2024). */
    assert_int_equal(parse_time(jan5_2027, 0, "Feb 29 12:00:00" TAIL), 1709208000);
    /* The zone setting: 08:00 in UTC+8 is midnight UTC. */
    assert_int_equal(parse_time(jan5_2027, 28800, "Jan  4 08:00:00" TAIL), 1799020800);
    /* An RFC 3339 stamp's own zone wins over the setting. */
    assert_int_equal(parse_time(jan5_2027, 28800, "2027-01-04T00:00:00Z" TAIL), 1799020800);
}

static void test_format_choice(void **state)
{
    (void)state;
    const char *pf = "Nov 30 01:02:04 mail postfix/smtp[1]: 1A: to=<a@b.c>, relay=none, "
                     "delay=1, dsn=2.0.0, status=sent (x)";
    const char *ex = "2026-11-30 01:02:04 1abcDE-000123-AB => a@b.c R=r T=t";
    const char *renamed = "Nov 30 01:02:04 mail mta-out/smtp[1]: 1A: to=<a@b.c>, relay=none, "
                          "delay=1, dsn=2.0.0, status=sent (x)";
    mm_mtalog_record r;
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_POSTFIX, REF);
    assert_int_equal(mm_mtalog_parse_line(p, pf, strlen(pf), &r), MM_OK);
    assert_int_equal(mm_mtalog_parse_line(p, ex, strlen(ex), &r), MM_ENOTFOUND);
    assert_int_equal(mm_mtalog_parse_line(p, renamed, strlen(renamed), &r), MM_OK);
    mm_mtalog_free(p);
    p = mm_mtalog_create(MM_MTALOG_EXIM, REF);
    assert_int_equal(mm_mtalog_parse_line(p, pf, strlen(pf), &r), MM_ENOTFOUND);
    assert_int_equal(mm_mtalog_parse_line(p, ex, strlen(ex), &r), MM_OK);
    mm_mtalog_free(p);
    p = mm_mtalog_create(MM_MTALOG_AUTO, REF);
    assert_int_equal(mm_mtalog_parse_line(p, renamed, strlen(renamed), &r), MM_ENOTFOUND);
    mm_mtalog_free(p);
    assert_null(mm_mtalog_create((mm_mtalog_format)7, REF));
    mm_mtalog_free(NULL);
    assert_int_equal(mm_mtalog_parse_line(NULL, pf, 1, &r), MM_EINVAL);
}

static const char DELIVERY[] = "Nov 30 01:02:04 mail postfix/smtp[1]: 3F2A1B: to=<a@example.com>, "
                               "relay=mx[192.0.2.1]:25, delay=1, dsn=5.1.1, status=bounced (";

/* A delivery line with a reply of n bytes of filler c. */
static char *long_line(size_t n, char c, size_t *len)
{
    size_t k = strlen(DELIVERY);
    char *s = malloc(k + n + 2);
    memcpy(s, DELIVERY, k);
    memset(s + k, c, n);
    s[k + n] = ')';
    *len = k + n + 1;
    return s;
}

static void test_hostile(void **state)
{
    (void)state;
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_AUTO, REF);
    mm_mtalog_record r;
    size_t len;
    /* 10 MB: refused as broken, without copying it anywhere. */
    char *big = long_line(10u << 20, 'x', &len);
    assert_int_equal(mm_mtalog_parse_line(p, big, len, &r), MM_EPARSE);
    free(big);
    /* 10 MB of something else: not a delivery. */
    big = malloc(10u << 20);
    memset(big, 'A', 10u << 20);
    assert_int_equal(mm_mtalog_parse_line(p, big, 10u << 20, &r), MM_ENOTFOUND);
    free(big);
    /* Long but under the limit: accepted, the reply whole. */
    big = long_line(MM_MTALOG_MAX_LINE - 400, 'y', &len);
    assert_int_equal(mm_mtalog_parse_line(p, big, len, &r), MM_OK);
    assert_int_equal(strlen(r.reply), MM_MTALOG_MAX_LINE - 400);
    free(big);
    /* A NUL inside a delivery line. */
    big = long_line(10, 'z', &len);
    big[len - 5] = '\0';
    assert_int_equal(mm_mtalog_parse_line(p, big, len, &r), MM_EPARSE);
    free(big);
    /* Invalid UTF-8 and control bytes come out as '?' and ' '; valid UTF-8 stays. */
    big = long_line(12, 'w', &len);
    memcpy(big + strlen(DELIVERY), "\xff\xc3(\x01\xe6\x94\xb6\xed\xa0\x80", 10);
    assert_int_equal(mm_mtalog_parse_line(p, big, len, &r), MM_OK);
    assert_string_equal(r.reply, "?\?( \xe6\x94\xb6?\?\?ww");
    free(big);
    mm_mtalog_free(p);
}

/* Every prefix of every case: never a crash, never a read past the end
 * (ASan sees each prefix in its own exact-size allocation). */
static void test_truncations(void **state)
{
    (void)state;
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_AUTO, REF);
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        size_t n = strlen(CASES[i].line);
        for (size_t k = 0; k <= n; k++) {
            char *s = malloc(k ? k : 1);
            memcpy(s, CASES[i].line, k);
            mm_mtalog_record r;
            mm_status_t st = mm_mtalog_parse_line(p, s, k, &r);
            assert_true(st == MM_OK || st == MM_ENOTFOUND || st == MM_EPARSE);
            if (st == MM_OK)
                assert_non_null(r.address);
            free(s);
        }
    }
    mm_mtalog_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),         cmocka_unit_test(test_reference_year),
        cmocka_unit_test(test_format_choice), cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_truncations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
