/*
 * ingest.c - bounces and MTA log lines -> events and deliveries, written to
 * a store in batches.
 *
 * A message is diagnosed into an item (mm_ingest_prepare, any thread): the
 * report, and one mm_event per failed/delayed/complained-about recipient
 * whose strings borrow from the report, each with its idempotency key.  The
 * ingest's own thread queues items (mm_ingest_add) until a batch is full,
 * then writes the batch's deliveries and events with the cursor in the
 * store's transactions (flush) and frees the items.  A failed flush drops
 * the batch: nothing of it is stored, the cursor has not moved, and the
 * caller stops; a re-run repeats the batch and the keys make that harmless.
 */
#include <mailmedic/bounce.h>
#include <mailmedic/ingest.h>
#include <gmime/gmime.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "ingest_int.h"

#define DEFAULT_BATCH 1000

void mm_ingest_options_default(mm_ingest_options *o)
{
    memset(o, 0, sizeof *o);
    o->batch_size = DEFAULT_BATCH;
}

mm_status_t mm_ingest_create(mm_store *store, const mm_ctx *ctx, const mm_ingest_options *opt,
                             mm_ingest **out)
{
    *out = NULL;
    if (!store || !ctx)
        return MM_EINVAL;
    mm_ingest *ing = calloc(1, sizeof *ing);
    if (!ing)
        return MM_ENOMEM;
    ing->store = store;
    ing->ctx = ctx;
    if (opt)
        ing->opt = *opt;
    else
        mm_ingest_options_default(&ing->opt);
    if (!ing->opt.batch_size)
        ing->opt.batch_size = DEFAULT_BATCH;
    if (!ing->opt.now)
        ing->opt.now = (int64_t)time(NULL);
    *out = ing;
    return MM_OK;
}

static void drop_pending(mm_ingest *ing)
{
    for (size_t i = 0; i < ing->npending; i++)
        mm_ingest_item_free(ing->pending[i]);
    ing->npending = 0;
    ing->nevents = ing->ndeliveries = 0;
}

void mm_ingest_destroy(mm_ingest *ing)
{
    if (!ing)
        return;
    drop_pending(ing);
    free(ing->pending);
    free(ing->evbuf);
    free(ing->dlbuf);
    free(ing->cursor_name);
    free(ing->cursor_value);
    free(ing);
}

void mm_ingest_get_counters(const mm_ingest *ing, mm_ingest_counters *out)
{
    *out = ing->n;
}

/* ---- keys --------------------------------------------------------------- */

/* hex SHA-256 of the message bytes with CRLF and bare CR turned into LF:
 * a bounce saved by an MUA (LF) and fetched over IMAP (CRLF) is the same. */
static mm_status_t hash_normalised(const char *p, size_t len, char hex[MM_KEY_HEX])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return MM_ENOMEM;
    int ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    const char *end = p + len;
    while (ok && p < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        size_t run = cr ? (size_t)(cr - p) : (size_t)(end - p);
        ok = EVP_DigestUpdate(md, p, run);
        if (!cr)
            break;
        ok = ok && EVP_DigestUpdate(md, "\n", 1);
        p = cr + 1;
        if (p < end && *p == '\n')
            p++;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    ok = ok && EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    if (!ok)
        return MM_ENOMEM;
    mm_ingest_hex(d, dl, hex);
    return MM_OK;
}

void mm_ingest_hex(const unsigned char *d, size_t n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

/* hex SHA-256 of the parts joined with "\n". */
mm_status_t mm_ingest_key(const char *const *parts, const size_t *lens, size_t n,
                          char hex[MM_KEY_HEX])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return MM_ENOMEM;
    int ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < n; i++) {
        if (i)
            ok = EVP_DigestUpdate(md, "\n", 1);
        ok = ok && EVP_DigestUpdate(md, parts[i], lens[i]);
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    ok = ok && EVP_DigestFinal_ex(md, d, &dl);
    EVP_MD_CTX_free(md);
    if (!ok)
        return MM_ENOMEM;
    mm_ingest_hex(d, dl, hex);
    return MM_OK;
}

