/*
 * advice.c - the product's voice: from a reason (and the receiving provider)
 * to a category, an urgency, a retry time and concrete steps.
 *
 * Two tables.  rows[] has one row per reason: the generic advice.  prov_rows[]
 * holds what a given receiving provider changes for a reason: its own summary,
 * steps that go before the generic ones, and its own waiting time.  Both are
 * data; mm_advise() only looks rows up and merges them.
 *
 * Figures come from our users' articles (shared/seeds): urgency per phrase
 * (seed 001: unknown user high, mailbox full medium, blocked or spam critical,
 * temporary low); temporary failures are retried after 4-6 hours and looked
 * into after 24 hours (seed 001); a full mailbox is retried after 1-3 days
 * (seed 000); a block is retried only once the cause is fixed, after 24-48
 * hours; an unknown user is never retried (seeds 000, 002).  Provider facts
 * come from shared/research/anchors.md, sections A.13 and C.
 *
 * The strings are English message ids; po/zh_CN.po translates them.  When
 * you add or change a string, run `ninja -C build mailmedic-pot
 * mailmedic-update-po` and translate the new entries in po/zh_CN.po.
 */
#include <mailmedic/reason.h>

#include <stddef.h>
#include <strings.h>

#define N_(s) s
#define HOUR 3600L
#define DAY (24 * HOUR)
#define NROWS(a) (sizeof(a) / sizeof((a)[0]))

/* At most this many steps, so that the public array stays NULL-terminated. */
#define MAX_STEPS (MM_MAX_ACTIONS - 1)

typedef struct advice_row {
    mm_reason_t reason;
    mm_category_t category;
    mm_severity_t severity;
    long retry_after;
    const char *summary;
    const char *actions[MAX_STEPS];
} advice_row;

typedef struct provider_row {
    const char *provider; /* short name, compared case-insensitively */
    mm_reason_t reason;
    long retry_after;               /* 0: keep the generic figure */
    const char *summary;            /* NULL: keep the generic summary */
    const char *actions[MAX_STEPS]; /* shown first, then the generic steps */
} provider_row;

/* Wrong address (seeds 000, 002, 004). */
static const char A_STOP[] = N_("Stop sending to this address; do not resend the same message.");
static const char A_CONFIRM[] =
    N_("Confirm the address with the buyer another way: their website, LinkedIn, or a phone call.");
static const char A_FIX_RECORD[] =
    N_("Correct the contact record (CRM, spreadsheet) so the bad address is not used again.");
static const char A_CHECK_TYPO[] = N_("Check the address for typos: a missing letter, gamil.com "
                                      "for gmail.com, .con or .cmo for .com.");
static const char A_LOG[] = N_("Note the address, the error and your fix in a bounce log, to learn "
                               "which lead sources give bad addresses.");
static const char A_DOMAIN[] = N_(
    "Check the spelling of the domain after the @, and whether the buyer's website still works.");
static const char A_NEW_ADDR[] =
    N_("Ask the buyer for their new address and update the contact record.");

/* Mailbox full (seeds 000, 001). */
static const char A_REMIND[] =
    N_("Tell the buyer by another channel (phone, WhatsApp, LinkedIn) that their mailbox is full.");
static const char A_RETRY_DAYS[] =
    N_("Send again in 1 to 3 days; if the matter is urgent, reach the buyer another way first.");

/* Blocked, spam, authentication (seeds 000, 001, 002, 003). */
static const char A_DNSBL[] = N_("Check whether your sending IP or domain is on a blacklist such "
                                 "as Spamhaus (e.g. at mxtoolbox.com) and ask for delisting.");
static const char A_AUTH[] = N_("Check that your domain publishes correct SPF, DKIM and DMARC "
                                "records; ask your IT or mail provider to fix them.");
static const char A_PTR[] = N_("Ask your mail provider or IT to set a reverse DNS (PTR) name for "
                               "the sending IP that matches your mail server's name.");
