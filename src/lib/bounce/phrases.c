/*
 * phrases.c - what receivers' words mean: reason <- phrase tables, and the
 * reason an RFC 3463 status code stands for.
 *
 * Each reason has one list of lower-case patterns, matched against the
 * lower-cased diagnostic text.  A pattern is literal text with three marks:
 * '*' is any run of characters, so "user * not found" needs "user " then
 * " not found" later on; '#' is one ASCII digit; a trailing '$' anchors the
 * pattern at the end of the text.  The lists are SMTP reply wording as
 * receivers write it, gathered by Sisimai (v5.1, lib/Sisimai/Reason/ in
 * p5-sisimai) and kept here as data; rejected has an "is not" list too.
 *
 * Speed: a recipient asks a few hundred patterns.  The text is prepared
 * once per recipient (mm_phrase_prepare): the letter pairs present are
 * kept in a 27x27 set (a byte per pair) built in one pass.  Before any search, each pair
 * of a pattern's plain head must be in the set, which turns away
 * nearly all patterns at the cost of a few loads and bit tests.
 *
 * When you change a list, run the corpus evaluation and tests/unit-classify.
 */
#include "bounce_int.h"

#include <stdint.h>
#include <string.h>

_Static_assert(MM_REASON_COUNT_ <= 64, "mm_phrase_text keeps one bit per reason");
_Static_assert(MM_REASON_COUNT_ <= 255, "status_table keeps a reason in a byte");

#define LIST(name, ...) static const char *const name[] = {__VA_ARGS__, NULL}

LIST(p_mailboxfull, "account disabled temporarly for exceeding receiving limits",
     "account is exceeding their quota", "account is over quota",
     "account is temporarily over quota", "boite du destinataire pleine",
     "delivery failed: over quota", "disc quota exceeded", "diskspace quota",
     "does not have enough space", "exceeded storage allocation", "exceeding its mailbox quota",
     "full mailbox", "is over disk quota", "is over quota temporarily",
     "mail file size exceeds the maximum size allowed for mail delivery", "mail quota exceeded",
     "mailbox exceeded the local limit", "mailbox full",
     "mailbox has exceeded its disk space limit", "mailbox is full", "mailbox over quota",
     "mailbox quota usage exceeded", "mailbox size limit exceeded", "maildir over quota",
     "maildir delivery failed: userdisk quota ", "maildir delivery failed: domaindisk quota ",
     "mailfolder is full", "not enough storage space in", "over the allowed quota",
     "quota exceeded", "quota violation for", "recipient reached disk quota",
     "recipient rejected: mailbox would exceed maximum allowed storage",
     "the user's space has been used up", "the user you are trying to reach is over quota",
     "too much mail data", "user has exceeded quota, bouncing mail",
     "user has too many messages on the server", "user is over quota", "user is over the quota",
     "user over quota", "was automatically rejected: quota exceeded",
     "would be over the allowed quota");
LIST(p_mesgtoobig, "exceeded maximum inbound message size", "line limit exceeded",
     "max message size exceeded", "message file too big",
     "message length exceeds administrative limit", "message size exceeds fixed limit",
     "message size exceeds fixed maximum message size", "message size exceeds maximum value",
     "message too big", "message too large for this ", "size limit",
     "taille limite du message atteinte");
LIST(p_exceedlimit, "message header size exceeds limit", "message too large");
LIST(p_suspend, " is currently suspended", " temporary locked", "archived recipient",
     "boite du destinataire archivee", "email account that you tried to reach is disabled",
     "email account that you tried to reach is inactive", "has been suspended", "inactive account",
     "invalid/inactive user", "is a deactivated mailbox", "is unavailable: user is terminated",
     "mailbox currently suspended", "mailbox disabled", "mailbox is frozen",
     "mailbox unavailable or access denied", "recipient rejected: temporarily inactive",
     "recipient suspend the service", "this account has been disabled or discontinued",
     "this account has been temporarily suspended", "this address no longer accepts mail",
     "this mailbox is disabled", "user or domain is disabled", "user suspended",
     "vdelivermail: account is locked email bounced");
LIST(p_hasmoved, " has been replaced by ");
LIST(p_norelaying, "as a relay", "email address is not verified.", "insecure mail relay",
     "is not permitted to relay through this server without authentication",
     "mail server requires authentication when attempting to send to a non-local e-mail address",
     "no relaying", "not a gateway", "not allowed to relay through this machine",
     "not an open relay, so get lost", "not local host", "relay access denied", "relay denied",
     "relaying mail to ", "relay not permitted", "relaying denied",
     "that domain isn't in my list of allowed rcpthost",
     "this system is not configured to relay mail", "unable to relay for",
     "we don't handle mail for");
LIST(p_authfailure, "//spf.pobox.com", "bad spf records for", "dmarc policy",
     "please inspect your spf settings", "sender policy framework (spf) fail",
     "sender policy framework violation",
     "spf (sender policy framework) domain authentication fail", "spf check failed",
     "spf check: fail", " is not allowed to send mail.*_401",
     "is not allowed to send from <* per it's spf record");
