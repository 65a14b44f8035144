/*
 * message.c - flatten a GMime parse tree into an mm_msg (see message.h).
 *
 * Steps: reject empty/binary/non-mail input early; make the one sanitised
 * copy (LF line ends, header and nesting limits: sanitize.c); read its MIME
 * structure with the fast path (fastpath.c) or, for shapes that path leaves
 * alone, hand the copy to GMime's stream (so the bytes are not copied again)
 * and parse with GMime using fallback charsets common in our users' mail
 * (UTF-8, GB18030, ISO-8859-1); walk the parts with depth and part limits,
 * turning every readable text into UTF-8.  The leaf, attached-message and
 * HTML steps of the walk are shared with the fast path (message_int.h).
 *
 * Speed: this is most of the time spent per message, so the parser options
 * are made once per process, header values that need no decoding are taken
 * raw, ASCII text is not run through iconv, and iconv descriptors come from
 * GMime's cache instead of being opened (and dlopen()ed) per part.
 */
#include "message.h"
#include "message_int.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../util/str.h"
#include "jis0208.h" /* jis0208_ucs, for iso2022jp_utf8() */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/* Read-only after creation, so shared by every thread, like GMime's own set-up. */
static GMimeParserOptions *parser_opts;

/* MAILMEDIC_MSG_PATH=gmime turns the fast path off (to compare, or to rule it out). */
static bool fast_enabled = true;

GMimeParserOptions *mm_msg_parser_options(void)
{
    return parser_opts;
}

/*
 * glibc loads an iconv module when a descriptor needs it and unloads it when
 * the last such descriptor is closed, so converting one part at a time
 * mapped and unmapped GB18030.so (and friends) for every message; with
 * threads each munmap() also stalls the other CPUs (TLB shootdown).  One
 * descriptor per common charset, opened once and never used or closed,
 * keeps the modules loaded for GMime's conversions and ours.
 */
static GIConv pinned[17]; /* reachable, so leak checkers see no leak */

static void pin_iconv_modules(void)
{
    static const char *const charsets[] = {
        "GB18030",      "GBK",    "GB2312",     "BIG5",       "ISO-2022-JP", "SHIFT_JIS",
        "EUC-JP",       "EUC-KR", "ISO-8859-1", "ISO-8859-2", "ISO-8859-15", "WINDOWS-1252",
        "WINDOWS-1251", "KOI8-R", "UTF-16",     "UTF-7",      "HZ-GB-2312"};
    G_STATIC_ASSERT(sizeof charsets / sizeof charsets[0] == sizeof pinned / sizeof pinned[0]);
    for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
        pinned[i] = g_iconv_open("UTF-8", charsets[i]);
}

/*
 * GObject creates each class on first use, thread-safely but behind locks
 * that thread checkers cannot see; making every class we use here, before
 * any thread starts, keeps ThreadSanitizer runs of --jobs quiet.
 */
static void warm_up_types(void)
{
    const GType types[] = {
        GMIME_TYPE_PARSER,       GMIME_TYPE_MESSAGE,       GMIME_TYPE_MULTIPART,
        GMIME_TYPE_PART,         GMIME_TYPE_TEXT_PART,     GMIME_TYPE_MESSAGE_PART,
        GMIME_TYPE_STREAM_MEM,   GMIME_TYPE_STREAM_FILTER, GMIME_TYPE_FILTER_BASIC,
        GMIME_TYPE_DATA_WRAPPER, GMIME_TYPE_CONTENT_TYPE,  GMIME_TYPE_HEADER_LIST};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        g_type_class_unref(g_type_class_ref(types[i]));
}

