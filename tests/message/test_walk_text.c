/*
 * test_walk_text.c - the session-9 shortcuts of the message layer against
 * what they stand for:
 *   - mm_msg_eq_lit() (message_int.h) against mm_eq_ci_lit() (util/str.h)
 *     for every literal it is called with, on every byte value at every
 *     position and on random strings, each in a heap block of exactly its
 *     size (an ASan build reports a read past the NUL);
 *   - ISO-8859-1 text, converted without iconv now, against g_convert()
 *     (glibc's converter) for every byte value, in both charset paths of
 *     append_utf8() (valid UTF-8 bytes and not);
 *   - mm_msg_convert() (ISO-8859-1 and WINDOWS-1252 without iconv, session 9
 *     round 2) against g_convert() for every byte value alone, between
 *     ASCII, and in random strings: the same bytes, or NULL from both (glibc
 *     has no character for WINDOWS-1252's 0x81, 0x8D, 0x8F, 0x90, 0x9D);
 *     ISO-2022-JP with an 8-bit byte after every escape, mid-pair and in
 *     random mixes of escapes, pairs and 8-bit bytes: NULL, as from iconv;
 *   - HTML parts, which the fast path now points to or takes over instead of
 *     copying, against GMime's path (which still copies): one part, 7bit,
 *     quoted-printable and base64, two parts in each order, HTML then plain
 *     text, HTML in an attached message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mailmedic/ctx.h>
#include "message/message.h"
#include "message/message_int.h"
#include "util/str.h"

static mm_ctx *ctx;

static int setup(void **state)
{
    (void)state;
    return mm_ctx_create(NULL, &ctx) == MM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mm_ctx_destroy(ctx);
    return 0;
}

/* A heap copy of s (with its NUL) with no byte to spare. */
static char *exact_str(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    assert_non_null(p);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The literals the message layer compares with mm_msg_eq_lit(). */
static const char *const lits[] = {
    "text",          "message",         "multipart",   "digest",
    "rfc822",        "elivery-status",  "eedback-report", "lobal-delivery-status",
    "lobal-headers", "tml",             "fc822-headers", "delivery-status",
    "global-delivery-status", "feedback-report", "rfc822-headers", "global-headers",
    "disposition-notification", "partial", "charset", "boundary",
    "report-type",   "iso-8859-1",      "iso-2022-jp", "utf-8",
    "us-ascii",      "",
};

static void check_eq(const char *s, size_t n, const char *lit)
{
    char *a = exact_str(s, n);
    bool want = mm_eq_ci_lit(a, lit);
    bool got = mm_msg_eq_lit(a, lit, strlen(lit));
    if (want != got)
        fail_msg("\"%s\" against \"%s\": %d, want %d", a, lit, got, want);
    free(a);
}

static void eq_lit_edges(void **state)
{
    (void)state;
    char buf[64];
    for (size_t k = 0; k < sizeof lits / sizeof lits[0]; k++) {
        const char *lit = lits[k];
        size_t n = strlen(lit);
        check_eq(lit, n, lit);
        /* upper case, then every byte value at every position */
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)(lit[i] >= 'a' && lit[i] <= 'z' ? lit[i] - 32 : lit[i]);
        check_eq(buf, n, lit);
        for (size_t i = 0; i <= n; i++) {
            for (int c = 1; c < 256; c++) {
                memcpy(buf, lit, n);
                buf[i] = (char)c;
                check_eq(buf, i == n ? n + 1 : n, lit); /* at n: one byte longer */
            }
            check_eq(lit, i, lit); /* a prefix (cut by its NUL) */
        }
    }
}

static uint32_t next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void eq_lit_random(void **state)
{
    (void)state;
    uint32_t seed = 9;
    char buf[40];
    for (int round = 0; round < 200000; round++) {
        const char *lit = lits[next(&seed) % (sizeof lits / sizeof lits[0])];
        size_t n = strlen(lit), len = next(&seed) % (n + 3);
        for (size_t i = 0; i < len; i++) {
            unsigned r = next(&seed) % 4;
            char c = i < n ? lit[i] : 'x';
            /* mostly the literal's own bytes, in either case, sometimes any byte */
            buf[i] = r == 0   ? (char)(1 + next(&seed) % 255)
                     : r == 1 ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c)
                              : c;
        }
        check_eq(buf, len, lit);
    }
}

