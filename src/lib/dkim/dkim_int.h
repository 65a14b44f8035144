/*
 * dkim_int.h - the pieces of the DKIM module that tests and the fuzz target
 * reach directly: the tag-list parser, the raw header splitter, the
 * canonicalizers, the signature parser and the key record parser.
 */
#ifndef MM_DKIM_INT_H
#define MM_DKIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>
#include <mailmedic/dkim.h>
#include "util/buf.h"

/* ---- Tag lists (RFC 6376 section 3.2) ---- */

#define MM_DKIM_MAX_TAGS 64
/* Names in a signature's h= (real signers list 10 to 40, over-signed). */
#define MM_DKIM_MAX_H_NAMES 256

typedef struct mm_dkim_tag {
    const char *name;
    size_t nlen;
    const char *value; /* FWS at both ends removed; inner FWS kept */
    size_t vlen;
} mm_dkim_tag;

/* Parse s[0..n) into tags[0..max).  false on a syntax error or a duplicate
 * tag name (which makes the whole list invalid). */
bool mm_dkim_tags_parse(const char *s, size_t n, mm_dkim_tag *tags, size_t max, size_t *ntags);
/* The tag named name, or NULL. */
const mm_dkim_tag *mm_dkim_tag_find(const mm_dkim_tag *tags, size_t n, const char *name);

/* ---- Raw header fields ---- */

typedef struct mm_dkim_field {
    const char *raw; /* the whole field: name, colon, value, folding, final CRLF */
    size_t len;
    size_t nlen; /* name length (without trailing WSP) */
} mm_dkim_field;

typedef struct mm_dkim_msg {
    char *data; /* the message with CRLF line ends (owned) */
    size_t len;
    mm_dkim_field *fields; /* header fields, top-down (owned) */
    size_t nfields;
    const char *body; /* after the empty line ending the header */
    size_t body_len;
} mm_dkim_msg;

/* Copy msg (bare LF made CRLF) and split the header.  MM_ENOMEM. */
mm_status_t mm_dkim_msg_load(const char *msg, size_t len, mm_dkim_msg *out);
void mm_dkim_msg_free(mm_dkim_msg *m);

/* ---- Canonicalization (RFC 6376 section 3.4) ---- */

/* Append the canonical form of one header field (raw with its CRLF). */
mm_status_t mm_dkim_canon_header(bool relaxed, const char *raw, size_t len, mm_buf *out);
/* Append the canonical form of a body. */
mm_status_t mm_dkim_canon_body(bool relaxed, const char *body, size_t len, mm_buf *out);

/* ---- Signatures ---- */

typedef enum {
    MM_DKIM_ALG_RSA_SHA256,
    MM_DKIM_ALG_RSA_SHA1,
    MM_DKIM_ALG_ED25519_SHA256
} mm_dkim_alg;

typedef struct mm_dkim_sigdata {
    mm_dkim_tag tags[MM_DKIM_MAX_TAGS];
    size_t ntags;
    mm_dkim_alg alg;
    bool hrelaxed, brelaxed;
    char domain[254];   /* d=, lower-case */
    char selector[254]; /* s=, lower-case */
    char idomain[254];  /* the domain of i= (or d=), lower-case */
    unsigned char bh[64];
    size_t bhlen;
    unsigned char b[1024];
    size_t blen;
    long long t, x, l;
} mm_dkim_sigdata;

/* Parse and check one DKIM-Signature field value (RFC 6376 6.1.1): returns
 * MM_DKIM_R_NONE or the reason it is unusable (detail gets a phrase). */
mm_dkim_reason mm_dkim_sig_parse(const char *value, size_t len, mm_dkim_sigdata *sd,
                                 const char **detail);

/*
 * The data the header hash covers (RFC 6376 5.4.2, 3.7): the h= fields picked
 * bottom-up from m, canonicalized, then the signature field sigfield itself
 * with the b= value removed and no final CRLF.
 */
mm_status_t mm_dkim_header_input(const mm_dkim_msg *m, const mm_dkim_sigdata *sd,
                                 const mm_dkim_field *sigfield, mm_buf *out);

/* The body hash with sd's canonicalization and l=; *canon_len gets the
 * canonical body length.  false when l= exceeds it. */
bool mm_dkim_body_hash(const mm_dkim_msg *m, const mm_dkim_sigdata *sd, unsigned char *hash,
                       size_t *hlen, size_t *canon_len);

/* ---- Keys ---- */

typedef struct mm_dkim_key {
    mm_dkim_reason reason;
    unsigned notes;
    char ktype[16]; /* "rsa", "ed25519", or k= as written */
    bool k_rsa, k_ed25519;
    bool h_sha1, h_sha256; /* hashes allowed (both when h= is absent) */
    bool strict;
    unsigned bits;
    EVP_PKEY *pkey; /* owned; NULL unless reason is none */
    const char *detail;
} mm_dkim_key;

/* Parse a key record; always fills k (free with mm_dkim_key_clear). */
void mm_dkim_key_read(const char *rec, size_t len, mm_dkim_key *k);
void mm_dkim_key_clear(mm_dkim_key *k);
/* Which of an answer's TXT records to use as the key. */
size_t mm_dkim_key_pick(const mm_dns_answer *ans);

/* Decode base64 ignoring FWS; false on bad input or overflow of out[0..max). */
bool mm_dkim_b64(const char *s, size_t n, unsigned char *out, size_t max, size_t *outlen);

/* Case-insensitive compare of s[0..n) with the C string lit. */
bool mm_dkim_eq(const char *s, size_t n, const char *lit);

#endif
