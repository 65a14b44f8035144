/*
 * test_smtp.c - the SMTP reply parser on canned replies, table-driven
 * (whole replies, replies cut at every byte, hostile ones), the verdict
 * names and provider table, argument checks, and that freeing a prober
 * aborts a hanging session at once.  The dialogue itself is tested against
 * Postfix and scripted servers by smtp_probe.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "smtp/reply.h"
#include <mailmedic/smtp.h>

typedef struct reply_case {
    const char *in;
    mm_smtp_parse want;
    int code;
    const char *enhanced;
    const char *text;
    unsigned ext;
    size_t used; /* 0: all of in */
} reply_case;

static const reply_case cases[] = {
    {"220 mx.example.com ESMTP Postfix\r\n", MM_SMTP_PARSE_DONE, 220, "",
     "mx.example.com ESMTP Postfix", 0, 0},
    {"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-starttls\r\n"
     "250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n",
     MM_SMTP_PARSE_DONE, 250, "",
     "mx.example.com PIPELINING SIZE 10240000 starttls "
     "ENHANCEDSTATUSCODES SMTPUTF8",
     MM_SMTP_EXT_STARTTLS | MM_SMTP_EXT_SMTPUTF8 | MM_SMTP_EXT_PIPELINING |
         MM_SMTP_EXT_ENHANCEDSTATUSCODES,
     0},
    /* Gmail's three-line refusal: the enhanced code is stripped from each line. */
    {"550-5.1.1 The email account that you tried to reach does not exist.\r\n"
     "550-5.1.1 Please try\r\n550 5.1.1 https://support.google.com/mail/?p=NoSuchUser\r\n",
     MM_SMTP_PARSE_DONE, 550, "5.1.1",
     "The email account that you tried to reach does not exist. Please try "
     "https://support.google.com/mail/?p=NoSuchUser",
     0, 0},
    {"450 4.7.1 <a@b>: Recipient address rejected: greylisted\r\n", MM_SMTP_PARSE_DONE, 450,
     "4.7.1", "<a@b>: Recipient address rejected: greylisted", 0, 0},
    /* A class that does not match the code is not an enhanced code. */
    {"550 4.1.1 odd\r\n", MM_SMTP_PARSE_DONE, 550, "", "4.1.1 odd", 0, 0},
    {"452 4.5.3 Too many recipients\n", MM_SMTP_PARSE_DONE, 452, "4.5.3", "Too many recipients", 0,
     0},
    {"250\r\n", MM_SMTP_PARSE_DONE, 250, "", "", 0, 0},
    {"554 5.7.1\r\n", MM_SMTP_PARSE_DONE, 554, "5.7.1", "", 0, 0},
    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; not found\r\n", MM_SMTP_PARSE_DONE, 550, "5.1.10",
     "RESOLVER.ADR.RecipientNotFound; not found", 0, 0},
    /* A detail of 4 digits is not an enhanced code. */
    {"550 5.1.1000 x\r\n", MM_SMTP_PARSE_DONE, 550, "", "5.1.1000 x", 0, 0},
    /* Control characters and bad UTF-8 are cleaned; good UTF-8 is kept. */
    {"550 bad\tuser\x01 \xff\xfe \xe7\x94\xa8\xe6\x88\xb7 gone\r\n", MM_SMTP_PARSE_DONE, 550, "",
     "bad user ?? \xe7\x94\xa8\xe6\x88\xb7 gone", 0, 0},
    {"550 a\0b\r\n", MM_SMTP_PARSE_DONE, 550, "", "a b", 0, 9},
    /* Only the first reply is consumed. */
    {"250 ok\r\n221 bye\r\n", MM_SMTP_PARSE_DONE, 250, "", "ok", 0, 8},
    /* Not complete yet. */
    {"250-first\r\n250 sec", MM_SMTP_PARSE_MORE, 250, "", "first", 0, 11},
    {"", MM_SMTP_PARSE_MORE, 0, "", "", 0, 0},
    /* Malformed. */
    {"hello\r\n", MM_SMTP_PARSE_BAD, 0, "", "", 0, 7},
    {"25\r\n", MM_SMTP_PARSE_BAD, 0, "", "", 0, 4},
    {"650 nope\r\n", MM_SMTP_PARSE_BAD, 0, "", "", 0, 10},
    {"250_x\r\n", MM_SMTP_PARSE_BAD, 0, "", "", 0, 7},
    {"250-a\r\n251 b\r\n", MM_SMTP_PARSE_BAD, 250, "", "a", 0, 14},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const reply_case *c = &cases[i];
        size_t len = c->used && c->used > strlen(c->in) ? c->used : strlen(c->in);
        mm_smtp_reply r;
        size_t used = 0;
        mm_smtp_reply_init(&r);
        mm_smtp_parse got = mm_smtp_reply_feed(&r, c->in, len, &used);
        if (got != c->want || r.code != c->code || strcmp(r.enhanced, c->enhanced) ||
            strcmp(r.text, c->text) || r.ext != c->ext || used != (c->used ? c->used : len))
            fail_msg("case %zu: got rc %d code %d enhanced '%s' text '%s' ext %u used %zu, "
                     "want rc %d code %d enhanced '%s' text '%s' ext %u used %zu",
                     i, got, r.code, r.enhanced, r.text, r.ext, used, c->want, c->code, c->enhanced,
                     c->text, c->ext, c->used ? c->used : len);
    }
}

