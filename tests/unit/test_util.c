/*
 * test_util.c - the generic helpers (buf, arena, str) and the field finders
 * of extract.c, table-driven.  Failures print "got X, want Y".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/bounce_int.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/str.h"
#include "message/message.h"

static void test_buf(void **state)
{
    (void)state;
    mm_buf b = MM_BUF_INIT;
    assert_string_equal(mm_buf_str(&b), "");
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mm_buf_printf(&b, "%d,", i), MM_OK);
    assert_true(b.len > 3000);
    assert_memory_equal(b.data, "0,1,2,", 6);
    mm_buf_free(&b);

    mm_buf lim;
    mm_buf_init(&lim, 8);
    assert_int_equal(mm_buf_puts(&lim, "12345678"), MM_OK);
    assert_int_equal(mm_buf_putc(&lim, '9'), MM_ETOOBIG);
    assert_string_equal(mm_buf_str(&lim), "12345678"); /* unchanged after a failed append */
    mm_buf_free(&lim);
}

static void test_arena(void **state)
{
    (void)state;
    mm_arena a;
    mm_arena_init(&a);
    char big[10000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_string_equal(mm_arena_strdup(&a, "hello"), "hello");
    assert_int_equal(strlen(mm_arena_strdup(&a, big)), sizeof big - 1);
    assert_string_equal(mm_arena_strndup(&a, "abcdef", 3), "abc");
    mm_arena_free(&a);
}

/* The plain definition mm_memcasemem() must agree with, first match included. */
static const char *naive_casemem(const char *h, size_t n, const char *nd, size_t nl)
{
    for (size_t i = 0; nl <= n && i + nl <= n; i++) {
        size_t k = 0;
        while (k < nl && mm_lower(h[i + k]) == mm_lower(nd[k]))
            k++;
        if (k == nl)
            return h + i;
    }
    return nl == 0 ? h : NULL;
}

/*
 * Random haystacks over a small alphabet (so matches and near misses are
 * common), every length across the 16- and 32-byte vector widths, needles cut from
 * the haystack with their case flipped, and 8-bit bytes.
 */
static void test_memcasemem_random(void **state)
{
    (void)state;
    static const char alpha[] = "aAbB@`[{zZ\x80\xc1\xe1\xc0\n ";
    uint32_t seed = 12345;
    char hay[130], nd[24];
    for (int iter = 0; iter < 200000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % sizeof hay;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            hay[i] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        seed = seed * 1103515245u + 12345u;
        size_t nl = (seed >> 8) % 20;
        if (n && (seed & 1)) {
            size_t at = (seed >> 4) % n;
            nl = nl > n - at ? n - at : nl;
            for (size_t k = 0; k < nl; k++) {
                char c = hay[at + k];
                nd[k] = (c >= 'a' && c <= 'z')   ? (char)(c - 32)
                        : (c >= 'A' && c <= 'Z') ? (char)(c + 32)
                                                 : c;
            }
        } else {
            for (size_t k = 0; k < nl; k++) {
                seed = seed * 1103515245u + 12345u;
                nd[k] = alpha[(seed >> 16) % (sizeof alpha - 1)];
            }
        }
        const char *got = mm_memcasemem(hay, n, nd, nl);
        const char *want = naive_casemem(hay, n, nd, nl);
        if (got != want)
            fail_msg("n=%zu nl=%zu: got %td, want %td", n, nl, got ? got - hay : -1,
                     want ? want - hay : -1);
    }
}

/*
 * mm_squeeze_copy against mm_squeeze_space on random strings over white
 * space, '=', '?' and 8-bit bytes, every length across the 16-byte steps;
 * "coded" against a plain scan of the input.
 */
static void test_squeeze_copy_random(void **state)
{
    (void)state;
    static const char alpha[] = "ab=?  \t\n\r\v\f\x80\xe9Z";
    uint32_t seed = 777;
    char in[100], want[101], got[101];
    for (int iter = 0; iter < 100000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % sizeof in;
        seed = seed * 1103515245u + 12345u;
        size_t kinds = 2 + (seed >> 16) % (sizeof alpha - 2); /* often only letters and spaces */
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = alpha[(seed >> 16) % kinds];
        }
        memcpy(want, in, n);
        want[n] = '\0';
        mm_squeeze_space(want);
        bool coded = false, want_coded = false;
        for (size_t i = 0; i < n; i++)
            want_coded |=
                (unsigned char)in[i] >= 0x80 || (i + 1 < n && in[i] == '=' && in[i + 1] == '?');
        size_t len = mm_squeeze_copy(got, in, n, &coded);
        assert_string_equal(got, want);
        assert_int_equal(len, strlen(want));
        assert_int_equal(coded, want_coded);
    }
}

