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

/* The next pattern of phrases.txt into pat (unescaped), with the list it
 * is under ("[name]" lines) in list[64]; false at the end. */
static bool next_pattern(FILE *f, char *list, char *pat, size_t cap)
{
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '[') {
            sscanf(line, "[%63[a-z_]]", list);
            continue;
        }
        if (line[0] != '"')
            continue;
        unescape(line + 1, pat, cap);
        return true;
    }
    return false;
}

static void test_phrases(void **state)
{
    (void)state;
    FILE *f = open_data("phrases.txt");
    char pat[512], text[512], list[64] = "";
    static char not_rejected[16][128];
    size_t n_not = 0, checked = 0;
    while (next_pattern(f, list, pat, sizeof pat)) {
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

/* The phrase index against a walk over every pattern of a list (what the
 * lists were before the index): random texts made of the patterns' own
 * words, pieces of them, near misses, digits, marks and 8-bit bytes, at
 * the SSE2 blocks' edges too, asked through mm_phrase_is() (the scalar
 * set) and through mm_phrase_prepare_copy() + mm_phrase_in() (the SSE2
 * copy), every reason each time. */
#define IDX_MAX_PATS 1024
static struct {
    char pat[160], words[160];
    int list; /* a reason, or -1 for rejected's "is not" list */
} idx_pats[IDX_MAX_PATS];
static size_t idx_n;

static uint64_t idx_rng = 0x9e3779b97f4a7c15ull;
static unsigned idx_rand(unsigned n)
{
    idx_rng ^= idx_rng << 13;
    idx_rng ^= idx_rng >> 7;
    idx_rng ^= idx_rng << 17;
    return (unsigned)(idx_rng % n);
}

/* phrases.c's piece_at(): p up to '*' or its end at t. */
static bool naive_piece_at(const char *t, const char *p, size_t *plen)
{
    size_t i = 0;
    for (; p[i] && p[i] != '*'; i++) {
        if (p[i] == '$' && (p[i + 1] == '\0' || p[i + 1] == '*')) {
            *plen = i;
            return t[i] == '\0';
        }
        if (p[i] == '#' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != p[i])
            return false;
    }
    *plen = i;
    return true;
}

/* Every '*'-separated piece in order, each at its first place after the
 * last (a place before the text's end), byte by byte. */
static bool naive_pattern(const char *text, const char *pat)
{
    const char *t = text;
    for (const char *p = pat;;) {
        const char *found = NULL;
        for (const char *s = t; *s && !found; s++) {
            size_t n;
            if (naive_piece_at(s, p, &n))
                found = s + n;
        }
        if (!found)
            return false;
        t = found;
        p = strchr(p, '*');
        if (!p)
            return true;
        p++;
    }
}

static bool naive_list(int list, const char *text)
{
    for (size_t i = 0; i < idx_n; i++)
        if (idx_pats[i].list == list && naive_pattern(text, idx_pats[i].pat))
            return true;
    return false;
}

static bool naive_in(mm_reason_t r, const char *text)
{
    if (!text[0])
        return false;
    if (r == MM_REASON_REJECTED && naive_list(-1, text))
        return false;
    return naive_list((int)r, text);
}

static void idx_append(char *t, size_t *n, size_t cap, const char *s, size_t len)
{
    for (size_t i = 0; i < len && *n + 1 < cap; i++)
        t[(*n)++] = s[i];
    t[*n] = '\0';
}

static void idx_text(char *t, size_t cap)
{
    static const char filler[] = "abcdefghijklmnopqrstuvwxyz0123456789 .-:/@<>#*$_\x80\xe4\xb8";
    size_t n = 0;
    t[0] = '\0';
    for (unsigned parts = 1 + idx_rand(4); parts > 0; parts--) {
        const char *w = idx_pats[idx_rand((unsigned)idx_n)].words;
        size_t wl = strlen(w);
        switch (idx_rand(4)) {
        case 0: /* the words whole */
            idx_append(t, &n, cap, w, wl);
            break;
        case 1: { /* a piece */
            size_t a = wl ? idx_rand((unsigned)wl) : 0;
            idx_append(t, &n, cap, w + a, wl ? idx_rand((unsigned)(wl - a)) + 1 : 0);
            break;
        }
        case 2: { /* a near miss: one byte changed */
            size_t at = n;
            idx_append(t, &n, cap, w, wl);
            if (n > at)
                t[at + idx_rand((unsigned)(n - at))] = filler[idx_rand(sizeof filler - 1)];
            break;
        }
        default:
            for (unsigned k = idx_rand(12); k > 0; k--) {
                char c = filler[idx_rand(sizeof filler - 1)];
                idx_append(t, &n, cap, &c, 1);
            }
        }
        if (idx_rand(2))
            idx_append(t, &n, cap, " ", 1);
    }
    /* now and then a length at a block's edge */
    static const size_t edges[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    if (idx_rand(4) == 0) {
        size_t e = edges[idx_rand(sizeof edges / sizeof edges[0])];
        while (n < e)
            idx_append(t, &n, cap, "x", 1);
        if (e < n)
            t[n = e] = '\0';
    }
}

static void test_phrase_index(void **state)
{
    (void)state;
    FILE *f = open_data("phrases.txt");
    char list[64] = "", pat[sizeof idx_pats[0].pat];
    idx_n = 0;
    while (next_pattern(f, list, pat, sizeof pat)) {
        assert_true(idx_n < IDX_MAX_PATS);
        memcpy(idx_pats[idx_n].pat, pat, sizeof pat);
        words_of(idx_pats[idx_n].pat, idx_pats[idx_n].words);
        mm_reason_t r = MM_REASON_UNDEFINED;
        if (strcmp(list, "rejected_not") == 0)
            idx_pats[idx_n].list = -1;
        else {
            assert_int_equal(mm_reason_parse(list, &r), MM_OK);
            idx_pats[idx_n].list = (int)r;
        }
        idx_n++;
    }
    fclose(f);
    assert_true(idx_n > 600);
    static char text[512], lower[512];
    size_t hits = 0;
    for (unsigned k = 0; k < 6000; k++) {
        idx_text(text, sizeof text);
        mm_phrase_text pt;
        memcpy(lower, text, strlen(text) + 1); /* in place, as classify.c's second pass */
        mm_phrase_prepare_copy(&pt, lower, lower, strlen(lower));
        for (int r = 0; r < MM_REASON_COUNT_; r++) {
            bool want = naive_in((mm_reason_t)r, text);
            hits += want;
            if (mm_phrase_is((mm_reason_t)r, text) != want ||
                mm_phrase_in(&pt, (mm_reason_t)r) != want)
                fail_msg("reason %d, text \"%s\": the index says %d, the walk %d", r, text,
                         !want, want);
        }
    }
    assert_true(hits > 1000); /* the texts do hold patterns */
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
        cmocka_unit_test(test_phrase_index),
        cmocka_unit_test(test_rhost_cn),
        cmocka_unit_test(test_rhost_hosts),
        cmocka_unit_test(test_rhost_cn_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