static const char A_TEST_OTHER[] =
    N_("Send a short plain test from another mailbox (e.g. Gmail or Outlook): if it arrives, the "
       "problem is on your side (mailbox, IP, domain); if not, it is on the receiver's side.");
static const char A_CONTENT[] =
    N_("Remove spam-like wording (ALL CAPS, !!!, \"free\"), shortened links and risky attachments "
       "(.exe, .js); keep a normal text-to-image ratio.");
static const char A_NO_REPEAT[] =
    N_("Do not send the same message again and again: repeated attempts make the block worse.");
static const char A_AFTER_FIX[] =
    N_("Resend only after the cause is fixed, and wait 24 to 48 hours first.");
static const char A_SUPPORT[] =
    N_("Give the full bounce to your mail provider's support; they can see more from their side.");
static const char A_ADMIN[] =
    N_("Ask your mail administrator to look at the server logs; give them the full bounce.");
static const char A_TLS[] =
    N_("Ask your mail administrator to enable TLS and the security the receiver requires.");
static const char A_RELAY[] = N_("Check your mail client's outgoing server settings: log in to "
                                 "your own SMTP server before sending.");
static const char A_VIRUS[] =
    N_("Scan the attachment for malware and send a clean file or a link instead.");
static const char A_COMPLAINT[] = N_("A recipient marked your mail as spam: stop mailing them and "
                                     "review how the address was collected.");
static const char A_UNSUB[] =
    N_("Give marketing mail a clear unsubscribe link, and send it only to people who expect it.");

/* Too large (seeds 000, 002: 25 MB is the safe size). */
static const char A_SHRINK[] =
    N_("Compress attachments (ZIP) or share large files by a cloud link (Google Drive, Dropbox, "
       "WeTransfer); keep the whole message under 25 MB.");
static const char A_FEWER[] = N_("Send to fewer recipients per message.");

/* Temporary and rate limits (seed 001: retry after 4-6 h, look into it after 24 h). */
static const char A_WAIT[] = N_("Nothing to change yet: mail servers retry by themselves. If you "
                                "resend by hand, wait 4 to 6 hours.");
static const char A_INVESTIGATE[] = N_("If it still fails after 24 hours, look for a lasting "
                                       "cause: the domain, the address or a block.");
static const char A_SLOW[] =
    N_("Slow down: send fewer messages per hour to this provider and spread them out.");
static const char A_KEEP[] =
    N_("Keep the address: the recipient is fine, the limit is on your sending.");
static const char A_WINDOW[] = N_("Wait until the provider's limit window has passed before "
                                  "sending again; retrying early only hits the same limit.");

/* Your own account (anchors C.0 item 4). */
static const char A_LOGIN[] =
    N_("Check the user name and password set for the outgoing (SMTP) server in your mail client.");
static const char A_CLIENT_PW[] =
    N_("Many providers (QQ Mail, 163/126, Gmail, Yahoo) need a client authorisation code or app "
       "password instead of the web password, and SMTP turned on in the settings.");
static const char A_LOGIN_WAIT[] =
    N_("After several failed logins the provider refuses logins for a while: fix the password "
       "first, then wait before trying again.");
static const char A_NOTHING[] = N_("Nothing to do: this is not a delivery failure.");

/*
 * One row per reason.  The source of each figure is in the comment above its
 * group.  Invariants (tests/unit/test_advice.c): every reason has a row; hard
 * reasons never retry; not_a_failure has severity none and retry 0.
 */
