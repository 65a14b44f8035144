/*
 * rcache.c - parsed SPF records kept by an evaluator, keyed by their text.
 *
 * Parsing is a pure function of the record's text, and the same records come
 * back again and again (every sender of a domain, every domain that includes
 * a provider's record), so an evaluator keeps the last parsed records in a
 * small direct-mapped table instead of parsing each TXT answer anew.  Only the
 * parse is cached, never DNS: every evaluation still asks for the records.
 *
 * An evaluation pins the records it is running (an include may fetch a record
 * that maps to the same slot); a pinned record is never evicted, and the newer
 * one is then simply not cached.
 */
#include <stdlib.h>
#include <string.h>

#include "spf_int.h"

/* Records longer than this are parsed each time: they are rare (a record
 * past one 255-byte TXT string usually moves its terms into includes), and
 * the cap bounds the cache: at most 256 terms per record, about 5 MiB for a
 * full table of hostile records, some tens of KiB for real ones. */
#define MAX_CACHED_TEXT 512

/* FNV-1a over 8-byte words rather than bytes, folded to 32 bits: every
 * record fetched is hashed, so this is on the path of every evaluation.  (The
 * words are read in the machine's byte order: only a slot index.) */
static uint32_t text_hash(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 1099511628211u;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return (uint32_t)(h ^ (h >> 32));
}

static void slot_clear(mm_spf_rslot *s)
{
    free(s->text);
    mm_spf_record_free(s->rec);
    memset(s, 0, sizeof *s);
}

/* Keep rec in slot s (whose record is not pinned); on failure rec stays uncached. */
static void slot_fill(mm_spf_rslot *s, const char *text, size_t len, uint32_t h, mm_spf_record *rec)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, text, len);
    slot_clear(s);
    s->text = copy;
    s->len = len;
    s->hash = h;
    s->rec = rec;
    rec->cached = 1;
}

mm_status_t mm_spf_rcache_get(mm_spf_rcache *c, const char *text, size_t len, mm_spf_record **out)
{
    uint32_t h = len <= MAX_CACHED_TEXT ? text_hash(text, len) : 0;
    mm_spf_rslot *s = &c->slot[h % MM_SPF_RCACHE_SLOTS];
    if (len <= MAX_CACHED_TEXT && s->rec && s->hash == h && s->len == len &&
        memcmp(s->text, text, len) == 0) {
        s->rec->pins++;
        *out = s->rec;
        return MM_OK;
    }
    mm_status_t st = mm_spf_record_parse(text, len, out);
    if (st != MM_OK)
        return st;
    if (len <= MAX_CACHED_TEXT && !(s->rec && s->rec->pins))
        slot_fill(s, text, len, h, *out);
    (*out)->pins++;
    return MM_OK;
}

void mm_spf_rcache_release(mm_spf_record *r)
{
    if (!r)
        return;
    r->pins--;
    if (!r->cached)
        mm_spf_record_free(r);
}

void mm_spf_rcache_clear(mm_spf_rcache *c)
{
    for (size_t i = 0; i < MM_SPF_RCACHE_SLOTS; i++)
        slot_clear(&c->slot[i]);
}
