/*
 * record.c - the DMARC record parser (RFC 7489 6.3 tags, 6.4 ABNF, 6.6.3
 * steps 2 and 6).
 *
 * The record must open with "v" *WSP "=" *WSP "DMARC1" and then end or go on
 * with ";" (else it is not DMARC).  The rest is split on ";" into tag=value
 * pairs; each known tag has a value checker.  A bad value is discarded for
 * the default (6.3: "syntax errors in the remainder of the record SHOULD be
 * discarded in favor of default values"), except p and sp, whose failure
 * decides the outcome (6.6.3 step 6: act as p=none when rua is valid, else no
 * DMARC processing).  Every oddity becomes a lint finding (lint.c).
 *
 * Leniency, each with a lint: upper-case tag names and keyword values, CR/LF
 * and leading whitespace read as WSP, duplicate tags (the first wins), p not
 * in second place.  The version value itself is case-sensitive ("DMARC1",
 * %x44.4d.41.52.43.31).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc_int.h"
#include "util/str.h"

typedef struct span {
    const char *s;
    size_t n;
} span;

typedef struct parser {
    mm_dmarc_rec_impl *r;
    mm_status_t st;
    unsigned seen; /* bit per tag index */
    bool p_invalid, sp_invalid;
    int ntags; /* tags after v, for p_not_second */
} parser;

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* CR and LF are not WSP in the ABNF; they appear when a record is pasted. */
static bool is_space_ish(char c)
{
    return is_wsp(c) || c == '\r' || c == '\n';
}

static span trim(span v)
{
    while (v.n && is_space_ish(v.s[0]))
        v.s++, v.n--;
    while (v.n && is_space_ish(v.s[v.n - 1]))
        v.n--;
    return v;
}

static bool span_eq_ci(span v, const char *w)
{
    return strlen(w) == v.n && strncasecmp(v.s, w, v.n) == 0;
}

static bool has_upper(span v)
{
    for (size_t i = 0; i < v.n; i++)
        if (v.s[i] >= 'A' && v.s[i] <= 'Z')
            return true;
    return false;
}

static void lint(parser *p, const char *id, const char *tag, span value)
{
    mm_dmarc_record *pub = &p->r->pub;
    const mm_dmarc_lint_def *def = mm_dmarc_lint_find(id);
    if (!def || pub->nlints >= MM_DMARC_MAX_LINTS || p->st != MM_OK)
        return;
    for (size_t i = 0; i < pub->nlints; i++) { /* the same finding once */
        const mm_dmarc_lint *l = &p->r->lints[i];
        if (strcmp(l->id, id) == 0 && strcmp(l->tag, tag) == 0 && strlen(l->value) == value.n &&
            (value.n == 0 || memcmp(l->value, value.s, value.n) == 0))
            return;
    }
    char *v = mm_arena_strndup(&p->r->arena, value.s ? value.s : "", value.n);
    if (!v) {
        p->st = MM_ENOMEM;
        return;
    }
    p->r->lints[pub->nlints++] = (mm_dmarc_lint){def->id, def->severity, def->message, tag, v};
}

static void lint0(parser *p, const char *id, const char *tag)
{
    lint(p, id, tag, (span){"", 0});
}

static mm_dmarc_policy parse_policy(span v)
{
    if (span_eq_ci(v, "none"))
        return MM_DMARC_POLICY_NONE;
    if (span_eq_ci(v, "quarantine"))
        return MM_DMARC_POLICY_QUARANTINE;
    if (span_eq_ci(v, "reject"))
        return MM_DMARC_POLICY_REJECT;
    return MM_DMARC_POLICY_UNSET;
}

/* 1*ndigits DIGIT into *out; false on anything else or overflow of max. */
static bool parse_number(span v, size_t ndigits, uint64_t max, uint64_t *out)
{
    if (v.n == 0 || v.n > ndigits)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.s[i] < '0' || v.s[i] > '9')
            return false;
        x = x * 10 + (uint64_t)(v.s[i] - '0');
        if (x > max)
            return false;
    }
    *out = x;
    return true;
}

