/*
 * test_strfast.c - the vector paths of util/str.c (dmsg7) against plain
 * definitions, on random inputs in heap buffers of exactly the input's size,
 * so an ASan build reports any read past the end.  Lengths run across the
 * 16-, 32- and 64-byte steps and the overlapping last blocks.
 *
 * The helpers with an AVX2 path chosen at run time are tested twice: as the
 * library calls them (AVX2 on a CPU that has it) and as
 * mm_NAME_portable() (str_portable.h: the SSE2 and byte paths, which an
 * AVX2 machine would otherwise never run).  A test reads its functions from
 * the variant in its state.
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
#include "util/str_portable.h"

/* One set of the dispatched helpers: as the library calls them, or portable. */
typedef struct variant {
    const char *(*memcasemem)(const char *hay, size_t n, const char *needle, size_t nlen);
    bool (*ascii)(const char *s, size_t n);
    size_t (*lf_then)(const char *s, size_t n, char a, char b, char c);
    size_t (*line_run_ci)(const char *s, size_t n, char a, char b, char c, size_t *starts);
    const char *(*memchr3)(const char *s, size_t n, char a, char b, char c);
    const char *(*nul_cr)(const char *s, size_t n);
    bool (*utf8_valid)(const char *s, size_t n);
    void (*lf_iter_fill)(mm_lf_iter *it);
} variant;

static const variant dispatched = {mm_memcasemem, mm_ascii,      mm_lf_then,
                                   mm_line_run_ci, mm_memchr3,   mm_memchr_nul_cr,
                                   mm_utf8_valid,  mm_lf_iter_fill};
static const variant portable = {mm_memcasemem_portable,   mm_ascii_portable,
                                 mm_lf_then_portable,      mm_line_run_ci_portable,
                                 mm_memchr3_portable,      mm_memchr_nul_cr_portable,
                                 mm_utf8_valid_portable,   mm_lf_iter_fill_portable};

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
    const variant *v = *state;
    static const char alpha[] = "aAbB@`[{zZ\x80\xc1\xe1\xc0\n* \0";
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
        const char *got = v->memcasemem(h, n, d, nl);
        const char *want = naive_casemem(h, n, d, nl);
        if (got != want)
            fail_msg("n=%zu nl=%zu: got %td, want %td", n, nl, got ? got - h : -1,
                     want ? want - h : -1);
        free(h);
        free(d);
    }
}

/* Every haystack length 0-300 (the 32/64/128 block edges of the AVX2 search
 * and its last 32 to 128 positions at once) and every place of a needle in
 * it, the needle in the other case, with a near miss (first and last bytes
 * right, a middle one wrong) one to three places before it; exact heap
 * copies, so that ASan sees any read past either. */
static void test_memcasemem_edges(void **state)
{
    const variant *v = *state;
    static const size_t lens[] = {1, 2, 3, 8, 17, 33};
    char hay[301], nd[40];
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t nl = lens[li];
        for (size_t k = 0; k < nl; k++)
            nd[k] = (char)('a' + k % 26);
        for (size_t n = 0; n <= 300; n++) {
            for (size_t at = 0; at + nl <= n + 1; at++) {
                memset(hay, 'x', n);
                bool place = at + nl <= n;
                if (place) {
                    for (size_t k = 0; k < nl; k++)
                        hay[at + k] = (char)(nd[k] - 32);
                    size_t miss = at >= nl + 3 ? at - nl - 1 - at % 3 : n; /* before it */
                    if (miss < n && nl >= 3) {
                        memcpy(hay + miss, nd, nl);
                        hay[miss + nl / 2] = '#';
                    }
                }
                char *h = exact(hay, n), *d = exact(nd, nl);
                const char *got = v->memcasemem(h, n, d, nl);
                const char *want = naive_casemem(h, n, d, nl);
                if (got != want)
                    fail_msg("n=%zu nl=%zu at=%zu: got %td, want %td", n, nl, at,
                             got ? got - h : -1, want ? want - h : -1);
                free(h);
                free(d);
            }
        }
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
    const variant *v = *state;
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
        const char *got = v->nul_cr(h, n), *want = naive_nul_cr(h, n);
        ptrdiff_t g = got ? got - h : -1, w = want ? want - h : -1;
        free(h);
        if (g != w)
            fail_msg("t=%d n=%zu: got %td, want %td", t, n, g, w);
    }
}

