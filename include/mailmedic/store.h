/*
 * store.h - the bounce log (seed 004's error log, kept automatically):
 * bounce events, the address book with suppression and retry state, the
 * user's own notes on each address (fix tried, outcome, corrected address),
 * contacts with their source, MTA delivery records (the denominator of bounce
 * rates) and ingest cursors (e.g. the last IMAP UID read).
 *
 * Two backends with one schema and the same behaviour: SQLite (embedded
 * default, WAL, one writer at a time with a busy time-out) and PostgreSQL
 * (libpq; a team or several mail servers sharing one log).  The schema is
 * versioned; migrations run on open; a database written by a newer version
 * is refused with MM_ESCHEMA and left untouched.
 *
 * Every write is one transaction: after a crash (kill -9, power loss of the
 * server, a dropped PostgreSQL connection) either all of a call's rows are
 * stored or none, and the same call can simply be repeated.  Events and
 * deliveries carry an idempotency key: adding one that is already stored is
 * a no-op, so ingesting the same bounce twice stores it once, even from
 * several processes at the same time.
 *
 * The suppression/retry state of an address is derived from its events by
 * the retry policy (mm_retry_policy) when the events are added, in the same
 * transaction, so `check` is one indexed lookup per address.
 *
 * Thread safety: one mm_store per thread.  Several processes may open the
 * same database at once.
 */
#ifndef MAILMEDIC_STORE_H
#define MAILMEDIC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/export.h>
#include <mailmedic/reason.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_store mm_store;

/*
 * The retry policy: how long to wait after a soft bounce before the address
 * is "due" again, and when to give up on an address that keeps soft
 * bouncing.  Defaults follow the seeds (temporary failure: retry after 4-6
 * hours; mailbox full: after 1-3 days); docs/LOG.md compares them with SES,
 * SendGrid, Mailgun and Postmark.
 */
typedef struct mm_retry_policy {
    long temporary_delay;     /* seconds after a temporary failure; default 4 h */
    long mailbox_full_delay;  /* seconds after "mailbox full"; default 1 day */
    int give_up_count;        /* soft bounces in a row that suppress the address; default 5 */
    long give_up_age;         /* or: seconds since the first soft bounce of the run; default 7 days */
} mm_retry_policy;

MM_EXTERN void mm_retry_policy_default(mm_retry_policy *p);

typedef struct mm_store_options {
    mm_retry_policy policy;
    int busy_timeout_ms;   /* SQLite: how long to wait for another writer; default 30000 */
    int connect_timeout_s; /* PostgreSQL: connection time-out; default 10 */
} mm_store_options;

MM_EXTERN void mm_store_options_default(mm_store_options *o);

/*
 * Open (creating if needed) a store.  where:
 *   NULL or ""                     the default SQLite file,
 *                                  $XDG_DATA_HOME/mailmedic/log.sqlite
 *                                  (~/.local/share/mailmedic/log.sqlite)
 *   "postgresql://..." "postgres://..."   PostgreSQL (a libpq URI)
 *   "sqlite:PATH" or any other PATH       an SQLite file
 * opt may be NULL (defaults).  On failure *out is NULL and why (if given)
 * says what happened, naming the database.  Errors: MM_EDB (corrupt or not a
 * database), MM_EBUSY, MM_ESCHEMA, MM_ECONN, MM_EAUTH, MM_EIO, MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_store_open(const char *where, const mm_store_options *opt,
                                    mm_store **out, char *why, size_t whylen);
MM_EXTERN void mm_store_close(mm_store *s);
/* "sqlite" or "postgresql". */
MM_EXTERN const char *mm_store_backend(const mm_store *s);
/* A description of the last failure on this store (English, names the
 * database), or "" — for the caller's error message. */
MM_EXTERN const char *mm_store_error(const mm_store *s);
/* The schema version this program writes (and the highest it opens). */
MM_EXTERN int mm_store_schema_version(void);

/* ---- events ---------------------------------------------------------- */

/*
 * One recipient of one bounce (or complaint, or delay report), with what
 * diagnose said about it.  Strings are UTF-8 and never NULL ("" when
 * unknown); when passed in they are borrowed for the call, when handed to a
 * callback they are borrowed for the callback.
 */
