/*
 * sanitize.c - the one copy of a message made before GMime sees it.
 *
 * GMime trusts its input more than we can: it recurses once per nested
 * multipart or attached message, keeps every header field as an object, and
 * does not understand bare CR line ends.  So in one pass over the lines we
 *   - turn CRLF and bare CR into LF;
 *   - keep at most max_header_fields fields per header block and
 *     max_field_bytes bytes per field (RFC 5322 section 2.1.1 allows 998
 *     per line, so only hostile or broken mail loses anything);
 *   - follow the MIME structure (Content-Type and boundary lines, RFC 2046
 *     section 5.1.1) and drop any subtree nested deeper than max_mime_depth;
 *   - as a backstop that does not depend on reading the structure the way
 *     GMime does, stop copying after 4 * max_parts Content-Type lines, so
 *     GMime can never recurse deeper than that;
 *   - give GMime only the MIME fields (Content-*, MIME-Version) of each
 *     header block.  GMime makes a GObject of every header field, and
 *     creating and finalising those was half the time per message and, with
 *     threads, contended on GLib's global locks.  The fields of the two
 *     header blocks we read (the message's own and the first attached
 *     message's) are copied whole to side buffers instead.
 * The output is at most two bytes longer than the input (an end for the last
 * line and for an unfinished header block), so it is allocated once.
 */
#include "message.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

#define BOUNDARY_MAX 256 /* RFC 2046 allows 70; longer ones are kept unmatched */
#define CTYPE_MAX 1024   /* enough of a Content-Type value to find its boundary */
#define STACK_MAX 64     /* deeper than any max_mime_depth worth setting */
#define EMIT_PIECE 128   /* emit()'s fixed copy: at most MM_SANITIZE_SLACK */

/* One open container: a multipart (with its boundary) or an attached message. */
typedef struct frame {
    char boundary[BOUNDARY_MAX];
    size_t blen; /* 0: no usable boundary (attached message, or none given) */
} frame;

typedef struct san {
    const mm_limits *lim;
    const char *end; /* the input's end */
    char *out;
    size_t len;
    bool in_header;   /* inside a header block */
    size_t fields;    /* fields seen in this header block */
    size_t field_len; /* bytes kept of the current field */
    bool drop_field;  /* the current field went past a limit: drop the rest */
    bool in_ctype;    /* the current field is this block's Content-Type */
    size_t ctype_len;
    bool have_ctype;
    size_t skip_depth; /* > 0: dropping a too-deep subtree opened at this depth */
    size_t ctype_lines;
    bool cut;        /* backstop reached: copy nothing more */
    bool mime_field; /* the current field is one GMime needs */
    mm_buf *side;    /* where this header block's fields are copied, or NULL */
    const char *run; /* input bytes (whole lines with their LF) still to be copied to side */
    size_t run_len;
    bool lf_end;         /* the line being read ends with an LF in the input */
    const char *slow_to; /* header lines before this go line by line (plain_header_lines) */
    mm_buf *head, *orig;
    mm_dashes *dashes;
    bool orig_seen; /* the first attached message's header block was met */
    size_t depth;
    /* Not cleared at the start (17 KiB per message): written before being read. */
    char ctype[CTYPE_MAX];
    frame stack[STACK_MAX];
} san;

/* Lines up to 128 bytes (MIME fields, boundaries, nearly all that come
 * here, so the test is predicted) are copied as one piece of fixed size,
 * inline, not by a memcpy() call that branches on the size: the input has
 * the bytes (checked), and out has MM_SANITIZE_SLACK bytes of room past the
 * copy's end, which is never ahead of the input's offset. */
static inline void emit(san *s, const char *p, size_t n)
{
    if (n <= EMIT_PIECE && s->end - p >= EMIT_PIECE)
        memcpy(s->out + s->len, p, EMIT_PIECE);
    else
        memcpy(s->out + s->len, p, n);
    s->len += n;
    s->out[s->len++] = '\n';
}

/*
 * A body line that begins "--" is about to be emitted: note where (see
 * mm_dashes).  Body lines are the only ones in the copy that can begin so
 * (the header lines kept begin with a MIME field's name or white space),
 * and every body line that begins with '-' comes through line().
 */
