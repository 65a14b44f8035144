/*
 * reason.h - why a delivery failed, in Sisimai's vocabulary (so results can
 * be compared with the reference decoder), plus the user-facing layer built
 * on it: category, severity and retry advice.
 */
#ifndef MAILMEDIC_REASON_H
#define MAILMEDIC_REASON_H

#include <stdbool.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* When you add a reason, also update reason_names[] in src/lib/bounce/reason.c,
 * the advice table in src/lib/advise/advice.c and docs/FORMATS.md. */
typedef enum mm_reason {
    MM_REASON_UNDEFINED = 0,
    MM_REASON_AUTHFAILURE,
    MM_REASON_BADREPUTATION,
    MM_REASON_BLOCKED,
    MM_REASON_CONTENTERROR,
    MM_REASON_DELIVERED,
    MM_REASON_EXCEEDLIMIT,
    MM_REASON_EXPIRED,
    MM_REASON_FAILEDSTARTTLS,
    MM_REASON_FEEDBACK,
    MM_REASON_FILTERED,
    MM_REASON_HASMOVED,
    MM_REASON_HOSTUNKNOWN,
    MM_REASON_MAILBOXFULL,
    MM_REASON_MAILERERROR,
    MM_REASON_MESGTOOBIG,
    MM_REASON_NETWORKERROR,
    MM_REASON_NORELAYING,
    MM_REASON_NOTACCEPT,
    MM_REASON_NOTCOMPLIANTRFC,
    MM_REASON_ONHOLD,
    MM_REASON_POLICYVIOLATION,
    MM_REASON_REJECTED,
    MM_REASON_REQUIREPTR,
    MM_REASON_SECURITYERROR,
    MM_REASON_SPAMDETECTED,
    MM_REASON_SPEEDING,
    MM_REASON_SUSPEND,
    MM_REASON_SYNTAXERROR,
    MM_REASON_SYSTEMERROR,
    MM_REASON_SYSTEMFULL,
    MM_REASON_TOOMANYCONN,
    MM_REASON_VACATION,
    MM_REASON_VIRUSDETECTED,
    MM_REASON_USERUNKNOWN,
    MM_REASON_AUTHSUBMISSION, /* our own: the sender's login to its own SMTP server failed */
    MM_REASON_COUNT_
} mm_reason_t;

/* Lower-case name ("userunknown"); never NULL. */
MM_EXTERN const char *mm_reason_tostr(mm_reason_t r);
/* Parse a name (case-insensitive); MM_ENOTFOUND if unknown. */
MM_EXTERN mm_status_t mm_reason_parse(const char *name, mm_reason_t *out);

typedef enum mm_category {
    MM_CATEGORY_INVALID_ADDRESS = 0,
    MM_CATEGORY_MAILBOX_FULL,
    MM_CATEGORY_BLOCKED,
    MM_CATEGORY_SPAM_CONTENT,
    MM_CATEGORY_AUTHENTICATION,
    MM_CATEGORY_MESSAGE_TOO_LARGE,
    MM_CATEGORY_DNS_HOST,
    MM_CATEGORY_TEMPORARY,
    MM_CATEGORY_RATE_LIMITED,
    MM_CATEGORY_SENDER_ACCOUNT,
    MM_CATEGORY_NOT_A_FAILURE,
    MM_CATEGORY_OTHER,
    MM_CATEGORY_COUNT_
} mm_category_t;

typedef enum mm_severity {
    MM_SEVERITY_NONE = 0, /* not a failure (delivered, vacation, feedback) */
    MM_SEVERITY_LOW,
    MM_SEVERITY_MEDIUM,
    MM_SEVERITY_HIGH,
    MM_SEVERITY_CRITICAL
} mm_severity_t;

/* Stable machine names: "invalid_address", "critical", ... never NULL. */
MM_EXTERN const char *mm_category_tostr(mm_category_t c);
MM_EXTERN const char *mm_severity_tostr(mm_severity_t s);

#define MM_RETRY_NEVER (-1L)
#define MM_MAX_ACTIONS 6

/*
 * Advice for one failed recipient.  Strings are static English message ids:
 * pass them through gettext (text domain "mailmedic") to show them in the
 * user's language; the CLI does.  retry_after is in seconds, MM_RETRY_NEVER
 * for "do not send again", 0 for "nothing to retry" (not a failure).
 */
typedef struct mm_advice {
    mm_category_t category;
    mm_severity_t severity;
    long retry_after;
    const char *summary;                  /* one line: what happened */
    const char *actions[MM_MAX_ACTIONS];  /* NULL-terminated steps */
} mm_advice;

/*
 * Fill *out with the advice for a reason.  provider is the receiving
 * provider's short name ("tencent", "netease", "alibaba", "coremail", ...)
 * or NULL; provider_retry, when > 0, is a waiting time the provider
 * publishes and overrides the generic figure.
 */
MM_EXTERN void mm_advise(mm_reason_t reason, const char *provider, long provider_retry,
                         mm_advice *out);

#ifdef __cplusplus
}
#endif
#endif
