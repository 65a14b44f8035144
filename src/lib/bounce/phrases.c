/*
 * phrases.c - what receivers' words mean: reason <- phrase tables, and the
 * reason an RFC 3463 status code stands for.
 *
 * Each reason has one list of lower-case patterns, matched against the
 * lower-cased diagnostic text.  A pattern is literal text with three marks:
 * '*' is any run of characters, so "user * not found" needs "user " then
 * " not found" later on; '#' is one ASCII digit; a trailing '$' anchors the
 * pattern at the end of the text.  The lists are SMTP reply wording as
 * receivers write it, gathered by Sisimai (v5.1, lib/Sisimai/Reason/ in
 * p5-sisimai), kept as data in data/bounce/phrases.txt and compiled into a
 * table at build time (gen_phrases.py writes phrase_table.h); rejected has
 * an "is not" list too.
 *
 * Speed: a recipient asks a few hundred patterns.  The text is prepared
 * once per recipient (mm_phrase_prepare): the byte pairs present are kept
 * in a 1,024-slot set (mm_cn_pairs, a byte per slot) built in one pass, the
 * one the Chinese rules and the command searches read too.  A pattern can
 * occur only if the text holds each of its plain pairs; the generator files
 * every pattern under its rarest pair, so at the first question the pairs
 * the text holds (about 60) wake the few patterns filed under them, and
 * only those whose other pairs are all there are marked (mm_phrase_text's
 * cand, a bit per pattern).  A list's question is then a search for its
 * marked patterns only: about 3 per text.
 *
 * When you change a list (data/bounce/phrases.txt), run the corpus
 * evaluation and tests/unit-classify.
 */
#include "bounce_int.h"
#include "../util/str.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

_Static_assert(MM_REASON_COUNT_ <= 64, "mm_phrase_text keeps one bit per reason");
_Static_assert(MM_REASON_COUNT_ <= 255, "status_table keeps a reason in a byte");

/* One pattern of data/bounce/phrases.txt, as gen_phrases.py writes it:
 * its text and whether it holds a mark ('*', '#', '$'). */
typedef struct phrase_row {
    const char *text;
    bool marks;
} phrase_row;

/* A row as the scan of its key's bucket reads it (phrase_keyed, the rows
 * of a bucket side by side, in key order): the slots of its two rarest
 * pairs other than the key (MM_PHRASE_ALWAYS when it has fewer), its row,
 * and where the slots of the rest start in phrase_need (rarest first,
 * ended by PHRASE_NEED_END).  The scan reads these 8 bytes a row in order
 * and looks at phrase_rows only for the rows it marks. */
typedef struct phrase_keyed_row {
    unsigned short need1, need2, row, rest;
} phrase_keyed_row;

#define PHRASE_NEED_END 0xffffu

/* The rows of one list, [lo, hi). */
typedef struct phrase_span {
    unsigned short lo, hi;
} phrase_span;

/* The bit of rejected's "is not" list in mm_phrase_text's lists (the
 * reasons' lists have their reason's bit). */
#define PHRASE_LIST_REJECTED_NOT 63
_Static_assert(MM_REASON_COUNT_ <= PHRASE_LIST_REJECTED_NOT, "lists keeps a bit per list");

/* phrase_rows, phrase_spans, phrase_row_list, phrase_need, phrase_key_first/_mask,
 * phrase_keyed: made at build time from data/bounce/phrases.txt by gen_phrases.py */
#include "phrase_table.h"

_Static_assert(PHRASE_COUNT <= 64 * MM_PHRASE_WORDS, "mm_phrase_text keeps a bit per pattern");
_Static_assert(sizeof phrase_key_mask / sizeof phrase_key_mask[0] * 64 == MM_CN_SLOTS,
               "a mask bit per pair slot");
_Static_assert(sizeof phrase_key_first / sizeof phrase_key_first[0] == MM_CN_SLOTS + 1,
               "the generator's pair slots are mm_cn_pairs'");
/* That every row is filed in exactly one bucket (find_candidates() gathers
 * up to PHRASE_COUNT of them) is checked by gen_phrases.py: the array's
 * size alone cannot tell. */
_Static_assert(PHRASE_COUNT + 8 <= 0x7fff, "add_bucket() makes indices in 16-bit signed lanes");