static void note_dash(san *s, const char *p, size_t n)
{
    mm_dashes *d = s->dashes;
    if (n < 2 || p[0] != '-' || p[1] != '-' || d->lost)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        size_t *v = realloc(d->at, cap * sizeof *v);
        if (!v) {
            d->lost = true;
            return;
        }
        d->at = v;
        d->cap = cap;
    }
    d->at[d->n++] = s->len;
}

/* Room a side buffer takes at once: most header blocks fit, so it is not
 * grown from 64 bytes by doubling (7 reallocs per message). */
#define SIDE_START 8192

/* The lines gathered in s->run into the side buffer. */
static void side_flush(san *s)
{
    if (s->run_len && s->side && mm_buf_append(s->side, s->run, s->run_len) != MM_OK)
        s->side = NULL; /* out of memory: fewer fields, as when a limit is reached */
    s->run_len = 0;
}

/*
 * A kept header line (with a line end) for the side buffer.  Lines that
 * follow each other in the input with an LF each are copied as one run: in
 * text without CR, that is a whole header block in one append.
 */
static void side_add(san *s, const char *p, size_t n, bool whole)
{
    if (whole && s->run_len && s->run + s->run_len == p) {
        s->run_len += n + 1;
        return;
    }
    side_flush(s);
    if (whole) {
        s->run = p;
        s->run_len = n + 1;
    } else if (s->side &&
               (mm_buf_append(s->side, p, n) != MM_OK || mm_buf_putc(s->side, '\n') != MM_OK)) {
        s->side = NULL;
    }
}

static void start_header_block(san *s, mm_buf *side)
{
    side_flush(s);
    if (side && side->cap == 0)
        (void)mm_buf_reserve(side, SIDE_START); /* a failure shows at the first append */
    s->side = side;
    s->in_header = true;
    s->fields = 0;
    s->field_len = 0;
    s->mime_field = false; /* a block that starts with a folded line gives GMime nothing */
    s->drop_field = false;
    s->in_ctype = false;
    s->have_ctype = false;
    s->ctype_len = 0;
}

static void ctype_append(san *s, const char *p, size_t n)
{
    size_t room = CTYPE_MAX - 1 - s->ctype_len;
    if (n > room)
        n = room;
    memcpy(s->ctype + s->ctype_len, p, n);
    s->ctype_len += n;
    s->ctype[s->ctype_len] = '\0';
}

/* The boundary parameter of a Content-Type value (RFC 2045 section 5.1), quoted or not. */
static size_t find_boundary(const char *v, char *out)
{
    /* Measured once (the value may hold a NUL of the input: it ends there). */
    const char *end = v + strlen(v);
    const char *p = mm_memcasemem(v, (size_t)(end - v), "boundary", 8);
    while (p && p > v && p[-1] != ';' && p[-1] != ' ' && p[-1] != '\t')
        p = mm_memcasemem(p + 1, (size_t)(end - p - 1), "boundary", 8);
    if (!p)
        return 0;
    p += 8;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p++ != '=')
        return 0;
    while (*p == ' ' || *p == '\t')
        p++;
    bool quoted = *p == '"';
    if (quoted)
        p++;
    /* libc's vector searches: boundaries are 30-70 bytes long */
    size_t n = quoted ? (size_t)(strchrnul(p, '"') - p) : strcspn(p, "; \t");
    if (n == 0 || n >= BOUNDARY_MAX)
        return 0;
    memcpy(out, p, n);
    return n;
}

/* Where the letters are in "multipart"/"message/" (mm_eq_ci_word). */
#define FOLD_8_LETTERS "\x20\x20\x20\x20\x20\x20\x20\x20"
#define FOLD_7_LETTERS_1 "\x20\x20\x20\x20\x20\x20\x20\x00"

/* The Content-Type value v (n bytes) begins "multipart/", in any case: word
 * compares, as for field names (the first two letters first: most blocks
 * are text/..., and v[1] is read only after an 'm'). */
static bool is_multipart(const char *v, size_t n)
{
    return mm_lower(v[0]) == 'm' && mm_lower(v[1]) == 'u' && n >= 10 &&
           mm_eq_ci_word(v, "multipar", FOLD_8_LETTERS, 8) &&
           mm_eq_ci_word(v + 8, "t/", "\x20\x00", 2);
}

/* v begins "message/rfc822", "message/global" or "message/news": an
 * attached message whose body is a header block again. */
