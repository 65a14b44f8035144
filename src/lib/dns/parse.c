/*
 * parse.c - one DNS reply packet to an mm_dns_answer.
 *
 * The RCODE and the answer count come from the header (RFC 1035 4.1.1); the
 * records from c-ares' own parsers (ares_parse_*_reply of c-ares 1.18, which
 * follow CNAME chains and check names), except CNAME, which c-ares 1.18 has
 * no parser for: a short walk over the answer section with ares_expand_name().
 * Everything is copied into the caller's arena, so c-ares' allocations are
 * freed before this returns.
 */
#include "dns_int.h"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

enum { HDR_LEN = 12, DNS_MAX_MSG = 65535 };

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static mm_dns_record *records_alloc(mm_arena *a, size_t n)
{
    if (n > MM_DNS_MAX_RECORDS)
        n = MM_DNS_MAX_RECORDS;
    mm_dns_record *r = mm_arena_alloc(a, (n ? n : 1) * sizeof *r);
    if (r)
        memset(r, 0, (n ? n : 1) * sizeof *r);
    return r;
}

void mm_dns_addr_fill(mm_dns_record *rec, int family, const void *bytes)
{
    size_t n = family == AF_INET ? 4 : 16;
    rec->u.addr.family = family;
    memset(rec->u.addr.bytes, 0, sizeof rec->u.addr.bytes);
    memcpy(rec->u.addr.bytes, bytes, n);
    if (!inet_ntop(family, bytes, rec->u.addr.text, sizeof rec->u.addr.text))
        rec->u.addr.text[0] = '\0';
}

/* c-ares status after parsing -> our result; records were found iff n > 0. */
static mm_status_t finish(int st, size_t n, mm_dns_answer *ans)
{
    if (st == ARES_ENOMEM)
        return MM_ENOMEM;
    if (st == ARES_SUCCESS && n > 0)
        ans->result = MM_DNS_ANSWER;
    else if (st == ARES_SUCCESS || st == ARES_ENODATA)
        ans->result = MM_DNS_NODATA; /* e.g. only a CNAME to a name without the type */
    else
        ans->result = MM_DNS_ERROR;
    return MM_OK;
}

static mm_status_t parse_a(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    struct ares_addrttl t[MM_DNS_MAX_RECORDS];
    int n = MM_DNS_MAX_RECORDS;
    int st = ares_parse_a_reply(p, len, NULL, t, &n);
    if (st == ARES_SUCCESS && n > 0) {
        mm_dns_record *r = records_alloc(a, (size_t)n);
        if (!r)
            return MM_ENOMEM;
        for (int i = 0; i < n; i++)
            mm_dns_addr_fill(&r[i], AF_INET, &t[i].ipaddr);
        ans->records = r;
        ans->nrecords = (size_t)n;
    }
    return finish(st, st == ARES_SUCCESS ? (size_t)n : 0, ans);
}

static mm_status_t parse_aaaa(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    struct ares_addr6ttl t[MM_DNS_MAX_RECORDS];
    int n = MM_DNS_MAX_RECORDS;
    int st = ares_parse_aaaa_reply(p, len, NULL, t, &n);
    if (st == ARES_SUCCESS && n > 0) {
        mm_dns_record *r = records_alloc(a, (size_t)n);
        if (!r)
            return MM_ENOMEM;
        for (int i = 0; i < n; i++)
            mm_dns_addr_fill(&r[i], AF_INET6, &t[i].ip6addr);
        ans->records = r;
        ans->nrecords = (size_t)n;
    }
    return finish(st, st == ARES_SUCCESS ? (size_t)n : 0, ans);
}

