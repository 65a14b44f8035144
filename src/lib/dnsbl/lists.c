/*
 * lists.c - the blocklist table: which lists mailmedic asks, how to read
 * their answers, and which answers are refusals rather than listings.
 *
 * Tables over code: each row cites where its codes come from.  When you add
 * a list, add its test entry to tests/dnsbl/zones/ if it has a documented
 * one, and its refusal codes (a refusal shown as a listing sends a user
 * chasing a delisting that is not needed).
 *
 * Sources (fetched 2026-11):
 *  [SH-Z]  https://docs.spamhaustech.com/10-data-type-documentation/datasets/040-zones.html
 *          (zone return codes: SBL, CSS, DROP, XBL, PBL, BCL, DBL 127.0.1.x, 127.0.1.255)
 *  [SH-E]  https://www.spamhaus.org/news/article/788/ (127.255.255.0/24 error range:
 *          .254 public/open resolver, .255 excessive queries) and
 *          https://www.securityzones.net/error-return-codes-for-spamhaus-public-mirrors/
 *          (.252 typing error in the DNSBL name)
 *  [BRBL]  http://www.barracudacentral.org/rbl/how-to-use (127.0.0.2; use requires
 *          registering the querying DNS servers: unregistered resolvers get no data)
 *  [SC]    https://www.spamcop.net/fom-serve/cache/291.html (bl.spamcop.net, 127.0.0.2)
 *  [UCE]   https://www.uceprotect.net/en/index.php?m=6&s=10 (dnsbl-1, 127.0.0.2)
 *  [PSBL]  https://psbl.org/faq/ (psbl.surriel.com, 127.0.0.2; removal form psbl.org/remove)
 *  [MS]    https://mailspike.org/usage.html (bl.mailspike.net = z 127.0.0.2 + rep L5..L3
 *          127.0.0.10..12; free under 100,000 queries/day)
 *  [CASA]  http://anti-spam.org.cn/AID/711 (China Anti-Spam Alliance, 2007: CBL 127.0.8.2,
 *          CDL 127.0.8.4, CBL+ = both, test entry 127.0.8.6); no current usage terms found,
 *          so optional: asked only when named
 *  [SORBS] Proofpoint statement, 2024-06-05, e.g. https://powermta.ninja/sorbs-blacklist-shuts-down
 *  [SURBL] https://tamingdns.com/rbl/surbl and SURBL's implementation guidelines (bits
 *          8 PH, 16 MW, 64 ABUSE, 128 CR; 4 DM, 32 CT in the 2023 scripts); refusal
 *          127.0.0.1: rspamd "SURBL_BLOCKED", SpamAssassin SURBL_BLOCKED
 *  [URIBL] https://uribl.com/refused.shtml (127.0.0.1 = query refused, bit 0x1 unused
 *          for listings; bits 2 black, 4 grey, 8 red)
 */
#include <string.h>

#include <mailmedic/dnsbl.h>

#define N_(s) s

/* ---- Spamhaus [SH-Z], [SH-E] ---- */

static const mm_dnsbl_meaning zen_codes[] = {
    {2, "127.0.0.2", "sbl", N_("Spamhaus SBL: a known spam source or spam operation.")},
    {3, "127.0.0.3", "css", N_("Spamhaus CSS: the address sent low-reputation mail (automated).")},
    {4, "127.0.0.4", "xbl", N_("Spamhaus XBL: the address is infected or hijacked (exploits).")},
    {9, "127.0.0.9", "drop", N_("Spamhaus DROP: a hijacked or criminal network.")},
    {10, "127.0.0.10", "pbl_isp",
     N_("Spamhaus PBL (set by the ISP): the address should not send mail directly; use the "
        "provider's mail server.")},
    {11, "127.0.0.11", "pbl_spamhaus",
     N_("Spamhaus PBL (set by Spamhaus): the address looks dynamic or end-user; it should not "
        "send mail directly.")},
    {30, "127.0.0.30", "bcl", N_("Spamhaus BCL: a botnet controller.")},
};

