/*
 * domains.c - the domain knowledge: tables built from the compiled-in lists,
 * address classes, role local parts and provider names.
 *
 * The lists arrive as C arrays generated from the lists in data/domains/ (data.h);
 * mm_domains_create() loads them into open-addressing hash tables whose keys
 * point into the arrays, so the object owns only the slot arrays.  Look-ups
 * fold ASCII case while hashing (8 bytes at a time), so callers need not
 * lower-case first.
 */
#include <stdlib.h>
#include <string.h>
#include "data.h"
#include "internal.h"
#include "lookup.h"

/* Generic suffixes: the only ones a valid TLD may be "corrected" to. */
static const char *const generic_suffixes[] = {"com", "net", "org"};

/* TLDs known to exist without asking libpsl; the rest are asked. */
static const char *const common_tlds[] = {
    "com", "net", "org", "edu", "gov", "mil",    "int",  "info", "biz",   "io",   "co", "me",
    "ai",  "app", "dev", "xyz", "top", "online", "site", "tech", "store", "shop", "cn", "de",
    "uk",  "ru",  "fr",  "jp",  "br",  "in",     "it",   "es",   "nl",    "au",   "ca", "us",
    "ch",  "se",  "eu",  "pl",  "be",  "at",     "dk",   "no",   "fi",    "kr",   "tw", "hk",
    "sg",  "my",  "id",  "vn",  "th",  "ph",     "mx",   "ar",   "cl",    "tr",   "za", "nz",
    "ie",  "pt",  "gr",  "cz",  "ua",  "il",     "ir",   "sa",   "ae",    "mobi",
};

/* The n bytes (1..8) at s as one little-endian-ish word, without a call to
 * memcpy for odd sizes: overlapping fixed-size loads. */
static inline uint64_t load_bytes(const char *s, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        return lo | ((uint64_t)hi << (8 * (n - 4)));
    }
    const unsigned char *u = (const unsigned char *)s;
    return u[0] | ((uint64_t)u[n / 2] << (8 * (n / 2))) | ((uint64_t)u[n - 1] << (8 * (n - 1)));
}

/* Whole 8-byte words, the last one overlapping the one before when the
 * length is no multiple of 8: no byte-sized tail to assemble.  Case is
 * folded by setting the 0x20 bit of every byte, which also makes a few
 * other bytes alike ("-" and CR, "@" and "`"): harmless for a hash, as
 * probe() compares the keys exactly, and one OR per word instead of the
 * exact lower-casing of mm_lower8(). */
uint32_t mm_dom_hash(const char *s, size_t len)
{
    const uint64_t caseless = 0x2020202020202020ull;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
    if (len <= 8) {
        if (len)
            h = (h ^ (load_bytes(s, len) | caseless)) * 0xff51afd7ed558ccdull;
    } else {
        for (size_t i = 0; i + 8 < len; i += 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            h = (h ^ (w | caseless)) * 0xff51afd7ed558ccdull;
            h ^= h >> 29;
        }
        uint64_t w;
        memcpy(&w, s + len - 8, 8);
        h = (h ^ (w | caseless)) * 0xff51afd7ed558ccdull;
    }
    h ^= h >> 29;
    h *= 0xc4ceb9fe1a85ec53ull;
    return (uint32_t)(h >> 32);
}

/* One word of a key (stored lower case) against the same word of s in any
 * case.  Callers mostly pass lower case already: an exact match then costs
 * one compare, and only a word that differs in no more than the 0x20 bits
 * is lower-cased to decide. */
static inline bool word_equal_folded(uint64_t k, uint64_t w)
{
    if (k == w)
        return true;
    return ((k ^ w) & ~0x2020202020202020ull) == 0 && k == mm_lower8(w);
}

/* key (stored lower case) against s in any case, len > 0. */
static inline bool equal_folded(const char *key, const char *s, size_t len)
{
    if (len <= 8)
        return word_equal_folded(load_bytes(key, len), load_bytes(s, len));
    for (size_t i = 0; i + 8 < len; i += 8) {
        uint64_t k, w;
        memcpy(&k, key + i, 8);
        memcpy(&w, s + i, 8);
        if (!word_equal_folded(k, w))
            return false;
    }
    uint64_t k, w;
    memcpy(&k, key + len - 8, 8);
    memcpy(&w, s + len - 8, 8);
    return word_equal_folded(k, w);
}

