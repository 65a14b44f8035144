/*
 * ingest_int.h - what ingest.c and mtalog_ingest.c share (internal).
 */
#ifndef MM_INGEST_INT_H
#define MM_INGEST_INT_H

#include <mailmedic/bounce.h>
#include <mailmedic/ingest.h>

#define MM_KEY_HEX 65 /* 64 hex digits of a SHA-256 and a NUL */

/* A prepared message or log line: its rows for the store, and what they
 * borrow from (the report, the keys, the copied strings). */
struct mm_ingest_item {
    char *origin;
    bool is_message; /* a message; else an MTA log line */
    bool bad;        /* unreadable; err says why */
    char err[256];
    mm_kind_t kind;
    mm_report *report;
    int64_t date; /* the message's own Date, once read */
    bool date_read;
    mm_event *ev;
    char (*keys)[MM_KEY_HEX];
    size_t nev;
    bool has_delivery;
    mm_delivery dl;
    char dlkey[MM_KEY_HEX];
    char *dl_strings; /* one block holding the delivery's copied strings */
};

struct mm_ingest {
    mm_store *store;
    const mm_ctx *ctx;
    mm_ingest_options opt;
    mm_ingest_counters n;
    mm_ingest_item **pending;
    size_t npending, cap;
    size_t nevents, ndeliveries; /* rows in pending */
    mm_event *evbuf;
    size_t evcap;
    mm_delivery *dlbuf;
    size_t dlcap;
    char *cursor_name, *cursor_value;
    bool cursor_dirty;
};

void mm_ingest_hex(const unsigned char *d, size_t n, char *hex);
mm_status_t mm_ingest_key(const char *const *parts, const size_t *lens, size_t n,
                          char hex[MM_KEY_HEX]);
/* The unfolded value of the top header block's Date field ("" if none);
 * out holds 256 bytes.  Exposed for the fuzz target. */
void mm_ingest_header_date(const char *p, size_t len, char *out);
/* Unix time of an RFC 5322 date, 0 when it cannot be read. */
int64_t mm_ingest_parse_date(const char *s);
void mm_ingest_fill_event(mm_event *e, const mm_report *r, const mm_recipient *p,
                          const char *action, const char *origin);
/* Count the item and queue it; flush when the batch is full. */
mm_status_t mm_ingest_queue(mm_ingest *ing, mm_ingest_item *it);

#endif
