/*
 * pg_write.c - the PostgreSQL backend's writes, each batch one statement:
 * the rows go as one array parameter per column (text[] and bigint[]
 * literals built here) and the statement unnests them, INSERT ... SELECT
 * FROM unnest(...) ON CONFLICT ...  Measured on 1,000-event batches: one
 * statement per batch instead of 1,000 is the difference between ~3,000 and
 * ~30,000 events/s.
 */
#include "store/pg.h"
#include "util/str.h"

#include <stdio.h>
#include <string.h>

/* ---- building array parameters --------------------------------------- */

/* Append s as an element of a text[] literal: double-quoted, \ and " escaped.
 * Bytes that are not UTF-8 become U+FFFD: PostgreSQL rejects invalid UTF-8
 * and one odd byte in a bounce must not fail its whole batch. */
static mm_status_t arr_sep(mm_buf *b)
{
    return mm_buf_putc(b, b->len ? ',' : '{');
}

mm_status_t store_pg_arr_text(mm_buf *b, const char *s)
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

mm_status_t store_pg_arr_int(mm_buf *b, long long v)
{
    mm_status_t st = arr_sep(b);
    return st == MM_OK ? mm_buf_printf(b, "%lld", v) : st;
}

/* Close each of n array buffers ("{}" when empty). */
mm_status_t store_pg_arr_close(mm_buf *cols, size_t n)
{
    mm_status_t st = MM_OK;
    for (size_t i = 0; st == MM_OK && i < n; i++)
        st = mm_buf_puts(&cols[i], cols[i].len ? "}" : "{}");
    return st;
}

void store_pg_arr_free(mm_buf *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        mm_buf_free(&cols[i]);
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
static mm_status_t mark_inserted(const PGresult *r, const keyed *sorted, size_t n, bool *inserted)
{
    for (size_t i = 0; i < n; i++)
        inserted[i] = false;
    for (int row = 0; row < PQntuples(r); row++) {
        keyed want = {PQgetvalue(r, row, 0), 0};
        size_t lo = 0, hi = n;
        while (lo < hi) { /* lower bound of (key, 0) */
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
                                int ncols, const char *const *extra, int nextra, keyed *k, size_t n,
                                bool *inserted)
{
    const char *params[32];
    for (int c = 0; c < ncols; c++)
        params[c] = mm_buf_str(&cols[c]);
    for (int e = 0; e < nextra; e++)
        params[ncols + e] = extra[e];
    PGresult *r = NULL;
    mm_status_t st = store_pg_exec(be, what, sql, ncols + nextra, params, &r);
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
    mm_status_t st = store_pg_arr_text(&c[0], e->key);
    st = st ? st : store_pg_arr_int(&c[1], e->time);
    st = st ? st : store_pg_arr_text(&c[2], e->address);
    st = st ? st : store_pg_arr_text(&c[3], store_domain_of(e->address));
    st = st ? st : store_pg_arr_text(&c[4], e->action);
    st = st ? st : store_pg_arr_text(&c[5], e->status);
    st = st ? st : store_pg_arr_int(&c[6], e->reply_code);
    st = st ? st : store_pg_arr_text(&c[7], mm_reason_tostr(e->reason));
    st = st ? st : store_pg_arr_text(&c[8], mm_category_tostr(e->category));
    st = st ? st : store_pg_arr_text(&c[9], mm_severity_tostr(e->severity));
    st = st ? st : store_pg_arr_int(&c[10], e->hard ? 1 : 0);
    st = st ? st : store_pg_arr_int(&c[11], e->retry_after);
    st = st ? st : store_pg_arr_text(&c[12], e->provider);
    st = st ? st : store_pg_arr_text(&c[13], e->diagnostic);
    st = st ? st : store_pg_arr_text(&c[14], e->remote_mta);
    st = st ? st : store_pg_arr_text(&c[15], e->mta);
    st = st ? st : store_pg_arr_text(&c[16], e->subject);
    st = st ? st : store_pg_arr_text(&c[17], e->message_id);
    st = st ? st : store_pg_arr_text(&c[18], e->origin);
    return st;
}

mm_status_t store_pg_insert_events(void *p, const mm_event *ev, size_t n, int64_t now,
                                   bool *inserted)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n; off += STORE_PG_CHUNK) {
        size_t m = n - off < STORE_PG_CHUNK ? n - off : STORE_PG_CHUNK;
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
        st = st ? st : store_pg_arr_close(cols, EV_COLS);
        if (st == MM_OK)
            st = insert_keyed(be, "storing events", insert_events_sql, cols, EV_COLS, extra, 1, k,
                              m, inserted + off);
        else
            store_pg_seterr(be, "PostgreSQL %s: out of memory building a batch", be->where);
        store_pg_arr_free(cols, EV_COLS);
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
    mm_status_t st = store_pg_arr_text(&c[0], d->key);
    st = st ? st : store_pg_arr_int(&c[1], d->time);
    st = st ? st : store_pg_arr_text(&c[2], d->address);
    st = st ? st : store_pg_arr_text(&c[3], store_domain_of(d->address));
    st = st ? st : store_pg_arr_text(&c[4], d->outcome);
    st = st ? st : store_pg_arr_text(&c[5], d->status ? d->status : "");
    st = st ? st : store_pg_arr_text(&c[6], d->reply ? d->reply : "");
    st = st ? st : store_pg_arr_text(&c[7], d->relay ? d->relay : "");
    st = st ? st : store_pg_arr_text(&c[8], d->queue_id ? d->queue_id : "");
    st = st ? st : store_pg_arr_text(&c[9], d->origin ? d->origin : "");
    return st;
}

mm_status_t store_pg_insert_deliveries(void *p, const mm_delivery *d, size_t n, bool *inserted)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n; off += STORE_PG_CHUNK) {
        size_t m = n - off < STORE_PG_CHUNK ? n - off : STORE_PG_CHUNK;
        mm_buf cols[DL_COLS];
        keyed *k = malloc(m * sizeof *k);
        for (int c = 0; c < DL_COLS; c++)
            mm_buf_init(&cols[c], 0);
        st = k ? MM_OK : MM_ENOMEM;
        for (size_t i = 0; st == MM_OK && i < m; i++) {
            k[i] = (keyed){d[off + i].key, i};
            st = delivery_columns(cols, &d[off + i]);
        }
        st = st ? st : store_pg_arr_close(cols, DL_COLS);
        if (st == MM_OK)
            st = insert_keyed(be, "storing deliveries", insert_deliveries_sql, cols, DL_COLS, NULL,
                              0, k, m, inserted + off);
        else
            store_pg_seterr(be, "PostgreSQL %s: out of memory building a batch", be->where);
        store_pg_arr_free(cols, DL_COLS);
        free(k);
    }
    return st;
}