static void gmime_init_once(void)
{
    static const char *fallback[] = {"UTF-8", "GB18030", "ISO-8859-1", NULL};
    g_mime_init();
    pin_iconv_modules();
    warm_up_types();
    parser_opts = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(parser_opts, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(parser_opts, GMIME_RFC_COMPLIANCE_LOOSE);
    const char *path = getenv("MAILMEDIC_MSG_PATH");
    fast_enabled = !(path && strcmp(path, "gmime") == 0);
}

void mm_msg_global_init(void)
{
    pthread_once(&gmime_once, gmime_init_once);
}

void mm_msg_free(mm_msg *m)
{
    free(m->head.v);
    free(m->orig.v);
    mm_buf_free(&m->text);
    mm_buf_free(&m->dsn);
    mm_buf_free(&m->feedback);
    mm_buf_free(&m->orig_text);
    mm_buf_free(&m->head_raw);
    mm_buf_free(&m->orig_raw);
    g_free(m->copy);
    free(m->dashes.at);
    mm_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

/*
 * What mm_msg_recycle() keeps of a buffer: what most messages need, so a
 * large message's memory is not held for good (one mm_msg per thread).
 */
#define KEEP_BYTES (256u << 10)
#define KEEP_FIELDS 1024

static void recycle_buf(mm_buf *b)
{
    if (b->cap > KEEP_BYTES)
        mm_buf_free(b);
    else
        mm_buf_reset(b);
}

static void recycle_fields(mm_fields *f)
{
    if (f->cap > KEEP_FIELDS) {
        free(f->v);
        f->v = NULL;
        f->cap = 0;
    }
    f->n = 0;
    f->keys = 0;
}

void mm_msg_recycle(mm_msg *m)
{
    recycle_fields(&m->head);
    recycle_fields(&m->orig);
    recycle_buf(&m->text);
    recycle_buf(&m->dsn);
    recycle_buf(&m->feedback);
    recycle_buf(&m->orig_text);
    recycle_buf(&m->head_raw);
    recycle_buf(&m->orig_raw);
    if (m->dashes.cap > KEEP_FIELDS) {
        free(m->dashes.at);
        memset(&m->dashes, 0, sizeof m->dashes);
    }
    if (m->copy_cap > KEEP_BYTES) {
        g_free(m->copy);
        m->copy = NULL;
        m->copy_cap = 0;
    }
    mm_arena_reset(&m->arena);
    m->ctype = m->report_type = NULL;
    m->has_dsn = m->has_feedback = m->has_orig = false;
    m->parts = 0;
}

/* A message starts with a header field (optionally after an mbox "From " line).
 * first_nul: the first NUL of s[0..n), or NULL (found by the caller's scan). */
static mm_status_t sniff(const char *s, size_t n, const char *first_nul)
{
    if (n == 0)
        return MM_EEMPTY;
    /* Binary: a NUL among the header fields, or NULs making up more than 1%
     * of the first 64 KiB.  A stray NUL in a body (some gateways append one)
     * does not make a bounce unreadable; mm_msg_parse() drops such bytes. */
    size_t probe = n < 65536 ? n : 65536, nuls = 0;
    const char *nul = first_nul && first_nul < s + probe ? first_nul : NULL;
    if (nul) { /* rare: only then is the header's end needed */
        /* mm_memcasemem, not memmem: glibc's looks at every byte for a 2-byte needle */
        const char *head_end = mm_memcasemem(s, probe, "\n\n", 2);
        size_t head_len = head_end ? (size_t)(head_end - s) : probe;
        if ((size_t)(nul - s) < head_len)
            return MM_EBINARY;
        for (const char *p = nul; p; p = memchr(p + 1, '\0', probe - (size_t)(p + 1 - s)))
            nuls++;
        if (nuls > probe / 100)
            return MM_EBINARY;
    }
    size_t i = 0;
    while (i < n && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' || s[i] == '\t'))
        i++;
    if (n - i >= 5 && memcmp(s + i, "From ", 5) == 0) {
        const char *nl = memchr(s + i, '\n', n - i);
        if (!nl)
            return MM_ENOTMAIL;
        i = (size_t)(nl - s) + 1;
    }
    size_t j = (size_t)(mm_field_name_end(s + i, s + n) - s);
    if (j == i || j >= n || s[j] != ':')
        return MM_ENOTMAIL;
    return MM_OK;
}

/* Charsets whose text can be all ASCII bytes and still need converting. */
static bool seven_bit_encoding(const char *cs)
{
    size_t n = strlen(cs); /* once, not twice for each of six searches */
    return mm_memcasemem(cs, n, "2022", 4) || mm_memcasemem(cs, n, "utf-7", 5) ||
           mm_memcasemem(cs, n, "hz", 2) || mm_memcasemem(cs, n, "16", 2) ||
           mm_memcasemem(cs, n, "32", 2) || mm_memcasemem(cs, n, "ucs", 3);
}

/* Code point u (in the BMP) as UTF-8 at o; the bytes written. */
static size_t put_utf8(char *o, unsigned u)
{
    if (u < 0x80) {
        o[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        o[0] = (char)(0xC0 | u >> 6);
        o[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    o[0] = (char)(0xE0 | u >> 12);
    o[1] = (char)(0x80 | (u >> 6 & 0x3F));
    o[2] = (char)(0x80 | (u & 0x3F));
    return 3;
}

/*
 * ISO-2022-JP (RFC 1468) to UTF-8 without iconv, for the shape most
 * Japanese mail has: ASCII and JIS X 0208, switched by "ESC ( B", "ESC $ @"
 * and "ESC $ B" -- most of what iconv converted here, at ~40 instructions a
 * byte in glibc's converter.  Read as that converter reads it: in the
 * two-byte sets a control byte or DEL stands for itself, two bytes from
 * 0x21-0x7E are one character (jis0208.h, generated from the converter).
 * Anything else -- another escape sequence, an 8-bit byte, a pair the table
 * lacks, half a pair -- returns NULL, and iconv reads the text as before.
 */
static char *iso2022jp_utf8(const char *s, size_t n, size_t *outlen)
{
    /* a pair (2 bytes) becomes at most 3, any other byte 1 */
    char *out = g_malloc(n + n / 2 + 1);
    size_t o = 0;
    bool two = false; /* in a two-byte set */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x1B) {
            if (n - i >= 3 && s[i + 1] == '(' && s[i + 2] == 'B')
                two = false;
            else if (n - i >= 3 && s[i + 1] == '$' && (s[i + 2] == '@' || s[i + 2] == 'B'))
                two = true;
            else
                goto refuse;
            i += 3;
        } else if (c >= 0x80) {
            goto refuse;
        } else if (!two) {
            /* most of the text: runs of plain ASCII up to the next escape
             * (another control byte, or DEL, is a run of one: itself) */
            size_t run = mm_plain_text_span(s + i, n - i);
            if (run == 0)
                run = 1;
            memcpy(out + o, s + i, run);
            o += run;
            i += run;
        } else if (c < 0x21 || c == 0x7F) {
            out[o++] = (char)c;
            i++;
        } else {
            unsigned char d = i + 1 < n ? (unsigned char)s[i + 1] : 0;
            unsigned u = d >= 0x21 && d <= 0x7E ? jis0208_ucs[(c - 0x21) * 94 + (d - 0x21)] : 0;
            if (!u)
                goto refuse;
            o += put_utf8(out + o, u);
            i += 2;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
refuse:
    g_free(out);
    return NULL;
}

/*
 * WINDOWS-1252's bytes 0x80-0x9F (the rest is ISO-8859-1), as glibc's CP1252
 * converter maps them; 0 for the five it has no character for (0x81, 0x8D,
 * 0x8F, 0x90, 0x9D), where it fails the whole conversion.
 */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

/*
 * ISO-8859-1 (c1 NULL) or WINDOWS-1252 (c1 = cp1252_c1) to UTF-8 without
 * iconv: a byte below 0x80 stays, and any other is one code point (its value,
 * or c1's for 0x80-0x9F), so at most three bytes; NULL, as from iconv, for a
 * byte c1 has no character for.  iconv took ~20 instructions a byte here (two
 * steps through its internal UCS-4) and ~3.4 k to look up its descriptor.
 */
static char *single_byte_utf8(const char *s, size_t n, const uint16_t *c1, size_t *outlen)
{
    char *out = g_malloc((c1 ? 3 : 2) * n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t run = mm_plain_text_span(s + i, n - i); /* printable ASCII, tab, LF, CR */
        memcpy(out + o, s + i, run);
        o += run;
        i += run;
        if (i < n) {
            unsigned u = (unsigned char)s[i++];
            if (c1 && u >= 0x80 && u < 0xA0 && !(u = c1[u - 0x80])) {
                g_free(out);
                return NULL;
            }
            o += put_utf8(out + o, u);
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* g_convert() with a cached descriptor; NULL when the bytes are not in charset. */
char *mm_msg_convert(const char *s, size_t n, const char *charset, size_t *outlen)
{
    if (MM_MSG_EQ_LIT(charset, "iso-8859-1"))
        return single_byte_utf8(s, n, NULL, outlen);
    if (MM_MSG_EQ_LIT(charset, "windows-1252"))
        return single_byte_utf8(s, n, cp1252_c1, outlen);
    if (MM_MSG_EQ_LIT(charset, "iso-2022-jp")) {
        /* glibc's ISO-2022-JP converter fails on any 8-bit byte, in every
         * set and mid-pair (tested for every byte after every escape): such
         * text is mostly Shift_JIS or EUC-JP under the wrong name, which the
         * caller's fallbacks read.  Not opening a descriptor for it saves
         * ~3.4 k and the conversion up to the byte. */
        if (!mm_ascii(s, n))
            return NULL;
        char *conv = iso2022jp_utf8(s, n, outlen);
        if (conv)
            return conv;
    }
    iconv_t cd = g_mime_iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return NULL;
    g_iconv(cd, NULL, NULL, NULL, NULL); /* a cached descriptor may hold shift state */
    gsize w = 0;
    char *conv = g_convert_with_iconv(s, (gssize)n, cd, NULL, &w, NULL);
    g_mime_iconv_close(cd);
    *outlen = w;
    return conv;
}

/* Convert bytes in charset (may be NULL) to UTF-8 and append, dropping CRs. */
/*
 * ISO-2022 text (ISO-2022-JP above all: most Japanese mail) that never
 * leaves ASCII -- no ESC, no SO or SI, only printable bytes, tab and line
 * ends -- converts to itself: iconv is not asked (a descriptor and a copy
 * per part cost more than the rest of the part's reading).
 */
static bool iso2022_plain(const char *charset, const char *s, size_t n)
{
    return mm_strcasestr(charset, "2022") && mm_plain_text_span(s, n) == n;
}

/* no_cr: s holds no CR (bytes of the sanitised copy, which has none), so
 * unless a charset conversion made new text, no search for CRs is needed. */
static mm_status_t append_utf8(mm_buf *out, const char *s, size_t n, const char *charset,
                               bool no_cr)
{
    char *conv = NULL;
    size_t w = 0;
    if (n == 0)
        return MM_OK;
    if (!mm_utf8_valid(s, n)) {
        static const char *const tries[] = {NULL, "GB18030", "WINDOWS-1252"};
        for (size_t i = 0; i < 3 && !conv; i++) {
            const char *cs = i == 0 ? charset : tries[i];
            if (cs && *cs)
                conv = mm_msg_convert(s, n, cs, &w);
        }
        if (!conv) {
            conv = g_utf8_make_valid(s, (gssize)n);
            w = strlen(conv);
        }
        s = conv;
        n = w;
    } else if (charset && *charset && !MM_MSG_EQ_LIT(charset, "utf-8") &&
               !MM_MSG_EQ_LIT(charset, "us-ascii") &&
               (!mm_ascii(s, n) || seven_bit_encoding(charset)) && !iso2022_plain(charset, s, n)) {
        /* Valid UTF-8 bytes can still be another charset (ISO-2022-JP is 7-bit). */
        conv = mm_msg_convert(s, n, charset, &w);
        if (conv) {
            s = conv;
            n = w;
        }
    }
    mm_status_t st = mm_buf_reserve(out, n + 1);
    if (st == MM_OK && no_cr && !conv) {
        memcpy(out->data + out->len, s, n);
        out->len += n;
    } else if (st == MM_OK) {
        for (size_t i = 0; i < n;) { /* copy the runs between CRs */
            const char *cr = memchr(s + i, '\r', n - i);
            size_t run = cr ? (size_t)(cr - (s + i)) : n - i;
            memcpy(out->data + out->len, s + i, run);
            out->len += run;
            i += run + (cr != NULL);
        }
    }
    if (st == MM_OK) {
        if (out->len && out->data[out->len - 1] != '\n')
            out->data[out->len++] = '\n';
        out->data[out->len] = '\0';
    }
    g_free(conv);
    return st;
}

/*
 * Decoded (transfer encoding removed) content of a leaf part, at most cap
 * bytes: what g_mime_data_wrapper_write_to_stream() does, but it stops early
 * so a huge part costs no memory.
 */
static GByteArray *part_bytes(GMimePart *part, size_t cap)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    GMimeStream *src = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
    if (!src || g_mime_stream_reset(src) == -1)
        return NULL;
    /* Most text parts are 7bit or 8bit: read those without a filter stream. */
    GMimeStream *filtered = g_object_ref(src);
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(dw);
    if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        g_object_unref(filtered);
        filtered = g_mime_stream_filter_new(src);
        GMimeFilter *f = g_mime_filter_basic_new(enc, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered), f);
        g_object_unref(f);
    }
    GByteArray *arr = g_byte_array_new();
    char chunk[4096];
    while (arr->len < cap) {
        size_t want = cap - arr->len < sizeof chunk ? cap - arr->len : sizeof chunk;
        ssize_t got = g_mime_stream_read(filtered, chunk, want);
        if (got <= 0)
            break;
        g_byte_array_append(arr, (const guint8 *)chunk, (guint)got);
    }
    g_object_unref(filtered);
    return arr;
}

/* Length of the strict UTF-8 sequence at p[0..n) (no overlong form, no
 * surrogate, nothing past U+10FFFF, as iconv reads it), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t k = c >= 0xC2 && c <= 0xDF   ? 2
               : c >= 0xE0 && c <= 0xEF ? 3
               : c >= 0xF0 && c <= 0xF4 ? 4
                                        : 0;
    if (k == 0 || k > n)
        return 0;
    unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
    unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

/* s[0..n) strict UTF-8 (mm_utf8_valid() lets surrogates and some overlong
 * forms pass, which GMime's decoder reads as another charset); with
 * no_controls, no control byte or DEL either. */
static bool strict_utf8(const char *s, size_t n, bool no_controls)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] >= 0x80) {
            size_t k = utf8_seq(p + i, n - i);
            if (!k)
                return false;
            i += k;
        } else if (no_controls && (p[i] < 0x20 || p[i] == 0x7f)) {
            return false;
        } else {
            i++;
        }
    }
    return true;
}

/* Decoded bytes GMime gives back as they are: strict UTF-8, no control byte. */
static bool plain_run(const char *s, size_t n)
{
    return strict_utf8(s, n, true);
}

static int hex_val(unsigned char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Strict RFC 2047 "B" text (whole quanta, '=' only at the end) into out; its length or -1. */
static long b_text(const char *t, size_t n, char *out)
{
    if (n == 0 || n % 4)
        return -1;
    long o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        size_t pad = 0;
        for (size_t k = 0; k < 4; k++) {
            v[k] = mm_base64_value((unsigned char)t[i + k]);
            if (v[k] < 0) {
                if (t[i + k] != '=' || i + 4 != n || k < 2)
                    return -1;
                pad++;
                v[k] = 0;
            } else if (pad) {
                return -1;
            }
        }
        unsigned w =
            (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 | (unsigned)v[3];
        out[o++] = (char)(w >> 16);
        if (pad < 2)
            out[o++] = (char)(w >> 8);
        if (pad < 1)
            out[o++] = (char)w;
    }
    return o;
}

/* RFC 2047 "Q" text ('_' a space, "=XX" upper-case hex) into out; its length or -1. */
static long q_text(const char *t, size_t n, char *out)
{
    long o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '=') {
            int h = i + 2 < n ? hex_val((unsigned char)t[i + 1]) : -1;
            int l = h >= 0 ? hex_val((unsigned char)t[i + 2]) : -1;
            if (l < 0)
                return -1;
            out[o++] = (char)(h << 4 | l);
            i += 2;
        } else if (c == '_') {
            out[o++] = ' ';
        } else if (c > 0x20 && c < 0x7f) {
            out[o++] = (char)c;
        } else {
            return -1;
        }
    }
    return o ? o : -1;
}

/*
 * The charsets of the words decoded here: UTF-8, and those whose ASCII is
 * ASCII (a run of their words is decoded here only when it holds nothing
 * else).  A word's key is its charset's index times 2, plus 1 for Q.
 */
static const char *const simple_charsets[] = {"utf-8", "us-ascii", "iso-8859-1", "iso-8859-15",
                                              "iso-2022-jp"};
#define ISO2022JP_KEY 8 /* simple_charsets[4], B; Q (9) only when ASCII */

static int simple_charset(const char *p, size_t n)
{
    for (int i = 0; i < (int)(sizeof simple_charsets / sizeof simple_charsets[0]); i++) {
        const char *c = simple_charsets[i];
        size_t k = 0;
        while (k < n && c[k] && mm_lower(p[k]) == c[k])
            k++;
        if (k == n && !c[k])
            return i;
    }
    return -1;
}

/*
 * One token of a squeezed value that is a whole "=?charset?B?...?=" or
 * "=?charset?Q?...?=" word of a simple_charsets[] charset, its text decoded
 * into out; its length, or -1 for any other shape.  *key: see simple_charsets.
 */
static long simple_word(const char *p, size_t n, char *out, int *key)
{
    if (n < 8 || p[0] != '=' || p[1] != '?' || p[n - 2] != '?' || p[n - 1] != '=')
        return -1;
    const char *q = memchr(p + 2, '?', n - 4);
    if (!q || q + 3 > p + n - 2 || q[2] != '?')
        return -1;
    int cs = simple_charset(p + 2, (size_t)(q - (p + 2)));
    char enc = (char)(q[1] | 0x20);
    const char *t = q + 3;
    size_t tn = (size_t)(p + n - 2 - t);
    if (cs < 0 || (enc != 'b' && enc != 'q') || memchr(t, '?', tn))
        return -1;
    *key = cs * 2 + (enc == 'q');
    return enc == 'b' ? b_text(t, tn, out) : q_text(t, tn, out);
}

/* Text GMime copies as it is: ASCII, no "=?" (where an encoded word may start). */
static bool plain_text(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] >= 0x80 || (p[i] == '=' && i + 1 < n && p[i + 1] == '?'))
            return false;
    return true;
}

