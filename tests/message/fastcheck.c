/*
 * fastcheck.c - the fast MIME path (src/lib/message/fastpath.c) against
 * GMime's parser: every message of every file named (a file is one message,
 * or an mbox when it starts with "From "; a directory is read recursively)
 * is parsed both ways and the two mm_msg compared field by field.
 *
 * Usage: fastcheck [PATH...]   A table of edge-case Content-Type values is
 * always checked too, and message.c's ISO-2022-JP reader against iconv
 * (every two-byte pair, and edge cases), and message.c's decoder of the
 * common encoded words against GMime's (values built from a table of
 * pieces, squeezed as a field value is).  Exit 0 when no message differs, 1 if one does (each
 * difference printed as "got X, want Y", the fast path's value first), 77
 * (skipped) when paths were given and none exists.
 */
#include <dirent.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <mailmedic/ctx.h>

#include <gmime/gmime.h>

#include "message/message.h"
#include "message/message_int.h"
#include "util/str.h"

static size_t n_msgs, n_fast, n_diff, n_files, n_jp, n_words;
static const mm_limits *lim;

static void diff(const char *where, const char *what, const char *got, const char *want)
{
    if (n_diff++ < 50)
        printf("%s: %s differs: got \"%.200s\", want \"%.200s\"\n", where, what, got, want);
}

static void cmp_str(const char *where, const char *what, const char *a, const char *b)
{
    if (strcmp(a ? a : "(null)", b ? b : "(null)") != 0)
        diff(where, what, a ? a : "(null)", b ? b : "(null)");
}

static void cmp_buf(const char *where, const char *what, const mm_buf *a, const mm_buf *b)
{
    if (a->len != b->len || (a->len && memcmp(a->data, b->data, a->len) != 0))
        diff(where, what, mm_buf_str(a), mm_buf_str(b));
}

static void cmp_fields(const char *where, const char *what, const mm_fields *a, const mm_fields *b)
{
    char n[64];
    if (a->n != b->n) {
        char x[32], y[32];
        snprintf(x, sizeof x, "%zu fields", a->n);
        snprintf(y, sizeof y, "%zu fields", b->n);
        diff(where, what, x, y);
        return;
    }
    for (size_t i = 0; i < a->n; i++) {
        snprintf(n, sizeof n, "%s[%zu]", what, i);
        cmp_str(where, n, a->v[i].name, b->v[i].name);
        cmp_str(where, n, mm_field_value(&a->v[i]), mm_field_value(&b->v[i]));
    }
}

static void cmp_bool(const char *where, const char *what, bool a, bool b)
{
    if (a != b)
        diff(where, what, a ? "true" : "false", b ? "true" : "false");
}

static void check_one(const char *where, const char *p, size_t n)
{
    mm_msg a, b;
    if (n > lim->max_message_bytes)
        n = lim->max_message_bytes;
    n_msgs++;
    mm_status_t sa = mm_msg_parse_path(lim, p, n, &a, MM_MSG_PATH_FAST);
    if (sa == MM_ENOTFOUND)
        return; /* left to GMime */
    n_fast++;
    mm_status_t sb = mm_msg_parse_path(lim, p, n, &b, MM_MSG_PATH_GMIME);
    if (sa != sb) {
        diff(where, "status", mm_strerror(sa), mm_strerror(sb));
    } else if (sa == MM_OK) {
        cmp_fields(where, "head", &a.head, &b.head);
        cmp_str(where, "ctype", a.ctype, b.ctype);
        cmp_str(where, "report_type", a.report_type, b.report_type);
        cmp_buf(where, "text", &a.text, &b.text);
        cmp_buf(where, "dsn", &a.dsn, &b.dsn);
        cmp_bool(where, "has_dsn", a.has_dsn, b.has_dsn);
        cmp_buf(where, "feedback", &a.feedback, &b.feedback);
        cmp_bool(where, "has_feedback", a.has_feedback, b.has_feedback);
        cmp_fields(where, "orig", &a.orig, &b.orig);
        cmp_bool(where, "has_orig", a.has_orig, b.has_orig);
        cmp_buf(where, "orig_text", &a.orig_text, &b.orig_text);
        if (a.parts != b.parts)
            diff(where, "parts", "(count)", "(count)");
    }
    if (sa == MM_OK)
        mm_msg_free(&a);
    if (sb == MM_OK)
        mm_msg_free(&b);
}

