/*
 * message_int.h - what message.c shares with the fast path (fastpath.c):
 * the walk that turns parts into an mm_msg, whichever parser found them, so
 * both paths fill an mm_msg by the same code.  Private to src/lib/message.
 */
#ifndef MM_MESSAGE_INT_H
#define MM_MESSAGE_INT_H

#include <gmime/gmime.h>
#include "message.h"

/*
 * Decoded bytes kept per kind of text (readable text, HTML, report parts):
 * a bounce says what it has to say in far less, and this bounds memory per
 * message whatever max_message_bytes is.
 */
#define MM_TEXT_MAX (1u << 20)

typedef struct mm_walk {
    mm_msg *m;
    const mm_limits *lim;
    mm_buf *orig_raw;       /* fields of the first attached message */
    mm_buf html;            /* text/html, used only when no text/plain was found */
    int in_attached;        /* > 0 while inside an attached message */
    mm_status_t st;
    /* The first HTML part when its bytes stay until mm_walk_finish() (the
     * sanitised copy's, or a decoded block handed over, then html_owned):
     * pointed to, not copied into html, which it is moved to only if
     * another HTML part follows.  NULL otherwise. */
    const char *html_ref;
    size_t html_ref_len;
    char *html_owned; /* g_malloc'd: html_ref's block, freed with it */
} mm_walk;

/*
 * a is the literal lit, in any ASCII case: mm_eq_ci_lit() for a lit with no
 * capital, n = strlen(lit), known where it is called (MM_MSG_EQ_LIT), so
 * the loop is unrolled and each byte costs a load, an OR of the case bit
 * (only where lit has a letter) and a compare; mm_eq_ci_lit() folded each
 * byte of a with a range test (~11 instructions a byte).  a is read no
 * further than it matches, so never past its NUL.
 */
static inline bool mm_msg_eq_lit(const char *a, const char *lit, size_t n)
{
#pragma GCC unroll 24
    for (size_t i = 0; i < n; i++) {
        unsigned char l = (unsigned char)lit[i];
        unsigned char fold = l >= 'a' && l <= 'z' ? 0x20 : 0;
        if (((unsigned char)a[i] | fold) != l)
            return false;
    }
    return a[n] == '\0';
}
#define MM_MSG_EQ_LIT(a, lit) mm_msg_eq_lit((a), "" lit, sizeof(lit) - 1)

/* The parser options every GMime call here uses (fallback charsets, loose RFC 2047). */
GMimeParserOptions *mm_msg_parser_options(void);

/* Where a leaf of this media type goes (NULL: nowhere); *headers_block for rfc822-headers. */
mm_buf *mm_walk_leaf_dst(mm_walk *w, const char *type, const char *sub, bool *headers_block);
/* Both walkers' first step for a leaf: its target (as mm_walk_leaf_dst(),
 * NULL type/sub meaning text/plain) and how many decoded bytes it may still
 * take; 0 when the leaf is not read at all. */
size_t mm_walk_leaf_room(mm_walk *w, const char *type, const char *sub, mm_buf **dst,
                         bool *headers_block);
/* A leaf's decoded content (at most MM_TEXT_MAX minus what dst holds) into
 * dst; no_cr: data is the sanitised copy's own bytes, so it holds no CR and
 * stays until mm_walk_finish().  own: NULL, or where the caller keeps data
 * as a g_malloc'd block it would free next; the walk may take the block
 * over (then *own is set to NULL). */
void mm_walk_leaf_put(mm_walk *w, mm_buf *dst, bool headers_block, const char *data, size_t len,
                      const char *cs, bool no_cr, char **own);
/* A multipart without any part: its prologue (the whole content, as GMime
 * reads it) is read as text outside attached messages; s is cut at a NUL. */
void mm_walk_empty_multipart(mm_walk *w, const char *s, size_t n);
/* Entering an attached message: the first one's header fields become m->orig. */
void mm_walk_attached_begin(mm_walk *w);
/* After the walk: HTML as text when there was no plain text; frees w->html. */
mm_status_t mm_walk_finish(mm_walk *w, mm_status_t st);

/* m->ctype and m->report_type from the top-level part's type (NULL: text/plain). */
void mm_msg_set_ctype(mm_msg *m, GMimeContentType *ct);
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* The first byte from p on that cannot be in a field name (a control, space,
 * 8-bit byte, DEL or ':'), or end; 16 bytes at a time.  Inline: every line
 * of every header block asks (the field splitter, the fast path's MIME
 * headers, the first line of a message), and a call cost about a fifth of
 * the answer. */
static inline const char *mm_field_name_end(const char *p, const char *end)
{
#ifdef __SSE2__
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed: below 33 are the controls, space and the 8-bit bytes */
        __m128i stop = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(33)),
                                    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(127)),
                                                 _mm_cmpeq_epi8(v, _mm_set1_epi8(':'))));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && *p > 32 && *p < 127 && *p != ':')
        p++;
    return p;
}

/* mm_fields_parse_block(), the values RFC 2047 decoded when decode is set;
 * writable: text is the caller's to change (names are ended in place). */
mm_status_t mm_fields_parse_block_as(mm_arena *a, const char *text, size_t len, mm_fields *f,
                                     bool decode, bool writable);
/* A squeezed header value with RFC 2047 words or 8-bit bytes decoded as GMime
 * would, in a (squeezed and trimmed again), or v itself when GMime would give
 * it back unchanged (valid UTF-8, no "=?"); NULL on out of memory. */
char *mm_msg_decode_header(mm_arena *a, char *v);
/* s[0..n) in charset (a name as in Content-Type) as UTF-8, *outlen bytes plus
 * a NUL, to g_free(); NULL when iconv would fail (no such charset, or a byte
 * it has no character for).  ISO-8859-1, WINDOWS-1252 and most ISO-2022-JP
 * are converted here without iconv, byte for byte as glibc's iconv does. */
char *mm_msg_convert(const char *s, size_t n, const char *charset, size_t *outlen);
/* The fields of one header block (see sanitize.c) into f, RFC 2047 decoded;
 * raw (one of m's raw blocks) is changed (names ended in place) and must
 * stay while f is read. */
mm_status_t mm_msg_collect_block(mm_msg *m, mm_buf *raw, mm_fields *f);

/*
 * The fast path: the MIME structure of the sanitised copy buf[0..len) read
 * here instead of by GMime's parser.  MM_OK: m is filled exactly as the
 * GMime path would fill it.  MM_ENOTFOUND: the message has a shape this path
 * does not handle, m is untouched apart from its arena and the caller must
 * use GMime.  Other errors as mm_msg_parse().  dashes: the sanitiser's,
 * for buf as it is (NULL, or lost: boundary lines are searched for).
 */
mm_status_t mm_msg_fast(mm_msg *m, const mm_limits *lim, const char *buf, size_t len,
                        mm_buf *head_raw, mm_buf *orig_raw, const mm_dashes *dashes);

#endif
