/*
 * key.c - DKIM key records (RFC 6376 section 3.6.1, RFC 8463 section 4.2):
 * the tag list, the checks that make a record unusable, and the public key
 * as an OpenSSL EVP_PKEY (SubjectPublicKeyInfo or, as some publishers do, a
 * bare PKCS#1 RSAPublicKey for RSA; the raw 32 bytes for Ed25519).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>

#include "dkim/dkim_int.h"

#define IS_FWS(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* Does the colon-separated list v hold word (case-insensitive)? */
static bool has_word(const mm_dkim_tag *t, const char *word)
{
    size_t p = 0;
    while (p <= t->vlen) {
        const char *c = p < t->vlen ? memchr(t->value + p, ':', t->vlen - p) : NULL;
        size_t e = c ? (size_t)(c - t->value) : t->vlen;
        size_t a = p, b = e;
        while (a < b && IS_FWS(t->value[a]))
            a++;
        while (b > a && IS_FWS(t->value[b - 1]))
            b--;
        if (mm_dkim_eq(t->value + a, b - a, word))
            return true;
        p = e + 1;
    }
    return false;
}

static void fail(mm_dkim_key *k, mm_dkim_reason r, const char *why)
{
    k->reason = r;
    k->detail = why;
}

static EVP_PKEY *rsa_key(const unsigned char *der, size_t n)
{
    const unsigned char *p = der;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)n);
    if (!pk) {
        p = der;
        pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
    }
    if (pk && EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pk);
        return NULL;
    }
    return pk;
}

/* The p= key data into k->pkey, with its size checks (RFC 8301 3.2). */
static void read_pubkey(const mm_dkim_tag *p, mm_dkim_key *k)
{
    unsigned char der[2048];
    size_t n;
    if (!mm_dkim_b64(p->value, p->vlen, der, sizeof der, &n)) {
        fail(k, MM_DKIM_R_KEY_SYNTAX, "p= is not base64");
        return;
    }
    if (k->k_ed25519) {
        if (n != 32) {
            fail(k, MM_DKIM_R_KEY_SYNTAX, "an Ed25519 p= must be 32 bytes (RFC 8463 4.2)");
            return;
        }
        k->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
        k->bits = 256;
    } else {
        k->pkey = rsa_key(der, n);
        k->bits = k->pkey ? (unsigned)EVP_PKEY_get_bits(k->pkey) : 0;
    }
    if (!k->pkey) {
        fail(k, MM_DKIM_R_KEY_SYNTAX, "p= does not hold a public key of type k=");
        return;
    }
    if (k->k_rsa && k->bits < 1024) {
        fail(k, MM_DKIM_R_KEY_TOO_SMALL, "RSA keys under 1024 bits must not be accepted (RFC 8301 3.2)");
        EVP_PKEY_free(k->pkey);
        k->pkey = NULL;
    } else if (k->k_rsa && k->bits < 2048) {
        k->notes |= MM_DKIM_NOTE_WEAK_KEY;
    }
}

static bool read_k(const mm_dkim_tag *kt, mm_dkim_key *k)
{
    if (!kt || mm_dkim_eq(kt->value, kt->vlen, "rsa")) {
        strcpy(k->ktype, "rsa");
        k->k_rsa = true;
        return true;
    }
    if (mm_dkim_eq(kt->value, kt->vlen, "ed25519")) {
        strcpy(k->ktype, "ed25519");
        k->k_ed25519 = true;
        return true;
    }
    size_t n = kt->vlen < sizeof k->ktype - 1 ? kt->vlen : sizeof k->ktype - 1;
    memcpy(k->ktype, kt->value, n);
    k->ktype[n] = '\0';
    return false;
}

/* The tags other than p=: version, type, hashes, services, flags. */
static bool read_tags(const mm_dkim_tag *tags, size_t n, mm_dkim_key *k)
{
    const mm_dkim_tag *v = mm_dkim_tag_find(tags, n, "v");
    /* RFC 6376 3.6.1: v= is optional, but when present it must be first and DKIM1 */
    if (v && (v != &tags[0] || !mm_dkim_eq(v->value, v->vlen, "DKIM1"))) {
        fail(k, MM_DKIM_R_KEY_SYNTAX, "v= is not DKIM1, or not the first tag");
        return false;
    }
    if (!read_k(mm_dkim_tag_find(tags, n, "k"), k)) {
        fail(k, MM_DKIM_R_KEY_SYNTAX, "k= names an unknown key type");
        return false;
    }
    const mm_dkim_tag *h = mm_dkim_tag_find(tags, n, "h");
    k->h_sha1 = !h || has_word(h, "sha1");
    k->h_sha256 = !h || has_word(h, "sha256");
    if (h && k->h_sha1 && !k->h_sha256)
        k->notes |= MM_DKIM_NOTE_SHA1;
    const mm_dkim_tag *s = mm_dkim_tag_find(tags, n, "s");
    if (s && !has_word(s, "*") && !has_word(s, "email")) {
        fail(k, MM_DKIM_R_KEY_INAPPROPRIATE, "s= does not include email or *");
        return false;
    }
    const mm_dkim_tag *t = mm_dkim_tag_find(tags, n, "t");
    if (t && has_word(t, "y"))
        k->notes |= MM_DKIM_NOTE_TESTING;
    k->strict = t && has_word(t, "s");
    return true;
}

void mm_dkim_key_read(const char *rec, size_t len, mm_dkim_key *k)
{
    memset(k, 0, sizeof *k);
    k->detail = "";
    mm_dkim_tag tags[MM_DKIM_MAX_TAGS];
    size_t n;
    if (!mm_dkim_tags_parse(rec, len, tags, MM_DKIM_MAX_TAGS, &n)) {
        fail(k, MM_DKIM_R_KEY_SYNTAX, "the record is not a valid tag list");
        return;
    }
    if (!read_tags(tags, n, k))
        return;
    const mm_dkim_tag *p = mm_dkim_tag_find(tags, n, "p");
    if (!p) {
        fail(k, MM_DKIM_R_KEY_SYNTAX, "the record has no p= tag");
        return;
    }
    if (p->vlen == 0) {
        fail(k, MM_DKIM_R_KEY_REVOKED, "p= is empty: the key was revoked");
        return;
    }
    read_pubkey(p, k);
}

void mm_dkim_key_clear(mm_dkim_key *k)
{
    EVP_PKEY_free(k->pkey);
    k->pkey = NULL;
}
