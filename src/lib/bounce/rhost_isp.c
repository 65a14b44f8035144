/*
 * rhost_isp.c - rules of mailbox providers and mail filters that publish
 * their own error codes or fixed wordings: Apple iCloud Mail, Cox, GoDaddy,
 * i.ua, au/KDDI, Mimecast and Spectrum (Charter), and, newer than the
 * reference labels, Aol and MessageLabs (Broadcom Email Security.cloud).
 *
 * Each provider is one table.  A code table is looked up first where the
 * provider puts a code in its replies (Cox "AUP#CXBL", GoDaddy "IB212",
 * i.ua "mail.i.ua/err/3/", Spectrum "AUP#I1010"); then a list of lower-case
 * words, in order, first match wins.  The rows follow Sisimai v5.1.0
 * (lib/Sisimai/Rhost/, one module per provider, in p5-sisimai), which cites each provider's
 * published page; Aol's and MessageLabs' rows come from Sisimai v5.2 and
 * are asked only when rhost.c allows rules newer than v5.1 (their reasons, e.g.
 * "failedstarttls", postdate the labels the corpus is scored against).
 */
#include "bounce_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

typedef struct words {
    const char *words;
    mm_reason_t reason;
} words;

static mm_reason_t by_words(const words *w, const char *lower)
{
    for (; w->words; w++)
        if (strstr(lower, w->words))
            return w->reason;
    return MM_REASON_UNDEFINED;
}

