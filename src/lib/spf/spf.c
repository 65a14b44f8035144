/*
 * spf.c - check_host() (RFC 7208 sections 4 to 6) over the mm_dns layer.
 *
 * The evaluator is a plain recursive walk that asks one DNS query at a time
 * and turns the resolver's loop (mm_dns_run_once) until that query is
 * answered: correctness first; a checkup runs its other checks on the same
 * resolver meanwhile.  Every record visited becomes a node of the trace (the
 * include/redirect tree), so a report can show where each lookup was spent.
 *
 * The same walk, with walk set, serves the linter: it visits every include
 * and redirect whatever matches, and counts lookup terms instead of asking
 * for their addresses.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "spf_int.h"
#include "util/arena.h"

#define MAX_DEPTH 32       /* lookups bound recursion already; this guards the stack */
#define MAX_WALK_NODES 200 /* the lint walk ignores the lookup limit: bound include loops */

struct mm_spf {
    mm_dns *dns;
    char *receiver;
    char *defexp;
    uint64_t timestamp;
    mm_spf_rcache records; /* parsed records by text: parse each text once */
};

/* An evaluation lives in its own arena, with its nodes and every string of
 * the trace: a dozen small strings per evaluation, freed by one call. */
struct mm_spf_eval {
    mm_arena mem;
    mm_spf_result result;
    char *explanation;
    char *reason;
    unsigned lookups, voids;
    mm_spf_node *nodes;
    size_t nnodes, cap;
};

/* A copied DNS answer: names (TXT data, MX hosts, PTR names) or addresses.
 * The names, their pointers and lengths share one allocation (blk). */
typedef struct rrset {
    mm_dns_result res;
    size_t n;
    char **str;
    size_t *len;
    unsigned char (*addr)[16];
    void *blk;
    int done;
    int oom;
} rrset;

typedef struct ev {
    mm_spf *s;
    mm_spf_eval *e;
    unsigned char ip[16];
    int fam;
    char iptext[INET6_ADDRSTRLEN]; /* "" until the reverse name needs it */
    const char *sender;
    const char *helo;
    int walk;
    int in_include; /* > 0 inside an include: exp= is not used there */
    char *ptrname;  /* %{p}, computed once */
    int ptr_done;
    mm_spf_macro_vars vars;
} ev;

const char *mm_spf_result_name(mm_spf_result r)
{
    static const char *const names[] = {"none",     "neutral",   "pass",     "fail",
                                        "softfail", "temperror", "permerror"};
    return (unsigned)r < MM_SPF_RESULT_MAX_ ? names[r] : "unknown";
}

/* ---- DNS, one query at a time ---- */

static void rr_clear(rrset *r)
{
    free(r->blk);
    memset(r, 0, sizeof *r);
}

static const char *answer_name(const mm_dns_answer *a, size_t i, size_t *len)
{
    const mm_dns_record *rec = &a->records[i];
    if (a->type == MM_DNS_T_TXT) {
        *len = rec->u.txt.len;
        return rec->u.txt.data;
    }
    const char *p = a->type == MM_DNS_T_MX ? rec->u.mx.host : rec->u.name;
    *len = p ? strlen(p) : 0;
    return p;
}

/* Addresses of the answer's family, in one block. */
static void copy_addrs(rrset *r, const mm_dns_answer *a)
{
    r->blk = r->addr = calloc(a->nrecords, sizeof *r->addr);
    if (!r->addr) {
        r->oom = 1;
        return;
    }
    int fam = a->type == MM_DNS_T_A ? AF_INET : AF_INET6;
    for (size_t i = 0; i < a->nrecords; i++)
        if (a->records[i].u.addr.family == fam)
            memcpy(r->addr[r->n++], a->records[i].u.addr.bytes, 16);
}

/* Names as NUL-terminated copies (TXT data may hold NULs: len says how
 * long), pointers, lengths and bytes in one block: a look-up costs one
 * malloc and one free however many records come back. */
