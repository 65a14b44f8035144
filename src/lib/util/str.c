/* str.c - string helpers (see str.h). */
#include "str.h"
#include "str_portable.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * The helpers with an AVX2 path chosen at run time are each written once as
 * a NAME_isa(avx2, ...) body that mm_NAME() calls with true (the AVX2 path
 * where the CPU has it) and mm_NAME_portable() (str_portable.h, for the
 * tests) with false, so the SSE2 and byte paths are tested on AVX2 machines
 * too.  Forced inline (MM_ISA_INLINE, str.h), so each caller's constant
 * folds away: mm_NAME() is the code it was, with no flag to read.
 */
#ifdef __SSE2__
#include <emmintrin.h>

/* The 16 bytes at p with their upper-case ASCII letters made lower case
 * (signed compares: the 8-bit bytes are below 'A'). */
static inline __m128i lower16(const char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                               _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    return _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20)));
}

static inline bool eq16_ci(const char *a, const char *b)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(lower16(a), lower16(b))) == 0xFFFF;
}
#endif

/* The 8 bytes at p with their upper-case ASCII letters made lower case, in
 * one word: per byte, the high bit of h + 0x3F says h >= 'A' and that of
 * h + 0x25 says h > 'Z' (h: the low 7 bits, so no carry crosses a byte);
 * an upper-case letter's bit 7 shifted down is its 0x20. */
static inline uint64_t lower8(const char *p)
{
    const uint64_t ones = UINT64_C(0x0101010101010101), high = ones * 0x80;
    uint64_t x;
    memcpy(&x, p, 8);
    uint64_t h = x & ~high;
    uint64_t up = (h + ones * (0x80 - 'A')) & ~(h + ones * (0x80 - 'Z' - 1)) & ~x & high;
    return x | up >> 2;
}

/*
 * Whether needle[0..nlen) matches at p, ASCII case folded: a candidate the
 * vector filters found.  Long needles ("This message was created
 * automatically by mail delivery software") are compared 16 or 8 bytes at
 * a time, the last block overlapping the one before; only these nlen bytes
 * of p and needle are read.
 */
static inline bool match_at(const char *p, const char *needle, size_t nlen)
{
    size_t i = 0;
#ifdef __SSE2__
    if (nlen >= 16) {
        for (; nlen - i >= 16; i += 16)
            if (!eq16_ci(p + i, needle + i))
                return false;
        return i == nlen || eq16_ci(p + nlen - 16, needle + nlen - 16);
    }
#endif
    if (nlen >= 8) {
        for (; nlen - i >= 8; i += 8)
            if (lower8(p + i) != lower8(needle + i))
                return false;
        return i == nlen || lower8(p + nlen - 8) == lower8(needle + nlen - 8);
    }
    for (; i < nlen; i++)
        if (mm_lower(p[i]) != mm_lower(needle[i]))
            return false;
    return true;
}

/* Candidates for the first byte come from memchr (vectorised in libc), once
 * for each case of a letter; only they are compared further. */
static const char *search_memchr(const char *hay, const char *end, const char *needle, size_t nlen)
{
    unsigned char f = (unsigned char)mm_lower(needle[0]);
    unsigned char F = (f >= 'a' && f <= 'z') ? (unsigned char)(f - 32) : f;
    const char *lo = memchr(hay, f, (size_t)(end - hay));
    const char *up = F != f ? memchr(hay, F, (size_t)(end - hay)) : NULL;
    while (lo || up) {
        const char *p;
        if (lo && (!up || lo < up)) {
            p = lo;
            lo = memchr(lo + 1, f, (size_t)(end - lo - 1));
        } else {
            p = up;
            up = memchr(up + 1, F, (size_t)(end - up - 1));
        }
        if (match_at(p + 1, needle + 1, nlen - 1))
            return p;
    }
    return NULL;
}

/* The first candidate of mask (bit i: position p + i) whose middle bytes
 * match too (the first and last bytes were tested by the caller's filter). */
static inline const char *first_match(const char *p, unsigned mask, const char *needle, size_t nlen)
{
    for (; mask; mask &= mask - 1) {
        unsigned bit = (unsigned)__builtin_ctz(mask);
        if (match_at(p + bit + 1, needle + 1, nlen - 2))
            return p + bit;
    }
    return NULL;
}

/*
 * The needle's first and last bytes as the vector filters compare them: a
 * letter is matched in both cases by ORing 0x20 into the haystack's bytes
 * first (that bit is all that tells 'A' from 'a', and it makes no other
 * byte that letter), any other byte as it is.  One OR and one compare per
 * byte instead of two compares and an OR.
 */
static char fold_bit(char c)
{
    /* the test's 0 or 1 shifted, not "? 0x20 : 0": GCC made that a branch on
     * the needle's first byte, mispredicted ~10 k times in 33 k searches */
    return (char)(((unsigned char)((c | 0x20) - 'a') < 26) << 5);
}

/* c lower case, as mm_lower(c), without a branch (see fold_bit()). */
static char fold_lower(char c)
{
    return (char)(c | fold_bit(c));
}

#ifdef __SSE2__
/* Positions p .. p + 15 where the first and last needle bytes both match, as bits. */
static unsigned sse2_mask(const char *p, size_t nlen, __m128i f, __m128i ff, __m128i l, __m128i lf)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + nlen - 1));
    return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, ff), f),
                                                     _mm_cmpeq_epi8(_mm_or_si128(b, lf), l)));
}