/* The passes, in the order the reference decoder asks (Reason.pm). */
static const mm_reason_t order_first[] = {
    MM_REASON_MAILBOXFULL, MM_REASON_MESGTOOBIG,   MM_REASON_EXCEEDLIMIT,     MM_REASON_SUSPEND,
    MM_REASON_HASMOVED,    MM_REASON_NORELAYING,   MM_REASON_AUTHFAILURE,     MM_REASON_USERUNKNOWN,
    MM_REASON_FILTERED,    MM_REASON_REQUIREPTR,   MM_REASON_NOTCOMPLIANTRFC, MM_REASON_BADREPUTATION,
    MM_REASON_REJECTED,    MM_REASON_HOSTUNKNOWN,  MM_REASON_SPAMDETECTED,    MM_REASON_SPEEDING,
    MM_REASON_TOOMANYCONN, MM_REASON_BLOCKED,      MM_REASON_COUNT_};
static const mm_reason_t order_second[] = {
    MM_REASON_MAILBOXFULL,   MM_REASON_SPAMDETECTED,  MM_REASON_POLICYVIOLATION,
    MM_REASON_VIRUSDETECTED, MM_REASON_NORELAYING,    MM_REASON_AUTHFAILURE,
    MM_REASON_BADREPUTATION, MM_REASON_SECURITYERROR, MM_REASON_SYSTEMERROR,
    MM_REASON_NETWORKERROR,  MM_REASON_SPEEDING,      MM_REASON_SUSPEND,
    MM_REASON_EXPIRED,       MM_REASON_CONTENTERROR,  MM_REASON_SYSTEMFULL,
    MM_REASON_NOTACCEPT,     MM_REASON_MAILERERROR,   MM_REASON_COUNT_};
static const mm_reason_t order_any[] = {
    MM_REASON_MAILBOXFULL,  MM_REASON_MESGTOOBIG,    MM_REASON_EXCEEDLIMIT, MM_REASON_SUSPEND,
    MM_REASON_USERUNKNOWN,  MM_REASON_FILTERED,      MM_REASON_REJECTED,    MM_REASON_HOSTUNKNOWN,
    MM_REASON_SPAMDETECTED, MM_REASON_SPEEDING,      MM_REASON_TOOMANYCONN, MM_REASON_BLOCKED,
    MM_REASON_AUTHFAILURE,  MM_REASON_SECURITYERROR, MM_REASON_SYSTEMERROR, MM_REASON_NETWORKERROR,
    MM_REASON_EXPIRED,      MM_REASON_CONTENTERROR,  MM_REASON_HASMOVED,    MM_REASON_SYSTEMFULL,
    MM_REASON_NOTACCEPT,    MM_REASON_MAILERERROR,   MM_REASON_NORELAYING,  MM_REASON_COUNT_};

void mm_phrase_prepare(mm_phrase_text *pt, const char *lower)
{
    memset(pt, 0, sizeof *pt);
    pt->pairs.has[MM_PHRASE_ALWAYS] = 1;
    pt->lower = lower;
    for (size_t i = 1; lower[0] && lower[i]; i++)
        pt->pairs.has[mm_cn_pair_hash((unsigned char)lower[i - 1], (unsigned char)lower[i])] = 1;
}

#ifdef __SSE2__
/* mm_lower() of 16 bytes: A-Z get the 0x20 bit (signed compares: a byte
 * of 0x80 or more is negative, so never a capital) */
static __m128i lower_16(__m128i v)
{
    __m128i up = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('A' - 1)),
                               _mm_cmplt_epi8(v, _mm_set1_epi8('Z' + 1)));
    return _mm_or_si128(v, _mm_and_si128(up, _mm_set1_epi8(0x20)));
}

/* The slots (mm_cn_pair_hash()) of eight pairs (prev byte, cur byte) of
 * lowered bytes, each in a 16-bit lane of prev and cur: worked out in the
 * vectors, set one lane at a time. */
