/*
 * test_domains.c - classes, roles, providers, suggestion kinds and the
 * curation of the compiled-in lists, table-driven.  Failures print
 * "got X, want Y".
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

#include <mailmedic/domains.h>
#include "domains/data.h"

static mm_domains *D;

static int setup(void **state)
{
    (void)state;
    return mm_domains_create(&D) == MM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mm_domains_free(D);
    return 0;
}

static unsigned cls(const char *s)
{
    return mm_domains_class(D, s, strlen(s));
}

static void check_class(const char *dom, unsigned want)
{
    unsigned got = cls(dom);
    if (got != want)
        fail_msg("class(%s): got %#x, want %#x", dom, got, want);
}

static void test_classes(void **state)
{
    (void)state;
    static const struct {
        const char *domain;
        unsigned want;
    } rows[] = {
        {"gmail.com", MM_DOM_FREE | MM_DOM_KNOWN},
        {"GMAIL.COM", MM_DOM_FREE | MM_DOM_KNOWN},
        {"gmail.com.", MM_DOM_FREE | MM_DOM_KNOWN},
        {"qq.com", MM_DOM_FREE | MM_DOM_KNOWN},
        {"163.com", MM_DOM_FREE | MM_DOM_KNOWN},
        {"126.com", MM_DOM_FREE | MM_DOM_KNOWN},
        {"vip.qq.com", MM_DOM_KNOWN}, /* paid: known, not free */
        {"vip.163.com", MM_DOM_KNOWN},
        {"comcast.net", MM_DOM_FREE | MM_DOM_KNOWN}, /* consumer ISP mail counts as free */
        {"gmx.it", MM_DOM_FREE | MM_DOM_KNOWN},      /* free.txt */
        {"mailinator.com", MM_DOM_DISPOSABLE},
        {"guerrillamail.com", MM_DOM_DISPOSABLE},
        {"x.y.mailinator.com", MM_DOM_DISPOSABLE}, /* subdomains count */
        {"MAILINATOR.COM", MM_DOM_DISPOSABLE},
        {"mail.gmail.com", 0}, /* subdomains of providers do not */
        {"acme-widgets.com", 0},
        {"globaltech.co.uk", 0},
        {"", 0},
        {"com", 0},
        {".", 0},
        {"mailinator.com.evil.example", 0},
        {"\x11\x16\x13.com", 0}, /* control bytes do not pass for digits */
        {"QQ\x0ecom", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
        check_class(rows[i].domain, rows[i].want);
    assert_int_equal(mm_domains_class(NULL, "gmail.com", 9), 0);
    assert_int_equal(mm_domains_class(D, NULL, 0), 0);
    /* Not NUL-terminated: only len bytes count. */
    assert_int_equal(mm_domains_class(D, "qq.comXYZ", 6), MM_DOM_FREE | MM_DOM_KNOWN);
}

/* The curation rule: a major provider is never disposable. */
static void test_curation(void **state)
{
    (void)state;
    static const char *const majors[] = {
        "21cn.com",  "tom.com", "163.com",   "126.com",    "qq.com",      "foxmail.com",
        "sina.com",  "sina.cn", "sohu.com",  "aliyun.com", "yeah.net",    "139.com",
        "189.cn",    "188.com", "wo.cn",     "gmail.com",  "outlook.com", "hotmail.com",
        "yahoo.com", "mail.ru", "yandex.ru", "gmx.de",     "web.de",      "naver.com",
    };
    for (size_t i = 0; i < sizeof majors / sizeof *majors; i++) {
        unsigned c = cls(majors[i]);
        if (c & MM_DOM_DISPOSABLE)
            fail_msg("%s: got disposable, want a real provider", majors[i]);
        if (!(c & MM_DOM_KNOWN))
            fail_msg("%s: got %#x, want known", majors[i], c);
    }
    /* The free-mail Chinese majors are free, not only known. */
    static const char *const free_cn[] = {"21cn.com", "tom.com",    "163.com",  "126.com",
                                          "qq.com",   "sina.com",   "sohu.com", "aliyun.com",
                                          "yeah.net", "foxmail.com"};
    for (size_t i = 0; i < sizeof free_cn / sizeof *free_cn; i++)
        if (!(cls(free_cn[i]) & MM_DOM_FREE))
            fail_msg("%s: got %#x, want free", free_cn[i], cls(free_cn[i]));
    /* No compiled-in free or popular domain is also disposable. */
    for (size_t i = 0; i < mm_dom_popular_count; i++)
        if (cls(mm_dom_popular[i].domain) & MM_DOM_DISPOSABLE)
            fail_msg("%s (popular.txt) is disposable", mm_dom_popular[i].domain);
    for (size_t i = 0; i < mm_dom_free_count; i++)
        if (cls(mm_dom_free[i]) != (MM_DOM_FREE | MM_DOM_KNOWN))
            fail_msg("%s (free.txt): got %#x, want free and known", mm_dom_free[i],
                     cls(mm_dom_free[i]));
    for (size_t i = 0; i < mm_dom_disposable_count; i++)
        if (cls(mm_dom_disposable[i]) != MM_DOM_DISPOSABLE)
            fail_msg("%s (disposable.txt): got %#x, want disposable only", mm_dom_disposable[i],
                     cls(mm_dom_disposable[i]));
    assert_true(mm_dom_disposable_count > 100);
}