/* ---- items -------------------------------------------------------------- */

int64_t mm_ingest_parse_date(const char *s)
{
    if (!s || !s[0])
        return 0;
    GDateTime *dt = g_mime_utils_header_decode_date(s);
    if (!dt)
        return 0;
    int64_t t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    /* GMime answers the epoch for what it could not read */
    return t > 0 ? t : 0;
}

/* The event action for a recipient, or NULL when it is not a failure. */
static const char *event_action(mm_kind_t kind, const mm_recipient *p)
{
    if (kind == MM_KIND_FEEDBACK)
        return "complaint";
    if (kind != MM_KIND_BOUNCE)
        return NULL;
    if (strcmp(p->action, "failed") == 0 || strcmp(p->action, "delayed") == 0)
        return p->action;
    /* decoders of free-text notices that name no action: a failure */
    return p->action[0] ? NULL : "failed";
}

/*
 * The Date field of the message's own header (RFC 5322 3.6.1), unfolded
 * into out; "" when there is none within the header block.  Only the top
 * header block is looked at (up to the first empty line or MAX_HEAD bytes),
 * so the Date of an attached original message is never taken.
 */
#define MAX_HEAD (64u << 10)
#define MAX_DATE 256

void mm_ingest_header_date(const char *p, size_t len, char *out)
{
    const char *end = p + (len < MAX_HEAD ? len : MAX_HEAD);
    size_t n = 0;
    bool in_date = false;
    out[0] = '\0';
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        size_t ll = (size_t)(le - p);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break; /* the end of the header */
        bool cont = *p == ' ' || *p == '\t';
        if (in_date && !cont)
            break;
        if (!in_date && !cont && ll >= 5 && strncasecmp(p, "Date:", 5) == 0) {
            in_date = true;
            p += 5;
            ll -= 5;
        }
        for (size_t i = 0; in_date && i < ll && n + 1 < MAX_DATE; i++)
            out[n++] = p[i] == '\t' ? ' ' : p[i];
        p = eol ? eol + 1 : end;
    }
    out[n] = '\0';
}

void mm_ingest_fill_event(mm_event *e, const mm_report *r, const mm_recipient *p,
                          const char *action, const char *origin)
{
    const mm_original *o = mm_report_original(r);
    memset(e, 0, sizeof *e);
    e->time = mm_ingest_parse_date(p->date);
    e->address = p->recipient;
    e->action = action;
    e->status = p->status;
    e->reply_code = p->reply_code;
    e->reason = p->reason;
    e->category = p->advice.category;
    e->severity = p->advice.severity;
    e->hard = p->hard_bounce;
    e->retry_after = p->advice.retry_after;
    e->provider = p->provider;
    e->diagnostic = p->diagnostic;
    e->remote_mta = p->remote_mta;
    e->mta = mm_report_mta(r);
    e->subject = o->subject;
    e->message_id = o->message_id;
    e->origin = origin;
}

static mm_ingest_item *item_new(const char *origin)
{
    mm_ingest_item *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->origin = strdup(origin ? origin : "");
    if (!it->origin) {
        free(it);
        return NULL;
    }
    it->kind = MM_KIND_NOT_BOUNCE;
    return it;
}

/* The report's own Date, read once per message (0 when it has none). */
static int64_t report_time(mm_ingest_item *it, const char *bytes, size_t len)
{
    if (!it->date_read) {
        char d[MAX_DATE];
        mm_ingest_header_date(bytes, len, d);
        it->date = mm_ingest_parse_date(d);
        it->date_read = true;
    }
    return it->date;
}

