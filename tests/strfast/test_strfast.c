/*
 * test_strfast.c - the vector paths of util/str.c (dmsg7) against plain
 * definitions, on random inputs in heap buffers of exactly the input's size,
 * so an ASan build reports any read past the end.  Lengths run across the
 * 16-, 32- and 64-byte steps and the overlapping last blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

static uint32_t next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

/* A heap copy of s[0..n) with no byte to spare. */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

/* The plain definition of mm_memcasemem(), first match included. */
static const char *naive_casemem(const char *h, size_t n, const char *nd, size_t nl)
{
    for (size_t i = 0; nl <= n && i + nl <= n; i++) {
        size_t k = 0;
        while (k < nl && mm_lower(h[i + k]) == mm_lower(nd[k]))
            k++;
        if (k == nl)
            return h + i;
    }
    return nl == 0 ? h : NULL;
}

/*
 * Haystacks up to 400 bytes over an alphabet with the bytes an OR with 0x20
 * could confuse ('@' and '`', '[' and '{', 0xC1 and 0xE1, '\n' and '*'),
 * needles cut from them with their case flipped or drawn at random.
 */
static void test_memcasemem_long(void **state)
{
    (void)state;
    static const char alpha[] = "aAbB@`[{zZ\x80\xc1\xe1\xc0\n* ";
    uint32_t seed = 4242;
    char hay[400], nd[48];
    for (int iter = 0; iter < 300000; iter++) {
        size_t n = next(&seed) % sizeof hay;
        size_t ab = 2 + next(&seed) % (sizeof alpha - 2); /* smaller alphabets: more matches */
        for (size_t i = 0; i < n; i++)
            hay[i] = alpha[next(&seed) % ab];
        size_t nl = next(&seed) % 40;
        if (n && (next(&seed) & 1)) {
            size_t at = next(&seed) % n;
            nl = nl > n - at ? n - at : nl;
            for (size_t k = 0; k < nl; k++) {
                char c = hay[at + k];
                nd[k] = (c >= 'a' && c <= 'z')   ? (char)(c - 32)
                        : (c >= 'A' && c <= 'Z') ? (char)(c + 32)
                                                 : c;
            }
        } else {
            for (size_t k = 0; k < nl; k++)
                nd[k] = alpha[next(&seed) % ab];
        }
        char *h = exact(hay, n), *d = exact(nd, nl);
        const char *got = mm_memcasemem(h, n, d, nl);
        const char *want = naive_casemem(h, n, d, nl);
        if (got != want)
            fail_msg("n=%zu nl=%zu: got %td, want %td", n, nl, got ? got - h : -1,
                     want ? want - h : -1);
        free(h);
        free(d);
    }
}

/* mm_plain_text_span() against its definition: every byte value at every
 * place of every length across the 16-byte steps. */
static void test_plain_text_span(void **state)
{
    (void)state;
    char buf[70];
    for (size_t n = 0; n <= sizeof buf; n++) {
        for (size_t at = 0; at <= n; at++) {
            for (int c = 0; c < 256; c += (at == n ? 256 : 1)) {
                for (size_t i = 0; i < n; i++)
                    buf[i] = "ab \t\n\r~ Z"[i % 9];
                if (at < n)
                    buf[at] = (char)c;
                bool plain = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7E);
                size_t want = at < n && !plain ? at : n;
                char *h = exact(buf, n);
                size_t got = mm_plain_text_span(h, n);
                free(h);
                if (got != want)
                    fail_msg("n=%zu at=%zu c=%d: got %zu, want %zu", n, at, c, got, want);
            }
        }
    }
}

/* The plain definition of mm_memchr_nul_cr(). */
static const char *naive_nul_cr(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || s[i] == '\r')
            return s + i;
    return NULL;
}

/*
 * mm_memchr_nul_cr() (q2msg) against its definition on 200,000 random texts
 * of 0-599 bytes (the 128- and 32-byte steps, the overlapping last block),
 * over bytes its min(v ^ CR, v) test could confuse (0x0D with the high bit,
 * 0x80, 0xFF, 0x10, 0x1D, LF) and with 0-2 NULs or CRs put anywhere.
 */
static void test_memchr_nul_cr(void **state)
{
    (void)state;
    static const char alpha[] = {'a', '\n', (char)0x8D, (char)0x80, (char)0xFF, 0x10, 0x1D, 0x0C,
                                 0x0E, 'Z', ' ', 0x01};
    uint32_t seed = 7;
    char buf[600];
    for (int t = 0; t < 200000; t++) {
        size_t n = next(&seed) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = alpha[next(&seed) % sizeof alpha];
        for (uint32_t k = next(&seed) % 3; n && k > 0; k--)
            buf[next(&seed) % n] = (next(&seed) & 1) ? '\r' : '\0';
        char *h = exact(buf, n);
        const char *got = mm_memchr_nul_cr(h, n), *want = naive_nul_cr(h, n);
        ptrdiff_t g = got ? got - h : -1, w = want ? want - h : -1;
        free(h);
        if (g != w)
            fail_msg("t=%d n=%zu: got %td, want %td", t, n, g, w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcasemem_long),
        cmocka_unit_test(test_plain_text_span),
        cmocka_unit_test(test_memchr_nul_cr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
