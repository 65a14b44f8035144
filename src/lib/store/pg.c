/*
 * pg.c - the PostgreSQL backend of the bounce log (libpq).
 *
 * One connection per store.  Every value travels as a bind parameter
 * (PQexecParams, text format), never pasted into SQL.  Batches cost one
 * round trip: the rows of a batch go as one array parameter per column and
 * the statement unnests them (INSERT ... SELECT FROM unnest(...) ON CONFLICT
 * ...), so 1,000 events are one statement, not 1,000.
 *
 * Serialisation: begin() is BEGIN plus pg_advisory_xact_lock(WRITE_LOCK),
 * so writers queue one behind the other like SQLite's BEGIN IMMEDIATE and the
 * front's read-modify-write of address rows never races another process.
 * Opening takes another advisory lock (SCHEMA_LOCK) around the version check
 * and the migrations, so several processes may open a fresh database at once.
 * The lock waits are bounded by lock_timeout (the busy time-out): MM_EBUSY.
 *
 * Reads stream: event and address walks FETCH from a cursor a few thousand
 * rows at a time, the statistics scan reads COPY ... TO STDOUT and splits the
 * text in place, so a million rows never sit in memory at once.
 *
 * Errors: the server unreachable -> MM_ECONN, credentials refused ->
 * MM_EAUTH, the connection lost (PQstatus CONNECTION_BAD after a failure)
 * -> MM_ECONN; the transaction then never committed, so nothing is half
 * written, and the next begin() reconnects.  Messages name host:port/db,
 * never the password.
 */
#include "store/backend.h"
#include "store/codes.h"
#include "util/buf.h"
#include "util/str.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Advisory lock keys (classid 'mmlg', objid): documented in docs/POSTGRESQL.md. */
#define LOCK_CLASS "1835887719"
#define SCHEMA_LOCK LOCK_CLASS ", 1"
#define WRITE_LOCK LOCK_CLASS ", 2"

enum {
    CHUNK = 2000,        /* rows per statement for loads and saves */
    FETCH_ROWS = 4000,   /* rows per FETCH of a streamed walk */
    STATEMENT_TIMEOUT_S = 600,
};

typedef struct pg_be {
    PGconn *conn;
    char where[300];     /* "host:port/db" for messages */
    char err[1024];
    int lock_timeout_ms;
    bool in_tx;          /* inside begin() .. commit()/rollback() */
    int walks;           /* nested cursor walks (cursor names) */
    store_codes codes;
} pg_be;

/* ---- errors ----------------------------------------------------------- */

static void set_err(pg_be *be, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(pg_be *be, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(be->err, sizeof be->err, fmt, ap);
    va_end(ap);
}

/* libpq's messages span lines ("...failed: FATAL: ...\n\tIs the server
 * running..."): one line for the caller's error message. */
static void one_line(char *dst, size_t len, const char *src)
{
    size_t j = 0;
    for (; src && *src && j + 1 < len; src++) {
        char c = (*src == '\n' || *src == '\t' || *src == '\r') ? ' ' : *src;
        if (c == ' ' && (j == 0 || dst[j - 1] == ' '))
            continue;
        dst[j++] = c;
    }
    while (j && dst[j - 1] == ' ')
        j--;
    dst[j] = '\0';
}

/* Map a failed result to a status and leave the message in be->err. */
static mm_status_t fail_result(pg_be *be, const PGresult *r, const char *what)
{
    char msg[700];
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    one_line(msg, sizeof msg, primary ? primary : PQerrorMessage(be->conn));

    if (PQstatus(be->conn) == CONNECTION_BAD ||
        (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0))) {
        set_err(be, "lost the connection to PostgreSQL at %s while %s (nothing of this "
                    "transaction was stored): %s", be->where, what, msg);
        return MM_ECONN;
    }
    set_err(be, "PostgreSQL %s: %s failed: %s", be->where, what, msg);
    if (state && strcmp(state, "55P03") == 0)   /* lock_not_available: lock_timeout */
        return MM_EBUSY;
    if (state && strncmp(state, "28", 2) == 0)
        return MM_EAUTH;
    return MM_EDB;
}

/* Run sql with text parameters; *out gets the result when it has the wanted
 * status (the caller clears it), else it is cleared here. */
static mm_status_t exec(pg_be *be, const char *what, const char *sql, int np,
                        const char *const *params, PGresult **out)
{
    PGresult *r = np ? PQexecParams(be->conn, sql, np, NULL, params, NULL, NULL, 0)
                     : PQexec(be->conn, sql);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        mm_status_t st = r ? fail_result(be, r, what) : MM_ENOMEM;
        if (!r && PQstatus(be->conn) == CONNECTION_BAD)
            st = fail_result(be, NULL, what);
        else if (!r)
            set_err(be, "PostgreSQL %s: %s: out of memory", be->where, what);
        PQclear(r);
        return st;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return MM_OK;
}

/* ---- building array parameters --------------------------------------- */

/* Append s as an element of a text[] literal: double-quoted, \ and " escaped.
 * Bytes that are not UTF-8 become U+FFFD: PostgreSQL rejects invalid UTF-8
 * and one odd byte in a bounce must not fail its whole batch. */
static mm_status_t arr_sep(mm_buf *b)
{
    return mm_buf_putc(b, b->len ? ',' : '{');
}

static mm_status_t arr_text(mm_buf *b, const char *s)
{
    mm_status_t st = arr_sep(b);
    st = st == MM_OK ? mm_buf_putc(b, '"') : st;
    const unsigned char *p = (const unsigned char *)s;
    while (st == MM_OK && *p) {
        size_t run = 0;
        while (p[run] && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run) {
            st = mm_buf_append(b, p, run);
            p += run;
        } else if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p++};
            st = mm_buf_append(b, esc, 2);
        } else {
            size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 ? 2 : 1;
            size_t k = 1;
            while (k < n && (p[k] & 0xc0) == 0x80)
                k++;
            if (n > 1 && k == n && mm_utf8_valid((const char *)p, n))
                st = mm_buf_append(b, p, n);
            else
                st = mm_buf_append(b, "\xef\xbf\xbd", 3);
            p += k;
        }
    }
    return st == MM_OK ? mm_buf_putc(b, '"') : st;
}

static mm_status_t arr_int(mm_buf *b, long long v)
{
    mm_status_t st = arr_sep(b);
    return st == MM_OK ? mm_buf_printf(b, "%lld", v) : st;
}

