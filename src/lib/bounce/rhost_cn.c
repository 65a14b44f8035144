/*
 * rhost_cn.c - rules for Chinese receiving providers: Tencent (QQ Mail,
 * Exmail), NetEase (163/126/yeah.net, qiye.163.com), Alibaba Mail
 * (qiye.aliyun.com, mxhichina.com), Coremail, Sina and Sohu.  Their 5xx
 * rate limits are "wait", not "remove the address", with each provider's
 * published waiting time.  Sources: shared/research/anchors.md section C.
 *
 * How it works: first the provider is recognised, by the remote host (the
 * Remote-MTA field or the "host X said:" part of the reply), then by the
 * recipient's domain, then by a code shape only one platform uses (NetEase
 * "DT:SPM", the Coremail transaction id "...--.26S2", Aliyun ANTISPAM_BAT).
 * Then the rule table (data/bounce/rhost_cn.txt, made a C table at build
 * time by gen_rhost_cn.py) is read top to bottom; the first row that applies
 * wins.  A row applies when its pattern occurs in the lower-cased reply,
 * its reply class (4xx/5xx) fits, and either the provider already
 * recognised belongs to the row's platform, or the row is a signature
 * (SIG): wording only that provider writes, which names the provider by
 * itself.  Rows of provider GEN are the Chinese sentences the providers'
 * own bounce notices use; they give a reason but never a provider, since a
 * notice from 163 may speak of a refusal by any receiver.
 *
 * Patterns: lower case; '*' stands for any run of characters; a pattern
 * that ends in a digit does not match when a digit follows ("detail/122/17"
 * never matches ".../171").  Every row names where its wording was
 * documented; "own" marks wording written from experience, not a source.
 * When you add a row (to the data file), add a case to
 * tests/unit/test_rhost_cn.c.
 *
 * Speed: every reply is asked; most hold no row's words.  A row is
 * looked at only when the reply holds its two rarest pairs of bytes (a set
 * of hashed pairs made with the lowered copy, mm_cn_pairs); the rows are
 * grouped by the rarest at build time, so one test per group (52)
 * finds the few rows worth a look.
 */
#include "bounce_int.h"

#include <stdint.h>
#include <string.h>
#include "../util/str.h"

#define MIN 60L
#define HOUR 3600L
#define DAY (24 * HOUR)

typedef enum cn_prov {
    P_NONE = 0,
    P_TENCENT,
    P_NETEASE,
    P_ALIBABA,
    P_COREMAIL,
    P_SINA,
    P_SOHU,
    P_ANY, /* rule for any recognised Chinese provider */
    P_GEN, /* Chinese notice wording: reason only, provider left alone */
} cn_prov;

static const char *const prov_names[] = {
    [P_TENCENT] = "tencent",   [P_NETEASE] = "netease", [P_ALIBABA] = "alibaba",
    [P_COREMAIL] = "coremail", [P_SINA] = "sina",       [P_SOHU] = "sohu",
};

enum {
    SIG = 1, /* the wording alone identifies the provider */
    C4 = 2,  /* only for 4xx replies */
    C5 = 4,  /* only for 5xx replies */
};

typedef struct cn_rule {
    cn_prov prov;
    unsigned flags;
    const char *pat;
    mm_reason_t reason;
    long retry; /* provider's published waiting time, seconds; 0 = none */
    const char *src;
} cn_rule;

/* Made at build time from data/bounce/rhost_cn.txt by gen_rhost_cn.py:
 * rules[] (a row's text, reason and source); rule_pair2[] (row i's
 * pattern's second rarest pair of bytes, mm_cn_pair_hash(), its rarest
 * being its group's key: most rows of the groups a reply wakes fail there,
 * in a load); group_keys[] and group_rows[] (the rows, a bit each, whose
 * pattern's rarest pair hashes to the key).  Keys, pair2 and rows are
 * apart from the rules so that the scan of every reply reads a few small
 * arrays (the keys: 2 cache lines), not the fields of 48-byte rows. */
#include "rhost_cn_table.h"