/* ---- address rows ----------------------------------------------------- */

static mm_addr_state state_code(const char *s)
{
    if (strcmp(s, "soft") == 0)
        return MM_ADDR_SOFT;
    if (strcmp(s, "suppressed") == 0)
        return MM_ADDR_SUPPRESSED;
    return MM_ADDR_ACTIVE;
}

/* Fill a from the columns of ADDRESS_COLS starting at col; strings borrowed from r. */
void store_pg_row_to_info(const pg_be *be, const PGresult *r, int row, int col, mm_address_info *a)
{
    a->state = state_code(PQgetvalue(r, row, col));
    a->why = PQgetvalue(r, row, col + 1);
    a->last_reason = store_reason_code(&be->codes, PQgetvalue(r, row, col + 2));
    a->last_category = store_category_code(&be->codes, PQgetvalue(r, row, col + 3));
    a->first_bounce = store_pg_num(r, row, col + 4);
    a->last_bounce = store_pg_num(r, row, col + 5);
    a->retry_at = store_pg_num(r, row, col + 6);
    a->hard_count = (int)store_pg_num(r, row, col + 7);
    a->soft_count = (int)store_pg_num(r, row, col + 8);
    a->soft_since = store_pg_num(r, row, col + 9);
    a->note = PQgetvalue(r, row, col + 10);
    a->fix = PQgetvalue(r, row, col + 11);
    a->outcome = PQgetvalue(r, row, col + 12);
    a->corrected = PQgetvalue(r, row, col + 13);
    a->updated = store_pg_num(r, row, col + 14);
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
        st = store_pg_arr_text(&arr, addrs[i]);
    st = st ? st : store_pg_arr_close(&arr, 1);
    if (st != MM_OK) {
        store_pg_seterr(be, "PostgreSQL %s: out of memory", be->where);
        goto done;
    }
    const char *params[] = {mm_buf_str(&arr)};
    if ((st = store_pg_exec_fresh(be, "looking up addresses", load_sql, 1, params, &r)) != MM_OK)
        goto done;
    for (int row = 0; row < PQntuples(r) && (size_t)row < n && !*stop; row++) {
        mm_address_info a = {0};
        a.address = addrs[row];
        a.known = PQgetvalue(r, row, 0)[0] == 't';
        store_pg_row_to_info(be, r, row, 1, &a);
        if (!a.known)
            a.last_reason = MM_REASON_UNDEFINED;
        *stop = cb(arg, &a) != 0;
    }
done:
    PQclear(r);
    mm_buf_free(&arr);
    return st;
}