/* mm_utf8_valid() as it reads, a byte at a time (no ASCII skip). */
static bool naive_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        if (c < 0x80) {
            p++;
            continue;
        }
        size_t k;
        if ((c & 0xE0) == 0xC0 && c >= 0xC2)
            k = 1;
        else if ((c & 0xF0) == 0xE0)
            k = 2;
        else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
            k = 3;
        else
            return false;
        if ((size_t)(e - p) <= k)
            return false;
        for (size_t i = 1; i <= k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += k + 1;
    }
    return true;
}

/*
 * mm_utf8_valid() (q2msg: the ASCII runs of mixed text ended by one 16-byte
 * test) against its byte-at-a-time reading on 300,000 random texts of up to
 * ~600 bytes: ASCII runs of 0-99 bytes between characters of 2-4 bytes, and
 * now and then a broken one (a lone continuation byte, C0/C1/F5/FF, a
 * sequence cut short), so runs end at every place of the 16-, 32- and
 * 64-byte tests.
 */
static void test_utf8_valid_mixed(void **state)
{
    const variant *v = *state;
    static const char *const chars[] = {"\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80",
                                        "\xed\xa0\x80", "\xe9\x80\x80"};
    static const char *const bad[] = {"\x80", "\xc0\x80", "\xc1\xbf", "\xf5\x80\x80\x80",
                                      "\xff", "\xe6\x97", "\xe6\x41", "\xf0\x9f\x98"};
    uint32_t seed = 11;
    char buf[1200]; /* 11 pieces of at most 99 + 4 bytes */
    for (int t = 0; t < 300000; t++) {
        size_t n = 0, pieces = next(&seed) % 12;
        bool broken = next(&seed) % 4 == 0;
        for (size_t k = 0; k < pieces; k++) {
            size_t run = next(&seed) % (next(&seed) % 3 ? 20 : 100);
            for (size_t i = 0; i < run; i++)
                buf[n++] = (char)(0x20 + next(&seed) % 0x5F);
            const char *c = broken && next(&seed) % 6 == 0
                                ? bad[next(&seed) % (sizeof bad / sizeof bad[0])]
                                : chars[next(&seed) % (sizeof chars / sizeof chars[0])];
            memcpy(buf + n, c, strlen(c));
            n += strlen(c);
        }
        if (next(&seed) % 2 && n) /* sometimes end inside a character */
            n -= next(&seed) % 3 % (n + 1);
        char *h = exact(buf, n);
        bool got = v->utf8_valid(h, n), want = naive_utf8(h, n);
        free(h);
        if (got != want)
            fail_msg("t=%d n=%zu: got %d, want %d", t, n, got, want);
    }
}

/* mm_ascii() (q2msg: AVX2 128 bytes a step, 32, an overlapping last
 * block) with one byte 0x7F, 0x80, 0xC3 or 0xFF at every place of every
 * length up to 300, and with none. */
static void test_ascii(void **state)
{
    const variant *v = *state;
    static const unsigned char odd[] = {0x7F, 0x80, 0xC3, 0xFF};
    char buf[300];
    for (size_t n = 0; n <= sizeof buf; n++) {
        for (size_t at = 0; at <= n; at++) {
            for (size_t k = 0; k < (at < n ? sizeof odd : 1); k++) {
                for (size_t i = 0; i < n; i++)
                    buf[i] = (char)(0x20 + i % 0x5F);
                if (at < n)
                    buf[at] = (char)odd[k];
                bool want = at == n || odd[k] < 0x80;
                char *h = exact(buf, n);
                bool got = v->ascii(h, n);
                free(h);
                if (got != want)
                    fail_msg("n=%zu at=%zu byte=%02x: got %d", n, at, at < n ? odd[k] : 0, got);
            }
        }
    }
}