static void set_pairs_8(mm_cn_pairs *pp, __m128i prev, __m128i cur)
{
    __m128i h = _mm_and_si128(_mm_xor_si128(_mm_slli_epi16(prev, 5), cur),
                              _mm_set1_epi16((short)(MM_CN_SLOTS - 1)));
    pp->has[_mm_extract_epi16(h, 0)] = 1;
    pp->has[_mm_extract_epi16(h, 1)] = 1;
    pp->has[_mm_extract_epi16(h, 2)] = 1;
    pp->has[_mm_extract_epi16(h, 3)] = 1;
    pp->has[_mm_extract_epi16(h, 4)] = 1;
    pp->has[_mm_extract_epi16(h, 5)] = 1;
    pp->has[_mm_extract_epi16(h, 6)] = 1;
    pp->has[_mm_extract_epi16(h, 7)] = 1;
}

/* Bytes i .. i + 15 of t (i >= 1, none of them the NUL): lowered into
 * lower, and the pairs each makes with the byte before it into the set.
 * The slots are worked out 16 at a time; only their stores are one by one. */
static void prepare_16(mm_cn_pairs *pp, char *lower, const unsigned char *t, size_t i)
{
    __m128i zero = _mm_setzero_si128();
    __m128i cur = lower_16(_mm_loadu_si128((const __m128i *)(t + i)));
    __m128i prev = lower_16(_mm_loadu_si128((const __m128i *)(t + i - 1)));
    _mm_storeu_si128((__m128i *)(lower + i), cur);
    /* bytes widened to 16-bit lanes, where a slot (up to 13 bits) fits */
    set_pairs_8(pp, _mm_unpacklo_epi8(prev, zero), _mm_unpacklo_epi8(cur, zero));
    set_pairs_8(pp, _mm_unpackhi_epi8(prev, zero), _mm_unpackhi_epi8(cur, zero));
}
#endif

void mm_phrase_prepare_copy(mm_phrase_text *pt, char *lower, const char *text, size_t n)
{
    memset(pt, 0, sizeof *pt);
    pt->pairs.has[MM_PHRASE_ALWAYS] = 1;
    pt->lower = lower;
    /* the same set as mm_phrase_prepare() of the lowered copy, made as the
     * copy is written: the text is read once, not three times.  A byte is lowered as mm_lower() does, without a
     * branch: A-Z differ from a-z by the 0x20 bit only.  lower may be text:
     * each byte is read before it is written, or (the byte before a block)
     * read lowered already, which lowering leaves as it is. */
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 1;
    if (n == 0) {
        lower[0] = '\0';
        return;
    }
    lower[0] = (char)(t[0] | ((unsigned)(t[0] - 'A') < 26u) << 5);
#ifdef __SSE2__
    for (; i + 16 <= n; i += 16)
        prepare_16(&pt->pairs, lower, t, i);
#endif
    unsigned char prev = (unsigned char)lower[i - 1];
    for (; i < n; i++) {
        unsigned char c = t[i];
        c |= ((unsigned)(c - 'A') < 26u) << 5;
        lower[i] = (char)c;
        pt->pairs.has[mm_cn_pair_hash(prev, c)] = 1;
        prev = c;
    }
    lower[n] = '\0';
}

bool mm_phrase_may_hold(const mm_phrase_text *pt, const char *literal)
{
    for (const unsigned char *p = (const unsigned char *)literal; p[0] && p[1]; p++)
        if (!pt->pairs.has[mm_cn_pair_hash(p[0], p[1])])
            return false;
    return true;
}

/* Does the piece p (up to '*' or its end) match at t exactly?  Sets *plen. */
static bool piece_at(const char *t, const char *p, size_t *plen)
{
    size_t i = 0;
    for (; p[i] && p[i] != '*'; i++) {
        if (p[i] == '$' && (p[i + 1] == '\0' || p[i + 1] == '*'))
            return t[i] == '\0' && ((*plen = i), true);
        if (p[i] == '#' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != p[i])
            return false;
    }
    *plen = i;
    return true;
}

/* The longest plain run (no mark) of the piece p, which ends at '*' or at
 * the end of p; *at gets its offset in p. */
static size_t longest_run(const char *p, size_t *at)
{
    size_t best = 0;
    *at = 0;
    for (size_t i = 0; p[i] && p[i] != '*';) {
        size_t n = strcspn(p + i, "*#$");
        if (n > best) {
            best = n;
            *at = i;
        }
        i += n;
        if (p[i] && p[i] != '*')
            i++;
    }
    return best;
}

