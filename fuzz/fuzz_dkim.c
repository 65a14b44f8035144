/*
 * fuzz_dkim.c - the DKIM tag-list parser, the signature and key record
 * parsers and both canonicalizations on arbitrary bytes, then the whole
 * verifier with the bytes as a message, over an in-memory resolver that
 * answers every key query with one Ed25519 record (so key parsing and the
 * crypto path run too).  Checks: canonical bodies end in CRLF (or are empty
 * in relaxed), and relaxed output never holds two WSP in a row.
 */
#include <stdlib.h>
#include <string.h>

#include <mailmedic/dkim.h>
#include "dkim/dkim_int.h"
#include "fuzzer.h"

static const char key_rec[] = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    (void)ctx;
    (void)name;
    static mm_dns_record rec;
    ans->result = MM_DNS_NXDOMAIN;
    if (type != MM_DNS_T_TXT)
        return;
    rec.u.txt.data = key_rec;
    rec.u.txt.len = sizeof key_rec - 1;
    rec.u.txt.nstrings = 1;
    ans->result = MM_DNS_ANSWER;
    ans->nrecords = 1;
    ans->records = &rec;
}

static void check_body(bool relaxed, const char *d, size_t n)
{
    mm_buf b = MM_BUF_INIT;
    if (mm_dkim_canon_body(relaxed, d, n, &b) != MM_OK)
        abort();
    if (!relaxed && b.len < 2)
        abort();
    if (b.len && (b.len < 2 || memcmp(b.data + b.len - 2, "\r\n", 2) != 0))
        abort();
    for (size_t i = 1; relaxed && i < b.len; i++)
        if ((b.data[i] == ' ' || b.data[i] == '\t') &&
            (b.data[i - 1] == ' ' || b.data[i - 1] == '\t'))
            abort();
    mm_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    mm_dkim_tag tags[MM_DKIM_MAX_TAGS];
    size_t n;
    if (mm_dkim_tags_parse(s, size, tags, MM_DKIM_MAX_TAGS, &n) && n > MM_DKIM_MAX_TAGS)
        abort();
    mm_dkim_sigdata *sd = malloc(sizeof *sd);
    const char *why;
    if (sd)
        (void)mm_dkim_sig_parse(s, size, sd, &why);
    free(sd);
    mm_dkim_key k;
    mm_dkim_key_read(s, size, &k);
    mm_dkim_key_clear(&k);
    check_body(false, s, size);
    check_body(true, s, size);
    mm_buf h = MM_BUF_INIT;
    (void)mm_dkim_canon_header(true, s, size, &h);
    mm_buf_free(&h);

    mm_dns_backend b = {"fuzz", lookup, NULL};
    mm_dns *dns = NULL;
    mm_dkim_report *r = NULL;
    mm_dkim_opts o = {.now = 1700000000};
    if (mm_dns_create_backend(&b, &dns) != MM_OK)
        abort();
    if (mm_dkim_verify(dns, s, size, &o, &r) == MM_OK) {
        for (size_t i = 0; i < mm_dkim_report_count(r); i++)
            if (mm_dkim_report_sig(r, i)->result >= MM_DKIM_RESULT_MAX_)
                abort();
        mm_dkim_report_free(r);
    }
    mm_dns_free(dns);
    return 0;
}
