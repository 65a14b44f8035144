/*
 * rhost_ms.c - Microsoft's meanings: Exchange Server, Exchange Online,
 * Outlook.com and Office 365.
 *
 * Two tables.  The first is what Office 365 means by the enhanced codes it
 * writes in its own non-delivery reports (5.4.316, 5.7.50x, ...): it is
 * asked when the report came from Microsoft (the Reporting-MTA or the
 * Generating server is *.outlook.com), and the code alone decides.  The
 * second pairs a code (or a range of detail numbers) with the words
 * Exchange puts beside it, for replies from Microsoft's receiving hosts
 * (*.prod.outlook.com, *.protection.outlook.com).  Both follow Sisimai
 * v5.1.0 (Lhost/Office365.pm's status list, Rhost/Microsoft.pm), which took
 * them from Microsoft's published NDR pages:
 *   https://learn.microsoft.com/en-us/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online
 *   https://learn.microsoft.com/en-us/exchange/mail-flow/non-delivery-reports-and-bounce-messages/non-delivery-reports-and-bounce-messages
 */
#include "bounce_int.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

/* Office 365's own codes: class.subject. and a detail range. */
static const struct {
    const char *prefix; /* "5.4." */
    int lo, hi;         /* detail numbers, inclusive */
    mm_reason_t reason;
} o365_codes[] = {
    {"4.4.", 7, 7, MM_REASON_EXPIRED},
    {"4.4.", 312, 312, MM_REASON_NETWORKERROR},
    {"4.4.", 316, 316, MM_REASON_EXPIRED},
    {"4.7.", 26, 26, MM_REASON_AUTHFAILURE},
    {"4.7.", 500, 699, MM_REASON_BLOCKED},
    {"4.7.", 850, 899, MM_REASON_BLOCKED},
    {"5.0.", 350, 350, MM_REASON_CONTENTERROR},
    {"5.1.", 10, 10, MM_REASON_USERUNKNOWN},
    {"5.4.", 1, 1, MM_REASON_NORELAYING},
    {"5.4.", 6, 6, MM_REASON_NETWORKERROR},
    {"5.4.", 312, 312, MM_REASON_NETWORKERROR},
    {"5.4.", 316, 316, MM_REASON_EXPIRED},
    {"5.6.", 11, 11, MM_REASON_CONTENTERROR},
    {"5.7.", 1, 1, MM_REASON_REJECTED},
    {"5.7.", 12, 13, MM_REASON_REJECTED},
    {"5.7.", 124, 124, MM_REASON_REJECTED},
    {"5.7.", 133, 136, MM_REASON_REJECTED},
    {"5.7.", 23, 23, MM_REASON_BLOCKED},
    {"5.7.", 25, 25, MM_REASON_NETWORKERROR},
    {"5.7.", 501, 503, MM_REASON_SPAMDETECTED},
    {"5.7.", 504, 505, MM_REASON_FILTERED},
    {"5.7.", 506, 507, MM_REASON_BLOCKED},
    {"5.7.", 508, 508, MM_REASON_TOOMANYCONN},
    {"5.7.", 509, 509, MM_REASON_AUTHFAILURE},
    {"5.7.", 510, 510, MM_REASON_NOTACCEPT},
    {"5.7.", 511, 511, MM_REASON_REJECTED},
    {"5.7.", 512, 512, MM_REASON_POLICYVIOLATION},
    {"5.7.", 57, 57, MM_REASON_SECURITYERROR},
    {"5.7.", 606, 649, MM_REASON_BLOCKED},
    {"5.7.", 700, 749, MM_REASON_TOOMANYCONN},
};

/* Replies from Microsoft's receiving hosts: a code, or "X.Y." with a
 * detail range when lo < hi, and the words that go with it. */
typedef struct ms_rule {
    const char *code;
    int lo, hi;
    const char *words;
    mm_reason_t reason;
} ms_rule;

