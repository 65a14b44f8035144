/*
 * sqlite.c - the SQLite backend: one file, WAL, one writer at a time.
 *
 * Opening reads the schema version before anything writes to the file, so
 * a damaged file, a foreign database or one from a newer mailmedic is
 * refused untouched.  Then WAL with synchronous=NORMAL: a commit survives a
 * crash of the process (kill -9) at once; after a power cut or OS crash the
 * last commits may be lost but the file stays consistent (the WAL is synced
 * at checkpoints).  Writers take BEGIN IMMEDIATE and wait up to the busy
 * time-out for each other; readers never wait.  The statements the hot
 * paths use (insert, point lookup, save) are prepared once per store.
 */
#include "store/backend.h"
#include "store/codes.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_INS_EVENT,
    ST_INS_DELIVERY,
    ST_LOAD_ADDR,
    ST_SAVE_ADDR,
    ST_SET_CURSOR,
    ST_GET_CURSOR,
    ST_ADD_CONTACT,
    ST_COUNT_
};

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_INS_EVENT] =
        "INSERT INTO events (key, time, address, domain, action, status, reply_code, reason,"
        " category, severity, hard, retry_after, provider, diagnostic, remote_mta, mta, subject,"
        " message_id, origin, ingested) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) ON CONFLICT (key) DO NOTHING",
    [ST_INS_DELIVERY] =
        "INSERT INTO deliveries (key, time, address, domain, outcome, status, reply, relay,"
        " queue_id, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (key) DO NOTHING",
    /* One row per address, known or not: the constant left side keeps it a
     * pair of primary-key lookups. */
    [ST_LOAD_ADDR] =
        "SELECT a.address IS NOT NULL OR c.address IS NOT NULL, a.state, a.why, a.last_reason,"
        " a.last_category, a.first_bounce, a.last_bounce, a.retry_at, a.hard_count,"
        " a.soft_count, a.soft_since, a.note, a.fix, a.outcome, a.corrected, a.updated,"
        " c.source, c.name FROM (SELECT ?1 AS address) q"
        " LEFT JOIN addresses a ON a.address = q.address"
        " LEFT JOIN contacts c ON c.address = q.address",
    [ST_SAVE_ADDR] =
        "INSERT INTO addresses (address, domain, state, why, last_reason, last_category,"
        " first_bounce, last_bounce, retry_at, hard_count, soft_count, soft_since, note, fix,"
        " outcome, corrected, updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
        " ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT (address) DO UPDATE SET"
        " domain = excluded.domain, state = excluded.state, why = excluded.why,"
        " last_reason = excluded.last_reason, last_category = excluded.last_category,"
        " first_bounce = excluded.first_bounce, last_bounce = excluded.last_bounce,"
        " retry_at = excluded.retry_at, hard_count = excluded.hard_count,"
        " soft_count = excluded.soft_count, soft_since = excluded.soft_since,"
        " note = excluded.note, fix = excluded.fix, outcome = excluded.outcome,"
        " corrected = excluded.corrected, updated = excluded.updated",
    [ST_SET_CURSOR] =
        "INSERT INTO cursors (name, value, updated) VALUES (?1, ?2, ?3) ON CONFLICT (name)"
        " DO UPDATE SET value = excluded.value, updated = excluded.updated",
    [ST_GET_CURSOR] = "SELECT value FROM cursors WHERE name = ?1",
    /* Changes (and counts as changed) only when a non-empty new value differs. */
    [ST_ADD_CONTACT] =
        "INSERT INTO contacts (address, source, name, added) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (address) DO UPDATE SET"
        " source = CASE WHEN excluded.source <> '' THEN excluded.source ELSE contacts.source END,"
        " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END"
        " WHERE (excluded.source <> '' AND excluded.source <> contacts.source)"
        " OR (excluded.name <> '' AND excluded.name <> contacts.name)",
};

typedef struct sq {
    sqlite3 *db;
    char *path;
    int busy_ms;
    sqlite3_stmt *st[ST_COUNT_];
    store_codes codes;
    char err[1024];
} sq;

