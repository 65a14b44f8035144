/*
 * conformance.c - the store contract (include/mailmedic/store.h), every
 * function, on whichever backend MM_TEST_STORE names ("postgresql://..." or
 * a file; default: a fresh SQLite file in a temporary directory).  The same
 * program runs against SQLite and PostgreSQL, so it says nothing about
 * either: each test uses its own addresses, keys, sources and time ranges,
 * and the whole run starts from an empty store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <mailmedic/store.h>

#define H 3600LL
#define D (24 * H)

static mm_store *S;
static char tmpdir[256];
static char dbpath[512];

/* ---- helpers ---------------------------------------------------------- */

static mm_event ev(const char *key, int64_t t, const char *addr, const char *action, mm_reason_t r,
                   mm_category_t c, bool hard)
{
    mm_event e = {.key = key,
                  .time = t,
                  .address = addr,
                  .action = action,
                  .status = "5.1.1",
                  .reply_code = 550,
                  .reason = r,
                  .category = c,
                  .severity = hard ? MM_SEVERITY_HIGH : MM_SEVERITY_LOW,
                  .hard = hard,
                  .retry_after = 0,
                  .provider = "tencent",
                  .diagnostic = "550 no such user",
                  .remote_mta = "mx.example.net",
                  .mta = "postfix",
                  .subject = "Quote",
                  .message_id = "<m@x>",
                  .origin = "file:test#1"};
    return e;
}

static mm_event hard_ev(const char *key, int64_t t, const char *addr)
{
    return ev(key, t, addr, "failed", MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS, true);
}

static mm_event soft_ev(const char *key, int64_t t, const char *addr)
{
    mm_event e = ev(key, t, addr, "failed", MM_REASON_MAILBOXFULL, MM_CATEGORY_MAILBOX_FULL, false);
    e.status = "4.2.2";
    e.reply_code = 452;
    return e;
}

static void add(const mm_event *e, size_t n, size_t want_added)
{
    size_t added = 99;
    mm_status_t st = mm_store_add_events(S, e, n, NULL, NULL, &added);
    if (st != MM_OK)
        fail_msg("add_events: got %s (%s), want ok", mm_strerror(st), mm_store_error(S));
    assert_int_equal(added, want_added);
}

/* A copy of what a callback saw. */
typedef struct seen {
    char address[128], why[32], note[128], fix[128], outcome[32], corrected[128], source[64],
        name[64];
    mm_addr_state state;
    mm_reason_t last_reason;
    mm_category_t last_category;
    int64_t first_bounce, last_bounce, retry_at, soft_since, updated;
    int hard_count, soft_count;
    bool known;
} seen;

typedef struct seen_list {
    seen v[32];
    int n;
    const char *suffix; /* keep only addresses ending with it (NULL: all) */
    int stop_after;     /* 0: never stop */
} seen_list;

#define CPY(d, s) snprintf((d), sizeof(d), "%s", (s))

static int collect(void *arg, const mm_address_info *a)
{
    seen_list *l = arg;
    size_t al = strlen(a->address);
    if (l->suffix &&
        (al < strlen(l->suffix) || strcmp(a->address + al - strlen(l->suffix), l->suffix) != 0))
        return 0;
    if (l->n >= 32)
        return 1;
    seen *s = &l->v[l->n++];
    CPY(s->address, a->address);
    CPY(s->why, a->why);
    CPY(s->note, a->note);
    CPY(s->fix, a->fix);
    CPY(s->outcome, a->outcome);
    CPY(s->corrected, a->corrected);
    CPY(s->source, a->source);
    CPY(s->name, a->name);
    s->state = a->state;
    s->last_reason = a->last_reason;
    s->last_category = a->last_category;
    s->first_bounce = a->first_bounce;
    s->last_bounce = a->last_bounce;
    s->retry_at = a->retry_at;
    s->soft_since = a->soft_since;
    s->updated = a->updated;
    s->hard_count = a->hard_count;
    s->soft_count = a->soft_count;
    s->known = a->known;
    return l->stop_after && l->n >= l->stop_after;
}

static seen check1(const char *addr)
{
    seen_list l = {0};
    mm_status_t st = mm_store_check(S, &addr, 1, collect, &l);
    if (st != MM_OK)
        fail_msg("check %s: got %s (%s)", addr, mm_strerror(st), mm_store_error(S));
    assert_int_equal(l.n, 1);
    return l.v[0];
}

typedef struct event_list {
    char keys[16][64];
    mm_event first; /* the first event's numbers (strings not kept) */
    char address[64], diagnostic[128], subject[64], origin[64], provider[32], status[16],
        action[16];
    int n, stop_after;
} event_list;

