/*
 * test_dkim.c - the DKIM module with its own fixtures, so a clone without
 * ../shared still tests every feature: the canonicalization example of
 * RFC 6376 section 3.4.5, the tag-list parser, signature and key record
 * checks, and messages signed here with an RSA and an Ed25519 key that
 * OpenSSL generates at test time (the hash input is built by hand from the
 * canonicalizers, not by the verifier's own h= walk), then verified through
 * an in-memory resolver, tampered with, expired, truncated with l=.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "dkim/dkim_int.h"

/* ---- canonicalization: RFC 6376 section 3.4.5 ---- */

static const char ex_header[] = "A: X\r\nB : Y\t\r\n\tZ  \r\n";
static const char ex_body[] = " C \r\nD \t E\r\n\r\n\r\n";

static void canon_example(bool hrel, bool brel, mm_buf *out)
{
    mm_dkim_msg m;
    char msg[128];
    snprintf(msg, sizeof msg, "%s\r\n%s", ex_header, ex_body);
    assert_int_equal(mm_dkim_msg_load(msg, strlen(msg), &m), MM_OK);
    assert_int_equal(m.nfields, 2);
    for (size_t i = 0; i < m.nfields; i++)
        assert_int_equal(mm_dkim_canon_header(hrel, m.fields[i].raw, m.fields[i].len, out), MM_OK);
    assert_int_equal(mm_dkim_canon_body(brel, m.body, m.body_len, out), MM_OK);
    mm_dkim_msg_free(&m);
}

static void test_canon_rfc(void **state)
{
    (void)state;
    mm_buf b = MM_BUF_INIT;
    canon_example(true, true, &b);
    assert_string_equal(mm_buf_str(&b), "a:X\r\nb:Y Z\r\n C\r\nD E\r\n");
    mm_buf_reset(&b);
    canon_example(false, false, &b);
    assert_string_equal(mm_buf_str(&b), "A: X\r\nB : Y\t\r\n\tZ  \r\n C \r\nD \t E\r\n");
    mm_buf_free(&b);
}