LIST(p_userunknown, "#5.1.1 bad address", "550 address invalid", "5.1.0 address rejected.",
     "address does not exist", "address not present in directory", "address unknown",
     "because the address couldn't be found", "can't accept user", "does not exist.",
     "destination addresses were unknown", "destination server rejected recipients",
     "email address does not exist", "email address could not be found", "invalid address",
     "invalid mailbox", "invalid mailbox path", "invalid recipient", "is not a known user",
     "is not a valid mailbox", "is not an active address at this host", "mailbox does not exist",
     "mailbox invalid", "mailbox is inactive", "mailbox is unavailable", "mailbox not present",
     "mailbox not found", "mailbox unavaiable", "nessun utente simile in questo indirizzo",
     "no account by that name here", "no existe dicha persona", "no existe ese usuario ",
     "no mail box available for this user", "no mailbox by that name is currently available",
     "no mailbox found", "no such address here", "no such mailbox",
     "no such person at this address", "no such recipient", "no such user",
     "no thank you rejected: account unavailable", "no valid recipients, bye",
     "not a valid recipient", "not a valid user here", "not a local address", "not email addresses",
     "recipient address rejected. (in reply to rcpt to command)",
     "recipient address rejected: access denied", "recipient address rejected: invalid user",
     "recipient address rejected: invalid-recipient", "recipient address rejected: unknown user",
     "recipient address rejected: userunknown", "recipient does not exist",
     "recipient is not accepted", "recipient is not local", "recipient not exist",
     "recipient not found", "recipient not ok", "recipient refuses to accept your mail",
     "recipient unknown", "requested action not taken: mailbox unavailable",
     "resolver.adr.recipient notfound", "sorry, user unknown", "sorry, badrcptto",
     "sorry, no mailbox here by that name", "sorry, your envelope recipient has been denied",
     "that domain or user isn't in my list of allowed rcpthosts",
     "the email address you entered couldn't be found",
     "the email account that you tried to reach does not exist",
     "the following recipients was undeliverable",
     "the email address wasn't found at the destination domain",
     "the email address wasn\xe2\x80\x99t found at the destination domain",
     "the user's email name is not found", "there is no one at this address", "wasn't found at ",
     "wasn\xe2\x80\x99t found at ", "this address no longer accepts mail",
     "this email address is wrong or no longer valid",
     "this recipient is in my badrecipientto list", "this recipient is not in my validrcptto list",
     "this spectator does not exist", "unknown mailbox", "unknown recipient", "unknown user",
     "user does not exist", "user missing home directory", "user not active", "user not exist",
     "user not found", "user not known", "user unknown", "utilisateur inconnu !",
     "vdeliver: invalid or unknown virtual user", "your envelope recipient is in my badrcptto list",
     "<*> not found", "<*>... blocked by ", "account * does not exist at the organization",
     "adresse d au moins un destinataire invalide. invalid recipient.*416",
     "adresse d au moins un destinataire invalide. invalid recipient.*418", "bad*recipient",
     "mailbox * does not exist", "mailbox *unavailable or access denied", "no * in name directory",
     "non*existent user", "rcpt <* does not exist", "rcpt (*t exist ",
     "recipient * was not found in", "recipient address rejected: user *  does not exist",
     "recipient address rejected: user unknown in *  table", "said: 550-5.1.1 * user unknown ",
     "said: 550 5.1.1 * user unknown ", "this user doesn't have a * account",
     "unknown e*mail address", "unknown local*part", "user * was not found",
     "user * does not exist", "user (*) unknown");
LIST(p_filtered, "account is protected by", "has restricted sms e-mail",
     "is not accepting any mail", "message filtered", "message rejected due to user rules",
     "not found recipient account", "recipient id refuse to receive mail",
     "recipient is only accepting mail from specific email addresses",
     "refused due to recipient preferences", "user refuses to receive this mail", "user reject",
     "you have been blocked by the recipient",
     "due to extended inactivity new mail is not currently being accepted for this mailbox");
LIST(p_requireptr, "access denied. ip name lookup failed",
     "all mail servers must have a ptr record with a valid reverse dns entry",
     "bad dns ptr resource record", "cannot find your hostname",
     "client host rejected: cannot find your hostname", "fix reverse dns for ",
     "ips with missing ptr records", "no ptr record found.",
     "please get a custom reverse dns name from your isp for your host", "ptr record setup",
     "reverse dns failed", "reverse dns required", "sender ip reverse lookup rejected",
     "the ip address sending this message does not have a ptr record setup",
     "the corresponding forward dns entry does not point to the sending ip",
     "this system will not accept messages from servers/devices with no reverse dns",
     "unresolvable relay host name",
     "we do not accept mail from hosts with dynamic ip or generic dns ptr-records",
     "domain * mismatches client ip", "dns lookup failure: * try again later",
     "reverse dns lookup for host * failed permanently",
     "server access * forbidden by invalid rdns record of your mail server",
     "service permits * unverifyable sending ips");
LIST(p_notcompliantrfc, "this message is not rfc 5322 compliant",
     "https://support.google.com/mail/?p=rfcmessagenoncompliant");
LIST(p_rejected_not, "5.1.0 address rejected", "recipient address rejected",
     "sender ip address rejected");