/* Where an encoded word at the start of p[0..n) ends ("?=" after its
 * charset, encoding and text), or n when it is not one. */
static size_t word_end(const char *p, size_t n)
{
    if (n < 8 || p[0] != '=' || p[1] != '?')
        return n;
    const char *q = memchr(p + 2, '?', n - 2);
    if (!q || p + n - q < 4 || q[2] != '?')
        return n;
    const char *e = memchr(q + 3, '?', (size_t)(p + n - (q + 3)));
    return e && e + 1 < p + n && e[1] == '=' ? (size_t)(e + 2 - p) : n;
}

/*
 * A run of words of one charset and encoding, decoded in out[run..*o): what
 * GMime gives back as it is (strict UTF-8; printable ASCII only for the other
 * charsets), or ISO-2022-JP text that iso2022jp_utf8() converts as iconv
 * does, replaced by its UTF-8 (out has room: see decode_simple_words()).
 */
static bool run_ok(char *out, size_t run, size_t *o, int key)
{
    const char *p = out + run;
    size_t n = *o - run;
    if (key < 2)
        return plain_run(p, n);
    if (key == ISO2022JP_KEY) {
        size_t len;
        char *conv = iso2022jp_utf8(p, n, &len);
        bool ok = conv && plain_run(conv, len);
        if (ok) {
            memcpy(out + run, conv, len);
            *o = run + len;
        }
        g_free(conv);
        return ok;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] >= 0x7f)
            return false;
    return true;
}

