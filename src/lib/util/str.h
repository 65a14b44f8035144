/*
 * str.h - small string helpers with no mail knowledge: ASCII case folding,
 * bounded searches, trimming.  All work on (pointer, length) so they can run
 * on borrowed bytes without copying.
 */
#ifndef MM_UTIL_STR_H
#define MM_UTIL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A NAME_isa(avx2, ...) body with an AVX2 path chosen at run time, forced
 * inline into mm_NAME() (avx2 true) and mm_NAME_portable() (false, for the
 * tests), so that each caller's constant folds away (str.c, mta_util.c). */
#if defined(__GNUC__) || defined(__clang__)
#define MM_ISA_INLINE __attribute__((always_inline)) inline
#else
#define MM_ISA_INLINE inline
#endif

static inline char mm_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Case-insensitive (ASCII) search for needle in hay[0..n); NULL if absent. */
const char *mm_memcasemem(const char *hay, size_t n, const char *needle, size_t nlen);
/* Same for NUL-terminated strings.  Inline: most needles are literals,
 * whose length the compiler knows (one strlen() call less each). */
static inline const char *mm_strcasestr(const char *hay, const char *needle)
{
    return mm_memcasemem(hay, strlen(hay), needle, strlen(needle));
}
bool mm_startswith_ci(const char *s, const char *prefix);
/*
 * n <= 8 bytes at p equal lit (lower case) but for the case of its letters:
 * each byte ORed with fold's (0x20 where lit has a letter: that bit is all
 * that tells upper from lower case in ASCII, and it makes no other byte a
 * letter).  One word compared instead of a strncasecmp() or a byte loop.
 */
/*
 * The n <= 8 bytes at p as one word, the bytes past n zero, by at most two
 * overlapping loads combined in registers (inline, n a constant: one or two
 * loads and a shift).  A memcpy() of fewer than 8 bytes into a zeroed word
 * was done through the stack -- byte and 4-byte stores, then an 8-byte load
 * that cannot be forwarded from them, a stall each time.  The overlapping
 * bytes land on themselves only in little-endian order.
 */
static inline uint64_t mm_word_le(const char *p, size_t n)
{
    uint64_t x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n == 8) {
        memcpy(&x, p, 8);
    } else if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        x = lo | (uint64_t)hi << (8 * (n - 4));
    } else if (n >= 2) {
        uint16_t lo, hi;
        memcpy(&lo, p, 2);
        memcpy(&hi, p + n - 2, 2);
        x = lo | (uint64_t)hi << (8 * (n - 2));
    } else if (n == 1) {
        x = (unsigned char)p[0];
    }
#else
    memcpy(&x, p, n);
#endif
    return x;
}

/*
 * memcpy(dst, src, n) for n <= 16, inline: two overlapping loads and stores
 * of 8, 4 or 1 bytes (the middle byte too for 3), only dst[0..n) written and
 * src[0..n) read.  For a variable n this small a memcpy() call spends more
 * on the call and on its size tests than on the copy.
 */
static inline void mm_copy16(char *dst, const char *src, size_t n)
{
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n) {
        char a = src[0], b = src[n / 2], c = src[n - 1];
        dst[0] = a;
        dst[n / 2] = b;
        dst[n - 1] = c;
    }
}

static inline bool mm_eq_ci_word(const char *p, const char *lit, const char *fold, size_t n)
{
    return (mm_word_le(p, n) | mm_word_le(fold, n)) == mm_word_le(lit, n);
}

/* The eight bytes of w with their ASCII capitals lowered, as mm_lower()
 * each (SWAR): a byte below 0x80 is a capital when adding 0x3f sets its
 * top bit and adding 0x25 does not (the top bits cleared first, so that no
 * sum carries into the next byte).  Digits, '-', '.', control bytes and
 * bytes from 0x80 up stay as they are and cannot pass for one another. */
static inline uint64_t mm_lower8(uint64_t w)
{
    const uint64_t high = 0x8080808080808080ull;
    uint64_t low7 = w & ~high;
    uint64_t upper = (low7 + 0x3f3f3f3f3f3f3f3full) & ~(low7 + 0x2525252525252525ull) & ~w & high;
    return w | upper >> 2;
}

