/*
 * test_address.c - unit tests of the address checker's API: the fields of
 * mm_addr for each kind of address, the code table, the RFC 5322 option,
 * hostile input (NUL, invalid UTF-8, 10 MB) and one checker shared by
 * threads.  The verdict tables are cases.tsv and the shared suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <mailmedic/address.h>

static mm_addr_checker *chk;
static mm_addr res;

static int setup(void **state)
{
    (void)state;
    return mm_addr_checker_create(&chk) == MM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mm_addr_checker_free(chk);
    return 0;
}

static const mm_addr *check(const char *s, unsigned opts)
{
    assert_int_equal(mm_addr_check(chk, s, strlen(s), opts, &res), MM_OK);
    return &res;
}

static void test_plain(void **state)
{
    (void)state;
    const mm_addr *a = check("John.Doe@Gmail.COM", 0);
    assert_true(a->syntax_ok);
    assert_int_equal(a->n_errors, 0);
    assert_string_equal(a->address, "John.Doe@gmail.com");
    assert_string_equal(a->local, "John.Doe");
    assert_string_equal(a->domain, "gmail.com");
    assert_string_equal(a->domain_ascii, "gmail.com");
    assert_true(a->norms & MM_ADDR_N_LOWER_DOMAIN);
    assert_int_equal(a->flags, 0);
    assert_int_equal(a->n_notes, 0);
    assert_string_equal(a->fixed, "");
}

static void test_idn(void **state)
{
    (void)state;
    const mm_addr *a = check("用户@例子.中国", 0);
    assert_true(a->syntax_ok);
    assert_true(a->flags & MM_ADDR_F_UTF8_LOCAL);
    assert_true(a->flags & MM_ADDR_F_IDN);
    assert_string_equal(a->domain, "例子.中国");
    assert_string_equal(a->domain_ascii, "xn--fsqu00a.xn--fiqs8s");

    a = check("user@XN--BCHER-KVA.de", 0);
    assert_true(a->syntax_ok);
    assert_string_equal(a->domain, "bücher.de");
    assert_string_equal(a->domain_ascii, "xn--bcher-kva.de");
    assert_string_equal(a->address, "user@bücher.de");
    assert_true(a->norms & MM_ADDR_N_ALABEL_DECODED);
}

static void test_flags(void **state)
{
    (void)state;
    const mm_addr *a = check("\"john doe\"@example.net", 0);
    assert_true(a->syntax_ok);
    assert_true(a->flags & MM_ADDR_F_QUOTED_LOCAL);
    assert_string_equal(a->local, "\"john doe\"");
    assert_int_equal(a->notes[0].code, MM_ADDR_SPECIAL_USE);

    a = check("root@[IPv6:2001:db8::1]", 0);
    assert_true(a->syntax_ok);
    assert_true(a->flags & MM_ADDR_F_LITERAL);
    assert_string_equal(a->domain, "[IPv6:2001:db8::1]");
    assert_int_equal(a->n_notes, 0);

    a = check("user@com", 0);
    assert_true(a->syntax_ok);
    assert_true(a->flags & MM_ADDR_F_DOTLESS);
    assert_int_equal(a->notes[0].code, MM_ADDR_DOTLESS);
}

static void test_notes(void **state)
{
    (void)state;
    const mm_addr *a = check("john@qq.con", 0);
    assert_true(a->syntax_ok);
    assert_int_equal(a->n_notes, 1);
    assert_int_equal(a->notes[0].code, MM_ADDR_TLD_UNKNOWN);
    assert_int_equal(a->notes[0].column, 9);
    assert_string_equal(a->notes[0].text, "con");
    /* a text too long for the finding is cut at a character and says so */
    a = check("x@example.verylongtldnamehere", 0);
    assert_int_equal(a->notes[0].code, MM_ADDR_TLD_UNKNOWN);
    assert_string_equal(a->notes[0].text, "verylongtldn\u2026");
    a = check("x@\u4f8b\u5b50.\u4f8b\u5b50\u4f8b\u5b50\u4f8b\u5b50\u4f8b\u5b50", 0);
    assert_int_equal(a->notes[0].code, MM_ADDR_TLD_UNKNOWN);
    assert_string_equal(a->notes[0].text, "\u4f8b\u5b50\u4f8b\u5b50\u2026");
    /* IDN TLDs are known too (through their A-label) */
    a = check("user@пример.рф", 0);
    assert_true(a->syntax_ok);
    assert_int_equal(a->n_notes, 0);
    a = check("user@xn--p1ai.xn--p1ai", 0);
    assert_int_equal(a->n_notes, 0);
}

