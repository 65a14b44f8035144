/*
 * suggest.c - typo suggestions for the domain of an address.
 *
 * How a domain is judged, cheapest first, so the common cases (a popular
 * domain, or a company domain that is nowhere near one) cost a few hash
 * look-ups behind Bloom filters and no edit distance:
 *   1. fold what was typed into lower-case ASCII (a byte table for plain
 *      ASCII, fold_slow() for the rest): full-width forms and ideographic
 *      stops from Chinese input methods, commas and underscores for dots,
 *      Cyrillic and Greek look-alikes, stray dots and hyphens; a domain still
 *      not ASCII is an IDN and gets no suggestion;
 *   2. a known provider (popular.txt, free.txt) is never corrected; if
 *      folding made the input known, the fold is the suggestion;
 *   3. no dot at all: a provider name without TLD (qq -> qq.com), without its
 *      dot (hotmailcom -> hotmail.com), or one slip from one (gmial);
 *   4. a doubled TLD (gmail.com.com, gmail.comcom), www. before a known
 *      domain, digits for letters (gma1l.com);
 *   5. one slip from a popular domain (popular.txt only): either the suffix
 *      is intact and the name differs (gamil.com; only names of the same
 *      suffix, a length within 2 and the same first or last letter are
 *      measured), or the name is intact and the suffix differs (gmail.con,
 *      hotmail.co.ul) or was cut short (gmail.c); an existing TLD such as
 *      .co or .cm is only moved to .com/.net/.org, so yahoo.cn never becomes
 *      yahoo.ca;
 *   6. a TLD that does not exist (Public Suffix List) is moved to the nearest
 *      common TLD (acme.ogr -> acme.org), then step 5 runs again on the
 *      result; .co/.cm/.om/.ne are read as cut short only for a misspelt
 *      provider (gmial.co), never for an unknown company (acme.co); a slip
 *      in the second level before an existing ccTLD is fixed when that gives
 *      a public suffix (haier.con.cn -> haier.com.cn).
 * A slip is one edit (Damerau-Levenshtein) weighed in half-edits: a swap of
 * neighbours, a neighbouring key on a QWERTY keyboard, a look-alike digit
 * (0/o, 1/l) or a doubled/undoubled letter cost 1, an insertion or deletion
 * 2, and the limit is 2; a substitution of far-apart keys or an extra hyphen
 * or dot is no slip (eastmail.com, fast-mail.com are companies).  Names of
 * 1-3 characters (qq, 163, gmx) only accept a doubled letter.  A tie between
 * two different providers gives no suggestion.
 */
#include <string.h>
#include "internal.h"
#include "lookup.h"

#define N_(s) s

enum {
    F_COMMA = 1u << 0,
    F_FULLWIDTH = 1u << 1,
    F_HOMOGLYPH = 1u << 2,
    F_DOTS = 1u << 3,
    F_HYPHEN = 1u << 4,
    F_DIGIT = 1u << 5, /* not a fix: the domain has a digit (gma1l.com?) */
    F_MINUS = 1u << 6, /* not a fix: the domain has a hyphen to check */
    F_UNDERSCORE = 1u << 7,
    F_REALDOT = 1u << 8, /* not a fix: a dot was typed as a dot */
    F_SPACE = 1u << 9,
};
#define F_FIXES (F_COMMA | F_FULLWIDTH | F_HOMOGLYPH | F_DOTS | F_HYPHEN | F_UNDERSCORE | F_SPACE)

#define LIMIT 2     /* half-edits: one insertion or deletion, or one cheap slip */
#define EDIT_MAX 64 /* longest string the edit distance measures */

/* Common TLDs a non-existent TLD may be moved to. */
static const char *const fix_tlds[] = {
    "com", "net", "org", "edu", "gov", "info", "biz", "io", "de", "uk", "cn", "ru",
    "fr",  "jp",  "us",  "ca",  "au",  "in",   "it",  "es", "nl", "br", "eu",
};

/* Non-ASCII characters that stand for an ASCII one (sorted by code point). */
static const struct {
    unsigned cp;
    char ascii;
    unsigned char flag;
} folds[] = {
    {0x0131, 'i', F_HOMOGLYPH}, {0x0261, 'g', F_HOMOGLYPH}, {0x0391, 'a', F_HOMOGLYPH},
    {0x0392, 'b', F_HOMOGLYPH}, {0x0395, 'e', F_HOMOGLYPH}, {0x0396, 'z', F_HOMOGLYPH},
    {0x0397, 'h', F_HOMOGLYPH}, {0x0399, 'i', F_HOMOGLYPH}, {0x039a, 'k', F_HOMOGLYPH},
    {0x039c, 'm', F_HOMOGLYPH}, {0x039d, 'n', F_HOMOGLYPH}, {0x039f, 'o', F_HOMOGLYPH},
    {0x03a1, 'p', F_HOMOGLYPH}, {0x03a4, 't', F_HOMOGLYPH}, {0x03a5, 'y', F_HOMOGLYPH},
    {0x03a7, 'x', F_HOMOGLYPH}, {0x03b1, 'a', F_HOMOGLYPH}, {0x03b9, 'i', F_HOMOGLYPH},
    {0x03ba, 'k', F_HOMOGLYPH}, {0x03bd, 'v', F_HOMOGLYPH}, {0x03bf, 'o', F_HOMOGLYPH},
    {0x03c1, 'p', F_HOMOGLYPH}, {0x0405, 's', F_HOMOGLYPH}, {0x0406, 'i', F_HOMOGLYPH},
    {0x0408, 'j', F_HOMOGLYPH}, {0x0410, 'a', F_HOMOGLYPH}, {0x0412, 'b', F_HOMOGLYPH},
    {0x0415, 'e', F_HOMOGLYPH}, {0x041a, 'k', F_HOMOGLYPH}, {0x041c, 'm', F_HOMOGLYPH},
    {0x041d, 'h', F_HOMOGLYPH}, {0x041e, 'o', F_HOMOGLYPH}, {0x0420, 'p', F_HOMOGLYPH},
    {0x0421, 'c', F_HOMOGLYPH}, {0x0422, 't', F_HOMOGLYPH}, {0x0425, 'x', F_HOMOGLYPH},
    {0x0430, 'a', F_HOMOGLYPH}, {0x0435, 'e', F_HOMOGLYPH}, {0x043e, 'o', F_HOMOGLYPH},
    {0x0440, 'p', F_HOMOGLYPH}, {0x0441, 'c', F_HOMOGLYPH}, {0x0443, 'y', F_HOMOGLYPH},
    {0x0445, 'x', F_HOMOGLYPH}, {0x0455, 's', F_HOMOGLYPH}, {0x0456, 'i', F_HOMOGLYPH},
    {0x0458, 'j', F_HOMOGLYPH}, {0x04bb, 'h', F_HOMOGLYPH}, {0x04cf, 'l', F_HOMOGLYPH},
    {0x0501, 'd', F_HOMOGLYPH}, {0x051b, 'q', F_HOMOGLYPH}, {0x051d, 'w', F_HOMOGLYPH},
    {0x3000, ' ', F_FULLWIDTH}, {0x3001, ',', F_COMMA},     {0x3002, '.', F_FULLWIDTH},
    {0xff0c, ',', F_FULLWIDTH}, {0xff0e, '.', F_FULLWIDTH}, {0xff61, '.', F_FULLWIDTH},
};