/*
 * The common shape of an encoded value without GMime: ASCII words and whole
 * simple_charsets[] "B"/"Q" encoded words, the space between two encoded words dropped
 * (RFC 2047 6.2), the decoded bytes valid UTF-8 with no control byte.  Any
 * other shape: NULL, and GMime decides.  Compared with GMime's decoder on
 * random values and the real ones of all.mbox.
 */
static char *decode_simple_words(mm_arena *a, const char *v)
{
    /* Every output byte stands for at least 2/3 of an input byte (a JIS X
     * 0208 pair, 8/3 base64 letters, becomes 3 bytes of UTF-8): out needs
     * 1.5 n + 1; a word is decoded into word (n) before it joins its run,
     * whose conversion may grow. */
    size_t n = strlen(v);
    char *out = mm_arena_alloc(a, 3 * n + 2);
    if (!out)
        return NULL;
    char *word = out + 2 * n + 2;
    size_t o = 0, run = 0; /* run: where the current run of encoded words' bytes starts */
    bool prev_word = false, padded = false;
    int prev_enc = -1;
    for (const char *p = v; *p;) {
        const char *sp = strchr(p, ' ');
        size_t tn = sp ? (size_t)(sp - p) : strlen(p);
        int enc = -1;
        long k = simple_word(p, tn, word, &enc);
        /* wn: the word's part of the token; after it, plain text (GMime's loose mode) */
        size_t wn = tn;
        if (k < 0 && (wn = word_end(p, tn)) < tn)
            k = simple_word(p, wn, word, &enc);
        if (k >= 0 && prev_word && enc == prev_enc && padded)
            return NULL; /* GMime decodes a run's texts joined: the padding would end it */
        if (k >= 0 && prev_word && enc != prev_enc) {
            /* GMime joins words of one charset and encoding only: each run is converted alone */
            if (!run_ok(out, run, &o, prev_enc))
                return NULL;
            run = o;
        }
        if (k >= 0) {
            padded = p[wn - 3] == '=' && enc % 2 == 0;
            prev_enc = enc;
            if (!prev_word) {
                if (o)
                    out[o++] = ' ';
                run = o;
            }
            memcpy(out + o, word, (size_t)k);
            o += (size_t)k;
            prev_word = true;
            if (wn < tn) { /* text right after the word ends its run */
                if (!run_ok(out, run, &o, enc) || !plain_text(p + wn, tn - wn))
                    return NULL;
                memcpy(out + o, p + wn, tn - wn);
                o += tn - wn;
                prev_word = false;
            }
        } else {
            if (prev_word && !run_ok(out, run, &o, prev_enc))
                return NULL;
            if (!plain_text(p, tn))
                return NULL;
            if (o)
                out[o++] = ' ';
            memcpy(out + o, p, tn);
            o += tn;
            prev_word = false;
        }
        p += tn + (sp != NULL);
    }
    if (prev_word && !run_ok(out, run, &o, prev_enc))
        return NULL;
    out[o] = '\0';
    return out;
}