/*
 * 16 start positions at a time, tested on the needle's first and last
 * bytes in both cases (the "generic SIMD" substring search, W. Mula); only
 * positions where both agree are compared in full, lowest first, so the
 * first match is the one returned.  Needs end - hay >= 16.  The last block
 * ends at end and overlaps positions already tested (their bits cleared),
 * so no tail is left.  Both loads stay inside the haystack: p + 15 < end,
 * and end + nlen - 1 is the haystack's end.
 */
static const char *search_sse2(const char *hay, const char *end, const char *needle, size_t nlen)
{
    const char *p = hay;
    const __m128i f = _mm_set1_epi8(fold_lower(needle[0])), ff = _mm_set1_epi8(fold_bit(needle[0])),
                  l = _mm_set1_epi8(fold_lower(needle[nlen - 1])),
                  lf = _mm_set1_epi8(fold_bit(needle[nlen - 1]));
    for (; end - p >= 16; p += 16) {
        const char *hit = first_match(p, sse2_mask(p, nlen, f, ff, l, lf), needle, nlen);
        if (hit)
            return hit;
    }
    if (p == end)
        return NULL;
    const char *q = end - 16; /* q < p: positions q .. p - 1 were tested */
    unsigned m = sse2_mask(q, nlen, f, ff, l, lf);
    return first_match(q, m & ~((1u << (p - q)) - 1), needle, nlen);
}
#endif

/* Fewer than 16 positions (a short field or phrase): each tested on the
 * needle's first byte as the vector filters do (fold_bit()), not two
 * memchr() calls, one for each case of a letter, and one more per candidate. */
static const char *search_bytes(const char *hay, const char *end, const char *needle, size_t nlen)
{
    char f = fold_lower(needle[0]), ff = fold_bit(needle[0]);
    for (const char *p = hay; p < end; p++)
        if ((char)(*p | ff) == f && match_at(p + 1, needle + 1, nlen - 1))
            return p;
    return NULL;
}

/* The AVX2 versions share the SSE2 headers, so they exist only where SSE2 does. */
#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_SEARCH 1

/* Start positions p .. p + 31 where the needle's first and last bytes both
 * match (folded as above), as a vector of 0xFF bytes. */
__attribute__((target("avx2"))) static inline __m256i
avx2_cands(const char *p, size_t nlen, __m256i f, __m256i ff, __m256i l, __m256i lf)
{
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p);
    __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + nlen - 1));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_or_si256(a, ff), f),
                            _mm256_cmpeq_epi8(_mm256_or_si256(b, lf), l));
}

/* first_match() for the 64 positions p .. p + 63. */
static inline const char *first_match64(const char *p, uint64_t mask, const char *needle,
                                        size_t nlen)
{
    for (; mask; mask &= mask - 1) {
        unsigned bit = (unsigned)__builtin_ctzll(mask);
        if (match_at(p + bit + 1, needle + 1, nlen - 2))
            return p + bit;
    }
    return NULL;
}

/*
 * search_sse2() for CPUs that have AVX2, over all of hay .. end (end - hay
 * >= 32): 128 positions a step with one test for its four blocks (nearly
 * every step finds nothing).  A haystack of 128 positions or more ends
 * with the last 128 as one step, the bits of the positions already done
 * cleared without a branch: steps of 64 and 32, then a last block, had a
 * branch on the length each.  A shorter one goes by at most one step of 64
 * and one of 32, then one last block of 32 that ends at end and overlaps
 * the positions already done (their bits cleared).  Every load stays
 * inside the haystack, as in search_sse2().
 */
__attribute__((target("avx2"))) static const char *search_avx2(const char *hay, const char *end,
                                                               const char *needle, size_t nlen)
{
    const char *p = hay;
    const __m256i f = _mm256_set1_epi8(fold_lower(needle[0])),
                  ff = _mm256_set1_epi8(fold_bit(needle[0])),
                  l = _mm256_set1_epi8(fold_lower(needle[nlen - 1])),
                  lf = _mm256_set1_epi8(fold_bit(needle[nlen - 1]));
    if (end - p >= 128) {
        for (;;) {
            __m256i c0 = avx2_cands(p, nlen, f, ff, l, lf);
            __m256i c1 = avx2_cands(p + 32, nlen, f, ff, l, lf);
            __m256i c2 = avx2_cands(p + 64, nlen, f, ff, l, lf);
            __m256i c3 = avx2_cands(p + 96, nlen, f, ff, l, lf);
            __m256i any = _mm256_or_si256(_mm256_or_si256(c0, c1), _mm256_or_si256(c2, c3));
            if (!_mm256_testz_si256(any, any)) {
                uint64_t lo = (unsigned)_mm256_movemask_epi8(c0) |
                              (uint64_t)(unsigned)_mm256_movemask_epi8(c1) << 32;
                uint64_t hi = (unsigned)_mm256_movemask_epi8(c2) |
                              (uint64_t)(unsigned)_mm256_movemask_epi8(c3) << 32;
                const char *hit = first_match64(p, lo, needle, nlen);
                if (!hit)
                    hit = first_match64(p + 64, hi, needle, nlen);
                if (hit)
                    return hit;
            }
            p += 128;
            if (end - p < 128)
                break;
        }
        if (p == end)
            return NULL;
        /* the last 128 positions, those before p (1 to 127) cleared */
        const char *q = end - 128;
        size_t skip = (size_t)(p - q);
        __m256i c0 = avx2_cands(q, nlen, f, ff, l, lf);
        __m256i c1 = avx2_cands(q + 32, nlen, f, ff, l, lf);
        __m256i c2 = avx2_cands(q + 64, nlen, f, ff, l, lf);
        __m256i c3 = avx2_cands(q + 96, nlen, f, ff, l, lf);
        uint64_t lo = (unsigned)_mm256_movemask_epi8(c0) |
                      (uint64_t)(unsigned)_mm256_movemask_epi8(c1) << 32;
        uint64_t hi = (unsigned)_mm256_movemask_epi8(c2) |
                      (uint64_t)(unsigned)_mm256_movemask_epi8(c3) << 32;
        uint64_t from = ~(uint64_t)0 << (skip & 63), below64 = -(uint64_t)(skip < 64);
        const char *hit = first_match64(q, lo & from & below64, needle, nlen);
        return hit ? hit : first_match64(q + 64, hi & (from | below64), needle, nlen);
    }
    if (end - p >= 64) {
        __m256i c0 = avx2_cands(p, nlen, f, ff, l, lf);
        __m256i c1 = avx2_cands(p + 32, nlen, f, ff, l, lf);
        const char *hit = first_match(p, (unsigned)_mm256_movemask_epi8(c0), needle, nlen);
        if (!hit)
            hit = first_match(p + 32, (unsigned)_mm256_movemask_epi8(c1), needle, nlen);
        if (hit)
            return hit;
        p += 64;
    }
    if (end - p >= 32) {
        unsigned m = (unsigned)_mm256_movemask_epi8(avx2_cands(p, nlen, f, ff, l, lf));
        const char *hit = first_match(p, m, needle, nlen);
        if (hit)
            return hit;
        p += 32;
    }
    if (p == end)
        return NULL;
    const char *q = end - 32; /* q < p: positions q .. p - 1 were tested */
    unsigned m = (unsigned)_mm256_movemask_epi8(avx2_cands(q, nlen, f, ff, l, lf));
    return first_match(q, m & ~((1u << (p - q)) - 1), needle, nlen);
}
#endif