static void copy_names(rrset *r, const mm_dns_answer *a)
{
    size_t n = a->nrecords, bytes = 0, len;
    for (size_t i = 0; i < n; i++) {
        answer_name(a, i, &len);
        bytes += len + 1;
    }
    char *blk = malloc(n * (sizeof *r->str + sizeof *r->len) + bytes);
    if (!blk) {
        r->oom = 1;
        return;
    }
    r->blk = blk;
    r->str = (char **)blk;
    r->len = (size_t *)(blk + n * sizeof *r->str);
    char *w = blk + n * (sizeof *r->str + sizeof *r->len);
    for (size_t i = 0; i < n; i++) {
        const char *p = answer_name(a, i, &len);
        if (len)
            memcpy(w, p, len);
        w[len] = '\0';
        r->str[i] = w;
        r->len[i] = len;
        w += len + 1;
    }
    r->n = n;
}

static void on_answer(void *arg, const mm_dns_answer *a)
{
    rrset *r = arg;
    r->done = 1;
    r->res = a->result;
    if (a->result != MM_DNS_ANSWER || a->nrecords == 0) {
        if (a->result == MM_DNS_ANSWER)
            r->res = MM_DNS_NODATA;
        return;
    }
    if (a->type == MM_DNS_T_A || a->type == MM_DNS_T_AAAA)
        copy_addrs(r, a);
    else
        copy_names(r, a);
}

/* A name is fit to ask: labels 1..63, total <= 253 (RFC 1035 2.3.4). */
static int name_ok(const char *name)
{
    size_t n = strlen(name), label = 0;
    if (n && name[n - 1] == '.')
        n--;
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (++label > 63) {
            return 0;
        }
    }
    return 1;
}

/*
 * Macros can put any visible byte in a name, and %_ a space (RFC 7208 7.3).
 * Such bytes go to the resolver escaped as RFC 1035 5.1 says: "\\X" for the
 * visible specials and "\\DDD" for the rest, because the DNS layer refuses raw
 * control bytes and spaces.  An in-memory backend sees the escaped form and
 * decodes it.  (c-ares 1.18 decodes only "\\X", so a space reaches the wire as
 * the digits: such a name does not exist in practice.)
 */
static int needs_escape(unsigned char c)
{
    return c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
           c == '@' || c == '$';
}

/* name escaped into out (4 * strlen(name) + 1 bytes at least). */
static void escape_name(const char *name, char *out)
{
    char *w = out;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= ' ' || *p >= 0x7f) {
            *w++ = '\\';
            *w++ = (char)('0' + *p / 100);
            *w++ = (char)('0' + *p / 10 % 10);
            *w++ = (char)('0' + *p % 10);
        } else {
            if (needs_escape(*p))
                *w++ = '\\';
            *w++ = (char)*p;
        }
    *w = '\0';
}

/* Almost every name is plain: it goes to the resolver as it is, and only
 * the odd one is escaped, on the stack (name_ok bounds it to 254 bytes). */
static mm_status_t query(ev *v, const char *name, int type, rrset *r)
{
    const unsigned char *p = (const unsigned char *)name;
    while (*p && !needs_escape(*p))
        p++;
    char esc[4 * 254 + 1];
    if (*p) {
        if (strlen(name) > 254)
            return MM_EINVAL;
        escape_name(name, esc);
        name = esc;
    }
    return mm_dns_query_owned(v->s->dns, r, name, type, on_answer, r);
}

static void dns_sync(ev *v, const char *name, int type, rrset *r)
{
    memset(r, 0, sizeof *r);
    if (!name_ok(name)) { /* never on the wire: as a name that does not exist */
        r->res = MM_DNS_NXDOMAIN;
        return;
    }
    mm_status_t st = query(v, name, type, r);
    if (st == MM_EINVAL) { /* too long once escaped: cannot exist on the wire */
        r->res = MM_DNS_NXDOMAIN;
        return;
    }
    if (st != MM_OK) {
        r->res = MM_DNS_ERROR;
        return;
    }
    while (!r->done)
        if (mm_dns_run_once(v->s->dns, -1) != MM_OK && !r->done) {
            mm_dns_cancel(v->s->dns, r);
            r->res = MM_DNS_ERROR;
            break;
        }
    if (r->oom)
        r->res = MM_DNS_ERROR;
}

