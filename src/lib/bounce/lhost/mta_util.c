/*
 * mta_util.c - prose readers shared by the MTA family decoders.
 *
 * MTAs that write bounces for people phrase the same few facts the same few
 * ways: the SMTP command ("in reply to RCPT TO command" in Postfix, "after
 * RCPT TO:" in Exim, ">>> RCPT To:" in a Sendmail transcript, "does not
 * like recipient" in qmail), the remote host ("host NAME[ADDR] said:"), and
 * the receiver's reply.  The tables below hold those phrases, taken from the
 * MTAs' sources as quoted in Sisimai's lhost modules.  Prose is searched in
 * a lower-cased copy with white space squeezed, because MTAs fold long
 * sentences at any word.
 */
#include "mta_util.h"
#include "../decoders.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../util/str.h"
#include "mta_portable.h"

/* The AVX2 passes chosen at run time are written as NAME_isa(avx2, ...)
 * bodies, forced inline (MM_ISA_INLINE, str.h): mm_NAME() passes true (AVX2 where the CPU has it),
 * mm_NAME_portable() (mta_portable.h, for the tests) false, so the portable
 * passes are tested on AVX2 machines too.  mm_NAME() reads no switch; the
 * constant folds away except in any_finder_init() and prose_len_isa(),
 * which are not forced inline (see mta_portable.h). */
/* Prose is folded and indented; a copy with runs of white space made one
 * space and ASCII lower-cased is what the phrase searches run on.  Long
 * blocks are cut: the facts sought sit near the start. */
enum { FLAT_MAX = 4096 };

#ifdef __SSE2__
#include <emmintrin.h>

/*
 * flatten() of the 16 bytes at s, up to the first white space byte it
 * would drop (one after another, or one with nothing, or a space, written
 * before it): those bytes stored lower-cased, with a space for each white
 * space byte, at once.  Returns how many bytes it took (16 when it drops
 * none; 0 when it would drop the first, which the byte loop then takes).
 * A white space byte it ends on is left pending in *space, as the byte
 * loop would.  out has room for 18 more bytes.
 */
static size_t flatten_16(const char *s, char *out, size_t *o, bool *space)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i sp_v = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
    __m128i ws_v = _mm_or_si128(_mm_or_si128(sp_v, _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))),
                                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                             _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
    unsigned ws = (unsigned)_mm_movemask_epi8(ws_v);
    /* the white space bytes dropped: after another, or first when nothing
     * or a space is written before */
    unsigned drop = ws & ((ws << 1) | (unsigned)(*o == 0 || *space));
    size_t take = drop ? (size_t)__builtin_ctz(drop) : 16;
    if (take == 0)
        return 0;
    /* 'A'..'Z' plus 32: bytes minus 'A' that are below 26, unsigned */
    __m128i up = _mm_cmpeq_epi8(
        _mm_subs_epu8(_mm_sub_epi8(v, _mm_set1_epi8('A')), _mm_set1_epi8(25)), _mm_setzero_si128());
    v = _mm_add_epi8(v, _mm_and_si128(up, _mm_set1_epi8(32)));
    /* each (single) tab, line feed or carriage return becomes a space */
    v = _mm_or_si128(_mm_andnot_si128(ws_v, v), _mm_and_si128(ws_v, _mm_set1_epi8(' ')));
    if (*space)
        out[(*o)++] = ' ';
    _mm_storeu_si128((__m128i *)(void *)(out + *o), v);
    /* the last byte taken, when white space, stays pending */
    *space = (ws >> (take - 1)) & 1;
    *o += *space ? take - 1 : take;
    return take;
}
#endif

static bool flat_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* One byte of flatten(). */
static void flatten_byte(char c, char *out, size_t *o, bool *space, size_t cap)
{
    if (flat_space(c)) {
        *space = *o > 0;
        return;
    }
    if (*space && *o + 2 < cap)
        out[(*o)++] = ' ';
    *space = false;
    out[(*o)++] = mm_lower(c);
}

static size_t flatten(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    bool space = false;
    while (i < n && o + 1 < cap) {
#ifdef __SSE2__
        /* 16 bytes at a time while they fit with room to spare; a run of
         * white space between (flatten_16 stops at its second byte) is
         * passed over here, as the byte loop would */
        if (i + 16 <= n && o + 18 < cap) {
            size_t took = flatten_16(s + i, out, &o, &space);
            if (took) {
                i += took;
                continue;
            }
            for (; i < n && flat_space(s[i]); i++)
                space = o > 0;
            continue;
        }
#endif
        flatten_byte(s[i++], out, &o, &space, cap);
    }
    out[o] = '\0';
    return o;
}

static bool status_like(const char *pat, const char *s)
{
    for (; *pat && *s; pat++, s++)
        if (!(*pat == *s || (*pat == '#' && isdigit((unsigned char)*s))))
            return false;
    return *pat == '\0' && *s == '\0';
}

mm_reason_t mm_words_status(const mm_words *tab, const char *s)
{
    for (size_t i = 0; s[0] && tab[i].text; i++)
        if (status_like(tab[i].text, s))
            return tab[i].reason;
    return MM_REASON_UNDEFINED;
}

/* Pairs of adjacent bytes (ASCII letters folded, as mm_memcasemem() folds
 * them) of a short text, hashed into 2048 slots: a needle with a pair the
 * text lacks cannot occur in it, and is turned away without a search.  A
 * byte per slot (0 or 1), not a bit: setting one is then a store, and
 * testing one a load (the 2 KiB cleared per set cost less than the bit
 * arithmetic per byte of texts of a hundred bytes and more). */
typedef struct pair_set {
    unsigned char has[2048];
} pair_set;

/* A byte folded for the pair hash: with bit 5 set, a letter and its other
 * case are one (so are a few other bytes, '@' and '`' say: the filter only
 * turns away a little less), in one instruction instead of a compare. */
static unsigned pair_fold(char c)
{
    return (unsigned char)c | 0x20u;
}

static unsigned pair_hash(char a, char b)
{
    return ((pair_fold(a) << 4) ^ pair_fold(b)) & 2047u;
}

#ifdef __SSE2__
/* The pair_hash() of the 16 pairs ending at s[0..16) (s[-1] the first
 * one's first byte), worked out at once in 16-bit lanes: only their
 * stores are left byte by byte. */
static void pair_hashes_16(const char *s, uint16_t h[16])
{
    const __m128i bit5 = _mm_set1_epi8(0x20), zero = _mm_setzero_si128(),
                  low11 = _mm_set1_epi16(2047);
    __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(s - 1)), bit5);
    __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)s), bit5);
    __m128i lo = _mm_xor_si128(_mm_slli_epi16(_mm_unpacklo_epi8(a, zero), 4),
                               _mm_unpacklo_epi8(b, zero));
    __m128i hi = _mm_xor_si128(_mm_slli_epi16(_mm_unpackhi_epi8(a, zero), 4),
                               _mm_unpackhi_epi8(b, zero));
    _mm_storeu_si128((__m128i *)(void *)h, _mm_and_si128(lo, low11));
    _mm_storeu_si128((__m128i *)(void *)(h + 8), _mm_and_si128(hi, low11));
}
#endif

/* pair_hash() of every pair, each byte folded once (it is the second byte
 * of one pair and the first of the next). */
static void pair_set_of(pair_set *ps, const char *s, size_t n)
{
    memset(ps, 0, sizeof *ps);
    if (n == 0)
        return;
    size_t i = 1;
#ifdef __SSE2__
    /* the pairs ending at s[i..i + 16): the loads read s[i - 1 .. i + 15],
     * inside s while i + 16 <= n */
    for (; i + 16 <= n; i += 16) {
        uint16_t h[16];
        pair_hashes_16(s + i, h);
        for (unsigned k = 0; k < 16; k++)
            ps->has[h[k]] = 1;
    }
#endif
    unsigned a = pair_fold(s[i - 1]);
    for (; i < n; i++) {
        unsigned b = pair_fold(s[i]);
        ps->has[((a << 4) ^ b) & 2047u] = 1;
        a = b;
    }
}

/* For a NUL-terminated needle: no strlen() for the many turned away at once. */
static bool pair_set_may_hold(const pair_set *ps, const char *needle)
{
    for (size_t i = 0; needle[i] && needle[i + 1]; i++) {
        unsigned h = pair_hash(needle[i], needle[i + 1]);
        if (!ps->has[h])
            return false;
    }
    return true;
}

/* Texts up to this long are filtered by their pairs first (lines,
 * sentences); longer ones are searched straight away. */
enum { PAIR_FILTER_MAX = 128 };

bool mm_mta_has_any(const char *s, size_t n, const char *const *needles)
{
    if (n <= PAIR_FILTER_MAX) {
        pair_set ps;
        pair_set_of(&ps, s, n);
        for (size_t i = 0; needles[i]; i++) {
            if (!pair_set_may_hold(&ps, needles[i]))
                continue;
            size_t nl = strlen(needles[i]);
            if (nl <= n && mm_memcasemem(s, n, needles[i], nl))
                return true;
        }
        return false;
    }
    for (size_t i = 0; needles[i]; i++)
        if (mm_memcasemem(s, n, needles[i], strlen(needles[i])))
            return true;
    return false;
}

/* The eight bytes at p with ASCII letters lowered (mm_lower8). */
static inline uint64_t lower8_at(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return mm_lower8(w);
}

/* a[0..len) and b[0..len) equal with ASCII letters lowered: eight bytes a
 * step (the last eight overlapping), a branch per eight bytes instead of
 * one per byte.  Shorter needles ("host", "message", the command words)
 * as one word each, read by mm_word_le() within their len bytes (the
 * bytes past len zero in both): the byte loop's exit at a varying length
 * was a mispredict a call. */
static inline bool fold_eq(const char *a, const char *b, size_t len)
{
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8)
            if (lower8_at(a + i) != lower8_at(b + i))
                return false;
        return lower8_at(a + len - 8) == lower8_at(b + len - 8);
    }
    return mm_lower8(mm_word_le(a, len)) == mm_lower8(mm_word_le(b, len));
}

/* Does nd occur at s (ASCII case folded)? */
static bool needle_at(const char *s, const mm_needle *nd)
{
    return fold_eq(s, nd->text, nd->len);
}

/* mm_mta_find_any() by a search per needle: a later needle only before the
 * place found so far (at that place the lower index keeps it). */
static const char *find_any_search(const char *t, size_t n, size_t from, const mm_needle *nd,
                                   size_t k, unsigned active, size_t *which)
{
    const char *best = NULL;
    for (size_t i = 0; i < k; i++) {
        if (!(active & (1u << i)))
            continue;
        size_t lim = n;
        if (best) {
            size_t b = (size_t)(best - t);
            if (b == from)
                break;
            if (b - 1 + nd[i].len < lim)
                lim = b - 1 + nd[i].len;
        }
        if (lim <= from)
            continue;
        const char *p = mm_memcasemem(t + from, lim - from, nd[i].text, nd[i].len);
        if (p) {
            best = p;
            *which = i;
        }
    }
    return best;
}