/* ---- errors ----------------------------------------------------------- */

static mm_status_t status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return MM_EBUSY;
    case SQLITE_NOMEM:
        return MM_ENOMEM;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_FULL:
    case SQLITE_PERM:
        return MM_EIO;
    default:
        return MM_EDB;
    }
}

/* Describe a failure of `what` (a verb phrase) naming the file. */
static mm_status_t fail(sq *q, int rc, const char *what)
{
    const char *msg = q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        snprintf(q->err, sizeof q->err,
                 "%s is locked by another program writing to it "
                 "(waited %d ms); try again later",
                 q->path, q->busy_ms);
        break;
    case SQLITE_NOTADB:
        snprintf(q->err, sizeof q->err, "%s is not a mailmedic database (%s)", q->path, msg);
        break;
    case SQLITE_CORRUPT:
        snprintf(q->err, sizeof q->err, "%s is damaged (%s)", q->path, msg);
        break;
    default:
        snprintf(q->err, sizeof q->err, "%s: cannot %s (%s)", q->path, what, msg);
    }
    return status_of(rc);
}

static mm_status_t failf(sq *q, mm_status_t st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->err, sizeof q->err, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- small helpers ---------------------------------------------------- */

static const char *text(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return t ? (const char *)t : "";
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

/* Run a prepared statement that returns no rows we need; reset it. */
static int run(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

static int exec(sq *q, const char *sql)
{
    return sqlite3_exec(q->db, sql, NULL, NULL, NULL);
}

/* exec() for a statement that upgrades a read lock to a write lock, where
 * SQLite returns SQLITE_BUSY at once instead of calling the busy handler
 * (waiting could deadlock inside one statement): switching a new file to
 * WAL while other processes open it too.  Retry until the busy time-out. */
static int exec_waiting(sq *q, const char *sql)
{
    int rc, waited = 0;
    while ((rc = exec(q, sql)) == SQLITE_BUSY && waited < q->busy_ms) {
        sqlite3_sleep(10);
        waited += 10;
    }
    return rc;
}

static mm_addr_state state_code(const char *s)
{
    if (strcmp(s, "soft") == 0)
        return MM_ADDR_SOFT;
    if (strcmp(s, "suppressed") == 0)
        return MM_ADDR_SUPPRESSED;
    return MM_ADDR_ACTIVE;
}

/* ---- opening and the schema ------------------------------------------- */

/* The schema version: 0 for an empty file; MM_EDB for a database that is
 * not ours.  Only reads. */
static mm_status_t read_version(sq *q, int *version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(q->db, "SELECT count(*) FROM sqlite_master", -1, &s, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int tables = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        s = NULL;
        *version = 0;
        if (tables == 0)
            return MM_OK;
        rc = sqlite3_prepare_v2(q->db, "SELECT value FROM meta WHERE key = 'schema_version'", -1,
                                &s, NULL);
        if (rc == SQLITE_ERROR) {
            sqlite3_finalize(s);
            return failf(q, MM_EDB, "%s is not a mailmedic database (it has no meta table)",
                         q->path);
        }
        if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW)
            *version = atoi(text(s, 0));
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(q, rc, "read the schema version");
    if (*version <= 0)
        return failf(q, MM_EDB, "%s is not a mailmedic database (no schema version)", q->path);
    return MM_OK;
}

/* Bring the schema up to date in one transaction; another process may have
 * done it meanwhile, so the version is read again under the write lock. */
static mm_status_t migrate(sq *q)
{
    int v = 0, rc = exec(q, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return fail(q, rc, "start the schema update");
    mm_status_t st = read_version(q, &v);
    for (int i = v; st == MM_OK && i < store_migration_count; i++)
        if ((rc = exec(q, store_migrations[i])) != SQLITE_OK)
            st = fail(q, rc, "update the schema");
    if (st == MM_OK && (rc = exec(q, "COMMIT")) != SQLITE_OK)
        st = fail(q, rc, "commit the schema update");
    if (st != MM_OK)
        exec(q, "ROLLBACK");
    return st;
}

static mm_status_t configure(sq *q)
{
    int v = 0;
    mm_status_t st = read_version(q, &v);
    if (st != MM_OK)
        return st;
    if (v > store_migration_count)
        return failf(q, MM_ESCHEMA,
                     "%s was written by a newer mailmedic (schema %d, this "
                     "program knows %d)",
                     q->path, v, store_migration_count);
    int rc = exec_waiting(q, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK)
        rc = exec(q, "PRAGMA synchronous = NORMAL");
    /* Point lookups over a million addresses (check) and index scans
     * (statistics) read the file through the OS page cache: mapping it
     * saves a system call per page, a larger cache keeps the B-tree tops;
     * checkpointing every 40 MB instead of 4 MB writes a page touched by
     * several commits into the file once. */
    if (rc == SQLITE_OK)
        rc = exec(q, "PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32768;"
                     " PRAGMA wal_autocheckpoint = 10000");
    if (rc != SQLITE_OK)
        return fail(q, rc, "switch to WAL mode");
    if (v < store_migration_count && (st = migrate(q)) != MM_OK)
        return st;
    for (int i = 0; i < ST_COUNT_; i++)
        if ((rc = sqlite3_prepare_v3(q->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &q->st[i],
                                     NULL)) != SQLITE_OK)
            return fail(q, rc, "prepare its statements");
    return MM_OK;
}

static void sq_close(void *be)
{
    sq *q = be;
    if (!q)
        return;
    for (int i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(q->st[i]);
    sqlite3_close(q->db);
    free(q->path);
    free(q);
}

static mm_status_t sq_open(const char *where, const mm_store_options *o, void **be, char *why,
                           size_t whylen)
{
    sq *q = calloc(1, sizeof *q);
    *be = NULL;
    if (!q || !(q->path = strdup(where))) {
        free(q);
        snprintf(why, whylen, "out of memory");
        return MM_ENOMEM;
    }
    q->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 0;
    store_codes_init(&q->codes);
    mm_status_t st;
    int rc = sqlite3_open_v2(
        where, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        st = failf(q, status_of(rc) == MM_EDB ? MM_EIO : status_of(rc),
                   "cannot open the bounce log %s (%s)", where,
                   q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
    else {
        sqlite3_busy_timeout(q->db, q->busy_ms);
        st = configure(q);
    }
    if (st != MM_OK) {
        if (why && whylen)
            snprintf(why, whylen, "%s", q->err);
        sq_close(q);
        return st;
    }
    *be = q;
    return MM_OK;
}

static const char *sq_error(void *be)
{
    return ((sq *)be)->err;
}

/* ---- transactions ----------------------------------------------------- */

static mm_status_t sq_begin(void *be)
{
    sq *q = be;
    int rc = run(q->st[ST_BEGIN]);
    return rc == SQLITE_DONE ? MM_OK : fail(q, rc, "start a transaction");
}

static mm_status_t sq_commit(void *be)
{
    sq *q = be;
    int rc = run(q->st[ST_COMMIT]);
    return rc == SQLITE_DONE ? MM_OK : fail(q, rc, "commit");
}

static void sq_rollback(void *be)
{
    sq *q = be;
    if (!sqlite3_get_autocommit(q->db))
        run(q->st[ST_ROLLBACK]);
}

/* ---- writes ----------------------------------------------------------- */

static mm_status_t sq_insert_events(void *be, const mm_event *ev, size_t n, int64_t now,
                                    bool *inserted)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_INS_EVENT];
    for (size_t i = 0; i < n; i++) {
        const mm_event *e = &ev[i];
        bind_text(s, 1, e->key);
        sqlite3_bind_int64(s, 2, e->time);
        bind_text(s, 3, e->address);
        bind_text(s, 4, store_domain_of(e->address));
        bind_text(s, 5, e->action);
        bind_text(s, 6, e->status);
        sqlite3_bind_int(s, 7, e->reply_code);
        bind_text(s, 8, mm_reason_tostr(e->reason));
        bind_text(s, 9, mm_category_tostr(e->category));
        bind_text(s, 10, mm_severity_tostr(e->severity));
        sqlite3_bind_int(s, 11, e->hard);
        sqlite3_bind_int64(s, 12, e->retry_after);
        bind_text(s, 13, e->provider);
        bind_text(s, 14, e->diagnostic);
        bind_text(s, 15, e->remote_mta);
        bind_text(s, 16, e->mta);
        bind_text(s, 17, e->subject);
        bind_text(s, 18, e->message_id);
        bind_text(s, 19, e->origin);
        sqlite3_bind_int64(s, 20, now);
        int rc = run(s);
        if (rc != SQLITE_DONE)
            return fail(q, rc, "store events");
        inserted[i] = sqlite3_changes(q->db) > 0;
    }
    return MM_OK;
}

static mm_status_t sq_insert_deliveries(void *be, const mm_delivery *d, size_t n, bool *inserted)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_INS_DELIVERY];
    for (size_t i = 0; i < n; i++) {
        bind_text(s, 1, d[i].key);
        sqlite3_bind_int64(s, 2, d[i].time);
        bind_text(s, 3, d[i].address);
        bind_text(s, 4, store_domain_of(d[i].address));
        bind_text(s, 5, d[i].outcome);
        bind_text(s, 6, d[i].status);
        bind_text(s, 7, d[i].reply);
        bind_text(s, 8, d[i].relay);
        bind_text(s, 9, d[i].queue_id);
        bind_text(s, 10, d[i].origin);
        int rc = run(s);
        if (rc != SQLITE_DONE)
            return fail(q, rc, "store deliveries");
        inserted[i] = sqlite3_changes(q->db) > 0;
    }
    return MM_OK;
}

static mm_status_t sq_save_addresses(void *be, const mm_address_info *a, size_t n)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_SAVE_ADDR];
    for (size_t i = 0; i < n; i++) {
        bind_text(s, 1, a[i].address);
        bind_text(s, 2, store_domain_of(a[i].address));
        bind_text(s, 3, mm_addr_state_tostr(a[i].state));
        bind_text(s, 4, a[i].why);
        bind_text(s, 5, mm_reason_tostr(a[i].last_reason));
        bind_text(s, 6, mm_category_tostr(a[i].last_category));
        sqlite3_bind_int64(s, 7, a[i].first_bounce);
        sqlite3_bind_int64(s, 8, a[i].last_bounce);
        sqlite3_bind_int64(s, 9, a[i].retry_at);
        sqlite3_bind_int(s, 10, a[i].hard_count);
        sqlite3_bind_int(s, 11, a[i].soft_count);
        sqlite3_bind_int64(s, 12, a[i].soft_since);
        bind_text(s, 13, a[i].note);
        bind_text(s, 14, a[i].fix);
        bind_text(s, 15, a[i].outcome);
        bind_text(s, 16, a[i].corrected);
        sqlite3_bind_int64(s, 17, a[i].updated);
        int rc = run(s);
        if (rc != SQLITE_DONE)
            return fail(q, rc, "save address state");
    }
    return MM_OK;
}

static mm_status_t sq_set_cursor(void *be, const char *name, const char *value, int64_t now)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_SET_CURSOR];
    bind_text(s, 1, name);
    bind_text(s, 2, value);
    sqlite3_bind_int64(s, 3, now);
    int rc = run(s);
    return rc == SQLITE_DONE ? MM_OK : fail(q, rc, "set an ingest cursor");
}

