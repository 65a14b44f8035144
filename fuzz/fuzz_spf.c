/*
 * fuzz_spf.c - the SPF record parser and macro expander on arbitrary bytes,
 * then a whole check_host() over a fake zone where every name publishes the
 * input as its TXT record (includes and redirects loop back to it, so the
 * lookup limits and the recursion guards are exercised too).
 */
#include <mailmedic/spf.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "fuzzer.h"

typedef struct fz {
    const char *text;
    size_t len;
    mm_dns_record rec[2];
} fz;

static void lookup(void *ctx, const char *name, int type, mm_dns_answer *ans)
{
    fz *f = ctx;
    (void)name;
    memset(f->rec, 0, sizeof f->rec);
    ans->result = MM_DNS_ANSWER;
    ans->nrecords = 1;
    ans->records = f->rec;
    switch (type) {
    case MM_DNS_T_TXT:
        f->rec[0].u.txt.data = f->text;
        f->rec[0].u.txt.len = f->len;
        f->rec[0].u.txt.nstrings = 1;
        break;
    case MM_DNS_T_A:
        f->rec[0].u.addr.family = AF_INET;
        inet_pton(AF_INET, "192.0.2.1", f->rec[0].u.addr.bytes);
        break;
    case MM_DNS_T_MX:
        f->rec[0].u.mx.host = "mx.example.com";
        break;
    case MM_DNS_T_PTR:
        f->rec[0].u.name = "mx.example.com";
        break;
    default:
        ans->result = MM_DNS_NXDOMAIN;
        ans->nrecords = 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 8);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    /* the parser, on the bytes as given (NULs included) */
    mm_spf_record *r = NULL;
    if (mm_spf_record_parse(text, size, &r) == MM_OK) {
        (void)mm_spf_record_error(r);
        mm_spf_record_free(r);
    }

    /* the macro expander, on the text up to the first NUL */
    mm_spf_macro_vars v = {.ip = "2001:db8::1",
                           .sender = "a.b-c@d.example",
                           .domain = "d.example",
                           .helo = "h.example",
                           .timestamp = 1};
    for (int mode = 0; mode < 2; mode++) {
        char *out = NULL;
        if (mm_spf_expand(text, &v, mode, !mode, &out) == MM_OK)
            free(out);
    }

    /* check_host() where every name publishes the input */
    fz f = {.text = text, .len = size};
    mm_dns_backend be = {.name = "fuzz", .lookup = lookup, .ctx = &f};
    mm_dns *d = NULL;
    mm_spf *s = NULL;
    if (mm_dns_create_backend(&be, &d) == MM_OK && mm_spf_create(d, &s) == MM_OK) {
        mm_spf_eval *e = NULL;
        mm_spf_set_timestamp(s, 1);
        if (mm_spf_check_host(s, "192.0.2.1", "d.example", "a@d.example", "h.example", &e) == MM_OK)
            mm_spf_eval_free(e);
        mm_spf_lint *l = NULL;
        if (size < 512 && mm_spf_lint_domain(s, "d.example", "192.0.2.9", &l) == MM_OK)
            mm_spf_lint_free(l);
    }
    mm_spf_free(s);
    mm_dns_free(d);
    free(text);
    return 0;
}
