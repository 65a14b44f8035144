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
 * Files: pg.c (this: connecting, errors, schema, transactions), pg_write.c
 * (batched inserts and upserts), pg_read.c (streamed reads), pg.h.
 *
 * Errors: the server unreachable -> MM_ECONN, credentials refused ->
 * MM_EAUTH, the connection lost (PQstatus CONNECTION_BAD after a failure)
 * -> MM_ECONN; the transaction then never committed, so nothing is half
 * written, and the next begin() reconnects.  Messages name host:port/db,
 * never the password.
 */
#include "store/pg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Advisory lock keys (classid 'mmlg', objid): documented in docs/POSTGRESQL.md. */
#define LOCK_CLASS "1835887719"
#define SCHEMA_LOCK LOCK_CLASS ", 1"
#define WRITE_LOCK LOCK_CLASS ", 2"

enum { STATEMENT_TIMEOUT_S = 600 };

/* ---- errors ----------------------------------------------------------- */

void store_pg_seterr(pg_be *be, const char *fmt, ...)
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
mm_status_t store_pg_fail(pg_be *be, const PGresult *r, const char *what)
{
    return store_pg_fail_other(be, be->conn, r, what);
}

mm_status_t store_pg_fail_other(pg_be *be, PGconn *c, const PGresult *r, const char *what)
{
    char msg[700];
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    one_line(msg, sizeof msg, primary ? primary : PQerrorMessage(c));

    if (PQstatus(c) == CONNECTION_BAD ||
        (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0))) {
        store_pg_seterr(be,
                        "lost the connection to PostgreSQL at %s while %s (nothing was "
                        "half-written): %s",
                        be->where, what, msg);
        return MM_ECONN;
    }
    store_pg_seterr(be, "PostgreSQL %s: %s failed: %s", be->where, what, msg);
    if (state && strcmp(state, "55P03") == 0) /* lock_not_available: lock_timeout */
        return MM_EBUSY;
    if (state && strncmp(state, "28", 2) == 0)
        return MM_EAUTH;
    return MM_EDB;
}

/* Run sql with text parameters; *out gets the result when it has the wanted
 * status (the caller clears it), else it is cleared here. */
mm_status_t store_pg_exec(pg_be *be, const char *what, const char *sql, int np,
                          const char *const *params, PGresult **out)
{
    PGresult *r =
        np ? PQexecParams(be->conn, sql, np, NULL, params, NULL, NULL, 0) : PQexec(be->conn, sql);
    ExecStatusType t = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        mm_status_t st = r ? store_pg_fail(be, r, what) : MM_ENOMEM;
        if (!r && PQstatus(be->conn) == CONNECTION_BAD)
            st = store_pg_fail(be, NULL, what);
        else if (!r)
            store_pg_seterr(be, "PostgreSQL %s: %s: out of memory", be->where, what);
        PQclear(r);
        return st;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return MM_OK;
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
             db     ? db
             : user ? user
                    : "(default database)");
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
    return store_pg_exec(be, "setting up the session", sql, 0, NULL, NULL);
}

static PGconn *dial(const char *uri, int timeout_s)
{
    char tmo[16];
    snprintf(tmo, sizeof tmo, "%d", timeout_s > 0 ? timeout_s : 10);
    /* Before dbname: the URI may override them; after: forced. */
    const char *const keys[] = {"connect_timeout",  "fallback_application_name",
                                "keepalives_idle",  "keepalives_interval",
                                "keepalives_count", "dbname",
                                "client_encoding",  NULL};
    const char *const vals[] = {tmo, "mailmedic", "30", "10", "3", uri, "UTF8", NULL};
    return PQconnectdbParams(keys, vals, 1);
}

