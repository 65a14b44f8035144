/*
 * test_fields_nul.c - NUL bytes in a header block split by
 * mm_fields_parse_block() and mm_fields_parse_own_block() (message/fields.c).
 *
 * What fields.c promises: a field name holds no NUL (name_end() stops at
 * one, so a line whose name is cut by a NUL is no field); a value is cut at
 * its first NUL (make_value()), the bytes after it -- folded lines too --
 * dropped; a field's nul_free flag (from the line scan's NUL test) may say
 * "no NUL" only when its raw value holds none, or a value would keep bytes
 * past the NUL.  Checked on hand-made blocks and against a plain splitter
 * written from those rules on 200,000 random blocks of 0-299 bytes (the line
 * scan's 64-byte windows and 16-line queue), each in a heap block of exactly
 * its size, so that an ASan build reports a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message/message.h"

/* A heap copy of s[0..n) with no byte to spare. */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

typedef struct want_field {
    const char *name, *value;
} want_field;

/* Both splitters on an exact copy of block[0..n): the fields must be want[0..nw). */
static void check_block(const char *block, size_t n, const want_field *want, size_t nw)
{
    for (int own = 0; own < 2; own++) {
        char *t = exact(block, n);
        mm_arena a;
        mm_fields f = {0};
        mm_arena_init(&a);
        mm_status_t st = own ? mm_fields_parse_own_block(&a, t, n, &f)
                             : mm_fields_parse_block(&a, t, n, &f);
        assert_int_equal(st, MM_OK);
        if (f.n != nw)
            fail_msg("own=%d: %zu fields, want %zu", own, f.n, nw);
        for (size_t i = 0; i < f.n; i++) {
            assert_string_equal(f.v[i].name, want[i].name);
            if (f.v[i].nul_free && f.v[i].raw && memchr(f.v[i].raw, '\0', f.v[i].rawlen))
                fail_msg("own=%d field %zu: nul_free, but its raw value holds a NUL", own, i);
            assert_string_equal(mm_field_value(&f.v[i]), want[i].value);
        }
        free(f.v);
        mm_arena_free(&a);
        free(t);
    }
}

#define CHECK(lit, ...)                                                                   \
    do {                                                                                  \
        static const want_field w_[] = {__VA_ARGS__};                                     \
        check_block(lit, sizeof lit - 1, w_, sizeof w_ / sizeof w_[0]);                   \
    } while (0)
#define CHECK_NONE(lit) check_block(lit, sizeof lit - 1, NULL, 0)

/* A NUL in a value ends it: the rest of its line and its folded lines go. */
static void nul_in_value(void **state)
{
    (void)state;
    CHECK("Subject: hello\0world\nTo: b\n", {"Subject", "hello"}, {"To", "b"});
    CHECK("Subject: a\0b\n\tfolded\nTo: b\n", {"Subject", "a"}, {"To", "b"});
    CHECK("Subject: a\n\tfol\0ded\n more\n", {"Subject", "a fol"});
    CHECK("Subject: a \0 b\n", {"Subject", "a"}); /* trimmed before the NUL too */
    CHECK("Subject:\0\n", {"Subject", ""});
    CHECK("Subject: \0hello\n", {"Subject", ""});
    CHECK("A: 1\nB: \0\0\0\nC: 3\n", {"A", "1"}, {"B", ""}, {"C", "3"});
    /* a folded line of white space and a NUL is still a folded line */
    CHECK("Subject: a\n \0\nTo: b\n", {"Subject", "a"}, {"To", "b"});
}

/* A NUL in a name: the line is no field (nor a folded line: it flushes the
 * field before it, which keeps its value). */
static void nul_in_name(void **state)
{
    (void)state;
    CHECK("Sub\0ject: x\nTo: b\n", {"To", "b"});
    CHECK("\0Subject: x\nTo: b\n", {"To", "b"});
    CHECK("Subject\0: x\nTo: b\n", {"To", "b"});
    CHECK("From: a\nSub\0ject: x\n\tfolded\nTo: b\n", {"From", "a"}, {"To", "b"});
    CHECK_NONE("Subject \0: x\n");
}

