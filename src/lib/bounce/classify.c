/*
 * classify.c - decide the reason for one recipient, and whether it is hard.
 *
 * Order of evidence (the same order Sisimai uses, so results compare):
 *   1. a decoder's hint, unless it is one of the "keep looking" reasons;
 *   2. a 2.x.x status means delivered;
 *   3. the receiving provider's own rules (rhost.c), which know what a
 *      provider means by its words and codes (a QQ 550 rate limit is soft);
 *   4. strong phrases in the diagnostic text (phrases.c, first pass);
 *   5. the RFC 3463 status code, and if it is not telling, a second pass of
 *      phrases, then the status class (X.6 content, X.7 security), the
 *      diagnostic type (X-UNIX = mailer) and the SMTP command;
 *   6. "expired" for delayed recipients, "onhold" when there is text but
 *      nothing recognised, "undefined" otherwise.
 * Hard or soft is decided by meaning (the reason), never by the first digit.
 */
#include "bounce_int.h"

#include <stdlib.h>
#include <string.h>
#include "../util/str.h"

static bool keep_looking(mm_reason_t r)
{
    return r == MM_REASON_UNDEFINED || r == MM_REASON_ONHOLD || r == MM_REASON_SYSTEMERROR ||
           r == MM_REASON_SECURITYERROR || r == MM_REASON_NETWORKERROR;
}

static bool status_is(const char *status, const char *prefix)
{
    return strncmp(status, prefix, strlen(prefix)) == 0;
}

/* Step 5, after the status code: the fall-back rules. */
static mm_reason_t another_one(const mm_rcpt *rc, const char *lower)
{
    const mm_recipient *p = &rc->pub;
    mm_reason_t r = mm_status_reason(p->status);
    if (!(r == MM_REASON_UNDEFINED || r == MM_REASON_USERUNKNOWN || keep_looking(r)))
        return r;
    mm_reason_t t = mm_phrase_match(MM_PASS_SECOND, lower);
    if (t != MM_REASON_UNDEFINED)
        return t;
    if (r != MM_REASON_UNDEFINED)
        return r;
    if (status_is(p->status, "5.6") || status_is(p->status, "4.6"))
        return MM_REASON_CONTENTERROR;
    if (status_is(p->status, "5.7") || status_is(p->status, "4.7"))
        return MM_REASON_SECURITYERROR;
    if (strcasecmp(rc->diag_type, "X-UNIX") == 0 || strcasecmp(rc->diag_type, "X-POSTFIX") == 0)
        return MM_REASON_MAILERERROR;
    if (mm_phrase_is(MM_REASON_SYNTAXERROR, lower) ||
        (p->reply_code >= 500 && p->reply_code <= 503))
        return MM_REASON_SYNTAXERROR;
    if (strcasecmp(p->action, "delayed") == 0 || strcasecmp(p->action, "expired") == 0)
        return MM_REASON_EXPIRED;
    if (strcasecmp(p->smtp_command, "EHLO") == 0 || strcasecmp(p->smtp_command, "HELO") == 0)
        return MM_REASON_BLOCKED;
    return MM_REASON_UNDEFINED;
}

static mm_reason_t decide(mm_rcpt *rc, const char *lower)
{
    mm_recipient *p = &rc->pub;
    if (rc->hint != MM_REASON_UNDEFINED && !keep_looking(rc->hint))
        return rc->hint;
    if (p->status[0] == '2')
        return MM_REASON_DELIVERED;
    mm_reason_t r = mm_rhost_match(rc, lower);
    if (r != MM_REASON_UNDEFINED)
        return r;
    if (rc->diag_type[0] == '\0' || strcasecmp(rc->diag_type, "SMTP") == 0) {
        r = mm_phrase_match(MM_PASS_FIRST, lower);
        if (r != MM_REASON_UNDEFINED)
            return r;
    }
    r = another_one(rc, lower);
    if (r != MM_REASON_UNDEFINED)
        return r;
    if (rc->hint != MM_REASON_UNDEFINED)
        return rc->hint;
    if (strcasecmp(p->action, "delayed") == 0)
        return MM_REASON_EXPIRED;
    if (mm_phrase_is(MM_REASON_VACATION, lower))
        return MM_REASON_VACATION;
    return p->diagnostic[0] ? MM_REASON_ONHOLD : MM_REASON_UNDEFINED;
}

bool mm_reason_is_hard(mm_reason_t reason, const mm_recipient *r)
{
    switch (reason) {
    case MM_REASON_USERUNKNOWN:
    case MM_REASON_HOSTUNKNOWN:
    case MM_REASON_HASMOVED:
        return true;
    case MM_REASON_NOTACCEPT:
        /* A null MX (RFC 7505) or a host refusing all mail for good; a 4xx
         * "not accepting now" is temporary. */
        return !(r->status[0] == '4' || (r->reply_code >= 400 && r->reply_code < 500));
    default:
        return false;
    }
}

void mm_classify(mm_rcpt *rc)
{
    mm_recipient *p = &rc->pub;
    size_t n = strlen(p->diagnostic);
    char small[512];
    char *lower = n < sizeof small ? small : malloc(n + 1);
    if (!lower) {
        p->reason = MM_REASON_UNDEFINED;
        return;
    }
    memcpy(lower, p->diagnostic, n + 1);
    mm_strlower(lower);
    p->reason = decide(rc, lower);
    p->hard_bounce = mm_reason_is_hard(p->reason, p);
    if (lower != small)
        free(lower);
}