static const ms_rule ms_rules[] = {
    /* authfailure */
    {"4.7.26", 0, 0, "must pass either spf or dkim validation, this message is not signed",
     MM_REASON_AUTHFAILURE},
    {"4.7.323", 0, 0, "tlsa-invalid: the domain failed dane validation", MM_REASON_AUTHFAILURE},
    {"5.7.323", 0, 0, "tlsa-invalid: the domain failed dane validation", MM_REASON_AUTHFAILURE},
    {"4.7.324", 0, 0, "dnssec-invalid: destination domain returned invalid dnssec records",
     MM_REASON_AUTHFAILURE},
    {"5.7.324", 0, 0, "dnssec-invalid: destination domain returned invalid dnssec records",
     MM_REASON_AUTHFAILURE},
    {"4.7.325", 0, 0,
     "certificate-host-mismatch: remote certificate must have a common name or subject alternative "
     "name matching the hostname (dane)",
     MM_REASON_AUTHFAILURE},
    {"5.7.325", 0, 0,
     "certificate-host-mismatch: remote certificate must have a common name or subject alternative "
     "name matching the hostname (dane)",
     MM_REASON_AUTHFAILURE},
    {"5.7.23", 0, 0, "the message was rejected because of sender policy framework violation",
     MM_REASON_AUTHFAILURE},
    {"5.7.322", 0, 0, "certificate-expired: destination mail server's certificate is expired",
     MM_REASON_AUTHFAILURE},
    {"5.7.509", 0, 0, "does not pass dmarc verification", MM_REASON_AUTHFAILURE},
    /* badreputation */
    {"4.7.650", 0, 0, "has been temporarily rate limited due to ip reputation",
     MM_REASON_BADREPUTATION},
    /* blocked */
    {"4.4.2", 0, 0, "connection dropped", MM_REASON_BLOCKED},
    {"4.7.", 850, 899, "access denied, please try again later", MM_REASON_BLOCKED},
    {"5.7.25", 0, 0, "must have a reverse dns record", MM_REASON_BLOCKED},
    {"5.7.506", 0, 0, "access denied, bad helo", MM_REASON_BLOCKED},
    {"5.7.507", 0, 0, "access denied, rejected by recipient", MM_REASON_BLOCKED},
    {"5.7.510", 0, 0, "does not accept email over ipv6", MM_REASON_BLOCKED},
    {"5.7.511", 0, 0, "access denied, banned sender", MM_REASON_BLOCKED},
    {"5.7.513", 0, 0, "using customer block list", MM_REASON_BLOCKED},
    {"5.7.", 606, 649, "access denied, banned sending ip ", MM_REASON_BLOCKED},
    {"4.7.", 500, 699, "access denied, please try again later", MM_REASON_BLOCKED},
    {"5.5.4", 0, 0, "invalid domain name", MM_REASON_BLOCKED},
    {"5.7.51", 0, 0, "restrictdomainstoipaddresses or restrictdomainstocertificate",
     MM_REASON_BLOCKED},
    {"5.7.1", 0, 0, "part of their network is on our block list (s3150)", MM_REASON_BLOCKED},
    /* contenterror */
    {"5.3.0", 0, 0, "too many related errors", MM_REASON_CONTENTERROR},
    {"5.6.11", 0, 0, "invalid characters", MM_REASON_CONTENTERROR},
    {"5.4.11", 0, 0, "agent generated message depth exceeded", MM_REASON_CONTENTERROR},
    {"5.5.6", 0, 0, "invalid message content", MM_REASON_CONTENTERROR},
    /* exceedlimit */
    {"5.2.3", 0, 0, "resolver.rst.recipsizelimit; message too large for this recipient",
     MM_REASON_EXCEEDLIMIT},
    /* expired */
    {"4.4.1", 0, 0, "connection timed out", MM_REASON_EXPIRED},
    {"4.4.7", 0, 0, "message delayed", MM_REASON_EXPIRED},
    {"4.4.7", 0, 0, "queue expired; message expired", MM_REASON_EXPIRED},
    {"4.4.7", 0, 0, "message expired", MM_REASON_EXPIRED},
    {"5.4.300", 0, 0, "message expired", MM_REASON_EXPIRED},
    /* mailboxfull */
    {"5.2.2", 0, 0, "mailbox full", MM_REASON_MAILBOXFULL},
    /* mesgtoobig */
    {"5.3.4", 0, 0, "message size exceeds fixed maximum message size", MM_REASON_MESGTOOBIG},
    {"5.3.4", 0, 0, "message too big for system", MM_REASON_MESGTOOBIG},
    /* networkerror */
    {"5.4.4", 0, 0, "smtpsend.dns.nonexistentdomain; nonexistent domain", MM_REASON_NETWORKERROR},
    {"5.4.6", 0, 0, "hop count exceeded - possible mail loop", MM_REASON_NETWORKERROR},
    {"4.4.316", 0, 0, "connection refused", MM_REASON_NETWORKERROR},
    {"5.4.4", 0, 0, "invalid arguments", MM_REASON_NETWORKERROR},
    {"5.4.6", 0, 0, "routing loop detected", MM_REASON_NETWORKERROR},
    {"5.4.14", 0, 0, "routing loop detected", MM_REASON_NETWORKERROR},
    /* norelaying (5.7.1 "client was not authenticated" is securityerror below) */
    {"5.7.1", 0, 0, "unable to relay", MM_REASON_NORELAYING},
    {"5.4.1", 0, 0, "relay access denied", MM_REASON_NORELAYING},
    {"5.7.64", 0, 0, "tenantattribution; relay access denied", MM_REASON_NORELAYING},
    {"5.4.310", 0, 0, "does not exist", MM_REASON_NORELAYING},
    /* notaccept */
    {"4.3.2", 0, 0, "system not accepting network messages", MM_REASON_NOTACCEPT},
    {"5.3.2", 0, 0, "storedrv.deliver: missing or bad storedriver mdb properties",
     MM_REASON_NOTACCEPT},
    /* policyviolation */
    {"5.0.350", 0, 0, "x-dg-ref header is too long", MM_REASON_POLICYVIOLATION},
    {"5.0.350", 0, 0, "requested action not taken: policy violation detected (as345)",
     MM_REASON_POLICYVIOLATION},
    {"5.7.", 900, 999, "delivery not authorized, message refused", MM_REASON_POLICYVIOLATION},
    /* rejected */
    {"5.1.7", 0, 0, "invalid address", MM_REASON_REJECTED},
    {"5.1.7", 0, 0, "unknown sender address", MM_REASON_REJECTED},
    {"5.1.0", 0, 0, "sender denied", MM_REASON_REJECTED},
    {"5.1.8", 0, 0, "access denied, bad outbound sender", MM_REASON_REJECTED},
    {"5.7.1", 0, 0, "delivery not authorized", MM_REASON_REJECTED},
    {"5.7.12", 0, 0, "sender was not authenticated by organization", MM_REASON_REJECTED},
    {"5.7.124", 0, 0, "sender not in allowed-senders list", MM_REASON_REJECTED},
    {"5.7.133", 0, 0, "sender not authenticated for group", MM_REASON_REJECTED},
    {"5.7.134", 0, 0, "sender was not authenticated for mailbox", MM_REASON_REJECTED},
    {"5.7.13", 0, 0, "sender was not authenticated for public folder", MM_REASON_REJECTED},
    {"5.7.135", 0, 0, "sender was not authenticated for public folder", MM_REASON_REJECTED},
    {"5.7.136", 0, 0, "sender was not authenticated", MM_REASON_REJECTED},
    {"5.7.", 501, 503, "access denied, spam abuse detected", MM_REASON_REJECTED},
    {"5.7.512", 0, 0, "access denied, message must be rfc 5322 section 3.6.2 compliant",
     MM_REASON_REJECTED},
    {"5.7.750", 0, 0, "service unavailable. client blocked from sending from unregistered domains",
     MM_REASON_REJECTED},
    {"5.7.", 501, 503, "access denied, banned sender", MM_REASON_REJECTED},
    /* securityerror */
    {"5.7.3", 0, 0, "cannot achieve exchange server authentication", MM_REASON_SECURITYERROR},
    {"5.7.3", 0, 0, "not authorized", MM_REASON_SECURITYERROR},
    {"4.4.317", 0, 0, "starttls is required to send mail", MM_REASON_SECURITYERROR},
    {"5.4.317", 0, 0, "starttls is required to send mail", MM_REASON_SECURITYERROR},
    {"4.7.321", 0, 0,
     "starttls-not-supported: destination mail server must support tls to receive mail",
     MM_REASON_SECURITYERROR},
    {"5.7.321", 0, 0,
     "starttls-not-supported: destination mail server must support tls to receive mail",
     MM_REASON_SECURITYERROR},
    {"5.7.1", 0, 0, "client was not authenticated", MM_REASON_SECURITYERROR},
    {"5.7.57", 0, 0, "client was not authenticated to send anonymous mail during mail from",
     MM_REASON_SECURITYERROR},
    /* spamdetected */
    {"5.2.1", 0, 0, "content filter agent quarantined this message", MM_REASON_SPAMDETECTED},
    /* speeding */
    {"4.3.2", 0, 0, "storedrv.deliver; recipient thread limit exceeded", MM_REASON_SPEEDING},
    {"5.1.90", 0, 0,
     "your message can't be sent because you've reached your daily limit for message recipients",
     MM_REASON_SPEEDING},
    {"5.2.2", 0, 0, "submission quota exceeded", MM_REASON_SPEEDING},
    {"5.2.121", 0, 0, "recipient's per hour message receive limit from specific sender exceeded",
     MM_REASON_SPEEDING},
    {"5.2.122", 0, 0, "recipient's per hour message receive limit exceeded", MM_REASON_SPEEDING},
    {"5.7.508", 0, 0, "has exceeded permitted limits within", MM_REASON_SPEEDING},
    {"5.7.", 700, 749, "access denied, tenant has exceeded threshold", MM_REASON_SPEEDING},
    {"5.7.", 700, 749, "access denied, traffic not accepted from this ip", MM_REASON_SPEEDING},
    /* suspend */
    {"5.7.504", 0, 0, "recipient address rejected: access denied", MM_REASON_SUSPEND},
    {"5.7.505", 0, 0, "access denied, banned recipient", MM_REASON_SUSPEND},
    {"5.2.1", 0, 0, "mailbox cannot be accessed", MM_REASON_SUSPEND},
    /* syntaxerror */
    {"5.3.3", 0, 0, "unrecognized command", MM_REASON_SYNTAXERROR},
    {"5.5.2", 0, 0, "send hello first", MM_REASON_SYNTAXERROR},
    /* systemerror */
    {"4.3.2", 0, 0, "service not available", MM_REASON_SYSTEMERROR},
    {"4.3.2", 0, 0, "service not active", MM_REASON_SYSTEMERROR},
    {"5.3.5", 0, 0, "system incorrectly configured", MM_REASON_SYSTEMERROR},
    {"5.3.190", 0, 0,
     "journaling on-premises messages to microsoft 365 or office 365 not supported when journaling "
     "archive is disabled",
     MM_REASON_SYSTEMERROR},
    {"5.0.0", 0, 0, "helo / ehlo requires domain address", MM_REASON_SYSTEMERROR},
    {"5.1.4", 0, 0, "destination mailbox address ambiguous", MM_REASON_SYSTEMERROR},
    {"5.2.4", 0, 0, "mailing list expansion problem", MM_REASON_SYSTEMERROR},
    {"5.2.14", 0, 0, "misconfigured forwarding address", MM_REASON_SYSTEMERROR},
    {"4.4.3", 0, 0, "temporary server error. please try again later attr18", MM_REASON_SYSTEMERROR},
    {"4.7.0", 0, 0,
     "temporary server error. please try again later. prx4 nexthop:", MM_REASON_SYSTEMERROR},
    {"4.4.24", 0, 0,
     "message failed to be replicated: insufficient system resource:", MM_REASON_SYSTEMERROR},
    {"4.4.25", 0, 0,
     "message failed to be replicated: no healthy secondary server available to accept replica at "
     "this time.",
     MM_REASON_SYSTEMERROR},
    {"4.4.28", 0, 0, "message failed to be replicated: the operation was canceled",
     MM_REASON_SYSTEMERROR},
    {"4.4.318", 0, 0, "(suspiciousremoteservererror)", MM_REASON_SYSTEMERROR},
    {"5.4.318", 0, 0, "(suspiciousremoteservererror)", MM_REASON_SYSTEMERROR},
    {"4.7.500", 0, 0, "server busy. please try again later from ", MM_REASON_SYSTEMERROR},
    {"4.7.700", 0, 0, "pfa agent busy, please try again.", MM_REASON_SYSTEMERROR},
    /* systemfull */
    {"4.3.1", 0, 0, "insufficient system resources", MM_REASON_SYSTEMFULL},
    /* toomanyconn */
    {"5.5.3", 0, 0, "too many recipients", MM_REASON_TOOMANYCONN},
    {"4.5.3", 0, 0, "too many recipients", MM_REASON_TOOMANYCONN},
    {"5.2.122", 0, 0, "the recipient has exceeded their limit for", MM_REASON_TOOMANYCONN},
    /* userunknown */
    {"5.1.1", 0, 0, "resolver.adr.exrecipnotfound; not found", MM_REASON_USERUNKNOWN},
    {"5.1.1", 0, 0, "user unknown", MM_REASON_USERUNKNOWN},
    {"5.1.3", 0, 0, "storedrv.submit; invalid recipient address", MM_REASON_USERUNKNOWN},
    {"5.1.", 4, 5, "recipient address reserved by rfc 2606", MM_REASON_USERUNKNOWN},
    {"5.1.6", 0, 0, "recipient addresses in single label domains not accepted",
     MM_REASON_USERUNKNOWN},
    {"5.1.1", 0, 0, "bad destination mailbox address", MM_REASON_USERUNKNOWN},
    {"5.1.10", 0, 0, "recipient not found", MM_REASON_USERUNKNOWN},
    /* the same with the address between the words: "RESOLVER.ADR.
     * RecipientNotFound; Recipient a@b not found by SMTP address lookup" */
    {"5.1.10", 0, 0, "resolver.adr.recipientnotfound", MM_REASON_USERUNKNOWN},
    {"5.4.1", 0, 0, "recipient address rejected: access denied", MM_REASON_USERUNKNOWN},
    {"5.5.0", 0, 0, "requested action not taken: mailbox unavailable", MM_REASON_USERUNKNOWN},
    {"5.1.2", 0, 0, "invalid x.400 address", MM_REASON_USERUNKNOWN},
};

