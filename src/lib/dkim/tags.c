/*
 * tags.c - the tag=value lists of RFC 6376 section 3.2 (shared by the
 * DKIM-Signature field and the key record), base64, and the checks of a
 * signature's tags that RFC 6376 section 6.1.1 makes before any crypto.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/dkim_int.h"
#include "util/str.h"

#define IS_FWS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

bool mm_dkim_eq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (mm_lower(s[i]) != mm_lower(lit[i]))
            return false;
    return true;
}

/* One tag-spec s[0..n) (between semicolons); false on bad syntax. */
static bool parse_spec(const char *s, size_t n, mm_dkim_tag *t, bool *empty)
{
    size_t a = 0, b = n;
    while (a < b && IS_FWS(s[a]))
        a++;
    while (b > a && IS_FWS(s[b - 1]))
        b--;
    *empty = a == b;
    if (*empty)
        return true;
    if (!IS_ALPHA(s[a]))
        return false;
    size_t k = a;
    while (k < b && (IS_ALPHA(s[k]) || IS_DIGIT(s[k]) || s[k] == '_'))
        k++;
    t->name = s + a;
    t->nlen = k - a;
    while (k < b && IS_FWS(s[k]))
        k++;
    if (k == b || s[k] != '=')
        return false;
    k++;
    while (k < b && IS_FWS(s[k]))
        k++;
    for (size_t i = k; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 && !IS_FWS(c))
            return false;
        if (c == 0x7f)
            return false;
    }
    t->value = s + k;
    t->vlen = b - k;
    return true;
}

bool mm_dkim_tags_parse(const char *s, size_t n, mm_dkim_tag *tags, size_t max, size_t *ntags)
{
    size_t p = 0, nt = 0;
    *ntags = 0;
    while (p <= n) {
        const char *semi = p < n ? memchr(s + p, ';', n - p) : NULL;
        size_t e = semi ? (size_t)(semi - s) : n;
        mm_dkim_tag t;
        bool empty;
        if (!parse_spec(s + p, e - p, &t, &empty))
            return false;
        if (!empty) {
            /* RFC 6376 3.2: a repeated tag name invalidates the whole list */
            for (size_t i = 0; i < nt; i++)
                if (tags[i].nlen == t.nlen && memcmp(tags[i].name, t.name, t.nlen) == 0)
                    return false;
            if (nt == max)
                return false;
            tags[nt++] = t;
        }
        p = e + 1;
    }
    *ntags = nt;
    return true;
}

const mm_dkim_tag *mm_dkim_tag_find(const mm_dkim_tag *tags, size_t n, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (tags[i].nlen == len && memcmp(tags[i].name, name, len) == 0)
            return &tags[i];
    return NULL;
}

bool mm_dkim_b64(const char *s, size_t n, unsigned char *out, size_t max, size_t *outlen)
{
    unsigned acc = 0;
    int bits = 0, pad = 0;
    size_t o = 0, chars = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (IS_FWS(c))
            continue;
        if (c == '=') {
            pad++;
            chars++;
            continue;
        }
        int v = mm_base64_value(c);
        if (v < 0 || pad)
            return false;
        chars++;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == max)
                return false;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (pad > 2 || chars % 4 != 0)
        return false;
    *outlen = o;
    return true;
}

/* A decimal of at most 18 digits (l=, t=, x= allow 12 or 76; more is abuse). */
static bool parse_num(const mm_dkim_tag *t, long long *out)
{
    if (!t->vlen || t->vlen > 18)
        return false;
    long long v = 0;
    for (size_t i = 0; i < t->vlen; i++) {
        if (!IS_DIGIT(t->value[i]))
            return false;
        v = v * 10 + (t->value[i] - '0');
    }
    *out = v;
    return true;
}

/* A domain name in LDH labels (RFC 6376 3.5 d=, the sub-domain of RFC 5321);
 * underscore_ok for selectors, which some signers use. Copied lower-case. */
static bool copy_domain(const char *s, size_t n, char *out, size_t max, bool underscore_ok)
{
    if (n == 0 || n >= max || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
        } else if (IS_ALPHA(c) || IS_DIGIT(c) || (c == '-' && label > 0) ||
                   (c == '_' && underscore_ok)) {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
        out[i] = mm_lower(c);
    }
    if (label == 0 || s[n - 1] == '-')
        return false;
    out[n] = '\0';
    return true;
}