/* mm_squeeze_copy with 0-40 bytes of leading white space (all six kinds)
 * before words, so the 16-byte leading test sees none, some and all white. */
static void test_squeeze_copy_leading(void **state)
{
    (void)state;
    static const char ws[] = " \t\n\r\v\f";
    char in[80], want[81], got[81];
    for (size_t lead = 0; lead <= 40; lead++) {
        for (size_t tail = 0; tail <= 30; tail++) {
            size_t n = 0;
            for (size_t i = 0; i < lead; i++)
                in[n++] = ws[(i * 7 + tail) % 6];
            for (size_t i = 0; i < tail; i++)
                in[n++] = i % 5 == 4 ? ' ' : (char)('a' + i % 26);
            memcpy(want, in, n);
            want[n] = '\0';
            mm_squeeze_space(want);
            size_t len = mm_squeeze_copy(got, in, n, NULL);
            assert_string_equal(got, want);
            assert_int_equal(len, strlen(want));
        }
    }
}

/* mm_lf_then (vector paths of 32 and 16 positions, then bytes) against its definition. */
static void test_lf_then_random(void **state)
{
    (void)state;
    static const char alpha[] = "x\nF>-cC";
    uint32_t seed = 4242;
    char in[200];
    for (int iter = 0; iter < 100000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % sizeof in;
        seed = seed * 1103515245u + 12345u;
        unsigned rare = 4 + (seed >> 16) % 60; /* 1 in rare bytes is not 'x' */
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (seed >> 16) % rare ? 'x' : alpha[1 + (seed >> 24) % (sizeof alpha - 2)];
        }
        size_t want = n;
        for (size_t i = 0; i + 1 < n && want == n; i++)
            if (in[i] == '\n' && (in[i + 1] == 'F' || in[i + 1] == '>'))
                want = i;
        assert_int_equal(mm_lf_then(in, n, 'F', '>', '>'), want);
        want = n;
        for (size_t i = 0; i + 1 < n && want == n; i++)
            if (in[i] == '\n' && (in[i + 1] == 'C' || in[i + 1] == 'c' || in[i + 1] == '-'))
                want = i;
        assert_int_equal(mm_lf_then(in, n, 'C', 'c', '-'), want);
    }
}

/* mm_line_run_ci (vector paths, then bytes) against its definition: the run
 * ends after an LF followed by the end or by a byte that ORed with 0x20 is
 * 'c', 'm' or '*'; starts counts the LFs before it not followed by SP/TAB. */
static void test_line_run_random(void **state)
{
    (void)state;
    static const char alpha[] = "x\n\n\n \tcCmM*-";
    uint32_t seed = 777;
    char in[300];
    for (int iter = 0; iter < 100000; iter++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 8) % sizeof in;
        seed = seed * 1103515245u + 12345u;
        unsigned rare = 3 + (seed >> 16) % 40;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (seed >> 16) % rare ? 'x' : alpha[1 + (seed >> 24) % (sizeof alpha - 2)];
        }
        size_t want = 0, want_starts = 0, starts = 0;
        for (size_t i = 0; i < n && !want; i++) {
            if (in[i] != '\n')
                continue;
            char f = (char)(i + 1 < n ? in[i + 1] | 0x20 : 0);
            if (i + 1 == n || f == 'c' || f == 'm' || f == '*')
                want = i + 1;
            else if (in[i + 1] != ' ' && in[i + 1] != '\t')
                want_starts++;
        }
        size_t got = mm_line_run_ci(in, n, 'c', 'm', '*', &starts);
        assert_int_equal(got, want);
        if (want)
            assert_int_equal(starts, want_starts);
    }
}