#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_FIND_ANY 1

/*
 * The vector pass of mm_mta_find_any(): 32 places at a time, each needle's
 * first, second and last bytes compared with the text's, both sides with
 * bit 5 set (a letter and its other case are one; so are a few other
 * pairs, which only lets a place through to needle_at() that it then turns
 * away).  Two loads and folds of the text serve every needle's first and
 * second bytes.  The slots
 * are written out and the pass made for each count of them (find_any_m),
 * so that they stay in registers and no unused one is compared.
 */
_Static_assert(MM_NEEDLES_MAX == 4, "any_block() is written for four slots");

typedef struct any_slots {
    unsigned char first[MM_NEEDLES_MAX], second[MM_NEEDLES_MAX], last[MM_NEEDLES_MAX];
    size_t len[MM_NEEDLES_MAX];  /* lengths (1 in an unused slot) */
    size_t idx[MM_NEEDLES_MAX];  /* needle of each slot */
    size_t m, maxlen;            /* slots used; longest length */
} any_slots;

/* The slots' bytes set out in vectors, folded (made at each pass: a
 * broadcast from memory is one instruction, and the slots stay bytes
 * where the set-up is most of a short text's cost). */
typedef struct any_vecs {
    __m256i f0, f1, f2, f3, s0, s1, s2, s3, l0, l1, l2, l3;
} any_vecs;

/* One slot's places in the 32 at b (a, a1: the bytes at b and b + 1
 * folded): a vector mask of those whose first, second and last bytes are
 * the needle's. */
__attribute__((target("avx2"))) static inline __m256i
any_slot(const char *b, __m256i a, __m256i a1, __m256i f, __m256i sc, __m256i l, size_t len)
{
    const __m256i fold = _mm256_set1_epi8(0x20);
    __m256i e = _mm256_loadu_si256((const __m256i *)(const void *)(b + len - 1));
    return _mm256_and_si256(_mm256_and_si256(_mm256_cmpeq_epi8(a, f), _mm256_cmpeq_epi8(a1, sc)),
                            _mm256_cmpeq_epi8(_mm256_or_si256(e, fold), l));
}

/* The places of b[0..32) where slot j's first and last bytes are, in
 * masks[j], for the first m slots (m a constant where it is inlined);
 * their union returned.  Reads b[0 .. 31 + the longest length). */
__attribute__((target("avx2"), always_inline)) static inline unsigned
any_block(const char *b, const any_slots *s, const any_vecs *v, unsigned masks[MM_NEEDLES_MAX],
          size_t m)
{
    const __m256i fold = _mm256_set1_epi8(0x20);
    __m256i a = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)b), fold);
    __m256i a1 = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(b + 1)), fold);
    masks[0] = (unsigned)_mm256_movemask_epi8(any_slot(b, a, a1, v->f0, v->s0, v->l0, s->len[0]));
    masks[1] = m > 1 ? (unsigned)_mm256_movemask_epi8(
                           any_slot(b, a, a1, v->f1, v->s1, v->l1, s->len[1]))
                     : 0;
    masks[2] = m > 2 ? (unsigned)_mm256_movemask_epi8(
                           any_slot(b, a, a1, v->f2, v->s2, v->l2, s->len[2]))
                     : 0;
    masks[3] = m > 3 ? (unsigned)_mm256_movemask_epi8(
                           any_slot(b, a, a1, v->f3, v->s3, v->l3, s->len[3]))
                     : 0;
    return masks[0] | masks[1] | masks[2] | masks[3];
}

/* The first place of t[p .. p + 32) (within t[0..n)) where a slot's
 * needle is, among those any_block() let through (any, masks); lower
 * slots (lower indexes) first at a place. */
static inline const char *any_verify(const char *t, size_t n, size_t p, unsigned any,
                                     const unsigned masks[MM_NEEDLES_MAX], const any_slots *s,
                                     const mm_needle *nd, size_t *which, size_t m)
{
    for (; any; any &= any - 1) {
        unsigned bit = (unsigned)__builtin_ctz(any);
        for (size_t j = 0; j < m; j++) {
            if (!(masks[j] >> bit & 1u) || p + bit + s->len[j] > n)
                continue;
            if (needle_at(t + p + bit, &nd[s->idx[j]])) {
                *which = s->idx[j];
                return t + p + bit;
            }
        }
    }
    return NULL;
}

/* Longest needle: the text's last places are copied into a buffer with
 * room for the longest needle's last-byte load. */
enum { NEEDLE_LEN_MAX = MM_NEEDLE_LEN_MAX };

/* The active needles in slots; false when one does not fit the pass (see
 * mm_needle).  Unused slots hold zero bytes and length 1. */
static bool any_slots_of(any_slots *s, const mm_needle *nd, size_t k, unsigned active)
{
    size_t m = 0, maxlen = 1;
    memset(s->first, 0, sizeof s->first);
    memset(s->second, 0, sizeof s->second);
    memset(s->last, 0, sizeof s->last);
    for (size_t j = 0; j < MM_NEEDLES_MAX; j++)
        s->len[j] = 1, s->idx[j] = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(active >> i & 1u))
            continue;
        size_t len = nd[i].len;
        if (len < 2 || len > NEEDLE_LEN_MAX)
            return false;
        s->idx[m] = i;
        s->len[m] = len;
        s->first[m] = (unsigned char)(nd[i].text[0] | 0x20);
        s->second[m] = (unsigned char)(nd[i].text[1] | 0x20);
        s->last[m] = (unsigned char)(nd[i].text[len - 1] | 0x20);
        maxlen = len > maxlen ? len : maxlen;
        m++;
    }
    s->m = m;
    s->maxlen = maxlen;
    return true;
}

/* t[p..n) (r = n - p bytes, fewer than 31 + NEEDLE_LEN_MAX) into buf,
 * whose bytes past it stay zero: 32 bytes at a time, the last 32 those
 * that end at t[n) (when the text holds 32), stored to end at buf[r) --
 * which may start up to 31 bytes before buf: the caller leaves 32 bytes
 * of room there.  No call for a few bytes. */
__attribute__((target("avx2"))) static void any_tail_copy(char *buf, const char *t, size_t n,
                                                          size_t p)
{
    size_t r = n - p;
    if (n < 32) {
        memcpy(buf, t + p, r);
        return;
    }
    for (size_t q = 0; q + 32 <= r; q += 32)
        _mm256_storeu_si256((__m256i *)(void *)(buf + q),
                            _mm256_loadu_si256((const __m256i *)(const void *)(t + p + q)));
    if (r % 32)
        _mm256_storeu_si256((__m256i *)(void *)(buf + r - 32),
                            _mm256_loadu_si256((const __m256i *)(const void *)(t + n - 32)));
}

/* find_any_avx2() for m slots (a constant where it is inlined). */
__attribute__((target("avx2"), always_inline)) static inline const char *
find_any_m(const char *t, size_t n, size_t from, const any_slots *s, const mm_needle *nd,
           size_t *which, size_t m)
{
    const char *hit;
    size_t p = from, maxlen = s->maxlen;
    unsigned masks[MM_NEEDLES_MAX], any;
    any_vecs v;
    v.f0 = _mm256_set1_epi8((char)s->first[0]);
    v.s0 = _mm256_set1_epi8((char)s->second[0]);
    v.l0 = _mm256_set1_epi8((char)s->last[0]);
    v.f1 = m > 1 ? _mm256_set1_epi8((char)s->first[1]) : _mm256_setzero_si256();
    v.s1 = m > 1 ? _mm256_set1_epi8((char)s->second[1]) : _mm256_setzero_si256();
    v.l1 = m > 1 ? _mm256_set1_epi8((char)s->last[1]) : _mm256_setzero_si256();
    v.f2 = m > 2 ? _mm256_set1_epi8((char)s->first[2]) : _mm256_setzero_si256();
    v.s2 = m > 2 ? _mm256_set1_epi8((char)s->second[2]) : _mm256_setzero_si256();
    v.l2 = m > 2 ? _mm256_set1_epi8((char)s->last[2]) : _mm256_setzero_si256();
    v.f3 = m > 3 ? _mm256_set1_epi8((char)s->first[3]) : _mm256_setzero_si256();
    v.s3 = m > 3 ? _mm256_set1_epi8((char)s->second[3]) : _mm256_setzero_si256();
    v.l3 = m > 3 ? _mm256_set1_epi8((char)s->last[3]) : _mm256_setzero_si256();
    for (; n >= maxlen + 31 && p <= n - maxlen - 31; p += 32)
        if ((any = any_block(t + p, s, &v, masks, m)) &&
            (hit = any_verify(t, n, p, any, masks, s, nd, which, m)))
            return hit;
    if (p >= n)
        return NULL;
    /* the last places (fewer than maxlen + 31): the same pass over a copy
     * padded with zeros, places checked to hold the whole needle */
    char area[32 + NEEDLE_LEN_MAX + 31 + NEEDLE_LEN_MAX + 32] = {0}, *buf = area + 32;
    size_t r = n - p;
    any_tail_copy(buf, t, n, p);
    for (size_t q = 0; q < r; q += 32)
        if ((any = any_block(buf + q, s, &v, masks, m)) &&
            (hit = any_verify(t, n, p + q, any, masks, s, nd, which, m)))
            return hit;
    return NULL;
}

__attribute__((target("avx2"))) static const char *
find_any_avx2(const char *t, size_t n, size_t from, const any_slots *s, const mm_needle *nd,
              size_t *which)
{
    switch (s->m) {
    case 1:
        return find_any_m(t, n, from, s, nd, which, 1);
    case 2:
        return find_any_m(t, n, from, s, nd, which, 2);
    case 3:
        return find_any_m(t, n, from, s, nd, which, 3);
    default:
        return find_any_m(t, n, from, s, nd, which, 4);
    }
}
#endif

/* mm_mta_find_any() prepared once for several calls over one text (the
 * needles' bytes set out in vectors), as a walk over every place of a word
 * needs. */
typedef struct any_finder {
    const mm_needle *nd;
    size_t k;
    unsigned active;
#ifdef HAVE_AVX2_FIND_ANY
    bool avx2;
    any_slots s;
#endif
} any_finder;

