/* spf_int.h - shared between the files of the SPF module. */
#ifndef MM_SPF_INT_H
#define MM_SPF_INT_H

#include <mailmedic/spf.h>

struct mm_spf_record {
    mm_spf_term *terms;
    size_t nterms;
    char *error; /* NULL when valid */
    const mm_spf_term *redirect, *exp;
    int cached;    /* owned by an evaluator's rcache, not by its user */
    unsigned pins; /* evaluations running it (rcache.c) */
};

/* The parsed records an evaluator keeps (rcache.c), keyed by their text.
 * Direct-mapped: with 64 slots a few dozen records already collided often. */
#define MM_SPF_RCACHE_SLOTS 256
typedef struct mm_spf_rslot {
    char *text; /* the key: the record as published (may hold NULs) */
    size_t len;
    uint32_t hash;
    mm_spf_record *rec;
} mm_spf_rslot;
typedef struct mm_spf_rcache {
    mm_spf_rslot slot[MM_SPF_RCACHE_SLOTS];
} mm_spf_rcache;

/* The parsed record of text[0..len), from the cache or parsed now, as
 * mm_spf_record_parse() says.  On MM_OK *out is pinned: hand it back with
 * mm_spf_rcache_release() and never free it yourself. */
mm_status_t mm_spf_rcache_get(mm_spf_rcache *c, const char *text, size_t len, mm_spf_record **out);
void mm_spf_rcache_release(mm_spf_record *r);
/* Free every cached record (none may be pinned). */
void mm_spf_rcache_clear(mm_spf_rcache *c);

/* The %{p} hook: fills the validated name for the evaluator (may query DNS). */
typedef const char *(*mm_spf_ptr_fn)(void *arg);

/* mm_spf_expand() with a lazily computed %{p}. */
mm_status_t mm_spf_expand_x(const char *s, const mm_spf_macro_vars *v, bool explanation,
                            bool domain, mm_spf_ptr_fn pfn, void *parg, char **out);

/* Macro-string syntax only (no expansion): 1 when valid.  c, r and t are
 * allowed only with explanation set (RFC 7208 section 7.2). */
int mm_spf_macro_ok(const char *s, size_t n, int explanation);

/* An IP address in text: family AF_INET (IPv4-mapped IPv6 folded to IPv4) or AF_INET6. */
int mm_spf_parse_ip(const char *text, unsigned char out[16], int *family);

/* prefix-bit comparison of two addresses. */
int mm_spf_addr_match(const unsigned char *a, const unsigned char *b, int bits);
/* check_host(), or with walk the lint's whole-tree walk (matches nothing, visits everything). */
mm_status_t mm_spf_eval_run(mm_spf *s, const char *ip, const char *domain, const char *sender,
                            const char *helo, int walk, mm_spf_eval **out);
#endif
