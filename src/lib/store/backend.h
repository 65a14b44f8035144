/*
 * backend.h - what a storage backend implements (internal).
 *
 * The front (store.c) owns the behaviour: argument checks, address
 * normalisation, transactions around each public write, and the retry
 * policy (policy.c) that turns new events into address state.  A backend
 * only moves rows: the same schema (schema.c, versioned migrations) in
 * SQLite (sqlite.c) and PostgreSQL (pg.c).  Work on arrays, so a backend can
 * batch (multi-row statements, one round trip per batch for PostgreSQL).
 *
 * Write transactions are serialised across processes: SQLite by BEGIN
 * IMMEDIATE with the busy time-out, PostgreSQL by a transaction-level
 * advisory lock taken in begin().  So the front's read-modify-write of
 * address state never races another ingest.
 *
 * Errors: every op returns an mm_status_t and leaves a description (naming
 * the database) for error(); MM_ECONN when the server went away.
 */
#ifndef MM_STORE_BACKEND_H
#define MM_STORE_BACKEND_H

#include <mailmedic/store.h>

typedef struct store_ops {
    const char *name; /* "sqlite", "postgresql" */

    /* Connect/open, create the schema or migrate it; refuse a newer one
     * (MM_ESCHEMA, database untouched).  *be is the backend's own state. */
    mm_status_t (*open)(const char *where, const mm_store_options *o, void **be, char *why,
                        size_t whylen);
    void (*close)(void *be);
    const char *(*error)(void *be);

    /* One write transaction, serialised with other writers (see above). */
    mm_status_t (*begin)(void *be);
    mm_status_t (*commit)(void *be);
    void (*rollback)(void *be);

    /* Insert; existing keys are left alone.  inserted[i] tells whether
     * ev[i] was new (an array of n the caller provides). */
    mm_status_t (*insert_events)(void *be, const mm_event *ev, size_t n, int64_t now,
                                 bool *inserted);
    mm_status_t (*insert_deliveries)(void *be, const mm_delivery *d, size_t n, bool *inserted);

    /* Address rows (joined with the contact's source and name) for n
     * addresses: cb once per address in order, known=false when absent. */
    mm_status_t (*load_addresses)(void *be, const char *const *addrs, size_t n,
                                  mm_address_cb cb, void *arg);
    /* Insert or replace the address rows (every field but source/name, which
     * belong to contacts). */
    mm_status_t (*save_addresses)(void *be, const mm_address_info *a, size_t n);

    mm_status_t (*set_cursor)(void *be, const char *name, const char *value, int64_t now);
    mm_status_t (*get_cursor)(void *be, const char *name, char **value);

    mm_status_t (*add_contacts)(void *be, const mm_contact *c, size_t n, int64_t now,
                                size_t *changed);

    /* Reads (no transaction needed; a consistent snapshot each). */
    mm_status_t (*each_event)(void *be, const mm_event_filter *f, mm_event_cb cb, void *arg);
    mm_status_t (*each_address)(void *be, const mm_address_filter *f, mm_address_cb cb,
                                void *arg);
    mm_status_t (*each_stat_row)(void *be, int64_t since, int64_t until, mm_stat_row_cb cb,
                                 void *arg);
    mm_status_t (*each_delivery_count)(void *be, int64_t since, int64_t until,
                                       mm_delivery_count_cb cb, void *arg);
    mm_status_t (*each_source_count)(void *be, mm_source_count_cb cb, void *arg);
} store_ops;

extern const store_ops store_sqlite_ops;
extern const store_ops store_pg_ops;

/* store.c: the domain of a normalised address (after the last '@', already
 * lower-cased), "" when there is none; points into address. */
const char *store_domain_of(const char *address);

/* schema.c: the migrations, in order; migration i takes version i to i+1.
 * Plain SQL that both SQLite and PostgreSQL accept (TEXT, BIGINT, INTEGER,
 * PRIMARY KEY, CREATE INDEX).  The version lives in meta(key='schema_version'). */
extern const char *const store_migrations[];
extern const int store_migration_count;

#endif