static int collect_event(void *arg, const mm_event *e)
{
    event_list *l = arg;
    if (l->n == 0) {
        l->first = *e;
        CPY(l->address, e->address);
        CPY(l->diagnostic, e->diagnostic);
        CPY(l->subject, e->subject);
        CPY(l->origin, e->origin);
        CPY(l->provider, e->provider);
        CPY(l->status, e->status);
        CPY(l->action, e->action);
    }
    if (l->n < 16)
        CPY(l->keys[l->n], e->key);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static event_list events_of(const char *addr, int64_t since, int64_t until)
{
    event_list l = {0};
    mm_event_filter f = {addr, since, until};
    assert_int_equal(mm_store_each_event(S, &f, collect_event, &l), MM_OK);
    return l;
}

/* ---- basics ----------------------------------------------------------- */

static void test_basics(void **state)
{
    (void)state;
    const char *b = mm_store_backend(S);
    assert_true(strcmp(b, "sqlite") == 0 || strcmp(b, "postgresql") == 0);
    assert_int_equal(mm_store_schema_version(), 1);
    assert_string_equal(mm_addr_state_tostr(MM_ADDR_ACTIVE), "active");
    assert_string_equal(mm_addr_state_tostr(MM_ADDR_SOFT), "soft");
    assert_string_equal(mm_addr_state_tostr(MM_ADDR_SUPPRESSED), "suppressed");
    mm_store_options o;
    mm_store_options_default(&o);
    assert_int_equal(o.busy_timeout_ms, 30000);
    assert_int_equal(o.connect_timeout_s, 10);
    assert_int_equal(o.policy.temporary_delay, 4 * H);
    assert_int_equal(o.policy.give_up_count, 5);
    assert_non_null(mm_store_error(S));
}

/* ---- events ----------------------------------------------------------- */

static void test_events_idempotent(void **state)
{
    (void)state;
    const int64_t t = 1000 * D;
    mm_event e[3] = {hard_ev("idem-1", t, "gone@idem.test"),
                     soft_ev("idem-2", t + H, "full@idem.test"),
                     soft_ev("idem-3", t + 2 * H, "full@idem.test")};
    add(e, 3, 3);
    seen a = check1("full@idem.test");
    add(e, 3, 0); /* the same bounces again: nothing new, state untouched */
    seen b = check1("full@idem.test");
    assert_int_equal(b.soft_count, 2);
    assert_memory_equal(&a, &b, sizeof a);
    assert_int_equal(check1("gone@idem.test").hard_count, 1);
    assert_int_equal(events_of("full@idem.test", 0, 0).n, 2);

    /* the same key twice inside one batch is stored once */
    mm_event twice[2] = {hard_ev("idem-4", t, "x@idem.test"), hard_ev("idem-4", t, "x@idem.test")};
    add(twice, 2, 1);
    assert_int_equal(check1("x@idem.test").hard_count, 1);
    add(NULL, 0, 0);
}

static void test_cursor(void **state)
{
    (void)state;
    char *v = (char *)"unset";
    assert_int_equal(mm_store_get_cursor(S, "conf:never", &v), MM_OK);
    assert_null(v);

    mm_event e = hard_ev("cur-1", 1001 * D, "a@cursor.test");
    size_t added = 0;
    assert_int_equal(mm_store_add_events(S, &e, 1, "conf:imap", "17", &added), MM_OK);
    assert_int_equal(added, 1);
    assert_int_equal(mm_store_get_cursor(S, "conf:imap", &v), MM_OK);
    assert_string_equal(v, "17");
    free(v);

    /* a failing call sets neither its events nor its cursor */
    mm_event bad[2] = {hard_ev("cur-2", 1001 * D, "b@cursor.test"),
                       hard_ev(NULL, 1001 * D, "c@cursor.test")};
    assert_int_equal(mm_store_add_events(S, bad, 2, "conf:imap", "99", NULL), MM_EINVAL);
    assert_int_equal(mm_store_get_cursor(S, "conf:imap", &v), MM_OK);
    assert_string_equal(v, "17");
    free(v);
    assert_false(check1("b@cursor.test").known);

    /* a cursor alone, and moved by deliveries */
    assert_int_equal(mm_store_add_events(S, NULL, 0, "conf:imap", "18", NULL), MM_OK);
    assert_int_equal(mm_store_get_cursor(S, "conf:imap", &v), MM_OK);
    assert_string_equal(v, "18");
    free(v);
    assert_int_equal(mm_store_add_events(S, &e, 1, "conf:bad", NULL, NULL), MM_EINVAL);
    assert_int_equal(mm_store_get_cursor(S, "", &v), MM_EINVAL);
}

static void test_each_event_filter(void **state)
{
    (void)state;
    const int64_t t = 1002 * D;
    mm_event e[4] = {hard_ev("filt-3", t + 30, "who@filter.test"),
                     soft_ev("filt-1", t + 10, "Who@FILTER.test"),
                     soft_ev("filt-2", t + 20, "who@filter.test"),
                     soft_ev("filt-0", t + 20, "other@filter.test")};
    e[0].diagnostic = "550 5.1.1 <who@filter.test>: 用户不存在";
    e[0].subject = "报价 Quote";
    e[0].retry_after = MM_RETRY_NEVER;
    add(e, 4, 4);

    event_list l = events_of("who@filter.test", 0, 0);
    assert_int_equal(l.n, 2); /* "Who@FILTER.test" has another local part */
    l = events_of("Who@filter.TEST", 0, 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.keys[0], "filt-1");

    l = events_of("who@filter.test", t + 20, t + 31);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.keys[0], "filt-2");
    assert_string_equal(l.keys[1], "filt-3");
    l = events_of("who@filter.test", t + 20, t + 30); /* until is exclusive */
    assert_int_equal(l.n, 1);
    l = events_of("who@filter.test", t + 30, 0);
    assert_int_equal(l.n, 1);
    /* every field comes back */
    assert_int_equal(l.first.time, t + 30);
    assert_string_equal(l.address, "who@filter.test");
    assert_string_equal(l.action, "failed");
    assert_string_equal(l.status, "5.1.1");
    assert_int_equal(l.first.reply_code, 550);
    assert_int_equal(l.first.reason, MM_REASON_USERUNKNOWN);
    assert_int_equal(l.first.category, MM_CATEGORY_INVALID_ADDRESS);
    assert_int_equal(l.first.severity, MM_SEVERITY_HIGH);
    assert_true(l.first.hard);
    assert_int_equal(l.first.retry_after, MM_RETRY_NEVER);
    assert_string_equal(l.provider, "tencent");
    assert_string_equal(l.diagnostic, "550 5.1.1 <who@filter.test>: 用户不存在");
    assert_string_equal(l.subject, "报价 Quote");
    assert_string_equal(l.origin, "file:test#1");

    /* all addresses, time range only, in (time, key) order */
    l = events_of(NULL, t, t + 31);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.keys[0], "filt-1");
    assert_string_equal(l.keys[1], "filt-0");
    assert_string_equal(l.keys[2], "filt-2");
    assert_string_equal(l.keys[3], "filt-3");

    /* stopping early is not an error */
    event_list s = {.stop_after = 1};
    mm_event_filter f = {NULL, t, t + 31};
    assert_int_equal(mm_store_each_event(S, &f, collect_event, &s), MM_OK);
    assert_int_equal(s.n, 1);
}

