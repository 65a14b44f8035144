/*
 * dnsq.c - ask a DNS server through libmailmedic's DNS layer, like a tiny dig:
 *   dnsq SERVER NAME TYPE...     (TYPE: a aaaa mx txt ptr cname ns, or a number)
 *   dnsq SERVER -m DOMAIN...     (the mail-domain check)
 * For debugging the zones of tests/dns and the layer itself.
 */
#include <mailmedic/dns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int type_of(const char *s)
{
    static const struct {
        const char *n;
        int t;
    } types[] = {{"a", MM_DNS_T_A},     {"aaaa", MM_DNS_T_AAAA}, {"mx", MM_DNS_T_MX},
                 {"txt", MM_DNS_T_TXT}, {"ptr", MM_DNS_T_PTR},   {"cname", MM_DNS_T_CNAME},
                 {"ns", MM_DNS_T_NS}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcasecmp(s, types[i].n) == 0)
            return types[i].t;
    return atoi(s);
}

static void print_answer(void *arg, const mm_dns_answer *a)
{
    (void)arg;
    printf("%s type %d: %s rcode %d, %zu records\n", a->name, a->type,
           mm_dns_result_name(a->result), a->rcode, a->nrecords);
    for (size_t i = 0; i < a->nrecords; i++) {
        const mm_dns_record *r = &a->records[i];
        switch (a->type) {
        case MM_DNS_T_A:
        case MM_DNS_T_AAAA:
            printf("  %s\n", r->u.addr.text);
            break;
        case MM_DNS_T_MX:
            printf("  %u %s\n", r->u.mx.preference, r->u.mx.host);
            break;
        case MM_DNS_T_TXT:
            printf("  [%u] \"%s\"\n", r->u.txt.nstrings, r->u.txt.data);
            break;
        default:
            printf("  %s\n", r->u.name);
            break;
        }
    }
}

static void print_mx(void *arg, const mm_mx_result *r)
{
    (void)arg;
    printf("%s: %s (mx %s, ns %s, nmx %zu%s%s%s%s)\n", r->domain, mm_mx_status_name(r->status),
           mm_dns_result_name(r->mx_result), mm_dns_result_name(r->ns_result), r->nmx,
           r->null_mx ? ", null mx" : "", r->implicit_mx ? ", implicit" : "",
           r->parking ? ", parked at " : "", r->parking ? r->parking : "");
    for (size_t i = 0; i < r->nhosts; i++) {
        const mm_mx_host *h = &r->hosts[i];
        printf("  %u %s: %s (a %s, aaaa %s)", h->preference, h->name,
               mm_mx_host_status_name(h->status), mm_dns_result_name(h->a_result),
               mm_dns_result_name(h->aaaa_result));
        for (size_t k = 0; k < h->naddrs; k++)
            printf(" %s/%s", h->addrs[k].text, mm_ip_class_name(h->addrs[k].klass));
        printf("\n");
    }
    for (size_t i = 0; i < r->nns; i++)
        printf("  ns %s\n", r->ns[i]);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: dnsq SERVER NAME TYPE... | dnsq SERVER -m DOMAIN...\n");
        return 2;
    }
    mm_dns_opts o = {.server = argv[1], .timeout_ms = 1000, .tries = 1};
    mm_dns *d;
    mm_status_t st = mm_dns_create(&o, &d);
    if (st != MM_OK) {
        fprintf(stderr, "dnsq: %s\n", mm_strerror(st));
        return 1;
    }
    mm_mailcheck *m = NULL;
    if (strcmp(argv[2], "-m") == 0) {
        mm_mailcheck_create(d, 0, &m);
        for (int i = 3; i < argc; i++)
            if (mm_mailcheck_domain(m, argv[i], print_mx, NULL) != MM_OK)
                fprintf(stderr, "dnsq: %s: invalid\n", argv[i]);
    } else {
        for (int i = 2; i + 1 < argc; i += 2)
            if (mm_dns_query(d, argv[i], type_of(argv[i + 1]), print_answer, NULL) != MM_OK)
                fprintf(stderr, "dnsq: %s: invalid\n", argv[i]);
    }
    st = mm_dns_run(d);
    mm_mailcheck_free(m);
    mm_dns_free(d);
    return st == MM_OK ? 0 : 1;
}