/* Fed one byte at a time, as a slow server would send it, every complete
 * case gives the same reply as when fed at once. */
static void test_byte_at_a_time(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const reply_case *c = &cases[i];
        if (c->want != MM_SMTP_PARSE_DONE)
            continue;
        size_t len = c->used > strlen(c->in) ? c->used : strlen(c->in), have = 0, off = 0;
        char buf[4096];
        mm_smtp_reply r;
        mm_smtp_reply_init(&r);
        mm_smtp_parse got = MM_SMTP_PARSE_MORE;
        while (got == MM_SMTP_PARSE_MORE && off < len) {
            buf[have++] = c->in[off++];
            size_t used = 0;
            got = mm_smtp_reply_feed(&r, buf, have, &used);
            memmove(buf, buf + used, have - used);
            have -= used;
        }
        if (got != MM_SMTP_PARSE_DONE || r.code != c->code || strcmp(r.text, c->text))
            fail_msg("case %zu bytewise: got rc %d code %d text '%s', want DONE %d '%s'", i, got,
                     r.code, r.text, c->code, c->text);
    }
}

static void test_limits(void **state)
{
    (void)state;
    size_t n = 3 * MM_SMTP_LINE_MAX;
    char *big = malloc(n + 3);
    assert_non_null(big);
    memcpy(big, "220 ", 4);
    memset(big + 4, 'x', n - 4);
    mm_smtp_reply r;
    size_t used;

    /* A line too long, with or without its end. */
    mm_smtp_reply_init(&r);
    assert_int_equal(mm_smtp_reply_feed(&r, big, n, &used), MM_SMTP_PARSE_TOOBIG);
    memcpy(big + n, "\r\n", 2);
    mm_smtp_reply_init(&r);
    assert_int_equal(mm_smtp_reply_feed(&r, big, n + 2, &used), MM_SMTP_PARSE_TOOBIG);

    /* The longest line allowed passes; its text is truncated, still valid. */
    size_t ok = MM_SMTP_LINE_MAX;
    memcpy(big + ok, "\r\n", 2);
    mm_smtp_reply_init(&r);
    assert_int_equal(mm_smtp_reply_feed(&r, big, ok + 2, &used), MM_SMTP_PARSE_DONE);
    assert_true(r.truncated);
    assert_int_equal(strlen(r.text), MM_SMTP_TEXT_MAX - 1);
    free(big);

    /* Too many lines. */
    mm_smtp_reply_init(&r);
    mm_smtp_parse rc = MM_SMTP_PARSE_MORE;
    for (int i = 0; i < 200 && rc == MM_SMTP_PARSE_MORE; i++)
        rc = mm_smtp_reply_feed(&r, "250-x\r\n", 7, &used);
    assert_int_equal(rc, MM_SMTP_PARSE_TOOBIG);
    assert_int_equal(r.lines, MM_SMTP_REPLY_MAX_LINES);
}

static void test_sanitize(void **state)
{
    (void)state;
    char out[8];
    size_t len = 0;
    /* A 3-byte character that does not fit is left out whole. */
    assert_false(mm_smtp_sanitize(out, sizeof out, &len, "abcde\xe7\x94\xa8", 8));
    assert_string_equal(out, "abcde");
    len = 0;
    assert_true(mm_smtp_sanitize(out, sizeof out, &len, "  a \r\n b", 8));
    assert_string_equal(out, "a b");
    len = 0;
    /* Overlong form, surrogate, past U+10FFFF. */
    assert_true(mm_smtp_sanitize(out, sizeof out, &len, "\xc0\xaf\xed\xa0\x80", 5));
    assert_string_equal(out, "?????");
}