/* ---- the policy through the store ------------------------------------- */

static void test_policy_in_store(void **state)
{
    (void)state;
    const int64_t t = 1003 * D;
    mm_event e = soft_ev("pol-1", t, "soft@policy.test");
    add(&e, 1, 1);
    seen a = check1("soft@policy.test");
    assert_true(a.known);
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.retry_at, t + D); /* mailbox full: one day */
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, t);
    assert_int_equal(a.last_reason, MM_REASON_MAILBOXFULL);
    assert_int_equal(a.last_category, MM_CATEGORY_MAILBOX_FULL);

    /* a batch out of order is applied in time order: hard at t, soft later */
    mm_event b[2] = {soft_ev("pol-3", t + H, "mixed@policy.test"),
                     hard_ev("pol-2", t, "mixed@policy.test")};
    add(b, 2, 2);
    a = check1("mixed@policy.test");
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_HARD_BOUNCE);
    assert_int_equal(a.first_bounce, t);
    assert_int_equal(a.last_bounce, t + H);

    /* five soft bounces give up */
    mm_event r[5];
    char keys[5][16];
    for (int i = 0; i < 5; i++) {
        snprintf(keys[i], sizeof keys[i], "pol-r%d", i);
        r[i] = soft_ev(keys[i], t + i * H, "retry@policy.test");
    }
    add(r, 4, 4);
    assert_int_equal(check1("retry@policy.test").state, MM_ADDR_SOFT);
    add(r + 4, 1, 1);
    a = check1("retry@policy.test");
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_GAVE_UP);

    /* complaints suppress; delay reports change nothing */
    mm_event c[2] = {ev("pol-c", t, "angry@policy.test", "complaint", MM_REASON_FEEDBACK,
                        MM_CATEGORY_NOT_A_FAILURE, false),
                     ev("pol-d", t, "slow@policy.test", "delayed", MM_REASON_EXPIRED,
                        MM_CATEGORY_TEMPORARY, false)};
    add(c, 2, 2);
    a = check1("angry@policy.test");
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_COMPLAINT);
    assert_false(check1("slow@policy.test").known);
    assert_int_equal(events_of("slow@policy.test", 0, 0).n, 1);

    /* unsuppressed by hand later than a bounce that arrives late: stays active */
    const char *who = "late@policy.test";
    mm_event h = hard_ev("pol-l1", t, who);
    add(&h, 1, 1);
    assert_int_equal(mm_store_unsuppress(S, &who, 1, "checked by phone", t + 10 * D), MM_OK);
    mm_event late = hard_ev("pol-l2", t + 5 * D, who);
    add(&late, 1, 1);
    a = check1(who);
    assert_int_equal(a.state, MM_ADDR_ACTIVE);
    assert_int_equal(a.hard_count, 2);
}