/* A NUL as the block's last byte, with and without a line end before it. */
static void nul_at_the_end(void **state)
{
    (void)state;
    CHECK("Subject: x\0", {"Subject", "x"});
    CHECK("Subject: x\n\0", {"Subject", "x"});
    CHECK("Subject: x\r\n\0", {"Subject", "x"});
    CHECK("Subject: x\n\t\0", {"Subject", "x"});
    CHECK("Subject:\0", {"Subject", ""});
    /* at the end of a block longer than one 64-byte window, and of 16 lines */
    CHECK("A: 1\nB: 2\nC: 3\nD: 4\nE: 5\nF: 6\nG: 7\nH: 8\nI: 9\nJ: 10\nK: 11\nL: 12\n"
          "M: 13\nN: 14\nO: 15\nP: 16\nQ: 17\nR: 18 \0",
          {"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}, {"E", "5"}, {"F", "6"},
          {"G", "7"}, {"H", "8"}, {"I", "9"}, {"J", "10"}, {"K", "11"}, {"L", "12"},
          {"M", "13"}, {"N", "14"}, {"O", "15"}, {"P", "16"}, {"Q", "17"}, {"R", "18"});
}

/* Only NULs (and line ends): no field, no group edge (a NUL line is not blank). */
static void only_nuls(void **state)
{
    (void)state;
    CHECK_NONE("\0");
    CHECK_NONE("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    CHECK_NONE("\0\n\0\n\0");
    CHECK_NONE("\0\r\n\0\r\n");
    CHECK_NONE("\n\0\n\0\n");
    char zeros[200] = {0};
    for (size_t n = 0; n <= sizeof zeros; n++)
        check_block(zeros, n, NULL, 0);
}

/* CR, LF and CRLF next to a NUL. */
static void nul_and_line_ends(void **state)
{
    (void)state;
    CHECK("Subject: a\0\r\nTo: b\r\n", {"Subject", "a"}, {"To", "b"});
    CHECK("Subject: a\r\0\nTo: b\n", {"Subject", "a"}, {"To", "b"}); /* the CR: white space */
    CHECK("Subject: a\r\n\0\r\nTo: b\r\n", {"Subject", "a"}, {"To", "b"});
    CHECK("Subject: a\r\n\r\n\0\r\nTo: b", {"Subject", "a"}, {"", ""}, {"To", "b"});
    CHECK("Subject: a\r\0\r\n", {"Subject", "a"});
    CHECK("Subject: a\n\r\0\nTo: b\n", {"Subject", "a"}, {"To", "b"});
    CHECK("Subject: a\r\r\0", {"Subject", "a"});
    CHECK("\r\0\nTo: b\n", {"To", "b"});
}

/* White space runs as one space, the ends trimmed (mm_squeeze_copy()). */
static size_t squeeze(char *out, const char *s, size_t n)
{
    size_t w = 0;
    bool gap = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            gap = w > 0;
            continue;
        }
        if (gap)
            out[w++] = ' ';
        gap = false;
        out[w++] = c;
    }
    out[w] = '\0';
    return w;
}

enum { MAX_FIELDS = 160 };
typedef struct ref_fields {
    size_t n;
    char name[MAX_FIELDS][320], value[MAX_FIELDS][320];
} ref_fields;

static bool name_byte(char c)
{
    return c > 32 && c < 127 && c != ':';
}

static void ref_add(ref_fields *r, const char *name, size_t nlen, const char *v, size_t vlen)
{
    assert_true(r->n < MAX_FIELDS);
    memcpy(r->name[r->n], name, nlen);
    r->name[r->n][nlen] = '\0';
    const char *nul = memchr(v, '\0', vlen);
    squeeze(r->value[r->n], v, nul ? (size_t)(nul - v) : vlen);
    r->n++;
}

