/*
 * dnsbl.h - DNS blocklists: the sending IP against the major IP lists
 * (DNSBL) and the domain against the major domain lists (RHSBL / URI lists),
 * queried concurrently over the DNS layer (RFC 5782).
 *
 * The lists are one read-only table (src/lib/dnsbl/lists.c, each row with
 * its sources): zone, kind, how to read the 127.0.0.x answers (one meaning
 * per address, or a bitmask in the last octet), and the answers that say
 * "your query was refused" (public/open resolver, over the free quota,
 * unregistered) - those must never be shown as a listing.
 *
 * How results combine, per list (the first that applies wins):
 *   refused     an answer is a refusal code: cannot tell; query through your
 *               own resolver (or register / buy the data feed)
 *   error       an answer outside 127.0.0.0/8 (RFC 5782 2.3: a list answering
 *               the world, or a hijacking resolver), or the DNS look-up failed
 *               (SERVFAIL, REFUSED, malformed): cannot tell
 *   timeout     no answer in time: cannot tell
 *   listed      one or more listing codes (meanings in codes[]); the TXT
 *               reason is fetched as well
 *   not_listed  NXDOMAIN (or no A record at the name)
 *   skipped     the list does not apply (IPv6 to an IPv4-only list, no
 *               domain given, a retired list)
 * So "listed" is only said on real listing codes, and anything temporary
 * is "cannot tell", never "clean".
 */
#ifndef MAILMEDIC_DNSBL_H
#define MAILMEDIC_DNSBL_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/dns.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_dnsbl_kind {
    MM_DNSBL_KIND_IP = 0, /* reversed IPv4 octets / IPv6 nibbles + zone */
    MM_DNSBL_KIND_DOMAIN  /* domain + zone */
} mm_dnsbl_kind;

/* "ip", "domain". */
MM_EXTERN const char *mm_dnsbl_kind_name(mm_dnsbl_kind k);

/* One meaning of an answer: a whole address (exact lists) or one bit of the
 * last octet (bitmask lists). */
typedef struct mm_dnsbl_meaning {
    unsigned value;      /* last octet (exact: with prefix below), or the bit (bitmask) */
    const char *addr;    /* exact lists: the full answer, e.g. "127.0.0.2"; NULL for bits */
    const char *id;      /* stable, e.g. "sbl", "xbl", "pbl_isp", "ph", "black" */
    const char *message; /* English N_() msgid */
} mm_dnsbl_meaning;

/* One refusal answer ("not a listing: the query was refused"). */
typedef struct mm_dnsbl_refusal {
    const char *addr;    /* e.g. "127.255.255.254" */
    const char *id;      /* e.g. "open_resolver", "over_quota", "typo_zone" */
    const char *message; /* English N_() msgid */
} mm_dnsbl_refusal;

/* One list.  Everything is static, read-only data. */
typedef struct mm_dnsbl_list {
    const char *id;   /* stable: "spamhaus-zen", "barracuda", "spamcop", ... */
    const char *name; /* "Spamhaus ZEN" */
    const char *zone; /* "zen.spamhaus.org" */
    mm_dnsbl_kind kind;
    bool bitmask;  /* answers are bits of the last octet (SURBL, URIBL) */
    bool ipv6;     /* the list answers for IPv6 addresses (nibble names) */
    bool retired;  /* shut down: kept so reports can explain it, never queried */
    bool optional; /* asked only when named in mm_dnsbl_opts.lists (status unclear) */
    size_t nmeanings;
    const mm_dnsbl_meaning *meanings;
    size_t nrefusals;
    const mm_dnsbl_refusal *refusals;
    const char *delist_url; /* where a listed sender asks for removal */
    const char *note;       /* English N_() msgid: usage terms, status; "" if none */
} mm_dnsbl_list;

/* The table: count, item i (NULL past the end), by id (NULL when unknown). */
MM_EXTERN size_t mm_dnsbl_list_count(void);
MM_EXTERN const mm_dnsbl_list *mm_dnsbl_list_get(size_t i);
MM_EXTERN const mm_dnsbl_list *mm_dnsbl_list_find(const char *id);

typedef enum mm_dnsbl_status {
    MM_DNSBL_NOT_LISTED = 0,
    MM_DNSBL_LISTED,
    MM_DNSBL_REFUSED,
    MM_DNSBL_ERROR,
    MM_DNSBL_TIMEOUT,
    MM_DNSBL_SKIPPED,
    MM_DNSBL_STATUS_MAX_
} mm_dnsbl_status;