/* clang-format off: one row per line reads as a table */
static const advice_row rows[] = {
    /* Address errors: urgency high, never retried (seed 001 table; seeds 000,
     * 002 first aid; seed 004 typos and the error log). */
    {MM_REASON_USERUNKNOWN,
     MM_CATEGORY_INVALID_ADDRESS,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("The recipient address does not exist at the receiving server."),
     {A_STOP, A_CONFIRM, A_CHECK_TYPO, A_FIX_RECORD, A_LOG}},
    {MM_REASON_HOSTUNKNOWN,
     MM_CATEGORY_INVALID_ADDRESS,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("The recipient's domain does not exist or has no mail server."),
     {A_DOMAIN, A_CHECK_TYPO, A_CONFIRM, A_FIX_RECORD}},
    {MM_REASON_HASMOVED,
     MM_CATEGORY_INVALID_ADDRESS,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("The recipient has moved to another address and mail is not forwarded."),
     {A_NEW_ADDR, A_STOP}},
    {MM_REASON_NOTACCEPT,
     MM_CATEGORY_INVALID_ADDRESS,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("The receiving domain does not accept mail at all."),
     {A_DOMAIN, A_CONFIRM, A_FIX_RECORD}},
    /* A disabled mailbox is often a buyer who left (seed 000); it may come back,
     * so it is soft: check with the buyer, retry late. */
    {MM_REASON_SUSPEND,
     MM_CATEGORY_INVALID_ADDRESS,
     MM_SEVERITY_HIGH,
     3 * DAY,
     N_("The recipient's mailbox is suspended or disabled; the person may have left the company."),
     {A_CONFIRM, A_NEW_ADDR}},

    /* Mailbox full: urgency medium, retry in 1-3 days (seeds 000, 001). */
    {MM_REASON_MAILBOXFULL,
     MM_CATEGORY_MAILBOX_FULL,
     MM_SEVERITY_MEDIUM,
     1 * DAY,
     N_("The recipient's mailbox is full."),
     {A_RETRY_DAYS, A_REMIND}},
    {MM_REASON_SYSTEMFULL,
     MM_CATEGORY_MAILBOX_FULL,
     MM_SEVERITY_MEDIUM,
     1 * DAY,
     N_("The receiving server is out of storage."),
     {A_RETRY_DAYS, A_REMIND}},

    /* Too large: urgency medium; fix and resend now, not later (seeds 000, 002). */
    {MM_REASON_MESGTOOBIG,
     MM_CATEGORY_MESSAGE_TOO_LARGE,
     MM_SEVERITY_MEDIUM,
     MM_RETRY_NEVER,
     N_("The message is larger than the receiver accepts."),
     {A_SHRINK}},
    {MM_REASON_EXCEEDLIMIT,
     MM_CATEGORY_MESSAGE_TOO_LARGE,
     MM_SEVERITY_MEDIUM,
     MM_RETRY_NEVER,
     N_("The message goes over a size or recipient-count limit of the receiver."),
     {A_SHRINK, A_FEWER}},

    /* Blocked: urgency critical; retry only after the fix, 24-48 h (seed 001
     * sender-side causes: DNSBL, SPF/DKIM/DMARC, PTR; seed 002 test mailbox). */
    {MM_REASON_BLOCKED,
     MM_CATEGORY_BLOCKED,
     MM_SEVERITY_CRITICAL,
     1 * DAY,
     N_("The receiver refused your sending server (IP or host name)."),
     {A_DNSBL, A_AUTH, A_TEST_OTHER, A_AFTER_FIX, A_SUPPORT}},
    {MM_REASON_BADREPUTATION,
     MM_CATEGORY_BLOCKED,
     MM_SEVERITY_CRITICAL,
     2 * DAY,
     N_("The receiver refused mail because of your IP or domain reputation."),
     {A_DNSBL, A_AUTH, A_SLOW, A_TEST_OTHER, A_AFTER_FIX}},
    {MM_REASON_REJECTED,
     MM_CATEGORY_BLOCKED,
     MM_SEVERITY_CRITICAL,
     1 * DAY,
     N_("The receiver refused your sender address or domain."),
     {A_AUTH, A_DNSBL, A_TEST_OTHER, A_AFTER_FIX}},
    {MM_REASON_REQUIREPTR,
     MM_CATEGORY_BLOCKED,
     MM_SEVERITY_CRITICAL,
     1 * DAY,
     N_("Your sending IP has no valid reverse DNS (PTR) name."),
     {A_PTR, A_AFTER_FIX}},
    {MM_REASON_NORELAYING,
     MM_CATEGORY_BLOCKED,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("The server refused to relay your message."),
     {A_RELAY, A_ADMIN}},
    {MM_REASON_POLICYVIOLATION,
     MM_CATEGORY_BLOCKED,
     MM_SEVERITY_HIGH,
     1 * DAY,
     N_("The message broke a policy of the receiving site."),
     {A_CONTENT, A_TEST_OTHER, A_AFTER_FIX}},

    /* Spam and content: urgency critical for spam (seed 001); content rules
     * from seeds 001 and 003. */
    {MM_REASON_SPAMDETECTED,
     MM_CATEGORY_SPAM_CONTENT,
     MM_SEVERITY_CRITICAL,
     1 * DAY,
     N_("The receiver's filter judged the message to be spam."),
     {A_CONTENT, A_AUTH, A_DNSBL, A_TEST_OTHER, A_NO_REPEAT}},
    {MM_REASON_FILTERED,
     MM_CATEGORY_SPAM_CONTENT,
     MM_SEVERITY_HIGH,
     1 * DAY,
     N_("The receiver's filter or the recipient's own rules refused the message."),
     {A_CONTENT, A_CONFIRM, A_TEST_OTHER}},
    {MM_REASON_VIRUSDETECTED,
     MM_CATEGORY_SPAM_CONTENT,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("The receiver found malware in the message."),
     {A_VIRUS}},
    {MM_REASON_CONTENTERROR,
     MM_CATEGORY_SPAM_CONTENT,
     MM_SEVERITY_MEDIUM,
     MM_RETRY_NEVER,
     N_("The message's format (headers or MIME structure) was refused."),
     {A_ADMIN}},
    {MM_REASON_NOTCOMPLIANTRFC,
     MM_CATEGORY_SPAM_CONTENT,
     MM_SEVERITY_MEDIUM,
     MM_RETRY_NEVER,
     N_("The message breaks an Internet mail standard (e.g. duplicate headers)."),
     {A_ADMIN}},
    /* A complaint is not a failed delivery, but it is the worst news about a
     * recipient: never mail them again (seed 003, list cleaning). */
    {MM_REASON_FEEDBACK,
     MM_CATEGORY_SPAM_CONTENT,
     MM_SEVERITY_HIGH,
     MM_RETRY_NEVER,
     N_("A spam complaint (feedback report) about a message you sent."),
     {A_COMPLAINT, A_UNSUB}},

    /* Authentication of your domain (seeds 001, 003). */
    {MM_REASON_AUTHFAILURE,
     MM_CATEGORY_AUTHENTICATION,
     MM_SEVERITY_CRITICAL,
     1 * DAY,
     N_("SPF, DKIM or DMARC checks failed for your domain."),
     {A_AUTH, A_TEST_OTHER, A_AFTER_FIX}},
    {MM_REASON_SECURITYERROR,
     MM_CATEGORY_AUTHENTICATION,
     MM_SEVERITY_HIGH,
     1 * DAY,
     N_("A security requirement of the receiver was not met."),
     {A_AUTH, A_TLS}},
    {MM_REASON_FAILEDSTARTTLS,
     MM_CATEGORY_AUTHENTICATION,
     MM_SEVERITY_HIGH,
     1 * DAY,
     N_("The encrypted (TLS) connection to the receiver failed."),
     {A_TLS}},

    /* Your own login failed: nothing left your outbox (anchors C.0 item 4). */
    {MM_REASON_AUTHSUBMISSION,
     MM_CATEGORY_SENDER_ACCOUNT,
     MM_SEVERITY_CRITICAL,
     MM_RETRY_NEVER,
     N_("Your own mail server refused your login, so nothing was sent."),
     {A_LOGIN, A_CLIENT_PW, A_LOGIN_WAIT}},

    /* Rate limits and temporary failures: urgency low, retry after 4-6 h,
     * look into it after 24 h (seed 001). */
    {MM_REASON_TOOMANYCONN,
     MM_CATEGORY_RATE_LIMITED,
     MM_SEVERITY_LOW,
     4 * HOUR,
     N_("The receiver limits how many connections or messages you send at once."),
     {A_KEEP, A_SLOW, A_WINDOW}},
    {MM_REASON_SPEEDING,
     MM_CATEGORY_RATE_LIMITED,
     MM_SEVERITY_LOW,
     4 * HOUR,
     N_("You sent too fast: the receiver is rate-limiting you."),
     {A_KEEP, A_SLOW, A_WINDOW}},
    /* "delayed" reports land here too, so the summary covers both. */
    {MM_REASON_EXPIRED,
     MM_CATEGORY_TEMPORARY,
     MM_SEVERITY_MEDIUM,
     4 * HOUR,
     N_("Delivery has been delayed, or given up after retrying for a long time."),
     {A_WAIT, A_INVESTIGATE, A_DOMAIN}},
    {MM_REASON_NETWORKERROR,
     MM_CATEGORY_DNS_HOST,
     MM_SEVERITY_LOW,
     4 * HOUR,
     N_("A network or DNS problem stopped delivery."),
     {A_WAIT, A_INVESTIGATE, A_DOMAIN}},
    {MM_REASON_SYSTEMERROR,
     MM_CATEGORY_TEMPORARY,
     MM_SEVERITY_LOW,
     4 * HOUR,
     N_("The receiving server had an internal error."),
     {A_WAIT, A_INVESTIGATE}},
    {MM_REASON_MAILERERROR,
     MM_CATEGORY_OTHER,
     MM_SEVERITY_MEDIUM,
     4 * HOUR,
     N_("A delivery program at the receiver failed."),
     {A_WAIT, A_INVESTIGATE, A_ADMIN}},
    {MM_REASON_SYNTAXERROR,
     MM_CATEGORY_OTHER,
     MM_SEVERITY_MEDIUM,
     4 * HOUR,
     N_("The sending server and the receiver did not understand each other (SMTP syntax)."),
     {A_ADMIN}},

    /* Unclear: read the bounce yourself; the test mailbox narrows it down (seed 002). */
    {MM_REASON_ONHOLD,
     MM_CATEGORY_OTHER,
     MM_SEVERITY_MEDIUM,
     6 * HOUR,
     N_("The bounce does not say clearly why delivery failed."),
     {A_WAIT, A_TEST_OTHER, A_SUPPORT}},
    {MM_REASON_UNDEFINED,
     MM_CATEGORY_OTHER,
     MM_SEVERITY_MEDIUM,
     6 * HOUR,
     N_("The reason for the failure could not be determined."),
     {A_WAIT, A_SUPPORT}},

    /* Not failures. */
    {MM_REASON_DELIVERED,
     MM_CATEGORY_NOT_A_FAILURE,
     MM_SEVERITY_NONE,
     0,
     N_("The message was delivered."),
     {A_NOTHING}},
    {MM_REASON_VACATION,
     MM_CATEGORY_NOT_A_FAILURE,
     MM_SEVERITY_NONE,
     0,
     N_("An automatic reply (e.g. out of office); the message was delivered."),
     {A_NOTHING}},
};
/* clang-format on */