_Static_assert(CN_RULE_WORDS <= 3, "rows_present() keeps three words of rows");
_Static_assert(CN_GROUP_COUNT <= 64, "rows_present() keeps a bit per group");

/* Hosts and recipient domains.  A leading '.' means "this domain or a
 * subdomain"; otherwise the pattern may occur anywhere in the name. */
typedef struct cn_name {
    const char *pat;
    cn_prov prov;
    size_t len;         /* strlen(pat), worked out by the compiler */
    unsigned short key; /* hosts[]: see NK() */
} cn_name;

#define N(pat, prov) {pat, prov, sizeof pat - 1, 0}
/* A host name pattern with a pair of its bytes (a, b; past a leading
 * '.') that few remote hosts hold: asked first, in one load of the
 * host's pair bits (mm_rhost_host), before the name is compared.  Any
 * pair of the pattern gives the same answers, a rare one sooner;
 * mm_rhost_cn_keys_wrong() (the bounce-tables test) checks each is one. */
#define NK(pat, prov, a, b) {pat, prov, sizeof pat - 1, (unsigned short)MM_CN_PAIR_SLOT(a, b)}

static const cn_name hosts[] = {
    NK(".qq.com", P_TENCENT, 'q', 'q'),
    NK(".foxmail.com", P_TENCENT, 'o', 'x'),
    NK("163mx", P_NETEASE, '6', '3'),
    NK("126mx", P_NETEASE, '2', '6'),
    NK(".mxmail.netease.com", P_NETEASE, 'a', 's'),
    NK(".netease.com", P_NETEASE, 'a', 's'),
    NK(".163.com", P_NETEASE, '1', '6'),
    NK(".126.com", P_NETEASE, '1', '2'),
    NK(".yeah.net", P_NETEASE, 'y', 'e'),
    NK(".126.net", P_NETEASE, '1', '2'),
    NK(".mxhichina.com", P_ALIBABA, 'h', 'i'),
    NK(".aliyun.com", P_ALIBABA, 'y', 'u'),
    NK(".alibaba-inc.com", P_ALIBABA, 'b', 'a'),
    NK("coremail", P_COREMAIL, 'e', 'm'),
    NK(".sina.com.cn", P_SINA, 's', 'i'),
    NK(".sina.com", P_SINA, 's', 'i'),
    NK(".sina.net", P_SINA, 's', 'i'),
    NK(".sina.cn", P_SINA, 's', 'i'),
    NK(".sohu.com", P_SOHU, 'h', 'u'),
    NK(".sohu.net", P_SOHU, 'h', 'u'),
};

/* The key pairs of hosts[] (a bit per slot), made by hand and checked by
 * mm_rhost_cn_keys_wrong(): a remote host holding none of them is none of
 * these hosts, told in 16 loads instead of one per name. */
static const uint64_t host_keys[MM_CN_SLOTS / 64] = {
    0x0000000200000000ull, 0x0000000000080000ull, 0x0000000000000000ull, 0x0000000000002000ull,
    0x0000000000000000ull, 0x0020020000000000ull, 0x0000000001000000ull, 0x0000000000000000ull,
    0x0000000000440200ull, 0x0040000000020000ull, 0x0000000000000000ull, 0x0008000000000000ull,
    0x0000000000000000ull, 0x0000000000200020ull, 0x0000000000000000ull, 0x0000000000000000ull,
};

static const cn_name domains[] = {
    N(".qq.com", P_TENCENT),     N(".foxmail.com", P_TENCENT), N(".163.com", P_NETEASE),
    N(".126.com", P_NETEASE),    N(".yeah.net", P_NETEASE),    N(".188.com", P_NETEASE),
    N(".aliyun.com", P_ALIBABA), N(".sina.com", P_SINA),       N(".sina.cn", P_SINA),
    N(".sohu.com", P_SOHU),
};

/* The last bytes of domains[]' patterns, all of them name endings (a
 * leading '.'): a recipient's domain that ends in another byte cannot
 * match one, told without reading the patterns (ten string literals, as
 * many cache misses for most recipients).  mm_rhost_cn_keys_wrong() checks
 * it against domains[]. */