/* Stable ids: "not_listed", "listed", "refused", "error", "timeout", "skipped";
 * "unknown" outside the enum. */
MM_EXTERN const char *mm_dnsbl_status_name(mm_dnsbl_status s);
/* One English N_() sentence per status. */
MM_EXTERN const char *mm_dnsbl_status_message(mm_dnsbl_status s);
/* True for refused, error and timeout: "cannot tell". */
MM_EXTERN bool mm_dnsbl_status_is_unknown(mm_dnsbl_status s);

/* One answer address read with the list's table. */
typedef struct mm_dnsbl_code {
    const char *addr;    /* the answer as received, e.g. "127.0.0.4" (for bitmask lists, one
                          * entry per bit set: the same addr repeated) */
    const char *id;      /* meaning id; "unknown" for an unknown listing code, the refusal
                          * id for refusals, "not_loopback" outside 127/8 */
    const char *message; /* English N_() msgid */
} mm_dnsbl_code;

#define MM_DNSBL_MAX_CODES 16

/*
 * Read the A answers of one list (n addresses in text, "127.0.0.2") into a
 * status and up to max codes (*ncodes set; codes point into static data and
 * into addrs).  n == 0 gives NOT_LISTED.  The combination rule is the one
 * above: a refusal anywhere -> REFUSED, an address outside 127/8 -> ERROR,
 * else LISTED (unknown codes in 127/8 still count as a listing, RFC 5782
 * 2.3, with id "unknown").  Pure: no DNS.
 */
MM_EXTERN mm_dnsbl_status mm_dnsbl_read(const mm_dnsbl_list *l, const char *const *addrs, size_t n,
                                        mm_dnsbl_code *codes, size_t max, size_t *ncodes);

/* ---- The checker ---- */

typedef struct mm_dnsbl mm_dnsbl;

typedef struct mm_dnsbl_opts {
    const char *const *lists; /* NULL-terminated list ids to use; NULL = every list but the
                               * optional ones */
    bool no_txt;              /* do not fetch the TXT reason of listings */
} mm_dnsbl_opts;

/* A checker over d (which must outlive it); o may be NULL.  MM_EINVAL when d
 * is NULL or an id in o->lists is unknown; MM_ENOMEM. */
MM_EXTERN mm_status_t mm_dnsbl_create(mm_dns *d, const mm_dnsbl_opts *o, mm_dnsbl **out);

/* Free a checker; NULL is a no-op.  Its pending queries are cancelled and their
 * callbacks never called. */
MM_EXTERN void mm_dnsbl_free(mm_dnsbl *b);

/* The verdict of one list. */
typedef struct mm_dnsbl_entry {
    const mm_dnsbl_list *list;
    mm_dnsbl_status status;
    const char *query;        /* the name asked, "" when skipped */
    mm_dns_result dns_result; /* of the A query (MM_DNS_ERROR when not asked) */
    size_t ncodes;
    const mm_dnsbl_code *codes;
    const char *txt;     /* LISTED: the TXT reason(s) joined with " | ", "" if none */
    const char *message; /* English N_() msgid: why this status (e.g. the refusal's message) */
} mm_dnsbl_entry;

/* Everything is owned by the check and valid during the callback only. */
typedef struct mm_dnsbl_result {
    const char *ip;     /* as given ("" if none) */
    const char *domain; /* as given, lower-case ("" if none) */
    size_t nentries;    /* one per list in the checker, in table order */
    const mm_dnsbl_entry *entries;
    size_t nlisted, nunknown; /* entries listed; entries refused/error/timeout */
} mm_dnsbl_result;

typedef void (*mm_dnsbl_cb)(void *arg, const mm_dnsbl_result *r);

/*
 * Check ip (IPv4 or IPv6 text, may be NULL; ::ffff:a.b.c.d is taken as IPv4;
 * result->ip is the address checked) against the IP lists and domain
 * (A-labels, may be NULL) against the domain lists, all at once.  The domain
 * lists list registered domains (SURBL's implementation guidelines): pass
 * the organizational domain (mm_dmarc_org_domain()), not a host name.  cb is
 * called once, from mm_dns_run()/mm_dns_run_once() (or before this returns
 * when nothing needs asking).  MM_EINVAL when both are NULL/empty, ip is not
 * an address or domain is not a valid name; MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_dnsbl_check(mm_dnsbl *b, const char *ip, const char *domain,
                                     mm_dnsbl_cb cb, void *arg);

#ifdef __cplusplus
}
#endif
#endif