static inline const struct dom_slot *probe(const struct dom_table *t, const char *s, size_t len,
                                           uint32_t h)
{
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const struct dom_slot *e = &t->slots[i];
        if (!e->s)
            return NULL;
        if (e->hash == h && e->len == len && equal_folded(e->s, s, len))
            return e;
    }
}

const struct dom_slot *mm_dom_find(const struct dom_table *t, const char *s, size_t len)
{
    return mm_dom_bloom_has(t, s, len) ? probe(t, s, len, mm_dom_hash(s, len)) : NULL;
}

static inline size_t hbit(const struct dom_table *t, uint32_t h)
{
    return (uint32_t)(h * 0x9e3779b1u) >> (32 - t->hbits_log2);
}

static inline bool hbits_has(const struct dom_table *t, uint32_t h)
{
    size_t b = hbit(t, h);
    return t->hbits[b / 64] >> (b % 64) & 1;
}

const struct dom_slot *mm_dom_lookup(const mm_domains *d, const char *s, size_t len)
{
    if (len == 0 || len > DOM_MAX)
        return NULL;
    uint32_t h = mm_dom_hash(s, len);
    const struct dom_slot *e = hbits_has(&d->popular, h) ? probe(&d->popular, s, len, h) : NULL;
    return e || !hbits_has(&d->all, h) ? e : probe(&d->all, s, len, h);
}

static mm_status_t table_init(struct dom_table *t, size_t n)
{
    size_t size = 16;
    while (size < n * 2)
        size *= 2;
    t->slots = calloc(size, sizeof *t->slots);
    t->mask = (uint32_t)(size - 1);
    /* About 16 bits per entry: a few per cent of misses get past it. */
    t->hbits_log2 = 10;
    while (((size_t)1 << t->hbits_log2) < n * 16 && t->hbits_log2 < 24)
        t->hbits_log2++;
    t->hbits = calloc(((size_t)1 << t->hbits_log2) / 64, sizeof *t->hbits);
    return t->slots && t->hbits ? MM_OK : MM_ENOMEM;
}

/* Add s, or return the existing slot (the first insert wins). */
static struct dom_slot *table_add(struct dom_table *t, const char *s, size_t len, int32_t val)
{
    uint32_t h = mm_dom_hash(s, len);
    t->bloom[mm_dom_bloom_key(s, len)] |= 1ull << (len & 63);
    size_t b = hbit(t, h);
    t->hbits[b / 64] |= 1ull << (b % 64);
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        struct dom_slot *e = &t->slots[i];
        if (!e->s) {
            *e = (struct dom_slot){.s = s, .hash = h, .len = (uint16_t)len, .val = val};
            return e;
        }
        if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0)
            return e;
    }
}

bool mm_dom_tld_exists(const mm_domains *d, const char *tld, size_t len)
{
    if (len == 0 || len > 63)
        return false;
    if (mm_dom_find_tld(d, tld, len))
        return true;
    char buf[64];
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(tld[i] >= 'A' && tld[i] <= 'Z' ? tld[i] | 0x20 : tld[i]);
    buf[len] = '\0';
    return d->psl && psl_is_public_suffix2(d->psl, buf, PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE);
}

/* The public suffix of a popular domain: the longer of its last two labels or
 * its last label that the PSL lists (ICANN section), so vip.qq.com -> com and
 * yahoo.co.uk -> co.uk. */
static size_t suffix_start(const psl_ctx_t *psl, const char *dom)
{
    const char *last = strrchr(dom, '.');
    if (!last)
        return 0;
    for (const char *p = last - 1; p > dom; p--)
        if (*p == '.') {
            if (psl && psl_is_public_suffix2(psl, p + 1, PSL_TYPE_ICANN | PSL_TYPE_NO_STAR_RULE))
                return (size_t)(p + 1 - dom);
            break;
        }
    return (size_t)(last + 1 - dom);
}

