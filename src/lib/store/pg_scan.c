/*
 * pg_scan.c - the statistics scan of the PostgreSQL backend: every event
 * reduced to what statistics group by, a million rows in well under a
 * second.  COPY (SELECT ...) TO STDOUT streams the rows as text, split in
 * place here (no row set in memory, no per-row result object).
 *
 * Producing that text is the server's cost (reading the heap is a fifth
 * of it, turning eight columns into text the rest), so on a big table the
 * scan runs in two halves at once: a second connection imports the first
 * one's snapshot (pg_export_snapshot), each COPY takes half of the table's
 * blocks (a TID range scan, PostgreSQL 14 and later), and the rows are
 * read from both sockets as they come.  Same rows, same snapshot, about
 * half the time on two cores.  Inside a write transaction, on a small
 * table, an older server or when the second connection cannot be had, one
 * COPY does it all.
 */
#include "store/pg.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

enum { TWO_HALVES_MIN_PAGES = 2048 }; /* 16 MB, 50,000 to 100,000 events */

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
        case 't':
            *w++ = '\t';
            break;
        case 'n':
            *w++ = '\n';
            break;
        case 'r':
            *w++ = '\r';
            break;
        case 'b':
            *w++ = '\b';
            break;
        case 'f':
            *w++ = '\f';
            break;
        case 'v':
            *w++ = '\v';
            break;
        default:
            *w++ = *p;
            break;
        }
    }
    return w;
}

enum { STAT_COLS = 8 };

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

/* One COPY line to the callback; returns the callback's answer. */
static int stat_line(pg_be *be, char *line, int len, mm_stat_row_cb cb, void *arg)
{
    char *col[STAT_COLS];
    if (!split_line(line, len, col))
        return 0;
    mm_stat_row r = {
        .time = strtoll(col[0], NULL, 10),
        .address = col[1],
        .domain = store_domain_of(col[1]),
        .action = col[2],
        .reason = store_reason_code(&be->codes, col[3]),
        .category = store_category_code(&be->codes, col[4]),
        .hard = col[5][0] != '0',
        .provider = col[6],
        .source = col[7],
    };
    return cb(arg, &r);
}

static void cancel(PGconn *c)
{
    char ebuf[256];
    PGcancel *k = PQgetCancel(c);
    if (k) {
        PQcancel(k, ebuf, sizeof ebuf);
        PQfreeCancel(k);
    }
}

/* Throw away what is left of a cancelled COPY. */
static void drain(PGconn *c)
{
    char *line = NULL;
    PGresult *r;
    while (PQgetCopyData(c, &line, 0) > 0)
        PQfreemem(line);
    while ((r = PQgetResult(c)) != NULL)
        PQclear(r);
}

/* After a COPY's last row: its final result.  Our own cancel is no error. */
static mm_status_t copy_end(pg_be *be, PGconn *c, bool cancelled)
{
    PGresult *r;
    mm_status_t st = MM_OK;
    while ((r = PQgetResult(c)) != NULL) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (st == MM_OK && PQresultStatus(r) != PGRES_COMMAND_OK &&
            !(cancelled && state && strcmp(state, "57014") == 0))
            st = c == be->conn ? store_pg_fail(be, r, "reading statistics rows")
                               : store_pg_fail_other(be, c, r, "reading statistics rows");
        PQclear(r);
    }
    if (st == MM_OK && PQstatus(c) == CONNECTION_BAD)
        st = c == be->conn ? store_pg_fail(be, NULL, "reading statistics rows")
                           : store_pg_fail_other(be, c, NULL, "reading statistics rows");
    return st;
}

/* Read the rows of one running COPY; stop early by cancelling (only
 * outside a transaction: a cancel would abort it) or by draining. */
