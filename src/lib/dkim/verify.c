/*
 * verify.c - DKIM signature verification (RFC 6376 section 6).
 *
 * mm_dkim_verify_start() loads the message once, and for each
 * DKIM-Signature field (top-down) parses and checks its tags (6.1.1); a
 * usable signature gets its body hash and header hash input computed at once
 * and one TXT query for its key.  The callback checks the key against the
 * signature (6.1.2), then compares the body hash and verifies b= (6.1.3).
 * The order follows the RFC, so a missing key is reported as such even when
 * the body was changed too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "dkim/dkim_int.h"
#include "util/str.h"

#define N_(s) s

typedef struct sigstate {
    mm_dkim_sig pub;
    mm_dkim_report *rep;
    mm_dkim_sigdata *sd;  /* NULL once finished */
    unsigned char bh[64]; /* the body hash computed from the message */
    size_t bhlen;
    bool body_short; /* l= exceeds the canonical body */
    mm_buf hdr;      /* the header hash input */
    char *strs[9];   /* owned strings behind pub */
    bool done;
} sigstate;

struct mm_dkim_report {
    mm_dns *dns;
    sigstate *sigs;
    size_t nsigs;
    size_t pending;
    long long now;
    bool ignore_expiry;
};

static const char *const result_names[] = {"pass",   "fail",      "neutral",
                                           "policy", "permerror", "temperror"};

const char *mm_dkim_result_name(mm_dkim_result r)
{
    return (unsigned)r < MM_DKIM_RESULT_MAX_ ? result_names[r] : "unknown";
}

static const struct {
    const char *id, *msg;
} reasons[] = {
    {"none", N_("the signature verified")},
    {"body_hash_mismatch", N_("the body was changed after signing: its hash does not match bh=")},
    {"signature_mismatch", N_("the signature does not match the signed header fields or the key")},
    {"key_not_found", N_("no DKIM key record was found for the selector")},
    {"key_temperror", N_("the DKIM key record could not be fetched (temporary DNS failure)")},
    {"key_revoked", N_("the DKIM key was revoked (empty p=)")},
    {"key_syntax", N_("the DKIM key record is malformed")},
    {"key_inappropriate",
     N_("the DKIM key record does not allow this signature (k=, h=, s= or t=s)")},
    {"key_too_small", N_("the RSA key is shorter than 1024 bits and cannot be trusted")},
    {"expired", N_("the signature has expired (x=)")},
    {"signature_syntax", N_("the DKIM-Signature field is malformed or lacks a required tag")},
    {"unsupported_algorithm", N_("the signature uses an unknown algorithm")},
    {"header_missing_from", N_("the signature does not cover the From field")},
    {"domain_mismatch", N_("the identity i= is not in the signing domain d=")},
    {"weak_algorithm", N_("rsa-sha1 signatures must not be accepted any more (RFC 8301)")},
    {"internal", N_("the signature could not be checked (out of memory or crypto failure)")},
};

const char *mm_dkim_reason_name(mm_dkim_reason r)
{
    return (unsigned)r < MM_DKIM_REASON_MAX_ ? reasons[r].id : "unknown";
}

const char *mm_dkim_reason_message(mm_dkim_reason r)
{
    return (unsigned)r < MM_DKIM_REASON_MAX_ ? reasons[r].msg : "";
}

static const struct {
    unsigned bit;
    const char *id, *msg;
} notes[] = {
    {MM_DKIM_NOTE_L_TAG, "l_tag",
     N_("the signature uses l=: text can be appended to the body without breaking it")},
    {MM_DKIM_NOTE_L_EXTRA, "l_extra",
     N_("the body has unsigned text after the length given by l=")},
    {MM_DKIM_NOTE_TESTING, "testing_mode", N_("the DKIM key is in testing mode (t=y)")},
    {MM_DKIM_NOTE_WEAK_KEY, "weak_key", N_("the RSA key is shorter than 2048 bits")},
    {MM_DKIM_NOTE_SHA1, "rsa_sha1", N_("SHA-1 is obsolete for DKIM (RFC 8301)")},
    {MM_DKIM_NOTE_EXPIRED, "expired", N_("the signature has expired (x=)")},
    {MM_DKIM_NOTE_FUTURE, "future_timestamp", N_("the signature time t= is in the future")},
};

const char *mm_dkim_note_name(unsigned note)
{
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (notes[i].bit == note)
            return notes[i].id;
    return "unknown";
}

