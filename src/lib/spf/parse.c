/*
 * parse.c - SPF record syntax (RFC 7208 section 4.6 and the ABNF of section
 * 12).  The whole record is parsed before anything is evaluated, because one
 * bad term anywhere makes the record a permerror (section 4.6).  Terms are
 * separated by spaces only; every byte of a term must be visible ASCII.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "spf_int.h"

static const struct {
    const char *name;
    mm_spf_term_kind kind;
} mechs[] = {
    {"all", MM_SPF_T_ALL}, {"include", MM_SPF_T_INCLUDE}, {"a", MM_SPF_T_A},
    {"mx", MM_SPF_T_MX},   {"ptr", MM_SPF_T_PTR},         {"ip4", MM_SPF_T_IP4},
    {"ip6", MM_SPF_T_IP6}, {"exists", MM_SPF_T_EXISTS},
};

static int is_sep(char c)
{
    return c == ' ';
}

/* toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static int toplabel_ok(const char *s, size_t n)
{
    int alpha = 0;
    if (n == 0 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalpha(c) || c == '-')
            alpha = 1; /* a hyphen also makes it non-numeric (second alternative) */
        else if (!isdigit(c))
            return 0;
    }
    return alpha;
}

/* domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand */
static int domain_spec_ok(const char *s, size_t n)
{
    if (n == 0 || !mm_spf_macro_ok(s, n, 0))
        return 0;
    if (s[n - 1] == '.')
        n--;
    if (n == 0)
        return 0;
    if (s[n - 1] == '}')
        return 1;
    size_t dot = n;
    while (dot > 0 && s[dot - 1] != '.')
        dot--;
    if (dot == 0)
        return 0; /* a single label: not a multi-label name */
    if (dot >= 2 && s[dot - 2] == '.')
        return 0; /* empty label */
    return toplabel_ok(s + dot, n - dot);
}

/* "/" ( "0" / %x31-39 *DIGIT ) up to max; returns chars used or 0. */
static size_t cidr_len(const char *s, size_t n, int max, int *out)
{
    if (n < 2 || s[0] != '/' || !isdigit((unsigned char)s[1]))
        return 0;
    size_t i = 1;
    int v = 0;
    while (i < n && isdigit((unsigned char)s[i])) {
        v = v * 10 + (s[i] - '0');
        if (v > max || (i == 2 && s[1] == '0'))
            return 0;
        i++;
    }
    *out = v;
    return i;
}

/* ip4-cidr-length / "//" ip6 / both, exactly covering s[0..n). */
static int dual_cidr_ok(const char *s, size_t n, mm_spf_term *t)
{
    size_t i = 0;
    if (n == 0)
        return 1;
    if (!(n >= 2 && s[1] == '/')) {
        i = cidr_len(s, n, 32, &t->cidr4);
        if (i == 0)
            return 0;
    }
    if (i == n)
        return 1;
    if (n - i < 3 || s[i] != '/' || s[i + 1] != '/')
        return 0;
    size_t j = cidr_len(s + i + 1, n - i - 1, 128, &t->cidr6);
    return j != 0 && i + 1 + j == n;
}

/* Where the dual-cidr starts: the first '/' from which a valid dual-cidr runs
 * to the end ("a:foo:bar/baz.example.com" is a name with a slash in it). */
static size_t cidr_start(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mm_spf_term t = {.cidr4 = -1, .cidr6 = -1};
        if (s[i] == '/' && dual_cidr_ok(s + i, n - i, &t))
            return i;
    }
    return n;
}

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* The argument of a mechanism: arg[0..n) is what follows the name. */
static const char *parse_mech_arg(mm_spf_term *t, const char *arg, size_t n)
{
    int colon = n > 0 && arg[0] == ':';
    const char *ds = colon ? arg + 1 : NULL;
    size_t dsn = 0;
    switch (t->kind) {
    case MM_SPF_T_ALL:
        return n == 0 ? NULL : "'all' takes no argument";
    case MM_SPF_T_INCLUDE:
    case MM_SPF_T_EXISTS:
        if (!colon || !domain_spec_ok(ds, n - 1))
            return "needs ':' and a valid domain-spec";
        dsn = n - 1;
        break;
    case MM_SPF_T_PTR:
        if (n && (!colon || !domain_spec_ok(ds, n - 1)))
            return "bad domain-spec";
        dsn = n ? n - 1 : 0;
        break;
    case MM_SPF_T_A:
    case MM_SPF_T_MX: {
        size_t c = colon ? 1 + cidr_start(arg + 1, n - 1) : 0;
        if (!colon && n && arg[0] != '/')
            return "bad argument";
        if (colon && !domain_spec_ok(ds, c - 1))
            return "bad domain-spec";
        if (!dual_cidr_ok(arg + c, n - c, t))
            return "bad CIDR length"; /* only when !colon: the split found a valid one */
        dsn = colon ? c - 1 : 0;
        break;
    }
    case MM_SPF_T_IP4:
    case MM_SPF_T_IP6: {
        int v6 = t->kind == MM_SPF_T_IP6;
        if (!colon)
            return "needs ':' and an address";
        size_t c = 1;
        while (c < n && arg[c] != '/')
            c++;
        char ip[64];
        if (c - 1 == 0 || c - 1 >= sizeof ip)
            return "bad address";
        memcpy(ip, arg + 1, c - 1);
        ip[c - 1] = '\0';
        if (inet_pton(v6 ? AF_INET6 : AF_INET, ip, t->addr) != 1)
            return v6 ? "bad IPv6 address" : "bad IPv4 address";
        if (c < n) {
            int *len = v6 ? &t->cidr6 : &t->cidr4;
            if (cidr_len(arg + c, n - c, v6 ? 128 : 32, len) != n - c)
                return "bad CIDR length";
        }
        return NULL;
    }
    default:
        break;
    }
    if (dsn) {
        t->domain_spec = dupn(ds, dsn);
        if (!t->domain_spec)
            return "out of memory";
    }
    return NULL;
}