/* Parse msg (fast path and GMime's: both, when the fast path takes it). */
static void parse(const char *msg, size_t n, mm_msg_path path, mm_msg *m)
{
    mm_status_t st = mm_msg_parse_path(mm_ctx_limits(ctx), msg, n, m, path);
    if (st != MM_OK)
        fail_msg("parse (path %d): %s", (int)path, mm_strerror(st));
}

/* A one-part message of charset cs whose body is body[0..n). */
static char *one_part(const char *cs, const char *body, size_t n, size_t *len)
{
    const char *fmt = "From: a@example.org\nSubject: s\nMIME-Version: 1.0\n"
                      "Content-Type: text/plain; charset=%s\nContent-Transfer-Encoding: 8bit\n\n";
    size_t hl = (size_t)snprintf(NULL, 0, fmt, cs);
    char *msg = malloc(hl + n + 1);
    assert_non_null(msg);
    snprintf(msg, hl + 1, fmt, cs);
    memcpy(msg + hl, body, n);
    *len = hl + n;
    return msg;
}

/* ISO-8859-1 body[0..n) read as text equals glibc's conversion. */
static void check_latin1(const char *cs, const char *body, size_t n)
{
    size_t len;
    char *msg = one_part(cs, body, n, &len);
    gsize w = 0;
    char *want = g_convert(body, (gssize)n, "UTF-8", "ISO-8859-1", NULL, &w, NULL);
    assert_non_null(want);
    for (int path = 0; path < 2; path++) {
        mm_msg m;
        parse(msg, len, path ? MM_MSG_PATH_GMIME : MM_MSG_PATH_FAST, &m);
        /* the text gets an LF at its end when it has none */
        bool lf = w && want[w - 1] == '\n';
        if (m.text.len != w + !lf || memcmp(m.text.data, want, w) != 0)
            fail_msg("%s, path %d: text of %zu bytes differs from iconv's %zu", cs, path,
                     m.text.len, (size_t)w);
        mm_msg_free(&m);
    }
    g_free(want);
    free(msg);
}

static void latin1_every_byte(void **state)
{
    (void)state;
    char body[600];
    size_t n = 0;
    /* every byte but NUL and the line ends (the copy turns CR into LF), in lines */
    for (int c = 1; c < 256; c++) {
        if (c == '\n' || c == '\r')
            continue;
        body[n++] = (char)c;
        if (c % 32 == 0)
            body[n++] = '\n';
    }
    body[n++] = '\n';
    check_latin1("iso-8859-1", body, n);
    check_latin1("ISO-8859-1", body, n);
    check_latin1("\"Iso-8859-1\"", body, n);
    /* valid UTF-8 bytes (the other branch of append_utf8) */
    static const char utf8[] = "caf\xC3\xA9 \xE2\x82\xAC and plain\nsecond line\n";
    check_latin1("iso-8859-1", utf8, sizeof utf8 - 1);
    /* only 8-bit bytes, and one byte */
    check_latin1("iso-8859-1", "\xE9\xE8\xFF\x80", 4);
    check_latin1("iso-8859-1", "\xA0", 1);
}

/* mm_msg_convert(s, n, cs) gives what glibc's iconv gives, or NULL as it does. */
static void check_convert(const char *cs, const char *iconv_cs, const char *s, size_t n)
{
    char *in = exact_str(s, n);
    gsize w = 0;
    char *want = g_convert(in, (gssize)n, "UTF-8", iconv_cs, NULL, &w, NULL);
    size_t got_n = 0;
    char *got = mm_msg_convert(in, n, cs, &got_n);
    if (!want != !got)
        fail_msg("%s, %zu bytes from 0x%02X: iconv %s, mm_msg_convert %s", cs, n,
                 n ? (unsigned char)in[0] : 0, want ? "converts" : "fails",
                 got ? "converts" : "fails");
    if (got && (got_n != w || memcmp(got, want, w + 1) != 0))
        fail_msg("%s, %zu bytes from 0x%02X: %zu bytes, iconv's %zu differ", cs, n,
                 n ? (unsigned char)in[0] : 0, got_n, (size_t)w);
    g_free(want);
    g_free(got);
    free(in);
}