static const char domain_ends[] = "mnt";

/* Text that names the platform without a rule of its own, and a pair of
 * its bytes that most replies lack (key): asked first, in one load, before
 * the others. */
typedef struct cn_sign {
    const char *pat;
    cn_prov prov;
    char key[3];
} cn_sign;

static const cn_sign signs[] = {
    {"service.mail.qq.com", P_TENCENT, "qq"}, {"exmail.qq.com", P_TENCENT, "qq"},
    {"mail.163.com/help", P_NETEASE, "/h"},   {"help_spam_16", P_NETEASE, "_1"},
    {"antispam_bat", P_ALIBABA, "_b"},        {"mxhichina", P_ALIBABA, "xh"},
    {"qiye.aliyun.com", P_ALIBABA, "qi"},     {"coremail", P_COREMAIL, "em"},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_lower_alpha(char c)
{
    return c >= 'a' && c <= 'z';
}

/* Does pat (no '*') occur in text, not followed by a digit when it ends in one? */
static const char *find_word(const char *text, const char *pat, size_t n)
{
    const char *p = text;
    while ((p = mm_memcasemem(p, strlen(p), pat, n)) != NULL) {
        if (!(is_digit(pat[n - 1]) && is_digit(p[n])))
            return p;
        p++;
    }
    return NULL;
}

static bool pattern_in(const char *text, const char *pat)
{
    const char *star = strchr(pat, '*');
    size_t n = star ? (size_t)(star - pat) : strlen(pat);
    const char *p = find_word(text, pat, n);
    if (!p || !star)
        return p != NULL;
    return pattern_in(p + n, star + 1);
}

/* name (nl bytes) holds pat (pl bytes), or ends with ".pat"-style pat (or
 * is it without the dot).  The last bytes are compared first: most names
 * differ there. */
static bool name_is(const char *name, size_t nl, const char *pat, size_t pl)
{
    if (pat[0] != '.')
        return strstr(name, pat) != NULL;
    if (name[nl - 1] != pat[pl - 1])
        return false;
    /* most patterns end in ".com" as most names do: the byte after the
     * pattern's dot tells them apart before the compare */
    if (nl + 1 < pl || name[nl - pl + 1] != pat[1])
        return false;
    if (nl + 1 == pl && memcmp(name, pat + 1, nl) == 0)
        return true;
    return nl > pl && memcmp(name + nl - pl, pat, pl) == 0;
}

/* host: NULL, or the lowered remote host name is part of, whose pairs
 * turn away a pattern to search for (not a '.' ending) before its search */
static cn_prov name_prov(const char *name, const cn_name *t, size_t n, const mm_rhost_host *host)
{
    size_t nl = strlen(name);
    for (size_t i = 0; nl && i < n; i++) {
        /* name is part of host, so it holds none of the pairs host lacks */
        if (host && !(host->bits[t[i].key / 64] >> (t[i].key % 64) & 1))
            continue;
        if (host && t[i].pat[0] != '.' && !mm_rhost_host_may_hold(host, t[i].pat))
            continue;
        if (name_is(name, nl, t[i].pat, t[i].len))
            return t[i].prov;
    }
    return P_NONE;
}

const char *mm_rhost_cn_keys_wrong(void)
{
    uint64_t keys[MM_CN_SLOTS / 64] = {0};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        keys[hosts[i].key / 64] |= (uint64_t)1 << (hosts[i].key % 64);
    if (memcmp(keys, host_keys, sizeof keys) != 0)
        return "(host_keys is not hosts[]' keys)";
    for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
        if (domains[i].pat[0] != '.' ||
            !memchr(domain_ends, domains[i].pat[domains[i].len - 1], sizeof domain_ends - 1))
            return "(domain_ends lacks the last byte of a pattern of domains[], or that "
                   "pattern is no name ending)";
    for (const char *c = domain_ends; *c; c++) {
        bool used = false;
        for (size_t i = 0; i < sizeof domains / sizeof domains[0]; i++)
            used |= domains[i].pat[domains[i].len - 1] == *c;
        if (!used)
            return "(domain_ends holds a byte no pattern of domains[] ends in)";
    }
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        bool in = false;
        /* past a leading '.': a name equal to the domain lacks that pair */
        for (const char *s = hosts[i].pat + (hosts[i].pat[0] == '.'); s[0] && s[1]; s++)
            in |= mm_cn_pair_hash((unsigned char)s[0], (unsigned char)s[1]) == hosts[i].key;
        if (!in)
            return hosts[i].pat;
    }
    return NULL;
}

