/*
 * dns.c - the resolver: one c-ares channel, a FIFO of waiting queries and a
 * poll() loop.
 *
 * A query is a small struct that lives on one of two lists: "queued" (not yet
 * given to c-ares, because max_inflight are on the wire) or "inflight" (handed
 * to ares_query(), waiting for its callback).  New queries go out only from
 * pump(), never from inside c-ares' own processing: a user callback that asks
 * another query merely queues it, and the loop sends it once c-ares returns.
 * That keeps c-ares free of re-entry and our stack flat even when c-ares fails
 * a whole queue synchronously.
 *
 * c-ares tells us which sockets to watch through its socket-state callback;
 * we keep them in a pollfd array, so there is no FD_SETSIZE limit and no
 * per-query thread.
 */
#include "dns_int.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    DEFAULT_TIMEOUT_MS = 2000,
    DEFAULT_TRIES = 2,
    DEFAULT_INFLIGHT = 512,
    EDNS_PAYLOAD = 1232,   /* the DNS flag day 2020 size: no IP fragmentation */
    RCVBUF_BYTES = 1 << 20 /* room for a burst of answers to max_inflight queries */
};

typedef struct dns_query dns_query;
struct dns_query {
    dns_query *prev, *next;
    mm_dns *d;
    mm_dns_cb cb; /* NULL once cancelled */
    void *arg;
    const void *owner;
    int type;
    char name[];
};

typedef struct qlist {
    dns_query *head, *tail;
    size_t n;
} qlist;

struct mm_dns {
    ares_channel ch;        /* NULL with a backend */
    mm_dns_backend backend; /* answers from memory instead of c-ares, if lookup is set */
    size_t max_inflight;
    qlist queued, inflight;
    struct pollfd *fds; /* the sockets c-ares wants watched */
    size_t nfds, capfds;
    struct pollfd *ready; /* scratch copy for one round (c-ares edits fds meanwhile) */
    size_t capready;
    int busy;          /* > 0 while c-ares processes or we launch: queue, do not send */
    int destroying;    /* ares_destroy() is failing the in-flight queries */
    int fd_oom;        /* a socket could not be recorded: poll with a short timeout */
    size_t ncancelled; /* in flight, but cancelled: not pending for the caller */
};

static void qlist_push(qlist *l, dns_query *q)
{
    q->next = NULL;
    q->prev = l->tail;
    if (l->tail)
        l->tail->next = q;
    else
        l->head = q;
    l->tail = q;
    l->n++;
}

static void qlist_unlink(qlist *l, dns_query *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        l->head = q->next;
    if (q->next)
        q->next->prev = q->prev;
    else
        l->tail = q->prev;
    q->prev = q->next = NULL;
    l->n--;
}

const char *mm_dns_result_name(mm_dns_result r)
{
    static const char *const names[] = {"answer",  "nodata",  "nxdomain", "servfail",
                                        "refused", "timeout", "error"};
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "unknown";
}

bool mm_dns_result_is_temporary(mm_dns_result r)
{
    return r == MM_DNS_SERVFAIL || r == MM_DNS_REFUSED || r == MM_DNS_TIMEOUT || r == MM_DNS_ERROR;
}

/* ---- sockets ---- */

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    mm_dns *d = data;
    size_t i = 0;
    while (i < d->nfds && d->fds[i].fd != fd)
        i++;
    if (!readable && !writable) {
        if (i < d->nfds)
            d->fds[i] = d->fds[--d->nfds];
        return;
    }
    if (i == d->nfds) {
        if (d->nfds == d->capfds) {
            size_t cap = d->capfds ? d->capfds * 2 : 8;
            struct pollfd *p = realloc(d->fds, cap * sizeof *p);
            if (!p) {
                d->fd_oom = 1; /* the socket's queries will time out in c-ares */
                return;
            }
            d->fds = p;
            d->capfds = cap;
        }
        d->fds[d->nfds++].fd = fd;
    }
    d->fds[i].events = (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    d->fds[i].revents = 0;
}

/* ---- server option ---- */

