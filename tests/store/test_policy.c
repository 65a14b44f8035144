/*
 * test_policy.c - the retry policy (src/lib/store/policy.c) rule by rule,
 * with plain structs: no database, no clock.  Boundary times on both sides
 * of every limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/policy.h"

#define H 3600L
#define D (24 * H)
#define T0 1700000000LL

static mm_retry_policy policy(void)
{
    mm_retry_policy p;
    mm_retry_policy_default(&p);
    return p;
}

static mm_address_info fresh(void)
{
    mm_address_info a = {.address = "x@example.com",
                         .why = "",
                         .note = "",
                         .fix = "",
                         .outcome = "",
                         .corrected = "",
                         .source = "",
                         .name = ""};
    return a;
}

static mm_event event(int64_t t, const char *action, mm_category_t cat, bool hard)
{
    mm_event e = {.key = "k",
                  .time = t,
                  .address = "x@example.com",
                  .action = action,
                  .status = "",
                  .reason = MM_REASON_USERUNKNOWN,
                  .category = cat,
                  .severity = MM_SEVERITY_HIGH,
                  .hard = hard,
                  .provider = "",
                  .diagnostic = "",
                  .remote_mta = "",
                  .mta = "",
                  .subject = "",
                  .message_id = "",
                  .origin = ""};
    if (cat == MM_CATEGORY_MAILBOX_FULL)
        e.reason = MM_REASON_MAILBOXFULL;
    else if (cat == MM_CATEGORY_TEMPORARY)
        e.reason = MM_REASON_NETWORKERROR;
    return e;
}

static mm_event soft(int64_t t)
{
    return event(t, "failed", MM_CATEGORY_TEMPORARY, false);
}

static void test_defaults(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    assert_int_equal(p.temporary_delay, 4 * H);
    assert_int_equal(p.mailbox_full_delay, 1 * D);
    assert_int_equal(p.give_up_count, 5);
    assert_int_equal(p.give_up_age, 7 * D);
}

static void test_hard_suppresses(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = event(T0, "failed", MM_CATEGORY_INVALID_ADDRESS, true);
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_HARD_BOUNCE);
    assert_int_equal(a.hard_count, 1);
    assert_int_equal(a.soft_count, 0);
    assert_int_equal(a.first_bounce, T0);
    assert_int_equal(a.last_bounce, T0);
    assert_int_equal(a.retry_at, 0);
    assert_int_equal(a.updated, T0);
    assert_int_equal(a.last_reason, MM_REASON_USERUNKNOWN);
    assert_int_equal(a.last_category, MM_CATEGORY_INVALID_ADDRESS);
    assert_true(a.known);
}

static void test_complaint_suppresses(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = event(T0, "complaint", MM_CATEGORY_NOT_A_FAILURE, false);
    e.reason = MM_REASON_FEEDBACK;
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_COMPLAINT);
    assert_int_equal(a.hard_count, 0);
}

static void test_soft_temporary(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = soft(T0);
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_string_equal(a.why, "");
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, T0);
    assert_int_equal(a.retry_at, T0 + 4 * H);
    /* the second of the run keeps soft_since and moves retry_at */
    e = soft(T0 + 5 * H);
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.soft_count, 2);
    assert_int_equal(a.soft_since, T0);
    assert_int_equal(a.retry_at, T0 + 9 * H);
    assert_int_equal(a.first_bounce, T0);
    assert_int_equal(a.last_bounce, T0 + 5 * H);
}

static void test_soft_mailbox_full(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = event(T0, "failed", MM_CATEGORY_MAILBOX_FULL, false);
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.retry_at, T0 + D);
    assert_int_equal(a.last_reason, MM_REASON_MAILBOXFULL);
}

static void test_retry_after_advice(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = soft(T0);
    e.retry_after = 6 * H; /* longer: wins */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.retry_at, T0 + 6 * H);

    a = fresh();
    e.retry_after = 1 * H; /* shorter: the policy's delay stands */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.retry_at, T0 + 4 * H);

    a = fresh();
    e.retry_after = MM_RETRY_NEVER; /* not a delay */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.retry_at, T0 + 4 * H);

    a = fresh();
    e = event(T0, "failed", MM_CATEGORY_MAILBOX_FULL, false);
    e.retry_after = 3 * D;
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.retry_at, T0 + 3 * D);
}