static mm_status_t item_events(mm_ingest_item *it, const char *bytes, size_t len)
{
    size_t n = mm_report_count(it->report);
    it->ev = calloc(n ? n : 1, sizeof *it->ev);
    it->keys = calloc(n ? n : 1, sizeof *it->keys);
    if (!it->ev || !it->keys)
        return MM_ENOMEM;
    char msg[MM_KEY_HEX];
    mm_status_t st = hash_normalised(bytes, len, msg);
    for (size_t i = 0; st == MM_OK && i < n; i++) {
        const mm_recipient *p = mm_report_recipient(it->report, i);
        const char *action = event_action(it->kind, p);
        if (!action || !p->recipient[0])
            continue;
        char idx[24];
        int il = snprintf(idx, sizeof idx, "%zu", i);
        const char *parts[] = {msg, p->recipient, idx};
        size_t lens[] = {strlen(msg), strlen(p->recipient), (size_t)il};
        st = mm_ingest_key(parts, lens, 3, it->keys[it->nev]);
        mm_ingest_fill_event(&it->ev[it->nev], it->report, p, action, it->origin);
        if (!it->ev[it->nev].time)
            it->ev[it->nev].time = report_time(it, bytes, len);
        it->ev[it->nev].key = it->keys[it->nev];
        it->nev++;
    }
    return st;
}

mm_status_t mm_ingest_prepare(const mm_ctx *ctx, const char *bytes, size_t len, const char *origin,
                              mm_ingest_item **out)
{
    *out = NULL;
    mm_ingest_item *it = item_new(origin);
    if (!it)
        return MM_ENOMEM;
    it->is_message = true;
    mm_status_t st = mm_diagnose_message(ctx, bytes, len, &it->report, it->err, sizeof it->err);
    if (st == MM_ENOMEM)
        goto fail;
    if (st != MM_OK) {
        it->bad = true;
        if (!it->err[0])
            snprintf(it->err, sizeof it->err, "%s", mm_strerror(st));
        *out = it;
        return MM_OK;
    }
    it->kind = mm_report_kind(it->report);
    st = item_events(it, bytes, len);
    if (st != MM_OK)
        goto fail;
    *out = it;
    return MM_OK;
fail:
    mm_ingest_item_free(it);
    return MM_ENOMEM;
}

const char *mm_ingest_item_error(const mm_ingest_item *it)
{
    return it->bad ? it->err : NULL;
}

mm_kind_t mm_ingest_item_kind(const mm_ingest_item *it)
{
    return it->kind;
}

size_t mm_ingest_item_events(const mm_ingest_item *it)
{
    return it->nev;
}

void mm_ingest_item_free(mm_ingest_item *it)
{
    if (!it)
        return;
    mm_report_destroy(it->report);
    free(it->ev);
    free(it->keys);
    free(it->dl_strings);
    free(it->origin);
    free(it);
}

/* ---- batches ------------------------------------------------------------ */

static void count_item(mm_ingest *ing, const mm_ingest_item *it)
{
    if (!it->is_message) {
        ing->n.lines++;
        return;
    }
    ing->n.messages++;
    if (it->bad)
        ing->n.errors++;
    else if (it->kind == MM_KIND_BOUNCE)
        ing->n.bounces++;
    else if (it->kind == MM_KIND_FEEDBACK)
        ing->n.complaints++;
    else
        ing->n.not_bounces++;
}

mm_status_t mm_ingest_queue(mm_ingest *ing, mm_ingest_item *it)
{
    count_item(ing, it);
    ing->n.events += it->nev;
    ing->n.deliveries += it->has_delivery;
    if (ing->npending == ing->cap) {
        size_t cap = ing->cap ? 2 * ing->cap : 64;
        mm_ingest_item **p = realloc(ing->pending, cap * sizeof *p);
        if (!p) {
            mm_ingest_item_free(it);
            return MM_ENOMEM;
        }
        ing->pending = p;
        ing->cap = cap;
    }
    ing->pending[ing->npending++] = it;
    ing->nevents += it->nev;
    ing->ndeliveries += it->has_delivery;
    if (ing->nevents + ing->ndeliveries >= ing->opt.batch_size ||
        ing->npending >= ing->opt.batch_size)
        return mm_ingest_flush(ing);
    return MM_OK;
}