/* avx2: the AVX2 pass may be taken (false only for the tests' portable calls). */
static void any_finder_init(any_finder *f, const mm_needle *nd, size_t k, unsigned active,
                            bool avx2)
{
    f->nd = nd;
    f->k = k;
    f->active = active & ((1u << k) - 1);
#ifdef HAVE_AVX2_FIND_ANY
    f->avx2 = avx2 && f->active && __builtin_cpu_supports("avx2") &&
              any_slots_of(&f->s, nd, k, f->active);
#else
    (void)avx2;
#endif
}

static const char *any_finder_next(const any_finder *f, const char *t, size_t n, size_t from,
                                   size_t *which)
{
    if (!f->active || from >= n)
        return NULL;
#ifdef HAVE_AVX2_FIND_ANY
    if (f->avx2)
        return find_any_avx2(t, n, from, &f->s, f->nd, which);
#endif
    return find_any_search(t, n, from, f->nd, f->k, f->active, which);
}

const char *mm_mta_find_any(const char *t, size_t n, size_t from, const mm_needle *nd, size_t k,
                            unsigned active, size_t *which)
{
    any_finder f;
    any_finder_init(&f, nd, k, active, true);
    return any_finder_next(&f, t, n, from, which);
}

const char *mm_mta_find_any_portable(const char *t, size_t n, size_t from, const mm_needle *nd,
                                     size_t k, unsigned active, size_t *which)
{
    any_finder f;
    any_finder_init(&f, nd, k, active, false);
    return any_finder_next(&f, t, n, from, which);
}

/* Tables this long have the text's pairs made first (pair_set below), so
 * that most rows are turned away without a search. */
enum { WORDS_PAIRS_MIN = 16 };

mm_reason_t mm_words_find(const mm_words *tab, const char *s, size_t n)
{
    char flat[FLAT_MAX];
    size_t fn = flatten(s, n, flat, sizeof flat), rows = 0;
    while (tab[rows].text)
        rows++;
    pair_set *ps = NULL, set;
    if (rows >= WORDS_PAIRS_MIN) {
        pair_set_of(&set, flat, fn);
        ps = &set;
    }
    for (size_t i = 0; i < rows; i++)
        if ((!ps || pair_set_may_hold(ps, tab[i].text)) &&
            mm_memcasemem(flat, fn, tab[i].text, strlen(tab[i].text)))
            return tab[i].reason;
    return MM_REASON_UNDEFINED;
}

/* Does mk (ml bytes, lower case) occur at s, ASCII case folded?  (A byte
 * at a time: most places differ at the first byte after "message".) */
static bool mark_at(const char *s, const char *mk, size_t ml)
{
    for (size_t i = 0; i < ml; i++)
        if (mm_lower(s[i]) != mk[i])
            return false;
    return true;
}

/* Where the line of a mark's first occurrence p begins; a mark on the
 * first line (the bounce's own title) counts for nothing (n). */
static size_t mark_line(const char *t, size_t n, const char *p)
{
    if (!memchr(t, '\n', (size_t)(p - t)))
        return n;
    while (p > t && p[-1] != '\n') /* the whole line introduces it */
        p--;
    return (size_t)(p - t);
}

/* The marks that hold "message" (see message_at()), each X(name, pre,
 * post, arg): "message" sits sizeof(pre) - 1 bytes into its text, pre
 * "message" post.  One list makes both the marks' rows and the look-up
 * table below (message_by_byte2). */
/* clang-format off */
#define MESSAGE_MARKS(X, arg) \
    X(COPY_OF_THE, "copy of the ", "", arg) \
    X(ORIG_FOLLOWS, "original ", " follows", arg) \
    X(ORIG_DASHES, "original ", " ---", arg) \
    X(HEADERS_FOLLOW, "", " headers follow", arg) \
    X(HEADERS_OF_YOUR, "headers of your ", "", arg) \
    X(YOUR_READS, "your ", " reads", arg) \
    X(DASHES_ORIGINAL, "----- original ", "", arg) \
    X(UNSENT_BELOW, "unsent ", " below", arg) \
    X(CONTENT_TYPE, "content-type: ", "/rfc822", arg) \
    X(ORIG_HEADERS, "original ", " headers", arg) \
    X(RETURNED_FOLLOWS, "returned ", " follows", arg) \
    /* OpenSMTPD, Lotus Notes, 1&1, fml, m-FILTER, Verizon */ \
    X(BELOW_IS_A_COPY, "below is a copy of the original ", "", arg) \
    X(DASHES_RETURNED, "------- returned ", "", arg) \
    X(HEADER_OF_THE, "header of the original ", "", arg) \
    X(DASHES_ORIGINAL2, "-------original ", "", arg) \
    X(LF_ORIGINAL, "\noriginal ", ":", arg) \
    X(TEXT_FOLLOWS, "", " text follows:", arg) \
    X(HEADER_FOLLOWS, "----- ", " header follows", arg)
/* clang-format on */

#define MARK_INDEX(name, pre, post, arg) MARK_##name,
enum { MESSAGE_MARKS(MARK_INDEX, 0) NMARKS };
#undef MARK_INDEX

#define M(name, pre, post, arg) {pre "message" post, sizeof(pre) - 1, sizeof(pre "message" post) - 1},
static const struct {
    const char *text;
    size_t off, len;
} message_marks[] = {MESSAGE_MARKS(M, 0)};
#undef M
enum { MAX_OFF = 40 };
_Static_assert(NMARKS <= 32, "one bit per mark");

/*
 * message_by_byte2[c & 31]: the marks whose text has a byte c two bytes
 * before "message"; message_any2: those without such a byte.  Most
 * occurrences ("the message") start none of the marks: the byte two
 * before already tells which may start there.  Its low five bits are
 * enough (a letter's two cases share them; a few other bytes that do only
 * let a mark through to the comparison).  Worked out by the compiler from
 * MESSAGE_MARKS (pre's byte two before its end), not at each message.
 */
#define BYTE2_OF(pre) ((unsigned)(unsigned char)(pre)[sizeof(pre) - 3] & 31u)
#define BY2_BIT(name, pre, post, k) | (sizeof(pre) >= 3 && BYTE2_OF(pre) == (k) ? 1u << MARK_##name : 0u)
#define ANY2_BIT(name, pre, post, arg) | (sizeof(pre) < 3 ? 1u << MARK_##name : 0u)
#define BY2(k) (uint32_t)(0u MESSAGE_MARKS(BY2_BIT, k))
static const uint32_t message_by_byte2[32] = {
    BY2(0),  BY2(1),  BY2(2),  BY2(3),  BY2(4),  BY2(5),  BY2(6),  BY2(7),
    BY2(8),  BY2(9),  BY2(10), BY2(11), BY2(12), BY2(13), BY2(14), BY2(15),
    BY2(16), BY2(17), BY2(18), BY2(19), BY2(20), BY2(21), BY2(22), BY2(23),
    BY2(24), BY2(25), BY2(26), BY2(27), BY2(28), BY2(29), BY2(30), BY2(31)};
static const uint32_t message_any2 = (uint32_t)(0u MESSAGE_MARKS(ANY2_BIT, 0));
#undef BY2
#undef ANY2_BIT
#undef BY2_BIT
#undef BYTE2_OF

/* What the walk over the occurrences of "message" knows: the marks not met
 * yet. */
typedef struct message_walk {
    uint32_t left;
} message_walk;

/*
 * The occurrence of "message" at q: each mark not met yet that may start
 * there is compared at its own offset; one that is there is met (its first
 * occurrence: occurrences are met in order, and so are the marks' starts),
 * and its line start, when below *end, becomes *end.
 */
static void message_at(message_walk *w, const char *t, size_t n, const char *q, size_t *end)
{
    size_t at = (size_t)(q - t);
    uint32_t maybe = message_any2;
    if (at >= 2)
        maybe |= message_by_byte2[q[-2] & 31];
    maybe &= w->left;
    for (; maybe; maybe &= maybe - 1) {
        size_t i = (size_t)__builtin_ctz(maybe);
        size_t off = message_marks[i].off, len = message_marks[i].len;
        if (at < off || at - off + len > n)
            continue;
        const char *s = q - off, *mk = message_marks[i].text;
        /* "message" is there; what follows it first: marks that share
         * their start ("original message ...") differ after it */
        size_t post = off + 7;
        if (!mark_at(s + post, mk + post, len - post) || !mark_at(s, mk, off))
            continue;
        w->left &= ~((uint32_t)1 << i);
        size_t line = mark_line(t, n, s);
        if (line < *end)
            *end = line;
    }
}

/* The words one pass over the text looks for (mm_mta_prose_len): "message"
 * (every occurrence, for the marks holding it), the two keys of the marks
 * below (their first places), and a mark of its own. */
enum { W_MESSAGE, W_BELOW, W_COPY, W_ORIGINAL_MAIL, N_PROSE_WORDS };
static const mm_needle prose_words[N_PROSE_WORDS] = {
    MM_NEEDLE("message"), MM_NEEDLE("below this line"), MM_NEEDLE("copy"),
    MM_NEEDLE("original mail as follows")};
_Static_assert((int)N_PROSE_WORDS <= (int)MM_NEEDLES_MAX, "one pass");

/* The marks holding a key (W_BELOW, W_COPY), KEY_AT bytes into them at
 * most. */
enum { KEY_AT = 32 };
static const struct {
    const char *text;
    size_t len;
    unsigned key;
    size_t key_off;
} keyed_marks[] = {
#define KEYED(text, key, off) {text, sizeof(text) - 1, key, off}
    KEYED("below this line is a copy", W_BELOW, 0),
    KEYED("------ this is a copy", W_COPY, 17),
    KEYED("--- below this line", W_BELOW, 4),
#undef KEYED
};

/* Below which place an occurrence of word w can still end the prose
 * sooner than end: a mark holding it starts before end (a line start, or
 * n, and end only falls), and it sits less than MAX_OFF ("message") or
 * KEY_AT (the keys) bytes into the mark. */
static size_t word_bound(unsigned w, size_t end)
{
    switch (w) {
    case W_MESSAGE:
        return end + MAX_OFF;
    case W_BELOW:
    case W_COPY:
        return end + KEY_AT;
    default:
        return end;
    }
}

/*
 * Where the returned message begins: the start of the line of the earliest
 * mark (each MTA's own line introducing it), judged by each mark's first
 * occurrence; a first occurrence on the first line (the title) does not
 * count.  n when there is none.  The result does not depend on the order
 * in which marks are looked at: the end found so far is always a line
 * start, so a mark starting at or after it cannot end the prose sooner.
 *
 * One pass over the text finds the four words of prose_words[] in order
 * (mm_mta_find_any); a word is dropped once it is met (but "message") or
 * past word_bound(), where it could not matter.  Then each keyed mark is
 * searched for only from its key's first place less the key's offset in it
 * (no occurrence starts sooner), and only when that is before end.
 */
