/*
 * record.c - the three TXT records: MTA-STS (RFC 8461 3.1), TLS-RPT
 * (RFC 8460 3) and BIMI (draft-brand-indicators-for-message-identification
 * 4.2).  All three are "v=VERSION" first, then ";"-separated name=value
 * fields; the record is split once into fields, then each kind checks its
 * own.  Whitespace around ";" is allowed (RFC 8460 field-delim; RFC 8461's
 * grammar has *WSP before the delimiter and receivers accept it after).
 */
#include <stdlib.h>
#include <string.h>

#include "transport/transport_int.h"
#include "util/arena.h"

#define MAX_FIELDS 32

typedef struct rec {
    mm_transport_record pub; /* first: the public pointer is the allocation */
    mm_arena arena;
    mm_transport_lint lints[MM_TRANSPORT_MAX_LINTS];
    const char *rua[MM_TRANSPORT_MAX_URIS];
} rec;

typedef struct field {
    const char *name, *value; /* arena copies, trimmed */
} field;

static const char *const versions[] = {"v=STSv1", "v=TLSRPTv1", "v=BIMI1"};
static const char *const kind_names[] = {"mta_sts", "tlsrpt", "bimi"};
static const char *const prefixes[] = {"_mta-sts.", "_smtp._tls.", "default._bimi."};

const char *mm_transport_kind_name(mm_transport_kind k)
{
    return (unsigned)k < MM_TRANSPORT_KIND_MAX_ ? kind_names[k] : "unknown";
}

mm_status_t mm_transport_name(mm_transport_kind k, const char *domain, char *out, size_t outlen)
{
    if ((unsigned)k >= MM_TRANSPORT_KIND_MAX_ || !domain || !*domain || !out)
        return MM_EINVAL;
    size_t dl = strlen(domain);
    if (domain[dl - 1] == '.')
        dl--;
    size_t pl = strlen(prefixes[k]);
    if (pl + dl > 253 || pl + dl + 1 > outlen)
        return MM_ETOOBIG;
    memcpy(out, prefixes[k], pl);
    memcpy(out + pl, domain, dl);
    out[pl + dl] = '\0';
    return MM_OK;
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

bool mm_transport_is_kind(mm_transport_kind k, const char *txt, size_t len)
{
    if ((unsigned)k >= MM_TRANSPORT_KIND_MAX_ || !txt)
        return false;
    size_t vl = strlen(versions[k]);
    /* the version tag is case-sensitive (%s in the ABNF) and ends at ";", WSP or the end */
    return len >= vl && memcmp(txt, versions[k], vl) == 0 &&
           (len == vl || txt[vl] == ';' || is_wsp(txt[vl]));
}

static bool alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* sts-ext-name / tlsrpt-ext-name: (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
static bool ext_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 32 || !alnum(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!alnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
            return false;
    return true;
}

/* ext-value: 1*(%x21-3A / %x3C / %x3E-7E): no SP, controls, ';' or '=' */
static bool ext_value_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e || *s == ';' || *s == '=')
            return false;
    return true;
}

/* Split "a=b; c=d" into fields.  Returns the count; syntax findings added. */
static size_t split(rec *r, const char *t, size_t len, field *f)
{
    size_t nf = 0, pos = 0;
    while (pos <= len && nf < MAX_FIELDS) {
        const char *semi = memchr(t + pos, ';', len - pos);
        size_t end = semi ? (size_t)(semi - t) : len;
        size_t a = pos, b = end;
        while (a < b && is_wsp(t[a]))
            a++;
        while (b > a && is_wsp(t[b - 1]))
            b--;
        if (a < b) {
            const char *eq = memchr(t + a, '=', b - a);
            char *whole = mm_arena_strndup(&r->arena, t + a, b - a);
            if (!whole)
                return nf;
            if (!eq) {
                mm_transport_add_lint(r->lints, &r->pub.nlints, "syntax", "", whole);
            } else {
                size_t nl = (size_t)(eq - (t + a)), vl;
                whole[nl] = '\0';
                char *v = whole + nl + 1;
                while (nl && is_wsp(whole[nl - 1]))
                    whole[--nl] = '\0';
                while (is_wsp(*v))
                    v++;
                vl = strlen(v);
                (void)vl;
                f[nf++] = (field){whole, v};
            }
        }
        if (!semi)
            break;
        pos = end + 1;
    }
    return nf;
}