/* mm_memchr3() (q2msg: AVX2 32 bytes a step, an overlapping last block)
 * against its definition on 200,000 random texts of 0-299 bytes. */
static void test_memchr3(void **state)
{
    const variant *v = *state;
    uint32_t seed = 5;
    char buf[300];
    for (int t = 0; t < 200000; t++) {
        size_t n = next(&seed) % sizeof buf;
        for (size_t i = 0; i < n; i++)
            buf[i] = "abcd\n>;\t"[next(&seed) % 8]; /* none of the three */
        for (uint32_t k = next(&seed) % 3; n && k > 0; k--)
            buf[next(&seed) % n] = "<&\r"[next(&seed) % 3];
        char *h = exact(buf, n);
        const char *got = v->memchr3(h, n, '<', '&', '\r'), *want = NULL;
        for (size_t i = 0; i < n && !want; i++)
            if (h[i] == '<' || h[i] == '&' || h[i] == '\r')
                want = h + i;
        ptrdiff_t g = got ? got - h : -1, w = want ? want - h : -1;
        free(h);
        if (g != w)
            fail_msg("t=%d n=%zu: got %td, want %td", t, n, g, w);
    }
}

/* mm_token_span() and mm_qtext_span() (q2msg) against their definitions:
 * every byte value at every place of every length up to 40. */
static void test_token_qtext_span(void **state)
{
    (void)state;
    char buf[40];
    for (size_t n = 0; n <= sizeof buf; n++) {
        for (size_t at = 0; at <= n; at++) {
            for (int c = 0; c < 256; c += (at == n ? 256 : 1)) {
                for (size_t i = 0; i < n; i++)
                    buf[i] = "aZ09-.+_"[i % 8];
                if (at < n)
                    buf[at] = (char)c;
                bool tok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '+' || c == '_';
                bool qt = c >= 0x20 && c <= 0x7F && c != '"' && c != '\\';
                char *h = exact(buf, n);
                size_t gt = mm_token_span(h, n), gq = mm_qtext_span(h, n);
                free(h);
                if (gt != (at < n && !tok ? at : n))
                    fail_msg("token n=%zu at=%zu c=%d: got %zu", n, at, c, gt);
                if (gq != (at < n && !qt ? at : n))
                    fail_msg("qtext n=%zu at=%zu c=%d: got %zu", n, at, c, gq);
            }
        }
    }
}

/* mm_lf_iter_next() with v's fill. */
static const char *lf_iter_next(mm_lf_iter *it, const variant *v)
{
    if (v->lf_iter_fill == mm_lf_iter_fill)
        return mm_lf_iter_next(it); /* the library's own */
    if (it->i == it->k) {
        if (it->base >= it->end)
            return NULL;
        v->lf_iter_fill(it);
        if (!it->k)
            return NULL;
    }
    return it->start + it->q[it->i++];
}

/*
 * mm_lf_iter against memchr() line by line: every length 0-299 (the 64-byte
 * windows, the short copy below 64 and the overlapping last window), texts
 * of LF, NUL, CR and bytes an unsigned minimum or compare could confuse,
 * each in an exact-size heap block.  The NUL flag must never say "none"
 * while one lies before the last LF handed out, and must be exact at the end.
 */
static void test_lf_iter(void **state)
{
    const variant *v = *state;
    static const char alpha[] = "\n\0\r\x01\x0b\x09\x8a\xff a";
    uint32_t seed = 777;
    char buf[300];
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = iter < 300 ? (size_t)iter : next(&seed) % sizeof buf;
        size_t ab = 1 + next(&seed) % (sizeof alpha - 1);
        unsigned rare = next(&seed) % 4; /* how sparse LFs and NULs are */
        for (size_t i = 0; i < n; i++) {
            unsigned r = next(&seed);
            buf[i] = (rare && r % (16u << rare) != 0) ? 'x' : alpha[(r >> 8) % ab];
        }
        char *t = exact(buf, n);
        mm_lf_iter it;
        mm_lf_iter_init(&it, t, n);
        const char *p = t, *lf;
        while ((lf = lf_iter_next(&it, v))) {
            const char *want = memchr(p, '\n', (size_t)(t + n - p));
            assert_ptr_equal(lf, want);
            if (!mm_lf_iter_nul(&it))
                assert_null(memchr(t, '\0', (size_t)(lf - t) + 1));
            p = lf + 1;
        }
        assert_null(memchr(p, '\n', (size_t)(t + n - p)));
        assert_int_equal(mm_lf_iter_nul(&it), memchr(t, '\0', n) != NULL);
        assert_null(lf_iter_next(&it, v)); /* stays at the end */
        free(t);
    }
}