/* The whole 127.255.255.0/24 range is errors [SH-E]; these are the named ones (others in
 * that range are refused as "query_error", see read.c). */
static const mm_dnsbl_refusal spamhaus_refusals[] = {
    {"127.255.255.252", "typo_zone",
     N_("Refused: the blocklist name is mistyped (Spamhaus error code).")},
    {"127.255.255.254", "open_resolver",
     N_("Refused: the query came through a public or open resolver (e.g. 8.8.8.8, 1.1.1.1). "
        "This is not a listing; check again through your own resolver.")},
    {"127.255.255.255", "over_quota",
     N_("Refused: the resolver sent too many queries (over the free use limit). This is not a "
        "listing; check again through your own resolver.")},
};

static const mm_dnsbl_meaning dbl_codes[] = {
    {2, "127.0.1.2", "spam", N_("Spamhaus DBL: a domain with low reputation (spam).")},
    {4, "127.0.1.4", "phish", N_("Spamhaus DBL: a phishing domain.")},
    {5, "127.0.1.5", "malware", N_("Spamhaus DBL: a malware domain.")},
    {6, "127.0.1.6", "botnet_cc", N_("Spamhaus DBL: a botnet command-and-control domain.")},
    {102, "127.0.1.102", "abused_legit",
     N_("Spamhaus DBL: a legitimate domain that was abused (spam).")},
    {103, "127.0.1.103", "abused_redirector",
     N_("Spamhaus DBL: an abused redirector or URL shortener.")},
    {104, "127.0.1.104", "abused_phish",
     N_("Spamhaus DBL: a legitimate domain abused for phishing.")},
    {105, "127.0.1.105", "abused_malware",
     N_("Spamhaus DBL: a legitimate domain abused for malware.")},
    {106, "127.0.1.106", "abused_botnet_cc",
     N_("Spamhaus DBL: a legitimate domain abused for botnet command and control.")},
};

static const mm_dnsbl_refusal dbl_refusals[] = {
    {"127.0.1.255", "ip_query", N_("Refused: the DBL does not answer queries for IP addresses.")},
    {"127.255.255.252", "typo_zone",
     N_("Refused: the blocklist name is mistyped (Spamhaus error code).")},
    {"127.255.255.254", "open_resolver",
     N_("Refused: the query came through a public or open resolver (e.g. 8.8.8.8, 1.1.1.1). "
        "This is not a listing; check again through your own resolver.")},
    {"127.255.255.255", "over_quota",
     N_("Refused: the resolver sent too many queries (over the free use limit). This is not a "
        "listing; check again through your own resolver.")},
};

/* ---- The single-code IP lists ---- */

static const mm_dnsbl_meaning brbl_codes[] = {
    {2, "127.0.0.2", "listed", N_("Barracuda BRBL: the address sent spam to Barracuda's network.")},
};
static const mm_dnsbl_meaning spamcop_codes[] = {
    {2, "127.0.0.2", "listed",
     N_("SpamCop: users reported spam from the address recently (listings expire by "
        "themselves about 24 hours after the reports stop).")},
};
static const mm_dnsbl_meaning uce1_codes[] = {
    {2, "127.0.0.2", "listed",
     N_("UCEPROTECT level 1: the address itself sent mail to spam traps.")},
};
static const mm_dnsbl_meaning psbl_codes[] = {
    {2, "127.0.0.2", "listed",
     N_("PSBL: the address sent mail to the Passive Spam Block List's "
        "spam traps.")},
};
static const mm_dnsbl_meaning mailspike_codes[] = {
    {2, "127.0.0.2", "z", N_("Mailspike Z: the address is part of a current spam wave.")},
    {10, "127.0.0.10", "l5", N_("Mailspike reputation L5: the worst reputation.")},
    {11, "127.0.0.11", "l4", N_("Mailspike reputation L4: very bad reputation.")},
    {12, "127.0.0.12", "l3", N_("Mailspike reputation L3: bad reputation.")},
};
static const mm_dnsbl_meaning casa_codes[] = {
    {2, "127.0.8.2", "cbl",
     N_("CASA CBL (China Anti-Spam Alliance): a spam source seen in China.")},
    {4, "127.0.8.4", "cdl",
     N_("CASA CDL (China Anti-Spam Alliance): a dynamic (end-user) address in China.")},
    {6, "127.0.8.6", "cbl_cdl", N_("CASA CBL+: both a spam source and a dynamic address.")},
};
static const mm_dnsbl_meaning sorbs_codes[] = {
    {2, "127.0.0.2", "listed", N_("SORBS: listed (the service was shut down in June 2024).")},
};