/* Close each of n array buffers ("{}" when empty). */
static mm_status_t arr_close(mm_buf *cols, size_t n)
{
    mm_status_t st = MM_OK;
    for (size_t i = 0; st == MM_OK && i < n; i++)
        st = mm_buf_puts(&cols[i], cols[i].len ? "}" : "{}");
    return st;
}

static void arr_free(mm_buf *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mm_buf_free(&cols[i]);
}

static long long num(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- connecting ------------------------------------------------------- */

/* "host:port/db" from the URI (libpq's defaults where it names none), for
 * messages: never the password. */
static mm_status_t describe(const char *uri, char *out, size_t len)
{
    char *msg = NULL;
    PQconninfoOption *o = PQconninfoParse(uri, &msg);
    if (!o) {
        PQfreemem(msg);
        return MM_EINVAL;
    }
    const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
    for (PQconninfoOption *p = o; p->keyword; p++) {
        const char *v = p->val && p->val[0] ? p->val : NULL;
        if (strcmp(p->keyword, "host") == 0 || (strcmp(p->keyword, "hostaddr") == 0 && !host))
            host = v ? v : host;
        else if (strcmp(p->keyword, "port") == 0)
            port = v;
        else if (strcmp(p->keyword, "dbname") == 0)
            db = v;
        else if (strcmp(p->keyword, "user") == 0)
            user = v;
    }
    snprintf(out, len, "%s:%s/%s", host ? host : "localhost", port ? port : "5432",
             db ? db : user ? user : "(default database)");
    PQconninfoFree(o);
    return MM_OK;
}

/* A connection that failed: which of MM_EAUTH, MM_EDB, MM_ECONN.  libpq has
 * no SQLSTATE for start-up failures, so the server's (English, lc_messages
 * = C is the default) text is all there is. */
static mm_status_t connect_status(PGconn *c, const char *msg)
{
    if (PQconnectionNeedsPassword(c) || strstr(msg, "authentication failed") ||
        strstr(msg, "no pg_hba.conf entry") || strstr(msg, "no password supplied") ||
        (strstr(msg, "role \"") && strstr(msg, "does not exist")))
        return MM_EAUTH;
    if (strstr(msg, "database \"") && strstr(msg, "does not exist"))
        return MM_EDB;
    return MM_ECONN;
}

static mm_status_t session_setup(pg_be *be)
{
    char sql[200];
    /* Integers only: SET takes no bind parameters. */
    snprintf(sql, sizeof sql,
             "SET statement_timeout = %d; SET lock_timeout = %d; SET TIME ZONE 'UTC'",
             STATEMENT_TIMEOUT_S * 1000, be->lock_timeout_ms);
    return exec(be, "setting up the session", sql, 0, NULL, NULL);
}

static mm_status_t pg_connect(pg_be *be, const char *uri, int timeout_s)
{
    char tmo[16];
    snprintf(tmo, sizeof tmo, "%d", timeout_s > 0 ? timeout_s : 10);
    /* Before dbname: the URI may override them; after: forced. */
    const char *const keys[] = {"connect_timeout", "fallback_application_name", "keepalives_idle",
                                "keepalives_interval", "keepalives_count", "dbname",
                                "client_encoding", NULL};
    const char *const vals[] = {tmo, "mailmedic", "30", "10", "3", uri, "UTF8", NULL};
    be->conn = PQconnectdbParams(keys, vals, 1);
    if (!be->conn) {
        set_err(be, "PostgreSQL %s: out of memory", be->where);
        return MM_ENOMEM;
    }
    if (PQstatus(be->conn) != CONNECTION_OK) {
        char msg[700];
        one_line(msg, sizeof msg, PQerrorMessage(be->conn));
        mm_status_t st = connect_status(be->conn, msg);
        set_err(be, "cannot %s PostgreSQL at %s: %s",
                st == MM_EAUTH ? "log in to" : st == MM_EDB ? "open the database of" : "connect to",
                be->where, msg);
        return st;
    }
    if (PQserverVersion(be->conn) < 90500) {
        set_err(be, "PostgreSQL at %s is version %d; mailmedic needs 9.5 or later", be->where,
                PQserverVersion(be->conn));
        return MM_EDB;
    }
    return session_setup(be);
}

/* After a lost connection: try once to get a new one (the server may be back). */
static mm_status_t reconnect(pg_be *be)
{
    if (PQstatus(be->conn) == CONNECTION_OK)
        return MM_OK;
    PQreset(be->conn);
    be->in_tx = false;
    be->walks = 0;
    if (PQstatus(be->conn) != CONNECTION_OK) {
        char msg[700];
        one_line(msg, sizeof msg, PQerrorMessage(be->conn));
        set_err(be, "cannot connect to PostgreSQL at %s: %s", be->where, msg);
        return MM_ECONN;
    }
    return session_setup(be);
}

/* The first statement of a unit of work (no transaction open yet): a
 * connection the server dropped while we were idle only shows when it is
 * used, and nothing was done on it yet, so reconnect and try once more. */
static mm_status_t exec_fresh(pg_be *be, const char *what, const char *sql, int np,
                              const char *const *params, PGresult **out)
{
    mm_status_t st = reconnect(be);
    if (st == MM_OK)
        st = exec(be, what, sql, np, params, out);
    if (st == MM_ECONN && PQstatus(be->conn) == CONNECTION_BAD && reconnect(be) == MM_OK)
        st = exec(be, what, sql, np, params, out);
    return st;
}

/* ---- schema ----------------------------------------------------------- */

static mm_status_t schema_version(pg_be *be, int *version)
{
    PGresult *r = NULL;
    /* Two statements: a query naming meta cannot even be planned without it. */
    mm_status_t st = exec(be, "reading the schema version",
                          "SELECT to_regclass('meta') IS NOT NULL", 0, NULL, &r);
    if (st == MM_OK && PQgetvalue(r, 0, 0)[0] != 't') {
        *version = 0;
        PQclear(r);
        return MM_OK;
    }
    PQclear(r);
    r = NULL;
    st = st ? st : exec(be, "reading the schema version",
                        "SELECT value FROM meta WHERE key = 'schema_version'", 0, NULL, &r);
    if (st != MM_OK)
        return st;
    const char *v = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : NULL;
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : -1;
    if (!v || *end || n < 0 || n > 100000) {
        set_err(be, "PostgreSQL %s: the table meta holds no valid schema_version (\"%s\"): "
                    "not a mailmedic database?", be->where, v ? v : "");
        st = MM_EDB;
    } else {
        *version = (int)n;
    }
    PQclear(r);
    return st;
}

/* Check the version and run the missing migrations, in one transaction
 * under SCHEMA_LOCK: a second process opening the same fresh database
 * waits, then finds the schema made. */
static mm_status_t migrate(pg_be *be)
{
    int version = 0;
    mm_status_t st = exec(be, "locking the schema",
                          "BEGIN; SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")", 0, NULL, NULL);
    if (st == MM_OK)
        st = schema_version(be, &version);
    if (st == MM_OK && version > store_migration_count) {
        set_err(be, "PostgreSQL %s has schema version %d, newer than this mailmedic's (%d): "
                    "upgrade mailmedic; the database was left untouched",
                be->where, version, store_migration_count);
        st = MM_ESCHEMA;
    }
    for (int i = version; st == MM_OK && i < store_migration_count; i++) {
        char what[64];
        snprintf(what, sizeof what, "migrating the schema to version %d", i + 1);
        st = exec(be, what, store_migrations[i], 0, NULL, NULL);
    }
    if (st == MM_OK)
        st = exec(be, "committing the schema", "COMMIT", 0, NULL, NULL);
    if (st != MM_OK && PQstatus(be->conn) == CONNECTION_OK)
        PQclear(PQexec(be->conn, "ROLLBACK"));
    return st;
}

static void pg_close(void *p)
{
    pg_be *be = p;
    if (!be)
        return;
    PQfinish(be->conn);
    free(be);
}

static mm_status_t pg_open(const char *where, const mm_store_options *o, void **out, char *why,
                           size_t whylen)
{
    *out = NULL;
    pg_be *be = calloc(1, sizeof *be);
    if (!be) {
        snprintf(why, whylen, "out of memory");
        return MM_ENOMEM;
    }
    store_codes_init(&be->codes);
    be->lock_timeout_ms = o && o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 30000;
    mm_status_t st = describe(where, be->where, sizeof be->where);
    if (st != MM_OK)
        set_err(be, "not a valid PostgreSQL URI (postgresql://[user[:password]@]host[:port]/"
                    "database[?param=value...])");
    if (st == MM_OK)
        st = pg_connect(be, where, o ? o->connect_timeout_s : 10);
    if (st == MM_OK)
        st = migrate(be);
    if (st != MM_OK) {
        if (why && whylen)
            snprintf(why, whylen, "%s", be->err);
        pg_close(be);
        return st;
    }
    *out = be;
    return MM_OK;
}

static const char *pg_error(void *p)
{
    return ((pg_be *)p)->err;
}

/* ---- transactions ----------------------------------------------------- */

static mm_status_t pg_begin(void *p)
{
    pg_be *be = p;
    be->err[0] = '\0';
    if (be->in_tx || be->walks) {
        set_err(be, "PostgreSQL %s: a write transaction was started inside another one or "
                    "inside a walk", be->where);
        return MM_EINVAL;
    }
    mm_status_t st = exec_fresh(be, "starting a transaction",
                                "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")", 0, NULL,
                                NULL);
    if (st == MM_OK)
        be->in_tx = true;
    else if (PQstatus(be->conn) == CONNECTION_OK)
        PQclear(PQexec(be->conn, "ROLLBACK"));
    return st;
}