/* Provider steps (anchors C.1-C.5 and A.13). */
static const char P_TENCENT_RATE[] = N_("Tencent limits sending per minute, hour and day; after a "
                                        "daily limit, wait until the next day.");
static const char P_TENCENT_MASS[] =
    N_("QQ Mail refuses content that looks like mass mail: write to each buyer individually "
       "instead of sending one text to many.");
static const char P_NETEASE_RATE[] =
    N_("NetEase windows: about 15 minutes after a short-term limit (MI:SFQ), the next day after a "
       "daily quota (MI:STC, RP:TRC).");
static const char P_NETEASE_SPM[] =
    N_("Change the content before sending again: a new subject, plain wording, fewer links and "
       "images, no risky attachments.");
static const char P_ALIBABA_BULK[] =
    N_("Alibaba Mail is not for bulk marketing: send newsletters through a bulk-mail service such "
       "as Alibaba Cloud DirectMail.");
static const char P_HIJACK[] = N_("If you did not send that much, change your password now: a "
                                  "hijacked account is throttled too.");
static const char P_ALIBABA_APPEAL[] =
    N_("Edit the wording and send again; if you think it is a mistake, forward the bounce to "
       "Alibaba Mail's anti-spam team to appeal.");
static const char P_CLEAN_LIST[] = N_("Remove bad addresses from your lists: many messages to "
                                      "addresses that do not exist damage your IP's standing.");