/* The byte tables of the folding fast path (see suggest.c). */
static void build_fold(mm_domains *d)
{
    for (unsigned c = 0; c < 256; c++) {
        bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z',
             digit = c >= '0' && c <= '9';
        d->fold[c] = (unsigned char)(lower || digit || c == '-' || c == '.' ? c
                                     : upper                                ? c | 0x20
                                                                            : 0);
        d->fold_class[c] = (unsigned char)(d->fold[c] == 0 ? MM_FOLD_OTHER
                                           : digit         ? MM_FOLD_DIGIT
                                           : c == '-'      ? MM_FOLD_MINUS
                                           : c == '.'      ? MM_FOLD_DOT
                                                           : 0);
    }
}

static void build_keyboard(mm_domains *d)
{
    /* QWERTY rows with their stagger; keys are neighbours when they touch. */
    static const char *const rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
    static const int offset4[] = {0, 1, 3}; /* stagger in quarter keys */
    for (int r1 = 0; r1 < 3; r1++)
        for (int i = 0; rows[r1][i]; i++)
            for (int r2 = 0; r2 < 3; r2++)
                for (int j = 0; rows[r2][j]; j++) {
                    int dx = (4 * j + offset4[r2]) - (4 * i + offset4[r1]);
                    int dr = r2 - r1;
                    bool near = (dr == 0 && (dx == 4 || dx == -4)) ||
                                ((dr == 1 || dr == -1) && dx > -4 && dx < 4);
                    if (near)
                        d->adjacent[(unsigned char)rows[r1][i]] |= 1u << (rows[r2][j] - 'a');
                }
}

static int cmp_target(const void *a, const void *b)
{
    const struct dom_target *x = a, *y = b;
    if (x->suffix != y->suffix)
        return x->suffix - y->suffix;
    if (x->name_len != y->name_len)
        return x->name_len - y->name_len;
    return x->order - y->order;
}

static mm_status_t load_targets(mm_domains *d)
{
    d->ntargets = mm_dom_popular_count;
    d->targets = calloc(d->ntargets, sizeof *d->targets);
    if (!d->targets || table_init(&d->suffixes, d->ntargets) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < d->ntargets; i++) {
        struct dom_target *t = &d->targets[i];
        const char *dom = mm_dom_popular[i].domain;
        size_t len = strlen(dom), s = suffix_start(d->psl, dom);
        struct dom_slot *sx = table_add(&d->suffixes, dom + s, len - s, (int32_t)d->nsuffixes);
        if (sx->val == (int32_t)d->nsuffixes)
            d->nsuffixes++;
        *t = (struct dom_target){.domain = dom,
                                 .provider = mm_dom_provider_names[mm_dom_popular[i].provider],
                                 .order = (uint16_t)i,
                                 .len = (uint8_t)len,
                                 .name_len = (uint8_t)(s - 1),
                                 .suffix = (uint8_t)sx->val};
        for (size_t g = 0; g < sizeof generic_suffixes / sizeof *generic_suffixes; g++)
            t->generic |= strcmp(dom + s, generic_suffixes[g]) == 0;
    }
    qsort(d->targets, d->ntargets, sizeof *d->targets, cmp_target);
    return MM_OK;
}

/* Buckets: the targets with a given suffix and name length are contiguous. */
static mm_status_t load_buckets(mm_domains *d)
{
    size_t w = DOM_NAME_MAX + 2;
    d->buckets = calloc(d->nsuffixes * w, sizeof *d->buckets);
    if (!d->buckets)
        return MM_ENOMEM;
    for (size_t i = d->ntargets; i-- > 0;) {
        const struct dom_target *t = &d->targets[i];
        if (t->name_len <= DOM_NAME_MAX)
            d->buckets[t->suffix * w + t->name_len] = (uint16_t)(i + 1);
    }
    /* Store begin+1 above; turn into [begin, end) with end = next begin. */
    for (size_t s = 0; s < d->nsuffixes; s++) {
        uint16_t *b = d->buckets + s * w;
        uint16_t next = 0;
        for (size_t i = 0; i < d->ntargets; i++)
            if (d->targets[i].suffix == s)
                next = (uint16_t)(i + 1);
        b[DOM_NAME_MAX + 1] = next; /* end of the suffix's run */
        for (size_t l = DOM_NAME_MAX + 1; l-- > 0;)
            b[l] = b[l] ? (uint16_t)(b[l] - 1) : b[l + 1];
    }
    return MM_OK;
}

