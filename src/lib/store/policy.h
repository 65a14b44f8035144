/*
 * policy.h - the retry policy as a pure function (internal).
 *
 * store.c loads an address's row, feeds it the address's new events in time
 * order through store_policy_apply(), and saves the row again, all in the
 * add_events transaction.  Nothing here touches a database or a clock, so
 * every rule is unit-tested with plain structs (tests/store/test_policy.c).
 * docs/LOG.md explains the rules and compares them with SES, SendGrid,
 * Mailgun and Postmark.
 */
#ifndef MM_STORE_POLICY_H
#define MM_STORE_POLICY_H

#include <stdbool.h>
#include <mailmedic/store.h>

/* The event is a complaint (ARF feedback report). */
bool store_event_is_complaint(const mm_event *ev);
/* The event counts as a soft bounce of the address. */
bool store_event_is_soft(const mm_event *ev);

/*
 * Apply one event to the state of its address.  a->address, note, fix and
 * the other user fields are left alone; a->why is set to one of the static
 * MM_WHY_* strings when the policy suppresses.  Returns true when the row
 * changed (and must be saved), false for events that change nothing
 * ("delayed" reports, non-failures).
 */
bool store_policy_apply(const mm_retry_policy *p, mm_address_info *a, const mm_event *ev);

/*
 * The MTA log recorded a successful delivery to the address at `time`: an
 * open soft run ends (state active, counts reset), since the mailbox took
 * mail again.  Suppressed and unknown rows, and deliveries older than the
 * row's last change, change nothing.  Returns true when the row changed.
 */
bool store_policy_delivered(mm_address_info *a, int64_t time);

/* Close the soft run (no retry time, counts reset): after a delivery, an
 * unsuppress or a "resolved" note, the next soft bounce starts a new run. */
void store_policy_end_run(mm_address_info *a);

#endif
