/*
 * verify.c - the verdict for one address, and the pipeline that gets it for
 * many addresses at once (see verify.h).
 *
 * Addresses wait in a ring (the window) in the order they came.  The syntax
 * check, the classes and the typo look-up are immediate; the domain check
 * goes to the DNS layer, which answers later (and at once from its cache);
 * the SMTP probe, when asked, runs on the prober's own threads.  Whenever the
 * oldest address is finished it is handed to the caller, so results come out
 * in input order while the network work of the whole window overlaps.
 */
#include <mailmedic/verify.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "domains/lookup.h"

#define N_(s) s

#define DEFAULT_WINDOW 2048
#define DEFAULT_CACHE 100000
#define SEEN_MAX (1u << 21) /* addresses remembered for repeats (64 MiB of table at most) */

static const struct {
    const char *name;
    const char *msg;
} vreasons[MM_VR_MAX_] = {
    [MM_VR_SYNTAX] = {"syntax", N_("not a valid email address")},
    [MM_VR_TLD_UNKNOWN] = {"tld_unknown", N_("the top-level domain does not exist")},
    [MM_VR_DOTLESS] = {"dotless_domain", N_("the domain is a bare top-level domain; no one receives mail there")},
    [MM_VR_SPECIAL_USE] = {"special_use_domain", N_("the domain is reserved (like .test, .example, .invalid, .localhost) and never receives internet mail")},
    [MM_VR_TYPO] = {"typo", N_("the domain looks like a typo of a well-known mail domain")},
    [MM_VR_DISPOSABLE] = {"disposable", N_("a disposable (throwaway) mailbox: it will stop working soon")},
    [MM_VR_ROLE] = {"role_account", N_("a role account (such as info@ or sales@): often unread, and more likely to complain")},
    [MM_VR_NXDOMAIN] = {"nxdomain", N_("the domain does not exist (DNS says NXDOMAIN)")},
    [MM_VR_NULL_MX] = {"null_mx", N_("the domain publishes a null MX: it accepts no email (RFC 7505)")},
    [MM_VR_NO_MAIL_HOST] = {"no_mail_host", N_("the domain exists but has no mail server (no MX and no address record)")},
    [MM_VR_MX_UNRESOLVED] = {"mx_unresolved", N_("the domain's mail servers (MX) have no address")},
    [MM_VR_MX_MISCONFIGURED] = {"mx_misconfigured", N_("the domain's mail server points to a local or private address and cannot receive mail from the internet")},
    [MM_VR_PARKED] = {"parked_domain", N_("the domain looks parked (for sale), not used for mail")},
    [MM_VR_DNS_TEMPFAIL] = {"dns_tempfail", N_("DNS did not answer properly for now (server failure or time-out); check again later")},
    [MM_VR_SMTP_REJECTED] = {"smtp_rejected", N_("the recipient's mail server refused this mailbox")},
    [MM_VR_SMTP_FULL] = {"mailbox_full", N_("the recipient's mail server says the mailbox is full")},
    [MM_VR_SMTP_TEMPFAIL] = {"smtp_tempfail", N_("the recipient's mail server said to try later (greylisting or a temporary limit): not a sign that the address is wrong")},
    [MM_VR_CATCH_ALL] = {"catch_all", N_("the domain accepts every address (catch-all), so the mailbox may still not exist")},
    [MM_VR_ACCEPTS_ALL] = {"accepts_all", N_("this provider accepts every address during the SMTP dialogue, so a probe proves nothing")},
    [MM_VR_SMTP_FAILED] = {"smtp_failed", N_("the SMTP check could not be completed (no connection, refused or timed out)")},
    [MM_VR_MX_OK] = {"mx_ok", N_("the domain has working mail servers")},
    [MM_VR_IMPLICIT_MX] = {"implicit_mx", N_("the domain has no MX record; mail goes to its own address (allowed, but often a sign it is not set up for mail)")},
    [MM_VR_SMTP_ACCEPTED] = {"smtp_accepted", N_("the recipient's mail server accepted this mailbox")},
    [MM_VR_KNOWN_PROVIDER] = {"known_provider", N_("a well-known mail provider")},
    [MM_VR_NOT_CHECKED] = {"not_checked", N_("offline: the domain was not looked up")},
};

