/*
 * rhost_cn.c - rules for Chinese receiving providers: Tencent (QQ Mail,
 * Exmail), NetEase (163/126/yeah.net, qiye.163.com), Alibaba Mail
 * (qiye.aliyun.com, mxhichina.com), Coremail, Sina and Sohu.  Their 5xx
 * rate limits are "wait", not "remove the address", with each provider's
 * published waiting time.  Sources: shared/research/anchors.md section C.
 *
 * How it works: first the provider is recognised, by the remote host (the
 * Remote-MTA field or the "host X said:" part of the reply), then by the
 * recipient's domain, then by a code shape only one platform uses (NetEase
 * "DT:SPM", the Coremail transaction id "...--.26S2", Aliyun ANTISPAM_BAT).
 * Then the rule table is read top to bottom; the first row that applies
 * wins.  A row applies when its pattern occurs in the lower-cased reply,
 * its reply class (4xx/5xx) fits, and either the provider already
 * recognised belongs to the row's platform, or the row is a signature
 * (SIG): wording only that provider writes, which names the provider by
 * itself.  Rows of provider GEN are the Chinese sentences the providers'
 * own bounce notices use; they give a reason but never a provider, since a
 * notice from 163 may speak of a refusal by any receiver.
 *
 * Patterns: lower case; '*' stands for any run of characters; a pattern
 * that ends in a digit does not match when a digit follows ("detail/122/17"
 * never matches ".../171").  Every row names where its wording was
 * documented; "own" marks wording written from experience, not a source.
 * When you add a row, add a case to tests/unit/test_rhost_cn.c.
 */
#include "bounce_int.h"

#include <stdint.h>
#include <string.h>
#include "../util/str.h"

#define MIN 60L
#define HOUR 3600L
#define DAY (24 * HOUR)

typedef enum cn_prov {
    P_NONE = 0,
    P_TENCENT,
    P_NETEASE,
    P_ALIBABA,
    P_COREMAIL,
    P_SINA,
    P_SOHU,
    P_ANY, /* rule for any recognised Chinese provider */
    P_GEN, /* Chinese notice wording: reason only, provider left alone */
} cn_prov;

static const char *const prov_names[] = {
    [P_TENCENT] = "tencent",   [P_NETEASE] = "netease", [P_ALIBABA] = "alibaba",
    [P_COREMAIL] = "coremail", [P_SINA] = "sina",       [P_SOHU] = "sohu",
};

enum {
    SIG = 1, /* the wording alone identifies the provider */
    C4 = 2,  /* only for 4xx replies */
    C5 = 4,  /* only for 5xx replies */
};

typedef struct cn_rule {
    cn_prov prov;
    unsigned flags;
    const char *pat;
    mm_reason_t reason;
    long retry; /* provider's published waiting time, seconds; 0 = none */
    const char *src;
    unsigned short pair; /* mm_cn_pair_hash() of the pattern's first two bytes */
    /* and of its last two (its first two when one of those is a '*'):
     * "detail/122/169" and its siblings differ there, and most replies
     * hold "de" but not "69" */
    unsigned short pair_last;
} cn_rule;

/* mm_cn_pair_hash() of a literal's first two bytes, worked out by the compiler.
 * Neither this nor pairs_may_hold() folds the pattern: a row with an
 * upper-case letter would never match, so keep patterns lower case. */
#define PAIR_OF(s) ((((unsigned)(unsigned char)(s)[0] << 5) ^ (unsigned char)(s)[1]) & 4095u)

/* mm_cn_pair_hash() of a literal's bytes i and i + 1 */
#define PAIR_AT(s, i) ((((unsigned)(unsigned char)(s)[i] << 5) ^ (unsigned char)(s)[(i) + 1]) & 4095u)
/* PAIR_AT() of a literal's last two bytes, when neither is a '*' */
#define PAIR_LAST(s)                                                                               \
    (sizeof(s) >= 3 && (s)[sizeof(s) - 3] != '*' && (s)[sizeof(s) - 2] != '*'                      \
         ? PAIR_AT(s, sizeof(s) - 3)                                                               \
         : PAIR_OF(s))

