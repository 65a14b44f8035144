/*
 * test_text.c - the one-line mode (mm_diagnose_text): a reply pasted from a
 * bounce, an MTA log line (Postfix, Exim) or the text a mail client shows
 * (Outlook, Foxmail) gives the reason, the status and, for log lines, the
 * recipient and the relay from the line's own fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <mailmedic/mailmedic.h>

typedef struct row {
    const char *line;
    mm_reason_t want;
    const char *status; /* NULL = not checked */
    const char *rcpt;   /* NULL = not checked */
    const char *relay;  /* NULL = not checked */
} row;

static const row rows[] = {
    /* replies as pasted */
    {"550 5.1.1 <a@b.example>: User unknown", MM_REASON_USERUNKNOWN, "5.1.1", "a@b.example", NULL},
    {"452 4.2.2 Mailbox full", MM_REASON_MAILBOXFULL, "4.2.2", NULL, NULL},
    {"421 4.7.0 Try again later, closing connection", MM_REASON_BLOCKED, "4.7.0", NULL, NULL},
    {"554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
     MM_REASON_BLOCKED, "5.7.1", NULL, NULL},
    {"550 5.1.1 The email account that you tried to reach does not exist. Please try "
     "double-checking the recipient's email address for typos",
     MM_REASON_USERUNKNOWN, "5.1.1", NULL, NULL},
    {"550 5.2.1 The email account that you tried to reach is disabled.", MM_REASON_SUSPEND, "5.2.1",
     NULL, NULL},
    {"552 5.3.4 Message size exceeds fixed limit", MM_REASON_MESGTOOBIG, "5.3.4", NULL, NULL},
    {"550 5.7.26 This message does not have authentication information or fails to pass "
     "authentication checks",
     MM_REASON_AUTHFAILURE, "5.7.26", NULL, NULL},
    {"550 5.7.1 Message rejected as spam by Content Filtering.", MM_REASON_SPAMDETECTED, "5.7.1",
     NULL, NULL},
    {"421 Too many concurrent SMTP connections from this IP address; please try again later.",
     MM_REASON_TOOMANYCONN, NULL, NULL, NULL},
    {"550 5.2.1 User reject", MM_REASON_FILTERED, "5.2.1", NULL, NULL},
    {"553 5.3.0 a@b.example... No such user here", MM_REASON_USERUNKNOWN, "5.3.0", "a@b.example",
     NULL},
    {"Connection timed out", MM_REASON_EXPIRED, "", NULL, NULL},
    {"550 5.7.606 Access denied, banned sending IP [192.0.2.1]", MM_REASON_BLOCKED, "5.7.606", NULL,
     NULL},
    {"550 SPF check failed", MM_REASON_AUTHFAILURE, NULL, NULL, NULL},
    {"550 5.2.1 The email account that you tried to reach is inactive.", MM_REASON_SUSPEND, "5.2.1",
     NULL, NULL},
    /* a provider's signature in the reply brings its rules */
    {"421 4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP "
     "address.",
     MM_REASON_BLOCKED, "4.7.28", NULL, "gmail-smtp-in.l.google.com"},
    {"550-5.7.1 [192.0.2.1] Gmail has detected that this message is likely suspicious due to the "
     "very low reputation of the sending IP address. - gsmtp",
     MM_REASON_BADREPUTATION, "5.7.1", NULL, "gmail-smtp-in.l.google.com"},
    {"421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or "
     "user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     MM_REASON_REJECTED, "4.7.0", NULL, "mta5.am0.yahoodns.net"},
    /* Postfix log lines: dsn=, to=, relay= are fields of their own */
    {"postfix/smtp[123]: ABC: to=<a@b.example>, relay=mx.b.example[192.0.2.1]:25, delay=1, "
     "dsn=5.1.1, status=bounced (host mx.b.example said: 550 5.1.1 User unknown (in reply to RCPT "
     "TO command))",
     MM_REASON_USERUNKNOWN, "5.1.1", "a@b.example", "mx.b.example"},
    {"Nov 29 10:00:00 mx postfix/smtp[4242]: 4F1A2: to=<a@b.example>, relay=none, delay=0.1, "
     "delays=0/0/0.1/0, dsn=5.4.4, status=bounced (Host or domain name not found. Name service "
     "error for name=b.example type=A: Host not found)",
     MM_REASON_HOSTUNKNOWN, "5.4.4", "a@b.example", ""},
    {"Nov 29 10:00:00 mx postfix/smtp[4242]: 4F1A2: to=<a@gmail.com>, "
     "relay=gmail-smtp-in.l.google.com[142.250.1.26]:25, delay=2, dsn=4.2.2, status=deferred (host "
     "gmail-smtp-in.l.google.com[142.250.1.26] said: 452-4.2.2 The email account that you tried to "
     "reach is over quota. (in reply to RCPT TO command))",
     MM_REASON_MAILBOXFULL, "4.2.2", "a@gmail.com", "gmail-smtp-in.l.google.com"},
    {"Nov 29 10:00:00 mx postfix/smtp[4242]: 4F1A2: to=<a@b.example>, "
     "relay=mx.b.example[192.0.2.1]:25, delay=2, dsn=4.4.1, status=deferred (connect to "
     "mx.b.example[192.0.2.1]:25: Connection timed out)",
     MM_REASON_EXPIRED, "4.4.1", "a@b.example", "mx.b.example"},
    {"Nov 29 10:00:00 mx postfix/smtp[4242]: 4F1A2: to=<a@spamfilter.example>, "
     "relay=spam.example[192.0.2.1]:25, delay=2, dsn=5.2.2, status=bounced (host "
     "spam.example[192.0.2.1] said: 552 5.2.2 Mailbox full (in reply to RCPT TO command))",
     MM_REASON_MAILBOXFULL, "5.2.2", "a@spamfilter.example", "spam.example"},
    /* Sendmail log lines: stat= is the reply */
    {"Nov 29 10:00:00 mx sendmail[999]: 4ATA00: to=<a@b.example>, delay=00:00:01, xdelay=00:00:01, "
     "mailer=esmtp, pri=120000, relay=mx.b.example. [192.0.2.1], dsn=5.1.1, stat=User unknown",
     MM_REASON_USERUNKNOWN, "5.1.1", "a@b.example", "mx.b.example"},
    {"Nov 29 10:00:00 mx sendmail[999]: 4ATA00: to=<a@b.example>, delay=00:00:01, mailer=esmtp, "
     "pri=120000, relay=mx.b.example. [192.0.2.1], dsn=4.2.2, stat=Deferred: 452 4.2.2 Mailbox "
     "full",
     MM_REASON_MAILBOXFULL, "4.2.2", "a@b.example", "mx.b.example"},
    /* Exim log lines */
    {"2024-05-01 10:00:00 1s2abc-0001xy-AB ** a@b.example R=dnslookup T=remote_smtp H=mx.b.example "
     "[192.0.2.1]: SMTP error from remote mail server after RCPT TO:<a@b.example>: 550 5.1.1 "
     "<a@b.example>: Recipient address rejected: User unknown in local recipient table",
     MM_REASON_USERUNKNOWN, "5.1.1", "a@b.example", "mx.b.example"},
    {"2024-05-01 10:00:00 1s2abc-0001xy-AB ** a@b.example R=dnslookup T=remote_smtp H=mx.b.example "
     "[192.0.2.1]: SMTP error from remote mail server after end of data: 552 5.2.2 Mailbox full",
     MM_REASON_MAILBOXFULL, "5.2.2", "a@b.example", "mx.b.example"},
    {"2024-05-01 10:00:00 1s2abc-0001xy-AB ** a@b.example R=dnslookup T=remote_smtp H=mx.b.example "
     "[192.0.2.1] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: SMTP error from remote mail server "
     "after RCPT TO:<a@b.example>: 550 5.7.1 Relaying denied",
     MM_REASON_NORELAYING, "5.7.1", "a@b.example", "mx.b.example"},
    {"2024-05-01 10:00:00 1s2abc-0001xy-AB ** a@nonexistent.example: Unrouteable address",
     MM_REASON_HOSTUNKNOWN, "", "a@nonexistent.example", ""},
    {"2024-05-01 10:00:00 1s2abc-0001xy-AB ** a@b.example R=dnslookup T=remote_smtp H=mx.b.example "
     "[192.0.2.1]: SMTP error from remote mail server after MAIL FROM:<s@c.example> SIZE=1234: 550 "
     "5.7.1 Sender rejected",
     MM_REASON_REJECTED, "5.7.1", "a@b.example", "mx.b.example"},
    /* a Diagnostic-Code field pasted whole: its type decides */
    {"Diagnostic-Code: smtp; 550 5.1.1 <a@b.example>: Recipient address rejected: User unknown",
     MM_REASON_USERUNKNOWN, "5.1.1", "a@b.example", NULL},
    {"Diagnostic-Code: X-Unix; 255", MM_REASON_MAILERERROR, "", NULL, NULL},
    {"Diagnostic-Code: X-Postfix; mail for b.example loops back to myself", MM_REASON_SYSTEMERROR,
     "", NULL, NULL},
    /* what Outlook and Foxmail show */
    {"Your message to a@b.example couldn't be delivered. a wasn't found at b.example.",
     MM_REASON_USERUNKNOWN, NULL, "a@b.example", NULL},
    {"Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by "
     "SMTP address lookup'",
     MM_REASON_USERUNKNOWN, "5.1.10", NULL, NULL},
    {"The email address wasn\xe2\x80\x99t found at the destination domain. It might be misspelled "
     "or it might not exist any longer.",
     MM_REASON_USERUNKNOWN, NULL, NULL, NULL},
    {"Delivery has failed to these recipients or groups: a@b.example The recipient's mailbox is "
     "full and can't accept messages now.",
     MM_REASON_MAILBOXFULL, NULL, "a@b.example", NULL},
    {"550 Mailbox not found or access denied", MM_REASON_USERUNKNOWN, NULL, NULL, NULL},
    {"Delivery has failed to these recipients or groups: a@b.example The email address you entered "
     "couldn't be found. Please check the recipient's email address and try to resend the message.",
     MM_REASON_USERUNKNOWN, NULL, "a@b.example", NULL},
    {"Your message to a@b.example couldn't be delivered. b.example suspects your message is spam "
     "and rejected it.",
     MM_REASON_SPAMDETECTED, NULL, "a@b.example", NULL},
    {"Your message couldn't be delivered. The Domain Name System (DNS) reported that the "
     "recipient's domain does not exist.",
     MM_REASON_HOSTUNKNOWN, NULL, NULL, NULL},
    {"Your message couldn't be delivered because you weren't recognized as a valid sender.",
     MM_REASON_REJECTED, NULL, NULL, NULL},
    {"a@b.example's mailbox is full and can't accept messages now.", MM_REASON_MAILBOXFULL, NULL,
     "a@b.example", NULL},
    {"\xe5\x8f\x91\xe9\x80\x81\xe5\xa4\xb1\xe8\xb4\xa5\xef\xbc\x9a"
     "550 Mailbox not found or access denied",
     MM_REASON_USERUNKNOWN, NULL, NULL, NULL},
    {"550 Mail content denied. "
     "http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000726",
     MM_REASON_SPAMDETECTED, NULL, NULL, NULL},
    {"554 DT:SPM 163 smtp3,DdGowACnyGcOVhliJD4+BQ--.1234S2 1700000000, please see "
     "http://mail.163.com/help/help_spam_16.htm?ip=192.0.2.1",
     MM_REASON_SPAMDETECTED, NULL, NULL, NULL},
};

static void text_rows(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    int bad = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *w = &rows[i];
        mm_report *r = NULL;
        assert_int_equal(mm_diagnose_text(ctx, w->line, &r), MM_OK);
        assert_int_equal(mm_report_count(r), 1);
        const mm_recipient *p = mm_report_recipient(r, 0);
        if (p->reason != w->want) {
            printf("row %zu \"%s\": got %s, want %s\n", i, w->line, mm_reason_tostr(p->reason),
                   mm_reason_tostr(w->want));
            bad++;
        }
        if (w->status && strcmp(p->status, w->status) != 0) {
            printf("row %zu: status got \"%s\", want \"%s\"\n", i, p->status, w->status);
            bad++;
        }
        if (w->rcpt && strcmp(p->recipient, w->rcpt) != 0) {
            printf("row %zu: recipient got \"%s\", want \"%s\"\n", i, p->recipient, w->rcpt);
            bad++;
        }
        if (w->relay && strcmp(p->remote_mta, w->relay) != 0) {
            printf("row %zu: relay got \"%s\", want \"%s\"\n", i, p->remote_mta, w->relay);
            bad++;
        }
        mm_report_destroy(r);
    }
    mm_ctx_destroy(ctx);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