/* The detail number of "5.7.509" (509), or -1 if st is not a code. */
static int detail_of(const char *st)
{
    if (strlen(st) < 5 || st[1] != '.' || st[3] != '.')
        return -1;
    char *end;
    long d = strtol(st + 4, &end, 10);
    return (*end || end == st + 4 || d < 0 || d > 999) ? -1 : (int)d;
}

static bool host_is_microsoft(const char *host)
{
    size_t n = strlen(host);
    return n > 12 && strncasecmp(host + n - 12, ".outlook.com", 12) == 0;
}

mm_reason_t mm_rhost_office365(const mm_rcpt *rc)
{
    const char *st = rc->pub.status;
    /* the host first: most reports are not Office 365's, and its test is
     * cheaper than reading the detail number */
    if (!host_is_microsoft(rc->pub.reporting_mta))
        return MM_REASON_UNDEFINED;
    int detail = detail_of(st);
    if (detail < 0)
        return MM_REASON_UNDEFINED;
    for (size_t i = 0; i < sizeof o365_codes / sizeof o365_codes[0]; i++)
        if (strncmp(st, o365_codes[i].prefix, 4) == 0 && detail >= o365_codes[i].lo &&
            detail <= o365_codes[i].hi)
            return o365_codes[i].reason;
    return MM_REASON_UNDEFINED;
}

mm_reason_t mm_rhost_microsoft(const mm_rcpt *rc, const char *lower)
{
    const char *st = rc->pub.status;
    int detail = detail_of(st);
    if (detail < 0)
        return MM_REASON_UNDEFINED;
    for (size_t i = 0; i < sizeof ms_rules / sizeof ms_rules[0]; i++) {
        const ms_rule *m = &ms_rules[i];
        if (m->lo == m->hi
                ? strcmp(st, m->code) != 0
                : (strncmp(st, m->code, strlen(m->code)) != 0 || detail < m->lo || detail > m->hi))
            continue;
        if (strstr(lower, m->words))
            return m->reason;
    }
    return MM_REASON_UNDEFINED;
}
