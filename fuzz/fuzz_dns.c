/*
 * fuzz_dns.c - the DNS reply parser (src/lib/dns/parse.c) on arbitrary bytes
 * taken as a reply packet, once for each record type the layer parses, plus
 * the mail-domain name rules on the same bytes as a C string.
 */
#include <mailmedic/dns.h>
#include <stdlib.h>
#include <string.h>
#include "dns/dns_int.h"
#include "fuzzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int types[] = {MM_DNS_T_A,   MM_DNS_T_AAAA, MM_DNS_T_MX,   MM_DNS_T_TXT,
                                MM_DNS_T_PTR, MM_DNS_T_NS,   MM_DNS_T_CNAME};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        mm_arena a;
        mm_arena_init(&a);
        mm_dns_answer ans;
        if (mm_dns_parse_reply(data, size, types[i], &a, &ans) == MM_OK) {
            /* touch every record so a sanitizer sees bad pointers */
            volatile size_t sum = 0;
            for (size_t k = 0; k < ans.nrecords; k++) {
                const mm_dns_record *r = &ans.records[k];
                if (types[i] == MM_DNS_T_TXT)
                    sum += r->u.txt.len + (r->u.txt.len ? (unsigned char)r->u.txt.data[0] : 0);
                else if (types[i] == MM_DNS_T_MX)
                    sum += strlen(r->u.mx.host);
                else if (types[i] != MM_DNS_T_A && types[i] != MM_DNS_T_AAAA)
                    sum += strlen(r->u.name);
                else
                    sum += strlen(r->u.addr.text);
            }
            (void)sum;
        }
        mm_arena_free(&a);
    }
    char *name = malloc(size + 1);
    if (name) {
        memcpy(name, data, size);
        name[size] = '\0';
        (void)mm_dns_name_ok(name);
        char rev[80];
        (void)mm_dns_reverse_name(name, NULL, rev, sizeof rev);
        (void)mm_dns_reverse_name(name, "dnsbl.example", rev, sizeof rev);
        free(name);
    }
    return 0;
}