static void test_give_up_by_count(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    for (int i = 0; i < 4; i++) {
        mm_event e = soft(T0 + i * H);
        store_policy_apply(&p, &a, &e);
        assert_int_equal(a.state, MM_ADDR_SOFT); /* 1..4: still retrying */
    }
    assert_int_equal(a.soft_count, 4);
    mm_event e = soft(T0 + 4 * H);
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED); /* the 5th gives up */
    assert_string_equal(a.why, MM_WHY_GAVE_UP);
    assert_int_equal(a.soft_count, 5);
    assert_int_equal(a.retry_at, 0);
}

static void test_give_up_by_age(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    int64_t times[] = {T0, T0 + 3 * D, T0 + 6 * D};
    mm_address_info a = fresh();
    for (int i = 0; i < 3; i++) {
        mm_event e = soft(times[i]);
        store_policy_apply(&p, &a, &e);
    }
    mm_address_info b = a;
    mm_event e = soft(T0 + 7 * D - 1); /* one second short of the limit */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 4);

    e = soft(T0 + 7 * D); /* exactly the limit */
    store_policy_apply(&p, &b, &e);
    assert_int_equal(b.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(b.why, MM_WHY_GAVE_UP);
}

static void test_stale_run_restarts(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = soft(T0);
    store_policy_apply(&p, &a, &e);
    mm_address_info b = a;

    e = soft(T0 + 7 * D); /* a week of silence: a fresh run */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, T0 + 7 * D);
    assert_int_equal(a.first_bounce, T0);

    e = soft(T0 + 7 * D - 1); /* not quite: same run, and the run is 7 days old - 1 s */
    store_policy_apply(&p, &b, &e);
    assert_int_equal(b.state, MM_ADDR_SOFT);
    assert_int_equal(b.soft_count, 2);
    assert_int_equal(b.soft_since, T0);
}

static void test_limits_disabled(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    p.give_up_count = 0;
    p.give_up_age = 0;
    mm_address_info a = fresh();
    for (int i = 0; i < 50; i++) {
        mm_event e = soft(T0 + i * D);
        store_policy_apply(&p, &a, &e);
    }
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 50);
}

static void test_delayed_and_non_failures_change_nothing(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh(), before = a;
    mm_event e = event(T0, "delayed", MM_CATEGORY_TEMPORARY, false);
    assert_false(store_policy_apply(&p, &a, &e));
    e = event(T0, "delayed", MM_CATEGORY_INVALID_ADDRESS, true);
    assert_false(store_policy_apply(&p, &a, &e));
    e = event(T0, "failed", MM_CATEGORY_NOT_A_FAILURE, false);
    assert_false(store_policy_apply(&p, &a, &e));
    e = event(T0, "failed", MM_CATEGORY_SENDER_ACCOUNT, false);
    assert_false(store_policy_apply(&p, &a, &e));
    assert_memory_equal(&a, &before, sizeof a);
}

static void test_suppression_never_lifted(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    a.state = MM_ADDR_SUPPRESSED;
    a.why = MM_WHY_MANUAL;
    a.known = true;
    a.updated = T0;
    mm_event e = soft(T0 + D);
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_MANUAL);
    e = event(T0 + 2 * D, "failed", MM_CATEGORY_INVALID_ADDRESS, true);
    store_policy_apply(&p, &a, &e);
    assert_string_equal(a.why, MM_WHY_MANUAL); /* the first reason stands */
    assert_int_equal(a.hard_count, 1);
    e = event(T0 + 3 * D, "complaint", MM_CATEGORY_NOT_A_FAILURE, false);
    store_policy_apply(&p, &a, &e);
    assert_string_equal(a.why, MM_WHY_MANUAL);
    assert_int_equal(a.last_bounce, T0 + 3 * D);
}

static void test_hard_after_soft(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = soft(T0);
    store_policy_apply(&p, &a, &e);
    e = event(T0 + H, "failed", MM_CATEGORY_INVALID_ADDRESS, true);
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_HARD_BOUNCE);
    assert_int_equal(a.retry_at, 0);
}

static void test_late_event_keeps_newer_state(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    /* unsuppressed by hand at T0 + 10 days */
    mm_address_info a = fresh();
    a.known = true;
    a.state = MM_ADDR_ACTIVE;
    a.first_bounce = a.last_bounce = T0 + 2 * D;
    a.updated = T0 + 10 * D;
    mm_event e = event(T0 + 5 * D, "failed", MM_CATEGORY_INVALID_ADDRESS, true);
    assert_true(store_policy_apply(&p, &a, &e));
    assert_int_equal(a.state, MM_ADDR_ACTIVE); /* not undone */
    assert_int_equal(a.hard_count, 1);         /* but counted */
    assert_int_equal(a.last_bounce, T0 + 2 * D);
    assert_int_equal(a.updated, T0 + 10 * D);

    e = soft(T0 + D); /* older than the first bounce: first_bounce moves */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.first_bounce, T0 + D);
    assert_int_equal(a.state, MM_ADDR_ACTIVE);
    assert_int_equal(a.soft_count, 0);

    /* at the same second as the last change: applies */
    e = soft(T0 + 10 * D);
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 1);
}

