/*
 * test_find_any.c - mm_mta_find_any() must give what a search of every
 * needle at every place gives (the earliest place, the lowest index on a
 * tie), on the vector pass, its padded tail and texts shorter than a
 * block; mm_mta_prose_len() must end the prose where its marks' first
 * occurrences say, whatever order they come in.
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
#include "util/str.h"

/* xorshift: the same cases on every run */
static uint64_t rnd_state = 88172645463325252ULL;
static unsigned rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)rnd_state;
}

/* mm_mta_find_any() and mm_mta_prose_len() as the library calls them (the
 * AVX2 pass on a CPU that has it), or with the portable search
 * (mta_portable.h), which an AVX2 machine would otherwise never run: each
 * test below runs with both (its state). */
typedef struct variant {
    const char *(*find_any)(const char *t, size_t n, size_t from, const mm_needle *nd, size_t k,
                            unsigned active, size_t *which);
    size_t (*prose_len)(const char *t, size_t n);
} variant;
static const variant dispatched = {mm_mta_find_any, mm_mta_prose_len};
static const variant portable = {mm_mta_find_any_portable, mm_mta_prose_len_portable};

/* The answer by brute force. */
static const char *slow_find(const char *t, size_t n, size_t from, const mm_needle *nd, size_t k,
                             unsigned active, size_t *which)
{
    for (size_t p = from; p < n; p++)
        for (size_t i = 0; i < k; i++)
            if ((active >> i & 1u) && p + nd[i].len <= n &&
                mm_memcasemem(t + p, nd[i].len, nd[i].text, nd[i].len)) {
                *which = i;
                return t + p;
            }
    return NULL;
}

/* v's answer on one case against slow_find()'s: the place and the needle. */
static void check_find(const variant *v, const char *text, size_t n, size_t from,
                       const mm_needle *nd, size_t k, unsigned active)
{
    size_t w1 = 99, w2 = 99;
    const char *want = slow_find(text, n, from, nd, k, active, &w1);
    const char *got = v->find_any(text, n, from, nd, k, active, &w2);
    assert_ptr_equal(got, want);
    if (want)
        assert_int_equal(w2, w1);
}

static void random_needles(void **state)
{
    const variant *v = *state;
    /* bytes that fold together under bit 5 ('@' and '`', '\n' and '*'),
     * 8-bit bytes, spaces and NUL */
    static const char alpha[] = "abAB -\n@`*\x2a\xc3\xe3mMeEsSgG\0";
    char text[600], store[MM_NEEDLES_MAX][80];
    mm_needle nd[MM_NEEDLES_MAX];
    for (int it = 0; it < 200000; it++) {
        size_t n = rnd() % 400;
        for (size_t i = 0; i < n; i++)
            text[i] = alpha[rnd() % (sizeof alpha - 1)];
        size_t k = 1 + rnd() % MM_NEEDLES_MAX;
        for (size_t i = 0; i < k; i++) {
            size_t l = 2 + rnd() % ((rnd() % 4) ? 4 : 63);
            if (rnd() % 2 && n > l) { /* taken from the text, some cases changed */
                memcpy(store[i], text + rnd() % (n - l + 1), l);
                for (size_t j = 0; j < l; j++)
                    if (rnd() % 3 == 0 && (store[i][j] | 0x20) >= 'a' &&
                        (store[i][j] | 0x20) <= 'z')
                        store[i][j] ^= 0x20;
            } else {
                for (size_t j = 0; j < l; j++)
                    store[i][j] = alpha[rnd() % (sizeof alpha - 1)];
            }
            nd[i].text = store[i];
            nd[i].len = l;
        }
        unsigned active = rnd() % 2 ? ~0u : rnd() & 15u;
        size_t from = n ? rnd() % (n + 1) : 0;
        check_find(v, text, n, from, nd, k, active);
    }
}

/* Needles outside the one-pass range (1 byte, or longer than
 * MM_NEEDLE_LEN_MAX) go to a search per needle and must still be found;
 * texts in blocks of their exact size, so that ASan sees any read past
 * their end. */
static void odd_lengths(void **state)
{
    const variant *v = *state;
    static const char alpha[] = "abAB -\n@`";
    char store[MM_NEEDLES_MAX][160];
    mm_needle nd[MM_NEEDLES_MAX];
    for (int it = 0; it < 20000; it++) {
        size_t n = rnd() % 300;
        char *text = malloc(n ? n : 1);
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
            text[i] = alpha[rnd() % (sizeof alpha - 1)];
        size_t k = 1 + rnd() % MM_NEEDLES_MAX;
        for (size_t i = 0; i < k; i++) {
            size_t l = rnd() % 3 == 0 ? 1 : rnd() % 3 == 0 ? 2 + rnd() % 10
                                                          : MM_NEEDLE_LEN_MAX + 1 + rnd() % 90;
            if (rnd() % 2 && n >= l)
                memcpy(store[i], text + rnd() % (n - l + 1), l);
            else
                for (size_t j = 0; j < l; j++)
                    store[i][j] = alpha[rnd() % (sizeof alpha - 1)];
            nd[i].text = store[i];
            nd[i].len = l;
        }
        size_t from = n ? rnd() % (n + 1) : 0;
        check_find(v, text, n, from, nd, k, ~0u);
        free(text);
    }
}

