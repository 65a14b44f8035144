/*
 * test_rhost_cn.c - table-driven tests of the Chinese providers' rules
 * (src/lib/bounce/rhost_cn.c): reply text + remote host + recipient ->
 * provider, reason, hard or soft, provider's waiting time.  A second table
 * runs pasted submission errors through mm_diagnose_text(), the path of
 * `mailmedic diagnose --text`.  Failures print "got X, want Y".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mailmedic/mailmedic.h>
#include "bounce/bounce_int.h"
#include "util/str.h"

#define MIN 60L
#define HOUR 3600L
#define DAY 86400L

typedef struct rcase {
    const char *text;     /* the reply as the bounce quotes it */
    const char *host;     /* Remote-MTA, or "" */
    const char *rcpt;     /* recipient, or "" */
    const char *provider; /* want; "" = none */
    mm_reason_t reason;   /* want; MM_REASON_UNDEFINED = no rule */
    bool hard;
    long retry; /* want provider_retry */
} rcase;

#define H true
#define S false
#define U MM_REASON_UNDEFINED
#define X(r) MM_REASON_##r

static const rcase cases[] = {
    /* Tencent: remote host, recipient domain, help-page ids */
    {"550 Mailbox not found. http://service.mail.qq.com/detail/122/169", "mx3.qq.com", "",
     "tencent", X(USERUNKNOWN), H, 0},
    {"550 Mailbox not found", "", "li@qq.com", "tencent", X(USERUNKNOWN), H, 0},
    {"550 Mailbox not found", "mxbiz1.qq.com", "boss@buyer-exmail.example", "tencent",
     X(USERUNKNOWN), H, 0},
    {"host mx3.qq.com[192.0.2.1] said: 550 Mailbox not found", "", "", "tencent", X(USERUNKNOWN), H,
     0},
    {"550 Mailbox not found", "", "", "", U, S, 0}, /* no provider: left to phrases.c */
    {"550 Mailbox not found or access denied", "smtp.exmail.qq.com", "", "tencent", X(USERUNKNOWN),
     H, 0},
    {"501 Bad address syntax", "mx1.qq.com", "", "tencent", X(USERUNKNOWN), H, 0},
    {"550 Ip frequency limited. http://service.mail.qq.com/detail/122/172", "", "", "tencent",
     X(SPEEDING), S, 4 * HOUR},
    {"550 Ip frequency limited", "", "", "tencent", X(SPEEDING), S, 4 * HOUR},
    {"550 Domain frequency limited", "mx2.qq.com", "", "tencent", X(SPEEDING), S, 4 * HOUR},
    {"550 Sender frequency limited", "mx2.qq.com", "", "tencent", X(SPEEDING), S, 4 * HOUR},
    {"550 Connection frequency limited", "", "", "tencent", X(TOOMANYCONN), S, 1 * HOUR},
    {"550 Connection denied", "mx1.qq.com", "", "tencent", X(TOOMANYCONN), S, 1 * DAY},
    {"550 Mailbox unavailable or access denied", "mx1.qq.com", "", "tencent", X(SPEEDING), S,
     4 * HOUR},
    {"550 Mail content denied. http://service.mail.qq.com/detail/122/171", "", "", "tencent",
     X(SPAMDETECTED), S, 0},
    {"550 Mail content denied", "mx1.qq.com", "", "tencent", X(SPAMDETECTED), S, 0},
    {"550 Error: content rejected", "mx1.qq.com", "", "tencent", X(SPAMDETECTED), S, 0},
    {"550 Suspected spam ip", "", "", "tencent", X(BADREPUTATION), S, 0},
    {"550 Mail is rejected by recipients", "", "", "tencent", X(FILTERED), S, 0},
    {"550 SPF check failed. http://service.mail.qq.com/detail/122/72", "", "", "tencent",
     X(AUTHFAILURE), S, 0},
    {"550 DMARC check failed.", "mx1.qq.com", "", "tencent", X(AUTHFAILURE), S, 0},
    {"http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728", "", "", "tencent",
     X(USERUNKNOWN), H, 0},
    {"see http://service.mail.qq.com/detail/122/1711", "", "", "tencent", U, S,
     0}, /* 1711 is not 171 */
    /* NetEase: 451 and 554 DT:SPM differ; daily limits wait a day */
    {"451 DT:SPM 163 smtp5,jtKowAAn--.26S2 1528450981,please try again", "", "", "netease",
     X(SPAMDETECTED), S, 2 * MIN},
    {"554 DT:SPM 126 smtp5,jtKowAAn--.26S2 1528450981", "", "", "netease", X(SPAMDETECTED), S, 0},
    {"550 DT:SPM", "163mx01.mxmail.netease.com", "", "netease", X(SPAMDETECTED), S, 0},
    {"451 MI:SFQ 163 mx3", "", "", "netease", X(SPEEDING), S, 15 * MIN},
    {"554 MI:STC", "", "", "netease", X(SPEEDING), S, 1 * DAY},
    {"550 RP:TRC", "", "a@126.com", "netease", X(SPEEDING), S, 1 * DAY},
    {"421 HL:ICC", "", "", "netease", X(TOOMANYCONN), S, 0},
    {"421 HL:REP", "", "", "netease", X(BADREPUTATION), S, 0},
    {"554 HL:IPB", "", "", "netease", X(BLOCKED), S, 0},
    {"450 DT:RBL", "", "", "netease", X(BLOCKED), S, 0},
    {"550 MI:SPF mx14,QMCowECp--.872S2 1442548128", "", "", "netease", X(AUTHFAILURE), S, 0},
    {"550 MI:DMA", "", "", "netease", X(AUTHFAILURE), S, 0},
    {"554 DT:SUM", "", "", "netease", X(POLICYVIOLATION), S, 0},
    {"550 RP:RCL", "", "", "netease", X(EXCEEDLIMIT), S, 0},
    {"550 User not found: zhang@163.com", "", "zhang@163.com", "netease", X(USERUNKNOWN), H, 0},
    {"550 User suspended", "163mx02.mxmail.netease.com", "", "netease", X(SUSPEND), S, 0},
    {"552 Illegal Attachment", "mx.yeah.net", "", "netease", X(POLICYVIOLATION), S, 0},
    {"550 RP:FRL", "", "", "netease", X(NORELAYING), S, 0},
    {"550 RP:CEL", "", "", "netease", X(SYNTAXERROR), S, 0},
    /* Coremail: self-hosted, by host or by the transaction id shape */
    {"550 Requested mail action not taken: Invalid IP", "", "", "coremail", X(BLOCKED), S, 0},
    {"554 DT:SPM mx1,abc--.4471S2", "mx.coremail.example.cn", "", "coremail", X(SPAMDETECTED), S,
     0},
    {"550 User not found", "mx.coremail.example.cn", "", "coremail", X(USERUNKNOWN), H, 0},
    {"554 something, id AQAAf0DbbbBB--.4471S2", "", "", "coremail", U, S, 0},
    {"550 DebugInfo:SPF_REJECT", "", "", "coremail", X(AUTHFAILURE), S, 0},
    /* Alibaba */
    {"554 Reject by behaviour spam at Rcpt State ANTISPAM_BAT[01201311R]: too frequently sending",
     "", "", "alibaba", X(SPEEDING), S, 1 * HOUR},
    {"454 Transient reject by behaviour spam at DATA State ANTISPAM_BAT[x]: currently unexpected "
     "sending",
     "", "", "alibaba", X(TOOMANYCONN), S, 1 * HOUR},
    {"554 Reject by behaviour spam at Rcpt State ANTISPAM_BAT[x]: spf check failed", "", "",
     "alibaba", X(AUTHFAILURE), S, 0},
    {"554 Reject by behaviour spam at DATA State ANTISPAM_BAT[]: list on rbl sites", "", "",
     "alibaba", X(BLOCKED), S, 0},
    {"554 Reject by behaviour spam at DATA State ANTISPAM_BAT[]: bad sending", "", "", "alibaba",
     X(BADREPUTATION), S, 0},
    {"(13)ESO_LOCAL_SPAM: spamed by local spam engine", "", "", "alibaba", X(SPAMDETECTED), S, 0},
    {"554 RCPT (account) dosn't exist", "", "", "alibaba", X(USERUNKNOWN), H, 0},
    {"552 mailbox is full", "mx1.qiye.aliyun.com", "", "alibaba", X(MAILBOXFULL), S, 0},
    {"505 the total of RCPTs is achieved the maximum threshold", "", "", "alibaba", X(SPEEDING), S,
     1 * DAY},
    {"550 SPF check failed", "mx2.mxhichina.com", "", "alibaba", X(AUTHFAILURE), S, 0},
    /* Sina, Sohu */
    {"554 Rejected due to the sending MTA's poor reputation", "", "", "sina", X(BADREPUTATION), S,
     0},
    {"553 5.7.0 IP REJECT", "mx.sohu.com", "", "sohu", X(BLOCKED), S, 0},
    {"553 5.7.3 CONTENT REJCT", "", "", "sohu", X(SPAMDETECTED), S, 0},
    /* Submission errors */
    {"535 Login fail. Account is abnormal, service is not open, password is incorrect, login "
     "frequency limited, or system is busy",
     "", "", "tencent", X(AUTHSUBMISSION), S, 0},
    {"535 Error: authentication failed", "", "", "netease", X(AUTHSUBMISSION), S, 0},
    {"526 Authentication failure[0]", "", "", "alibaba", X(AUTHSUBMISSION), S, 0},
    /* The providers' Chinese notices: reason only, provider from elsewhere */
    {"收件人邮件地址（a@globex.example）不存在，邮件无法送达。", "", "a@globex.example", "",
     X(USERUNKNOWN), H, 0},
    {"收件人（a@oldcorp.example）所属域名不存在，邮件无法送达。", "", "", "", X(HOSTUNKNOWN), H, 0},
    {"现在您发送的邮件被怀疑为是垃圾邮件，拒绝接收。 英文说明:rejected by system", "", "z@163.com",
     "netease", X(SPAMDETECTED), S, 0},
    {"因信头from字段拒收邮件 英文说明: SMTP error, DOT: Host qq.com(192.0.2.1) DOT said 550 The "
     "\"From\" header is missing",
     "", "", "tencent", X(NOTCOMPLIANTRFC), S, 0},
    {"邮差小易抱歉地通知您 英文说明:rcpt handle timeout", "", "", "", X(NETWORKERROR), S, 0},
    /* Not Chinese: the receiver named in "host X said" is Microsoft */
    {"未知原因 host hotmail-com.olc.protection.outlook.com[192.0.2.2] said: 550 5.7.515 Access "
     "denied, sending domain QQ.COM doesn't meet the required authentication level.",
     "", "", "", U, S, 0},
    {"550 5.1.1 user unknown", "mx.example.com", "a@example.com", "", U, S, 0},
};

