/*
 * internal.h - the inside of an mm_domains, shared by domains.c (tables,
 * classes, roles) and suggest.c (typo suggestions).
 *
 * Everything is built once by mm_domains_create() and read-only afterwards:
 *   - all: every listed domain (popular, free, disposable) -> class bits and,
 *     for popular domains, the typo target index;
 *   - targets: the popular domains split into name and public suffix
 *     (gmail|com, vip.qq|com, yahoo|co.uk), sorted by (suffix, name length)
 *     so the typo filter only looks at a few candidates;
 *   - names: target name -> first of the targets with that name, in file
 *     order (by_name), for TLD-only fixes and a missing TLD;
 *   - suffixes: the suffixes the targets use (com, co.uk, ...);
 *   - tlds: TLDs known to exist (a cache in front of libpsl), with their
 *     target suffix id, so one look-up serves the typo filter.
 */
#ifndef MM_DOMAINS_INTERNAL_H
#define MM_DOMAINS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <libpsl.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <mailmedic/domains.h>
#include "../util/str.h"

#define DOM_MAX 255     /* a domain name, RFC 1035 */
#define DOM_NAME_MAX 31 /* longest target name part the filter buckets */

/* One slot of an open-addressing string table; s == NULL is empty. */
struct dom_slot {
    const char *s;
    uint32_t hash;
    uint16_t len;
    uint16_t flags; /* MM_DOM_* bits in `all`; unused elsewhere */
    int32_t val;    /* `all`: target index or -1; `names`: by_name start; `suffixes`: id */
};

struct dom_table {
    struct dom_slot *slots;
    uint32_t mask; /* size - 1, size a power of two */
    uint64_t
        bloom[256];  /* [first and last character] = bit set of lengths: most misses stop here */
    uint64_t *hbits; /* a Bloom filter on the hash for big tables: a miss costs no cache miss */
    unsigned hbits_log2;
};

/* A popular domain as a typo target. */
struct dom_target {
    const char *domain;
    const char *provider; /* display name */
    uint16_t order;       /* line in popular.txt: earlier is preferred */
    uint8_t len;
    uint8_t name_len; /* domain[0..name_len) is the name, then '.', then the suffix */
    uint8_t suffix;   /* suffix id */
    bool generic;     /* suffix is com, net or org */
};

/* Size of mm_domains.name_ends: about 360 keys in 4096 bits, so an unknown
 * name passes by accident about one time in six (two tests). */
#define MM_NAME_ENDS_LOG2 12
#define MM_NAME_ENDS_BITS (1u << MM_NAME_ENDS_LOG2)

struct mm_domains {
    struct dom_table popular; /* the targets again, small enough to stay in cache */
    struct dom_table all;
    struct dom_table names;
    struct dom_table suffixes;
    struct dom_table tlds;
    struct dom_table roles; /* role alias -> index into mm_dom_roles */
    /* 2- and 3-letter TLDs (most look-ups) by their letters: tlds slot + 1 */
    uint16_t tld_index[26 * 26 + 26 * 26 * 26];
    size_t role_max; /* longest alias */
    struct dom_target *targets;
    size_t ntargets;
    uint16_t *by_name;      /* target indices sorted by (name, order) */
    uint16_t *buckets;      /* [suffix * (DOM_NAME_MAX + 2) + len] = first target; +1 = end */
    uint64_t *bucket_first; /* same index: mm_dom_charbit() of the names' first characters */
    uint64_t *bucket_last;  /* same index: of the names' last characters */
    /* A Bloom-like bit set of (suffix id, first two characters of a name) and
     * (suffix id, last two characters): see mm_dom_name_ends_bit(). */
    uint64_t name_ends[MM_NAME_ENDS_BITS / 64];
    size_t nsuffixes;
    psl_ctx_t *psl;
    uint32_t adjacent[128];        /* QWERTY neighbours of a letter, as a bit set of 'a'..'z' */
    unsigned char fold[256];       /* byte -> lower-case LDH or '.', 0 for anything else */
    unsigned char fold_class[256]; /* byte -> MM_FOLD_* bits */
};

enum { MM_TLD_SLD = 1 }; /* tlds: some target suffix has two labels under this TLD */

/* The bit of name_ends for two characters a, b of a name with suffix id
 * sfx; end is 0 for the first two, 1 for the last two. */
static inline uint32_t mm_dom_name_ends_bit(unsigned sfx, unsigned end, unsigned char a,
                                            unsigned char b)
{
    uint32_t key = (uint32_t)sfx << 17 | end << 16 | (uint32_t)a << 8 | b;
    return (key * 0x9e3779b1u) >> (32 - MM_NAME_ENDS_LOG2);
}

