/*
 * test_advice.c - the advice table keeps the promises the docs and the seeds
 * make: every reason has its own row, hard bounces are never retried, a
 * provider's window replaces the generic figure for waits (and only for
 * waits), not-a-failure means severity none, and the seeds' urgencies and
 * waiting times hold.  Failures print "got X, want Y" through cmocka.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <mailmedic/reason.h>
#include "bounce/bounce_int.h"

#define HOUR 3600L
#define DAY (24 * HOUR)

static mm_advice advise(mm_reason_t r, const char *provider, long window)
{
    mm_advice a;
    memset(&a, 0x5A, sizeof a); /* garbage, so that unset fields show */
    mm_advise(r, provider, window, &a);
    return a;
}

static bool any_action_contains(const mm_advice *a, const char *needle)
{
    for (size_t i = 0; i < MM_MAX_ACTIONS && a->actions[i]; i++)
        if (strstr(a->actions[i], needle))
            return true;
    return false;
}

/* A reason without a row would silently get the "undefined" advice. */
static void test_every_reason_has_a_row(void **state)
{
    (void)state;
    mm_advice undef = advise(MM_REASON_UNDEFINED, NULL, 0);
    for (int r = 0; r < MM_REASON_COUNT_; r++) {
        mm_advice a = advise((mm_reason_t)r, NULL, 0);
        assert_non_null(a.summary);
        assert_non_null(a.actions[0]);
        if (r != MM_REASON_UNDEFINED && a.summary == undef.summary) {
            print_error("reason %s: got the undefined row, want its own\n",
                        mm_reason_tostr((mm_reason_t)r));
            fail();
        }
        assert_true((unsigned)a.category < MM_CATEGORY_COUNT_);
        assert_true(a.severity <= MM_SEVERITY_CRITICAL);
    }
}

/* The public array is documented as NULL-terminated, without duplicates. */
static void test_actions_terminated_and_unique(void **state)
{
    (void)state;
    static const char *const providers[] = {NULL,   "tencent", "netease", "alibaba",   "coremail",
                                            "sina", "sohu",    "google",  "microsoft", "yahoo"};
    for (size_t p = 0; p < sizeof providers / sizeof providers[0]; p++)
        for (int r = 0; r < MM_REASON_COUNT_; r++) {
            mm_advice a = advise((mm_reason_t)r, providers[p], 0);
            assert_null(a.actions[MM_MAX_ACTIONS - 1]);
            for (size_t i = 0; i < MM_MAX_ACTIONS && a.actions[i]; i++)
                for (size_t j = i + 1; j < MM_MAX_ACTIONS && a.actions[j]; j++)
                    assert_ptr_not_equal(a.actions[i], a.actions[j]);
        }
}

/* Hard as the classifier decides it, for a bare recipient (no 4xx code). */
static void test_hard_reasons_never_retry(void **state)
{
    (void)state;
    mm_recipient blank = {.recipient = "", .original_recipient = "", .action = "failed", .status = "",
                          .diagnostic = "", .remote_mta = "", .reporting_mta = "", .date = "",
                          .smtp_command = "", .provider = ""};
    for (int r = 0; r < MM_REASON_COUNT_; r++) {
        if (!mm_reason_is_hard((mm_reason_t)r, &blank))
            continue;
        mm_advice a = advise((mm_reason_t)r, "tencent", 600);
        if (a.retry_after != MM_RETRY_NEVER) {
            print_error("reason %s: got retry %ld, want never\n", mm_reason_tostr((mm_reason_t)r),
                        a.retry_after);
            fail();
        }
    }
    assert_int_equal(advise(MM_REASON_USERUNKNOWN, NULL, 0).retry_after, MM_RETRY_NEVER);
}

static void test_provider_window_for_rate_limits(void **state)
{
    (void)state;
    assert_int_equal(advise(MM_REASON_SPEEDING, "tencent", 900).retry_after, 900);
    assert_int_equal(advise(MM_REASON_TOOMANYCONN, "netease", 15 * 60).retry_after, 15 * 60);
    assert_int_equal(advise(MM_REASON_SPEEDING, "alibaba", DAY).retry_after, DAY);
    /* No window: the seed's 4-6 hours for temporary failures. */
    long generic = advise(MM_REASON_SPEEDING, NULL, 0).retry_after;
    assert_in_range(generic, 4 * HOUR, 6 * HOUR);
    /* A window never turns "never" or "nothing to retry" into a retry. */
    assert_int_equal(advise(MM_REASON_USERUNKNOWN, "tencent", 900).retry_after, MM_RETRY_NEVER);
    assert_int_equal(advise(MM_REASON_DELIVERED, "tencent", 900).retry_after, 0);
}