/* "IP", "IP:PORT", "[IPv6]:PORT", "[IPv6]" or a bare IPv6 address. */
static mm_status_t parse_server(const char *s, struct ares_addr_port_node *node)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port = NULL;
    size_t hl;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end)
            return MM_EINVAL;
        hl = (size_t)(end - s - 1);
        s++;
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != '\0')
            return MM_EINVAL;
    } else {
        const char *colon = strchr(s, ':');
        if (colon && !strchr(colon + 1, ':')) { /* exactly one colon: IPv4:PORT */
            hl = (size_t)(colon - s);
            port = colon + 1;
        } else {
            hl = strlen(s);
        }
    }
    if (hl == 0 || hl >= sizeof host)
        return MM_EINVAL;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(node, 0, sizeof *node);
    if (inet_pton(AF_INET, host, &node->addr.addr4) == 1)
        node->family = AF_INET;
    else if (inet_pton(AF_INET6, host, &node->addr.addr6) == 1)
        node->family = AF_INET6;
    else
        return MM_EINVAL;
    long p = 53;
    if (port) {
        char *end;
        errno = 0;
        p = strtol(port, &end, 10);
        if (errno || end == port || *end || p < 1 || p > 65535)
            return MM_EINVAL;
    }
    node->udp_port = node->tcp_port = (int)p;
    return MM_OK;
}

/* ---- create / free ---- */

static mm_status_t channel_init(mm_dns *d, const mm_dns_opts *o)
{
    struct ares_options ao;
    memset(&ao, 0, sizeof ao);
    /* NOSEARCH: mail domains are always fully qualified.  EDNS: DKIM keys and SPF
     * records go past 512 bytes; c-ares still retries over TCP on truncation.
     * NOCHECKRESP: hand SERVFAIL and REFUSED replies to us.  Without it c-ares 1.18
     * tries the other servers and then reports only "could not contact DNS servers"
     * (ARES_ECONNREFUSED), losing the RCODE; with it such a reply is final. */
    ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS | ARES_FLAG_NOCHECKRESP;
    ao.ednspsz = EDNS_PAYLOAD;
    ao.timeout = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
    ao.tries = o && o->tries > 0 ? o->tries : DEFAULT_TRIES;
    ao.sock_state_cb = sock_state;
    ao.sock_state_cb_data = d;
    ao.socket_receive_buffer_size = RCVBUF_BYTES;
    int mask = ARES_OPT_FLAGS | ARES_OPT_EDNSPSZ | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
               ARES_OPT_SOCK_STATE_CB | ARES_OPT_SOCK_RCVBUF;
    int st = ares_init_options(&d->ch, &ao, mask);
    if (st == ARES_ENOMEM)
        return MM_ENOMEM;
    if (st != ARES_SUCCESS)
        return MM_EIO;
    return MM_OK;
}

mm_status_t mm_dns_create(const mm_dns_opts *o, mm_dns **out)
{
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    struct ares_addr_port_node server;
    if (o && o->server && parse_server(o->server, &server) != MM_OK)
        return MM_EINVAL;
    mm_dns *d = calloc(1, sizeof *d);
    if (!d)
        return MM_ENOMEM;
    d->max_inflight = o && o->max_inflight ? o->max_inflight : DEFAULT_INFLIGHT;
    mm_status_t st = channel_init(d, o);
    if (st != MM_OK) {
        free(d);
        return st;
    }
    if (o && o->server) {
        int rc = ares_set_servers_ports(d->ch, &server);
        if (rc != ARES_SUCCESS) {
            mm_dns_free(d);
            return rc == ARES_ENOMEM ? MM_ENOMEM : MM_EIO;
        }
    }
    *out = d;
    return MM_OK;
}

mm_status_t mm_dns_create_backend(const mm_dns_backend *b, mm_dns **out)
{
    if (!out)
        return MM_EINVAL;
    *out = NULL;
    if (!b || !b->lookup)
        return MM_EINVAL;
    mm_dns *d = calloc(1, sizeof *d);
    if (!d)
        return MM_ENOMEM;
    d->backend = *b;
    d->max_inflight = DEFAULT_INFLIGHT;
    *out = d;
    return MM_OK;
}

void mm_dns_free(mm_dns *d)
{
    if (!d)
        return;
    d->destroying = 1;
    if (d->ch)
        ares_destroy(d->ch); /* calls on_reply() for each in-flight query: freed, not reported */
    dns_query *q = d->queued.head;
    while (q) {
        dns_query *next = q->next;
        free(q);
        q = next;
    }
    free(d->fds);
    free(d->ready);
    free(d);
}

/* ---- queries ---- */