LIST(p_rejected, "access denied (in reply to mail from command)",
     "access denied (sender blacklisted)", "address rejected", "administrative prohibition",
     "batv failed to verify", "batv validation failure",
     "backscatter protection detected an invalid or expired email address",
     "because the sender isn't on the recipient's list of senders to accept mail from",
     "bogus mail from", "can't determine purported responsible address",
     "connections not accepted from servers without a valid sender domain", "denied [bouncedeny]",
     "denied by secumail valid-address-filter", "delivery not authorized, message refused",
     "does not exist e2110", "domain of sender address ",
     "email address is on senderfilterconfig list", "emetteur invalide",
     "empty envelope senders not allowed", "envelope blocked \xe2\x80\x93 ",
     "error: no third-party dsns", "from: domain is invalid. please provide a valid from:",
     "fully qualified email address required", "invalid domain, see <url:", "invalid sender",
     "is not a registered gateway user", "mail from not owned by user",
     "message rejected: email address is not verified", "mx records for ",
     "null sender is not allowed", "recipient addresses rejected : access denied",
     "recipient not accepted. (batv: no tag", "returned mail not accepted here",
     "rfc 1035 violation: recursive cname records for", "rule imposed mailbox access for",
     "sending this from a different address or alias using the ",
     "sender address has been blacklisted", "sender email address rejected",
     "weren't recognized as a valid sender", "sender is in my black list", "sender is spammer",
     "sender not pre-approved", "sender rejected", "sender domain is empty", "sender verify failed",
     "spam reporting address", "syntax error: empty email address",
     "the message has been rejected by batv defense", "this server does not accept mail from",
     "transaction failed unsigned dsn for", "unroutable sender address",
     "you are not allowed to post to this mailing list",
     "you are sending to/from an address that has been blacklisted",
     "your access to submit messages to this e-mail system has been rejected",
     "your email address has been blacklisted");
LIST(p_hostunknown, "domain does not exist", "domain is not reachable", "domain must exist",
     "host or domain name not found", "host unknown", "host unreachable",
     "mail domain mentioned in email address is unknown", "name or service not known",
     "no such domain", "recipient address rejected: unknown domain name",
     "recipient domain must exist", "the account or domain may not exist", "unknown host",
     "unroutable address", "unrouteable address", "553 * does not exist");
LIST(p_spamdetected, " - spam", "//www.spamhaus.org/help/help_spam_16.htm",
     "//dsbl.org/help/help_spam_16.htm", "//mail.163.com/help/help_spam_16.htm",
     "554 5.7.0 reject, id=", "appears to be unsolicited", "blacklisted url in message",
     "block for spam", "blocked by policy: no spam please", "blocked by spamassassin",
     "blocked for abuse. see http://att.net/blocks",
     "cannot be forwarded because it was detected as spam",
     "considered unsolicited bulk e-mail (spam) by our mail filters", "content filter rejection",
     "cyberoam anti spam engine has identified this email as a bulk email",
     "denied due to spam list", "high probability of spam", "is classified as spam and is rejected",
     "listed in work.drbl.imedia.ru",
     "the mail server detected your message as spam and has prevented delivery.",
     "mail appears to be unsolicited", "mail content denied", "may consider spam",
     "message considered as spam or virus", "message contains spam or virus",
     "message content rejected", "message detected as spam", "message filtered",
     "message looks like spam", "message is being rejected as it seems to be a spam",
     "message refused by mailmarshal spamprofiler", "message refused by trustwave seg spamprofiler",
     "message rejected as spam", "message rejected because of unacceptable content",
     "message rejected due to suspected spam content", "message rejected for policy reasons",
     "message was rejected for possible spam/virus content",
     "our email server thinks this email is spam", "our system has detected that this message is ",
     "probable spam", "reject bulk.advertising", "rejected: spamassassin score ",
     "rejected - bulk email", "rejecting banned content", "rejecting mail content",
     "related to content with spam-like characteristics", "rejected under suspicion of spam",
     "sender domain listed at ", "suspects your message is spam",
     "sending address not accepted due to spam filter", "spam blocked", "spam check",
     "spam content matched", "spam detected", "spam email", "spam email not accepted",
     "spam message rejected.", "spam not accepted", "spam refused", "spam rejection", "spam score ",
     "spambouncer identified spam", "spamming not allowed", "too many spam complaints",
     "too much spam.", "the email message was detected as spam",
     "the message has been rejected by spam filtering engine",
     "the message was rejected due to classification as bulk mail",
     "the content of this message looked like spam", "this message appears to be spam",
     "this message has been identified as spam",
     "this message has been scored as spam with a probability",
     "this message was classified as spam",
     "this message was rejected by recurrent pattern detection system",
     "transaction failed spam message not queued", "we dont accept spam",
     "your email appears similar to spam we have received before",
     "your email breaches local uribl policy", "your email had spam-like ",
     "your email is considered spam", "your email is probably spam",
     "your email was detected as spam", "your message as spam and has prevented delivery",
     "your message has been temporarily blocked by our filter",
     "your message has been rejected because it appears to be spam",
     "your message has triggered a spam block", "your message may contain the spam contents",
     "your message failed several antispam checks", "greylisted* please try again in",
     "mail rejete. mail rejected. *506",
     "our filters rate at and above * percent probability of being spam", "rejected by * (spam)",
     "rejected due to spam *classification", "rejected due to spam *content",
     "rule imposed as * is blacklisted on", "spam * exceeded", "this message scored * spam points",
     "#.#.# spam$", "### spam$");
LIST(p_speeding, "mail sent from your ip address has been temporarily rate limited",
     "please try again slower",
     "receiving mail at a rate that prevents additional messages from being delivered");