static size_t prose_len_isa(bool avx2, const char *t, size_t n)
{
    message_walk w;
    w.left = ((uint32_t)1 << NMARKS) - 1;
    size_t end = n, key_at[N_PROSE_WORDS] = {n, n, n, n}, from = 0;
    unsigned active = (1u << N_PROSE_WORDS) - 1;
    any_finder f; /* set out again when a word is dropped (three times at most) */
    any_finder_init(&f, prose_words, N_PROSE_WORDS, active, avx2);
    while (active) {
        if (f.active != active)
            any_finder_init(&f, prose_words, N_PROSE_WORDS, active, avx2);
        size_t lim = 0; /* bytes the words still worth finding may end by */
        for (unsigned k = 0; k < N_PROSE_WORDS; k++)
            if (active & (1u << k) && word_bound(k, end) - 1 + prose_words[k].len > lim)
                lim = word_bound(k, end) - 1 + prose_words[k].len;
        size_t wi;
        const char *p = any_finder_next(&f, t, lim < n ? lim : n, from, &wi);
        if (!p)
            break;
        size_t at = (size_t)(p - t);
        if (at >= word_bound((unsigned)wi, end)) {
            active &= ~(1u << wi);
            from = at;
            continue;
        }
        if (wi == W_MESSAGE) {
            message_at(&w, t, n, p, &end);
            if (!w.left)
                active &= ~(1u << W_MESSAGE);
            from = at + 1; /* the other words start with other bytes */
            continue;
        }
        active &= ~(1u << wi);
        from = at;
        if (wi == W_ORIGINAL_MAIL)
            end = mark_line(t, end, p);
        else
            key_at[wi] = at;
    }
    for (size_t i = 0; i < sizeof keyed_marks / sizeof keyed_marks[0]; i++) {
        size_t k = key_at[keyed_marks[i].key], ml = keyed_marks[i].len;
        if (k == n)
            continue;
        size_t start = k > keyed_marks[i].key_off ? k - keyed_marks[i].key_off : 0;
        if (start >= end)
            continue;
        size_t lim = end - 1 + ml < n ? end - 1 + ml : n;
        const char *p = mm_memcasemem(t + start, lim - start, keyed_marks[i].text, ml);
        if (p)
            end = mark_line(t, end, p);
    }
    return end;
}

size_t mm_mta_prose_len(const char *t, size_t n)
{
    return prose_len_isa(true, t, n);
}

size_t mm_mta_prose_len_portable(const char *t, size_t n)
{
    return prose_len_isa(false, t, n);
}

/* A phrase naming the command, with its length and the command it names. */
typedef struct command_phrase {
    const char *text;
    unsigned char len;
    const char *cmd;
} command_phrase;

#define PHRASE(text, cmd) {text, sizeof text - 1, cmd}

/*
 * The phrases, lower case, grouped by their first two bytes: of phrases
 * that match at the same place, the first of its group wins, so a group
 * keeps its phrases in the order below (a longer phrase before a shorter
 * one it starts with).  Sources: Postfix smtp(8) "(in reply to RCPT TO
 * command)"; Exim transports/smtp.c "SMTP error from remote mail server
 * after RCPT TO:"; Sendmail transcripts, OpenSMTPD and others quoting the
 * command (">>> RCPT To:"); qmail-remote.c; Ipswitch IMail; InterScan MSS
 * ("Sent <<< RCPT TO:<a>"); "SMTP:RCPT host 192.0.2.8: 553 ..."; generic
 * wordings ("... in response to the RCPT command", "(Error following RCPT
 * command)", "refused to accept your message (DATA)") and providers' own
 * ("... after QUIT", "in RCPT TO").
 */
static const command_phrase in_phrases[] = {
    PHRASE("in reply to rcpt to command", "RCPT"),
    PHRASE("in reply to mail from command", "MAIL"),
    PHRASE("in reply to end of data command", "DATA"),
    PHRASE("in reply to data command", "DATA"),
    PHRASE("in reply to ehlo command", "EHLO"),
    PHRASE("in reply to helo command", "HELO"),
    PHRASE("in reply to lhlo command", "EHLO"),
    PHRASE("in reply to starttls command", "STARTTLS"),
    PHRASE("in reply to initial greeting", "CONN"),
    PHRASE("in reply to auth command", "AUTH"),
    PHRASE("in reply to rcpt", "RCPT"),
    PHRASE("in reply to mail", "MAIL"),
    PHRASE("in reply to end of", "DATA"),
    PHRASE("in rcpt to", "RCPT"),
    PHRASE("in mail from", "MAIL"),
    {NULL, 0, NULL},
};
static const command_phrase af_phrases[] = {
    PHRASE("after rcpt to", "RCPT"),
    PHRASE("after mail from", "MAIL"),
    PHRASE("after end of data", "DATA"),
    PHRASE("after data", "DATA"),
    PHRASE("after ehlo", "EHLO"),
    PHRASE("after helo", "HELO"),
    PHRASE("after initial connection", "CONN"),
    PHRASE("after pipelined rcpt to", "RCPT"),
    PHRASE("after pipelined mail from", "MAIL"),
    PHRASE("after quit", "QUIT"),
    PHRASE("after connect", "CONN"),
    PHRASE("after rcpt", "RCPT"),
    PHRASE("after mail", "MAIL"),
    {NULL, 0, NULL},
};
static const command_phrase quoted_phrases[] = {
    PHRASE(">>> rcpt to", "RCPT"), PHRASE(">>> mail from", "MAIL"), PHRASE(">>> data", "DATA"),
    PHRASE(">>> ehlo", "EHLO"),    PHRASE(">>> helo", "HELO"),      {NULL, 0, NULL},
};
static const command_phrase do_phrases[] = {
    PHRASE("does not like recipient", "RCPT"),
    {NULL, 0, NULL},
};
static const command_phrase bu_phrases[] = {
    PHRASE("but sender was rejected", "MAIL"),
    PHRASE("but my name was rejected", "EHLO"),
    PHRASE("but greeting failed", "CONN"),
    {NULL, 0, NULL},
};
static const command_phrase fa_phrases[] = {
    PHRASE("failed on data command", "DATA"),
    PHRASE("failed after i sent the message", "DATA"),
    {NULL, 0, NULL},
};
static const command_phrase re_phrases[] = {
    PHRASE("response to rcpt", "RCPT"),       PHRASE("response to mail from", "MAIL"),
    PHRASE("response to data", "DATA"),       PHRASE("response to end of data", "DATA"),
    PHRASE("reply to data", "DATA"),          {NULL, 0, NULL},
};
static const command_phrase fo_phrases[] = {
    PHRASE("following rcpt command", "RCPT"),
    PHRASE("following mail command", "MAIL"),
    PHRASE("following data command", "DATA"),
    {NULL, 0, NULL},
};
static const command_phrase yo_phrases[] = {
    PHRASE("your message (data)", "DATA"),
    {NULL, 0, NULL},
};
static const command_phrase ad_phrases[] = {
    PHRASE("additional rcpt to generated following response", "RCPT"),
    {NULL, 0, NULL},
};
static const command_phrase da_phrases[] = {
    PHRASE("data command generated response", "DATA"),
    {NULL, 0, NULL},
};
static const command_phrase se_phrases[] = {
    PHRASE("server response to mail from", "MAIL"),
    PHRASE("sent <<< rcpt", "RCPT"),
    PHRASE("sent <<< mail", "MAIL"),
    PHRASE("sent <<< data", "DATA"),
    {NULL, 0, NULL},
};
static const command_phrase un_phrases[] = {
    PHRASE("unexpected response to ehlo/helo", "EHLO"),
    PHRASE("unexpected connection response from server", "CONN"),
    {NULL, 0, NULL},
};
static const command_phrase sm_phrases[] = {
    PHRASE("smtp connection failed,", "CONN"),
    PHRASE("smtp:rcpt", "RCPT"),
    PHRASE("smtp:mail", "MAIL"),
    PHRASE("smtp:data", "DATA"),
    {NULL, 0, NULL},
};
static const command_phrase rc_phrases[] = {
    PHRASE("rcpt to:<", "RCPT"),
    {NULL, 0, NULL},
};
static const command_phrase ma_phrases[] = {
    PHRASE("mail from:<", "MAIL"),
    {NULL, 0, NULL},
};
static const command_phrase en_phrases[] = {
    PHRASE("end of data", "DATA"),
    {NULL, 0, NULL},
};

#undef PHRASE

/* The groups, each with its two bytes and its bucket in the vector filter
 * below: a bucket's first bytes share their second bytes, so that few
 * pairs without a group get through.  A new phrase goes into the group of
 * its first two bytes, or a new group here.  The pairs English prose holds
 * most often come first (command_at() walks the groups in order).  One
 * list, X(first, second, bucket, phrases, arg) each, makes both the rows
 * below and the vector filter's tables (command_nibble_tables). */
/* clang-format off */
#define COMMAND_GROUPS(X, arg) \
    X('i', 'n', 3, in_phrases, arg) \
    X('r', 'e', 5, re_phrases, arg) \
    X('e', 'n', 3, en_phrases, arg) \
    X('s', 'e', 5, se_phrases, arg) \
    X('m', 'a', 6, ma_phrases, arg) \
    X('d', 'a', 2, da_phrases, arg) \
    X('f', 'o', 2, fo_phrases, arg) \
    X('a', 'f', 1, af_phrases, arg) \
    X('d', 'o', 2, do_phrases, arg) \
    X('u', 'n', 3, un_phrases, arg) \
    X('r', 'c', 5, rc_phrases, arg) \
    X('>', '>', 0, quoted_phrases, arg) \
    X('b', 'u', 4, bu_phrases, arg) \
    X('f', 'a', 2, fa_phrases, arg) \
    X('y', 'o', 7, yo_phrases, arg) \
    X('a', 'd', 1, ad_phrases, arg) \
    X('s', 'm', 5, sm_phrases, arg)
/* clang-format on */

static const struct command_group {
    char first, second;
    unsigned char bucket;
    const command_phrase *phrases;
} command_groups[] = {
#define GROUP_ROW(a, b, bucket, phrases, arg) {a, b, bucket, phrases},
    COMMAND_GROUPS(GROUP_ROW, 0)
#undef GROUP_ROW
};

enum { N_COMMAND_GROUPS = sizeof command_groups / sizeof command_groups[0] };

/* The shortest phrase (">>> data"): a place closer to the end holds none. */
enum { COMMAND_MIN_LEN = 8 };

/* The group of a place, by the low five bits of its two bytes (one load
 * where a walk over the groups in order cost a mispredicted branch at
 * almost every place the filter passes).  The groups' pairs differ in
 * those bits (a repeated slot would be a second initializer of one
 * element: -Woverride-init, in -Wextra), but other bytes share them
 * ('.' and 'n', digits and 'p'..'y'): command_at() checks the bytes. */