static void test_canon_body_edges(void **state)
{
    (void)state;
    static const struct {
        bool relaxed;
        const char *in, *want;
    } rows[] = {
        {false, "", "\r\n"}, /* 3.4.3: empty body is CRLF */
        {true, "", ""},      /* 3.4.4: empty body is empty */
        {false, "\r\n\r\n", "\r\n"},
        {true, "\r\n \r\n\t\r\n", ""}, /* lines of WSP are empty in relaxed */
        {false, "x", "x\r\n"},         /* a CRLF is added */
        {true, "a  b \t\r\n", "a b\r\n"},
        {false, "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n"}, /* inner empty lines stay */
        {true, "a\r\n \r\nb", "a\r\n\r\nb\r\n"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mm_buf b = MM_BUF_INIT;
        assert_int_equal(mm_dkim_canon_body(rows[i].relaxed, rows[i].in, strlen(rows[i].in), &b),
                         MM_OK);
        if (strcmp(mm_buf_str(&b), rows[i].want) != 0)
            fail_msg("row %zu: got \"%s\", want \"%s\"", i, mm_buf_str(&b), rows[i].want);
        mm_buf_free(&b);
    }
}

static void test_lf_to_crlf(void **state)
{
    (void)state;
    mm_dkim_msg m;
    const char *msg = "From: a@b\nSubject: x\n y\n\nbody\n";
    assert_int_equal(mm_dkim_msg_load(msg, strlen(msg), &m), MM_OK);
    assert_int_equal(m.nfields, 2);
    assert_int_equal(m.fields[1].len, strlen("Subject: x\r\n y\r\n"));
    assert_int_equal(m.fields[1].nlen, 7);
    assert_int_equal(m.body_len, 6);
    mm_dkim_msg_free(&m);
}

/* ---- tag lists ---- */

static void test_tags(void **state)
{
    (void)state;
    mm_dkim_tag t[8];
    size_t n;
    const char *s = " v=1;a = rsa-sha256 ;\r\n\th=from : to;\tz=a\r\n b;";
    assert_true(mm_dkim_tags_parse(s, strlen(s), t, 8, &n));
    assert_int_equal(n, 4);
    const mm_dkim_tag *a = mm_dkim_tag_find(t, n, "a");
    assert_non_null(a);
    assert_int_equal(a->vlen, 10);
    assert_memory_equal(a->value, "rsa-sha256", 10);
    assert_int_equal(mm_dkim_tag_find(t, n, "z")->vlen, 5); /* "a\r\n b": inner FWS kept */
    static const char *const bad[] = {"v=1; v=1", "=x", "a", "1a=b", "a=b;c", "a=\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mm_dkim_tags_parse(bad[i], strlen(bad[i]), t, 8, &n))
            fail_msg("\"%s\" parsed, want a syntax error", bad[i]);
    assert_true(mm_dkim_tags_parse("", 0, t, 8, &n));
    assert_int_equal(n, 0);
    assert_false(mm_dkim_tags_parse("a=1;b=2;c=3", 11, t, 2, &n)); /* over the cap */
}

static void test_b64(void **state)
{
    (void)state;
    unsigned char out[16];
    size_t n;
    assert_true(mm_dkim_b64("aGVs bG8=", 9, out, sizeof out, &n));
    assert_int_equal(n, 5);
    assert_memory_equal(out, "hello", 5);
    assert_false(mm_dkim_b64("aGVsbG8", 7, out, sizeof out, &n));
    assert_false(mm_dkim_b64("a!==", 4, out, sizeof out, &n));
    assert_false(mm_dkim_b64("aGVsbG8=aGVs", 12, out, sizeof out, &n));
}

static void test_sig_parse(void **state)
{
    (void)state;
    static const struct {
        const char *sig;
        mm_dkim_reason want;
    } rows[] = {
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA", MM_DKIM_R_NONE},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=to; bh=AAAA; b=AAAA",
         MM_DKIM_R_HEADER_MISSING_FROM},
        {"v=1; a=rsa-sha512; d=example.com; s=s; h=from; bh=AAAA; b=AAAA",
         MM_DKIM_R_UNSUPPORTED_ALGORITHM},
        {"v=2; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA",
         MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; b=AAAA", MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=ex(ample.com; s=s; h=from; bh=AAAA; b=AAAA",
         MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; i=@evil.com",
         MM_DKIM_R_DOMAIN_MISMATCH},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; i=a@x.example.com",
         MM_DKIM_R_NONE},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; i=a@xexample.com",
         MM_DKIM_R_DOMAIN_MISMATCH},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; t=10; x=5",
         MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; c=odd/simple",
         MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; q=http",
         MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; l=x",
         MM_DKIM_R_SIGNATURE_SYNTAX},
        {"v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; zz=future",
         MM_DKIM_R_NONE},
    };
    mm_dkim_sigdata *sd = malloc(sizeof *sd);
    char many[4096] = "v=1; a=rsa-sha256; d=example.com; s=s; bh=AAAA; b=AAAA; h=from";
    for (int i = 0; i < 300; i++)
        strcat(many, ":to");
    const char *w;
    assert_int_equal(mm_dkim_sig_parse(many, strlen(many), sd, &w), MM_DKIM_R_SIGNATURE_SYNTAX);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *why;
        mm_dkim_reason r = mm_dkim_sig_parse(rows[i].sig, strlen(rows[i].sig), sd, &why);
        if (r != rows[i].want)
            fail_msg("row %zu: got %s (%s), want %s", i, mm_dkim_reason_name(r), why,
                     mm_dkim_reason_name(rows[i].want));
    }
    free(sd);
}

/* ---- keys generated at test time ---- */

typedef struct keys {
    EVP_PKEY *rsa, *ed, *rsa1024, *rsa512;
    char rsa_p[1024], ed_p[64], rsa1024_p[512], rsa512_p[256];
    char rsa_pkcs1[1024], ed_spki[128]; /* the other encodings publishers use */
} keys;

static keys K;

static void b64(const unsigned char *d, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
}