static mm_status_t sq_get_cursor(void *be, const char *name, char **value)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_GET_CURSOR];
    mm_status_t st = MM_OK;
    bind_text(s, 1, name);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && !(*value = strdup(text(s, 0))))
        st = failf(q, MM_ENOMEM, "out of memory");
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        st = fail(q, rc, "read an ingest cursor");
    sqlite3_reset(s);
    return st;
}

static mm_status_t sq_add_contacts(void *be, const mm_contact *c, size_t n, int64_t now,
                                   size_t *changed)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_ADD_CONTACT];
    *changed = 0;
    for (size_t i = 0; i < n; i++) {
        bind_text(s, 1, c[i].address);
        bind_text(s, 2, c[i].source);
        bind_text(s, 3, c[i].name);
        sqlite3_bind_int64(s, 4, now);
        int rc = run(s);
        if (rc != SQLITE_DONE)
            return fail(q, rc, "store contacts");
        *changed += sqlite3_changes(q->db) > 0;
    }
    return MM_OK;
}

/* ---- reads ------------------------------------------------------------ */

/* Columns 1..15 of the address queries, then source and name. */
static void address_row(sq *q, sqlite3_stmt *s, int c, mm_address_info *a)
{
    a->state = state_code(text(s, c));
    a->why = text(s, c + 1);
    a->last_reason = store_reason_code(&q->codes, text(s, c + 2));
    a->last_category = store_category_code(&q->codes, text(s, c + 3));
    a->first_bounce = sqlite3_column_int64(s, c + 4);
    a->last_bounce = sqlite3_column_int64(s, c + 5);
    a->retry_at = sqlite3_column_int64(s, c + 6);
    a->hard_count = sqlite3_column_int(s, c + 7);
    a->soft_count = sqlite3_column_int(s, c + 8);
    a->soft_since = sqlite3_column_int64(s, c + 9);
    a->note = text(s, c + 10);
    a->fix = text(s, c + 11);
    a->outcome = text(s, c + 12);
    a->corrected = text(s, c + 13);
    a->updated = sqlite3_column_int64(s, c + 14);
    a->source = text(s, c + 15);
    a->name = text(s, c + 16);
}