/* piece_find() of a piece that starts with '#' ("#5.1.1 bad address",
 * "### spam$"): rather than piece_at() at every byte of t, a match is
 * looked for only k bytes before each place of the piece's longest plain
 * run, which any match holds at offset k.  Those places come in order, so
 * the first match is the one the byte-by-byte walk finds.  False when the
 * piece has no plain run to look for (the caller then walks); else *end is
 * as piece_find() returns. */
static bool marked_piece_find(const char *t, const char *p, const char **end)
{
    size_t k, len = longest_run(p, &k);
    char run[128];
    if (len == 0 || len >= sizeof run)
        return false;
    memcpy(run, p + k, len);
    run[len] = '\0';
    *end = NULL;
    for (const char *f = strstr(t, run); f && !*end; f = strstr(f + 1, run)) {
        size_t n;
        if ((size_t)(f - t) >= k && piece_at(f - k, p, &n))
            *end = f - k + n;
    }
    return true;
}

/* Find the piece p in t; returns the position just past the match, or NULL. */
static const char *piece_find(const char *t, const char *p)
{
    size_t lit = strcspn(p, "*#$");
    char head[128];
    if (lit >= sizeof head)
        return NULL;
    const char *end;
    if (p[0] == '#' && marked_piece_find(t, p, &end))
        return end;
    memcpy(head, p, lit);
    head[lit] = '\0';
    for (const char *s = lit ? strstr(t, head) : t; s && *s;
         s = lit ? strstr(s + 1, head) : s + 1) {
        size_t n;
        if (piece_at(s, p, &n))
            return s + n;
        if (!lit && !*s)
            break;
    }
    return NULL;
}

/* Pattern with '*' gaps: every piece in order, each after the last. */
static bool pattern_in(const char *text, const char *pat)
{
    const char *t = text;
    for (const char *p = pat;;) {
        t = piece_find(t, p);
        if (!t)
            return false;
        p = strchr(p, '*');
        if (!p)
            return true;
        p++;
    }
}

/* Does the text hold the pairs of phrase_need from rest on (to the end
 * mark)? */
static bool holds_rest(const mm_phrase_text *pt, unsigned rest)
{
    for (unsigned i = rest; phrase_need[i] != PHRASE_NEED_END; i++)
        if (!pt->pairs.has[phrase_need[i]])
            return false;
    return true;
}

/* Append to woken[n..] the phrase_keyed entries of the rows filed under
 * pair slot (their key); returns the new count.  With SSE2 one 8-lane store
 * covers a bucket of up to 8 rows (all but 7 of the 1,024), whatever its
 * size, so no loop ends on the bucket's length (a mispredicted branch per
 * bucket, cachegrind said); woken has 8 entries to spare for the store. */
static size_t add_bucket(unsigned short *woken, size_t n, unsigned slot)
{
    unsigned lo = phrase_key_first[slot], len = phrase_key_first[slot + 1] - lo, j = 0;
#ifdef __SSE2__
    _mm_storeu_si128((__m128i *)(void *)(woken + n),
                     _mm_add_epi16(_mm_set1_epi16((short)lo), _mm_setr_epi16(0, 1, 2, 3, 4, 5, 6, 7)));
    j = 8;
#endif
    for (; j < len; j++)
        woken[n + j] = (unsigned short)(lo + j);
    return n + len;
}

#ifdef __SSE2__
/* The slots 64 * w .. 64 * w + 63 the set holds, a bit each: its bytes
 * are 0 and 1, so shifted left by 7 a 1 is a byte's top bit, which
 * movemask gathers 16 slots at a time. */
static uint64_t slots_64(const mm_cn_pairs *pp, unsigned w)
{
    uint64_t m = 0;
#pragma GCC unroll 4
    for (unsigned q = 0; q < 4; q++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(pp->has + w * 64 + q * 16));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_slli_epi16(v, 7)) << (q * 16);
    }
    return m;
}
#endif

/* Mark the candidate rows (pt->cand) of every list at once, from the pairs
 * the text holds: about 60 for a reply, each waking the few rows keyed on
 * it, instead of a walk over the few hundred rows of the lists asked.
 * The rows woken are gathered first, then a row's two rarest other pairs
 * (beside it in phrase_keyed) are tested for all of them in one loop that
 * keeps the rows holding both without a branch; only those few have the
 * rest of their pairs asked. */
