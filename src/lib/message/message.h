/*
 * message.h - one mail message reduced to what the bounce decoders need.
 *
 * The MIME structure of a sanitised copy that holds only the MIME header
 * fields (see sanitize.c) is read by fastpath.c, or by GMime's parser for
 * shapes the fast path leaves alone; GMime decodes transfer encodings,
 * RFC 2047 words and charsets either way.  The two header blocks we keep
 * are split by fields.c and decoded with GMime's word decoder.  This module flattens the result into
 * plain UTF-8 pieces:
 *   - the top-level header fields,
 *   - the human-readable text (every text/plain part outside an attached
 *     message, or text/html turned into text when there is no plain part),
 *   - the machine-readable report parts (message/delivery-status,
 *     message/feedback-report) as field blocks,
 *   - the header fields of the attached original message.
 * Nothing here knows what a bounce is.  GMime types never leave this module.
 */
#ifndef MM_MESSAGE_H
#define MM_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <mailmedic/ctx.h>
#include "../util/arena.h"
#include "../util/buf.h"
#include "../util/str.h"

typedef struct mm_field {
    const char *name;  /* as written, e.g. "Final-Recipient" */
    const char *val;   /* private: read it with mm_field_value() (NULL until first read) */
    const char *raw;   /* the value as written, folded lines included (not NUL-terminated) */
    size_t rawlen;
    mm_arena *arena;   /* where the value is made on first read */
    unsigned key;      /* mm_field_key(name): mm_fields_get compares names only when keys agree */
    bool decode;       /* RFC 2047 words and 8-bit bytes are decoded when the value is made */
    bool nul_free;     /* raw[0..rawlen) certainly holds no NUL (no search for one needed) */
} mm_field;

typedef struct mm_fields {
    mm_field *v;
    size_t n, cap;
    /* One bit (mm_field_key_bit()) for each key among v[0..n): a look-up of
     * a name not there ends without a scan.  May hold more bits than the
     * names there (a list emptied by n = 0 alone), never fewer; {0} is an
     * empty list. */
    uint64_t keys;
} mm_fields;

/*
 * Where the lines that begin "--" start in the sanitised copy (offsets, in
 * order), noted by the sanitiser, which looks at every such line anyway: the
 * fast path finds boundary lines from here instead of searching the copy.
 */
typedef struct mm_dashes {
    size_t *at;
    size_t n, cap;
    bool lost; /* out of memory: not all were noted */
} mm_dashes;

typedef struct mm_msg {
    mm_arena arena;       /* owns every string below */
    mm_fields head;       /* top-level header fields, RFC 2047 decoded */
    const char *ctype;    /* top-level media type, lower case, e.g. "multipart/report" */
    const char *report_type; /* report-type parameter, lower case, or "" */
    mm_buf text;          /* readable text of the bounce, UTF-8, LF line ends */
    mm_buf dsn;           /* raw text of message/delivery-status parts (may be empty) */
    bool has_dsn;
    mm_buf feedback;      /* raw text of message/feedback-report (ARF) */
    bool has_feedback;
    mm_fields orig;       /* header fields of the attached original message */
    bool has_orig;
    mm_buf orig_text;     /* text body of the attached message (short prefix) */
    size_t parts;         /* MIME parts seen */
    mm_buf head_raw;      /* the raw header blocks (sanitize.c) head's and orig's values are */
    mm_buf orig_raw;      /* made from when first read (see mm_field_value) */
    char *copy;           /* the sanitised copy's buffer (g_malloc'd), kept for the next */
    size_t copy_cap;      /* parse by mm_msg_recycle(), or NULL */
    mm_dashes dashes;     /* its "--" lines (kept like copy) */
} mm_msg;

/*
 * Parse bytes (LF, CRLF or CR line ends) into m.  On MM_OK the caller owns m
 * and frees it with mm_msg_free().  On error m is already freed.
 */
mm_status_t mm_msg_parse(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m);

/*
 * Which parser reads the MIME structure: AUTO is the fast path (fastpath.c)
 * with GMime's parser for the shapes it leaves alone, what mm_msg_parse()
 * does unless MAILMEDIC_MSG_PATH=gmime is set; GMIME is GMime's parser only;
 * FAST is the fast path only, MM_ENOTFOUND when it leaves the message alone.
 * Both paths give the same mm_msg (tests/message/fastcheck.c checks it).
 */
typedef enum { MM_MSG_PATH_AUTO, MM_MSG_PATH_GMIME, MM_MSG_PATH_FAST } mm_msg_path;
mm_status_t mm_msg_parse_path(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m,
                              mm_msg_path path);
void mm_msg_free(mm_msg *m);

