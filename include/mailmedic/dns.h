/*
 * dns.h - the one asynchronous DNS layer of libmailmedic, and the mail-domain
 * check built on it.
 *
 * An mm_dns is one resolver (one c-ares channel) used by one thread.  Queries
 * are pipelined: up to max_inflight are on the wire at once, the rest wait in
 * a FIFO queue and go out as answers come back.  Nothing happens in the
 * background: the caller drives the resolver with mm_dns_run() (until every
 * query is answered) or mm_dns_run_once() (one poll round, for callers that
 * interleave other work), and callbacks are called from inside those two
 * functions (and from mm_mailcheck_domain() for cached domains).
 *
 * Every query ends in exactly one callback with one mm_dns_result.  Which
 * results are temporary matters to callers that combine them: TIMEOUT,
 * SERVFAIL, REFUSED and ERROR say "could not tell, try again later";
 * NXDOMAIN and NODATA are definite answers (the name does not exist / the
 * name exists without records of that type).
 *
 * mm_mailcheck answers "can this domain receive mail?" (RFC 5321 section 5.1,
 * RFC 7505) with one result per domain, cached within the run.
 *
 * c-ares types never appear here.
 */
#ifndef MAILMEDIC_DNS_H
#define MAILMEDIC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mm_dns mm_dns;
typedef struct mm_dns_answer mm_dns_answer;

/* Resource record types the layer parses (RFC 1035, RFC 3596).  Any other
 * type may be queried; its answer carries the result but no records. */
enum {
    MM_DNS_T_A = 1,
    MM_DNS_T_NS = 2,
    MM_DNS_T_CNAME = 5,
    MM_DNS_T_PTR = 12,
    MM_DNS_T_MX = 15,
    MM_DNS_T_TXT = 16,
    MM_DNS_T_AAAA = 28
};

typedef struct mm_dns_opts {
    const char *server;  /* "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address; an IP
                          * literal, not a host name.  NULL = the servers of
                          * /etc/resolv.conf */
    int timeout_ms;      /* first try's timeout (default 2000); c-ares doubles it on each
                          * later try, so a silent server costs timeout_ms * (2^tries - 1) */
    int tries;           /* sends per query (default 2) */
    size_t max_inflight; /* queries on the wire at once (default 512); more are queued */
} mm_dns_opts;

/*
 * Create a resolver.  o may be NULL for the defaults.  On success *out owns a
 * new resolver freed with mm_dns_free().  MM_EINVAL for a malformed server,
 * MM_EIO when c-ares cannot start (e.g. no usable resolv.conf and no server).
 */
MM_EXTERN mm_status_t mm_dns_create(const mm_dns_opts *o, mm_dns **out);

/*
 * A resolver that answers from memory instead of c-ares: the in-memory zones
 * of tests and of the offline mode (`checkup --zone FILE`), a test suite's
 * zone data.  lookup() fills ans->result, ->rcode, ->nrecords and ->records
 * (the layer sets name and type) with data that stays valid until the
 * callback returns; it is called from mm_dns_run()/mm_dns_run_once() only,
 * so callers see the same order of events as with the network.
 */
typedef struct mm_dns_backend {
    const char *name; /* for messages, e.g. "zone" */
    void (*lookup)(void *ctx, const char *name, int type, mm_dns_answer *ans);
    void *ctx;
} mm_dns_backend;

/* Create a resolver over b (copied; b->ctx must outlive the resolver).
 * MM_EINVAL without a lookup function; MM_ENOMEM. */
MM_EXTERN mm_status_t mm_dns_create_backend(const mm_dns_backend *b, mm_dns **out);

/* Free a resolver; NULL is a no-op.  Pending queries are dropped and their
 * callbacks are NOT called. */
MM_EXTERN void mm_dns_free(mm_dns *d);

typedef enum mm_dns_result {
    MM_DNS_ANSWER = 0, /* records of the asked type (nrecords > 0 for the parsed types;
                        * other types only say the answer section was not empty) */
    MM_DNS_NODATA,     /* the name exists, no records of that type (RFC 2308 section 2.2) */
    MM_DNS_NXDOMAIN,   /* the name does not exist (RCODE 3) */
    MM_DNS_SERVFAIL,   /* the server failed (RCODE 2): temporary */
    MM_DNS_REFUSED,    /* the server refused (RCODE 5): temporary, usually a policy */
    MM_DNS_TIMEOUT,    /* no answer in time: temporary */
    MM_DNS_ERROR       /* anything else: malformed reply, FORMERR, NOTIMP, network error */
} mm_dns_result;

/* A stable lower-case id: "answer", "nodata", "nxdomain", "servfail", "refused", "timeout",
 * "error"; "unknown" outside the enum. */