PGconn *store_pg_second(pg_be *be)
{
    if (be->conn2 && PQstatus(be->conn2) == CONNECTION_OK &&
        PQtransactionStatus(be->conn2) == PQTRANS_IDLE)
        return be->conn2;
    PQfinish(be->conn2);
    be->conn2 = dial(be->uri, be->timeout_s);
    if (be->conn2 && PQstatus(be->conn2) == CONNECTION_OK) {
        char sql[100];
        snprintf(sql, sizeof sql, "SET statement_timeout = %d; SET TIME ZONE 'UTC'",
                 STATEMENT_TIMEOUT_S * 1000);
        PGresult *r = PQexec(be->conn2, sql);
        bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (ok)
            return be->conn2;
    }
    PQfinish(be->conn2);
    be->conn2 = NULL;
    return NULL;
}

static mm_status_t pg_connect(pg_be *be, const char *uri, int timeout_s)
{
    be->conn = dial(uri, timeout_s);
    if (!be->conn) {
        store_pg_seterr(be, "PostgreSQL %s: out of memory", be->where);
        return MM_ENOMEM;
    }
    if (PQstatus(be->conn) != CONNECTION_OK) {
        char msg[700];
        one_line(msg, sizeof msg, PQerrorMessage(be->conn));
        mm_status_t st = connect_status(be->conn, msg);
        store_pg_seterr(be, "cannot %s PostgreSQL at %s: %s",
                        st == MM_EAUTH ? "log in to"
                        : st == MM_EDB ? "open the database of"
                                       : "connect to",
                        be->where, msg);
        return st;
    }
    if (PQserverVersion(be->conn) < 90500) {
        store_pg_seterr(be, "PostgreSQL at %s is version %d; mailmedic needs 9.5 or later",
                        be->where, PQserverVersion(be->conn));
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
        store_pg_seterr(be, "cannot connect to PostgreSQL at %s: %s", be->where, msg);
        return MM_ECONN;
    }
    return session_setup(be);
}

/* The first statement of a unit of work (no transaction open yet): a
 * connection the server dropped while we were idle only shows when it is
 * used, and nothing was done on it yet, so reconnect and try once more. */
mm_status_t store_pg_exec_fresh(pg_be *be, const char *what, const char *sql, int np,
                                const char *const *params, PGresult **out)
{
    /* Inside a transaction a new connection would run the rest of it in
     * autocommit: never; the failure ends the transaction instead. */
    if (be->in_tx || be->walks)
        return store_pg_exec(be, what, sql, np, params, out);
    mm_status_t st = reconnect(be);
    if (st == MM_OK)
        st = store_pg_exec(be, what, sql, np, params, out);
    if (st == MM_ECONN && PQstatus(be->conn) == CONNECTION_BAD && reconnect(be) == MM_OK)
        st = store_pg_exec(be, what, sql, np, params, out);
    return st;
}

/* ---- schema ----------------------------------------------------------- */

