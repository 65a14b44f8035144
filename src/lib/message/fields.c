/*
 * fields.c - "Name: value" blocks (RFC 5322 section 2.2 header syntax), used
 * for the top-level header, delivery-status blocks (RFC 3464 section 2.1) and
 * the headers of an attached original message.  Folded lines are joined with
 * one space.
 *
 * Every header field of every message passes through here, but decoders
 * read few of them: a field keeps where its value is written (folded lines
 * included) and the value is made -- squeezed into the arena, RFC 2047
 * decoded for the blocks that want it -- when first read (mm_field_value).
 */
#include "message.h"
#include "message_int.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

/*
 * Decoders ask for the same few fields many times per message (~25 lookups
 * over ~26 fields): comparing the keys first leaves one strcasecmp per hit.
 */
const char *mm_fields_get_key(const mm_fields *f, const char *name, unsigned key)
{
    if (!name[0] || !(f->keys & mm_field_key_bit(key)))
        return NULL; /* "" names only the group edges */
    for (const mm_field *v = f->v, *e = f->v + f->n; v < e; v++)
        if (v->key == key && strcasecmp(v->name, name) == 0)
            return mm_field_value(v);
    return NULL;
}

/* ' ' '\t' '\n' '\v' '\f' '\r', what mm_strtrim() trims */
static bool is_ws_char(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * A list's first room: as many fields as fit in 1,008 bytes, under glibc's
 * 1,032-byte limit for its per-thread cache of small blocks.  A top-level
 * header of 17 to 21 fields then needs no realloc, while 32 (a block off
 * that cache for every list, most being short) cost more than 16.
 */
#define FIELDS_FIRST (1008 / sizeof(mm_field))

/* Room for one more field.  Inline: every field of every block passes here
 * (a call was ~0.25 k instructions per message). */
static inline mm_field *grow(mm_fields *f)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : FIELDS_FIRST;
        mm_field *v = realloc(f->v, cap * sizeof *v);
        if (!v)
            return NULL;
        f->v = v;
        f->cap = cap;
    }
    return &f->v[f->n];
}

/* A copy of the name (cut at a NUL, trimmed as mm_strtrim() would) plus room for extra bytes. */
static char *copy_name(mm_arena *a, const char *name, size_t nlen, size_t extra, size_t *outlen)
{
    const char *nul = memchr(name, '\0', nlen);
    if (nul)
        nlen = (size_t)(nul - name);
    while (nlen && is_ws_char(name[0])) {
        name++;
        nlen--;
    }
    while (nlen && is_ws_char(name[nlen - 1]))
        nlen--;
    char *n = mm_arena_alloc(a, nlen + 1 + extra);
    if (!n)
        return NULL;
    memcpy(n, name, nlen);
    n[nlen] = '\0';
    *outlen = nlen;
    return n;
}

/* Value as mm_field_value() makes it: cut at a NUL, squeezed; *coded: needs RFC 2047 decoding. */
static void make_value(char *out, const char *value, size_t vlen, bool *coded)
{
    const char *nul = memchr(value, '\0', vlen);
    if (nul)
        vlen = (size_t)(nul - value);
    mm_squeeze_copy(out, value, vlen, coded);
}

mm_status_t mm_fields_add(mm_arena *a, mm_fields *f, const char *name, size_t nlen,
                          const char *value, size_t vlen)
{
    mm_field *fd = grow(f);
    if (!fd)
        return MM_ENOMEM;
    /* name and value in one allocation */
    char *n = copy_name(a, name, nlen, vlen + 1, &nlen);
    if (!n)
        return MM_ENOMEM;
    char *val = n + nlen + 1;
    bool coded = false;
    make_value(val, value, vlen, &coded);
    /* The value is made now, so raw is never read: it must not keep the
     * caller's pointer, which may be a temporary. */
    *fd = (mm_field){.name = n, .val = val, .raw = NULL, .rawlen = 0, .arena = a,
                     .key = mm_field_key(n, nlen)};
    f->keys |= mm_field_key_bit(fd->key);
    f->n++;
    return MM_OK;
}

/*
 * A field whose value is made when first read, from value[0..vlen) (which
 * must stay).  A name found by field_name_len() holds no white space or NUL,
 * so it needs no trimming; in writable text it is ended in place (the byte
 * after it is the ':' or white space before it), not copied.
 */
static inline mm_status_t add_lazy(mm_arena *a, mm_fields *f, const char *name, size_t nlen,
                                   const char *value, size_t vlen, bool decode, bool writable,
                                   bool nul_free)
{
    mm_field *fd = grow(f);
    if (!fd)
        return MM_ENOMEM;
    char *n;
    if (writable) {
        n = (char *)name;
    } else {
        n = mm_arena_alloc(a, nlen + 1);
        if (!n)
            return MM_ENOMEM;
        memcpy(n, name, nlen);
    }
    n[nlen] = '\0';
    *fd = (mm_field){.name = n, .raw = value, .rawlen = vlen, .arena = a,
                     .key = mm_field_key(n, nlen), .decode = decode, .nul_free = nul_free};
    f->keys |= mm_field_key_bit(fd->key);
    f->n++;
    return MM_OK;
}