static mm_status_t sq_load_addresses(void *be, const char *const *addrs, size_t n, mm_address_cb cb,
                                     void *arg)
{
    sq *q = be;
    sqlite3_stmt *s = q->st[ST_LOAD_ADDR];
    /* Outside a write transaction (check), one read transaction for the
     * batch: a consistent snapshot, and the WAL read lock is taken once
     * instead of once per address (two fcntl calls each). */
    bool own = sqlite3_get_autocommit(q->db);
    int rc = own ? exec(q, "BEGIN") : SQLITE_OK;
    if (rc != SQLITE_OK)
        return fail(q, rc, "look addresses up");
    mm_status_t st = MM_OK;
    for (size_t i = 0; i < n && st == MM_OK; i++) {
        bind_text(s, 1, addrs[i]);
        rc = sqlite3_step(s);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(s);
            st = fail(q, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, "look addresses up");
            break;
        }
        mm_address_info a = {0};
        address_row(q, s, 1, &a);
        a.address = addrs[i];
        a.known = sqlite3_column_int(s, 0) != 0;
        if (!a.known)
            a.last_reason = MM_REASON_UNDEFINED;
        int stop = cb(arg, &a);
        sqlite3_reset(s);
        if (stop)
            break;
    }
    if (own)
        exec(q, "COMMIT");
    return st;
}