static void spki_b64(EVP_PKEY *k, char *out)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    assert_true(n > 0);
    b64(der, (size_t)n, out);
    OPENSSL_free(der);
}

static int setup_keys(void **state)
{
    (void)state;
    K.rsa = EVP_RSA_gen(2048);
    K.rsa1024 = EVP_RSA_gen(1024);
    K.rsa512 = EVP_RSA_gen(512);
    K.ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!K.rsa || !K.ed || !K.rsa1024 || !K.rsa512)
        return -1;
    spki_b64(K.rsa, K.rsa_p);
    spki_b64(K.rsa1024, K.rsa1024_p);
    spki_b64(K.rsa512, K.rsa512_p);
    unsigned char raw[32];
    size_t rl = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(K.ed, raw, &rl) != 1)
        return -1;
    b64(raw, rl, K.ed_p);
    spki_b64(K.ed, K.ed_spki);
    unsigned char *der = NULL;
    int n = i2d_PublicKey(K.rsa, &der); /* PKCS#1 RSAPublicKey for RSA */
    if (n <= 0)
        return -1;
    b64(der, (size_t)n, K.rsa_pkcs1);
    OPENSSL_free(der);
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    EVP_PKEY_free(K.rsa);
    EVP_PKEY_free(K.ed);
    EVP_PKEY_free(K.rsa1024);
    EVP_PKEY_free(K.rsa512);
    return 0;
}

/* ---- an in-memory zone ---- */

typedef struct zrow {
    const char *name;
    char text[1200];
    bool timeout;
} zrow;

static zrow zone[8];
static size_t nzone;
static mm_dns_record zrec;

static void zone_add(const char *name, const char *fmt, const char *p)
{
    zone[nzone].name = name;
    zone[nzone].timeout = fmt == NULL;
    if (fmt)
        snprintf(zone[nzone].text, sizeof zone[nzone].text, fmt, p);
    nzone++;
}

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    (void)ctx;
    (void)type;
    ans->result = MM_DNS_NXDOMAIN;
    ans->rcode = 3;
    /* two TXT records at one name: a stray one first, then the key */
    static mm_dns_record two[2];
    if (strcasecmp(name, "multi._domainkey.example.org") == 0) {
        two[0].u.txt.data = "v=spf1 -all";
        two[0].u.txt.len = 11;
        two[1].u.txt.data = zone[0].text;
        two[1].u.txt.len = strlen(zone[0].text);
        ans->result = MM_DNS_ANSWER;
        ans->rcode = 0;
        ans->nrecords = 2;
        ans->records = two;
        return;
    }
    for (size_t i = 0; i < nzone; i++) {
        if (strcasecmp(zone[i].name, name) != 0)
            continue;
        if (zone[i].timeout) {
            ans->result = MM_DNS_TIMEOUT;
            return;
        }
        zrec.u.txt.data = zone[i].text;
        zrec.u.txt.len = strlen(zone[i].text);
        zrec.u.txt.nstrings = 1;
        ans->result = MM_DNS_ANSWER;
        ans->rcode = 0;
        ans->nrecords = 1;
        ans->records = &zrec;
    }
}

static int setup_zone(void **state)
{
    (void)state;
    nzone = 0;
    zone_add("rsa._domainkey.example.org", "v=DKIM1; k=rsa; p=%s", K.rsa_p);
    zone_add("ed._domainkey.example.org", "v=DKIM1; k=ed25519; p=%s", K.ed_p);
    zone_add("test._domainkey.example.org", "v=DKIM1; t=y; p=%s", K.rsa1024_p);
    zone_add("small._domainkey.example.org", "v=DKIM1; p=%s", K.rsa512_p);
    zone_add("gone._domainkey.example.org", "v=DKIM1; p=%s", "");
    zone_add("slow._domainkey.example.org", NULL, NULL);
    return 0;
}

/* ---- a signer built from the canonicalizers ---- */

