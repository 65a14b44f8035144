/*
 * test_lc_find.c - mm_mta_lc_find() (lhost/mta_util.h), the search of the
 * report's lower-cased facts 16 places at a time, must answer as a
 * comparison at every place does: values of every length up to 100 in
 * blocks of exactly their length plus MM_LC_PAD zero bytes (ASan sees a
 * read past them), needles at the value's start and end, every anchor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "bounce/lhost/mta_util.h"
#include "util/str.h"

static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;
static unsigned rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (unsigned)rnd_state;
}

static bool slow_find(const char *hay, size_t n, const char *lc, size_t nl)
{
    for (size_t p = 0; p + nl <= n; p++)
        if (memcmp(hay + p, lc, nl) == 0)
            return true;
    return false;
}

static void random_values(void **state)
{
    (void)state;
    static const char alpha[] = "ab@.->\0\xe3z";
    char lc[40];
    for (int it = 0; it < 400000; it++) {
        size_t n = (size_t)it % 101;
        char *hay = malloc(n + MM_LC_PAD);
        assert_non_null(hay);
        for (size_t i = 0; i < n; i++)
            hay[i] = alpha[rnd() % (sizeof alpha - 1)];
        memset(hay + n, 0, MM_LC_PAD);
        size_t nl = 1 + rnd() % (rnd() % 2 ? 4 : 30);
        if (rnd() % 2 && n >= nl) {
            size_t at = rnd() % 3 == 0 ? 0 : rnd() % 3 == 0 ? n - nl : rnd() % (n - nl + 1);
            memcpy(lc, hay + at, nl);
            if (rnd() % 4 == 0)
                lc[rnd() % nl] ^= 1; /* a near miss */
        } else {
            for (size_t i = 0; i < nl; i++)
                lc[i] = alpha[rnd() % (sizeof alpha - 1)];
        }
        size_t k = rnd() % nl;
        assert_int_equal(mm_mta_lc_find(hay, n, lc, nl, k), slow_find(hay, n, lc, nl));
        free(hay);
    }
}

/* mm_lower8() against mm_lower() byte by byte: every byte value in
 * every position, beside random neighbours (a carry between bytes would
 * show), and words of random bytes. */
static void lower8_every_byte(void **state)
{
    (void)state;
    uint64_t x = 88172645463325252ULL;
    for (int it = 0; it < 400000; it++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned char b[8];
        memcpy(b, &x, 8);
        if (it < 256 * 8 * 40)
            b[(it / 256) % 8] = (unsigned char)(it % 256);
        uint64_t w, want;
        memcpy(&w, b, 8);
        unsigned char lo[8];
        for (int i = 0; i < 8; i++)
            lo[i] = (unsigned char)mm_lower((char)b[i]);
        memcpy(&want, lo, 8);
        assert_true(mm_lower8(w) == want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_values),
        cmocka_unit_test(lower8_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