static void init_rcpt(mm_rcpt *rc, const rcase *c)
{
    memset(rc, 0, sizeof *rc);
    mm_recipient *p = &rc->pub;
    p->recipient = c->rcpt;
    p->original_recipient = p->action = p->status = p->date = p->smtp_command = "";
    p->reporting_mta = p->provider = "";
    p->remote_mta = c->host;
    p->diagnostic = c->text;
    p->reply_code = mm_find_reply(c->text, strlen(c->text));
    rc->diag_type = "SMTP";
}

static int check_case(size_t i, const rcase *c)
{
    mm_rcpt rc;
    char lower[1024];
    init_rcpt(&rc, c);
    snprintf(lower, sizeof lower, "%s", c->text);
    mm_strlower(lower);
    mm_reason_t got = mm_rhost_cn_match(&rc, lower);
    bool hard = got != MM_REASON_UNDEFINED && mm_reason_is_hard(got, &rc.pub);
    long retry = got != MM_REASON_UNDEFINED ? rc.provider_retry : 0;
    int bad = 0;
    if (got != c->reason) {
        printf("#%zu %s: reason: got %s, want %s\n", i, c->text, mm_reason_tostr(got),
               mm_reason_tostr(c->reason));
        bad++;
    }
    if (strcmp(rc.pub.provider, c->provider) != 0) {
        printf("#%zu %s: provider: got \"%s\", want \"%s\"\n", i, c->text, rc.pub.provider,
               c->provider);
        bad++;
    }
    if (hard != c->hard) {
        printf("#%zu %s: hard: got %d, want %d\n", i, c->text, hard, c->hard);
        bad++;
    }
    if (retry != c->retry) {
        printf("#%zu %s: retry: got %ld, want %ld\n", i, c->text, retry, c->retry);
        bad++;
    }
    return bad;
}