static const char base_msg[] = "Received: from relay by mx; Sun, 29 Nov 2026 00:00:00 +0000\r\n"
                               "From: Alice <alice@example.org>\r\n"
                               "To: bob@example.net\r\n"
                               "Subject: Quarterly   report\r\n"
                               "Date: Sun, 29 Nov 2026 00:00:00 +0000\r\n"
                               "\r\n"
                               "Hello Bob,\r\n"
                               "\r\n"
                               "the numbers  are in.\t\r\n"
                               "\r\n\r\n";

/* The value of field name (first instance) canonicalized, for the hand-built hash input. */
static void add_field(mm_dkim_msg *m, const char *name, bool relaxed, mm_buf *out)
{
    for (size_t i = 0; i < m->nfields; i++)
        if (m->fields[i].nlen == strlen(name) &&
            strncasecmp(m->fields[i].raw, name, m->fields[i].nlen) == 0) {
            assert_int_equal(mm_dkim_canon_header(relaxed, m->fields[i].raw, m->fields[i].len, out),
                             MM_OK);
            return;
        }
}

/* The h= of the signer; a name listed twice over-signs (the second instance is
 * absent, so it adds nothing to the hash but forbids adding one). */
static const char *sign_h = "from:to:subject:date";

/* Sign msg: returns a new message with a DKIM-Signature on top (caller frees). */
static char *sign(const char *msg, EVP_PKEY *key, bool ed, const char *sel, const char *canon,
                  const char *extra)
{
    bool hrel = strncmp(canon, "relaxed", 7) == 0;
    bool brel = strstr(canon, "/relaxed") != NULL;
    mm_dkim_msg m;
    assert_int_equal(mm_dkim_msg_load(msg, strlen(msg), &m), MM_OK);
    mm_buf body = MM_BUF_INIT, hin = MM_BUF_INIT;
    assert_int_equal(mm_dkim_canon_body(brel, m.body, m.body_len, &body), MM_OK);
    size_t blen = body.len;
    const char *l = strstr(extra, "l=");
    if (l)
        blen = (size_t)atoi(l + 2);
    unsigned char bh[32];
    SHA256((const unsigned char *)(body.data ? body.data : ""), blen, bh);
    char bh64[64];
    b64(bh, 32, bh64);
    char sighdr[512];
    snprintf(sighdr, sizeof sighdr,
             "DKIM-Signature: v=1; a=%s; c=%s; d=example.org; s=%s;\r\n\th=%s;%s bh=%s;\r\n\tb=",
             ed ? "ed25519-sha256" : "rsa-sha256", canon, sel, sign_h, extra, bh64);
    char names[128];
    snprintf(names, sizeof names, "%s", sign_h);
    char *save = NULL, *seen[8];
    size_t nseen = 0;
    for (char *t = strtok_r(names, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
        bool dup = false;
        for (size_t i = 0; i < nseen; i++)
            dup |= strcmp(seen[i], t) == 0;
        if (!dup)
            add_field(&m, t, hrel, &hin);
        if (nseen < 8)
            seen[nseen++] = t;
    }
    char withcrlf[600];
    snprintf(withcrlf, sizeof withcrlf, "%s\r\n", sighdr);
    assert_int_equal(mm_dkim_canon_header(hrel, withcrlf, strlen(withcrlf), &hin), MM_OK);
    hin.len -= 2; /* the signature field is hashed without its CRLF */
    unsigned char sig[512];
    size_t slen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ed) {
        unsigned char h[32];
        SHA256((const unsigned char *)hin.data, hin.len, h);
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key), 1);
        assert_int_equal(EVP_DigestSign(ctx, sig, &slen, h, 32), 1);
    } else {
        assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
        assert_int_equal(EVP_DigestSign(ctx, sig, &slen, (unsigned char *)hin.data, hin.len), 1);
    }
    EVP_MD_CTX_free(ctx);
    char b64sig[700];
    b64(sig, slen, b64sig);
    size_t n = strlen(sighdr) + strlen(b64sig) + strlen(msg) + 3;
    char *out = malloc(n);
    snprintf(out, n, "%s%s\r\n%s", sighdr, b64sig, msg);
    mm_buf_free(&body);
    mm_buf_free(&hin);
    mm_dkim_msg_free(&m);
    return out;
}