static mm_dns_result status_result(int st, int *rcode)
{
    switch (st) {
    case ARES_ETIMEOUT:
        return MM_DNS_TIMEOUT;
    case ARES_ESERVFAIL:
        *rcode = 2;
        return MM_DNS_SERVFAIL;
    case ARES_EREFUSED:
        *rcode = 5;
        return MM_DNS_REFUSED;
    case ARES_ENOTFOUND:
        *rcode = 3;
        return MM_DNS_NXDOMAIN;
    case ARES_ENODATA:
        *rcode = 0;
        return MM_DNS_NODATA;
    default:
        return MM_DNS_ERROR; /* ECONNREFUSED, EFORMERR, ENOTIMP, EBADNAME, ... */
    }
}

/* c-ares' callback: abuf is the reply when one came (NXDOMAIN and NODATA included). */
static void on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)timeouts;
    dns_query *q = arg;
    mm_dns *d = q->d;
    qlist_unlink(&d->inflight, q);
    if (!q->cb)
        d->ncancelled--;
    if (!d->destroying && q->cb) {
        mm_dns_answer ans = {.type = q->type, .name = q->name, .rcode = -1};
        mm_arena a;
        mm_arena_init(&a);
        if (abuf && alen > 0) {
            if (mm_dns_parse_reply(abuf, (size_t)alen, q->type, &a, &ans) != MM_OK)
                ans.result = MM_DNS_ERROR; /* out of memory: say "could not tell" */
        } else {
            ans.result = status_result(status, &ans.rcode);
        }
        q->cb(q->arg, &ans);
        mm_arena_free(&a);
    }
    free(q);
}

/* Send queued queries while there is room on the wire. */
static void pump(mm_dns *d)
{
    if (d->busy || d->backend.lookup)
        return;
    d->busy++;
    while (d->queued.head && d->inflight.n < d->max_inflight) {
        dns_query *q = d->queued.head;
        qlist_unlink(&d->queued, q);
        qlist_push(&d->inflight, q);
        ares_query(d->ch, q->name, 1 /* C_IN */, q->type, on_reply, q);
    }
    d->busy--;
}

int mm_dns_name_ok(const char *name)
{
    size_t n = strlen(name), label = 0;
    if (n == 0 || (n == 1 && name[0] == '.'))
        return n == 1;
    if (name[n - 1] == '.')
        n--;
    if (n > 253) /* RFC 1035 2.3.4: 255 octets on the wire */
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (name[i] == '.') {
            if (label == 0)
                return 0; /* empty label */
            label = 0;
        } else if (++label > 63 || (unsigned char)name[i] <= ' ') {
            return 0;
        }
    }
    return label > 0;
}

mm_status_t mm_dns_query_owned(mm_dns *d, const void *owner, const char *name, int type,
                               mm_dns_cb cb, void *arg)
{
    if (!d || !name || !cb || type < 1 || type > 65535 || !mm_dns_name_ok(name))
        return MM_EINVAL;
    size_t n = strlen(name);
    dns_query *q = malloc(sizeof *q + n + 1);
    if (!q)
        return MM_ENOMEM;
    q->d = d;
    q->cb = cb;
    q->arg = arg;
    q->owner = owner;
    q->type = type;
    memcpy(q->name, name, n + 1);
    qlist_push(&d->queued, q);
    pump(d);
    return MM_OK;
}

mm_status_t mm_dns_query(mm_dns *d, const char *name, int type, mm_dns_cb cb, void *arg)
{
    return mm_dns_query_owned(d, NULL, name, type, cb, arg);
}

size_t mm_dns_cancel(mm_dns *d, const void *owner)
{
    size_t n = 0;
    if (!d)
        return 0;
    for (dns_query *q = d->queued.head, *next; q; q = next) {
        next = q->next;
        if (!owner || q->owner == owner) {
            qlist_unlink(&d->queued, q);
            free(q);
            n++;
        }
    }
    /* In flight: c-ares 1.18 cannot cancel one query, so the reply is dropped on arrival. */
    for (dns_query *q = d->inflight.head; q; q = q->next)
        if (q->cb && (!owner || q->owner == owner)) {
            q->cb = NULL;
            d->ncancelled++;
            n++;
        }
    return n;
}

size_t mm_dns_pending(const mm_dns *d)
{
    return d ? d->queued.n + d->inflight.n - d->ncancelled : 0;
}

/* ---- the loop ---- */