/* Field values: folded lines joined, white space runs squeezed, NUL ends a value. */
static void test_fields_block(void **state)
{
    (void)state;
    static const char block[] = "Subject:  a \t b\r\n\t c  \nX-Empty: \t \n"
                                "Diagnostic-Code: smtp;\v550\f5.1.1\n\nStatus: 5.0.0\n";
    static const struct {
        const char *name, *value;
    } want[] = {{"Subject", "a b c"},
                {"X-Empty", ""},
                {"Diagnostic-Code", "smtp; 550 5.1.1"},
                {"", ""},
                {"Status", "5.0.0"}};
    mm_arena a;
    mm_fields f = {0};
    mm_arena_init(&a);
    assert_int_equal(mm_fields_parse_block(&a, block, sizeof block - 1, &f), MM_OK);
    assert_int_equal(f.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < f.n; i++) {
        assert_string_equal(f.v[i].name, want[i].name);
        assert_string_equal(mm_field_value(&f.v[i]), want[i].value);
    }
    assert_int_equal(mm_fields_add(&a, &f, "X", 1, "  a\0b", 5), MM_OK);
    assert_string_equal(mm_field_value(&f.v[f.n - 1]), "a");
    free(f.v);
    mm_arena_free(&a);
}

/* mm_fields_get() with the keys filter against a plain strcasecmp() scan:
 * names of many lengths and first letters, asked for in other cases and
 * with near misses (same length, first and last letters), present and
 * absent; again after the list is emptied by n = 0 alone (keys left over,
 * as rfc3464.c does) and refilled. */
static uint32_t next_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static const char *naive_get(const mm_fields *f, const char *name)
{
    if (!name[0])
        return NULL;
    for (size_t i = 0; i < f->n; i++)
        if (strcasecmp(f->v[i].name, name) == 0)
            return mm_field_value(&f->v[i]);
    return NULL;
}

static void test_fields_keys(void **state)
{
    (void)state;
    static const char *names[] = {"To", "Cc", "From", "Date", "Subject", "Status", "X-Mailer",
                                  "Received", "Reporting-MTA", "Final-Recipient", "Action",
                                  "Diagnostic-Code", "X-Failed-Recipients", "Message-ID", "a",
                                  "Z", "Content-Type", "Arrival-Date", "Remote-MTA", "X-Y"};
    static const char *asks[] = {"to", "TO", "cc", "Tx", "from", "FROM", "Fxom", "date",
                                 "subject", "SUBJECT", "status", "Stat-s", "x-mailer",
                                 "received", "reporting-mta", "final-recipient", "action",
                                 "diagnostic-code", "Diagnostic-Kode", "x-failed-recipients",
                                 "message-id", "A", "z", "content-type", "arrival-date",
                                 "remote-mta", "x-y", "x-z", "Return-Path", "Original-Recipient",
                                 "B", "", "Auto-Submitted", "List-Id", "X-Failed-Recipient"};
    mm_arena a;
    mm_arena_init(&a);
    mm_fields f = {0};
    uint32_t seed = 5;
    for (int round = 0; round < 400; round++) {
        if (round % 3 == 0)
            f.n = 0; /* keys left as they are: a superset */
        size_t add = 1 + next_rand(&seed) % 6;
        for (size_t k = 0; k < add; k++) {
            const char *nm = names[next_rand(&seed) % (sizeof names / sizeof names[0])];
            assert_int_equal(mm_fields_add(&a, &f, nm, strlen(nm), "v", 1), MM_OK);
        }
        for (size_t k = 0; k < sizeof asks / sizeof asks[0]; k++)
            assert_ptr_equal(mm_fields_get(&f, asks[k]), naive_get(&f, asks[k]));
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            assert_ptr_equal(mm_fields_get(&f, names[k]), naive_get(&f, names[k]));
    }
    free(f.v);
    mm_arena_free(&a);
}