/* ---- The bitmask domain lists [SURBL], [URIBL] ---- */

static const mm_dnsbl_meaning surbl_bits[] = {
    {4, NULL, "dm", N_("SURBL DM: a disposable or newly registered domain used in spam.")},
    {8, NULL, "ph", N_("SURBL PH: a phishing domain.")},
    {16, NULL, "mw", N_("SURBL MW: a malware domain.")},
    {32, NULL, "ct", N_("SURBL CT: a click-tracking domain seen in spam.")},
    {64, NULL, "abuse", N_("SURBL ABUSE: a domain seen in spam (abuse list).")},
    {128, NULL, "cr", N_("SURBL CR: a cracked (compromised) site used in spam.")},
};
static const mm_dnsbl_refusal surbl_refusals[] = {
    {"127.0.0.1", "blocked",
     N_("Refused: SURBL blocked this resolver (public resolver or too many queries). This is "
        "not a listing; check again through your own resolver.")},
};
static const mm_dnsbl_meaning uribl_bits[] = {
    {2, NULL, "black", N_("URIBL black: a domain seen in spam, high confidence.")},
    {4, NULL, "grey", N_("URIBL grey: a domain seen in bulk mail; it may be legitimate.")},
    {8, NULL, "red", N_("URIBL red: a domain seen in spam recently, still under review.")},
};
static const mm_dnsbl_refusal uribl_refusals[] = {
    {"127.0.0.1", "blocked",
     N_("Refused: URIBL refused this resolver (public resolver or too many queries). This is "
        "not a listing; check again through your own resolver.")},
};

#define MEANINGS(a) .nmeanings = sizeof(a) / sizeof((a)[0]), .meanings = (a)
#define REFUSALS(a) .nrefusals = sizeof(a) / sizeof((a)[0]), .refusals = (a)

static const char spamhaus_note[] =
    N_("Free for low-volume, non-commercial use through your own resolver; public resolvers "
       "are refused.");