static const char P_SPF_IP[] = N_("Add every server that sends for your domain (mail provider, "
                                  "CRM, website) to your SPF record.");
static const char P_SAME_FROM[] = N_("Use the same address as login (envelope sender) and in From: "
                                     "the receiver refuses mail where they differ.");
static const char P_AUTHCODE[] =
    N_("Log in with the client authorisation code (授权码) from your mailbox settings, not your "
       "web password, and make sure SMTP is enabled.");
static const char P_APP_PASSWORD[] = N_("Sign in with an app password (it needs 2-step "
                                        "verification turned on), not your normal password.");
static const char P_MS_SMTP_AUTH[] =
    N_("Ask your administrator to allow authenticated SMTP for your mailbox, or use a mail client "
       "that signs in with your Microsoft account.");
static const char P_ALIBABA_LOGIN[] =
    N_("Alibaba Mail: the From address must be the account you log in with, and the outgoing "
       "server is smtp.qiye.aliyun.com, not the MX host.");
static const char P_GOOGLE_AUTH[] =
    N_("Gmail and Yahoo accept mail only when SPF or DKIM passes; bulk senders need SPF, DKIM and "
       "DMARC aligned with the From domain.");
static const char P_MS_AUTH[] = N_("Outlook.com requires SPF, DKIM and DMARC from senders of more "
                                   "than 5,000 messages a day (error 5.7.515).");
