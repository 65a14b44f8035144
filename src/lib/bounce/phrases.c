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
#include "../util/str.h"

#include <stdint.h>
#include <string.h>

_Static_assert(MM_REASON_COUNT_ <= 64, "mm_phrase_text keeps one bit per reason");
_Static_assert(MM_REASON_COUNT_ <= 255, "status_table keeps a reason in a byte");

/* A pattern with the index of its first letter pair in mm_phrase_text's
 * set, worked out by the compiler: the test that turns most patterns away
 * is then one load.  PAIR_ALWAYS (a slot that is always set) when the
 * pattern's plain head is shorter than a pair. */
typedef struct phrase {
    const char *text;
    unsigned short pair;
    /* the pairs of the third and fourth bytes, of the fifth and sixth and
     * of the seventh and eighth, as the first: most patterns that pass the
     * first pair fail on one of them, before the walk over all pairs */
    unsigned short pair2, pair3, pair4;
} phrase;

#define STOP 31
#define PAIR_ALWAYS (26 << 5 | STOP)
#define PC(c)                                                                                      \
    ((c) >= 'a' && (c) <= 'z'                             ? (c) - 'a' + 1                          \
     : (c) == '*' || (c) == '#' || (c) == '$' || (c) == 0 ? STOP                                   \
                                                          : 0)
/* byte i of literal s as PC() codes it, or STOP past its end */
#define PCI(s, i) (sizeof(s) > (i) ? PC((s)[i]) : STOP)
/* the plain head of s has four (six, eight) bytes at least */
#define HEAD4(s) (PCI(s, 0) != STOP && PCI(s, 1) != STOP && PCI(s, 2) != STOP && PCI(s, 3) != STOP)
#define HEAD6(s) (HEAD4(s) && PCI(s, 4) != STOP && PCI(s, 5) != STOP)
#define HEAD8(s) (HEAD6(s) && PCI(s, 6) != STOP && PCI(s, 7) != STOP)
#define P(s)                                                                                       \
    {                                                                                              \
        s, PC((s)[0]) == STOP || PC((s)[1]) == STOP ? PAIR_ALWAYS : PC((s)[0]) << 5 | PC((s)[1]),  \
            HEAD4(s) ? PCI(s, 2) << 5 | PCI(s, 3) : PAIR_ALWAYS,                                   \
            HEAD6(s) ? PCI(s, 4) << 5 | PCI(s, 5) : PAIR_ALWAYS,                                   \
            HEAD8(s) ? PCI(s, 6) << 5 | PCI(s, 7) : PAIR_ALWAYS                                    \
    }
#define LIST(name, ...) static const phrase name[] = {__VA_ARGS__, {NULL, 0, 0, 0, 0}}

LIST(p_mailboxfull, P("account disabled temporarly for exceeding receiving limits"),
     P("account is exceeding their quota"), P("account is over quota"),
     P("account is temporarily over quota"), P("boite du destinataire pleine"),
     P("delivery failed: over quota"), P("disc quota exceeded"), P("diskspace quota"),
     P("does not have enough space"), P("exceeded storage allocation"),
     P("exceeding its mailbox quota"), P("full mailbox"), P("is over disk quota"),
     P("is over quota temporarily"),
     P("mail file size exceeds the maximum size allowed for mail delivery"),
     P("mail quota exceeded"), P("mailbox exceeded the local limit"), P("mailbox full"),
     P("mailbox has exceeded its disk space limit"), P("mailbox is full"), P("mailbox over quota"),
     P("mailbox quota usage exceeded"), P("mailbox size limit exceeded"), P("maildir over quota"),
     P("maildir delivery failed: userdisk quota "), P("maildir delivery failed: domaindisk quota "),
     P("mailfolder is full"), P("not enough storage space in"), P("over the allowed quota"),
     P("quota exceeded"), P("quota violation for"), P("recipient reached disk quota"),
     P("recipient rejected: mailbox would exceed maximum allowed storage"),
     P("the user's space has been used up"), P("the user you are trying to reach is over quota"),
     P("too much mail data"), P("user has exceeded quota, bouncing mail"),
     P("user has too many messages on the server"), P("user is over quota"),
     P("user is over the quota"), P("user over quota"),
     P("was automatically rejected: quota exceeded"), P("would be over the allowed quota"));