/* The bytes that end a host name in a header or a reply (the NUL too): a
 * table, one load a byte, as every recipient's host and domain are read. */
static const bool ends_host[256] = {
    ['\0'] = true, [' '] = true, ['['] = true, ['('] = true, [':'] = true,
    [','] = true,   [';'] = true, ['>'] = true, ['\t'] = true,
};

/* Copy the host name at s (up to a space, bracket, parenthesis, colon or
 * comma), lower-cased, into out[outlen]. */
static void host_copy(const char *s, char *out, size_t outlen)
{
    size_t i = 0;
    while (*s == ' ' || *s == '<')
        s++;
    for (; !ends_host[(unsigned char)s[i]] && i + 1 < outlen; i++)
        out[i] = mm_lower(s[i]);
    while (i > 0 && out[i - 1] == '.')
        i--;
    out[i] = '\0';
}

/* host_copy() of a whole string lowered already (shorter than 255 bytes,
 * so the copy's limit is never reached): a memcpy() of the name, not a
 * byte-by-byte lowering. */
static void host_cut(const char *s, char out[256])
{
    size_t i = 0;
    while (*s == ' ' || *s == '<')
        s++;
    while (!ends_host[(unsigned char)s[i]])
        i++;
    while (i > 0 && s[i - 1] == '.')
        i--;
    memcpy(out, s, i);
    out[i] = '\0';
}

/* The host that answered: Remote-MTA, else "host X said" in the reply
 * (Postfix, Exim, and NetEase's notices write "Host qq.com(ip)"). */
static bool pairs_may_hold(const mm_cn_pairs *pp, const char *pat);

static cn_prov host_prov(const mm_rcpt *rc, const char *lower, const mm_cn_pairs *pp,
                         const mm_rhost_host *rh)
{
    char host[256];
    /* rh's pairs filter the names only when the name is cut out of rh
     * whole: a longer host (rh holds its first 255 bytes) is copied here
     * past any leading '<', and may end beyond them */
    if (rh && rh->len < sizeof rh->s - 1) {
        host_cut(rh->s, host);
    } else {
        host_copy(rc->pub.remote_mta, host, sizeof host);
        rh = NULL;
    }
    cn_prov p = rh && !mm_rhost_host_holds_any(rh, host_keys)
                    ? P_NONE
                    : name_prov(host, hosts, sizeof hosts / sizeof hosts[0], rh);
    if (p != P_NONE || !pairs_may_hold(pp, "host "))
        return p;
    for (const char *h = lower; p == P_NONE && (h = strstr(h, "host ")) != NULL; h += 5) {
        host_copy(h + 5, host, sizeof host);
        if (strchr(host, '.'))
            p = name_prov(host, hosts, sizeof hosts / sizeof hosts[0], NULL);
    }
    return p;
}

/* Can the name host_copy() would make of s (outlen bytes of room) match
 * one of domains[]' patterns?  False when none ends in the name's last
 * byte (domain_ends): most recipients' domains end in ".jp" or ".org",
 * which no name of domains[] does, and are told so without the copy. */
static bool last_byte_fits(const char *s, size_t outlen)
{
    size_t i = 0;
    while (*s == ' ' || *s == '<')
        s++;
    while (!ends_host[(unsigned char)s[i]] && i + 1 < outlen)
        i++;
    while (i > 0 && s[i - 1] == '.')
        i--;
    if (i == 0)
        return false;
    return memchr(domain_ends, mm_lower(s[i - 1]), sizeof domain_ends - 1) != NULL;
}