static mm_status_t pg_commit(void *p)
{
    pg_be *be = p;
    PGresult *r = NULL;
    mm_status_t st = exec(be, "committing", "COMMIT", 0, NULL, &r);
    /* COMMIT of a transaction that had failed answers ROLLBACK, not an error. */
    if (st == MM_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        set_err(be, "PostgreSQL %s: the transaction was rolled back", be->where);
        st = MM_EDB;
    }
    PQclear(r);
    be->in_tx = false;
    return st;
}

static void pg_rollback(void *p)
{
    pg_be *be = p;
    if (PQstatus(be->conn) == CONNECTION_OK &&
        PQtransactionStatus(be->conn) != PQTRANS_IDLE)
        PQclear(PQexec(be->conn, "ROLLBACK"));
    be->in_tx = false;
}

/* ---- inserts with idempotency keys ----------------------------------- */

typedef struct keyed {
    const char *key;
    size_t i;
} keyed;

static int by_key(const void *x, const void *y)
{
    const keyed *a = x, *b = y;
    int c = strcmp(a->key, b->key);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* RETURNING gives the inserted keys in no promised order: find each one's
 * first position in the batch (a key twice in one batch is stored once, the
 * first time, as SQLite does). */
static mm_status_t mark_inserted(const PGresult *r, const keyed *sorted, size_t n,
                                 bool *inserted)
{
    for (size_t i = 0; i < n; i++)
        inserted[i] = false;
    for (int row = 0; row < PQntuples(r); row++) {
        keyed want = {PQgetvalue(r, row, 0), 0};
        size_t lo = 0, hi = n;
        while (lo < hi) {   /* lower bound of (key, 0) */
            size_t mid = lo + (hi - lo) / 2;
            if (by_key(&sorted[mid], &want) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n && strcmp(sorted[lo].key, want.key) == 0)
            inserted[sorted[lo].i] = true;
    }
    return MM_OK;
}

/* Run an INSERT ... RETURNING key whose $1..$ncols are the column arrays
 * (and extra the parameters after them), then mark what was new. */
static mm_status_t insert_keyed(pg_be *be, const char *what, const char *sql, mm_buf *cols,
                                int ncols, const char *const *extra, int nextra, keyed *k,
                                size_t n, bool *inserted)
{
    const char *params[32];
    for (int c = 0; c < ncols; c++)
        params[c] = mm_buf_str(&cols[c]);
    for (int e = 0; e < nextra; e++)
        params[ncols + e] = extra[e];
    PGresult *r = NULL;
    mm_status_t st = exec(be, what, sql, ncols + nextra, params, &r);
    if (st == MM_OK) {
        qsort(k, n, sizeof *k, by_key);
        st = mark_inserted(r, k, n, inserted);
    }
    PQclear(r);
    return st;
}

enum { EV_COLS = 19 };

static const char insert_events_sql[] =
    "INSERT INTO events (key, time, address, domain, action, status, reply_code, reason,"
    " category, severity, hard, retry_after, provider, diagnostic, remote_mta, mta, subject,"
    " message_id, origin, ingested)"
    " SELECT u.*, $20::bigint FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[],"
    " $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::int[],"
    " $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],"
    " $18::text[], $19::text[]) AS u"
    " ON CONFLICT (key) DO NOTHING RETURNING key";

static mm_status_t event_columns(mm_buf *c, const mm_event *e)
{
    mm_status_t st = arr_text(&c[0], e->key);
    st = st ? st : arr_int(&c[1], e->time);
    st = st ? st : arr_text(&c[2], e->address);
    st = st ? st : arr_text(&c[3], store_domain_of(e->address));
    st = st ? st : arr_text(&c[4], e->action);
    st = st ? st : arr_text(&c[5], e->status);
    st = st ? st : arr_int(&c[6], e->reply_code);
    st = st ? st : arr_text(&c[7], mm_reason_tostr(e->reason));
    st = st ? st : arr_text(&c[8], mm_category_tostr(e->category));
    st = st ? st : arr_text(&c[9], mm_severity_tostr(e->severity));
    st = st ? st : arr_int(&c[10], e->hard ? 1 : 0);
    st = st ? st : arr_int(&c[11], e->retry_after);
    st = st ? st : arr_text(&c[12], e->provider);
    st = st ? st : arr_text(&c[13], e->diagnostic);
    st = st ? st : arr_text(&c[14], e->remote_mta);
    st = st ? st : arr_text(&c[15], e->mta);
    st = st ? st : arr_text(&c[16], e->subject);
    st = st ? st : arr_text(&c[17], e->message_id);
    st = st ? st : arr_text(&c[18], e->origin);
    return st;
}

static mm_status_t pg_insert_events(void *p, const mm_event *ev, size_t n, int64_t now,
                                    bool *inserted)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n; off += CHUNK) {
        size_t m = n - off < CHUNK ? n - off : CHUNK;
        mm_buf cols[EV_COLS];
        keyed *k = malloc(m * sizeof *k);
        char nowtxt[24];
        snprintf(nowtxt, sizeof nowtxt, "%lld", (long long)now);
        const char *extra[] = {nowtxt};
        for (int c = 0; c < EV_COLS; c++)
            mm_buf_init(&cols[c], 0);
        st = k ? MM_OK : MM_ENOMEM;
        for (size_t i = 0; st == MM_OK && i < m; i++) {
            k[i] = (keyed){ev[off + i].key, i};
            st = event_columns(cols, &ev[off + i]);
        }
        st = st ? st : arr_close(cols, EV_COLS);
        if (st == MM_OK)
            st = insert_keyed(be, "storing events", insert_events_sql, cols, EV_COLS, extra, 1,
                              k, m, inserted + off);
        else
            set_err(be, "PostgreSQL %s: out of memory building a batch", be->where);
        arr_free(cols, EV_COLS);
        free(k);
    }
    return st;
}