static mm_status_t load_names(mm_domains *d)
{
    d->by_name = malloc(d->ntargets * sizeof *d->by_name);
    if (!d->by_name || table_init(&d->names, d->ntargets) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < d->ntargets; i++)
        d->by_name[i] = (uint16_t)i;
    /* qsort has no context argument; insertion sort keeps this reentrant. */
    for (size_t i = 1; i < d->ntargets; i++)
        for (size_t j = i; j > 0; j--) {
            const struct dom_target *x = &d->targets[d->by_name[j - 1]],
                                    *y = &d->targets[d->by_name[j]];
            size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
            int c = memcmp(x->domain, y->domain, n);
            if (c == 0)
                c = x->name_len != y->name_len ? x->name_len - y->name_len : x->order - y->order;
            if (c <= 0)
                break;
            uint16_t tmp = d->by_name[j];
            d->by_name[j] = d->by_name[j - 1];
            d->by_name[j - 1] = tmp;
        }
    for (size_t i = 0; i < d->ntargets; i++) {
        const struct dom_target *t = &d->targets[d->by_name[i]];
        table_add(&d->names, t->domain, t->name_len, (int32_t)i);
    }
    return MM_OK;
}

static mm_status_t load_all(mm_domains *d)
{
    size_t n = mm_dom_popular_count + mm_dom_free_count + mm_dom_disposable_count;
    if (table_init(&d->all, n) != MM_OK || table_init(&d->popular, d->ntargets) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < d->ntargets; i++) {
        const struct dom_target *t = &d->targets[i];
        int kind = mm_dom_popular[t->order].kind;
        uint16_t flags = MM_DOM_KNOWN | (kind == MM_DOM_KIND_PAID ? 0 : MM_DOM_FREE);
        table_add(&d->all, t->domain, t->len, (int32_t)i)->flags = flags;
        table_add(&d->popular, t->domain, t->len, (int32_t)i)->flags = flags;
    }
    for (size_t i = 0; i < mm_dom_free_count; i++) {
        struct dom_slot *e = table_add(&d->all, mm_dom_free[i], strlen(mm_dom_free[i]), -1);
        e->flags |= MM_DOM_KNOWN | MM_DOM_FREE;
    }
    for (size_t i = 0; i < mm_dom_disposable_count; i++) {
        struct dom_slot *e =
            table_add(&d->all, mm_dom_disposable[i], strlen(mm_dom_disposable[i]), -1);
        /* Curation: a known provider is never disposable (gen_data.py also refuses it). */
        if (!(e->flags & MM_DOM_KNOWN))
            e->flags |= MM_DOM_DISPOSABLE;
    }
    return MM_OK;
}

/*
 * TLDs known to exist, each with what the typo filter needs to know about it
 * in one look-up: val = the id of the TLD as a target suffix (com, de) or -1,
 * flags = MM_TLD_SLD when some target has a two-label suffix under it (co.uk).
 */
static mm_status_t load_tlds(mm_domains *d)
{
    size_t n = sizeof common_tlds / sizeof *common_tlds;
    if (table_init(&d->tlds, n + d->nsuffixes) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < n; i++)
        table_add(&d->tlds, common_tlds[i], strlen(common_tlds[i]), -1);
    for (size_t i = 0; i < d->ntargets; i++) {
        const struct dom_target *t = &d->targets[i];
        const char *sfx = t->domain + t->name_len + 1, *last = strrchr(sfx, '.');
        struct dom_slot *e =
            table_add(&d->tlds, last ? last + 1 : sfx, strlen(last ? last + 1 : sfx), -1);
        if (last)
            e->flags |= MM_TLD_SLD;
        else
            e->val = t->suffix;
    }
    for (uint32_t i = 0; i <= d->tlds.mask; i++) {
        const struct dom_slot *e = &d->tlds.slots[i];
        long k = e->s && (e->len == 2 || e->len == 3) ? mm_dom_short_tld(e->s, e->len) : -1;
        if (k >= 0)
            d->tld_index[k] = (uint16_t)(i + 1);
    }
    return MM_OK;
}