LIST(p_mesgtoobig, P("exceeded maximum inbound message size"), P("line limit exceeded"),
     P("max message size exceeded"), P("message file too big"),
     P("message length exceeds administrative limit"), P("message size exceeds fixed limit"),
     P("message size exceeds fixed maximum message size"), P("message size exceeds maximum value"),
     P("message too big"), P("message too large for this "), P("size limit"),
     P("taille limite du message atteinte"));
LIST(p_exceedlimit, P("message header size exceeds limit"), P("message too large"));
LIST(p_suspend, P(" is currently suspended"), P(" temporary locked"), P("archived recipient"),
     P("boite du destinataire archivee"), P("email account that you tried to reach is disabled"),
     P("email account that you tried to reach is inactive"), P("has been suspended"),
     P("inactive account"), P("invalid/inactive user"), P("is a deactivated mailbox"),
     P("is unavailable: user is terminated"), P("mailbox currently suspended"),
     P("mailbox disabled"), P("mailbox is frozen"), P("mailbox unavailable or access denied"),
     P("recipient rejected: temporarily inactive"), P("recipient suspend the service"),
     P("this account has been disabled or discontinued"),
     P("this account has been temporarily suspended"), P("this address no longer accepts mail"),
     P("this mailbox is disabled"), P("user or domain is disabled"), P("user suspended"),
     P("vdelivermail: account is locked email bounced"));
LIST(p_hasmoved, P(" has been replaced by "));
LIST(p_norelaying, P("as a relay"), P("email address is not verified."), P("insecure mail relay"),
     P("is not permitted to relay through this server without authentication"),
     P("mail server requires authentication when attempting to send to a non-local e-mail address"),
     P("no relaying"), P("not a gateway"), P("not allowed to relay through this machine"),
     P("not an open relay, so get lost"), P("not local host"), P("relay access denied"),
     P("relay denied"), P("relaying mail to "), P("relay not permitted"), P("relaying denied"),
     P("that domain isn't in my list of allowed rcpthost"),
     P("this system is not configured to relay mail"), P("unable to relay for"),
     P("we don't handle mail for"));
LIST(p_authfailure, P("//spf.pobox.com"), P("bad spf records for"), P("dmarc policy"),
     P("please inspect your spf settings"), P("sender policy framework (spf) fail"),
     P("sender policy framework violation"),
     P("spf (sender policy framework) domain authentication fail"), P("spf check failed"),
     P("spf check: fail"), P(" is not allowed to send mail.*_401"),
     P("is not allowed to send from <* per it's spf record"));