static const char P_GOOGLE_RATE[] =
    N_("Gmail slows down senders whose mail draws spam reports: keep complaints low, and let "
       "recipients unsubscribe in one click.");

/* Summaries that name the provider, so that the user sees whose rule it is. */
static const char S_TENCENT_RATE[] = N_("Tencent (QQ Mail, Exmail) limits how fast one IP, domain "
                                        "or sender may send; the address is fine.");
static const char S_NETEASE_RATE[] = N_("NetEase (163, 126, yeah.net) limits how much one sender "
                                        "may send in a period; the address is fine.");
static const char S_ALIBABA_RATE[] =
    N_("Alibaba Mail throttled you for sending too often (ANTISPAM_BAT); the address is fine.");
static const char S_NETEASE_SPM[] = N_("NetEase judged the content to be spam (DT:SPM).");

/*
 * What a receiving provider changes.  Rate limits at Chinese providers come
 * with 5xx codes but are waits, not bad addresses (anchors C.0 item 1); the
 * exact window comes in provider_retry from the rule that matched.
 */
/* clang-format off: one row per line reads as a table */
static const provider_row prov_rows[] = {
    /* Tencent: anchors C.1 (frequency limited, Mail content denied, SPF check failed). */
    {"tencent", MM_REASON_SPEEDING, 0, S_TENCENT_RATE, {P_TENCENT_RATE}},
    {"tencent", MM_REASON_TOOMANYCONN, 0, NULL, {P_TENCENT_RATE}},
    {"tencent", MM_REASON_SPAMDETECTED, 0, NULL, {P_TENCENT_MASS}},
    {"tencent", MM_REASON_BADREPUTATION, 0, NULL, {P_CLEAN_LIST}},
    {"tencent", MM_REASON_AUTHFAILURE, 0, NULL, {P_SPF_IP}},
    {"tencent", MM_REASON_AUTHSUBMISSION, 0, NULL, {P_AUTHCODE, A_LOGIN_WAIT}},
    /* NetEase: anchors C.2 (MI:SFQ, MI:STC, RP:TRC, DT:SPM, HL:REP, MI:SPF, DT:SUM). */
    {"netease", MM_REASON_SPEEDING, 0, S_NETEASE_RATE, {P_NETEASE_RATE}},
    {"netease", MM_REASON_TOOMANYCONN, 0, S_NETEASE_RATE, {P_NETEASE_RATE}},
    {"netease", MM_REASON_SPAMDETECTED, 0, S_NETEASE_SPM, {P_NETEASE_SPM}},
    {"netease", MM_REASON_BADREPUTATION, 0, NULL, {P_CLEAN_LIST}},
    {"netease", MM_REASON_BLOCKED, 0, NULL, {P_CLEAN_LIST}},
    {"netease", MM_REASON_AUTHFAILURE, 0, NULL, {P_SPF_IP}},
    {"netease", MM_REASON_REJECTED, 0, NULL, {P_SAME_FROM}},
    {"netease", MM_REASON_AUTHSUBMISSION, 0, NULL, {P_AUTHCODE, A_LOGIN_WAIT}},
    /* Alibaba Mail: anchors C.3 (ANTISPAM_BAT, ESO_LOCAL_SPAM, 440/501 submission). */
    {"alibaba", MM_REASON_SPEEDING, 0, S_ALIBABA_RATE, {P_HIJACK, P_ALIBABA_BULK}},
    {"alibaba", MM_REASON_TOOMANYCONN, 0, S_ALIBABA_RATE, {P_HIJACK}},
    {"alibaba", MM_REASON_SPAMDETECTED, 0, NULL, {P_ALIBABA_APPEAL, P_ALIBABA_BULK}},
    {"alibaba", MM_REASON_AUTHFAILURE, 0, NULL, {P_SPF_IP}},
    {"alibaba", MM_REASON_AUTHSUBMISSION, 0, NULL, {P_ALIBABA_LOGIN}},
    /* Coremail: anchors C.4 (Fake sender, SPF_REJECT). */
    {"coremail", MM_REASON_REJECTED, 0, NULL, {P_SAME_FROM}},
    {"coremail", MM_REASON_AUTHFAILURE, 0, NULL, {P_SPF_IP}},
    /* Sina: anchors C.5 (a 554 poor reputation went away after Spamhaus delisting). */
    {"sina", MM_REASON_BADREPUTATION, 0, NULL, {A_DNSBL}},
    /* Google, Microsoft, Yahoo: anchors A.13 (2024-2025 sender requirements). */
    {"google", MM_REASON_AUTHFAILURE, 0, NULL, {P_GOOGLE_AUTH}},
    {"google", MM_REASON_SPEEDING, 0, NULL, {P_GOOGLE_RATE}},
    {"google", MM_REASON_AUTHSUBMISSION, 0, NULL, {P_APP_PASSWORD}},
    {"yahoo", MM_REASON_AUTHFAILURE, 0, NULL, {P_GOOGLE_AUTH}},
    {"yahoo", MM_REASON_AUTHSUBMISSION, 0, NULL, {P_APP_PASSWORD}},
    {"microsoft", MM_REASON_AUTHFAILURE, 0, NULL, {P_MS_AUTH}},
    {"microsoft", MM_REASON_AUTHSUBMISSION, 0, NULL, {P_MS_SMTP_AUTH}},
};
/* clang-format on */