static mm_status_t read_one(pg_be *be, bool can_cancel, mm_stat_row_cb cb, void *arg)
{
    char *line = NULL;
    bool stop = false;
    int len;
    while ((len = PQgetCopyData(be->conn, &line, 0)) > 0) {
        if (!stop && stat_line(be, line, len, cb, arg) != 0) {
            stop = true;
            if (can_cancel)
                cancel(be->conn);
        }
        PQfreemem(line);
    }
    return copy_end(be, be->conn, stop && can_cancel);
}

/* Read two running COPYs (c[0] is be->conn) as their rows arrive. */
static mm_status_t read_two(pg_be *be, PGconn *const c[2], mm_stat_row_cb cb, void *arg)
{
    bool live[2] = {true, true}, stop = false;
    mm_status_t st = MM_OK;
    while (live[0] || live[1]) {
        bool got = false;
        for (int i = 0; i < 2; i++) {
            char *line = NULL;
            int len = 0;
            while (live[i] && (len = PQgetCopyData(c[i], &line, 1)) > 0) {
                got = true;
                if (!stop && stat_line(be, line, len, cb, arg) != 0) {
                    stop = true;
                    for (int k = 0; k < 2; k++)
                        if (live[k])
                            cancel(c[k]);
                }
                PQfreemem(line);
            }
            if (live[i] && len < 0) {
                mm_status_t s = copy_end(be, c[i], stop);
                st = st ? st : s;
                live[i] = false;
            }
        }
        if (got || !(live[0] || live[1]))
            continue;
        struct pollfd fds[2];
        nfds_t n = 0;
        for (int i = 0; i < 2; i++)
            if (live[i])
                fds[n++] = (struct pollfd){.fd = PQsocket(c[i]), .events = POLLIN};
        if (poll(fds, n, -1) < 0)
            continue; /* EINTR */
        for (int i = 0; i < 2; i++)
            if (live[i] && !PQconsumeInput(c[i])) {
                mm_status_t s = copy_end(be, c[i], stop);
                st = st ? st : s ? s : MM_ECONN;
                live[i] = false;
            }
    }
    be->err[0] = st == MM_OK ? '\0' : be->err[0];
    return st;
}

/* Whether any contact has a source: if none, the scan skips the join (on
 * 1,000,000 events the join is a quarter of the time). */
static mm_status_t have_sources(pg_be *be, bool *yes)
{
    PGresult *r = NULL;
    mm_status_t st = store_pg_exec_fresh(
        be, "reading statistics rows", "SELECT EXISTS (SELECT 1 FROM contacts WHERE source <> '')",
        0, NULL, &r);
    *yes = st == MM_OK && PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return st;
}

/* The COPY statement; part: "" or a condition on e.ctid.  COPY takes no
 * bind parameters: since, until and the block numbers are integers printed
 * by %lld, no text from outside reaches the SQL.  The domain is not sent:
 * it is the end of the (normalised) address. */
static void copy_sql(char *sql, size_t len, bool join, int64_t since, int64_t until,
                     const char *part)
{
    int n = snprintf(sql, len,
                     "COPY (SELECT e.time, e.address, e.action, e.reason, e.category, e.hard,"
                     " e.provider, %s FROM events e%s WHERE true%s",
                     join ? "coalesce(c.source, '')" : "''",
                     join ? " LEFT JOIN contacts c ON c.address = e.address" : "", part);
    if (since)
        n += snprintf(sql + n, len - (size_t)n, " AND e.time >= %lld", (long long)since);
    if (until)
        n += snprintf(sql + n, len - (size_t)n, " AND e.time < %lld", (long long)until);
    snprintf(sql + n, len - (size_t)n, ") TO STDOUT");
}

static bool start_copy(PGconn *c, const char *sql)
{
    PGresult *r = PQsendQuery(c, sql) ? PQgetResult(c) : NULL;
    bool ok = r && PQresultStatus(r) == PGRES_COPY_OUT;
    PQclear(r);
    return ok;
}

/* In be's read transaction: export its snapshot into the second
 * connection's and size the table.  false: do it in one COPY. */