const char *mm_vreason_name(mm_vreason r)
{
    return (unsigned)r < MM_VR_MAX_ ? vreasons[r].name : "unknown";
}

const char *mm_vreason_message(mm_vreason r)
{
    return (unsigned)r < MM_VR_MAX_ ? vreasons[r].msg : "";
}

const char *mm_verdict_name(mm_verdict v)
{
    static const char *const names[] = {"deliverable", "undeliverable", "risky", "unknown"};
    return (unsigned)v < 4 ? names[v] : "unknown";
}

void mm_verify_opts_default(mm_verify_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dns.timeout_ms = 2000;
    o->dns.tries = 2;
    o->dns.max_inflight = 500;
    mm_smtp_opts_default(&o->smtp_opts);
    o->window = DEFAULT_WINDOW;
    o->cache_domains = DEFAULT_CACHE;
}

typedef enum state { ST_FREE, ST_DNS, ST_SMTP, ST_DONE } state;

typedef struct item {
    struct mm_verifier *v;
    state st;
    uint64_t id;
    uint64_t dup_of;
    char *input;          /* inbuf, or a heap copy of a longer input */
    size_t len;
    char inbuf[128];
    mm_addr addr;
    mm_verdict verdict;
    mm_vreason reasons[MM_VERIFY_MAX_REASONS];
    size_t nreasons;
    char suggestion[MM_ADDR_TEXT_MAX];
    mm_suggest_kind skind;
    unsigned classes;
    const char *role;
    const char *provider;
    const mm_mx_result *mx; /* a reference, or NULL */
    bool have_smtp;
    mm_smtp_result smtp;
} item;

/* Open-addressing set of 64-bit fingerprints of the addresses seen, with
 * the id of their first occurrence; key and id side by side, so a look-up
 * costs one cache miss, not two. */
typedef struct seen_slot {
    uint64_t key; /* 0 = empty */
    uint64_t id;
} seen_slot;

typedef struct seen {
    seen_slot *slots;
    size_t cap, n;
} seen;

struct mm_verifier {
    mm_verify_opts o;
    mm_verify_cb cb;
    void *arg;
    mm_addr_checker *checker;
    mm_domains *domains;
    mm_dns *dns;
    mm_mailcheck *mail;
    mm_smtp_prober *prober;
    item *ring;
    size_t cap, head, count;
    size_t dns_pending;
    seen seen;
    mm_addr *scratch; /* re-checks a suggested fix (suggest_invalid) */
    pthread_mutex_t lock;  /* guards item states set by prober threads */
    pthread_cond_t smtp_done;
    size_t smtp_pending;
};

/* ---- duplicates ---- */

/* The n bytes (1..8) at s as one word, losslessly for a given n: the first
 * and the last 4 in separate halves (they overlap when n < 8). */
static inline uint64_t load_tail(const unsigned char *s, size_t n)
{
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        return lo | (uint64_t)hi << 32;
    }
    return s[0] | (uint64_t)s[n / 2] << 8 | (uint64_t)s[n - 1] << 16;
}

/* Lower-case the ASCII letters of 8 bytes at once: only 'A'..'Z' get 0x20. */
static inline uint64_t lower8(uint64_t v)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t low7 = v & ~high;
    uint64_t ge_a = low7 + ones * (0x80 - 'A');
    uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1);
    return v | ((ge_a & ~gt_z & ~v & high) >> 2);
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

/* 8 bytes at a time (a byte at a time cost more than the rest of the
 * bookkeeping); `fold` lower-cases ASCII letters. */
static uint64_t hash_part(uint64_t h, const unsigned char *s, size_t n, bool fold)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = mix(h, fold ? lower8(w) : w);
    }
    if (i < n) {
        uint64_t w = load_tail(s + i, n - i);
        h = mix(h, fold ? lower8(w) : w);
    }
    return h;
}