#define GROUP_INDEX(a, b, bucket, phrases, arg) GROUP_OF_##phrases,
enum { COMMAND_GROUPS(GROUP_INDEX, 0) };
#undef GROUP_INDEX
#define PAIR_SLOT(a, b) ((((unsigned)(unsigned char)(a) & 31u) << 5) | ((unsigned)(unsigned char)(b) & 31u))
#define GROUP_SLOT(a, b, bucket, phrases, arg) [PAIR_SLOT(a, b)] = GROUP_OF_##phrases + 1,
static const unsigned char command_group_of[32 * 32] = {COMMAND_GROUPS(GROUP_SLOT, 0)};
#undef GROUP_SLOT

/* The first four bytes of each group's phrases (two heads each, the same
 * one twice when all share it).  Most places the filter passes ("in the",
 * "received", "sent") are turned away by them before the walk over the
 * group's phrases, and that walk passes over the phrases of the other
 * head with one compare each.  A new phrase whose head is not listed here
 * would never be found: mm_mta_command_check() names it, and the test
 * lhost-command fails. */
static const char command_heads[N_COMMAND_GROUPS][2][4] = {
    [GROUP_OF_in_phrases] = {"in r", "in m"},     [GROUP_OF_re_phrases] = {"resp", "repl"},
    [GROUP_OF_en_phrases] = {"end ", "end "},     [GROUP_OF_se_phrases] = {"serv", "sent"},
    [GROUP_OF_ma_phrases] = {"mail", "mail"},     [GROUP_OF_da_phrases] = {"data", "data"},
    [GROUP_OF_fo_phrases] = {"foll", "foll"},     [GROUP_OF_af_phrases] = {"afte", "afte"},
    [GROUP_OF_do_phrases] = {"does", "does"},     [GROUP_OF_un_phrases] = {"unex", "unex"},
    [GROUP_OF_rc_phrases] = {"rcpt", "rcpt"},     [GROUP_OF_quoted_phrases] = {">>> ", ">>> "},
    [GROUP_OF_bu_phrases] = {"but ", "but "},     [GROUP_OF_fa_phrases] = {"fail", "fail"},
    [GROUP_OF_yo_phrases] = {"your", "your"},     [GROUP_OF_ad_phrases] = {"addi", "addi"},
    [GROUP_OF_sm_phrases] = {"smtp", "smtp"},
};

static uint32_t head_word(const char h[4])
{
    uint32_t w;
    memcpy(&w, h, 4);
    return w;
}

/* Bytes k.. of phrase p (lower case, single spaces) at s[j..n), read as
 * flatten() would have them: a space of p is a run of white space (a
 * phrase holds no two spaces in a row and does not end with one), any
 * other byte itself in either case. */
static bool phrase_rest(const char *s, size_t n, size_t j, const command_phrase *p, size_t k)
{
    for (; k < p->len; k++) {
        if (j >= n)
            return false;
        if (p->text[k] == ' ') {
            if (!flat_space(s[j]))
                return false;
            while (j < n && flat_space(s[j]))
                j++;
        } else if (mm_lower(s[j++]) != p->text[k]) {
            return false;
        }
    }
    return true;
}

/* ASCII letters of the four bytes in w lowered, as mm_lower() each: a
 * byte below 0x80 is a capital when adding 0x3f sets its top bit and
 * adding 0x25 does not (the top bits cleared first, so that no sum
 * carries into the next byte). */
static uint32_t lower4(uint32_t w)
{
    uint32_t low7 = w & 0x7f7f7f7fu;
    uint32_t upper = (low7 + 0x3f3f3f3fu) & ~(low7 + 0x25252525u) & ~w & 0x80808080u;
    return w | upper >> 2;
}

/* The first four bytes at s[i] as flatten() leaves them (lower case, a
 * run of white space one space), with *after the place past them; 0 when
 * the text ends first.  s[i] and s[i + 1] are not white space (they
 * passed command_group_of), and neither is a byte after a run.  n - i is
 * at least COMMAND_MIN_LEN. */
static uint32_t head_at(const char *s, size_t n, size_t i, size_t *after)
{
    /* most places: the four bytes as they are, lowered (a single space
     * third stays; white space fourth may start a run, and goes below) */
    if (!flat_space(s[i + 3]) && (s[i + 2] == ' ' || !flat_space(s[i + 2]))) {
        uint32_t w;
        memcpy(&w, s + i, 4);
        *after = i + 4;
        return lower4(w);
    }
    char h[4] = {mm_lower(s[i]), mm_lower(s[i + 1])};
    size_t j = i + 2;
    for (size_t k = 2; k < 4; k++) {
        if (j >= n)
            return 0;
        char c = s[j++];
        h[k] = mm_lower(c);
        if (flat_space(c)) {
            h[k] = ' ';
            while (j < n && flat_space(s[j]))
                j++;
        }
    }
    *after = j;
    return head_word(h);
}

/* The command of the phrase at s[i] (s[0..n) as it is, or flattened), or
 * NULL.  What flatten() makes of s holds a phrase at the place of s[i]
 * exactly when this says so: flatten() only lowers letters and makes a
 * run of white space one space (none first or last), and no phrase starts
 * or ends with a space. */
static const char *command_at(const char *s, size_t n, size_t i)
{
    if (n - i < COMMAND_MIN_LEN)
        return NULL;
    unsigned slot = command_group_of[PAIR_SLOT(s[i], s[i + 1])];
    if (!slot)
        return NULL;
    const struct command_group *g = &command_groups[slot - 1];
    if (g->first != mm_lower(s[i]) || g->second != mm_lower(s[i + 1]))
        return NULL;
    size_t after = 0;
    uint32_t head = head_at(s, n, i, &after);
    if (head != head_word(command_heads[slot - 1][0]) &&
        head != head_word(command_heads[slot - 1][1]))
        return NULL;
    for (const command_phrase *p = g->phrases; p->text; p++)
        if (head_word(p->text) == head && phrase_rest(s, n, after, p, 4))
            return p->cmd;
    return NULL;
}
#undef PAIR_SLOT

#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_COMMANDS 1

/* Nibble tables of the vector filter: a byte c may start a phrase of
 * bucket b when bit b is set in first_lo[c & 15] and in first_hi[c >> 4];
 * likewise second_* for the byte after it.  Worked out by the compiler
 * from COMMAND_GROUPS (a superset of their pairs passes: command_at() says
 * which are phrases): NIBBLE(n, i, c) is the bits of the groups whose byte
 * c has nibble n equal to i. */
typedef struct command_nibbles {
    unsigned char first_lo[16], first_hi[16], second_lo[16], second_hi[16];
} command_nibbles;

#define LO_BIT(c, bucket, i) ((((unsigned)(unsigned char)(c)) & 15u) == (i) ? 1u << (bucket) : 0u)
#define HI_BIT(c, bucket, i) ((((unsigned)(unsigned char)(c)) >> 4) == (i) ? 1u << (bucket) : 0u)
#define FIRST_LO(a, b, bucket, phrases, i) | LO_BIT(a, bucket, i)
#define FIRST_HI(a, b, bucket, phrases, i) | HI_BIT(a, bucket, i)
#define SECOND_LO(a, b, bucket, phrases, i) | LO_BIT(b, bucket, i)
#define SECOND_HI(a, b, bucket, phrases, i) | HI_BIT(b, bucket, i)
#define NIB(F, i) (unsigned char)(0u COMMAND_GROUPS(F, i))
#define NIB16(F)                                                                                   \
    {NIB(F, 0),  NIB(F, 1),  NIB(F, 2),  NIB(F, 3),  NIB(F, 4),  NIB(F, 5),  NIB(F, 6),  NIB(F, 7),  \
     NIB(F, 8),  NIB(F, 9),  NIB(F, 10), NIB(F, 11), NIB(F, 12), NIB(F, 13), NIB(F, 14), NIB(F, 15)}
static const command_nibbles command_nibble_tables = {
    NIB16(FIRST_LO), NIB16(FIRST_HI), NIB16(SECOND_LO), NIB16(SECOND_HI)};
#undef NIB16
#undef NIB
#undef SECOND_HI
#undef SECOND_LO
#undef FIRST_HI
#undef FIRST_LO
#undef HI_BIT
#undef LO_BIT

/* The buckets of the 32 bytes in v, by their nibbles (vpshufb looks up
 * each half of a register in its own copy of the 16-byte table). */
__attribute__((target("avx2"))) static __m256i command_classes(__m256i v, __m256i lo_t,
                                                               __m256i hi_t)
{
    const __m256i low4 = _mm256_set1_epi8(15);
    __m256i lo = _mm256_and_si256(v, low4);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
    return _mm256_and_si256(_mm256_shuffle_epi8(lo_t, lo), _mm256_shuffle_epi8(hi_t, hi));
}

__attribute__((target("avx2"))) static __m256i command_table(const unsigned char t[16])
{
    return _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)t));
}

/* The places of p[0..32) whose two bytes pass the filter (reads p[0..32]);
 * bytes are folded by setting bit 5, so that both cases of a letter pass
 * (other bytes may pass too: command_at() decides). */
__attribute__((target("avx2"))) static unsigned command_mask(const char *p, const __m256i tab[4])
{
    const __m256i fold = _mm256_set1_epi8(0x20);
    __m256i v = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)p), fold);
    __m256i w = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p + 1)), fold);
    __m256i both = _mm256_and_si256(command_classes(v, tab[0], tab[1]),
                                    command_classes(w, tab[2], tab[3]));
    return ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(both, _mm256_setzero_si256()));
}

/* The command of the first phrase among the places in mask (bit k is
 * place base + k), or NULL. */
static const char *command_in_mask(const char *s, size_t n, size_t base, unsigned mask)
{
    for (; mask; mask &= mask - 1) {
        const char *cmd = command_at(s, n, base + (unsigned)__builtin_ctz(mask));
        if (cmd)
            return cmd;
    }
    return NULL;
}

/* mm_mta_command()'s pass, 32 places at a time: only the places whose two
 * bytes pass the filter are tried, in order.  Reads nothing past s[n): the
 * last places are those of the last 33 bytes' block (the ones passed
 * already shifted out), or of a zero-padded copy of a text shorter than
 * that. */