/* Per (suffix, name length) bucket: the first and last characters of its
 * names, so a bucket none of whose names could be one edit away is skipped
 * without looking at its names. */
static mm_status_t load_bucket_chars(mm_domains *d)
{
    size_t w = DOM_NAME_MAX + 2;
    d->bucket_first = calloc(d->nsuffixes * w, sizeof *d->bucket_first);
    d->bucket_last = calloc(d->nsuffixes * w, sizeof *d->bucket_last);
    if (!d->bucket_first || !d->bucket_last)
        return MM_ENOMEM;
    for (size_t i = 0; i < d->ntargets; i++) {
        const struct dom_target *t = &d->targets[i];
        if (t->name_len > DOM_NAME_MAX || t->name_len == 0)
            continue;
        d->bucket_first[t->suffix * w + t->name_len] |= mm_dom_charbit(t->domain[0]);
        d->bucket_last[t->suffix * w + t->name_len] |= mm_dom_charbit(t->domain[t->name_len - 1]);
        if (t->name_len < 2)
            continue;
        const unsigned char *nm = (const unsigned char *)t->domain;
        size_t l = t->name_len;
        uint32_t b0 = mm_dom_name_ends_bit(t->suffix, 0, nm[0], nm[1]),
                 b1 = mm_dom_name_ends_bit(t->suffix, 1, nm[l - 2], nm[l - 1]);
        d->name_ends[b0 / 64] |= 1ull << (b0 % 64);
        d->name_ends[b1 / 64] |= 1ull << (b1 % 64);
    }
    return MM_OK;
}

/* Roles: alias -> index into mm_dom_roles, behind the first/last/length filter. */
static mm_status_t load_roles(mm_domains *d)
{
    if (table_init(&d->roles, mm_dom_roles_count) != MM_OK)
        return MM_ENOMEM;
    for (size_t i = 0; i < mm_dom_roles_count; i++) {
        size_t len = strlen(mm_dom_roles[i].alias);
        table_add(&d->roles, mm_dom_roles[i].alias, len, (int32_t)i);
        if (len > d->role_max)
            d->role_max = len;
    }
    return MM_OK;
}

mm_status_t mm_domains_create(mm_domains **out)
{
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    mm_domains *d = calloc(1, sizeof *d);
    if (!d)
        return MM_ENOMEM;
    /* The newest of libpsl's built-in list and the system's file. */
    d->psl = psl_latest(NULL);
    if (!d->psl)
        d->psl = (psl_ctx_t *)psl_builtin();
    build_keyboard(d);
    build_fold(d);
    mm_status_t st = load_targets(d);
    if (st == MM_OK)
        st = load_buckets(d);
    if (st == MM_OK)
        st = load_names(d);
    if (st == MM_OK)
        st = load_all(d);
    if (st == MM_OK)
        st = load_tlds(d);
    if (st == MM_OK)
        st = load_bucket_chars(d);
    if (st == MM_OK)
        st = load_roles(d);
    if (st != MM_OK) {
        mm_domains_free(d);
        return st;
    }
    *out = d;
    return MM_OK;
}

void mm_domains_free(mm_domains *d)
{
    if (!d)
        return;
    psl_free(d->psl); /* a no-op for the built-in list */
    struct dom_table *tables[] = {&d->popular,  &d->all,  &d->names,
                                  &d->suffixes, &d->tlds, &d->roles};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        free(tables[i]->slots);
        free(tables[i]->hbits);
    }
    free(d->targets);
    free(d->by_name);
    free(d->buckets);
    free(d->bucket_first);
    free(d->bucket_last);
    free(d);
}

/* Is a parent of domain (s[0..len), unknown itself) a listed throwaway
 * service?  They hand out any subdomain: the parents that still have two
 * labels are asked (no list holds a bare TLD). */
