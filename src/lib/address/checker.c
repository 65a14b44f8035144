/*
 * checker.c - the shared, read-only part of address checking: the Public
 * Suffix List and a hash set of its TLDs, and the domain notes (unknown
 * TLD, dotless domain, special-use name).
 *
 * libpsl answers psl_is_public_suffix2() in ~180 ns, too slow for the
 * millions of addresses a second `verify` must check, so create() reads the
 * rule file beside the PSL that psl_latest() loaded, keeps the last label of
 * every rule that the loaded PSL confirms as a public suffix, and puts those
 * in an open-addressing set.  A miss in the set still asks libpsl, so the
 * set only speeds up the answer and never changes it.
 */
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address/address_int.h"

enum { PSL_FLAGS = PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE };

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* Bit index of a 2- or 3-letter a-z TLD, or -1. */
static inline long short_index(const char *s, size_t n)
{
    unsigned a = (unsigned)(s[0] - 'a'), b = (unsigned)(s[1] - 'a');
    if (n < 2 || n > 3 || a >= 26 || b >= 26)
        return -1;
    if (n == 2)
        return (long)(a * 26 + b);
    unsigned c = (unsigned)(s[2] - 'a');
    return c < 26 ? (long)(26 * 26 + (a * 26 + b) * 26 + c) : -1;
}

static bool set_has(const mm_addr_checker *c, const char *s, size_t n)
{
    long bit = n >= 2 ? short_index(s, n) : -1;
    if (bit >= 0)
        return c->short_tld[bit >> 3] >> (bit & 7) & 1;
    if (!c->slots)
        return false;
    for (uint32_t i = hash(s, n) & c->mask;; i = (i + 1) & c->mask) {
        uint32_t v = c->slots[i];
        if (!v)
            return false;
        const char *t = c->pool + v - 1;
        /* strnlen first: a stored TLD shorter than n ends before n bytes,
         * and memcmp must not read past its end (the pool is exact-size). */
        if (t[0] == s[0] && strnlen(t, n + 1) == n && memcmp(t, s, n) == 0)
            return true;
    }
}

static char *rules_path(void)
{
    /* psl_dist_filename() names the .dafsa; Debian ships the .dat beside it */
    const char *dist = psl_dist_filename();
    static const char fallback[] = "/usr/share/publicsuffix/public_suffix_list.dat";
    size_t n = dist ? strlen(dist) : 0;
    char *p = malloc(n + sizeof fallback);
    if (!p)
        return NULL;
    if (n > 6 && strcmp(dist + n - 6, ".dafsa") == 0) {
        memcpy(p, dist, n - 6);
        strcpy(p + n - 6, ".dat");
        FILE *f = fopen(p, "r");
        if (f) {
            fclose(f);
            return p;
        }
    }
    strcpy(p, fallback);
    return p;
}

/* The last label of a rule line, as an A-label in buf ("" for comments
 * and wildcards).  U-label TLDs (".中国") are stored as A-labels, which is
 * how mm_addr_check() asks. */
static size_t rule_tld(char *line, char *buf, size_t cap)
{
    size_t n = strcspn(line, " \t\r\n");
    line[n] = '\0';
    if (n == 0 || line[0] == '/')
        return 0;
    char *dot = strrchr(line, '.');
    char *t = dot ? dot + 1 : line + (line[0] == '!');
    bool high = false;
    for (char *q = t; *q; q++) {
        if (*q == '*')
            return 0;
        high |= (unsigned char)*q >= 0x80;
        if (*q >= 'A' && *q <= 'Z')
            *q = (char)(*q | 0x20);
    }
    if (!high) {
        size_t tn = strlen(t);
        if (tn >= cap)
            return 0;
        memcpy(buf, t, tn + 1);
        return tn;
    }
    char *a = NULL;
    size_t an = 0;
    if (idn2_lookup_u8((const uint8_t *)t, (uint8_t **)&a, IDN2_NONTRANSITIONAL) == IDN2_OK &&
        (an = strlen(a)) < cap)
        memcpy(buf, a, an + 1);
    else
        an = 0;
    free(a);
    return an;
}

/* Adds t; *added says whether it was new. */
static mm_status_t set_add(mm_addr_checker *c, size_t *used, size_t *cap, const char *t, size_t n,
                           bool *added)
{
    *added = false;
    if (set_has(c, t, n))
        return MM_OK;
    *added = true;
    long bit = short_index(t, n);
    if (bit >= 0) {
        c->short_tld[bit >> 3] |= (unsigned char)(1u << (bit & 7));
        return MM_OK;
    }
    if (*used + n + 1 > *cap)
        return MM_ENOMEM; /* the pool is sized from the file: cannot happen */
    memcpy(c->pool + *used, t, n + 1);
    uint32_t i = hash(t, n) & c->mask;
    while (c->slots[i])
        i = (i + 1) & c->mask;
    c->slots[i] = (uint32_t)*used + 1;
    *used += n + 1;
    return MM_OK;
}

