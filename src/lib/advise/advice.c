/*
 * advice.c - the product's voice: from a reason (and the receiving provider)
 * to a category, an urgency, a retry time and concrete steps.
 *
 * Figures come from our users' articles (shared/seeds): temporary failures
 * are retried after 4-6 hours and investigated after 24 hours (seed 001);
 * a full mailbox is retried after 1-3 days; a block is retried only after
 * the cause is fixed and 24-48 hours have passed; an unknown user is never
 * retried.  The strings are English message ids; po/zh_CN.po translates
 * them.  When you add or change a string, run `ninja -C build mailmedic-pot`
 * and update po/zh_CN.po.
 */
#include <mailmedic/reason.h>

#include <string.h>

#define N_(s) s
#define HOUR 3600L
#define DAY (24 * HOUR)

typedef struct advice_row {
    mm_reason_t reason;
    mm_category_t category;
    mm_severity_t severity;
    long retry_after;
    const char *summary;
    const char *actions[MM_MAX_ACTIONS];
} advice_row;

static const char A_STOP[] = N_("Stop sending to this address; do not resend the same message.");
static const char A_CONFIRM[] =
    N_("Confirm the address with the buyer another way: their website, LinkedIn, or a phone call.");
static const char A_FIX_RECORD[] = N_("Correct the contact record so the bad address is not used again.");
static const char A_CHECK_TYPO[] =
    N_("Check the address for typos (e.g. gamil.com, .con) with `mailmedic verify`.");
static const char A_DNSBL[] =
    N_("Check whether your sending IP or domain is on a blacklist (Spamhaus etc.) with `mailmedic checkup`, and request delisting.");
static const char A_AUTH[] =
    N_("Check that your domain publishes correct SPF, DKIM and DMARC records (`mailmedic checkup`).");
static const char A_TEST_OTHER[] =
    N_("Send a short plain test from another mailbox to see whether the block is about you or the content.");
static const char A_CONTENT[] =
    N_("Remove spam-like wording, shortened links and risky attachments (.exe, .js); keep a normal text-to-image ratio.");
static const char A_WAIT[] = N_("Wait and let the server retry; check again after 24 hours if it still fails.");
static const char A_REMIND[] =
    N_("Tell the buyer by another channel (phone, WhatsApp, LinkedIn) that their mailbox is full.");
static const char A_SHRINK[] =
    N_("Compress attachments or send a cloud-storage link; keep the whole message under 25 MB.");
static const char A_DOMAIN[] = N_("Check the spelling of the domain after the @, and whether the buyer's domain still exists.");
static const char A_SLOW[] =
    N_("Slow down: send fewer messages per hour to this provider and spread them out.");
static const char A_ADMIN[] = N_("Ask your mail administrator to look at the server logs.");
static const char A_PTR[] =
    N_("Ask your mail provider or IT to set a reverse DNS (PTR) name for the sending IP that matches your HELO name.");
static const char A_AUTHCODE[] =
    N_("Log in with the client authorisation code (授权码) from your mailbox settings, not your web password, and make sure SMTP is enabled.");
static const char A_NOTHING[] = N_("Nothing to do: this is not a delivery failure.");
static const char A_COMPLAINT[] =
    N_("A recipient marked your mail as spam: remove them from your list and review how the address was collected.");
static const char A_NEW_ADDR[] = N_("Ask the buyer for their new address and update the contact record.");
static const char A_TLS[] = N_("Ask your mail administrator to enable TLS and the security the receiver requires.");
static const char A_RELAY[] =
    N_("Check your mail client's outgoing server settings: log in to your own SMTP server before sending.");
static const char A_VIRUS[] = N_("Scan the attachment for malware and send a clean file or a link instead.");