/*
 * Decoders ask this for every marker in every message (about 400 searches
 * of 100 KB in all per bounce, nearly all without a match), so it is on the
 * hot path.  The vector filter above, 64 and 32 positions at a time where
 * the CPU has AVX2, else 16 with SSE2 (every x86-64), each ending with an
 * overlapping block; fewer than 16 positions, one-byte needles and other
 * machines use memchr.
 */
/* mm_memcasemem() for fewer than 32 positions, or a CPU without AVX2; out
 * of line, so that the AVX2 case is a jump from mm_memcasemem() with no
 * registers to save there. */
__attribute__((noinline)) static const char *search_short(const char *hay, const char *end,
                                                          const char *needle, size_t nlen)
{
#ifdef __SSE2__
    if (nlen >= 2 && end - hay >= 16)
        return search_sse2(hay, end, needle, nlen);
#endif
    if (end - hay < 16)
        return search_bytes(hay, end, needle, nlen);
    return search_memchr(hay, end, needle, nlen);
}

/* mm_memcasemem(); avx2: the AVX2 pass may be taken (false only in
 * mm_memcasemem_portable(), for the tests). */
MM_ISA_INLINE static const char *memcasemem_isa(bool avx2, const char *hay, size_t n,
                                             const char *needle, size_t nlen)
{
    if (nlen == 0)
        return hay;
    if (nlen > n)
        return NULL;
    const char *end = hay + n - nlen + 1; /* a match starts before end */
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && nlen >= 2 && end - hay >= 32 && __builtin_cpu_supports("avx2"))
        return search_avx2(hay, end, needle, nlen);
#else
    (void)avx2;
#endif
    return search_short(hay, end, needle, nlen);
}

const char *mm_memcasemem(const char *hay, size_t n, const char *needle, size_t nlen)
{
    return memcasemem_isa(true, hay, n, needle, nlen);
}

const char *mm_memcasemem_portable(const char *hay, size_t n, const char *needle, size_t nlen)
{
    return memcasemem_isa(false, hay, n, needle, nlen);
}


bool mm_startswith_ci(const char *s, const char *prefix)
{
    while (*prefix) {
        if (mm_lower(*s) != mm_lower(*prefix))
            return false;
        s++;
        prefix++;
    }
    return true;
}

char *mm_strlower(char *s)
{
    /* the length first, then eight bytes a step (mm_lower8(), which
     * lowers as mm_lower() does), not a test for the NUL per byte */
    size_t n = strlen(s);
    if (n >= 8) {
        mm_lower_copy8(s, s, n);
        return s;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = mm_lower(s[i]);
    return s;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

char *mm_strtrim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        s[--n] = '\0';
    return s;
}

void mm_squeeze_space(char *s)
{
    char *w = s;
    bool space = false;
    for (char *r = s; *r; r++) {
        if (is_space(*r)) {
            space = true;
            continue;
        }
        if (space && w != s)
            *w++ = ' ';
        space = false;
        *w++ = *r;
    }
    *w = '\0';
}

#ifdef HAVE_AVX2_SEARCH
/* The OR of the 128 bytes at p, as one vector: its top bits tell whether
 * any of them is 8-bit. */
__attribute__((target("avx2"))) static inline __m256i or_128(const char *p)
{
    const __m256i *v = (const __m256i *)(const void *)p;
    return _mm256_or_si256(_mm256_or_si256(_mm256_loadu_si256(v), _mm256_loadu_si256(v + 1)),
                           _mm256_or_si256(_mm256_loadu_si256(v + 2), _mm256_loadu_si256(v + 3)));
}

/* mm_ascii() for n >= 32: 128 bytes a step, then 32, the last block
 * overlapping (ORing a byte twice changes nothing). */
__attribute__((target("avx2"))) static bool ascii_avx2(const char *s, size_t n)
{
    const char *p = s;
    __m256i acc = _mm256_setzero_si256();
    for (size_t k = n / 128; k > 0; k--, p += 128)
        acc = _mm256_or_si256(acc, or_128(p));
    for (; s + n - p > 32; p += 32)
        acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(const void *)p));
    acc = _mm256_or_si256(acc, _mm256_loadu_si256((const __m256i *)(const void *)(s + n - 32)));
    return _mm256_movemask_epi8(acc) == 0;
}
#endif