LIST(p_toomanyconn, "all available ips are at maximum connection limit",
     "connection rate limit exceeded", "exceeds per-domain connection limit for",
     "has exceeded the max emails per hour ", "throttling failure: daily message quota exceeded",
     "throttling failure: maximum sending rate exceeded", "too many connections",
     "too many concurrent smtp connections", "too many errors from your ip", "too many recipients",
     "too many smtp sessions for this host", "trop de connexions, ",
     "we have already made numerous attempts to deliver this message");
LIST(p_blocked, " said: 550 blocked", "//www.spamcop.net/bl.", "bad sender ip address",
     "banned sending ip", "blacklisted by", "blocked using ", "blocked - see http", "dnsbl:attrbl",
     "client host rejected: abus detecte gu_eib_02", "client host rejected: abus detecte gu_eib_04",
     "client host rejected: may not be mail exchanger",
     "client host rejected: was not authenticated", "confirm this mail server",
     "connection dropped", "connection refused by", "connection reset by peer",
     "connection was dropped by remote host",
     "connections not accepted from ip addresses on spamhaus xbl",
     "currently sending spam see: ", "domain does not exist:", "dynamic/zombied/spam ips blocked",
     "error: no valid recipients from ", "esmtp not accepting connections",
     "extreme bad ip profile", "go away", "helo command rejected:", "host network not allowed",
     "hosts with dynamic ip", "invalid ip for sending mail of domain", "is in a black list",
     "is not allowed to send mail from", "no access from mail server",
     "no matches to nameserver query", "not currently accepting mail from your ip",
     "part of their network is on our block list", "please use the smtp server of your isp",
     "refused - see http", "rejected - multi-blacklist",
     "rejected because the sending mta or the sender has not passed validation",
     "rejecting open proxy", "sender ip address rejected", "server access forbidden by your ip ",
     "service not available, closing transmission channel",
     "smtp error from remote mail server after initial connection:",
     "sorry, that domain isn't in my list of allowed rcpthosts",
     "sorry, your remotehost looks suspiciously like spammer",
     "temporarily deferred due to unexpected volume or user complaints",
     "try again later, closing connection",
     "to submit messages to this e-mail system has been rejected", "too many spams from your ip",
     "too many unwanted messages have been sent from the following ip address above",
     "was blocked by ", "we do not accept mail from dynamic ips", "you are not allowed to connect",
     "you are sending spam", "your ip address is listed in the rbl",
     "your network is temporary blacklisted", "your server requires confirmation", "(*@*:blocked)",
     "access from ip address * blocked", "client host * blocked using",
     "connections will not be accepted from * because the ip is in spamhaus's list",
     "dnsbl:rbl *>_is_blocked", "email blocked by *.barracudacentral.org",
     "email blocked by *spamhaus", "host * refused to talk to me: * blocked",
     "ip * is blocked by earthlink", "is in an *rbl on ", "mail server at * is blocked",
     "mail from * refused:", "message from * rejected based on blacklist",
     "messages from * temporarily deferred due to user complaints", "server ip * listed as abusive",
     "sorry! your ip address* is blocked by rbl", "the domain * is blacklisted",
     "the email * is blacklisted", "the ip* is blacklisted",
     "veuillez essayer plus tard. service refused, please try later. *103",
     "veuillez essayer plus tard. service refused, please try later. *510",
     "your sender's ip address is listed at *.abuseat.org");
LIST(p_policyviolation, "an illegal attachment on your message",
     "because the recipient is not accepting mail with ", "by non-member to a members-only list",
     "closed mailing list", "denied by policy", "dmarc policy",
     "email not accepted for policy reasons", "email rejected due to security policies",
     "header are not accepted", "header error", "local policy violation",
     "message bounced due to organizational settings", "message given low priority",
     "message not accepted for policy reasons", "messages with multiple addresses",
     "rejected for policy reasons", "protocol violation",
     "the email address used to send your message is not subscribed to this group",
     "this message was blocked because its content presents a potential",
     "we do not accept messages containing images or other attachments",
     "you have exceeded the allowable number of posts without solving a captcha",
     "you have exceeded the the allowable number of posts without solving a captcha");
LIST(p_virusdetected, "it has a potentially executable attachment",
     "the message was rejected because it contains prohibited virus or spam content",
     "this form of attachment has been used by recent viruses or other malware", "virus detected",
     "virus phishing/malicious_url detected", "your message was infected with a virus",
     /* ClamAV milters and Exim's malware ACL condition */
     "virus found", "this message contains a virus");
LIST(p_badreputation, "a poor email reputation score",
     "has been temporarily rate limited due to ip reputation", "ip/domain reputation problems",
     "likely suspicious due to the very low reputation", "the sending mta's poor reputation",
     "temporarily deferred due to unexpected volume or user complaints");
LIST(p_securityerror, "account not subscribed to ses", "authentication credentials invalid",
     "authentication failure", "authentication required",
     "authentication turned on in your email client",
     "executable files are not allowed in compressed files", "insecure mail relay",
     "please turn on smtp authentication in your mail client",
     "recipient address rejected: access denied",
     "sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts",
     "starttls is required to send mail", "tls required but not supported",
     "unauthenticated senders not allowed", "verification failure",
     "you are not authorized to send mail, authentication is required",
     "authentication failed; server * said: ", "authentification invalide*305",
     "authentification requise*402", "domain * is a dead domain",
     "user * is not authorized to perform ses:sendrawemail on resource");