/* Step through a one-off statement, handing each row to row(); stops early
 * when row() returns non-zero. */
typedef int (*row_fn)(sq *q, sqlite3_stmt *s, void *ctx);

static mm_status_t walk(sq *q, sqlite3_stmt *s, row_fn row, void *ctx, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        if (row(q, s, ctx))
            break;
    mm_status_t st = rc == SQLITE_ROW || rc == SQLITE_DONE ? MM_OK : fail(q, rc, what);
    sqlite3_finalize(s);
    return st;
}

static mm_status_t prepare(sq *q, const char *sql, sqlite3_stmt **s)
{
    int rc = sqlite3_prepare_v2(q->db, sql, -1, s, NULL);
    return rc == SQLITE_OK ? MM_OK : fail(q, rc, "prepare a query");
}

typedef struct cb_ctx {
    void *cb;
    void *arg;
} cb_ctx;

static int event_row(sq *q, sqlite3_stmt *s, void *ctx)
{
    cb_ctx *c = ctx;
    mm_event e = {
        .key = text(s, 0),
        .time = sqlite3_column_int64(s, 1),
        .address = text(s, 2),
        .action = text(s, 3),
        .status = text(s, 4),
        .reply_code = sqlite3_column_int(s, 5),
        .reason = store_reason_code(&q->codes, text(s, 6)),
        .category = store_category_code(&q->codes, text(s, 7)),
        .severity = store_severity_code(&q->codes, text(s, 8)),
        .hard = sqlite3_column_int(s, 9) != 0,
        .retry_after = (long)sqlite3_column_int64(s, 10),
        .provider = text(s, 11),
        .diagnostic = text(s, 12),
        .remote_mta = text(s, 13),
        .mta = text(s, 14),
        .subject = text(s, 15),
        .message_id = text(s, 16),
        .origin = text(s, 17),
    };
    return ((mm_event_cb)c->cb)(c->arg, &e);
}