/* True when list (colon-separated, FWS allowed) holds word, ignoring case. */
static bool list_has(const char *v, size_t n, const char *word)
{
    size_t p = 0;
    while (p <= n) {
        const char *c = p < n ? memchr(v + p, ':', n - p) : NULL;
        size_t e = c ? (size_t)(c - v) : n;
        size_t a = p, b = e;
        while (a < b && IS_FWS(v[a]))
            a++;
        while (b > a && IS_FWS(v[b - 1]))
            b--;
        if (mm_dkim_eq(v + a, b - a, word))
            return true;
        p = e + 1;
    }
    return false;
}

static mm_dkim_reason parse_alg(const mm_dkim_tag *a, mm_dkim_sigdata *sd)
{
    if (mm_dkim_eq(a->value, a->vlen, "rsa-sha256"))
        sd->alg = MM_DKIM_ALG_RSA_SHA256;
    else if (mm_dkim_eq(a->value, a->vlen, "rsa-sha1"))
        sd->alg = MM_DKIM_ALG_RSA_SHA1;
    else if (mm_dkim_eq(a->value, a->vlen, "ed25519-sha256"))
        sd->alg = MM_DKIM_ALG_ED25519_SHA256;
    else
        return MM_DKIM_R_UNSUPPORTED_ALGORITHM;
    return MM_DKIM_R_NONE;
}

static bool parse_canon(const mm_dkim_tag *c, mm_dkim_sigdata *sd)
{
    sd->hrelaxed = sd->brelaxed = false;
    if (!c)
        return true;
    const char *slash = memchr(c->value, '/', c->vlen);
    size_t hl = slash ? (size_t)(slash - c->value) : c->vlen;
    if (mm_dkim_eq(c->value, hl, "relaxed"))
        sd->hrelaxed = true;
    else if (!mm_dkim_eq(c->value, hl, "simple"))
        return false;
    if (!slash)
        return true;
    const char *b = slash + 1;
    size_t bl = c->vlen - hl - 1;
    if (mm_dkim_eq(b, bl, "relaxed"))
        sd->brelaxed = true;
    else if (!mm_dkim_eq(b, bl, "simple"))
        return false;
    return true;
}