LIST(p_systemerror, "aliasing/forwarding loop broken", "can't create user output file",
     "could not load drd for domain", "internal error reading data",
     "internal server error: operation now in progress", "interrupted system call",
     "it encountered an error while being processed", "it would create a mail loop",
     "local configuration error", "local error in processing",
     "loop was found in the mail exchanger", "loops back to myself",
     "mail system configuration error", "queue file write error",
     "recipient deferred because there is no mdb", "remote server is misconfigured",
     "server configuration error", "service currently unavailable", "system config error",
     "temporary local problem", "timeout waiting for input", "transaction failed ");
LIST(p_networkerror, "address family mismatch on destination mxs",
     "all routes to destination blocked", "bad dns lookup error code",
     "could not connect and send the mail to",
     "dns records for the destination computer could not be found",
     "hop count exceeded - possible mail loop", "host is unreachable", "host name lookup failure",
     "host not found, try again", "mail forwarding loop for ", "malformed name server reply",
     "malformed or unexpected name server reply", "maximum forwarding loop count exceeded",
     "message looping", "message probably in a routing loop", "no route to host", "too many hops",
     "establish an smtp connection", "listed as a best-preference mx",
     "network error on destination mxs", "no relevant answers", "responded with code nxdomain",
     "temporary failure in mx lookup", "unable to resolve route ", "unrouteable mail domain");
LIST(p_expired, "connection timed out", "could not find a gateway for",
     "delivery attempts will continue to be", "delivery time expired", "envelope expired",
     "failed to deliver to domain ", "giving up on", "have been failing for a long time",
     "has been delayed", "it has not been collected after", "message expired, ",
     "message expired after sitting in queue for",
     "message expired, cannot connect to remote server", "message expired, connection refulsed",
     "message timed out", "retry time not reached for any host after a long failure period",
     "server did not respond", "this message has been in the queue too long",
     "unable to deliver message after multiple retries",
     "was not reachable within the allowed queue period",
     "your message could not be delivered for more than");
LIST(p_contenterror, "duplicate header", "header size exceeds maximum permitted",
     "improper use of 8-bit data in message header",
     "message header size, or recipient list, exceeds policy limit",
     "message mime complexity exceeds the policy maximum",
     "routing loop detected -- too many received: headers",
     "this message contain invalid mime headers",
     "this message contain improperly-formatted binary content",
     "this message contain text that uses unnecessary base64 encoding");
LIST(p_systemfull, "mail system full",
     "requested mail action aborted: exceeded storage allocation");
LIST(p_notaccept, "couldn't find a mail exchanger or ip address",
     "destination seem to reject all mails", "host/domain does not accept mail",
     "host does not accept mail", "mail receiving disabled", "mx or srv record indicated no smtp ",
     "no host found for existing smtp ", "no mx * found for ", "name server: .: host not found",
     "no mx record found for domain=", "null mx", "no route for current request",
     "smtp protocol returned a permanent error");
LIST(p_mailererror, "bin/procmail", "bin/maildrop",
     "command failed: ", "command died with status #", "command output:", "exit #", "mailer error",
     "pipe to |/", "x-unix; #");
LIST(p_vacation, "i am away on vacation", "i am away until", "i am out of the office",
     "i will be traveling for work on");

static const char *const *const tables[MM_REASON_COUNT_] = {
    [MM_REASON_MAILBOXFULL] = p_mailboxfull,
    [MM_REASON_MESGTOOBIG] = p_mesgtoobig,
    [MM_REASON_EXCEEDLIMIT] = p_exceedlimit,
    [MM_REASON_SUSPEND] = p_suspend,
    [MM_REASON_HASMOVED] = p_hasmoved,
    [MM_REASON_NORELAYING] = p_norelaying,
    [MM_REASON_AUTHFAILURE] = p_authfailure,
    [MM_REASON_USERUNKNOWN] = p_userunknown,
    [MM_REASON_FILTERED] = p_filtered,
    [MM_REASON_REQUIREPTR] = p_requireptr,
    [MM_REASON_NOTCOMPLIANTRFC] = p_notcompliantrfc,
    [MM_REASON_REJECTED] = p_rejected,
    [MM_REASON_HOSTUNKNOWN] = p_hostunknown,
    [MM_REASON_SPAMDETECTED] = p_spamdetected,
    [MM_REASON_SPEEDING] = p_speeding,
    [MM_REASON_TOOMANYCONN] = p_toomanyconn,
    [MM_REASON_BLOCKED] = p_blocked,
    [MM_REASON_POLICYVIOLATION] = p_policyviolation,
    [MM_REASON_VIRUSDETECTED] = p_virusdetected,
    [MM_REASON_BADREPUTATION] = p_badreputation,
    [MM_REASON_SECURITYERROR] = p_securityerror,
    [MM_REASON_SYSTEMERROR] = p_systemerror,
    [MM_REASON_NETWORKERROR] = p_networkerror,
    [MM_REASON_EXPIRED] = p_expired,
    [MM_REASON_CONTENTERROR] = p_contenterror,
    [MM_REASON_SYSTEMFULL] = p_systemfull,
    [MM_REASON_NOTACCEPT] = p_notaccept,
    [MM_REASON_MAILERERROR] = p_mailererror,
    [MM_REASON_VACATION] = p_vacation,
};