/* The host of a mailto: addr-spec ("local@host[?hfields]"), checked as LDH labels. */
static bool mailto_host(span rest, span *host)
{
    const char *q = memchr(rest.s, '?', rest.n);
    size_t n = q ? (size_t)(q - rest.s) : rest.n;
    const char *at = NULL;
    for (size_t i = 0; i < n; i++)
        if (rest.s[i] == '@')
            at = rest.s + i;
    if (!at || at == rest.s)
        return false;
    span h = {at + 1, n - (size_t)(at + 1 - rest.s)};
    if (h.n && h.s[h.n - 1] == '.')
        h.n--;
    if (h.n == 0 || h.n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < h.n; i++) {
        char c = h.s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    *host = h;
    return label > 0;
}

/* "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] (6.4 dmarc-uri), in bytes. */
static bool parse_size(span v, uint64_t *out)
{
    unsigned shift = 0;
    if (v.n) {
        switch (v.s[v.n - 1] | 0x20) {
        case 'k':
            shift = 10;
            break;
        case 'm':
            shift = 20;
            break;
        case 'g':
            shift = 30;
            break;
        case 't':
            shift = 40;
            break;
        default:
            break;
        }
        if (shift)
            v.n--;
    }
    uint64_t x;
    if (!parse_number(v, 15, UINT64_MAX >> 41, &x))
        return false;
    *out = x << shift;
    return true;
}

/* One URI of rua/ruf: a scheme, then visible ASCII; an optional !size. */
static bool parse_uri(span item, mm_dmarc_uri *u, span *uri, span *host)
{
    const char *bang = memchr(item.s, '!', item.n);
    *uri = (span){item.s, bang ? (size_t)(bang - item.s) : item.n};
    u->max_size = 0;
    if (bang && !parse_size((span){bang + 1, item.n - uri->n - 1}, &u->max_size))
        return false;
    size_t i = 0;
    if (uri->n == 0 || !((uri->s[0] | 0x20) >= 'a' && (uri->s[0] | 0x20) <= 'z'))
        return false;
    while (i < uri->n && uri->s[i] != ':') {
        char c = uri->s[i];
        if (!((c | 0x20) >= 'a' && (c | 0x20) <= 'z') && !(c >= '0' && c <= '9') && c != '+' &&
            c != '-' && c != '.')
            return false;
        i++;
    }
    if (i == uri->n || i + 1 == uri->n)
        return false;
    for (size_t j = i + 1; j < uri->n; j++)
        if ((unsigned char)uri->s[j] <= 0x20 || (unsigned char)uri->s[j] >= 0x7f)
            return false;
    u->mailto = i == 6 && strncasecmp(uri->s, "mailto", 6) == 0;
    *host = (span){"", 0};
    if (u->mailto && !mailto_host((span){uri->s + 7, uri->n - 7}, host))
        return false;
    return true;
}

static void parse_uris(parser *p, const char *tag, span v, mm_dmarc_uri *arr, size_t *count)
{
    const char *bad_id = tag[2] == 'a' ? "invalid_rua_uri" : "invalid_ruf_uri";
    while (p->st == MM_OK) {
        const char *comma = memchr(v.s, ',', v.n);
        span item = trim((span){v.s, comma ? (size_t)(comma - v.s) : v.n});
        mm_dmarc_uri u = {0};
        span uri, host;
        if (!parse_uri(item, &u, &uri, &host)) {
            lint(p, bad_id, tag, item);
        } else if (*count == MM_DMARC_MAX_URIS) {
            lint(p, "too_many_uris", tag, item);
        } else {
            mm_arena *a = &p->r->arena;
            u.text = mm_arena_strndup(a, item.s, item.n);
            u.uri = mm_arena_strndup(a, uri.s, uri.n);
            char *h = mm_arena_strndup(a, host.s, host.n);
            if (!u.text || !u.uri || !h) {
                p->st = MM_ENOMEM;
                return;
            }
            u.domain = mm_strlower(h);
            if (!u.mailto)
                lint(p, "rua_not_mailto", tag, item);
            arr[(*count)++] = u;
        }
        if (!comma)
            break;
        v = (span){comma + 1, v.n - (size_t)(comma + 1 - v.s)};
    }
}

/* fo: 0 / 1 / d / s, separated by ":" (6.3 fo). */
static bool parse_fo(span v, unsigned *out)
{
    unsigned bits = 0;
    for (;;) {
        const char *colon = memchr(v.s, ':', v.n);
        span item = trim((span){v.s, colon ? (size_t)(colon - v.s) : v.n});
        if (item.n != 1)
            return false;
        switch (item.s[0] | 0x20) {
        case '0':
            bits |= MM_DMARC_FO_0;
            break;
        case '1':
            bits |= MM_DMARC_FO_1;
            break;
        case 'd':
            bits |= MM_DMARC_FO_D;
            break;
        case 's':
            bits |= MM_DMARC_FO_S;
            break;
        default:
            return false;
        }
        if (!colon)
            break;
        v = (span){colon + 1, v.n - (size_t)(colon + 1 - v.s)};
    }
    *out = bits;
    return true;
}

/* rf: Keyword *(":" Keyword), Keyword = Ldh-str (RFC 5321). */
static bool parse_rf(span v, bool *only_afrf)
{
    *only_afrf = true;
    for (;;) {
        const char *colon = memchr(v.s, ':', v.n);
        span item = trim((span){v.s, colon ? (size_t)(colon - v.s) : v.n});
        if (item.n == 0 || item.s[item.n - 1] == '-')
            return false;
        for (size_t i = 0; i < item.n; i++) {
            char c = item.s[i] | 0x20;
            if (!(c >= 'a' && c <= 'z') && !(item.s[i] >= '0' && item.s[i] <= '9') &&
                item.s[i] != '-')
                return false;
        }
        if (!span_eq_ci(item, "afrf"))
            *only_afrf = false;
        if (!colon)
            return true;
        v = (span){colon + 1, v.n - (size_t)(colon + 1 - v.s)};
    }
}

enum { T_P, T_SP, T_PCT, T_ADKIM, T_ASPF, T_RUA, T_RUF, T_FO, T_RF, T_RI, T_NP, T_T, T_PSD, T_N_ };
static const char *const tag_names[T_N_] = {"p",  "sp", "pct", "adkim", "aspf", "rua", "ruf",
                                            "fo", "rf", "ri",  "np",    "t",    "psd"};

static bool parse_mode(span v, mm_dmarc_mode *m)
{
    if (span_eq_ci(v, "r") || span_eq_ci(v, "s")) {
        *m = (v.s[0] | 0x20) == 's' ? MM_DMARC_STRICT : MM_DMARC_RELAXED;
        return true;
    }
    return false;
}

static bool parse_flag(span v, const char *allowed, char *out)
{
    if (v.n != 1 || !strchr(allowed, v.s[0] | 0x20))
        return false;
    *out = (char)(v.s[0] | 0x20);
    return true;
}

/* A known tag's value; invalid values are linted and left at the default. */
static void apply_tag(parser *p, int t, span v)
{
    mm_dmarc_record *r = &p->r->pub;
    const char *tag = tag_names[t];
    uint64_t x;
    bool ok = true, afrf;
    switch (t) {
    case T_P:
        ok = (r->published_p = parse_policy(v)) != MM_DMARC_POLICY_UNSET;
        p->p_invalid = !ok;
        break;
    case T_SP:
        ok = (r->published_sp = parse_policy(v)) != MM_DMARC_POLICY_UNSET;
        p->sp_invalid = !ok;
        break;
    case T_NP:
        ok = (r->np = parse_policy(v)) != MM_DMARC_POLICY_UNSET;
        break;
    case T_PCT:
        if ((ok = r->has_pct = parse_number(v, 3, 100, &x)))
            r->pct = (unsigned)x;
        break;
    case T_ADKIM:
        ok = r->has_adkim = parse_mode(v, &r->adkim);
        break;
    case T_ASPF:
        ok = r->has_aspf = parse_mode(v, &r->aspf);
        break;
    case T_RUA:
        parse_uris(p, tag, v, p->r->rua, &r->nrua);
        return;
    case T_RUF:
        parse_uris(p, tag, v, p->r->ruf, &r->nruf);
        return;
    case T_FO:
        ok = r->has_fo = parse_fo(v, &r->fo);
        break;
    case T_RF:
        if ((ok = r->has_rf = parse_rf(v, &afrf))) {
            if (!(r->rf = mm_arena_strndup(&p->r->arena, v.s, v.n)))
                p->st = MM_ENOMEM;
            if (!afrf)
                lint(p, "rf_unknown", tag, v);
        }
        break;
    case T_RI:
        if ((ok = r->has_ri = parse_number(v, 32, UINT32_MAX, &x)))
            r->ri = (uint32_t)x;
        break;
    case T_T:
        ok = parse_flag(v, "yn", &r->t);
        break;
    case T_PSD:
        ok = parse_flag(v, "ynu", &r->psd);
        break;
    default:
        break;
    }
    if (!ok) {
        char id[24];
        snprintf(id, sizeof id, "invalid_%s", tag);
        lint(p, id, tag, v);
    }
}

static int tag_index(span name)
{
    for (int t = 0; t < T_N_; t++)
        if (span_eq_ci(name, tag_names[t]))
            return t;
    return -1;
}

static void parse_tag(parser *p, span item)
{
    const char *eq = memchr(item.s, '=', item.n);
    if (!eq) {
        lint(p, "malformed_tag", "", item);
        return;
    }
    span name = trim((span){item.s, (size_t)(eq - item.s)});
    span value = trim((span){eq + 1, item.n - (size_t)(eq + 1 - item.s)});
    p->ntags++;
    int t = tag_index(name);
    if (t < 0) {
        lint(p, name.n ? "unknown_tag" : "malformed_tag", "", item);
        return;
    }
    if (p->seen & (1u << t)) {
        lint(p, "duplicate_tag", tag_names[t], item);
        return;
    }
    p->seen |= 1u << t;
    if (t == T_P && p->ntags != 1)
        lint0(p, "p_not_second", "p");
    if (has_upper(name) || (t != T_RUA && t != T_RUF && has_upper(value)))
        lint(p, "uppercase", tag_names[t], item);
    apply_tag(p, t, value);
}

/* "v" *WSP "=" *WSP "DMARC1" *WSP, then end or ";"; returns the offset after it or 0. */
static size_t parse_version(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_space_ish(s[i]))
        i++;
    if (i >= n || (s[i] | 0x20) != 'v')
        return 0;
    for (i++; i < n && is_wsp(s[i]); i++)
        ;
    if (i >= n || s[i] != '=')
        return 0;
    for (i++; i < n && is_wsp(s[i]); i++)
        ;
    if (n - i < 6 || memcmp(s + i, "DMARC1", 6) != 0)
        return 0;
    for (i += 6; i < n && is_space_ish(s[i]); i++)
        ;
    if (i < n && s[i] != ';')
        return 0;
    return i < n ? i + 1 : i;
}