/* i= must be d= or a subdomain of it (RFC 6376 3.5 i=, 6.1.1). */
static mm_dkim_reason check_identity(const mm_dkim_tag *i, mm_dkim_sigdata *sd, const char **why)
{
    if (!i) {
        strcpy(sd->idomain, sd->domain);
        return MM_DKIM_R_NONE;
    }
    /* the domain follows the last @ (a quoted local part may hold one) */
    const char *at = NULL;
    for (size_t k = 0; k < i->vlen; k++)
        if (i->value[k] == '@')
            at = i->value + k;
    if (!at) {
        *why = "i= has no @";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    size_t off = (size_t)(at - i->value) + 1;
    if (!copy_domain(at + 1, i->vlen - off, sd->idomain, sizeof sd->idomain, false)) {
        *why = "the domain of i= is not a domain name";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    size_t il = strlen(sd->idomain), dl = strlen(sd->domain);
    if (il == dl ? strcmp(sd->idomain, sd->domain) == 0
                 : il > dl && sd->idomain[il - dl - 1] == '.' &&
                       strcmp(sd->idomain + il - dl, sd->domain) == 0)
        return MM_DKIM_R_NONE;
    *why = "the domain of i= is neither d= nor below it";
    return MM_DKIM_R_DOMAIN_MISMATCH;
}

static mm_dkim_reason check_required(const mm_dkim_sigdata *sd, const char **why)
{
    static const char *const req[] = {"v", "a", "b", "bh", "d", "h", "s"};
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        if (!mm_dkim_tag_find(sd->tags, sd->ntags, req[i])) {
            *why = "a required tag (v, a, b, bh, d, h, s) is missing";
            return MM_DKIM_R_SIGNATURE_SYNTAX;
        }
    }
    const mm_dkim_tag *v = mm_dkim_tag_find(sd->tags, sd->ntags, "v");
    if (!(v->vlen == 1 && v->value[0] == '1')) {
        *why = "v= is not 1";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    return MM_DKIM_R_NONE;
}

static mm_dkim_reason parse_numbers(mm_dkim_sigdata *sd, const char **why)
{
    const mm_dkim_tag *t = mm_dkim_tag_find(sd->tags, sd->ntags, "t");
    const mm_dkim_tag *x = mm_dkim_tag_find(sd->tags, sd->ntags, "x");
    const mm_dkim_tag *l = mm_dkim_tag_find(sd->tags, sd->ntags, "l");
    sd->t = sd->x = sd->l = -1;
    if ((t && !parse_num(t, &sd->t)) || (x && !parse_num(x, &sd->x)) ||
        (l && !parse_num(l, &sd->l))) {
        *why = "t=, x= or l= is not a number";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    /* RFC 6376 3.5 x=: MUST be greater than t= */
    if (sd->t >= 0 && sd->x >= 0 && sd->x < sd->t) {
        *why = "x= is before t=";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    return MM_DKIM_R_NONE;
}

static mm_dkim_reason parse_hashes(mm_dkim_sigdata *sd, const char **why)
{
    const mm_dkim_tag *b = mm_dkim_tag_find(sd->tags, sd->ntags, "b");
    const mm_dkim_tag *bh = mm_dkim_tag_find(sd->tags, sd->ntags, "bh");
    if (!mm_dkim_b64(b->value, b->vlen, sd->b, sizeof sd->b, &sd->blen) || sd->blen == 0 ||
        !mm_dkim_b64(bh->value, bh->vlen, sd->bh, sizeof sd->bh, &sd->bhlen) || sd->bhlen == 0) {
        *why = "b= or bh= is not base64";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    return MM_DKIM_R_NONE;
}

mm_dkim_reason mm_dkim_sig_parse(const char *value, size_t len, mm_dkim_sigdata *sd,
                                 const char **why)
{
    mm_dkim_reason r;
    memset(sd, 0, sizeof *sd);
    sd->t = sd->x = sd->l = -1;
    *why = "";
    if (!mm_dkim_tags_parse(value, len, sd->tags, MM_DKIM_MAX_TAGS, &sd->ntags)) {
        *why = "the tag list is malformed or repeats a tag";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    if ((r = check_required(sd, why)) != MM_DKIM_R_NONE)
        return r;
    if ((r = parse_alg(mm_dkim_tag_find(sd->tags, sd->ntags, "a"), sd)) != MM_DKIM_R_NONE) {
        *why = "a= is not rsa-sha256, rsa-sha1 or ed25519-sha256";
        return r;
    }
    const mm_dkim_tag *d = mm_dkim_tag_find(sd->tags, sd->ntags, "d");
    const mm_dkim_tag *s = mm_dkim_tag_find(sd->tags, sd->ntags, "s");
    if (!copy_domain(d->value, d->vlen, sd->domain, sizeof sd->domain, false)) {
        *why = "d= is not a domain name";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    if (!copy_domain(s->value, s->vlen, sd->selector, sizeof sd->selector, true) ||
        strlen(sd->selector) + strlen(sd->domain) + 12 > 253) {
        *why = "s= is not a selector name";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    if (!parse_canon(mm_dkim_tag_find(sd->tags, sd->ntags, "c"), sd)) {
        *why = "c= names an unknown canonicalization";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    const mm_dkim_tag *q = mm_dkim_tag_find(sd->tags, sd->ntags, "q");
    if (q && !list_has(q->value, q->vlen, "dns/txt")) {
        *why = "q= does not offer dns/txt";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    const mm_dkim_tag *h = mm_dkim_tag_find(sd->tags, sd->ntags, "h");
    size_t names = 1;
    for (size_t i = 0; i < h->vlen; i++)
        names += h->value[i] == ':';
    /* each name is looked up among all header fields: bound the work */
    if (names > MM_DKIM_MAX_H_NAMES) {
        *why = "h= lists too many header fields";
        return MM_DKIM_R_SIGNATURE_SYNTAX;
    }
    if (!list_has(h->value, h->vlen, "from")) {
        *why = "h= does not list From (RFC 6376 5.4)";
        return MM_DKIM_R_HEADER_MISSING_FROM;
    }
    if ((r = parse_numbers(sd, why)) != MM_DKIM_R_NONE)
        return r;
    if ((r = parse_hashes(sd, why)) != MM_DKIM_R_NONE)
        return r;
    return check_identity(mm_dkim_tag_find(sd->tags, sd->ntags, "i"), sd, why);
}
