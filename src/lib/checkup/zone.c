/*
 * zone.c - the offline mode of `mailmedic checkup --zone FILE`: a subset of
 * the RFC 1035 section 5 master-file format read into memory and served
 * through an mm_dns backend, so a change can be checked before it is
 * published.
 *
 * Supported: $ORIGIN, $TTL (read, ignored), comments, parentheses across
 * lines, quoted character-strings with \" \\ and \DDD escapes, an owner
 * left blank (the previous one), "@", relative and absolute names, an
 * optional TTL and class IN before the type, and the types SOA, NS, A, AAAA,
 * MX, TXT, PTR and CNAME (other types are accepted and make the name exist,
 * with no data).  Each SOA owner and each $ORIGIN is a zone; a file with
 * neither is refused.  Names inside a loaded zone without records are NXDOMAIN (or
 * NODATA when the name has other types); names outside every zone are
 * NXDOMAIN, as issue 4 item 8 asks.  A CNAME is followed (8 steps at most).
 *
 * Records live in one array sorted by (name, type) on first use, with their
 * mm_dns_record built once, so an answer is a slice of that array and stays
 * valid as long as the database does.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <mailmedic/checkup.h>

typedef struct zrec {
    char *name;
    int type;
    char *data; /* TXT bytes / target name */
    mm_dns_record rec;
} zrec;

struct mm_zonedb {
    zrec *recs;
    size_t n, cap;
    char **zones;
    size_t nzones;
    bool sorted;
    mm_dns_record *answer; /* recs[i].rec copied contiguously after sort */
};

mm_status_t mm_zonedb_create(mm_zonedb **out)
{
    if (!out)
        return MM_EINVAL;
    *out = calloc(1, sizeof **out);
    return *out ? MM_OK : MM_ENOMEM;
}

void mm_zonedb_free(mm_zonedb *z)
{
    if (!z)
        return;
    for (size_t i = 0; i < z->n; i++) {
        free(z->recs[i].name);
        free(z->recs[i].data);
    }
    for (size_t i = 0; i < z->nzones; i++)
        free(z->zones[i]);
    free(z->zones);
    free(z->recs);
    free(z->answer);
    free(z);
}

/* ---- tokens ---- */

typedef struct tok {
    char *s; /* decoded text */
    size_t len;
    bool quoted;
} tok;

#define MAX_TOKS 256

typedef struct line {
    tok t[MAX_TOKS];
    size_t n;
    bool blank_owner; /* the entry started with white space */
} line;

static void line_clear(line *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->t[i].s);
    l->n = 0;
}

/* Read one entry (parentheses join lines) from p; returns the position
 * after it, or NULL at the end.  *err on a syntax problem. */
