/* reason.c - reason, category and severity names (stable: used in JSON/CSV). */
#include <mailmedic/reason.h>

#include <strings.h>

static const char *const reason_names[MM_REASON_COUNT_] = {
    [MM_REASON_UNDEFINED] = "undefined",
    [MM_REASON_AUTHFAILURE] = "authfailure",
    [MM_REASON_BADREPUTATION] = "badreputation",
    [MM_REASON_BLOCKED] = "blocked",
    [MM_REASON_CONTENTERROR] = "contenterror",
    [MM_REASON_DELIVERED] = "delivered",
    [MM_REASON_EXCEEDLIMIT] = "exceedlimit",
    [MM_REASON_EXPIRED] = "expired",
    [MM_REASON_FAILEDSTARTTLS] = "failedstarttls",
    [MM_REASON_FEEDBACK] = "feedback",
    [MM_REASON_FILTERED] = "filtered",
    [MM_REASON_HASMOVED] = "hasmoved",
    [MM_REASON_HOSTUNKNOWN] = "hostunknown",
    [MM_REASON_MAILBOXFULL] = "mailboxfull",
    [MM_REASON_MAILERERROR] = "mailererror",
    [MM_REASON_MESGTOOBIG] = "mesgtoobig",
    [MM_REASON_NETWORKERROR] = "networkerror",
    [MM_REASON_NORELAYING] = "norelaying",
    [MM_REASON_NOTACCEPT] = "notaccept",
    [MM_REASON_NOTCOMPLIANTRFC] = "notcompliantrfc",
    [MM_REASON_ONHOLD] = "onhold",
    [MM_REASON_POLICYVIOLATION] = "policyviolation",
    [MM_REASON_REJECTED] = "rejected",
    [MM_REASON_REQUIREPTR] = "requireptr",
    [MM_REASON_SECURITYERROR] = "securityerror",
    [MM_REASON_SPAMDETECTED] = "spamdetected",
    [MM_REASON_SPEEDING] = "speeding",
    [MM_REASON_SUSPEND] = "suspend",
    [MM_REASON_SYNTAXERROR] = "syntaxerror",
    [MM_REASON_SYSTEMERROR] = "systemerror",
    [MM_REASON_SYSTEMFULL] = "systemfull",
    [MM_REASON_TOOMANYCONN] = "toomanyconn",
    [MM_REASON_VACATION] = "vacation",
    [MM_REASON_VIRUSDETECTED] = "virusdetected",
    [MM_REASON_USERUNKNOWN] = "userunknown",
    [MM_REASON_AUTHSUBMISSION] = "authsubmission",
};

const char *mm_reason_tostr(mm_reason_t r)
{
    return (unsigned)r < MM_REASON_COUNT_ ? reason_names[r] : "undefined";
}

mm_status_t mm_reason_parse(const char *name, mm_reason_t *out)
{
    for (int i = 0; i < MM_REASON_COUNT_; i++)
        if (strcasecmp(name, reason_names[i]) == 0) {
            *out = (mm_reason_t)i;
            return MM_OK;
        }
    return MM_ENOTFOUND;
}

const char *mm_category_tostr(mm_category_t c)
{
    static const char *const names[MM_CATEGORY_COUNT_] = {
        "invalid_address", "mailbox_full", "blocked", "spam_content",
        "authentication", "message_too_large", "dns_host", "temporary",
        "rate_limited", "sender_account", "not_a_failure", "other"};
    return (unsigned)c < MM_CATEGORY_COUNT_ ? names[c] : "other";
}

const char *mm_severity_tostr(mm_severity_t s)
{
    static const char *const names[] = {"none", "low", "medium", "high", "critical"};
    return (unsigned)s <= MM_SEVERITY_CRITICAL ? names[s] : "none";
}