char *mm_msg_decode_header(mm_arena *a, char *v)
{
    /* Valid UTF-8 with no "=?" (an 8-bit value, no encoded word): GMime's
     * decoder, UTF-8 being the first fallback charset, gives it back as it
     * is, and v is squeezed already.  Checked against GMime on random
     * values and 25,110 real lines of all.mbox with 8-bit bytes (and by
     * fastcheck). */
    if (!strstr(v, "=?") && strict_utf8(v, strlen(v), false))
        return v;
    char *out = decode_simple_words(a, v);
    if (!out) {
        char *dec = g_mime_utils_header_decode_text(parser_opts, v);
        out = dec ? mm_arena_strdup(a, dec) : NULL;
        g_free(dec);
    }
    if (!out)
        return NULL;
    mm_squeeze_space(out);
    return mm_strtrim(out);
}

/*
 * Fields of one header block (copied aside by the sanitiser, see there) into
 * f: unfolded, RFC 2047 words and 8-bit bytes decoded to UTF-8 by GMime with
 * our fallback charsets, just as g_mime_header_get_value() would -- each
 * when first read (mm_field_value).
 */
mm_status_t mm_msg_collect_block(mm_msg *m, mm_buf *raw, mm_fields *f)
{
    if (raw->len == 0)
        return MM_OK;
    return mm_fields_parse_block_as(&m->arena, raw->data, raw->len, f, true, true);
}