MM_EXTERN const char *mm_dns_result_name(mm_dns_result r);

/* True for the results that say "could not tell" (SERVFAIL, REFUSED, TIMEOUT, ERROR). */
MM_EXTERN bool mm_dns_result_is_temporary(mm_dns_result r);

/* One record of an answer.  Which member is set follows the answer's type. */
typedef struct mm_dns_record {
    union {
        struct {
            int family;              /* AF_INET or AF_INET6 */
            unsigned char bytes[16]; /* network order; 4 used for AF_INET */
            char text[46];           /* "192.0.2.1", "2001:db8::1" */
        } addr;                      /* A, AAAA */
        struct {
            unsigned preference;
            const char *host; /* "" for the root "." (null MX, RFC 7505) */
        } mx;
        struct {
            const char *data; /* the character-strings of ONE record joined without
                               * separator (RFC 7208 section 3.3, RFC 6376 section 3.6.2.2);
                               * NUL-terminated, but may hold NULs: use len */
            size_t len;
            unsigned nstrings; /* character-strings in the record */
        } txt;
        const char *name; /* PTR, CNAME, NS target, without the trailing dot */
    } u;
} mm_dns_record;

struct mm_dns_answer {
    mm_dns_result result;
    int rcode;        /* RCODE of the reply (RFC 1035 4.1.1); -1 when no reply came */
    int type;         /* the type asked */
    const char *name; /* the name asked */
    size_t nrecords;  /* records of the asked type, at most 256, in the order c-ares
                       * lists them (order within an RRset means nothing, RFC 2181 5);
                       * names keep the spelling of the reply (compression may copy the
                       * question's case): compare them without case */
    const mm_dns_record *records;
};

/* ans and everything in it are borrowed: valid only during the callback. */
typedef void (*mm_dns_cb)(void *arg, const mm_dns_answer *ans);

/*
 * Ask for name (ASCII, A-labels; a trailing dot is optional) and type (class
 * IN).  Returns MM_OK when the query was accepted: cb will then be called
 * exactly once, from mm_dns_run()/mm_dns_run_once(), or before this function
 * returns when c-ares fails at once.  Never searches the resolv.conf domain
 * list.  MM_EINVAL for an empty or over-long name (RFC 1035 2.3.4: 253
 * characters, labels of 63) or a type outside 1..65535; MM_ENOMEM.
 * Callbacks may call mm_dns_query() again.
 */
MM_EXTERN mm_status_t mm_dns_query(mm_dns *d, const char *name, int type, mm_dns_cb cb, void *arg);

/* As mm_dns_query(), tagged with owner so that mm_dns_cancel(d, owner) can drop it. */
MM_EXTERN mm_status_t mm_dns_query_owned(mm_dns *d, const void *owner, const char *name, int type,
                                         mm_dns_cb cb, void *arg);

/* Drop every pending query tagged with owner (all pending queries when owner is
 * NULL): their callbacks will never be called.  For an object that dies before
 * the resolver.  Returns how many were dropped. */
MM_EXTERN size_t mm_dns_cancel(mm_dns *d, const void *owner);

/* Process until no query is pending (cancelled queries still on the wire are
 * waited for, silently).  MM_EIO if poll() fails. */
MM_EXTERN mm_status_t mm_dns_run(mm_dns *d);

/* One poll round: wait at most max_wait_ms (< 0: as long as the next c-ares
 * timeout), then handle what arrived and what timed out.  Returns at once
 * when nothing is pending. */
MM_EXTERN mm_status_t mm_dns_run_once(mm_dns *d, int max_wait_ms);

/* Queries accepted whose callback has not been called yet (queued + on the wire). */
MM_EXTERN size_t mm_dns_pending(const mm_dns *d);

/*
 * The name to ask for an IPv4 or IPv6 address in text.  zone NULL gives the
 * PTR name: "192.0.2.1" -> "1.2.0.192.in-addr.arpa", IPv6 -> 32 nibbles +
 * ".ip6.arpa" (RFC 3596 section 2.5).  With a zone (a DNSBL such as
 * "zen.spamhaus.org", RFC 5782 section 2.1) the reversed address goes in
 * front of it instead.  MM_EINVAL for a text that is not an address or an
 * empty zone, MM_ETOOBIG if the name does not fit in out (73 bytes always do
 * for PTR names).
 */
MM_EXTERN mm_status_t mm_dns_reverse_name(const char *ip, const char *zone, char *out,
                                          size_t outlen);

/* ---- The mail-domain check (RFC 5321 section 5.1, RFC 7505) ---- */

typedef struct mm_mailcheck mm_mailcheck;

