/*
 * test_classify.c - table-driven tests of the classifier: from a diagnostic
 * text, a status code, a reply code and an SMTP command to a reason and the
 * hard-bounce flag.  Each row is one receiver's reply as MTAs quote it; the
 * expected reasons are the reference decoder's (Sisimai v5.1) for the same
 * input, so a failing row means the decision order or a phrase table moved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include <mailmedic/mailmedic.h>
#include "bounce/bounce_int.h"

typedef struct row {
    const char *diag;
    const char *status;
    int reply;
    const char *command;
    const char *rhost;
    mm_reason_t want;
    bool hard;
} row;

/* A row with what a decoder adds: its hint, whether the format states it
 * (hint_strong), and the Diagnostic-Code type. */
typedef struct hinted_row {
    row r;
    mm_reason_t hint;
    bool strong;
    const char *type;
} hinted_row;

static const row rows[] = {
    /* userunknown: code, RCPT, or no command named */
    {"550 5.1.1 <a@example.jp>... User Unknown", "5.1.1", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"550 5.1.1 Recipient address rejected: User unknown in local recipient table", "5.1.1", 550, "", "", MM_REASON_USERUNKNOWN, true},
    {"550 No such user here", "", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"550 Unknown user kijitora@example.ne.jp", "5.0.0", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"553 Invalid recipient kijitora@example.org", "", 553, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"550 mailbox not found", "", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"550 mailbox not found", "", 550, "", "", MM_REASON_FILTERED, false},
    {"550 5.1.1 The email account that you tried to reach does not exist.", "5.1.1", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"550 Recipient address rejected: User unknown in virtual alias table", "4.1.1", 450, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    {"550 Requested action not taken: mailbox unavailable", "5.5.0", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    /* filtered: after DATA, or a 5.2.x code */
    {"550 Unknown user kijitora@example.ne.jp", "5.2.0", 550, "DATA", "", MM_REASON_FILTERED, false},
    {"550 5.2.1 User reject", "5.2.1", 550, "DATA", "", MM_REASON_FILTERED, false},
    {"550 refused due to recipient preferences", "", 550, "DATA", "", MM_REASON_FILTERED, false},
    /* mailboxfull */
    {"552 5.2.2 Mailbox full", "5.2.2", 552, "RCPT", "", MM_REASON_MAILBOXFULL, false},
    {"450 4.2.2 <a@b.jp>... Mailbox Full", "4.2.2", 450, "", "", MM_REASON_MAILBOXFULL, false},
    {"550 user is over quota", "5.0.0", 550, "", "", MM_REASON_MAILBOXFULL, false},
    {"552 Requested mail action aborted: exceeded storage allocation", "5.2.2", 552, "", "", MM_REASON_MAILBOXFULL, false},
    /* mesgtoobig and exceedlimit */
    {"552 5.3.4 Error: message file too big", "5.3.4", 552, "DATA", "", MM_REASON_MESGTOOBIG, false},
    {"552 Message size exceeds fixed maximum message size", "5.0.0", 552, "", "", MM_REASON_MESGTOOBIG, false},
    {"552 5.2.3 Message length exceeds administrative limit", "5.2.3", 552, "", "", MM_REASON_EXCEEDLIMIT, false},
    {"552 message too large", "5.0.0", 552, "", "", MM_REASON_EXCEEDLIMIT, false},
    /* suspend */
    {"550 5.2.1 This mailbox is disabled", "5.2.1", 550, "RCPT", "", MM_REASON_SUSPEND, false},
    {"550 user suspended", "5.0.0", 550, "", "", MM_REASON_SUSPEND, false},
    {"525 5.7.13 User account disabled", "5.7.13", 525, "", "", MM_REASON_SUSPEND, false},
    /* hasmoved */
    {"550 5.1.6 address kijitora@example.jp has been replaced by neko@example.jp", "5.1.6", 550, "", "", MM_REASON_HASMOVED, true},
    {"550 5.1.6 recipient no longer on server", "5.1.6", 550, "RCPT", "", MM_REASON_HASMOVED, true},
    /* norelaying */
    {"554 5.7.1 <a@example.org>: Relay access denied", "5.7.1", 554, "RCPT", "", MM_REASON_NORELAYING, false},
    {"550 relaying denied", "5.0.0", 550, "", "", MM_REASON_NORELAYING, false},
    /* hostunknown */
    {"550 Host unknown", "5.1.2", 550, "", "", MM_REASON_HOSTUNKNOWN, true},
    {"Domain name not found: no such domain", "5.0.0", 0, "", "", MM_REASON_HOSTUNKNOWN, true},
    {"553 5.1.2 unrouteable address", "", 553, "", "", MM_REASON_HOSTUNKNOWN, true},
    /* X.4.4 with null-MX words is notaccept; X.1.2 stays hostunknown */
    {"<a@example.jp>: Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)", "5.4.4", 0, "", "", MM_REASON_NOTACCEPT, true},
    {"550 5.1.2 <a@example.org>... Host unknown (Name server: .: host not found)", "5.1.2", 550, "", "", MM_REASON_HOSTUNKNOWN, true},
    /* rejected: the sender */
    {"550 5.1.8 Sender address rejected: Domain not found", "5.1.8", 550, "MAIL", "", MM_REASON_REJECTED, false},
    {"550 5.7.1 Access denied (in reply to MAIL FROM command)", "5.7.1", 550, "MAIL", "", MM_REASON_REJECTED, false},
    {"501 5.1.7 Bad sender address syntax", "5.1.7", 501, "MAIL", "", MM_REASON_REJECTED, false},
    {"550 sender verify failed", "5.0.0", 550, "", "", MM_REASON_REJECTED, false},
    /* blocked */
    {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org", "5.7.1", 554, "RCPT", "", MM_REASON_BLOCKED, false},
    {"421 4.7.1 too many errors from your ip", "4.7.1", 421, "", "", MM_REASON_TOOMANYCONN, false},
    {"421 4.7.1 Service not available, try later", "4.7.1", 421, "", "", MM_REASON_BLOCKED, false},
    {"550 you are not allowed to connect", "5.0.0", 550, "CONN", "", MM_REASON_BLOCKED, false},
    {"554 IP=192.0.2.254 - A problem occurred. (Ask your postmaster for help.) (BL)", "5.5.0", 554, "CONN", "", MM_REASON_BLOCKED, false},
    /* 5.5.4 is "invalid command arguments", systemerror in Status.pm; a
     * code's own meaning comes before the 50x reply (anotherone()) */
    {"501 5.5.4 Invalid domain name", "", 501, "HELO", "", MM_REASON_SYSTEMERROR, false},
    {"501 Invalid domain name", "", 501, "HELO", "", MM_REASON_SYNTAXERROR, false},
    /* requireptr, authfailure, badreputation, notcompliantrfc */
    {"550 5.7.25 reverse dns failed", "5.7.25", 550, "", "", MM_REASON_REQUIREPTR, false},
    {"450 4.7.1 Client host rejected: cannot find your hostname", "4.7.1", 450, "RCPT", "", MM_REASON_REQUIREPTR, false},
    {"550 5.7.26 Email rejected per DMARC policy for example.org", "5.7.26", 550, "", "", MM_REASON_AUTHFAILURE, false},
    {"550 5.7.1 SPF check: fail", "5.7.1", 550, "", "", MM_REASON_AUTHFAILURE, false},
    {"550 5.7.1 our system has detected this message is likely suspicious due to the very low reputation", "5.7.1", 550, "DATA", "", MM_REASON_BADREPUTATION, false},
    {"421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints", "4.7.0", 421, "", "", MM_REASON_BADREPUTATION, false},
    {"550 5.7.1 This message is not RFC 5322 compliant. There are multiple Subject headers.", "5.7.1", 550, "DATA", "", MM_REASON_NOTCOMPLIANTRFC, false},
    /* spamdetected, virusdetected, policyviolation */
    {"550 5.7.1 Message content rejected, UBE, id=00000-00-000", "5.7.1", 550, "DATA", "", MM_REASON_SPAMDETECTED, false},
    {"554 5.7.1 spam detected", "5.7.1", 554, "DATA", "", MM_REASON_SPAMDETECTED, false},
    {"554 5.7.1 Your message was infected with a virus", "5.7.1", 554, "DATA", "", MM_REASON_VIRUSDETECTED, false},
    {"550 5.7.1 Email not accepted for policy reasons", "5.7.1", 550, "DATA", "", MM_REASON_POLICYVIOLATION, false},
    /* speeding, toomanyconn */
    {"451 4.7.1 Client host rejected: Please try again slower", "4.7.1", 451, "", "", MM_REASON_SPEEDING, false},
    {"421 4.3.2 too many connections", "4.3.2", 421, "", "", MM_REASON_TOOMANYCONN, false},
    {"452 4.3.2 Connection rate limit exceeded.", "4.3.2", 452, "MAIL", "", MM_REASON_TOOMANYCONN, false},
    /* securityerror, systemerror, networkerror, systemfull */
    {"530 5.7.0 Authentication required", "5.7.0", 530, "MAIL", "", MM_REASON_SECURITYERROR, false},
    {"550 5.7.0 Access not allowed", "5.7.0", 550, "", "", MM_REASON_SECURITYERROR, false},
    {"451 4.3.5 System config error", "4.3.5", 451, "", "", MM_REASON_SYSTEMERROR, false},
    {"554 5.4.6 Too many hops", "5.4.6", 554, "", "", MM_REASON_NETWORKERROR, false},
    {"452 4.3.1 Insufficient system storage", "4.3.1", 452, "", "", MM_REASON_SYSTEMFULL, false},
    /* expired, contenterror, notaccept, mailererror, syntaxerror */
    {"Delivery time expired", "4.4.7", 0, "", "", MM_REASON_EXPIRED, false},
    {"this message has been in the queue too long", "", 0, "", "", MM_REASON_EXPIRED, false},
    {"550 5.6.9 improper use of 8-bit data in message header", "5.6.9", 550, "DATA", "", MM_REASON_CONTENTERROR, false},
    {"554 duplicate header", "5.6.0", 554, "DATA", "", MM_REASON_CONTENTERROR, false},
    {"521 5.3.2 host does not accept mail", "5.3.2", 521, "", "", MM_REASON_NOTACCEPT, true},
    {"556 5.1.10 Recipient address has null MX", "5.1.10", 556, "", "", MM_REASON_NOTACCEPT, true},
    {"453 4.3.2 System not accepting network messages", "4.3.2", 453, "", "", MM_REASON_NOTACCEPT, false},
    {"Command died with status 127: procmail", "5.3.0", 0, "", "", MM_REASON_MAILERERROR, false},
    {"503 5.5.1 bad sequence of commands", "5.5.1", 503, "", "", MM_REASON_SYNTAXERROR, false},
    /* delivered, onhold, undefined, vacation */
    {"250 2.1.5 OK", "2.1.5", 250, "", "", MM_REASON_DELIVERED, false},
    {"something odd happened", "", 0, "", "", MM_REASON_ONHOLD, false},
    {"", "", 0, "", "", MM_REASON_UNDEFINED, false},
    {"This is the mail system at host mx.example.net. I'm sorry to have to inform you that your message could not be delivered.", "", 0, "", "", MM_REASON_UNDEFINED, false},
    {"I am out of the office until Monday", "", 0, "", "", MM_REASON_VACATION, false},
    /* provider rules */
    {"550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy", "5.7.26", 550, "", "gmail-smtp-in.l.google.com", MM_REASON_AUTHFAILURE, false},
    {"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints", "4.7.0", 421, "", "mta6.am0.yahoodns.net", MM_REASON_REJECTED, false},
    {"550 5.5.0 Adresse d au moins un destinataire invalide. Invalid recipient. LPN007_416", "5.5.0", 550, "", "smtpz4.laposte.net", MM_REASON_USERUNKNOWN, true},
    {"421 4.2.1 Service refuse. Veuillez essayer plus tard. LPN006_107", "4.2.1", 421, "", "smtpz4.laposte.net", MM_REASON_UNDEFINED, false},
    {"SMTP error from remote server for TEXT command, host: smtp-in.orange.fr (193.252.22.65) reason: 550 5.2.0 Mail rejete. Mail rejected. ofr_506 [506]", "5.2.0", 550, "", "smtp-in.orange.fr", MM_REASON_SPAMDETECTED, false},
    {"501 5.1.0 Emetteur invalide. Invalid Sender. OFR004_405 [405] (in reply to MAIL FROM command)", "5.1.0", 501, "MAIL", "smtp-in.orange.fr", MM_REASON_REJECTED, false},
    {"421 mwinf5c79 ME Trop de connexions, veuillez verifier votre configuration. Too many connections, slow down. LPN105-104", "", 421, "", "smtp.wanadoo.fr", MM_REASON_TOOMANYCONN, false},
    {"550 5.5.0 Le compte du destinataire est bloque. The recipient account isblocked. LPN007_426 (in reply to RCPT TO command)", "5.5.0", 550, "RCPT", "smtpz4.laposte.net", MM_REASON_SUSPEND, false},
    {"550 Unknown user a@docomo.ne.jp", "5.2.0", 550, "", "mfsmax.docomo.ne.jp", MM_REASON_FILTERED, false},
    {"550 5.1.0 <a@example.org> sender rejected. Refer to Error Codes section at https://www.cox.com/residential/support/email-error-codes.html for more information. AUP#CDRBL (in reply to MAIL FROM command)", "5.1.0", 550, "MAIL", "mx.cox.net", MM_REASON_BLOCKED, false},
    {"553 http://www.spamhaus.org/query/bl?ip=192.0.2.222", "5.1.3", 553, "", "smtp.secureserver.net", MM_REASON_BLOCKED, false},
    {"554 This IP has been temporarily blocked for attempting to send too many messages containing content judged to be spam by the Internet community. IB110", "5.0.0", 554, "", "smtp.secureserver.net", MM_REASON_BLOCKED, false},
    {"554 email rejected due to security policies - MCSpamSignature.sa.2.2 (in reply to end of DATA command)", "5.0.0", 554, "DATA", "service222.mimecast.com", MM_REASON_VIRUSDETECTED, false},
    {"550 Mailbox is frozen. See http://mail.i.ua/err/3/ (in reply to RCPT TO command)", "5.0.0", 550, "RCPT", "mx3.email.ua", MM_REASON_SUSPEND, false},
    {"550 : User unknown", "5.0.0", 550, "", "lsean.ezweb.ne.jp", MM_REASON_FILTERED, false},
    {"550 <a@ezweb.ne.jp>: User unknown", "5.0.0", 550, "", "lsean.ezweb.ne.jp", MM_REASON_USERUNKNOWN, true},
    {"550 5.7.606 Access denied, banned sending IP [192.0.2.1]", "5.7.606", 550, "", "x.mail.protection.outlook.com", MM_REASON_BLOCKED, false},
    {"451 4.7.650 The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation.", "4.7.650", 451, "MAIL", "x.olc.protection.outlook.com", MM_REASON_BADREPUTATION, false},
    {"550 5.7.509 Access denied, sending domain example.org does not pass DMARC verification", "5.7.509", 550, "", "x.prod.outlook.com", MM_REASON_AUTHFAILURE, false},
    {"554 5.7.1 Your message was rejected due to the Spectrum policy AUP#O1100", "5.7.1", 554, "", "mx.charter.net", MM_REASON_REQUIREPTR, false},
    {"550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL.", "5.7.1", 550, "", "mx01.mail.icloud.com", MM_REASON_BLOCKED, false},
    /* wordings of MTAs and providers (general phrases) */
    {"DNS Error: 1 DNS type 'mx' lookup of gmal.com responded with code NOERROR 1 DNS type 'mx' lookup of gmal.com had no relevant answers.", "4.0.0", 0, "", "", MM_REASON_NETWORKERROR, false},
    {"DNS Error: 2 DNS type 'mx' lookup of example.org responded with code NOERROR The domain example.org doesn't receive email according to the administrator: returned Null MX", "5.0.0", 0, "", "", MM_REASON_NOTACCEPT, true},
    {"an MX or SRV record indicated no SMTP service", "", 0, "", "", MM_REASON_NOTACCEPT, true},
    {"Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) I'm not going to try again; this message has been in the queue too long.", "4.4.1", 0, "", "", MM_REASON_NETWORKERROR, false},
    {": Network error on destination MXs", "", 0, "", "", MM_REASON_NETWORKERROR, false},
    {": Envelope expired", "", 0, "", "", MM_REASON_EXPIRED, false},
    {"550 5.7.0 <a@example.org>: Recipient address rejected: No relaying.", "5.7.0", 550, "", "", MM_REASON_NORELAYING, false},
    {"550-Please turn on SMTP Authentication in your mail client.", "5.0.0", 550, "", "", MM_REASON_SECURITYERROR, false},
    /* "Recipient address rejected:" is Postfix's prefix for any RCPT
     * restriction; the words after it (and the code) decide */
    {"550 5.7.26 <a@example.net>: Recipient address rejected: Multiple authentication checks failed", "5.7.26", 550, "RCPT", "", MM_REASON_AUTHFAILURE, false},
    {"550 5.7.25 <a@example.net>: Recipient address rejected: Reverse DNS validation failed", "5.7.25", 550, "RCPT", "", MM_REASON_REQUIREPTR, false},
    {"550 5.6.0 <a@example.net>: Recipient address rejected: Media error.", "5.6.0", 550, "RCPT", "", MM_REASON_CONTENTERROR, false},
    {"550 5.1.2 <a@example.net>: Recipient address rejected: Bad destination system address.", "5.1.2", 550, "RCPT", "", MM_REASON_HOSTUNKNOWN, true},
    {"521 5.3.2 <a@example.net>: Recipient address rejected: System not accepting network messages.", "5.3.2", 521, "RCPT", "", MM_REASON_NOTACCEPT, true},
    {"550 5.7.26 <a@example.net>: Recipient address rejected: Multiple authentication checks failed", "5.7.26", 550, "", "", MM_REASON_AUTHFAILURE, false},
    {"550 5.7.25 <a@example.net>: Recipient address rejected: Reverse DNS validation failed", "5.7.25", 550, "", "", MM_REASON_REQUIREPTR, false},
    {"550 5.6.0 <a@example.net>: Recipient address rejected: Media error.", "5.6.0", 550, "", "", MM_REASON_CONTENTERROR, false},
    {"550 5.1.2 <a@example.net>: Recipient address rejected: Bad destination system address.", "5.1.2", 550, "", "", MM_REASON_HOSTUNKNOWN, true},
    {"521 5.3.2 <a@example.net>: Recipient address rejected: System not accepting network messages.", "5.3.2", 521, "", "", MM_REASON_NOTACCEPT, true},
    /* user-unknown words count at RCPT only (or with a 5.1.x code); with
     * no command named they mean a filter (Sisimai UserUnknown.pm true()) */
    {"550 5.2.1 <a@example.jp>... User Unknown", "5.2.1", 550, "", "", MM_REASON_FILTERED, false},
    {"550 a@example.com... No such user", "5.0.0", 550, "", "", MM_REASON_FILTERED, false},
    {"550 a@example.com... No such user", "5.0.0", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true},
    /* a command named in upper case in a transcript line counts */
    {"SMTP:RCPT host 192.0.2.8: 553 5.3.0 <a@example.com>... No such user here", "5.3.0", 553, "", "", MM_REASON_USERUNKNOWN, true},
    {"MAIL FROM: <> 250 OK RCPT TO: <a@example.com> 550 No such user", "", 550, "", "", MM_REASON_USERUNKNOWN, true},
    {"550 <DATABASE@EXAMPLE.JP>... No such user", "", 550, "", "", MM_REASON_FILTERED, false},
    {"550 Unknown user a@example.jp . (#5.5.0) (Other MXes tried: 192.0.2.32 said 550 for RCPT TO response)", "5.5.0", 550, "", "", MM_REASON_USERUNKNOWN, true},
};

static const hinted_row hinted[] = {
    /* a decoder's "look again" hint yields to a code that says otherwise */
    {{"550 5.7.25 <a@example.net>: Recipient address rejected: Reverse DNS validation failed", "5.7.25", 550, "RCPT", "", MM_REASON_REQUIREPTR, false}, MM_REASON_USERUNKNOWN, false, ""},
    {{"550 5.6.0 <a@example.net>: Recipient address rejected: Media error.", "5.6.0", 550, "RCPT", "", MM_REASON_CONTENTERROR, false}, MM_REASON_USERUNKNOWN, false, ""},
    {{"550 5.1.2 <a@example.net>: Recipient address rejected: Bad destination system address.", "5.1.2", 550, "RCPT", "", MM_REASON_HOSTUNKNOWN, true}, MM_REASON_USERUNKNOWN, false, ""},
    {{"521 5.3.2 <a@example.net>: Recipient address rejected: System not accepting network messages.", "5.3.2", 521, "RCPT", "", MM_REASON_NOTACCEPT, true}, MM_REASON_USERUNKNOWN, false, ""},
    {{"550 5.2.0 <a@example.net>: Recipient address rejected: unknown", "5.2.0", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true}, MM_REASON_USERUNKNOWN, false, ""},
    /* a strong hint is final: the format states the reason */
    {{"550 5.4.312 Message expired, DNS query failed", "5.4.312", 550, "", "", MM_REASON_NETWORKERROR, false}, MM_REASON_NETWORKERROR, true, ""},
    {{"450 4.0.0 Temporary failure", "4.0.0", 450, "", "", MM_REASON_ONHOLD, false}, MM_REASON_ONHOLD, true, ""},
    {{"550-Please turn on SMTP Authentication. mx.example.net is not permitted to relay through this server without authentication.", "5.0.0", 550, "", "", MM_REASON_SECURITYERROR, false}, MM_REASON_SECURITYERROR, true, ""},
    {{"550 5.1.1 user unknown", "5.1.1", 550, "RCPT", "", MM_REASON_SYSTEMERROR, false}, MM_REASON_SYSTEMERROR, true, ""},
    {{"550 5.1.1 user unknown", "5.1.1", 550, "RCPT", "", MM_REASON_USERUNKNOWN, true}, MM_REASON_SYSTEMERROR, false, ""},
    /* X-Unix: the program's words first, then "the mailer failed" */
    {{"Quota exceeded message delivery failed to /var/mail/box/k/INBOX", "4.3.0", 0, "", "", MM_REASON_MAILBOXFULL, false}, MM_REASON_UNDEFINED, false, "X-UNIX"},
    {{"550 5.0.0 <a@example.or.jp>... Insufficient permission", "5.3.0", 550, "", "", MM_REASON_SYSTEMERROR, false}, MM_REASON_UNDEFINED, false, "X-Unix"},
    {{"451 4.0.0 Operating system error", "4.0.0", 451, "", "", MM_REASON_MAILERERROR, false}, MM_REASON_UNDEFINED, false, "X-Unix"},
    /* vendor tables (vendors.c, gmail.c): a plain hint that the words beside it do not contradict */
    {{"The recipient name is not recognized MSEXCH:IMS:EXAMPLE:HQ:GW01 0 (000C05A6) Unknown Recipient", "", 0, "", "", MM_REASON_USERUNKNOWN, true}, MM_REASON_USERUNKNOWN, false, ""},
    {{"550 a@example.com... No such user", "5.0.0", 550, "", "", MM_REASON_USERUNKNOWN, true}, MM_REASON_USERUNKNOWN, false, ""},
    {{"500 Remote server does not support TLS (state 6).", "", 500, "MAIL", "", MM_REASON_SYSTEMERROR, false}, MM_REASON_SYSTEMERROR, false, ""},
    {{"554 5.7.0 Header error (state 18).", "5.7.0", 554, "DATA", "", MM_REASON_FILTERED, false}, MM_REASON_FILTERED, false, ""},
    /* Sendmail 5's verdict after the reply: the session was cut (Sisimai's Blocked) */
    {{"550 Message refused. Remote protocol error: Connection reset by peer during result wait with mx.example.com", "", 550, "DATA", "", MM_REASON_BLOCKED, false}, MM_REASON_UNDEFINED, false, ""},
    /* the G Suite decoder hints userunknown for its own sentence */
    {{"Your message wasn't delivered to a@example.it because the address couldn't be found. Check for typos or unnecessary spaces and try again.", "5.0.0", 0, "", "", MM_REASON_USERUNKNOWN, true}, MM_REASON_USERUNKNOWN, false, ""},
};

static int check_row(const row *w, mm_reason_t hint, bool strong, const char *type, size_t i)
{
    mm_rcpt rc;
    memset(&rc, 0, sizeof rc);
    mm_recipient *p = &rc.pub;
    p->recipient = "kijitora@example.jp";
    p->original_recipient = p->reporting_mta = p->date = p->provider = "";
    p->action = "failed";
    p->status = w->status;
    p->reply_code = w->reply;
    p->diagnostic = w->diag;
    p->remote_mta = w->rhost;
    p->smtp_command = w->command;
    rc.hint = hint;
    rc.hint_strong = strong;
    rc.diag_type = type;
    mm_classify(&rc);
    if (p->reason == w->want && p->hard_bounce == w->hard)
        return 0;
    printf("row %zu \"%s\": got %s/%s, want %s/%s\n", i, w->diag, mm_reason_tostr(p->reason),
           p->hard_bounce ? "hard" : "soft", mm_reason_tostr(w->want), w->hard ? "hard" : "soft");
    return 1;
}

static void classify_rows(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        bad += check_row(&rows[i], MM_REASON_UNDEFINED, false, "", i);
    for (size_t i = 0; i < sizeof hinted / sizeof hinted[0]; i++)
        bad += check_row(&hinted[i].r, hinted[i].hint, hinted[i].strong, hinted[i].type, i);
    assert_int_equal(bad, 0);
}

/* The status the classifier settles on: the more telling code wins. */
static void status_preference(void **state)
{
    (void)state;
    static const struct {
        const char *field, *diag, *want;
        int reply;
    } cases[] = {
        {"5.0.0", "550 5.1.1 User unknown", "5.1.1", 550},
        {"5.1.1", "550 5.0.0 User unknown", "5.1.1", 550},
        {"", "451 4.4.7 then 4.2.2 mailbox full", "4.2.2", 451},
        {"4.4.7", "550 5.1.1 no such user", "5.1.1", 0},
        {"", "no code at all", "", 0},
        {"", "version v5.1.2 of the software", "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mm_rcpt rc;
        memset(&rc, 0, sizeof rc);
        mm_recipient *p = &rc.pub;
        p->recipient = p->original_recipient = p->reporting_mta = p->date = p->provider = "";
        p->remote_mta = p->smtp_command = "";
        p->action = "failed";
        p->status = cases[i].field;
        p->reply_code = cases[i].reply;
        p->diagnostic = cases[i].diag;
        rc.diag_type = "";
        mm_classify(&rc);
        if (strcmp(p->status, cases[i].want) != 0)
            printf("case %zu: got \"%s\", want \"%s\"\n", i, p->status, cases[i].want);
        assert_string_equal(p->status, cases[i].want);
    }
}

/* Office 365's own codes (the report came from *.outlook.com), and a code
 * quoted from a transcript that says success for a failed recipient. */
static void office365_and_transcript(void **state)
{
    (void)state;
    static const struct {
        const char *diag, *status, *reporting, *action, *want_status;
        int reply;
        mm_reason_t want;
    } cases[] = {
        {"550 5.4.316 Message expired, connection refused", "5.4.316", "SG2APC01HT007.mail.protection.outlook.com", "failed", "5.4.316", 550, MM_REASON_EXPIRED},
        {"550 5.4.312 Message expired, DNS query failed", "5.4.312", "SG2APC01HT226.mail.protection.outlook.com", "failed", "5.4.312", 550, MM_REASON_NETWORKERROR},
        {"550 5.7.505 Access denied, banned recipient", "5.7.505", "AM0PR01MB0001.eurprd01.prod.outlook.com", "failed", "5.7.505", 550, MM_REASON_FILTERED},
        {"550 5.7.505 Access denied, banned recipient", "5.7.505", "mx.example.net", "failed", "5.7.505", 550, MM_REASON_SECURITYERROR},
        {"550 5.4.316 Message expired, connection refused", "5.4.316", "mx.example.net", "failed", "5.4.316", 550, MM_REASON_EXPIRED},
        {"Out: 250 2.1.0 Ok In: RCPT TO:<a@example.org> Out: 250 2.1.5 Ok In: DATA Out: 451 4.3.0 Error: queue file write error", "2.1.0", "", "failed", "4.3.0", 250, MM_REASON_SYSTEMERROR},
        {"250 2.1.5 Ok", "2.1.5", "", "delivered", "2.1.5", 250, MM_REASON_DELIVERED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mm_rcpt rc;
        memset(&rc, 0, sizeof rc);
        mm_recipient *p = &rc.pub;
        p->recipient = "kijitora@example.jp";
        p->original_recipient = p->date = p->provider = p->remote_mta = p->smtp_command = "";
        p->reporting_mta = cases[i].reporting;
        p->action = cases[i].action;
        p->status = cases[i].status;
        p->reply_code = cases[i].reply;
        p->diagnostic = cases[i].diag;
        rc.hint = MM_REASON_UNDEFINED;
        rc.diag_type = "";
        mm_classify(&rc);
        if (p->reason != cases[i].want || strcmp(p->status, cases[i].want_status) != 0)
            printf("case %zu \"%s\": got %s %s, want %s %s\n", i, cases[i].diag,
                   mm_reason_tostr(p->reason), p->status, mm_reason_tostr(cases[i].want),
                   cases[i].want_status);
        assert_int_equal(p->reason, cases[i].want);
        assert_string_equal(p->status, cases[i].want_status);
    }
}

/* Reply codes: only the registered ones count (522, 542, 426 are not). */
static void reply_codes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int want;
    } cases[] = {
        {"550 5.1.1 User unknown", 550},
        {"542 kijitora@example.com Rejected", 0},
        {"426 connection timed out", 0},
        {"522 5.2.0 Delivery failed: Over quota", 0},
        {"521 5.3.2 System not accepting network messages", 521},
        {"host said: 542 no, then 554 5.7.1 rejected", 554},
        {"version 5.1.2", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = mm_find_reply(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].want)
            printf("case %zu \"%s\": got %d, want %d\n", i, cases[i].text, got, cases[i].want);
        assert_int_equal(got, cases[i].want);
    }
}

/* Addresses as reports write them; a quoted local part keeps its quotes. */
static void report_addresses(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"<Kijitora@Example.JP>", "Kijitora@example.jp"},
        {"rfc822; <a@b.example>", "a@b.example"},
        {"<\"neko....nyaan....\"@LibSisimai.org>", "\"neko....nyaan....\"@libsisimai.org"},
        {"\"Neko Nyaan\" <neko@example.org>", "neko@example.org"},
        {"'a@b.example'", "a@b.example"},
    };
    mm_report *r;
    assert_int_equal(mm_report_new(10, &r), MM_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = mm_report_addr(r, cases[i].in, strlen(cases[i].in));
        if (strcmp(got, cases[i].want) != 0)
            printf("case %zu \"%s\": got \"%s\", want \"%s\"\n", i, cases[i].in, got, cases[i].want);
        assert_string_equal(got, cases[i].want);
    }
    mm_report_destroy(r);
}

/* Past max_recipients mm_report_add() returns NULL and marks the report
 * truncated: the limit, not out of memory. */
static void recipient_limit(void **state)
{
    (void)state;
    mm_report *r;
    assert_int_equal(mm_report_new(2, &r), MM_OK);
    assert_non_null(mm_report_add(r));
    assert_non_null(mm_report_add(r));
    assert_false(r->truncated);
    assert_null(mm_report_add(r));
    assert_true(r->truncated);
    assert_int_equal(r->n, 2);
    mm_report_destroy(r);
}

/* The same through a decoder: a notice with more recipients than the
 * limit gives the first ones and a truncated report, not an error. */
static void recipient_limit_decoded(void **state)
{
    (void)state;
    static const char msg[] =
        "From: MAILER-DAEMON@mx.example.jp\n"
        "To: kijitora@example.org\n"
        "Subject: failure notice\n"
        "\n"
        "Hi. This is the qmail-send program at mx.example.jp.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n"
        "\n"
        "<neko@example.net>:\n"
        "192.0.2.1 does not like recipient.\n"
        "Remote host said: 550 5.1.1 <neko@example.net>... User Unknown\n"
        "Giving up on 192.0.2.1.\n"
        "\n"
        "<mike@example.net>:\n"
        "192.0.2.1 does not like recipient.\n"
        "Remote host said: 550 5.1.1 <mike@example.net>... User Unknown\n"
        "Giving up on 192.0.2.1.\n"
        "\n"
        "--- Below this line is a copy of the message.\n";
    mm_limits lim = {.max_recipients = 1};
    mm_ctx *ctx;
    mm_report *r = NULL;
    assert_int_equal(mm_ctx_create(&lim, &ctx), MM_OK);
    assert_int_equal(mm_diagnose_message(ctx, msg, sizeof msg - 1, &r, NULL, 0), MM_OK);
    assert_int_equal(mm_report_count(r), 1);
    assert_true(mm_report_truncated(r));
    assert_string_equal(mm_report_recipient(r, 0)->recipient, "neko@example.net");
    mm_report_destroy(r);
    mm_ctx_destroy(ctx);
}

/* mm_field_named() against its naive meaning (same key, strcasecmp() ==
 * 0 in the C locale) for literals of 1 to 22 bytes and names made from
 * them: case flips, one byte changed (to its case twin, a control byte,
 * an 8-bit byte, the byte 0x20 apart of a non-letter), cut short, made
 * longer.  Each name sits in a buffer of its exact size, so a read past
 * its NUL is caught under ASan. */
static bool naive_named(const char *name, const char *lit)
{
    size_t n = strlen(name), l = strlen(lit);
    return mm_field_key(name, n) == mm_field_key(lit, l) && strcasecmp(name, lit) == 0;
}

static void check_named(const char *text, size_t len, const char *lit)
{
    char *name = malloc(len + 1);
    assert_non_null(name);
    memcpy(name, text, len);
    name[len] = '\0';
    mm_field f = {.name = name, .key = mm_field_key(name, strlen(name))};
    if (mm_field_named(&f, lit) != naive_named(name, lit)) {
        fprintf(stderr, "lit \"%s\", name \"%s\" (len %zu)\n", lit, name, len);
        fail();
    }
    free(name);
}

static void field_named(void **state)
{
    (void)state;
    static const char *const lits[] = {
        "A", "To", "A-b", "Date", "From", "x-1@", "Action", "Subject", "Message-", "Message-ID",
        "Remote-MTA", "Arrival-Date", "Reporting-MTA", "Final-Recipient", "Diagnostic-Code",
        "Last-Attempt-Date", "Original-Recipient", "X-Actual-Recipient", "abcdefghijklmnopqrst",
        "X-Abcdefghijklmnopqrs", "Z[Abcdefghijklmnopqrs`"};
    static const unsigned char odd[] = {0x00, 0x0d, 0x01, 0x40, 0x60, 0x5b, 0x7b, 0x7f, 0x80,
                                        0xc1, 0xe1, 0xff, 0x2d, 0x0d, 0x30, 0x10, 0x20};
    char buf[64];
    unsigned seed = 12345;
    for (size_t i = 0; i < sizeof lits / sizeof lits[0]; i++) {
        const char *lit = lits[i];
        size_t n = strlen(lit);
        check_named(lit, n, lit);
        for (size_t j = 0; j < n; j++) { /* one byte changed */
            memcpy(buf, lit, n);
            buf[j] = (char)(lit[j] ^ 0x20);
            check_named(buf, n, lit);
            for (size_t o = 0; o < sizeof odd; o++) {
                memcpy(buf, lit, n);
                buf[j] = (char)odd[o];
                check_named(buf, n, lit); /* a NUL cuts the name short */
            }
        }
        for (int k = 0; k < 200; k++) { /* random case flips */
            for (size_t j = 0; j < n; j++) {
                seed = seed * 1103515245u + 12345u;
                buf[j] = (seed >> 16 & 1) ? (char)(lit[j] ^ 0x20) : lit[j];
                if ((seed >> 17 & 63) == 0)
                    buf[j] = (char)(seed >> 24);
            }
            check_named(buf, n, lit);
        }
        for (size_t len = 0; len < n; len++) /* cut short */
            check_named(lit, len, lit);
        memcpy(buf, lit, n);
        for (size_t len = n + 1; len < n + 20; len++) { /* longer */
            buf[len - 1] = lit[n - 1];
            check_named(buf, len, lit);
        }
    }
    /* a name 65,536 bytes longer has the same key */
    size_t big = 65536 + 2;
    char *name = malloc(big + 1);
    assert_non_null(name);
    memset(name, 'o', big);
    name[0] = 'T';
    name[big] = '\0';
    mm_field f = {.name = name, .key = mm_field_key(name, big)};
    assert_int_equal(f.key, mm_field_key("To", 2));
    assert_false(mm_field_named(&f, "To"));
    free(name);
}

/* mm_report_str() against a naive squeeze (runs of ' ' and '\t'..'\r'
 * made one space, ends trimmed, cut at a NUL) on strings of 0 to 40 bytes,
 * the lengths of report.c's short test (4-16) and its edges among them,
 * each in a buffer of its exact size (a read past it is caught under
 * ASan).  A string that squeezed() wrongly finds squeezed would come
 * back unsqueezed. */
static size_t naive_squeeze(char *out, const char *s, size_t n)
{
    size_t w = 0;
    bool gap = false;
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || (c >= '\t' && c <= '\r')) {
            gap = w > 0;
            continue;
        }
        if (gap)
            out[w++] = ' ';
        gap = false;
        out[w++] = (char)c;
    }
    out[w] = '\0';
    return w;
}