typedef struct mm_event {
    const char *key;        /* idempotency key, unique per event (see ingest) */
    int64_t time;           /* when it happened, Unix seconds (UTC) */
    const char *address;    /* recipient addr-spec, domain lower-cased */
    const char *action;     /* "failed", "delayed" or "complaint" */
    const char *status;     /* RFC 3463 code "5.1.1", or "" */
    int reply_code;         /* SMTP reply code, 0 if none */
    mm_reason_t reason;
    mm_category_t category;
    mm_severity_t severity;
    bool hard;              /* permanent and tied to the address */
    long retry_after;       /* advice: seconds, MM_RETRY_NEVER, or 0 */
    const char *provider;   /* receiving provider ("tencent", ...) or "" */
    const char *diagnostic; /* the receiver's own words */
    const char *remote_mta;
    const char *mta;        /* decoder that read the bounce ("postfix", "rfc3464", ...) */
    const char *subject;    /* of the original message, if the bounce carried it */
    const char *message_id; /* of the original message, if known */
    const char *origin;     /* where it came from: "file:PATH#N", "imap://user@host/INBOX;UID=17",
                               "stdin#N", "postfix:PATH:LINE" */
} mm_event;

/*
 * Add events in one transaction.  Events whose key is already stored are
 * skipped.  The policy updates each new event's address.  When cursor_name
 * is non-NULL, the cursor is set to cursor_value in the same transaction
 * (so "the last IMAP UID read" never runs ahead of what was stored).
 * *added (if non-NULL) receives how many events were new.
 */
MM_EXTERN mm_status_t mm_store_add_events(mm_store *s, const mm_event *ev, size_t n,
                                          const char *cursor_name, const char *cursor_value,
                                          size_t *added);

/* The value of an ingest cursor: *value is malloc'd (caller frees), NULL
 * when the cursor was never set (and MM_OK is returned). */
MM_EXTERN mm_status_t mm_store_get_cursor(mm_store *s, const char *name, char **value);

typedef struct mm_event_filter {
    const char *address;  /* only this address, or NULL */
    int64_t since, until; /* time range [since, until); 0 = open */
} mm_event_filter;

/* Return non-zero from a callback to stop the walk (the walk then returns MM_OK).
 * A callback may read but must not write to the same store: on PostgreSQL
 * the walk holds the connection, and a write started inside it fails with
 * MM_EINVAL.  Collect what to change, then write after the walk. */
typedef int (*mm_event_cb)(void *arg, const mm_event *ev);

/* Every stored event matching f (NULL = all), in (time, key) order. */
MM_EXTERN mm_status_t mm_store_each_event(mm_store *s, const mm_event_filter *f,
                                          mm_event_cb cb, void *arg);

/* ---- addresses: suppression, retry, the user's notes ------------------ */

typedef enum mm_addr_state {
    MM_ADDR_ACTIVE = 0, /* fine to send (never bounced, resolved, or unsuppressed) */
    MM_ADDR_SOFT,       /* soft-bounced: wait until retry_at, then it is due */
    MM_ADDR_SUPPRESSED, /* never send again (hard bounce, complaint, manual, gave up) */
} mm_addr_state;

MM_EXTERN const char *mm_addr_state_tostr(mm_addr_state s); /* "active", "soft", "suppressed" */

/* Why an address is suppressed (machine names, stable): */
#define MM_WHY_HARD_BOUNCE "hard_bounce"
#define MM_WHY_COMPLAINT "complaint"
#define MM_WHY_MANUAL "manual"
#define MM_WHY_GAVE_UP "soft_limit"   /* too many soft bounces / too long: escalate */
#define MM_WHY_IMPORTED "imported"

/* Outcome of the user's fix (seed 004), stable names: */
#define MM_OUTCOME_RESOLVED "resolved"
#define MM_OUTCOME_FAILING "still_failing"
#define MM_OUTCOME_LOST "contact_lost"

typedef struct mm_address_info {
    const char *address;
    mm_addr_state state;
    const char *why;          /* MM_WHY_* when suppressed, else "" */
    mm_reason_t last_reason;  /* of the last bounce (MM_REASON_UNDEFINED if none) */
    mm_category_t last_category;
    int64_t first_bounce, last_bounce; /* 0 if never bounced */
    int64_t retry_at;         /* MM_ADDR_SOFT: when it is due; else 0 */
    int hard_count;           /* hard bounces seen */
    int soft_count;           /* soft bounces in the current run */
    int64_t soft_since;       /* first soft bounce of the current run, 0 if none */
    const char *note;         /* free text (suppress/unsuppress --note) */
    const char *fix;          /* the fix tried ("confirmed new address via LinkedIn") */
    const char *outcome;      /* MM_OUTCOME_* or "" */
    const char *corrected;    /* the corrected address, or "" */
    const char *source;       /* contact source ("trade show", ...) or "" */
    const char *name;         /* contact name, or "" */
    int64_t updated;          /* last state change, Unix seconds (notes alone leave it) */
    bool known;               /* false: the store has nothing on this address */
} mm_address_info;

typedef int (*mm_address_cb)(void *arg, const mm_address_info *a);

/*
 * Look up n addresses (batched: fast for a mail-merge script with 100,000
 * recipients).  cb is called once per address, in order; an unknown address
 * comes back with known=false and state MM_ADDR_ACTIVE (an imported
 * contact that never bounced is known, active, with its source).  Addresses
 * are compared trimmed, with the domain lower-cased; an empty one is
 * MM_EINVAL.
 */