static void test_roles(void **state)
{
    (void)state;
    static const struct {
        const char *local, *want;
    } rows[] = {
        {"info", "info"},
        {"INFO", "info"},
        {"Info+news", "info"},
        {"sales", "sales"},
        {"noreply", "noreply"},
        {"no-reply", "noreply"},
        {"no_reply", "noreply"},
        {"No.Reply", "noreply"},
        {"do-not-reply", "noreply"},
        {"postmaster", "postmaster"},
        {"abuse", "abuse"},
        {"admin", "admin"},
        {"administrator", "admin"},
        {"webmaster", "webmaster"},
        {"support+ticket-1", "support"},
        {"kefu", "customerservice"},
        {"mailer-daemon", "mailerdaemon"},
        {"hr", "hr"},
        {"john.smith", NULL},
        {"li.wei", NULL},
        {"12345678", NULL},
        {"", NULL},
        {"+info", NULL},
        {"information-desk", NULL},
        {"infos", NULL},
        {"-", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const char *got = mm_domains_role(D, rows[i].local, strlen(rows[i].local));
        if ((got == NULL) != (rows[i].want == NULL) || (got && strcmp(got, rows[i].want) != 0))
            fail_msg("role(%s): got %s, want %s", rows[i].local, got ? got : "NULL",
                     rows[i].want ? rows[i].want : "NULL");
    }
    char longer[200];
    memset(longer, 'a', sizeof longer);
    assert_null(mm_domains_role(D, longer, sizeof longer));
    assert_null(mm_domains_role(NULL, "info", 4));
}

static void test_providers(void **state)
{
    (void)state;
    static const struct {
        const char *domain, *want;
    } rows[] = {
        {"qq.com", "QQ Mail"},
        {"163.com", "NetEase 163"},
        {"126.com", "NetEase 126"},
        {"gmail.com", "Gmail"},
        {"googlemail.com", "Gmail"},
        {"Hotmail.Com", "Outlook.com (Hotmail)"},
        {"gmx.it", NULL},
        {"acme.com", NULL},
        {"mailinator.com", NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const char *got = mm_domains_provider(D, rows[i].domain, strlen(rows[i].domain));
        if ((got == NULL) != (rows[i].want == NULL) || (got && strcmp(got, rows[i].want) != 0))
            fail_msg("provider(%s): got %s, want %s", rows[i].domain, got ? got : "NULL",
                     rows[i].want ? rows[i].want : "NULL");
    }
}

static void test_suggest_kinds(void **state)
{
    (void)state;
    static const struct {
        const char *typed, *want;
        mm_suggest_kind kind;
    } rows[] = {
        {"gamil.com", "gmail.com", MM_SUGGEST_PROVIDER},
        {"gmail.con", "gmail.com", MM_SUGGEST_TLD},
        {"acme.ogr", "acme.org", MM_SUGGEST_TLD},
        {"qq", "qq.com", MM_SUGGEST_MISSING_TLD},
        {"hotmailcom", "hotmail.com", MM_SUGGEST_MISSING_DOT},
        {"163,com", "163.com", MM_SUGGEST_COMMA},
        {"163\xef\xbc\x8c"
         "com",
         "163.com", MM_SUGGEST_COMMA}, /* full-width comma */
        {"gmail.com.com", "gmail.com", MM_SUGGEST_DOUBLED_TLD},
        {"gma\xd1\x96l.com", "gmail.com", MM_SUGGEST_HOMOGLYPH}, /* Cyrillic i */
        {"gma1l.com", "gmail.com", MM_SUGGEST_HOMOGLYPH},
        {"qq\xe3\x80\x82"
         "com",
         "qq.com", MM_SUGGEST_FULLWIDTH}, /* ideographic full stop */
        {"gmail..com", "gmail.com", MM_SUGGEST_DOTS},
        {"-gmail.com", "gmail.com", MM_SUGGEST_HYPHEN},
        {"www.gmail.com", "gmail.com", MM_SUGGEST_WWW},
        {"gmail. com", "gmail.com", MM_SUGGEST_SPACE},
        {"qq\xe3\x80\x80.com", "qq.com", MM_SUGGEST_SPACE}, /* ideographic space */
        {"gmail_com", "gmail.com", MM_SUGGEST_UNDERSCORE},
        {"company_com", "company.com", MM_SUGGEST_UNDERSCORE},
        {"acme_widgets.com", "", MM_SUGGEST_NONE},
        {"gmail.com", "", MM_SUGGEST_NONE},
        {"126.com", "", MM_SUGGEST_NONE},
        {"acme.co", "", MM_SUGGEST_NONE},
        {"b\xc3\xbc"
         "cher.de",
         "", MM_SUGGEST_NONE}, /* IDN: left alone */
        {"[127.0.0.1]", "", MM_SUGGEST_NONE},
        {"", "", MM_SUGGEST_NONE},
        {"\xff\xfe", "", MM_SUGGEST_NONE},
    };
    char out[256];
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        mm_suggest_kind k =
            mm_domains_suggest(D, rows[i].typed, strlen(rows[i].typed), out, sizeof out);
        if (k != rows[i].kind || strcmp(out, rows[i].want) != 0)
            fail_msg("suggest(%s): got %s (%s), want %s (%s)", rows[i].typed, out,
                     mm_suggest_kind_name(k), rows[i].want, mm_suggest_kind_name(rows[i].kind));
    }
    /* Too small an output buffer: no suggestion, and out is still a string. */
    char tiny[5] = "xxxx";
    assert_int_equal(mm_domains_suggest(D, "gamil.com", 9, tiny, sizeof tiny), MM_SUGGEST_NONE);
    assert_string_equal(tiny, "");
    assert_int_equal(mm_domains_suggest(D, "gamil.com", 9, out, 10), MM_SUGGEST_PROVIDER);
    assert_int_equal(mm_domains_suggest(NULL, "gamil.com", 9, out, sizeof out), MM_SUGGEST_NONE);
    assert_int_equal(mm_domains_suggest(D, "gamil.com", 9, NULL, 0), MM_SUGGEST_NONE);
    /* A very long input is refused, not overflowed. */
    char big[2000];
    memset(big, 'a', sizeof big);
    assert_int_equal(mm_domains_suggest(D, big, sizeof big, out, sizeof out), MM_SUGGEST_NONE);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(mm_suggest_kind_name(MM_SUGGEST_NONE), "none");
    assert_string_equal(mm_suggest_kind_name(MM_SUGGEST_PROVIDER), "provider");
    assert_string_equal(mm_suggest_kind_name(MM_SUGGEST_MISSING_TLD), "missing_tld");
    assert_string_equal(mm_suggest_kind_name((mm_suggest_kind)999), "none");
    assert_null(mm_suggest_kind_message(MM_SUGGEST_NONE));
    for (int k = 1; k < MM_SUGGEST_KIND_MAX_; k++) {
        const char *m = mm_suggest_kind_message((mm_suggest_kind)k);
        assert_non_null(m);
        assert_non_null(strstr(m, "%1$s"));
        assert_non_null(strstr(m, "%2$s"));
        assert_string_not_equal(mm_suggest_kind_name((mm_suggest_kind)k), "none");
    }
}

/* One object, several threads: the same answers as one thread. */
static const char *const shared_inputs[] = {"gamil.com",  "qq.con",    "acme.ogr",        "126.com",
                                            "hotmailcom", "gma1l.com", "globaltech.co.uk"};

static void *suggest_all(void *arg)
{
    char(*got)[256] = arg;
    for (int round = 0; round < 2000; round++)
        for (size_t i = 0; i < sizeof shared_inputs / sizeof *shared_inputs; i++)
            mm_domains_suggest(D, shared_inputs[i], strlen(shared_inputs[i]), got[i], 256);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    enum { N = sizeof shared_inputs / sizeof *shared_inputs, T = 4 };
    static char want[N][256], got[T][N][256];
    for (size_t i = 0; i < N; i++)
        mm_domains_suggest(D, shared_inputs[i], strlen(shared_inputs[i]), want[i], 256);
    pthread_t th[T];
    for (int t = 0; t < T; t++)
        assert_int_equal(pthread_create(&th[t], NULL, suggest_all, got[t]), 0);
    for (int t = 0; t < T; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < T; t++)
        for (size_t i = 0; i < N; i++)
            if (strcmp(got[t][i], want[i]) != 0)
                fail_msg("thread %d, %s: got %s, want %s", t, shared_inputs[i], got[t][i], want[i]);
}

static void test_create_free(void **state)
{
    (void)state;
    assert_int_equal(mm_domains_create(NULL), MM_EINVAL);
    mm_domains_free(NULL);
    mm_domains *d = NULL;
    assert_int_equal(mm_domains_create(&d), MM_OK);
    mm_domains_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),       cmocka_unit_test(test_curation),
        cmocka_unit_test(test_roles),         cmocka_unit_test(test_providers),
        cmocka_unit_test(test_suggest_kinds), cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_threads),       cmocka_unit_test(test_create_free),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