/* The subtypes mm_walk_leaf_dst() tells apart. */
typedef enum { SUB_OTHER, SUB_DSN, SUB_FEEDBACK, SUB_HEADERS, SUB_HTML } sub_kind;

/*
 * Which of them sub is, in any case.  Every leaf of every message asks, and
 * most are text/plain: the first letter picks the one or two names to
 * compare (a chain of compares was ~175 instructions a leaf).
 */
static sub_kind sub_kind_of(const char *sub)
{
    switch (mm_lower(sub[0])) {
    case 'd':
        return MM_MSG_EQ_LIT(sub + 1, "elivery-status") ? SUB_DSN : SUB_OTHER;
    case 'f':
        return MM_MSG_EQ_LIT(sub + 1, "eedback-report") ? SUB_FEEDBACK : SUB_OTHER;
    case 'g':
        return MM_MSG_EQ_LIT(sub + 1, "lobal-delivery-status") ? SUB_DSN
               : MM_MSG_EQ_LIT(sub + 1, "lobal-headers")       ? SUB_HEADERS
                                                              : SUB_OTHER;
    case 'h':
        return MM_MSG_EQ_LIT(sub + 1, "tml") ? SUB_HTML : SUB_OTHER;
    case 'r':
        return MM_MSG_EQ_LIT(sub + 1, "fc822-headers") ? SUB_HEADERS : SUB_OTHER;
    default:
        return SUB_OTHER;
    }
}

mm_buf *mm_walk_leaf_dst(mm_walk *w, const char *type, const char *sub, bool *headers_block)
{
    mm_msg *m = w->m;
    bool is_text = MM_MSG_EQ_LIT(type, "text");
    bool is_msg = !is_text && MM_MSG_EQ_LIT(type, "message");
    *headers_block = false;
    if (!is_text && !is_msg)
        return NULL;
    sub_kind k = sub_kind_of(sub);
    if (is_msg && k == SUB_DSN) {
        m->has_dsn = true;
        return &m->dsn;
    }
    if (is_msg && k == SUB_FEEDBACK) {
        m->has_feedback = true;
        return &m->feedback;
    }
    if (k == SUB_HEADERS) {
        *headers_block = true;
        return NULL;
    }
    if (is_text && k == SUB_HTML) {
        /* HTML is read only when no plain text comes at all (mm_walk_finish),
         * and m->text never shrinks: once it has text, an HTML part (mostly
         * the second half of a multipart/alternative, often 10 KB and more)
         * is neither decoded nor copied. */
        return w->in_attached || m->text.len ? NULL : &w->html;
    }
    /* any other text/ or message/ leaf (text/delivery-status too) */
    if (w->in_attached)
        return m->orig_text.len > 4096 ? NULL : &m->orig_text;
    return &m->text;
}

void mm_walk_empty_multipart(mm_walk *w, const char *s, size_t n)
{
    const char *nul = memchr(s, '\0', n);
    if (nul)
        n = (size_t)(nul - s);
    if (n && !w->in_attached && w->st == MM_OK)
        w->st = append_utf8(&w->m->text, s, n, NULL, false);
}

/* The HTML held so far: w->html, or the part it points to (mm_walk.html_ref). */
static size_t html_len(const mm_walk *w)
{
    return w->html_ref ? w->html_ref_len : w->html.len;
}

/* Let go of the HTML part pointed to (mm_walk.html_ref). */
static void html_release(mm_walk *w)
{
    g_free(w->html_owned);
    w->html_owned = NULL;
    w->html_ref = NULL;
    w->html_ref_len = 0;
}

/*
 * An HTML part, mostly read for nothing (there is plain text after all) and
 * often tens of KB: the first one, when it is the sanitised copy's bytes
 * (from_copy) or a block the caller hands over (own), is only pointed to.
 */
static mm_status_t html_put(mm_walk *w, const char *data, size_t len, bool from_copy,
                            char **own)
{
    if ((from_copy || own) && !w->html_ref && w->html.len == 0) {
        w->html_ref = data;
        w->html_ref_len = len;
        if (own) {
            w->html_owned = *own;
            *own = NULL;
        }
        return MM_OK;
    }
    if (w->html_ref) { /* a second part: both in the buffer, in order */
        mm_status_t st = mm_buf_append(&w->html, w->html_ref, w->html_ref_len);
        html_release(w);
        if (st != MM_OK)
            return st;
    }
    return mm_buf_append(&w->html, data, len);
}