/* ---- check, list ------------------------------------------------------ */

static void test_check(void **state)
{
    (void)state;
    mm_event e = hard_ev("chk-1", 1004 * D, "Hard@Example-Check.COM");
    add(&e, 1, 1);
    const char *q[] = {"hard@example-check.com", "nobody@nowhere.test",
                       "  Hard@EXAMPLE-check.com\t", "HARD@example-check.com"};
    seen_list l = {0};
    assert_int_equal(mm_store_check(S, q, 4, collect, &l), MM_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.v[0].address, "hard@example-check.com"); /* only the domain folds */
    assert_false(l.v[0].known);
    assert_false(l.v[1].known);
    assert_int_equal(l.v[1].state, MM_ADDR_ACTIVE);
    assert_int_equal(l.v[1].last_reason, MM_REASON_UNDEFINED);
    assert_string_equal(l.v[2].address, "Hard@example-check.com");
    assert_true(l.v[2].known);
    assert_int_equal(l.v[2].state, MM_ADDR_SUPPRESSED);
    assert_string_equal(l.v[2].why, MM_WHY_HARD_BOUNCE);
    assert_int_equal(l.v[2].last_reason, MM_REASON_USERUNKNOWN);
    assert_false(l.v[3].known);

    /* stop early */
    seen_list one = {.stop_after = 1};
    assert_int_equal(mm_store_check(S, q, 4, collect, &one), MM_OK);
    assert_int_equal(one.n, 1);

    const char *empty[] = {"ok@x.test", "   "};
    assert_int_equal(mm_store_check(S, empty, 2, collect, &l), MM_EINVAL);
    assert_true(strlen(mm_store_error(S)) > 0);
    assert_int_equal(mm_store_check(S, NULL, 0, collect, &l), MM_OK);
}

static void test_each_address(void **state)
{
    (void)state;
    const int64_t t = 1005 * D;
    mm_event e[4] = {soft_ev("lst-1", t, "c@list.test"), soft_ev("lst-2", t + 2 * D, "a@list.test"),
                     hard_ev("lst-3", t, "b@list.test"),
                     ev("lst-4", t, "d@list.test", "failed", MM_REASON_NETWORKERROR,
                        MM_CATEGORY_TEMPORARY, false)};
    add(e, 4, 4);
    /* retry_at: c t+1d, a t+3d, d t+4h */
    seen_list all = {.suffix = "@list.test"};
    assert_int_equal(mm_store_each_address(S, NULL, collect, &all), MM_OK);
    assert_int_equal(all.n, 4);
    assert_string_equal(all.v[0].address, "a@list.test");
    assert_string_equal(all.v[3].address, "d@list.test");
    assert_true(all.v[0].known);

    mm_address_filter f = {1u << MM_ADDR_SOFT, 0};
    seen_list soft = {.suffix = "@list.test"};
    assert_int_equal(mm_store_each_address(S, &f, collect, &soft), MM_OK);
    assert_int_equal(soft.n, 3);

    f.due_before = t + D; /* due: c (t+1d) and d (t+4h), not a (t+3d) */
    seen_list due = {.suffix = "@list.test"};
    assert_int_equal(mm_store_each_address(S, &f, collect, &due), MM_OK);
    assert_int_equal(due.n, 2);
    assert_string_equal(due.v[0].address, "c@list.test");
    assert_string_equal(due.v[1].address, "d@list.test");
    assert_int_equal(due.v[1].retry_at, t + 4 * H);

    f.states = 1u << MM_ADDR_SUPPRESSED;
    f.due_before = 0;
    seen_list sup = {.suffix = "@list.test"};
    assert_int_equal(mm_store_each_address(S, &f, collect, &sup), MM_OK);
    assert_int_equal(sup.n, 1);
    assert_string_equal(sup.v[0].address, "b@list.test");

    f.states = (1u << MM_ADDR_SUPPRESSED) | (1u << MM_ADDR_SOFT);
    f.due_before = t + D;
    seen_list both = {.suffix = "@list.test"};
    assert_int_equal(mm_store_each_address(S, &f, collect, &both), MM_OK);
    assert_int_equal(both.n, 3); /* b, c, d */

    seen_list stop = {.stop_after = 1};
    assert_int_equal(mm_store_each_address(S, NULL, collect, &stop), MM_OK);
    assert_int_equal(stop.n, 1);
}

/* ---- suppress, unsuppress, annotate ----------------------------------- */

