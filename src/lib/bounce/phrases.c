/*
 * phrases.c - what receivers' words mean: reason <- phrase tables.
 *
 * Each reason has one list of lower-case patterns.  A pattern matches when
 * it occurs in the lower-cased diagnostic text; '*' inside a pattern stands
 * for any run of characters (so "user * not found" matches "user abc not
 * found").  The lists hold SMTP reply wording as receivers write it; keep
 * each phrase specific enough not to match another reason's text.
 *
 * The passes ask the reasons in a fixed order (first match wins), the order
 * the reference decoder uses, so that results compare.
 *
 * When you change a list, run the corpus evaluation (tests/corpus) and the
 * unit tests in tests/bounce.
 */
#include "bounce_int.h"

#include <string.h>

#define LIST(name, ...) static const char *const name[] = {__VA_ARGS__, NULL}

LIST(p_mailboxfull, "mailbox full", "mailbox is full", "mailbox size limit exceeded",
     "over quota", "quota exceeded", "exceeded storage allocation", "mailbox is over quota",
     "insufficient disk space", "user is over quota", "mailfolder is full",
     "account is over quota", "exceed the quota", "too much mail data", "disk quota exceeded");
LIST(p_mesgtoobig, "message too large", "message size exceeds", "message is too large",
     "message too big", "exceeds size limit", "size limit exceeded", "message size limit",
     "mail size limit exceeded", "exceeded maximum inbound message size",
     "exceeded mailsize limit");
LIST(p_exceedlimit, "message too large for this recipient", "too many recipients",
     "recipient count exceeded");
LIST(p_suspend, "account disabled", "mailbox disabled", "account has been disabled",
     "is disabled", "user suspended", "account suspended", "mailbox is inactive",
     "is a deactivated mailbox", "mailbox unavailable", "account is inactive",
     "recipient suspended", "not active");
LIST(p_hasmoved, "address has moved", "has been moved", "no longer on server",
     "user has moved");
LIST(p_norelaying, "relay access denied", "relaying denied", "relay not permitted",
     "relaying not allowed", "we do not relay", "not permitted to relay", "unable to relay",
     "relay denied", "is not an open relay");
LIST(p_userunknown, "user unknown", "unknown user", "no such user", "user not found",
     "mailbox not found", "no mailbox", "recipient unknown", "unknown recipient",
     "does not exist", "no such mailbox", "invalid recipient", "recipient rejected",
     "address rejected", "mailbox unavailable", "not a valid mailbox", "invalid mailbox",
     "user doesn't exist", "user does not exist", "no such recipient",
     "recipient address rejected", "addressee unknown", "unknown address",
     "unknown local part", "invalid user", "not our customer", "account does not exist",
     "mailbox does not exist", "bad recipient", "user not exist", "dosn't exist",
     "unrouteable address", "no such person", "not listed in", "unknown or illegal alias");
LIST(p_filtered, "due to extended inactivity", "message filtered", "rejected by recipients",
     "mail is rejected by recipients", "because the recipient is not accepting mail",
     "rejected by the recipient");
LIST(p_rejected, "sender rejected", "domain of sender address", "sender address rejected",
     "sender verify failed", "sender not allowed", "envelope sender", "rejected sender",
     "sender is rejected", "address rejected: domain not found", "mail from",
     "fake sender", "sender domain must exist");
LIST(p_hostunknown, "host unknown", "host not found", "domain not found", "no such domain",
     "unknown host", "name service error", "domain does not exist", "unrouteable mail domain",
     "recipient domain", "no mx record", "domain name not found");
LIST(p_spamdetected, "spam", "junk mail", "ube", "content rejected",
     "message content rejected", "mail content denied", "detected as bulk",
     "rejected due to content");
LIST(p_toomanyconn, "too many connections", "connection frequency limited",
     "too many concurrent", "throttled", "too many sessions");
LIST(p_blocked, "blocked", "blacklist", "blocklist", "listed at", "listed on", "rbl",
     "spamhaus", "poor reputation", "client host rejected", "ip frequency limited",
     "connection refused", "access denied", "dnsbl", "banned");
LIST(p_policyviolation, "policy violation", "policy reasons", "violates", "prohibited",
     "illegal attachment");
LIST(p_virusdetected, "virus", "malware", "infected");
LIST(p_securityerror, "authentication required", "tls required", "must issue a starttls",
     "encryption required", "security policy");
LIST(p_systemerror, "system error", "internal error", "server error", "local error",
     "temporary failure", "service unavailable", "try again later", "routing loop",
     "mail loop", "too many hops");
LIST(p_networkerror, "network error", "could not connect", "connection timed out",
     "timed out", "no route to host", "unable to connect", "connection reset",
     "dns lookup", "lost connection");
LIST(p_expired, "retry timeout exceeded", "message expired", "delivery time expired",
     "could not be delivered for", "has been delayed for", "queue too long", "was not delivered within",
     "message timed out", "giving up");