static mm_status_t sq_each_event(void *be, const mm_event_filter *f, mm_event_cb cb, void *arg)
{
    sq *q = be;
    sqlite3_stmt *s = NULL;
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT key, time, address, action, status, reply_code, reason, category, severity,"
             " hard, retry_after, provider, diagnostic, remote_mta, mta, subject, message_id,"
             " origin FROM events WHERE %s time >= ?2 AND time < ?3 ORDER BY time, key",
             f->address ? "address = ?1 AND" : "");
    mm_status_t st = prepare(q, sql, &s);
    if (st != MM_OK)
        return st;
    if (f->address)
        bind_text(s, 1, f->address);
    sqlite3_bind_int64(s, 2, f->since ? f->since : INT64_MIN);
    sqlite3_bind_int64(s, 3, f->until ? f->until : INT64_MAX);
    cb_ctx c = {(void *)cb, arg};
    return walk(q, s, event_row, &c, "read events");
}

static int address_list_row(sq *q, sqlite3_stmt *s, void *ctx)
{
    cb_ctx *c = ctx;
    mm_address_info a = {0};
    a.address = text(s, 0);
    address_row(q, s, 1, &a);
    a.known = true;
    return ((mm_address_cb)c->cb)(c->arg, &a);
}

static mm_status_t sq_each_address(void *be, const mm_address_filter *f, mm_address_cb cb,
                                   void *arg)
{
    sq *q = be;
    sqlite3_stmt *s = NULL;
    char in[96] = "";
    for (int i = MM_ADDR_ACTIVE; i <= MM_ADDR_SUPPRESSED; i++)
        if (f->states & (1u << i))
            snprintf(in + strlen(in), sizeof in - strlen(in), "%s'%s'", in[0] ? ", " : "",
                     mm_addr_state_tostr((mm_addr_state)i));
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT a.address, a.state, a.why, a.last_reason, a.last_category, a.first_bounce,"
             " a.last_bounce, a.retry_at, a.hard_count, a.soft_count, a.soft_since, a.note,"
             " a.fix, a.outcome, a.corrected, a.updated, c.source, c.name FROM addresses a"
             " LEFT JOIN contacts c ON c.address = a.address WHERE %s%s%s %s"
             " ORDER BY a.address",
             in[0] ? "a.state IN (" : "", in, in[0] ? ") AND" : "",
             f->due_before ? "(a.state <> 'soft' OR a.retry_at <= ?1)" : "1");
    mm_status_t st = prepare(q, sql, &s);
    if (st != MM_OK)
        return st;
    if (f->due_before)
        sqlite3_bind_int64(s, 1, f->due_before);
    cb_ctx c = {(void *)cb, arg};
    return walk(q, s, address_list_row, &c, "list addresses");
}