/* Decode one UTF-8 sequence at s (n bytes left); 0 on a malformed one. */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || len > n || s[0] > 0xf4)
        return 0;
    unsigned c = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    *cp = c;
    return len;
}

/* The ASCII a non-ASCII code point stands for, or 0. */
static char fold_cp(unsigned cp, unsigned *flags)
{
    if (cp >= 0xff01 && cp <= 0xff5e) { /* full-width ASCII forms */
        *flags |= cp == 0xff0c ? F_COMMA : F_FULLWIDTH;
        return (char)(cp - 0xff01 + 0x21);
    }
    /* outside the table's two runs (U+0131-U+051D, U+3000-U+FF61): no
     * search, which is the answer for every CJK, kana or Hangul letter */
    if (cp < 0x0131 || (cp > 0x051d && cp < 0x3000) || (cp > 0x3002 && cp < 0xff0c) ||
        cp > 0xff61)
        return 0;
    size_t lo = 0, hi = sizeof folds / sizeof *folds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (folds[mid].cp == cp) {
            *flags |= folds[mid].flag;
            return folds[mid].ascii;
        }
        if (folds[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* Append one folded character; dots are collapsed as they come. */
static bool put(char *buf, size_t *n, char c, unsigned *flags)
{
    if (c >= 'A' && c <= 'Z')
        c = (char)(c | 0x20);
    if (c >= '0' && c <= '9')
        *flags |= F_DIGIT;
    if (c == '-')
        *flags |= F_MINUS;
    if (c == '.')
        *flags |= F_REALDOT;
    if (c == ',') {
        *flags |= F_COMMA;
        c = '.';
    }
    if (c == '_') { /* company_com: an underscore typed for a dot */
        *flags |= F_UNDERSCORE;
        c = '.';
    }
    if (c == ' ' || c == '\t') { /* gmail. com */
        *flags |= F_SPACE;
        return true;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
        return false;
    if (c == '.' && (*n == 0 || buf[*n - 1] == '.')) {
        *flags |= F_DOTS; /* leading or doubled dot */
        return true;
    }
    if (*n == DOM_MAX)
        return false;
    buf[(*n)++] = c;
    return true;
}

/* A label never starts or ends with '-' (RFC 1035): -gmail.com -> gmail.com. */
static void trim_hyphens(char *buf, size_t *n, unsigned *flags)
{
    size_t w = 0;
    for (size_t r = 0; r < *n;) {
        size_t end = r;
        while (end < *n && buf[end] != '.')
            end++;
        size_t a = r, b = end;
        while (a < b && buf[a] == '-')
            a++;
        while (b > a && buf[b - 1] == '-')
            b--;
        if (a != r || b != end)
            *flags |= F_HYPHEN;
        if (b > a) {
            if (w > 0)
                buf[w++] = '.';
            memmove(buf + w, buf + a, b - a);
            w += b - a;
        }
        r = end + 1;
    }
    *n = w;
}

/* Does a label start or end with '-'? */
static bool hyphen_at_edge(const char *s, size_t n)
{
    if (s[0] == '-' || s[n - 1] == '-')
        return true;
    for (const char *p = memchr(s, '-', n); p; p = memchr(p + 1, '-', n - (size_t)(p + 1 - s)))
        if (p[-1] == '.' || p[1] == '.')
            return true;
    return false;
}

/* The general fold: any byte, UTF-8, every repair. */
static bool fold_slow(const char *in, size_t len, char *buf, size_t *n, unsigned *flags)
{
    const unsigned char *s = (const unsigned char *)in;
    *n = 0;
    for (size_t i = 0; i < len;) {
        char c = (char)s[i];
        size_t step = 1;
        if (s[i] >= 0x80) {
            unsigned cp = 0;
            step = utf8_decode(s + i, len - i, &cp);
            if (step == 0 || (c = fold_cp(cp, flags)) == 0)
                return false;
        }
        if (!put(buf, n, c, flags))
            return false;
        i += step;
    }
    while (*n > 0 && buf[*n - 1] == '.') {
        (*n)--;
        *flags |= F_DOTS;
    }
    if (*flags & F_MINUS)
        trim_hyphens(buf, n, flags);
    buf[*n] = '\0';
    return *n > 0;
}

#ifdef __SSE2__
/* Bytes of v in lo..hi (unsigned), as 0xFF lanes. */
static inline __m128i in_range16(__m128i v, unsigned char lo, unsigned char hi)
{
    __m128i x = _mm_add_epi8(v, _mm_set1_epi8((char)(0x80 - lo)));
    return _mm_cmplt_epi8(x, _mm_set1_epi8((char)(0x80 + (hi - lo) + 1 - 256)));
}

/* The lanes of v that are "." (*dot), "-" (*minus), digits (*digit) and
 * any of those or a letter (*ok), as bit masks. */
static inline void fold_masks(__m128i v, unsigned *ok, unsigned *dot, unsigned *minus,
                              unsigned *digit)
{
    __m128i dv = _mm_cmpeq_epi8(v, _mm_set1_epi8('.'));
    __m128i mv = _mm_cmpeq_epi8(v, _mm_set1_epi8('-'));
    __m128i gv = in_range16(v, '0', '9');
    __m128i lv = in_range16(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
    *ok = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(dv, mv), _mm_or_si128(gv, lv)));
    *dot = (unsigned)_mm_movemask_epi8(dv);
    *minus = (unsigned)_mm_movemask_epi8(mv);
    *digit = (unsigned)_mm_movemask_epi8(gv);
}

/* Masks of fold16()/fold32(): every lane LDH or "."; no doubled dot and no
 * hyphen beside a dot among the lanes adj marks as having their neighbour
 * in the next lane; no dot or hyphen in the first or last lane. */
static inline bool fold_plain(uint32_t ok, uint32_t all, uint32_t dm, uint32_t mm, uint32_t adj)
{
    uint32_t edges = 1u | (all ^ (all >> 1)); /* the first and the last lane */
    return ok == all && !(dm & (dm >> 1) & adj) && !((dm | mm) & edges) &&
           !(((mm & (dm >> 1)) | (dm & (mm >> 1))) & adj);
}

/*
 * fold() for 8..16 bytes (most domains) with one vector: the first 8 bytes
 * in the low half, the last 8 in the high half (so a byte may be seen
 * twice, which no test minds).  Lanes i and i + 1 are neighbours in s
 * except lanes 7 and 8 when len < 16 (s[7] and s[len - 8]); every real
 * pair of neighbours lies in one half or, for len 16, across the middle.
 * Returns false when fold_slow() must decide: a byte that is not LDH or
 * ".", a doubled, leading or trailing dot, a hyphen at a label's edge.
 */
static bool fold16(const unsigned char *s, size_t len, char *buf, unsigned *flags)
{
    __m128i v = mm_dom_load_halves((const char *)s, len);
    unsigned ok, dm, mm, digit;
    fold_masks(v, &ok, &dm, &mm, &digit);
    if (!fold_plain(ok, 0xFFFFu, dm, mm, len == 16 ? 0x7FFFu : 0x7F7Fu))
        return false;
    /* Only LDH and dots: | 0x20 lower-cases the letters and keeps the rest. */
    __m128i low = _mm_or_si128(v, _mm_set1_epi8(0x20));
    _mm_storel_epi64((__m128i *)(void *)buf, low);
    _mm_storel_epi64((__m128i *)(void *)(buf + len - 8), _mm_unpackhi_epi64(low, low));
    buf[len] = '\0';
    *flags |= digit ? F_DIGIT : 0u;
    return true;
}

/* fold16() for 17..32 bytes: the first 16 and the last 16 in two vectors. */
static bool fold32(const unsigned char *s, size_t len, char *buf, unsigned *flags)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)s);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + len - 16));
    unsigned ok, dm, mm, digit, ok2, dm2, mm2, digit2;
    fold_masks(a, &ok, &dm, &mm, &digit);
    fold_masks(b, &ok2, &dm2, &mm2, &digit2);
    if (!fold_plain(ok | ok2 << 16, 0xFFFFFFFFu, dm | dm2 << 16, mm | mm2 << 16,
                    len == 32 ? 0x7FFFFFFFu : 0x7FFF7FFFu))
        return false;
    _mm_storeu_si128((__m128i *)(void *)buf, _mm_or_si128(a, _mm_set1_epi8(0x20)));
    _mm_storeu_si128((__m128i *)(void *)(buf + len - 16), _mm_or_si128(b, _mm_set1_epi8(0x20)));
    buf[len] = '\0';
    *flags |= digit | digit2 ? F_DIGIT : 0u;
    return true;
}
#endif