/*
 * Overall verdict on a domain, in the order it is decided (the first that
 * applies wins):
 *   nxdomain, servfail, timeout, error  the MX query itself (servfail, timeout and error are
 *                                       temporary: "could not tell")
 *   null_mx         a single MX "." (RFC 7505): the domain says it accepts no mail
 *   parked          an MX host or a name server at a known domain-parking service
 *   ok              an MX host (or, without MX, the domain's own A/AAAA) has a public address
 *   implicit_mx     as ok, but there is no MX: mail goes to the domain's A/AAAA
 *                   (RFC 5321 section 5.1); many senders treat this as suspect
 *   servfail/timeout/error  no host usable, and some host look-up failed temporarily
 *   misconfigured   the hosts that resolve point only at loopback, private, unspecified or
 *                   other non-public addresses, or an MX is an IP literal
 *   no_mail_host    no MX and no A/AAAA, or no MX host has an address (NXDOMAIN/NODATA)
 */
typedef enum mm_mx_status {
    MM_MX_OK = 0,
    MM_MX_IMPLICIT,
    MM_MX_NULL_MX,
    MM_MX_NO_MAIL_HOST,
    MM_MX_NXDOMAIN,
    MM_MX_SERVFAIL,
    MM_MX_TIMEOUT,
    MM_MX_ERROR,
    MM_MX_MISCONFIGURED,
    MM_MX_PARKED,
    MM_MX_STATUS_MAX_
} mm_mx_status;

/* Stable ids: "ok", "implicit_mx", "null_mx", "no_mail_host", "nxdomain", "servfail",
 * "timeout", "error", "misconfigured", "parked"; "unknown" outside the enum. */
MM_EXTERN const char *mm_mx_status_name(mm_mx_status s);

/* A one-line English explanation (an N_() msgid: translate with
 * dgettext("mailmedic", ...)). */
MM_EXTERN const char *mm_mx_status_message(mm_mx_status s);

/* True for servfail, timeout and error: the domain may well be fine. */
MM_EXTERN bool mm_mx_status_is_temporary(mm_mx_status s);

/* What kind of address an MX host resolved to (IANA special-purpose registries, RFC 6890). */
typedef enum mm_ip_class {
    MM_IP_PUBLIC = 0,
    MM_IP_LOOPBACK,      /* 127/8, ::1 */
    MM_IP_PRIVATE,       /* 10/8, 172.16/12, 192.168/16 (RFC 1918), fc00::/7 (RFC 4193) */
    MM_IP_UNSPECIFIED,   /* 0/8 (RFC 1122 "this network"), :: */
    MM_IP_LINK_LOCAL,    /* 169.254/16, fe80::/10 */
    MM_IP_SHARED,        /* 100.64/10 carrier-grade NAT (RFC 6598) */
    MM_IP_DOCUMENTATION, /* 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32 */
    MM_IP_RESERVED,      /* multicast, 240/4, broadcast, 198.18/15 benchmarking */
    MM_IP_CLASS_MAX_
} mm_ip_class;

/* Stable ids: "public", "loopback", "private", "unspecified", "link_local", "shared",
 * "documentation", "reserved". */
MM_EXTERN const char *mm_ip_class_name(mm_ip_class c);

/* Classify a binary address (family AF_INET with 4 bytes, AF_INET6 with 16;
 * IPv4-mapped IPv6 is classified as IPv4). */
MM_EXTERN mm_ip_class mm_ip_classify(int family, const unsigned char *bytes);

typedef enum mm_mx_host_status {
    MM_MX_HOST_OK = 0,      /* has at least one public address */
    MM_MX_HOST_NO_ADDRESS,  /* A and AAAA both NXDOMAIN/NODATA */
    MM_MX_HOST_TEMPFAIL,    /* no address, and a look-up failed temporarily */
    MM_MX_HOST_BAD_ADDRESS, /* addresses, none public (loopback, private, ...) */
    MM_MX_HOST_IP_LITERAL,  /* the MX names an IP address, not a host (RFC 5321 5.1 wants a
                             * domain name; RFC 7505 3) - not looked up */
    MM_MX_HOST_NULL,        /* "." among other MX records: not a host */
    MM_MX_HOST_NOT_CHECKED, /* beyond the first MM_MAILCHECK_MAX_HOSTS by preference */
    MM_MX_HOST_STATUS_MAX_
} mm_mx_host_status;

/* Stable ids: "ok", "no_address", "tempfail", "bad_address", "ip_literal", "null",
 * "not_checked". */
MM_EXTERN const char *mm_mx_host_status_name(mm_mx_host_status s);

/* MX hosts whose addresses are looked up, lowest preference first. */
#define MM_MAILCHECK_MAX_HOSTS 4
/* Addresses kept per host (A and AAAA together). */
#define MM_MAILCHECK_MAX_ADDRS 8
/* MX records and name servers kept per domain. */
#define MM_MAILCHECK_MAX_MX 16
#define MM_MAILCHECK_MAX_NS 8

