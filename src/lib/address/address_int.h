/*
 * address_int.h - what the files of the address module share: the
 * checker's innards (PSL handle and TLD set), the parse state, and the
 * helpers that record a finding with its character column.
 */
#ifndef MM_ADDRESS_INT_H
#define MM_ADDRESS_INT_H

#include <stdint.h>
#include <libpsl.h>
#include <mailmedic/address.h>

struct mm_addr_checker {
    psl_ctx_t *psl;        /* from psl_latest(), or NULL when psl_builtin() is used */
    const psl_ctx_t *view; /* the one to ask: psl or psl_builtin() */
    char *pool;            /* TLD strings, each NUL-terminated */
    uint32_t *slots;       /* open addressing: pool offset + 1, 0 = empty */
    uint32_t mask;         /* slots - 1 (a power of two) */
    /* two- and three-letter TLDs (most of them) as a bitmap indexed by
     * their letters: no hashing, no comparison */
    unsigned char short_tld[(26 * 26 + 26 * 26 * 26 + 7) / 8];
};

/* One parse of one input.  `s`/`n` is the text being judged, which is the
 * caller's input or a candidate fix built from it. */
typedef struct mm_addr_parse {
    const mm_addr_checker *c;
    const unsigned char *s;
    size_t n;
    mm_addr *out;
    size_t dlen; /* strlen(out->domain), set with it */
    size_t alen; /* strlen(out->domain_ascii), set with it */
    size_t tld;  /* offset in s of the last domain label */
} mm_addr_parse;

/* Byte classes (one table, address.c). */
enum {
    MM_AC_ATEXT = 1u << 0, /* RFC 5321/5322 atext, ASCII part */
    MM_AC_LDH = 1u << 1,   /* letter, digit, hyphen */
    MM_AC_UPPER = 1u << 2, /* A-Z */
    MM_AC_DIGIT = 1u << 3,
    MM_AC_HIGH = 1u << 4, /* >= 0x80 */
    MM_AC_LOCAL = 1u << 5, /* atext or ".": a Dot-string's bytes (fast path) */
};
extern const unsigned char mm_addr_cls[256];

/* Record the first error: code at byte offset `off` of p->s with `tlen`
 * bytes of offending text.  Always returns false, so callers write
 * `return mm_addr_fail(...)`. */
bool mm_addr_fail(mm_addr_parse *p, mm_addr_code code, size_t off, size_t tlen);
/* Same, with the text "U+XXXX" for the code point at `off`. */
bool mm_addr_fail_cp(mm_addr_parse *p, mm_addr_code code, size_t off, uint32_t cp);
/* Same, with a number as the text (lengths). */
bool mm_addr_fail_num(mm_addr_parse *p, mm_addr_code code, size_t off, size_t num);
void mm_addr_note(mm_addr_parse *p, mm_addr_code code, size_t off, const char *text);
size_t mm_addr_column(const unsigned char *s, size_t n, size_t off);

/* Decode one UTF-8 sequence (RFC 3629: no overlongs, no surrogates);
 * returns its length (1-4) and sets *cp, or 0 when the bytes are not UTF-8. */
size_t mm_addr_utf8(const unsigned char *s, size_t n, uint32_t *cp);
/* Policy for a non-ASCII code point (address.c): the error it makes in an
 * unquoted local part / a domain, or MM_ADDR_OK. */
mm_addr_code mm_addr_cp_local(uint32_t cp);
mm_addr_code mm_addr_cp_domain(uint32_t cp);
/* The ASCII a full-width form stands for, or 0. */
int mm_addr_fullwidth_ascii(uint32_t cp);

/* White space, line breaks and controls (address.c): their own codes. */
bool mm_addr_is_ctl(unsigned char ch);
bool mm_addr_fail_ctl(mm_addr_parse *p, size_t off, unsigned char ch);
/* True when every byte of s[0..n) is in set (literal.c). */
bool mm_addr_all_of(const unsigned char *s, size_t n, const char *set);
/* The address literal starting with "[" at s[d] (literal.c). */
bool mm_addr_parse_literal(mm_addr_parse *p, size_t d);
/* The RFC 5321 judge (address.c): fills p->out; true when valid. */
bool mm_addr_parse_5321(mm_addr_parse *p);
/* The RFC 5322 judge (rfc5322.c): 0 invalid, 1 valid, 2 obsolete syntax. */
int mm_addr_judge_5322(const unsigned char *s, size_t n);
/* IDNA2008 for a domain with U-labels or A-labels (idn.c).  `dom`/`dn` is
 * the domain as given with ASCII lower-cased, `off` its offset in p->s.
 * Fills out->domain_ascii and out->domain; false after recording an error. */
bool mm_addr_idn(mm_addr_parse *p, const char *dom, size_t dn, size_t off);
/* UTS 46 mapping of a domain (idn.c), for fixes: writes the U-label form
 * into buf; false when the mapping does not give a valid domain. */
bool mm_addr_idn_map(const char *dom, size_t dn, char *buf, size_t cap);
/* Domain notes (checker.c): TLD, dotless, special-use.  tld: where the TLD
 * starts in out->domain_ascii (0 for a dotless domain) when the caller has
 * found it, or MM_ADDR_TLD_FIND. */
#define MM_ADDR_TLD_FIND ((size_t)-1)
void mm_addr_domain_notes(mm_addr_parse *p, size_t dom_off, size_t tld);
/* Empty every field of *o (address.c). */
void mm_addr_reset(mm_addr *o);
/* Wrapper diagnosis and the corrected address (fix.c), after a failure. */
void mm_addr_diagnose_wrapper(mm_addr_parse *p);
void mm_addr_make_fix(const mm_addr_checker *c, const unsigned char *s, size_t n, mm_addr *out);

#endif