/* What makes two inputs the same address: the text without the white space
 * around it, with the domain in lower case (local parts may be case
 * sensitive, so they are compared as typed).  The key is a 64-bit
 * fingerprint of that text (lengths included, so the parts cannot shift). */
static uint64_t repeat_key(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    const char *at = memrchr(s, '@', n);
    size_t local = at ? (size_t)(at - s) : n;
    const unsigned char *u = (const unsigned char *)s;
    /* the lengths get a round of their own: xored into the first word they
     * could cancel a difference in the text */
    uint64_t h = mix(0x9e3779b97f4a7c15ull, (uint64_t)n << 32 | local);
    h = hash_part(h, u, local, false);
    h = hash_part(h, u + local, n - local, true);
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h ? h : 1;
}

/*
 * A zeroed table of cap slots.  A big one (a million addresses: 32 MiB) is
 * asked for in huge pages where the system has them only on request: every
 * look-up lands on a random slot, and with 4 KiB pages each one also misses
 * the TLB (costly in a VM), which the prefetch in mm_verify_submit cannot
 * hide.  Seen here: +20% offline addresses per second for 1M addresses.
 */
static seen_slot *seen_alloc(size_t cap)
{
    size_t bytes = cap * sizeof(seen_slot);
#ifdef MADV_HUGEPAGE
    const size_t huge = (size_t)2 << 20;
    if (bytes >= huge && bytes % huge == 0) {
        void *t = aligned_alloc(huge, bytes);
        if (!t)
            return NULL;
        madvise(t, bytes, MADV_HUGEPAGE); /* advice only: failure is harmless */
        memset(t, 0, bytes);
        return t;
    }
#endif
    return calloc(cap, sizeof(seen_slot));
}

static bool seen_grow(seen *s)
{
    size_t cap = s->cap ? s->cap * 2 : 4096;
    seen_slot *t = seen_alloc(cap);
    if (!t)
        return false;
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->slots[i].key)
            continue;
        size_t j = s->slots[i].key & (cap - 1);
        while (t[j].key)
            j = (j + 1) & (cap - 1);
        t[j] = s->slots[i];
    }
    free(s->slots);
    s->slots = t;
    s->cap = cap;
    return true;
}

/* The id of an earlier occurrence of key, or 0 after recording this one.
 * Past SEEN_MAX entries nothing new is recorded (memory stays bounded). */
static uint64_t seen_check(seen *s, uint64_t key, uint64_t id)
{
    if (s->n * 2 >= s->cap && s->n < SEEN_MAX)
        seen_grow(s); /* on failure, go on in the table we have */
    if (!s->cap)
        return 0;
    size_t j = key & (s->cap - 1);
    while (s->slots[j].key) {
        if (s->slots[j].key == key)
            return s->slots[j].id;
        j = (j + 1) & (s->cap - 1);
    }
    if (s->n * 10 >= s->cap * 9)
        return 0; /* full: stop recording */
    s->slots[j].key = key;
    s->slots[j].id = id;
    s->n++;
    return 0;
}

/* ---- the verdict ---- */

static void add_reason(item *it, mm_vreason r)
{
    for (size_t i = 0; i < it->nreasons; i++)
        if (it->reasons[i] == r)
            return;
    if (it->nreasons < MM_VERIFY_MAX_REASONS)
        it->reasons[it->nreasons++] = r;
}

/* Worse verdicts win: undeliverable > unknown > risky > deliverable. */
static void set_verdict(item *it, mm_verdict v)
{
    static const int rank[] = {[MM_VERDICT_DELIVERABLE] = 0, [MM_VERDICT_RISKY] = 1,
                               [MM_VERDICT_UNKNOWN] = 2, [MM_VERDICT_UNDELIVERABLE] = 3};
    if (rank[v] > rank[it->verdict])
        it->verdict = v;
}

static bool has_note(const mm_addr *a, mm_addr_code code)
{
    for (size_t i = 0; i < a->n_notes; i++)
        if (a->notes[i].code == code)
            return true;
    return false;
}