static mm_status_t parse_mx(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    struct ares_mx_reply *list = NULL;
    int st = ares_parse_mx_reply(p, len, &list);
    size_t n = 0;
    for (struct ares_mx_reply *m = list; m && n < MM_DNS_MAX_RECORDS; m = m->next)
        n++;
    mm_status_t rc = MM_OK;
    if (st == ARES_SUCCESS && n > 0) {
        mm_dns_record *r = records_alloc(a, n);
        size_t i = 0;
        for (struct ares_mx_reply *m = list; r && m && i < n; m = m->next, i++) {
            r[i].u.mx.preference = m->priority;
            r[i].u.mx.host = mm_arena_strdup(a, m->host);
            if (!r[i].u.mx.host)
                r = NULL;
        }
        ans->records = r;
        ans->nrecords = r ? n : 0;
        rc = r ? MM_OK : MM_ENOMEM;
    }
    ares_free_data(list);
    return rc != MM_OK ? rc : finish(st, n, ans);
}

/* Join the character-strings of each TXT record: c-ares marks the first string of a record. */
static mm_status_t parse_txt(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    struct ares_txt_ext *list = NULL;
    int st = ares_parse_txt_reply_ext(p, len, &list);
    size_t n = 0;
    for (struct ares_txt_ext *t = list; t; t = t->next)
        if (t->record_start || t == list)
            n++;
    if (n > MM_DNS_MAX_RECORDS)
        n = MM_DNS_MAX_RECORDS;
    mm_status_t rc = MM_OK;
    if (st == ARES_SUCCESS && n > 0) {
        mm_dns_record *r = records_alloc(a, n);
        size_t i = 0;
        for (struct ares_txt_ext *t = list; r && t && i < n; i++) {
            struct ares_txt_ext *end = t->next;
            size_t total = t->length;
            unsigned k = 1;
            for (; end && !end->record_start; end = end->next, k++)
                total += end->length;
            char *buf = mm_arena_alloc(a, total + 1);
            if (!buf) {
                r = NULL;
                break;
            }
            size_t off = 0;
            for (; t != end; t = t->next) {
                memcpy(buf + off, t->txt, t->length);
                off += t->length;
            }
            buf[off] = '\0';
            r[i].u.txt.data = buf;
            r[i].u.txt.len = off;
            r[i].u.txt.nstrings = k;
        }
        ans->records = r;
        ans->nrecords = r ? n : 0;
        rc = r ? MM_OK : MM_ENOMEM;
    }
    ares_free_data(list);
    return rc != MM_OK ? rc : finish(st, n, ans);
}

/* PTR and NS: c-ares hands the names out as the hostent's alias list. */
static mm_status_t names_from_hostent(int st, struct hostent *he, mm_arena *a, mm_dns_answer *ans)
{
    size_t n = 0;
    while (he && he->h_aliases && he->h_aliases[n] && n < MM_DNS_MAX_RECORDS)
        n++;
    mm_status_t rc = MM_OK;
    if (st == ARES_SUCCESS && n > 0) {
        mm_dns_record *r = records_alloc(a, n);
        for (size_t i = 0; r && i < n; i++)
            if (!(r[i].u.name = mm_arena_strdup(a, he->h_aliases[i])))
                r = NULL;
        ans->records = r;
        ans->nrecords = r ? n : 0;
        rc = r ? MM_OK : MM_ENOMEM;
    }
    if (he)
        ares_free_hostent(he);
    return rc != MM_OK ? rc : finish(st, n, ans);
}

static mm_status_t parse_ptr(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    /* The address only fills the hostent's h_addr_list, which we do not use. */
    static const unsigned char any[4];
    struct hostent *he = NULL;
    int st = ares_parse_ptr_reply(p, len, any, (int)sizeof any, AF_INET, &he);
    return names_from_hostent(st, he, a, ans);
}

static mm_status_t parse_ns(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    struct hostent *he = NULL;
    int st = ares_parse_ns_reply(p, len, &he);
    return names_from_hostent(st, he, a, ans);
}