static void convert_every_byte(void **state)
{
    (void)state;
    static const char *const names[][2] = {
        {"windows-1252", "WINDOWS-1252"}, {"Windows-1252", "CP1252"},
        {"WINDOWS-1252", "WINDOWS-1252"}, {"iso-8859-1", "ISO-8859-1"},
        {"ISO-8859-1", "LATIN1"}};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const char *cs = names[k][0], *ics = names[k][1];
        check_convert(cs, ics, "", 0);
        char all[256];
        for (int c = 0; c < 256; c++) {
            char one = (char)c, mid[3] = {'a', (char)c, '\n'};
            check_convert(cs, ics, &one, 1);
            check_convert(cs, ics, mid, 3);
            all[c] = (char)c;
        }
        check_convert(cs, ics, all, sizeof all); /* WINDOWS-1252: NULL (0x81) */
        check_convert(cs, ics, all + 0x82, 0x8D - 0x82); /* 0x82-0x8C */
        check_convert(cs, ics, all + 0x91, 0x9D - 0x91);
        check_convert(cs, ics, all + 0x9E, 256 - 0x9E);
        check_convert(cs, ics, all, 0x80);
        /* random strings, mostly 8-bit, some with ASCII runs */
        unsigned seed = 12345u + (unsigned)k;
        for (int r = 0; r < 20000; r++) {
            char buf[80];
            seed = seed * 1103515245u + 12345u;
            size_t n = (seed >> 16) % sizeof buf;
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                unsigned v = seed >> 16;
                buf[i] = (char)(v % 3 ? 0x80 + (v >> 2) % 128 : 0x20 + (v >> 2) % 95);
            }
            check_convert(cs, ics, buf, n);
        }
    }
}

/* ISO-2022-JP with an 8-bit byte anywhere: NULL without iconv, as from it;
 * and 7-bit text, converted here or by iconv, as iconv does. */
static void convert_iso2022jp(void **state)
{
    (void)state;
    static const char *const pre[] = {"",          "ab",        "\x1b$B",   "\x1b$B0",
                                      "\x1b$B0!", "\x1b(J",   "\x1b(Jx",  "\x1b(I",
                                      "\x1b$@",   "\x1b$(D",  "\x1b$A",   "\x1b(B",
                                      "\x1b$B\n", "\x1b",     "\x1b$",    "\x1b("};
    for (size_t p = 0; p < sizeof pre / sizeof pre[0]; p++) {
        for (int b = 0; b < 256; b++) {
            for (int suf = 0; suf < 3; suf++) {
                char buf[32];
                size_t n = strlen(pre[p]);
                memcpy(buf, pre[p], n);
                buf[n++] = (char)b;
                if (suf == 1)
                    buf[n++] = 'A';
                else if (suf == 2)
                    memcpy(buf + n, "\x1b(B", 3), n += 3;
                check_convert("iso-2022-jp", "ISO-2022-JP", buf, n);
                check_convert("ISO-2022-JP", "ISO-2022-JP", buf, n);
            }
        }
    }
    static const char *const toks[] = {"\x1b$B", "\x1b(B", "\x1b(J", "\x1b$@", "0!", "a",
                                       "\n",     "\x0e",   "\x0f",   " ",      "\x1b$(D"};
    unsigned seed = 777u;
    for (int r = 0; r < 50000; r++) {
        char buf[80];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 16) % 8);
        for (int i = 0; i < k; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned v = seed >> 16;
            if (v % 4 == 0) {
                buf[n++] = (char)(0x80 + (v >> 2) % 128);
            } else {
                const char *t = toks[(v >> 2) % (sizeof toks / sizeof toks[0])];
                memcpy(buf + n, t, strlen(t));
                n += strlen(t);
            }
        }
        check_convert("iso-2022-jp", "ISO-2022-JP", buf, n);
    }
}