MM_ISA_INLINE static bool ascii_isa(bool avx2, const char *s, size_t n)
{
    size_t i = 0;
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && n >= 32 && __builtin_cpu_supports("avx2"))
        return ascii_avx2(s, n);
#else
    (void)avx2;
#endif
#ifdef __SSE2__
    __m128i acc = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16)
        acc = _mm_or_si128(acc, _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
    if (_mm_movemask_epi8(acc))
        return false;
#endif
    for (; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

bool mm_ascii(const char *s, size_t n)
{
    return ascii_isa(true, s, n);
}

bool mm_ascii_portable(const char *s, size_t n)
{
    return ascii_isa(false, s, n);
}

#ifdef HAVE_AVX2_SEARCH
/* mm_lf_then() from i on, 32 positions at a time; *ip: where it stopped. */
__attribute__((target("avx2"))) static size_t lf_then_avx2(const char *s, size_t n, size_t *ip,
                                                           char a, char b, char c)
{
    const __m256i lf = _mm256_set1_epi8('\n'), va = _mm256_set1_epi8(a),
                  vb = _mm256_set1_epi8(b), vc = _mm256_set1_epi8(c);
    size_t i = *ip;
    /* No skip of the pieces without an LF: with text lines of 40-80 bytes
     * half the pieces hold one, and that test was mispredicted about as
     * often as taken; the compares cost less than the mispredicts. */
    for (; n - i > 32; i += 32) { /* the second load ends at s[i + 32], before s[n] */
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        __m256i nl = _mm256_cmpeq_epi8(v, lf);
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 1));
        __m256i mark = _mm256_or_si256(_mm256_cmpeq_epi8(w, va),
                                       _mm256_or_si256(_mm256_cmpeq_epi8(w, vb),
                                                       _mm256_cmpeq_epi8(w, vc)));
        unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_and_si256(nl, mark));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
    *ip = i;
    return n;
}
#endif

MM_ISA_INLINE static size_t lf_then_isa(bool avx2, const char *s, size_t n, char a, char b, char c)
{
    size_t i = 0;
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && n > 32 && __builtin_cpu_supports("avx2")) {
        size_t hit = lf_then_avx2(s, n, &i, a, b, c);
        if (hit < n)
            return hit;
    }
#else
    (void)avx2;
#endif
#ifdef __SSE2__
    const __m128i lf = _mm_set1_epi8('\n'), va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b),
                  vc = _mm_set1_epi8(c);
    for (; n - i > 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
        __m128i mark = _mm_or_si128(_mm_cmpeq_epi8(w, va),
                                    _mm_or_si128(_mm_cmpeq_epi8(w, vb), _mm_cmpeq_epi8(w, vc)));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(v, lf), mark));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i + 1 < n; i++)
        if (s[i] == '\n' && (s[i + 1] == a || s[i + 1] == b || s[i + 1] == c))
            return i;
    return n;
}

size_t mm_lf_then(const char *s, size_t n, char a, char b, char c)
{
    return lf_then_isa(true, s, n, a, b, c);
}

size_t mm_lf_then_portable(const char *s, size_t n, char a, char b, char c)
{
    return lf_then_isa(false, s, n, a, b, c);
}

/* The byte after an LF stops a run (see mm_line_run_ci). */
static bool run_stop(char x, char a, char b, char c)
{
    x = (char)(x | 0x20);
    return x == a || x == b || x == c;
}

#ifdef HAVE_AVX2_SEARCH
/* mm_line_run_ci() from *ip on, 32 positions at a time; 0 and *ip: where it
 * stopped, when no run end was found. */
__attribute__((target("avx2,popcnt"))) static size_t
line_run_avx2(const char *s, size_t n, size_t *ip, char a, char b, char c, size_t *starts)
{
    const __m256i lf = _mm256_set1_epi8('\n'), sp = _mm256_set1_epi8(' '),
                  tab = _mm256_set1_epi8('\t'), low = _mm256_set1_epi8(0x20),
                  va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b), vc = _mm256_set1_epi8(c);
    size_t i = *ip, k = 0;
    /* No skip of the pieces without an LF (as in lf_then_avx2()): about
     * half of them hold one, and the test was mispredicted that often. */
    for (; n - i > 32; i += 32) { /* the second load ends at s[i + 32], before s[n] */
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, lf));
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(s + i + 1));
        __m256i f = _mm256_or_si256(w, low);
        unsigned stop =
            m & (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
                    _mm256_cmpeq_epi8(f, va),
                    _mm256_or_si256(_mm256_cmpeq_epi8(f, vb), _mm256_cmpeq_epi8(f, vc))));
        unsigned fresh = m & ~(unsigned)_mm256_movemask_epi8(_mm256_or_si256(
                                 _mm256_cmpeq_epi8(w, sp), _mm256_cmpeq_epi8(w, tab)));
        if (stop) {
            unsigned at = (unsigned)__builtin_ctz(stop);
            *starts += k + (size_t)__builtin_popcount(fresh & ((1u << at) - 1));
            return i + at + 1;
        }
        k += (size_t)__builtin_popcount(fresh);
    }
    *starts += k;
    *ip = i;
    return 0;
}
#endif