static const char *read_entry(const char *p, const char *end, line *l, const char **err,
                              size_t *lineno)
{
    line_clear(l);
    int depth = 0;
    if (p >= end)
        return NULL;
    l->blank_owner = *p == ' ' || *p == '\t';
    while (p < end) {
        char ch = *p;
        if (ch == '\n') {
            (*lineno)++;
            p++;
            if (depth == 0)
                return p;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\r') {
            p++;
            continue;
        }
        if (ch == ';') {
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        if (ch == '(') {
            depth++;
            p++;
            continue;
        }
        if (ch == ')') {
            if (--depth < 0) {
                *err = "unbalanced ')'";
                return NULL;
            }
            p++;
            continue;
        }
        if (l->n == MAX_TOKS) {
            *err = "too many fields";
            return NULL;
        }
        bool q = ch == '"';
        if (q)
            p++;
        char *buf = malloc((size_t)(end - p) + 1 > 65536 ? 65536 : (size_t)(end - p) + 1);
        if (!buf) {
            *err = "out of memory";
            return NULL;
        }
        size_t n = 0, capb = (size_t)(end - p) + 1 > 65536 ? 65536 : (size_t)(end - p) + 1;
        while (p < end && n + 1 < capb) {
            ch = *p;
            if (q ? ch == '"' : (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' ||
                                 ch == ';' || ch == '(' || ch == ')'))
                break;
            if (ch == '\n' && q)
                (*lineno)++;
            if (ch == '\\' && p + 1 < end) {
                if (p + 3 < end && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
                    isdigit((unsigned char)p[3])) {
                    int v = (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
                    buf[n++] = (char)(v & 0xff);
                    p += 4;
                    continue;
                }
                buf[n++] = p[1];
                p += 2;
                continue;
            }
            buf[n++] = ch;
            p++;
        }
        if (q) {
            if (p >= end || *p != '"') {
                free(buf);
                *err = "unterminated quoted string";
                return NULL;
            }
            p++;
        }
        buf[n] = 0;
        l->t[l->n++] = (tok){buf, n, q};
    }
    if (depth) {
        *err = "missing ')'";
        return NULL;
    }
    return p;
}

/* ---- names ---- */

/* name relative to origin made absolute, lower-case, without the final dot. */
static char *absname(const char *name, const char *origin)
{
    char buf[600];
    size_t n = strlen(name);
    if (strcmp(name, "@") == 0)
        snprintf(buf, sizeof buf, "%s", origin);
    else if (n && name[n - 1] == '.')
        snprintf(buf, sizeof buf, "%.*s", (int)(n - 1), name);
    else if (*origin)
        snprintf(buf, sizeof buf, "%s.%s", name, origin);
    else
        snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return strdup(buf);
}

static int type_of(const char *s)
{
    static const struct {
        const char *n;
        int t;
    } types[] = {{"A", MM_DNS_T_A},     {"NS", MM_DNS_T_NS},   {"CNAME", MM_DNS_T_CNAME},
                 {"SOA", 6},            {"PTR", MM_DNS_T_PTR}, {"MX", MM_DNS_T_MX},
                 {"TXT", MM_DNS_T_TXT}, {"AAAA", MM_DNS_T_AAAA}, {"SPF", 99}, {"CAA", 257},
                 {"SRV", 33},           {"HINFO", 13},         {"DS", 43},  {"DNSKEY", 48},
                 {"TLSA", 52},          {"HTTPS", 65},         {"SVCB", 64}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(s, types[i].n) == 0)
            return types[i].t;
    if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4]))
        return atoi(s + 4);
    return -1;
}

static bool is_ttl(const char *s)
{
    if (!isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s) && !strchr("smhdwSMHDW", *s))
            return false;
    return true;
}

static mm_status_t add_zone(mm_zonedb *z, const char *name)
{
    for (size_t i = 0; i < z->nzones; i++)
        if (strcmp(z->zones[i], name) == 0)
            return MM_OK;
    char **p = realloc(z->zones, (z->nzones + 1) * sizeof *p);
    if (!p)
        return MM_ENOMEM;
    z->zones = p;
    if (!(z->zones[z->nzones] = strdup(name)))
        return MM_ENOMEM;
    z->nzones++;
    return MM_OK;
}

static zrec *add_rec(mm_zonedb *z, char *name, int type)
{
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 64;
        zrec *p = realloc(z->recs, cap * sizeof *p);
        if (!p)
            return NULL;
        z->recs = p;
        z->cap = cap;
    }
    zrec *r = &z->recs[z->n++];
    memset(r, 0, sizeof *r);
    r->name = name;
    r->type = type;
    z->sorted = false;
    return r;
}