/* The passes, in the order the reference decoder asks (Reason.pm). */
static const mm_reason_t order_first[] = {
    MM_REASON_MAILBOXFULL, MM_REASON_MESGTOOBIG,   MM_REASON_EXCEEDLIMIT,     MM_REASON_SUSPEND,
    MM_REASON_HASMOVED,    MM_REASON_NORELAYING,   MM_REASON_AUTHFAILURE,     MM_REASON_USERUNKNOWN,
    MM_REASON_FILTERED,    MM_REASON_REQUIREPTR,   MM_REASON_NOTCOMPLIANTRFC, MM_REASON_BADREPUTATION,
    MM_REASON_REJECTED,    MM_REASON_HOSTUNKNOWN,  MM_REASON_SPAMDETECTED,    MM_REASON_SPEEDING,
    MM_REASON_TOOMANYCONN, MM_REASON_BLOCKED,      MM_REASON_COUNT_};
static const mm_reason_t order_second[] = {
    MM_REASON_MAILBOXFULL,   MM_REASON_SPAMDETECTED,  MM_REASON_POLICYVIOLATION,
    MM_REASON_VIRUSDETECTED, MM_REASON_NORELAYING,    MM_REASON_AUTHFAILURE,
    MM_REASON_BADREPUTATION, MM_REASON_SECURITYERROR, MM_REASON_SYSTEMERROR,
    MM_REASON_NETWORKERROR,  MM_REASON_SPEEDING,      MM_REASON_SUSPEND,
    MM_REASON_EXPIRED,       MM_REASON_CONTENTERROR,  MM_REASON_SYSTEMFULL,
    MM_REASON_NOTACCEPT,     MM_REASON_MAILERERROR,   MM_REASON_COUNT_};
static const mm_reason_t order_any[] = {
    MM_REASON_MAILBOXFULL,  MM_REASON_MESGTOOBIG,    MM_REASON_EXCEEDLIMIT, MM_REASON_SUSPEND,
    MM_REASON_USERUNKNOWN,  MM_REASON_FILTERED,      MM_REASON_REJECTED,    MM_REASON_HOSTUNKNOWN,
    MM_REASON_SPAMDETECTED, MM_REASON_SPEEDING,      MM_REASON_TOOMANYCONN, MM_REASON_BLOCKED,
    MM_REASON_AUTHFAILURE,  MM_REASON_SECURITYERROR, MM_REASON_SYSTEMERROR, MM_REASON_NETWORKERROR,
    MM_REASON_EXPIRED,      MM_REASON_CONTENTERROR,  MM_REASON_HASMOVED,    MM_REASON_SYSTEMFULL,
    MM_REASON_NOTACCEPT,    MM_REASON_MAILERERROR,   MM_REASON_NORELAYING,  MM_REASON_COUNT_};

/* a-z as 1..26, other bytes 0; the pattern marks '*', '#', '$' and NUL as
 * STOP, where a pattern's plain head ends. */
#define STOP 31
#define L(c) [c] = c - 'a' + 1
static const unsigned char code_of[256] = {
    L('a'), L('b'), L('c'),       L('d'),       L('e'),       L('f'),     L('g'), L('h'),
    L('i'), L('j'), L('k'),       L('l'),       L('m'),       L('n'),     L('o'), L('p'),
    L('q'), L('r'), L('s'),       L('t'),       L('u'),       L('v'),     L('w'), L('x'),
    L('y'), L('z'), ['*'] = STOP, ['#'] = STOP, ['$'] = STOP, [0] = STOP,
};
#undef L

static unsigned letter(unsigned char c)
{
    return code_of[c] == STOP ? 0 : code_of[c];
}

void mm_phrase_prepare(mm_phrase_text *pt, const char *lower)
{
    memset(pt, 0, sizeof *pt);
    pt->lower = lower;
    if (!lower[0])
        return;
    unsigned prev = letter((unsigned char)lower[0]);
    for (size_t i = 1; lower[i]; i++) {
        unsigned cur = letter((unsigned char)lower[i]);
        pt->pairs[prev << 5 | cur] = 1;
        prev = cur;
    }
}

/* Can pattern p occur at all?  Each pair of its plain head (the bytes
 * before the first '*', '#' or '$') must be among the text's pairs. */
static bool pairs_allow(const mm_phrase_text *pt, const char *p)
{
    unsigned prev = code_of[(unsigned char)p[0]];
    for (int i = 1; prev != STOP; i++) {
        unsigned cur = code_of[(unsigned char)p[i]];
        if (cur == STOP)
            break;
        if (!pt->pairs[prev << 5 | cur])
            return false;
        prev = cur;
    }
    return true;
}

/* Does the piece p (up to '*' or its end) match at t exactly?  Sets *plen. */
static bool piece_at(const char *t, const char *p, size_t *plen)
{
    size_t i = 0;
    for (; p[i] && p[i] != '*'; i++) {
        if (p[i] == '$' && (p[i + 1] == '\0' || p[i + 1] == '*'))
            return t[i] == '\0' && ((*plen = i), true);
        if (p[i] == '#' ? !(t[i] >= '0' && t[i] <= '9') : t[i] != p[i])
            return false;
    }
    *plen = i;
    return true;
}