static mm_status_t schema_version(pg_be *be, int *version)
{
    PGresult *r = NULL;
    /* Two statements: a query naming meta cannot even be planned without it. */
    mm_status_t st = store_pg_exec(be, "reading the schema version",
                                   "SELECT to_regclass('meta') IS NOT NULL", 0, NULL, &r);
    if (st == MM_OK && PQgetvalue(r, 0, 0)[0] != 't') {
        *version = 0;
        PQclear(r);
        return MM_OK;
    }
    PQclear(r);
    r = NULL;
    st = st ? st
            : store_pg_exec(be, "reading the schema version",
                            "SELECT value FROM meta WHERE key = 'schema_version'", 0, NULL, &r);
    if (st != MM_OK)
        return st;
    const char *v = PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : NULL;
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : -1;
    if (!v || *end || n < 0 || n > 100000) {
        store_pg_seterr(be,
                        "PostgreSQL %s: the table meta holds no valid schema_version (\"%s\"): "
                        "not a mailmedic database?",
                        be->where, v ? v : "");
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
    mm_status_t st =
        store_pg_exec(be, "locking the schema",
                      "BEGIN; SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")", 0, NULL, NULL);
    if (st == MM_OK)
        st = schema_version(be, &version);
    if (st == MM_OK && version > store_migration_count) {
        store_pg_seterr(be,
                        "PostgreSQL %s has schema version %d, newer than this mailmedic's (%d): "
                        "upgrade mailmedic; the database was left untouched",
                        be->where, version, store_migration_count);
        st = MM_ESCHEMA;
    }
    for (int i = version; st == MM_OK && i < store_migration_count; i++) {
        char what[64];
        snprintf(what, sizeof what, "migrating the schema to version %d", i + 1);
        st = store_pg_exec(be, what, store_migrations[i], 0, NULL, NULL);
    }
    if (st == MM_OK)
        st = store_pg_exec(be, "committing the schema", "COMMIT", 0, NULL, NULL);
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
    PQfinish(be->conn2);
    if (be->uri) /* it may hold a password */
        memset(be->uri, 0, strlen(be->uri));
    free(be->uri);
    free(be);
}

static mm_status_t pg_open(const char *where, const mm_store_options *o, void **out, char *why,
                           size_t whylen)
{
    *out = NULL;
    pg_be *be = calloc(1, sizeof *be);
    if (!be) {
        if (why && whylen)
            snprintf(why, whylen, "out of memory");
        return MM_ENOMEM;
    }
    store_codes_init(&be->codes);
    be->lock_timeout_ms = o && o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 30000;
    be->timeout_s = o ? o->connect_timeout_s : 10;
    if (!(be->uri = strdup(where))) {
        pg_close(be);
        if (why && whylen)
            snprintf(why, whylen, "out of memory");
        return MM_ENOMEM;
    }
    mm_status_t st = describe(where, be->where, sizeof be->where);
    if (st != MM_OK)
        store_pg_seterr(be,
                        "not a valid PostgreSQL URI (postgresql://[user[:password]@]host[:port]/"
                        "database[?param=value...])");
    if (st == MM_OK)
        st = pg_connect(be, where, be->timeout_s);
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
        store_pg_seterr(be,
                        "PostgreSQL %s: a write transaction was started inside another one or "
                        "inside a walk",
                        be->where);
        return MM_EINVAL;
    }
    mm_status_t st =
        store_pg_exec_fresh(be, "starting a transaction",
                            "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")", 0, NULL, NULL);
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
    mm_status_t st = store_pg_exec(be, "committing", "COMMIT", 0, NULL, &r);
    if (st == MM_ECONN) /* the COMMIT may or may not have reached the server */
        store_pg_seterr(be,
                        "lost the connection to PostgreSQL at %s while committing: the "
                        "transaction may or may not be stored; repeating the call is safe",
                        be->where);
    /* COMMIT of a transaction that had failed answers ROLLBACK, not an error. */
    if (st == MM_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        store_pg_seterr(be, "PostgreSQL %s: the transaction was rolled back", be->where);
        st = MM_EDB;
    }
    PQclear(r);
    be->in_tx = false;
    return st;
}

static void pg_rollback(void *p)
{
    pg_be *be = p;
    if (PQstatus(be->conn) == CONNECTION_OK && PQtransactionStatus(be->conn) != PQTRANS_IDLE)
        PQclear(PQexec(be->conn, "ROLLBACK"));
    be->in_tx = false;
}

const store_ops store_pg_ops = {
    .name = "postgresql",
    .open = pg_open,
    .close = pg_close,
    .error = pg_error,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .insert_events = store_pg_insert_events,
    .insert_deliveries = store_pg_insert_deliveries,
    .load_addresses = store_pg_load_addresses,
    .save_addresses = store_pg_save_addresses,
    .set_cursor = store_pg_set_cursor,
    .get_cursor = store_pg_get_cursor,
    .add_contacts = store_pg_add_contacts,
    .each_event = store_pg_each_event,
    .each_address = store_pg_each_address,
    .each_stat_row = store_pg_each_stat_row,
    .each_delivery_count = store_pg_each_delivery_count,
    .each_source_count = store_pg_each_source_count,
};