LIST(p_userunknown, P("#5.1.1 bad address"), P("550 address invalid"), P("5.1.0 address rejected."),
     P("address does not exist"), P("address not present in directory"), P("address unknown"),
     P("because the address couldn't be found"), P("can't accept user"), P("does not exist."),
     P("destination addresses were unknown"), P("destination server rejected recipients"),
     P("email address does not exist"), P("email address could not be found"), P("invalid address"),
     P("invalid mailbox"), P("invalid mailbox path"), P("invalid recipient"),
     P("is not a known user"), P("is not a valid mailbox"),
     P("is not an active address at this host"), P("mailbox does not exist"), P("mailbox invalid"),
     P("mailbox is inactive"), P("mailbox is unavailable"), P("mailbox not present"),
     P("mailbox not found"), P("mailbox unavaiable"), P("nessun utente simile in questo indirizzo"),
     P("no account by that name here"), P("no existe dicha persona"), P("no existe ese usuario "),
     P("no mail box available for this user"), P("no mailbox by that name is currently available"),
     P("no mailbox found"), P("no such address here"), P("no such mailbox"),
     P("no such person at this address"), P("no such recipient"), P("no such user"),
     P("no thank you rejected: account unavailable"), P("no valid recipients, bye"),
     P("not a valid recipient"), P("not a valid user here"), P("not a local address"),
     P("not email addresses"), P("recipient address rejected. (in reply to rcpt to command)"),
     P("recipient address rejected: access denied"), P("recipient address rejected: invalid user"),
     P("recipient address rejected: invalid-recipient"),
     P("recipient address rejected: unknown user"), P("recipient address rejected: userunknown"),
     P("recipient does not exist"), P("recipient is not accepted"), P("recipient is not local"),
     P("recipient not exist"), P("recipient not found"), P("recipient not ok"),
     P("recipient refuses to accept your mail"), P("recipient unknown"),
     P("requested action not taken: mailbox unavailable"), P("resolver.adr.recipient notfound"),
     P("sorry, user unknown"), P("sorry, badrcptto"), P("sorry, no mailbox here by that name"),
     P("sorry, your envelope recipient has been denied"),
     P("that domain or user isn't in my list of allowed rcpthosts"),
     P("the email address you entered couldn't be found"),
     P("the email account that you tried to reach does not exist"),
     P("the following recipients was undeliverable"),
     P("the email address wasn't found at the destination domain"),
     P("the email address wasn\xe2\x80\x99t found at the destination domain"),
     P("the user's email name is not found"), P("there is no one at this address"),
     P("wasn't found at "), P("wasn\xe2\x80\x99t found at "),
     P("this address no longer accepts mail"), P("this email address is wrong or no longer valid"),
     P("this recipient is in my badrecipientto list"),
     P("this recipient is not in my validrcptto list"), P("this spectator does not exist"),
     P("unknown mailbox"), P("unknown recipient"), P("unknown user"), P("user does not exist"),
     P("user missing home directory"), P("user not active"), P("user not exist"),
     P("user not found"), P("user not known"), P("user unknown"), P("utilisateur inconnu !"),
     P("vdeliver: invalid or unknown virtual user"),
     P("your envelope recipient is in my badrcptto list"), P("<*> not found"),
     P("<*>... blocked by "), P("account * does not exist at the organization"),
     P("adresse d au moins un destinataire invalide. invalid recipient.*416"),
     P("adresse d au moins un destinataire invalide. invalid recipient.*418"), P("bad*recipient"),
     P("mailbox * does not exist"), P("mailbox *unavailable or access denied"),
     P("no * in name directory"), P("non*existent user"), P("rcpt <* does not exist"),
     P("rcpt (*t exist "), P("recipient * was not found in"),
     P("recipient address rejected: user *  does not exist"),
     P("recipient address rejected: user unknown in *  table"),
     P("said: 550-5.1.1 * user unknown "), P("said: 550 5.1.1 * user unknown "),
     P("this user doesn't have a * account"), P("unknown e*mail address"), P("unknown local*part"),
     P("user * was not found"), P("user * does not exist"), P("user (*) unknown"));
LIST(p_filtered, P("account is protected by"), P("has restricted sms e-mail"),
     P("is not accepting any mail"), P("message filtered"), P("message rejected due to user rules"),
     P("not found recipient account"), P("recipient id refuse to receive mail"),
     P("recipient is only accepting mail from specific email addresses"),
     P("refused due to recipient preferences"), P("user refuses to receive this mail"),
     P("user reject"), P("you have been blocked by the recipient"),
     P("due to extended inactivity new mail is not currently being accepted for this mailbox"));
LIST(p_requireptr, P("access denied. ip name lookup failed"),
     P("all mail servers must have a ptr record with a valid reverse dns entry"),
     P("bad dns ptr resource record"), P("cannot find your hostname"),
     P("client host rejected: cannot find your hostname"), P("fix reverse dns for "),
     P("ips with missing ptr records"), P("no ptr record found."),
     P("please get a custom reverse dns name from your isp for your host"), P("ptr record setup"),
     P("reverse dns failed"), P("reverse dns required"), P("sender ip reverse lookup rejected"),
     P("the ip address sending this message does not have a ptr record setup"),
     P("the corresponding forward dns entry does not point to the sending ip"),
     P("this system will not accept messages from servers/devices with no reverse dns"),
     P("unresolvable relay host name"),
     P("we do not accept mail from hosts with dynamic ip or generic dns ptr-records"),
     P("domain * mismatches client ip"), P("dns lookup failure: * try again later"),
     P("reverse dns lookup for host * failed permanently"),
     P("server access * forbidden by invalid rdns record of your mail server"),
     P("service permits * unverifyable sending ips"));
LIST(p_notcompliantrfc, P("this message is not rfc 5322 compliant"),
     P("https://support.google.com/mail/?p=rfcmessagenoncompliant"));
LIST(p_rejected_not, P("5.1.0 address rejected"), P("recipient address rejected"),
     P("sender ip address rejected"));