/* Find the piece p in t; returns the position just past the match, or NULL. */
static const char *piece_find(const char *t, const char *p)
{
    size_t lit = strcspn(p, "*#$");
    char head[128];
    if (lit >= sizeof head)
        return NULL;
    memcpy(head, p, lit);
    head[lit] = '\0';
    for (const char *s = lit ? strstr(t, head) : t; s && *s;
         s = lit ? strstr(s + 1, head) : s + 1) {
        size_t n;
        if (piece_at(s, p, &n))
            return s + n;
        if (!lit && !*s)
            break;
    }
    return NULL;
}

/* Pattern with '*' gaps: every piece in order, each after the last. */
static bool pattern_in(const char *text, const char *pat)
{
    const char *t = text;
    for (const char *p = pat;;) {
        t = piece_find(t, p);
        if (!t)
            return false;
        p = strchr(p, '*');
        if (!p)
            return true;
        p++;
    }
}

static bool list_match(const mm_phrase_text *pt, const char *const *list)
{
    for (; list && *list; list++) {
        if (!pairs_allow(pt, *list))
            continue;
        if (strpbrk(*list, "*#$") ? pattern_in(pt->lower, *list) : strstr(pt->lower, *list) != NULL)
            return true;
    }
    return false;
}

bool mm_phrase_in(mm_phrase_text *pt, mm_reason_t reason)
{
    if ((unsigned)reason >= MM_REASON_COUNT_ || !tables[reason] || !pt->lower[0])
        return false;
    uint64_t bit = (uint64_t)1 << reason;
    if (pt->asked & bit)
        return (pt->found & bit) != 0;
    bool hit = !(reason == MM_REASON_REJECTED && list_match(pt, p_rejected_not)) &&
               list_match(pt, tables[reason]);
    pt->asked |= bit;
    if (hit)
        pt->found |= bit;
    return hit;
}

mm_reason_t mm_phrase_find(mm_phrase_text *pt, mm_phrase_pass pass)
{
    const mm_reason_t *order = pass == MM_PASS_FIRST    ? order_first
                               : pass == MM_PASS_SECOND ? order_second
                                                        : order_any;
    for (; *order != MM_REASON_COUNT_; order++)
        if (mm_phrase_in(pt, *order))
            return *order;
    return MM_REASON_UNDEFINED;
}

bool mm_phrase_is(mm_reason_t reason, const char *lower)
{
    mm_phrase_text pt;
    mm_phrase_prepare(&pt, lower);
    return mm_phrase_in(&pt, reason);
}

mm_reason_t mm_phrase_match(mm_phrase_pass pass, const char *lower)
{
    mm_phrase_text pt;
    mm_phrase_prepare(&pt, lower);
    return mm_phrase_find(&pt, pass);
}

/* RFC 3463 (and RFC 5248 registry) codes with a clear meaning, indexed by
 * class (4, 5), subject and detail; the detail numbers follow
 * SMTP/Status.pm's table.  X.0.0, 4.1.1-4.1.5, 4.3.0, 4.4.0, 4.5.0 and
 * 4.7.0 are left out on purpose: they say too little.  Zero is
 * MM_REASON_UNDEFINED, so a code not listed has no meaning of its own. */
