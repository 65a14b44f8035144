/*
 * test_ingest.c - the ingest library on a fresh SQLite file: keys that do
 * not depend on line ends, what becomes an event and what does not, batches
 * and the cursor written with them, the on_commit hook, MTA log records.
 */
#include <mailmedic/mailmedic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../src/lib/ingest/ingest_int.h"

static const char bounce_lf[] =
    "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "Date: Mon, 30 Nov 2026 01:00:00 +0000\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
    "\n"
    "--B\n"
    "Content-Type: text/plain\n"
    "\n"
    "I'm sorry to have to inform you that your message could not be delivered.\n"
    "\n"
    "--B\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.com\n"
    "\n"
    "Final-Recipient: rfc822; gone@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: "
    "User unknown\n"
    "Last-Attempt-Date: Mon, 30 Nov 2026 00:59:00 +0000\n"
    "\n"
    "Final-Recipient: rfc822; full@example.net\n"
    "Action: delayed\n"
    "Status: 4.2.2\n"
    "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
    "\n"
    "--B--\n";

static const char ordinary[] = "From: a@example.com\nTo: b@example.org\nSubject: hi\n\nhello\n";

typedef struct fixture {
    char path[64];
    mm_store *s;
    mm_ctx *ctx;
    int commits;
    char last_cursor[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->path, sizeof f->path, "/tmp/mm-test-ingest-%d.sqlite", (int)getpid());
    unlink(f->path);
    char why[256];
    assert_int_equal(mm_store_open(f->path, NULL, &f->s, why, sizeof why), MM_OK);
    assert_int_equal(mm_ctx_create(NULL, &f->ctx), MM_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    mm_store_close(f->s);
    mm_ctx_destroy(f->ctx);
    char p[80];
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    free(f);
    return 0;
}

static char *crlf(const char *s)
{
    char *o = malloc(2 * strlen(s) + 1), *p = o;
    for (; *s; s++) {
        if (*s == '\n')
            *p++ = '\r';
        *p++ = *s;
    }
    *p = '\0';
    return o;
}

static int count_events(void *arg, const mm_event *ev)
{
    (void)ev;
    ++*(int *)arg;
    return 0;
}

static void on_commit(void *arg, const char *name, const char *value)
{
    fixture *f = arg;
    f->commits++;
    snprintf(f->last_cursor, sizeof f->last_cursor, "%s=%s", name ? name : "", value ? value : "");
}

static void test_events_and_keys(void **state)
{
    fixture *f = *state;
    mm_ingest *ing;
    assert_int_equal(mm_ingest_create(f->s, f->ctx, NULL, &ing), MM_OK);
    assert_int_equal(mm_ingest_message(ing, bounce_lf, strlen(bounce_lf), "test#1"), MM_OK);
    char *c = crlf(bounce_lf);
    assert_int_equal(mm_ingest_message(ing, c, strlen(c), "test#2"), MM_OK);
    free(c);
    assert_int_equal(mm_ingest_message(ing, ordinary, strlen(ordinary), "test#3"), MM_OK);
    assert_int_equal(mm_ingest_message(ing, "", 0, "test#4"), MM_OK);
    assert_int_equal(mm_ingest_flush(ing), MM_OK);
    mm_ingest_counters n;
    mm_ingest_get_counters(ing, &n);
    assert_int_equal(n.messages, 4);
    assert_int_equal(n.bounces, 2);
    assert_int_equal(n.not_bounces, 1);
    assert_int_equal(n.errors, 1);
    assert_int_equal(n.events, 4);       /* failed + delayed, twice */
    assert_int_equal(n.events_added, 2); /* the CRLF copy has the same keys */
    assert_int_equal(n.duplicates, 2);
    mm_ingest_destroy(ing);
    int k = 0;
    assert_int_equal(mm_store_each_event(f->s, NULL, count_events, &k), MM_OK);
    assert_int_equal(k, 2);
}

static int first_event(void *arg, const mm_event *ev)
{
    mm_event *out = arg;
    if (strcmp(ev->address, "gone@example.org") == 0) {
        out->time = ev->time;
        out->hard = ev->hard;
        out->reason = ev->reason;
        out->key = strdup(ev->key);
    }
    return 0;
}

static void test_event_fields(void **state)
{
    fixture *f = *state;
    mm_ingest *ing;
    assert_int_equal(mm_ingest_create(f->s, f->ctx, NULL, &ing), MM_OK);
    assert_int_equal(mm_ingest_message(ing, bounce_lf, strlen(bounce_lf), "test#1"), MM_OK);
    assert_int_equal(mm_ingest_flush(ing), MM_OK);
    mm_ingest_destroy(ing);
    mm_event e = {0};
    assert_int_equal(mm_store_each_event(f->s, NULL, first_event, &e), MM_OK);
    assert_non_null(e.key);
    assert_int_equal(strlen(e.key), 64);
    assert_int_equal(e.time, 1796000340); /* Last-Attempt-Date, 2026-11-30 00:59:00 UTC */
    assert_true(e.hard);
    assert_int_equal(e.reason, MM_REASON_USERUNKNOWN);
    free((char *)e.key);
}

static void test_batches_and_cursor(void **state)
{
    fixture *f = *state;
    mm_ingest_options o;
    mm_ingest_options_default(&o);
    o.batch_size = 2;
    o.on_commit = on_commit;
    o.on_commit_arg = f;
    mm_ingest *ing;
    assert_int_equal(mm_ingest_create(f->s, f->ctx, &o, &ing), MM_OK);
    assert_int_equal(mm_ingest_set_cursor(ing, "test:cursor", "1"), MM_OK);
    /* two events: the batch is full and written with cursor 1 */
    assert_int_equal(mm_ingest_message(ing, bounce_lf, strlen(bounce_lf), "t#1"), MM_OK);
    assert_int_equal(f->commits, 1);
    assert_string_equal(f->last_cursor, "test:cursor=1");
    char *v = NULL;
    assert_int_equal(mm_store_get_cursor(f->s, "test:cursor", &v), MM_OK);
    assert_string_equal(v, "1");
    free(v);
    /* a non-bounce moves only the cursor: written by the final flush */
    assert_int_equal(mm_ingest_set_cursor(ing, "test:cursor", "2"), MM_OK);
    assert_int_equal(mm_ingest_message(ing, ordinary, strlen(ordinary), "t#2"), MM_OK);
    assert_int_equal(f->commits, 1);
    assert_int_equal(mm_ingest_flush(ing), MM_OK);
    assert_int_equal(f->commits, 2);
    assert_int_equal(mm_store_get_cursor(f->s, "test:cursor", &v), MM_OK);
    assert_string_equal(v, "2");
    free(v);
    mm_ingest_destroy(ing);
    /* a queued batch dropped by destroy leaves nothing and the cursor as it was */
    int before = 0, after = 0;
    assert_int_equal(mm_store_each_event(f->s, NULL, count_events, &before), MM_OK);
    assert_int_equal(mm_ingest_create(f->s, f->ctx, NULL, &ing), MM_OK);
    assert_int_equal(mm_ingest_set_cursor(ing, "test:cursor", "3"), MM_OK);
    char *c = crlf(bounce_lf);
    c[0] = 'f'; /* other bytes, other keys; still a bounce */
    assert_int_equal(mm_ingest_message(ing, c, strlen(c), "t#3"), MM_OK);
    free(c);
    mm_ingest_destroy(ing);
    assert_int_equal(mm_store_each_event(f->s, NULL, count_events, &after), MM_OK);
    assert_int_equal(after, before);
    assert_int_equal(mm_store_get_cursor(f->s, "test:cursor", &v), MM_OK);
    assert_string_equal(v, "2");
    free(v);
}

static int get_state(void *arg, const mm_address_info *a)
{
    *(mm_addr_state *)arg = a->state;
    return 0;
}

static void test_mtalog(void **state)
{
    fixture *f = *state;
    static const char line[] =
        "Nov 29 09:00:02 mx1 postfix/smtp[2103]: 3F1A2B4C5D: to=<NoSuch@QQ.com>, "
        "relay=mx3.qq.com[203.205.219.57]:25, delay=1.3, delays=0.05/0.01/0.6/0.64, dsn=5.0.0, "
        "status=bounced (host mx3.qq.com[203.205.219.57] said: 550 Mailbox not found. "
        "(in reply to RCPT TO command))\n";
    mm_mtalog_parser *p = mm_mtalog_create(MM_MTALOG_AUTO, 1796000000);
    assert_non_null(p);
    mm_mtalog_record rec;
    assert_int_equal(mm_mtalog_parse_line(p, line, strlen(line), &rec), MM_OK);
    mm_ingest *ing;
    assert_int_equal(mm_ingest_create(f->s, f->ctx, NULL, &ing), MM_OK);
    assert_int_equal(mm_ingest_mtalog_record(ing, &rec, line, strlen(line), "postfix:x:1"), MM_OK);
    /* the same line again, without its line end and from elsewhere: the same keys */
    assert_int_equal(mm_mtalog_parse_line(p, line, strlen(line) - 1, &rec), MM_OK);
    assert_int_equal(mm_ingest_mtalog_record(ing, &rec, line, strlen(line) - 1, "postfix:y:9"),
                     MM_OK);
    assert_int_equal(mm_ingest_flush(ing), MM_OK);
    mm_ingest_counters n;
    mm_ingest_get_counters(ing, &n);
    assert_int_equal(n.deliveries, 2);
    assert_int_equal(n.deliveries_added, 1);
    assert_int_equal(n.delivery_duplicates, 1);
    assert_int_equal(n.events_added, 1);
    assert_int_equal(n.duplicates, 1);
    mm_ingest_destroy(ing);
    mm_mtalog_free(p);
    const char *addr = "NoSuch@qq.com";
    mm_addr_state st = MM_ADDR_ACTIVE;
    assert_int_equal(mm_store_check(f->s, &addr, 1, get_state, &st), MM_OK);
    assert_int_equal(st, MM_ADDR_SUPPRESSED); /* 550 mailbox not found: hard */
}

static void test_header_date(void **state)
{
    (void)state;
    char d[256];
    static const char folded[] = "Received: x\r\nDATE: Mon, 30 Nov 2026\r\n\t01:02:03 +0800\r\n"
                                 "From: a@b\r\n\r\nDate: Tue, 1 Dec 2026 00:00:00 +0000\r\n";
    mm_ingest_header_date(folded, strlen(folded), d);
    assert_string_equal(d, " Mon, 30 Nov 2026 01:02:03 +0800");
    assert_int_equal(mm_ingest_parse_date(d), 1795971723); /* 2026-11-29 17:02:03 UTC */
    static const char body_only[] = "Subject: x\n\nDate: Tue, 1 Dec 2026 00:00:00 +0000\n";
    mm_ingest_header_date(body_only, strlen(body_only), d);
    assert_string_equal(d, "");
    static const char cont_only[] = "X: y\n Date: no\nDate:\n";
    mm_ingest_header_date(cont_only, strlen(cont_only), d);
    assert_string_equal(d, "");
    assert_int_equal(mm_ingest_parse_date("not a date"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_events_and_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_and_cursor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtalog, setup, teardown),
        cmocka_unit_test(test_header_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