/* An mbox: messages start at "From " lines at the start or after a newline. */
static void check_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    n_files++;
    size_t cap = 1 << 16, len = 0, got;
    char *d = malloc(cap);
    while (d && (got = fread(d + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *nd = realloc(d, cap *= 2);
            if (!nd) {
                free(d);
                d = NULL;
            }
            d = nd;
        }
    }
    fclose(f);
    if (!d)
        return;
    char where[512];
    if (len < 5 || memcmp(d, "From ", 5) != 0) {
        check_one(path, d, len);
        free(d);
        return;
    }
    size_t start = 0, idx = 0;
    for (size_t i = 1; i <= len; i++) {
        if (i == len || (d[i - 1] == '\n' && len - i >= 5 && memcmp(d + i, "From ", 5) == 0)) {
            snprintf(where, sizeof where, "%s#%zu", path, idx++);
            check_one(where, d + start, i - start);
            start = i;
        }
    }
    free(d);
}

static void check_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        check_file(path);
        return;
    }
    DIR *dir = opendir(path);
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(e->d_name);
        if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
            continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        check_path(sub);
    }
    if (dir)
        closedir(dir);
}

/*
 * Content-Type values at the edge of what the fast path reads itself
 * (fastpath.c simple_ctype) or leaves to GMime, each in a small DSN whose
 * text, DSN part and top-level type show how it was read.
 */
static void check_ctypes(void)
{
    static const char *const top[] = {
        "multipart/report; report-type=delivery-status; boundary=\"B\"",
        "multipart/report; report-type=\"Delivery-Status\";\n\tboundary=B",
        "Multipart/Report;boundary=B;report-type=delivery-status",
        "multipart/report; boundary=B; report-type=delivery-status; boundary=C",
        "multipart/report; boundary=B (comment); report-type=delivery-status",
        "multipart/report; boundary*=''B; report-type=delivery-status",
        "multipart/report; boundary=\"B\\\"\"; report-type=delivery-status",
        "multipart/report; boundary=B;",
        "multipart/report ; boundary=B",
        "multipart/report; boundary = B",
        "multipart/report; boundary=B; charset=\"=?utf-8?q?x?=\"",
        "multipart/mixed; boundary=\"----=_Part_1\"",
        "multipart/report; report-type=delivery-status; boundary=\"\"",
        "multipart; boundary=B",
        "multipart/report; boundary=B\x80",
    };
    static const char *const inner[] = {
        "text/plain; charset=iso-8859-1",
        "text/plain; charset=\"ISO-8859-1\"",
        "text/plain; charset=ISO-2022-JP",
        "text/plain;charset=gb2312 ",
        "text/plain; charset=utf-8; format=flowed; delsp=yes",
        "text/plain; charset=\"utf-8\" ; format=flowed",
        "text/plain; charset*=utf-8''x",
        "text/html; charset=windows-1252",
        "text/plain; name=\"a b.txt\"; charset=latin1",
        "text",
        "",
    };
    char where[64];
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        for (size_t j = 0; j < sizeof inner / sizeof inner[0]; j++) {
            char msg[2048];
            int n = snprintf(msg, sizeof msg,
                             "From: MAILER-DAEMON@example.net\nSubject: fail\nMIME-Version: 1.0\n"
                             "Content-Type: %s\n\npreamble\n--B\nContent-Type: %s\n\n"
                             "caf\xe9 \x1b$B$3\x1b(B <b>bold</b> &amp;\n\n--B\n"
                             "Content-Type: message/delivery-status\n\n"
                             "Final-Recipient: rfc822; a@example.com\nStatus: 5.1.1\n\n--B--\n",
                             top[i], inner[j]);
            snprintf(where, sizeof where, "ctype table %zu/%zu", i, j);
            check_one(where, msg, (size_t)n);
        }
}

/*
 * The text of an ISO-2022-JP part that is body[0..n) then an LF, against
 * what iconv makes of the same bytes (or the bytes themselves when iconv
 * refuses them): message.c reads the usual shape itself (iso2022jp_utf8)
 * and must give what iconv gives, refusals included.
 */
static void check_iso2022jp_one(iconv_t cd, const char *where, const char *body, size_t n)
{
    static const char head[] = "From: a@example.net\nMIME-Version: 1.0\n"
                               "Content-Type: text/plain; charset=iso-2022-jp\n\n";
    char msg[256], want[256];
    if (n + sizeof head + 1 > sizeof msg)
        return;
    memcpy(msg, head, sizeof head - 1);
    memcpy(msg + sizeof head - 1, body, n);
    msg[sizeof head - 1 + n] = '\n';
    char in[128];
    memcpy(in, body, n);
    in[n] = '\n';
    char *ip = in, *op = want;
    size_t il = n + 1, ol = sizeof want - 1;
    iconv(cd, NULL, NULL, NULL, NULL);
    size_t wl;
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
        memcpy(want, in, n + 1);
        wl = n + 1;
    } else {
        wl = (size_t)(op - want);
    }
    want[wl] = '\0';
    mm_msg m;
    if (mm_msg_parse_path(lim, msg, sizeof head + n, &m, MM_MSG_PATH_AUTO) != MM_OK) {
        diff(where, "parse", "error", "ok");
        return;
    }
    if (m.text.len != wl || memcmp(m.text.data, want, wl) != 0)
        diff(where, "iso-2022-jp text", mm_buf_str(&m.text), want);
    n_jp++;
    mm_msg_free(&m);
}