static void test_suppress(void **state)
{
    (void)state;
    const int64_t now = 1006 * D;
    const char *two[] = {"a@supp.test", "B@SUPP.test"};
    assert_int_equal(mm_store_suppress(S, two, 2, MM_WHY_MANUAL, "bad list", now), MM_OK);
    seen a = check1("a@supp.test");
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_MANUAL);
    assert_string_equal(a.note, "bad list");
    assert_int_equal(a.updated, now);
    assert_int_equal(check1("B@supp.test").state, MM_ADDR_SUPPRESSED);

    const char *imp = "c@supp.test";
    assert_int_equal(mm_store_suppress(S, &imp, 1, MM_WHY_IMPORTED, NULL, now), MM_OK);
    assert_string_equal(check1(imp).why, MM_WHY_IMPORTED);
    assert_int_equal(mm_store_suppress(S, &imp, 1, "because", NULL, now), MM_EINVAL);
    assert_int_equal(mm_store_suppress(S, &imp, 1, NULL, "default why", now), MM_OK);
    assert_string_equal(check1(imp).why, MM_WHY_MANUAL);

    /* events never lift a manual suppression */
    mm_event e = soft_ev("sup-1", now + D, "a@supp.test");
    add(&e, 1, 1);
    a = check1("a@supp.test");
    assert_int_equal(a.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(a.why, MM_WHY_MANUAL);

    /* unsuppress; NULL note keeps the old note; the next soft bounce starts a run */
    assert_int_equal(mm_store_unsuppress(S, two, 1, NULL, now + 2 * D), MM_OK);
    a = check1("a@supp.test");
    assert_int_equal(a.state, MM_ADDR_ACTIVE);
    assert_string_equal(a.why, "");
    assert_string_equal(a.note, "bad list");
    assert_int_equal(a.soft_count, 0);
    mm_event f = soft_ev("sup-2", now + 3 * D, "a@supp.test");
    add(&f, 1, 1);
    a = check1("a@supp.test");
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, now + 3 * D);

    assert_int_equal(mm_store_unsuppress(S, two + 1, 1, "ok now", now + 2 * D), MM_OK);
    a = check1("B@supp.test");
    assert_int_equal(a.state, MM_ADDR_ACTIVE);
    assert_string_equal(a.note, "ok now");

    const char *bad[] = {"x@supp.test", ""};
    assert_int_equal(mm_store_suppress(S, bad, 2, NULL, NULL, now), MM_EINVAL);
    assert_false(check1("x@supp.test").known); /* nothing half-done */
}