/* Apple iCloud Mail: https://support.apple.com/en-us/102322 */
static const words apple_words[] = {
    {"'s dmarc policy", MM_REASON_AUTHFAILURE},
    {"blocked for failing both spf and dkim autentication checks", MM_REASON_AUTHFAILURE},
    {"rejected due to having a domain present in the spamhaus", MM_REASON_BLOCKED},
    {"rejected due to listing in spamhaus", MM_REASON_BLOCKED},
    {"blocked - see https://support.proofpoint.com/dnsbl-lookup", MM_REASON_BLOCKED},
    {"not accepting connections", MM_REASON_BLOCKED},
    {"recipient no longer on server", MM_REASON_HASMOVED},
    {"user is over quota", MM_REASON_MAILBOXFULL},
    {"relay access denied", MM_REASON_NORELAYING},
    {"host/domain does not accept mail", MM_REASON_NOTACCEPT},
    {"due to local policy", MM_REASON_POLICYVIOLATION},
    {"sender address rejected", MM_REASON_REJECTED},
    {"due to excessive volume", MM_REASON_SPEEDING},
    {"inactive email address", MM_REASON_USERUNKNOWN},
    {"user does not exist", MM_REASON_USERUNKNOWN},
    {"unknown or illegal alias", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

mm_reason_t mm_rhost_apple(const mm_rcpt *rc, const char *lower)
{
    (void)rc;
    return by_words(apple_words, lower);
}

/* Cox: https://www.cox.com/residential/support/email-error-codes.html */
static const words cox_codes[] = {
    {"CXBL", MM_REASON_BLOCKED},           {"CXDNS", MM_REASON_REQUIREPTR},
    {"CXSNDR", MM_REASON_AUTHFAILURE},     {"CXSMTP", MM_REASON_REJECTED},
    {"CXCNCT", MM_REASON_TOOMANYCONN},     {"CXMXRT", MM_REASON_TOOMANYCONN},
    {"CDRBL", MM_REASON_BLOCKED},          {"CXTHRT", MM_REASON_SECURITYERROR},
    {"CXMJ", MM_REASON_SECURITYERROR},     {"IPBL0001", MM_REASON_BLOCKED},
    {"IPBL0010", MM_REASON_BLOCKED},       {"IPBL0100", MM_REASON_BLOCKED},
    {"IPBL0011", MM_REASON_BLOCKED},       {"IPBL0101", MM_REASON_BLOCKED},
    {"IPBL0110", MM_REASON_BLOCKED},       {"IPBL0111", MM_REASON_BLOCKED},
    {"IPBL1000", MM_REASON_BLOCKED},       {"IPBL1001", MM_REASON_BLOCKED},
    {"IPBL1010", MM_REASON_BLOCKED},       {"IPBL1011", MM_REASON_BLOCKED},
    {"IPBL1100", MM_REASON_BLOCKED},       {"IPBL1101", MM_REASON_BLOCKED},
    {"IPBL1110", MM_REASON_BLOCKED},       {"IPBL1111", MM_REASON_BLOCKED},
    {"IPBL00001", MM_REASON_BLOCKED},      {"URLBL011", MM_REASON_SPAMDETECTED},
    {"URLBL101", MM_REASON_SPAMDETECTED},  {"URLBL110", MM_REASON_SPAMDETECTED},
    {"URLBL1001", MM_REASON_SPAMDETECTED}, {NULL, MM_REASON_UNDEFINED},
};
static const words cox_words[] = {
    {"cox too many bad commands from", MM_REASON_BLOCKED},
    {"too many invalid recipients", MM_REASON_BLOCKED},
    {"dns check failure - try again later", MM_REASON_REQUIREPTR},
    {"rejected - no rdns", MM_REASON_REQUIREPTR},
    {"esmtp no data before greeting", MM_REASON_POLICYVIOLATION},
    {"attachment extension is forbidden", MM_REASON_POLICYVIOLATION},
    {"sender rejected", MM_REASON_REJECTED},
    {"esmtp server temporarily not available", MM_REASON_SYSTEMERROR},
    {"too many sessions from", MM_REASON_TOOMANYCONN},
    {"requested action aborted: try again later", MM_REASON_TOOMANYCONN},
    {"message threshold exceeded", MM_REASON_TOOMANYCONN},
    {"recipient rejected", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

/* The code after a marker such as "AUP#" or " IB": upper-case letters and
 * digits, copied to out[16]; false if none. */
static bool code_after(const char *text, const char *marker, char out[16])
{
    const char *p = strstr(text, marker);
    if (!p)
        return false;
    p += strlen(marker);
    size_t n = 0;
    while (n < 15 && (isupper((unsigned char)p[n]) || isdigit((unsigned char)p[n])))
        n++;
    memcpy(out, p, n);
    out[n] = '\0';
    return n > 0;
}

static mm_reason_t by_code(const words *w, const char *code)
{
    for (; w->words; w++)
        if (strcmp(code, w->words) == 0)
            return w->reason;
    return MM_REASON_UNDEFINED;
}

mm_reason_t mm_rhost_cox(const mm_rcpt *rc, const char *lower)
{
    char code[16];
    if (code_after(rc->pub.diagnostic, "AUP#", code)) {
        mm_reason_t r = by_code(cox_codes, code);
        if (r != MM_REASON_UNDEFINED)
            return r;
    }
    return by_words(cox_words, lower);
}

/* GoDaddy: https://www.godaddy.com/help/what-does-my-email-bounceback-mean-3568 */
static const words godaddy_codes[] = {
    {"IB401", MM_REASON_SECURITYERROR},   {"IB501", MM_REASON_NOTCOMPLIANTRFC},
    {"IB502", MM_REASON_NOTCOMPLIANTRFC}, {"IB506", MM_REASON_REJECTED},
    {"IB508", MM_REASON_AUTHFAILURE},     {"IB108", MM_REASON_REQUIREPTR},
    {"IB212", MM_REASON_SPAMDETECTED},    {"IB705", MM_REASON_VIRUSDETECTED},
    {"IB605", MM_REASON_TOOMANYCONN},     {"IB007", MM_REASON_TOOMANYCONN},
    {"IB101", MM_REASON_SPEEDING},        {"IB110", MM_REASON_BLOCKED},
    {"IB111", MM_REASON_BLOCKED},         {"IB112", MM_REASON_BLOCKED},
    {"IB113", MM_REASON_BLOCKED},         {"IB504", MM_REASON_SPEEDING},
    {"IB510", MM_REASON_SPEEDING},        {"IB607", MM_REASON_SPEEDING},
    {"IB103", MM_REASON_BADREPUTATION},   {"IB104", MM_REASON_BLOCKED},
    {"IB105", MM_REASON_BLOCKED},         {"IB106", MM_REASON_BLOCKED},
    {NULL, MM_REASON_UNDEFINED},
};
static const words godaddy_words[] = {
    {"rbl reject", MM_REASON_BLOCKED},
    {"www.spamhaus.org/query/bl?ip=", MM_REASON_BLOCKED},
    {"has been in the queue too long", MM_REASON_EXPIRED},
    {"delivery timeout", MM_REASON_EXPIRED},
    {"account storage limit", MM_REASON_MAILBOXFULL},
    {"message rejected for spam or virus content", MM_REASON_SPAMDETECTED},
    {"account disabled", MM_REASON_SUSPEND},
    {"message is looping", MM_REASON_SYSTEMERROR},
    {"recipient not found", MM_REASON_USERUNKNOWN},
    {"account does not exist", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

mm_reason_t mm_rhost_godaddy(const mm_rcpt *rc, const char *lower)
{
    char code[16];
    const char *d = rc->pub.diagnostic;
    const char *ib = strstr(d, " IB");
    if (ib && ib > d + 1 && code_after(ib, " ", code)) {
        code[5] = '\0';
        mm_reason_t r = by_code(godaddy_codes, code);
        if (r != MM_REASON_UNDEFINED)
            return r;
    }
    return by_words(godaddy_words, lower);
}

/* i.ua: https://mail.i.ua/err/$(CODE) */
mm_reason_t mm_rhost_iua(const mm_rcpt *rc, const char *lower)
{
    static const mm_reason_t codes[] = {
        MM_REASON_UNDEFINED,   MM_REASON_NORELAYING,  MM_REASON_USERUNKNOWN, MM_REASON_SUSPEND,
        MM_REASON_MAILBOXFULL, MM_REASON_TOOMANYCONN, MM_REASON_NORELAYING,  MM_REASON_BLOCKED,
        MM_REASON_REJECTED,    MM_REASON_BLOCKED,     MM_REASON_FILTERED,
    };
    (void)rc;
    const char *p = strstr(lower, ".i.ua/err/");
    if (!p || p == lower)
        return MM_REASON_UNDEFINED;
    char *end;
    long code = strtol(p + 10, &end, 10);
    if (end == p + 10 || end > p + 12 || code < 1 || code > 10)
        return MM_REASON_UNDEFINED;
    return codes[code];
}

/* au (KDDI): the same "user unknown" means a filter when no address precedes it. */
static const words kddi_words[] = {
    {"550 : user unknown", MM_REASON_FILTERED},
    {">: user unknown", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

mm_reason_t mm_rhost_kddi(const mm_rcpt *rc, const char *lower)
{
    (void)rc;
    return by_words(kddi_words, lower);
}

/* Mimecast: https://community.mimecast.com/s/article/Mimecast-SMTP-Error-Codes-842605754
 * The reply code must match as well as the words. */
static const struct {
    int reply;
    const char *words;
    mm_reason_t reason;
} mimecast_rules[] = {
    {550, "spf sender invalid - envelope rejected", MM_REASON_AUTHFAILURE},
    {550, "dkim sender invalid - envelope rejected", MM_REASON_AUTHFAILURE},
    {550, "dmarc sender invalid - envelope rejected", MM_REASON_AUTHFAILURE},
    {451, "internal resources are temporarily unavailable", MM_REASON_BADREPUTATION},
    {550, "local ct ip reputation - (reject)", MM_REASON_BADREPUTATION},
    {421, "sender address blocked", MM_REASON_BLOCKED},
    {451, "recipient temporarily unavailable", MM_REASON_BLOCKED},
    {451, "ip temporarily blacklisted", MM_REASON_BLOCKED},
    {554, "maximum email size exceeded", MM_REASON_MESGTOOBIG},
    {554, "mail loop detected", MM_REASON_NETWORKERROR},
    {451, "open relay not allowed", MM_REASON_NORELAYING},
    {451, "account inbounds disabled", MM_REASON_NOTACCEPT},
    {451, "account outbounds disabled", MM_REASON_ONHOLD},
    {451, "hostname is not authorized", MM_REASON_ONHOLD},
    {550, "journal message past expiration", MM_REASON_ONHOLD},
    {550, "anti-spoofing policy - inbound not allowed", MM_REASON_POLICYVIOLATION},
    {550, "rejected by header-based anti-spoofing policy", MM_REASON_POLICYVIOLATION},
    {550, "message bounced due to content examination policy", MM_REASON_POLICYVIOLATION},
    {554, "host network not allowed", MM_REASON_POLICYVIOLATION},
    {550, "administrative prohibition envelope blocked", MM_REASON_REJECTED},
    {550, "envelope blocked \xe2\x80\x93 user entry", MM_REASON_REJECTED},
    {550, "envelope blocked \xe2\x80\x93 user domain entry", MM_REASON_REJECTED},
    {550, "rejected by header-based manually blocked senders - block for manual block",
     MM_REASON_REJECTED},
    {550, "rejected by header-based blocked senders - block policy for header from",
     MM_REASON_REJECTED},
    {550, "envelope rejected - block policy for envelope from address", MM_REASON_REJECTED},
    {535, "incorrect authentication data", MM_REASON_SECURITYERROR},
    {550, "submitter failed to disabled", MM_REASON_SECURITYERROR},
    {553, "this route requires encryption (tls)", MM_REASON_SECURITYERROR},
    {553, "this route requires tls version 1.2 or greater", MM_REASON_SECURITYERROR},
    {553, "this route requires high-strength ciphers", MM_REASON_SECURITYERROR},
    {554, "configuration is invalid for this certificate", MM_REASON_SECURITYERROR},
    {451, "unable to process connection at this time", MM_REASON_SYSTEMERROR},
    {451, "message ended early", MM_REASON_SYSTEMERROR},
    {451, "unable to process command", MM_REASON_SYSTEMERROR},
    {451, "unable to process an email at this time", MM_REASON_SYSTEMERROR},
    {451, "account service is temporarily unavailable", MM_REASON_TOOMANYCONN},
    {452, "too many recipients", MM_REASON_TOOMANYCONN},
    {550, "exceeding outbound thread limit", MM_REASON_TOOMANYCONN},
    {501, "invalid address", MM_REASON_USERUNKNOWN},
    {503, "user unknown", MM_REASON_USERUNKNOWN},
    {550, "invalid recipient", MM_REASON_USERUNKNOWN},
    {554, "email rejected due to security policies", MM_REASON_VIRUSDETECTED},
};

mm_reason_t mm_rhost_mimecast(const mm_rcpt *rc, const char *lower)
{
    for (size_t i = 0; i < sizeof mimecast_rules / sizeof mimecast_rules[0]; i++)
        if (mimecast_rules[i].reply == rc->pub.reply_code && strstr(lower, mimecast_rules[i].words))
            return mimecast_rules[i].reason;
    return MM_REASON_UNDEFINED;
}

/* Spectrum (Charter): "AUP#I1010" or "AUP#O1100"; the four digits, alone
 * or within a range, give the reason.
 * https://www.spectrumbusiness.net/support/internet/understanding-email-error-codes */
mm_reason_t mm_rhost_spectrum(const mm_rcpt *rc, const char *lower)
{
    static const struct {
        int lo, hi;
        mm_reason_t reason;
    } codes[] = {
        {1000, 1000, MM_REASON_BLOCKED},         {1010, 1010, MM_REASON_REJECTED},
        {1020, 1080, MM_REASON_REJECTED},        {1090, 1090, MM_REASON_SYSTEMERROR},
        {1100, 1150, MM_REASON_REQUIREPTR},      {1160, 1190, MM_REASON_POLICYVIOLATION},
        {1200, 1210, MM_REASON_BLOCKED},         {1220, 1250, MM_REASON_BLOCKED},
        {1260, 1260, MM_REASON_NETWORKERROR},    {1300, 1340, MM_REASON_TOOMANYCONN},
        {1350, 1490, MM_REASON_SPEEDING},        {1500, 1500, MM_REASON_REJECTED},
        {1520, 1520, MM_REASON_REJECTED},        {1530, 1530, MM_REASON_MESGTOOBIG},
        {1540, 1540, MM_REASON_SPEEDING},        {1550, 1550, MM_REASON_SPEEDING},
        {1560, 1560, MM_REASON_POLICYVIOLATION}, {1580, 1580, MM_REASON_SPEEDING},
    };
    (void)lower;
    const char *p = strstr(rc->pub.diagnostic, "AUP#");
    if (!p)
        return MM_REASON_UNDEFINED;
    p += 4;
    while (isalpha((unsigned char)*p) || *p == '-')
        p++;
    if (strspn(p, "0123456789") < 4)
        return MM_REASON_UNDEFINED;
    int code = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (code >= codes[i].lo && code <= codes[i].hi)
            return codes[i].reason;
    return MM_REASON_UNDEFINED;
}

/* Aol Mail (Sisimai v5.2): case-sensitive wordings. */
static const words aol_words[] = {
    {"Host or domain name not found", MM_REASON_HOSTUNKNOWN},
    {"type=MX: Malformed or unexpected name server reply", MM_REASON_NOTACCEPT},
    {NULL, MM_REASON_UNDEFINED},
};

mm_reason_t mm_rhost_aol(const mm_rcpt *rc, const char *lower)
{
    (void)lower;
    return by_words(aol_words, rc->pub.diagnostic);
}

/* Broadcom Email Security.cloud, formerly MessageLabs (Sisimai v5.2):
 * https://knowledge.broadcom.com/external/article/169652 */
static const words messagelabs_words[] = {
    {"domain authentication fail", MM_REASON_AUTHFAILURE},
    {"connection rejected by policy", MM_REASON_BADREPUTATION},
    {"mail rejected because your ip is in the pbl", MM_REASON_BLOCKED},
    {"your ip address has been ", MM_REASON_BLOCKED},
    {"your ip address (ip-addr) has been blocked", MM_REASON_BLOCKED},
    {"your email address (addr) has been blocked", MM_REASON_BLOCKED},
    {"stray linefeeds in message", MM_REASON_CONTENTERROR},
    {"tls/sslv3 connection required", MM_REASON_FAILEDSTARTTLS},
    {" as a relay, ", MM_REASON_NORELAYING},
    {"550 requested action aborted [4]", MM_REASON_NOTCOMPLIANTRFC},
    {"has detected that this message is not rfc 5322", MM_REASON_NOTCOMPLIANTRFC},
    {"sender envelope domain not allowed for sender ip address", MM_REASON_REJECTED},
    {"your domain has been blocked", MM_REASON_REJECTED},
    {"your email address has been blocked", MM_REASON_REJECTED},
    {"your envelope sender is in my badmailfrom list", MM_REASON_REJECTED},
    {"your email address has been blacklisted", MM_REASON_REJECTED},
    {"your domain has been blacklisted", MM_REASON_REJECTED},
    {"please turn on smtp authentication in your mail client", MM_REASON_SECURITYERROR},
    {"message filtered", MM_REASON_SPAMDETECTED},
    {"filtered by outbound scanning", MM_REASON_SPAMDETECTED},
    {"too many recipients received this hour", MM_REASON_TOOMANYCONN},
    {"too many messages", MM_REASON_TOOMANYCONN},
    {"no such user", MM_REASON_USERUNKNOWN},
    {"invalid recipient", MM_REASON_USERUNKNOWN},
    {"mailbox is not allowed", MM_REASON_USERUNKNOWN},
    {NULL, MM_REASON_UNDEFINED},
};

mm_reason_t mm_rhost_messagelabs(const mm_rcpt *rc, const char *lower)
{
    (void)rc;
    return by_words(messagelabs_words, lower);
}