MM_ISA_INLINE static size_t line_run_isa(bool avx2, const char *s, size_t n, char a, char b, char c,
                                      size_t *starts)
{
    size_t i = 0;
    *starts = 0;
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && n > 32 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) {
        size_t run = line_run_avx2(s, n, &i, a, b, c, starts);
        if (run)
            return run;
    }
#else
    (void)avx2;
#endif
#ifdef __SSE2__
    const __m128i lf = _mm_set1_epi8('\n'), sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'),
                  low = _mm_set1_epi8(0x20), va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b),
                  vc = _mm_set1_epi8(c);
    for (; n - i > 16; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf));
        if (!m)
            continue;
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
        __m128i f = _mm_or_si128(w, low);
        unsigned stop = m & (unsigned)_mm_movemask_epi8(_mm_or_si128(
                                _mm_cmpeq_epi8(f, va),
                                _mm_or_si128(_mm_cmpeq_epi8(f, vb), _mm_cmpeq_epi8(f, vc))));
        unsigned fresh = m & ~(unsigned)_mm_movemask_epi8(
                                 _mm_or_si128(_mm_cmpeq_epi8(w, sp), _mm_cmpeq_epi8(w, tab)));
        if (stop)
            fresh &= (1u << __builtin_ctz(stop)) - 1;
        for (; fresh; fresh &= fresh - 1) /* one or two line ends a piece: no popcount needed */
            ++*starts;
        if (stop)
            return i + (size_t)__builtin_ctz(stop) + 1;
    }
#endif
    for (; i < n; i++) {
        if (s[i] != '\n')
            continue;
        if (i + 1 == n || run_stop(s[i + 1], a, b, c))
            return i + 1;
        if (s[i + 1] != ' ' && s[i + 1] != '\t')
            ++*starts;
    }
    return 0;
}

size_t mm_line_run_ci(const char *s, size_t n, char a, char b, char c, size_t *starts)
{
    return line_run_isa(true, s, n, a, b, c, starts);
}

size_t mm_line_run_ci_portable(const char *s, size_t n, char a, char b, char c, size_t *starts)
{
    return line_run_isa(false, s, n, a, b, c, starts);
}

size_t mm_plain_text_span(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    /* signed compares: the 8-bit bytes are below 0x20 too */
    const __m128i low = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F), tab = _mm_set1_epi8('\t'),
                  lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, low), _mm_cmpeq_epi8(v, del));
        __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(v, tab),
                                  _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_andnot_si128(ok, bad));
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c > 0x7E)
            break;
    }
    return i;
}

/* Letters, digits and "-.+_": a MIME token as the message layer's fast
 * Content-Type reader takes it. */
static bool is_token_byte(unsigned char c)
{
    unsigned l = c | 0x20u;
    return l - 'a' < 26u || (unsigned)c - '0' < 10u || c == '-' || c == '.' || c == '+' ||
           c == '_';
}

size_t mm_token_span(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    /* x <= k unsigned: min(x, k) == x */
    const __m128i fold = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), d0 = _mm_set1_epi8('0'),
                  k25 = _mm_set1_epi8(25), k9 = _mm_set1_epi8(9);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i l = _mm_sub_epi8(_mm_or_si128(v, fold), a), d = _mm_sub_epi8(v, d0);
        __m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, k25), l),
                                  _mm_cmpeq_epi8(_mm_min_epu8(d, k9), d));
        ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
        ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8('_'))));
        unsigned m = ~(unsigned)_mm_movemask_epi8(ok) & 0xFFFFu;
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    while (i < n && is_token_byte((unsigned char)s[i]))
        i++;
    return i;
}

size_t mm_qtext_span(const char *s, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i low = _mm_set1_epi8(0x20), k5f = _mm_set1_epi8(0x5F);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i x = _mm_sub_epi8(v, low); /* 0x20-0x7F: 0-0x5F */
        __m128i in = _mm_cmpeq_epi8(_mm_min_epu8(x, k5f), x);
        __m128i out = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                   _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
        unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_andnot_si128(out, in)) & 0xFFFFu;
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++) {
        unsigned char u = (unsigned char)s[i];
        if (u - 0x20u >= 0x60u || u == '"' || u == '\\')
            break;
    }
    return i;
}

#ifdef HAVE_AVX2_SEARCH
/* mm_memchr3() for n >= 32: 32 bytes a step, the last block overlapping
 * (its bytes already tested hold none of the three). */
__attribute__((target("avx2"))) static const char *memchr3_avx2(const char *s, size_t n, char a,
                                                                char b, char c)
{
    const __m256i va = _mm256_set1_epi8(a), vb = _mm256_set1_epi8(b), vc = _mm256_set1_epi8(c);
    for (size_t i = 0;; i += 32) {
        if (n - i < 32)
            i = n - 32;
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
            _mm256_or_si256(_mm256_cmpeq_epi8(v, va), _mm256_cmpeq_epi8(v, vb)),
            _mm256_cmpeq_epi8(v, vc)));
        if (m)
            return s + i + __builtin_ctz(m);
        if (n - i <= 32)
            return NULL;
    }
}
#endif

MM_ISA_INLINE static const char *memchr3_isa(bool avx2, const char *s, size_t n, char a, char b,
                                          char c)
{
    size_t i = 0;
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && n >= 32 && __builtin_cpu_supports("avx2"))
        return memchr3_avx2(s, n, a, b, c);