static void test_str(void **state)
{
    (void)state;
    assert_non_null(mm_strcasestr("Mailbox FULL today", "mailbox full"));
    assert_null(mm_strcasestr("mailbox", "mailbox full"));
    char s[] = "  a \t b\n\n c  ";
    mm_squeeze_space(s);
    assert_string_equal(mm_strtrim(s), "a b c");
    assert_true(mm_utf8_valid("\xe9\x80\x80\xe4\xbf\xa1", 6)); /* 退信 */
    assert_false(mm_utf8_valid("\xcd\xcb\xd0\xc5", 4));        /* 退信 in GBK */
    assert_false(mm_utf8_valid("\xe9\x80", 2));                /* truncated */
    for (size_t at = 0; at < 40; at++) { /* mm_memchr3: each of its bytes at every place */
        char buf[40];
        memset(buf, 'x', sizeof buf);
        assert_null(mm_memchr3(buf, sizeof buf, '2', '4', '5'));
        buf[at] = "245"[at % 3];
        if (at + 1 < sizeof buf)
            buf[at + 1] = '4';
        assert_ptr_equal(mm_memchr3(buf, sizeof buf, '2', '4', '5'), buf + at);
        assert_null(mm_memchr3(buf, at, '2', '4', '5'));
    }
    for (size_t at = 0; at < 40; at++) { /* an 8-bit byte at every place around the 16-byte steps */
        char buf[40];
        memset(buf, 'a', sizeof buf);
        assert_true(mm_ascii(buf, sizeof buf));
        buf[at] = '\x80';
        assert_false(mm_ascii(buf, sizeof buf));
        assert_true(mm_ascii(buf, at));
    }
    /* The same after ASCII runs of every length around the 16-byte skip. */
    for (size_t pad = 0; pad < 40; pad++) {
        char buf[64];
        memset(buf, 'a', pad);
        memcpy(buf + pad, "\xe9\x80\x80", 3);
        assert_true(mm_utf8_valid(buf, pad + 3));
        assert_false(mm_utf8_valid(buf, pad + 2));
        buf[pad + 1] = 'x';
        assert_false(mm_utf8_valid(buf, pad + 3));
        buf[pad] = '\xff';
        assert_false(mm_utf8_valid(buf, pad + 1));
    }
}

static void test_find_status(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want; /* want NULL: none */
    } rows[] = {
        {"550 5.1.1 <a@b.example>: User unknown", "5.1.1"},
        {"smtp; 452 4.2.2 Over quota", "4.2.2"},
        {"status 5.7.26 unauthenticated", "5.7.26"},
        {"version 1.2.3.4 of something", NULL},
        {"IP 192.0.2.1 blocked", NULL},
        {"5.0.0", "5.0.0"},
        {"see RFC 3.1.1", NULL},
        {"code 5.1.10 null MX", "5.1.10"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char got[16];
        bool found = mm_find_status(rows[i].text, strlen(rows[i].text), got);
        if (!rows[i].want) {
            if (found)
                fail_msg("%s: got %s, want none", rows[i].text, got);
        } else if (!found || strcmp(got, rows[i].want) != 0) {
            fail_msg("%s: got %s, want %s", rows[i].text, found ? got : "none", rows[i].want);
        }
    }
}

static void test_find_reply(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int want;
    } rows[] = {
        {"550 5.1.1 User unknown", 550},  {"said: 421-4.7.0 try later", 421},
        {"host [192.0.2.250] said", 0},  {"id 5501234 queued", 0},
        {"smtp;554 Transaction failed", 554}, {"no code here", 0},
        {"error 599 is not real", 0},     {"(552) too big", 552},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = mm_find_reply(rows[i].text, strlen(rows[i].text));
        if (got != rows[i].want)
            fail_msg("%s: got %d, want %d", rows[i].text, got, rows[i].want);
    }
}

static void test_find_addr(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } rows[] = {
        {"<John.Doe@Example.COM>: host said", "John.Doe@Example.COM"},
        {"rfc822; a+b@x.example.org.", "a+b@x.example.org"},
        {"nothing here @ all", NULL},
        {"user@localhost", "user@localhost"},
        {"王@例子.中国 bounced", "王@例子.中国"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n;
        const char *p = mm_find_addr(rows[i].text, strlen(rows[i].text), &n);
        if (!rows[i].want) {
            if (p)
                fail_msg("%s: got %.*s, want none", rows[i].text, (int)n, p);
        } else if (!p || n != strlen(rows[i].want) || memcmp(p, rows[i].want, n) != 0) {
            fail_msg("%s: got %.*s, want %s", rows[i].text, p ? (int)n : 4, p ? p : "none",
                     rows[i].want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_arena),
        cmocka_unit_test(test_str),
        cmocka_unit_test(test_fields_block),
        cmocka_unit_test(test_fields_keys),
        cmocka_unit_test(test_memcasemem_random),
        cmocka_unit_test(test_squeeze_copy_random),
        cmocka_unit_test(test_squeeze_copy_leading),
        cmocka_unit_test(test_lf_then_random),
        cmocka_unit_test(test_line_run_random),
        cmocka_unit_test(test_find_status),
        cmocka_unit_test(test_find_reply),
        cmocka_unit_test(test_find_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