static unsigned disposable_parent(const mm_domains *d, const char *domain, size_t len)
{
    uint32_t m;
    if (mm_dom_dots(domain, len, &m)) {   /* most domains: no memchr calls */
        for (; m & (m - 1); m &= m - 1) { /* a dot that is not the last */
            size_t i = (size_t)__builtin_ctz(m) + 1;
            const struct dom_slot *e = mm_dom_lookup(d, domain + i, len - i);
            if (e && (e->flags & MM_DOM_DISPOSABLE))
                return MM_DOM_DISPOSABLE;
        }
        return 0;
    }
    const char *end = domain + len, *p = memchr(domain, '.', len);
    while (p && memchr(p + 1, '.', (size_t)(end - p - 1))) {
        const struct dom_slot *e = mm_dom_lookup(d, p + 1, (size_t)(end - p - 1));
        if (e && (e->flags & MM_DOM_DISPOSABLE))
            return MM_DOM_DISPOSABLE;
        p = memchr(p + 1, '.', (size_t)(end - p - 1));
    }
    return 0;
}

unsigned mm_domains_lookup(const mm_domains *d, const char *domain, size_t len,
                           const char **provider)
{
    *provider = NULL;
    if (!d || !domain)
        return 0;
    if (len && domain[len - 1] == '.')
        len--; /* the root label */
    const struct dom_slot *e = mm_dom_lookup(d, domain, len);
    if (e) {
        if (e->val >= 0)
            *provider = d->targets[e->val].provider;
        return e->flags;
    }
    return disposable_parent(d, domain, len);
}

unsigned mm_domains_class(const mm_domains *d, const char *domain, size_t len)
{
    const char *provider;
    return mm_domains_lookup(d, domain, len, &provider);
}

const char *mm_domains_provider(const mm_domains *d, const char *domain, size_t len)
{
    if (!d || !domain)
        return NULL;
    if (len && domain[len - 1] == '.')
        len--;
    if (len == 0 || len > DOM_MAX)
        return NULL;
    /* Only the popular domains name a provider, and all of them are in the
     * small table: the big one need not be asked. */
    uint32_t h = mm_dom_hash(domain, len);
    const struct dom_slot *e =
        hbits_has(&d->popular, h) ? probe(&d->popular, domain, len, h) : NULL;
    return e ? d->targets[e->val].provider : NULL;
}

/* The high bit of every byte of w equal to ch (exact for every byte). */
static inline uint64_t eq8(uint64_t w, unsigned ch)
{
    const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t x = w ^ (0x0101010101010101ull * ch);
    return ~(((x & lo7) + lo7) | x | lo7);
}

static inline bool role_sep(unsigned char c)
{
    return c == '-' || c == '_' || c == '.';
}

/* The role look-up's filter, before the alias is built: the length that
 * counts (up to "+", without "-", "_" and ".") 8 bytes at a time, and the
 * first and last characters.  False when no alias can match; true when the
 * full look-up must decide. */
#ifdef __SSE2__
/* The set bits of x < 2^16, inline: without -mpopcnt __builtin_popcount
 * is a call into libgcc that costs more than the rest of the span. */
static inline size_t popcount16(unsigned x)
{
    x = x - ((x >> 1) & 0x5555u);
    x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
    x = (x + (x >> 4)) & 0x0F0Fu;
    return (x + (x >> 8)) & 0x1Fu;
}

/* The end (*end: the first "+", or len) and the separators before it
 * (*seps) from lane masks already moved to their places (bit i = local[i]). */
static inline void role_span_masks(unsigned pm, unsigned sm, size_t len, size_t *end, size_t *seps)
{
    *end = pm ? (size_t)__builtin_ctz(pm) : len;
    *seps = popcount16(sm & ((1u << *end) - 1));
}

/* The lanes of v that are "-", "_" or ".". */
static inline __m128i role_seps(__m128i v)
{
    return _mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8('-')),
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('_')), _mm_cmpeq_epi8(v, _mm_set1_epi8('.'))));
}