LIST(p_rejected, P("access denied (in reply to mail from command)"),
     P("access denied (sender blacklisted)"), P("address rejected"),
     P("administrative prohibition"), P("batv failed to verify"), P("batv validation failure"),
     P("backscatter protection detected an invalid or expired email address"),
     P("because the sender isn't on the recipient's list of senders to accept mail from"),
     P("bogus mail from"), P("can't determine purported responsible address"),
     P("connections not accepted from servers without a valid sender domain"),
     P("denied [bouncedeny]"), P("denied by secumail valid-address-filter"),
     P("delivery not authorized, message refused"), P("does not exist e2110"),
     P("domain of sender address "), P("email address is on senderfilterconfig list"),
     P("emetteur invalide"), P("empty envelope senders not allowed"),
     P("envelope blocked \xe2\x80\x93 "), P("error: no third-party dsns"),
     P("from: domain is invalid. please provide a valid from:"),
     P("fully qualified email address required"), P("invalid domain, see <url:"),
     P("invalid sender"), P("is not a registered gateway user"), P("mail from not owned by user"),
     P("message rejected: email address is not verified"), P("mx records for "),
     P("null sender is not allowed"), P("recipient addresses rejected : access denied"),
     P("recipient not accepted. (batv: no tag"), P("returned mail not accepted here"),
     P("rfc 1035 violation: recursive cname records for"), P("rule imposed mailbox access for"),
     P("sending this from a different address or alias using the "),
     P("sender address has been blacklisted"), P("sender email address rejected"),
     P("weren't recognized as a valid sender"), P("sender is in my black list"),
     P("sender is spammer"), P("sender not pre-approved"), P("sender rejected"),
     P("sender domain is empty"), P("sender verify failed"), P("spam reporting address"),
     P("syntax error: empty email address"), P("the message has been rejected by batv defense"),
     P("this server does not accept mail from"), P("transaction failed unsigned dsn for"),
     P("unroutable sender address"), P("you are not allowed to post to this mailing list"),
     P("you are sending to/from an address that has been blacklisted"),
     P("your access to submit messages to this e-mail system has been rejected"),
     P("your email address has been blacklisted"));
LIST(p_hostunknown, P("domain does not exist"), P("domain is not reachable"),
     P("domain must exist"), P("host or domain name not found"), P("host unknown"),
     P("host unreachable"), P("mail domain mentioned in email address is unknown"),
     P("name or service not known"), P("no such domain"),
     P("recipient address rejected: unknown domain name"), P("recipient domain must exist"),
     P("the account or domain may not exist"), P("unknown host"), P("unroutable address"),
     P("unrouteable address"), P("553 * does not exist"));
LIST(p_spamdetected, P(" - spam"), P("//www.spamhaus.org/help/help_spam_16.htm"),
     P("//dsbl.org/help/help_spam_16.htm"), P("//mail.163.com/help/help_spam_16.htm"),
     P("554 5.7.0 reject, id="), P("appears to be unsolicited"), P("blacklisted url in message"),
     P("block for spam"), P("blocked by policy: no spam please"), P("blocked by spamassassin"),
     P("blocked for abuse. see http://att.net/blocks"),
     P("cannot be forwarded because it was detected as spam"),
     P("considered unsolicited bulk e-mail (spam) by our mail filters"),
     P("content filter rejection"),
     P("cyberoam anti spam engine has identified this email as a bulk email"),
     P("denied due to spam list"), P("high probability of spam"),
     P("is classified as spam and is rejected"), P("listed in work.drbl.imedia.ru"),
     P("the mail server detected your message as spam and has prevented delivery."),
     P("mail appears to be unsolicited"), P("mail content denied"), P("may consider spam"),
     P("message considered as spam or virus"), P("message contains spam or virus"),
     P("message content rejected"), P("message detected as spam"), P("message filtered"),
     P("message looks like spam"), P("message is being rejected as it seems to be a spam"),
     P("message refused by mailmarshal spamprofiler"),
     P("message refused by trustwave seg spamprofiler"), P("message rejected as spam"),
     P("message rejected because of unacceptable content"),
     P("message rejected due to suspected spam content"), P("message rejected for policy reasons"),
     P("message was rejected for possible spam/virus content"),
     P("our email server thinks this email is spam"),
     P("our system has detected that this message is "), P("probable spam"),
     P("reject bulk.advertising"), P("rejected: spamassassin score "), P("rejected - bulk email"),
     P("rejecting banned content"), P("rejecting mail content"),
     P("related to content with spam-like characteristics"), P("rejected under suspicion of spam"),
     P("sender domain listed at "), P("suspects your message is spam"),
     P("sending address not accepted due to spam filter"), P("spam blocked"), P("spam check"),
     P("spam content matched"), P("spam detected"), P("spam email"), P("spam email not accepted"),
     P("spam message rejected."), P("spam not accepted"), P("spam refused"), P("spam rejection"),
     P("spam score "), P("spambouncer identified spam"), P("spamming not allowed"),
     P("too many spam complaints"), P("too much spam."),
     P("the email message was detected as spam"),
     P("the message has been rejected by spam filtering engine"),
     P("the message was rejected due to classification as bulk mail"),
     P("the content of this message looked like spam"), P("this message appears to be spam"),
     P("this message has been identified as spam"),
     P("this message has been scored as spam with a probability"),
     P("this message was classified as spam"),
     P("this message was rejected by recurrent pattern detection system"),
     P("transaction failed spam message not queued"), P("we dont accept spam"),
     P("your email appears similar to spam we have received before"),
     P("your email breaches local uribl policy"), P("your email had spam-like "),
     P("your email is considered spam"), P("your email is probably spam"),
     P("your email was detected as spam"), P("your message as spam and has prevented delivery"),
     P("your message has been temporarily blocked by our filter"),
     P("your message has been rejected because it appears to be spam"),
     P("your message has triggered a spam block"), P("your message may contain the spam contents"),
     P("your message failed several antispam checks"), P("greylisted* please try again in"),
     P("mail rejete. mail rejected. *506"),
     P("our filters rate at and above * percent probability of being spam"),
     P("rejected by * (spam)"), P("rejected due to spam *classification"),
     P("rejected due to spam *content"), P("rule imposed as * is blacklisted on"),
     P("spam * exceeded"), P("this message scored * spam points"), P("#.#.# spam$"),
     P("### spam$"));
