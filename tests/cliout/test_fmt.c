/*
 * test_fmt.c - the CLI's JSON and CSV writers (src/cli/fmt.c) against
 * references written the plain way, a byte at a time, on random strings
 * made of the pieces that matter: quotes, backslashes, controls, valid and
 * broken UTF-8, CSV's separators and formula starters.  The fast writers
 * copy 16 bytes at a time and take whole blocks through the stack for short
 * strings; every length from 0 to past two blocks is covered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../src/cli/fmt.h"

static uint64_t seed = 0x9E3779B97F4A7C15u;

static unsigned rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (unsigned)seed;
}

static const char *const pieces[] = {
    "a", "Z", " ", "\"", "\\", "\n", "\t", "\r", "\b", "\f", "\x01", "\x1f", "\x7f", "/",
    "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xc3", "\xe4\xb8", "\xff", "\x80",
    "\xed\xa0\x80", "\xe0\x80\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "abcdefghijklmnop", ",",
    "=", "-", "+", "@", "0123456789"};

/* A random C string of about want bytes into s (room for want + 8). */
static size_t random_string(char *s, size_t want)
{
    size_t n = 0, np = sizeof pieces / sizeof pieces[0];
    bool mostly_plain = rnd() % 2;
    while (n < want) {
        const char *p = mostly_plain && rnd() % 8 ? &"abcdefghijklmnop"[rnd() % 16]
                                                  : pieces[rnd() % np];
        size_t k = strlen(p);
        if (n + k > want)
            k = want - n;
        memcpy(s + n, p, k);
        n += k;
    }
    s[n] = '\0';
    return n;
}

/* RFC 8259 escaping as fmt.c documents it, a byte at a time. */
static void ref_json(mm_buf *b, const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    size_t left = strlen(str);
    mm_buf_putc(b, '"');
    while (left) {
        unsigned char c = *p;
        size_t n = 1;
        if (c >= 0x80) {
            n = utf8_len(p, left);
            if (n)
                mm_buf_append(b, p, n);
            else
                mm_buf_puts(b, "\xEF\xBF\xBD");
            n = n ? n : 1;
        } else if (c == '"' || c == '\\') {
            mm_buf_putc(b, '\\');
            mm_buf_putc(b, (char)c);
        } else if (c < 0x20) {
            const char *s = c == '\b'   ? "\\b"
                            : c == '\f' ? "\\f"
                            : c == '\n' ? "\\n"
                            : c == '\r' ? "\\r"
                            : c == '\t' ? "\\t"
                                        : NULL;
            if (s)
                mm_buf_puts(b, s);
            else
                mm_buf_printf(b, "\\u00%02X", c);
        } else {
            mm_buf_putc(b, (char)c);
        }
        p += n;
        left -= n;
    }
    mm_buf_putc(b, '"');
}

/* RFC 4180 quoting with the formula guard, as FORMATS.md states it. */
static void ref_csv(mm_buf *b, const char *raw, bool first)
{
    mm_buf tmp = MM_BUF_INIT;
    const char *s = utf8_clean(raw, &tmp);
    if (!first)
        mm_buf_putc(b, ',');
    bool formula = s[0] && strchr("=+-@\t\r", s[0]) && strcmp(s, "-") != 0;
    if (!formula && !strpbrk(s, ",\"\r\n")) {
        mm_buf_puts(b, s);
    } else {
        mm_buf_putc(b, '"');
        if (formula)
            mm_buf_putc(b, '\'');
        for (; *s; s++) {
            if (*s == '"')
                mm_buf_putc(b, '"');
            mm_buf_putc(b, *s);
        }
        mm_buf_putc(b, '"');
    }
    mm_buf_free(&tmp);
}

static void assert_same(const mm_buf *want, const char *got, size_t got_len, const char *in)
{
    if (want->len != got_len || memcmp(want->data, got, got_len) != 0)
        fail_msg("input \"%s\": got %.*s, want %s", in, (int)got_len, got, want->data);
}

static void test_json_string_random(void **state)
{
    (void)state;
    char s[300], out[300 * 6 + 2 + 16];
    for (int it = 0; it < 200000; it++) {
        size_t n = random_string(s, rnd() % (it < 1000 ? 40 : 200));
        mm_buf want = MM_BUF_INIT;
        ref_json(&want, s);
        char *end = json_put_string(out, s, n);
        assert_same(&want, out, (size_t)(end - out), s);
        /* verbatim: written unchanged between the quotes */
        bool same = want.len == n + 2 && memcmp(want.data + 1, s, n) == 0;
        assert_int_equal(json_verbatim(s, n), same);
        /* jw_string, with and without room in the buffer */
        mm_buf b = MM_BUF_INIT;
        for (unsigned k = rnd() % 200; k; k--)
            mm_buf_putc(&b, 'x');
        size_t pre = b.len;
        jw w = jw_begin(&b);
        jw_string(&w, s);
        assert_same(&want, b.data + pre, b.len - pre, s);
        mm_buf_free(&b);
        mm_buf_free(&want);
    }
}