static void report_str_squeeze(void **state)
{
    (void)state;
    static const char alphabet[] = {' ', ' ', ' ', 'a', 'b', '\t', '\n', '\r', '\v', '\f',
                                    '\x08', '\x0e', '\x1f', '!', '\x80', '\xff', '\x89', '\xa0', '\0'};
    mm_report *r;
    assert_int_equal(mm_report_new(4, &r), MM_OK);
    char want[64];
    unsigned seed = 7;
    for (int k = 0; k < 60000; k++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = (seed >> 16) % 41;
        char *buf = malloc(n ? n : 1);
        assert_non_null(buf);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly letters and single spaces, so that many are squeezed */
            unsigned pick = seed >> 16;
            buf[i] = pick % 4 ? (char)('a' + pick % 26) : alphabet[(pick >> 8) % (k % 3 ? 3 : sizeof alphabet)];
        }
        naive_squeeze(want, buf, n);
        const char *got = mm_report_str(r, buf, n);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "len %zu: got \"%s\", want \"%s\"\n", n, got, want);
            fail();
        }
        free(buf);
        if (k % 1000 == 999)
            mm_report_recycle(r, 4);
    }
    mm_report_destroy(r);
}

/* The attached message's five fields (diagnose.c's set_original(), which
 * picks a field's slot by its name's length mod 16): names of other
 * lengths that land on a slot (18 -> "To", 26 -> "Message-ID"), names
 * with the key of one of the five but other letters ("Farm", "Dote"),
 * upper case, and a second From (the first counts). */
