/*
 * test_api.c - the public API as a library user sees it: context limits,
 * error statuses for bad input, report ownership, the one-line mode, and
 * several threads diagnosing at once with one shared context.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <mailmedic/mailmedic.h>
#include <pthread.h>
#include <string.h>

static const char dsn[] =
    "From: MAILER-DAEMON@example.net\r\n"
    "To: sender@example.org\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Your message could not be delivered.\r\n"
    "--b\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; mx.example.net\r\n"
    "\r\n"
    "Final-Recipient: rfc822; one@example.com\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <one@example.com>: User unknown\r\n"
    "\r\n"
    "Final-Recipient: rfc822; two@Example.COM\r\n"
    "Action: failed\r\n"
    "Status: 5.2.2\r\n"
    "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n"
    "--b--\r\n";

static void test_errors(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    mm_report *r = NULL;
    char why[128];
    assert_int_equal(mm_diagnose_message(ctx, "", 0, &r, why, sizeof why), MM_EEMPTY);
    assert_int_equal(mm_diagnose_message(ctx, "Subject: x\n\0\0\0", 14, &r, why, sizeof why),
                     MM_EBINARY);
    assert_int_equal(mm_diagnose_message(ctx, "just some words\n", 16, &r, NULL, 0), MM_ENOTMAIL);
    assert_null(r);
    assert_string_equal(mm_strerror(MM_ENOTMAIL), "not an email message");
    mm_report_destroy(NULL); /* a no-op */
    mm_ctx_destroy(ctx);
    mm_ctx_destroy(NULL);
}

static void check_dsn(const mm_ctx *ctx)
{
    mm_report *r;
    assert_int_equal(mm_diagnose_message(ctx, dsn, sizeof dsn - 1, &r, NULL, 0), MM_OK);
    assert_int_equal(mm_report_kind(r), MM_KIND_BOUNCE);
    assert_int_equal(mm_report_count(r), 2);
    const mm_recipient *a = mm_report_recipient(r, 0), *b = mm_report_recipient(r, 1);
    assert_string_equal(a->recipient, "one@example.com");
    assert_int_equal(a->reason, MM_REASON_USERUNKNOWN);
    assert_true(a->hard_bounce);
    assert_int_equal(a->reply_code, 550);
    assert_int_equal(a->advice.retry_after, MM_RETRY_NEVER);
    assert_string_equal(b->recipient, "two@example.com"); /* domain lower-cased */
    assert_int_equal(b->reason, MM_REASON_MAILBOXFULL);
    assert_false(b->hard_bounce);
    assert_true(b->advice.retry_after > 0);
    assert_null(mm_report_recipient(r, 2));
    mm_report_destroy(r);
}

static void test_dsn(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    check_dsn(ctx);
    mm_ctx_destroy(ctx);
}

static void test_text(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    mm_report *r;
    assert_int_equal(mm_diagnose_text(ctx, "550 5.1.1 <x@example.com>: User unknown", &r), MM_OK);
    assert_int_equal(mm_report_count(r), 1);
    assert_string_equal(mm_report_recipient(r, 0)->recipient, "x@example.com");
    assert_int_equal(mm_report_recipient(r, 0)->reason, MM_REASON_USERUNKNOWN);
    mm_report_destroy(r);
    mm_ctx_destroy(ctx);
}

static void test_truncation(void **state)
{
    (void)state;
    mm_limits lim = {.max_message_bytes = 300};
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(&lim, &ctx), MM_OK);
    assert_int_equal(mm_ctx_limits(ctx)->max_message_bytes, 300);
    assert_int_equal(mm_ctx_limits(ctx)->max_recipients, 1000); /* default filled in */
    mm_report *r;
    assert_int_equal(mm_diagnose_message(ctx, dsn, sizeof dsn - 1, &r, NULL, 0), MM_OK);
    assert_true(mm_report_truncated(r));
    mm_report_destroy(r);
    mm_ctx_destroy(ctx);
}

static void *thread_main(void *arg)
{
    for (int i = 0; i < 200; i++)
        check_dsn(arg);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, ctx), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    mm_ctx_destroy(ctx);
}

static void test_names(void **state)
{
    (void)state;
    for (int i = 0; i < MM_REASON_COUNT_; i++) {
        mm_reason_t back;
        assert_int_equal(mm_reason_parse(mm_reason_tostr((mm_reason_t)i), &back), MM_OK);
        assert_int_equal(back, i);
    }
    mm_reason_t x;
    assert_int_equal(mm_reason_parse("nonsense", &x), MM_ENOTFOUND);
    assert_string_equal(mm_kind_tostr(MM_KIND_FEEDBACK), "feedback");
    assert_string_equal(mm_category_tostr(MM_CATEGORY_INVALID_ADDRESS), "invalid_address");
    assert_string_equal(mm_severity_tostr(MM_SEVERITY_CRITICAL), "critical");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors), cmocka_unit_test(test_dsn),
        cmocka_unit_test(test_text),   cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_threads), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