/* Every length up to past four blocks, each string in a heap block of its
 * exact size (no NUL after it): a read past its end shows under ASan.  The
 * short strings (4 to 15 bytes) take the two-halves path. */
static void test_json_string_exact(void **state)
{
    (void)state;
    char s[80], out[80 * 6 + 2 + 16];
    for (size_t n = 0; n <= 70; n++) {
        for (int it = 0; it < 3000; it++) {
            size_t got = random_string(s, n);
            assert_int_equal(got, n);
            char *heap = malloc(n ? n : 1);
            assert_non_null(heap);
            memcpy(heap, s, n);
            mm_buf want = MM_BUF_INIT;
            ref_json(&want, s);
            char *end = json_put_string(out, heap, n);
            assert_same(&want, out, (size_t)(end - out), s);
            mm_buf_free(&want);
            free(heap);
        }
    }
}

/* A record through jc, growing from an empty buffer, against jw. */
static void test_jc_record(void **state)
{
    (void)state;
    char big[20000];
    for (int it = 0; it < 2000; it++) {
        size_t n = random_string(big, rnd() % 15000);
        mm_buf a = MM_BUF_INIT, b = MM_BUF_INIT;
        if (it % 2)
            mm_buf_puts(&a, "previous line\n"), mm_buf_puts(&b, "previous line\n");
        jw w = jw_begin(&a);
        jw_str(&w, "source", "x.mbox");
        jw_int(&w, "index", -(long long)it);
        jw_str(&w, "text", big);
        jw_str_or_null(&w, "none", "");
        jw_int(&w, "big", INT64_MIN);
        jw_end(&w);
        jc c = jc_begin(&b);
        jc_str(&c, JC_FIRST("source"), "x.mbox");
        jc_int(&c, JC_KEY("index"), -(long long)it);
        jc_str(&c, JC_KEY("text"), big);
        jc_str_or_null(&c, JC_KEY("none"), "");
        jc_int(&c, JC_KEY("big"), INT64_MIN);
        jc_end(&c);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        assert_int_equal(b.data[b.len], '\0');
        (void)n;
        mm_buf_free(&a);
        mm_buf_free(&b);
    }
}

/* A buffer with a limit gets no jc line (the room's bound ignores limits). */
static void test_jc_limit(void **state)
{
    (void)state;
    mm_buf b;
    mm_buf_init(&b, 1000);
    mm_buf_puts(&b, "kept");
    jc c = jc_begin(&b);
    jc_str(&c, JC_FIRST("a"), "b");
    jc_end(&c);
    assert_string_equal(mm_buf_str(&b), "kept");
    mm_buf_free(&b);
}

static void test_csv_random(void **state)
{
    (void)state;
    char s[300];
    for (int it = 0; it < 200000; it++) {
        random_string(s, rnd() % (it < 1000 ? 40 : 200));
        if (it % 97 == 0)
            strcpy(s, "-");
        bool first = rnd() % 2;
        mm_buf want = MM_BUF_INIT, got = MM_BUF_INIT;
        ref_csv(&want, s, first);
        csv_field(&got, s, first);
        assert_same(&want, got.data, got.len, s);
        mm_buf_free(&want);
        mm_buf_free(&got);
    }
}

static void test_numbers(void **state)
{
    (void)state;
    const long long v[] = {0, 7, -1, 550, 86400, 1234567890123LL, INT64_MIN, INT64_MAX,
                           INT64_MIN + 1, INT64_MAX - 1};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char want[32], got[32];
        snprintf(want, sizeof want, "%lld", v[i]);
        *json_put_number(got, v[i]) = '\0';
        assert_string_equal(got, want);
    }
    /* every power of ten and its neighbours, both signs (the digit count) */
    unsigned long long p = 1;
    for (int k = 0; k <= 19; k++, p *= 10) {
        for (long long d = -1; d <= 1; d++) {
            unsigned long long u = p + (unsigned long long)d;
            if (u > (unsigned long long)INT64_MAX)
                continue;
            for (int sign = 0; sign < 2; sign++) {
                long long x = sign ? -(long long)u : (long long)u;
                char want[32], got[32];
                snprintf(want, sizeof want, "%lld", x);
                *json_put_number(got, x) = '\0';
                assert_string_equal(got, want);
            }
        }
    }
    /* random values of every length */
    unsigned long long r = 88172645463325252ULL;
    for (int i = 0; i < 200000; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        long long x = (long long)(r >> (r % 64));
        if ((i & 1) && x != INT64_MIN)
            x = -x;
        char want[32], got[32];
        snprintf(want, sizeof want, "%lld", x);
        *json_put_number(got, x) = '\0';
        assert_string_equal(got, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_string_random), cmocka_unit_test(test_json_string_exact),
        cmocka_unit_test(test_jc_record),
        cmocka_unit_test(test_jc_limit),           cmocka_unit_test(test_csv_random),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