/* rows[]'s row of each reason, so that a look-up is one load, not a walk
 * over the rows (a recipient asks once).  When you add or move a row, fix
 * its number here; find_row() checks it and walks rows[] when it is wrong,
 * so a stale number costs time, never a wrong answer. */
static const unsigned char row_of[MM_REASON_COUNT_] = {
    [MM_REASON_USERUNKNOWN] = 0, [MM_REASON_HOSTUNKNOWN] = 1, [MM_REASON_HASMOVED] = 2,
    [MM_REASON_NOTACCEPT] = 3, [MM_REASON_SUSPEND] = 4, [MM_REASON_MAILBOXFULL] = 5,
    [MM_REASON_SYSTEMFULL] = 6, [MM_REASON_MESGTOOBIG] = 7, [MM_REASON_EXCEEDLIMIT] = 8,
    [MM_REASON_BLOCKED] = 9, [MM_REASON_BADREPUTATION] = 10, [MM_REASON_REJECTED] = 11,
    [MM_REASON_REQUIREPTR] = 12, [MM_REASON_NORELAYING] = 13, [MM_REASON_POLICYVIOLATION] = 14,
    [MM_REASON_SPAMDETECTED] = 15, [MM_REASON_FILTERED] = 16, [MM_REASON_VIRUSDETECTED] = 17,
    [MM_REASON_CONTENTERROR] = 18, [MM_REASON_NOTCOMPLIANTRFC] = 19, [MM_REASON_FEEDBACK] = 20,
    [MM_REASON_AUTHFAILURE] = 21, [MM_REASON_SECURITYERROR] = 22, [MM_REASON_FAILEDSTARTTLS] = 23,
    [MM_REASON_AUTHSUBMISSION] = 24, [MM_REASON_TOOMANYCONN] = 25, [MM_REASON_SPEEDING] = 26,
    [MM_REASON_EXPIRED] = 27, [MM_REASON_NETWORKERROR] = 28, [MM_REASON_SYSTEMERROR] = 29,
    [MM_REASON_MAILERERROR] = 30, [MM_REASON_SYNTAXERROR] = 31, [MM_REASON_ONHOLD] = 32,
    [MM_REASON_UNDEFINED] = 33, [MM_REASON_DELIVERED] = 34, [MM_REASON_VACATION] = 35,
};