static void original_fields(void **state)
{
    (void)state;
    static const char msg[] =
        "From: MAILER-DAEMON@mx.example.jp\n"
        "To: kijitora@example.org\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n"
        "\n"
        "--B\n"
        "Content-Type: text/plain\n"
        "\n"
        "The mail system could not deliver your message.\n"
        "\n"
        "--B\n"
        "Content-Type: message/delivery-status\n"
        "\n"
        "Reporting-MTA: dns; mx.example.jp\n"
        "\n"
        "Final-Recipient: rfc822; neko@example.net\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <neko@example.net>: User unknown\n"
        "\n"
        "--B\n"
        "Content-Type: message/rfc822\n"
        "\n"
        "X-Eighteen-Letters: not the recipient\n"
        "X-Twenty-Six-Letters-Name-: not the id\n"
        "Farm: not the sender\n"
        "Dote: not the date\n"
        "FROM: Kijitora <kijitora@example.org>\n"
        "TO: neko@example.net\n"
        "from: second@example.org\n"
        "SUBJECT: hello\n"
        "message-id: <id1@example.org>\n"
        "DATE: Mon, 30 Nov 2026 12:00:00 +0000\n"
        "\n"
        "body\n"
        "--B--\n";
    mm_ctx *ctx;
    mm_report *r = NULL;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    assert_int_equal(mm_diagnose_message(ctx, msg, sizeof msg - 1, &r, NULL, 0), MM_OK);
    const mm_original *o = mm_report_original(r);
    assert_string_equal(o->from, "Kijitora <kijitora@example.org>");
    assert_string_equal(o->to, "neko@example.net");
    assert_string_equal(o->subject, "hello");
    assert_string_equal(o->message_id, "<id1@example.org>");
    assert_string_equal(o->date, "Mon, 30 Nov 2026 12:00:00 +0000");
    mm_report_destroy(r);
    mm_ctx_destroy(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classify_rows),
        cmocka_unit_test(status_preference),
        cmocka_unit_test(office365_and_transcript),
        cmocka_unit_test(reply_codes),
        cmocka_unit_test(report_addresses),
        cmocka_unit_test(recipient_limit),
        cmocka_unit_test(recipient_limit_decoded),
        cmocka_unit_test(original_fields),
        cmocka_unit_test(field_named),
        cmocka_unit_test(report_str_squeeze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