/* dst = s[0..n) with ASCII capitals lowered, n >= 8, in whole words: the
 * last overlaps the one before, and nothing outside s[0..n) is read or
 * outside dst[0..n) written.  A later 8-byte load of dst is then served
 * from these stores (no byte-store forwarding stall). */
static inline void mm_lower_copy8(char *dst, const void *s, size_t n)
{
    const char *src = s;
    uint64_t v;
    for (size_t i = 0; i + 8 < n; i += 8) {
        memcpy(&v, src + i, 8);
        v = mm_lower8(v);
        memcpy(dst + i, &v, 8);
    }
    memcpy(&v, src + n - 8, 8);
    v = mm_lower8(v);
    memcpy(dst + n - 8, &v, 8);
}
/* a and b equal with ASCII letters folded, as g_ascii_strcasecmp(a, b) == 0
 * (inline: media types and parameter names are compared per MIME part). */
static inline bool mm_eq_ci(const char *a, const char *b)
{
    while (*a && mm_lower(*a) == mm_lower(*b)) {
        a++;
        b++;
    }
    return mm_lower(*a) == mm_lower(*b);
}
/* mm_eq_ci(a, lit) for a lit with no upper-case letter (a literal such as
 * "multipart"): only a is folded, and the loop ends at lit's NUL. */
static inline bool mm_eq_ci_lit(const char *a, const char *lit)
{
    for (; *lit; a++, lit++)
        if (mm_lower(*a) != *lit)
            return false;
    return *a == '\0';
}
/* The value of a base64 digit (RFC 4648 section 4, the standard alphabet),
 * or -1 for any other byte ('=' included: callers handle padding). */
static inline int mm_base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}
/* Lower-case s in place (ASCII only); returns s. */
char *mm_strlower(char *s);
/* Trim ASCII white space at both ends; returns s (moved start). */
char *mm_strtrim(char *s);
/* Collapse runs of white space to one space, in place. */
void mm_squeeze_space(char *s);
/*
 * mm_squeeze_space() while copying: s[0..n) into out (room for n + 1 bytes),
 * runs of white space made one space, ends trimmed, a NUL added; returns the
 * length written.  NUL bytes in s are copied like others.  When coded is not
 * NULL, *coded tells whether s holds an 8-bit byte or "=?" (an RFC 2047
 * encoded word may start there).
 */
size_t mm_squeeze_copy(char *out, const char *s, size_t n, bool *coded);
/* Valid UTF-8? */
bool mm_utf8_valid(const char *s, size_t n);
/* No byte of s[0..n) is 8-bit? */
bool mm_ascii(const char *s, size_t n);
/* How many bytes at the start of s[0..n) are printable ASCII (0x20-0x7E),
 * tab, LF or CR: plain 7-bit text.  16 at a time with SSE2. */
size_t mm_plain_text_span(const char *s, size_t n);
/* How many bytes at the start of s[0..n) are letters, digits or "-.+_" (a
 * MIME token as the fast Content-Type reader takes it).  16 at a time with SSE2. */
size_t mm_token_span(const char *s, size_t n);
/* How many bytes at the start of s[0..n) are 0x20-0x7F but '"' and '\\'
 * (a plain quoted parameter value).  16 at a time with SSE2. */
size_t mm_qtext_span(const char *s, size_t n);
/* The first NUL or CR of s[0..n), or NULL: the two whole-message tests of
 * the message parser (binary input, line ends to rewrite) in one pass.
 * 256 bytes a step with AVX2, else 16 with SSE2. */
const char *mm_memchr_nul_cr(const char *s, size_t n);
/* memchr() for any of three bytes: the first of s[0..n) that is a, b or c, or NULL. */
const char *mm_memchr3(const char *s, size_t n, char a, char b, char c);
/* The first i < n - 1 with s[i] an LF and s[i + 1] one of a, b, c (repeat
 * one to look for fewer), or n: where a line starting with one of them begins,
 * less one.  32 positions at a time with AVX2, else 16 with SSE2. */