/*
 * Fold the typed domain into buf (DOM_MAX + 1 bytes): lower-case LDH and
 * single dots.  The usual input, plain ASCII, is copied through a byte table
 * without a branch per byte; anything unusual takes fold_slow().
 */
static bool fold(const mm_domains *d, const char *in, size_t len, char *buf, size_t *n,
                 unsigned *flags)
{
    const unsigned char *s = (const unsigned char *)in;
    if (len == 0 || len > DOM_MAX)
        return len > 0 && fold_slow(in, len, buf, n, flags);
#ifdef __SSE2__
    if (len >= 8 && len <= 32) {
        if (!(len <= 16 ? fold16(s, len, buf, flags) : fold32(s, len, buf, flags)))
            return fold_slow(in, len, buf, n, flags);
        *n = len;
        return true;
    }
#endif
    /* cls collects the classes seen; pairs the classes two neighbours share,
     * so DOT in pairs means "..", a leading dot (prev starts as DOT) or, with
     * the last class added below, a trailing one. */
    unsigned cls = 0, pairs = 0, prev = MM_FOLD_DOT;
    for (size_t i = 0; i < len; i++) {
        unsigned c = d->fold_class[s[i]];
        cls |= c;
        pairs |= prev & c;
        prev = c;
    }
    pairs |= prev; /* a trailing dot */
    if (cls & MM_FOLD_OTHER)
        return fold_slow(in, len, buf, n, flags);
    /* Only LDH and dots: d->fold[] is plain ASCII lower-casing. */
    if (len >= 8) {
        mm_lower_copy8(buf, s, len);
    } else {
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)d->fold[s[i]];
    }
    if ((pairs & MM_FOLD_DOT) || ((cls & MM_FOLD_MINUS) && hyphen_at_edge(buf, len)))
        return fold_slow(in, len, buf, n, flags);
    *n = len;
    buf[len] = '\0';
    *flags |= (cls & MM_FOLD_DIGIT ? F_DIGIT : 0u);
    return true;
}

static bool lookalike(unsigned char x, unsigned char y)
{
    if (x > y) {
        unsigned char t = x;
        x = y;
        y = t;
    }
    return (x == '0' && y == 'o') || (x == '1' && (y == 'l' || y == 'i')) || (x == '5' && y == 's');
}

static int sub_cost(const mm_domains *d, unsigned char x, unsigned char y)
{
    if (x == y)
        return 0;
    if (lookalike(x, y))
        return 1;
    if (x >= 'a' && x <= 'z' && y >= 'a' && y <= 'z' && (d->adjacent[x] >> (y - 'a') & 1))
        return 1;
    /* Keys far apart are seldom hit by mistake, and eastmail.com is more
     * likely a company than a slip for fastmail.com: over the limit. */
    return LIMIT + 1;
}

/* Cost of dropping s[i] from what was typed: cheap when it is doubled; an
 * extra hyphen or dot is a choice of spelling (fast-mail.com), not a slip. */
static int indel_cost(const char *s, size_t n, size_t i)
{
    if (s[i] == '-' || s[i] == '.')
        return LIMIT + 1;
    return (i > 0 && s[i - 1] == s[i]) || (i + 1 < n && s[i + 1] == s[i]) ? 1 : 2;
}

/* Cost of missing the target's s[i]: a forgotten hyphen or dot is a slip
 * (tonline.de, vipqq.com), a forgotten doubled letter a small one. */
static int ins_cost(const char *s, size_t n, size_t i)
{
    if (s[i] == '-' || s[i] == '.')
        return 2;
    return indel_cost(s, n, i);
}