typedef struct mm_mx_addr {
    const char *text; /* "192.0.2.1", "2001:db8::25" */
    mm_ip_class klass;
} mm_mx_addr;

typedef struct mm_mx_host {
    unsigned preference;
    const char *name; /* as published, lower-case, no trailing dot ("" for ".");
                       * for an implicit MX, the domain itself */
    mm_mx_host_status status;
    mm_dns_result a_result;    /* the A look-up (MM_DNS_ERROR if not made) */
    mm_dns_result aaaa_result; /* the AAAA look-up */
    size_t naddrs;
    const mm_mx_addr *addrs; /* A first, then AAAA; at most MM_MAILCHECK_MAX_ADDRS */
    const char *parking;     /* the parking service the host belongs to, or NULL */
} mm_mx_host;

typedef struct mm_mx_result {
    const char *domain; /* as looked up: lower-case A-labels, no trailing dot */
    mm_mx_status status;
    mm_dns_result mx_result; /* the MX look-up */
    mm_dns_result ns_result; /* the NS look-up (NODATA below a zone apex is normal) */
    bool null_mx;            /* RFC 7505 null MX present (alone or not) */
    bool implicit_mx;        /* no MX: hosts[0] is the domain with its own A/AAAA */
    size_t nmx;              /* MX records published (hosts may hold fewer) */
    size_t nhosts;
    const mm_mx_host *hosts; /* by preference, then as published */
    size_t nns;
    const char *const *ns;   /* name servers, as published (at most MM_MAILCHECK_MAX_NS) */
    const char *parking;     /* parking service ("Sedo", ...) when status is parked */
    const char *parking_via; /* "mx" or "ns" */
} mm_mx_result;

/*
 * A mail-domain checker over d, with a cache of at most cache_max finished
 * domains (0: 65536) and as many MX hosts; the least recently used is
 * evicted past that.  Domains still being looked up are not counted: the
 * caller bounds them (e.g. a window of N outstanding addresses).
 * d must outlive m.  MM_EINVAL if d is NULL; MM_ENOMEM.
 */
MM_EXTERN mm_status_t mm_mailcheck_create(mm_dns *d, size_t cache_max, mm_mailcheck **out);

/* Free a checker; NULL is a no-op.  Its queries still pending in d are
 * cancelled; callbacks not yet called are never called. */
MM_EXTERN void mm_mailcheck_free(mm_mailcheck *m);

/* Hosts named by an MX that resolve only to non-public addresses make a domain
 * "misconfigured"; with allow set they count as usable (tests with a local
 * MTA, intranets).  Default false. */
MM_EXTERN void mm_mailcheck_allow_private(mm_mailcheck *m, bool allow);

/*
 * r is owned by the checker: valid during the callback, and afterwards while
 * m lives unless more than cache_max domains were checked since (eviction).
 * To keep it longer, take a reference with mm_mx_result_ref().
 */
typedef void (*mm_mailcheck_cb)(void *arg, const mm_mx_result *r);

/*
 * Check domain_ascii (A-labels: the caller converts IDN with libidn2; a
 * trailing dot is optional; case does not matter).  cb is called once: at
 * once, before this returns, when the domain is cached; otherwise from
 * mm_dns_run()/mm_dns_run_once() on the resolver.  Concurrent checks of one
 * domain share one set of queries.  MM_EINVAL for an empty, over-long or
 * non-ASCII name; MM_ENOMEM.  A callback must not free m.
 */
MM_EXTERN mm_status_t mm_mailcheck_domain(mm_mailcheck *m, const char *domain_ascii,
                                          mm_mailcheck_cb cb, void *arg);

/* Keep a result past its cache life; returns r.  Each ref needs one unref. */
MM_EXTERN const mm_mx_result *mm_mx_result_ref(const mm_mx_result *r);
/* Drop a reference; the last one frees the result.  NULL is a no-op. */
MM_EXTERN void mm_mx_result_unref(const mm_mx_result *r);

/* Counters of a checker, for reports and the benchmark. */
typedef struct mm_mailcheck_stats {
    size_t domains;    /* mm_mailcheck_domain() calls */
    size_t cache_hits; /* answered from a finished cache entry */
    size_t joined;     /* joined a look-up already under way */
    size_t queries;    /* DNS queries sent */
    size_t evicted;    /* cache entries dropped for the bound */
} mm_mailcheck_stats;

MM_EXTERN void mm_mailcheck_get_stats(const mm_mailcheck *m, mm_mailcheck_stats *out);

#ifdef __cplusplus
}
#endif
#endif