enum { DL_COLS = 10 };

static const char insert_deliveries_sql[] =
    "INSERT INTO deliveries (key, time, address, domain, outcome, status, reply, relay,"
    " queue_id, origin)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],"
    " $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])"
    " ON CONFLICT (key) DO NOTHING RETURNING key";

static mm_status_t delivery_columns(mm_buf *c, const mm_delivery *d)
{
    mm_status_t st = arr_text(&c[0], d->key);
    st = st ? st : arr_int(&c[1], d->time);
    st = st ? st : arr_text(&c[2], d->address);
    st = st ? st : arr_text(&c[3], store_domain_of(d->address));
    st = st ? st : arr_text(&c[4], d->outcome);
    st = st ? st : arr_text(&c[5], d->status ? d->status : "");
    st = st ? st : arr_text(&c[6], d->reply ? d->reply : "");
    st = st ? st : arr_text(&c[7], d->relay ? d->relay : "");
    st = st ? st : arr_text(&c[8], d->queue_id ? d->queue_id : "");
    st = st ? st : arr_text(&c[9], d->origin ? d->origin : "");
    return st;
}

static mm_status_t pg_insert_deliveries(void *p, const mm_delivery *d, size_t n, bool *inserted)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n; off += CHUNK) {
        size_t m = n - off < CHUNK ? n - off : CHUNK;
        mm_buf cols[DL_COLS];
        keyed *k = malloc(m * sizeof *k);
        for (int c = 0; c < DL_COLS; c++)
            mm_buf_init(&cols[c], 0);
        st = k ? MM_OK : MM_ENOMEM;
        for (size_t i = 0; st == MM_OK && i < m; i++) {
            k[i] = (keyed){d[off + i].key, i};
            st = delivery_columns(cols, &d[off + i]);
        }
        st = st ? st : arr_close(cols, DL_COLS);
        if (st == MM_OK)
            st = insert_keyed(be, "storing deliveries", insert_deliveries_sql, cols, DL_COLS,
                              NULL, 0, k, m, inserted + off);
        else
            set_err(be, "PostgreSQL %s: out of memory building a batch", be->where);
        arr_free(cols, DL_COLS);
        free(k);
    }
    return st;
}

/* ---- address rows ----------------------------------------------------- */

/* The address columns in this order, then the contact's source and name:
 * shared by load_addresses and each_address (row_to_info reads them). */
#define ADDRESS_COLS                                                                   \
    "a.state, a.why, a.last_reason, a.last_category, a.first_bounce, a.last_bounce,"   \
    " a.retry_at, a.hard_count, a.soft_count, a.soft_since, a.note, a.fix, a.outcome," \
    " a.corrected, a.updated, coalesce(c.source, ''), coalesce(c.name, '')"

static mm_addr_state state_code(const char *s)
{
    if (strcmp(s, "soft") == 0)
        return MM_ADDR_SOFT;
    if (strcmp(s, "suppressed") == 0)
        return MM_ADDR_SUPPRESSED;
    return MM_ADDR_ACTIVE;
}