static void find_candidates(mm_phrase_text *pt)
{
    unsigned short woken[PHRASE_COUNT + 8]; /* phrase_keyed indices; 8 spare for add_bucket */
    size_t n = 0;
    memset(pt->cand, 0, sizeof pt->cand);
    pt->lists = 0;
    pt->indexed = true;
#ifdef __SSE2__
    /* 64 slots at a time, a bit each (slots_64()); most pairs a text holds
     * key no row (a space or a digit in them) and are left out.  Words, not
     * the 16-slot blocks of the byte set: the loop over the slots woken
     * ends 16 times a text instead of 46, each end a likely mispredicted
     * branch. */
    for (unsigned w = 0; w < MM_CN_SLOTS / 64; w++) {
        if (!phrase_key_mask[w]) /* the same words every text: predicted */
            continue;
        for (uint64_t m = slots_64(&pt->pairs, w) & phrase_key_mask[w]; m; m &= m - 1)
            n = add_bucket(woken, n, w * 64 + mm_lowest_bit(m));
    }
#else
    for (unsigned slot = 0; slot < MM_CN_SLOTS; slot++)
        if (pt->pairs.has[slot])
            n = add_bucket(woken, n, slot);
#endif
    /* kept in place (live <= i); the set's bytes are 0 or 1 */
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        const phrase_keyed_row *k = &phrase_keyed[woken[i]];
        woken[live] = woken[i];
        live += (size_t)(pt->pairs.has[k->need1] & pt->pairs.has[k->need2]);
    }
    for (size_t i = 0; i < live; i++) {
        const phrase_keyed_row *k = &phrase_keyed[woken[i]];
        if (holds_rest(pt, k->rest)) {
            pt->cand[k->row / 64] |= (uint64_t)1 << (k->row % 64);
            pt->lists |= (uint64_t)1 << phrase_row_list[k->row];
        }
    }
}

static bool row_in(const mm_phrase_text *pt, const phrase_row *r)
{
    return r->marks ? pattern_in(pt->lower, r->text) : strstr(pt->lower, r->text) != NULL;
}

/* Does a candidate row of the list sp (bit list of pt->lists) occur in the
 * text?  Most lists asked have no candidate: no walk over their words. */
static bool list_match(mm_phrase_text *pt, phrase_span sp, unsigned list)
{
    if (!pt->indexed)
        find_candidates(pt);
    if (!(pt->lists >> list & 1))
        return false;
    for (unsigned row = sp.lo; row < sp.hi;) {
        uint64_t bits = pt->cand[row / 64] >> (row % 64);
        if (!bits) {
            row = (row / 64 + 1) * 64;
            continue;
        }
        row += mm_lowest_bit(bits);
        if (row < sp.hi && row_in(pt, &phrase_rows[row]))
            return true;
        row++;
    }
    return false;
}

bool mm_phrase_in(mm_phrase_text *pt, mm_reason_t reason)
{
    if ((unsigned)reason >= MM_REASON_COUNT_ || !pt->lower[0])
        return false;
    uint64_t bit = (uint64_t)1 << reason;
    if (pt->asked & bit)
        return (pt->found & bit) != 0;
    bool hit = !(reason == MM_REASON_REJECTED &&
                 list_match(pt, phrase_rejected_not, PHRASE_LIST_REJECTED_NOT)) &&
               list_match(pt, phrase_spans[reason], (unsigned)reason);
    pt->asked |= bit;
    if (hit)
        pt->found |= bit;
    return hit;
}

mm_reason_t mm_phrase_find(mm_phrase_text *pt, mm_phrase_pass pass)
{
    const mm_reason_t *order = pass == MM_PASS_FIRST    ? order_first
                               : pass == MM_PASS_SECOND ? order_second
                                                        : order_any;
    for (; *order != MM_REASON_COUNT_; order++)
        if (mm_phrase_in(pt, *order))
            return *order;
    return MM_REASON_UNDEFINED;
}

