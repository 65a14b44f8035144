/*
 * ingest.h - from bounces and MTA delivery log lines to stored events.
 *
 * An mm_ingest sits in front of an mm_store.  Each bounce message is
 * diagnosed (mm_diagnose_message) and becomes one mm_event per recipient
 * whose action is "failed" or "delayed"; an ARF feedback report becomes
 * "complaint" events.  Auto-replies, success DSNs and ordinary mail are
 * counted and skipped.  Events are queued and written in batches (one store
 * transaction per batch), together with the ingest cursor, so after a crash
 * the store holds whole batches and a cursor that never runs ahead of them.
 *
 * Idempotency keys (so the same bounce ingested twice is stored once, even
 * from several processes or from a file and then over IMAP):
 *   message event:  hex SHA-256 of: M "\n" recipient "\n" index, where M is
 *                   the hex SHA-256 of the message bytes with line ends
 *                   made LF (CRLF and bare CR -> LF) and index the
 *                   recipient's 0-based position in the report;
 *   delivery:       hex SHA-256 of "delivery\n" + the log line (no line end);
 *   log event:      hex SHA-256 of "event\n" + the log line.
 * The origin (file name, UID, line number) is deliberately not part of a
 * key: it changes when the same bytes come another way.
 *
 * An event's time is the recipient's own date (the DSN's Last-Attempt-Date
 * or Arrival-Date, the ARF Arrival-Date), else the Date field of the
 * report's top header block, else the ingest time (mm_ingest_options.now);
 * a log line's event has the line's time.
 *
 * Splitting the work for threads: mm_ingest_prepare() only diagnoses and
 * is safe to call from several threads at once with one shared mm_ctx; the
 * mm_ingest itself (queue, counters, store) belongs to one thread, which
 * hands it the prepared messages in input order with mm_ingest_add().
 * mm_ingest_message() does both in one call.
 */
#ifndef MAILMEDIC_INGEST_H
#define MAILMEDIC_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/bounce.h>
#include <mailmedic/ctx.h>
#include <mailmedic/export.h>
#include <mailmedic/mtalog.h>
#include <mailmedic/status.h>
#include <mailmedic/store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_ingest mm_ingest;

/* Called after each batch is committed, with the cursor written with it
 * (NULL when none was set).  E.g. the IMAP reader moves the messages of
 * that batch to another folder only now, when they are safely stored. */
typedef void (*mm_ingest_commit_cb)(void *arg, const char *cursor_name, const char *cursor_value);

typedef struct mm_ingest_options {
    size_t batch_size;             /* events (or deliveries) per transaction; 0 = 1000 */
    int64_t now;                   /* time of events that carry no date; 0 = time() at create */
    mm_ingest_commit_cb on_commit; /* may be NULL */
    void *on_commit_arg;
} mm_ingest_options;

MM_EXTERN void mm_ingest_options_default(mm_ingest_options *o);

/* What an ingest has done so far. */
typedef struct mm_ingest_counters {
    size_t messages;     /* messages handed in (mm_ingest_message / mm_ingest_add) */
    size_t bounces;      /* of them: bounces and delay reports */
    size_t complaints;   /* of them: ARF feedback reports */
    size_t not_bounces;  /* ordinary mail, auto-replies, success DSNs: skipped */
    size_t errors;       /* unreadable: empty, binary, not mail, truncated to nothing */
    size_t events;       /* events queued (failed/delayed/complaint recipients) */
    size_t events_added; /* of them, new in the store */
    size_t duplicates;   /* of them, already stored (same key) */
    size_t lines;        /* MTA log records handed in (mm_ingest_mtalog_record) */
    size_t deliveries;   /* delivery records queued */
    size_t deliveries_added;
    size_t delivery_duplicates;
} mm_ingest_counters;

/*
 * Create an ingest writing into store (borrowed; must outlive it) with ctx
 * (borrowed, for diagnosing).  opt may be NULL for the defaults.
 */
MM_EXTERN mm_status_t mm_ingest_create(mm_store *store, const mm_ctx *ctx,
                                       const mm_ingest_options *opt, mm_ingest **out);