/* Fill a from the columns of ADDRESS_COLS starting at col; strings borrowed from r. */
static void row_to_info(const pg_be *be, const PGresult *r, int row, int col,
                        mm_address_info *a)
{
    a->state = state_code(PQgetvalue(r, row, col));
    a->why = PQgetvalue(r, row, col + 1);
    a->last_reason = store_reason_code(&be->codes, PQgetvalue(r, row, col + 2));
    a->last_category = store_category_code(&be->codes, PQgetvalue(r, row, col + 3));
    a->first_bounce = num(r, row, col + 4);
    a->last_bounce = num(r, row, col + 5);
    a->retry_at = num(r, row, col + 6);
    a->hard_count = (int)num(r, row, col + 7);
    a->soft_count = (int)num(r, row, col + 8);
    a->soft_since = num(r, row, col + 9);
    a->note = PQgetvalue(r, row, col + 10);
    a->fix = PQgetvalue(r, row, col + 11);
    a->outcome = PQgetvalue(r, row, col + 12);
    a->corrected = PQgetvalue(r, row, col + 13);
    a->updated = num(r, row, col + 14);
    a->source = PQgetvalue(r, row, col + 15);
    a->name = PQgetvalue(r, row, col + 16);
}

/* One row per requested address, in the caller's order (WITH ORDINALITY),
 * NULLs where the store has nothing: the answer needs no lookup table.  The
 * LATERAL ... LIMIT 1 keeps each lookup a primary-key probe: as a plain join
 * the planner, seeing 2,000 addresses, hashes the whole table instead
 * (measured: 10x slower at 100,000 rows, worse at 1,000,000). */
static const char load_sql[] =
    "SELECT a.address IS NOT NULL OR c.address IS NOT NULL, " ADDRESS_COLS
    " FROM unnest($1::text[]) WITH ORDINALITY AS q(address, i)"
    " LEFT JOIN LATERAL (SELECT * FROM addresses x WHERE x.address = q.address LIMIT 1) a"
    " ON true"
    " LEFT JOIN LATERAL (SELECT * FROM contacts y WHERE y.address = q.address LIMIT 1) c"
    " ON true"
    " ORDER BY q.i";

static mm_status_t load_chunk(pg_be *be, const char *const *addrs, size_t n, mm_address_cb cb,
                              void *arg, bool *stop)
{
    mm_buf arr;
    PGresult *r = NULL;
    mm_status_t st = MM_OK;
    mm_buf_init(&arr, 0);
    for (size_t i = 0; st == MM_OK && i < n; i++)
        st = arr_text(&arr, addrs[i]);
    st = st ? st : arr_close(&arr, 1);
    if (st != MM_OK) {
        set_err(be, "PostgreSQL %s: out of memory", be->where);
        goto done;
    }
    const char *params[] = {mm_buf_str(&arr)};
    if ((st = exec(be, "looking up addresses", load_sql, 1, params, &r)) != MM_OK)
        goto done;
    for (int row = 0; row < PQntuples(r) && (size_t)row < n && !*stop; row++) {
        mm_address_info a = {0};
        a.address = addrs[row];
        a.known = PQgetvalue(r, row, 0)[0] == 't';
        row_to_info(be, r, row, 1, &a);
        if (!a.known)
            a.last_reason = MM_REASON_UNDEFINED;
        *stop = cb(arg, &a) != 0;
    }
done:
    PQclear(r);
    mm_buf_free(&arr);
    return st;
}

static mm_status_t pg_load_addresses(void *p, const char *const *addrs, size_t n,
                                     mm_address_cb cb, void *arg)
{
    bool stop = false;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n && !stop; off += CHUNK)
        st = load_chunk(p, addrs + off, n - off < CHUNK ? n - off : CHUNK, cb, arg, &stop);
    return st;
}

enum { AD_COLS = 17 };

/* DISTINCT ON keeps the last row given for an address: ON CONFLICT DO UPDATE
 * may not touch one row twice in a statement. */
static const char save_sql[] =
    "INSERT INTO addresses (address, domain, state, why, last_reason, last_category,"
    " first_bounce, last_bounce, retry_at, hard_count, soft_count, soft_since, note, fix,"
    " outcome, corrected, updated)"
    " SELECT DISTINCT ON (u.a) u.a, u.d, u.st, u.wh, u.lr, u.lc, u.fb, u.lb, u.ra, u.hc, u.sc,"
    " u.ss, u.no, u.fi, u.ou, u.co, u.up"
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
    " $7::bigint[], $8::bigint[], $9::bigint[], $10::int[], $11::int[], $12::bigint[],"
    " $13::text[], $14::text[], $15::text[], $16::text[], $17::bigint[])"
    " WITH ORDINALITY AS u(a, d, st, wh, lr, lc, fb, lb, ra, hc, sc, ss, no, fi, ou, co, up, i)"
    " ORDER BY u.a, u.i DESC"
    " ON CONFLICT (address) DO UPDATE SET domain = excluded.domain, state = excluded.state,"
    " why = excluded.why, last_reason = excluded.last_reason,"
    " last_category = excluded.last_category, first_bounce = excluded.first_bounce,"
    " last_bounce = excluded.last_bounce, retry_at = excluded.retry_at,"
    " hard_count = excluded.hard_count, soft_count = excluded.soft_count,"
    " soft_since = excluded.soft_since, note = excluded.note, fix = excluded.fix,"
    " outcome = excluded.outcome, corrected = excluded.corrected, updated = excluded.updated";

static const char *nz(const char *s)
{
    return s ? s : "";
}

static mm_status_t address_columns(mm_buf *c, const mm_address_info *a)
{
    mm_status_t st = arr_text(&c[0], a->address);
    st = st ? st : arr_text(&c[1], store_domain_of(a->address));
    st = st ? st : arr_text(&c[2], mm_addr_state_tostr(a->state));
    st = st ? st : arr_text(&c[3], nz(a->why));
    st = st ? st : arr_text(&c[4], mm_reason_tostr(a->last_reason));
    st = st ? st : arr_text(&c[5], mm_category_tostr(a->last_category));
    st = st ? st : arr_int(&c[6], a->first_bounce);
    st = st ? st : arr_int(&c[7], a->last_bounce);
    st = st ? st : arr_int(&c[8], a->retry_at);
    st = st ? st : arr_int(&c[9], a->hard_count);
    st = st ? st : arr_int(&c[10], a->soft_count);
    st = st ? st : arr_int(&c[11], a->soft_since);
    st = st ? st : arr_text(&c[12], nz(a->note));
    st = st ? st : arr_text(&c[13], nz(a->fix));
    st = st ? st : arr_text(&c[14], nz(a->outcome));
    st = st ? st : arr_text(&c[15], nz(a->corrected));
    st = st ? st : arr_int(&c[16], a->updated);
    return st;
}