static int stat_row(sq *q, sqlite3_stmt *s, void *ctx)
{
    cb_ctx *c = ctx;
    mm_stat_row r = {
        .time = sqlite3_column_int64(s, 0),
        .address = text(s, 1),
        .domain = text(s, 2),
        .action = text(s, 3),
        .reason = store_reason_code(&q->codes, text(s, 4)),
        .category = store_category_code(&q->codes, text(s, 5)),
        .hard = sqlite3_column_int(s, 6) != 0,
        .provider = text(s, 7),
        .source = text(s, 8),
    };
    return ((mm_stat_row_cb)c->cb)(c->arg, &r);
}

/* ?1, ?2 = [since, until), where 0 leaves that end open. */
static void bind_range(sqlite3_stmt *s, int64_t since, int64_t until)
{
    sqlite3_bind_int64(s, 1, since ? since : INT64_MIN);
    sqlite3_bind_int64(s, 2, until ? until : INT64_MAX);
}

static mm_status_t sq_each_stat_row(void *be, int64_t since, int64_t until, mm_stat_row_cb cb,
                                    void *arg)
{
    sq *q = be;
    sqlite3_stmt *s = NULL;
    /* The range on time makes SQLite read the covering events_time index. */
    mm_status_t st =
        prepare(q,
                "SELECT e.time, e.address, e.domain, e.action, e.reason, e.category, e.hard,"
                " e.provider, c.source FROM events e LEFT JOIN contacts c ON c.address = e.address"
                " WHERE e.time >= ?1 AND e.time < ?2",
                &s);
    if (st != MM_OK)
        return st;
    bind_range(s, since, until);
    cb_ctx c = {(void *)cb, arg};
    return walk(q, s, stat_row, &c, "read events for statistics");
}

static int delivery_count_row(sq *q, sqlite3_stmt *s, void *ctx)
{
    (void)q;
    cb_ctx *c = ctx;
    return ((mm_delivery_count_cb)c->cb)(c->arg, sqlite3_column_int64(s, 0), text(s, 1), text(s, 2),
                                         (long)sqlite3_column_int64(s, 3));
}

static mm_status_t sq_each_delivery_count(void *be, int64_t since, int64_t until,
                                          mm_delivery_count_cb cb, void *arg)
{
    sq *q = be;
    sqlite3_stmt *s = NULL;
    mm_status_t st =
        prepare(q,
                "SELECT time - (time % 86400) AS day, domain, outcome, count(*) FROM deliveries"
                " WHERE time >= ?1 AND time < ?2 GROUP BY day, domain, outcome"
                " ORDER BY day, domain, outcome",
                &s);
    if (st != MM_OK)
        return st;
    bind_range(s, since, until);
    cb_ctx c = {(void *)cb, arg};
    return walk(q, s, delivery_count_row, &c, "count deliveries");
}

static int source_count_row(sq *q, sqlite3_stmt *s, void *ctx)
{
    (void)q;
    cb_ctx *c = ctx;
    return ((mm_source_count_cb)c->cb)(c->arg, text(s, 0), (long)sqlite3_column_int64(s, 1));
}

static mm_status_t sq_each_source_count(void *be, mm_source_count_cb cb, void *arg)
{
    sq *q = be;
    sqlite3_stmt *s = NULL;
    mm_status_t st = prepare(q,
                             "SELECT source, count(*) FROM contacts GROUP BY source"
                             " ORDER BY source",
                             &s);
    if (st != MM_OK)
        return st;
    cb_ctx c = {(void *)cb, arg};
    return walk(q, s, source_count_row, &c, "count contacts by source");
}

const store_ops store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .error = sq_error,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .insert_events = sq_insert_events,
    .insert_deliveries = sq_insert_deliveries,
    .load_addresses = sq_load_addresses,
    .save_addresses = sq_save_addresses,
    .set_cursor = sq_set_cursor,
    .get_cursor = sq_get_cursor,
    .add_contacts = sq_add_contacts,
    .each_event = sq_each_event,
    .each_address = sq_each_address,
    .each_stat_row = sq_each_stat_row,
    .each_delivery_count = sq_each_delivery_count,
    .each_source_count = sq_each_source_count,
};