LIST(p_speeding, P("mail sent from your ip address has been temporarily rate limited"),
     P("please try again slower"),
     P("receiving mail at a rate that prevents additional messages from being delivered"));
LIST(p_toomanyconn, P("all available ips are at maximum connection limit"),
     P("connection rate limit exceeded"), P("exceeds per-domain connection limit for"),
     P("has exceeded the max emails per hour "),
     P("throttling failure: daily message quota exceeded"),
     P("throttling failure: maximum sending rate exceeded"), P("too many connections"),
     P("too many concurrent smtp connections"), P("too many errors from your ip"),
     P("too many recipients"), P("too many smtp sessions for this host"), P("trop de connexions, "),
     P("we have already made numerous attempts to deliver this message"));
LIST(p_blocked, P(" said: 550 blocked"), P("//www.spamcop.net/bl."), P("bad sender ip address"),
     P("banned sending ip"), P("blacklisted by"), P("blocked using "), P("blocked - see http"),
     P("dnsbl:attrbl"), P("client host rejected: abus detecte gu_eib_02"),
     P("client host rejected: abus detecte gu_eib_04"),
     P("client host rejected: may not be mail exchanger"),
     P("client host rejected: was not authenticated"), P("confirm this mail server"),
     P("connection dropped"), P("connection refused by"), P("connection reset by peer"),
     P("connection was dropped by remote host"),
     P("connections not accepted from ip addresses on spamhaus xbl"),
     P("currently sending spam see: "), P("domain does not exist:"),
     P("dynamic/zombied/spam ips blocked"), P("error: no valid recipients from "),
     P("esmtp not accepting connections"), P("extreme bad ip profile"), P("go away"),
     P("helo command rejected:"), P("host network not allowed"), P("hosts with dynamic ip"),
     P("invalid ip for sending mail of domain"), P("is in a black list"),
     P("is not allowed to send mail from"), P("no access from mail server"),
     P("no matches to nameserver query"), P("not currently accepting mail from your ip"),
     P("part of their network is on our block list"), P("please use the smtp server of your isp"),
     P("refused - see http"), P("rejected - multi-blacklist"),
     P("rejected because the sending mta or the sender has not passed validation"),
     P("rejecting open proxy"), P("sender ip address rejected"),
     P("server access forbidden by your ip "),
     P("service not available, closing transmission channel"),
     P("smtp error from remote mail server after initial connection:"),
     P("sorry, that domain isn't in my list of allowed rcpthosts"),
     P("sorry, your remotehost looks suspiciously like spammer"),
     P("temporarily deferred due to unexpected volume or user complaints"),
     P("try again later, closing connection"),
     P("to submit messages to this e-mail system has been rejected"),
     P("too many spams from your ip"),
     P("too many unwanted messages have been sent from the following ip address above"),
     P("was blocked by "), P("we do not accept mail from dynamic ips"),
     P("you are not allowed to connect"), P("you are sending spam"),
     P("your ip address is listed in the rbl"), P("your network is temporary blacklisted"),
     P("your server requires confirmation"), P("(*@*:blocked)"),
     P("access from ip address * blocked"), P("client host * blocked using"),
     P("connections will not be accepted from * because the ip is in spamhaus's list"),
     P("dnsbl:rbl *>_is_blocked"), P("email blocked by *.barracudacentral.org"),
     P("email blocked by *spamhaus"), P("host * refused to talk to me: * blocked"),
     P("ip * is blocked by earthlink"), P("is in an *rbl on "), P("mail server at * is blocked"),
     P("mail from * refused:"), P("message from * rejected based on blacklist"),
     P("messages from * temporarily deferred due to user complaints"),
     P("server ip * listed as abusive"), P("sorry! your ip address* is blocked by rbl"),
     P("the domain * is blacklisted"), P("the email * is blacklisted"), P("the ip* is blacklisted"),
     P("veuillez essayer plus tard. service refused, please try later. *103"),
     P("veuillez essayer plus tard. service refused, please try later. *510"),
     P("your sender's ip address is listed at *.abuseat.org"));
