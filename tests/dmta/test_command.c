/*
 * test_command.c - mm_mta_command() (lhost/mta_util.c) must name the
 * command of the earliest phrase in the text as flatten() leaves it (lower
 * case, a run of white space one space, cut at 4,095 bytes), which it now
 * reads in the text itself: checked against that flattening and a search
 * of every phrase at every place, on random texts made of the phrases'
 * words, white space runs (CR, LF, tabs), other case, NUL and 8-bit
 * bytes, at lengths around the vector blocks (31..33, 63..65) and the cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bounce/lhost/mta_util.h"
#include "bounce/lhost/mta_portable.h"

/* A copy of mta_util.c's phrases, in the order its groups try them. */
static const struct {
    const char *text, *cmd;
} phrases[] = {
    {"in reply to rcpt to command", "RCPT"},
    {"in reply to mail from command", "MAIL"},
    {"in reply to end of data command", "DATA"},
    {"in reply to data command", "DATA"},
    {"in reply to ehlo command", "EHLO"},
    {"in reply to helo command", "HELO"},
    {"in reply to lhlo command", "EHLO"},
    {"in reply to starttls command", "STARTTLS"},
    {"in reply to initial greeting", "CONN"},
    {"in reply to auth command", "AUTH"},
    {"in reply to rcpt", "RCPT"},
    {"in reply to mail", "MAIL"},
    {"in reply to end of", "DATA"},
    {"in rcpt to", "RCPT"},
    {"in mail from", "MAIL"},
    {"response to rcpt", "RCPT"},
    {"response to mail from", "MAIL"},
    {"response to data", "DATA"},
    {"response to end of data", "DATA"},
    {"reply to data", "DATA"},
    {"end of data", "DATA"},
    {"server response to mail from", "MAIL"},
    {"sent <<< rcpt", "RCPT"},
    {"sent <<< mail", "MAIL"},
    {"sent <<< data", "DATA"},
    {"mail from:<", "MAIL"},
    {"data command generated response", "DATA"},
    {"following rcpt command", "RCPT"},
    {"following mail command", "MAIL"},
    {"following data command", "DATA"},
    {"after rcpt to", "RCPT"},
    {"after mail from", "MAIL"},
    {"after end of data", "DATA"},
    {"after data", "DATA"},
    {"after ehlo", "EHLO"},
    {"after helo", "HELO"},
    {"after initial connection", "CONN"},
    {"after pipelined rcpt to", "RCPT"},
    {"after pipelined mail from", "MAIL"},
    {"after quit", "QUIT"},
    {"after connect", "CONN"},
    {"after rcpt", "RCPT"},
    {"after mail", "MAIL"},
    {"does not like recipient", "RCPT"},
    {"unexpected response to ehlo/helo", "EHLO"},
    {"unexpected connection response from server", "CONN"},
    {"rcpt to:<", "RCPT"},
    {">>> rcpt to", "RCPT"},
    {">>> mail from", "MAIL"},
    {">>> data", "DATA"},
    {">>> ehlo", "EHLO"},
    {">>> helo", "HELO"},
    {"but sender was rejected", "MAIL"},
    {"but my name was rejected", "EHLO"},
    {"but greeting failed", "CONN"},
    {"failed on data command", "DATA"},
    {"failed after i sent the message", "DATA"},
    {"your message (data)", "DATA"},
    {"additional rcpt to generated following response", "RCPT"},
    {"smtp connection failed,", "CONN"},
    {"smtp:rcpt", "RCPT"},
    {"smtp:mail", "MAIL"},
    {"smtp:data", "DATA"},
};
enum { N_PHRASES = sizeof phrases / sizeof phrases[0], CAP = 4096 };