static mm_dkim_report *verify(const char *msg, const mm_dkim_opts *o)
{
    mm_dns_backend b = {"test", lookup, NULL};
    mm_dns *d = NULL;
    mm_dkim_report *r = NULL;
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    assert_int_equal(mm_dkim_verify(d, msg, strlen(msg), o, &r), MM_OK);
    assert_true(mm_dkim_report_done(r));
    /* the report no longer needs the resolver once done */
    mm_dns_free(d);
    return r;
}

static void expect(const char *msg, size_t i, mm_dkim_result res, mm_dkim_reason why,
                   unsigned notes)
{
    mm_dkim_report *r = verify(msg, NULL);
    const mm_dkim_sig *s = mm_dkim_report_sig(r, i);
    assert_non_null(s);
    if (s->result != res || s->reason != why || (s->notes & notes) != notes)
        fail_msg("sig %zu: got %s/%s notes %#x (%s), want %s/%s notes %#x", i,
                 mm_dkim_result_name(s->result), mm_dkim_reason_name(s->reason), s->notes,
                 s->detail, mm_dkim_result_name(res), mm_dkim_reason_name(why), notes);
    mm_dkim_report_free(r);
}

/* Replace the first "from" in s by "to" (same length or not); returns new string. */
static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return out;
}

static void test_sign_verify(void **state)
{
    (void)state;
    static const char *const canons[] = {"simple/simple", "relaxed/relaxed", "relaxed/simple",
                                         "simple/relaxed"};
    for (size_t c = 0; c < 4; c++) {
        for (int ed = 0; ed < 2; ed++) {
            char *m = sign(base_msg, ed ? K.ed : K.rsa, ed, ed ? "ed" : "rsa", canons[c], "");
            expect(m, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
            char *body = replace(m, "numbers", "Numbers");
            expect(body, 0, MM_DKIM_FAIL, MM_DKIM_R_BODY_HASH_MISMATCH, 0);
            char *subj = replace(m, "Quarterly", "Monthly");
            expect(subj, 0, MM_DKIM_FAIL, MM_DKIM_R_SIGNATURE_MISMATCH, 0);
            char *tail = replace(m, "are in.\t\r\n", "are in.\t\r\n\r\n\r\n\r\n");
            expect(tail, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
            free(body);
            free(subj);
            free(tail);
            free(m);
        }
    }
}

static void test_relaxed_absorbs(void **state)
{
    (void)state;
    char *m = sign(base_msg, K.rsa, false, "rsa", "relaxed/relaxed", "");
    char *h = replace(m, "Subject: Quarterly   report", "SUBJECT :  Quarterly report  ");
    expect(h, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    char *b = replace(m, "Hello Bob,", "Hello \t Bob,   ");
    expect(b, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    /* a bare-LF copy of the message (as saved by many tools) still verifies */
    char *lf = strdup(m);
    size_t o = 0;
    for (size_t i = 0; lf[i]; i++)
        if (lf[i] != '\r')
            lf[o++] = lf[i];
    lf[o] = '\0';
    expect(lf, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    /* an unsigned field on top changes nothing; nor does a second From on top
     * when From is signed once: the verifier takes the bottom-most instance
     * (RFC 6376 5.4.2), which is why signers over-sign From */
    size_t n = strlen(m) + 64;
    char *top = malloc(n);
    snprintf(top, n, "X-Added: yes\r\n%s", m);
    expect(top, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    snprintf(top, n, "From: mallory@evil.example\r\n%s", m);
    expect(top, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    free(top);
    sign_h = "from:to:subject:date:from";
    char *over = sign(base_msg, K.ed, true, "ed", "relaxed/relaxed", "");
    sign_h = "from:to:subject:date";
    expect(over, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    n = strlen(over) + 64;
    top = malloc(n);
    snprintf(top, n, "From: mallory@evil.example\r\n%s", over);
    expect(top, 0, MM_DKIM_FAIL, MM_DKIM_R_SIGNATURE_MISMATCH, 0);
    free(top);
    free(over);
    free(lf);
    free(b);
    free(h);
    free(m);
}

static void test_l_tag(void **state)
{
    (void)state;
    char *m = sign(base_msg, K.rsa, false, "rsa", "simple/simple", " l=12;");
    expect(m, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, MM_DKIM_NOTE_L_TAG | MM_DKIM_NOTE_L_EXTRA);
    char *cut = replace(m, "Hello Bob,\r\n\r\nthe numbers  are in.\t\r\n", "Hi\r\n");
    expect(cut, 0, MM_DKIM_FAIL, MM_DKIM_R_BODY_HASH_MISMATCH, 0);
    free(cut);
    free(m);
}

static void test_keys_and_times(void **state)
{
    (void)state;
    char *m = sign(base_msg, K.rsa1024, false, "test", "relaxed/relaxed", "");
    expect(m, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, MM_DKIM_NOTE_TESTING | MM_DKIM_NOTE_WEAK_KEY);
    free(m);
    m = sign(base_msg, K.rsa512, false, "small", "relaxed/relaxed", "");
    expect(m, 0, MM_DKIM_PERMERROR, MM_DKIM_R_KEY_TOO_SMALL, 0);
    free(m);
    m = sign(base_msg, K.rsa, false, "multi", "relaxed/relaxed", "");
    expect(m, 0, MM_DKIM_PASS, MM_DKIM_R_NONE, 0);
    free(m);
    m = sign(base_msg, K.rsa, false, "gone", "relaxed/relaxed", "");
    expect(m, 0, MM_DKIM_PERMERROR, MM_DKIM_R_KEY_REVOKED, 0);
    free(m);
    m = sign(base_msg, K.rsa, false, "slow", "relaxed/relaxed", "");
    expect(m, 0, MM_DKIM_TEMPERROR, MM_DKIM_R_KEY_TEMPERROR, 0);
    free(m);
    m = sign(base_msg, K.rsa, false, "nope", "relaxed/relaxed", "");
    expect(m, 0, MM_DKIM_PERMERROR, MM_DKIM_R_KEY_NOT_FOUND, 0);
    free(m);
    m = sign(base_msg, K.rsa, false, "ed", "relaxed/relaxed", ""); /* an Ed25519 key for RSA */
    expect(m, 0, MM_DKIM_PERMERROR, MM_DKIM_R_KEY_INAPPROPRIATE, 0);
    free(m);
    m = sign(base_msg, K.rsa, false, "rsa", "relaxed/relaxed", " t=1000; x=2000;");
    expect(m, 0, MM_DKIM_PERMERROR, MM_DKIM_R_EXPIRED, 0);
    mm_dkim_opts o = {.ignore_expiry = true};
    mm_dkim_report *r = verify(m, &o);
    assert_int_equal(mm_dkim_report_sig(r, 0)->result, MM_DKIM_PASS);
    assert_true(mm_dkim_report_sig(r, 0)->notes & MM_DKIM_NOTE_EXPIRED);
    assert_int_equal(mm_dkim_report_sig(r, 0)->t, 1000);
    mm_dkim_report_free(r);
    free(m);
}

static void test_two_signatures(void **state)
{
    (void)state;
    char *one = sign(base_msg, K.rsa, false, "rsa", "relaxed/simple", "");
    char *two = sign(one, K.ed, true, "ed", "relaxed/relaxed", "");
    mm_dkim_report *r = verify(two, NULL);
    assert_int_equal(mm_dkim_report_count(r), 2);
    assert_string_equal(mm_dkim_report_sig(r, 0)->algorithm, "ed25519-sha256");
    assert_string_equal(mm_dkim_report_sig(r, 0)->key_type, "ed25519");
    assert_int_equal(mm_dkim_report_sig(r, 0)->result, MM_DKIM_PASS);
    assert_string_equal(mm_dkim_report_sig(r, 1)->selector, "rsa");
    assert_string_equal(mm_dkim_report_sig(r, 1)->canon, "relaxed/simple");
    assert_int_equal(mm_dkim_report_sig(r, 1)->key_bits, 2048);
    assert_int_equal(mm_dkim_report_sig(r, 1)->result, MM_DKIM_PASS);
    assert_null(mm_dkim_report_sig(r, 2));
    mm_dkim_report_free(r);
    free(one);
    free(two);
    /* over the size limit */
    mm_dns_backend nb = {"test", lookup, NULL};
    mm_dns *d = NULL;
    assert_int_equal(mm_dns_create_backend(&nb, &d), MM_OK);
    mm_dkim_opts small = {.max_message_bytes = 100};
    assert_int_equal(mm_dkim_verify(d, base_msg, strlen(base_msg), &small, &r), MM_ETOOBIG);
    assert_int_equal(mm_dkim_verify(d, NULL, 0, NULL, &r), MM_OK);
    assert_int_equal(mm_dkim_report_count(r), 0);
    mm_dkim_report_free(r);
    assert_int_equal(mm_dkim_verify(NULL, base_msg, 1, NULL, &r), MM_EINVAL);
    mm_dns_free(d);
    /* no signature at all */
    r = verify(base_msg, NULL);
    assert_int_equal(mm_dkim_report_count(r), 0);
    mm_dkim_report_free(r);
}

static void test_key_parse(void **state)
{
    (void)state;
    char rec[1200];
    static const struct {
        const char *fmt;
        const char *p;
        mm_dkim_reason want;
        unsigned notes;
        unsigned bits;
    } rows[] = {
        {"v=DKIM1; k=ed25519; p=%s", K.ed_p, MM_DKIM_R_NONE, 0, 256},
        {"v=DKIM1; p=%s", K.rsa_p, MM_DKIM_R_NONE, 0, 2048},
        {"p=%s; t=y:s", K.rsa1024_p, MM_DKIM_R_NONE, MM_DKIM_NOTE_TESTING | MM_DKIM_NOTE_WEAK_KEY,
         1024},
        {"v=DKIM1; p=%s", K.rsa512_p, MM_DKIM_R_KEY_TOO_SMALL, 0, 512},
        {"v=DKIM1; p=%s", "", MM_DKIM_R_KEY_REVOKED, 0, 0},
        {"v=DKIM1; k=ed25519; p=%s", K.rsa_p, MM_DKIM_R_KEY_SYNTAX, 0, 0},
        {"v=DKIM1; k=dsa; p=%s", K.rsa_p, MM_DKIM_R_KEY_SYNTAX, 0, 0},
        {"k=rsa; v=DKIM1; p=%s", K.rsa_p, MM_DKIM_R_KEY_SYNTAX, 0, 0},
        {"v=DKIM1; s=tlsrpt; p=%s", K.rsa_p, MM_DKIM_R_KEY_INAPPROPRIATE, 0, 0},
        {"v=DKIM1; h=sha1; p=%s", K.rsa_p, MM_DKIM_R_NONE, MM_DKIM_NOTE_SHA1, 2048},
        {"v=DKIM1; %s", "", MM_DKIM_R_KEY_SYNTAX, 0, 0},
        {"v=DKIM1; p=%s", K.rsa_pkcs1, MM_DKIM_R_NONE, 0, 2048},
        {"v=DKIM1; k=ed25519; p=%s", K.ed_spki, MM_DKIM_R_KEY_SYNTAX, 0, 0},
        {"v=DKIM1; p=%s", K.ed_p, MM_DKIM_R_KEY_SYNTAX, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(rec, sizeof rec, rows[i].fmt, rows[i].p);
        mm_dkim_key_info *k = NULL;
        assert_int_equal(mm_dkim_key_parse(rec, strlen(rec), &k), MM_OK);
        if (k->reason != rows[i].want || k->notes != rows[i].notes ||
            (rows[i].bits && k->key_bits != rows[i].bits))
            fail_msg("row %zu: got %s notes %#x bits %u (%s), want %s notes %#x bits %u", i,
                     mm_dkim_reason_name(k->reason), k->notes, k->key_bits, k->detail,
                     mm_dkim_reason_name(rows[i].want), rows[i].notes, rows[i].bits);
        mm_dkim_key_info_free(k);
    }
    mm_dkim_key_info_free(NULL);
}

static void test_keycheck(void **state)
{
    (void)state;
    mm_dns_backend b = {"test", lookup, NULL};
    mm_dns *d = NULL;
    assert_int_equal(mm_dns_create_backend(&b, &d), MM_OK);
    const char *sels[] = {"rsa", "ed", "gone", "slow", "nope", "test"};
    const mm_dkim_reason want[] = {MM_DKIM_R_NONE,          MM_DKIM_R_NONE,
                                   MM_DKIM_R_KEY_REVOKED,   MM_DKIM_R_KEY_TEMPERROR,
                                   MM_DKIM_R_KEY_NOT_FOUND, MM_DKIM_R_NONE};
    mm_dkim_keycheck *kc = NULL;
    assert_int_equal(mm_dkim_keycheck_run(d, "Example.ORG", sels, 6, &kc), MM_OK);
    assert_int_equal(mm_dkim_keycheck_count(kc), 6);
    for (size_t i = 0; i < 6; i++) {
        const mm_dkim_key_info *k = mm_dkim_keycheck_get(kc, i);
        if (k->reason != want[i])
            fail_msg("%s: got %s, want %s", k->name, mm_dkim_reason_name(k->reason),
                     mm_dkim_reason_name(want[i]));
    }
    assert_string_equal(mm_dkim_keycheck_get(kc, 0)->name, "rsa._domainkey.example.org");
    assert_string_equal(mm_dkim_keycheck_get(kc, 1)->key_type, "ed25519");
    assert_true(mm_dkim_keycheck_get(kc, 5)->notes & MM_DKIM_NOTE_TESTING);
    mm_dkim_keycheck_free(kc);

    /* the common list: every row has a source, and is queried */
    size_t n;
    const mm_dkim_selector *common = mm_dkim_common_selectors(&n);
    assert_true(n >= 10);
    for (size_t i = 0; i < n; i++)
        assert_true(*common[i].selector && *common[i].used_by && *common[i].source);
    assert_int_equal(mm_dkim_keycheck_start(d, "example.org", NULL, 0, &kc), MM_OK);
    assert_int_equal(mm_dns_pending(d), n);
    mm_dkim_keycheck_free(kc); /* cancels its queries */
    assert_int_equal(mm_dns_pending(d), 0);
    assert_int_equal(mm_dkim_keycheck_start(d, "", NULL, 0, &kc), MM_EINVAL);
    mm_dns_free(d);
}

static void test_names(void **state)
{
    (void)state;
    for (int r = 0; r < MM_DKIM_REASON_MAX_; r++) {
        assert_true(strlen(mm_dkim_reason_name((mm_dkim_reason)r)) > 0);
        assert_true(strlen(mm_dkim_reason_message((mm_dkim_reason)r)) > 0);
    }
    assert_string_equal(mm_dkim_reason_name(MM_DKIM_R_BODY_HASH_MISMATCH), "body_hash_mismatch");
    assert_string_equal(mm_dkim_reason_name(MM_DKIM_REASON_MAX_), "unknown");
    assert_string_equal(mm_dkim_result_name(MM_DKIM_TEMPERROR), "temperror");
    for (unsigned b = 1; b < MM_DKIM_NOTE_MAX_; b <<= 1)
        assert_string_not_equal(mm_dkim_note_name(b), "unknown");
    assert_string_equal(mm_dkim_note_name(MM_DKIM_NOTE_TESTING), "testing_mode");
    mm_dkim_report_free(NULL);
    mm_dkim_keycheck_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canon_rfc),
        cmocka_unit_test(test_canon_body_edges),
        cmocka_unit_test(test_lf_to_crlf),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_b64),
        cmocka_unit_test(test_sig_parse),
        cmocka_unit_test_setup(test_sign_verify, setup_zone),
        cmocka_unit_test_setup(test_relaxed_absorbs, setup_zone),
        cmocka_unit_test_setup(test_l_tag, setup_zone),
        cmocka_unit_test_setup(test_keys_and_times, setup_zone),
        cmocka_unit_test_setup(test_two_signatures, setup_zone),
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test_setup(test_keycheck, setup_zone),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