LIST(p_policyviolation, P("an illegal attachment on your message"),
     P("because the recipient is not accepting mail with "),
     P("by non-member to a members-only list"), P("closed mailing list"), P("denied by policy"),
     P("dmarc policy"), P("email not accepted for policy reasons"),
     P("email rejected due to security policies"), P("header are not accepted"), P("header error"),
     P("local policy violation"), P("message bounced due to organizational settings"),
     P("message given low priority"), P("message not accepted for policy reasons"),
     P("messages with multiple addresses"), P("rejected for policy reasons"),
     P("protocol violation"),
     P("the email address used to send your message is not subscribed to this group"),
     P("this message was blocked because its content presents a potential"),
     P("we do not accept messages containing images or other attachments"),
     P("you have exceeded the allowable number of posts without solving a captcha"),
     P("you have exceeded the the allowable number of posts without solving a captcha"));
LIST(p_virusdetected, P("it has a potentially executable attachment"),
     P("the message was rejected because it contains prohibited virus or spam content"),
     P("this form of attachment has been used by recent viruses or other malware"),
     P("virus detected"), P("virus phishing/malicious_url detected"),
     P("your message was infected with a virus"),
     /* ClamAV milters and Exim's malware ACL condition */
     P("virus found"), P("this message contains a virus"));
LIST(p_badreputation, P("a poor email reputation score"),
     P("has been temporarily rate limited due to ip reputation"),
     P("ip/domain reputation problems"), P("likely suspicious due to the very low reputation"),
     P("the sending mta's poor reputation"),
     P("temporarily deferred due to unexpected volume or user complaints"));
LIST(p_securityerror, P("account not subscribed to ses"), P("authentication credentials invalid"),
     P("authentication failure"), P("authentication required"),
     P("authentication turned on in your email client"),
     P("executable files are not allowed in compressed files"), P("insecure mail relay"),
     P("please turn on smtp authentication in your mail client"),
     P("recipient address rejected: access denied"),
     P("sorry, you don't authenticate or the domain isn't in my list of allowed rcpthosts"),
     P("starttls is required to send mail"), P("tls required but not supported"),
     P("unauthenticated senders not allowed"), P("verification failure"),
     P("you are not authorized to send mail, authentication is required"),
     P("authentication failed; server * said: "), P("authentification invalide*305"),
     P("authentification requise*402"), P("domain * is a dead domain"),
     P("user * is not authorized to perform ses:sendrawemail on resource"));
LIST(p_systemerror, P("aliasing/forwarding loop broken"), P("can't create user output file"),
     P("could not load drd for domain"), P("internal error reading data"),
     P("internal server error: operation now in progress"), P("interrupted system call"),
     P("it encountered an error while being processed"), P("it would create a mail loop"),
     P("local configuration error"), P("local error in processing"),
     P("loop was found in the mail exchanger"), P("loops back to myself"),
     P("mail system configuration error"), P("queue file write error"),
     P("recipient deferred because there is no mdb"), P("remote server is misconfigured"),
     P("server configuration error"), P("service currently unavailable"), P("system config error"),
     P("temporary local problem"), P("timeout waiting for input"), P("transaction failed "));
