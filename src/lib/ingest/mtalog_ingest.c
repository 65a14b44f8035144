/*
 * mtalog_ingest.c - one parsed MTA delivery log line -> a delivery record,
 * and for a bounced line also an event.
 *
 * The record's strings are borrowed from the log parser until its next
 * line, but the item waits in the batch, so they are copied into one block
 * owned by the item.  Keys hash the line itself (without its line end), not
 * its file or line number: re-reading a log, a copy of it, or the same lines
 * piped on stdin stores nothing twice.
 */
#include <ctype.h>
#include <mailmedic/bounce.h>
#include <mailmedic/ingest.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest_int.h"

enum { S_ADDR, S_OUTCOME, S_STATUS, S_REPLY, S_RELAY, S_QID, S_MTA, S_N };

static size_t trim_eol(const char *line, size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    return len;
}

/* Copy the record's strings into one block; the address's domain is
 * lower-cased like diagnose's recipients. */
static mm_status_t copy_strings(mm_ingest_item *it, const mm_mtalog_record *rec,
                                const char *out[S_N])
{
    const char *in[S_N] = {rec->address, rec->outcome,  rec->status, rec->reply,
                           rec->relay,   rec->queue_id, rec->mta};
    size_t total = 0, lens[S_N];
    for (int i = 0; i < S_N; i++) {
        lens[i] = strlen(in[i] ? in[i] : "");
        total += lens[i] + 1;
    }
    char *p = it->dl_strings = malloc(total);
    if (!p)
        return MM_ENOMEM;
    for (int i = 0; i < S_N; i++) {
        memcpy(p, in[i] ? in[i] : "", lens[i] + 1);
        out[i] = p;
        p += lens[i] + 1;
    }
    char *at = strrchr(it->dl_strings, '@'); /* the address is the first string */
    for (; at && *at; at++)
        *at = (char)tolower((unsigned char)*at);
    return MM_OK;
}

/* What to classify: the reply, with the DSN code in front when the reply
 * does not carry it (Postfix writes dsn= apart from the text). */
static mm_status_t classify(mm_ingest *ing, mm_ingest_item *it, const char *status,
                            const char *reply)
{
    mm_status_t st;
    if (status[0] && !strstr(reply, status)) {
        size_t n = strlen(status) + strlen(reply) + 2;
        char *text = malloc(n);
        if (!text)
            return MM_ENOMEM;
        snprintf(text, n, "%s %s", status, reply);
        st = mm_diagnose_text(ing->ctx, text, &it->report);
        free(text);
    } else {
        st = mm_diagnose_text(ing->ctx, reply, &it->report);
    }
    return st;
}

static mm_status_t bounced_event(mm_ingest *ing, mm_ingest_item *it, const char *s[S_N],
                                 const char *line, size_t len)
{
    mm_status_t st = classify(ing, it, s[S_STATUS], s[S_REPLY]);
    if (st != MM_OK)
        return st;
    const mm_recipient *p = mm_report_recipient(it->report, 0);
    it->ev = calloc(1, sizeof *it->ev);
    it->keys = calloc(1, sizeof *it->keys);
    if (!p || !it->ev || !it->keys)
        return p ? MM_ENOMEM : MM_OK;
    const char *parts[] = {"event", line};
    size_t lens[] = {5, len};
    st = mm_ingest_key(parts, lens, 2, it->keys[0]);
    if (st != MM_OK)
        return st;
    mm_event *e = &it->ev[0];
    mm_ingest_fill_event(e, it->report, p, "failed", it->origin);
    e->key = it->keys[0];
    e->time = it->dl.time;
    e->address = s[S_ADDR]; /* the log's recipient, not one the text may name */
    if (s[S_STATUS][0])
        e->status = s[S_STATUS];
    e->diagnostic = s[S_REPLY];
    e->remote_mta = s[S_RELAY];
    e->mta = s[S_MTA];
    it->nev = 1;
    return MM_OK;
}

mm_status_t mm_ingest_mtalog_record(mm_ingest *ing, const mm_mtalog_record *rec, const char *line,
                                    size_t len, const char *origin)
{
    if (!ing || !rec || !line)
        return MM_EINVAL;
    mm_ingest_item *it = calloc(1, sizeof *it);
    if (!it)
        return MM_ENOMEM;
    const char *s[S_N];
    len = trim_eol(line, len);
    mm_status_t st = MM_ENOMEM;
    it->origin = strdup(origin ? origin : "");
    if (!it->origin || copy_strings(it, rec, s) != MM_OK)
        goto fail;
    const char *parts[] = {"delivery", line};
    size_t lens[] = {8, len};
    st = mm_ingest_key(parts, lens, 2, it->dlkey);
    if (st != MM_OK)
        goto fail;
    it->has_delivery = true;
    it->dl = (mm_delivery){it->dlkey,  rec->time,  s[S_ADDR], s[S_OUTCOME], s[S_STATUS],
                           s[S_REPLY], s[S_RELAY], s[S_QID],  it->origin};
    if (strcmp(s[S_OUTCOME], "bounced") == 0 && s[S_ADDR][0]) {
        st = bounced_event(ing, it, s, line, len);
        if (st != MM_OK)
            goto fail;
    }
    return mm_ingest_queue(ing, it);
fail:
    mm_ingest_item_free(it);
    return st;
}