/* Is b one edit (substitution, insertion, deletion, swap of neighbours) or
 * less from a?  Two cheap edits (greennet -> freenet) are two slips: no. */
static bool one_edit(const char *a, size_t la, const char *b, size_t lb)
{
    size_t i = 0;
    while (i < la && i < lb && a[i] == b[i])
        i++;
    if (la == lb) {
        if (i == la || memcmp(a + i + 1, b + i + 1, la - i - 1) == 0)
            return true;
        return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
               memcmp(a + i + 2, b + i + 2, la - i - 2) == 0;
    }
    if (la == lb + 1)
        return memcmp(a + i + 1, b + i, lb - i) == 0;
    if (lb == la + 1)
        return memcmp(a + i, b + i + 1, la - i) == 0;
    return false;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/*
 * Weighted Damerau-Levenshtein (optimal string alignment) from typed a to
 * target b, in half-edits; any value above limit means "too far".
 */
static int edit_cost(const mm_domains *d, const char *a, size_t la, const char *b, size_t lb,
                     int limit)
{
    if (la > EDIT_MAX || lb > EDIT_MAX || (la > lb ? la - lb : lb - la) > (size_t)limit)
        return limit + 1;
    int rows[3][EDIT_MAX + 1];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    prev[0] = 0;
    for (size_t j = 1; j <= lb; j++)
        prev[j] = prev[j - 1] + ins_cost(b, lb, j - 1);
    for (size_t i = 1; i <= la; i++) {
        cur[0] = prev[0] + indel_cost(a, la, i - 1);
        int row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            int v =
                min3(prev[j] + indel_cost(a, la, i - 1), cur[j - 1] + ins_cost(b, lb, j - 1),
                     prev[j - 1] + sub_cost(d, (unsigned char)a[i - 1], (unsigned char)b[j - 1]));
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                prev2[j - 2] + 1 < v)
                v = prev2[j - 2] + 1;
            cur[j] = v;
            if (v < row_min)
                row_min = v;
        }
        if (row_min > limit)
            return limit + 1;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* The weighted cost when it is a single edit, else over the limit. */
static int slip_cost(const mm_domains *d, const char *a, size_t la, const char *b, size_t lb,
                     int limit)
{
    if (!one_edit(a, la, b, lb))
        return limit + 1;
    return edit_cost(d, a, la, b, lb, limit);
}

/* The best candidate so far. */
struct best {
    int cost;
    int target;     /* index into d->targets, -1 for none */
    bool ambiguous; /* another provider is as close */
    bool by_suffix; /* the name was intact: a TLD fix */
};

static void consider(const mm_domains *d, struct best *b, int target, int cost, bool by_suffix)
{
    if (cost > LIMIT)
        return;
    const struct dom_target *t = &d->targets[target];
    if (b->target < 0 || cost < b->cost) {
        *b = (struct best){.cost = cost, .target = target, .by_suffix = by_suffix};
        return;
    }
    if (cost > b->cost || target == b->target)
        return;
    const struct dom_target *o = &d->targets[b->target];
    if (strcmp(o->provider, t->provider) != 0)
        b->ambiguous = true;
    else if (t->order < o->order) /* same provider: its main domain */
        *b = (struct best){
            .cost = cost, .target = target, .by_suffix = by_suffix, .ambiguous = b->ambiguous};
}

static inline bool name_ends_has(const mm_domains *d, unsigned sfx, unsigned end, const char *two)
{
    uint32_t bit = mm_dom_name_ends_bit(sfx, end, (unsigned char)two[0], (unsigned char)two[1]);
    return d->name_ends[bit / 64] >> (bit % 64) & 1;
}

/*
 * Can a name of suffix id sfx be one edit from the typed name s[0..nl)?  One
 * edit (substitution, insertion, deletion, swap of neighbours) touches at
 * most two neighbouring places, so with 5 or more characters it leaves the
 * first two or the last two as they are: when no name of the suffix starts
 * or ends like that, none is near.  Most unknown domains (companies) stop
 * here, before the buckets are walked.  Shorter names are not filtered.
 */
static bool names_maybe(const mm_domains *d, const char *s, size_t nl, int sfx)
{
    return nl < 5 || name_ends_has(d, (unsigned)sfx, 0, s) ||
           name_ends_has(d, (unsigned)sfx, 1, s + nl - 2);
}

/* Targets with suffix id sfx (typed as s[start..n)) and a name close to s[0..start-1). */
static void match_names(const mm_domains *d, const char *s, size_t start, int sfx, struct best *b)
{
    size_t nl = start - 1, w = DOM_NAME_MAX + 2;
    if (!names_maybe(d, s, nl, sfx))
        return;
    const uint16_t *bucket = d->buckets + (size_t)sfx * w;
    const uint64_t *first = d->bucket_first + (size_t)sfx * w,
                   *last = d->bucket_last + (size_t)sfx * w;
    uint64_t c0 = mm_dom_charbit(s[0]), cl = mm_dom_charbit(s[nl - 1]);
    size_t lo = nl > 2 ? nl - 2 : 1, hi = nl + 2 < DOM_NAME_MAX ? nl + 2 : DOM_NAME_MAX;
    for (size_t l = lo; l <= hi; l++) {
        /* One edit keeps the first or the last character. */
        if (!(first[l] & c0) && !(last[l] & cl))
            continue;
        /* Names of 1-3 characters (qq, 163, aol, gmx) are too close to other
         * real names for a free edit: only a doubled letter (qqq.com). */
        bool short_name = l < 4;
        if (short_name && l + 1 != nl)
            continue;
        for (size_t i = bucket[l]; i < bucket[l + 1]; i++) {
            const struct dom_target *t = &d->targets[i];
            if (t->domain[0] != s[0] && t->domain[l - 1] != s[nl - 1])
                continue;
            int cost = slip_cost(d, s, nl, t->domain, t->name_len, short_name ? 1 : LIMIT);
            consider(d, b, (int)i, short_name && cost > 1 ? LIMIT + 1 : cost, false);
        }
    }
}

/* Do two suffixes end in the same TLD (con.uk and co.uk)? */
static bool same_tld(const char *a, size_t la, const char *b, size_t lb)
{
    const char *da = memrchr(a, '.', la), *db = memrchr(b, '.', lb);
    size_t ta = da ? la - (size_t)(da + 1 - a) : la, tb = db ? lb - (size_t)(db + 1 - b) : lb;
    return ta == tb && memcmp(a + la - ta, b + lb - tb, ta) == 0;
}

/* Targets whose name is exactly s[0..dot) and whose suffix is close to the rest. */
static void match_suffixes(const mm_domains *d, const char *s, size_t n, size_t dot,
                           bool tld_exists, struct best *b)
{
    const struct dom_slot *e = mm_dom_find(&d->names, s, dot);
    if (!e)
        return;
    for (size_t k = (size_t)e->val; k < d->ntargets; k++) {
        int ti = d->by_name[k];
        const struct dom_target *t = &d->targets[ti];
        if (t->name_len != dot || memcmp(t->domain, s, dot) != 0)
            break;
        const char *sfx = t->domain + t->name_len + 1;
        size_t typed = n - dot - 1, want = t->len - t->name_len - 1u;
        /* An existing TLD (gmail.co, qq.cm) is only moved to com, net or org;
         * kept as it is, the labels before it may be fixed (hotmail.con.uk). */
        if (tld_exists && !t->generic && !same_tld(s + dot + 1, typed, sfx, want))
            continue;
        /* Typing stopped short: gmail.c, hotmail.co.u (not a TLD, so not meant). */
        bool cut_short = !tld_exists && typed < want && memcmp(s + dot + 1, sfx, typed) == 0;
        int cost = cut_short ? (want - typed <= 2 ? 1 : LIMIT) /* the nearest ending wins */
                             : slip_cost(d, s + dot + 1, typed, sfx, want, LIMIT);
        consider(d, b, ti, cost, true);
    }
}

/* Step 5 with the dot before the last (prev, or NULL) already found. */
static struct best match_popular_at(const mm_domains *d, const char *s, size_t n, size_t dot1,
                                    const char *prev, const struct dom_slot *tld, bool tld_exists)
{
    struct best b = {.target = -1};
    if (tld && prev && (tld->flags & MM_TLD_SLD)) {
        size_t start = (size_t)(prev - s) + 1;
        const struct dom_slot *sx = mm_dom_find(&d->suffixes, s + start, n - start);
        if (sx)
            match_names(d, s, start, sx->val, &b);
    }
    if (tld && tld->val >= 0 && dot1 > 0 && names_maybe(d, s, dot1, tld->val))
        match_names(d, s, dot1 + 1, tld->val, &b);
    /* The filters inline: most unknown domains need neither call. */
    if (mm_dom_bloom_has(&d->names, s, dot1))
        match_suffixes(d, s, n, dot1, tld_exists, &b);
    if (prev && mm_dom_bloom_has(&d->names, s, (size_t)(prev - s)))
        match_suffixes(d, s, n, (size_t)(prev - s), tld_exists, &b);
    return b;
}

/* Step 5: the closest popular domain, or -1.  s[dot1] is the last dot. */
static struct best match_popular(const mm_domains *d, const char *s, size_t n, size_t dot1,
                                 const struct dom_slot *tld, bool tld_exists)
{
    return match_popular_at(d, s, n, dot1, dot1 ? memrchr(s, '.', dot1) : NULL, tld, tld_exists);
}

static bool emit(const char *s, size_t n, char *out, size_t outsz)
{
    if (n + 1 > outsz)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static mm_suggest_kind emit_target(const mm_domains *d, const struct best *b, const char *typed,
                                   size_t n, char *out, size_t outsz)
{
    const struct dom_target *t = &d->targets[b->target];
    if (!emit(t->domain, t->len, out, outsz))
        return MM_SUGGEST_NONE;
    bool lookalikes = n == t->len;
    for (size_t i = 0; lookalikes && i < n; i++)
        lookalikes = typed[i] == t->domain[i] ||
                     lookalike((unsigned char)typed[i], (unsigned char)t->domain[i]);
    if (lookalikes)
        return MM_SUGGEST_HOMOGLYPH;
    return b->by_suffix ? MM_SUGGEST_TLD : MM_SUGGEST_PROVIDER;
}

/* Step 3: no dot.  qq -> qq.com, hotmailcom -> hotmail.com, gmial -> gmail.com. */
static mm_suggest_kind suggest_dotless(const mm_domains *d, const char *s, size_t n, char *out,
                                       size_t outsz)
{
    const struct dom_slot *e = mm_dom_find(&d->names, s, n);
    if (e) {
        const struct dom_target *t = &d->targets[d->by_name[e->val]];
        return emit(t->domain, t->len, out, outsz) ? MM_SUGGEST_MISSING_TLD : MM_SUGGEST_NONE;
    }
    const struct dom_target *dot = NULL;
    struct best b = {.target = -1};
    for (size_t i = 0; i < d->ntargets; i++) {
        const struct dom_target *t = &d->targets[i];
        size_t k = t->name_len, j = k + 1;
        if (n > k && memcmp(s, t->domain, k) == 0) {
            for (; j < t->len && k < n; j++)
                if (t->domain[j] != '.' && t->domain[j] != s[k++])
                    break;
            if (j == t->len && k == n && (!dot || t->order < dot->order))
                dot = t;
        }
        if (t->name_len >= 5 && !memchr(t->domain, '.', t->name_len))
            consider(d, &b, (int)i, slip_cost(d, s, n, t->domain, t->name_len, LIMIT), false);
    }
    if (dot)
        return emit(dot->domain, dot->len, out, outsz) ? MM_SUGGEST_MISSING_DOT : MM_SUGGEST_NONE;
    if (b.target < 0 || b.ambiguous)
        return MM_SUGGEST_NONE;
    /* The main domain of the provider meant: the first with that name. */
    const struct dom_target *t = &d->targets[b.target];
    e = mm_dom_find(&d->names, t->domain, t->name_len);
    t = &d->targets[d->by_name[e->val]];
    return emit(t->domain, t->len, out, outsz) ? MM_SUGGEST_MISSING_TLD : MM_SUGGEST_NONE;
}

/* A real provider (popular.txt, free.txt): never corrected.  A listed
 * disposable domain may still be a typo-squat (gmial.com, hotmial.com). */
static bool is_known(const mm_domains *d, const char *s, size_t n)
{
    const struct dom_slot *e = mm_dom_lookup(d, s, n);
    return e && (e->flags & MM_DOM_KNOWN);
}

/* The high bit of every byte of w that is a "." (exact for every byte: no
 * carry runs between bytes). */
static inline uint64_t dots8(uint64_t w)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t x = w ^ 0x2E2E2E2E2E2E2E2Eull;
    return ~(((x & lo7) + lo7) | x | lo7);
}

/* The last two dots of s[0..n) (*last, then *prev; NULL when there are
 * fewer), 8 bytes at a time from the end: a byte loop cost about 70
 * instructions per unknown domain, and memrchr more.  The word is read
 * little-end first, so its highest set bit is the last dot. */
static void last_dots(const char *s, size_t n, const char **last, const char **prev)
{
    *last = *prev = NULL;
    uint32_t dm;
    if (mm_dom_dots(s, n, &dm)) { /* most domains: all dots from one or two compares */
        if (dm) {
            unsigned l = 31u - (unsigned)__builtin_clz(dm);
            *last = s + l;
            dm &= ~(1u << l);
            *prev = dm ? s + (31u - (unsigned)__builtin_clz(dm)) : NULL;
        }
        return;
    }
    size_t end = n;
    for (; end >= 8; end -= 8) {
        uint64_t w;
        memcpy(&w, s + end - 8, 8);
        for (uint64_t m = dots8(w); m; m &= ~(1ull << (63 - __builtin_clzll(m)))) {
            const char *p = s + end - 8 + (63 - __builtin_clzll(m)) / 8;
            if (*last) {
                *prev = p;
                return;
            }
            *last = p;
        }
    }
    while (end--) {
        if (s[end] != '.')
            continue;
        if (*last) {
            *prev = s + end;
            return;
        }
        *last = s + end;
    }
}

/* doubled_tld() with the last two dots known: last = s + dot1, prev. */
static bool doubled_at(const char *s, size_t *n, size_t dot1, const char *prev)
{
    const char *last = s + dot1;
    if (last == s)
        return false;
    size_t tl = *n - dot1 - 1;
    if (!prev || prev == s || (size_t)(last - prev - 1) != tl ||
        memcmp(prev + 1, last + 1, tl) != 0)
        return false;
    *n = dot1;
    return true;
}

/* Step 4a: gmail.com.com -> gmail.com (the TLD exists). */
static bool doubled_tld(const char *s, size_t *n)
{
    const char *last = memrchr(s, '.', *n);
    if (!last || last == s)
        return false;
    size_t tl = *n - (size_t)(last - s) - 1;
    const char *prev = memrchr(s, '.', (size_t)(last - s));
    if (!prev || prev == s || (size_t)(last - prev - 1) != tl ||
        memcmp(prev + 1, last + 1, tl) != 0)
        return false;
    *n = (size_t)(last - s);
    return true;
}

/* Step 4a: gmail.comcom -> gmail.com (the doubled TLD does not exist). */
static bool doubled_tld_nodot(const mm_domains *d, const char *s, size_t *n)
{
    const char *last = memrchr(s, '.', *n);
    if (!last || last == s)
        return false;
    size_t tl = *n - (size_t)(last - s) - 1;
    if (tl < 4 || tl % 2 || memcmp(last + 1, last + 1 + tl / 2, tl / 2) != 0 ||
        !mm_dom_tld_exists(d, last + 1, tl / 2))
        return false;
    *n -= tl / 2;
    return true;
}

/* Step 4b: digits typed for letters (gma1l.com, t-0nline.de), when that gives a known domain. */
static bool digits_for_letters(const mm_domains *d, const char *s, size_t n, char *out,
                               size_t outsz)
{
    char v[DOM_MAX + 1];
    for (int pass = 0; pass < 2; pass++) {
        bool changed = false, letters = false;
        size_t label = 0;
        memcpy(v, s, n);
        for (size_t i = 0; i <= n; i++) {
            if (i == n || s[i] == '.') {
                /* Only labels that mix digits and letters: 163 and 21cn stay. */
                for (size_t j = label; letters && j < i; j++) {
                    char c = s[j] == '0'   ? 'o'
                             : s[j] == '1' ? (pass ? 'i' : 'l')
                             : s[j] == '5' ? 's'
                                           : s[j];
                    changed |= c != s[j];
                    v[j] = c;
                }
                label = i + 1;
                letters = false;
            } else if (s[i] >= 'a' && s[i] <= 'z') {
                letters = true;
            }
        }
        if (changed && is_known(d, v, n))
            return emit(v, n, out, outsz);
    }
    return false;
}

/* The one word of list (count words) a slip away from the typed label, or NULL. */
static const char *nearest(const mm_domains *d, const char *label, size_t n,
                           const char *const *list, size_t count)
{
    const char *best = NULL;
    int best_cost = LIMIT + 1;
    bool tie = false;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(list[i]);
        if (len == n && memcmp(label, list[i], n) == 0)
            continue;
        int c = slip_cost(d, label, n, list[i], len, LIMIT);
        if (c < best_cost) {
            best = list[i];
            best_cost = c;
            tie = false;
        } else if (c == best_cost) {
            tie = true;
        }
    }
    return tie ? NULL : best;
}

