/*
 * test_imap.c - the IMAP module without a server: mailbox names in
 * modified UTF-7 (RFC 3501 5.1.3) and quoted, option and URL checks, and a
 * refused connection.  The server behaviour is tested by imap_test.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mailmedic/imap.h>
#include "imap/imap_int.h"

static void test_mutf7(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"INBOX", "INBOX"},
        {"退信", "&kABP4Q-"},
        {"退信/2026", "&kABP4Q-/2026"},
        {"a&b", "a&-b"},
        {"已处理 bounces", "&XfJZBHQG- bounces"},
        {"\xf0\x9f\x98\x80", "&2D3eAA-"},       /* U+1F600: a surrogate pair */
        {"tab\there\x7f", "tab&AAk-here&AH8-"}, /* controls in base64 too */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = imap_mutf7(cases[i].in);
        assert_non_null(got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("mutf7(%s): got %s, want %s", cases[i].in, got, cases[i].want);
        free(got);
    }
    assert_null(imap_mutf7("bad\xff"));
    assert_null(imap_mutf7("two\r\nlines"));
    assert_null(imap_mutf7("\xed\xa0\x80")); /* a UTF-8-encoded surrogate */
    char *longname = malloc(2001);
    memset(longname, 'x', 2000);
    longname[2000] = '\0';
    assert_null(imap_mutf7(longname));
    free(longname);
    /* One BMP character, then surrogate pairs past the 512 units of a run:
     * refused (a pair once landed one unit past the end of the array). */
    char *pairs = malloc(3 + 4 * 300 + 1);
    memcpy(pairs, "\xe9\x80\x80", 3);
    for (size_t i = 0; i < 300; i++)
        memcpy(pairs + 3 + 4 * i, "\xf0\x9f\x98\x80", 4);
    pairs[3 + 4 * 300] = '\0';
    assert_null(imap_mutf7(pairs));
    free(pairs);
    char *q = imap_quote_mailbox("say \"hi\" \\ 退信");
    assert_string_equal(q, "\"say \\\"hi\\\" \\\\ &kABP4Q-\"");
    free(q);
}

static mm_status_t open_url(const char *url, char *why, size_t n)
{
    mm_imap_options o = {.url = url, .user = "u", .password = "secret-pw", .timeout_s = 5};
    mm_imap *im = (mm_imap *)&o; /* must be set to NULL on failure */
    mm_status_t st = mm_imap_open(&o, &im, why, n);
    assert_null(im);
    return st;
}

static void test_open_errors(void **state)
{
    (void)state;
    char why[512];
    mm_imap *im = NULL;
    assert_int_equal(mm_imap_open(NULL, &im, why, sizeof why), MM_EINVAL);
    mm_imap_options none = {0};
    assert_int_equal(mm_imap_open(&none, &im, why, sizeof why), MM_EINVAL);
    assert_int_equal(open_url("imaps://u:secret-pw@127.0.0.1/INBOX", why, sizeof why), MM_EINVAL);
    assert_non_null(strstr(why, "password"));
    assert_null(strstr(why, "secret-pw"));
    assert_int_equal(open_url("https://127.0.0.1/INBOX", why, sizeof why), MM_EINVAL);
    assert_int_equal(open_url("imaps://127.0.0.1/INBOX;UID=5", why, sizeof why), MM_EINVAL);
    assert_int_equal(open_url("imaps://127.0.0.1/INBOX?ALL", why, sizeof why), MM_EINVAL);
    assert_int_equal(open_url("not a url", why, sizeof why), MM_EINVAL);
    /* Port 1 on loopback: nothing listens. */
    assert_int_equal(open_url("imaps://127.0.0.1:1/INBOX", why, sizeof why), MM_ECONN);
    assert_non_null(strstr(why, "cannot connect"));
    assert_null(strstr(why, "secret-pw"));
    /* The NULL-safe accessors. */
    mm_imap_close(NULL);
    assert_int_equal(mm_imap_uidvalidity(NULL), 0);
    assert_false(mm_imap_uidvalidity_changed(NULL));
    assert_int_equal(mm_imap_skipped(NULL), 0);
    assert_string_equal(mm_imap_error(NULL), "");
    assert_int_equal(mm_imap_fetch_new(NULL, 0, 0, NULL, NULL), MM_EINVAL);
    assert_int_equal(mm_imap_move(NULL, 1, "x"), MM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutf7),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