bool mm_phrase_is(mm_reason_t reason, const char *lower)
{
    mm_phrase_text pt;
    mm_phrase_prepare(&pt, lower);
    return mm_phrase_in(&pt, reason);
}

mm_reason_t mm_phrase_match(mm_phrase_pass pass, const char *lower)
{
    mm_phrase_text pt;
    mm_phrase_prepare(&pt, lower);
    return mm_phrase_find(&pt, pass);
}

/* RFC 3463 (and RFC 5248 registry) codes with a clear meaning, indexed by
 * class (4, 5), subject and detail; the detail numbers follow
 * SMTP/Status.pm's table.  X.0.0, 4.1.1-4.1.5, 4.3.0, 4.4.0, 4.5.0 and
 * 4.7.0 are left out on purpose: they say too little.  Zero is
 * MM_REASON_UNDEFINED, so a code not listed has no meaning of its own. */
static const unsigned char status_table[2][8][31] = {
    [0][1][6] = MM_REASON_HASMOVED,       [0][1][7] = MM_REASON_REJECTED,
    [0][1][8] = MM_REASON_REJECTED,       [0][1][9] = MM_REASON_SYSTEMERROR,
    [0][2][1] = MM_REASON_SUSPEND,        [0][2][2] = MM_REASON_MAILBOXFULL,
    [0][2][3] = MM_REASON_EXCEEDLIMIT,    [0][2][4] = MM_REASON_FILTERED,
    [0][3][1] = MM_REASON_SYSTEMFULL,     [0][3][2] = MM_REASON_NOTACCEPT,
    [0][3][3] = MM_REASON_SYSTEMERROR,    [0][3][5] = MM_REASON_SYSTEMERROR,
    [0][4][1] = MM_REASON_EXPIRED,        [0][4][2] = MM_REASON_NETWORKERROR,
    [0][4][3] = MM_REASON_SYSTEMERROR,    [0][4][4] = MM_REASON_NETWORKERROR,
    [0][4][5] = MM_REASON_SYSTEMFULL,     [0][4][6] = MM_REASON_NETWORKERROR,
    [0][4][7] = MM_REASON_EXPIRED,        [0][4][8] = MM_REASON_NETWORKERROR,
    [0][5][3] = MM_REASON_SYSTEMERROR,    [0][5][5] = MM_REASON_SYSTEMERROR,
    [0][6][0] = MM_REASON_CONTENTERROR,   [0][6][2] = MM_REASON_CONTENTERROR,
    [0][6][5] = MM_REASON_CONTENTERROR,   [0][7][1] = MM_REASON_BLOCKED,
    [0][7][2] = MM_REASON_BLOCKED,        [0][7][5] = MM_REASON_SECURITYERROR,
    [0][7][6] = MM_REASON_SECURITYERROR,  [0][7][7] = MM_REASON_SECURITYERROR,
    [0][7][12] = MM_REASON_SECURITYERROR, [0][7][15] = MM_REASON_SECURITYERROR,
    [0][7][16] = MM_REASON_MESGTOOBIG,    [0][7][24] = MM_REASON_AUTHFAILURE,
    [0][7][25] = MM_REASON_REQUIREPTR,    [0][7][26] = MM_REASON_AUTHFAILURE,
    [1][1][0] = MM_REASON_USERUNKNOWN,    [1][1][1] = MM_REASON_USERUNKNOWN,
    [1][1][2] = MM_REASON_HOSTUNKNOWN,    [1][1][3] = MM_REASON_USERUNKNOWN,
    [1][1][4] = MM_REASON_FILTERED,       [1][1][6] = MM_REASON_HASMOVED,
    [1][1][7] = MM_REASON_REJECTED,       [1][1][8] = MM_REASON_REJECTED,
    [1][1][9] = MM_REASON_SYSTEMERROR,    [1][1][10] = MM_REASON_NOTACCEPT,
    [1][2][0] = MM_REASON_FILTERED,       [1][2][1] = MM_REASON_FILTERED,
    [1][2][2] = MM_REASON_MAILBOXFULL,    [1][2][3] = MM_REASON_EXCEEDLIMIT,
    [1][2][4] = MM_REASON_FILTERED,       [1][3][0] = MM_REASON_SYSTEMERROR,
    [1][3][1] = MM_REASON_SYSTEMFULL,     [1][3][2] = MM_REASON_NOTACCEPT,
    [1][3][3] = MM_REASON_SYSTEMERROR,    [1][3][4] = MM_REASON_MESGTOOBIG,
    [1][3][5] = MM_REASON_SYSTEMERROR,    [1][4][0] = MM_REASON_NETWORKERROR,
    [1][4][3] = MM_REASON_SYSTEMERROR,    [1][4][4] = MM_REASON_HOSTUNKNOWN,
    [1][5][2] = MM_REASON_SYNTAXERROR,    [1][5][3] = MM_REASON_TOOMANYCONN,
    [1][5][4] = MM_REASON_SYSTEMERROR,    [1][5][5] = MM_REASON_SYSTEMERROR,
    [1][5][6] = MM_REASON_SYNTAXERROR,    [1][6][0] = MM_REASON_CONTENTERROR,
    [1][6][1] = MM_REASON_CONTENTERROR,   [1][6][2] = MM_REASON_CONTENTERROR,
    [1][6][3] = MM_REASON_CONTENTERROR,   [1][6][5] = MM_REASON_CONTENTERROR,
    [1][6][6] = MM_REASON_CONTENTERROR,   [1][6][7] = MM_REASON_CONTENTERROR,
    [1][6][8] = MM_REASON_CONTENTERROR,   [1][6][9] = MM_REASON_CONTENTERROR,
    [1][7][0] = MM_REASON_SECURITYERROR,  [1][7][1] = MM_REASON_SECURITYERROR,
    [1][7][2] = MM_REASON_SECURITYERROR,  [1][7][3] = MM_REASON_SECURITYERROR,
    [1][7][4] = MM_REASON_SECURITYERROR,  [1][7][5] = MM_REASON_SECURITYERROR,
    [1][7][6] = MM_REASON_SECURITYERROR,  [1][7][7] = MM_REASON_SECURITYERROR,
    [1][7][8] = MM_REASON_SECURITYERROR,  [1][7][9] = MM_REASON_SECURITYERROR,
    [1][7][10] = MM_REASON_SECURITYERROR, [1][7][11] = MM_REASON_SECURITYERROR,
    [1][7][13] = MM_REASON_SUSPEND,       [1][7][14] = MM_REASON_SECURITYERROR,
    [1][7][15] = MM_REASON_SECURITYERROR, [1][7][16] = MM_REASON_MESGTOOBIG,
    [1][7][17] = MM_REASON_HASMOVED,      [1][7][18] = MM_REASON_HASMOVED,
    [1][7][19] = MM_REASON_SECURITYERROR, [1][7][20] = MM_REASON_AUTHFAILURE,
    [1][7][21] = MM_REASON_AUTHFAILURE,   [1][7][22] = MM_REASON_AUTHFAILURE,
    [1][7][23] = MM_REASON_AUTHFAILURE,   [1][7][24] = MM_REASON_AUTHFAILURE,
    [1][7][25] = MM_REASON_REQUIREPTR,    [1][7][26] = MM_REASON_AUTHFAILURE,
    [1][7][27] = MM_REASON_NOTACCEPT,     [1][7][28] = MM_REASON_SPAMDETECTED,
    [1][7][29] = MM_REASON_AUTHFAILURE,   [1][7][30] = MM_REASON_SECURITYERROR,
};

mm_reason_t mm_status_reason(const char *st)
{
    if (!st || !(st[0] == '2' || st[0] == '4' || st[0] == '5') || st[1] != '.' || st[2] < '0' ||
        st[2] > '7' || st[3] != '.' || st[4] < '0' || st[4] > '9')
        return MM_REASON_UNDEFINED;
    int detail = st[4] - '0';
    if (st[5]) {
        if (st[5] < '0' || st[5] > '9' || st[6] || st[4] == '0')
            return MM_REASON_UNDEFINED;
        detail = detail * 10 + (st[5] - '0');
    }
    if (detail > 30)
        return MM_REASON_UNDEFINED;
    if (st[0] == '2')
        return (st[2] == '1' && detail == 5) ? MM_REASON_DELIVERED : MM_REASON_UNDEFINED;
    return (mm_reason_t)status_table[st[0] == '5'][st[2] - '0'][detail];
}