/* The block split by the rules of fields.c and message.h, a line at a time. */
static void ref_split(const char *t, size_t n, ref_fields *r)
{
    size_t p = 0, name = 0, nlen = 0, v = 0, e = 0;
    bool pending = false, last_blank = true;
    r->n = 0;
    while (p < n) {
        const char *lf = memchr(t + p, '\n', n - p);
        size_t le = lf ? (size_t)(lf - t) : n, next = lf ? le + 1 : n;
        if (le > p && t[le - 1] == '\r')
            le--;
        bool blank = true;
        for (size_t i = p; i < le; i++)
            blank = blank && (t[i] == ' ' || t[i] == '\t');
        if (blank || !((t[p] == ' ' || t[p] == '\t') && pending)) {
            if (pending)
                ref_add(r, t + name, nlen, t + v, e - v);
            pending = false;
        }
        if (blank) {
            if (!last_blank)
                ref_add(r, "", 0, "", 0);
            last_blank = true;
        } else if ((t[p] == ' ' || t[p] == '\t') && pending) {
            e = le;
        } else {
            size_t q = p;
            while (q < le && name_byte(t[q]))
                q++;
            size_t ne = q;
            while (q < le && (t[q] == ' ' || t[q] == '\t'))
                q++;
            if (ne > p && q < le && t[q] == ':') {
                pending = true;
                name = p;
                nlen = ne - p;
                v = q + 1;
                e = le;
            }
            last_blank = false;
        }
        p = next;
    }
    if (pending)
        ref_add(r, t + name, nlen, t + v, e - v);
}

static uint32_t next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/*
 * Random blocks of 0-299 bytes from pieces of header text: names, colons,
 * white space, CR, LF, CRLF, NULs and 8-bit bytes, so that NULs fall in
 * names, values, folded lines, blank lines and at the end, across the line
 * scan's window and queue edges.
 */
static void random_blocks(void **state)
{
    (void)state;
    static const char *const pieces[] = {"Subject", "X-A", ":", ": ", " ", "\t", "\r", "\n",
                                         "\r\n", "\n ", "\n\t", "\0", "\0\0", "v", "value w",
                                         "\xc3\xa9", "\n\n", "=?", "a:b"};
    static const size_t lens[] = {7, 3, 1, 2, 1, 1, 1, 1, 2, 2, 2, 1, 2, 1, 7, 2, 2, 2, 3};
    static ref_fields ref;
    uint32_t seed = 2026;
    char buf[300];
    for (int iter = 0; iter < 200000; iter++) {
        size_t want = next(&seed) % sizeof buf, n = 0;
        unsigned nul_rare = 1 + next(&seed) % 8; /* some blocks with few NULs, some with many */
        while (n < want) {
            size_t k = next(&seed) % (sizeof lens / sizeof lens[0]);
            if ((k == 11 || k == 12) && next(&seed) % nul_rare)
                k = 13;
            if (n + lens[k] > sizeof buf)
                break;
            memcpy(buf + n, pieces[k], lens[k]);
            n += lens[k];
        }
        ref_split(buf, n, &ref);
        for (int own = 0; own < 2; own++) {
            char *t = exact(buf, n);
            mm_arena a;
            mm_fields f = {0};
            mm_arena_init(&a);
            assert_int_equal(own ? mm_fields_parse_own_block(&a, t, n, &f)
                                 : mm_fields_parse_block(&a, t, n, &f),
                             MM_OK);
            if (f.n != ref.n)
                fail_msg("iter %d own=%d n=%zu: %zu fields, want %zu", iter, own, n, f.n, ref.n);
            for (size_t i = 0; i < f.n; i++) {
                if (f.v[i].nul_free && f.v[i].raw && memchr(f.v[i].raw, '\0', f.v[i].rawlen))
                    fail_msg("iter %d own=%d field %zu: nul_free with a NUL", iter, own, i);
                if (strcmp(f.v[i].name, ref.name[i]) != 0 ||
                    strcmp(mm_field_value(&f.v[i]), ref.value[i]) != 0)
                    fail_msg("iter %d own=%d field %zu: \"%s: %s\", want \"%s: %s\"", iter, own,
                             i, f.v[i].name, mm_field_value(&f.v[i]), ref.name[i],
                             ref.value[i]);
            }
            free(f.v);
            mm_arena_free(&a);
            free(t);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nul_in_value),     cmocka_unit_test(nul_in_name),
        cmocka_unit_test(nul_at_the_end),   cmocka_unit_test(only_nuls),
        cmocka_unit_test(nul_and_line_ends), cmocka_unit_test(random_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