mm_status_t store_pg_load_addresses(void *p, const char *const *addrs, size_t n, mm_address_cb cb,
                                    void *arg)
{
    pg_be *be = p;
    bool stop = false, own = false;
    mm_status_t st = MM_OK;
    /* Several chunks: one snapshot for all of them, as a single look-up. */
    if (n > STORE_PG_CHUNK && (st = store_pg_read_begin(be, &own)) != MM_OK)
        return store_pg_read_end(be, own, st);
    be->walks += own;
    for (size_t off = 0; st == MM_OK && off < n && !stop; off += STORE_PG_CHUNK)
        st = load_chunk(be, addrs + off, n - off < STORE_PG_CHUNK ? n - off : STORE_PG_CHUNK, cb,
                        arg, &stop);
    be->walks -= own;
    return store_pg_read_end(be, own, st);
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
    mm_status_t st = store_pg_arr_text(&c[0], a->address);
    st = st ? st : store_pg_arr_text(&c[1], store_domain_of(a->address));
    st = st ? st : store_pg_arr_text(&c[2], mm_addr_state_tostr(a->state));
    st = st ? st : store_pg_arr_text(&c[3], nz(a->why));
    st = st ? st : store_pg_arr_text(&c[4], mm_reason_tostr(a->last_reason));
    st = st ? st : store_pg_arr_text(&c[5], mm_category_tostr(a->last_category));
    st = st ? st : store_pg_arr_int(&c[6], a->first_bounce);
    st = st ? st : store_pg_arr_int(&c[7], a->last_bounce);
    st = st ? st : store_pg_arr_int(&c[8], a->retry_at);
    st = st ? st : store_pg_arr_int(&c[9], a->hard_count);
    st = st ? st : store_pg_arr_int(&c[10], a->soft_count);
    st = st ? st : store_pg_arr_int(&c[11], a->soft_since);
    st = st ? st : store_pg_arr_text(&c[12], nz(a->note));
    st = st ? st : store_pg_arr_text(&c[13], nz(a->fix));
    st = st ? st : store_pg_arr_text(&c[14], nz(a->outcome));
    st = st ? st : store_pg_arr_text(&c[15], nz(a->corrected));
    st = st ? st : store_pg_arr_int(&c[16], a->updated);
    return st;
}

mm_status_t store_pg_save_addresses(void *p, const mm_address_info *a, size_t n)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    for (size_t off = 0; st == MM_OK && off < n; off += STORE_PG_CHUNK) {
        size_t m = n - off < STORE_PG_CHUNK ? n - off : STORE_PG_CHUNK;
        mm_buf cols[AD_COLS];
        const char *params[AD_COLS];
        for (int c = 0; c < AD_COLS; c++)
            mm_buf_init(&cols[c], 0);
        for (size_t i = 0; st == MM_OK && i < m; i++)
            st = address_columns(cols, &a[off + i]);
        st = st ? st : store_pg_arr_close(cols, AD_COLS);
        for (int c = 0; c < AD_COLS; c++)
            params[c] = mm_buf_str(&cols[c]);
        if (st == MM_OK)
            st = store_pg_exec(be, "saving address rows", save_sql, AD_COLS, params, NULL);
        else
            store_pg_seterr(be, "PostgreSQL %s: out of memory building a batch", be->where);
        store_pg_arr_free(cols, AD_COLS);
    }
    return st;
}

/* ---- cursors and contacts --------------------------------------------- */

mm_status_t store_pg_set_cursor(void *p, const char *name, const char *value, int64_t now)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)now);
    const char *params[] = {name, value, t};
    return store_pg_exec(p, "saving the ingest cursor",
                         "INSERT INTO cursors (name, value, updated) VALUES ($1, $2, $3::bigint)"
                         " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                         " updated = excluded.updated",
                         3, params, NULL);
}

mm_status_t store_pg_get_cursor(void *p, const char *name, char **value)
{
    pg_be *be = p;
    PGresult *r = NULL;
    const char *params[] = {name};
    *value = NULL;
    mm_status_t st =
        store_pg_exec_fresh(be, "reading the ingest cursor",
                            "SELECT value FROM cursors WHERE name = $1", 1, params, &r);
    if (st == MM_OK && PQntuples(r) == 1 && !(*value = strdup(PQgetvalue(r, 0, 0)))) {
        store_pg_seterr(be, "out of memory");
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

mm_status_t store_pg_add_contacts(void *p, const mm_contact *c, size_t n, int64_t now,
                                  size_t *changed)
{
    pg_be *be = p;
    mm_status_t st = MM_OK;
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)now);
    if (changed)
        *changed = 0;
    for (size_t off = 0; st == MM_OK && off < n; off += STORE_PG_CHUNK) {
        size_t m = n - off < STORE_PG_CHUNK ? n - off : STORE_PG_CHUNK;
        mm_buf cols[3];
        PGresult *r = NULL;
        for (int k = 0; k < 3; k++)
            mm_buf_init(&cols[k], 0);
        for (size_t i = 0; st == MM_OK && i < m; i++) {
            st = store_pg_arr_text(&cols[0], c[off + i].address);
            st = st ? st : store_pg_arr_text(&cols[1], nz(c[off + i].source));
            st = st ? st : store_pg_arr_text(&cols[2], nz(c[off + i].name));
        }
        st = st ? st : store_pg_arr_close(cols, 3);
        const char *params[] = {mm_buf_str(&cols[0]), mm_buf_str(&cols[1]), mm_buf_str(&cols[2]),
                                t};
        if (st == MM_OK)
            st = store_pg_exec(be, "saving contacts", contacts_sql, 4, params, &r);
        else
            store_pg_seterr(be, "PostgreSQL %s: out of memory building a batch", be->where);
        if (st == MM_OK && changed)
            *changed += strtoul(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        store_pg_arr_free(cols, 3);
    }
    return st;
}