/* A character as a bit of a 64-bit set: letters, digits, '-', '.', other. */
static inline uint64_t mm_dom_charbit(char c)
{
    unsigned u = (unsigned char)c;
    unsigned bit = u - 'a' < 26u   ? u - 'a'
                   : u - '0' < 10u ? 26 + u - '0'
                   : u == '-'      ? 36
                   : u == '.'      ? 37
                                   : 38;
    return 1ull << bit;
}

#ifdef __SSE2__
/* The 8..16 bytes at s as one vector: the first 8 in the low half, the last
 * 8 in the high half (the middle ones may come twice). */
static inline __m128i mm_dom_load_halves(const char *s, size_t len)
{
    return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)s),
                              _mm_loadl_epi64((const __m128i *)(const void *)(s + len - 8)));
}

/* The lanes of a compare on mm_dom_load_halves() as a mask of places: the high
 * lanes that repeat a byte of the low half dropped, the rest moved to their
 * places, so bit i is s[i]. */
static inline unsigned mm_dom_halves_mask(__m128i lanes, size_t len)
{
    unsigned m = (unsigned)_mm_movemask_epi8(lanes);
    unsigned dup = ((1u << (16 - len)) - 1) << 8;
    return (m & 0xFFu) | (m & ~dup) >> 8 << (len - 8);
}
#endif

/* The dots of s[0..len) as a bit set (bit i = s[i]) when 8 <= len <= 32,
 * from one or two SSE2 compares; false for other lengths (or without
 * SSE2), when the caller scans as it did before. */
static inline bool mm_dom_dots(const char *s, size_t len, uint32_t *dots)
{
#ifdef __SSE2__
    const __m128i dot = _mm_set1_epi8('.');
    if (len >= 8 && len <= 16) {
        *dots = mm_dom_halves_mask(_mm_cmpeq_epi8(mm_dom_load_halves(s, len), dot), len);
        return true;
    }
    if (len > 16 && len <= 32) { /* the first 16 and the last 16: the same dots twice */
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + len - 16));
        *dots = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, dot)) |
                (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, dot)) << (len - 16);
        return true;
    }
#else
    (void)s;
    (void)len;
    (void)dots;
#endif
    return false;
}

enum { MM_FOLD_DIGIT = 1, MM_FOLD_MINUS = 2, MM_FOLD_OTHER = 4, MM_FOLD_DOT = 8 };

static inline unsigned mm_dom_bloom_key_ends(unsigned char first, unsigned char last)
{
    /* | 0x20 folds case as the hash does. */
    return ((first | 0x20u) * 7u + (last | 0x20u)) & 255u;
}

static inline unsigned mm_dom_bloom_key(const char *s, size_t len)
{
    return mm_dom_bloom_key_ends((unsigned char)s[0], (unsigned char)s[len - 1]);
}

/* The filter in front of a table (first and last character, length): false
 * when s is surely not in t; inline, so a miss costs no call. */
static inline bool mm_dom_bloom_has(const struct dom_table *t, const char *s, size_t len)
{
    return len > 0 && len <= DOM_MAX && t->slots &&
           (t->bloom[mm_dom_bloom_key(s, len)] >> (len & 63) & 1);
}

uint32_t mm_dom_hash(const char *s, size_t len);
/* Find s (compared case-insensitively) in t; NULL when absent. */
const struct dom_slot *mm_dom_find(const struct dom_table *t, const char *s, size_t len);
/* A listed domain (popular first, then all lists); NULL when unknown. */
const struct dom_slot *mm_dom_lookup(const mm_domains *d, const char *s, size_t len);
/* Index of a 2- or 3-letter lower-case TLD in tld_index, or -1. */
static inline long mm_dom_short_tld(const char *s, size_t len)
{
    unsigned a = (unsigned char)s[0] - 'a', b = (unsigned char)s[1] - 'a';
    if (a >= 26 || b >= 26)
        return -1;
    if (len == 2)
        return (long)(a * 26 + b);
    unsigned c = (unsigned char)s[2] - 'a';
    return c < 26 ? (long)(26 * 26 + (a * 26 + b) * 26 + c) : -1;
}

/* A TLD in d->tlds, the short ones without hashing (inline: nearly every
 * domain asks); NULL when absent. */
static inline const struct dom_slot *mm_dom_find_tld(const mm_domains *d, const char *s, size_t len)
{
    if (len == 2 || len == 3) {
        long k = mm_dom_short_tld(s, len);
        if (k >= 0)
            return d->tld_index[k] ? &d->tlds.slots[d->tld_index[k] - 1] : NULL;
    }
    return mm_dom_find(&d->tlds, s, len);
}

/* Does the TLD (no dot) exist?  The cache first, then the Public Suffix List. */
bool mm_dom_tld_exists(const mm_domains *d, const char *tld, size_t len);

#endif