/*
 * mm_eq_ci_word() (its overlapping loads, mm_word_le) against a byte loop
 * for every n of 1-8, on exact-size heap blocks, with the folds the callers
 * use (0x20 where the literal has a letter) and random ones.
 */
static void test_eq_ci_word(void **state)
{
    (void)state;
    static const char alpha[] = "aAtT:-\x20\x00\xe1\xc1@`";
    uint32_t seed = 99;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = 1 + next(&seed) % 8;
        char lit[8], fold[8], p[8];
        for (size_t i = 0; i < n; i++) {
            lit[i] = alpha[next(&seed) % (sizeof alpha - 1)];
            fold[i] = (next(&seed) & 1) ? 0x20 : 0;
            /* near the literal most of the time, so both answers occur */
            unsigned r = next(&seed) % 4;
            p[i] = r == 0 ? alpha[next(&seed) % (sizeof alpha - 1)]
                 : r == 1 ? (char)(lit[i] ^ 0x20) : lit[i];
        }
        bool want = true;
        for (size_t i = 0; i < n; i++)
            want &= (char)(p[i] | fold[i]) == lit[i];
        char *hp = exact(p, n), *hl = exact(lit, n), *hf = exact(fold, n);
        assert_int_equal(mm_eq_ci_word(hp, hl, hf, n), want);
        free(hp);
        free(hl);
        free(hf);
    }
}

/* mm_copy16() against memcpy() for every n from 0 to 16 at every source
 * offset in a 40-byte buffer: exactly dst[0..n) changes (the bytes around it
 * are checked), src read within n (exact heap copies, for ASan). */
static void test_copy16(void **state)
{
    (void)state;
    char pool[40];
    for (size_t i = 0; i < sizeof pool; i++)
        pool[i] = (char)(i * 37 + 1); /* NUL, CR and 8-bit bytes among them */
    pool[5] = '\0';
    pool[9] = '\r';
    for (size_t n = 0; n <= 16; n++)
        for (size_t off = 0; off + n <= sizeof pool; off++) {
            char *src = exact(pool + off, n);
            char got[20], want[20];
            memset(got, 'Z', sizeof got);
            memset(want, 'Z', sizeof want);
            mm_copy16(got + 2, src, n);
            memcpy(want + 2, src, n);
            assert_memory_equal(got, want, sizeof got);
            free(src);
        }
}

/* The plain definition of mm_lf_then(). */
static size_t naive_lf_then(const char *s, size_t n, char a, char b, char c)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '\n' && (s[i + 1] == a || s[i + 1] == b || s[i + 1] == c))
            return i;
    return n;
}

/* The plain definition of mm_line_run_ci() (see str.h); *starts is only
 * compared where a run end was found. */
static size_t naive_line_run(const char *s, size_t n, char a, char b, char c, size_t *starts)
{
    *starts = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\n')
            continue;
        char f = (char)(i + 1 < n ? s[i + 1] | 0x20 : 0);
        if (i + 1 == n || f == a || f == b || f == c)
            return i + 1;
        if (s[i + 1] != ' ' && s[i + 1] != '\t')
            ++*starts;
    }
    return 0;
}

/* mm_lf_then() and mm_line_run_ci() on s[0..n), in an exact heap copy,
 * against their definitions, with the callers' stop bytes. */