static const advice_row rows[] = {
    {MM_REASON_USERUNKNOWN, MM_CATEGORY_INVALID_ADDRESS, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("The recipient address does not exist at the receiving server."),
     {A_STOP, A_CONFIRM, A_FIX_RECORD, A_CHECK_TYPO}},
    {MM_REASON_HOSTUNKNOWN, MM_CATEGORY_INVALID_ADDRESS, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("The recipient's domain does not exist or has no mail server."),
     {A_DOMAIN, A_CONFIRM, A_FIX_RECORD}},
    {MM_REASON_HASMOVED, MM_CATEGORY_INVALID_ADDRESS, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("The recipient has moved to another address and mail is not forwarded."),
     {A_NEW_ADDR, A_STOP}},
    {MM_REASON_NOTACCEPT, MM_CATEGORY_INVALID_ADDRESS, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("The receiving domain does not accept mail at all."), {A_DOMAIN, A_CONFIRM}},
    {MM_REASON_SUSPEND, MM_CATEGORY_INVALID_ADDRESS, MM_SEVERITY_HIGH, 3 * DAY,
     N_("The recipient's mailbox is suspended or disabled."), {A_CONFIRM, A_REMIND}},
    {MM_REASON_MAILBOXFULL, MM_CATEGORY_MAILBOX_FULL, MM_SEVERITY_MEDIUM, 1 * DAY,
     N_("The recipient's mailbox is full."), {A_REMIND, A_WAIT}},
    {MM_REASON_SYSTEMFULL, MM_CATEGORY_MAILBOX_FULL, MM_SEVERITY_MEDIUM, 1 * DAY,
     N_("The receiving server is out of storage."), {A_WAIT, A_REMIND}},
    {MM_REASON_MESGTOOBIG, MM_CATEGORY_MESSAGE_TOO_LARGE, MM_SEVERITY_MEDIUM, MM_RETRY_NEVER,
     N_("The message is larger than the receiver accepts."), {A_SHRINK}},
    {MM_REASON_EXCEEDLIMIT, MM_CATEGORY_MESSAGE_TOO_LARGE, MM_SEVERITY_MEDIUM, MM_RETRY_NEVER,
     N_("The message goes over a size or recipient-count limit of the receiver."),
     {A_SHRINK, N_("Send to fewer recipients per message.")}},
    {MM_REASON_BLOCKED, MM_CATEGORY_BLOCKED, MM_SEVERITY_CRITICAL, 1 * DAY,
     N_("The receiver refused your sending server (IP or host name)."),
     {A_DNSBL, A_AUTH, A_TEST_OTHER, A_ADMIN}},
    {MM_REASON_BADREPUTATION, MM_CATEGORY_BLOCKED, MM_SEVERITY_CRITICAL, 2 * DAY,
     N_("The receiver refused mail because of your IP or domain reputation."),
     {A_DNSBL, A_AUTH, A_SLOW, A_TEST_OTHER}},
    {MM_REASON_REJECTED, MM_CATEGORY_BLOCKED, MM_SEVERITY_CRITICAL, 1 * DAY,
     N_("The receiver refused your sender address or domain."),
     {A_AUTH, A_DNSBL, A_TEST_OTHER}},
    {MM_REASON_REQUIREPTR, MM_CATEGORY_BLOCKED, MM_SEVERITY_CRITICAL, 1 * DAY,
     N_("Your sending IP has no valid reverse DNS (PTR) name."), {A_PTR, A_ADMIN}},
    {MM_REASON_NORELAYING, MM_CATEGORY_BLOCKED, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("The server refused to relay your message."), {A_RELAY, A_ADMIN}},
    {MM_REASON_POLICYVIOLATION, MM_CATEGORY_BLOCKED, MM_SEVERITY_HIGH, 1 * DAY,
     N_("The message broke a policy of the receiving site."), {A_CONTENT, A_TEST_OTHER}},
    {MM_REASON_SPAMDETECTED, MM_CATEGORY_SPAM_CONTENT, MM_SEVERITY_CRITICAL, 1 * DAY,
     N_("The receiver's filter judged the message to be spam."),
     {A_CONTENT, A_AUTH, A_DNSBL, A_TEST_OTHER}},
    {MM_REASON_FILTERED, MM_CATEGORY_SPAM_CONTENT, MM_SEVERITY_HIGH, 1 * DAY,
     N_("The receiver's filter or the recipient's own rules refused the message."),
     {A_CONTENT, A_CONFIRM, A_TEST_OTHER}},
    {MM_REASON_VIRUSDETECTED, MM_CATEGORY_SPAM_CONTENT, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("The receiver found malware in the message."), {A_VIRUS}},
    {MM_REASON_CONTENTERROR, MM_CATEGORY_SPAM_CONTENT, MM_SEVERITY_MEDIUM, MM_RETRY_NEVER,
     N_("The message's format (headers or MIME structure) was refused."), {A_ADMIN}},
    {MM_REASON_NOTCOMPLIANTRFC, MM_CATEGORY_SPAM_CONTENT, MM_SEVERITY_MEDIUM, MM_RETRY_NEVER,
     N_("The message breaks an Internet mail standard (e.g. duplicate headers)."), {A_ADMIN}},
    {MM_REASON_AUTHFAILURE, MM_CATEGORY_AUTHENTICATION, MM_SEVERITY_CRITICAL, 1 * DAY,
     N_("SPF, DKIM or DMARC checks failed for your domain."), {A_AUTH, A_ADMIN}},
    {MM_REASON_SECURITYERROR, MM_CATEGORY_AUTHENTICATION, MM_SEVERITY_HIGH, 1 * DAY,
     N_("A security requirement of the receiver was not met."), {A_AUTH, A_TLS}},
    {MM_REASON_FAILEDSTARTTLS, MM_CATEGORY_AUTHENTICATION, MM_SEVERITY_HIGH, 1 * DAY,
     N_("The encrypted (TLS) connection to the receiver failed."), {A_TLS}},
    {MM_REASON_AUTHSUBMISSION, MM_CATEGORY_SENDER_ACCOUNT, MM_SEVERITY_CRITICAL, MM_RETRY_NEVER,
     N_("Your own mail server refused your login, so nothing was sent."), {A_AUTHCODE}},
    {MM_REASON_TOOMANYCONN, MM_CATEGORY_RATE_LIMITED, MM_SEVERITY_LOW, 1 * HOUR,
     N_("The receiver limits how many connections or messages you send at once."),
     {A_SLOW, A_WAIT}},
    {MM_REASON_SPEEDING, MM_CATEGORY_RATE_LIMITED, MM_SEVERITY_LOW, 1 * HOUR,
     N_("You sent too fast: the receiver is rate-limiting you."), {A_SLOW, A_WAIT}},
    {MM_REASON_EXPIRED, MM_CATEGORY_TEMPORARY, MM_SEVERITY_MEDIUM, 4 * HOUR,
     N_("The message could not be delivered in time and was given up."), {A_WAIT, A_DOMAIN}},
    {MM_REASON_NETWORKERROR, MM_CATEGORY_DNS_HOST, MM_SEVERITY_LOW, 4 * HOUR,
     N_("A network or DNS problem stopped delivery."), {A_WAIT, A_DOMAIN}},
    {MM_REASON_SYSTEMERROR, MM_CATEGORY_TEMPORARY, MM_SEVERITY_LOW, 4 * HOUR,
     N_("The receiving server had an internal error."), {A_WAIT}},
    {MM_REASON_MAILERERROR, MM_CATEGORY_OTHER, MM_SEVERITY_MEDIUM, 4 * HOUR,
     N_("A delivery program at the receiver failed."), {A_WAIT, A_ADMIN}},
    {MM_REASON_SYNTAXERROR, MM_CATEGORY_OTHER, MM_SEVERITY_MEDIUM, 4 * HOUR,
     N_("The sending server and the receiver did not understand each other (SMTP syntax)."),
     {A_ADMIN}},
    {MM_REASON_ONHOLD, MM_CATEGORY_OTHER, MM_SEVERITY_MEDIUM, 6 * HOUR,
     N_("The bounce does not say clearly why delivery failed."), {A_WAIT, A_TEST_OTHER, A_ADMIN}},
    {MM_REASON_UNDEFINED, MM_CATEGORY_OTHER, MM_SEVERITY_MEDIUM, 6 * HOUR,
     N_("The reason for the failure could not be determined."), {A_WAIT, A_ADMIN}},
    {MM_REASON_DELIVERED, MM_CATEGORY_NOT_A_FAILURE, MM_SEVERITY_NONE, 0,
     N_("The message was delivered."), {A_NOTHING}},
    {MM_REASON_VACATION, MM_CATEGORY_NOT_A_FAILURE, MM_SEVERITY_NONE, 0,
     N_("An automatic reply (e.g. out of office); the message was delivered."), {A_NOTHING}},
    {MM_REASON_FEEDBACK, MM_CATEGORY_NOT_A_FAILURE, MM_SEVERITY_HIGH, MM_RETRY_NEVER,
     N_("A spam complaint (feedback report) about a message you sent."), {A_COMPLAINT}},
};

void mm_advise(mm_reason_t reason, const char *provider, long provider_retry, mm_advice *out)
{
    (void)provider;
    const advice_row *row = &rows[0];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].reason == reason) {
            row = &rows[i];
            break;
        }
    if (row->reason != reason) /* every reason has a row; keep a safe default */
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            if (rows[i].reason == MM_REASON_UNDEFINED)
                row = &rows[i];
    out->category = row->category;
    out->severity = row->severity;
    out->retry_after = row->retry_after;
    if (provider_retry > 0 && row->retry_after != MM_RETRY_NEVER)
        out->retry_after = provider_retry;
    out->summary = row->summary;
    memcpy(out->actions, row->actions, sizeof out->actions);
}