static mm_status_t build_set(mm_addr_checker *c)
{
    char *path = rules_path();
    if (!path)
        return MM_ENOMEM;
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return MM_OK; /* no rule file: every lookup asks libpsl */
    mm_status_t st = MM_ENOMEM;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    size_t cap = size > 0 ? 2 * (size_t)size + 4096 : 4096, used = 0; /* A-labels are longer */
    c->mask = 8191;                                                   /* ~1,500 TLDs today */
    c->pool = malloc(cap);
    c->slots = calloc(c->mask + 1, sizeof *c->slots);
    if (!c->pool || !c->slots)
        goto done;
    char line[512], t[256];
    size_t count = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = rule_tld(line, t, sizeof t);
        if (!n || set_has(c, t, n) || !psl_is_public_suffix2(c->view, t, PSL_FLAGS))
            continue;
        if (count >= (c->mask + 1) / 2)
            break; /* keep the table half empty; the rest asks libpsl */
        bool added;
        st = set_add(c, &used, &cap, t, n, &added);
        if (st != MM_OK)
            goto done;
        count += added;
    }
    st = MM_OK;
    char *small = realloc(c->pool, used ? used : 1); /* the pool was sized for the worst case */
    if (small)
        c->pool = small;
done:
    fclose(f);
    return st;
}

mm_status_t mm_addr_checker_create(mm_addr_checker **out)
{
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    mm_addr_checker *c = calloc(1, sizeof *c);
    if (!c)
        return MM_ENOMEM;
    c->psl = psl_latest(NULL);
    c->view = c->psl ? c->psl : psl_builtin();
    if (!c->view) {
        free(c);
        return MM_ENOTFOUND;
    }
    mm_status_t st = build_set(c);
    if (st != MM_OK) {
        mm_addr_checker_free(c);
        return st;
    }
    *out = c;
    return MM_OK;
}

void mm_addr_checker_free(mm_addr_checker *c)
{
    if (!c)
        return;
    psl_free(c->psl);
    free(c->pool);
    free(c->slots);
    free(c);
}

static bool tld_known(const mm_addr_checker *c, const char *t, size_t n)
{
    char buf[256];
    if (set_has(c, t, n))
        return true;
    if (n >= sizeof buf)
        return false;
    memcpy(buf, t, n);
    buf[n] = '\0';
    return psl_is_public_suffix2(c->view, buf, PSL_FLAGS) != 0;
}

/* RFC 2606 / RFC 6761 (test, example, invalid, localhost), RFC 6762
 * (local), RFC 7686 (onion), RFC 9476 (alt): names that never get Internet
 * mail, though their syntax is fine. */
static bool special_tld(const char *t, size_t n)
{
    switch (n) {
    case 3:
        return memcmp(t, "alt", 3) == 0;
    case 4:
        return memcmp(t, "test", 4) == 0;
    case 5:
        return memcmp(t, "local", 5) == 0 || memcmp(t, "onion", 5) == 0;
    case 7:
        return memcmp(t, "example", 7) == 0 || memcmp(t, "invalid", 7) == 0;
    case 9:
        return memcmp(t, "localhost", 9) == 0;
    default:
        return false;
    }
}

/* special_name() past its first test (cold: few domains get this far). */
static bool special_name_slow(const char *d, size_t dn)
{
    static const struct {
        const char *s;
        size_t n;
    } names[] = {{"example.com", 11}, {"example.net", 11}, {"example.org", 11}, {"home.arpa", 9}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t k = names[i].n;
        if (dn >= k && memcmp(d + dn - k, names[i].s, k) == 0 && (dn == k || d[dn - k - 1] == '.'))
            return true;
    }
    return false;
}

/* example.com/.net/.org (RFC 2606 3), home.arpa (RFC 8375).  The first test
 * is inline: it runs for nearly every domain and rejects nearly all. */
static inline bool special_name(const char *d, size_t dn)
{
    if (dn < 9 ||
        (d[dn - 5] != '.' && (d[dn - 5] != 'e' || d[dn - 6] != 'l'))) /* ...le.com, ....arpa */
        return false;
    return special_name_slow(d, dn);
}

/* A note on the TLD, shown as typed (cold: most domains get none). */
static void note_tld(mm_addr_parse *p, mm_addr_code code)
{
    size_t toff = p->tld; /* the TLD's place in the input */
    char shown[64];
    size_t sl = p->n - toff < sizeof shown - 1 ? p->n - toff : sizeof shown - 1;
    memcpy(shown, p->s + toff, sl);
    shown[sl] = '\0';
    mm_addr_note(p, code, toff, shown);
}

void mm_addr_domain_notes(mm_addr_parse *p, size_t dom_off, size_t tld)
{
    const mm_addr *o = p->out;
    const char *d = o->domain_ascii;
    size_t dn = p->alen;
    const char *t = d + dn;
    if (tld != MM_ADDR_TLD_FIND) {
        t = d + tld; /* the fast path found it: no scan back */
    } else {
        while (t > d && t[-1] != '.')
            t--;
    }
    size_t tn = dn - (size_t)(t - d);
    /* The common case in one look, with the same answer as the chain below:
     * a listed 2- or 3-letter TLD (not "alt") on a domain that is no
     * special name gets no note. */
    if (t != d && (tn == 2 || tn == 3)) {
        long bit = short_index(t, tn);
        if (bit >= 0 && (p->c->short_tld[bit >> 3] >> (bit & 7) & 1) &&
            !(tn == 3 && memcmp(t, "alt", 3) == 0) && !special_name(d, dn))
            return;
    }
    if (special_tld(t, tn))
        note_tld(p, MM_ADDR_SPECIAL_USE);
    else if (special_name(d, dn))
        mm_addr_note(p, MM_ADDR_SPECIAL_USE, dom_off, d);
    else if (t == d)
        note_tld(p, MM_ADDR_DOTLESS);
    else if (!tld_known(p->c, t, tn))
        note_tld(p, MM_ADDR_TLD_UNKNOWN);
}