/* ---- the result record ---- */

static void set_reason(ev *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(ev *v, const char *fmt, ...)
{
    if (v->e->reason)
        return; /* the innermost reason is the useful one */
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    v->e->reason = mm_arena_strdup(&v->e->mem, buf);
}

/* A reason made of strings only (a NULL-terminated list), as set_reason()
 * would print it, cut to 511 bytes alike.  Most reasons are strings only (a
 * syntax error, a DNS failure), and vsnprintf cost ten times the joining. */
static void reason_cat(ev *v, ...) __attribute__((sentinel));
static void reason_cat(ev *v, ...)
{
    if (v->e->reason)
        return;
    char buf[512];
    size_t len = 0;
    va_list ap;
    va_start(ap, v);
    for (const char *p; (p = va_arg(ap, const char *)) != NULL;) {
        size_t n = strlen(p);
        if (n > sizeof buf - 1 - len)
            n = sizeof buf - 1 - len;
        memcpy(buf + len, p, n);
        len += n;
    }
    va_end(ap);
    v->e->reason = mm_arena_strndup(&v->e->mem, buf, len);
}

static size_t add_node(ev *v, size_t parent, const char *via, const char *domain)
{
    mm_spf_eval *e = v->e;
    if (e->nnodes == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        mm_spf_node *n = mm_arena_alloc(&e->mem, cap * sizeof *n);
        if (!n)
            return (size_t)-1;
        if (e->nnodes) /* the old array stays in the arena: at most as big as the new */
            memcpy(n, e->nodes, e->nnodes * sizeof *n);
        e->nodes = n;
        e->cap = cap;
    }
    mm_spf_node *n = &e->nodes[e->nnodes];
    memset(n, 0, sizeof *n);
    n->parent = parent;
    n->depth = parent == (size_t)-1 ? 0 : e->nodes[parent].depth + 1;
    n->via = via;
    n->domain = mm_arena_strdup(&e->mem, domain);
    n->dns = MM_DNS_ERROR;
    return n->domain ? e->nnodes++ : (size_t)-1;
}

/* Always a fresh pointer: the array moves when recursion adds nodes. */
static mm_spf_node *node(ev *v, size_t i)
{
    return &v->e->nodes[i];
}

/* ---- the limits of section 4.6.4 ---- */

static int count_lookup(ev *v, size_t ni, const char *term)
{
    node(v, ni)->lookups++;
    if (++v->e->lookups > MM_SPF_MAX_LOOKUPS && !v->walk) {
        set_reason(v, "more than %d DNS-lookup terms (at '%s')", MM_SPF_MAX_LOOKUPS, term);
        return -1;
    }
    return 0;
}

/* -1: permerror (void limit), 0 fine. */
static int count_void(ev *v, const rrset *r, const char *name)
{
    if (r->res != MM_DNS_NXDOMAIN && r->res != MM_DNS_NODATA)
        return 0;
    if (++v->e->voids > MM_SPF_MAX_VOID_LOOKUPS && !v->walk) {
        set_reason(v, "more than %d void DNS look-ups (at %s)", MM_SPF_MAX_VOID_LOOKUPS, name);
        return -1;
    }
    return 0;
}

/* ---- %{p} and the ptr mechanism (section 5.5) ---- */

static int addr_in(const rrset *r, const unsigned char *ip, int fam)
{
    for (size_t i = 0; i < r->n; i++)
        if (memcmp(r->addr[i], ip, fam == AF_INET ? 4 : 16) == 0)
            return 1;
    return 0;
}

static int is_sub(const char *name, const char *domain)
{
    size_t n = strlen(name), d = strlen(domain);
    if (n && name[n - 1] == '.')
        n--;
    if (d && domain[d - 1] == '.')
        d--;
    if (n == d)
        return strncasecmp(name, domain, n) == 0;
    return n > d && name[n - d - 1] == '.' && strncasecmp(name + n - d, domain, d) == 0;
}

/*
 * The validated names of ip: PTR names (the first 10) whose A/AAAA holds ip.
 * Returns the best for target: the target itself, a subdomain of it, or any
 * (with target NULL, the first).  A DNS error on the PTR query gives none
 * (section 5.5: the mechanism does not match, %{p} is "unknown").
 */
static char *validated_name(ev *v, const char *target)
{
    char rev[80];
    rrset ptr, a;
    char *best = NULL;
    int best_rank = 0;
    /* inet_ntop is dear (it formats with sprintf) and only PTR look-ups need
     * the canonical text: made here, once, not for every evaluation */
    if (!v->iptext[0])
        inet_ntop(v->fam, v->ip, v->iptext, sizeof v->iptext);
    if (mm_dns_reverse_name(v->iptext, NULL, rev, sizeof rev) != MM_OK)
        return NULL;
    dns_sync(v, rev, MM_DNS_T_PTR, &ptr);
    for (size_t i = 0; i < ptr.n && i < MM_SPF_MAX_NAMES && best_rank < 3; i++) {
        dns_sync(v, ptr.str[i], v->fam == AF_INET ? MM_DNS_T_A : MM_DNS_T_AAAA, &a);
        if (addr_in(&a, v->ip, v->fam)) {
            int rank = !target                               ? 3
                       : strcasecmp(ptr.str[i], target) == 0 ? 3
                       : is_sub(ptr.str[i], target)          ? 2
                                                             : 1;
            if (rank > best_rank) {
                free(best);
                best = strdup(ptr.str[i]);
                best_rank = rank;
            }
        }
        rr_clear(&a);
    }
    rr_clear(&ptr);
    return best;
}

static const char *ptr_macro(void *arg)
{
    ev *v = arg;
    if (!v->ptr_done) {
        v->ptr_done = 1;
        v->ptrname = validated_name(v, v->vars.domain);
    }
    return v->ptrname;
}

/* ---- mechanisms ---- */

enum { NOMATCH = 0, MATCH = 1, TEMP = -1, PERM = -2, NOMEM = -3 };

static char *expand(ev *v, const char *spec, const char *domain, int explanation)
{
    char *out = NULL;
    v->vars.domain = domain;
    mm_status_t st = mm_spf_expand_x(spec, &v->vars, explanation, !explanation, ptr_macro, v, &out);
    return st == MM_OK ? out : NULL;
}

static int match_addrs(ev *v, const char *name, const mm_spf_term *t, int is_mx_host)
{
    rrset r;
    int bits = v->fam == AF_INET ? (t->cidr4 < 0 ? 32 : t->cidr4) : (t->cidr6 < 0 ? 128 : t->cidr6);
    dns_sync(v, name, v->fam == AF_INET ? MM_DNS_T_A : MM_DNS_T_AAAA, &r);
    if (mm_dns_result_is_temporary(r.res)) {
        reason_cat(v, "DNS ", mm_dns_result_name(r.res), " for the address of ", name, NULL);
        rr_clear(&r);
        return TEMP;
    }
    if (!is_mx_host && count_void(v, &r, name) < 0) {
        rr_clear(&r);
        return PERM;
    }
    int m = NOMATCH;
    for (size_t i = 0; i < r.n && m == NOMATCH; i++)
        if (mm_spf_addr_match(r.addr[i], v->ip, bits))
            m = MATCH;
    rr_clear(&r);
    return m;
}

static int mech_mx(ev *v, const char *name, const mm_spf_term *t)
{
    rrset mx;
    dns_sync(v, name, MM_DNS_T_MX, &mx);
    if (mm_dns_result_is_temporary(mx.res)) {
        reason_cat(v, "DNS ", mm_dns_result_name(mx.res), " for the MX of ", name, NULL);
        rr_clear(&mx);
        return TEMP;
    }
    int m = count_void(v, &mx, name) < 0 ? PERM : NOMATCH;
    if (m == NOMATCH && mx.n > MM_SPF_MAX_NAMES) {
        set_reason(v, "%s has more than %d MX records", name, MM_SPF_MAX_NAMES);
        m = PERM;
    }
    for (size_t i = 0; i < mx.n && m == NOMATCH; i++)
        if (mx.len[i]) /* a null MX "." names no host */
            m = match_addrs(v, mx.str[i], t, 1);
    rr_clear(&mx);
    return m;
}

static int mech_ptr(ev *v, const char *target)
{
    char *name = validated_name(v, target);
    /* section 5.5: a DNS error on the PTR query makes the mechanism not match */
    int m = name && is_sub(name, target) ? MATCH : NOMATCH;
    free(name);
    return m;
}

static int mech_exists(ev *v, const char *name)
{
    rrset r;
    dns_sync(v, name, MM_DNS_T_A, &r); /* always A, whatever the client's family */
    int m = r.n > 0 ? MATCH : NOMATCH;
    if (mm_dns_result_is_temporary(r.res)) {
        reason_cat(v, "DNS ", mm_dns_result_name(r.res), " for ", name, NULL);
        m = TEMP;
    } else if (count_void(v, &r, name) < 0) {
        m = PERM;
    }
    rr_clear(&r);
    return m;
}

static mm_spf_result check(ev *v, const char *domain, size_t parent, const char *via);

static int mech_include(ev *v, const char *name, size_t ni)
{
    v->in_include++;
    mm_spf_result r = check(v, name, ni, "include");
    v->in_include--;
    switch (r) {
    case MM_SPF_PASS:
        return MATCH;
    case MM_SPF_FAIL:
    case MM_SPF_SOFTFAIL:
    case MM_SPF_NEUTRAL:
        return NOMATCH;
    case MM_SPF_TEMPERROR:
        return TEMP;
    case MM_SPF_NONE:
        reason_cat(v, "include:", name, " names a domain without an SPF record", NULL);
        return PERM;
    default:
        return PERM;
    }
}

/* One mechanism: MATCH, NOMATCH, TEMP or PERM. */
static int mechanism(ev *v, const mm_spf_term *t, const char *domain, size_t ni)
{
    int lookup = t->kind == MM_SPF_T_INCLUDE || t->kind == MM_SPF_T_A || t->kind == MM_SPF_T_MX ||
                 t->kind == MM_SPF_T_PTR || t->kind == MM_SPF_T_EXISTS;
    if (t->kind == MM_SPF_T_ALL)
        return v->walk ? NOMATCH : MATCH;
    if (t->kind == MM_SPF_T_IP4 || t->kind == MM_SPF_T_IP6) {
        int fam = t->kind == MM_SPF_T_IP4 ? AF_INET : AF_INET6;
        int bits =
            fam == AF_INET ? (t->cidr4 < 0 ? 32 : t->cidr4) : (t->cidr6 < 0 ? 128 : t->cidr6);
        return !v->walk && v->fam == fam && mm_spf_addr_match(t->addr, v->ip, bits) ? MATCH
                                                                                    : NOMATCH;
    }
    if (lookup && count_lookup(v, ni, t->text) < 0)
        return PERM;
    char *owned = t->domain_spec ? expand(v, t->domain_spec, domain, 0) : NULL;
    const char *name = t->domain_spec ? owned : domain;
    if (!name) {
        reason_cat(v, "bad macro in '", t->text, "'", NULL);
        return PERM;
    }
    int m = NOMATCH;
    if (t->kind == MM_SPF_T_INCLUDE)
        m = mech_include(v, name, ni);
    else if (v->walk)
        m = NOMATCH;
    else if (t->kind == MM_SPF_T_A)
        m = match_addrs(v, name, t, 0);
    else if (t->kind == MM_SPF_T_MX)
        m = mech_mx(v, name, t);
    else if (t->kind == MM_SPF_T_PTR)
        m = mech_ptr(v, name);
    else if (t->kind == MM_SPF_T_EXISTS)
        m = mech_exists(v, name);
    free(owned);
    return m;
}

static mm_spf_result qualifier_result(char q)
{
    switch (q) {
    case '-':
        return MM_SPF_FAIL;
    case '~':
        return MM_SPF_SOFTFAIL;
    case '?':
        return MM_SPF_NEUTRAL;
    default:
        return MM_SPF_PASS;
    }
}

/* ---- records ---- */

/* Fetch and select the one SPF record of domain (section 4.5). */
static mm_spf_result fetch_record(ev *v, const char *domain, size_t ni, mm_spf_record **out)
{
    rrset txt;
    *out = NULL;
    dns_sync(v, domain, MM_DNS_T_TXT, &txt);
    node(v, ni)->dns = txt.res;
    if (mm_dns_result_is_temporary(txt.res)) {
        reason_cat(v, "DNS ", mm_dns_result_name(txt.res), " for the TXT records of ", domain,
                   NULL);
        rr_clear(&txt);
        return MM_SPF_TEMPERROR;
    }
    size_t found = 0, which = 0;
    for (size_t i = 0; i < txt.n; i++)
        if (txt.len[i] >= 6 && strncasecmp(txt.str[i], "v=spf1", 6) == 0 &&
            (txt.len[i] == 6 || txt.str[i][6] == ' ')) {
            found++;
            which = i;
        }
    mm_spf_result r = MM_SPF_NONE;
    if (found > 1) {
        set_reason(v, "%s publishes %zu SPF records", domain, found);
        r = MM_SPF_PERMERROR;
    } else if (found == 1) {
        node(v, ni)->record = mm_arena_strdup(&v->e->mem, txt.str[which]);
        mm_status_t st = mm_spf_rcache_get(&v->s->records, txt.str[which], txt.len[which], out);
        if (st != MM_OK) {
            r = MM_SPF_PERMERROR;
        } else if ((*out)->error) {
            reason_cat(v, "syntax error in the SPF record of ", domain, ": ", (*out)->error, NULL);
            r = MM_SPF_PERMERROR;
        } else {
            r = MM_SPF_NEUTRAL; /* "go on" */
        }
    }
    rr_clear(&txt);
    return r;
}

/* The explanation of a fail (section 6.2), in the eval's arena; NULL keeps the default. */
static char *explain(ev *v, const mm_spf_record *rec, const char *domain)
{
    char *name = expand(v, rec->exp->domain_spec, domain, 0);
    if (!name)
        return NULL;
    rrset txt;
    dns_sync(v, name, MM_DNS_T_TXT, &txt);
    free(name);
    char *out = NULL;
    if (txt.n == 1) {
        int ascii = strlen(txt.str[0]) == txt.len[0];
        for (size_t i = 0; ascii && i < txt.len[0]; i++)
            if ((unsigned char)txt.str[0][i] > 0x7e || (unsigned char)txt.str[0][i] < 0x20)
                ascii = 0;
        char *text = ascii ? expand(v, txt.str[0], domain, 1) : NULL;
        out = text ? mm_arena_strdup(&v->e->mem, text) : NULL;
        free(text);
    }
    rr_clear(&txt);
    return out;
}

static mm_spf_result finish(ev *v, size_t ni, mm_spf_result r, const char *matched)
{
    mm_spf_node *n = node(v, ni);
    n->result = r;
    if (matched && !n->matched)
        n->matched = mm_arena_strdup(&v->e->mem, matched);
    return r;
}

/* Evaluate a parsed record; the recursion of include and redirect goes through check(). */
static mm_spf_result run_record(ev *v, const mm_spf_record *rec, const char *domain, size_t ni)
{
    for (size_t i = 0; i < rec->nterms; i++) {
        const mm_spf_term *t = &rec->terms[i];
        if (t->kind >= MM_SPF_T_REDIRECT)
            continue;
        int m = mechanism(v, t, domain, ni);
        if (v->walk && m < 0)
            continue; /* the lint walk goes on: the lint reports the broken branch */
        if (m == TEMP)
            return finish(v, ni, MM_SPF_TEMPERROR, t->text);
        if (m < 0)
            return finish(v, ni, MM_SPF_PERMERROR, t->text);
        if (m == NOMATCH)
            continue;
        mm_spf_result r = qualifier_result(t->qualifier);
        finish(v, ni, r, t->text);
        /* section 6.2: an included record's exp= is never used */
        if (r == MM_SPF_FAIL && rec->exp && !v->in_include && !v->e->explanation)
            v->e->explanation = explain(v, rec, domain);
        return r;
    }
    if (!rec->redirect)
        return finish(v, ni, MM_SPF_NEUTRAL, NULL);
    if (count_lookup(v, ni, rec->redirect->text) < 0)
        return finish(v, ni, MM_SPF_PERMERROR, rec->redirect->text);
    char *target = expand(v, rec->redirect->domain_spec, domain, 0);
    if (!target) {
        reason_cat(v, "bad macro in '", rec->redirect->text, "'", NULL);
        return finish(v, ni, MM_SPF_PERMERROR, rec->redirect->text);
    }
    /* section 6.1: the target's result is ours; no record there is a permerror */
    mm_spf_result r = check(v, target, ni, "redirect");
    if (r == MM_SPF_NONE) {
        reason_cat(v, "redirect=", target, " names a domain without an SPF record", NULL);
        r = MM_SPF_PERMERROR;
    }
    free(target);
    return finish(v, ni, r, rec->redirect->text);
}

/* A domain fit for check_host (section 4.3): multi-label, labels of 1..63. */
static int domain_ok(const char *d)
{
    if (!name_ok(d) || !strchr(d, '.'))
        return 0;
    size_t n = strlen(d);
    return !(n == 1 || (n > 1 && d[n - 1] == '.' && !memchr(d, '.', n - 1)));
}

static mm_spf_result check(ev *v, const char *domain, size_t parent, const char *via)
{
    size_t ni = add_node(v, parent, via, domain);
    if (ni == (size_t)-1)
        return MM_SPF_TEMPERROR;
    if (node(v, ni)->depth > MAX_DEPTH || (v->walk && ni >= MAX_WALK_NODES)) {
        reason_cat(v, "include/redirect nesting too deep (a loop?)", NULL);
        return finish(v, ni, MM_SPF_PERMERROR, NULL);
    }
    if (!domain_ok(domain))
        return finish(v, ni, MM_SPF_NONE, NULL);
    mm_spf_record *rec = NULL;
    mm_spf_result r = fetch_record(v, domain, ni, &rec);
    if (r == MM_SPF_NEUTRAL)
        r = run_record(v, rec, domain, ni);
    else
        finish(v, ni, r, NULL);
    mm_spf_rcache_release(rec);
    return r;
}

/* ---- public ---- */

mm_status_t mm_spf_create(mm_dns *d, mm_spf **out)
{
    if (!d || !out)
        return MM_EINVAL;
    mm_spf *s = calloc(1, sizeof *s);
    if (!s || !(s->defexp = strdup("DEFAULT"))) {
        free(s);
        return MM_ENOMEM;
    }
    s->dns = d;
    *out = s;
    return MM_OK;
}

void mm_spf_free(mm_spf *s)
{
    if (!s)
        return;
    mm_spf_rcache_clear(&s->records);
    free(s->receiver);
    free(s->defexp);
    free(s);
}

static mm_status_t set_str(char **slot, const char *v)
{
    char *c = NULL;
    if (v && !(c = strdup(v)))
        return MM_ENOMEM;
    free(*slot);
    *slot = c;
    return MM_OK;
}

mm_status_t mm_spf_set_receiver(mm_spf *s, const char *receiver)
{
    return s ? set_str(&s->receiver, receiver) : MM_EINVAL;
}

mm_status_t mm_spf_set_default_explanation(mm_spf *s, const char *text)
{
    return s ? set_str(&s->defexp, text) : MM_EINVAL;
}

void mm_spf_set_timestamp(mm_spf *s, uint64_t t)
{
    if (s)
        s->timestamp = t;
}

static mm_spf_eval *eval_new(void)
{
    mm_arena mem;
    mm_arena_init(&mem);
    mm_spf_eval *e = mm_arena_alloc(&mem, sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->mem = mem;
    return e;
}

/* section 2.4: the null sender is postmaster@helo; a bare domain gets postmaster@ */
static const char *full_sender(mm_spf_eval *e, const char *sender, const char *helo)
{
    if (sender && *sender && sender[0] != '@' && strchr(sender, '@'))
        return sender;
    const char *dom = !sender || !*sender ? helo : sender[0] == '@' ? sender + 1 : sender;
    size_t n = strlen(dom);
    char *full = mm_arena_alloc(&e->mem, n + 12);
    if (full) {
        memcpy(full, "postmaster@", 11);
        memcpy(full + 11, dom, n + 1);
    }
    return full;
}

mm_status_t mm_spf_eval_run(mm_spf *s, const char *ip, const char *domain, const char *sender,
                            const char *helo, int walk, mm_spf_eval **out)
{
    if (!s || !ip || !domain || !out)
        return MM_EINVAL;
    *out = NULL;
    ev v;
    memset(&v, 0, sizeof v);
    v.s = s;
    v.walk = walk;
    if (!mm_spf_parse_ip(ip, v.ip, &v.fam))
        return MM_EINVAL;
    if (!helo)
        helo = "";
    mm_spf_eval *e = eval_new();
    if (!e || !(sender = full_sender(e, sender, helo))) {
        mm_spf_eval_free(e);
        return MM_ENOMEM;
    }
    v.e = e;
    v.vars.ip = ip; /* as given: %{i} keeps its case */
    v.vars.sender = sender;
    v.vars.helo = helo;
    v.vars.receiver = s->receiver;
    v.vars.timestamp = s->timestamp ? s->timestamp : (uint64_t)time(NULL);
    e->result = check(&v, domain, (size_t)-1, NULL);
    if (e->result == MM_SPF_FAIL && !e->explanation && s->defexp)
        e->explanation = mm_arena_strdup(&e->mem, s->defexp);
    if (e->result != MM_SPF_FAIL)
        e->explanation = NULL;
    free(v.ptrname);
    *out = e;
    return MM_OK;
}

mm_status_t mm_spf_check_host(mm_spf *s, const char *ip, const char *domain, const char *sender,
                              const char *helo, mm_spf_eval **out)
{
    return mm_spf_eval_run(s, ip, domain, sender, helo, 0, out);
}

void mm_spf_eval_free(mm_spf_eval *e)
{
    if (!e)
        return;
    mm_arena mem = e->mem; /* e itself is in the arena */
    mm_arena_free(&mem);
}

mm_spf_result mm_spf_eval_result(const mm_spf_eval *e)
{
    return e ? e->result : MM_SPF_TEMPERROR;
}

const char *mm_spf_eval_explanation(const mm_spf_eval *e)
{
    return e ? e->explanation : NULL;
}

const char *mm_spf_eval_reason(const mm_spf_eval *e)
{
    if (!e)
        return NULL;
    if (e->reason && (e->result == MM_SPF_PERMERROR || e->result == MM_SPF_TEMPERROR))
        return e->reason;
    return e->nnodes ? e->nodes[0].matched : NULL;
}

unsigned mm_spf_eval_lookups(const mm_spf_eval *e)
{
    return e ? e->lookups : 0;
}

unsigned mm_spf_eval_void_lookups(const mm_spf_eval *e)
{
    return e ? e->voids : 0;
}

size_t mm_spf_eval_nnodes(const mm_spf_eval *e)
{
    return e ? e->nnodes : 0;
}

const mm_spf_node *mm_spf_eval_node(const mm_spf_eval *e, size_t i)
{
    return e && i < e->nnodes ? &e->nodes[i] : NULL;
}