__attribute__((target("avx2"))) static const char *command_scan_avx2(const char *s, size_t n)
{
    const command_nibbles *nb = &command_nibble_tables;
    const __m256i tab[4] = {command_table(nb->first_lo), command_table(nb->first_hi),
                            command_table(nb->second_lo), command_table(nb->second_hi)};
    const char *cmd;
    size_t i = 0;
    for (; n - i > 32; i += 32) /* reads s[i..i + 32], before s[n] */
        if ((cmd = command_in_mask(s, n, i, command_mask(s + i, tab))) != NULL)
            return cmd;
    /* places n - COMMAND_MIN_LEN + 1 on hold no phrase */
    if (n - i < COMMAND_MIN_LEN)
        return "";
    if (n >= 33) {
        /* the block of places n - 33 .. n - 2, less those before i
         * (1 <= i - (n - 33) <= 33 - COMMAND_MIN_LEN) */
        size_t base = n - 33;
        unsigned mask = command_mask(s + base, tab) >> (i - base) << (i - base);
        cmd = command_in_mask(s, n, base, mask);
    } else {
        char pad[33 + 32] = {0};
        memcpy(pad, s, n);
        unsigned mask = command_mask(pad, tab) & (unsigned)((1ull << n) - 1); /* n <= 32 */
        cmd = command_in_mask(s, n, 0, mask);
    }
    return cmd ? cmd : "";
}
#endif

/* The same pass a byte at a time, for machines without AVX2. */
static const char *command_scan(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *cmd = command_at(s, n, i);
        if (cmd)
            return cmd;
    }
    return "";
}

/* The earliest phrase wins: later ones quote the session further on. */
MM_ISA_INLINE static const char *command_pass(bool avx2, const char *s, size_t n)
{
#ifdef HAVE_AVX2_COMMANDS
    if (avx2 && __builtin_cpu_supports("avx2"))
        return command_scan_avx2(s, n);
#else
    (void)avx2;
#endif
    return command_scan(s, n);
}

MM_ISA_INLINE static const char *command_isa(bool avx2, const char *s, size_t n)
{
    /* The phrases are looked for as flatten() would leave the text (lower
     * case, a run of white space one space), but in the text itself
     * (command_at() reads it so): only a text longer than flatten()'s cut
     * needs the copy, to end where the cut ends. */
    if (n < FLAT_MAX)
        return command_pass(avx2, s, n);
    char flat[FLAT_MAX];
    size_t fn = flatten(s, n, flat, FLAT_MAX);
    return command_pass(avx2, flat, fn);
}

const char *mm_mta_command(const char *s, size_t n)
{
    return command_isa(true, s, n);
}

const char *mm_mta_command_portable(const char *s, size_t n)
{
    return command_isa(false, s, n);
}

const char *mm_mta_command_check(void)
{
    for (size_t g = 0; g < N_COMMAND_GROUPS; g++) {
        const struct command_group *grp = &command_groups[g];
        for (const command_phrase *p = grp->phrases; p->text; p++) {
            bool head = p->len >= 4 && (memcmp(p->text, command_heads[g][0], 4) == 0 ||
                                        memcmp(p->text, command_heads[g][1], 4) == 0);
            if (!head || p->len < COMMAND_MIN_LEN || p->text[0] != grp->first ||
                p->text[1] != grp->second || !*mm_mta_command(p->text, p->len))
                return p->text;
        }
    }
    return NULL;
}

static bool host_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* A host name (with a dot) at p, copied into r; NULL if none. */
static const char *host_at(mm_report *r, const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    const char *e = p;
    while (e < end && host_char(*e))
        e++;
    while (e > p && e[-1] == '.')
        e--;
    if (e == p || !memchr(p, '.', (size_t)(e - p)))
        return NULL;
    return mm_report_str(r, p, (size_t)(e - p));
}

/* "mx.example.org[192.0.2.1] responded": a host name written right
 * before its address in brackets. */
static const char *host_before_bracket(mm_report *r, const char *s, size_t n)
{
    const char *end = s + n, *p = s;
    for (int guard = 0; guard < 64 && p < end; guard++) {
        const char *b = memchr(p, '[', (size_t)(end - p));
        if (!b)
            break;
        const char *h = b;
        while (h > s && host_char(h[-1]))
            h--;
        bool ip = b + 1 < end && (b[1] >= '0' && b[1] <= '9');
        if (ip && b - h > 3 && (h == s || h[-1] == ' ' || h[-1] == '\n') &&
            memchr(h, '.', (size_t)(b - h)))
            return mm_report_str(r, h, (size_t)(b - h));
        p = b + 1;
    }
    return "";
}

/* Words that two leads of mm_mta_rhost() share, with where they sit in
 * each: a block without them holds neither lead, which is then not
 * searched for, and neither lead starts before their first place less
 * that offset. */
enum { RHOST_NOKEY, RHOST_HOST, RHOST_DNS, RHOST_KEYS };
static const mm_needle rhost_keys[RHOST_KEYS] = {{"", 0}, MM_NEEDLE("host"), MM_NEEDLE(": dns;")};

const char *mm_mta_rhost(mm_report *r, const char *s, size_t n)
{
    /* (the lengths written out: a strlen() call per lead and message
     * was most of what a block without the leads cost) */
#define LEAD(text, key, off) {text, sizeof text - 1, key, off}
    static const struct {
        const char *text;
        size_t len;
        unsigned key;
        size_t key_off;
    } leads[] = {LEAD("while talking to ", RHOST_NOKEY, 0),
                 LEAD("remote-mta: dns;", RHOST_DNS, 10),
                 LEAD("host ", RHOST_HOST, 0),
                 LEAD("giving up on ", RHOST_NOKEY, 0),
                 LEAD("connected to ", RHOST_NOKEY, 0),
                 LEAD("remote system: dns;", RHOST_DNS, 13),
                 LEAD("host: ", RHOST_HOST, 0),
                 LEAD("smtp server <", RHOST_NOKEY, 0),
                 /* Exchange: "Remote Server at NAME (IP) returned" */
                 LEAD("remote server at ", RHOST_NOKEY, 0)};
#undef LEAD
    const char *end = s + n;
    const char *key_at[RHOST_KEYS] = {s, NULL, NULL};
    bool asked[RHOST_KEYS] = {true, false, false};
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
        unsigned k = leads[i].key;
        if (!asked[k]) {
            key_at[k] = mm_memcasemem(s, n, rhost_keys[k].text, rhost_keys[k].len);
            asked[k] = true;
        }
        if (!key_at[k])
            continue;
        size_t ll = leads[i].len, kp = (size_t)(key_at[k] - s);
        const char *p = kp > leads[i].key_off ? key_at[k] - leads[i].key_off : s;
        for (int guard = 0; guard < 64 && p < end; guard++) {
            const char *q = mm_memcasemem(p, (size_t)(end - p), leads[i].text, ll);
            if (!q)
                break;
            const char *h = host_at(r, q + ll, end);
            if (h && h[0])
                return h;
            p = q + ll;
        }
    }
    return host_before_bracket(r, s, n);
}

bool mm_mta_blank(const char *l, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r')
            return false;
    return true;
}

size_t mm_mta_block_end(const char *t, size_t n, size_t pos, int max_lines)
{
    size_t p = pos, len;
    int lines = 0;
    const char *l;
    while (lines < max_lines && (l = mm_next_line(t, n, &p, &len)) != NULL) {
        if (mm_mta_blank(l, len)) {
            if (lines > 0)
                return (size_t)(l - t);
            continue;
        }
        lines++;
    }
    return p;
}

mm_rcpt *mm_mta_find_rcpt(mm_report *r, size_t start, const char *addr, size_t alen)
{
    for (size_t i = start; i < r->n; i++) {
        const char *a = r->r[i].pub.recipient;
        if (strlen(a) == alen && strncasecmp(a, addr, alen) == 0)
            return &r->r[i];
    }
    return NULL;
}

bool mm_mta_full(mm_report *r)
{
    if (r->n < r->max)
        return false;
    r->truncated = true;
    return true;
}

mm_status_t mm_mta_add_failed(mm_report *r)
{
    return mm_mta_full(r) ? MM_OK : MM_ENOMEM;
}

mm_rcpt *mm_mta_add(mm_report *r, const char *addr, size_t alen, const char *diag, size_t dn)
{
    mm_rcpt *rc = mm_report_add(r);
    if (!rc)
        return NULL;
    rc->pub.recipient = mm_report_addr(r, addr, alen);
    rc->pub.action = "failed";
    rc->pub.diagnostic = mm_report_str(r, diag, dn > MM_MTA_DIAG_MAX ? MM_MTA_DIAG_MAX : dn);
    return rc;
}

/* "<user@example.org>: " or "<user@example.org> (expanded from <x>): "
 * opening a Postfix or qmail paragraph: the address, not the error. */
static size_t address_prefix(const char *b, size_t n)
{
    if (n < 4 || b[0] != '<')
        return 0;
    const char *nl = memchr(b, '\n', n);
    size_t ln = nl ? (size_t)(nl - b) : n;
    const char *e = mm_memcasemem(b, ln, ">: ", 3);
    const char *x = mm_memcasemem(b, ln, "): ", 3);
    if (x && mm_memcasemem(b, ln, "(expanded from", 14))
        e = x;
    return e ? (size_t)(e + 3 - b) : 0;
}

/* The receiver's words inside a block: after "said:" (Postfix) or after
 * "]: " (Exim's "host NAME [ADDR]: 550 ..."), else the whole block less a
 * leading "<address>:". */
static const char *reply_part(const char *b, size_t n, size_t *out)
{
    /* (Sendmail's "Remote host said:" holds " said:": found by the first) */
    static const mm_needle leads[] = {MM_NEEDLE(" said:"), MM_NEEDLE("]: ")};
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
        const char *p = mm_memcasemem(b, n, leads[i].text, leads[i].len);
        /* "[ADDR]: " leads a reply only when a reply code follows */
        if (p && i == 1 && !(p + 3 < b + n && p[3] >= '2' && p[3] <= '5'))
            p = NULL;
        if (p) {
            p += leads[i].len;
            *out = n - (size_t)(p - b);
            return p;
        }
    }
    size_t skip = address_prefix(b, n);
    *out = n - skip;
    return b + skip;
}

/* Is the (squeezed) diagnostic d a shorter copy of the words in blk?  DSN
 * writers cut Diagnostic-Code at a line or a length; the prose has it all. */
static bool is_cut_copy(const char *d, const char *blk, size_t n)
{
    char fd[FLAT_MAX], fb[FLAT_MAX];
    size_t dl = flatten(d, strlen(d), fd, sizeof fd);
    size_t bl = flatten(blk, n, fb, sizeof fb);
    if (dl < 8 || dl >= bl)
        return false;
    /* compare a prefix: continuation markers ("552-") differ at the joins */
    size_t k = dl < 40 ? dl : 40;
    return mm_memcasemem(fb, bl, fd, k) != NULL;
}

/* Does d start with the reply "NNN code" (or "NNN-code"), code being the
 * first status code found in it? */