#else
    (void)avx2;
#endif
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)), _mm_cmpeq_epi8(v, vc)));
        if (m)
            return s + i + __builtin_ctz(m);
    }
#endif
    for (; i < n; i++)
        if (s[i] == a || s[i] == b || s[i] == c)
            return s + i;
    return NULL;
}

const char *mm_memchr3(const char *s, size_t n, char a, char b, char c)
{
    return memchr3_isa(true, s, n, a, b, c);
}

const char *mm_memchr3_portable(const char *s, size_t n, char a, char b, char c)
{
    return memchr3_isa(false, s, n, a, b, c);
}

#ifdef HAVE_AVX2_SEARCH
/* 0xFF where v is NUL or CR: min(v ^ CR, v) is 0 exactly there, and a
 * min() of four such vectors is 0 where any of them is (one test a step). */
__attribute__((target("avx2"))) static inline __m256i nul_cr_min(const char *p)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    return _mm256_min_epu8(_mm256_xor_si256(v, _mm256_set1_epi8('\r')), v);
}

/* nul_cr_min() of the 128 bytes at p, folded into one vector by min(). */
__attribute__((target("avx2"))) static inline __m256i nul_cr_min_128(const char *p)
{
    return _mm256_min_epu8(_mm256_min_epu8(nul_cr_min(p), nul_cr_min(p + 32)),
                           _mm256_min_epu8(nul_cr_min(p + 64), nul_cr_min(p + 96)));
}

/* mm_memchr_nul_cr() over s[0..n), n >= 32: 256 bytes a step (nearly every
 * message has no NUL and no CR: one test a step, a counted loop), then 32,
 * the last block overlapping. */
__attribute__((target("avx2"))) static const char *nul_cr_avx2(const char *s, size_t n)
{
    const __m256i zero = _mm256_setzero_si256();
    const char *p = s, *end = s + n;
    for (size_t k = n / 256; k > 0; k--, p += 256) {
        __m256i m = _mm256_min_epu8(nul_cr_min_128(p), nul_cr_min_128(p + 128));
        if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, zero)))
            break; /* the 32-byte steps below find it */
    }
    for (;; p += 32) {
        if (end - p < 32)
            p = end - 32; /* the bytes before p were tested: none is a hit */
        unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(nul_cr_min(p), zero));
        if (m)
            return p + __builtin_ctz(m);
        if (end - p <= 32)
            return NULL;
    }
}
#endif

MM_ISA_INLINE static const char *nul_cr_isa(bool avx2, const char *s, size_t n)
{
    size_t i = 0;
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && n >= 32 && __builtin_cpu_supports("avx2"))
        return nul_cr_avx2(s, n);
#else
    (void)avx2;
#endif
#ifdef __SSE2__
    const __m128i cr = _mm_set1_epi8('\r'), zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_min_epu8(_mm_xor_si128(v, cr), v), zero));
        if (m)
            return s + i + __builtin_ctz(m);
    }
#endif
    for (; i < n; i++)
        if (s[i] == '\0' || s[i] == '\r')
            return s + i;
    return NULL;
}

const char *mm_memchr_nul_cr(const char *s, size_t n)
{
    return nul_cr_isa(true, s, n);
}

const char *mm_memchr_nul_cr_portable(const char *s, size_t n)
{
    return nul_cr_isa(false, s, n);
}

#ifdef HAVE_AVX2_SEARCH
/* The first block of 32 from p on that holds an 8-bit byte (or where fewer than 32 are left). */
__attribute__((target("avx2"))) static const unsigned char *ascii_run_avx2(const unsigned char *p,
                                                                          const unsigned char *e)
{
    /* long runs (most text parts are all ASCII) one test per 128 bytes */
    for (; e - p >= 128; p += 128)
        if (_mm256_movemask_epi8(or_128((const char *)p)))
            break;
    for (; e - p >= 32; p += 32)
        if (_mm256_movemask_epi8(_mm256_loadu_si256((const __m256i *)(const void *)p)))
            break;
    return p;
}
#endif

/*
 * p (< e) is an ASCII byte: where the ASCII from p on ends (at least p + 1).
 * Mail text is mostly ASCII: a long run goes 32 bytes at a time with AVX2,
 * then 16 at a time.  Mixed text (CJK with spaces, digits, punctuation) has
 * short runs: one 16-byte test with SSE2 finds a run's end, not a test of
 * 32, one of 16 and a byte step for each ASCII byte.
 */
MM_ISA_INLINE static const unsigned char *ascii_skip(bool avx2, const unsigned char *p,
                                                  const unsigned char *e)
{
#ifdef __SSE2__
    if (e - p >= 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)p));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && e - p >= 64 && __builtin_cpu_supports("avx2"))
        p = ascii_run_avx2(p, e);
#else
    (void)avx2;
#endif
    uint64_t w[2];
    while (e - p >= 16) {
        memcpy(w, p, sizeof w);
        if ((w[0] | w[1]) & UINT64_C(0x8080808080808080))
            break;
        p += 16;
    }
    if (p < e && *p < 0x80)
        p++;
    return p;
}