static void test_rules(void **state)
{
    (void)state;
    int bad = 0;
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++)
        bad += check_case(i, &cases[i]);
    printf("rhost_cn: %zu cases, %d mismatches\n", n, bad);
    assert_int_equal(bad, 0);
}

/* Submission errors pasted into `mailmedic diagnose --text`. */
static const struct {
    const char *text, *provider;
} pasted[] = {
    {"535 Login fail. Account is abnormal, service is not open, password is incorrect, login "
     "frequency limited, or system is busy.",
     "tencent"},
    {"smtplib.SMTPAuthenticationError: (535, b'Error: authentication failed')", "netease"},
    {"526 Authentication failure[0]", "alibaba"},
};

static void test_diagnose_text_submission(void **state)
{
    (void)state;
    mm_ctx *ctx;
    assert_int_equal(mm_ctx_create(NULL, &ctx), MM_OK);
    int bad = 0;
    for (size_t i = 0; i < sizeof pasted / sizeof pasted[0]; i++) {
        mm_report *r;
        assert_int_equal(mm_diagnose_text(ctx, pasted[i].text, &r), MM_OK);
        const mm_recipient *p = mm_report_recipient(r, 0);
        if (p->reason != MM_REASON_AUTHSUBMISSION || strcmp(p->provider, pasted[i].provider)) {
            printf("%s: got %s/%s, want authsubmission/%s\n", pasted[i].text,
                   mm_reason_tostr(p->reason), p->provider, pasted[i].provider);
            bad++;
        }
        if (p->hard_bounce || p->advice.category != MM_CATEGORY_SENDER_ACCOUNT) {
            printf("%s: got hard=%d category=%s, want soft sender_account\n", pasted[i].text,
                   p->hard_bounce, mm_category_tostr(p->advice.category));
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
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_diagnose_text_submission),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