static cn_prov domain_prov(const char *rcpt)
{
    const char *at = strrchr(rcpt, '@');
    char dom[256];
    if (!at || !last_byte_fits(at + 1, sizeof dom))
        return P_NONE;
    host_copy(at + 1, dom, sizeof dom);
    return name_prov(dom, domains, sizeof domains / sizeof domains[0], NULL);
}

/* NetEase-platform code "XX:YYY" (C.2) and the Coremail transaction id
 * "...--.NNNNS2" (C.0 item 3). */
static cn_prov shape_prov(const char *lower, const mm_cn_pairs *pp)
{
    static const char prefixes[][2] = {{'m', 'i'}, {'d', 't'}, {'r', 'p'}, {'h', 'l'}, {'w', 'm'}};
    /* every ':' once, instead of a search per prefix; none when the reply
     * holds no prefix's second letter before a ':' */
    bool colon = false;
    for (size_t i = 0; i < 5; i++)
        colon |= pp->has[mm_cn_pair_hash((unsigned char)prefixes[i][1], ':')] != 0;
    for (const char *c = colon ? strchr(lower, ':') : NULL; c; c = strchr(c + 1, ':')) {
        if (c - lower < 2)
            continue;
        const char *p = c - 2;
        for (size_t i = 0; i < 5; i++)
            if (p[0] == prefixes[i][0] && p[1] == prefixes[i][1] &&
                (p == lower || !is_lower_alpha(p[-1])) && is_lower_alpha(p[3]) &&
                is_lower_alpha(p[4]) && is_lower_alpha(p[5]) && !is_lower_alpha(p[6]))
                return P_NETEASE;
    }
    if (!pairs_may_hold(pp, "--."))
        return P_NONE;
    for (const char *p = lower; (p = strstr(p, "--.")) != NULL; p++) {
        const char *d = p + 3;
        while (is_digit(*d))
            d++;
        if (d > p + 3 && d[0] == 's' && d[1] == '2')
            return P_COREMAIL;
    }
    return P_NONE;
}

/* NetEase runs on Coremail: each platform's rows fit the other. */
static bool same_platform(cn_prov row, cn_prov known)
{
    bool cm_row = row == P_NETEASE || row == P_COREMAIL;
    bool cm_known = known == P_NETEASE || known == P_COREMAIL;
    return row == known || (cm_row && cm_known);
}

static int reply_class(const mm_rcpt *rc, const char *lower)
{
    int code = rc->pub.reply_code ? rc->pub.reply_code : mm_find_reply(lower, strlen(lower));
    if (code)
        return code / 100;
    return rc->pub.status[0] ? rc->pub.status[0] - '0' : 0;
}

/* The pairs of adjacent bytes a text holds (ASCII letters folded, as the
 * searches fold them), hashed into MM_CN_SLOTS slots.  A pattern with a
 * pair (not across a '*') that the text lacks cannot occur in it: most rows
 * are turned away so, without a search.  A byte per slot, not a bit:
 * setting one per byte of the text and testing two per row are then a
 * store and a load (1 KiB cleared per call cost less than the bit
 * arithmetic).
 * classify.c makes the same set in mm_phrase_prepare_copy() (mm_phrase_text's
 * pairs). */
void mm_cn_pairs_of(mm_cn_pairs *pp, const char *text)
{
    memset(pp, 0, sizeof *pp);
    if (!text[0])
        return;
    /* the text is lower case already (mm_rhost_cn_match's contract: the
     * lower-cased diagnostic), as the patterns are */
    for (const unsigned char *p = (const unsigned char *)text + 1; *p; p++)
        pp->has[mm_cn_pair_hash(p[-1], p[0])] = 1;
}

static bool pairs_may_hold(const mm_cn_pairs *pp, const char *pat)
{
    for (const char *p = pat; p[0] && p[1]; p++) {
        if (p[0] == '*' || p[1] == '*')
            continue;
        unsigned h = mm_cn_pair_hash((unsigned char)p[0], (unsigned char)p[1]);
        if (!pp->has[h])
            return false;
    }
    return true;
}