static void check_line_scans(const variant *v, const char *s, size_t n, const char *what)
{
    char *h = exact(s, n);
    size_t got = v->lf_then(h, n, 'F', '>', '>'), want = naive_lf_then(h, n, 'F', '>', '>');
    if (got != want)
        fail_msg("%s lf_then n=%zu: got %zu, want %zu", what, n, got, want);
    got = v->lf_then(h, n, 'C', 'c', '-');
    want = naive_lf_then(h, n, 'C', 'c', '-');
    if (got != want)
        fail_msg("%s lf_then(Cc-) n=%zu: got %zu, want %zu", what, n, got, want);
    size_t gs = 0, ws = 0;
    got = v->line_run_ci(h, n, 'c', 'm', '*', &gs);
    want = naive_line_run(h, n, 'c', 'm', '*', &ws);
    if (got != want || (want && gs != ws))
        fail_msg("%s line_run n=%zu: got %zu (%zu starts), want %zu (%zu)", what, n, got, gs,
                 want, ws);
    free(h);
}

/*
 * mm_lf_then() and mm_line_run_ci() (the AVX2 pass of 32 places and its
 * hand-over to the SSE2 pass of 16, then bytes) on 100,000 random texts of
 * 0-299 bytes: LFs, the stop bytes in both cases, SP/TAB after an LF, NULs
 * and 8-bit bytes (0xC3 | 0x20 is 0xE3, 0x0A | 0x20 is '*').
 */
static void test_line_scans_random(void **state)
{
    const variant *v = *state;
    static const char alpha[] = "x\n\n\n \tcCmM*-F>\0\xc3\xe3\x8a\r";
    uint32_t seed = 99;
    char in[300];
    for (int iter = 0; iter < 100000; iter++) {
        size_t n = next(&seed) % sizeof in;
        unsigned rare = 2 + next(&seed) % 40; /* 1 in rare bytes is not 'x' */
        for (size_t i = 0; i < n; i++) {
            unsigned r = next(&seed);
            in[i] = r % rare ? 'x' : alpha[1 + (r >> 8) % (sizeof alpha - 2)];
        }
        check_line_scans(v, in, n, "random");
    }
}

/*
 * Every length 0-300 and every place of one hit in it (none too): an LF
 * followed by a stop byte for mm_lf_then() and mm_line_run_ci(), NUL or CR
 * for mm_memchr_nul_cr(), each of the three bytes for mm_memchr3(), an
 * 8-bit byte for mm_ascii() and mm_utf8_valid(), over a text of bytes that
 * are none of these (8-bit ones too, for the searches), with a decoy before
 * the hit (an LF followed by a byte that is no stop).  A hit at the very end
 * and one split by the end (an LF as the last byte) are among them.
 */
