/*
 * key.c - DKIM key records (RFC 6376 section 3.6.1, RFC 8463 section 4.2):
 * the tag list, the checks that make a record unusable, and the public key
 * as an OpenSSL EVP_PKEY (SubjectPublicKeyInfo or, as some publishers do, a
 * bare PKCS#1 RSAPublicKey for RSA; the raw 32 bytes for Ed25519).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

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

/* One DER element of tag at *p (definite lengths up to 4 bytes); advances *p. */
static bool der_next(const unsigned char **p, const unsigned char *end, unsigned char tag,
                     const unsigned char **val, size_t *len)
{
    const unsigned char *q = *p;
    if (end - q < 2 || *q++ != tag)
        return false;
    size_t n = *q++;
    if (n & 0x80) {
        size_t k = n & 0x7f;
        if (k == 0 || k > 4 || (size_t)(end - q) < k)
            return false;
        for (n = 0; k; k--)
            n = (n << 8) | *q++;
    }
    if ((size_t)(end - q) < n)
        return false;
    *val = q;
    *len = n;
    *p = q + n;
    return true;
}

/* The modulus and exponent of a PKCS#1 RSAPublicKey (RFC 8017 A.1.1). */
static bool der_rsa(const unsigned char *d, size_t n, const unsigned char **mod, size_t *mlen,
                    const unsigned char **exp, size_t *elen)
{
    const unsigned char *p = d, *end = d + n, *seq;
    size_t slen;
    if (!der_next(&p, end, 0x30, &seq, &slen))
        return false;
    p = seq;
    end = seq + slen;
    if (!der_next(&p, end, 0x02, mod, mlen) || !der_next(&p, end, 0x02, exp, elen) || p != end)
        return false;
    if (*mlen == 0 || *elen == 0 || ((*mod)[0] & 0x80) || ((*exp)[0] & 0x80))
        return false; /* negative */
    while (*mlen > 1 && (*mod)[0] == 0) {
        (*mod)++;
        (*mlen)--;
    }
    return true;
}

/* The RSAPublicKey inside a SubjectPublicKeyInfo with rsaEncryption (RFC 5280 4.1). */
static bool der_spki(const unsigned char *d, size_t n, const unsigned char **rsa, size_t *rlen)
{
    static const unsigned char rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
    const unsigned char *p = d, *end = d + n, *v, *alg, *oid;
    size_t len, alen, olen;
    if (!der_next(&p, end, 0x30, &v, &len) || p != end)
        return false;
    p = v;
    end = v + len;
    if (!der_next(&p, end, 0x30, &alg, &alen))
        return false;
    const unsigned char *q = alg;
    if (!der_next(&q, alg + alen, 0x06, &oid, &olen) || olen != sizeof rsa_oid ||
        memcmp(oid, rsa_oid, olen) != 0)
        return false;
    if (!der_next(&p, end, 0x03, &v, &len) || p != end || len < 2 || v[0] != 0)
        return false;
    *rsa = v + 1;
    *rlen = len - 1;
    return true;
}

/*
 * An RSA key from SubjectPublicKeyInfo or a bare PKCS#1 RSAPublicKey.  The
 * DER is read here and the key built with EVP_PKEY_fromdata(): OpenSSL 3's
 * d2i_PUBKEY() runs the whole decoder framework and costs ~100 us, twenty
 * times this, which would dominate a verification.
 */
static EVP_PKEY *rsa_key(const unsigned char *der, size_t n)
{
    const unsigned char *rsa, *mod, *exp;
    size_t rlen, mlen, elen;
    if (!der_spki(der, n, &rsa, &rlen)) {
        rsa = der;
        rlen = n;
    }
    if (!der_rsa(rsa, rlen, &mod, &mlen, &exp, &elen) || mlen > 2048 || elen > 8)
        return NULL;
    EVP_PKEY *pk = NULL;
    BIGNUM *bn = BN_bin2bn(mod, (int)mlen, NULL), *be = BN_bin2bn(exp, (int)elen, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    if (!bn || !be || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) ||
        !(pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) || EVP_PKEY_fromdata_init(pc) != 1 ||
        EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pk = NULL;
    EVP_PKEY_CTX_free(pc);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
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
        if (n == 44 && der[0] == 0x30) {
            /* a common publishing mistake: the SubjectPublicKeyInfo of the key */
            fail(
                k, MM_DKIM_R_KEY_SYNTAX,
                "p= holds an Ed25519 SubjectPublicKeyInfo; RFC 8463 4.2 wants the raw 32-byte key");
            return;
        }
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
        fail(k, MM_DKIM_R_KEY_TOO_SMALL,
             "RSA keys under 1024 bits must not be accepted (RFC 8301 3.2)");
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

/* RFC 6376 3.6.2.2 leaves several records at one name to the verifier: the
 * first that is not a syntax error is used (a stray SPF or verification
 * string next to the key must not hide it), else the first. */
size_t mm_dkim_key_pick(const mm_dns_answer *ans)
{
    for (size_t i = 0; ans->nrecords > 1 && i < ans->nrecords; i++) {
        mm_dkim_key k;
        mm_dkim_key_read(ans->records[i].u.txt.data, ans->records[i].u.txt.len, &k);
        mm_dkim_key_clear(&k);
        if (k.reason != MM_DKIM_R_KEY_SYNTAX)
            return i;
    }
    return 0;
}