const char *mm_field_make_value(const mm_field *cf)
{
    /* Made once, on first read; the list is the caller's (malloc'd), so not really const. */
    mm_field *f = (mm_field *)cf;
    char *val = mm_arena_alloc(f->arena, f->rawlen + 1);
    if (!val)
        return "";
    bool coded = false;
    /* The block's line scan knew whether it held a NUL: most values need no search. */
    if (f->nul_free)
        mm_squeeze_copy(val, f->raw, f->rawlen, &coded);
    else
        make_value(val, f->raw, f->rawlen, &coded);
    if (coded && f->decode) { /* an encoded word or an 8-bit byte */
        char *dec = mm_msg_decode_header(f->arena, val);
        if (!dec)
            return "";
        val = dec;
    }
    f->val = val;
    return val;
}

/*
 * Length of the field name if the line p[0..end) starts with "Name:", else
 * 0; then *colon is the ':'.  The name's end is searched up to text_end,
 * the block's end: the line's end (an LF, or a CR before it) stops the
 * search as well, and short lines ("Action: failed") then go 16 bytes at a
 * time, not byte by byte.
 */
static size_t field_name_len(const char *p, const char *end, const char *text_end,
                             const char **colon)
{
    const char *q = mm_field_name_end(p, text_end);
    if (q == p || q >= end)
        return 0;
    if (*q == ':') { /* nearly every field: no white space before the ':' */
        *colon = q;
        return (size_t)(q - p);
    }
    const char *ne = q;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (q >= end || *q != ':')
        return 0;
    *colon = q;
    return (size_t)(ne - p);
}

/* The field being read: where its name and value (folded lines included) are. */
typedef struct pending {
    const char *name;
    size_t nlen;
    const char *v; /* start of the value, just after the ':' */
    const char *e; /* end of its last line (a folded line extends it) */
} pending;

static inline mm_status_t flush_field(mm_arena *a, mm_fields *f, pending *pf, bool decode,
                                      bool writable, const mm_lf_iter *it)
{
    mm_status_t st = MM_OK;
    /* A folded value's line breaks and leading white space are white space
     * the squeezer turns into the one space that joins the lines.  The
     * value ends at or before the last LF the scan handed out (or at the
     * block's end, after the scan ended): its NUL test covers it. */
    if (pf->name)
        st = add_lazy(a, f, pf->name, pf->nlen, pf->v, (size_t)(pf->e - pf->v), decode, writable,
                      !mm_lf_iter_nul(it));
    pf->name = NULL;
    return st;
}

/* Nothing but spaces and tabs in [p, le): a group edge.  The last byte
 * first: a folded line's indent (often 8 bytes or more) is then not read. */
static bool blank_line(const char *p, const char *le)
{
    if (le > p && le[-1] != ' ' && le[-1] != '\t')
        return false;
    for (; p < le; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    return true;
}

mm_status_t mm_fields_parse_block_as(mm_arena *a, const char *text, size_t len, mm_fields *f,
                                     bool decode, bool writable)
{
    const char *p = text, *end = text + len;
    pending pf = {NULL, 0, NULL, NULL};
    mm_status_t st = MM_OK;
    bool last_blank = true;
    /* Every line's LF in order: p is always just past the last one. */
    mm_lf_iter it;
    mm_lf_iter_init(&it, text, len);

    while (p < end && st == MM_OK) {
        const char *eol = mm_lf_iter_next(&it);
        const char *le = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (le > p && le[-1] == '\r')
            le--;
        /* A line that starts with neither space nor tab is neither blank
         * nor folded: most lines go to the field test after this one. */
        bool named = p < le && *p != ' ' && *p != '\t';
        if (!named && blank_line(p, le)) {
            st = flush_field(a, f, &pf, decode, writable, &it);
            if (!last_blank && st == MM_OK)
                st = mm_fields_add(a, f, "", 0, "", 0);
            last_blank = true;
        } else if (!named && pf.name) { /* a folded line */
            pf.e = le;
        } else {
            const char *colon = NULL;
            size_t k = field_name_len(p, le, end, &colon);
            st = flush_field(a, f, &pf, decode, writable, &it);
            if (k && st == MM_OK) {
                pf.name = p;
                pf.nlen = k;
                pf.v = colon + 1; /* the line's first ':' (a name holds none) */
                pf.e = le;
            }
            last_blank = false;
        }
        p = next;
    }
    if (st == MM_OK)
        st = flush_field(a, f, &pf, decode, writable, &it);
    return st;
}

mm_status_t mm_fields_parse_block(mm_arena *a, const char *text, size_t len, mm_fields *f)
{
    return mm_fields_parse_block_as(a, text, len, f, false, false);
}

mm_status_t mm_fields_parse_own_block(mm_arena *a, char *text, size_t len, mm_fields *f)
{
    return mm_fields_parse_block_as(a, text, len, f, false, true);
}