const char *mm_dkim_note_message(unsigned note)
{
    for (size_t i = 0; i < sizeof notes / sizeof notes[0]; i++)
        if (notes[i].bit == note)
            return notes[i].msg;
    return "";
}

static mm_dkim_result result_for(mm_dkim_reason r)
{
    switch (r) {
    case MM_DKIM_R_NONE:
        return MM_DKIM_PASS;
    case MM_DKIM_R_BODY_HASH_MISMATCH:
    case MM_DKIM_R_SIGNATURE_MISMATCH:
        return MM_DKIM_FAIL;
    case MM_DKIM_R_KEY_TEMPERROR:
    case MM_DKIM_R_INTERNAL:
        return MM_DKIM_TEMPERROR;
    case MM_DKIM_R_WEAK_ALGORITHM:
        return MM_DKIM_POLICY;
    default:
        return MM_DKIM_PERMERROR;
    }
}

static void finish(sigstate *s, mm_dkim_reason r, const char *detail)
{
    s->pub.result = result_for(r);
    s->pub.reason = r;
    if (detail && *detail && !*s->pub.detail)
        s->pub.detail = detail;
    free(s->sd);
    s->sd = NULL;
    mm_buf_free(&s->hdr);
    s->done = true;
}

/* Keep a copy of s[0..n) behind pub; "" when out of memory. */
static const char *keep(sigstate *s, size_t slot, const char *v, size_t n)
{
    free(s->strs[slot]);
    s->strs[slot] = strndup(v, n);
    return s->strs[slot] ? s->strs[slot] : "";
}

static const char *tagstr(sigstate *s, size_t slot, const char *name)
{
    const mm_dkim_tag *t = mm_dkim_tag_find(s->sd->tags, s->sd->ntags, name);
    return t ? keep(s, slot, t->value, t->vlen) : "";
}

static void fill_public(sigstate *s)
{
    mm_dkim_sigdata *sd = s->sd;
    s->pub.domain = tagstr(s, 0, "d");
    s->pub.selector = tagstr(s, 1, "s");
    s->pub.algorithm = tagstr(s, 2, "a");
    s->pub.identity = tagstr(s, 3, "i");
    s->pub.headers = tagstr(s, 4, "h");
    static const char *const canon[] = {"simple/simple", "simple/relaxed", "relaxed/simple",
                                        "relaxed/relaxed"};
    s->pub.canon = canon[(sd->hrelaxed ? 2 : 0) + (sd->brelaxed ? 1 : 0)];
    s->pub.t = sd->t;
    s->pub.x = sd->x;
    s->pub.l = sd->l;
}

/* Key checks against this signature (RFC 6376 6.1.2 steps 6-10). */
static mm_dkim_reason key_fits(const mm_dkim_sigdata *sd, const mm_dkim_key *k, const char **why)
{
    bool ed = sd->alg == MM_DKIM_ALG_ED25519_SHA256;
    if ((ed && !k->k_ed25519) || (!ed && !k->k_rsa)) {
        *why = "the key type k= does not match a=";
        return MM_DKIM_R_KEY_INAPPROPRIATE;
    }
    bool sha1 = sd->alg == MM_DKIM_ALG_RSA_SHA1;
    if ((sha1 && !k->h_sha1) || (!sha1 && !k->h_sha256)) {
        *why = "the key's h= does not allow the signature's hash";
        return MM_DKIM_R_KEY_INAPPROPRIATE;
    }
    if (k->strict && strcmp(sd->idomain, sd->domain) != 0) {
        *why = "the key has t=s but the domain of i= is a subdomain of d=";
        return MM_DKIM_R_KEY_INAPPROPRIATE;
    }
    return MM_DKIM_R_NONE;
}

/* b= over the header hash input (RFC 6376 3.7; RFC 8463 3: Ed25519 signs the SHA-256). */
static int crypto_verify(const mm_dkim_sigdata *sd, EVP_PKEY *pk, const mm_buf *hdr)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return -1;
    int rc;
    const unsigned char *data = (const unsigned char *)(hdr->data ? hdr->data : "");
    if (sd->alg == MM_DKIM_ALG_ED25519_SHA256) {
        unsigned char h[32];
        SHA256(data, hdr->len, h);
        rc = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk);
        if (rc == 1)
            rc = EVP_DigestVerify(ctx, sd->b, sd->blen, h, sizeof h);
    } else {
        const EVP_MD *md = sd->alg == MM_DKIM_ALG_RSA_SHA1 ? EVP_sha1() : EVP_sha256();
        rc = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pk);
        if (rc == 1)
            rc = EVP_DigestVerify(ctx, sd->b, sd->blen, data, hdr->len);
    }
    EVP_MD_CTX_free(ctx);
    return rc == 1 ? 1 : 0;
}