/* The last places go through a zero-padded copy made 32 bytes at a time
 * (the last 32 those ending at the text's end): every length up to 200
 * and every start near the end, in blocks of the exact size (ASan sees a
 * read past either end), needles often placed to end at the text's end. */
static void exact_tails(void **state)
{
    const variant *v = *state;
    static const char alpha[] = "abAB -\n@`\0\xe3";
    char store[MM_NEEDLES_MAX][80];
    mm_needle nd[MM_NEEDLES_MAX];
    for (int it = 0; it < 200000; it++) {
        size_t n = (size_t)it % 201;
        char *text = malloc(n ? n : 1);
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
            text[i] = alpha[rnd() % (sizeof alpha - 1)];
        size_t k = 1 + rnd() % MM_NEEDLES_MAX;
        for (size_t i = 0; i < k; i++) {
            size_t l = 2 + rnd() % (rnd() % 2 ? 6 : MM_NEEDLE_LEN_MAX - 1);
            if (rnd() % 2 && n >= l)
                memcpy(store[i], text + (rnd() % 2 ? n - l : rnd() % (n - l + 1)), l);
            else
                for (size_t j = 0; j < l; j++)
                    store[i][j] = alpha[rnd() % (sizeof alpha - 1)];
            nd[i].text = store[i];
            nd[i].len = l;
        }
        size_t back = rnd() % 100, from = n > back ? n - back : 0;
        unsigned active = rnd() % 2 ? ~0u : rnd() & 15u;
        check_find(v, text, n, from, nd, k, active);
        free(text);
    }
}

static void prose_len_marks(void **state)
{
    const variant *v = *state;
    static const struct {
        const char *text;
        size_t end; /* where the prose ends (as the search per mark found it) */
    } cases[] = {
        {"Title with original message\nno mark below\n", 42},
        {"hello\nsee the text\n--- Below this line is a copy of the message.\nX", 19},
        {"hello\n------ This is a copy of the message, including all the headers.\n", 6},
        {"a\nb\nOriginal mail as follows:\nc\n", 4},
        {"a copy\nline two\n\nOriginal message:\nFrom: x\n", 16},
        {"a\n--- below this line\nb\n----- Original message -----\n", 2},
        {"line\nthe message was sent\nContent-Type: message/rfc822\n\nFrom: a\n", 26},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(v->prose_len(cases[i].text, strlen(cases[i].text)), cases[i].end);
}

/* Needles of 2 to 9 bytes (those under 8 compared as one word each,
 * read by mm_word_le() within their length): every byte value, each
 * needle and text in a block of its exact size (ASan sees a read past
 * either), needles taken from the text with letters' case changed or
 * one byte changed by bit 5 or by one (the neighbours of 'A' and 'Z'). */
static void short_needles_all_bytes(void **state)
{
    const variant *v = *state;
    static const char near[] = "@AZ[`az{mMeEsS \n\0\x80\xc1\xda\xe1\xfa";
    for (int it = 0; it < 200000; it++) {
        size_t n = rnd() % 80;
        char *text = malloc(n ? n : 1);
        assert_non_null(text);
        for (size_t i = 0; i < n; i++)
            text[i] = rnd() % 2 ? (char)(rnd() & 255) : near[rnd() % (sizeof near - 1)];
        size_t k = 1 + rnd() % MM_NEEDLES_MAX;
        char *store[MM_NEEDLES_MAX];
        mm_needle nd[MM_NEEDLES_MAX];
        for (size_t i = 0; i < k; i++) {
            size_t l = 2 + rnd() % 8;
            store[i] = malloc(l);
            assert_non_null(store[i]);
            if (n >= l && rnd() % 4) {
                memcpy(store[i], text + (rnd() % 2 ? n - l : rnd() % (n - l + 1)), l);
                for (size_t j = 0; j < l; j++)
                    if (rnd() % 3 == 0 && (store[i][j] | 0x20) >= 'a' &&
                        (store[i][j] | 0x20) <= 'z')
                        store[i][j] ^= 0x20;
                if (rnd() % 3 == 0) {
                    size_t j = rnd() % l;
                    store[i][j] = (char)(store[i][j] ^ (rnd() % 2 ? 0x20 : 0x01));
                }
            } else {
                for (size_t j = 0; j < l; j++)
                    store[i][j] = near[rnd() % (sizeof near - 1)];
            }
            nd[i].text = store[i];
            nd[i].len = l;
        }
        size_t from = n ? rnd() % (n + 1) : 0;
        check_find(v, text, n, from, nd, k, ~0u);
        for (size_t i = 0; i < k; i++)
            free(store[i]);
        free(text);
    }
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
        BOTH(random_needles),
        BOTH(odd_lengths),
        BOTH(exact_tails),
        BOTH(short_needles_all_bytes),
        BOTH(prose_len_marks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