/* role_span() for 8..16 bytes with one vector (see mm_dom_load_halves()). */
static void role_span16(const char *local, size_t len, size_t *end, size_t *seps)
{
    __m128i v = mm_dom_load_halves(local, len);
    unsigned pm = mm_dom_halves_mask(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')), len);
    role_span_masks(pm, mm_dom_halves_mask(role_seps(v), len), len, end, seps);
}

/* The 8-lane mask m (lanes 0-3 = local[0..4), 4-7 = local[len-4..len))
 * with the repeated lanes dropped and the rest moved to their places. */
static inline unsigned quarters_mask(unsigned m, size_t len)
{
    unsigned dup = ((1u << (8 - len)) - 1) << 4;
    return (m & 0xFu) | (m & 0xF0u & ~dup) >> 4 << (len - 4);
}

/* role_span() for 4..7 bytes: the same with the first and last 4 bytes in
 * the low 8 lanes (the others are zero, which matches no separator). */
static void role_span8(const char *local, size_t len, size_t *end, size_t *seps)
{
    uint32_t lo, hi;
    memcpy(&lo, local, 4);
    memcpy(&hi, local + len - 4, 4);
    /* _mm_set_epi32, not _mm_cvtsi64_si128: that one exists on x86-64 only */
    __m128i v = _mm_set_epi32(0, 0, (int)hi, (int)lo);
    unsigned pm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('+')));
    unsigned sm = (unsigned)_mm_movemask_epi8(role_seps(v));
    role_span_masks(quarters_mask(pm, len), quarters_mask(sm, len), len, end, seps);
}
#endif

/* The length that counts for a role (up to "+"): *end, and how many "-",
 * "_" and "." it has: *seps. */
static void role_span(const char *local, size_t len, size_t *end_out, size_t *seps_out)
{
#ifdef __SSE2__
    if (len >= 4 && len <= 16) {
        if (len >= 8)
            role_span16(local, len, end_out, seps_out);
        else
            role_span8(local, len, end_out, seps_out);
        return;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull;
    size_t end = len, seps = 0, i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, local + i, 8);
        uint64_t plus = eq8(w, '+'), sep = eq8(w, '-') | eq8(w, '_') | eq8(w, '.');
        if (plus) {
            unsigned k = (unsigned)__builtin_ctzll(plus) / 8; /* bytes before the "+" */
            end = i + k;
            sep &= k ? ~0ull >> (64 - 8 * k) : 0;
            seps += (size_t)(((sep >> 7) * ones) >> 56);
            i = len;
            break;
        }
        seps += (size_t)(((sep >> 7) * ones) >> 56);
    }
    for (; i < len; i++) {
        if (local[i] == '+') {
            end = i;
            break;
        }
        seps += role_sep((unsigned char)local[i]);
    }
    *end_out = end;
    *seps_out = seps;
}

static bool role_maybe(const mm_domains *d, const char *local, size_t len)
{
    size_t end, seps;
    role_span(local, len, &end, &seps);
    size_t n = end - seps;
    if (n == 0 || n > d->role_max)
        return false;
    if (role_sep((unsigned char)local[0]) || role_sep((unsigned char)local[end - 1]))
        return true; /* the first or last that counts is elsewhere: ask in full */
    const struct dom_table *t = &d->roles; /* mm_dom_bloom_has() on the alias to be built */
    unsigned key = mm_dom_bloom_key_ends((unsigned char)local[0], (unsigned char)local[end - 1]);
    return t->slots && (t->bloom[key] >> (n & 63) & 1);
}

const char *mm_domains_role(const mm_domains *d, const char *local, size_t len)
{
    if (!d || !local)
        return NULL;
    if (!role_maybe(d, local, len))
        return NULL;
    char buf[65];
    size_t n = 0;
    for (size_t i = 0; i < len && local[i] != '+'; i++) {
        unsigned char c = (unsigned char)local[i];
        if (c == '-' || c == '_' || c == '.')
            continue;
        if (n == d->role_max)
            return NULL; /* longer than any role: most personal names stop here */
        buf[n++] = (char)c;
    }
    /* The table look-up folds case itself. */
    const struct dom_slot *e = mm_dom_find(&d->roles, buf, n);
    return e ? mm_dom_roles[e->val].canonical : NULL;
}