LIST(p_networkerror, P("address family mismatch on destination mxs"),
     P("all routes to destination blocked"), P("bad dns lookup error code"),
     P("could not connect and send the mail to"),
     P("dns records for the destination computer could not be found"),
     P("hop count exceeded - possible mail loop"), P("host is unreachable"),
     P("host name lookup failure"), P("host not found, try again"), P("mail forwarding loop for "),
     P("malformed name server reply"), P("malformed or unexpected name server reply"),
     P("maximum forwarding loop count exceeded"), P("message looping"),
     P("message probably in a routing loop"), P("no route to host"), P("too many hops"),
     P("establish an smtp connection"), P("listed as a best-preference mx"),
     P("network error on destination mxs"), P("no relevant answers"),
     P("responded with code nxdomain"), P("temporary failure in mx lookup"),
     P("unable to resolve route "), P("unrouteable mail domain"));
LIST(p_expired, P("connection timed out"), P("could not find a gateway for"),
     P("delivery attempts will continue to be"), P("delivery time expired"), P("envelope expired"),
     P("failed to deliver to domain "), P("giving up on"), P("have been failing for a long time"),
     P("has been delayed"), P("it has not been collected after"), P("message expired, "),
     P("message expired after sitting in queue for"),
     P("message expired, cannot connect to remote server"),
     P("message expired, connection refulsed"), P("message timed out"),
     P("retry time not reached for any host after a long failure period"),
     P("server did not respond"), P("this message has been in the queue too long"),
     P("unable to deliver message after multiple retries"),
     P("was not reachable within the allowed queue period"),
     P("your message could not be delivered for more than"));
LIST(p_contenterror, P("duplicate header"), P("header size exceeds maximum permitted"),
     P("improper use of 8-bit data in message header"),
     P("message header size, or recipient list, exceeds policy limit"),
     P("message mime complexity exceeds the policy maximum"),
     P("routing loop detected -- too many received: headers"),
     P("this message contain invalid mime headers"),
     P("this message contain improperly-formatted binary content"),
     P("this message contain text that uses unnecessary base64 encoding"));
LIST(p_systemfull, P("mail system full"),
     P("requested mail action aborted: exceeded storage allocation"));
LIST(p_notaccept, P("couldn't find a mail exchanger or ip address"),
     P("destination seem to reject all mails"), P("host/domain does not accept mail"),
     P("host does not accept mail"), P("mail receiving disabled"),
     P("mx or srv record indicated no smtp "), P("no host found for existing smtp "),
     P("no mx * found for "), P("name server: .: host not found"),
     P("no mx record found for domain="), P("null mx"), P("no route for current request"),
     P("smtp protocol returned a permanent error"));
LIST(p_mailererror, P("bin/procmail"), P("bin/maildrop"), P("command failed: "),
     P("command died with status #"), P("command output:"), P("exit #"), P("mailer error"),
     P("pipe to |/"), P("x-unix; #"));
LIST(p_vacation, P("i am away on vacation"), P("i am away until"), P("i am out of the office"),
     P("i will be traveling for work on"));