/* Step 6: a TLD that does not exist -> the nearest common TLD, or NULL. */
static const char *fix_tld(const mm_domains *d, const char *tld, size_t n)
{
    return nearest(d, tld, n, fix_tlds, sizeof fix_tlds / sizeof *fix_tlds);
}

static bool is_public_suffix(const mm_domains *d, const char *s, size_t n)
{
    char buf[DOM_MAX + 1];
    if (!d->psl || n > DOM_MAX)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return psl_is_public_suffix2(d->psl, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
}

/* Is the label l (2 to 4 bytes) one of suggest_sld()'s second levels: com,
 * net, org, edu, gov, co, ac?  Compared as one number: most domains with
 * two dots ask, and a memcmp() call for each of seven names cost more. */
static bool is_sld(const char *l, size_t n)
{
    const unsigned char *u = (const unsigned char *)l;
    uint32_t k = (uint32_t)u[0] << 16 | (uint32_t)u[1] << 8 | (n == 3 ? u[2] : 0u);
    switch (n == 2 || n == 3 ? k : 0) {
    case 'c' << 16 | 'o' << 8 | 'm':
    case 'n' << 16 | 'e' << 8 | 't':
    case 'o' << 16 | 'r' << 8 | 'g':
    case 'e' << 16 | 'd' << 8 | 'u':
    case 'g' << 16 | 'o' << 8 | 'v':
        return n == 3;
    case 'c' << 16 | 'o' << 8:
    case 'a' << 16 | 'c' << 8:
        return n == 2;
    default:
        return false;
    }
}

/*
 * Step 6c: the TLD exists but the label before it is a slip for a second
 * level where companies register (haier.con.cn -> haier.com.cn, acme.co.ul is
 * step 6): only when that label and the TLD are no public suffix and the
 * fixed pair is one.  s[prev] and s[dot1] are the last two dots.
 */
static mm_suggest_kind suggest_sld(const mm_domains *d, const char *s, size_t n, size_t prev,
                                   size_t dot1, char *out, size_t outsz)
{
    static const char *const slds[] = {"com", "net", "org", "edu", "gov", "co", "ac"};
    static const unsigned char sld_len[] = {3, 3, 3, 3, 3, 2, 2};
    size_t sl = dot1 - prev - 1, tl = n - dot1; /* tl counts the dot */
    if (sl < 2 || sl > 4 || is_sld(s + prev + 1, sl))
        return MM_SUGGEST_NONE; /* com.cn, co.uk: meant as they are */
    char v[DOM_MAX + 8];
    size_t vn = 0;
    int best_cost = LIMIT + 1;
    bool tie = false, checked = false;
    for (size_t i = 0; i < sizeof slds / sizeof *slds; i++) {
        size_t fl = sld_len[i];
        int c = slip_cost(d, s + prev + 1, sl, slds[i], fl, LIMIT);
        if (c > best_cost || c > LIMIT || prev + 1 + fl + tl > DOM_MAX)
            continue;
        /* The typed pair must be no public suffix, the fixed pair one. */
        if (!checked && is_public_suffix(d, s + prev + 1, n - prev - 1))
            return MM_SUGGEST_NONE;
        checked = true;
        char pair[16];
        memcpy(pair, slds[i], fl);
        memcpy(pair + fl, s + dot1, tl < sizeof pair - fl ? tl : 0);
        if (tl >= sizeof pair - fl || !is_public_suffix(d, pair, fl + tl))
            continue;
        if (c == best_cost) {
            tie = true;
            continue;
        }
        best_cost = c;
        tie = false;
        memcpy(v, s, prev + 1);
        memcpy(v + prev + 1, slds[i], fl);
        memcpy(v + prev + 1 + fl, s + dot1, tl);
        vn = prev + 1 + fl + tl;
    }
    if (vn == 0 || tie)
        return MM_SUGGEST_NONE;
    return emit(v, vn, out, outsz) ? MM_SUGGEST_TLD : MM_SUGGEST_NONE;
}

/* s[dot1] is the last dot, and the TLD after it does not exist. */
static mm_suggest_kind suggest_tld(const mm_domains *d, const char *s, size_t n, size_t dot1,
                                   char *out, size_t outsz)
{
    const char *last = s + dot1;
    if (last == s)
        return MM_SUGGEST_NONE;
    size_t tl = n - (size_t)(last - s) - 1;
    bool letters = false;
    for (size_t i = 0; i < tl; i++)
        letters |= last[1 + i] >= 'a' && last[1 + i] <= 'z';
    if (tl < 2 || !letters)
        return MM_SUGGEST_NONE;
    const char *fix = fix_tld(d, last + 1, tl);
    if (!fix)
        return MM_SUGGEST_NONE;
    char v[DOM_MAX + 8];
    size_t head = (size_t)(last - s) + 1, fl = strlen(fix);
    if (head + fl > DOM_MAX)
        return MM_SUGGEST_NONE;
    memcpy(v, s, head);
    memcpy(v + head, fix, fl);
    size_t vn = head + fl;
    doubled_tld(v, &vn); /* qq.com.con -> qq.com.com -> qq.com */
    if (!is_known(d, v, vn)) {
        struct best b = match_popular(d, v, vn, head - 1, mm_dom_find_tld(d, fix, fl), true);
        if (b.target >= 0 && !b.ambiguous)
            return emit(d->targets[b.target].domain, d->targets[b.target].len, out, outsz)
                       ? MM_SUGGEST_PROVIDER
                       : MM_SUGGEST_NONE;
    }
    return emit(v, vn, out, outsz) ? MM_SUGGEST_TLD : MM_SUGGEST_NONE;
}

/*
 * Step 6b: .co, .cm, .om and .ne exist, but are mostly .com or .net cut short.
 * For an unknown company (acme.co) that is no reason to suggest anything;
 * with a misspelt provider name as well (gmial.co) it is.
 */
static mm_suggest_kind suggest_truncated(const mm_domains *d, const char *s, size_t n, size_t dot1,
                                         char *out, size_t outsz)
{
    const char *tld = s + dot1 + 1;
    if (n - dot1 - 1 != 2 || dot1 + 4 > DOM_MAX)
        return MM_SUGGEST_NONE;
    /* .co, .cm, .om -> .com; .ne -> .net (one switch: most 2-letter TLDs are none) */
    const char *full;
    switch ((unsigned char)tld[0] << 8 | (unsigned char)tld[1]) {
    case 'c' << 8 | 'o':
    case 'c' << 8 | 'm':
    case 'o' << 8 | 'm':
        full = "com";
        break;
    case 'n' << 8 | 'e':
        full = "net";
        break;
    default:
        return MM_SUGGEST_NONE;
    }
    char v[DOM_MAX + 1];
    memcpy(v, s, dot1 + 1);
    memcpy(v + dot1 + 1, full, 3);
    struct best b = match_popular(d, v, dot1 + 4, dot1, mm_dom_find_tld(d, full, 3), true);
    if (b.target < 0 || b.ambiguous || b.by_suffix)
        return MM_SUGGEST_NONE;
    const struct dom_target *t = &d->targets[b.target];
    return emit(t->domain, t->len, out, outsz) ? MM_SUGGEST_PROVIDER : MM_SUGGEST_NONE;
}

/* The kind for a fold that alone turned the input into a known domain. */
static mm_suggest_kind fold_kind(unsigned flags)
{
    if (flags & F_COMMA)
        return MM_SUGGEST_COMMA;
    if (flags & F_UNDERSCORE)
        return MM_SUGGEST_UNDERSCORE;
    if (flags & F_SPACE)
        return MM_SUGGEST_SPACE;
    if (flags & F_HOMOGLYPH)
        return MM_SUGGEST_HOMOGLYPH;
    if (flags & F_FULLWIDTH)
        return MM_SUGGEST_FULLWIDTH;
    if (flags & F_HYPHEN)
        return MM_SUGGEST_HYPHEN;
    return flags & F_DOTS ? MM_SUGGEST_DOTS : MM_SUGGEST_NONE;
}

static mm_suggest_kind suggest_unknown(const mm_domains *d, const char *s, size_t n, unsigned flags,
                                       char *out, size_t outsz)
{
    const char *last, *prev;
    last_dots(s, n, &last, &prev);
    if (!last)
        return suggest_dotless(d, s, n, out, outsz);
    size_t dot1 = (size_t)(last - s);
    const struct dom_slot *tld = mm_dom_find_tld(d, s + dot1 + 1, n - dot1 - 1);
    bool tld_exists = tld || mm_dom_tld_exists(d, s + dot1 + 1, n - dot1 - 1);
    size_t dn = n;
    if (tld_exists ? doubled_at(s, &dn, dot1, prev) : doubled_tld_nodot(d, s, &dn))
        return emit(s, dn, out, outsz) ? MM_SUGGEST_DOUBLED_TLD : MM_SUGGEST_NONE;
    if (n > 4 && memcmp(s, "www.", 4) == 0 && is_known(d, s + 4, n - 4))
        return emit(s + 4, n - 4, out, outsz) ? MM_SUGGEST_WWW : MM_SUGGEST_NONE;
    if ((flags & F_DIGIT) && digits_for_letters(d, s, n, out, outsz))
        return MM_SUGGEST_HOMOGLYPH;
    struct best b = match_popular_at(d, s, n, dot1, prev, tld, tld_exists);
    if (b.target >= 0)
        return b.ambiguous ? MM_SUGGEST_NONE : emit_target(d, &b, s, n, out, outsz);
    if (!tld_exists)
        return suggest_tld(d, s, n, dot1, out, outsz);
    mm_suggest_kind k = suggest_truncated(d, s, n, dot1, out, outsz);
    if (k == MM_SUGGEST_NONE && prev && prev > s)
        k = suggest_sld(d, s, n, (size_t)(prev - s), dot1, out, outsz);
    return k;
}

/* known_unknown: the caller has found the domain as given not known (see
 * lookup.h); then a fold that only changed case cannot make it known. */
static mm_suggest_kind suggest(const mm_domains *d, const char *domain, size_t len, char *out,
                               size_t outsz, bool known_unknown)
{
    if (out && outsz)
        out[0] = '\0';
    if (!d || !domain || !out || outsz == 0)
        return MM_SUGGEST_NONE;
    char s[DOM_MAX + 1];
    size_t n;
    unsigned flags = 0;
    if (len > 4 * DOM_MAX || !fold(d, domain, len, s, &n, &flags))
        return MM_SUGGEST_NONE;
    /* Without F_FIXES the fold only lower-cased: s is known iff the input is. */
    if (!(known_unknown && !(flags & F_FIXES)) && is_known(d, s, n))
        return (flags & F_FIXES) && emit(s, n, out, outsz) ? fold_kind(flags) : MM_SUGGEST_NONE;
    mm_suggest_kind k = suggest_unknown(d, s, n, flags, out, outsz);
    /* acme,com -> acme.com is clear anyway; an unknown domain with a Cyrillic
     * letter may be meant as it is. */
    unsigned fixes = flags & F_FIXES & ~(unsigned)F_HOMOGLYPH;
    if (flags & F_REALDOT)
        fixes &= ~(unsigned)F_UNDERSCORE; /* acme_widgets.com: a dot or a hyphen? */
    if (k == MM_SUGGEST_NONE && fixes && emit(s, n, out, outsz))
        k = fold_kind(fixes);
    return k;
}

mm_suggest_kind mm_domains_suggest(const mm_domains *d, const char *domain, size_t len, char *out,
                                   size_t outsz)
{
    return suggest(d, domain, len, out, outsz, false);
}

mm_suggest_kind mm_domains_suggest_unknown(const mm_domains *d, const char *domain, size_t len,
                                           char *out, size_t outsz)
{
    return suggest(d, domain, len, out, outsz, true);
}

const char *mm_suggest_kind_name(mm_suggest_kind k)
{
    static const char *const names[MM_SUGGEST_KIND_MAX_] = {
        [MM_SUGGEST_NONE] = "none",
        [MM_SUGGEST_PROVIDER] = "provider",
        [MM_SUGGEST_TLD] = "tld",
        [MM_SUGGEST_MISSING_TLD] = "missing_tld",
        [MM_SUGGEST_MISSING_DOT] = "missing_dot",
        [MM_SUGGEST_COMMA] = "comma",
        [MM_SUGGEST_DOUBLED_TLD] = "doubled_tld",
        [MM_SUGGEST_HOMOGLYPH] = "homoglyph",
        [MM_SUGGEST_FULLWIDTH] = "fullwidth",
        [MM_SUGGEST_DOTS] = "dots",
        [MM_SUGGEST_HYPHEN] = "hyphen",
        [MM_SUGGEST_WWW] = "www",
        [MM_SUGGEST_UNDERSCORE] = "underscore",
        [MM_SUGGEST_SPACE] = "space",
    };
    return (unsigned)k < MM_SUGGEST_KIND_MAX_ ? names[k] : "none";
}

const char *mm_suggest_kind_message(mm_suggest_kind k)
{
    static const char *const msgs[MM_SUGGEST_KIND_MAX_] = {
        [MM_SUGGEST_PROVIDER] = N_("The domain %1$s looks like a misspelling of %2$s."),
        [MM_SUGGEST_TLD] = N_("The ending of %1$s looks mistyped; did you mean %2$s?"),
        [MM_SUGGEST_MISSING_TLD] =
            N_("The domain %1$s has no ending such as .com; did you mean %2$s?"),
        [MM_SUGGEST_MISSING_DOT] = N_("A dot seems to be missing in %1$s; did you mean %2$s?"),
        [MM_SUGGEST_COMMA] =
            N_("The domain %1$s has a comma where a dot belongs; did you mean %2$s?"),
        [MM_SUGGEST_DOUBLED_TLD] = N_("The ending of %1$s is typed twice; did you mean %2$s?"),
        [MM_SUGGEST_HOMOGLYPH] = N_(
            "The domain %1$s contains a digit or a non-Latin letter that only looks like a letter; "
            "did you mean %2$s?"),
        [MM_SUGGEST_FULLWIDTH] = N_("The domain %1$s contains full-width characters from an input "
                                    "method; did you mean %2$s?"),
        [MM_SUGGEST_DOTS] = N_("The domain %1$s has a stray dot; did you mean %2$s?"),
        [MM_SUGGEST_HYPHEN] =
            N_("A part of the domain %1$s starts or ends with a hyphen; did you mean %2$s?"),
        [MM_SUGGEST_WWW] = N_(
            "The domain %1$s starts with www., which belongs to web addresses; did you mean %2$s?"),
        [MM_SUGGEST_UNDERSCORE] =
            N_("The domain %1$s has an underscore where a dot belongs; did you mean %2$s?"),
        [MM_SUGGEST_SPACE] = N_("The domain %1$s contains a space; did you mean %2$s?"),
    };
    return (unsigned)k < MM_SUGGEST_KIND_MAX_ ? msgs[k] : NULL;
}