static void test_annotate(void **state)
{
    (void)state;
    const int64_t t = 1007 * D;
    mm_event e = soft_ev("ann-1", t, "old@annotate.test");
    add(&e, 1, 1);

    mm_annotation a = {.fix = "confirmed new address via LinkedIn", .outcome = MM_OUTCOME_FAILING};
    assert_int_equal(mm_store_annotate(S, "old@ANNOTATE.test", &a, t + H), MM_OK);
    seen s = check1("old@annotate.test");
    assert_string_equal(s.fix, "confirmed new address via LinkedIn");
    assert_string_equal(s.outcome, MM_OUTCOME_FAILING);
    assert_int_equal(s.state, MM_ADDR_SOFT);

    mm_annotation b = {.corrected = "New@Annotate.TEST", .note = "moved"};
    assert_int_equal(mm_store_annotate(S, "old@annotate.test", &b, t + 2 * H), MM_OK);
    s = check1("old@annotate.test");
    assert_string_equal(s.corrected, "New@annotate.test");
    assert_string_equal(s.fix, "confirmed new address via LinkedIn"); /* NULL: unchanged */
    assert_string_equal(s.note, "moved");
    seen n = check1("New@annotate.test");
    assert_true(n.known);
    assert_int_equal(n.state, MM_ADDR_ACTIVE);

    mm_annotation c = {.outcome = MM_OUTCOME_RESOLVED};
    assert_int_equal(mm_store_annotate(S, "old@annotate.test", &c, t + 3 * H), MM_OK);
    s = check1("old@annotate.test");
    assert_int_equal(s.state, MM_ADDR_ACTIVE);
    assert_int_equal(s.retry_at, 0);
    assert_int_equal(s.soft_count, 0);
    assert_string_equal(s.corrected, "New@annotate.test");

    /* resolved also lifts a suppression */
    mm_event h = hard_ev("ann-2", t, "dead@annotate.test");
    add(&h, 1, 1);
    assert_int_equal(mm_store_annotate(S, "dead@annotate.test", &c, t + H), MM_OK);
    assert_int_equal(check1("dead@annotate.test").state, MM_ADDR_ACTIVE);

    /* an annotation on an address the store never saw makes it known */
    mm_annotation l = {.outcome = MM_OUTCOME_LOST, .fix = "called, no answer"};
    assert_int_equal(mm_store_annotate(S, "unseen@annotate.test", &l, t), MM_OK);
    s = check1("unseen@annotate.test");
    assert_true(s.known);
    assert_string_equal(s.outcome, MM_OUTCOME_LOST);

    /* a note is not a state change: a bounce from before it, ingested
     * after it, still counts */
    mm_annotation note = {.note = "asked the sales team"};
    assert_int_equal(mm_store_annotate(S, "noted@annotate.test", &note, t + 10 * D), MM_OK);
    mm_event older = hard_ev("ann-3", t + 5 * D, "noted@annotate.test");
    add(&older, 1, 1);
    s = check1("noted@annotate.test");
    assert_int_equal(s.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(s.note, "asked the sales team");

    mm_annotation bad = {.outcome = "maybe"};
    assert_int_equal(mm_store_annotate(S, "old@annotate.test", &bad, t), MM_EINVAL);
    assert_int_equal(mm_store_annotate(S, "", &a, t), MM_EINVAL);
    assert_int_equal(mm_store_annotate(S, "old@annotate.test", NULL, t), MM_EINVAL);
}

/* ---- contacts --------------------------------------------------------- */

typedef struct sources {
    char name[8][32];
    long count[8];
    int n;
} sources;

static int collect_source(void *arg, const char *source, long contacts)
{
    sources *s = arg;
    if (strncmp(source, "conf-", 5) != 0 || s->n >= 8)
        return 0;
    CPY(s->name[s->n], source);
    s->count[s->n++] = contacts;
    return 0;
}

static void test_contacts(void **state)
{
    (void)state;
    mm_contact c[3] = {{"li@Contacts.test", "conf-fair", "Li Wei"},
                       {"bob@contacts.test", "conf-web", ""},
                       {"ann@contacts.test", "conf-web", "Ann"}};
    size_t changed = 0;
    assert_int_equal(mm_store_add_contacts(S, c, 3, &changed), MM_OK);
    assert_int_equal(changed, 3);
    assert_int_equal(mm_store_add_contacts(S, c, 3, &changed), MM_OK);
    assert_int_equal(changed, 0);

    mm_contact u[2] = {{"bob@contacts.test", "conf-fair", "Bob"},
                       {"ann@contacts.test", "", NULL}}; /* empty: keep */
    assert_int_equal(mm_store_add_contacts(S, u, 2, &changed), MM_OK);
    assert_int_equal(changed, 1);

    seen s = check1("bob@CONTACTS.test");
    assert_true(s.known); /* a contact is known even before it bounces */
    assert_int_equal(s.state, MM_ADDR_ACTIVE);
    assert_string_equal(s.source, "conf-fair");
    assert_string_equal(s.name, "Bob");
    s = check1("ann@contacts.test");
    assert_string_equal(s.source, "conf-web");
    assert_string_equal(s.name, "Ann");

    sources src = {0};
    assert_int_equal(mm_store_each_source_count(S, collect_source, &src), MM_OK);
    assert_int_equal(src.n, 2);
    assert_string_equal(src.name[0], "conf-fair");
    assert_int_equal(src.count[0], 2);
    assert_string_equal(src.name[1], "conf-web");
    assert_int_equal(src.count[1], 1);

    /* a bounce keeps the contact's source next to the address state */
    mm_event e = hard_ev("con-1", 1008 * D, "li@contacts.test");
    add(&e, 1, 1);
    s = check1("li@contacts.test");
    assert_int_equal(s.state, MM_ADDR_SUPPRESSED);
    assert_string_equal(s.source, "conf-fair");
    assert_string_equal(s.name, "Li Wei");

    mm_contact bad[2] = {{"ok@contacts.test", "conf-x", ""}, {NULL, "conf-x", ""}};
    assert_int_equal(mm_store_add_contacts(S, bad, 2, &changed), MM_EINVAL);
    assert_false(check1("ok@contacts.test").known);
}

/* ---- deliveries ------------------------------------------------------- */

typedef struct dcounts {
    char row[16][96];
    int n;
} dcounts;

static int collect_dcount(void *arg, int64_t day, const char *domain, const char *outcome,
                          long count)
{
    dcounts *d = arg;
    if (d->n < 16)
        snprintf(d->row[d->n++], sizeof d->row[0], "%lld %s %s %ld", (long long)day, domain,
                 outcome, count);
    return 0;
}

static void test_deliveries(void **state)
{
    (void)state;
    const int64_t day = 1010 * D;
    mm_delivery d[5] = {
        {"dl-1", day + 10, "a@Deliv.test", "sent", "2.0.0", "250 ok", "mx.deliv.test", "Q1",
         "postfix:/var/log/mail.log:1"},
        {"dl-2", day + 20, "b@deliv.test", "sent", "2.0.0", "", "", "Q2", ""},
        {"dl-3", day + 30, "c@deliv.test", "bounced", "5.1.1", "550 no", "", "Q3", ""},
        {"dl-4", day + D + 5, "a@other-deliv.test", "deferred", "4.4.1", "", "", "Q4", ""},
        {"dl-5", day + D - 1, "a@deliv.test", "sent", NULL, NULL, NULL, NULL, NULL},
    };
    size_t added = 0;
    assert_int_equal(mm_store_add_deliveries(S, d, 5, "conf:maillog", "1234", &added), MM_OK);
    assert_int_equal(added, 5);
    assert_int_equal(mm_store_add_deliveries(S, d, 5, "conf:maillog", "1234", &added), MM_OK);
    assert_int_equal(added, 0);
    char *v = NULL;
    assert_int_equal(mm_store_get_cursor(S, "conf:maillog", &v), MM_OK);
    assert_string_equal(v, "1234");
    free(v);

    dcounts c = {0};
    assert_int_equal(mm_store_each_delivery_count(S, day, day + 2 * D, collect_dcount, &c), MM_OK);
    assert_int_equal(c.n, 3);
    char want[3][96];
    snprintf(want[0], sizeof want[0], "%lld deliv.test bounced 1", (long long)day);
    snprintf(want[1], sizeof want[1], "%lld deliv.test sent 3", (long long)day);
    snprintf(want[2], sizeof want[2], "%lld other-deliv.test deferred 1", (long long)(day + D));
    for (int i = 0; i < 3; i++)
        assert_string_equal(c.row[i], want[i]);

    dcounts one = {0}; /* until is exclusive */
    assert_int_equal(mm_store_each_delivery_count(S, day, day + D, collect_dcount, &one), MM_OK);
    assert_int_equal(one.n, 2);

    mm_delivery bad[2] = {{"dl-6", day, "x@deliv.test", "sent", "", "", "", "", ""},
                          {"dl-7", day, "y@deliv.test", NULL, "", "", "", "", ""}};
    assert_int_equal(mm_store_add_deliveries(S, bad, 2, "conf:maillog", "9999", &added), MM_EINVAL);
    dcounts after = {0};
    assert_int_equal(mm_store_each_delivery_count(S, day, day + 2 * D, collect_dcount, &after),
                     MM_OK);
    assert_string_equal(after.row[1], want[1]); /* dl-6 not stored */
}

/* A delivery the MTA log records as sent ends an open soft run; it never
 * makes a row, never lifts a suppression, and an older one changes nothing. */
static void test_sent_ends_soft_run(void **state)
{
    (void)state;
    const int64_t t = 1025 * D;
    mm_event e[2] = {soft_ev("sr-1", t, "full@sent.test"), hard_ev("sr-2", t, "gone@sent.test")};
    add(e, 2, 2);
    mm_delivery d[4] = {
        {"sr-d1", t - H, "Full@sent.test", "sent", "2.0.0", "", "", "Q1", ""},  /* older */
        {"sr-d2", t + 2 * H, "gone@sent.test", "sent", "2.0.0", "", "", "Q2", ""},
        {"sr-d3", t + 2 * H, "new@sent.test", "sent", "2.0.0", "", "", "Q3", ""},
        {"sr-d4", t + 3 * H, "full@sent.test", "deferred", "4.2.2", "", "", "Q4", ""},
    };
    size_t added = 0;
    assert_int_equal(mm_store_add_deliveries(S, d, 4, NULL, NULL, &added), MM_OK);
    assert_int_equal(added, 4);
    assert_int_equal(check1("full@sent.test").state, MM_ADDR_SOFT);
    assert_int_equal(check1("gone@sent.test").state, MM_ADDR_SUPPRESSED);
    assert_false(check1("new@sent.test").known);

    /* two sends in one batch: the later one counts; then a fresh run */
    mm_delivery ok[2] = {{"sr-d5", t + 5 * H, "full@sent.test", "sent", "", "", "", "", ""},
                         {"sr-d6", t + 4 * H, "full@sent.test", "sent", "", "", "", "", ""}};
    assert_int_equal(mm_store_add_deliveries(S, ok, 2, NULL, NULL, &added), MM_OK);
    seen a = check1("full@sent.test");
    assert_int_equal(a.state, MM_ADDR_ACTIVE);
    assert_int_equal(a.soft_count, 0);
    assert_int_equal(a.retry_at, 0);
    assert_int_equal(a.updated, t + 5 * H);
    assert_int_equal(a.last_bounce, t);
    mm_event again = soft_ev("sr-3", t + 6 * H, "full@sent.test");
    add(&again, 1, 1);
    a = check1("full@sent.test");
    assert_int_equal(a.state, MM_ADDR_SOFT);
    assert_int_equal(a.soft_count, 1);
    assert_int_equal(a.soft_since, t + 6 * H);
    /* the same deliveries again are not new: nothing changes */
    assert_int_equal(mm_store_add_deliveries(S, ok, 2, NULL, NULL, &added), MM_OK);
    assert_int_equal(added, 0);
    assert_int_equal(check1("full@sent.test").state, MM_ADDR_SOFT);
}

/* ---- statistics rows -------------------------------------------------- */

typedef struct stats {
    int n, hard, with_source, mailbox_full;
    char domain[64], source[32], provider[32], action[16];
} stats;

static int collect_stat(void *arg, const mm_stat_row *r)
{
    stats *s = arg;
    s->n++;
    s->hard += r->hard;
    s->mailbox_full +=
        r->category == MM_CATEGORY_MAILBOX_FULL && r->reason == MM_REASON_MAILBOXFULL;
    if (r->source[0]) {
        s->with_source++;
        CPY(s->source, r->source);
    }
    CPY(s->domain, r->domain);
    CPY(s->provider, r->provider);
    CPY(s->action, r->action);
    return 0;
}

static void test_stat_rows(void **state)
{
    (void)state;
    const int64_t t = 1020 * D;
    mm_contact c = {"src@stats.test", "conf-stats", ""};
    assert_int_equal(mm_store_add_contacts(S, &c, 1, NULL), MM_OK);
    mm_event e[3] = {hard_ev("st-1", t, "src@Stats.TEST"), soft_ev("st-2", t + H, "x@STATS.test"),
                     soft_ev("st-3", t + 2 * H, "src@stats.test")};
    add(e, 3, 3);
    stats s = {0};
    assert_int_equal(mm_store_each_stat_row(S, t, t + D, collect_stat, &s), MM_OK);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.hard, 1);
    assert_int_equal(s.with_source, 2);
    assert_int_equal(s.mailbox_full, 2);
    assert_string_equal(s.source, "conf-stats");
    assert_string_equal(s.domain, "stats.test");
    assert_string_equal(s.provider, "tencent");
    assert_string_equal(s.action, "failed");

    stats r = {0};
    assert_int_equal(mm_store_each_stat_row(S, t + H, t + 2 * H, collect_stat, &r), MM_OK);
    assert_int_equal(r.n, 1);
    stats all = {0};
    assert_int_equal(mm_store_each_stat_row(S, 0, 0, collect_stat, &all), MM_OK);
    assert_true(all.n >= 3);
}