static mm_status_t pg_save_addresses(void *p, const mm_address_info *a, size_t n)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n; off += CHUNK) {
        size_t m = n - off < CHUNK ? n - off : CHUNK;
        mm_buf cols[AD_COLS];
        const char *params[AD_COLS];
        for (int c = 0; c < AD_COLS; c++)
            mm_buf_init(&cols[c], 0);
        for (size_t i = 0; st == MM_OK && i < m; i++)
            st = address_columns(cols, &a[off + i]);
        st = st ? st : arr_close(cols, AD_COLS);
        for (int c = 0; c < AD_COLS; c++)
            params[c] = mm_buf_str(&cols[c]);
        if (st == MM_OK)
            st = exec(be, "saving address rows", save_sql, AD_COLS, params, NULL);
        else
            set_err(be, "PostgreSQL %s: out of memory building a batch", be->where);
        arr_free(cols, AD_COLS);
    }
    return st;
}

/* ---- cursors and contacts --------------------------------------------- */

static mm_status_t pg_set_cursor(void *p, const char *name, const char *value, int64_t now)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)now);
    const char *params[] = {name, value, t};
    return exec(p, "saving the ingest cursor",
                "INSERT INTO cursors (name, value, updated) VALUES ($1, $2, $3::bigint)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " updated = excluded.updated",
                3, params, NULL);
}

static mm_status_t pg_get_cursor(void *p, const char *name, char **value)
{
    pg_be *be = p;
    PGresult *r = NULL;
    const char *params[] = {name};
    *value = NULL;
    mm_status_t st = exec_fresh(be, "reading the ingest cursor",
                                "SELECT value FROM cursors WHERE name = $1", 1, params, &r);
    if (st == MM_OK && PQntuples(r) == 1 && !(*value = strdup(PQgetvalue(r, 0, 0)))) {
        set_err(be, "out of memory");
        st = MM_ENOMEM;
    }
    PQclear(r);
    return st;
}

/* Several rows for one address in a batch merge into one (the last
 * non-empty source and name win), as if they were applied in order. */
static const char contacts_sql[] =
    "INSERT INTO contacts (address, source, name, added)"
    " SELECT u.a, coalesce((array_agg(u.s ORDER BY u.i DESC) FILTER (WHERE u.s <> ''))[1], ''),"
    " coalesce((array_agg(u.n ORDER BY u.i DESC) FILTER (WHERE u.n <> ''))[1], ''), $4::bigint"
    " FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(a, s, n, i)"
    " GROUP BY u.a"
    " ON CONFLICT (address) DO UPDATE SET"
    " source = CASE WHEN excluded.source <> '' THEN excluded.source ELSE contacts.source END,"
    " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE contacts.name END"
    " WHERE (excluded.source <> '' AND excluded.source <> contacts.source)"
    " OR (excluded.name <> '' AND excluded.name <> contacts.name)";

static mm_status_t pg_add_contacts(void *p, const mm_contact *c, size_t n, int64_t now,
                                   size_t *changed)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)now);
    if (changed)
        *changed = 0;
    for (size_t off = 0; st == MM_OK && off < n; off += CHUNK) {
        size_t m = n - off < CHUNK ? n - off : CHUNK;
        mm_buf cols[3];
        PGresult *r = NULL;
        for (int k = 0; k < 3; k++)
            mm_buf_init(&cols[k], 0);
        for (size_t i = 0; st == MM_OK && i < m; i++) {
            st = arr_text(&cols[0], c[off + i].address);
            st = st ? st : arr_text(&cols[1], nz(c[off + i].source));
            st = st ? st : arr_text(&cols[2], nz(c[off + i].name));
        }
        st = st ? st : arr_close(cols, 3);
        const char *params[] = {mm_buf_str(&cols[0]), mm_buf_str(&cols[1]), mm_buf_str(&cols[2]),
                                t};
        if (st == MM_OK)
            st = exec(be, "saving contacts", contacts_sql, 4, params, &r);
        else
            set_err(be, "PostgreSQL %s: out of memory building a batch", be->where);
        if (st == MM_OK && changed)
            *changed += strtoul(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        arr_free(cols, 3);
    }
    return st;
}

/* ---- streamed reads ---------------------------------------------------- */

/* Called per fetched row; non-zero stops the walk. */
typedef int (*row_fn)(pg_be *be, const PGresult *r, int row, void *ctx);

/* Start a read: outside a write transaction, a read-only REPEATABLE READ
 * one, so the whole walk sees one snapshot.  *own says whether to end it. */
static mm_status_t read_begin(pg_be *be, bool *own)
{
    *own = !be->in_tx && be->walks == 0;
    be->err[0] = '\0';
    if (!*own)
        return MM_OK;
    return exec_fresh(be, "starting a read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0,
                      NULL, NULL);
}

static mm_status_t read_end(pg_be *be, bool own, mm_status_t st)
{
    if (!own)
        return st;
    if (st == MM_OK)
        return exec(be, "ending a read", "COMMIT", 0, NULL, NULL);
    if (PQstatus(be->conn) == CONNECTION_OK)
        PQclear(PQexec(be->conn, "ROLLBACK"));
    return st;
}

/* Walk the rows of select through a cursor, FETCH_ROWS at a time: memory
 * stays flat, and the callbacks may use the store between fetches. */
static mm_status_t walk(pg_be *be, const char *what, const char *select, int np,
                        const char *const *params, row_fn fn, void *ctx)
{
    char name[32], sql[96];
    mm_buf decl;
    bool own, stop = false;
    mm_status_t st = read_begin(be, &own);
    if (st != MM_OK)
        return read_end(be, own, st);
    snprintf(name, sizeof name, "mm_walk%d", be->walks);
    mm_buf_init(&decl, 0);
    st = mm_buf_printf(&decl, "DECLARE %s NO SCROLL CURSOR FOR %s", name, select);
    if (st == MM_OK)
        st = exec(be, what, mm_buf_str(&decl), np, params, NULL);
    mm_buf_free(&decl);
    if (st != MM_OK)
        return read_end(be, own, st);
    be->walks++;
    snprintf(sql, sizeof sql, "FETCH %d FROM %s", FETCH_ROWS, name);
    while (st == MM_OK && !stop) {
        PGresult *r = NULL;
        if ((st = exec(be, what, sql, 0, NULL, &r)) != MM_OK)
            break;
        int rows = PQntuples(r);
        for (int i = 0; i < rows && !stop; i++)
            stop = fn(be, r, i, ctx) != 0;
        PQclear(r);
        stop |= rows < FETCH_ROWS;
    }
    be->walks--;
    if (st == MM_OK) {
        snprintf(sql, sizeof sql, "CLOSE %s", name);
        st = exec(be, what, sql, 0, NULL, NULL);
    }
    return read_end(be, own, st);
}