LIST(p_contenterror, "header error", "improper use of 8-bit", "message header",
     "mime", "invalid header");
LIST(p_systemfull, "mail system full", "insufficient system storage", "disk full");
LIST(p_notaccept, "does not accept mail", "null mx", "not accepting mail", "accepts no mail");
LIST(p_mailererror, "mailer error", "command failed", "exit status", "x-unix",
     "procmail", "pipe to");
LIST(p_syntaxerror, "syntax error", "command unrecognized", "bad sequence of commands",
     "unrecognized command");
LIST(p_vacation, "out of office", "vacation", "away from the office", "auto reply");
LIST(p_onhold, "onhold-never-matches");

static const char *const *const tables[MM_REASON_COUNT_] = {
    [MM_REASON_MAILBOXFULL] = p_mailboxfull,
    [MM_REASON_MESGTOOBIG] = p_mesgtoobig,
    [MM_REASON_EXCEEDLIMIT] = p_exceedlimit,
    [MM_REASON_SUSPEND] = p_suspend,
    [MM_REASON_HASMOVED] = p_hasmoved,
    [MM_REASON_NORELAYING] = p_norelaying,
    [MM_REASON_USERUNKNOWN] = p_userunknown,
    [MM_REASON_FILTERED] = p_filtered,
    [MM_REASON_REJECTED] = p_rejected,
    [MM_REASON_HOSTUNKNOWN] = p_hostunknown,
    [MM_REASON_SPAMDETECTED] = p_spamdetected,
    [MM_REASON_TOOMANYCONN] = p_toomanyconn,
    [MM_REASON_BLOCKED] = p_blocked,
    [MM_REASON_POLICYVIOLATION] = p_policyviolation,
    [MM_REASON_VIRUSDETECTED] = p_virusdetected,
    [MM_REASON_SECURITYERROR] = p_securityerror,
    [MM_REASON_SYSTEMERROR] = p_systemerror,
    [MM_REASON_NETWORKERROR] = p_networkerror,
    [MM_REASON_EXPIRED] = p_expired,
    [MM_REASON_CONTENTERROR] = p_contenterror,
    [MM_REASON_SYSTEMFULL] = p_systemfull,
    [MM_REASON_NOTACCEPT] = p_notaccept,
    [MM_REASON_MAILERERROR] = p_mailererror,
    [MM_REASON_SYNTAXERROR] = p_syntaxerror,
    [MM_REASON_VACATION] = p_vacation,
    [MM_REASON_ONHOLD] = p_onhold,
};

static const mm_reason_t order_first[] = {
    MM_REASON_MAILBOXFULL, MM_REASON_MESGTOOBIG, MM_REASON_EXCEEDLIMIT, MM_REASON_SUSPEND,
    MM_REASON_HASMOVED, MM_REASON_NORELAYING, MM_REASON_USERUNKNOWN, MM_REASON_FILTERED,
    MM_REASON_REJECTED, MM_REASON_HOSTUNKNOWN, MM_REASON_SPAMDETECTED, MM_REASON_TOOMANYCONN,
    MM_REASON_BLOCKED, MM_REASON_COUNT_};
static const mm_reason_t order_second[] = {
    MM_REASON_MAILBOXFULL, MM_REASON_SPAMDETECTED, MM_REASON_POLICYVIOLATION,
    MM_REASON_VIRUSDETECTED, MM_REASON_SECURITYERROR, MM_REASON_SYSTEMERROR,
    MM_REASON_NETWORKERROR, MM_REASON_SUSPEND, MM_REASON_EXPIRED, MM_REASON_CONTENTERROR,
    MM_REASON_SYSTEMFULL, MM_REASON_NOTACCEPT, MM_REASON_MAILERERROR, MM_REASON_COUNT_};
static const mm_reason_t order_any[] = {
    MM_REASON_MAILBOXFULL, MM_REASON_MESGTOOBIG, MM_REASON_EXCEEDLIMIT, MM_REASON_SUSPEND,
    MM_REASON_USERUNKNOWN, MM_REASON_FILTERED, MM_REASON_REJECTED, MM_REASON_HOSTUNKNOWN,
    MM_REASON_SPAMDETECTED, MM_REASON_TOOMANYCONN, MM_REASON_BLOCKED,
    MM_REASON_SECURITYERROR, MM_REASON_SYSTEMERROR, MM_REASON_NETWORKERROR,
    MM_REASON_EXPIRED, MM_REASON_CONTENTERROR, MM_REASON_HASMOVED, MM_REASON_SYSTEMFULL,
    MM_REASON_NOTACCEPT, MM_REASON_MAILERERROR, MM_REASON_NORELAYING, MM_REASON_SYNTAXERROR,
    MM_REASON_COUNT_};