static void test_late_soft_inside_run_counts(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = soft(T0);
    store_policy_apply(&p, &a, &e);
    e = soft(T0 + 2 * H);
    store_policy_apply(&p, &a, &e);
    e = soft(T0 + H); /* late, inside the run */
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.soft_count, 3);
    assert_int_equal(a.retry_at, T0 + 6 * H); /* from the newest */
    assert_int_equal(a.last_bounce, T0 + 2 * H);
}

/* The same five soft bounces suppress whatever order and batches they come
 * in: here the last one in time arrives first. */
static void test_late_soft_reaches_give_up(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    int64_t order[5] = {0, 4, 1, 2, 3};
    for (int i = 0; i < 5; i++) {
        mm_event e = soft(T0 + order[i] * H);
        store_policy_apply(&p, &a, &e);
        if (i < 4)
            assert_int_equal(a.state, MM_ADDR_SOFT);
    }
    assert_int_equal(a.soft_count, 5);
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_GAVE_UP);
}

static void test_delivery_ends_soft_run(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    mm_event e = soft(T0);
    store_policy_apply(&p, &a, &e);
    e = soft(T0 + H);
    store_policy_apply(&p, &a, &e);

    assert_false(store_policy_delivered(&a, T0 + H)); /* same second: not after */
    assert_false(store_policy_delivered(&a, T0 + 30 * 60)); /* older than the last bounce */
    assert_int_equal(a.state, MM_ADDR_SOFT);

    assert_true(store_policy_delivered(&a, T0 + 2 * H));
    assert_int_equal(a.state, MM_ADDR_ACTIVE);
    assert_int_equal(a.soft_count, 0);
    assert_int_equal(a.soft_since, 0);
    assert_int_equal(a.retry_at, 0);
    assert_int_equal(a.updated, T0 + 2 * H);
    assert_int_equal(a.last_bounce, T0 + H); /* history stays */

    /* the next soft bounce starts a fresh run */
    e = soft(T0 + 3 * H);
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, T0 + 3 * H);
    /* and a bounce from before the delivery, arriving late, is not counted */
    e = soft(T0 + 90 * 60);
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.soft_count, 1);
}

static void test_delivery_leaves_other_states(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    mm_address_info a = fresh();
    assert_false(store_policy_delivered(&a, T0)); /* unknown: no row made */
    assert_false(a.known);
    mm_event e = event(T0, "failed", MM_CATEGORY_INVALID_ADDRESS, true);
    store_policy_apply(&p, &a, &e);
    assert_false(store_policy_delivered(&a, T0 + D)); /* suppression stands */
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    mm_address_info b = fresh();
    b.known = true;
    b.state = MM_ADDR_ACTIVE;
    assert_false(store_policy_delivered(&b, T0));
}

static void test_unsuppressed_starts_fresh_run(void **state)
{
    (void)state;
    mm_retry_policy p = policy();
    /* what mm_store_unsuppress leaves behind */
    mm_address_info a = fresh();
    a.known = true;
    a.state = MM_ADDR_ACTIVE;
    a.first_bounce = T0;
    a.last_bounce = T0 + D;
    a.updated = T0 + 2 * D;
    mm_event e = soft(T0 + 3 * D);
    store_policy_apply(&p, &a, &e);
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, T0 + 3 * D);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_hard_suppresses),
        cmocka_unit_test(test_complaint_suppresses),
        cmocka_unit_test(test_soft_temporary),
        cmocka_unit_test(test_soft_mailbox_full),
        cmocka_unit_test(test_retry_after_advice),
        cmocka_unit_test(test_give_up_by_count),
        cmocka_unit_test(test_give_up_by_age),
        cmocka_unit_test(test_stale_run_restarts),
        cmocka_unit_test(test_limits_disabled),
        cmocka_unit_test(test_delayed_and_non_failures_change_nothing),
        cmocka_unit_test(test_suppression_never_lifted),
        cmocka_unit_test(test_hard_after_soft),
        cmocka_unit_test(test_late_event_keeps_newer_state),
        cmocka_unit_test(test_late_soft_inside_run_counts),
        cmocka_unit_test(test_unsuppressed_starts_fresh_run),
        cmocka_unit_test(test_late_soft_reaches_give_up),
        cmocka_unit_test(test_delivery_ends_soft_run),
        cmocka_unit_test(test_delivery_leaves_other_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