static void test_errors(void **state)
{
    (void)state;
    const mm_addr *a = check("john.doe＠gmail。com", 0);
    assert_false(a->syntax_ok);
    assert_int_equal(a->n_errors, 1);
    assert_int_equal(a->errors[0].code, MM_ADDR_FULLWIDTH_CHAR);
    assert_int_equal(a->errors[0].column, 9);
    assert_string_equal(a->errors[0].text, "＠");
    assert_string_equal(a->fixed, "john.doe@gmail.com");
    assert_true(a->norms & MM_ADDR_N_FULLWIDTH);
    assert_string_equal(a->address, "");

    a = check("  John <john@qq.com> ", 0);
    assert_int_equal(a->errors[0].code, MM_ADDR_DISPLAY_NAME);
    assert_int_equal(a->errors[0].column, 3);
    assert_string_equal(a->fixed, "john@qq.com");
    assert_true(a->norms & MM_ADDR_N_UNWRAPPED);

    /* a long offending text is cut at a character boundary */
    a = check("user@[中中中中中中中中中中]", 0);
    assert_int_equal(a->errors[0].code, MM_ADDR_LITERAL_BAD);
    assert_string_equal(a->errors[0].text, "中");
    a = check("\"中中中中中中中中\".x@qq.com", 0);
    assert_int_equal(a->errors[0].code, MM_ADDR_QUOTE_MIXED);
}

static void test_hostile(void **state)
{
    (void)state;
    static const char nul[] = "jo\0hn@qq.com";
    assert_int_equal(mm_addr_check(chk, nul, sizeof nul - 1, 0, &res), MM_OK);
    assert_int_equal(res.errors[0].code, MM_ADDR_CONTROL_CHAR);
    assert_string_equal(res.errors[0].text, "U+0000");

    const char *bad = "jo\xff"
                      "hn@qq.com";
    const mm_addr *a = check(bad, 0);
    assert_int_equal(a->errors[0].code, MM_ADDR_INVALID_UTF8);
    assert_int_equal(a->errors[0].column, 3);
    a = check("john@q\xc3q.com", 0);
    assert_int_equal(a->errors[0].code, MM_ADDR_INVALID_UTF8);

    size_t big = 10u << 20;
    char *s = malloc(big);
    assert_non_null(s);
    memset(s, 'a', big);
    assert_int_equal(mm_addr_check(chk, s, big, MM_ADDR_RFC5322, &res), MM_OK);
    assert_int_equal(res.errors[0].code, MM_ADDR_MISSING_AT);
    assert_int_equal(res.errors[0].column, big);
    s[100] = '@';
    assert_int_equal(mm_addr_check(chk, s, big, 0, &res), MM_OK);
    assert_int_equal(res.errors[0].code, MM_ADDR_LOCAL_TOO_LONG);
    assert_string_equal(res.errors[0].text, "100");
    s[100] = 'a';
    s[10] = '@';
    for (size_t i = 20; i < big; i += 20)
        s[i] = '.';
    assert_int_equal(mm_addr_check(chk, s, big, 0, &res), MM_OK);
    assert_int_equal(res.errors[0].code, MM_ADDR_DOMAIN_TOO_LONG);
    free(s);

    assert_int_equal(mm_addr_check(NULL, "a@b", 3, 0, &res), MM_EINVAL);
    assert_int_equal(mm_addr_check(chk, NULL, 3, 0, &res), MM_EINVAL);
    assert_int_equal(mm_addr_check(chk, "a", 1, 0, NULL), MM_EINVAL);
    assert_int_equal(mm_addr_check(chk, NULL, 0, 0, &res), MM_OK);
    assert_int_equal(res.errors[0].code, MM_ADDR_EMPTY);
    mm_addr_checker_free(NULL);
}

