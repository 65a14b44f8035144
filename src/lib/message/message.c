/*
 * message.c - flatten a GMime parse tree into an mm_msg (see message.h).
 *
 * Steps: reject empty/binary/non-mail input early; normalise line ends to
 * LF (GMime does not understand bare CR, and some MTAs wrote them); parse
 * with GMime using fallback charsets common in our users' mail (UTF-8,
 * GB18030, ISO-8859-1); walk the tree with depth and part limits, turning
 * every readable text into UTF-8.
 */
#include "message.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_init_once(void)
{
    g_mime_init();
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
    mm_arena_free(&m->arena);
    memset(m, 0, sizeof *m);
}

/* Copy bytes to out with every CRLF and bare CR turned into LF. */
static mm_status_t normalise_eol(const char *s, size_t n, mm_buf *out)
{
    mm_status_t st = mm_buf_reserve(out, n);
    if (st != MM_OK)
        return st;
    char *w = out->data;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            *w++ = '\n';
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
        } else {
            *w++ = s[i];
        }
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return MM_OK;
}

/* A message starts with a header field (optionally after an mbox "From " line). */
static mm_status_t sniff(const char *s, size_t n)
{
    if (n == 0)
        return MM_EEMPTY;
    size_t probe = n < 65536 ? n : 65536;
    if (memchr(s, '\0', probe))
        return MM_EBINARY;
    size_t i = 0;
    while (i < n && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' || s[i] == '\t'))
        i++;
    if (n - i >= 5 && memcmp(s + i, "From ", 5) == 0) {
        const char *nl = memchr(s + i, '\n', n - i);
        if (!nl)
            return MM_ENOTMAIL;
        i = (size_t)(nl - s) + 1;
    }
    size_t j = i;
    while (j < n && s[j] > 32 && s[j] < 127 && s[j] != ':')
        j++;
    if (j == i || j >= n || s[j] != ':')
        return MM_ENOTMAIL;
    return MM_OK;
}

/* Convert bytes in charset (may be NULL) to UTF-8 and append, dropping CRs. */
static mm_status_t append_utf8(mm_buf *out, const char *s, size_t n, const char *charset)
{
    char *conv = NULL;
    if (!mm_utf8_valid(s, n)) {
        static const char *const tries[] = {NULL, "GB18030", "WINDOWS-1252"};
        for (size_t i = 0; i < 3 && !conv; i++) {
            const char *cs = i == 0 ? charset : tries[i];
            if (!cs || !*cs)
                continue;
            const char *iconv_name = g_mime_charset_iconv_name(cs);
            gsize w = 0;
            conv = g_convert(s, (gssize)n, "UTF-8", iconv_name, NULL, &w, NULL);
            if (conv)
                n = w;
        }
        if (!conv) {
            conv = g_utf8_make_valid(s, (gssize)n);
            n = strlen(conv);
        }
        s = conv;
    } else if (charset && *charset && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
               g_ascii_strcasecmp(charset, "us-ascii") != 0) {
        /* Valid UTF-8 bytes can still be another charset (ISO-2022-JP is 7-bit). */
        const char *iconv_name = g_mime_charset_iconv_name(charset);
        gsize w = 0;
        conv = g_convert(s, (gssize)n, "UTF-8", iconv_name, NULL, &w, NULL);
        if (conv) {
            s = conv;
            n = w;
        }
    }
    mm_status_t st = mm_buf_reserve(out, n + 1);
    if (st == MM_OK) {
        for (size_t i = 0; i < n; i++)
            if (s[i] != '\r')
                out->data[out->len++] = s[i];
        if (out->len && out->data[out->len - 1] != '\n')
            out->data[out->len++] = '\n';
        out->data[out->len] = '\0';
    }
    g_free(conv);
    return st;
}

/* Decoded (transfer encoding removed) content of a leaf part. */
static GByteArray *part_bytes(GMimePart *part)
{
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    if (!dw)
        return NULL;
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(dw, mem);
    GByteArray *arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_object_unref(mem);
    return arr;
}

static mm_status_t collect_headers(mm_msg *m, GMimeObject *obj, mm_fields *f)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    int count = hl ? g_mime_header_list_get_count(hl) : 0;
    for (int i = 0; i < count; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        if (!name)
            continue;
        if (!value)
            value = "";
        mm_status_t st = mm_fields_add(&m->arena, f, name, strlen(name), value, strlen(value));
        if (st != MM_OK)
            return st;
    }
    return MM_OK;
}

typedef struct walk {
    mm_msg *m;
    const mm_limits *lim;
    mm_buf html;        /* text/html, used only when no text/plain was found */
    int in_attached;    /* > 0 while inside an attached message */
    mm_status_t st;
} walk;

static void strip_html(const char *s, size_t n, mm_buf *out);