/* The fast path and GMime's give the same text for msg. */
static void check_same_text(const char *msg)
{
    size_t n = strlen(msg);
    char *copy = exact_str(msg, n);
    mm_msg a, b;
    parse(copy, n, MM_MSG_PATH_FAST, &a);
    parse(copy, n, MM_MSG_PATH_GMIME, &b);
    if (a.text.len != b.text.len || memcmp(mm_buf_str(&a.text), mm_buf_str(&b.text), a.text.len))
        fail_msg("text differs:\nfast:  \"%s\"\ngmime: \"%s\"", mm_buf_str(&a.text),
                 mm_buf_str(&b.text));
    if (a.orig_text.len != b.orig_text.len ||
        memcmp(mm_buf_str(&a.orig_text), mm_buf_str(&b.orig_text), a.orig_text.len))
        fail_msg("orig_text differs");
    mm_msg_free(&a);
    mm_msg_free(&b);
    free(copy);
}

#define HEAD "From: a@example.org\nSubject: s\nMIME-Version: 1.0\n"
#define ALT "Content-Type: multipart/alternative; boundary=\"b1\"\n\n"
#define HTML7 "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>Mail &amp; <b>bold</b></p>\n<br>x\n"
#define HTMLQP                                                                              \
    "--b1\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" \
    "<p>Soft=\n break &lt;here&gt; =C3=A9t=C3=A9</p>\n"
#define HTMLB64                                                                             \
    "--b1\nContent-Type: text/html\nContent-Transfer-Encoding: base64\n\n"                     \
    "PGh0bWw+PGJvZHk+PHA+QmFzZSA2NDwvcD48c2NyaXB0PnggPCAxPC9zY3JpcHQ+PC9ib2R5PjwvaHRtbD4=\n"
#define PLAIN "--b1\nContent-Type: text/plain\n\nplain words\n"
#define END "--b1--\n"

static void html_parts(void **state)
{
    (void)state;
    check_same_text(HEAD ALT HTML7 END);
    check_same_text(HEAD ALT HTMLQP END);
    check_same_text(HEAD ALT HTMLB64 END);
    check_same_text(HEAD ALT HTML7 HTMLQP END);
    check_same_text(HEAD ALT HTMLQP HTML7 END);
    check_same_text(HEAD ALT HTMLB64 HTMLQP HTML7 END);
    check_same_text(HEAD ALT HTML7 PLAIN END);
    check_same_text(HEAD ALT HTMLQP PLAIN HTML7 END);
    /* a tag cut between two parts: the parts are read joined, as before */
    check_same_text(HEAD ALT "--b1\nContent-Type: text/html\n\n<p>one <b\n"
                             "--b1\nContent-Type: text/html\n\nclass=x>two</b></p>\n" END);
    /* an empty HTML part, then one with text */
    check_same_text(HEAD ALT "--b1\nContent-Type: text/html\n\n\n" HTMLQP END);
    /* HTML only in an attached message: not the text */
    check_same_text(HEAD "Content-Type: multipart/mixed; boundary=\"b0\"\n\n"
                         "--b0\nContent-Type: text/plain\n\nbounce words\n"
                         "--b0\nContent-Type: message/rfc822\n\n"
                         "From: c@example.org\nMIME-Version: 1.0\n" ALT HTMLQP END "--b0--\n");
    /* a top-level HTML body, 7bit and quoted-printable */
    check_same_text(HEAD "Content-Type: text/html\n\n<html><p>top</p></html>\n");
    check_same_text(HEAD "Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n"
                         "<p>top =3D level</p>\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eq_lit_edges),
        cmocka_unit_test(eq_lit_random),
        cmocka_unit_test(latin1_every_byte),
        cmocka_unit_test(convert_every_byte),
        cmocka_unit_test(convert_iso2022jp),
        cmocka_unit_test(html_parts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