/* local@domain into it->suggestion, unless it equals what was typed. */
static void suggest(item *it, const char *local, size_t llen, const char *domain,
                    mm_suggest_kind kind)
{
    size_t dlen = strlen(domain);
    if (llen + 1 + dlen >= sizeof it->suggestion)
        return;
    memcpy(it->suggestion, local, llen);
    it->suggestion[llen] = '@';
    memcpy(it->suggestion + llen + 1, domain, dlen + 1);
    if (it->len == llen + 1 + dlen && memcmp(it->input, it->suggestion, it->len) == 0) {
        it->suggestion[0] = '\0';
        return;
    }
    it->skind = kind;
}

/* A typo fix for the domain part of a syntactically valid address whose
 * domain the look-up has found not known. */
static void suggest_domain(mm_verifier *v, item *it, const char *local, size_t llen,
                           const char *domain, size_t dlen)
{
    char fixed[300];
    mm_suggest_kind k = mm_domains_suggest_unknown(v->domains, domain, dlen, fixed, sizeof fixed);
    if (k != MM_SUGGEST_NONE)
        suggest(it, local, llen, fixed, k);
}

/* An address that fails the syntax check: propose the input with its
 * unambiguous fixes (full-width characters, a comma for a dot...) when that
 * one passes, and a typo fix on top. */
static void suggest_invalid(mm_verifier *v, item *it)
{
    const char *text = it->addr.fixed[0] ? it->addr.fixed : it->input;
    size_t tlen = strlen(text);
    const char *at = memrchr(text, '@', tlen);
    if (!at || at == text)
        return;
    size_t llen = (size_t)(at - text);
    char fixed[300];
    mm_suggest_kind k = mm_domains_suggest(v->domains, at + 1, tlen - llen - 1, fixed, sizeof fixed);
    char cand[MM_ADDR_TEXT_MAX];
    size_t cn;
    if (k != MM_SUGGEST_NONE) {
        /* "%.*s@%s" cut to the buffer, without the cost of snprintf */
        size_t fl = strlen(fixed);
        cn = llen < sizeof cand - 1 ? llen : sizeof cand - 1;
        memcpy(cand, text, cn);
        if (cn < sizeof cand - 1)
            cand[cn++] = '@';
        if (fl > sizeof cand - 1 - cn)
            fl = sizeof cand - 1 - cn;
        memcpy(cand + cn, fixed, fl);
        cn += fl;
    } else if (it->addr.fixed[0]) {
        cn = strlen(it->addr.fixed); /* shorter than cand: the field is smaller */
        memcpy(cand, it->addr.fixed, cn);
    } else {
        return;
    }
    cand[cn] = '\0';
    mm_addr *check = v->scratch;
    if (mm_addr_check(v->checker, cand, cn, v->o.addr_flags, check) == MM_OK &&
        check->syntax_ok && !has_note(check, MM_ADDR_TLD_UNKNOWN)) {
        size_t al = strlen(check->address);
        if (al > sizeof it->suggestion - 1)
            al = sizeof it->suggestion - 1;
        memcpy(it->suggestion, check->address, al);
        it->suggestion[al] = '\0';
        it->skind = k;
    }
}

/* A misspelt name, as opposed to a mistyped character that the syntax
 * errors already explain (full-width forms, a comma for a dot, spaces). */
static bool is_typo(mm_suggest_kind k)
{
    switch (k) {
    case MM_SUGGEST_PROVIDER:
    case MM_SUGGEST_TLD:
    case MM_SUGGEST_MISSING_TLD:
    case MM_SUGGEST_MISSING_DOT:
    case MM_SUGGEST_DOUBLED_TLD:
    case MM_SUGGEST_HOMOGLYPH:
        return true;
    default:
        return false;
    }
}

/* White space around an address in a list or a spreadsheet cell is noise,
 * not the user's mistake: it is cut before the check, and the result says
 * so.  (The checker itself, judging the text as given, calls it an error.) */
static bool trim(const char **s, size_t *len)
{
    size_t n = *len;
    const char *p = *s;
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    bool cut = n != *len;
    *s = p;
    *len = n;
    return cut && n;
}