static void test_not_a_failure_is_severity_none(void **state)
{
    (void)state;
    for (int r = 0; r < MM_REASON_COUNT_; r++) {
        mm_advice a = advise((mm_reason_t)r, NULL, 0);
        bool nf = a.category == MM_CATEGORY_NOT_A_FAILURE;
        if (nf != (a.severity == MM_SEVERITY_NONE)) {
            print_error("reason %s: got category %s with severity %s\n",
                        mm_reason_tostr((mm_reason_t)r), mm_category_tostr(a.category),
                        mm_severity_tostr(a.severity));
            fail();
        }
        if (nf)
            assert_int_equal(a.retry_after, 0);
        else
            assert_int_not_equal(a.retry_after, 0);
    }
}

/* Seed 001's urgency table and the seeds' waiting times. */
static void test_seed_urgency_and_waits(void **state)
{
    (void)state;
    assert_int_equal(advise(MM_REASON_USERUNKNOWN, NULL, 0).severity, MM_SEVERITY_HIGH);
    assert_int_equal(advise(MM_REASON_MAILBOXFULL, NULL, 0).severity, MM_SEVERITY_MEDIUM);
    assert_int_equal(advise(MM_REASON_BLOCKED, NULL, 0).severity, MM_SEVERITY_CRITICAL);
    assert_int_equal(advise(MM_REASON_SPAMDETECTED, NULL, 0).severity, MM_SEVERITY_CRITICAL);
    assert_int_equal(advise(MM_REASON_SYSTEMERROR, NULL, 0).severity, MM_SEVERITY_LOW);
    assert_in_range(advise(MM_REASON_SYSTEMERROR, NULL, 0).retry_after, 4 * HOUR, 6 * HOUR);
    assert_in_range(advise(MM_REASON_NETWORKERROR, NULL, 0).retry_after, 4 * HOUR, 6 * HOUR);
    assert_in_range(advise(MM_REASON_MAILBOXFULL, NULL, 0).retry_after, 1 * DAY, 3 * DAY);
    assert_in_range(advise(MM_REASON_BLOCKED, NULL, 0).retry_after, 1 * DAY, 2 * DAY);
    assert_in_range(advise(MM_REASON_BADREPUTATION, NULL, 0).retry_after, 1 * DAY, 2 * DAY);
    assert_int_equal(advise(MM_REASON_MESGTOOBIG, NULL, 0).category, MM_CATEGORY_MESSAGE_TOO_LARGE);
}

static void test_concrete_actions(void **state)
{
    (void)state;
    mm_advice a = advise(MM_REASON_USERUNKNOWN, NULL, 0);
    assert_true(any_action_contains(&a, "Stop sending"));
    assert_true(any_action_contains(&a, "LinkedIn"));
    assert_true(any_action_contains(&a, "contact record"));
    a = advise(MM_REASON_BLOCKED, NULL, 0);
    assert_true(any_action_contains(&a, "blacklist"));
    assert_true(any_action_contains(&a, "SPF, DKIM and DMARC"));
    assert_true(any_action_contains(&a, "another mailbox"));
    a = advise(MM_REASON_MESGTOOBIG, NULL, 0);
    assert_true(any_action_contains(&a, "25 MB"));
    assert_true(any_action_contains(&a, "cloud link"));
}

static void test_provider_advice(void **state)
{
    (void)state;
    mm_advice generic = advise(MM_REASON_SPAMDETECTED, NULL, 0);
    mm_advice a = advise(MM_REASON_SPAMDETECTED, "netease", 0);
    assert_non_null(strstr(a.summary, "DT:SPM"));
    assert_true(any_action_contains(&a, "Change the content"));
    assert_int_equal(a.severity, generic.severity); /* a provider never changes urgency */

    a = advise(MM_REASON_AUTHSUBMISSION, "tencent", 0);
    assert_true(any_action_contains(&a, "授权码"));
    assert_true(any_action_contains(&a, "SMTP"));
    a = advise(MM_REASON_AUTHSUBMISSION, "NetEase", 0); /* names are case-insensitive */
    assert_true(any_action_contains(&a, "授权码"));

    a = advise(MM_REASON_SPEEDING, "tencent", 0);
    assert_true(any_action_contains(&a, "Slow down"));
    assert_true(any_action_contains(&a, "limit window"));

    /* An unknown provider gives the generic advice. */
    a = advise(MM_REASON_SPAMDETECTED, "no-such-provider", 0);
    assert_ptr_equal(a.summary, generic.summary);
    assert_ptr_equal(a.actions[0], generic.actions[0]);
}

static void test_out_of_range_reason(void **state)
{
    (void)state;
    mm_advice a = advise((mm_reason_t)9999, NULL, 0);
    assert_ptr_equal(a.summary, advise(MM_REASON_UNDEFINED, NULL, 0).summary);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_reason_has_a_row),
        cmocka_unit_test(test_actions_terminated_and_unique),
        cmocka_unit_test(test_hard_reasons_never_retry),
        cmocka_unit_test(test_provider_window_for_rate_limits),
        cmocka_unit_test(test_not_a_failure_is_severity_none),
        cmocka_unit_test(test_seed_urgency_and_waits),
        cmocka_unit_test(test_concrete_actions),
        cmocka_unit_test(test_provider_advice),
        cmocka_unit_test(test_out_of_range_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
