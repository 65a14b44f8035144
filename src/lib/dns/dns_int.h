/*
 * dns_int.h - internals of the DNS layer shared by dns.c, mailcheck.c, the
 * unit tests and the fuzz target: reply parsing and address helpers.
 */
#ifndef MM_DNS_INT_H
#define MM_DNS_INT_H

#include <stddef.h>
#include <mailmedic/dns.h>
#include "util/arena.h"

/* Records kept per answer; the rest are dropped (a hostile reply may hold thousands). */
#define MM_DNS_MAX_RECORDS 256

/*
 * Parse one DNS reply (RFC 1035 4.1) to a query of type qtype.  Sets
 * ans->result, ans->rcode, ans->nrecords and ans->records (allocated from a);
 * leaves ans->name and ans->type to the caller.  A malformed reply gives
 * result MM_DNS_ERROR and MM_OK; only MM_ENOMEM is returned as an error.
 */
mm_status_t mm_dns_parse_reply(const unsigned char *pkt, size_t len, int qtype, mm_arena *a,
                               mm_dns_answer *ans);

/* Fill rec->u.addr from family and bytes (text form included). */
void mm_dns_addr_fill(mm_dns_record *rec, int family, const void *bytes);

/* True when name is a syntactically usable query name (RFC 1035 2.3.4 lengths). */
int mm_dns_name_ok(const char *name);

#endif
