/* mailcheck_int.h - what mailcheck.c, mxresult.c, parking.c and their tests share. */
#ifndef MM_MAILCHECK_INT_H
#define MM_MAILCHECK_INT_H

#include <mailmedic/dns.h>

typedef struct addr_slot {
    char text[46];
    int family;
    mm_ip_class klass;
} addr_slot;

typedef struct waiter waiter;
struct waiter {
    waiter *next;
    mm_mailcheck_cb cb;
    void *arg;
};

/* One MX host of a domain being checked. */
typedef struct dom_host {
    unsigned pref;
    char *name;
    mm_mx_host_status status;
    mm_dns_result a, aaaa;
    size_t naddrs;
    addr_slot *addrs;
} dom_host;

/* What is gathered about a domain while its look-ups run. */
typedef struct dom_pending {
    waiter *waiters, **wtail; /* FIFO: callbacks in the order of the requests */
    int outstanding;
    mm_dns_result mx, ns;
    size_t nmx, nhosts, nns;
    int null_mx, implicit;
    dom_host hosts[MM_MAILCHECK_MAX_MX];
    char *nsname[MM_MAILCHECK_MAX_NS];
} dom_pending;

/* A finished result: the public struct and its data in one block. */
typedef struct res_block {
    size_t refs;
    mm_mx_result r;
} res_block;

/* The verdict and the packed result of p (refs 1); NULL on out of memory. */
res_block *mm_mx_result_build(const dom_pending *p, const char *domain, bool allow_private);

/* The parking service host (an NS or MX host) belongs to, or NULL; never the
 * service of domain itself (the service's own mail is not parked). */
const char *mm_parking_service(const char *host, const char *domain);

#endif