/* Skip the (possibly compressed) name at *off; 0 on success. */
static int skip_name(const unsigned char *p, int len, int *off)
{
    char *s = NULL;
    long enc = 0;
    if (*off >= len || ares_expand_name(p + *off, p, len, &s, &enc) != ARES_SUCCESS)
        return -1;
    ares_free_string(s);
    *off += (int)enc;
    return 0;
}

/* Walk the answer section for CNAME records (c-ares 1.18 has no CNAME parser). */
static mm_status_t parse_cname(const unsigned char *p, int len, mm_arena *a, mm_dns_answer *ans)
{
    unsigned qd = get16(p + 4), an = get16(p + 6);
    int off = HDR_LEN;
    for (unsigned i = 0; i < qd; i++) {
        if (skip_name(p, len, &off) != 0 || off + 4 > len)
            return finish(ARES_EBADRESP, 0, ans);
        off += 4;
    }
    mm_dns_record *r = records_alloc(a, an);
    if (!r)
        return MM_ENOMEM;
    size_t n = 0;
    for (unsigned i = 0; i < an; i++) {
        if (skip_name(p, len, &off) != 0 || off + 10 > len)
            return finish(ARES_EBADRESP, 0, ans);
        unsigned type = get16(p + off), klass = get16(p + off + 2), rdlen = get16(p + off + 8);
        off += 10;
        if (off + (int)rdlen > len)
            return finish(ARES_EBADRESP, 0, ans);
        if (type == MM_DNS_T_CNAME && klass == 1 && n < MM_DNS_MAX_RECORDS) {
            char *s = NULL;
            long enc = 0;
            if (ares_expand_name(p + off, p, len, &s, &enc) != ARES_SUCCESS)
                return finish(ARES_EBADRESP, 0, ans);
            r[n].u.name = mm_arena_strdup(a, s);
            ares_free_string(s);
            if (!r[n++].u.name)
                return MM_ENOMEM;
        }
        off += (int)rdlen;
    }
    ans->records = r;
    ans->nrecords = n;
    return finish(ARES_SUCCESS, n, ans);
}

static mm_dns_result rcode_result(int rcode)
{
    switch (rcode) {
    case 0:
        return MM_DNS_ANSWER;
    case 2:
        return MM_DNS_SERVFAIL;
    case 3:
        return MM_DNS_NXDOMAIN;
    case 5:
        return MM_DNS_REFUSED;
    default:
        return MM_DNS_ERROR; /* FORMERR, NOTIMP, and codes we do not know */
    }
}

mm_status_t mm_dns_parse_reply(const unsigned char *pkt, size_t len, int qtype, mm_arena *a,
                               mm_dns_answer *ans)
{
    ans->nrecords = 0;
    ans->records = NULL;
    ans->rcode = -1;
    ans->result = MM_DNS_ERROR;
    if (!pkt || len < HDR_LEN || len > DNS_MAX_MSG)
        return MM_OK;
    ans->rcode = pkt[3] & 0x0F;
    ans->result = rcode_result(ans->rcode);
    if (ans->result != MM_DNS_ANSWER)
        return MM_OK;
    if (get16(pkt + 6) == 0) {
        ans->result = MM_DNS_NODATA; /* RFC 2308 2.2: NOERROR with an empty answer */
        return MM_OK;
    }
    int n = (int)len;
    switch (qtype) {
    case MM_DNS_T_A:
        return parse_a(pkt, n, a, ans);
    case MM_DNS_T_AAAA:
        return parse_aaaa(pkt, n, a, ans);
    case MM_DNS_T_MX:
        return parse_mx(pkt, n, a, ans);
    case MM_DNS_T_TXT:
        return parse_txt(pkt, n, a, ans);
    case MM_DNS_T_PTR:
        return parse_ptr(pkt, n, a, ans);
    case MM_DNS_T_NS:
        return parse_ns(pkt, n, a, ans);
    case MM_DNS_T_CNAME:
        return parse_cname(pkt, n, a, ans);
    default:
        return MM_OK; /* answered; records of other types are not parsed */
    }
}