static const phrase *const tables[MM_REASON_COUNT_] = {
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
 * STOP, where a pattern's plain head ends (PC() above, as a table). */
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
    pt->pairs[PAIR_ALWAYS] = 1;
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

/* letter() of a byte folded to lower case: A-Z and a-z as 1..26 */
#define L(c) [c] = c - 'a' + 1, [c - 'a' + 'A'] = c - 'a' + 1
static const unsigned char folded_letter[256] = {
    L('a'), L('b'), L('c'), L('d'), L('e'), L('f'), L('g'), L('h'), L('i'),
    L('j'), L('k'), L('l'), L('m'), L('n'), L('o'), L('p'), L('q'), L('r'),
    L('s'), L('t'), L('u'), L('v'), L('w'), L('x'), L('y'), L('z'),
};
#undef L

void mm_phrase_prepare_copy(mm_phrase_text *pt, mm_cn_pairs *cn, char *lower, const char *text)
{
    memset(pt, 0, sizeof *pt);
    memset(cn, 0, sizeof *cn);
    pt->pairs[PAIR_ALWAYS] = 1;
    pt->lower = lower;
    /* the same sets as mm_phrase_prepare() and mm_cn_pairs_of() of the
     * lowered copy, made as the copy is written: the text is read once,
     * not four times.  A
     * byte is lowered as mm_lower() does, without a branch: A-Z differ
     * from a-z by the 0x20 bit only. */
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0;
    if (t[0]) {
        unsigned prev = folded_letter[t[0]];
        unsigned char prev_byte = (unsigned char)(t[0] | ((unsigned)(t[0] - 'A') < 26u) << 5);
        lower[0] = (char)prev_byte;
        for (i = 1; t[i]; i++) {
            unsigned char c = t[i];
            c |= ((unsigned)(c - 'A') < 26u) << 5;
            lower[i] = (char)c;
            unsigned cur = folded_letter[c];
            pt->pairs[prev << 5 | cur] = 1;
            cn->has[mm_cn_pair_hash(prev_byte, c)] = 1;
            prev = cur;
            prev_byte = c;
        }
    }
    lower[i] = '\0';
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

/* pairs_allow() over the whole of a pattern with marks: every pair of
 * plain bytes side by side, in any piece, occurs as it stands in a match.
 * Turns away the patterns whose head is too short for the first test
 * ("#5.1.1 bad address", "<*> not found") before their search. */
static bool pieces_allow(const mm_phrase_text *pt, const char *p)
{
    unsigned prev = code_of[(unsigned char)p[0]];
    for (size_t i = 1; p[i - 1]; i++) {
        unsigned cur = code_of[(unsigned char)p[i]];
        if (prev != STOP && cur != STOP && !pt->pairs[prev << 5 | cur])
            return false;
        prev = cur;
    }
    return true;
}

bool mm_phrase_may_hold(const mm_phrase_text *pt, const char *literal)
{
    return pairs_allow(pt, literal);
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

/* The longest plain run (no mark) of the piece p, which ends at '*' or at
 * the end of p; *at gets its offset in p. */
static size_t longest_run(const char *p, size_t *at)
{
    size_t best = 0;
    *at = 0;
    for (size_t i = 0; p[i] && p[i] != '*';) {
        size_t n = strcspn(p + i, "*#$");
        if (n > best) {
            best = n;
            *at = i;
        }
        i += n;
        if (p[i] && p[i] != '*')
            i++;
    }
    return best;
}

/* piece_find() of a piece that starts with '#' ("#5.1.1 bad address",
 * "### spam$"): rather than piece_at() at every byte of t, a match is
 * looked for only k bytes before each place of the piece's longest plain
 * run, which any match holds at offset k.  Those places come in order, so
 * the first match is the one the byte-by-byte walk finds.  False when the
 * piece has no plain run to look for (the caller then walks); else *end is
 * as piece_find() returns. */
static bool marked_piece_find(const char *t, const char *p, const char **end)
{
    size_t k, len = longest_run(p, &k);
    char run[128];
    if (len == 0 || len >= sizeof run)
        return false;
    memcpy(run, p + k, len);
    run[len] = '\0';
    *end = NULL;
    for (const char *f = strstr(t, run); f && !*end; f = strstr(f + 1, run)) {
        size_t n;
        if ((size_t)(f - t) >= k && piece_at(f - k, p, &n))
            *end = f - k + n;
    }
    return true;
}

/* Find the piece p in t; returns the position just past the match, or NULL. */
static const char *piece_find(const char *t, const char *p)
{
    size_t lit = strcspn(p, "*#$");
    char head[128];
    if (lit >= sizeof head)
        return NULL;
    const char *end;
    if (p[0] == '#' && marked_piece_find(t, p, &end))
        return end;
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

static bool list_match(const mm_phrase_text *pt, const phrase *list)
{
    for (; list && list->text; list++) {
        const char *p = list->text;
        /* the first pair, then the others (from the second byte on when
         * the first pair is a real one) */
        if (!pt->pairs[list->pair] || !pt->pairs[list->pair2] || !pt->pairs[list->pair3] ||
            !pt->pairs[list->pair4] ||
            !pairs_allow(pt, list->pair == PAIR_ALWAYS ? p : p + 1))
            continue;
        if (strpbrk(p, "*#$") ? pieces_allow(pt, p) && pattern_in(pt->lower, p)
                              : strstr(pt->lower, p) != NULL)
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
