/*
 * policy.c - the retry policy: one event in, the address's new state out.
 *
 * The rules (docs/LOG.md has the reasoning and the peer comparison):
 *   - "delayed" reports (the MTA is still retrying) change nothing;
 *   - a hard bounce suppresses (why hard_bounce), a complaint suppresses
 *     (why complaint);
 *   - any other failure is a soft bounce: the address waits until
 *     retry_at = time + delay (mailbox full: mailbox_full_delay, else
 *     temporary_delay; a longer retry_after advice from the event wins), and
 *     the policy gives up (suppressed, why soft_limit) once the run reaches
 *     give_up_count bounces or lasts give_up_age seconds;
 *   - a suppression, manual or not, is never lifted by an event (only by
 *     unsuppress or a resolved annotation, which start a fresh run);
 *   - an event older than the row's last change (a->updated) arrives late:
 *     it is counted but cannot undo the newer state.
 * A soft bounce more than give_up_age after the previous bounce starts a
 * fresh run: the address evidently took mail in between.  A delivery the
 * MTA log records as sent ends a soft run too (store_policy_delivered).
 */
#include "store/policy.h"

#include <string.h>

bool store_event_is_complaint(const mm_event *ev)
{
    return strcmp(ev->action, "complaint") == 0;
}

bool store_event_is_soft(const mm_event *ev)
{
    /* The sender's own account or a non-failure says nothing about the
     * recipient's address, so they never count against it. */
    return strcmp(ev->action, "failed") == 0 && !ev->hard &&
           ev->category != MM_CATEGORY_NOT_A_FAILURE && ev->category != MM_CATEGORY_SENDER_ACCOUNT;
}

static bool event_is_hard(const mm_event *ev)
{
    return ev->hard && strcmp(ev->action, "delayed") != 0;
}

static void suppress(mm_address_info *a, const char *why)
{
    a->state = MM_ADDR_SUPPRESSED;
    a->why = why;
    a->retry_at = 0;
}

static long soft_delay(const mm_retry_policy *p, const mm_event *ev)
{
    long d = ev->category == MM_CATEGORY_MAILBOX_FULL ? p->mailbox_full_delay : p->temporary_delay;
    if (ev->retry_after != MM_RETRY_NEVER && ev->retry_after > d)
        d = ev->retry_after;
    return d;
}

static void apply_soft(const mm_retry_policy *p, mm_address_info *a, const mm_event *ev,
                       int64_t prev_bounce)
{
    bool stale = p->give_up_age > 0 && prev_bounce != 0 && ev->time - prev_bounce >= p->give_up_age;
    if (a->state != MM_ADDR_SOFT || a->soft_since == 0 || stale) {
        a->soft_count = 0;
        a->soft_since = ev->time;
    }
    a->soft_count++;
    if ((p->give_up_count > 0 && a->soft_count >= p->give_up_count) ||
        (p->give_up_age > 0 && ev->time - a->soft_since >= p->give_up_age)) {
        suppress(a, MM_WHY_GAVE_UP);
        return;
    }
    a->state = MM_ADDR_SOFT;
    a->why = "";
    a->retry_at = ev->time + soft_delay(p, ev);
}

bool store_policy_apply(const mm_retry_policy *p, mm_address_info *a, const mm_event *ev)
{
    bool complaint = store_event_is_complaint(ev);
    bool hard = !complaint && event_is_hard(ev);
    bool soft = !complaint && !hard && store_event_is_soft(ev);
    if (!complaint && !hard && !soft)
        return false;

    a->known = true;
    if (a->first_bounce == 0 || ev->time < a->first_bounce)
        a->first_bounce = ev->time;
    if (hard)
        a->hard_count++;

    if (ev->time < a->updated) {
        /* Late: a newer state stands.  It still belongs to the current soft
         * run if it falls inside it, and counts towards giving up as it
         * would have in time order: the state must not depend on where the
         * batches were cut. */
        if (soft && a->state == MM_ADDR_SOFT && ev->time >= a->soft_since) {
            a->soft_count++;
            if (p->give_up_count > 0 && a->soft_count >= p->give_up_count)
                suppress(a, MM_WHY_GAVE_UP);
        }
        return true;
    }

    int64_t prev_bounce = a->last_bounce;
    if (ev->time > a->last_bounce)
        a->last_bounce = ev->time;
    a->last_reason = ev->reason;
    a->last_category = ev->category;
    a->updated = ev->time;

    if (a->state == MM_ADDR_SUPPRESSED)
        return true;
    if (complaint)
        suppress(a, MM_WHY_COMPLAINT);
    else if (hard)
        suppress(a, MM_WHY_HARD_BOUNCE);
    else
        apply_soft(p, a, ev, prev_bounce);
    return true;
}

bool store_policy_delivered(mm_address_info *a, int64_t time)
{
    /* Only a run that is still open: a suppression stands (it is lifted by
     * a person, never by traffic), and a delivery older than the last change
     * says nothing about the state after it. */
    if (!a->known || a->state != MM_ADDR_SOFT || time <= a->updated)
        return false;
    a->state = MM_ADDR_ACTIVE;
    a->why = "";
    store_policy_end_run(a);
    a->updated = time;
    return true;
}

void store_policy_end_run(mm_address_info *a)
{
    a->retry_at = 0;
    a->soft_count = 0;
    a->soft_since = 0;
}