static void check_iso2022jp(void)
{
    iconv_t cd = iconv_open("UTF-8", "ISO-2022-JP");
    if (cd == (iconv_t)-1) {
        diff("iso-2022-jp", "iconv_open", "failed", "ok");
        return;
    }
    char where[64];
    for (int a = 0x21; a <= 0x7f; a++)
        for (int b = 0x20; b <= 0x7f; b++) { /* 7-bit: 8-bit text is not read as UTF-8 */
            char body[] = {0x1b, '$', 'B', (char)a, (char)b, 0x1b, '(', 'B'};
            snprintf(where, sizeof where, "iso-2022-jp pair %02x %02x", a, b);
            check_iso2022jp_one(cd, where, body, sizeof body);
        }
    static const char *const edges[] = {
        "\x1b$B\x21\n\x21",   "\x1b(J\x5c~",    "\x1b(I!",     "\x1b$(D!!",
        "\x1b$B\x7f$3\x1b(B", "\x1b$@$3$s\x1b(B", "\x1b$B$3",     "\x1b",
        "\x1b$",               "a\x1b(Bb",        "\x1b$B$",      "\x0e\x0f\x1b$B$3\x1b(B",
        "\x1b$B\t$3 \x1b(B", "x\x1b(B\x1b$B$3", "\x1b$B$3\x1b(",
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        snprintf(where, sizeof where, "iso-2022-jp edge %zu", i);
        check_iso2022jp_one(cd, where, edges[i], strlen(edges[i]));
    }
    iconv_close(cd);
}

/* What mm_msg_decode_header() gave before it decoded any word itself. */
static char *gmime_decode(mm_arena *a, const char *v)
{
    char *dec = g_mime_utils_header_decode_text(mm_msg_parser_options(), v);
    char *out = dec ? mm_arena_strdup(a, dec) : NULL;
    g_free(dec);
    if (!out)
        return NULL;
    mm_squeeze_space(out);
    return mm_strtrim(out);
}

/* Pieces of header values: words message.c decodes itself, near misses it
 * leaves to GMime (other charsets, bad base64, surrogates, padding inside a
 * run, a UTF-8 character split over a B and a Q word), and plain text. */