void mm_walk_leaf_put(mm_walk *w, mm_buf *dst, bool headers_block, const char *data, size_t len,
                      const char *cs, bool no_cr, char **own)
{
    mm_msg *m = w->m;
    if (headers_block) {
        if (!m->has_orig) {
            m->has_orig = true;
            /* data goes away after this call; the values are made from it later */
            char *copy = mm_arena_strndup(&m->arena, data, len);
            w->st = copy ? mm_fields_parse_block_as(&m->arena, copy, len, &m->orig, false, true)
                         : MM_ENOMEM;
        }
    } else if (dst == &w->html) {
        w->st = html_put(w, data, len, no_cr, own);
    } else {
        w->st = append_utf8(dst, data, len, cs, no_cr);
    }
}

size_t mm_walk_leaf_room(mm_walk *w, const char *type, const char *sub, mm_buf **dst,
                         bool *headers_block)
{
    *dst = mm_walk_leaf_dst(w, type ? type : "text", sub ? sub : "plain", headers_block);
    if (!*dst && !*headers_block)
        return 0;
    size_t used = *dst == &w->html ? html_len(w) : *dst ? (*dst)->len : 0;
    return used >= MM_TEXT_MAX ? 0 : MM_TEXT_MAX - used;
}

static void leaf(mm_walk *w, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
    const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
    bool headers_block;
    mm_buf *dst;
    size_t room = mm_walk_leaf_room(w, type, sub, &dst, &headers_block);
    if (room == 0)
        return;
    GByteArray *arr = part_bytes(GMIME_PART(obj), room);
    if (!arr)
        return;
    mm_walk_leaf_put(w, dst, headers_block, (const char *)arr->data, arr->len, cs, false, NULL);
    g_byte_array_free(arr, TRUE);
}

static void walk_obj(mm_walk *w, GMimeObject *obj, size_t depth);

void mm_walk_attached_begin(mm_walk *w)
{
    mm_msg *m = w->m;
    if (!m->has_orig && w->in_attached == 0) {
        m->has_orig = true;
        w->st = mm_msg_collect_block(m, w->orig_raw, &m->orig);
    }
}

static void attached_message(mm_walk *w, GMimeMessage *inner, size_t depth)
{
    if (!inner)
        return;
    mm_walk_attached_begin(w);
    w->in_attached++;
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body)
        walk_obj(w, body, depth + 1);
    w->in_attached--;
}

static void walk_obj(mm_walk *w, GMimeObject *obj, size_t depth)
{
    if (w->st != MM_OK || depth > w->lim->max_mime_depth || w->m->parts >= w->lim->max_parts)
        return;
    w->m->parts++;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && w->st == MM_OK; i++)
            walk_obj(w, g_mime_multipart_get_part(mp, i), depth + 1);
        /* No part at all: the boundary never appears (or its parameter was
         * lost to a broken header), so GMime left the whole content in the
         * prologue.  Read it as text, so the bounce's words still count. */
        const char *pro = n == 0 ? g_mime_multipart_get_prologue(mp) : NULL;
        if (pro)
            mm_walk_empty_multipart(w, pro, strlen(pro));
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
        attached_message(w, g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj)), depth);
    } else if (GMIME_IS_PART(obj)) {
        leaf(w, obj);
    }
}