/* Everything that needs no network. Returns true when the domain should be
 * looked up. */
static bool check_offline(mm_verifier *v, item *it)
{
    mm_addr *a = &it->addr;
    const char *text = it->input;
    size_t tlen = it->len;
    bool trimmed = trim(&text, &tlen);
    if (mm_addr_check(v->checker, text, tlen, v->o.addr_flags, a) != MM_OK || !a->syntax_ok) {
        it->verdict = MM_VERDICT_UNDELIVERABLE;
        add_reason(it, MM_VR_SYNTAX);
        suggest_invalid(v, it);
        if (is_typo(it->skind))
            add_reason(it, MM_VR_TYPO);
        return false;
    }
    if (trimmed)
        a->norms |= MM_ADDR_N_TRIMMED;
    const char *dom = a->domain_ascii;
    size_t dlen = strlen(dom);
    const char *provider;
    it->classes = mm_domains_lookup(v->domains, dom, dlen, &provider);
    size_t llen = strlen(a->local);
    it->role = mm_domains_role(v->domains, a->local, llen);
    /* only known domains have a provider name (one look-up gives both) */
    it->provider = it->classes & MM_DOM_KNOWN ? provider : NULL;
    if (!(it->classes & MM_DOM_KNOWN) && !(a->flags & MM_ADDR_F_LITERAL))
        suggest_domain(v, it, a->local, llen, a->domain,
                       a->flags & MM_ADDR_F_IDN ? strlen(a->domain) : dlen);

    bool dead = false;
    if (has_note(a, MM_ADDR_TLD_UNKNOWN))
        add_reason(it, MM_VR_TLD_UNKNOWN), dead = true;
    if (has_note(a, MM_ADDR_DOTLESS))
        add_reason(it, MM_VR_DOTLESS), dead = true;
    if (has_note(a, MM_ADDR_SPECIAL_USE))
        add_reason(it, MM_VR_SPECIAL_USE), dead = true;
    if (dead) {
        it->verdict = MM_VERDICT_UNDELIVERABLE;
        if (it->suggestion[0])
            add_reason(it, MM_VR_TYPO);
        return false;
    }
    if (it->suggestion[0]) {
        add_reason(it, MM_VR_TYPO);
        set_verdict(it, MM_VERDICT_RISKY);
    }
    if (it->classes & MM_DOM_DISPOSABLE) {
        add_reason(it, MM_VR_DISPOSABLE);
        set_verdict(it, MM_VERDICT_RISKY);
    }
    if (it->role) {
        add_reason(it, MM_VR_ROLE);
        set_verdict(it, MM_VERDICT_RISKY);
    }
    if (a->flags & MM_ADDR_F_LITERAL) {
        add_reason(it, MM_VR_NOT_CHECKED);
        set_verdict(it, MM_VERDICT_UNKNOWN);
        return false;
    }
    if (v->o.offline) {
        if (it->classes & MM_DOM_KNOWN) {
            add_reason(it, MM_VR_KNOWN_PROVIDER);
        } else if (it->verdict == MM_VERDICT_DELIVERABLE) {
            /* nothing against it, nothing for it: say we did not look */
            add_reason(it, MM_VR_NOT_CHECKED);
            set_verdict(it, MM_VERDICT_UNKNOWN);
        }
        return false;
    }
    return true;
}

/* Take back a typo suggestion: a domain with its own mail servers is not a
 * typo (126.com is not 163.com misspelt), whatever its spelling. */
static void drop_typo(item *it)
{
    if (it->skind == MM_SUGGEST_NONE)
        return;
    it->suggestion[0] = '\0';
    it->skind = MM_SUGGEST_NONE;
    for (size_t i = 0; i < it->nreasons; i++)
        if (it->reasons[i] == MM_VR_TYPO) {
            memmove(it->reasons + i, it->reasons + i + 1,
                    (it->nreasons - i - 1) * sizeof it->reasons[0]);
            it->nreasons--;
            break;
        }
    if (it->verdict == MM_VERDICT_RISKY && !(it->classes & MM_DOM_DISPOSABLE) && !it->role)
        it->verdict = MM_VERDICT_DELIVERABLE;
}