/* Flag a second field of the same name, compared exactly (names are case-sensitive). */
static bool seen_before(const field *f, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(f[j].name, f[i].name) == 0)
            return true;
    return false;
}

static void lint(rec *r, const char *id, const char *fieldname, const char *value)
{
    mm_transport_add_lint(r->lints, &r->pub.nlints, id, fieldname, value);
}

static void check_ext(rec *r, const field *f)
{
    if (!ext_name_ok(f->name))
        lint(r, "bad_field_name", f->name, f->name);
    else if (!ext_value_ok(f->value))
        lint(r, "bad_field_value", f->name, f->value);
    else
        lint(r, "unknown_field", f->name, f->value);
}

static void do_mta_sts(rec *r, const field *f, size_t nf)
{
    for (size_t i = 1; i < nf; i++) {
        if (seen_before(f, i) && strcmp(f[i].name, "id") == 0) {
            lint(r, "duplicate_field", f[i].name, f[i].value);
        } else if (strcmp(f[i].name, "id") == 0) {
            size_t n = strlen(f[i].value);
            bool ok = n >= 1 && n <= 32;
            for (size_t k = 0; ok && k < n; k++)
                ok = alnum(f[i].value[k]);
            if (ok)
                r->pub.id = f[i].value;
            else
                lint(r, "bad_id", "id", f[i].value);
        } else {
            check_ext(r, &f[i]);
        }
    }
    if (!r->pub.id[0] && r->pub.nlints < MM_TRANSPORT_MAX_LINTS) {
        bool had_bad = false;
        for (size_t i = 0; i < r->pub.nlints; i++)
            had_bad |= strcmp(r->lints[i].id, "bad_id") == 0;
        if (!had_bad)
            lint(r, "no_id", "id", "");
    }
}

/* mailto:addr@domain (RFC 6068, without hfields checks) or https://host/... */
static bool uri_ok(const char *u)
{
    if (strncmp(u, "mailto:", 7) == 0) {
        const char *at = strchr(u + 7, '@');
        return at && at > u + 7 && at[1] && !strchr(at + 1, '@') && at[1] != '.';
    }
    if (strncmp(u, "https://", 8) == 0)
        return u[8] && u[8] != '/';
    return false;
}

static void do_rua(rec *r, char *v)
{
    char *save = NULL;
    for (char *u = strtok_r(v, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
        while (is_wsp(*u))
            u++;
        size_t n = strlen(u);
        while (n && is_wsp(u[n - 1]))
            u[--n] = '\0';
        if (strncmp(u, "mailto:", 7) != 0 && strncmp(u, "https:", 6) != 0)
            lint(r, "rua_scheme", "rua", u);
        else if (!uri_ok(u))
            lint(r, "rua_bad_uri", "rua", u);
        else if (r->pub.nrua < MM_TRANSPORT_MAX_URIS)
            r->rua[r->pub.nrua++] = u;
        else
            lint(r, "too_many_uris", "rua", u);
    }
}

static void do_tlsrpt(rec *r, field *f, size_t nf)
{
    bool have = false;
    for (size_t i = 1; i < nf; i++) {
        if (strcmp(f[i].name, "rua") == 0) {
            if (have) {
                lint(r, "duplicate_field", "rua", f[i].value);
                continue;
            }
            have = true;
            char *copy = mm_arena_strdup(&r->arena, f[i].value);
            if (copy)
                do_rua(r, copy);
        } else {
            check_ext(r, &f[i]);
        }
    }
    if (!have)
        lint(r, "no_rua", "rua", "");
}

static bool ends_with_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    if (n < m)
        return false;
    for (size_t i = 0; i < m; i++) {
        char c = s[n - m + i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != suf[i])
            return false;
    }
    return true;
}