/* clang-format off */
static const char *const word_pieces[] = {
    "\xed\xa0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x1b",
    "a", "Z", "0", " ", "  ", "=", "?", "=?", "?=", "\x01", "é", "中", "x_y",
    "=?utf-8?B?5Lit5paH?=", "=?UTF-8?b?w6k=?=", "=?utf-8?B?w6nDqQ==?=", "=?utf-8?B?5Li=?=",
    "=?utf-8?B?rQ==?=", "=?utf-8?B?IGEg?=", "=?utf-8?B?CQ==?=", "=?utf-8?Q?caf=C3=A9?=",
    "=?utf-8?q?a_b?=", "=?utf-8?Q?=E4=B8?=", "=?utf-8?Q?=AD_x?=", "=?utf-8?Q?=c3=a9?=",
    "=?utf-8?Q?a?b?=", "=?utf-8?Q?__?=", "=?gb2312?B?1tDOxA==?=", "=?iso-8859-1?Q?caf=E9?=",
    "=?utf-8*en?Q?a?=", "=?utf-8?B?5Lit5paH", "=?utf-8?B?=?=", "=?utf-8?B?YQ?=", "=?utf-8?B?YW?=",
    "=?utf-8?Q?=3D=3F?=", "=?utf-8?Q?a=?=", "=?utf-8?B?YWJj?=x", "x=?utf-8?B?YWJj?=",
    "\"=?utf-8?B?YWJj?=\"", "(=?utf-8?Q?a?=)", "<a@b>", ",", "=?utf-8?B?4pyT?=",
    "=?utf-8?Q?=00?=", "=?utf-8?Q?=7F?=", "=?utf-8?Q?=0A?=", "=?utf-8?Q?=F0=9D=84=9E?=",
    "=?utf-8?B?8J2Eng==?=", "=?utf-8?B?8J2E?=", "=?utf-8?B?ng==?=", "=?utf-8?Q?=ED=A0=80?=",
    "=?us-ascii?Q?hello_w?=", "=?US-ASCII?q?a=3Db?=", "=?us-ascii?B?YWJj?=",
    "=?us-ascii?Q?=C3=A9?=", "=?us-ascii?Q?=7F?=", "=?us-ascii?B?w6k=?=", "=?us-ascii?Q?=09?=",
    "=?us-ascii*en?Q?a?=", "=?us-ascii?Q?\?=", "=?us-asciii?Q?a?=", "=?UTF-8?Q?=E4=B8?=",
    "=?us-ascii?Q?=AD?=", "=?iso-8859-15?Q?Delivery_Status_=28F=29?=", "=?ISO-8859-1?Q?caf=E9?=",
    "=?iso-8859-1?B?YWJj?=", "=?iso-8859-15?Q?=A4?=", "=?iso-8859-1?Q?a=3F?=",
    "=?iso-8859-2?Q?a?=", "=?iso-8859-1?Q?=1B?=", "=?iso-8859-150?Q?a?=", "=?\?Q?a?=",
    "=?iso-8859-1?Q?_?=", "=?utf-8?B?5Lit?=.", "=?iso-8859-1?X?a?=",
    "=?iso-2022-jp?B?GyRCJUslYyE8JXMbKEI=?=",
    "=?iso-2022-jp?B?VW5kZWxpdmVyYWJsZTogGyRCJUslYyE8JXMbKEI=?=", "=?iso-2022-jp?B?GyRCJUs=?=",
    "=?iso-2022-jp?B?JWMhPBsoQg==?=", "=?iso-2022-jp?B?GyRC?=", "=?iso-2022-jp?B?JUslYw==?=",
    "=?iso-2022-jp?B?GyhCIGFiYw==?=", "=?iso-2022-jp?B?GyRCJUslYxsoQgA=?=",
    "=?iso-2022-jp?B?GyRAMCEbKEI=?=", "=?iso-2022-jp?B?GyhKfhsoQg==?=",
    "=?iso-2022-jp?B?GyRCf38bKEI=?=", "=?iso-2022-jp?B?GyRCJRsoQg==?=",
    "=?iso-2022-jp?B?YWJjoA==?=", "=?iso-2022-jp?Q?abc?=", "=?iso-2022-jp?Q?=1B$B%K%c=1B(B?=",
    "=?ISO-2022-JP?b?GyRCJUslYyE8JXMbKEI=?=", "=?iso-2022-jp?B?GyRCISEbKEI=?=",
    "=?iso-2022-jp?B?GyRCIi8bKEI=?="
};
/* clang-format on */

static void check_words(void)
{
    mm_arena a;
    mm_arena_init(&a);
    unsigned long long seed = 7;
    char buf[2048], where[64];
    for (int it = 0; it < 40000; it++) {
        size_t n = 0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = 1 + (int)((seed >> 33) % 8);
        for (int j = 0; j < k; j++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *p = word_pieces[(seed >> 33) % (sizeof word_pieces / sizeof *word_pieces)];
            memcpy(buf + n, p, strlen(p));
            n += strlen(p);
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            if ((seed >> 40) % 3)
                buf[n++] = ' ';
        }
        char *v = mm_arena_alloc(&a, n + 1), *copy;
        bool coded = false;
        mm_squeeze_copy(v, buf, n, &coded);
        if (coded && (copy = mm_arena_strdup(&a, v)) != NULL) {
            snprintf(where, sizeof where, "encoded words %d", it);
            cmp_str(where, v, mm_msg_decode_header(&a, copy), gmime_decode(&a, v));
            n_words++;
        }
        if (it % 1000 == 999)
            mm_arena_reset(&a);
    }
    mm_arena_free(&a);
}

int main(int argc, char **argv)
{
    mm_ctx *ctx;
    if (mm_ctx_create(NULL, &ctx) != MM_OK)
        return 2;
    lim = mm_ctx_limits(ctx);
    check_ctypes();
    check_iso2022jp();
    check_words();
    for (int i = 1; i < argc; i++)
        check_path(argv[i]);
    printf("%zu files, %zu messages, %zu on the fast path, %zu ISO-2022-JP texts, %zu "
           "encoded values, %zu differences\n",
           n_files, n_msgs, n_fast, n_jp, n_words, n_diff);
    mm_ctx_destroy(ctx);
    if (n_diff)
        return 1;
    return argc > 1 && n_files == 0 ? 77 : 0;
}