/* The DNS answer for the domain decides.  Returns true when the mailbox
 * may be probed over SMTP. */
static bool apply_mx(item *it, const mm_mx_result *mx)
{
    it->mx = mm_mx_result_ref(mx);
    switch (mx->status) {
    case MM_MX_OK:
        drop_typo(it);
        add_reason(it, MM_VR_MX_OK);
        return true;
    case MM_MX_IMPLICIT:
        drop_typo(it);
        add_reason(it, MM_VR_IMPLICIT_MX);
        return true;
    case MM_MX_PARKED:
        add_reason(it, MM_VR_PARKED);
        set_verdict(it, MM_VERDICT_RISKY);
        return false;
    case MM_MX_NULL_MX:
        add_reason(it, MM_VR_NULL_MX);
        break;
    case MM_MX_NXDOMAIN:
        add_reason(it, MM_VR_NXDOMAIN);
        break;
    case MM_MX_NO_MAIL_HOST:
        add_reason(it, mx->nmx ? MM_VR_MX_UNRESOLVED : MM_VR_NO_MAIL_HOST);
        break;
    case MM_MX_MISCONFIGURED:
        add_reason(it, MM_VR_MX_MISCONFIGURED);
        break;
    default: /* servfail, time-out, other errors: we cannot tell now */
        add_reason(it, MM_VR_DNS_TEMPFAIL);
        set_verdict(it, MM_VERDICT_UNKNOWN);
        return false;
    }
    set_verdict(it, MM_VERDICT_UNDELIVERABLE);
    return false;
}

static bool full_mailbox(const mm_smtp_result *s)
{
    return strncmp(s->enhanced, "4.2.2", 5) == 0 || strncmp(s->enhanced, "5.2.2", 5) == 0 ||
           (s->reply_code == 452 && !s->enhanced[0]);
}

static void apply_smtp(item *it, const mm_smtp_result *s)
{
    it->have_smtp = true;
    it->smtp = *s;
    switch (s->verdict) {
    case MM_SMTP_ACCEPTED:
        add_reason(it, MM_VR_SMTP_ACCEPTED);
        break;
    case MM_SMTP_CATCH_ALL:
        add_reason(it, MM_VR_CATCH_ALL);
        set_verdict(it, MM_VERDICT_RISKY);
        break;
    case MM_SMTP_ALWAYS_ACCEPTS:
        add_reason(it, MM_VR_ACCEPTS_ALL);
        break;
    case MM_SMTP_REJECTED:
        if (full_mailbox(s)) {
            add_reason(it, MM_VR_SMTP_FULL);
            set_verdict(it, MM_VERDICT_RISKY);
        } else {
            add_reason(it, MM_VR_SMTP_REJECTED);
            set_verdict(it, MM_VERDICT_UNDELIVERABLE);
        }
        break;
    case MM_SMTP_TEMPFAIL:
        if (full_mailbox(s)) {
            add_reason(it, MM_VR_SMTP_FULL);
            set_verdict(it, MM_VERDICT_RISKY);
        } else {
            add_reason(it, MM_VR_SMTP_TEMPFAIL);
            set_verdict(it, MM_VERDICT_UNKNOWN);
        }
        break;
    default:
        add_reason(it, MM_VR_SMTP_FAILED);
        break;
    }
}

/* ---- the pipeline ---- */

static item *at(mm_verifier *v, size_t i)
{
    return &v->ring[(v->head + i) % v->cap];
}

static void emit(mm_verifier *v, item *it)
{
    mm_verify_result r = {
        .id = it->id,
        .input = it->input,
        .input_len = it->len,
        .addr = &it->addr,
        .verdict = it->verdict,
        .nreasons = it->nreasons,
        .suggestion = it->suggestion[0] ? it->suggestion : NULL,
        .suggest_kind = it->skind,
        .classes = it->classes,
        .role = it->role,
        .provider = it->provider,
        .offline = v->o.offline,
        .mx = it->mx,
        .smtp = it->have_smtp ? &it->smtp : NULL,
        .duplicate_of = it->dup_of,
    };
    memcpy(r.reasons, it->reasons, sizeof r.reasons);
    v->cb(v->arg, &r);
    if (it->input != it->inbuf)
        free(it->input);
    it->input = NULL;
    mm_mx_result_unref(it->mx);
    it->mx = NULL;
    it->st = ST_FREE;
}