#define R(p, f, pat, reason, retry, src)                                                           \
    {                                                                                              \
        p, f, pat, MM_REASON_##reason, retry, src, PAIR_OF(pat), PAIR_LAST(pat)                    \
    }

/* Sources, shortened: C.n = shared/research/anchors.md section C.n. */
#define S_C0 "anchors C.0"
#define S_C1 "anchors C.1 (Tencent help pages via sisimai Rhost/Tencent.pm)"
#define S_C1Q "anchors C.1; https://qqmailbox.com/transceivers/169.html"
#define S_C2 "anchors C.2 (NetEase help_spam_16 list)"
#define S_C3 "anchors C.3 (help.aliyun.com mirrors)"
#define S_C3S "anchors C.3; http://sh-aliyun.com/index.php/Products/detail/cid/0/pid/87.html"
#define S_C4C "anchors C.4 (icoremail.vip support index)"
#define S_C5 "anchors C.5"
#define S_N163 "163 notice, huxley-barbee/pantomime:data/0008.eml"
#define S_NQQ "QQ notice, public code (check_bounce.py fixture, repo not named)"

static const cn_rule rules[] = {
    /* Submission: the user's own SMTP login failed (C.0 item 4).  Before
     * the rate rows: QQ's 535 text also says "frequency limited". */
    R(P_TENCENT, SIG, "login fail. account is abnormal", AUTHSUBMISSION, 0, S_C0),
    R(P_TENCENT, SIG, "请使用授权码登录", AUTHSUBMISSION, 0, "own: QQ 535 reply"),
    R(P_TENCENT, SIG, "no=1001256", AUTHSUBMISSION, 0, "own: QQ help id for 535"),
    R(P_NETEASE, SIG, "error: authentication failed", AUTHSUBMISSION, 0, S_C0),
    R(P_NETEASE, SIG, "user has no permission", AUTHSUBMISSION, 0,
      "own: 163 SMTP, client auth off"),
    R(P_NETEASE, SIG, "too much fail authentication", AUTHSUBMISSION, 0, S_C2),
    R(P_NETEASE, SIG, "smtp auth error limit exceed", AUTHSUBMISSION, 0, S_C2),
    R(P_ALIBABA, SIG, "526 authentication failure", AUTHSUBMISSION, 0, S_C3S),
    R(P_ALIBABA, SIG, "username or passwd is null", AUTHSUBMISSION, 0, S_C3S),
    R(P_ALIBABA, SIG, "account doesn't conform with authentication", AUTHSUBMISSION, 0, S_C3S),
    R(P_ALIBABA, 0, "authentication failure", AUTHSUBMISSION, 0, S_C3S),
    R(P_NETEASE, 0, "authentication is required", AUTHSUBMISSION, 0, S_C2),

    /* Tencent help-page ids: the most stable keys (C.0 item 6). */
    R(P_TENCENT, SIG, "detail/122/169", USERUNKNOWN, 0, S_C1),
    R(P_TENCENT, SIG, "no=1000728", USERUNKNOWN, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/167", USERUNKNOWN, 0, S_C1),
    R(P_TENCENT, SIG, "no=1000730", USERUNKNOWN, 0, S_C1),
    R(P_TENCENT, SIG, "no=1000742", SUSPEND, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/168", MESGTOOBIG, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/171", SPAMDETECTED, 0, S_C1),
    R(P_TENCENT, SIG, "no=1000726", SPAMDETECTED, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/59", SPAMDETECTED, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/71", BADREPUTATION, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/66", BADREPUTATION, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/57", BLOCKED, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/92", FILTERED, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/166", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "detail/122/172", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "no=1000725", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "detail/122/173", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "detail/122/174", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "detail/122/1011", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "detail/122/175", TOOMANYCONN, 1 * HOUR, S_C1),
    R(P_TENCENT, SIG, "no=1000722", TOOMANYCONN, 1 * HOUR, S_C1),
    R(P_TENCENT, SIG, "detail/122/170", TOOMANYCONN, 1 * DAY, S_C1),
    R(P_TENCENT, SIG, "detail/122/72", AUTHFAILURE, 0, S_C1),
    R(P_TENCENT, SIG, "detail/122/73", AUTHFAILURE, 0, S_C1),
    R(P_TENCENT, SIG, "no=1001508", AUTHFAILURE, 0, S_C1),

    /* Tencent wording.  Frequency limits: bans of minutes, hours or the
     * rest of the day, thresholds secret (C.1, ydadm.com/news_in/335);
     * "hours" is the waiting time we give. */
    R(P_TENCENT, SIG, "mailbox unavailable or access denied", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "ip frequency limited", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "domain frequency limited", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "sender frequency limited", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "frequency of receiving messages is limited", SPEEDING, 4 * HOUR, S_C1),
    R(P_TENCENT, SIG, "connection frequency limited", TOOMANYCONN, 1 * HOUR, S_C1),
    R(P_TENCENT, 0, "connection denied", TOOMANYCONN, 1 * DAY, S_C1),
    R(P_TENCENT, 0, "daily quota", SPEEDING, 1 * DAY,
      "anchors C.1 (Exmail daily quota; wording inferred)"),
    R(P_TENCENT, SIG, "spam is embedded in the email", SPAMDETECTED, 0, S_C1),
    R(P_TENCENT, SIG, "suspected spam ip", BADREPUTATION, 0, S_C1),
    R(P_TENCENT, SIG, "suspected spam", BADREPUTATION, 0, S_C1),
    R(P_TENCENT, SIG, "suspected bounce attacks", BLOCKED, 0, S_C1),
    R(P_TENCENT, SIG, "mail is rejected by recipients", FILTERED, 0, S_C1),
    R(P_TENCENT, SIG, "该用户未开通qq邮箱", USERUNKNOWN, 0, S_C1Q),
    R(P_TENCENT, 0, "mailbox not found", USERUNKNOWN, 0, S_C1),
    R(P_TENCENT, 0, "bad address syntax", USERUNKNOWN, 0, S_C1),
    R(P_TENCENT, 0, "is a deactivated mailbox", SUSPEND, 0, S_C1),
    R(P_TENCENT, 0, "message too large", MESGTOOBIG, 0, S_C1),
    R(P_TENCENT, 0, "mail content denied", SPAMDETECTED, 0, S_C1),
    R(P_TENCENT, 0, "content rejected", SPAMDETECTED, 0, S_C1Q),

    /* NetEase codes (C.2).  451 DT:SPM is "keep it queued, retry in two
     * minutes"; 550/554 DT:SPM is "content judged spam, change it". */
    R(P_NETEASE, SIG | C4, "dt:spm", SPAMDETECTED, 2 * MIN, S_C2),
    R(P_NETEASE, SIG, "dt:spm", SPAMDETECTED, 0, S_C2),
    R(P_NETEASE, SIG, "mi:sfq", SPEEDING, 15 * MIN, S_C2),
    R(P_NETEASE, SIG, "mi:stc", SPEEDING, 1 * DAY, S_C2),
    R(P_NETEASE, SIG, "rp:trc", SPEEDING, 1 * DAY, S_C2),
    R(P_NETEASE, SIG, "rp:qrc", SPEEDING, 0, S_C2),
    R(P_NETEASE, SIG, "hl:ifc", SPEEDING, 0, S_C2),
    R(P_NETEASE, SIG, "hl:icc", TOOMANYCONN, 0, S_C2),
    R(P_NETEASE, SIG, "mi:dmc", TOOMANYCONN, 0, S_C2),
    R(P_NETEASE, SIG, "rp:drc", TOOMANYCONN, 0, S_C2),
    R(P_NETEASE, SIG, "hl:rep", BADREPUTATION, 0, S_C2),
    R(P_NETEASE, SIG, "hl:ihu", BADREPUTATION, 0, S_C2),
    R(P_NETEASE, SIG, "hl:mep", BLOCKED, 0, S_C2),
    R(P_NETEASE, SIG, "hl:ipb", BLOCKED, 0, S_C2),
    R(P_NETEASE, SIG, "dt:rbl", BLOCKED, 0, S_C2),
    R(P_NETEASE, SIG, "wm:bli", BLOCKED, 0, S_C2),
    R(P_NETEASE, SIG, "mi:nhd", BLOCKED, 0, S_C2),
    R(P_NETEASE, SIG, "wm:blu", REJECTED, 0, S_C2),
    R(P_NETEASE, SIG, "mi:spb", REJECTED, 0, S_C2),
    R(P_NETEASE, SIG, "mi:imf", REJECTED, 0, S_C2),
    R(P_NETEASE, SIG, "mi:spf", AUTHFAILURE, 0, S_C2),
    R(P_NETEASE, SIG, "mi:dma", AUTHFAILURE, 0, S_C2),
    R(P_NETEASE, SIG, "dt:sum", POLICYVIOLATION, 0, S_C2),
    R(P_NETEASE, SIG, "rp:frl", NORELAYING, 0, S_C2),
    R(P_NETEASE, SIG, "rp:rcl", EXCEEDLIMIT, 0, S_C2),
    R(P_NETEASE, SIG, "mi:cel", SYNTAXERROR, 0, S_C2),
    R(P_NETEASE, SIG, "rp:cel", SYNTAXERROR, 0, S_C2),
    R(P_NETEASE, SIG, "mi:ccl", SYNTAXERROR, 0, S_C2),
    R(P_NETEASE, SIG, "rp:ccl", SYNTAXERROR, 0, S_C2),
    R(P_NETEASE, 0, "ip in blacklist", BLOCKED, 0, S_C2),
    R(P_NETEASE, 0, "user in blacklist", REJECTED, 0, S_C2),
    R(P_NETEASE, 0, "too much recipient", EXCEEDLIMIT, 0, S_C2),
    R(P_NETEASE, 0, "local error in processing", SYSTEMERROR, 0, S_C2),
    R(P_NETEASE, 0, "invalid user", USERUNKNOWN, 0, S_C2),
    R(P_NETEASE, 0, "user not found", USERUNKNOWN, 0, S_C2),
    R(P_NETEASE, 0, "user suspended", SUSPEND, 0, S_C2),
    R(P_NETEASE, 0, "illegal attachment", POLICYVIOLATION, 0, S_C2),
    R(P_NETEASE, 0, "exceeded mailsize limit", MESGTOOBIG, 0, S_C2),
    R(P_NETEASE, 0, "null sender is not allowed", REJECTED, 0, S_C2),
    R(P_NETEASE, 0, "local user only", NORELAYING, 0, S_C2),
    R(P_NETEASE, 0, "no smtp mx only", NORELAYING, 0, S_C2),

    /* Coremail's own documented texts (C.4); they apply at 163 too. */
    R(P_COREMAIL, SIG, "debuginfo:spf_reject", AUTHFAILURE, 0, S_C4C),
    R(P_COREMAIL, SIG, "mail action not taken: invalid ip", BLOCKED, 0, S_C4C),
    R(P_COREMAIL, SIG, "mail action not taken: fake sender", REJECTED, 0, S_C4C),
    R(P_COREMAIL, 0, "ip is hangup", BLOCKED, 0, S_C4C),
    R(P_COREMAIL, 0, "ip is rejected", BLOCKED, 0, S_C4C),
    R(P_COREMAIL, 0, "sender is rejected", REJECTED, 0, S_C4C),
    R(P_COREMAIL, 0, "user rejected", FILTERED, 0, S_C4C),
    R(P_COREMAIL, 0, "user hangup", SUSPEND, 0, S_C4C),
    R(P_COREMAIL, 0, "user disabled", SUSPEND, 0, S_C4C),
    R(P_COREMAIL, 0, "unavailable mail user", USERUNKNOWN, 0, S_C4C),

    /* Alibaba Mail (C.3).  "too frequently sending": pause and retry; a
     * day when the daily quota is the cause, which the text does not say. */
    R(P_ALIBABA, SIG, "eso_local_spam", SPAMDETECTED, 0, S_C3),
    R(P_ALIBABA, SIG, "spamed by local spam engine", SPAMDETECTED, 0, S_C3),
    R(P_ALIBABA, SIG, "antispam_bat*too frequently sending", SPEEDING, 1 * HOUR, S_C3),
    R(P_ALIBABA, SIG, "antispam_bat*currently unexpected sending", TOOMANYCONN, 1 * HOUR, S_C3),
    R(P_ALIBABA, SIG, "antispam_bat*spf check failed", AUTHFAILURE, 0, S_C3),
    R(P_ALIBABA, SIG, "antispam_bat*list on rbl sites", BLOCKED, 0, S_C3),
    R(P_ALIBABA, SIG, "antispam_bat*bad sending", BADREPUTATION, 0, S_C3),
    R(P_ALIBABA, SIG, "broken the antispam rules", SPAMDETECTED, 0, S_C3),
    R(P_ALIBABA, SIG, "reject by content spam", SPAMDETECTED, 0, S_C3S),
    R(P_ALIBABA, SIG, "transient reject by behaviour spam", SPEEDING, 1 * HOUR, S_C3S),
    R(P_ALIBABA, SIG, "reject by behaviour spam", BADREPUTATION, 0, S_C3S),
    R(P_ALIBABA, SIG, "rcpt (account) dosn't exist", USERUNKNOWN, 0, S_C3S),
    R(P_ALIBABA, SIG, "\"rcpt to\" mailbox unavailable", USERUNKNOWN, 0, S_C3S),
    R(P_ALIBABA, SIG, "length of data content/attach is achieved", MESGTOOBIG, 0, S_C3S),
    R(P_ALIBABA, SIG, "number of attachments*maximum threshold", EXCEEDLIMIT, 0, S_C3S),
    R(P_ALIBABA, SIG, "number of rcpt attempts is achieved", EXCEEDLIMIT, 0, S_C3S),
    R(P_ALIBABA, SIG, "the total of rcpts", SPEEDING, 1 * DAY, S_C3S),
    R(P_ALIBABA, SIG, "account isn't allowed to send email", REJECTED, 0, S_C3S),
    R(P_ALIBABA, SIG, "account isn't allowed to receive", SUSPEND, 0, S_C3S),
    R(P_ALIBABA, SIG, "\"mail from\" is non-local account", NORELAYING, 0, S_C3S),
    R(P_ALIBABA, SIG, "mailfrom account is a local account", NORELAYING, 0, S_C3S),
    R(P_ALIBABA, SIG, "rcptto account isn't a local account", NORELAYING, 0, S_C3S),
    R(P_ALIBABA, 0, "mailbox is full", MAILBOXFULL, 0, S_C3S),
    R(P_ALIBABA, 0, "virus infected mail rejected", VIRUSDETECTED, 0, S_C3S),

    /* Sina and Sohu (C.5).  "REJCT" is Sohu's own spelling. */
    R(P_SINA, SIG, "sending mta's poor reputation", BADREPUTATION, 0, S_C5),
    R(P_SINA, SIG, "access to submit messages to this e-mail system has been rejected", BLOCKED, 0,
      S_C5),
    R(P_SOHU, SIG, "content rejct", SPAMDETECTED, 0, S_C5),
    R(P_SOHU, SIG, "heloip reject", BLOCKED, 0, S_C5),
    R(P_SOHU, 0, "ip reject", BLOCKED, 0, S_C5),
    R(P_SOHU, 0, "sender reject", SPEEDING, 0, S_C5),

    /* Any recognised Chinese provider. */
    R(P_ANY, 0, "spf check failed", AUTHFAILURE, 0, "anchors C.1, C.3"),
    R(P_ANY, 0, "dmarc check failed", AUTHFAILURE, 0, "anchors C.1"),
    R(P_ANY, 0, "sending quota exceeded", SPEEDING, 1 * DAY,
      "https://www.emailhost.com.cn/service.html?article_category=25"),

    /* The providers' Chinese notices (lhost/cn_*.c put them in the
     * diagnostic).  Domain before address: "所属域名不存在". */
    R(P_GEN, 0, "因信头from字段拒收", NOTCOMPLIANTRFC, 0,
      "126 notice, public code (repo not named)"),
    R(P_GEN, 0, "域名不存在", HOSTUNKNOWN, 0, S_NQQ),
    R(P_GEN, 0, "该用户不存在", USERUNKNOWN, 0, S_C1Q),
    R(P_GEN, 0, "地址不存在", USERUNKNOWN, 0, S_NQQ),
    R(P_GEN, 0, "地址（*）不存在", USERUNKNOWN, 0, S_NQQ),
    R(P_GEN, 0, "收件人空间不足", MAILBOXFULL, 0, S_C1Q),
    R(P_GEN, 0, "收件箱已满", MAILBOXFULL, 0, "http://aliyuntx.com/news_in/351"),
    R(P_GEN, 0, "邮箱已满", MAILBOXFULL, 0, "http://aliyuntx.com/news_in/351"),
    R(P_GEN, 0, "被怀疑为是垃圾邮件", SPAMDETECTED, 0, S_N163),
    R(P_GEN, 0, "认定为垃圾邮件", SPAMDETECTED, 0, "https://paomoly.com/zhuanti/18886.html"),
    R(P_GEN, 0, "频率限制", SPEEDING, 0, "anchors C.1"),
    R(P_GEN, 0, "无法与收信方联络", NETWORKERROR, 0, "163 notice, public code (repo not named)"),
    R(P_GEN, 0, "can not connect to", NETWORKERROR, 0, "163 notice, public code (repo not named)"),
    R(P_GEN, 0, "rcpt handle timeout", NETWORKERROR, 0,
      "163 notice, yunsite/smeoa:trunk/wwwroot/Sql/demo.sql"),
};

/* Hosts and recipient domains.  A leading '.' means "this domain or a
 * subdomain"; otherwise the pattern may occur anywhere in the name. */
typedef struct cn_name {
    const char *pat;
    cn_prov prov;
    size_t len; /* strlen(pat), worked out by the compiler */
} cn_name;

#define N(pat, prov) {pat, prov, sizeof pat - 1}

static const cn_name hosts[] = {
    N(".qq.com", P_TENCENT),
    N(".foxmail.com", P_TENCENT),
    N("163mx", P_NETEASE),
    N("126mx", P_NETEASE),
    N(".mxmail.netease.com", P_NETEASE),
    N(".netease.com", P_NETEASE),
    N(".163.com", P_NETEASE),
    N(".126.com", P_NETEASE),
    N(".yeah.net", P_NETEASE),
    N(".126.net", P_NETEASE),
    N(".mxhichina.com", P_ALIBABA),
    N(".aliyun.com", P_ALIBABA),
    N(".alibaba-inc.com", P_ALIBABA),
    N("coremail", P_COREMAIL),
    N(".sina.com.cn", P_SINA),
    N(".sina.com", P_SINA),
    N(".sina.net", P_SINA),
    N(".sina.cn", P_SINA),
    N(".sohu.com", P_SOHU),
    N(".sohu.net", P_SOHU),
};

static const cn_name domains[] = {
    N(".qq.com", P_TENCENT),     N(".foxmail.com", P_TENCENT), N(".163.com", P_NETEASE),
    N(".126.com", P_NETEASE),    N(".yeah.net", P_NETEASE),    N(".188.com", P_NETEASE),
    N(".aliyun.com", P_ALIBABA), N(".sina.com", P_SINA),       N(".sina.cn", P_SINA),
    N(".sohu.com", P_SOHU),
};

/* Text that names the platform without a rule of its own. */
static const cn_name signs[] = {
    N("service.mail.qq.com", P_TENCENT), N("exmail.qq.com", P_TENCENT),
    N("mail.163.com/help", P_NETEASE),   N("help_spam_16", P_NETEASE),
    N("antispam_bat", P_ALIBABA),        N("mxhichina", P_ALIBABA),
    N("qiye.aliyun.com", P_ALIBABA),     N("coremail", P_COREMAIL),
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_lower_alpha(char c)
{
    return c >= 'a' && c <= 'z';
}

/* Does pat (no '*') occur in text, not followed by a digit when it ends in one? */
static const char *find_word(const char *text, const char *pat, size_t n)
{
    const char *p = text;
    while ((p = mm_memcasemem(p, strlen(p), pat, n)) != NULL) {
        if (!(is_digit(pat[n - 1]) && is_digit(p[n])))
            return p;
        p++;
    }
    return NULL;
}

static bool pattern_in(const char *text, const char *pat)
{
    const char *star = strchr(pat, '*');
    size_t n = star ? (size_t)(star - pat) : strlen(pat);
    const char *p = find_word(text, pat, n);
    if (!p || !star)
        return p != NULL;
    return pattern_in(p + n, star + 1);
}

/* name (nl bytes) holds pat (pl bytes), or ends with ".pat"-style pat (or
 * is it without the dot).  The last bytes are compared first: most names
 * differ there. */
static bool name_is(const char *name, size_t nl, const char *pat, size_t pl)
{
    if (pat[0] != '.')
        return strstr(name, pat) != NULL;
    if (name[nl - 1] != pat[pl - 1])
        return false;
    if (nl + 1 == pl && memcmp(name, pat + 1, nl) == 0)
        return true;
    return nl > pl && memcmp(name + nl - pl, pat, pl) == 0;
}

static cn_prov name_prov(const char *name, const cn_name *t, size_t n)
{
    size_t nl = strlen(name);
    for (size_t i = 0; nl && i < n; i++)
        if (name_is(name, nl, t[i].pat, t[i].len))
            return t[i].prov;
    return P_NONE;
}

static bool host_end(char c)
{
    return c == ' ' || c == '[' || c == '(' || c == ':' || c == ',' || c == ';' || c == '>' ||
           c == '\t';
}

/* Copy the host name at s (up to a space, bracket, parenthesis, colon or
 * comma), lower-cased, into out[outlen]. */
static void host_copy(const char *s, char *out, size_t outlen)
{
    size_t i = 0;
    while (*s == ' ' || *s == '<')
        s++;
    for (; s[i] && !host_end(s[i]) && i + 1 < outlen; i++)
        out[i] = mm_lower(s[i]);
    while (i > 0 && out[i - 1] == '.')
        i--;
    out[i] = '\0';
}

/* The host that answered: Remote-MTA, else "host X said" in the reply
 * (Postfix, Exim, and NetEase's notices write "Host qq.com(ip)"). */
static cn_prov host_prov(const mm_rcpt *rc, const char *lower)
{
    char host[256];
    host_copy(rc->pub.remote_mta, host, sizeof host);
    cn_prov p = name_prov(host, hosts, sizeof hosts / sizeof hosts[0]);
    for (const char *h = lower; p == P_NONE && (h = strstr(h, "host ")) != NULL; h += 5) {
        host_copy(h + 5, host, sizeof host);
        if (strchr(host, '.'))
            p = name_prov(host, hosts, sizeof hosts / sizeof hosts[0]);
    }
    return p;
}

static cn_prov domain_prov(const char *rcpt)
{
    const char *at = strrchr(rcpt, '@');
    char dom[256];
    if (!at)
        return P_NONE;
    host_copy(at + 1, dom, sizeof dom);
    return name_prov(dom, domains, sizeof domains / sizeof domains[0]);
}

/* NetEase-platform code "XX:YYY" (C.2) and the Coremail transaction id
 * "...--.NNNNS2" (C.0 item 3). */
static cn_prov shape_prov(const char *lower)
{
    static const char prefixes[][2] = {{'m', 'i'}, {'d', 't'}, {'r', 'p'}, {'h', 'l'}, {'w', 'm'}};
    /* every ':' once, instead of a search per prefix */
    for (const char *c = strchr(lower, ':'); c; c = strchr(c + 1, ':')) {
        if (c - lower < 2)
            continue;
        const char *p = c - 2;
        for (size_t i = 0; i < 5; i++)
            if (p[0] == prefixes[i][0] && p[1] == prefixes[i][1] &&
                (p == lower || !is_lower_alpha(p[-1])) && is_lower_alpha(p[3]) &&
                is_lower_alpha(p[4]) && is_lower_alpha(p[5]) && !is_lower_alpha(p[6]))
                return P_NETEASE;
    }
    for (const char *p = lower; (p = strstr(p, "--.")) != NULL; p++) {
        const char *d = p + 3;
        while (is_digit(*d))
            d++;
        if (d > p + 3 && d[0] == 's' && d[1] == '2')
            return P_COREMAIL;
    }
    return P_NONE;
}

/* NetEase runs on Coremail: each platform's rows fit the other. */
static bool same_platform(cn_prov row, cn_prov known)
{
    bool cm_row = row == P_NETEASE || row == P_COREMAIL;
    bool cm_known = known == P_NETEASE || known == P_COREMAIL;
    return row == known || (cm_row && cm_known);
}

static int reply_class(const mm_rcpt *rc, const char *lower)
{
    int code = rc->pub.reply_code ? rc->pub.reply_code : mm_find_reply(lower, strlen(lower));
    if (code)
        return code / 100;
    return rc->pub.status[0] ? rc->pub.status[0] - '0' : 0;
}

/* The pairs of adjacent bytes a text holds (ASCII letters folded, as the
 * searches fold them), hashed into 4096 slots.  A pattern with a pair (not
 * across a '*') that the text lacks cannot occur in it: most rows are
 * turned away so, without a search.  A byte per slot, not a bit: setting
 * one per byte of the text and testing two per row are then a store and a
 * load (4 KiB cleared per call cost less than the bit arithmetic).
 * classify.c makes the same set in mm_phrase_prepare_copy(). */
void mm_cn_pairs_of(mm_cn_pairs *pp, const char *text)
{
    memset(pp, 0, sizeof *pp);
    if (!text[0])
        return;
    /* the text is lower case already (mm_rhost_cn_match's contract: the
     * lower-cased diagnostic), as the patterns are */
    for (const unsigned char *p = (const unsigned char *)text + 1; *p; p++)
        pp->has[mm_cn_pair_hash(p[-1], p[0])] = 1;
}

static bool pairs_may_hold(const mm_cn_pairs *pp, const char *pat)
{
    for (const char *p = pat; p[0] && p[1]; p++) {
        if (p[0] == '*' || p[1] == '*')
            continue;
        unsigned h = mm_cn_pair_hash((unsigned char)p[0], (unsigned char)p[1]);
        if (!pp->has[h])
            return false;
    }
    return true;
}

/* The signs' pairs are asked first: most replies lack one of them
 * ("qq", "16", "xh"...), which spares their searches. */
static cn_prov recognise(const mm_rcpt *rc, const char *lower, const mm_cn_pairs *pp)
{
    cn_prov p = host_prov(rc, lower);
    if (p == P_NONE)
        p = domain_prov(rc->pub.recipient);
    for (size_t i = 0; p == P_NONE && i < sizeof signs / sizeof signs[0]; i++)
        if (pairs_may_hold(pp, signs[i].pat) && strstr(lower, signs[i].pat))
            p = signs[i].prov;
    return p == P_NONE ? shape_prov(lower) : p;
}

static bool rule_applies(const cn_rule *r, cn_prov known, int cls, const char *lower,
                         const mm_cn_pairs *pp)
{
    if (((r->flags & C4) && cls != 4) || ((r->flags & C5) && cls != 5))
        return false;
    if (r->prov == P_ANY && known == P_NONE)
        return false;
    if (r->prov != P_ANY && r->prov != P_GEN && !same_platform(r->prov, known) &&
        !((r->flags & SIG) && known == P_NONE))
        return false;
    return pairs_may_hold(pp, r->pat) && pattern_in(lower, r->pat);
}

mm_reason_t mm_rhost_cn_match(mm_rcpt *rc, const char *lower)
{
    mm_cn_pairs pairs;
    mm_cn_pairs_of(&pairs, lower);
    return mm_rhost_cn_match_pairs(rc, lower, &pairs);
}

mm_reason_t mm_rhost_cn_match_pairs(mm_rcpt *rc, const char *lower, const mm_cn_pairs *pp)
{
    cn_prov known = recognise(rc, lower, pp);
    int cls = reply_class(rc, lower);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        const cn_rule *r = &rules[i];
        /* the first and last pairs turn away most rows, in a load each */
        if (!pp->has[r->pair] || !pp->has[r->pair_last])
            continue;
        if (!rule_applies(r, known, cls, lower, pp))
            continue;
        if (known == P_NONE && r->prov != P_ANY && r->prov != P_GEN)
            known = r->prov;
        if (known != P_NONE)
            rc->pub.provider = prov_names[known];
        rc->provider_retry = r->retry;
        return r->reason;
    }
    if (known != P_NONE)
        rc->pub.provider = prov_names[known];
    return MM_REASON_UNDEFINED;
}