static void with_key(sigstate *s, const char *rec, size_t len)
{
    mm_dkim_key k;
    const char *why = "";
    mm_dkim_key_read(rec, len, &k);
    s->pub.key_type = keep(s, 5, k.ktype, strlen(k.ktype));
    s->pub.key_bits = k.bits;
    s->pub.notes |= k.notes & (MM_DKIM_NOTE_TESTING | MM_DKIM_NOTE_WEAK_KEY);
    mm_dkim_reason r = k.reason;
    if (r != MM_DKIM_R_NONE)
        why = k.detail;
    else
        r = key_fits(s->sd, &k, &why);
    if (r == MM_DKIM_R_NONE &&
        (s->body_short || s->bhlen != s->sd->bhlen || memcmp(s->bh, s->sd->bh, s->bhlen) != 0)) {
        r = MM_DKIM_R_BODY_HASH_MISMATCH;
        why = s->body_short ? "the body is shorter than l=" : "";
    }
    if (r == MM_DKIM_R_NONE && !crypto_verify(s->sd, k.pkey, &s->hdr))
        r = MM_DKIM_R_SIGNATURE_MISMATCH;
    if (r == MM_DKIM_R_NONE && s->sd->alg == MM_DKIM_ALG_RSA_SHA1) {
        r = MM_DKIM_R_WEAK_ALGORITHM;
        why = "cryptographically valid, but rsa-sha1 must not be accepted (RFC 8301 3.1)";
    }
    mm_dkim_key_clear(&k);
    finish(s, r, why);
}

static void on_key(void *arg, const mm_dns_answer *ans)
{
    sigstate *s = arg;
    s->rep->pending--;
    if (ans->result == MM_DNS_ANSWER && ans->nrecords > 0) {
        const mm_dns_record *rec = &ans->records[mm_dkim_key_pick(ans)];
        s->pub.key_record = keep(s, 6, rec->u.txt.data, rec->u.txt.len);
        with_key(s, rec->u.txt.data, rec->u.txt.len);
    } else if (mm_dns_result_is_temporary(ans->result)) {
        finish(s, MM_DKIM_R_KEY_TEMPERROR, mm_dns_result_name(ans->result));
    } else {
        finish(s, MM_DKIM_R_KEY_NOT_FOUND, mm_dns_result_name(ans->result));
    }
}

/* Expiry and timestamps (RFC 6376 3.5 x=, t=); false when the signature ends here. */
static bool check_times(sigstate *s)
{
    mm_dkim_sigdata *sd = s->sd;
    if (sd->t > s->rep->now + 300)
        s->pub.notes |= MM_DKIM_NOTE_FUTURE;
    if (sd->x >= 0 && sd->x < s->rep->now) {
        if (!s->rep->ignore_expiry) {
            finish(s, MM_DKIM_R_EXPIRED, "x= is in the past");
            return false;
        }
        s->pub.notes |= MM_DKIM_NOTE_EXPIRED;
    }
    return true;
}