/* Hand over every finished address at the head of the window. */
static void flush(mm_verifier *v)
{
    for (;;) {
        if (!v->count)
            return;
        item *it = at(v, 0);
        bool done;
        if (v->prober) { /* only prober threads change states behind our back */
            pthread_mutex_lock(&v->lock);
            done = it->st == ST_DONE;
            pthread_mutex_unlock(&v->lock);
        } else {
            done = it->st == ST_DONE;
        }
        if (!done)
            return;
        emit(v, it);
        v->head = (v->head + 1) % v->cap;
        if (--v->count == 0)
            v->head = 0; /* an empty window starts again at the slot still in cache */
    }
}

static void smtp_cb(void *arg, size_t index, const mm_smtp_result *r)
{
    (void)index;
    item *it = arg;
    mm_verifier *v = it->v;
    pthread_mutex_lock(&v->lock);
    apply_smtp(it, r);
    it->st = ST_DONE;
    v->smtp_pending--;
    pthread_cond_signal(&v->smtp_done);
    pthread_mutex_unlock(&v->lock);
}

/* The addresses to try, in MX order: public ones, or any when private
 * addresses were allowed (the checker then called them usable). */
static size_t mx_addresses(const mm_mx_result *mx, bool any, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < mx->nhosts; i++)
        for (size_t j = 0; j < mx->hosts[i].naddrs && n < max; j++)
            if (any || mx->hosts[i].addrs[j].klass == MM_IP_PUBLIC)
                out[n++] = mx->hosts[i].addrs[j].text;
    return n;
}

static void start_smtp(mm_verifier *v, item *it)
{
    const char *addrs[8];
    size_t n = mx_addresses(it->mx, v->o.allow_private, addrs, 8);
    const char *rcpt = it->addr.address;
    if (!n) {
        it->st = ST_DONE;
        return;
    }
    pthread_mutex_lock(&v->lock);
    it->st = ST_SMTP;
    v->smtp_pending++;
    pthread_mutex_unlock(&v->lock);
    if (mm_smtp_probe_domain(v->prober, it->addr.domain_ascii, addrs, n, &rcpt, 1, smtp_cb, it) !=
        MM_OK) {
        pthread_mutex_lock(&v->lock);
        add_reason(it, MM_VR_SMTP_FAILED);
        it->st = ST_DONE;
        v->smtp_pending--;
        pthread_mutex_unlock(&v->lock);
    }
}

static void mx_cb(void *arg, const mm_mx_result *r)
{
    item *it = arg;
    mm_verifier *v = it->v;
    v->dns_pending--;
    bool probe = apply_mx(it, r);
    if (probe && v->prober) /* repeats too: their result must match the first one's */
        start_smtp(v, it);
    else
        it->st = ST_DONE;
}

/* Wait for some network work to finish. */
static mm_status_t progress(mm_verifier *v)
{
    if (v->dns_pending)
        return mm_dns_run_once(v->dns, 50);
    pthread_mutex_lock(&v->lock);
    if (v->smtp_pending)
        pthread_cond_wait(&v->smtp_done, &v->lock);
    pthread_mutex_unlock(&v->lock);
    return MM_OK;
}