MM_EXTERN mm_status_t mm_store_check(mm_store *s, const char *const *addrs, size_t n,
                                     mm_address_cb cb, void *arg);

typedef struct mm_address_filter {
    unsigned states;      /* bit (1u << mm_addr_state) per state wanted; 0 = all known addresses */
    int64_t due_before;   /* with MM_ADDR_SOFT: only retry_at <= due_before; 0 = any */
} mm_address_filter;

/* Every address with a state row (bounced, suppressed, unsuppressed or
 * annotated; contacts alone are not listed) matching f (NULL = all),
 * ordered by address. */
MM_EXTERN mm_status_t mm_store_each_address(mm_store *s, const mm_address_filter *f,
                                            mm_address_cb cb, void *arg);

/* Suppress (why = MM_WHY_MANUAL, or MM_WHY_IMPORTED for a list import) or
 * unsuppress (state back to active, soft run reset) n addresses in one
 * transaction, with an optional note (NULL = keep the old note). */
MM_EXTERN mm_status_t mm_store_suppress(mm_store *s, const char *const *addrs, size_t n,
                                        const char *why, const char *note, int64_t now);
MM_EXTERN mm_status_t mm_store_unsuppress(mm_store *s, const char *const *addrs, size_t n,
                                          const char *note, int64_t now);

/* The user's notes on an address; NULL fields are left unchanged.  An
 * outcome of MM_OUTCOME_RESOLVED makes the address active again; a corrected
 * address is recorded on the old one (and the new one becomes known). */
typedef struct mm_annotation {
    const char *fix, *outcome, *corrected, *note;
} mm_annotation;

MM_EXTERN mm_status_t mm_store_annotate(mm_store *s, const char *addr, const mm_annotation *a,
                                        int64_t now);

/* ---- contacts (for statistics by source) ------------------------------ */

typedef struct mm_contact {
    const char *address, *source, *name;
} mm_contact;

/* Add or update contacts (source and name replaced when non-empty). */
MM_EXTERN mm_status_t mm_store_add_contacts(mm_store *s, const mm_contact *c, size_t n,
                                            size_t *changed);

/* ---- MTA delivery records (Postfix/Exim logs) ------------------------- */

typedef struct mm_delivery {
    const char *key;        /* idempotency key */
    int64_t time;
    const char *address;
    const char *outcome;    /* "sent", "deferred" or "bounced" */
    const char *status;     /* DSN "5.1.1" or "" */
    const char *reply;      /* the remote reply text, or "" */
    const char *relay;      /* relay host, or "" */
    const char *queue_id;
    const char *origin;     /* "postfix:PATH:LINE" */
} mm_delivery;

/* Add delivery records; keys already stored are skipped (*added counts the
 * new ones).  A new "sent" record newer than an address's last change ends
 * its open soft run (state active, soft count 0); it never creates an
 * address row nor lifts a suppression.  The cursor, when named, is moved in
 * the same transaction. */
MM_EXTERN mm_status_t mm_store_add_deliveries(mm_store *s, const mm_delivery *d, size_t n,
                                              const char *cursor_name, const char *cursor_value,
                                              size_t *added);

/* ---- rows for statistics: narrow, fast scans -------------------------- */

/* One event, reduced to what statistics group by.  Borrowed in the callback. */
typedef struct mm_stat_row {
    int64_t time;
    const char *address;
    const char *domain;
    const char *action;     /* "failed", "delayed", "complaint" */
    mm_reason_t reason;
    mm_category_t category;
    bool hard;
    const char *provider;
    const char *source;     /* the contact's source, or "" */
} mm_stat_row;

typedef int (*mm_stat_row_cb)(void *arg, const mm_stat_row *r);

/* Every event with since <= time < until (0 = open), in no particular order. */
MM_EXTERN mm_status_t mm_store_each_stat_row(mm_store *s, int64_t since, int64_t until,
                                             mm_stat_row_cb cb, void *arg);

/* Delivery counts per (day, domain, outcome) for since <= time < until.
 * day is the Unix time of 00:00 UTC of that day. */
typedef int (*mm_delivery_count_cb)(void *arg, int64_t day, const char *domain,
                                    const char *outcome, long count);
MM_EXTERN mm_status_t mm_store_each_delivery_count(mm_store *s, int64_t since, int64_t until,
                                                   mm_delivery_count_cb cb, void *arg);

/* Contacts per source (for "hard-bounce rate per source"). */
typedef int (*mm_source_count_cb)(void *arg, const char *source, long contacts);
MM_EXTERN mm_status_t mm_store_each_source_count(mm_store *s, mm_source_count_cb cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