MM_ISA_INLINE static bool utf8_valid_isa(bool avx2, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *e = p + n;
    while (p < e) {
        unsigned c = *p;
        if (c < 0x80) {
            p = ascii_skip(avx2, p, e);
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

bool mm_utf8_valid(const char *s, size_t n)
{
    return utf8_valid_isa(true, s, n);
}

bool mm_utf8_valid_portable(const char *s, size_t n)
{
    return utf8_valid_isa(false, s, n);
}

static bool is_ws_byte(unsigned char c)
{
    /* ' ' '\t' '\n' '\v' '\f' '\r': one test instead of six per byte */
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Writing a value with runs of white space made one space, ends trimmed. */
typedef struct squeeze {
    char *out;
    size_t w;   /* bytes written */
    bool space; /* white space after a word, written only if another word follows */
    bool eq;    /* the last byte read was '=' */
    bool coded; /* an 8-bit byte or "=?" was read */
} squeeze;

/* One byte of the value into q->out; the caller tracks "=?" and 8-bit bytes. */
static void squeeze_byte(squeeze *q, unsigned char c)
{
    if (is_ws_byte(c)) {
        q->space = q->w > 0;
        return;
    }
    if (q->space)
        q->out[q->w++] = ' ';
    q->space = false;
    q->out[q->w++] = (char)c;
}

/* squeeze_byte() that also notes "=?" and 8-bit bytes. */
static void squeeze_byte_noting(squeeze *q, unsigned char c)
{
    q->coded |= c >= 0x80 || (q->eq && c == '?');
    q->eq = c == '=';
    squeeze_byte(q, c);
}

#ifdef __SSE2__
#include <emmintrin.h>

/*
 * Bytes k..15 of the 16 at s, whose white space is ws (a bit per byte), a
 * run at a time: a run of white space becomes one pending space, a word is
 * copied without testing its bytes again.  What squeeze_byte() does byte by
 * byte; a folded line's break and its indent are one run.
 */
static void squeeze_runs(squeeze *q, const char *s, unsigned ws, unsigned k)
{
    while (k < 16) {
        unsigned rest = ws >> k; /* bit 0: byte k */
        if (rest & 1) {
            q->space = q->w > 0;
            unsigned word = ~rest & (0xFFFFu >> k);
            if (!word)
                return;
            k += (unsigned)__builtin_ctz(word);
            continue;
        }
        unsigned end = rest ? k + (unsigned)__builtin_ctz(rest) : 16;
        if (q->space)
            q->out[q->w++] = ' ';
        q->space = false;
        for (; k < end; k++)
            q->out[q->w++] = s[k];
    }
}

/*
 * 16 bytes at s.  When they need no squeezing (no white space, or single
 * spaces between words) they are stored whole at once; otherwise byte by
 * byte.  A store never passes out + n: white space only shrinks, so w (plus
 * a pending space) never passes the read position.
 */
static void squeeze_16(squeeze *q, const char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i ctl = _mm_subs_epu8(_mm_sub_epi8(v, _mm_set1_epi8('\t')), _mm_set1_epi8(4));
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned ws = sp | (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(ctl, _mm_setzero_si128()));
    unsigned qm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('?')));
    unsigned hi = (unsigned)_mm_movemask_epi8(v);
    /* "coded" can only change with an 8-bit byte or a '?' (the end of
     * "=?"): most blocks have neither, and then the '=' test is needed
     * for the last byte only (a "=?" across the next block's start) */
    if (hi | qm) {
        unsigned eqm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('=')));
        q->coded |= (hi | (eqm & (qm >> 1)) | (q->eq & qm & 1)) != 0;
    }
    q->eq = s[15] == '=';
    /* Bytes that need squeezing: white space other than a single space
     * before a word; a space at the start is fine after a word (w > 0, none
     * pending), not after a space. */
    unsigned bad = (ws & ~sp) | (ws & (ws >> 1)) | (ws & 1 & ((q->w == 0) | q->space));
    if (bad) {
        /* the bytes before the first such are stored at once (they end
         * with a word: a space before white space is one of them) */
        unsigned j = (unsigned)__builtin_ctz(bad);
        if (j) {
            if (q->space)
                q->out[q->w++] = ' ';
            _mm_storeu_si128((__m128i *)(void *)(q->out + q->w), v);
            q->w += j;
            q->space = false;
        }
        squeeze_runs(q, s, ws, j);
        return;
    }
    if (q->space)
        q->out[q->w++] = ' ';
    _mm_storeu_si128((__m128i *)(void *)(q->out + q->w), v);
    q->space = (ws >> 15) & 1;
    q->w += q->space ? 15 : 16;
}

/* The white space at the start of the 16 bytes at s (16: all of them).
 * Most values begin with one space (after the ':'): one test, not a loop
 * of three per byte. */
static size_t lead_ws_16(const char *s)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i ctl = _mm_subs_epu8(_mm_sub_epi8(v, _mm_set1_epi8('\t')), _mm_set1_epi8(4));
    unsigned ws = (unsigned)_mm_movemask_epi8(_mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(ctl, _mm_setzero_si128())));
    return (size_t)__builtin_ctz(~ws); /* bits 16 and up of ~ws are set */
}

/*
 * The last t < 16 bytes of s[0..n) (n >= 16) at once when, as in
 * squeeze_16(), they need no squeezing: read as the top t bytes of the
 * block that ends at s + n, copied at once (mm_copy16()).  false: the caller goes
 * byte by byte.  Most values end with such a tail.
 */