/* The signs' pairs are asked first, their key first of all: most
 * replies lack it ("qq", "_1", "xh"...), which spares their searches. */
static cn_prov recognise(const mm_rcpt *rc, const char *lower, const mm_cn_pairs *pp,
                         const mm_rhost_host *host)
{
    cn_prov p = host_prov(rc, lower, pp, host);
    if (p == P_NONE)
        p = domain_prov(rc->pub.recipient);
    for (size_t i = 0; p == P_NONE && i < sizeof signs / sizeof signs[0]; i++) {
        const cn_sign *sg = &signs[i];
        if (pp->has[mm_cn_pair_hash((unsigned char)sg->key[0], (unsigned char)sg->key[1])] &&
            pairs_may_hold(pp, sg->pat) && strstr(lower, sg->pat))
            p = sg->prov;
    }
    return p == P_NONE ? shape_prov(lower, pp) : p;
}

static bool rule_applies(const cn_rule *r, cn_prov known, int cls, const char *lower,
                         const mm_cn_pairs *pp)
{
    if (((r->flags & C4) && cls != 4) || ((r->flags & C5) && cls != 5))
        return false;
    if (r->prov == P_ANY && known == P_NONE)
        return false;
    if (r->prov != P_ANY && r->prov != P_GEN && !same_platform(r->prov, known) &&
        !((r->flags & SIG) && known == P_NONE))
        return false;
    return pairs_may_hold(pp, r->pat) && pattern_in(lower, r->pat);
}

mm_reason_t mm_rhost_cn_match(mm_rcpt *rc, const char *lower)
{
    mm_cn_pairs pairs;
    mm_cn_pairs_of(&pairs, lower);
    return mm_rhost_cn_match_pairs(rc, lower, &pairs, NULL);
}

/* The rows whose key pair the reply holds (one test per group of rows
 * sharing it), a bit each, in row order.  The groups woken are gathered
 * first without a branch (the set's bytes are 0 or 1): whether a reply
 * holds a key is a coin toss to the branch predictor. */
static void rows_present(const mm_cn_pairs *pp, uint64_t rows[3])
{
    uint64_t woken = 0;
    /* unrolled: the loop's own count and test were half its instructions */
#pragma GCC unroll 64
    for (unsigned g = 0; g < CN_GROUP_COUNT; g++)
        woken |= (uint64_t)pp->has[group_keys[g]] << g;
    rows[0] = rows[1] = rows[2] = 0;
    for (; woken; woken &= woken - 1) {
        const uint64_t *gr = group_rows[mm_lowest_bit(woken)];
        for (unsigned w = 0; w < CN_RULE_WORDS; w++)
            rows[w] |= gr[w];
    }
}

mm_reason_t mm_rhost_cn_match_pairs(mm_rcpt *rc, const char *lower, const mm_cn_pairs *pp,
                                    const mm_rhost_host *host)
{
    cn_prov known = recognise(rc, lower, pp, host);
    int cls = -1; /* the reply's class, looked for when a row first asks (most never do) */
    uint64_t rows[3];
    rows_present(pp, rows);
    for (unsigned w = 0; w < CN_RULE_WORDS; w++) {
        for (uint64_t bits = rows[w]; bits; bits &= bits - 1) {
            unsigned i = w * 64 + mm_lowest_bit(bits);
            if (!pp->has[rule_pair2[i]])
                continue;
            const cn_rule *r = &rules[i];
            if (cls < 0 && (r->flags & (C4 | C5)))
                cls = reply_class(rc, lower);
            if (!rule_applies(r, known, cls, lower, pp))
                continue;
            if (known == P_NONE && r->prov != P_ANY && r->prov != P_GEN)
                known = r->prov;
            if (known != P_NONE)
                rc->pub.provider = prov_names[known];
            rc->provider_retry = r->retry;
            return r->reason;
        }
    }
    if (known != P_NONE)
        rc->pub.provider = prov_names[known];
    return MM_REASON_UNDEFINED;
}