/* Everything up to the key query for one signature field. */
static void start_sig(mm_dkim_report *rep, const mm_dkim_msg *m, const mm_dkim_field *f,
                      sigstate *s)
{
    const char *why = "";
    const char *colon = memchr(f->raw, ':', f->len);
    size_t off = (size_t)(colon - f->raw) + 1;
    s->rep = rep;
    s->pub.domain = s->pub.selector = s->pub.algorithm = s->pub.identity = "";
    s->pub.canon = s->pub.headers = s->pub.key_type = s->pub.key_record = s->pub.detail = "";
    s->pub.t = s->pub.x = s->pub.l = -1;
    /* until the key answers, the signature could not be told */
    s->pub.result = MM_DKIM_TEMPERROR;
    s->pub.reason = MM_DKIM_R_KEY_TEMPERROR;
    if (!(s->sd = malloc(sizeof *s->sd))) {
        finish(s, MM_DKIM_R_INTERNAL, "out of memory");
        return;
    }
    mm_dkim_reason r = mm_dkim_sig_parse(f->raw + off, f->len - off, s->sd, &why);
    fill_public(s);
    if (r != MM_DKIM_R_NONE) {
        finish(s, r, why);
        return;
    }
    if (s->sd->l >= 0)
        s->pub.notes |= MM_DKIM_NOTE_L_TAG;
    if (s->sd->alg == MM_DKIM_ALG_RSA_SHA1)
        s->pub.notes |= MM_DKIM_NOTE_SHA1;
    if (!check_times(s))
        return;
    s->body_short = !mm_dkim_body_hash(m, s->sd, s->bh, &s->bhlen, &s->pub.body_len);
    if (s->sd->l >= 0 && (unsigned long long)s->sd->l < s->pub.body_len)
        s->pub.notes |= MM_DKIM_NOTE_L_EXTRA;
    char name[520];
    snprintf(name, sizeof name, "%s._domainkey.%s", s->sd->selector, s->sd->domain);
    if (mm_dkim_header_input(m, s->sd, f, &s->hdr) != MM_OK) {
        finish(s, MM_DKIM_R_INTERNAL, "out of memory");
        return;
    }
    rep->pending++;
    if (mm_dns_query_owned(rep->dns, rep, name, MM_DNS_T_TXT, on_key, s) != MM_OK) {
        rep->pending--;
        finish(s, MM_DKIM_R_SIGNATURE_SYNTAX, "the key name cannot be queried");
    }
}

static bool is_sig_field(const mm_dkim_field *f)
{
    return mm_dkim_eq(f->raw, f->nlen, "DKIM-Signature") && memchr(f->raw, ':', f->len);
}

mm_status_t mm_dkim_verify_start(mm_dns *dns, const char *msg, size_t len, const mm_dkim_opts *o,
                                 mm_dkim_report **out)
{
    if (!dns || (!msg && len) || !out)
        return MM_EINVAL;
    *out = NULL;
    size_t limit = o && o->max_message_bytes ? o->max_message_bytes : (size_t)64 << 20;
    if (len > limit)
        return MM_ETOOBIG;
    mm_dkim_report *rep = calloc(1, sizeof *rep);
    mm_dkim_msg m;
    if (!rep)
        return MM_ENOMEM;
    if (mm_dkim_msg_load(msg ? msg : "", len, &m) != MM_OK) {
        free(rep);
        return MM_ENOMEM;
    }
    rep->dns = dns;
    rep->now = o && o->now ? o->now : (long long)time(NULL);
    rep->ignore_expiry = o && o->ignore_expiry;
    size_t max = o && o->max_signatures ? o->max_signatures : 16;
    size_t n = 0;
    for (size_t i = 0; i < m.nfields; i++)
        n += is_sig_field(&m.fields[i]);
    n = n < max ? n : max;
    rep->sigs = calloc(n ? n : 1, sizeof *rep->sigs);
    if (!rep->sigs) {
        mm_dkim_msg_free(&m);
        free(rep);
        return MM_ENOMEM;
    }
    for (size_t i = 0; i < m.nfields && rep->nsigs < n; i++)
        if (is_sig_field(&m.fields[i]))
            start_sig(rep, &m, &m.fields[i], &rep->sigs[rep->nsigs++]);
    mm_dkim_msg_free(&m);
    *out = rep;
    return MM_OK;
}

mm_status_t mm_dkim_verify(mm_dns *dns, const char *msg, size_t len, const mm_dkim_opts *o,
                           mm_dkim_report **out)
{
    mm_status_t st = mm_dkim_verify_start(dns, msg, len, o, out);
    if (st == MM_OK && (*out)->pending)
        st = mm_dns_run(dns);
    return st;
}

bool mm_dkim_report_done(const mm_dkim_report *r)
{
    return r && r->pending == 0;
}

size_t mm_dkim_report_count(const mm_dkim_report *r)
{
    return r ? r->nsigs : 0;
}

const mm_dkim_sig *mm_dkim_report_sig(const mm_dkim_report *r, size_t i)
{
    return r && i < r->nsigs ? &r->sigs[i].pub : NULL;
}

void mm_dkim_report_free(mm_dkim_report *r)
{
    if (!r)
        return;
    if (r->pending)
        mm_dns_cancel(r->dns, r);
    for (size_t i = 0; i < r->nsigs; i++) {
        sigstate *s = &r->sigs[i];
        free(s->sd);
        mm_buf_free(&s->hdr);
        for (size_t j = 0; j < sizeof s->strs / sizeof s->strs[0]; j++)
            free(s->strs[j]);
    }
    free(r->sigs);
    free(r);
}