static void test_rfc5322(void **state)
{
    (void)state;
    const mm_addr *a = check("(comment)john@qq.com", MM_ADDR_RFC5322);
    assert_true(a->syntax_ok);
    assert_int_equal(a->n_errors, 0);
    assert_int_equal(a->n_notes, 1);
    assert_int_equal(a->notes[0].code, MM_ADDR_RFC5322_ONLY);
    assert_int_equal(a->notes[0].column, 1);
    assert_false(a->flags & MM_ADDR_F_OBSOLETE);
    a = check("\"a\".b@qq.com", MM_ADDR_RFC5322);
    assert_true(a->syntax_ok);
    assert_true(a->flags & MM_ADDR_F_OBSOLETE);
    a = check("a@qq.com", MM_ADDR_RFC5322);
    assert_true(a->syntax_ok);
    assert_int_equal(a->n_notes, 0);
    a = check("a b@qq.com", MM_ADDR_RFC5322);
    assert_false(a->syntax_ok);
    assert_int_equal(a->errors[0].code, MM_ADDR_SPACE);
}

static void test_codes(void **state)
{
    (void)state;
    for (int i = 0; i < MM_ADDR_CODE_MAX_ + 2; i++) {
        const char *name = mm_addr_code_name((mm_addr_code)i);
        const char *msg = mm_addr_code_message((mm_addr_code)i);
        assert_non_null(name);
        assert_non_null(strstr(msg, "%1$zu"));
        char buf[512];
        snprintf(buf, sizeof buf, msg, (size_t)7, "x");
        assert_non_null(strstr(buf, "7"));
        for (int j = 0; j < i; j++)
            if (strcmp(name, "unknown") != 0)
                assert_string_not_equal(name, mm_addr_code_name((mm_addr_code)j));
    }
    assert_string_equal(mm_addr_code_name(MM_ADDR_MISSING_AT), "missing_at");
    assert_string_equal(mm_addr_code_name(MM_ADDR_TLD_UNKNOWN), "tld_unknown");
    assert_true(mm_addr_code_is_note(MM_ADDR_DOTLESS));
    assert_false(mm_addr_code_is_note(MM_ADDR_SPACE));
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x800)
        return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* The A-label form `a` of a valid domain: valid, the same A-labels, and
 * decoded as libidn2 decodes it (the fast "xn--" path in idn.c, or
 * libidn2 itself). */
static void same_alabels(const char *a)
{
    char addr[600], *u = NULL;
    snprintf(addr, sizeof addr, "u@%s", a);
    check(addr, 0);
    assert_int_equal(idn2_to_unicode_8z8z(a, &u, 0), IDN2_OK);
    if (!res.syntax_ok || strcmp(res.domain_ascii, a) != 0 || strcmp(res.domain, u) != 0 ||
        !(res.norms & MM_ADDR_N_ALABEL_DECODED))
        fail_msg("%s: got %s %s %s, want valid %s %s", a, res.syntax_ok ? "valid" : "invalid",
                 res.domain_ascii, res.domain, a, u);
    free(u);
}

/* Same verdict and A-labels as libidn2 (IDNA2008, no mapping) for a domain
 * with U-labels: checks the fast Punycode path in idn.c. */