/* Does pattern (with '*' wildcards) occur in text? */
static bool pattern_in(const char *text, const char *pat)
{
    const char *star = strchr(pat, '*');
    if (!star)
        return strstr(text, pat) != NULL;
    char head[128];
    size_t hl = (size_t)(star - pat);
    if (hl >= sizeof head)
        return false;
    memcpy(head, pat, hl);
    head[hl] = '\0';
    const char *p = hl ? strstr(text, head) : text;
    while (p) {
        if (pattern_in(p + hl, star + 1))
            return true;
        p = hl ? strstr(p + 1, head) : NULL;
    }
    return false;
}

bool mm_phrase_is(mm_reason_t reason, const char *lower)
{
    const char *const *list = (unsigned)reason < MM_REASON_COUNT_ ? tables[reason] : NULL;
    if (!list || !*lower)
        return false;
    for (; *list; list++)
        if (pattern_in(lower, *list))
            return true;
    return false;
}

mm_reason_t mm_phrase_match(mm_phrase_pass pass, const char *lower)
{
    const mm_reason_t *order = pass == MM_PASS_FIRST    ? order_first
                               : pass == MM_PASS_SECOND ? order_second
                                                        : order_any;
    for (; *order != MM_REASON_COUNT_; order++)
        if (mm_phrase_is(*order, lower))
            return *order;
    return MM_REASON_UNDEFINED;
}

/* RFC 3463 section 3 codes (and RFC 7505 for null MX) with a clear meaning. */
mm_reason_t mm_status_reason(const char *st)
{
    static const struct {
        const char *code;
        mm_reason_t reason;
    } map[] = {
        {"5.1.0", MM_REASON_USERUNKNOWN},   {"5.1.1", MM_REASON_USERUNKNOWN},
        {"5.1.2", MM_REASON_HOSTUNKNOWN},   {"5.1.3", MM_REASON_USERUNKNOWN},
        {"5.1.4", MM_REASON_USERUNKNOWN},   {"5.1.6", MM_REASON_HASMOVED},
        {"5.1.7", MM_REASON_REJECTED},      {"5.1.8", MM_REASON_REJECTED},
        {"5.1.9", MM_REASON_SYSTEMERROR},   {"5.1.10", MM_REASON_NOTACCEPT},
        {"5.2.0", MM_REASON_FILTERED},      {"5.2.1", MM_REASON_FILTERED},
        {"5.2.2", MM_REASON_MAILBOXFULL},   {"4.2.2", MM_REASON_MAILBOXFULL},
        {"5.2.3", MM_REASON_EXCEEDLIMIT},   {"4.2.3", MM_REASON_EXCEEDLIMIT},
        {"5.2.4", MM_REASON_SYSTEMERROR},   {"5.3.0", MM_REASON_SYSTEMERROR},
        {"5.3.1", MM_REASON_SYSTEMFULL},    {"4.3.1", MM_REASON_SYSTEMFULL},
        {"5.3.2", MM_REASON_NOTACCEPT},     {"4.3.2", MM_REASON_NOTACCEPT},
        {"5.3.3", MM_REASON_SYSTEMERROR},   {"5.3.4", MM_REASON_MESGTOOBIG},
        {"4.3.4", MM_REASON_MESGTOOBIG},    {"5.3.5", MM_REASON_SYSTEMERROR},
        {"5.4.0", MM_REASON_NETWORKERROR},  {"5.4.1", MM_REASON_NETWORKERROR},
        {"5.4.2", MM_REASON_NETWORKERROR},  {"5.4.3", MM_REASON_SYSTEMERROR},
        {"5.4.4", MM_REASON_HOSTUNKNOWN},   {"5.4.5", MM_REASON_NETWORKERROR},
        {"5.4.6", MM_REASON_NETWORKERROR},  {"5.4.7", MM_REASON_EXPIRED},
        {"4.4.7", MM_REASON_EXPIRED},       {"5.5.0", MM_REASON_SYNTAXERROR},
        {"5.5.1", MM_REASON_SYNTAXERROR},   {"5.5.2", MM_REASON_SYNTAXERROR},
        {"5.5.3", MM_REASON_EXCEEDLIMIT},   {"5.5.4", MM_REASON_SYNTAXERROR},
        {"5.5.5", MM_REASON_SYNTAXERROR},   {"5.6.0", MM_REASON_CONTENTERROR},
        {"5.6.1", MM_REASON_CONTENTERROR},  {"5.7.1", MM_REASON_SECURITYERROR},
        {"5.7.7", MM_REASON_SECURITYERROR}, {"5.7.23", MM_REASON_AUTHFAILURE},
        {"5.7.25", MM_REASON_REQUIREPTR},   {"5.7.26", MM_REASON_AUTHFAILURE},
        {"5.7.27", MM_REASON_NOTACCEPT},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(st, map[i].code) == 0)
            return map[i].reason;
    return MM_REASON_UNDEFINED;
}