typedef struct event_walk {
    mm_event_cb cb;
    void *arg;
} event_walk;

static int event_row(pg_be *be, const PGresult *r, int row, void *ctx)
{
    event_walk *w = ctx;
    mm_event e = {
        .key = PQgetvalue(r, row, 0),
        .time = num(r, row, 1),
        .address = PQgetvalue(r, row, 2),
        .action = PQgetvalue(r, row, 3),
        .status = PQgetvalue(r, row, 4),
        .reply_code = (int)num(r, row, 5),
        .reason = store_reason_code(&be->codes, PQgetvalue(r, row, 6)),
        .category = store_category_code(&be->codes, PQgetvalue(r, row, 7)),
        .severity = store_severity_code(&be->codes, PQgetvalue(r, row, 8)),
        .hard = num(r, row, 9) != 0,
        .retry_after = (long)num(r, row, 10),
        .provider = PQgetvalue(r, row, 11),
        .diagnostic = PQgetvalue(r, row, 12),
        .remote_mta = PQgetvalue(r, row, 13),
        .mta = PQgetvalue(r, row, 14),
        .subject = PQgetvalue(r, row, 15),
        .message_id = PQgetvalue(r, row, 16),
        .origin = PQgetvalue(r, row, 17),
    };
    return w->cb(w->arg, &e);
}

static mm_status_t pg_each_event(void *p, const mm_event_filter *f, mm_event_cb cb, void *arg)
{
    pg_be *be = p;
    mm_buf q;
    const char *params[3];
    char since[24], until[24];
    int np = 0;
    event_walk w = {cb, arg};
    mm_buf_init(&q, 0);
    /* Only the conditions asked for, so the planner sees a plain index range. */
    mm_status_t st = mm_buf_puts(&q, "SELECT key, time, address, action, status, reply_code,"
                                     " reason, category, severity, hard, retry_after, provider,"
                                     " diagnostic, remote_mta, mta, subject, message_id, origin"
                                     " FROM events WHERE true");
    if (st == MM_OK && f && f->address) {
        params[np++] = f->address;
        st = mm_buf_printf(&q, " AND address = $%d", np);
    }
    if (st == MM_OK && f && f->since) {
        snprintf(since, sizeof since, "%lld", (long long)f->since);
        params[np++] = since;
        st = mm_buf_printf(&q, " AND time >= $%d::bigint", np);
    }
    if (st == MM_OK && f && f->until) {
        snprintf(until, sizeof until, "%lld", (long long)f->until);
        params[np++] = until;
        st = mm_buf_printf(&q, " AND time < $%d::bigint", np);
    }
    st = st ? st : mm_buf_puts(&q, " ORDER BY time, key");
    if (st == MM_OK)
        st = walk(be, "reading events", mm_buf_str(&q), np, params, event_row, &w);
    else
        set_err(be, "out of memory");
    mm_buf_free(&q);
    return st;
}

typedef struct address_walk {
    mm_address_cb cb;
    void *arg;
} address_walk;

static int address_row(pg_be *be, const PGresult *r, int row, void *ctx)
{
    address_walk *w = ctx;
    mm_address_info a = {0};
    a.address = PQgetvalue(r, row, 0);
    a.known = true;
    row_to_info(be, r, row, 1, &a);
    return w->cb(w->arg, &a);
}

static mm_status_t pg_each_address(void *p, const mm_address_filter *f, mm_address_cb cb,
                                   void *arg)
{
    pg_be *be = p;
    mm_buf q, states;
    const char *params[2];
    char due[24];
    int np = 0;
    address_walk w = {cb, arg};
    mm_buf_init(&q, 0);
    mm_buf_init(&states, 0);
    mm_status_t st = mm_buf_puts(&q, "SELECT a.address, " ADDRESS_COLS " FROM addresses a"
                                     " LEFT JOIN contacts c ON c.address = a.address WHERE true");
    if (st == MM_OK && f && f->states) {
        for (int s = MM_ADDR_ACTIVE; st == MM_OK && s <= MM_ADDR_SUPPRESSED; s++)
            if (f->states & (1u << s))
                st = arr_text(&states, mm_addr_state_tostr((mm_addr_state)s));
        st = st ? st : arr_close(&states, 1);
        params[np++] = mm_buf_str(&states);
        st = st ? st : mm_buf_printf(&q, " AND a.state = ANY($%d::text[])", np);
    }
    if (st == MM_OK && f && f->due_before) {
        snprintf(due, sizeof due, "%lld", (long long)f->due_before);
        params[np++] = due;
        st = mm_buf_printf(&q, " AND (a.state <> 'soft' OR a.retry_at <= $%d::bigint)", np);
    }
    st = st ? st : mm_buf_puts(&q, " ORDER BY a.address");
    if (st == MM_OK)
        st = walk(be, "reading addresses", mm_buf_str(&q), np, params, address_row, &w);
    else
        set_err(be, "out of memory");
    mm_buf_free(&q);
    mm_buf_free(&states);
    return st;
}

/* ---- the statistics scan: COPY TO STDOUT ------------------------------ */

/* Undo COPY's text escapes in place (\\ \t \n \r \b \f \v); returns the end. */
static char *unescape(char *s, char *end)
{
    char *w = s;
    for (char *p = s; p < end; p++) {
        if (*p != '\\' || p + 1 == end) {
            *w++ = *p;
            continue;
        }
        switch (*++p) {
        case 't': *w++ = '\t'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'v': *w++ = '\v'; break;
        default: *w++ = *p; break;
        }
    }
    return w;
}

enum { STAT_COLS = 9 };