/* A crude but safe HTML-to-text: drop tags, scripts and styles, decode a few entities. */
static void strip_html(const char *s, size_t n, mm_buf *out)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] == '<') {
            bool br = (i + 3 < n && (mm_lower(s[i + 1]) == 'b' || mm_lower(s[i + 1]) == 'p' ||
                                     mm_lower(s[i + 1]) == 'd' || mm_lower(s[i + 1]) == 't'));
            const char *skip_to = NULL;
            if (n - i > 7 && mm_lower(s[i + 1]) == 's' && /* most tags are not: one test */
                (mm_startswith_ci(s + i, "<script") || mm_startswith_ci(s + i, "<style")))
                skip_to = mm_lower(s[i + 2]) == 'c' ? "</script" : "</style";
            if (skip_to) {
                const char *e = mm_memcasemem(s + i, n - i, skip_to, strlen(skip_to));
                i = e ? (size_t)(e - s) : n;
            }
            const char *gt = memchr(s + i, '>', n - i);
            i = gt ? (size_t)(gt - s) + 1 : n;
            if (br)
                mm_buf_putc(out, '\n');
            continue;
        }
        if (s[i] == '&') {
            static const struct {
                const char *ent;
                char c;
            } ents[] = {
                {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&nbsp;", ' '}, {"&quot;", '"'}};
            bool done = false;
            for (size_t k = 0; k < sizeof ents / sizeof ents[0]; k++) {
                size_t el = strlen(ents[k].ent);
                if (n - i >= el && strncasecmp(s + i, ents[k].ent, el) == 0) {
                    mm_buf_putc(out, ents[k].c);
                    i += el;
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        if (s[i] == '\r' || s[i] == '&') { /* '&' not an entity above: as it is */
            mm_buf_putc(out, s[i] == '\r' ? '\n' : s[i]);
            i++;
            continue;
        }
        /* text up to the next tag, entity or CR in one piece */
        const char *stop = mm_memchr3(s + i, n - i, '<', '&', '\r');
        size_t run = stop ? (size_t)(stop - (s + i)) : n - i;
        mm_buf_append(out, s + i, run);
        i += run;
    }
}

void mm_msg_set_ctype(mm_msg *m, GMimeContentType *ct)
{
    m->ctype = "text/plain";
    m->report_type = "";
    if (!ct)
        return;
    char *mt = g_mime_content_type_get_mime_type(ct);
    if (mt) {
        m->ctype = mm_strlower(mm_arena_strdup(&m->arena, mt));
        g_free(mt);
    }
    const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
    if (rt)
        m->report_type = mm_strlower(mm_arena_strdup(&m->arena, rt));
}

/* Remove the NUL bytes sniff() let through; returns the new length. */
static size_t drop_nuls(char *buf, size_t n)
{
    char *w = memchr(buf, '\0', n);
    if (!w)
        return n;
    for (const char *r = w; r < buf + n; r++)
        if (*r != '\0')
            *w++ = *r;
    return (size_t)(w - buf);
}

mm_status_t mm_walk_finish(mm_walk *w, mm_status_t st)
{
    mm_msg *m = w->m;
    if (st == MM_OK && w->st == MM_OK && m->text.len == 0 && html_len(w)) {
        mm_buf plain = MM_BUF_INIT;
        strip_html(w->html_ref ? w->html_ref : w->html.data, html_len(w), &plain);
        w->st = append_utf8(&m->text, mm_buf_str(&plain), plain.len, NULL, false);
        mm_buf_free(&plain);
    }
    html_release(w);
    mm_buf_free(&w->html);
    return st != MM_OK ? st : w->st;
}

static mm_status_t flatten(mm_msg *m, const mm_limits *lim, GMimeMessage *msg,
                           mm_buf *head_raw, mm_buf *orig_raw)
{
    mm_walk w = {m, lim, orig_raw, MM_BUF_INIT, 0, MM_OK, NULL, 0, NULL};
    mm_status_t st = mm_msg_collect_block(m, head_raw, &m->head);
    GMimeObject *root = g_mime_message_get_mime_part(msg);
    mm_msg_set_ctype(m, root ? g_mime_object_get_content_type(root) : NULL);
    if (st == MM_OK && root)
        walk_obj(&w, root, 0);
    return mm_walk_finish(&w, st);
}

/* A memory stream that owns buf (g_malloc'd), so GMime does not copy it again. */
static GMimeStream *stream_take(char *buf, size_t len)
{
    GByteArray *arr = g_byte_array_new_take((guint8 *)buf, len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(arr);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), TRUE);
    return stream;
}

/* The sanitised copy's buffer, room for len + 3 bytes and the sanitiser's
 * slack; NULL on out of memory. */
static char *copy_room(mm_msg *m, size_t len)
{
    size_t room = len + 3 + MM_SANITIZE_SLACK;
    if (m->copy_cap < room) {
        g_free(m->copy);
        m->copy = g_try_malloc(room);
        m->copy_cap = m->copy ? room : 0;
    }
    return m->copy;
}

/* The parse, into an m that is empty (zeroed or recycled); on error the
 * caller frees or recycles it. */
static mm_status_t parse_into(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m,
                              mm_msg_path path)
{
    /* One scan for both whole-message tests; a second only from the first hit. */
    const char *hit = len ? mm_memchr_nul_cr(bytes, len) : NULL;
    const char *nul = hit, *end = bytes + len;
    bool any_cr = false;
    if (hit && *hit == '\r') {
        any_cr = true;
        nul = memchr(hit, '\0', (size_t)(end - hit));
    } else if (hit) {
        any_cr = memchr(hit, '\r', (size_t)(end - hit)) != NULL;
    }
    mm_status_t st = sniff(bytes, len, nul);
    if (st != MM_OK)
        return st;
    if (len > G_MAXUINT) /* GByteArray lengths are guint */
        len = G_MAXUINT;
    char *buf = copy_room(m, len);
    if (!buf)
        return MM_ENOMEM;
    /* kept in m: the header fields' values are made from them when read */
    mm_buf *head_raw = &m->head_raw, *orig_raw = &m->orig_raw;
    size_t buflen = mm_msg_sanitize(lim, bytes, len, any_cr, buf, head_raw, orig_raw, &m->dashes);
    const mm_dashes *dashes = &m->dashes;
    if (nul) { /* the copy holds a NUL only where the input did */
        size_t had = buflen;
        buflen = drop_nuls(buf, buflen);
        if (buflen != had)
            dashes = NULL; /* the lines moved */
    }
    if (path != MM_MSG_PATH_GMIME) {
        st = mm_msg_fast(m, lim, buf, buflen, head_raw, orig_raw, dashes);
        if (st != MM_ENOTFOUND || path == MM_MSG_PATH_FAST)
            return st;
    }
    /* GMime's stream takes the buffer over */
    m->copy = NULL;
    m->copy_cap = 0;
    GMimeStream *stream = stream_take(buf, buflen);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, parser_opts);
    if (!msg) {
        st = MM_ENOTMAIL;
    } else {
        st = flatten(m, lim, msg, head_raw, orig_raw);
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return st;
}

mm_status_t mm_msg_parse_path(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m,
                              mm_msg_path path)
{
    memset(m, 0, sizeof *m);
    mm_arena_init(&m->arena);
    mm_status_t st = parse_into(lim, bytes, len, m, path);
    if (st != MM_OK) {
        mm_msg_free(m);
    } else {
        /* parsed: the copy is not read again, and nothing reuses it */
        g_free(m->copy);
        m->copy = NULL;
        m->copy_cap = 0;
    }
    return st;
}

mm_status_t mm_msg_parse(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m)
{
    return mm_msg_parse_path(lim, bytes, len, m,
                             fast_enabled ? MM_MSG_PATH_AUTO : MM_MSG_PATH_GMIME);
}

mm_status_t mm_msg_parse_again(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m)
{
    return parse_into(lim, bytes, len, m, fast_enabled ? MM_MSG_PATH_AUTO : MM_MSG_PATH_GMIME);
}