static void same_as_libidn2(const char *dom)
{
    char addr[600], *a = NULL;
    snprintf(addr, sizeof addr, "u@%s", dom);
    int rc = idn2_lookup_u8((const uint8_t *)dom, (uint8_t **)&a, IDN2_NO_TR46);
    check(addr, 0);
    bool hyphen = !res.syntax_ok && (res.errors[0].code == MM_ADDR_HYPHEN_START ||
                                     res.errors[0].code == MM_ADDR_HYPHEN_END);
    if (rc == IDN2_OK && strlen(a) <= 253 && !hyphen) {
        /* (libidn2's lookup lets a U-label start or end with "-"; RFC 5891
         * 4.2.3.1 and RFC 5321 do not, and neither do we) */
        if (!res.syntax_ok || strcmp(res.domain_ascii, a) != 0)
            fail_msg("%s: got %s %s, want valid %s", dom, res.syntax_ok ? "valid" : "invalid",
                     res.domain_ascii, a);
        same_alabels(a);
    } else if (res.syntax_ok) {
        fail_msg("%s: got valid %s, want invalid (libidn2: %s)", dom, res.domain_ascii,
                 idn2_strerror_name(rc));
    }
    free(a);
}

static void test_punycode(void **state)
{
    (void)state;
    static const uint32_t ranges[][2] = {{0xC0, 0x100},    {0x370, 0x3D0},   {0x400, 0x460},
                                         {0x3040, 0x3100}, {0x4E00, 0x9FB0}, {0xAC00, 0xD7B0}};
    char dom[600];
    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
        for (uint32_t cp = ranges[r][0]; cp < ranges[r][1]; cp++) {
            size_t k = 0;
            dom[k++] = 'a';
            k += put_utf8(dom + k, cp);
            memcpy(dom + k, "b.com", 6);
            same_as_libidn2(dom);
        }
    /* longer labels: mixed scripts, lengths around the 63-octet A-label limit */
    uint32_t seed = 12345;
    for (int t = 0; t < 3000; t++) {
        size_t k = 0, n = 1 + t % 30;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t pick = (seed >> 8) % 8;
            uint32_t cp = pick == 0   ? 'a' + (seed >> 16) % 26
                          : pick == 1 ? 0xE0 + (seed >> 16) % 20
                          : pick == 2 ? 0x430 + (seed >> 16) % 32
                          : pick == 3 ? 0x3B1 + (seed >> 16) % 24
                          : pick == 4 ? 0x4E00 + (seed >> 12) % 20900
                          : pick == 5 ? 0xAC00 + (seed >> 12) % 11171
                          : pick == 6 ? 0x30A1 + (seed >> 16) % 89
                                      : '-';
            k += cp < 0x80 ? (dom[k] = (char)cp, 1) : put_utf8(dom + k, cp);
        }
        memcpy(dom + k, ".xn--p1ai", 10);
        same_as_libidn2(dom);
    }
}

static const char *const mix[] = {"a@b.com",     "x＠y.com",     "用户@例子.中国", "bad@@x",
                                  "A@[1.2.3.4]", "u@MÜNCHEN.de", "<a@b.com>",      "q@gmail.con"};

static void *worker(void *arg)
{
    (void)arg;
    mm_addr *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    long bad = 0;
    for (int r = 0; r < 500; r++)
        for (size_t i = 0; i < sizeof mix / sizeof *mix; i++) {
            mm_addr_check(chk, mix[i], strlen(mix[i]), 0, a);
            mm_addr_check(chk, mix[i], strlen(mix[i]), 0, b);
            bad += a->syntax_ok != b->syntax_ok || strcmp(a->fixed, b->fixed) != 0;
        }
    free(a);
    free(b);
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_int_equal((long)r, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),   cmocka_unit_test(test_idn),
        cmocka_unit_test(test_flags),   cmocka_unit_test(test_notes),
        cmocka_unit_test(test_errors),  cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_rfc5322), cmocka_unit_test(test_codes),
        cmocka_unit_test(test_threads), cmocka_unit_test(test_punycode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