static void test_one_hit_every_place(void **state)
{
    const variant *v = *state;
    char buf[301];
    for (size_t n = 0; n < sizeof buf; n++) {
        for (size_t at = 0; at <= n; at++) {
            for (int kind = 0; kind < 4; kind++) {
                /* the searches: a filler with NUL-free 8-bit bytes and decoys */
                for (size_t i = 0; i < n; i++)
                    buf[i] = "ab\xe9 Z\x80-\t"[i % 8];
                if (at >= 2)
                    buf[at - 2] = '\n'; /* a decoy: LF then a no-stop byte */
                if (at < n) {
                    buf[at] = "\r\0<&"[kind];
                    if (at + 1 < n)
                        buf[at + 1] = kind == 1 ? 'F' : (kind == 2 ? 'c' : '\n');
                }
                char *h = exact(buf, n);
                const char *got = v->nul_cr(h, n), *want = naive_nul_cr(h, n);
                if (got != want)
                    fail_msg("nul_cr n=%zu at=%zu kind=%d: got %td, want %td", n, at, kind,
                             got ? got - h : -1, want ? want - h : -1);
                want = NULL;
                for (size_t i = 0; i < n && !want; i++)
                    if (h[i] == '<' || h[i] == '&' || h[i] == '\0')
                        want = h + i;
                got = v->memchr3(h, n, '<', '&', '\0');
                if (got != want)
                    fail_msg("memchr3 n=%zu at=%zu kind=%d: got %td, want %td", n, at, kind,
                             got ? got - h : -1, want ? want - h : -1);
                free(h);
                check_line_scans(v, buf, n, "one hit");
                /* mm_lf_then() with the hit as an LF at `at` */
                if (at < n) {
                    buf[at] = '\n';
                    check_line_scans(v, buf, n, "one LF");
                }
            }
            /* the ASCII tests: ASCII text with one 8-bit byte (a lone
             * continuation byte, a whole character, or one cut by the end) */
            for (int kind = 0; kind < 3; kind++) {
                for (size_t i = 0; i < n; i++)
                    buf[i] = (char)(0x20 + (i * 7) % 0x5F);
                if (at < n) {
                    buf[at] = kind == 0 ? '\x80' : '\xc3';
                    if (kind == 1 && at + 1 < n)
                        buf[at + 1] = '\xa9';
                }
                if (kind == 2 && n)
                    buf[n - 1] = '\0'; /* a NUL is ASCII */
                char *h = exact(buf, n);
                bool want = true;
                for (size_t i = 0; i < n; i++)
                    want = want && (unsigned char)h[i] < 0x80;
                if (v->ascii(h, n) != want)
                    fail_msg("ascii n=%zu at=%zu kind=%d", n, at, kind);
                if (v->utf8_valid(h, n) != naive_utf8(h, n))
                    fail_msg("utf8_valid n=%zu at=%zu kind=%d", n, at, kind);
                free(h);
            }
        }
    }
}

/*
 * mm_memcasemem() with needles of 2-40 bytes holding 8-bit bytes and NULs,
 * at every place of haystacks of 0-300 bytes (so across every 16-, 32-,
 * 64- and 128-byte edge), the last place included, and with no match:
 * the needle's last byte changed (the filters' first and last byte tests
 * pass everywhere else).
 */
static void test_memcasemem_8bit_nul(void **state)
{
    const variant *v = *state;
    static const size_t lens[] = {2, 5, 16, 31, 40};
    char hay[301], nd[40];
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t nl = lens[li];
        for (size_t k = 0; k < nl; k++)
            nd[k] = "\xc3\0Ab\xe9\x80z"[k % 7];
        for (size_t n = 0; n < sizeof hay; n++) {
            for (size_t at = 0; at + nl <= n + 1; at++) {
                for (int miss = 0; miss < 2; miss++) {
                    for (size_t i = 0; i < n; i++)
                        hay[i] = "\xc3\0aB\xe9\x80"[i % 6]; /* near misses everywhere */
                    if (at + nl <= n) {
                        memcpy(hay + at, nd, nl);
                        if (miss)
                            hay[at + nl - 1] = '#';
                    }
                    char *h = exact(hay, n), *d = exact(nd, nl);
                    const char *got = v->memcasemem(h, n, d, nl);
                    const char *want = naive_casemem(h, n, d, nl);
                    if (got != want)
                        fail_msg("n=%zu nl=%zu at=%zu miss=%d: got %td, want %td", n, nl, at,
                                 miss, got ? got - h : -1, want ? want - h : -1);
                    free(h);
                    free(d);
                }
            }
        }
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
        BOTH(test_memcasemem_long),
        BOTH(test_memcasemem_edges),
        BOTH(test_memcasemem_8bit_nul),
        cmocka_unit_test(test_plain_text_span),
        BOTH(test_memchr_nul_cr),
        BOTH(test_utf8_valid_mixed),
        BOTH(test_ascii),
        BOTH(test_memchr3),
        BOTH(test_line_scans_random),
        BOTH(test_one_hit_every_place),
        cmocka_unit_test(test_token_qtext_span),
        BOTH(test_lf_iter),
        cmocka_unit_test(test_eq_ci_word),
        cmocka_unit_test(test_copy16),
    };
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (!__builtin_cpu_supports("avx2"))
        print_message("note: no AVX2 here: the dispatched variant runs the portable paths too\n");
#endif
    return cmocka_run_group_tests(tests, NULL, NULL);
}