static void do_bimi(rec *r, const field *f, size_t nf)
{
    bool have_l = false, have_a = false;
    for (size_t i = 1; i < nf; i++) {
        bool is_l = strcmp(f[i].name, "l") == 0, is_a = strcmp(f[i].name, "a") == 0;
        if ((is_l || is_a) && seen_before(f, i)) {
            lint(r, "duplicate_field", f[i].name, f[i].value);
        } else if (is_l) {
            have_l = true;
            r->pub.logo = f[i].value;
            if (f[i].value[0] && strncmp(f[i].value, "https://", 8) != 0)
                lint(r, "logo_not_https", "l", f[i].value);
            else if (f[i].value[0] && !ends_with_ci(f[i].value, ".svg"))
                lint(r, "logo_not_svg", "l", f[i].value);
        } else if (is_a) {
            have_a = true;
            r->pub.authority = f[i].value;
            if (f[i].value[0] && strncmp(f[i].value, "https://", 8) != 0)
                lint(r, "authority_not_https", "a", f[i].value);
        } else if (strcmp(f[i].name, "avp") != 0) {
            check_ext(r, &f[i]);
        }
    }
    if (!have_l)
        lint(r, "no_logo", "l", "");
    if (have_l && !r->pub.logo[0] && !r->pub.authority[0]) {
        r->pub.declined = true;
        lint(r, "declined", "", "");
    } else if (!r->pub.authority[0]) {
        lint(r, "no_authority", "a", "");
    }
    (void)have_a;
}

static void parse_fields(rec *r, const char *txt, size_t len)
{
    field f[MAX_FIELDS];
    if (!mm_transport_is_kind(r->pub.kind, txt, len)) {
        lint(r, "not_first_version", "v", "");
        return;
    }
    size_t nf = split(r, txt, len, f);
    if (nf == 0)
        return;
    switch (r->pub.kind) {
    case MM_TRANSPORT_MTA_STS:
        do_mta_sts(r, f, nf);
        break;
    case MM_TRANSPORT_TLSRPT:
        do_tlsrpt(r, f, nf);
        break;
    default:
        do_bimi(r, f, nf);
        break;
    }
}

mm_status_t mm_transport_parse(mm_transport_kind k, const char *txt, size_t len,
                               mm_transport_record **out)
{
    if (!txt || !out || (unsigned)k >= MM_TRANSPORT_KIND_MAX_)
        return MM_EINVAL;
    if (len > MM_TRANSPORT_MAX_RECORD)
        return MM_ETOOBIG;
    rec *r = calloc(1, sizeof *r);
    if (!r)
        return MM_ENOMEM;
    mm_arena_init(&r->arena);
    r->pub.kind = k;
    r->pub.lints = r->lints;
    r->pub.rua = r->rua;
    r->pub.id = r->pub.logo = r->pub.authority = "";
    r->pub.text = mm_arena_strndup(&r->arena, txt, len);
    if (!r->pub.text) {
        free(r);
        return MM_ENOMEM;
    }
    /* a NUL inside the value is never valid: parse up to it, and say so */
    size_t n = strnlen(txt, len);
    if (n < len)
        lint(r, "bad_field_value", "", "\\0");
    parse_fields(r, txt, n);
    r->pub.valid = true;
    for (size_t i = 0; i < r->pub.nlints; i++)
        if (r->lints[i].severity == MM_TRANSPORT_ERROR)
            r->pub.valid = false;
    *out = &r->pub;
    return MM_OK;
}

void mm_transport_record_free(mm_transport_record *p)
{
    if (!p)
        return;
    rec *r = (rec *)p;
    mm_arena_free(&r->arena);
    free(r);
}
