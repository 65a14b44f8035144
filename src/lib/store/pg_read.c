/*
 * pg_read.c - the PostgreSQL backend's reads, streamed: event and address
 * walks FETCH from a cursor a few thousand rows at a time inside one
 * read-only REPEATABLE READ transaction (one snapshot per walk, and the
 * callbacks may use the store between fetches).  A million rows never sit
 * in memory at once.  The statistics scan is in pg_scan.c.
 */
#include "store/pg.h"

#include <stdio.h>
#include <string.h>

/* ---- streamed reads ---------------------------------------------------- */

/* Called per fetched row; non-zero stops the walk. */
typedef int (*row_fn)(pg_be *be, const PGresult *r, int row, void *ctx);

/* Start a read: outside a write transaction, a read-only REPEATABLE READ
 * one, so the whole walk sees one snapshot.  *own says whether to end it. */
mm_status_t store_pg_read_begin(pg_be *be, bool *own)
{
    *own = !be->in_tx && be->walks == 0;
    be->err[0] = '\0';
    if (!*own)
        return MM_OK;
    return store_pg_exec_fresh(be, "starting a read",
                               "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL);
}

mm_status_t store_pg_read_end(pg_be *be, bool own, mm_status_t st)
{
    if (!own)
        return st;
    if (st == MM_OK)
        return store_pg_exec(be, "ending a read", "COMMIT", 0, NULL, NULL);
    if (PQstatus(be->conn) == CONNECTION_OK)
        PQclear(PQexec(be->conn, "ROLLBACK"));
    return st;
}

/* Walk the rows of select through a cursor, STORE_PG_FETCH at a time: memory
 * stays flat, and the callbacks may use the store between fetches. */
static mm_status_t walk(pg_be *be, const char *what, const char *select, int np,
                        const char *const *params, row_fn fn, void *ctx)
{
    char name[32], sql[96];
    mm_buf decl;
    bool own, stop = false;
    mm_status_t st = store_pg_read_begin(be, &own);
    if (st != MM_OK)
        return store_pg_read_end(be, own, st);
    snprintf(name, sizeof name, "mm_walk%d", be->walks);
    mm_buf_init(&decl, 0);
    st = mm_buf_printf(&decl, "DECLARE %s NO SCROLL CURSOR FOR %s", name, select);
    if (st == MM_OK)
        st = store_pg_exec(be, what, mm_buf_str(&decl), np, params, NULL);
    mm_buf_free(&decl);
    if (st != MM_OK)
        return store_pg_read_end(be, own, st);
    be->walks++;
    snprintf(sql, sizeof sql, "FETCH %d FROM %s", STORE_PG_FETCH, name);
    while (st == MM_OK && !stop) {
        PGresult *r = NULL;
        if ((st = store_pg_exec(be, what, sql, 0, NULL, &r)) != MM_OK)
            break;
        int rows = PQntuples(r);
        for (int i = 0; i < rows && !stop; i++)
            stop = fn(be, r, i, ctx) != 0;
        PQclear(r);
        stop |= rows < STORE_PG_FETCH;
    }
    be->walks--;
    if (st == MM_OK) {
        snprintf(sql, sizeof sql, "CLOSE %s", name);
        st = store_pg_exec(be, what, sql, 0, NULL, NULL);
    }
    return store_pg_read_end(be, own, st);
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
        .time = store_pg_num(r, row, 1),
        .address = PQgetvalue(r, row, 2),
        .action = PQgetvalue(r, row, 3),
        .status = PQgetvalue(r, row, 4),
        .reply_code = (int)store_pg_num(r, row, 5),
        .reason = store_reason_code(&be->codes, PQgetvalue(r, row, 6)),
        .category = store_category_code(&be->codes, PQgetvalue(r, row, 7)),
        .severity = store_severity_code(&be->codes, PQgetvalue(r, row, 8)),
        .hard = store_pg_num(r, row, 9) != 0,
        .retry_after = (long)store_pg_num(r, row, 10),
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

mm_status_t store_pg_each_event(void *p, const mm_event_filter *f, mm_event_cb cb, void *arg)
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
        store_pg_seterr(be, "out of memory");
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
    store_pg_row_to_info(be, r, row, 1, &a);
    return w->cb(w->arg, &a);
}

mm_status_t store_pg_each_address(void *p, const mm_address_filter *f, mm_address_cb cb, void *arg)
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
                st = store_pg_arr_text(&states, mm_addr_state_tostr((mm_addr_state)s));
        st = st ? st : store_pg_arr_close(&states, 1);
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
        store_pg_seterr(be, "out of memory");
    mm_buf_free(&q);
    mm_buf_free(&states);
    return st;
}

/* ---- small aggregate reads --------------------------------------------- */

mm_status_t store_pg_each_delivery_count(void *p, int64_t since, int64_t until,
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
    mm_status_t st = store_pg_exec_fresh(
        be, "counting deliveries",
        "SELECT time - ((time % 86400) + 86400) % 86400 AS day, domain, outcome,"
        " count(*) FROM deliveries"
        " WHERE ($1::bigint = 0 OR time >= $1::bigint)"
        " AND ($2::bigint = 0 OR time < $2::bigint)"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        2, params, &r);
    for (int i = 0; st == MM_OK && i < PQntuples(r); i++)
        if (cb(arg, store_pg_num(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
               (long)store_pg_num(r, i, 3)))
            break;
    PQclear(r);
    return st;
}

mm_status_t store_pg_each_source_count(void *p, mm_source_count_cb cb, void *arg)
{
    pg_be *be = p;
    PGresult *r = NULL;
    be->err[0] = '\0';
    mm_status_t st = store_pg_exec_fresh(
        be, "counting contacts per source",
        "SELECT source, count(*) FROM contacts GROUP BY source ORDER BY source", 0, NULL, &r);
    for (int i = 0; st == MM_OK && i < PQntuples(r); i++)
        if (cb(arg, PQgetvalue(r, i, 0), (long)store_pg_num(r, i, 1)))
            break;
    PQclear(r);
    return st;
}