static const mm_dnsbl_list lists[] = {
    {.id = "spamhaus-zen",
     .name = "Spamhaus ZEN (SBL, CSS, XBL, PBL)",
     .zone = "zen.spamhaus.org",
     .kind = MM_DNSBL_KIND_IP,
     .ipv6 = true,
     MEANINGS(zen_codes),
     REFUSALS(spamhaus_refusals),
     .delist_url = "https://check.spamhaus.org/",
     .note = spamhaus_note},
    {.id = "barracuda",
     .name = "Barracuda BRBL",
     .zone = "b.barracudacentral.org",
     .kind = MM_DNSBL_KIND_IP,
     MEANINGS(brbl_codes),
     .delist_url = "https://www.barracudacentral.org/rbl/removal-request",
     .note = N_("Only resolvers registered at barracudacentral.org get answers; others get none "
                "(shown as cannot tell).")},
    {.id = "spamcop",
     .name = "SpamCop",
     .zone = "bl.spamcop.net",
     .kind = MM_DNSBL_KIND_IP,
     MEANINGS(spamcop_codes),
     .delist_url = "https://www.spamcop.net/bl.shtml",
     .note = ""},
    {.id = "uceprotect-1",
     .name = "UCEPROTECT level 1",
     .zone = "dnsbl-1.uceprotect.net",
     .kind = MM_DNSBL_KIND_IP,
     MEANINGS(uce1_codes),
     .delist_url = "https://www.uceprotect.net/en/rblcheck.php",
     .note = N_("Listings expire 7 days after the last spam trap hit; paid express delisting "
                "exists but is not needed.")},
    {.id = "psbl",
     .name = "PSBL (Passive Spam Block List)",
     .zone = "psbl.surriel.com",
     .kind = MM_DNSBL_KIND_IP,
     MEANINGS(psbl_codes),
     .delist_url = "https://psbl.org/remove",
     .note = ""},
    {.id = "mailspike",
     .name = "Mailspike BL",
     .zone = "bl.mailspike.net",
     .kind = MM_DNSBL_KIND_IP,
     MEANINGS(mailspike_codes),
     .delist_url = "https://mailspike.org/lookup.html",
     .note = N_("Free under 100,000 queries a day.")},
    {.id = "casa-cblplus",
     .name = "CASA CBL+ (China Anti-Spam Alliance)",
     .zone = "cblplus.anti-spam.org.cn",
     .kind = MM_DNSBL_KIND_IP,
     .optional = true,
     MEANINGS(casa_codes),
     .delist_url = "http://www.anti-spam.org.cn/",
     .note = N_("Run by the China Anti-Spam Alliance since 2003; no current usage terms were "
                "found, so it is asked only on request. Chinese mailbox providers (QQ, "
                "NetEase, Alibaba) mostly use their own reputation data.")},
    {.id = "sorbs",
     .name = "SORBS",
     .zone = "dnsbl.sorbs.net",
     .kind = MM_DNSBL_KIND_IP,
     .retired = true,
     MEANINGS(sorbs_codes),
     .delist_url = "",
     .note = N_("SORBS was shut down by Proofpoint on 5 June 2024; its zones hold no data. A "
                "bounce citing SORBS comes from a receiver with an old configuration: contact "
                "that receiver.")},
    {.id = "spamhaus-dbl",
     .name = "Spamhaus DBL",
     .zone = "dbl.spamhaus.org",
     .kind = MM_DNSBL_KIND_DOMAIN,
     MEANINGS(dbl_codes),
     REFUSALS(dbl_refusals),
     .delist_url = "https://check.spamhaus.org/",
     .note = spamhaus_note},
    {.id = "surbl",
     .name = "SURBL multi",
     .zone = "multi.surbl.org",
     .kind = MM_DNSBL_KIND_DOMAIN,
     .bitmask = true,
     MEANINGS(surbl_bits),
     REFUSALS(surbl_refusals),
     .delist_url = "https://www.surbl.org/surbl-analysis",
     .note = ""},
    {.id = "uribl",
     .name = "URIBL multi",
     .zone = "multi.uribl.com",
     .kind = MM_DNSBL_KIND_DOMAIN,
     .bitmask = true,
     MEANINGS(uribl_bits),
     REFUSALS(uribl_refusals),
     .delist_url = "https://admin.uribl.com/",
     .note = N_("Free for low volume; busy shared resolvers are refused.")},
};

size_t mm_dnsbl_list_count(void)
{
    return sizeof lists / sizeof lists[0];
}

const mm_dnsbl_list *mm_dnsbl_list_get(size_t i)
{
    return i < mm_dnsbl_list_count() ? &lists[i] : NULL;
}

const mm_dnsbl_list *mm_dnsbl_list_find(const char *id)
{
    for (size_t i = 0; id && i < mm_dnsbl_list_count(); i++)
        if (strcmp(lists[i].id, id) == 0)
            return &lists[i];
    return NULL;
}

const char *mm_dnsbl_kind_name(mm_dnsbl_kind k)
{
    return k == MM_DNSBL_KIND_DOMAIN ? "domain" : "ip";
}
