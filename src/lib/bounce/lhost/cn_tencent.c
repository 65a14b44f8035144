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
#include "mta_util.h"

static const char *const markers[] = {"很抱歉您发送的邮件被退回", "无法发送到",
                                      "很抱歉您的邮件没有发送成功", NULL};
/* Two searches that every text holding a marker passes: the first and
 * the last marker open with "很抱歉您". */
static const char *const marker_parts[] = {"无法发送到", "很抱歉您", NULL};
static const char *const senders[] = {"postmaster", "mailer-daemon", NULL};
static const char *const rcpt[] = {"无法发送到", NULL};
static const char *const reason[] = {"退信原因", NULL};
static const char *const end[] = {"解决方案", "建议", NULL};

static const mm_cn_labels labels = {rcpt, reason, end, NULL};

mm_status_t mm_decode_cn_tencent(const mm_msg *m, mm_report *r)
{
    /* A plain ASCII text has no Chinese marker.  Then the sender or the
     * subject (the report's lower-cased From and Subject, short) before
     * the text's three searches: both must hold, so the order changes
     * only the cost. */
    if (r->text_ascii)
        return MM_ENOTFOUND;
    bool from = false;
    for (size_t i = 0; senders[i] && !from; i++)
        from = mm_mta_lc_has(r->from_lc, r->from_len, senders[i]);
    if (!from && !mm_mta_lc_has(r->subject_lc, r->subject_len, "的退信"))
        return MM_ENOTFOUND;
    if (!mm_cn_text_has(m, r, marker_parts) || !mm_cn_text_has(m, r, markers))
        return MM_ENOTFOUND;
    return mm_cn_notice_decode(m, r, &labels);
}
