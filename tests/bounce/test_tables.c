/*
 * test_tables.c - the tables gen_phrases.py and gen_rhost_cn.py make from
 * data/bounce/ at build time, read back through their indexes: every
 * phrase pattern is found in a text made of its own words (its '*' a
 * space, its '#' a digit, its '$' the end), and every Chinese rule gives a
 * reason for its own words with a host of its provider.  A pattern filed
 * under the wrong letter pair, or a rule under the wrong group, fails here
 * even when no other test holds its words.  Failures print the pattern.
 * Also: rhost.c's joined host list holds every provider host name.
 *
 * Usage: test_tables DATA_DIR (the source tree's data/bounce).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailmedic/mailmedic.h>
#include "bounce/bounce_int.h"

static const char *data_dir;

/* The C literal at s (past its opening quote) unescaped into out; the
 * tables use only \", \\ and \xNN. */
static void unescape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && *s != '"' && n + 1 < cap; s++) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        s++;
        if (*s == 'x') {
            char hex[3] = {s[1], s[2], '\0'};
            out[n++] = (char)strtol(hex, NULL, 16);
            s += 2;
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
}

/* The words a pattern stands for: '*' a space, '#' a digit, a final '$' dropped. */
static void words_of(const char *pat, char *out)
{
    size_t n = 0;
    for (; *pat; pat++)
        if (*pat == '*')
            out[n++] = ' ';
        else if (*pat == '#')
            out[n++] = '7';
        else if (!(*pat == '$' && pat[1] == '\0'))
            out[n++] = *pat;
    out[n] = '\0';
}

static FILE *open_data(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    return f;
}

static void test_phrases(void **state)
{
    (void)state;
    FILE *f = open_data("phrases.txt");
    char line[1024], pat[512], text[512], list[64] = "";
    static char not_rejected[16][128];
    size_t n_not = 0, checked = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '[') {
            sscanf(line, "[%63[a-z_]]", list);
            continue;
        }
        if (line[0] != '"')
            continue;
        unescape(line + 1, pat, sizeof pat);
        words_of(pat, text);
        if (strcmp(list, "rejected_not") == 0) {
            assert_true(n_not < 16);
            strcpy(not_rejected[n_not++], text);
            continue;
        }
        mm_reason_t r;
        assert_int_equal(mm_reason_parse(list, &r), MM_OK);
        bool stopped = false; /* rejected's "is not" words hold these */
        for (size_t i = 0; r == MM_REASON_REJECTED && i < n_not; i++)
            stopped = stopped || strstr(text, not_rejected[i]) != NULL;
        if (!stopped && !mm_phrase_is(r, text))
            fail_msg("[%s] \"%s\": not found in its own words \"%s\"", list, pat, text);
        checked++;
    }
    fclose(f);
    assert_true(checked > 600);
}

/* A host of each provider of the rules' first column. */
static const char *host_of(const char *prov)
{
    static const struct {
        const char *prov, *host;
    } hosts[] = {
        {"tencent", "mx1.qq.com"},          {"netease", "163mx01.mxmail.netease.com"},
        {"alibaba", "mx1.mxhichina.com"},   {"coremail", "mx.coremail.example"},
        {"sina", "mx.sina.com"},            {"sohu", "mx.sohu.com"},
        {"any", "mx1.qq.com"},
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        if (strcmp(prov, hosts[i].prov) == 0)
            return hosts[i].host;
    return "";
}

static void test_rhost_cn(void **state)
{
    (void)state;
    FILE *f = open_data("rhost_cn.txt");
    char line[1024], prov[32], flags[32], pat[512], text[512];
    size_t checked = 0;
    while (fgets(line, sizeof line, f)) {
        const char *q = strchr(line, '"');
        if (line[0] == '#' || !q || sscanf(line, "%31s %31s", prov, flags) != 2)
            continue;
        unescape(q + 1, pat, sizeof pat);
        words_of(pat, text);
        mm_rcpt rc;
        memset(&rc, 0, sizeof rc);
        rc.pub.remote_mta = host_of(prov);
        rc.pub.recipient = "someone@example.com";
        rc.pub.status = "";
        rc.pub.provider = "";
        rc.pub.diagnostic = text;
        rc.pub.reply_code = strstr(flags, "C4") ? 451 : 550;
        if (mm_rhost_cn_match(&rc, text) == MM_REASON_UNDEFINED)
            fail_msg("%s %s \"%s\": no reason for its own words", prov, flags, pat);
        checked++;
    }
    fclose(f);
    assert_true(checked > 150);
}

/* rhost.c's joined list of host names must hold every provider's names:
 * a name missing there would never be found by the recipient's domain. */
static void test_rhost_hosts(void **state)
{
    (void)state;
    const char *missing = mm_rhost_host_missing();
    if (missing)
        fail_msg("rhost.c: host name %s is not in all_hosts or lacks its key pair", missing);
}

static void test_rhost_cn_keys(void **state)
{
    (void)state;
    const char *wrong = mm_rhost_cn_keys_wrong();
    if (wrong)
        fail_msg("rhost_cn.c: the key pair of host name %s is not one of its pairs (or the "
                 "constant named is stale)",
                 wrong);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_tables DATA_DIR\n");
        return 2;
    }
    data_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phrases),
        cmocka_unit_test(test_rhost_cn),
        cmocka_unit_test(test_rhost_hosts),
        cmocka_unit_test(test_rhost_cn_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