/* Free an ingest; queued but unflushed work is dropped (call
 * mm_ingest_flush first to keep it).  NULL is a no-op. */
MM_EXTERN void mm_ingest_destroy(mm_ingest *ing);

/* ---- messages ---------------------------------------------------------- */

/* One diagnosed message, ready to be added (opaque, owned by the caller
 * until handed to mm_ingest_add, which takes it over). */
typedef struct mm_ingest_item mm_ingest_item;

/*
 * Diagnose one message (bytes borrowed for the call) from origin (e.g.
 * "file:PATH#N", "imap://user@host/INBOX;UID=17"; copied).  Thread-safe for
 * different items.  On MM_OK *out holds the item even when the message is
 * unreadable (it is then counted as an error by mm_ingest_add, with the
 * reason in mm_ingest_item_error).  Only MM_ENOMEM fails.
 */
MM_EXTERN mm_status_t mm_ingest_prepare(const mm_ctx *ctx, const char *bytes, size_t len,
                                        const char *origin, mm_ingest_item **out);
/* The item's problem as an English phrase (e.g. "the input is empty"), or
 * NULL when it was readable.  Borrowed from the item. */
MM_EXTERN const char *mm_ingest_item_error(const mm_ingest_item *it);
/* The kind of message the item is (MM_KIND_NOT_BOUNCE when unreadable). */
MM_EXTERN mm_kind_t mm_ingest_item_kind(const mm_ingest_item *it);
/* How many events the item gives. */
MM_EXTERN size_t mm_ingest_item_events(const mm_ingest_item *it);
MM_EXTERN void mm_ingest_item_free(mm_ingest_item *it);

/*
 * Queue the item's events (it is taken over, whatever the result) and
 * flush when the batch is full.  Returns MM_OK, or the store's error
 * (MM_EDB, MM_EBUSY, MM_ECONN, ...) when a flush failed: then nothing of
 * the failed batch is stored and the cursor is where it was, so the caller
 * should stop and report (mm_store_error) — a later run picks up.
 */
MM_EXTERN mm_status_t mm_ingest_add(mm_ingest *ing, mm_ingest_item *it);

/* mm_ingest_prepare + mm_ingest_add.  A message that cannot be read is
 * counted (errors) and MM_OK is returned: the rest goes on. */
MM_EXTERN mm_status_t mm_ingest_message(mm_ingest *ing, const char *bytes, size_t len,
                                        const char *origin);

/* ---- MTA delivery log lines -------------------------------------------- */

/*
 * Queue one parsed delivery log record (line: the raw line, used for the
 * key; origin e.g. "postfix:/var/log/mail.log:120").  Every record becomes
 * an mm_delivery; a "bounced" record also becomes an event, classified with
 * mm_diagnose_text on its reply text (the log line carries no DSN report,
 * so the reply the remote server gave is what we classify, exactly as
 * `diagnose --text` would; the record's DSN code, when the reply text does
 * not carry it, is put in front of the text so it counts too, and it is the
 * event's status).  "deferred" records are deliveries only: the log writes one
 * per retry, and the final bounce (if any) is the event.
 */
MM_EXTERN mm_status_t mm_ingest_mtalog_record(mm_ingest *ing, const mm_mtalog_record *rec,
                                              const char *line, size_t len, const char *origin);

/* ---- batches and cursors ----------------------------------------------- */

/* The cursor to write with the next batch: the position just after what
 * was handed in so far (both strings copied).  name NULL clears it. */
MM_EXTERN mm_status_t mm_ingest_set_cursor(mm_ingest *ing, const char *name, const char *value);

/* Write what is queued (and the cursor) now.  Errors as mm_ingest_add. */
MM_EXTERN mm_status_t mm_ingest_flush(mm_ingest *ing);

/* The counters so far (events_added etc. count flushed batches only). */
MM_EXTERN void mm_ingest_get_counters(const mm_ingest *ing, mm_ingest_counters *out);

#ifdef __cplusplus
}
#endif
#endif