size_t mm_lf_then(const char *s, size_t n, char a, char b, char c);

/*
 * Whole lines at the start of s[0..n) up to the first line whose first byte,
 * ORed with 0x20, is a, b or c (so pass lower case: 'c' stops at "C" and "c",
 * '*' at "*" and at an empty line, LF being 0x0A), or up to an LF at s[n - 1]:
 * the length of those lines (ending with the LF before the stop), or 0 when
 * no LF is followed by a stop or by the end.  *starts: how many of the lines
 * after the first begin with a byte other than a space or a tab (for header
 * text, the fields that begin there).  32 positions at a time with AVX2, else
 * 16 with SSE2.
 */
size_t mm_line_run_ci(const char *s, size_t n, char a, char b, char c, size_t *starts);

/*
 * The LFs of s[0..n) one after another, found 64 bytes at a time instead of
 * by a memchr() call per line: header lines are short, and a call's setup
 * and tail branches cost more than its search.  The LFs of several windows
 * are queued at once (mm_lf_iter_fill), so the test "search again?" is taken
 * once per 16 lines or so, not after every line or two, where it was
 * mispredicted.  The same reads tell whether a NUL was met, so a caller can
 * skip its own NUL search in the text read so far.
 *     mm_lf_iter it;
 *     mm_lf_iter_init(&it, s, n);
 *     for (const char *lf; (lf = mm_lf_iter_next(&it));) ...
 */
#define MM_LF_QUEUE 16 /* a fill stops once this many LFs are queued */
typedef struct mm_lf_iter {
    const char *start, *end;
    const char *base; /* the next window to read */
    unsigned i, k;    /* q[i..k): LFs found and not handed out yet */
    unsigned nul;     /* non-zero once a NUL was met (see mm_lf_iter_nul) */
    /* offsets from start; a window's LFs are added to at most
     * MM_LF_QUEUE - 1 others */
    size_t q[MM_LF_QUEUE - 1 + 64];
} mm_lf_iter;

/* The LF bits of the 64 bytes at p; *nul ORed with non-zero if one is a NUL. */
static inline uint64_t mm_lf_mask64(const char *p, unsigned *nul)
{
#ifdef __SSE2__
    const __m128i nl = _mm_set1_epi8('\n');
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p),
            b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16)),
            c = _mm_loadu_si128((const __m128i *)(const void *)(p + 32)),
            d = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
    /* the unsigned minimum of the 64 bytes is 0 only if one is a NUL */
    __m128i lo = _mm_min_epu8(_mm_min_epu8(a, b), _mm_min_epu8(c, d));
    *nul |= (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, _mm_setzero_si128()));
    return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(a, nl)) |
           (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(b, nl)) << 16 |
           (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(c, nl)) << 32 |
           (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(d, nl)) << 48;
#else
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i++) {
        m |= (uint64_t)(p[i] == '\n') << i;
        *nul |= p[i] == '\0';
    }
    return m;
#endif
}

/* Queues the LFs of the windows from it->base on, until MM_LF_QUEUE are
 * queued or the text ends (str.c); it->i and it->k start again at 0. */
void mm_lf_iter_fill(mm_lf_iter *it);

static inline void mm_lf_iter_init(mm_lf_iter *it, const char *s, size_t n)
{
    it->start = it->base = s;
    it->end = s + n;
    it->nul = 0;
    it->i = it->k = 0;
}

/* The next LF of the text, or NULL when none is left. */
static inline const char *mm_lf_iter_next(mm_lf_iter *it)
{
    if (it->i == it->k) {
        if (it->base >= it->end)
            return NULL;
        mm_lf_iter_fill(it);
        if (!it->k)
            return NULL; /* the rest of the text held none */
    }
    return it->start + it->q[it->i++];
}

/* Whether a NUL may be in the text up to the last LF handed out (after
 * NULL: in the whole text).  false: certainly none there. */
static inline bool mm_lf_iter_nul(const mm_lf_iter *it)
{
    return it->nul != 0;
}

#endif
