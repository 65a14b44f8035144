/*
 * read.c - reading a blocklist's A answers (RFC 5782 2.3) with the list's
 * table: listing codes, bitmask bits, refusals.  Pure functions, no DNS.
 *
 * A refusal anywhere in the answer wins (the answer is not data); then an
 * address outside 127.0.0.0/8 (RFC 5782 2.3 says listings are in 127/8: a
 * different address means a hijacking resolver or a dead list answering
 * everything); then listing codes.
 */
#include <arpa/inet.h>
#include <string.h>

#include <mailmedic/dnsbl.h>

#define N_(s) s

static const char *const status_names[] = {"not_listed", "listed",  "refused",
                                           "error",      "timeout", "skipped"};

static const char *const status_messages[] = {
    N_("Not listed."),
    N_("Listed: receivers that use this list may reject or junk your mail."),
    N_("Cannot tell: the list refused the query (public resolver or over the free limit). "
       "Check again through your own resolver."),
    N_("Cannot tell: the look-up failed."),
    N_("Cannot tell: the list did not answer in time."),
    N_("Not checked."),
};

const char *mm_dnsbl_status_name(mm_dnsbl_status s)
{
    return (unsigned)s < MM_DNSBL_STATUS_MAX_ ? status_names[s] : "unknown";
}

const char *mm_dnsbl_status_message(mm_dnsbl_status s)
{
    return (unsigned)s < MM_DNSBL_STATUS_MAX_ ? status_messages[s] : "";
}

bool mm_dnsbl_status_is_unknown(mm_dnsbl_status s)
{
    return s == MM_DNSBL_REFUSED || s == MM_DNSBL_ERROR || s == MM_DNSBL_TIMEOUT;
}

static const char msg_unknown[] = N_("Listed with a return code this list does not document.");
static const char msg_not_loopback[] =
    N_("The list answered with an address outside 127.0.0.0/8: not a valid answer (a resolver "
       "that rewrites answers, or a list that went dark and answers everything).");
static const char msg_query_error[] =
    N_("Refused: the list answered with an error code (127.255.255.x). This is not a "
       "listing.");

static void add(mm_dnsbl_code *codes, size_t max, size_t *n, const char *addr, const char *id,
                const char *msg)
{
    if (*n < max)
        codes[*n] = (mm_dnsbl_code){addr, id, msg};
    (*n)++;
}

static const mm_dnsbl_refusal *find_refusal(const mm_dnsbl_list *l, const char *addr)
{
    for (size_t i = 0; i < l->nrefusals; i++)
        if (strcmp(l->refusals[i].addr, addr) == 0)
            return &l->refusals[i];
    return NULL;
}

/* The codes of one listing address ("unknown" when none is documented). */
static void read_listing(const mm_dnsbl_list *l, const char *addr, const unsigned char *b,
                         mm_dnsbl_code *codes, size_t max, size_t *n)
{
    bool known = false;
    for (size_t i = 0; i < l->nmeanings; i++) {
        const mm_dnsbl_meaning *m = &l->meanings[i];
        bool hit =
            l->bitmask ? (b[1] == 0 && b[2] == 0 && (b[3] & m->value)) : strcmp(m->addr, addr) == 0;
        if (hit) {
            add(codes, max, n, addr, m->id, m->message);
            known = true;
        }
    }
    if (!known)
        add(codes, max, n, addr, "unknown", msg_unknown);
}

mm_dnsbl_status mm_dnsbl_read(const mm_dnsbl_list *l, const char *const *addrs, size_t n,
                              mm_dnsbl_code *codes, size_t max, size_t *ncodes)
{
    bool refused = false, bad = false;
    size_t k = 0;
    for (size_t i = 0; l && i < n; i++) {
        unsigned char b[4];
        const mm_dnsbl_refusal *r = find_refusal(l, addrs[i]);
        if (r) {
            add(codes, max, &k, addrs[i], r->id, r->message);
            refused = true;
        } else if (inet_pton(AF_INET, addrs[i], b) != 1 || b[0] != 127) {
            add(codes, max, &k, addrs[i], "not_loopback", msg_not_loopback);
            bad = true;
        } else if (l->bitmask && l->nrefusals && b[1] == 0 && b[2] == 0 && (b[3] & 1)) {
            /* bit 0x1 is never a listing on SURBL/URIBL: it marks a refused query [URIBL] */
            add(codes, max, &k, addrs[i], l->refusals[0].id, l->refusals[0].message);
            refused = true;
        } else if (b[1] == 255 && b[2] == 255) {
            /* Spamhaus reserves the whole /24 for errors [SH-E]; no list uses it to list */
            add(codes, max, &k, addrs[i], "query_error", msg_query_error);
            refused = true;
        } else {
            read_listing(l, addrs[i], b, codes, max, &k);
        }
    }
    if (ncodes)
        *ncodes = k < max ? k : max;
    if (!l || n == 0)
        return MM_DNSBL_NOT_LISTED;
    return refused ? MM_DNSBL_REFUSED : bad ? MM_DNSBL_ERROR : MM_DNSBL_LISTED;
}