bool mm_dmarc_is_dmarc(const char *txt, size_t len)
{
    return txt && parse_version(txt, len) > 0;
}

static void check_whitespace(parser *p, const char *s, size_t n)
{
    if (n && (is_space_ish(s[0]) || is_space_ish(s[n - 1])))
        lint0(p, "bad_whitespace", "");
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\r' || s[i] == '\n' || s[i] == '\v' || s[i] == '\f' ||
            ((unsigned char)s[i] == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0))
            lint0(p, "bad_whitespace", "");
}

static void parse_tags(parser *p, const char *s, size_t n, size_t i)
{
    while (i < n && p->st == MM_OK) {
        const char *semi = memchr(s + i, ';', n - i);
        size_t end = semi ? (size_t)(semi - s) : n;
        span item = trim((span){s + i, end - i});
        if (item.n)
            parse_tag(p, item);
        else if (semi) /* ";;" or "; ;" (a single trailing ';' never gets here) */
            lint0(p, "empty_tag", "");
        i = end + 1;
    }
}

static mm_dmarc_policy weaker(mm_dmarc_policy a, mm_dmarc_policy b)
{
    return a < b ? a : b;
}

/* 6.6.3 step 6, defaults, and the findings about the record as a whole. */
static void decide(parser *p)
{
    mm_dmarc_record *r = &p->r->pub;
    bool p_bad = r->published_p == MM_DMARC_POLICY_UNSET;
    if (p_bad || p->sp_invalid) {
        const char *why = p->sp_invalid && !p_bad ? "invalid_sp"
                          : p->p_invalid          ? "invalid_p"
                                                  : "no_policy";
        if (r->nrua > 0) {
            r->outcome = MM_DMARC_OUTCOME_FALLBACK_NONE;
            r->p = r->sp = MM_DMARC_POLICY_NONE;
            lint0(p, "fallback_none", p_bad ? "p" : "sp");
        } else {
            r->outcome = MM_DMARC_OUTCOME_IGNORE;
            r->ignore_reason = why;
            if (strcmp(why, "no_policy") == 0)
                lint0(p, why, "p");
            return;
        }
    } else {
        r->outcome = MM_DMARC_OUTCOME_POLICY;
        r->p = r->published_p;
        r->sp = r->published_sp ? r->published_sp : r->p;
    }
    if (r->p == MM_DMARC_POLICY_NONE && r->outcome == MM_DMARC_OUTCOME_POLICY)
        lint0(p, "p_none", "p");
    if (r->sp < r->p)
        lint0(p, "sp_weaker", "sp");
    if (r->np && r->np < weaker(r->p, r->sp))
        lint0(p, "np_weaker", "np");
    if (r->pct < 100 && r->p != MM_DMARC_POLICY_NONE)
        lint0(p, "pct_partial", "pct");
    if (r->nrua == 0)
        lint0(p, "no_rua", "rua");
    if (r->has_fo && r->nruf == 0)
        lint0(p, "fo_without_ruf", "fo");
    if (r->t == 'y')
        lint0(p, "testing", "t");
    if (p->seen & (1u << T_PCT))
        lint0(p, "bis_pct", "pct");
    if (p->seen & ((1u << T_RF) | (1u << T_RI)))
        lint0(p, "bis_rf_ri", (p->seen & (1u << T_RF)) ? "rf" : "ri");
}

