/*
 * cn_alibaba.c - the bounce notice Alibaba Mail (阿里邮箱, qiye.aliyun.com,
 * formerly mxhichina.com) sends to its own users.
 *
 * Alibaba's help page on bounce notices (mirrored at
 * http://bestwisewords.com/document_detail/2693291.html) says the notice
 * gives a bounce reason (退信原因), a recommended fix (推荐方案) and the
 * remote server's own reply (远程响应); reseller pages quote its reasons
 * ("收件人邮件地址不存在，邮件无法送达", http://aliyuntx.com/news_in/351).
 * The exact layout was not found in public; the labels below are read
 * from those pages, so the decoder accepts either label order and puts
 * the remote reply first in the diagnostic.  Recognised by a header
 * naming Alibaba's hosts and one of the labels.
 */
#include "cn_notice.h"

static const char *const hosts[] = {"aliyun.com", "mxhichina.com", "alibaba-inc.com", "alimail",
                                    NULL};
static const char *const markers[] = {"退信原因", "远程响应", NULL};
static const char *const rcpt[] = {"收件人地址", "收件人", "无法发送到", NULL};
static const char *const reason[] = {"退信原因", NULL};
static const char *const end[] = {"推荐方案", "解决方案", "远程响应", "原邮件", NULL};
static const char *const extra[] = {"远程响应", NULL};

static const mm_cn_labels labels = {rcpt, reason, end, extra};

mm_status_t mm_decode_cn_alibaba(const mm_msg *m, mm_report *r)
{
    /* the text's two markers are fewer searches than the header values */
    if (r->text_ascii || !mm_cn_text_has(m, r, markers) || !mm_cn_head_has(m, hosts))
        return MM_ENOTFOUND;
    return mm_cn_notice_decode(m, r, &labels);
}
