/*
 * stats.h - statistics over the bounce log: counts and rates by reason,
 * category, recipient domain, provider, contact source and time bucket; the
 * top failing domains; the trend against the previous period.
 *
 * Pure: the module never touches the store.  The caller creates an mm_stats
 * with a query, asks it which time range to read (mm_stats_fetch_range: the
 * period and the period of the same length before it, for the trend), feeds
 * it the store's rows (mm_store_each_stat_row, mm_store_each_delivery_count,
 * mm_store_each_source_count pass straight through), calls mm_stats_finish,
 * then reads the tables.  Rows outside the fetch range are ignored, so the
 * caller may feed more than it was asked for.
 *
 * Fast: strings (addresses, domains, providers, sources) are interned in
 * open-addressing hash tables over a chunked pool, so a row costs one hash
 * lookup in the common case and no allocation; distinct-address counts come
 * from one flag byte per interned address.  1,000,000 rows aggregate in
 * about a tenth of a second.
 *
 * Definitions (also in docs/FORMATS.md, "log stats"):
 *   event       one stored row (a failed, delayed or complaint recipient)
 *   hard        an event with hard=true; complaint: action "complaint";
 *               soft: every other event
 *   addresses   distinct addresses with at least one event in the period
 *   share       events of the row / events of the period
 *   hard_rate   (source) distinct hard-bounced addresses from the source /
 *               contacts imported with that source; -1 when no contacts
 *   bounce_rate (domain, time bucket, totals) MTA-logged bounced /
 *               (sent + bounced) for the period; -1 when the MTA logged
 *               nothing for it
 *   trend       each total of the period next to the same total over the
 *               period of the same length just before it; change is
 *               (current - previous) / previous, and has_change is false
 *               when previous is 0.
 * Thread safety: one mm_stats per thread.
 */
#ifndef MAILMEDIC_STATS_H
#define MAILMEDIC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>
#include <mailmedic/store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_stats_bucket {
    MM_STATS_DAY = 0,
    MM_STATS_WEEK, /* ISO weeks, starting on Monday (UTC) */
    MM_STATS_MONTH,
} mm_stats_bucket;

typedef struct mm_stats_query {
    int64_t since, until;   /* the period [since, until), Unix seconds UTC; 0 = open.
                               The trend needs both ends. */
    mm_stats_bucket bucket; /* of the "time" table */
    size_t top;             /* rows of the "top_domains" table; 0 = 10 */
} mm_stats_query;

typedef struct mm_stats mm_stats;

/* The tables, in the order they are shown.  Names (mm_stats_table_tostr)
 * are stable: they are the "table" field of the JSON and CSV output. */
typedef enum mm_stats_table {
    MM_STATS_TOTALS = 0,  /* "totals": one row, key "all" */
    MM_STATS_REASON,      /* "reason": key = reason name (mm_reason_tostr) */
    MM_STATS_CATEGORY,    /* "category": key = category name */
    MM_STATS_DOMAIN,      /* "domain": key = recipient domain, every domain */
    MM_STATS_PROVIDER,    /* "provider": key = provider ("" = not known) */
    MM_STATS_SOURCE,      /* "source": key = contact source ("" = not a known contact) */
    MM_STATS_TIME,        /* "time": key = "YYYY-MM-DD" of the bucket's first day */
    MM_STATS_TOP_DOMAINS, /* "top_domains": the N domains with most events */
    MM_STATS_TREND,       /* "trend": key = "events", "hard", "soft", "complaints",
                             "addresses", "hard_addresses" */
    MM_STATS_TABLE_COUNT_
} mm_stats_table;

MM_EXTERN const char *mm_stats_table_tostr(mm_stats_table t);

/* One row of a table.  Fields that a table does not fill are 0 (counts) or
 * -1 (rates).  Strings live as long as the mm_stats. */
typedef struct mm_stats_row {
    const char *key;
    int64_t start; /* "time": the bucket's first second; else 0 */
    long events, hard, soft, complaints;
    long addresses;               /* distinct addresses */
    long hard_addresses;          /* distinct addresses with a hard bounce */
    double share;                 /* events / events of the period, 0..1 */
    long contacts;                /* "source": contacts with that source */
    double hard_rate;             /* "source": hard_addresses / contacts, or -1 */
    long sent, bounced, deferred; /* MTA delivery counts (domain, time, totals) */
    double bounce_rate;           /* bounced / (sent + bounced), or -1 */
    long previous;                /* "trend": the value over the previous period */
    bool has_change;              /* "trend": previous > 0 */
    double change;                /* "trend": (events - previous) / previous */
} mm_stats_row;

/* Create an empty aggregation for q (copied).  Errors: MM_EINVAL (until <
 * since, bad bucket), MM_ENOMEM. */
MM_EXTERN mm_status_t mm_stats_create(const mm_stats_query *q, mm_stats **out);
MM_EXTERN void mm_stats_free(mm_stats *s);

/* The time range the caller should read rows and delivery counts for: the
 * period and, when both ends are set, the previous period of the same
 * length.  0 = open. */
MM_EXTERN void mm_stats_fetch_range(const mm_stats *s, int64_t *since, int64_t *until);

/* Feed one event row (strings are copied when kept).  Returns MM_OK or
 * MM_ENOMEM. */
MM_EXTERN mm_status_t mm_stats_add_row(mm_stats *s, const mm_stat_row *r);
/* Feed one MTA delivery count (a store mm_delivery_count_cb's arguments). */
MM_EXTERN mm_status_t mm_stats_add_delivery(mm_stats *s, int64_t day, const char *domain,
                                            const char *outcome, long count);
/* Feed the number of contacts of one source. */
MM_EXTERN mm_status_t mm_stats_add_source(mm_stats *s, const char *source, long contacts);

/* Callbacks of the store's shape that feed s (arg = the mm_stats); they
 * stop the walk (return 1) on out of memory, which mm_stats_finish then
 * reports. */
MM_EXTERN int mm_stats_row_cb(void *arg, const mm_stat_row *r);
MM_EXTERN int mm_stats_delivery_cb(void *arg, int64_t day, const char *domain, const char *outcome,
                                   long count);
MM_EXTERN int mm_stats_source_cb(void *arg, const char *source, long contacts);

/* Build the tables.  No rows may be fed afterwards.  Returns MM_ENOMEM if
 * any feeding call failed or the tables cannot be built. */
MM_EXTERN mm_status_t mm_stats_finish(mm_stats *s);

/* After mm_stats_finish: the rows of a table, most events first (the "time"
 * table in time order, "trend" in the order of its keys above). */
MM_EXTERN size_t mm_stats_count(const mm_stats *s, mm_stats_table t);
MM_EXTERN const mm_stats_row *mm_stats_get(const mm_stats *s, mm_stats_table t, size_t i);

/* The first second of the bucket holding t (UTC). */
MM_EXTERN int64_t mm_stats_bucket_start(mm_stats_bucket b, int64_t t);

#ifdef __cplusplus
}
#endif
#endif