static void set_defaults(mm_dmarc_record *r)
{
    r->pct = 100;
    r->adkim = r->aspf = MM_DMARC_RELAXED;
    r->fo = MM_DMARC_FO_0;
    r->rf = "afrf";
    r->ri = 86400;
}

mm_status_t mm_dmarc_parse(const char *txt, size_t len, mm_dmarc_record **out)
{
    if (!txt || !out)
        return MM_EINVAL;
    *out = NULL;
    if (len > MM_DMARC_MAX_RECORD)
        return MM_ETOOBIG;
    mm_dmarc_rec_impl *ri = calloc(1, sizeof *ri);
    if (!ri)
        return MM_ENOMEM;
    mm_arena_init(&ri->arena);
    mm_dmarc_record *r = &ri->pub;
    set_defaults(r);
    r->rua = ri->rua;
    r->ruf = ri->ruf;
    r->lints = ri->lints;
    parser p = {.r = ri, .st = MM_OK};
    if (!(r->text = mm_arena_strndup(&ri->arena, txt, len))) {
        p.st = MM_ENOMEM;
        goto done;
    }
    size_t start = memchr(txt, '\0', len) ? 0 : parse_version(txt, len);
    if (start == 0) {
        r->outcome = MM_DMARC_OUTCOME_IGNORE;
        r->ignore_reason = "not_dmarc";
        lint0(&p, memchr(txt, '\0', len) ? "nul_byte" : "not_dmarc", "v");
        goto done;
    }
    check_whitespace(&p, txt, len);
    if ((txt[0] | 0x20) == 'v' && txt[0] != 'v')
        lint0(&p, "uppercase", "v");
    parse_tags(&p, txt, len, start);
    decide(&p);
done:
    if (p.st != MM_OK) {
        mm_dmarc_record_free(r);
        return p.st;
    }
    *out = r;
    return MM_OK;
}

void mm_dmarc_record_free(mm_dmarc_record *r)
{
    if (!r)
        return;
    mm_dmarc_rec_impl *ri = (mm_dmarc_rec_impl *)r;
    mm_arena_free(&ri->arena);
    free(ri);
}

static const char *const policy_names[] = {"unset", "none", "quarantine", "reject"};

const char *mm_dmarc_policy_name(mm_dmarc_policy p)
{
    return (unsigned)p < 4 ? policy_names[p] : "unknown";
}

const char *mm_dmarc_outcome_name(mm_dmarc_outcome o)
{
    static const char *const n[] = {"policy", "fallback-none", "ignore"};
    return (unsigned)o < 3 ? n[o] : "unknown";
}

const char *mm_dmarc_severity_name(mm_dmarc_severity s)
{
    static const char *const n[] = {"info", "warn", "error"};
    return (unsigned)s < 3 ? n[s] : "unknown";
}

mm_status_t mm_dmarc_record_add_lint(mm_dmarc_record *r, const char *id, const char *tag,
                                     const char *value)
{
    parser p = {.r = (mm_dmarc_rec_impl *)r, .st = MM_OK};
    lint(&p, id, tag, (span){value, strlen(value)});
    return p.st;
}
