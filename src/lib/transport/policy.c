/*
 * policy.c - the MTA-STS policy file (RFC 8461 3.2) and MX matching (4.1).
 *
 * The body is "key: value" lines ending in CRLF (LF alone is accepted: many
 * servers send it and senders take it).  version, mode and max_age must each
 * appear once, mx any number of times; other keys are extensions and are
 * ignored (3.2).  The policy is invalid (senders treat the domain as having
 * no policy) when a required field is missing or has a bad value.
 */
#include <stdlib.h>
#include <string.h>

#include "transport/transport_int.h"
#include "util/arena.h"

typedef struct pol {
    mm_mta_sts_policy pub; /* first: the public pointer is the allocation */
    mm_arena arena;
    mm_transport_lint lints[MM_TRANSPORT_MAX_LINTS];
    const char *mx[MM_MTA_STS_MAX_MX];
    bool have_version, have_mode, have_age;
} pol;

static const char *const mode_names[] = {"unset", "enforce", "testing", "none"};

const char *mm_mta_sts_mode_name(mm_mta_sts_mode m)
{
    return (unsigned)m <= MM_MTA_STS_MODE_NONE ? mode_names[m] : "unknown";
}

static void lint(pol *p, const char *id, const char *field, const char *value)
{
    mm_transport_add_lint(p->lints, &p->pub.nlints, id, field, value);
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* A host name, or "*." and one (RFC 8461 3.2 sts-policy-mx-value). */
static bool mx_pattern_ok(const char *s)
{
    if (s[0] == '*' && s[1] == '.')
        s += 2;
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = lower(s[i]);
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

static bool once(pol *p, bool *have, const char *key, const char *value)
{
    if (*have) {
        lint(p, "policy_duplicate", key, value);
        return false;
    }
    *have = true;
    return true;
}

static void field(pol *p, const char *key, const char *value)
{
    if (strcmp(key, "version") == 0) {
        if (once(p, &p->have_version, key, value) && strcmp(value, "STSv1") != 0)
            lint(p, "policy_bad_version", key, value);
    } else if (strcmp(key, "mode") == 0) {
        if (!once(p, &p->have_mode, key, value))
            return;
        if (strcmp(value, "enforce") == 0)
            p->pub.mode = MM_MTA_STS_MODE_ENFORCE;
        else if (strcmp(value, "testing") == 0)
            p->pub.mode = MM_MTA_STS_MODE_TESTING;
        else if (strcmp(value, "none") == 0)
            p->pub.mode = MM_MTA_STS_MODE_NONE;
        else
            lint(p, "policy_bad_mode", key, value);
    } else if (strcmp(key, "max_age") == 0) {
        if (!once(p, &p->have_age, key, value))
            return;
        /* 1*10DIGIT, at most 31557600 */
        size_t n = strlen(value);
        bool ok = n >= 1 && n <= 10 && strspn(value, "0123456789") == n;
        unsigned long long v = ok ? strtoull(value, NULL, 10) : 0;
        if (!ok || v > MM_MTA_STS_MAX_AGE)
            lint(p, "policy_bad_max_age", key, value);
        else
            p->pub.max_age = (uint32_t)v;
    } else if (strcmp(key, "mx") == 0) {
        if (!mx_pattern_ok(value))
            lint(p, "policy_bad_mx", key, value);
        else if (p->pub.nmx < MM_MTA_STS_MAX_MX)
            p->mx[p->pub.nmx++] = value;
    }
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* One line (without its end): "key" *WSP ":" *WSP value *WSP. */
static void line(pol *p, const char *s, size_t n)
{
    while (n && is_wsp(s[n - 1]))
        n--;
    if (n == 0)
        return;
    char *copy = mm_arena_strndup(&p->arena, s, n);
    if (!copy)
        return;
    char *colon = strchr(copy, ':');
    if (!colon || colon == copy) {
        lint(p, "policy_syntax", "", copy);
        return;
    }
    char *v = colon + 1, *k_end = colon;
    while (k_end > copy && is_wsp(k_end[-1]))
        k_end--;
    *k_end = '\0';
    while (is_wsp(*v))
        v++;
    field(p, copy, v);
}

static void finish(pol *p)
{
    if (!p->have_version)
        lint(p, "policy_no_version", "version", "");
    if (!p->have_mode)
        lint(p, "policy_no_mode", "mode", "");
    if (!p->have_age)
        lint(p, "policy_no_max_age", "max_age", "");
    else if (p->pub.max_age && p->pub.max_age < 86400)
        lint(p, "policy_short_max_age", "max_age", "");
    /* mode none withdraws the policy: mx may then be absent */
    if (p->pub.nmx == 0 && p->pub.mode != MM_MTA_STS_MODE_NONE)
        lint(p, "policy_no_mx", "mx", "");
    if (p->pub.mode == MM_MTA_STS_MODE_TESTING)
        lint(p, "policy_testing", "mode", "testing");
    if (p->pub.mode == MM_MTA_STS_MODE_NONE)
        lint(p, "policy_mode_none", "mode", "none");
    p->pub.valid = true;
    for (size_t i = 0; i < p->pub.nlints; i++)
        if (p->lints[i].severity == MM_TRANSPORT_ERROR)
            p->pub.valid = false;
}

mm_status_t mm_mta_sts_policy_parse(const char *text, size_t len, mm_mta_sts_policy **out)
{
    if (!text || !out)
        return MM_EINVAL;
    if (len > MM_MTA_STS_MAX_POLICY)
        return MM_ETOOBIG;
    pol *p = calloc(1, sizeof *p);
    if (!p)
        return MM_ENOMEM;
    mm_arena_init(&p->arena);
    p->pub.lints = p->lints;
    p->pub.mx = p->mx;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
        if (n && text[pos + n - 1] == '\r')
            n--;
        if (memchr(text + pos, '\0', n))
            lint(p, "policy_syntax", "", "\\0");
        else
            line(p, text + pos, n);
        pos = end + 1;
    }
    finish(p);
    *out = &p->pub;
    return MM_OK;
}

void mm_mta_sts_policy_free(mm_mta_sts_policy *pp)
{
    if (!pp)
        return;
    pol *p = (pol *)pp;
    mm_arena_free(&p->arena);
    free(p);
}

/* a and b (lengths na, nb) equal without ASCII case. */
static bool eq_ci(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

bool mm_mta_sts_mx_match(const char *pattern, const char *host)
{
    if (!pattern || !host)
        return false;
    size_t np = strlen(pattern), nh = strlen(host);
    if (np && pattern[np - 1] == '.')
        np--;
    if (nh && host[nh - 1] == '.')
        nh--;
    if (np == 0 || nh == 0)
        return false;
    if (np > 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* 4.1: the wildcard stands for exactly one label, the host's leftmost */
        const char *dot = memchr(host, '.', nh);
        if (!dot || dot == host)
            return false;
        size_t rest = nh - (size_t)(dot + 1 - host);
        return eq_ci(dot + 1, rest, pattern + 2, np - 2);
    }
    return eq_ci(pattern, np, host, nh);
}

bool mm_mta_sts_policy_covers(const mm_mta_sts_policy *p, const char *host)
{
    for (size_t i = 0; p && i < p->nmx; i++)
        if (mm_mta_sts_mx_match(p->mx[i], host))
            return true;
    return false;
}