static const char *parse_modifier(mm_spf_record *r, mm_spf_term *t, const char *name, size_t nn,
                                  const char *val, size_t vn)
{
    if (nn == 8 && strncasecmp(name, "redirect", 8) == 0)
        t->kind = MM_SPF_T_REDIRECT;
    else if (nn == 3 && strncasecmp(name, "exp", 3) == 0)
        t->kind = MM_SPF_T_EXP;
    else
        t->kind = MM_SPF_T_UNKNOWN_MOD;
    if (t->kind == MM_SPF_T_UNKNOWN_MOD)
        return mm_spf_macro_ok(val, vn, 1) ? NULL : "bad macro-string";
    if (!domain_spec_ok(val, vn))
        return "bad domain-spec";
    /* RFC 7208 section 6: redirect and exp each at most once */
    const mm_spf_term **slot = t->kind == MM_SPF_T_REDIRECT ? &r->redirect : &r->exp;
    if (*slot)
        return "modifier given twice";
    *slot = t; /* fixed up after the terms array stops moving */
    t->domain_spec = dupn(val, vn);
    return t->domain_spec ? NULL : "out of memory";
}

static const char *parse_term(mm_spf_record *r, mm_spf_term *t, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return "invalid character";
    size_t i = 0;
    if (strchr("+-~?", s[0]))
        t->qualifier = s[i++];
    size_t nm = i;
    if (nm < n && isalpha((unsigned char)s[nm]))
        while (nm < n && (isalnum((unsigned char)s[nm]) || strchr("-_.", s[nm])))
            nm++;
    if (nm > i && nm < n && s[nm] == '=') {
        if (t->qualifier)
            return "a modifier cannot have a qualifier";
        return parse_modifier(r, t, s + i, nm - i, s + nm + 1, n - nm - 1);
    }
    size_t k = i;
    while (k < n && isalnum((unsigned char)s[k]))
        k++;
    for (size_t m = 0; m < sizeof mechs / sizeof mechs[0]; m++)
        if (strlen(mechs[m].name) == k - i && strncasecmp(mechs[m].name, s + i, k - i) == 0) {
            t->kind = mechs[m].kind;
            if (!t->qualifier)
                t->qualifier = '+';
            return parse_mech_arg(t, s + k, n - k);
        }
    return "unknown mechanism";
}

static int set_error(mm_spf_record *r, const char *term, size_t n, const char *why)
{
    size_t len = n + strlen(why) + 48;
    r->error = malloc(len);
    if (!r->error)
        return -1;
    snprintf(r->error, len, "bad term '%.*s': %s", (int)n, term, why);
    return 0;
}

mm_status_t mm_spf_record_parse(const char *text, size_t len, mm_spf_record **out)
{
    if (!text || !out)
        return MM_EINVAL;
    *out = NULL;
    if (len < 6 || strncasecmp(text, "v=spf1", 6) != 0 || (len > 6 && text[6] != ' '))
        return MM_EPARSE;
    mm_spf_record *r = calloc(1, sizeof *r);
    if (!r)
        return MM_ENOMEM;
    size_t cap = 0;
    for (size_t i = 6; i < len;) {
        while (i < len && is_sep(text[i]))
            i++;
        size_t j = i;
        while (j < len && !is_sep(text[j]))
            j++;
        if (j == i)
            break;
        if (r->nterms == cap) {
            cap = cap ? cap * 2 : 8;
            mm_spf_term *nt = realloc(r->terms, cap * sizeof *nt);
            if (!nt)
                goto nomem;
            r->terms = nt;
        }
        mm_spf_term *t = &r->terms[r->nterms];
        memset(t, 0, sizeof *t);
        t->cidr4 = t->cidr6 = -1;
        t->text = dupn(text + i, j - i);
        if (!t->text)
            goto nomem;
        r->nterms++;
        const char *why = parse_term(r, t, text + i, j - i);
        if (why) {
            if (set_error(r, text + i, j - i, why) < 0)
                goto nomem;
            break;
        }
        i = j;
    }
    /* realloc may have moved the terms: find the modifiers again */
    r->redirect = r->exp = NULL;
    for (size_t i = 0; i < r->nterms; i++) {
        if (r->terms[i].kind == MM_SPF_T_REDIRECT && r->terms[i].domain_spec)
            r->redirect = &r->terms[i];
        else if (r->terms[i].kind == MM_SPF_T_EXP && r->terms[i].domain_spec)
            r->exp = &r->terms[i];
    }
    *out = r;
    return MM_OK;
nomem:
    mm_spf_record_free(r);
    return MM_ENOMEM;
}

void mm_spf_record_free(mm_spf_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nterms; i++) {
        free((char *)r->terms[i].text);
        free((char *)r->terms[i].domain_spec);
    }
    free(r->terms);
    free(r->error);
    free(r);
}

const char *mm_spf_record_error(const mm_spf_record *r)
{
    return r ? r->error : NULL;
}

size_t mm_spf_record_nterms(const mm_spf_record *r)
{
    return r ? r->nterms : 0;
}

const mm_spf_term *mm_spf_record_term(const mm_spf_record *r, size_t i)
{
    return r && i < r->nterms ? &r->terms[i] : NULL;
}
