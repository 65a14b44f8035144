/*
 * pg.h - the PostgreSQL backend's parts (internal to pg.c, pg_write.c and
 * pg_read.c): the backend state, running statements, array parameters.
 */
#ifndef MM_STORE_PG_H
#define MM_STORE_PG_H

#include "store/backend.h"
#include "store/codes.h"
#include "util/buf.h"

#include <libpq-fe.h>
#include <stdlib.h>

enum {
    STORE_PG_CHUNK = 2000, /* rows per statement for loads and saves */
    STORE_PG_FETCH = 4000, /* rows per FETCH of a streamed walk */
};

typedef struct pg_be {
    PGconn *conn;
    char where[300]; /* "host:port/db" for messages, never the password */
    char err[1024];
    int lock_timeout_ms;
    bool in_tx; /* inside begin() .. commit()/rollback() */
    int walks;  /* open cursor walks (nested walks get their own cursor) */
    store_codes codes;
    char *uri; /* for the second connection (the statistics scan) */
    int timeout_s;
    PGconn *conn2; /* opened on first use, NULL if it could not be */
} pg_be;

/* pg.c: errors and statements. */
void store_pg_seterr(pg_be *be, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Map a failed result (or a lost connection) to a status, message in be->err. */
mm_status_t store_pg_fail(pg_be *be, const PGresult *r, const char *what);
/* The same for a failure on another connection than be->conn. */
mm_status_t store_pg_fail_other(pg_be *be, PGconn *c, const PGresult *r, const char *what);
/* A second connection to the same database (session set up like the
 * first), or NULL when none can be had: the caller does without. */
PGconn *store_pg_second(pg_be *be);
/* Run sql with np text parameters; *out (if given) gets the result on success. */
mm_status_t store_pg_exec(pg_be *be, const char *what, const char *sql, int np,
                          const char *const *params, PGresult **out);
/* The same for the first statement of a unit of work: reconnects once when
 * the server dropped the idle connection. */
mm_status_t store_pg_exec_fresh(pg_be *be, const char *what, const char *sql, int np,
                                const char *const *params, PGresult **out);

/* pg_read.c: a read outside a write transaction runs in a read-only
 * REPEATABLE READ one (one snapshot); *own says whether this call opened it
 * (and so must end it: read_end commits, or rolls back when st failed). */
mm_status_t store_pg_read_begin(pg_be *be, bool *own);
mm_status_t store_pg_read_end(pg_be *be, bool own, mm_status_t st);

/* pg_write.c: array literals for unnest(); each appends one element. */
mm_status_t store_pg_arr_text(mm_buf *b, const char *s);
mm_status_t store_pg_arr_int(mm_buf *b, long long v);
mm_status_t store_pg_arr_close(mm_buf *cols, size_t n);
void store_pg_arr_free(mm_buf *cols, size_t n);

/* The address columns in this order, then the contact's source and name:
 * shared by load_addresses and each_address (row_to_info reads them). */
#define ADDRESS_COLS                                                                               \
    "a.state, a.why, a.last_reason, a.last_category, a.first_bounce, a.last_bounce,"               \
    " a.retry_at, a.hard_count, a.soft_count, a.soft_since, a.note, a.fix, a.outcome,"             \
    " a.corrected, a.updated, coalesce(c.source, ''), coalesce(c.name, '')"

void store_pg_row_to_info(const pg_be *be, const PGresult *r, int row, int col, mm_address_info *a);

static inline long long store_pg_num(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* The ops (pg_write.c, pg_read.c); see backend.h. */
mm_status_t store_pg_insert_events(void *p, const mm_event *ev, size_t n, int64_t now,
                                   bool *inserted);
mm_status_t store_pg_insert_deliveries(void *p, const mm_delivery *d, size_t n, bool *inserted);
mm_status_t store_pg_load_addresses(void *p, const char *const *addrs, size_t n, mm_address_cb cb,
                                    void *arg);
mm_status_t store_pg_save_addresses(void *p, const mm_address_info *a, size_t n);
mm_status_t store_pg_set_cursor(void *p, const char *name, const char *value, int64_t now);
mm_status_t store_pg_get_cursor(void *p, const char *name, char **value);
mm_status_t store_pg_add_contacts(void *p, const mm_contact *c, size_t n, int64_t now,
                                  size_t *changed);
mm_status_t store_pg_each_event(void *p, const mm_event_filter *f, mm_event_cb cb, void *arg);
mm_status_t store_pg_each_address(void *p, const mm_address_filter *f, mm_address_cb cb, void *arg);
mm_status_t store_pg_each_stat_row(void *p, int64_t since, int64_t until, mm_stat_row_cb cb,
                                   void *arg);
mm_status_t store_pg_each_delivery_count(void *p, int64_t since, int64_t until,
                                         mm_delivery_count_cb cb, void *arg);
mm_status_t store_pg_each_source_count(void *p, mm_source_count_cb cb, void *arg);

#endif