static uint64_t rnd_state = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)rnd_state;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* flatten() a byte at a time, as mta_util.c's byte loop does it. */
static size_t slow_flatten(const char *s, size_t n, char *out)
{
    size_t o = 0;
    int space = 0;
    for (size_t i = 0; i < n && o + 1 < CAP; i++) {
        char c = s[i];
        if (is_ws(c)) {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < CAP)
            out[o++] = ' ';
        space = 0;
        out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return o;
}

static const char *slow_command(const char *s, size_t n)
{
    static char flat[CAP];
    size_t fn = slow_flatten(s, n, flat);
    for (size_t i = 0; i < fn; i++)
        for (size_t k = 0; k < N_PHRASES; k++) {
            size_t len = strlen(phrases[k].text);
            if (len <= fn - i && memcmp(flat + i, phrases[k].text, len) == 0)
                return phrases[k].cmd;
        }
    return "";
}

static const char *const fillers[] = {"in", "the", "re", "sent", "end", "data", "mail", "to",
                                      "a", ">>>", "<<<", "rcpt", "reply", "from", "smtp:",
                                      "after", "response", "command", "of", ">", "failed"};

/* Appends one random piece to b (room for 80 more bytes). */
static size_t piece(char *b, size_t o)
{
    unsigned r = rnd() % 16;
    const char *w = NULL;
    if (r < 5)
        w = phrases[rnd() % N_PHRASES].text;
    else if (r < 10)
        w = fillers[rnd() % (sizeof fillers / sizeof fillers[0])];
    if (w) {
        /* a phrase or a word, its spaces made runs, some letters upper */
        for (; *w && o < 4000 * 2; w++) {
            if (*w == ' ' && rnd() % 4 == 0) {
                static const char ws[] = " \t\r\n";
                size_t k = 1 + rnd() % 3;
                for (size_t j = 0; j < k; j++)
                    b[o++] = ws[rnd() % 4];
            } else if (*w >= 'a' && *w <= 'z' && rnd() % 5 == 0) {
                b[o++] = (char)(*w - 32);
            } else {
                b[o++] = *w;
            }
        }
        return o;
    }
    /* bytes next to the capitals and their 8-bit twins ('I' + 0x80) */
    static const char odd[] =
        " \t\r\n\n  \0\x80\xff\v\f.,:<>()-0123456789AZaz\x1e\x0e@[`{\xc9\xce\xc1\xda";
    size_t k = 1 + rnd() % 4;
    for (size_t j = 0; j < k; j++)
        b[o++] = odd[rnd() % (sizeof odd - 1)];
    return o;
}

/* mm_mta_command() as the library calls it (the AVX2 pass on a CPU that has
 * it), or its portable pass (mta_portable.h), which an AVX2 machine would
 * otherwise never run: each test below runs with both (its state). */
typedef const char *command_fn(const char *s, size_t n);
static command_fn *const dispatched = mm_mta_command, *const portable = mm_mta_command_portable;

static void check(command_fn *fn, const char *s, size_t n)
{
    const char *want = slow_command(s, n), *got = fn(s, n);
    if (strcmp(want, got) != 0) {
        fprintf(stderr, "n=%zu want '%s' got '%s'\n", n, want, got);
        fail();
    }
}

/* Texts of every length up to 200 and random ones up to 700 bytes, each
 * checked whole and cut at every length around the blocks' edges. */
static void random_texts(void **state)
{
    command_fn *fn = *(command_fn *const *)*state;
    static char b[10000];
    for (int round = 0; round < 300000; round++) {
        size_t want = round < 20000 ? (size_t)(round % 200) : rnd() % 700, o = 0;
        while (o < want)
            o = piece(b, o);
        /* a copy exactly n long, so that a read past it is ASan's */
        char *c = malloc(o ? o : 1);
        assert_non_null(c);
        memcpy(c, b, o);
        check(fn, c, o);
        static const size_t cuts[] = {7, 8, 9, 31, 32, 33, 34, 40, 63, 64, 65, 66};
        for (size_t k = 0; k < sizeof cuts / sizeof cuts[0] && round % 8 == 0; k++)
            if (cuts[k] < o)
                check(fn, c, cuts[k]);
        free(c);
    }
}

/* A phrase ending at or just past flatten()'s cut, with the text's
 * white space runs (the cut counts flattened bytes) around it. */
static void texts_at_the_cut(void **state)
{
    command_fn *fn = *(command_fn *const *)*state;
    static char b[12000];
    for (int round = 0; round < 3000; round++) {
        size_t pad = 4060 + rnd() % 60, o = 0;
        for (size_t i = 0; i < pad; i++)
            b[o++] = rnd() % 7 == 0 ? (rnd() % 3 ? ' ' : '\n') : 'x';
        if (rnd() % 3 == 0)
            for (size_t k = rnd() % 4000; k > 0; k--)
                b[o++] = ' ';
        o = piece(b, o);
        o = piece(b, o);
        while (o % 5)
            b[o++] = 'y';
        char *c = malloc(o);
        assert_non_null(c);
        memcpy(c, b, o);
        check(fn, c, o);
        free(c);
    }
}

static void fixed_texts(void **state)
{
    command_fn *fn = *(command_fn *const *)*state;
    static const struct {
        const char *text, *cmd;
    } cases[] = {
        {"host x said: 550 no (in reply to RCPT TO command)", "RCPT"},
        {"(in\r\n   reply to\tEND OF\n DATA command)", "DATA"},
        {"in the reply to data command", "DATA"},
        {"in the rely to dat command", ""},
        {"SMTP error from remote mail server after\n    RCPT TO:<a@b>", "RCPT"},
        {">>> DATA", "DATA"},
        {">>>  data", "DATA"},
        {">>>data", ""},
        {"in reply to rcp", ""},
        {"", ""},
        {"sent <<< MAIL FROM", "MAIL"},
        {"IN REPLY TO RCPT TO COMMAND", "RCPT"},
        {"\xc9N REPLY TO RCPT TO COMMAND", ""},
        {"i\xce reply to rcpt to command", ""},
        {"END  OF\tDATA", "DATA"},
        {"rcpt to:< mail from:<", "RCPT"},
        {"rcpt to: mail from:<", "MAIL"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_string_equal(fn(cases[i].text, strlen(cases[i].text)), cases[i].cmd);
        check(fn, cases[i].text, strlen(cases[i].text));
    }
}

/* Every phrase in the library's own table is found (a phrase added there
 * with a head command_heads lacks would be skipped without a word). */
static void library_phrases(void **state)
{
    (void)state;
    const char *lost = mm_mta_command_check();
    if (lost)
        fail_msg("mm_mta_command() cannot find its phrase \"%s\"", lost);
}

/* Both variants of a test, named after it. */
#define BOTH(f)                                                                  \
    {#f "/dispatched", f, NULL, NULL, (void *)&dispatched},                      \
    {                                                                            \
        #f "/portable", f, NULL, NULL, (void *)&portable                         \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(library_phrases),
        BOTH(fixed_texts),
        BOTH(random_texts),
        BOTH(texts_at_the_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