static void test_names(void **state)
{
    (void)state;
    static const char *const want[] = {"accepted",  "rejected",       "tempfail",
                                       "catch_all", "always_accepts", "conn_failed",
                                       "timeout",   "protocol_error", "blocked"};
    for (int v = 0; v < MM_SMTP_VERDICT_MAX_; v++)
        assert_string_equal(mm_smtp_verdict_name((mm_smtp_verdict)v), want[v]);
    assert_string_equal(mm_smtp_verdict_name(MM_SMTP_VERDICT_MAX_), "unknown");
    assert_true(mm_smtp_always_accepts("yahoo.com"));
    assert_true(mm_smtp_always_accepts("YAHOO.com."));
    assert_true(mm_smtp_always_accepts("aol.com"));
    assert_false(mm_smtp_always_accepts("yahoo.co.jp"));
    assert_false(mm_smtp_always_accepts("notyahoo.com"));
    assert_false(mm_smtp_always_accepts("gmail.com"));
}

static void count_cb(void *arg, size_t index, const mm_smtp_result *r)
{
    (void)index;
    (void)r;
    if (arg)
        (*(int *)arg)++;
}

static void save_cb(void *arg, size_t index, const mm_smtp_result *r)
{
    if (index == 0)
        *(mm_smtp_result *)arg = *r;
}

/* No MX: every recipient gets conn_failed without any connection. */
static void test_no_mx(void **state)
{
    (void)state;
    mm_smtp_prober *p = NULL;
    mm_smtp_result r;
    memset(&r, 0, sizeof r);
    const char *rcpt = "a@nomx.test";
    assert_int_equal(mm_smtp_prober_create(NULL, &p), MM_OK);
    assert_int_equal(mm_smtp_probe_domain(p, "nomx.test", NULL, 0, &rcpt, 1, save_cb, &r), MM_OK);
    assert_int_equal(mm_smtp_prober_wait(p), MM_OK);
    mm_smtp_prober_free(p);
    assert_int_equal(r.verdict, MM_SMTP_CONN_FAILED);
    assert_string_equal(r.stage, "connect");
    assert_string_equal(r.reply, "no MX address to connect to");
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A server that accepts (the kernel completes the handshake) and never
 * speaks; freeing the prober must end the 30 s wait at once, without a
 * callback. */
static void test_free_aborts(void **state)
{
    (void)state;
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(ls, 8), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&sa, &len), 0);

    mm_smtp_opts o;
    mm_smtp_opts_default(&o);
    o.port = ntohs(sa.sin_port);
    mm_smtp_prober *p = NULL;
    assert_int_equal(mm_smtp_prober_create(&o, &p), MM_OK);
    const char *mx = "127.0.0.1", *rcpt[] = {"a@hang.test", "b@hang.test"};
    int calls = 0;
    assert_int_equal(mm_smtp_probe_domain(p, "hang.test", &mx, 1, rcpt, 2, count_cb, &calls),
                     MM_OK);
    usleep(300 * 1000);
    long t = now_ms();
    mm_smtp_prober_free(p);
    long took = now_ms() - t;
    close(ls);
    if (took > 1000)
        fail_msg("free took %ld ms, want < 1000", took);
    assert_int_equal(calls, 0);
}

static void test_create_checks(void **state)
{
    (void)state;
    mm_smtp_opts o;
    mm_smtp_prober *p = NULL;
    mm_smtp_opts_default(&o);
    o.helo = "bad name\r\nMAIL";
    assert_int_equal(mm_smtp_prober_create(&o, &p), MM_EINVAL);
    assert_null(p);
    mm_smtp_opts_default(&o);
    o.mail_from = "a@b>\r\nDATA";
    assert_int_equal(mm_smtp_prober_create(&o, &p), MM_EINVAL);
    assert_int_equal(mm_smtp_prober_create(NULL, &p), MM_OK);
    assert_int_equal(mm_smtp_probe_domain(p, NULL, NULL, 0, NULL, 0, NULL, NULL), MM_EINVAL);
    const char *rcpt = "a@example.test";
    assert_int_equal(mm_smtp_probe_domain(p, "x.test\r\nDATA", NULL, 0, &rcpt, 1, count_cb, NULL),
                     MM_EINVAL);
    assert_int_equal(mm_smtp_prober_wait(p), MM_OK);
    mm_smtp_prober_free(p);
    mm_smtp_prober_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),  cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_limits), cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_names),  cmocka_unit_test(test_create_checks),
        cmocka_unit_test(test_no_mx),  cmocka_unit_test(test_free_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