static bool is_attached_message(const char *v, size_t n)
{
    if (mm_lower(v[0]) != 'm' || mm_lower(v[1]) != 'e' || n < 12 ||
        !mm_eq_ci_word(v, "message/", FOLD_7_LETTERS_1, 8))
        return false;
    const char *t = v + 8;
    return (n >= 14 && (mm_eq_ci_word(t, "rfc822", "\x20\x20\x20\x00\x00\x00", 6) ||
                        mm_eq_ci_word(t, "global", FOLD_8_LETTERS, 6))) ||
           mm_eq_ci_word(t, "news", FOLD_8_LETTERS, 4);
}

/*
 * A header block ended: open a container if its Content-Type says so.
 * Returns true when the body that follows is itself a header block
 * (an attached message).
 */
static bool end_header_block(san *s)
{
    s->in_header = false;
    if (!s->have_ctype || s->skip_depth)
        return false;
    const char *v = s->ctype;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = s->ctype_len - (size_t)(v - s->ctype);
    bool multi = is_multipart(v, n);
    bool message = !multi && is_attached_message(v, n);
    if (!multi && !message)
        return false;
    if (s->depth + 1 > s->lim->max_mime_depth || s->depth + 1 >= STACK_MAX) {
        s->skip_depth = s->depth + 1;
        return false;
    }
    frame *f = &s->stack[s->depth++];
    f->blen = multi ? find_boundary(v, f->boundary) : 0;
    return message;
}

/* "--boundary" or "--boundary--", then optional white space. */
static int boundary_kind(const char *p, size_t n, const frame *f)
{
    if (n < f->blen + 2 || memcmp(p + 2, f->boundary, f->blen) != 0)
        return 0;
    size_t i = f->blen + 2;
    int kind = 1;
    if (n - i >= 2 && p[i] == '-' && p[i + 1] == '-') {
        i += 2;
        kind = 2;
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t')
            return 0;
    return kind;
}

/* A "--" line in a body: close containers down to the one whose boundary it is. */
static bool body_boundary(san *s, const char *p, size_t n)
{
    for (size_t k = s->depth; k-- > 0;) {
        if (s->stack[k].blen == 0)
            continue;
        int kind = boundary_kind(p, n, &s->stack[k]);
        if (!kind)
            continue;
        s->depth = kind == 2 ? k : k + 1;
        if (s->skip_depth > s->depth)
            s->skip_depth = 0;
        if (kind == 1)
            start_header_block(s, NULL);
        return true;
    }
    return false;
}

/* "Content-" at p, in any case (8 bytes there). */
static bool is_content_field(const char *p)
{
    return mm_eq_ci_word(p, "content-", "\x20\x20\x20\x20\x20\x20\x20\x00", 8);
}

/* "Content-Type:" at p, in any case (13 bytes there). */
static bool is_ctype_field(const char *p)
{
    return is_content_field(p) && mm_eq_ci_word(p + 8, "type:", "\x20\x20\x20\x20\x00", 5);
}

/* "MIME-Version:" at p, in any case (13 bytes there). */
static bool is_mime_version_field(const char *p)
{
    return mm_eq_ci_word(p, "mime-ver", "\x20\x20\x20\x20\x00\x20\x20\x20", 8) &&
           mm_eq_ci_word(p + 8, "sion:", "\x20\x20\x20\x20\x00", 5);
}

static void header_line(san *s, const char *p, size_t n)
{
    size_t max_field = s->lim->max_field_bytes;
    bool whole = s->lf_end; /* the input holds p[0..n) and its LF as the side buffer will */
    if (p[0] == ' ' || p[0] == '\t') {
        if (s->drop_field)
            return;
        if (s->field_len + n > max_field) {
            s->drop_field = true;
            return;
        }
    } else {
        s->in_ctype = false;
        s->drop_field = ++s->fields > s->lim->max_header_fields;
        if (s->drop_field)
            return;
        s->field_len = 0;
        /* the first byte first: most fields are neither */
        char c0 = mm_lower(p[0]);
        s->mime_field = (c0 == 'c' && n > 8 && is_content_field(p)) ||
                        (c0 == 'm' && n > 13 && is_mime_version_field(p));
        if (s->mime_field && !s->have_ctype && n > 13 && is_ctype_field(p)) {
            s->have_ctype = s->in_ctype = true;
            ctype_append(s, p + 13, n - 13);
        }
        if (n > max_field) {
            n = max_field;
            s->drop_field = true;
            whole = false;
        }
    }
    if (s->in_ctype && s->field_len)
        ctype_append(s, p, n);
    s->field_len += n;
    if (s->skip_depth)
        return;
    if (s->mime_field)
        emit(s, p, n);
    if (s->side)
        side_add(s, p, n, whole);
}

static void line(san *s, const char *p, size_t n)
{
    if (n >= 13 && (p[0] == 'C' || p[0] == 'c') && is_ctype_field(p) &&
        ++s->ctype_lines > 4 * s->lim->max_parts) {
        s->cut = true;
        return;
    }
    if (s->in_header && n > 0) {
        header_line(s, p, n);
        return;
    }
    if (s->in_header) {
        bool nested_header = end_header_block(s);
        if (!s->skip_depth)
            emit(s, p, 0);
        if (nested_header) {
            start_header_block(s, s->orig_seen ? NULL : s->orig);
            s->orig_seen = true;
        }
        return;
    }
    /* A matching boundary always ends a skipped subtree: nothing deeper was opened. */
    if (n >= 2 && p[0] == '-' && p[1] == '-' && s->depth && body_boundary(s, p, n)) {
        note_dash(s, p, n);
        emit(s, p, n);
        return;
    }
    if (!s->skip_depth) {
        if (n >= 2 && p[0] == '-')
            note_dash(s, p, n);
        emit(s, p, n);
    }
}

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The first CR or LF in [p, end), or end. */
#ifdef __SSE2__
/* The CR and LF bits of the 16 bytes at p. */
static inline unsigned cr_lf_16(const char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
}
#endif

/* Every line of a message with a CR comes here: as in lf_in(), the first
 * 64 bytes are tested at once (one predicted test for most lines). */
static const char *cr_or_lf(const char *p, const char *end)
{
#ifdef __SSE2__
    if (end - p >= 64) {
        uint64_t m = (uint64_t)cr_lf_16(p) | (uint64_t)cr_lf_16(p + 16) << 16 |
                     (uint64_t)cr_lf_16(p + 32) << 32 | (uint64_t)cr_lf_16(p + 48) << 48;
        if (m)
            return p + __builtin_ctzll(m);
        p += 64;
    }
    for (; end - p >= 16; p += 16) {
        unsigned m = cr_lf_16(p);
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && *p != '\n' && *p != '\r')
        p++;
    return p;
}

/* The first LF in [p, end), or end: lines that go one by one are short
 * (a MIME field, a boundary, a block's end), and this costs less than a
 * call to memchr() for them. */
static const char *lf_in(const char *p, const char *end)
{
#ifdef __SSE2__
    /* Most such lines are shorter than 64 bytes: one test for the first
     * 64 (mm_lf_mask64()) is predicted, a 16-byte loop's end was not. */
    if (end - p >= 64) {
        unsigned nul = 0;
        uint64_t m = mm_lf_mask64(p, &nul);
        if (m)
            return p + __builtin_ctzll(m);
        p += 64;
    }
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')));
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && *p != '\n')
        p++;
    return p;
}