/*
 * A parse that reuses the memory of the one before: m is zeroed (memset)
 * before its first use, emptied with mm_msg_recycle() after each parse,
 * whatever it returned, and freed with mm_msg_free() at the end.  Buffers,
 * field lists and arena blocks of the usual sizes are kept from one message
 * to the next, so a caller parsing many messages (one mm_msg per thread)
 * does not pay malloc and free for them every time.  Otherwise as
 * mm_msg_parse(), except that on error m is recycled, not freed.
 */
mm_status_t mm_msg_parse_again(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m);
void mm_msg_recycle(mm_msg *m);

/*
 * A cheap key of a field name: its length, first and last bytes (ASCII case
 * folded), equal for names strcasecmp() finds equal.  Inline, so that for
 * a literal name the compiler works it out.
 */
static inline unsigned mm_field_key(const char *name, size_t n)
{
    if (n == 0)
        return 0;
    /* | 0x20 folds the letters' case in one step; other bytes may share a
     * key ('@' and '`'), which only costs a strcasecmp() more */
    return (unsigned)n << 16 | (unsigned)((unsigned char)name[0] | 0x20) << 8 |
           ((unsigned char)name[n - 1] | 0x20);
}

/* The bit of a key in mm_fields.keys: the key's bits mixed by a
 * multiplication, its top 6 chosen (names of one length and first letter
 * differ in the last). */
static inline uint64_t mm_field_key_bit(unsigned key)
{
    return (uint64_t)1 << ((key * 0x9E3779B1u) >> 26);
}

/* The value of a field not read before (see mm_field_value). */
const char *mm_field_make_value(const mm_field *f);

/*
 * The field's value: unfolded, white space squeezed, trimmed, UTF-8.  Most
 * fields of most messages are never read, so a value is made (squeezed,
 * copied, decoded) only when first asked for; "" if memory runs out then.
 * Making it writes to the field and allocates in the message's arena even
 * through a const pointer: one message's fields must not be read from two
 * threads at once (the CLI gives each worker its own messages).
 */
static inline const char *mm_field_value(const mm_field *f)
{
    return f->val ? f->val : mm_field_make_value(f);
}

/* First value of the field with this name and key, or NULL; see mm_fields_get. */
const char *mm_fields_get_key(const mm_fields *f, const char *name, unsigned key);

/* Is f named name (case-insensitive)?  The keys first: most fields are not. */
static inline bool mm_field_is(const mm_field *f, const char *name)
{
    return f->key == mm_field_key(name, strlen(name)) && strcasecmp(f->name, name) == 0;
}

/* First value of a header (case-insensitive name) or NULL. */
static inline const char *mm_fields_get(const mm_fields *f, const char *name)
{
    return mm_fields_get_key(f, name, mm_field_key(name, strlen(name)));
}

/*
 * Split a block of "Name: value" lines (RFC 822 style, folded lines joined)
 * into fields, appending to f.  Blank lines separate groups: for each blank
 * line a field with name "" is appended, so callers can see group edges
 * (per-message vs per-recipient DSN blocks).  The values are made from text
 * when first read: text must outlive f (and a, which they are made in).
 */
mm_status_t mm_fields_parse_block(mm_arena *a, const char *text, size_t len, mm_fields *f);
/* The same for text that is the caller's to change: the names are ended in
 * place (the byte after a name is its ':' or white space), not copied. */
mm_status_t mm_fields_parse_own_block(mm_arena *a, char *text, size_t len, mm_fields *f);
mm_status_t mm_fields_add(mm_arena *a, mm_fields *f, const char *name, size_t nlen,
                          const char *value, size_t vlen);

/*
 * Copy bytes for GMime: LF line ends, header blocks and MIME nesting cut to
 * the limits, only the MIME fields of each header block (see sanitize.c).
 * out has room for len + 3 + MM_SANITIZE_SLACK bytes (the copy is never
 * longer than len + 3, with its NUL; the slack lets short lines be copied
 * as pieces of fixed size);
 * the copy's length is returned, and the caller's buffers head and orig hold
 * every field of the top header block and of the first attached message's,
 * one per line, folded lines kept as they were; dashes (emptied first) gets
 * where the copy's lines that begin "--" start.  any_cr: bytes holds a CR
 * (false lets the line loop take its runs; the caller has scanned for it).
 */
#define MM_SANITIZE_SLACK 128
size_t mm_msg_sanitize(const mm_limits *lim, const char *bytes, size_t len, bool any_cr,
                       char *out, mm_buf *head, mm_buf *orig, mm_dashes *dashes);

/* Process-wide GMime set-up; called by mm_ctx_create(), safe to call twice. */
void mm_msg_global_init(void);

#endif