static const advice_row *find_row(mm_reason_t reason)
{
    if ((unsigned)reason < MM_REASON_COUNT_ && row_of[reason] < NROWS(rows) &&
        rows[row_of[reason]].reason == reason)
        return &rows[row_of[reason]];
    const advice_row *fallback = NULL;
    for (size_t i = 0; i < NROWS(rows); i++) {
        if (rows[i].reason == reason)
            return &rows[i];
        if (rows[i].reason == MM_REASON_UNDEFINED)
            fallback = &rows[i];
    }
    return fallback; /* only for values outside the enum */
}

static const provider_row *find_provider_row(const char *provider, mm_reason_t reason)
{
    if (!provider || !*provider)
        return NULL;
    for (size_t i = 0; i < NROWS(prov_rows); i++)
        if (prov_rows[i].reason == reason && strcasecmp(prov_rows[i].provider, provider) == 0)
            return &prov_rows[i];
    return NULL;
}

/* Append s to out[*n] unless it is already there or the list is full. */
static void add_step(const char **out, size_t *n, const char *s)
{
    if (!s || *n >= MAX_STEPS)
        return;
    for (size_t i = 0; i < *n; i++)
        if (out[i] == s)
            return;
    out[(*n)++] = s;
}

/*
 * Retry time: the provider row's figure over the generic one, then the
 * provider's published window over both.  "Never" and "nothing to retry"
 * are facts about the reason, so no window overrides them.
 */
static long pick_retry(const advice_row *row, const provider_row *prow, long provider_retry)
{
    long retry = row->retry_after;
    if (retry == MM_RETRY_NEVER || retry == 0)
        return retry;
    if (prow && prow->retry_after > 0)
        retry = prow->retry_after;
    if (provider_retry > 0)
        retry = provider_retry;
    return retry;
}

void mm_advise(mm_reason_t reason, const char *provider, long provider_retry, mm_advice *out)
{
    const advice_row *row = find_row(reason);
    const provider_row *prow = find_provider_row(provider, row->reason);
    out->category = row->category;
    out->severity = row->severity;
    out->retry_after = pick_retry(row, prow, provider_retry);
    out->summary = prow && prow->summary ? prow->summary : row->summary;

    /* Provider steps first: they are the most specific. */
    size_t n = 0;
    for (size_t i = 0; i < MM_MAX_ACTIONS; i++)
        out->actions[i] = NULL;
    for (size_t i = 0; prow && i < MAX_STEPS; i++)
        add_step(out->actions, &n, prow->actions[i]);
    for (size_t i = 0; i < MAX_STEPS; i++)
        add_step(out->actions, &n, row->actions[i]);
}