/*
 * Whole body lines from b (b[0] not 'C', 'c' or '-') up to the first line
 * that starts with one of those (a Content-Type line counts towards the
 * backstop, a "--" line may be a boundary) or up to the last LF in
 * b[0..n): line() would only copy them.  0 when no line ends in b.
 * For text without CR.
 */
static size_t plain_body_lines(const char *b, size_t n)
{
    size_t i = mm_lf_then(b, n, 'C', 'c', '-');
    if (i < n)
        return i + 1;
    const char *last = n ? memrchr(b, '\n', n) : NULL;
    return last ? (size_t)(last - b) + 1 : 0;
}

/*
 * The line at q, where mm_line_run_ci() stopped, is a plain field all the
 * same: it begins with 'C', 'c', 'M' or 'm' (Message-ID, CC...) but not
 * "Content-" or "MIME-Ver", so header_line() would neither give it to GMime
 * nor count it as a Content-Type line.  14 bytes must be there for the
 * compares (q may be end: the run ended with the input); nearer the end,
 * the line goes the slow way.
 */
static bool plain_c_or_m(const char *q, const char *end)
{
    if (end - q < 14)
        return false;
    char f = (char)(q[0] | 0x20);
    if (f != 'c' && f != 'm')
        return false;
    return f == 'c' ? !is_content_field(q)
                    : !mm_eq_ci_word(q, "mime-ver", "\x20\x20\x20\x20\x00\x20\x20\x20", 8);
}

