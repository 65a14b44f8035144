/*
 * cn_tencent.c - the bounce notice QQ Mail and Tencent Exmail send to
 * their own users ("来自qq.com的退信", from PostMaster@qq.com; Exmail
 * writes "来自<domain>的退信" from postmaster@<customer domain>).
 *
 * Layout (HTML, UTF-8 or GB2312, often base64), as documented in public
 * code that parses it (a check_bounce.py and its fixture; repo not named,
 * see tests/fixtures/cn/README):
 *   很抱歉您发送的邮件被退回，以下是该邮件的相关信息：
 *   被退回邮件 / 主 题：... / 时 间：...
 *   无法发送到 <address>
 *   退信原因 <Chinese summary> host <mx>[ip] said: <SMTP reply>
 *   解决方案 <advice>
 * one "无法发送到" table per failed recipient.
 */
#include "cn_notice.h"

static const char *const markers[] = {"很抱歉您发送的邮件被退回", "无法发送到",
                                      "很抱歉您的邮件没有发送成功", NULL};
static const char *const senders[] = {"postmaster", "mailer-daemon", NULL};
static const char *const rcpt[] = {"无法发送到", NULL};
static const char *const reason[] = {"退信原因", NULL};
static const char *const end[] = {"解决方案", "建议", NULL};

static const mm_cn_labels labels = {rcpt, reason, end, NULL};

mm_status_t mm_decode_cn_tencent(const mm_msg *m, mm_report *r)
{
    /* the text's Chinese markers first: a plain ASCII text has none */
    if (r->text_ascii || !mm_cn_has(mm_buf_str(&m->text), markers))
        return MM_ENOTFOUND;
    const char *from = mm_fields_get(&m->head, "From");
    const char *subj = mm_fields_get(&m->head, "Subject");
    static const char *const subjects[] = {"的退信", NULL};
    if (!(mm_cn_has(from, senders) || mm_cn_has(subj, subjects)))
        return MM_ENOTFOUND;
    return mm_cn_notice_decode(m, r, &labels);
}