static bool reply_leads(const char *d, const char *code)
{
    while (*d == ' ')
        d++;
    if (!(d[0] >= '2' && d[0] <= '5' && isdigit((unsigned char)d[1]) &&
          isdigit((unsigned char)d[2]) && (d[3] == ' ' || d[3] == '-')))
        return false;
    return strncmp(d + 4, code, strlen(code)) == 0;
}

/* A report's "5.0.0" says only "failed"; the reply quoted in the
 * diagnostic often has the precise code (RFC 3463 section 3.1: X.0.0 is
 * the catch-all).  Take it when the class agrees. */
static void refine_status(mm_report *r, mm_recipient *p)
{
    char code[16];
    const char *d = p->diagnostic;
    if (!mm_find_status(d, strlen(d), code) || strcmp(code + 1, ".0.0") == 0)
        return;
    /* A reply code of the same class that disagrees with a precise
     * Status is the remote's own word ("Status: 5.1.1" over "552 5.2.2
     * Over quota"): the reporting MTA mapped it, the server said it. */
    if (p->status[0] && strcmp(p->status + 1, ".0.0") != 0 &&
        !(reply_leads(d, code) && p->status[0] == code[0]))
        return;
    if (!p->status[0] || p->status[0] == code[0])
        p->status = mm_report_strz(r, code);
}

/* The reply code written just before a status code ("421 4.2.1",
 * "550-5.1.1"): the server's own, where a bare first number may be a
 * greeting's 220 or a mailer's exit status. */
/* The first place at or after d[i] (d[0..n) a string) holding '2'..'5',
 * or n: 16 bytes at a time while they are within the string. */
static size_t next_reply_digit(const char *d, size_t n, size_t i)
{
#ifdef __SSE2__
    /* c - '2' below 4, unsigned: '2'..'5' */
    const __m128i lo = _mm_set1_epi8('2'), span = _mm_set1_epi8(3);
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)(d + i)), lo);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_subs_epu8(v, span), _mm_setzero_si128()));
        if (m)
            return i + (unsigned)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++)
        if (d[i] >= '2' && d[i] <= '5')
            return i;
    return n;
}

static int paired_reply(const char *d)
{
    size_t n = strlen(d);
    for (size_t i = next_reply_digit(d, n, 0); i < n; i = next_reply_digit(d, n, i + 1)) {
        const char *p = d + i;
        if (!(p[0] >= '2' && p[0] <= '5' && isdigit((unsigned char)p[1]) &&
              isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-')))
            continue;
        if ((p > d && isalnum((unsigned char)p[-1])) || p[4] != p[0] || p[5] != '.' ||
            !isdigit((unsigned char)p[6]))
            continue;
        return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    }
    return 0;
}

static void fill(mm_report *r, mm_rcpt *rc, const char *blk, size_t n, bool keep_diag)
{
    mm_recipient *p = &rc->pub;
    if (!p->smtp_command[0])
        p->smtp_command = mm_mta_command(blk, n);
    if (!p->remote_mta[0])
        p->remote_mta = mm_mta_rhost(r, blk, n);
    size_t rn;
    const char *rp = reply_part(blk, n, &rn);
    if (!p->diagnostic[0] || (!keep_diag && is_cut_copy(p->diagnostic, rp, rn)))
        p->diagnostic = mm_report_str(r, rp, rn);
    refine_status(r, p);
    if (!p->reply_code)
        p->reply_code = paired_reply(p->diagnostic);
}

void mm_mta_fill(mm_report *r, mm_rcpt *rc, const char *blk, size_t n)
{
    fill(r, rc, blk, n, false);
}

/* A line that quotes a header or a DSN field names the address without
 * saying anything about it. */
static bool field_line(const char *l, size_t len)
{
    static const char *const names[] = {"To:",
                                        "From:",
                                        "Cc:",
                                        "Subject:",
                                        "Final-Recipient:",
                                        "Original-Recipient:",
                                        "X-Failed-Recipients:",
                                        "Delivered-To:",
                                        "Return-Path:",
                                        NULL};
    while (len && (*l == ' ' || *l == '>'))
        l++, len--;
    for (size_t i = 0; names[i]; i++)
        if (len >= strlen(names[i]) && mm_startswith_ci(l, names[i]))
            return true;
    return false;
}

/* The first line of t[0..n) that names addr and is not a field line;
 * sets its start. */
static bool find_line(const char *t, size_t n, const char *a, size_t al, size_t *ls)
{
    const char *p = t;
    for (int guard = 0; guard < 64; guard++) {
        const char *hit = mm_memcasemem(p, n - (size_t)(p - t), a, al);
        if (!hit)
            return false;
        size_t s = (size_t)(hit - t);
        while (s > 0 && t[s - 1] != '\n')
            s--;
        const char *nl = memchr(hit, '\n', n - (size_t)(hit - t));
        size_t e = nl ? (size_t)(nl - t) : n;
        if (!field_line(t + s, e - s)) {
            *ls = s;
            return true;
        }
        p = t + e;
    }
    return false;
}

/* The block ends early where a line names another recipient. */
static size_t cut_at_other(const mm_report *r, size_t start, const mm_rcpt *self, const char *t,
                           size_t ls, size_t le)
{
    const char *nl = memchr(t + ls, '\n', le - ls);
    size_t from = nl ? (size_t)(nl - t) : le;
    for (size_t i = start; i < r->n; i++) {
        const char *a = r->r[i].pub.recipient;
        if (&r->r[i] == self || strlen(a) < 3 || strcasecmp(a, self->pub.recipient) == 0)
            continue;
        const char *o = mm_memcasemem(t + from, le - from, a, strlen(a));
        if (o) {
            while (o > t + from && o[-1] != '\n')
                o--;
            le = (size_t)(o - t);
        }
    }
    return le;
}

/* "dns; mx.example.org (TCP|192.0.2.1|25) (x4 -- ESMTP)": Messaging
 * Server and others comment the Remote-MTA value; the host is its first
 * word. */
static void clean_rhost(mm_report *r, mm_recipient *p)
{
    const char *v = p->remote_mta;
    size_t k = strcspn(v, " \t(");
    /* "dns; [192.0.2.1]": an address literal (RFC 5321 section 4.1.3) */
    if (v[0] == '[' && k > 2 && v[k - 1] == ']')
        p->remote_mta = mm_report_str(r, v + 1, k - 2);
    else if (v[k])
        p->remote_mta = mm_report_str(r, v, k);
}

/* "Final-Recipient: rfc822;@relay.example:user@host" is a source route
 * to an internal host (RFC 5321 section 4.1.2); the Original-Recipient
 * is the address the sender used. */
static void unroute(mm_recipient *p)
{
    const char *a = p->recipient, *o = p->original_recipient;
    const char *at = strrchr(a, '@');
    bool routed = a[0] == '@' || (at && !strchr(at, '.'));
    if (routed && o[0] && o[0] != '@' && strchr(o, '@'))
        p->recipient = o;
}

void mm_mta_complete_one(mm_report *r, size_t start, mm_rcpt *rc, const char *t, size_t n,
                         bool keep_diag)
{
    unroute(&rc->pub);
    clean_rhost(r, &rc->pub);
    const char *a = rc->pub.recipient;
    size_t al = strlen(a), ls;
    refine_status(r, &rc->pub);
    if (al < 3 || !find_line(t, n, a, al, &ls))
        return;
    size_t le = mm_mta_block_end(t, n, ls, 12);
    le = cut_at_other(r, start, rc, t, ls, le);
    /* an address alone on its line, with nothing after it, says nothing */
    if (le - ls >= al + 12)
        fill(r, rc, t + ls, le - ls, keep_diag);
}

void mm_mta_complete(mm_report *r, size_t start, const char *t, size_t n, bool keep_diag)
{
    for (size_t i = start; i < r->n; i++)
        mm_mta_complete_one(r, start, &r->r[i], t, n, keep_diag);
}

void mm_mta_complete_guessed(mm_report *r, size_t start, const char *t, size_t n)
{
    for (size_t i = start; i < r->n; i++) {
        mm_recipient *p = &r->r[i].pub;
        const char *guess = p->diagnostic;
        p->diagnostic = "";
        mm_mta_complete_one(r, start, &r->r[i], t, n, false);
        if (!p->diagnostic[0])
            p->diagnostic = guess;
    }
}

bool mm_mta_dsn_has_diag(const mm_msg *m)
{
    return m->has_dsn && mm_memcasemem(m->dsn.data, m->dsn.len, "Diagnostic-Code:", 16);
}

bool mm_mta_any_header_has(const mm_msg *m, const char *name, const char *needle)
{
    unsigned key = mm_field_key(name, strlen(name));
    /* most names asked (X-Mailer, X-MimeOLE...) are absent: the list's key
     * bits say so without a walk over its fields */
    if (!(m->head.keys & mm_field_key_bit(key)))
        return false;
    size_t nl = strlen(needle); /* once, not for each field of the name */
    for (size_t i = 0; i < m->head.n; i++) {
        if (m->head.v[i].key != key || strcasecmp(m->head.v[i].name, name) != 0)
            continue;
        const char *v = mm_field_value(&m->head.v[i]);
        if (mm_memcasemem(v, strlen(v), needle, nl))
            return true;
    }
    return false;
}

bool mm_mta_header_has(const mm_msg *m, const char *name, const char *needle)
{
    const char *v = mm_fields_get(&m->head, name);
    return v && mm_strcasestr(v, needle) != NULL;
}

/* A value's copy with ASCII letters lower-cased, in the report's arena;
 * NULL for an absent field (or no memory: the field then reads as absent
 * to mm_mta_lc_has(), so a decoder may pass over the message, not crash). */
static const char *lower_copy(mm_report *r, const char *v, size_t *len)
{
    *len = 0;
    if (!v)
        return NULL;
    size_t n = strlen(v), i = 0;
    char *c = mm_arena_alloc(&r->arena, n + MM_LC_PAD);
    if (!c)
        return NULL;
    memset(c + n, 0, MM_LC_PAD); /* the NUL and mm_mta_lc_find()'s room */
#ifdef __SSE2__
    /* 16 bytes at a time, as flatten_16() folds them */
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + i));
        __m128i up = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(x, _mm_set1_epi8('A')),
                                                  _mm_set1_epi8(25)),
                                    _mm_setzero_si128());
        x = _mm_add_epi8(x, _mm_and_si128(up, _mm_set1_epi8(32)));
        _mm_storeu_si128((__m128i *)(void *)(c + i), x);
    }
    /* the last bytes: the 16 that end at v[n), folded again where they
     * overlap (lowering is idempotent) */
    if (i < n && n >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(v + n - 16));
        __m128i up = _mm_cmpeq_epi8(_mm_subs_epu8(_mm_sub_epi8(x, _mm_set1_epi8('A')),
                                                  _mm_set1_epi8(25)),
                                    _mm_setzero_si128());
        x = _mm_add_epi8(x, _mm_and_si128(up, _mm_set1_epi8(32)));
        _mm_storeu_si128((__m128i *)(void *)(c + n - 16), x);
        i = n;
    }