/*
 * Whole header lines from p (a field's first line, p[0] none of the stops
 * below) that header_line() would only count and add to the side buffer:
 * up to the first line that may be a MIME field or a Content-Type line (it
 * starts with 'C', 'c', 'M' or 'm' and plain_c_or_m() cannot tell it is
 * not) or ends the block (LF; '*' is found with it), when no limit is near.
 * Their fields are counted by vector scans instead of a memchr() and ~135
 * instructions of tests a line.  0 when they go line by line; s->slow_to
 * then keeps the lines a scan has seen from being scanned again (hostile
 * blocks of many short fields).  For text without CR.
 */
static size_t plain_header_lines(san *s, const char *p, const char *end)
{
    size_t run = 0, fields = 0;
    for (;;) {
        size_t starts;
        size_t more = mm_line_run_ci(p + run, (size_t)(end - p) - run, 'c', 'm', '*', &starts);
        if (!more) {
            if (!run)
                s->slow_to = end;
            break;
        }
        run += more;
        fields += 1 + starts;
        if (!plain_c_or_m(p + run, end))
            break;
    }
    if (!run)
        return 0;
    /* The run's fields hold fewer than run bytes (its LFs are not counted). */
    if (s->fields + fields > s->lim->max_header_fields || run > s->lim->max_field_bytes) {
        s->slow_to = p + run;
        return 0;
    }
    s->fields += fields;
    s->mime_field = s->in_ctype = s->drop_field = false;
    s->field_len = 0; /* not read: the next line starts a field or ends the block */
    if (!s->skip_depth && s->side) {
        if (s->run_len && s->run + s->run_len == p) {
            s->run_len += run;
        } else {
            side_flush(s);
            s->run = p;
            s->run_len = run;
        }
    }
    return run;
}

/* p[0] may start a run for plain_header_lines(). */
static bool plain_field_start(const san *s, const char *p)
{
    char f = (char)(p[0] | 0x20);
    return p >= s->slow_to && p[0] != ' ' && p[0] != '\t' && f != 'c' && f != 'm' && f != '*';
}

/* Split on LF, CRLF and bare CR; a last line without an end is kept. */
static void split_lines(san *s, const char *p, size_t n, bool any_cr)
{
    const char *end = p + n;
    while (p < end && !s->cut) {
        if (!any_cr && s->in_header && plain_field_start(s, p)) {
            size_t run = plain_header_lines(s, p, end);
            if (run) {
                p += run;
                continue;
            }
        } else if (!any_cr && !s->in_header && p[0] != 'C' && p[0] != 'c' && p[0] != '-') {
            size_t run = plain_body_lines(p, (size_t)(end - p));
            if (run) { /* copied (or dropped) as line() would, line by line */
                if (!s->skip_depth) {
                    memcpy(s->out + s->len, p, run);
                    s->len += run;
                }
                p += run;
                continue;
            }
        }
        const char *eol = any_cr ? cr_or_lf(p, end) : lf_in(p, end);
        s->lf_end = eol < end && *eol == '\n';
        line(s, p, (size_t)(eol - p));
        if (eol < end && *eol == '\r' && eol + 1 < end && eol[1] == '\n')
            eol++;
        p = eol + 1;
    }
    /*
     * A message cut inside a header block (truncated at the size limit, or
     * just broken) still has fields worth reading; GMime rejects a header
     * that never ends, so end it here.
     */
    if (s->in_header && !s->cut && !s->skip_depth)
        emit(s, p, 0);
}

size_t mm_msg_sanitize(const mm_limits *lim, const char *bytes, size_t len, bool any_cr,
                       char *buf, mm_buf *head, mm_buf *orig, mm_dashes *dashes)
{
    san state; /* 17 KiB on the stack: a heap block per message cost more */
    san *s = &state;
    memset(s, 0, offsetof(san, ctype));
    s->ctype[0] = '\0';
    s->lim = lim;
    s->end = bytes + len;
    s->out = buf;
    s->head = head;
    s->orig = orig;
    s->dashes = dashes;
    s->slow_to = bytes;
    dashes->n = 0;
    dashes->lost = false;
    start_header_block(s, head);
    split_lines(s, bytes, len, any_cr);
    side_flush(s);
    buf[s->len] = '\0';
    return s->len;
}