static const unsigned char status_table[2][8][31] = {
    [0][1][6] = MM_REASON_HASMOVED,       [0][1][7] = MM_REASON_REJECTED,
    [0][1][8] = MM_REASON_REJECTED,       [0][1][9] = MM_REASON_SYSTEMERROR,
    [0][2][1] = MM_REASON_SUSPEND,        [0][2][2] = MM_REASON_MAILBOXFULL,
    [0][2][3] = MM_REASON_EXCEEDLIMIT,    [0][2][4] = MM_REASON_FILTERED,
    [0][3][1] = MM_REASON_SYSTEMFULL,     [0][3][2] = MM_REASON_NOTACCEPT,
    [0][3][3] = MM_REASON_SYSTEMERROR,    [0][3][5] = MM_REASON_SYSTEMERROR,
    [0][4][1] = MM_REASON_EXPIRED,        [0][4][2] = MM_REASON_NETWORKERROR,
    [0][4][3] = MM_REASON_SYSTEMERROR,    [0][4][4] = MM_REASON_NETWORKERROR,
    [0][4][5] = MM_REASON_SYSTEMFULL,     [0][4][6] = MM_REASON_NETWORKERROR,
    [0][4][7] = MM_REASON_EXPIRED,        [0][4][8] = MM_REASON_NETWORKERROR,
    [0][5][3] = MM_REASON_SYSTEMERROR,    [0][5][5] = MM_REASON_SYSTEMERROR,
    [0][6][0] = MM_REASON_CONTENTERROR,   [0][6][2] = MM_REASON_CONTENTERROR,
    [0][6][5] = MM_REASON_CONTENTERROR,   [0][7][1] = MM_REASON_BLOCKED,
    [0][7][2] = MM_REASON_BLOCKED,        [0][7][5] = MM_REASON_SECURITYERROR,
    [0][7][6] = MM_REASON_SECURITYERROR,  [0][7][7] = MM_REASON_SECURITYERROR,
    [0][7][12] = MM_REASON_SECURITYERROR, [0][7][15] = MM_REASON_SECURITYERROR,
    [0][7][16] = MM_REASON_MESGTOOBIG,    [0][7][24] = MM_REASON_AUTHFAILURE,
    [0][7][25] = MM_REASON_REQUIREPTR,    [0][7][26] = MM_REASON_AUTHFAILURE,
    [1][1][0] = MM_REASON_USERUNKNOWN,    [1][1][1] = MM_REASON_USERUNKNOWN,
    [1][1][2] = MM_REASON_HOSTUNKNOWN,    [1][1][3] = MM_REASON_USERUNKNOWN,
    [1][1][4] = MM_REASON_FILTERED,       [1][1][6] = MM_REASON_HASMOVED,
    [1][1][7] = MM_REASON_REJECTED,       [1][1][8] = MM_REASON_REJECTED,
    [1][1][9] = MM_REASON_SYSTEMERROR,    [1][1][10] = MM_REASON_NOTACCEPT,
    [1][2][0] = MM_REASON_FILTERED,       [1][2][1] = MM_REASON_FILTERED,
    [1][2][2] = MM_REASON_MAILBOXFULL,    [1][2][3] = MM_REASON_EXCEEDLIMIT,
    [1][2][4] = MM_REASON_FILTERED,       [1][3][0] = MM_REASON_SYSTEMERROR,
    [1][3][1] = MM_REASON_SYSTEMFULL,     [1][3][2] = MM_REASON_NOTACCEPT,
    [1][3][3] = MM_REASON_SYSTEMERROR,    [1][3][4] = MM_REASON_MESGTOOBIG,
    [1][3][5] = MM_REASON_SYSTEMERROR,    [1][4][0] = MM_REASON_NETWORKERROR,
    [1][4][3] = MM_REASON_SYSTEMERROR,    [1][4][4] = MM_REASON_HOSTUNKNOWN,
    [1][5][2] = MM_REASON_SYNTAXERROR,    [1][5][3] = MM_REASON_TOOMANYCONN,
    [1][5][4] = MM_REASON_SYSTEMERROR,    [1][5][5] = MM_REASON_SYSTEMERROR,
    [1][5][6] = MM_REASON_SYNTAXERROR,    [1][6][0] = MM_REASON_CONTENTERROR,
    [1][6][1] = MM_REASON_CONTENTERROR,   [1][6][2] = MM_REASON_CONTENTERROR,
    [1][6][3] = MM_REASON_CONTENTERROR,   [1][6][5] = MM_REASON_CONTENTERROR,
    [1][6][6] = MM_REASON_CONTENTERROR,   [1][6][7] = MM_REASON_CONTENTERROR,
    [1][6][8] = MM_REASON_CONTENTERROR,   [1][6][9] = MM_REASON_CONTENTERROR,
    [1][7][0] = MM_REASON_SECURITYERROR,  [1][7][1] = MM_REASON_SECURITYERROR,
    [1][7][2] = MM_REASON_SECURITYERROR,  [1][7][3] = MM_REASON_SECURITYERROR,
    [1][7][4] = MM_REASON_SECURITYERROR,  [1][7][5] = MM_REASON_SECURITYERROR,
    [1][7][6] = MM_REASON_SECURITYERROR,  [1][7][7] = MM_REASON_SECURITYERROR,
    [1][7][8] = MM_REASON_SECURITYERROR,  [1][7][9] = MM_REASON_SECURITYERROR,
    [1][7][10] = MM_REASON_SECURITYERROR, [1][7][11] = MM_REASON_SECURITYERROR,
    [1][7][13] = MM_REASON_SUSPEND,       [1][7][14] = MM_REASON_SECURITYERROR,
    [1][7][15] = MM_REASON_SECURITYERROR, [1][7][16] = MM_REASON_MESGTOOBIG,
    [1][7][17] = MM_REASON_HASMOVED,      [1][7][18] = MM_REASON_HASMOVED,
    [1][7][19] = MM_REASON_SECURITYERROR, [1][7][20] = MM_REASON_AUTHFAILURE,
    [1][7][21] = MM_REASON_AUTHFAILURE,   [1][7][22] = MM_REASON_AUTHFAILURE,
    [1][7][23] = MM_REASON_AUTHFAILURE,   [1][7][24] = MM_REASON_AUTHFAILURE,
    [1][7][25] = MM_REASON_REQUIREPTR,    [1][7][26] = MM_REASON_AUTHFAILURE,
    [1][7][27] = MM_REASON_NOTACCEPT,     [1][7][28] = MM_REASON_SPAMDETECTED,
    [1][7][29] = MM_REASON_AUTHFAILURE,   [1][7][30] = MM_REASON_SECURITYERROR,
};

mm_reason_t mm_status_reason(const char *st)
{
    if (!st || !(st[0] == '2' || st[0] == '4' || st[0] == '5') || st[1] != '.' || st[2] < '0' ||
        st[2] > '7' || st[3] != '.' || st[4] < '0' || st[4] > '9')
        return MM_REASON_UNDEFINED;
    int detail = st[4] - '0';
    if (st[5]) {
        if (st[5] < '0' || st[5] > '9' || st[6] || st[4] == '0')
            return MM_REASON_UNDEFINED;
        detail = detail * 10 + (st[5] - '0');
    }
    if (detail > 30)
        return MM_REASON_UNDEFINED;
    if (st[0] == '2')
        return (st[2] == '1' && detail == 5) ? MM_REASON_DELIVERED : MM_REASON_UNDEFINED;
    return (mm_reason_t)status_table[st[0] == '5'][st[2] - '0'][detail];
}