mm_status_t mm_verify_submit(mm_verifier *v, uint64_t id, const char *input, size_t len)
{
    while (v->count == v->cap) {
        flush(v);
        if (v->count < v->cap)
            break;
        mm_status_t st = progress(v);
        if (st != MM_OK)
            return st;
    }
    item *it = at(v, v->count);
    it->v = v;
    it->dup_of = 0;
    it->id = id;
    it->input = len < sizeof it->inbuf ? it->inbuf : malloc(len + 1);
    if (!it->input)
        return MM_ENOMEM;
    memcpy(it->input, input, len);
    it->input[len] = '\0';
    it->len = len;
    /* the fields after addr are reset one by one: clearing the whole
     * item (4 KiB) per address would cost more than checking it */
    it->verdict = MM_VERDICT_DELIVERABLE;
    it->nreasons = 0;
    it->suggestion[0] = '\0';
    it->skind = MM_SUGGEST_NONE;
    it->classes = 0;
    it->role = it->provider = NULL;
    it->mx = NULL;
    it->have_smtp = false;
    it->st = ST_DNS;
    v->count++;

    /* The repeat look-up is a cache miss in a large table: start fetching
     * its slot now, and do the checks while it comes. */
    uint64_t key = repeat_key(input, len);
    if (v->seen.cap)
        __builtin_prefetch(&v->seen.slots[key & (v->seen.cap - 1)]);
    bool lookup = check_offline(v, it);
    it->dup_of = seen_check(&v->seen, key, id);
    if (!lookup) {
        it->st = ST_DONE;
    } else {
        v->dns_pending++;
        mm_status_t st = mm_mailcheck_domain(v->mail, it->addr.domain_ascii, mx_cb, it);
        if (st != MM_OK) {
            v->dns_pending--;
            add_reason(it, MM_VR_DNS_TEMPFAIL);
            set_verdict(it, MM_VERDICT_UNKNOWN);
            it->st = ST_DONE;
        }
    }
    flush(v);
    return MM_OK;
}

mm_status_t mm_verify_drain(mm_verifier *v)
{
    while (v->count) {
        flush(v);
        if (!v->count)
            break;
        mm_status_t st = progress(v);
        if (st != MM_OK)
            return st;
    }
    return MM_OK;
}

mm_status_t mm_verifier_create(const mm_verify_opts *o, mm_verify_cb cb, void *arg,
                               mm_verifier **out)
{
    *out = NULL;
    mm_verifier *v = calloc(1, sizeof *v);
    if (!v)
        return MM_ENOMEM;
    v->o = *o;
    v->cb = cb;
    v->arg = arg;
    v->cap = o->window ? o->window : DEFAULT_WINDOW;
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->smtp_done, NULL);
    mm_status_t st = MM_ENOMEM;
    v->ring = calloc(v->cap, sizeof *v->ring);
    v->scratch = malloc(sizeof *v->scratch);
    if (!v->ring || !v->scratch)
        goto fail;
    if ((st = mm_addr_checker_create(&v->checker)) != MM_OK)
        goto fail;
    if ((st = mm_domains_create(&v->domains)) != MM_OK)
        goto fail;
    if (!o->offline) {
        if ((st = mm_dns_create(&o->dns, &v->dns)) != MM_OK)
            goto fail;
        size_t cache = o->cache_domains ? o->cache_domains : DEFAULT_CACHE;
        if ((st = mm_mailcheck_create(v->dns, cache, &v->mail)) != MM_OK)
            goto fail;
        mm_mailcheck_allow_private(v->mail, o->allow_private);
        if (o->smtp && (st = mm_smtp_prober_create(&o->smtp_opts, &v->prober)) != MM_OK)
            goto fail;
    }
    *out = v;
    return MM_OK;
fail:
    mm_verifier_free(v);
    return st;
}

void mm_verifier_free(mm_verifier *v)
{
    if (!v)
        return;
    if (v->prober) {
        mm_smtp_prober_wait(v->prober);
        mm_smtp_prober_free(v->prober);
    }
    mm_mailcheck_free(v->mail);
    mm_dns_free(v->dns);
    mm_domains_free(v->domains);
    mm_addr_checker_free(v->checker);
    for (size_t i = 0; v->ring && i < v->cap; i++) {
        if (v->ring[i].input != v->ring[i].inbuf)
            free(v->ring[i].input);
        mm_mx_result_unref(v->ring[i].mx);
    }
    free(v->ring);
    free(v->scratch);
    free(v->seen.slots);
    pthread_mutex_destroy(&v->lock);
    pthread_cond_destroy(&v->smtp_done);
    free(v);
}