/* ---- nothing half-written --------------------------------------------- */

static void test_rollback(void **state)
{
    (void)state;
    const int64_t t = 1030 * D;
    mm_event e[4] = {hard_ev("rb-1", t, "a@rollback.test"), hard_ev("rb-2", t, "b@rollback.test"),
                     hard_ev("rb-3", t, "c@rollback.test"), hard_ev("rb-4", t, NULL)};
    size_t added = 7;
    assert_int_equal(mm_store_add_events(S, e, 4, NULL, NULL, &added), MM_EINVAL);
    assert_int_equal(added, 0);
    assert_true(strlen(mm_store_error(S)) > 0);
    assert_int_equal(events_of(NULL, t, t + 1).n, 0);
    assert_false(check1("a@rollback.test").known);

    e[3] = hard_ev("rb-4", t, "d@rollback.test");
    e[3].action = NULL;
    assert_int_equal(mm_store_add_events(S, e, 4, NULL, NULL, &added), MM_EINVAL);
    e[3].action = "failed";
    e[3].address = "   ";
    assert_int_equal(mm_store_add_events(S, e, 4, NULL, NULL, &added), MM_EINVAL);
    assert_int_equal(events_of(NULL, t, t + 1).n, 0);

    /* and the store works on */
    e[3].address = "d@rollback.test";
    add(e, 4, 4);
    assert_int_equal(events_of(NULL, t, t + 1).n, 4);
}