#endif
    for (; i < n; i++)
        c[i] = mm_lower(v[i]);
    *len = n;
    return c;
}

void mm_mta_facts(const mm_msg *m, mm_report *r)
{
    r->from = mm_fields_get(&m->head, "From");
    r->subject = mm_fields_get(&m->head, "Subject");
    r->message_id = mm_fields_get(&m->head, "Message-ID");
    r->from_lc = lower_copy(r, r->from, &r->from_len);
    r->subject_lc = lower_copy(r, r->subject, &r->subject_len);
    r->message_id_lc = lower_copy(r, r->message_id, &r->message_id_len);
}

/* "<user@example.org>:" or "<user@example.org> (expanded from <x>):" at the
 * start of a line; sets the address span. */
static bool angle_line(const char *l, size_t len, const char **a, size_t *al)
{
    if (len < 5 || l[0] != '<')
        return false;
    const char *gt = memchr(l, '>', len);
    if (!gt || !memchr(l, '@', (size_t)(gt - l)))
        return false;
    size_t rest = len - (size_t)(gt + 1 - l);
    const char *after = gt + 1;
    if (!(rest == 0 || *after == ':' || mm_memcasemem(after, rest, "expanded from", 13)))
        return false;
    *a = l + 1;
    *al = (size_t)(gt - l - 1);
    return true;
}

static void fill_block(mm_report *r, mm_rcpt *rc, const char *b, size_t n, mm_mta_hint_fn hint)
{
    mm_mta_fill(r, rc, b, n);
    if (hint)
        hint(rc, b, n);
}

mm_status_t mm_mta_angle_blocks(mm_report *r, const char *t, size_t n, mm_mta_hint_fn hints)
{
    size_t pos = 0, len;
    const char *l;
    mm_rcpt *cur = NULL;
    size_t bstart = 0;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        const char *a;
        size_t al;
        bool head = angle_line(l, len, &a, &al);
        bool end = head || (cur && mm_mta_blank(l, len));
        if (end && cur) {
            fill_block(r, cur, t + bstart, (size_t)(l - t) - bstart, hints);
            cur = NULL;
        }
        if (!head)
            continue;
        cur = mm_mta_add(r, a, al, "", 0);
        if (!cur)
            return mm_mta_add_failed(r);
        bstart = (size_t)(l - t);
    }
    if (cur)
        fill_block(r, cur, t + bstart, n - bstart, hints);
    return MM_OK;
}

/* "user@example.org: text" at the start of a line (after indentation);
 * sets the address span and the text after the colon. */
static bool colon_line(const char *l, size_t len, const char **a, size_t *al, const char **d,
                       size_t *dn)
{
    size_t i = 0;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    const char *colon = memchr(l + i, ':', len - i);
    if (!colon || colon == l + i || colon + 1 >= l + len)
        return false;
    size_t span = (size_t)(colon - l - i);
    if (memchr(l + i, ' ', span) || !memchr(l + i, '@', span))
        return false;
    *a = l + i;
    *al = span;
    *d = colon + 1;
    *dn = len - (size_t)(colon + 1 - l);
    while (*dn && **d == ' ')
        (*d)++, (*dn)--;
    return *dn > 0;
}

mm_status_t mm_mta_colon_lines(mm_report *r, size_t start, const char *t, size_t n, bool add)
{
    size_t pos = 0, len;
    const char *l;
    while ((l = mm_next_line(t, n, &pos, &len)) != NULL) {
        const char *a, *d;
        size_t al, dn;
        if (!colon_line(l, len, &a, &al, &d, &dn))
            continue;
        mm_rcpt *rc = mm_mta_find_rcpt(r, start, a, al);
        if (!rc && !add)
            continue;
        if (!rc && !(rc = mm_mta_add(r, a, al, "", 0)))
            return mm_mta_add_failed(r);
        rc->pub.diagnostic = "";
        fill(r, rc, d, dn, false);
    }
    return MM_OK;
}

/* mm_mta_has_any(t, n, needles), where every needle holds word: a text
 * without the word is turned away by one search instead of one a needle. */
bool mm_mta_says_delayed(const char *t, size_t n)
{
    /* warnings of Sendmail, Exim, OpenSMTPD, Messaging Server, Exchange,
     * grouped by a word they share (the order does not matter: any one) */
    static const char *const others[] = {"this is a warning message only",
                                         "only a temporary failure report", NULL};
    static const char *const delayed[] = {"delivery has been delayed", "is delayed for more than",
                                          "delivery is delayed", "delivery delayed", NULL};
    static const char *const delivered[] = {"still undelivered", "has not yet been delivered",
                                            "has not been delivered yet", NULL};
    static const char *const will[] = {"will keep trying", "will continue trying", "will retry",
                                       NULL};
    static const char *const given_up[] = {
        "not going to try again", "giving up",          "gave up",
        "permanent error",        "failed permanently", NULL};
    /* The groups' words found in one pass; a group is asked only from its
     * word's first place less 40 (each sentence is shorter, so none starts
     * sooner), and a word is dropped once its group is not there. */
    static const mm_needle words[] = {MM_NEEDLE("only"), MM_NEEDLE("delayed"),
                                      MM_NEEDLE("deliver"), MM_NEEDLE("will ")};
    static const char *const *const groups[] = {others, delayed, delivered, will};
    enum { N_WORDS = sizeof words / sizeof words[0], SENTENCE_MAX = 40 };
    unsigned left = (1u << N_WORDS) - 1;
    size_t from = 0, w;
    const char *p;
    bool warns = false;
    while (!warns && left && (p = mm_mta_find_any(t, n, from, words, N_WORDS, left, &w))) {
        from = (size_t)(p - t);
        size_t start = from > SENTENCE_MAX ? from - SENTENCE_MAX : 0;
        warns = mm_mta_has_any(t + start, n - start, groups[w]);
        left &= ~(1u << w);
    }
    return warns && !mm_mta_has_any(t, n, given_up);
}

void mm_mta_complete_dsn(const mm_msg *m, mm_report *r, size_t start)
{
    const char *t = mm_buf_str(&m->text);
    size_t n = r->prose_len;
    if (mm_mta_dsn_has_diag(m))
        mm_mta_complete(r, start, t, n, true);
    else
        mm_mta_complete_guessed(r, start, t, n);
}

mm_status_t mm_mta_read_dsn(const mm_msg *m, mm_report *r)
{
    size_t start = r->n;
    mm_status_t st = m->has_dsn ? mm_decode_rfc3464(m, r) : MM_ENOTFOUND;
    if (st == MM_OK)
        mm_mta_complete_dsn(m, r, start);
    return st;
}

mm_status_t mm_mta_found(mm_report *r, size_t start)
{
    if (r->n == start)
        return MM_ENOTFOUND;
    r->kind = MM_KIND_BOUNCE;
    return MM_OK;
}

bool mm_mta_reply_defined(int code)
{
    /* RFC 5321 section 4.2.3 and the extensions' codes (AUTH 432, 454,
     * 530, 534, 535, 538: RFC 4954; 521, 556: RFC 7504; 455, 555: RFC
     * 5321 parameters), and those in wide use (422, 430, 453, 458, 459,
     * 520, 523, 524, 525, 533) */
    switch (code) {
    case 211: case 214: case 220: case 221: case 235: case 250: case 251: case 252: case 253:
    case 334: case 354: case 421: case 422: case 430: case 432: case 450: case 451: case 452:
    case 453: case 454: case 455: case 458: case 459: case 500: case 501: case 502: case 503:
    case 504: case 520: case 521: case 523: case 524: case 525: case 530: case 533: case 534:
    case 535: case 538: case 550: case 551: case 552: case 553: case 554: case 555: case 556:
        return true;
    default:
        return false;
    }
}

/* The value of the field name ("Status:") on a line of blk[0..n), trimmed;
 * NULL when no line starts with it. */
static const char *field_in(const char *blk, size_t n, const char *name, size_t *vlen)
{
    size_t pos = 0, len, nl = strlen(name);
    const char *l;
    while ((l = mm_next_line(blk, n, &pos, &len)) != NULL) {
        if (len <= nl || !mm_startswith_ci(l, name))
            continue;
        const char *v = l + nl;
        while (v < l + len && (*v == ' ' || *v == '\t'))
            v++;
        *vlen = (size_t)(l + len - v);
        while (*vlen && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\r'))
            (*vlen)--;
        return v;
    }
    return NULL;
}

/* The per-recipient block of fields whose Final-Recipient is addr. */
static const char *fields_for(const char *t, size_t n, const char *addr, size_t *blen)
{
    const char *p = t, *end = t + n;
    size_t al = strlen(addr);
    for (int guard = 0; guard < 64 && p < end; guard++) {
        const char *f = mm_memcasemem(p, (size_t)(end - p), "Final-Recipient:", 16);
        if (!f)
            return NULL;
        const char *eol = memchr(f, '\n', (size_t)(end - f));
        size_t ll = (size_t)((eol ? eol : end) - f);
        if (al && mm_memcasemem(f, ll, addr, al)) {
            /* Status and Action may come before Final-Recipient: the
             * block is the paragraph around it */
            const char *from = f;
            for (int k = 0; k < 16 && from - t >= 2 && from[-1] == '\n' && from[-2] != '\n'; k++)
                for (from--; from > t && from[-1] != '\n';)
                    from--;
            *blen = mm_mta_block_end(t, n, (size_t)(f - t), 16) - (size_t)(from - t);
            return from;
        }
        p = f + 16;
    }
    return NULL;
}

void mm_mta_inline_dsn(const mm_msg *m, mm_report *r, size_t start)
{
    static const char *const actions[] = {"failed",  "delayed",  "delivered",
                                          "relayed", "expanded", NULL};
    const char *t = mm_buf_str(&m->text);
    for (size_t i = start; i < r->n; i++) {
        mm_recipient *p = &r->r[i].pub;
        size_t bl, vl;
        const char *b = fields_for(t, m->text.len, p->recipient, &bl), *v;
        char code[16];
        if (!b)
            continue;
        if (!p->status[0] && (v = field_in(b, bl, "Status:", &vl)) != NULL &&
            mm_find_status(v, vl, code))
            p->status = mm_report_strz(r, code);
        if ((v = field_in(b, bl, "Action:", &vl)) == NULL)
            continue;
        for (size_t k = 0; actions[k]; k++)
            if (vl == strlen(actions[k]) && strncasecmp(v, actions[k], vl) == 0)
                p->action = actions[k];
    }
}