static bool squeeze_tail(squeeze *q, const char *s, size_t n, size_t t)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
    unsigned k = 16 - (unsigned)t; /* the bytes before the tail, already read */
    __m128i ctl = _mm_subs_epu8(_mm_sub_epi8(v, _mm_set1_epi8('\t')), _mm_set1_epi8(4));
    unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
    unsigned ws = (sp | (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(ctl, _mm_setzero_si128()))) >> k;
    sp >>= k;
    if ((ws ^ sp) | (ws & (ws >> 1)) | (ws & 1 & ((q->w == 0) | q->space)))
        return false;
    unsigned qm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('?'))) >> k;
    unsigned hi = (unsigned)_mm_movemask_epi8(v) >> k;
    if (hi | qm) { /* as in squeeze_16() */
        unsigned eqm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('='))) >> k;
        q->coded |= (hi | (eqm & (qm >> 1)) | (q->eq & qm & 1)) != 0;
    }
    if (q->space)
        q->out[q->w++] = ' ';
    mm_copy16(q->out + q->w, s + n - t, t);
    q->space = (ws >> (t - 1)) & 1;
    q->w += q->space ? t - 1 : t;
    return true;
}
#endif

/*
 * Every header value of every message passes here, and most report strings:
 * 16 bytes are stored at once wherever they need no squeezing.
 */
size_t mm_squeeze_copy(char *out, const char *s, size_t n, bool *coded)
{
    squeeze sq = {out, 0, false, false, false}, *q = &sq;
    size_t i = 0;
#ifdef __SSE2__
    if (n >= 16)
        i = lead_ws_16(s);
#endif
    while (i < n && is_ws_byte((unsigned char)s[i]))
        i++;
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16)
        squeeze_16(q, s + i);
    if (i < n && n >= 16 && squeeze_tail(q, s, n, n - i))
        i = n;
#endif
    for (; i < n; i++)
        squeeze_byte_noting(q, (unsigned char)s[i]);
    q->out[q->w] = '\0';
    if (coded)
        *coded = q->coded;
    return q->w;
}

/*
 * Queues at q[k] the LFs of a window whose bit i stands for the byte at
 * offset off + i; returns the new count.  Most windows hold one or two
 * LFs: two entries are written whatever m holds, and counted by whether
 * they were there (the lowest bit of 0 is taken as 63, for an entry past
 * the count, never read: no branch on m); more go one by one.
 */
static inline unsigned queue_lfs(size_t *q, unsigned k, size_t off, uint64_t m)
{
    const uint64_t top = (uint64_t)1 << 63;
    q[k] = off + (size_t)__builtin_ctzll(m | top);
    unsigned c = m != 0;
    m &= m - 1;
    q[k + 1] = off + (size_t)__builtin_ctzll(m | top);
    c += m != 0;
    m &= m - 1;
    k += c;
    for (; m; m &= m - 1)
        q[k++] = off + (size_t)__builtin_ctzll(m);
    return k;
}

#ifdef HAVE_AVX2_SEARCH
/* mm_lf_mask64() in two 32-byte steps. */
__attribute__((target("avx2"))) static inline uint64_t lf_mask64_avx2(const char *p, unsigned *nul)
{
    const __m256i nl = _mm256_set1_epi8('\n');
    __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)p),
            b = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    *nul |= (unsigned)_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_min_epu8(a, b), _mm256_setzero_si256()));
    return (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)) |
           (uint64_t)(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, nl)) << 32;
}

/* The whole windows of mm_lf_iter_fill() with AVX2. */
__attribute__((target("avx2"))) static unsigned fill_avx2(mm_lf_iter *it, unsigned k)
{
    const char *b = it->base;
    unsigned nul = it->nul;
    for (; k < MM_LF_QUEUE && it->end - b >= 64; b += 64)
        k = queue_lfs(it->q, k, (size_t)(b - it->start), lf_mask64_avx2(b, &nul));
    it->base = b;
    it->nul = nul;
    return k;
}
#endif

/* The whole windows of mm_lf_iter_fill(). */
MM_ISA_INLINE static unsigned fill_64(bool avx2, mm_lf_iter *it, unsigned k)
{
#ifdef HAVE_AVX2_SEARCH
    if (avx2 && __builtin_cpu_supports("avx2"))
        return fill_avx2(it, k);
#else
    (void)avx2;
#endif
    const char *b = it->base;
    unsigned nul = it->nul;
    for (; k < MM_LF_QUEUE && it->end - b >= 64; b += 64)
        k = queue_lfs(it->q, k, (size_t)(b - it->start), mm_lf_mask64(b, &nul));
    it->base = b;
    it->nul = nul;
    return k;
}

/*
 * The windows are 64 bytes while that many are left.  The last one, of
 * fewer: for a text shorter than 64 bytes, a copy padded with spaces
 * (neither LF nor NUL, and nothing past the text is read); else the 64
 * bytes that end at it->end, their bits for the bytes before it->base
 * (already queued) shifted away -- those bytes are in the text, so their
 * NUL test is right too.
 */
MM_ISA_INLINE static void lf_iter_fill_isa(bool avx2, mm_lf_iter *it)
{
    unsigned k = fill_64(avx2, it, 0);
    const char *b = it->base;
    if (k < MM_LF_QUEUE && b < it->end) {
        size_t left = (size_t)(it->end - b);
        uint64_t m;
        if (b == it->start) {
            char w[64];
            memset(w, ' ', sizeof w);
            memcpy(w, b, left);
            m = mm_lf_mask64(w, &it->nul);
        } else {
            const char *from = it->end - 64;
            m = mm_lf_mask64(from, &it->nul) >> (b - from);
        }
        k = queue_lfs(it->q, k, (size_t)(b - it->start), m);
        it->base = it->end;
    }
    it->i = 0;
    it->k = k;
}

void mm_lf_iter_fill(mm_lf_iter *it)
{
    lf_iter_fill_isa(true, it);
}

void mm_lf_iter_fill_portable(mm_lf_iter *it)
{
    lf_iter_fill_isa(false, it);
}