static int wait_ms(mm_dns *d, int max_wait_ms)
{
    struct timeval maxtv, tv, *tvp;
    if (max_wait_ms >= 0) {
        maxtv.tv_sec = max_wait_ms / 1000;
        maxtv.tv_usec = (max_wait_ms % 1000) * 1000;
    }
    tvp = ares_timeout(d->ch, max_wait_ms >= 0 ? &maxtv : NULL, &tv);
    long ms = tvp ? tvp->tv_sec * 1000L + (tvp->tv_usec + 999) / 1000 : 1000;
    if (d->fd_oom && ms > 10)
        ms = 10;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static mm_status_t ready_reserve(mm_dns *d)
{
    if (d->capready >= d->nfds)
        return MM_OK;
    struct pollfd *p = realloc(d->ready, d->nfds * sizeof *p);
    if (!p)
        return MM_ENOMEM;
    d->ready = p;
    d->capready = d->nfds;
    return MM_OK;
}

/* A backend answers at once, but only from the loop, as c-ares would: the
 * queries queued when the round starts; those their callbacks ask wait a round. */
static void backend_round(mm_dns *d)
{
    for (size_t n = d->queued.n; n > 0 && d->queued.head; n--) {
        dns_query *q = d->queued.head;
        qlist_unlink(&d->queued, q);
        mm_dns_answer ans = {.result = MM_DNS_ERROR, .rcode = -1};
        d->backend.lookup(d->backend.ctx, q->name, q->type, &ans);
        ans.name = q->name;
        ans.type = q->type;
        if (ans.nrecords && !ans.records)
            ans.nrecords = 0;
        q->cb(q->arg, &ans);
        free(q);
    }
}

mm_status_t mm_dns_run_once(mm_dns *d, int max_wait_ms)
{
    if (!d)
        return MM_EINVAL;
    if (d->backend.lookup) {
        backend_round(d);
        return MM_OK;
    }
    pump(d);
    if (d->inflight.n == 0)
        return MM_OK;
    if (ready_reserve(d) != MM_OK)
        return MM_ENOMEM;
    int n = poll(d->fds, (nfds_t)d->nfds, wait_ms(d, max_wait_ms));
    if (n < 0)
        return errno == EINTR ? MM_OK : MM_EIO;
    size_t nready = 0;
    for (size_t i = 0; i < d->nfds && n > 0; i++)
        if (d->fds[i].revents)
            d->ready[nready++] = d->fds[i];
    d->busy++;
    if (nready == 0)
        ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts only */
    for (size_t i = 0; i < nready; i++) {
        short ev = d->ready[i].revents;
        ares_socket_t r = ev & (POLLIN | POLLERR | POLLHUP) ? d->ready[i].fd : ARES_SOCKET_BAD;
        ares_socket_t w = ev & POLLOUT ? d->ready[i].fd : ARES_SOCKET_BAD;
        ares_process_fd(d->ch, r, w);
    }
    d->busy--;
    pump(d);
    return MM_OK;
}

mm_status_t mm_dns_run(mm_dns *d)
{
    if (!d)
        return MM_EINVAL;
    while (d->queued.n || d->inflight.n) {
        mm_status_t st = mm_dns_run_once(d, -1);
        if (st != MM_OK)
            return st;
    }
    return MM_OK;
}

/* ---- reverse names ---- */

mm_status_t mm_dns_reverse_name(const char *ip, const char *zone, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    char tmp[80];
    const char *suffix;
    if (!ip || !out)
        return MM_EINVAL;
    if (inet_pton(AF_INET, ip, b) == 1) {
        snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", b[3], b[2], b[1], b[0]);
        suffix = "in-addr.arpa";
    } else if (inet_pton(AF_INET6, ip, b) == 1) {
        size_t k = 0;
        for (int i = 15; i >= 0; i--) { /* RFC 3596 2.5: nibbles, least significant first */
            tmp[k++] = hex[b[i] & 15];
            tmp[k++] = '.';
            tmp[k++] = hex[b[i] >> 4];
            tmp[k++] = i ? '.' : '\0';
        }
        suffix = "ip6.arpa";
    } else {
        return MM_EINVAL;
    }
    if (zone) {
        size_t zl = strlen(zone);
        while (zl && zone[zl - 1] == '.')
            zl--;
        if (zl == 0)
            return MM_EINVAL;
        int len = snprintf(out, outlen, "%s.%.*s", tmp, (int)zl, zone);
        return len >= 0 && (size_t)len < outlen ? MM_OK : MM_ETOOBIG;
    }
    int len = snprintf(out, outlen, "%s.%s", tmp, suffix);
    return len >= 0 && (size_t)len < outlen ? MM_OK : MM_ETOOBIG;
}