/* Split one COPY line into its columns (NUL-terminated in place). */
static bool split_line(char *line, int len, char **col)
{
    char *p = line, *end = line + len;
    if (len && end[-1] == '\n')
        end--;
    for (int c = 0; c < STAT_COLS; c++) {
        char *tab = memchr(p, '\t', (size_t)(end - p));
        if (!tab && c < STAT_COLS - 1)
            return false;
        char *stop = tab ? tab : end;
        char *e = memchr(p, '\\', (size_t)(stop - p)) ? unescape(p, stop) : stop;
        *e = '\0';
        col[c] = p;
        p = stop + 1;
    }
    return true;
}

static mm_status_t copy_failed(pg_be *be, const char *what)
{
    PGresult *r;
    mm_status_t st = MM_OK;
    while ((r = PQgetResult(be->conn)) != NULL) {
        if (st == MM_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            st = fail_result(be, r, what);
        PQclear(r);
    }
    if (st == MM_OK && PQstatus(be->conn) == CONNECTION_BAD)
        st = fail_result(be, NULL, what);
    return st;
}

/* Read the rows of a running COPY TO STDOUT; stop early by cancelling (only
 * outside a transaction: a cancel would abort it) or by draining. */
static mm_status_t read_copy(pg_be *be, bool can_cancel, mm_stat_row_cb cb, void *arg)
{
    const char *what = "reading statistics rows";
    char *line = NULL, *col[STAT_COLS];
    bool stop = false;
    int len;
    while ((len = PQgetCopyData(be->conn, &line, 0)) > 0) {
        if (!stop && split_line(line, len, col)) {
            mm_stat_row r = {
                .time = strtoll(col[0], NULL, 10),
                .address = col[1],
                .domain = col[2],
                .action = col[3],
                .reason = store_reason_code(&be->codes, col[4]),
                .category = store_category_code(&be->codes, col[5]),
                .hard = col[6][0] != '0',
                .provider = col[7],
                .source = col[8],
            };
            if (cb(arg, &r) != 0) {
                stop = true;
                PGcancel *c = can_cancel ? PQgetCancel(be->conn) : NULL;
                char ebuf[256];
                if (c) {
                    PQcancel(c, ebuf, sizeof ebuf);
                    PQfreeCancel(c);
                }
            }
        }
        PQfreemem(line);
    }
    mm_status_t st = copy_failed(be, what);
    if (stop && can_cancel && st == MM_EDB)
        st = MM_OK;   /* our own cancel (57014) */
    if (st == MM_OK && len == -2)
        st = fail_result(be, NULL, what);
    be->err[0] = st == MM_OK ? '\0' : be->err[0];
    return st;
}

static mm_status_t pg_each_stat_row(void *p, int64_t since, int64_t until, mm_stat_row_cb cb,
                                    void *arg)
{
    pg_be *be = p;
    char sql[700];
    bool standalone = !be->in_tx && be->walks == 0;
    be->err[0] = '\0';
    mm_status_t st = standalone ? reconnect(be) : MM_OK;
    if (st != MM_OK)
        return st;
    /* COPY takes no bind parameters; since and until are integers printed
     * by %lld, no text from outside reaches the SQL. */
    int n = snprintf(sql, sizeof sql,
                     "COPY (SELECT e.time, e.address, e.domain, e.action, e.reason, e.category,"
                     " e.hard, e.provider, coalesce(c.source, '') FROM events e"
                     " LEFT JOIN contacts c ON c.address = e.address WHERE true");
    if (since)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND e.time >= %lld", (long long)since);
    if (until)
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND e.time < %lld", (long long)until);
    snprintf(sql + n, sizeof sql - (size_t)n, ") TO STDOUT");

    PGresult *r = PQexec(be->conn, sql);
    if (standalone && PQstatus(be->conn) == CONNECTION_BAD && reconnect(be) == MM_OK) {
        PQclear(r);   /* dropped while idle: nothing was done, try once more */
        r = PQexec(be->conn, sql);
    }
    if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
        st = fail_result(be, r, "reading statistics rows");
        PQclear(r);
        return st;
    }
    PQclear(r);
    return read_copy(be, standalone, cb, arg);
}

/* ---- small aggregate reads --------------------------------------------- */

static mm_status_t pg_each_delivery_count(void *p, int64_t since, int64_t until,
                                          mm_delivery_count_cb cb, void *arg)
{
    pg_be *be = p;
    char s[24], u[24];
    PGresult *r = NULL;
    snprintf(s, sizeof s, "%lld", (long long)since);
    snprintf(u, sizeof u, "%lld", (long long)until);
    const char *params[] = {s, u};
    be->err[0] = '\0';
    /* day: floor to 00:00 UTC, also before 1970 (% keeps the sign). */
    mm_status_t st = (be->in_tx || be->walks ? exec : exec_fresh)(be, "counting deliveries",
                        "SELECT time - ((time % 86400) + 86400) % 86400 AS day, domain, outcome,"
                        " count(*) FROM deliveries"
                        " WHERE ($1::bigint = 0 OR time >= $1::bigint)"
                        " AND ($2::bigint = 0 OR time < $2::bigint)"
                        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                        2, params, &r);
    for (int i = 0; st == MM_OK && i < PQntuples(r); i++)
        if (cb(arg, num(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), (long)num(r, i, 3)))
            break;
    PQclear(r);
    return st;
}

static mm_status_t pg_each_source_count(void *p, mm_source_count_cb cb, void *arg)
{
    pg_be *be = p;
    PGresult *r = NULL;
    be->err[0] = '\0';
    mm_status_t st = (be->in_tx || be->walks ? exec : exec_fresh)(be, "counting contacts per source",
                        "SELECT source, count(*) FROM contacts GROUP BY source ORDER BY source",
                        0, NULL, &r);
    for (int i = 0; st == MM_OK && i < PQntuples(r); i++)
        if (cb(arg, PQgetvalue(r, i, 0), (long)num(r, i, 1)))
            break;
    PQclear(r);
    return st;
}

const store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .error = pg_error,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .insert_events = pg_insert_events,
    .insert_deliveries = pg_insert_deliveries,
    .load_addresses = pg_load_addresses,
    .save_addresses = pg_save_addresses,
    .set_cursor = pg_set_cursor,
    .get_cursor = pg_get_cursor,
    .add_contacts = pg_add_contacts,
    .each_event = pg_each_event,
    .each_address = pg_each_address,
    .each_stat_row = pg_each_stat_row,
    .each_delivery_count = pg_each_delivery_count,
    .each_source_count = pg_each_source_count,
};