/* One record from tokens t[i..n) (type at t[i]). */
static const char *parse_rdata(mm_zonedb *z, char *owner, const line *l, size_t i,
                               const char *origin)
{
    int type = type_of(l->t[i].s);
    if (type < 0)
        return "unknown record type";
    size_t nd = l->n - i - 1;
    const tok *d = &l->t[i + 1];
    if (type == 6) {
        mm_status_t st = add_zone(z, owner);
        if (st != MM_OK)
            return "out of memory";
    }
    zrec *r = add_rec(z, owner, type);
    if (!r)
        return "out of memory";
    switch (type) {
    case MM_DNS_T_A:
    case MM_DNS_T_AAAA: {
        int fam = type == MM_DNS_T_A ? AF_INET : AF_INET6;
        if (nd != 1 || inet_pton(fam, d[0].s, r->rec.u.addr.bytes) != 1)
            return "bad address";
        r->rec.u.addr.family = fam;
        inet_ntop(fam, r->rec.u.addr.bytes, r->rec.u.addr.text, sizeof r->rec.u.addr.text);
        break;
    }
    case MM_DNS_T_MX: {
        char *e;
        long pref = nd == 2 ? strtol(d[0].s, &e, 10) : -1;
        if (nd != 2 || *e || pref < 0 || pref > 65535)
            return "bad MX";
        r->rec.u.mx.preference = (unsigned)pref;
        r->data = strcmp(d[1].s, ".") == 0 ? strdup("") : absname(d[1].s, origin);
        if (!r->data)
            return "out of memory";
        break;
    }
    case MM_DNS_T_NS:
    case MM_DNS_T_PTR:
    case MM_DNS_T_CNAME:
        if (nd != 1)
            return "bad target name";
        if (!(r->data = absname(d[0].s, origin)))
            return "out of memory";
        break;
    case MM_DNS_T_TXT: {
        if (nd == 0)
            return "TXT without text";
        size_t total = 0;
        for (size_t k = 0; k < nd; k++) {
            if (d[k].len > 255)
                return "TXT character-string over 255 bytes (split it in quoted parts)";
            total += d[k].len;
        }
        if (!(r->data = malloc(total + 1)))
            return "out of memory";
        size_t off = 0;
        for (size_t k = 0; k < nd; k++) {
            memcpy(r->data + off, d[k].s, d[k].len);
            off += d[k].len;
        }
        r->data[off] = 0;
        r->rec.u.txt.len = total;
        r->rec.u.txt.nstrings = (unsigned)nd;
        break;
    }
    default: break; /* SOA and others: the name exists */
    }
    return NULL;
}

mm_status_t mm_zonedb_load(mm_zonedb *z, const char *text, size_t len, const char *origin,
                           char *err, size_t errlen)
{
    if (!z || !text)
        return MM_EINVAL;
    char org[300];
    snprintf(org, sizeof org, "%s", origin ? origin : "");
    if (*org && org[strlen(org) - 1] == '.')
        org[strlen(org) - 1] = 0;
    line *l = calloc(1, sizeof *l);
    if (!l)
        return MM_ENOMEM;
    const char *p = text, *end = text + len, *e = NULL;
    char *owner = NULL;
    size_t lineno = 1, start = 1, before = z->nzones;
    bool any_origin = *org != 0;
    mm_status_t st = MM_OK;
    while (!e && (start = lineno, p = read_entry(p, end, l, &e, &lineno)) != NULL) {
        if (l->n == 0)
            continue;
        if (l->t[0].s[0] == '$' && !l->blank_owner) {
            if (strcasecmp(l->t[0].s, "$ORIGIN") == 0 && l->n == 2) {
                char *a = absname(l->t[1].s, org);
                snprintf(org, sizeof org, "%s", a ? a : "");
                free(a);
                any_origin = true;
                /* every $ORIGIN is a zone of its own too: a file may hold
                 * several (forward and reverse) without their SOA */
                if (add_zone(z, org) != MM_OK)
                    e = "out of memory";
            } else if (strcasecmp(l->t[0].s, "$TTL") != 0) {
                e = "unsupported directive";
            }
            continue;
        }
        size_t i = 0;
        if (!l->blank_owner) {
            free(owner);
            owner = absname(l->t[0].s, org);
            i = 1;
        }
        if (!owner) {
            e = "record without owner";
            break;
        }
        for (int k = 0; k < 2 && i < l->n; k++)
            if (is_ttl(l->t[i].s) || strcasecmp(l->t[i].s, "IN") == 0)
                i++;
        if (i >= l->n) {
            e = "record without type";
            break;
        }
        char *own = strdup(owner);
        if (!own) {
            e = "out of memory";
            break;
        }
        size_t had = z->n;
        e = parse_rdata(z, own, l, i, org);
        if (z->n == had) /* not stored: still ours */
            free(own);
    }
    if (!e && z->nzones == before && any_origin && add_zone(z, org) != MM_OK)
        e = "out of memory";
    if (!e && z->nzones == before)
        e = "no SOA and no $ORIGIN: cannot tell which zone this is";
    if (e) {
        if (err)
            snprintf(err, errlen, "line %zu: %s", start, e);
        st = strcmp(e, "out of memory") == 0 ? MM_ENOMEM : MM_EPARSE;
    }
    free(owner);
    line_clear(l);
    free(l);
    return st;
}

/* ---- answers ---- */