static void leaf(walk *w, GMimeObject *obj)
{
    mm_msg *m = w->m;
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : "text";
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : "plain";
    const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
    if (!type)
        type = "text";
    if (!sub)
        sub = "plain";
    bool is_text = g_ascii_strcasecmp(type, "text") == 0;
    bool is_msg = g_ascii_strcasecmp(type, "message") == 0;
    mm_buf *dst = NULL;
    bool headers_block = false;

    if (is_msg && (g_ascii_strcasecmp(sub, "delivery-status") == 0 ||
                   g_ascii_strcasecmp(sub, "global-delivery-status") == 0)) {
        dst = &m->dsn;
        m->has_dsn = true;
    } else if (is_msg && g_ascii_strcasecmp(sub, "feedback-report") == 0) {
        dst = &m->feedback;
        m->has_feedback = true;
    } else if ((is_text || is_msg) && (g_ascii_strcasecmp(sub, "rfc822-headers") == 0 ||
                                       g_ascii_strcasecmp(sub, "global-headers") == 0)) {
        headers_block = true;
    } else if (is_text && g_ascii_strcasecmp(sub, "html") == 0) {
        dst = w->in_attached ? NULL : &w->html;
    } else if (is_text || (is_msg && g_ascii_strcasecmp(sub, "delivery-status") != 0)) {
        dst = w->in_attached ? &m->orig_text : &m->text;
        if (w->in_attached && m->orig_text.len > 4096)
            dst = NULL;
    }
    if (!dst && !headers_block)
        return;
    GByteArray *arr = part_bytes(GMIME_PART(obj));
    if (!arr)
        return;
    if (headers_block) {
        if (!m->has_orig) {
            m->has_orig = true;
            w->st = mm_fields_parse_block(&m->arena, (const char *)arr->data, arr->len, &m->orig);
        }
    } else if (dst == &w->html) {
        w->st = mm_buf_append(dst, arr->data, arr->len);
        (void)strip_html;
    } else {
        w->st = append_utf8(dst, (const char *)arr->data, arr->len, cs);
    }
    g_byte_array_free(arr, TRUE);
}

static void walk_obj(walk *w, GMimeObject *obj, size_t depth);

static void attached_message(walk *w, GMimeMessage *inner, size_t depth)
{
    mm_msg *m = w->m;
    if (!inner)
        return;
    if (!m->has_orig && w->in_attached == 0) {
        m->has_orig = true;
        w->st = collect_headers(m, GMIME_OBJECT(inner), &m->orig);
    }
    w->in_attached++;
    GMimeObject *body = g_mime_message_get_mime_part(inner);
    if (body)
        walk_obj(w, body, depth + 1);
    w->in_attached--;
}

static void walk_obj(walk *w, GMimeObject *obj, size_t depth)
{
    if (w->st != MM_OK || depth > w->lim->max_mime_depth || w->m->parts >= w->lim->max_parts)
        return;
    w->m->parts++;
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n && w->st == MM_OK; i++)
            walk_obj(w, g_mime_multipart_get_part(mp, i), depth + 1);
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
            if (n - i > 7 && (mm_startswith_ci(s + i, "<script") || mm_startswith_ci(s + i, "<style")))
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
            static const struct { const char *ent; char c; } ents[] = {
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
        mm_buf_putc(out, s[i] == '\r' ? '\n' : s[i]);
        i++;
    }
}

static void set_ctype(mm_msg *m, GMimeObject *root)
{
    GMimeContentType *ct = root ? g_mime_object_get_content_type(root) : NULL;
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

static mm_status_t flatten(mm_msg *m, const mm_limits *lim, GMimeMessage *msg)
{
    walk w = {m, lim, MM_BUF_INIT, 0, MM_OK};
    mm_status_t st = collect_headers(m, GMIME_OBJECT(msg), &m->head);
    GMimeObject *root = g_mime_message_get_mime_part(msg);
    set_ctype(m, root);
    if (st == MM_OK && root)
        walk_obj(&w, root, 0);
    if (w.st == MM_OK && m->text.len == 0 && w.html.len) {
        mm_buf plain = MM_BUF_INIT;
        strip_html(w.html.data, w.html.len, &plain);
        w.st = append_utf8(&m->text, mm_buf_str(&plain), plain.len, NULL);
        mm_buf_free(&plain);
    }
    mm_buf_free(&w.html);
    return st != MM_OK ? st : w.st;
}

mm_status_t mm_msg_parse(const mm_limits *lim, const char *bytes, size_t len, mm_msg *m)
{
    memset(m, 0, sizeof *m);
    mm_arena_init(&m->arena);
    mm_status_t st = sniff(bytes, len);
    if (st != MM_OK)
        return st;
    mm_buf norm = MM_BUF_INIT;
    st = normalise_eol(bytes, len, &norm);
    if (st != MM_OK) {
        mm_buf_free(&norm);
        return st;
    }
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(norm.data, norm.len);
    mm_buf_free(&norm);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeParserOptions *opts = g_mime_parser_options_new();
    const char *fallback[] = {"UTF-8", "GB18030", "ISO-8859-1", NULL};
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    g_mime_parser_options_set_rfc2047_compliance_mode(opts, GMIME_RFC_COMPLIANCE_LOOSE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    if (!msg) {
        st = MM_ENOTMAIL;
    } else {
        st = flatten(m, lim, msg);
        g_object_unref(msg);
    }
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    g_object_unref(stream);
    if (st != MM_OK)
        mm_msg_free(m);
    return st;
}