mm_status_t mm_ingest_add(mm_ingest *ing, mm_ingest_item *it)
{
    if (!ing || !it) {
        mm_ingest_item_free(it);
        return MM_EINVAL;
    }
    return mm_ingest_queue(ing, it);
}

mm_status_t mm_ingest_message(mm_ingest *ing, const char *bytes, size_t len, const char *origin)
{
    if (!ing || (!bytes && len))
        return MM_EINVAL;
    mm_ingest_item *it;
    mm_status_t st = mm_ingest_prepare(ing->ctx, bytes, len, origin, &it);
    if (st != MM_OK)
        return st;
    return mm_ingest_queue(ing, it);
}

mm_status_t mm_ingest_set_cursor(mm_ingest *ing, const char *name, const char *value)
{
    char *n = NULL, *v = NULL;
    if (name) {
        n = strdup(name);
        v = strdup(value ? value : "");
        if (!n || !v) {
            free(n);
            free(v);
            return MM_ENOMEM;
        }
    }
    free(ing->cursor_name);
    free(ing->cursor_value);
    ing->cursor_name = n;
    ing->cursor_value = v;
    ing->cursor_dirty = true;
    return MM_OK;
}

/* Gather the pending items' rows into contiguous arrays for the store. */
static mm_status_t gather(mm_ingest *ing)
{
    if (ing->nevents > ing->evcap) {
        mm_event *p = realloc(ing->evbuf, ing->nevents * sizeof *p);
        if (!p)
            return MM_ENOMEM;
        ing->evbuf = p;
        ing->evcap = ing->nevents;
    }
    if (ing->ndeliveries > ing->dlcap) {
        mm_delivery *p = realloc(ing->dlbuf, ing->ndeliveries * sizeof *p);
        if (!p)
            return MM_ENOMEM;
        ing->dlbuf = p;
        ing->dlcap = ing->ndeliveries;
    }
    size_t e = 0, d = 0;
    for (size_t i = 0; i < ing->npending; i++) {
        const mm_ingest_item *it = ing->pending[i];
        for (size_t k = 0; k < it->nev; k++) {
            ing->evbuf[e] = it->ev[k];
            if (!ing->evbuf[e].time)
                ing->evbuf[e].time = ing->opt.now;
            e++;
        }
        if (it->has_delivery)
            ing->dlbuf[d++] = it->dl;
    }
    return MM_OK;
}

/*
 * Deliveries first, in their own transaction without the cursor; then the
 * events with the cursor.  A crash between the two leaves deliveries whose
 * keys make the re-run's copies no-ops, and a cursor that has not moved.
 */
mm_status_t mm_ingest_flush(mm_ingest *ing)
{
    if (!ing)
        return MM_EINVAL;
    if (!ing->npending && !ing->cursor_dirty)
        return MM_OK;
    mm_status_t st = gather(ing);
    if (st != MM_OK)
        goto done;
    const char *cn = ing->cursor_name, *cv = ing->cursor_value;
    size_t added = 0;
    if (ing->ndeliveries) {
        bool last = !ing->nevents;
        st = mm_store_add_deliveries(ing->store, ing->dlbuf, ing->ndeliveries, last ? cn : NULL,
                                     last ? cv : NULL, &added);
        if (st != MM_OK)
            goto done;
        ing->n.deliveries_added += added;
        ing->n.delivery_duplicates += ing->ndeliveries - added;
    }
    if (ing->nevents || (!ing->ndeliveries && cn)) {
        added = 0;
        st = mm_store_add_events(ing->store, ing->evbuf, ing->nevents, cn, cv, &added);
        if (st != MM_OK)
            goto done;
        ing->n.events_added += added;
        ing->n.duplicates += ing->nevents - added;
    }
    ing->cursor_dirty = false;
    if (ing->opt.on_commit)
        ing->opt.on_commit(ing->opt.on_commit_arg, cn, cv);
done:
    drop_pending(ing);
    return st;
}