/* ---- setup ------------------------------------------------------------ */

static int open_store(void **state)
{
    (void)state;
    const char *where = getenv("MM_TEST_STORE");
    if (!where || !where[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s/mm-store-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmpdir))
            return -1;
        snprintf(dbpath, sizeof dbpath, "%s/log.sqlite", tmpdir);
        where = dbpath;
    }
    char why[512];
    mm_status_t st = mm_store_open(where, NULL, &S, why, sizeof why);
    if (st != MM_OK) {
        fprintf(stderr, "cannot open the test store %s: %s (%s)\n", where, mm_strerror(st), why);
        return -1;
    }
    return 0;
}

static int close_store(void **state)
{
    (void)state;
    mm_store_close(S);
    if (dbpath[0]) {
        char p[600];
        const char *ext[] = {"", "-wal", "-shm"};
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s%s", dbpath, ext[i]);
            unlink(p);
        }
        rmdir(tmpdir);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basics),          cmocka_unit_test(test_events_idempotent),
        cmocka_unit_test(test_cursor),          cmocka_unit_test(test_each_event_filter),
        cmocka_unit_test(test_policy_in_store), cmocka_unit_test(test_check),
        cmocka_unit_test(test_each_address),    cmocka_unit_test(test_suppress),
        cmocka_unit_test(test_annotate),        cmocka_unit_test(test_contacts),
        cmocka_unit_test(test_deliveries),      cmocka_unit_test(test_sent_ends_soft_run),      cmocka_unit_test(test_stat_rows),
        cmocka_unit_test(test_rollback),
    };
    return cmocka_run_group_tests(tests, open_store, close_store);
}