static int cmp_rec(const void *a, const void *b)
{
    const zrec *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->type > y->type) - (x->type < y->type);
}

static mm_status_t finish(mm_zonedb *z)
{
    if (z->sorted)
        return MM_OK;
    if (z->n)
        qsort(z->recs, z->n, sizeof *z->recs, cmp_rec);
    free(z->answer);
    z->answer = calloc(z->n ? z->n : 1, sizeof *z->answer);
    if (!z->answer)
        return MM_ENOMEM;
    for (size_t i = 0; i < z->n; i++) {
        zrec *r = &z->recs[i];
        mm_dns_record *o = &z->answer[i];
        *o = r->rec;
        if (r->type == MM_DNS_T_TXT)
            o->u.txt.data = r->data;
        else if (r->type == MM_DNS_T_MX)
            o->u.mx.host = r->data;
        else if (r->type == MM_DNS_T_NS || r->type == MM_DNS_T_PTR || r->type == MM_DNS_T_CNAME)
            o->u.name = r->data;
    }
    z->sorted = true;
    return MM_OK;
}

static bool in_zones(const mm_zonedb *z, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < z->nzones; i++) {
        size_t m = strlen(z->zones[i]);
        if (m == 0 || (n == m && strcmp(name, z->zones[i]) == 0) ||
            (n > m && name[n - m - 1] == '.' && strcmp(name + n - m, z->zones[i]) == 0))
            return true;
    }
    return false;
}

/* First record of name (and type, if >= 0); SIZE_MAX when none. */
static size_t find(const mm_zonedb *z, const char *name, int type, size_t *count)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(z->recs[mid].name, name);
        if (c == 0 && type >= 0)
            c = (z->recs[mid].type > type) - (z->recs[mid].type < type);
        else if (c == 0)
            c = 1; /* leftmost record of the name */
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = lo;
    while (k < z->n && strcmp(z->recs[k].name, name) == 0 && (type < 0 || z->recs[k].type == type))
        k++;
    if (count)
        *count = k - lo;
    return k > lo ? lo : (size_t)-1;
}

static void zone_lookup(void *ctx, const char *qname, int type, mm_dns_answer *ans)
{
    mm_zonedb *z = ctx;
    char name[300];
    snprintf(name, sizeof name, "%s", qname);
    size_t nl = strlen(name);
    if (nl && name[nl - 1] == '.')
        name[nl - 1] = 0;
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    ans->rcode = 0;
    ans->nrecords = 0;
    ans->records = NULL;
    if (finish(z) != MM_OK) {
        ans->result = MM_DNS_SERVFAIL;
        ans->rcode = 2;
        return;
    }
    for (int hop = 0; hop < 8; hop++) {
        if (!in_zones(z, name)) {
            ans->result = MM_DNS_NXDOMAIN;
            ans->rcode = 3;
            return;
        }
        size_t n = 0, i = find(z, name, type, &n);
        if (i != (size_t)-1) {
            ans->result = MM_DNS_ANSWER;
            ans->nrecords = n > 256 ? 256 : n;
            ans->records = &z->answer[i];
            return;
        }
        size_t cn = find(z, name, MM_DNS_T_CNAME, NULL);
        if (cn == (size_t)-1 || type == MM_DNS_T_CNAME) {
            bool exists = find(z, name, -1, NULL) != (size_t)-1;
            /* a name with records below it exists too (an empty non-terminal) */
            for (size_t k = 0; !exists && k < z->n; k++) {
                size_t a = strlen(z->recs[k].name), b = strlen(name);
                exists = a > b && z->recs[k].name[a - b - 1] == '.' &&
                         strcmp(z->recs[k].name + a - b, name) == 0;
            }
            ans->result = exists ? MM_DNS_NODATA : MM_DNS_NXDOMAIN;
            ans->rcode = exists ? 0 : 3;
            return;
        }
        snprintf(name, sizeof name, "%s", z->recs[cn].data);
    }
    ans->result = MM_DNS_SERVFAIL; /* a CNAME loop */
    ans->rcode = 2;
}

void mm_zonedb_backend(mm_zonedb *z, mm_dns_backend *b)
{
    b->name = "zone";
    b->lookup = zone_lookup;
    b->ctx = z;
}