static bool prepare_halves(pg_be *be, PGconn *c2, long long *pages)
{
    PGresult *r = NULL;
    if (store_pg_exec(be, "reading statistics rows",
                      "SELECT pg_export_snapshot(), pg_relation_size('events') /"
                      " current_setting('block_size')::bigint",
                      0, NULL, &r) != MM_OK)
        return false;
    const char *snap = PQgetvalue(r, 0, 0);
    *pages = store_pg_num(r, 0, 1);
    char sql[160];
    /* The snapshot name is the server's own ("00000003-0000001B-1"). */
    bool ok = *pages >= TWO_HALVES_MIN_PAGES && strspn(snap, "0123456789ABCDEF-") == strlen(snap) &&
              strlen(snap) < 64;
    if (ok) {
        snprintf(sql, sizeof sql,
                 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '%s'",
                 snap);
        PGresult *r2 = PQexec(c2, sql);
        ok = r2 && PQresultStatus(r2) == PGRES_COMMAND_OK;
        PQclear(r2);
        if (!ok)
            PQclear(PQexec(c2, "ROLLBACK"));
    }
    PQclear(r);
    return ok;
}

static mm_status_t scan_halves(pg_be *be, PGconn *c2, bool join, int64_t since, int64_t until,
                               long long pages, mm_stat_row_cb cb, void *arg)
{
    char part[2][64], sql[2][900];
    snprintf(part[0], sizeof part[0], " AND e.ctid < '(%lld,0)'::tid", pages / 2);
    snprintf(part[1], sizeof part[1], " AND e.ctid >= '(%lld,0)'::tid", pages / 2);
    for (int i = 0; i < 2; i++)
        copy_sql(sql[i], sizeof sql[i], join, since, until, part[i]);
    PGconn *const c[2] = {be->conn, c2};
    mm_status_t st;
    if (!start_copy(be->conn, sql[0])) {
        PQclear(PQexec(c2, "ROLLBACK"));
        st = copy_end(be, be->conn, false);
        return st ? st : store_pg_fail(be, NULL, "reading statistics rows");
    }
    if (!start_copy(c2, sql[1])) {
        cancel(be->conn);
        drain(be->conn);
        st = store_pg_fail_other(be, c2, NULL, "reading statistics rows");
        PQclear(PQexec(c2, "ROLLBACK"));
        return st;
    }
    st = read_two(be, c, cb, arg);
    PQclear(PQexec(c2, st == MM_OK ? "COMMIT" : "ROLLBACK"));
    return st;
}

static mm_status_t scan_one(pg_be *be, bool join, int64_t since, int64_t until, bool can_cancel,
                            mm_stat_row_cb cb, void *arg)
{
    char sql[900];
    copy_sql(sql, sizeof sql, join, since, until, "");
    PGresult *r = PQexec(be->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
        mm_status_t st = store_pg_fail(be, r, "reading statistics rows");
        PQclear(r);
        return st;
    }
    PQclear(r);
    return read_one(be, can_cancel, cb, arg);
}

mm_status_t store_pg_each_stat_row(void *p, int64_t since, int64_t until, mm_stat_row_cb cb,
                                   void *arg)
{
    pg_be *be = p;
    bool own = false, join;
    long long pages = 0;
    be->err[0] = '\0';
    if (be->in_tx || be->walks || PQserverVersion(be->conn) < 140000) {
        mm_status_t st = have_sources(be, &join);
        return st ? st : scan_one(be, join, since, until, false, cb, arg);
    }
    mm_status_t st = store_pg_read_begin(be, &own);
    if (st == MM_OK)
        st = have_sources(be, &join);
    if (st != MM_OK)
        return store_pg_read_end(be, own, st);
    PGconn *c2 = store_pg_second(be);
    be->walks++;
    if (c2 && prepare_halves(be, c2, &pages))
        st = scan_halves(be, c2, join, since, until, pages, cb, arg);
    else
        st = scan_one(be, join, since, until, true, cb, arg);
    be->walks--;
    return store_pg_read_end(be, own, st);
}
